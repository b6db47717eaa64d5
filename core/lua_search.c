/* Where `require` finds scripts: the embedded built-ins, `builtin:NAME`, the
 * folders of the search path (-L, MOONSTUB_PATH, ./.moonstub); and the
 * listings of --print-search-path and --list-emitters. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embedded.h"
#include "lua_internal.h"

/* ---- embedded scripts ------------------------------------------------------ */

int search_embedded(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  for (const ms_EmbeddedScript *s = ms_embedded_scripts; s->module; s++) {
    if (strcmp(s->module, name) != 0 || !s->lua) continue;
    const char *chunk = lua_pushfstring(L, "@%s", s->path);
    if (luaL_loadbufferx(L, s->source, s->len, chunk, "t") != LUA_OK) return lua_error(L);
    lua_pushstring(L, s->path);
    return 2;
  }
  lua_pushfstring(L, "no built-in script '%s'", name);
  return 1;
}

/* Searches the folders in upvalue 1 (a Lua array of paths) for NAME.lua,
 * dots in NAME being folders. Used before the embedded scripts. */
int search_folders(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  luaL_Buffer tried;
  luaL_buffinit(L, &tried);
  lua_Integer n = luaL_len(L, lua_upvalueindex(1));
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, lua_upvalueindex(1), i);
    const char *dir = lua_tostring(L, -1);
    const char *file = luaL_gsub(L, name, ".", "/");
    const char *path = lua_pushfstring(L, "%s/%s.lua", dir, file);
    FILE *fp = fopen(path, "r");
    if (fp) {
      fclose(fp);
      /* a syntax error reads "path:line: message", which names the module */
      if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
      lua_pushstring(L, path);
      return 2;
    }
    lua_pushfstring(L, "\n\tno file '%s'", path);
    luaL_addvalue(&tried);
    lua_pop(L, 3);
  }
  luaL_pushresult(&tried);
  return 1;
}

void add_folder_searcher(lua_State *L, const char *const *dirs, unsigned count) {
  lua_getglobal(L, LUA_LOADLIBNAME);
  lua_getfield(L, -1, "searchers");
  lua_newtable(L);
  for (unsigned i = 0; i < count; i++) {
    lua_pushstring(L, dirs[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcclosure(L, search_folders, 1);
  /* insert at position 2, before the embedded searcher */
  lua_Integer n = luaL_len(L, -2);
  for (lua_Integer i = n; i >= 2; i--) {
    lua_rawgeti(L, -2, i);
    lua_rawseti(L, -3, i + 1);
  }
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
}

/* `builtin:NAME` always reaches the embedded original, even when a user
 * file of the same name shadows it. */
int search_builtin_prefix(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (strncmp(name, "builtin:", 8) != 0) {
    lua_pushstring(L, "\n\tnot a builtin: name");
    return 1;
  }
  lua_pushcfunction(L, search_embedded);
  lua_pushstring(L, name + 8);
  lua_call(L, 1, 2);
  return 2;
}

/* ---- the search path ------------------------------------------------------------------ */

static bool is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void ms_lua_search_path(ms_Arena *arena, const ms_Vec *l_dirs, ms_Vec *out) {
  for (unsigned i = 0; i < l_dirs->count; i++) ms_vec_push(arena, out, l_dirs->items[i]);
  const char *env = getenv("MOONSTUB_PATH");
  while (env && *env) {
    const char *colon = strchr(env, ':');
    size_t n = colon ? (size_t)(colon - env) : strlen(env);
    if (n) ms_vec_push(arena, out, ms_arena_strndup(arena, env, n));
    if (!colon) break;
    env = colon + 1;
  }
  if (is_directory(".moonstub")) ms_vec_push(arena, out, ".moonstub");
}

void ms_lua_print_search_path(const ms_Vec *dirs, FILE *fp) {
  for (unsigned i = 0; i < dirs->count; i++) fprintf(fp, "%s\n", (const char *)dirs->items[i]);
  fputs("(built-in scripts)\n", fp);
}

void ms_lua_list_emitters(const ms_Vec *dirs, FILE *fp) {
  for (unsigned i = 0; i < dirs->count; i++) {
    char folder[4096];
    snprintf(folder, sizeof folder, "%s/emitters", (const char *)dirs->items[i]);
    DIR *d = opendir(folder);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      size_t n = strlen(e->d_name);
      if (n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0)
        fprintf(fp, "%.*s\t%s/%s\n", (int)(n - 4), e->d_name, folder, e->d_name);
    }
    closedir(d);
  }
  fputs("python\t(built-in: emitters/python, written with --python_out)\n", fp);
  fputs("summary\t(built-in: emitters/summary.lua, --summary)\n", fp);
}
