/* Private to the Lua side (lua_bridge.c and the lua_*.c files it runs):
 * the bridge between one run and its Lua state, and the pieces each file
 * lends the others. Not part of the library's interface. */
#ifndef MS_LUA_INTERNAL_H
#define MS_LUA_INTERNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "descriptor_out.h"
#include "lua_bridge.h"

struct Bridge;
typedef void (*FillFn)(struct Bridge *b, const void *node);

typedef struct Pending {
  const void *node;
  FillFn fill;
} Pending;

typedef struct Bridge {
  lua_State *L;
  ms_Compiler *c;
  ms_Output *out;
  int cache; /* registry ref: lightuserdata(node) -> proxy */
  int lazy; /* registry ref: unfilled proxy -> its slot in pending, from 1 */
  Pending *pending; /* every lazy proxy's node and fill function */
  size_t pending_count, pending_cap;
  ms_DescriptorEncoder *descriptors; /* file.descriptor, made on first use */
  unsigned jobs; /* worker processes for host.parallel (0: automatic) */
  unsigned long budget_seconds, memory_mb; /* the scripts' budgets, for workers */
  FILE *stream; /* in a worker: where writes, insertions and reports go */
  int progress; /* in a worker: a byte per file written goes there */
} Bridge;

/* ---- setters: table on top of the stack, field k -------------------------- */

static inline void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}
static inline void set_bool(lua_State *L, const char *k, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}
static inline void set_int(lua_State *L, const char *k, long long v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* ---- lua_model.c: the model as read-only tables --------------------------- */

/* Pushes the schema: { files = {...} }, each node filled on first read. */
void push_schema(Bridge *b);
/* host.release(file) */
int host_release(lua_State *L);

/* ---- lua_host.c: the host table's functions ------------------------------- */

/* host.write, host.insert, host.apply_insertions and host.report take the
 * Bridge as upvalue 1 (a light userdata). */
int host_write(lua_State *L);
int host_insert(lua_State *L);
int host_apply_insertions(lua_State *L);
int host_report(lua_State *L);
/* A diagnostic from a script, printed once however often it is reported;
 * `file` empty: no location. */
void report_diagnostic(Bridge *b, const char *severity, const char *msg, const char *file, int line, int col);
int host_builtin_source(lua_State *L);
int host_load_script(lua_State *L);
/* The message handler of every protected call into scripts: the error with
 * its traceback. An error value that is not a string (error({...})) becomes
 * "script:line: error object is a table value", located at the innermost Lua
 * function, as lua.c words it. */
int error_with_traceback(lua_State *L);

/* ---- lua_workers.c: host.parallel -------------------------------------------- */

int host_parallel(lua_State *L);
/* One record of a worker's stream: a tag, then `count` fields (lens NULL:
 * NUL-terminated). */
void stream_record(FILE *f, char tag, unsigned count, const char *const *fields, const size_t *lens);

/* ---- lua_search.c: the searchers of `require` ----------------------------- */

int search_embedded(lua_State *L);
int search_folders(lua_State *L);
int search_builtin_prefix(lua_State *L);
/* Adds a search_folders searcher over `dirs`, before the embedded one. */
void add_folder_searcher(lua_State *L, const char *const *dirs, unsigned count);

/* ---- lua_sandbox.c: what scripts may do and use --------------------------- */

enum { DEFAULT_BUDGET_SECONDS = 120 }; /* CPU seconds (--lua-budget) */
enum { DEFAULT_MEMORY_MB = 8192 }; /* memory (--lua-memory) */

/* The memory scripts use and may use, in bytes: limited_alloc's ud. */
typedef struct Budget {
  size_t used, limit;
} Budget;

void open_libraries(lua_State *L, const ms_Vec *dirs);
void start_budget(lua_State *L, unsigned long seconds);
void stop_budget(void);
void *limited_alloc(void *ud, void *ptr, size_t old_size, size_t new_size);

/* ---- lua_native.c: require("moonstub.native") ------------------------------- */

int luaopen_native(lua_State *L);

/* ---- lua_profile.c: MOONSTUB_LUA_PROFILE=1 -------------------------------- */

void start_profile(lua_State *L);
void report_profile(lua_State *L);

#endif
