/* require("moonstub.native"): text helpers written in C for the emitters'
 * hottest loops, with the same results as the Lua they replace.
 *
 *   native.py_bytes_pieces(s, width) -> { 'b"..."', ... }
 *
 * The Python bytes literal of `s` split into pieces that fit in `width`
 * columns, never inside an escape: printable ASCII as it is; \n \t \r \\ \"
 * and \xHH for the rest. A piece starts as the next width-3 raw bytes and,
 * while its text is too wide, gives back max(1, (excess + 3) / 4) bytes (each
 * byte takes at most four columns), so the cut points are those of the
 * Lua version moonstub had before (emitters/python/messages.lua). */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "lua_internal.h"

/* The text of byte `c` in a Python bytes literal; its length is returned. */
static size_t escape_byte(unsigned char c, char out[4]) {
  switch (c) {
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '"': memcpy(out, "\\\"", 2); return 2;
    default: break;
  }
  if (c < 32 || c > 126) {
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
  }
  out[0] = (char)c;
  return 1;
}

static size_t escaped_width(const unsigned char *s, size_t n) {
  size_t w = 0;
  char tmp[4];
  for (size_t i = 0; i < n; i++) w += escape_byte(s[i], tmp);
  return w;
}

/* How many raw bytes from `s` (of `left`) the next piece takes. As the Lua
 * did: n starts at `room` even past the end (a range past the end is cut at
 * the end), and shrinks from there. */
static size_t piece_length(const unsigned char *s, size_t left, size_t room) {
  size_t n = room;
  size_t w = escaped_width(s, n < left ? n : left);
  while (w > room) {
    size_t excess = (w - room + 3) / 4;
    size_t give = excess > 1 ? excess : 1;
    n = give < n ? n - give : 0;
    w = escaped_width(s, n < left ? n : left);
  }
  return n < left ? n : left;
}

static int py_bytes_pieces(lua_State *L) {
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  lua_Integer width = luaL_checkinteger(L, 2);
  luaL_argcheck(L, width >= 7, 2, "a width of at least 7 columns");
  size_t room = (size_t)width - 3;
  lua_newtable(L);
  size_t start = 0;
  lua_Integer count = 0;
  luaL_Buffer buf;
  do {
    size_t n = piece_length(s + start, len - start, room);
    if (n == 0 && start < len) n = 1; /* never stall */
    luaL_buffinit(L, &buf);
    luaL_addstring(&buf, "b\"");
    char out[4];
    for (size_t i = 0; i < n; i++) luaL_addlstring(&buf, out, escape_byte(s[start + i], out));
    luaL_addchar(&buf, '"');
    luaL_pushresult(&buf);
    lua_rawseti(L, -2, ++count);
    start += n;
  } while (start < len);
  return 1;
}

int luaopen_native(lua_State *L) {
  static const luaL_Reg functions[] = {{"py_bytes_pieces", py_bytes_pieces}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
