#define _DEFAULT_SOURCE
#include "lua_bridge.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "descriptor_out.h"
#include "embedded.h"
#include "version.h"

int luaopen_lpeg(lua_State *L);

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
  int cache;   /* registry ref: lightuserdata(node) -> proxy */
  int raws;    /* registry ref: array of raw tables waiting to be filled */
  Pending *pending; /* nodes whose tables are created but not filled yet */
  size_t pending_count, pending_cap;
  ms_DescriptorEncoder *descriptors; /* file.descriptor, made on first use */
} Bridge;

/* ---- read-only proxies --------------------------------------------------- */

static int refuse_write(lua_State *L) {
  return luaL_error(L, "the schema model is read-only (tried to set \"%s\")",
                    luaL_tolstring(L, 2, NULL));
}

static int proxy_len(lua_State *L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__index");
  lua_len(L, -1);
  return 1;
}

static int proxy_pairs(lua_State *L) {
  lua_getglobal(L, "next");
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__index");
  lua_remove(L, -2);
  lua_pushnil(L);
  return 3;
}

/* Replaces the table on top of the stack with a read-only proxy of it. */
static void make_read_only(lua_State *L) {
  lua_newtable(L);                 /* t proxy */
  lua_createtable(L, 0, 5);        /* t proxy mt */
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, refuse_write);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, proxy_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, proxy_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);         /* t proxy */
  lua_remove(L, -2);               /* proxy */
}

/* Pushes the proxy of a model node, creating an empty one on first sight.
 * Returns true when the node was new (its raw table must be filled). The raw
 * table is left below the proxy when new. */
static bool push_node(Bridge *b, const void *node) {
  lua_State *L = b->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->cache);
  lua_rawgetp(L, -1, node);
  if (!lua_isnil(L, -1)) {
    lua_remove(L, -2);
    return false;
  }
  lua_pop(L, 2);
  return true;
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

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}
static void set_bool(lua_State *L, const char *k, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}
static void set_int(lua_State *L, const char *k, long long v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void push_loc(lua_State *L, ms_Loc loc) {
  lua_createtable(L, 0, 3);
  if (loc.src) set_str(L, "file", loc.src->path);
  set_int(L, "line", loc.line);
  set_int(L, "col", loc.col);
  make_read_only(L);
}

static void set_loc(lua_State *L, ms_Loc loc) {
  push_loc(L, loc);
  lua_setfield(L, -2, "loc");
}

static void push_value(lua_State *L, const ms_Value *v) {
  switch (v->kind) {
    case MS_VALUE_INT:
      if (v->negative) lua_pushinteger(L, (lua_Integer)(0 - v->u));
      else if (v->u <= (uint64_t)LUA_MAXINTEGER) lua_pushinteger(L, (lua_Integer)v->u);
      else lua_pushnumber(L, (lua_Number)v->u);
      break;
    case MS_VALUE_FLOAT:
      lua_pushnumber(L, v->negative ? -v->d : v->d);
      break;
    case MS_VALUE_IDENT:
      if (!v->negative && strcmp(v->text, "true") == 0) lua_pushboolean(L, 1);
      else if (!v->negative && strcmp(v->text, "false") == 0) lua_pushboolean(L, 0);
      else if (v->negative) lua_pushfstring(L, "-%s", v->text);
      else lua_pushstring(L, v->text);
      break;
    case MS_VALUE_STRING:
      lua_pushlstring(L, v->text, v->text_len);
      break;
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

/* Pushes the proxy for `node`. The first time, an empty table and its proxy
 * are made and the node is queued to be filled later: the model is a graph
 * with cycles and long reference chains, so filling is a loop, not a
 * recursion (see fill_pending). */
static void push(Bridge *b, const void *node, FillFn fill) {
  lua_State *L = b->L;
  luaL_checkstack(L, 8, "schema model");
  if (!node) {
    lua_pushnil(L);
    return;
  }
  if (!push_node(b, node)) return;
  lua_newtable(L);          /* raw */
  if (b->pending_count == b->pending_cap) {
    b->pending_cap = b->pending_cap ? b->pending_cap * 2 : 1024;
    Pending *grown = realloc(b->pending, b->pending_cap * sizeof *grown);
    if (!grown) luaL_error(L, "out of memory");
    b->pending = grown;
  }
  b->pending[b->pending_count].node = node;
  b->pending[b->pending_count].fill = fill;
  b->pending_count++;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->raws);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)b->pending_count);
  lua_pop(L, 1);            /* raw */
  make_read_only(L);        /* proxy */
  remember_node(b, node);
}

/* Fills every queued table; filling may queue more. */
static void fill_pending(Bridge *b) {
  lua_State *L = b->L;
  while (b->pending_count > 0) {
    size_t i = --b->pending_count;
    Pending p = b->pending[i];
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->raws);
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_remove(L, -2);      /* raw */
    p.fill(b, p.node);
    lua_pop(L, 1);
  }
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
  const char *type_name = f->message_type ? f->message_type->full_name
                          : f->enum_type  ? f->enum_type->full_name
                                          : NULL;
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
  set_loc(L, f->name_loc);
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
  set_loc(L, o->loc);
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
  set_loc(L, v->loc);
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
  set_loc(L, e->loc);
}

static void set_ranges(lua_State *L, const char *k, const ms_Vec *ranges) {
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
  lua_createtable(L, (int)m->reserved_names.count, 0);
  for (unsigned i = 0; i < m->reserved_names.count; i++) {
    lua_pushstring(L, ((const ms_ReservedName *)m->reserved_names.items[i])->name);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, "reserved_names");
  set_options(L, &m->options);
  set_comments(L, &m->comments);
  set_loc(L, m->loc);
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
  set_loc(L, m->loc);
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
  set_loc(L, s->loc);
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
  lua_createtable(L, (int)f->declared_attributes.count, 0);
  for (unsigned i = 0; i < f->declared_attributes.count; i++) {
    lua_pushstring(L, ((const ms_ReservedName *)f->declared_attributes.items[i])->name);
    lua_rawseti(L, -2, i + 1);
  }
  make_read_only(L);
  lua_setfield(L, -2, "attributes");
  set_options(L, &f->options);
  set_comments(L, &f->comments);
  ms_Loc start = {&f->source, 1, 1};
  set_loc(L, start);
  set_descriptor_loader(b, f);
}

static void push_schema(Bridge *b) {
  lua_State *L = b->L;
  const ms_Vec *files = &b->c->schema.files;
  /* everything built here stays alive: collecting while building is waste */
  lua_gc(L, LUA_GCSTOP);
  lua_createtable(L, 0, 1);
  set_list(b, "files", files, fill_file);
  make_read_only(L);
  fill_pending(b);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
}

/* ---- host functions for the driver ---------------------------------------- */

static Bridge *bridge_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* host.write(path, content) */
static int host_write(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *content = luaL_checklstring(L, 2, &len);
  bool added = ms_output_add(b->out, &b->c->diag, path, content, len);
  if (added && lua_toboolean(L, 3)) ms_output_mark_extra(b->out);
  lua_pushboolean(L, added);
  return 1;
}

/* host.insert(path, point, text): text for an insertion point of an output
 * file; host.apply_insertions() puts them all in place (output.h). */
static int host_insert(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *path = luaL_checkstring(L, 1);
  const char *point = luaL_checkstring(L, 2);
  size_t len;
  const char *text = luaL_checklstring(L, 3, &len);
  ms_output_insert(b->out, path, point, text, len);
  return 0;
}

static int host_apply_insertions(lua_State *L) {
  Bridge *b = bridge_of(L);
  lua_pushboolean(L, ms_output_apply_insertions(b->out, &b->c->diag));
  return 1;
}

/* host.report(severity, message [, loc]) — loc is a model node's `loc` */
/* Emitters may meet one problem twice (a name collision seen by the message
 * module and by its gRPC companion): each diagnostic is printed once. */
static const char REPORTED_KEY = 'r';

static bool already_reported(lua_State *L, const char *sev, const char *msg, ms_Loc loc) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &REPORTED_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &REPORTED_KEY);
  }
  lua_pushfstring(L, "%s\n%s\n%s:%d:%d", sev, msg, loc.src ? loc.src->path : "", (int)loc.line, (int)loc.col);
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

static int host_report(lua_State *L) {
  Bridge *b = bridge_of(L);
  const char *sev = luaL_checkstring(L, 1);
  const char *msg = luaL_checkstring(L, 2);
  ms_Severity severity = strcmp(sev, "warning") == 0 ? MS_WARNING
                         : strcmp(sev, "note") == 0  ? MS_NOTE
                                                     : MS_ERROR;
  ms_Loc loc = {0};
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "file");
    const char *file = lua_tostring(L, -1);
    lua_getfield(L, 3, "line");
    lua_getfield(L, 3, "col");
    if (file) {
      for (unsigned i = 0; i < b->c->schema.files.count; i++) {
        const ms_File *f = b->c->schema.files.items[i];
        if (strcmp(f->source.path, file) == 0) loc.src = &f->source;
      }
      loc.line = (unsigned)lua_tointeger(L, -2);
      loc.col = (unsigned)lua_tointeger(L, -1);
    }
  }
  if (already_reported(L, sev, msg, loc)) return 0;
  if (loc.src) ms_diag_report(&b->c->diag, severity, loc, "%s", msg);
  else ms_diag_plain(&b->c->diag, severity, "%s", msg);
  return 0;
}

/* host.builtin_source(path) — the text of an embedded file ("emitters/python/moonstub/runtime.py") */
static int host_builtin_source(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  for (const ms_EmbeddedScript *s = ms_embedded_scripts; s->module; s++) {
    if (strcmp(s->path, path) == 0) {
      lua_pushlstring(L, s->source, s->len);
      return 1;
    }
  }
  return luaL_error(L, "no built-in file '%s'", path);
}

/* ---- embedded scripts ------------------------------------------------------ */

static int search_embedded(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  for (const ms_EmbeddedScript *s = ms_embedded_scripts; s->module; s++) {
    if (strcmp(s->module, name) != 0 || !s->lua) continue;
    const char *chunk = lua_pushfstring(L, "@%s", s->path);
    if (luaL_loadbufferx(L, s->source, s->len, chunk, "t") != LUA_OK)
      return luaL_error(L, "error loading module '%s':\n\t%s", name, lua_tostring(L, -1));
    lua_pushstring(L, s->path);
    return 2;
  }
  lua_pushfstring(L, "no built-in script '%s'", name);
  return 1;
}

/* Searches the folders in upvalue 1 (a Lua array of paths) for NAME.lua,
 * dots in NAME being folders. Used before the embedded scripts. */
static int search_folders(lua_State *L) {
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
      if (luaL_loadfilex(L, path, "t") != LUA_OK)
        return luaL_error(L, "error loading module '%s' from '%s':\n\t%s", name, path, lua_tostring(L, -1));
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

static void add_folder_searcher(lua_State *L, const char *const *dirs, unsigned count) {
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
static int search_builtin_prefix(lua_State *L) {
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

static void open_libraries(lua_State *L, const ms_Vec *dirs) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_LOADLIBNAME, luaopen_package, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, "lpeg", luaopen_lpeg, 1);
  lua_pop(L, 7);
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
enum { DEFAULT_BUDGET_SECONDS = 120 };

static lua_State *volatile budget_state;

static void stop_script(lua_State *L, lua_Debug *ar) {
  lua_sethook(L, NULL, 0, 0);
  lua_getinfo(L, "Sl", ar);
  lua_pushfstring(L, "%s:%d: budget of Lua CPU time exhausted (--lua-budget): is there an endless loop?",
                  ar->short_src, ar->currentline);
  lua_error(L);
}

static void on_budget_exhausted(int sig) {
  (void)sig;
  lua_State *L = budget_state;
  if (L) lua_sethook(L, stop_script, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void start_budget(lua_State *L, unsigned long seconds) {
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

static void stop_budget(void) {
  struct itimerval t;
  memset(&t, 0, sizeof t);
  setitimer(ITIMER_VIRTUAL, &t, NULL);
  budget_state = NULL;
}

/* host.load_script(path) — a user script (rules file, emitter) from disk, as
 * text, with its own path as chunk name. */
static int host_load_script(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
  return 1;
}

static int traceback_handler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

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
    lua_call(L, 2, 0);
    return 0;
  }
  lua_getglobal(L, "require");
  lua_pushliteral(L, "emitters.driver");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "run");
  push_schema(b);
  push_options(L, opts);
  lua_createtable(L, 0, 2);
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
  lua_pushcfunction(L, host_builtin_source);
  lua_setfield(L, -2, "builtin_source");
  lua_pushcfunction(L, host_load_script);
  lua_setfield(L, -2, "load_script");
  lua_pushliteral(L, MS_VERSION);
  lua_setfield(L, -2, "version");
  lua_call(L, 3, 0);
  return 0;
}

/* Lua's memory, counted against a limit: a script that allocates without
 * bound gets Lua's "not enough memory" error instead of exhausting the machine. */
typedef struct Budget {
  size_t used, limit;
} Budget;

static void *limited_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
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

enum { DEFAULT_MEMORY_MB = 8192 };

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

static void start_profile(lua_State *L) {
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &PROFILE_KEY);
  lua_sethook(L, profile_sample, LUA_MASKCOUNT, 997);
}

/* The 40 lines with the most samples, on stderr. */
static void report_profile(lua_State *L) {
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

bool ms_lua_run(ms_Compiler *c, ms_Output *out, const ms_RunOptions *opts) {
  Bridge b = {0};
  b.c = c;
  b.out = out;
  Budget memory = {0, (size_t)(opts->memory_mb ? opts->memory_mb : DEFAULT_MEMORY_MB) * 1024 * 1024};
  b.L = lua_newstate(limited_alloc, &memory);
  if (!b.L) {
    ms_diag_plain(&c->diag, MS_ERROR, "cannot create a Lua state");
    return false;
  }
  lua_State *L = b.L;
  open_libraries(L, &opts->lua_dirs);
  start_budget(L, opts->budget ? opts->budget : DEFAULT_BUDGET_SECONDS);
  bool profiling = getenv("MOONSTUB_LUA_PROFILE") != NULL;
  if (profiling) start_profile(L);
  lua_newtable(L);
  b.cache = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  b.raws = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushcfunction(L, traceback_handler);
  lua_pushcfunction(L, run_driver);
  lua_pushlightuserdata(L, &b);
  lua_pushlightuserdata(L, (void *)opts);
  int status = lua_pcall(L, 2, 0, 1);
  if (status == LUA_ERRMEM) {
    ms_diag_plain(&c->diag, MS_ERROR, "Lua scripts used more than %lu MB of memory (--lua-memory)",
                  opts->memory_mb ? opts->memory_mb : (unsigned long)DEFAULT_MEMORY_MB);
  } else if (status != LUA_OK) {
    /* a script error reads "script:line: message", then the traceback */
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(error object is not a string)";
    ms_diag_append(&c->diag, msg, strlen(msg));
    ms_diag_append(&c->diag, "\n", 1);
    c->diag.errors++;
  }
  stop_budget();
  if (profiling) report_profile(L);
  lua_close(L);
  free(b.pending);
  ms_descriptor_encoder_free(b.descriptors);
  return ms_compiler_ok(c);
}

/* ---- the search path ------------------------------------------------------------------ */

#include <dirent.h>
#include <sys/stat.h>

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
