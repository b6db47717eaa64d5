/* The host table the driver receives: host.write, host.insert,
 * host.apply_insertions, host.report, host.builtin_source, host.load_script. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "embedded.h"
#include "lua_internal.h"

/* ---- host functions for the driver ---------------------------------------- */

static Bridge *bridge_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* A worker tells the process that started it that it wrote a file (for the
 * progress line; a lost tick costs nothing more). */
static void tick_progress(int fd) {
  ssize_t n = write(fd, "w", 1);
  (void)n;
}

/* host.write(path, content) */
int host_write(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *content = luaL_checklstring(L, 2, &len);
  if (b->stream) {
    const char *fields[3] = {path, content, lua_toboolean(L, 3) ? "1" : "0"};
    size_t lens[3] = {strlen(path), len, 1};
    stream_record(b->stream, 'W', 3, fields, lens);
    tick_progress(b->progress);
    lua_pushboolean(L, 1);
    return 1;
  }
  bool added = ms_output_add(b->out, &b->c->diag, path, content, len);
  if (added && lua_toboolean(L, 3)) ms_output_mark_extra(b->out);
  lua_pushboolean(L, added);
  return 1;
}

/* host.insert(path, point, text): text for an insertion point of an output
 * file; host.apply_insertions() puts them all in place (output.h). */
int host_insert(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *path = luaL_checkstring(L, 1);
  const char *point = luaL_checkstring(L, 2);
  size_t len;
  const char *text = luaL_checklstring(L, 3, &len);
  if (b->stream) {
    const char *fields[3] = {path, point, text};
    size_t lens[3] = {strlen(path), strlen(point), len};
    stream_record(b->stream, 'I', 3, fields, lens);
    return 0;
  }
  ms_output_insert(b->out, path, point, text, len);
  return 0;
}

int host_apply_insertions(lua_State *L) {
  Bridge *b = bridge_of(L);
  lua_pushboolean(L, ms_output_apply_insertions(b->out, &b->c->diag));
  return 1;
}

/* host.report(severity, message [, loc]) — loc is a model node's `loc` */
/* Emitters may meet one problem twice (a name collision seen by the message
 * module and by its gRPC companion): each diagnostic is printed once. */
static const char REPORTED_KEY = 'r';

static bool already_reported(lua_State *L, const char *sev, const char *msg, const char *file, int line, int col) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &REPORTED_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &REPORTED_KEY);
  }
  lua_pushfstring(L, "%s\n%s\n%s:%d:%d", sev, msg, file, line, col);
  lua_pushvalue(L, -1);
  bool seen = lua_rawget(L, -3) != LUA_TNIL;
  lua_pop(L, 1);
  if (!seen) {
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  } else {
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return seen;
}

void report_diagnostic(Bridge *b, const char *sev, const char *msg, const char *file, int line, int col) {
  ms_Loc loc = {0};
  if (file[0]) {
    for (unsigned i = 0; i < b->c->schema.files.count; i++) {
      const ms_File *f = b->c->schema.files.items[i];
      if (strcmp(f->source.path, file) == 0) loc.src = &f->source;
    }
    loc.line = (unsigned)line;
    loc.col = (unsigned)col;
  }
  if (already_reported(b->L, sev, msg, loc.src ? loc.src->path : "", (int)loc.line, (int)loc.col)) return;
  ms_Severity severity = strcmp(sev, "warning") == 0 ? MS_WARNING : strcmp(sev, "note") == 0 ? MS_NOTE : MS_ERROR;
  if (loc.src)
    ms_diag_report(&b->c->diag, severity, loc, "%s", msg);
  else
    ms_diag_plain(&b->c->diag, severity, "%s", msg);
}

int host_report(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *sev = luaL_checkstring(L, 1);
  const char *msg = luaL_checkstring(L, 2);
  const char *file = "";
  int line = 0, col = 0;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "file");
    lua_getfield(L, 3, "line");
    lua_getfield(L, 3, "col");
    if (lua_isstring(L, -3)) {
      file = lua_tostring(L, -3);
      line = (int)lua_tointeger(L, -2);
      col = (int)lua_tointeger(L, -1);
    }
  }
  if (b->stream) {
    char numbers[2][24];
    snprintf(numbers[0], sizeof numbers[0], "%d", line);
    snprintf(numbers[1], sizeof numbers[1], "%d", col);
    const char *fields[5] = {sev, msg, file, numbers[0], numbers[1]};
    stream_record(b->stream, 'D', 5, fields, NULL);
    return 0;
  }
  report_diagnostic(b, sev, msg, file, line, col);
  return 0;
}

/* host.builtin_source(path) — the text of an embedded file ("emitters/python/moonstub/runtime.py") */
int host_builtin_source(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  for (const ms_EmbeddedScript *s = ms_embedded_scripts; s->module; s++) {
    if (strcmp(s->path, path) == 0) {
      lua_pushlstring(L, s->source, s->len);
      return 1;
    }
  }
  return luaL_error(L, "no built-in file '%s'", path);
}

/* host.load_script(path) — a user script (rules file, emitter) from disk, as
 * text, with its own path as chunk name. */
int host_load_script(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
  return 1;
}

/* "chunk:line: " of the innermost Lua function on the stack, or "". */
static void push_innermost_lua_location(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

int error_with_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg && luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
    msg = lua_tostring(L, -1);
  } else if (!msg) {
    push_innermost_lua_location(L);
    msg = lua_pushfstring(L, "%serror object is a %s value", lua_tostring(L, -1), luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}
