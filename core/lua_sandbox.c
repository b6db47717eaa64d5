/* What scripts may do: the sandboxed libraries (no files, no native code,
 * no bytecode), the CPU-time budget and the capped allocator. */
#define _DEFAULT_SOURCE
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "lua_internal.h"

int luaopen_lpeg(lua_State *L);

/* load() of text only: no precompiled chunks. */
static int safe_load(lua_State *L) {
  size_t len;
  const char *chunk = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "=(load)");
  int env = !lua_isnone(L, 4) ? 4 : 0;
  if (luaL_loadbufferx(L, chunk, len, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (env) {
    lua_pushvalue(L, env);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  }
  return 1;
}

void open_libraries(lua_State *L, const ms_Vec *dirs) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_LOADLIBNAME, luaopen_package, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, "lpeg", luaopen_lpeg, 1);
  luaL_requiref(L, "moonstub.native", luaopen_native, 0);
  lua_pop(L, 8);
  /* the sandbox: no files (the host writes through the output set), no
   * native code, no bytecode; io, os and debug are never opened */
  static const char *const removed_globals[] = {"dofile", "loadfile", "collectgarbage", NULL};
  for (const char *const *g = removed_globals; *g; g++) {
    lua_pushnil(L);
    lua_setglobal(L, *g);
  }
  lua_pushcfunction(L, safe_load);
  lua_setglobal(L, "load");
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  lua_getglobal(L, LUA_LOADLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "loadlib");
  lua_pushnil(L);
  lua_setfield(L, -2, "cpath");
  lua_pushnil(L);
  lua_setfield(L, -2, "searchpath");
  lua_pop(L, 1);
  /* require: package.preload, builtin:NAME, the user folders, the built-ins */
  lua_getglobal(L, LUA_LOADLIBNAME);
  lua_createtable(L, 4, 0);
  lua_getfield(L, -2, "searchers");
  lua_rawgeti(L, -1, 1); /* the preload searcher */
  lua_rawseti(L, -3, 1);
  lua_pop(L, 1);
  lua_pushcfunction(L, search_builtin_prefix);
  lua_rawseti(L, -2, 2);
  lua_newtable(L);
  for (unsigned i = 0; i < dirs->count; i++) {
    lua_pushstring(L, dirs->items[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcclosure(L, search_folders, 1);
  lua_rawseti(L, -2, 3);
  lua_pushcfunction(L, search_embedded);
  lua_rawseti(L, -2, 4);
  lua_setfield(L, -2, "searchers");
  lua_pop(L, 1);
}

/* The budget of scripts: CPU seconds, watched by a timer. A count hook would
 * stop a loop as well, but it slows every Lua instruction (about 16% of a
 * googleapis run); the timer costs nothing until it fires, and then it sets
 * a hook that stops the script at its next instruction, naming the line.
 *
 * The one piece of global state in moonstub: a signal handler takes no
 * context, so it finds the running Lua state here. */
static lua_State *volatile budget_state;

static void stop_script(lua_State *L, lua_Debug *ar) {
  lua_sethook(L, NULL, 0, 0);
  lua_getinfo(L, "Sl", ar);
  lua_pushfstring(L, "%s:%d: budget of Lua CPU time exhausted (--lua-budget): is there an endless loop?", ar->short_src,
                  ar->currentline);
  lua_error(L);
}

static void on_budget_exhausted(int sig) {
  (void)sig;
  lua_State *L = budget_state;
  if (L) lua_sethook(L, stop_script, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void start_budget(lua_State *L, unsigned long seconds) {
  budget_state = L;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_budget_exhausted;
  sigaction(SIGVTALRM, &sa, NULL);
  struct itimerval t;
  memset(&t, 0, sizeof t);
  t.it_value.tv_sec = (time_t)seconds;
  setitimer(ITIMER_VIRTUAL, &t, NULL);
}

void stop_budget(void) {
  struct itimerval t;
  memset(&t, 0, sizeof t);
  setitimer(ITIMER_VIRTUAL, &t, NULL);
  budget_state = NULL;
}

/* Lua's memory, counted against a limit: a script that allocates without
 * bound gets Lua's "not enough memory" error instead of exhausting the machine. */
void *limited_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
  Budget *m = ud;
  if (!ptr) old_size = 0;
  if (new_size == 0) {
    free(ptr);
    m->used -= old_size;
    return NULL;
  }
  if (new_size > old_size && m->used + (new_size - old_size) > m->limit) return NULL;
  void *p = realloc(ptr, new_size);
  if (p) m->used = m->used - old_size + new_size;
  return p;
}
