/* MOONSTUB_LUA_PROFILE=1: which lines of the scripts the run spends its time
 * in, sampled by a count hook and printed on stderr at the end. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>

#include "lua_internal.h"

/* ---- a sampling profiler for moonstub's own Lua (MOONSTUB_LUA_PROFILE=1) -------------------- */

static const char PROFILE_KEY = 'p';

static void profile_sample(lua_State *L, lua_Debug *ar) {
  if (!lua_getinfo(L, "Sl", ar) || ar->currentline < 0) return;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &PROFILE_KEY);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushfstring(L, "%s:%d (function at line %d)", ar->short_src, ar->currentline, ar->linedefined);
  lua_pushvalue(L, -1);
  lua_rawget(L, -3);
  lua_Integer n = lua_tointeger(L, -1);
  lua_pop(L, 1);
  lua_pushinteger(L, n + 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void start_profile(lua_State *L) {
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILE_KEY);
  lua_sethook(L, profile_sample, LUA_MASKCOUNT, 997);
}

/* The 40 lines with the most samples, on stderr. */
void report_profile(lua_State *L) {
  static const char report[] =
      "local t = ...; local rows, total = {}, 0\n"
      "for k, v in pairs(t) do rows[#rows + 1] = {k, v}; total = total + v end\n"
      "table.sort(rows, function(a, b) return a[2] > b[2] end)\n"
      "local out = {string.format('lua profile: %d samples', total)}\n"
      "for i = 1, math.min(40, #rows) do\n"
      "  out[#out + 1] = string.format('%6.2f%%  %s', 100 * rows[i][2] / total, rows[i][1]) end\n"
      "return table.concat(out, '\\n')\n";
  lua_sethook(L, NULL, 0, 0);
  if (luaL_loadstring(L, report) != LUA_OK) return;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &PROFILE_KEY);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) fprintf(stderr, "%s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
}
