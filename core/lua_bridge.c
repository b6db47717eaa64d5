/* The run of the Lua side: a capped, sandboxed Lua state with a CPU budget,
 * the model as read-only tables (lua_model.c), the host functions
 * (lua_host.c), then emitters.driver or a --lua-test script. */
#include "lua_bridge.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "lua_internal.h"
#include "version.h"

enum { GC_PAUSE_PERCENT = 300 };

static void push_options(lua_State *L, const ms_RunOptions *o) {
  lua_newtable(L);
  set_str(L, "out", o->out ? o->out : o->python_out);
  lua_createtable(L, (int)o->emitters.count, 0);
  for (unsigned i = 0; i < o->emitters.count; i++) {
    lua_pushstring(L, o->emitters.items[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "emitters");
  set_str(L, "rules", o->rules ? o->rules : "default");
  set_str(L, "python_out", o->python_out);
  set_bool(L, "summary", o->summary);
  set_bool(L, "grpc", o->grpc);
  set_str(L, "grpc_mode", o->grpc_mode ? o->grpc_mode : "aio");
  lua_newtable(L);
  for (unsigned i = 0; i < o->keys.count; i++) {
    lua_pushstring(L, o->values.items[i]);
    lua_setfield(L, -2, o->keys.items[i]);
  }
  lua_setfield(L, -2, "opt");
}

/* The host table: what scripts may ask of the C side (docs/lua-api.md). */
static void push_host(Bridge *b) {
  lua_State *L = b->L;
  lua_createtable(L, 0, 10);
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_write, 1);
  lua_setfield(L, -2, "write");
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_insert, 1);
  lua_setfield(L, -2, "insert");
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_apply_insertions, 1);
  lua_setfield(L, -2, "apply_insertions");
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_report, 1);
  lua_setfield(L, -2, "report");
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_parallel, 1);
  lua_setfield(L, -2, "parallel");
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, host_release, 1);
  lua_setfield(L, -2, "release");
  lua_pushcfunction(L, host_builtin_source);
  lua_setfield(L, -2, "builtin_source");
  lua_pushcfunction(L, host_load_script);
  lua_setfield(L, -2, "load_script");
  lua_pushliteral(L, MS_VERSION);
  lua_setfield(L, -2, "version");
}

static int run_driver(lua_State *L) {
  Bridge *b = lua_touserdata(L, 1);
  const ms_RunOptions *opts = lua_touserdata(L, 2);
  lua_settop(L, 0);
  if (opts->lua_test) {
    /* developer mode (tests/lua): run a script from disk with the model;
     * modules beside it are found too */
    const char *slash = strrchr(opts->lua_test, '/');
    const char *dir = slash ? lua_pushlstring(L, opts->lua_test, (size_t)(slash - opts->lua_test)) : ".";
    add_folder_searcher(L, &dir, 1);
    lua_pop(L, slash ? 1 : 0);
    if (luaL_loadfilex(L, opts->lua_test, "t") != LUA_OK) return lua_error(L);
    push_schema(b);
    push_options(L, opts);
    push_host(b);
    lua_call(L, 3, 0);
    return 0;
  }
  lua_getglobal(L, "require");
  lua_pushliteral(L, "emitters.driver");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "run");
  push_schema(b);
  push_options(L, opts);
  push_host(b);
  lua_call(L, 3, 0);
  return 0;
}

bool ms_lua_run(ms_Compiler *c, ms_Output *out, const ms_RunOptions *opts) {
  Bridge b = {0};
  b.c = c;
  b.out = out;
  b.jobs = opts->jobs;
  b.progress = -1;
  b.budget_seconds = opts->budget ? opts->budget : DEFAULT_BUDGET_SECONDS;
  b.memory_mb = opts->memory_mb ? opts->memory_mb : DEFAULT_MEMORY_MB;
  Budget memory = {0, (size_t)(opts->memory_mb ? opts->memory_mb : DEFAULT_MEMORY_MB) * 1024 * 1024};
  b.L = lua_newstate(limited_alloc, &memory);
  if (!b.L) {
    ms_diag_plain(&c->diag, MS_ERROR, "cannot create a Lua state");
    return false;
  }
  lua_State *L = b.L;
  open_libraries(L, &opts->lua_dirs);
  start_budget(L, b.budget_seconds);
  bool profiling = getenv("MOONSTUB_LUA_PROFILE") != NULL;
  if (profiling) {
    start_profile(L);
    b.jobs = 1; /* the profile of this process is the whole run's */
  }
  lua_newtable(L);
  b.cache = luaL_ref(L, LUA_REGISTRYINDEX);
  /* the heap holds the model of the modules at work and little else
   * (host.release): a cycle when it has grown to 3x (default 2x) halves the
   * collector's time on googleapis for 10% more memory; generational mode
   * measured slower */
  lua_gc(L, LUA_GCINC, GC_PAUSE_PERCENT, 0, 0);
  lua_pushcfunction(L, error_with_traceback);
  lua_pushcfunction(L, run_driver);
  lua_pushlightuserdata(L, &b);
  lua_pushlightuserdata(L, (void *)opts);
  int status = lua_pcall(L, 2, 0, 1);
  if (status == LUA_ERRMEM) {
    ms_diag_plain(&c->diag, MS_ERROR, "Lua scripts used more than %lu MB of memory (--lua-memory)",
                  opts->memory_mb ? opts->memory_mb : (unsigned long)DEFAULT_MEMORY_MB);
  } else if (status != LUA_OK) {
    /* a script error reads "moonstub: error: script:line: message", then the
     * traceback, unless tracebacks are hidden (moonstub without --verbose):
     * then only the message's first line */
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(error object is not a string)";
    size_t n = strlen(msg);
    if (c->diag.hide_tracebacks) {
      const char *nl = strchr(msg, '\n');
      if (nl) n = (size_t)(nl - msg);
      if (n > 1 && msg[n - 1] == ':') n--;
    }
    ms_diag_plain(&c->diag, MS_ERROR, "%.*s", (int)n, msg);
  }
  stop_budget();
  if (profiling) report_profile(L);
  lua_close(L);
  free(b.pending);
  ms_descriptor_encoder_free(b.descriptors);
  return ms_compiler_ok(c);
}
