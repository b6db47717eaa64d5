/* The model as Lua sees it: every node of the linked schema a read-only
 * table (a proxy), references between nodes kept as references. The
 * proxies are lazy: a node's fields are converted the first time any of them
 * is read (or the node is counted or iterated), so a run converts what its
 * emitters touch, and a worker process (lua_workers.c) only its share.
 * file.descriptor is encoded on first read. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor_out.h"
#include "lua_internal.h"

/* ---- read-only proxies --------------------------------------------------- */

static int refuse_write(lua_State *L) {
  return luaL_error(L, "the schema model is read-only (tried to set \"%s\")", luaL_tolstring(L, 2, NULL));
}

static void push_raw(lua_State *L, int proxy);

static int proxy_len(lua_State *L) {
  push_raw(L, 1);
  lua_len(L, -1);
  return 1;
}

static int proxy_pairs(lua_State *L) {
  lua_getglobal(L, "next");
  push_raw(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Pushes a metatable that makes a proxy read-only, its reads going to
 * `index` (the stack slot of the raw table, or of the lazy filler). */
static void push_read_only_metatable(lua_State *L, int index) {
  index = lua_absindex(L, index);
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, refuse_write);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, proxy_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, proxy_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
}

/* Replaces the table on top of the stack with a read-only proxy of it. */
static void make_read_only(lua_State *L) {
  lua_newtable(L); /* t proxy */
  push_read_only_metatable(L, -2); /* t proxy mt */
  lua_setmetatable(L, -2); /* t proxy */
  lua_remove(L, -2); /* proxy */
}

/* Pushes the proxy of a model node if it was made already; false (nothing
 * pushed) otherwise. */
static bool push_known_node(Bridge *b, const void *node) {
  lua_State *L = b->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->cache);
  if (lua_rawgetp(L, -1, node) != LUA_TNIL) {
    lua_remove(L, -2);
    return true;
  }
  lua_pop(L, 2);
  return false;
}

static void remember_node(Bridge *b, const void *node) {
  /* stack: proxy */
  lua_State *L = b->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->cache);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, node);
  lua_pop(L, 1);
}

/* ---- setters ------------------------------------------------------------ */

/* One shared read-only empty table for every empty list, option set and
 * comment: most model nodes have none, and a table each costs memory. */
static const char EMPTY_KEY = 'e';
static const char NO_COMMENTS_KEY = 'c';

static void push_shared_empty(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &EMPTY_KEY) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_newtable(L);
  make_read_only(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &EMPTY_KEY);
}

static void push_loc(lua_State *L, ms_Loc loc) {
  lua_createtable(L, 0, 3);
  if (loc.src) set_str(L, "file", loc.src->path);
  set_int(L, "line", loc.line);
  set_int(L, "col", loc.col);
  make_read_only(L);
}

static void push_value(lua_State *L, const ms_Value *v) {
  switch (v->kind) {
    case MS_VALUE_INT:
      if (v->negative)
        lua_pushinteger(L, (lua_Integer)(0 - v->u));
      else if (v->u <= (uint64_t)LUA_MAXINTEGER)
        lua_pushinteger(L, (lua_Integer)v->u);
      else
        lua_pushnumber(L, (lua_Number)v->u);
      break;
    case MS_VALUE_FLOAT: lua_pushnumber(L, v->negative ? -v->d : v->d); break;
    case MS_VALUE_IDENT:
      if (!v->negative && strcmp(v->text, "true") == 0)
        lua_pushboolean(L, 1);
      else if (!v->negative && strcmp(v->text, "false") == 0)
        lua_pushboolean(L, 0);
      else if (v->negative)
        lua_pushfstring(L, "-%s", v->text);
      else
        lua_pushstring(L, v->text);
      break;
    case MS_VALUE_STRING: lua_pushlstring(L, v->text, v->text_len); break;
    default:
      lua_createtable(L, 0, 1);
      set_str(L, "aggregate", v->text);
      make_read_only(L);
  }
}

/* options[name] is the value; a name set several times (repeated options)
 * maps to an array of its values. */
static void set_options_named(lua_State *L, const char *k, const ms_Vec *options) {
  if (options->count == 0) {
    push_shared_empty(L);
    lua_setfield(L, -2, k);
    return;
  }
  lua_createtable(L, 0, (int)options->count);
  for (unsigned i = 0; i < options->count; i++) {
    const ms_Option *o = options->items[i];
    unsigned count = 0, index = 0;
    for (unsigned j = 0; j < options->count; j++) {
      if (strcmp(((const ms_Option *)options->items[j])->name, o->name) != 0) continue;
      count++;
      if (j < i) index++;
    }
    if (count == 1) {
      push_value(L, &o->value);
      lua_setfield(L, -2, o->name);
      continue;
    }
    if (index == 0) {
      lua_createtable(L, (int)count, 0);
      lua_setfield(L, -2, o->name);
    }
    lua_getfield(L, -1, o->name);
    push_value(L, &o->value);
    lua_rawseti(L, -2, index + 1);
    lua_pop(L, 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, k);
}

static void set_options(lua_State *L, const ms_Vec *options) { set_options_named(L, "options", options); }

static void set_comments(lua_State *L, const ms_Comment *c) {
  if (!c->leading && !c->trailing && c->detached.count == 0) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &NO_COMMENTS_KEY) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 1);
      push_shared_empty(L);
      lua_setfield(L, -2, "detached");
      make_read_only(L);
      lua_pushvalue(L, -1);
      lua_rawsetp(L, LUA_REGISTRYINDEX, &NO_COMMENTS_KEY);
    }
    lua_setfield(L, -2, "comments");
    return;
  }
  lua_createtable(L, 0, 3);
  set_str(L, "leading", c->leading);
  set_str(L, "trailing", c->trailing);
  lua_createtable(L, (int)c->detached.count, 0);
  for (unsigned i = 0; i < c->detached.count; i++) {
    lua_pushstring(L, c->detached.items[i]);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, "detached");
  make_read_only(L);
  lua_setfield(L, -2, "comments");
}

/* ---- nodes -------------------------------------------------------------- */

/* ---- lazy nodes ------------------------------------------------------------
 *
 * A node not read yet is an empty proxy with the shared metatable UNFILLED,
 * whose __index (fill_then_index) converts it: b->lazy (weak keys) maps the
 * proxy to its slot in b->pending (the C node and its fill function).
 * Filling makes the raw table, fills it (which pushes more unfilled proxies,
 * never recursing) and gives the proxy its own metatable reading the raw
 * table, so every later read is a plain table lookup. host.release(file)
 * turns the file's filled proxies back into unfilled ones: their tables
 * become garbage, their identity stays. */

static const char UNFILLED_KEY = 'u';

/* Converts the unfilled proxy at `proxy`: afterwards its metatable's __index
 * is the filled raw table. */
static void fill_proxy(Bridge *b, int proxy) {
  lua_State *L = b->L;
  proxy = lua_absindex(L, proxy);
  luaL_checkstack(L, 16, "schema model");
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->lazy);
  lua_pushvalue(L, proxy);
  lua_rawget(L, -2);
  lua_Integer slot = lua_tointeger(L, -1);
  lua_pop(L, 2);
  if (slot < 1 || (size_t)slot > b->pending_count) luaL_error(L, "schema model: lost node");
  Pending p = b->pending[slot - 1];
  lua_newtable(L); /* raw */
  p.fill(b, p.node);
  push_read_only_metatable(L, -1); /* raw mt */
  lua_setmetatable(L, proxy);
  lua_pop(L, 1);
}

static bool is_unfilled(lua_State *L, int proxy) {
  if (!lua_getmetatable(L, proxy)) return false;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &UNFILLED_KEY);
  bool unfilled = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return unfilled;
}

/* Pushes the raw table behind the proxy at `proxy`, filling it first. */
static void push_raw(lua_State *L, int proxy) {
  proxy = lua_absindex(L, proxy);
  if (is_unfilled(L, proxy)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &UNFILLED_KEY);
    lua_getfield(L, -1, "__index");
    lua_getupvalue(L, -1, 1);
    Bridge *b = lua_touserdata(L, -1);
    lua_pop(L, 3);
    fill_proxy(b, proxy);
  }
  lua_getmetatable(L, proxy);
  lua_getfield(L, -1, "__index");
  lua_remove(L, -2);
}

/* __index of an unfilled proxy: fills it, then reads `key` (through the raw
 * table's own metatable, if it has one: file.descriptor). */
static int fill_then_index(lua_State *L) {
  Bridge *b = lua_touserdata(L, lua_upvalueindex(1));
  fill_proxy(b, 1);
  push_raw(L, 1);
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  return 1;
}

static void push_unfilled_metatable(Bridge *b) {
  lua_State *L = b->L;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &UNFILLED_KEY) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_pushlightuserdata(L, b);
  lua_pushcclosure(L, fill_then_index, 1);
  push_read_only_metatable(L, -1);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &UNFILLED_KEY);
}

/* Pushes a new unfilled proxy for `node`, to be filled by `fill`. */
static void push_unfilled(Bridge *b, const void *node, FillFn fill) {
  lua_State *L = b->L;
  if (b->pending_count == b->pending_cap) {
    size_t cap = b->pending_cap ? b->pending_cap * 2 : 4096;
    Pending *grown = realloc(b->pending, cap * sizeof *grown);
    if (!grown) luaL_error(L, "out of memory");
    b->pending = grown;
    b->pending_cap = cap;
  }
  b->pending[b->pending_count].node = node;
  b->pending[b->pending_count].fill = fill;
  b->pending_count++;
  lua_newtable(L); /* proxy */
  push_unfilled_metatable(b);
  lua_setmetatable(L, -2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->lazy);
  lua_pushvalue(L, -2);
  lua_pushinteger(L, (lua_Integer)b->pending_count);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/* Pushes the proxy of model node `node` (nil for NULL): one proxy per node,
 * so nodes compare and key tables by identity. */
static void push(Bridge *b, const void *node, FillFn fill) {
  lua_State *L = b->L;
  luaL_checkstack(L, 8, "schema model");
  if (!node) {
    lua_pushnil(L);
    return;
  }
  if (push_known_node(b, node)) return;
  push_unfilled(b, node, fill);
  remember_node(b, node);
}

static void fill_loc(Bridge *b, const void *node) {
  const ms_Loc *loc = node;
  lua_State *L = b->L;
  if (loc->src) set_str(L, "file", loc->src->path);
  set_int(L, "line", loc->line);
  set_int(L, "col", loc->col);
}

/* node.loc: read only by diagnostics, so converted only when read (a loc is
 * part of its node: no identity of its own to keep). */
static void set_loc(Bridge *b, const ms_Loc *loc) {
  push_unfilled(b, loc, fill_loc);
  lua_setfield(b->L, -2, "loc");
}

static void set_node(Bridge *b, const char *k, const void *node, FillFn fill) {
  if (!node) return;
  push(b, node, fill);
  lua_setfield(b->L, -2, k);
}

static void set_list(Bridge *b, const char *k, const ms_Vec *v, FillFn fill) {
  lua_State *L = b->L;
  if (v->count == 0) {
    push_shared_empty(L);
    lua_setfield(L, -2, k);
    return;
  }
  lua_createtable(L, (int)v->count, 0);
  for (unsigned i = 0; i < v->count; i++) {
    push(b, v->items[i], fill);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, k);
}

static void fill_file(Bridge *b, const void *node);
static void fill_message(Bridge *b, const void *node);
static void fill_enum(Bridge *b, const void *node);
static void fill_service(Bridge *b, const void *node);
static void fill_oneof(Bridge *b, const void *node);

static void push_type_ref(Bridge *b, const ms_TypeRef *t) {
  lua_State *L = b->L;
  lua_createtable(L, 0, 8);
  set_str(L, "scalar", t->scalar ? ms_scalar_name(t->scalar) : NULL);
  set_str(L, "encoding", t->encoding);
  set_str(L, "type_name", t->message ? t->message->full_name : t->enum_type ? t->enum_type->full_name : t->type_name);
  set_str(L, "written_name", t->type_name);
  if (t->message) set_node(b, "type_ref", t->message, fill_message);
  if (t->enum_type) set_node(b, "type_ref", t->enum_type, fill_enum);
  set_bool(L, "optional", t->optional);
  set_bool(L, "ref", t->ref);
  set_options_named(L, "ref_options", &t->ref_options);
  make_read_only(L);
}

static void set_idl_field(Bridge *b, const ms_IdlField *idl) {
  lua_State *L = b->L;
  lua_createtable(L, 0, 10);
  set_str(L, "collection", ms_collection_name(idl->collection));
  push_type_ref(b, &idl->value);
  lua_setfield(L, -2, "value");
  if (idl->collection == MS_COLLECTION_MAP) {
    push_type_ref(b, &idl->key);
    lua_setfield(L, -2, "key");
  }
  set_bool(L, "nullable", idl->nullable);
  set_bool(L, "ref", idl->ref);
  set_options_named(L, "ref_options", &idl->ref_options);
  set_bool(L, "written_repeated", idl->written_repeated);
  set_int(L, "fixed_length", idl->fixed_length);
  set_bool(L, "has_id", idl->has_id);
  make_read_only(L);
  lua_setfield(L, -2, "idl");
}

static void set_type_id(lua_State *L, const ms_TypeId *id) {
  if (!id->has_id) return;
  set_int(L, "type_id", id->id);
  set_bool(L, "type_id_generated", id->generated);
  set_str(L, "type_id_source", id->source);
}

static void fill_field(Bridge *b, const void *node) {
  const ms_Field *f = node;
  lua_State *L = b->L;
  set_str(L, "kind", "field");
  set_str(L, "name", f->name);
  set_str(L, "full_name", f->full_name);
  set_int(L, "number", f->number);
  set_str(L, "label", ms_label_name(f->label));
  set_str(L, "type", f->map_entry ? "map" : ms_type_name(f->type));
  set_str(L, "wire_type", ms_type_name(f->type));
  const char *type_name = f->message_type ? f->message_type->full_name : f->enum_type ? f->enum_type->full_name : NULL;
  set_str(L, "type_name", type_name);
  if (f->message_type && !f->map_entry) set_node(b, "type_ref", f->message_type, fill_message);
  if (f->enum_type) set_node(b, "type_ref", f->enum_type, fill_enum);
  if (f->map_entry) {
    lua_createtable(L, 0, 3);
    push(b, f->map_entry->fields.items[0], fill_field);
    lua_setfield(L, -2, "key");
    push(b, f->map_entry->fields.items[1], fill_field);
    lua_setfield(L, -2, "value");
    set_node(b, "entry", f->map_entry, fill_message);
    make_read_only(L);
    lua_setfield(L, -2, "map");
  }
  set_node(b, "oneof", f->oneof, fill_oneof);
  set_str(L, "presence", f->has_presence ? "explicit" : "implicit");
  set_bool(L, "repeated", f->label == MS_LABEL_REPEATED && !f->map_entry);
  set_bool(L, "required", f->label == MS_LABEL_REQUIRED);
  set_bool(L, "packed", f->packed);
  set_bool(L, "proto3_optional", f->proto3_optional);
  set_bool(L, "utf8_validation", f->utf8_validate);
  set_bool(L, "delimited", f->type == MS_TYPE_GROUP);
  set_str(L, "json_name", f->json_name);
  if (f->default_value) {
    push_value(L, f->default_value);
    lua_setfield(L, -2, "default");
    if (f->default_value->kind == MS_VALUE_INT) { /* exact, even beyond 2^63 */
      lua_pushfstring(L, "%s%s", f->default_value->negative ? "-" : "", "");
      char digits[32];
      snprintf(digits, sizeof digits, "%llu", (unsigned long long)f->default_value->u);
      lua_pushstring(L, digits);
      lua_concat(L, 2);
      lua_setfield(L, -2, "default_text");
    }
  }
  set_bool(L, "is_extension", f->is_extension);
  if (f->is_extension) set_node(b, "extendee", f->extendee, fill_message);
  set_node(b, "parent", f->parent ? (const void *)f->parent : NULL, fill_message);
  set_node(b, "file", f->file, fill_file);
  if (f->idl) set_idl_field(b, f->idl);
  set_options(L, &f->options);
  set_comments(L, &f->comments);
  set_loc(b, &f->name_loc);
}

static void fill_oneof(Bridge *b, const void *node) {
  const ms_Oneof *o = node;
  lua_State *L = b->L;
  set_str(L, "kind", "oneof");
  set_str(L, "name", o->name);
  set_str(L, "full_name", o->full_name);
  set_bool(L, "synthetic", o->synthetic);
  set_node(b, "parent", o->parent, fill_message);
  set_list(b, "fields", &o->fields, fill_field);
  set_options(L, &o->options);
  set_comments(L, &o->comments);
  set_loc(b, &o->loc);
}

static void fill_enum_value(Bridge *b, const void *node) {
  const ms_EnumValue *v = node;
  lua_State *L = b->L;
  set_str(L, "kind", "enum_value");
  set_str(L, "name", v->name);
  set_str(L, "full_name", v->full_name);
  set_int(L, "number", v->number);
  set_node(b, "parent", v->parent, fill_enum);
  set_options(L, &v->options);
  set_comments(L, &v->comments);
  set_loc(b, &v->loc);
}

static void fill_enum(Bridge *b, const void *node) {
  const ms_Enum *e = node;
  lua_State *L = b->L;
  set_str(L, "kind", "enum");
  set_str(L, "name", e->name);
  set_str(L, "full_name", e->full_name);
  set_bool(L, "closed", e->closed);
  set_bool(L, "allow_alias", e->allow_alias);
  set_list(b, "values", &e->values, fill_enum_value);
  set_type_id(L, &e->type_id);
  set_str(L, "base_type", e->base_type);
  set_bool(L, "bit_flags", e->bit_flags);
  set_node(b, "parent", e->parent, fill_message);
  set_node(b, "file", e->file, fill_file);
  set_options(L, &e->options);
  set_comments(L, &e->comments);
  set_loc(b, &e->loc);
}

static void set_ranges(lua_State *L, const char *k, const ms_Vec *ranges) {
  if (ranges->count == 0) {
    push_shared_empty(L);
    lua_setfield(L, -2, k);
    return;
  }
  lua_createtable(L, (int)ranges->count, 0);
  for (unsigned i = 0; i < ranges->count; i++) {
    const ms_Range *r = ranges->items[i];
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, r->start);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, r->end);
    lua_rawseti(L, -2, 2);
    make_read_only(L);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, k);
}

/* A list of names (ms_ReservedName*), read-only. */
static void set_names(lua_State *L, const char *k, const ms_Vec *names) {
  if (names->count == 0) {
    push_shared_empty(L);
    lua_setfield(L, -2, k);
    return;
  }
  lua_createtable(L, (int)names->count, 0);
  for (unsigned i = 0; i < names->count; i++) {
    lua_pushstring(L, ((const ms_ReservedName *)names->items[i])->name);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, k);
}

static void fill_message(Bridge *b, const void *node) {
  const ms_Message *m = node;
  lua_State *L = b->L;
  set_str(L, "kind", "message");
  set_str(L, "name", m->name);
  set_str(L, "full_name", m->full_name);
  set_bool(L, "is_map_entry", m->is_map_entry);
  set_bool(L, "is_group", m->is_group);
  set_bool(L, "message_set_wire_format", m->message_set_wire_format);
  set_str(L, "idl_kind", ms_idl_kind_name(m->idl_kind));
  set_bool(L, "is_union", m->idl_kind == MS_IDL_UNION);
  set_type_id(L, &m->type_id);
  bool idl_file = m->file && (m->file->syntax == MS_SYNTAX_FDL || m->file->syntax == MS_SYNTAX_FBS);
  if (idl_file && m->evolving >= 0) set_bool(L, "evolving", m->evolving);
  set_node(b, "file", m->file, fill_file);
  set_node(b, "parent", m->parent, fill_message);
  set_list(b, "fields", &m->fields, fill_field);
  set_list(b, "oneofs", &m->oneofs, fill_oneof);
  set_list(b, "messages", &m->messages, fill_message);
  set_list(b, "enums", &m->enums, fill_enum);
  set_list(b, "extensions", &m->extensions, fill_field);
  set_ranges(L, "extension_ranges", &m->extension_ranges);
  set_ranges(L, "reserved_ranges", &m->reserved_ranges);
  set_names(L, "reserved_names", &m->reserved_names);
  set_options(L, &m->options);
  set_comments(L, &m->comments);
  set_loc(b, &m->loc);
}

static void fill_method(Bridge *b, const void *node) {
  const ms_Method *m = node;
  lua_State *L = b->L;
  set_str(L, "kind", "method");
  set_str(L, "name", m->name);
  set_str(L, "full_name", m->full_name);
  set_node(b, "input", m->input, fill_message);
  set_node(b, "output", m->output, fill_message);
  set_bool(L, "client_streaming", m->client_streaming);
  set_bool(L, "server_streaming", m->server_streaming);
  set_node(b, "parent", m->parent, fill_service);
  set_options(L, &m->options);
  set_comments(L, &m->comments);
  set_loc(b, &m->loc);
}

static void fill_service(Bridge *b, const void *node) {
  const ms_Service *s = node;
  lua_State *L = b->L;
  set_str(L, "kind", "service");
  set_str(L, "name", s->name);
  set_str(L, "full_name", s->full_name);
  set_node(b, "file", s->file, fill_file);
  set_list(b, "methods", &s->methods, fill_method);
  set_options(L, &s->options);
  set_comments(L, &s->comments);
  set_loc(b, &s->loc);
}

static const char *source_language(const ms_File *f) {
  switch (f->syntax) {
    case MS_SYNTAX_FDL: return "fdl";
    case MS_SYNTAX_FBS: return "fbs";
    default: return "proto";
  }
}

/* ---- file.descriptor ------------------------------------------------------ */

static int push_writer_bytes(lua_State *L) {
  const ms_Writer *w = lua_touserdata(L, 1);
  lua_pushlstring(L, (const char *)w->data, w->len);
  return 1;
}

/* __index of a file's raw table: `descriptor`, the file's serialized
 * FileDescriptorProto, is encoded when first read and then kept. */
static int index_file(lua_State *L) {
  const char *key = lua_tostring(L, 2);
  if (!key || strcmp(key, "descriptor") != 0) return 0;
  Bridge *b = lua_touserdata(L, lua_upvalueindex(1));
  const ms_File *f = lua_touserdata(L, lua_upvalueindex(2));
  if (!b->descriptors) b->descriptors = ms_descriptor_encoder_new(b->c);
  ms_Writer w = {0};
  if (!ms_encode_file_descriptor(b->descriptors, f, &w)) return 0;
  /* pushed under protection, so that a memory error cannot leak the bytes */
  lua_pushcfunction(L, push_writer_bytes);
  lua_pushlightuserdata(L, &w);
  int status = lua_pcall(L, 1, 1, 0);
  ms_writer_free(&w);
  if (status != LUA_OK) return lua_error(L);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  return 1;
}

static void set_descriptor_loader(Bridge *b, const ms_File *f) {
  lua_State *L = b->L;
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, b);
  lua_pushlightuserdata(L, (void *)f);
  lua_pushcclosure(L, index_file, 2);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

/* ---- file.declarations: what a file weighs ---------------------------------- */

static long count_enum(const ms_Enum *e) { return 1 + (long)e->values.count; }

static long count_message(const ms_Message *m) {
  long n = 1 + (long)m->fields.count + (long)m->oneofs.count + (long)m->extensions.count;
  for (unsigned i = 0; i < m->messages.count; i++) n += count_message(m->messages.items[i]);
  for (unsigned i = 0; i < m->enums.count; i++) n += count_enum(m->enums.items[i]);
  return n;
}

/* Messages, fields, oneofs, enums, values, services, methods and extensions:
 * a measure of the work a file makes (host.parallel shares modules by it). */
static long count_declarations(const ms_File *f) {
  long n = (long)f->extensions.count;
  for (unsigned i = 0; i < f->messages.count; i++) n += count_message(f->messages.items[i]);
  for (unsigned i = 0; i < f->enums.count; i++) n += count_enum(f->enums.items[i]);
  for (unsigned i = 0; i < f->services.count; i++)
    n += 1 + (long)((const ms_Service *)f->services.items[i])->methods.count;
  return n;
}

static void fill_file(Bridge *b, const void *node) {
  const ms_File *f = node;
  lua_State *L = b->L;
  set_str(L, "kind", "file");
  set_str(L, "path", f->path);
  set_str(L, "disk_path", f->disk_path);
  set_bool(L, "builtin", f->builtin);
  set_str(L, "source", source_language(f));
  set_str(L, "syntax", ms_syntax_name(f->syntax));
  set_str(L, "edition", f->edition);
  set_str(L, "package", f->package);
  set_bool(L, "is_target", f->is_target);
  set_int(L, "declarations", count_declarations(f));
  lua_createtable(L, (int)f->imports.count, 0);
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    lua_createtable(L, 0, 5);
    set_str(L, "path", imp->path);
    set_bool(L, "public", imp->is_public);
    set_bool(L, "weak", imp->is_weak);
    set_bool(L, "option", imp->is_option);
    set_node(b, "file", imp->file, fill_file);
    make_read_only(L);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, "imports");
  set_list(b, "messages", &f->messages, fill_message);
  set_list(b, "enums", &f->enums, fill_enum);
  set_list(b, "services", &f->services, fill_service);
  set_list(b, "extensions", &f->extensions, fill_field);
  lua_newtable(L);
  for (unsigned i = 0, n = 0; i < f->messages.count; i++) {
    const ms_Message *m = f->messages.items[i];
    if (m->idl_kind != MS_IDL_UNION) continue;
    push(b, m, fill_message);
    lua_rawseti(L, -2, ++n);
  }
  make_read_only(L);
  lua_setfield(L, -2, "unions");
  set_str(L, "package_alias", f->package_alias);
  set_str(L, "root_type", f->root ? f->root->full_name : f->root_type);
  set_str(L, "file_identifier", f->file_identifier);
  set_str(L, "file_extension", f->file_extension);
  set_names(L, "attributes", &f->declared_attributes);
  set_options(L, &f->options);
  set_comments(L, &f->comments);
  ms_Loc start = {&f->source, 1, 1};
  push_loc(L, start);
  lua_setfield(L, -2, "loc");
  set_descriptor_loader(b, f);
}

/* ---- host.release(file) ---------------------------------------------------- */

/* Makes the proxy of `node`, if there is one and it is filled, unfilled
 * again (its slot in b->lazy still names the node). */
static void unfill(Bridge *b, const void *node) {
  lua_State *L = b->L;
  if (!push_known_node(b, node)) return;
  if (!is_unfilled(L, -1)) {
    push_unfilled_metatable(b);
    lua_setmetatable(L, -2);
  }
  lua_pop(L, 1);
}

static void unfill_list(Bridge *b, const ms_Vec *nodes, void (*each)(Bridge *, const void *)) {
  for (unsigned i = 0; i < nodes->count; i++) each(b, nodes->items[i]);
}

static void unfill_enum(Bridge *b, const void *node) {
  const ms_Enum *e = node;
  unfill_list(b, &e->values, unfill);
  unfill(b, e);
}

static void unfill_service(Bridge *b, const void *node) {
  const ms_Service *s = node;
  unfill_list(b, &s->methods, unfill);
  unfill(b, s);
}

static void unfill_message(Bridge *b, const void *node) {
  const ms_Message *m = node;
  unfill_list(b, &m->fields, unfill);
  unfill_list(b, &m->oneofs, unfill);
  unfill_list(b, &m->extensions, unfill);
  unfill_list(b, &m->messages, unfill_message);
  unfill_list(b, &m->enums, unfill_enum);
  unfill(b, m);
}

/* host.release(file): the tables of the file and of every node in it go
 * back to unconverted; read again, they are converted again. Emitters call
 * it when a module is written, so a run holds the model of the modules at
 * work (and of what they refer to), not of every module written so far. */
int host_release(lua_State *L) {
  Bridge *b = lua_touserdata(L, lua_upvalueindex(1));
  lua_Integer slot = 0;
  if (lua_istable(L, 1)) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->lazy);
    lua_pushvalue(L, 1);
    slot = lua_rawget(L, -2) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
  }
  if (slot < 1 || (size_t)slot > b->pending_count || b->pending[slot - 1].fill != fill_file)
    return luaL_argerror(L, 1, "a file of the schema model");
  const ms_File *f = b->pending[slot - 1].node;
  unfill_list(b, &f->messages, unfill_message);
  unfill_list(b, &f->enums, unfill_enum);
  unfill_list(b, &f->services, unfill_service);
  unfill_list(b, &f->extensions, unfill);
  unfill(b, f);
  return 0;
}

void push_schema(Bridge *b) {
  lua_State *L = b->L;
  lua_createtable(L, 0, 1); /* proxies die with the tables that hold them */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  b->lazy = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 1);
  set_list(b, "files", &b->c->schema.files, fill_file);
  make_read_only(L);
}
