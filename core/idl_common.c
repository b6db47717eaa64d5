#include "idl_common.h"

#include <string.h>

bool ms_idl_name_in(const char *name, const char *const *names) {
  for (; *names; names++)
    if (strcmp(name, *names) == 0) return true;
  return false;
}

ms_Field *ms_idl_new_field(ms_Arena *arena, ms_File *file, ms_Message *parent) {
  ms_Field *f = MS_NEW(arena, ms_Field);
  f->kind = MS_KIND_FIELD;
  f->type = MS_TYPE_NAMED;
  f->file = file;
  f->parent = parent;
  f->idl = MS_NEW(arena, ms_IdlField);
  return f;
}

ms_Enum *ms_idl_new_enum(ms_Arena *arena, ms_File *file, ms_Message *parent) {
  ms_Enum *e = MS_NEW(arena, ms_Enum);
  e->kind = MS_KIND_ENUM;
  e->file = file;
  e->parent = parent;
  return e;
}

ms_Message *ms_idl_new_message(ms_Arena *arena, ms_File *file, ms_Message *parent, ms_IdlKind kind) {
  ms_Message *m = MS_NEW(arena, ms_Message);
  m->kind = MS_KIND_MESSAGE;
  m->file = file;
  m->parent = parent;
  m->idl_kind = kind;
  m->evolving = kind == MS_IDL_STRUCT ? 0 : kind == MS_IDL_TABLE ? 1 : -1;
  return m;
}

void ms_idl_add_union_oneof(ms_Arena *arena, ms_Message *u) {
  ms_Oneof *o = MS_NEW(arena, ms_Oneof);
  o->kind = MS_KIND_ONEOF;
  o->name = "value";
  o->parent = u;
  o->loc = u->loc;
  ms_vec_push(arena, &u->oneofs, o);
}

static bool same_name(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

static bool union_has_member_named(const ms_Message *u, const char *name) {
  for (unsigned i = 0; i < u->fields.count; i++)
    if (same_name(((const ms_Field *)u->fields.items[i])->name, name)) return true;
  for (unsigned i = 0; i < u->messages.count; i++)
    if (same_name(((const ms_Message *)u->messages.items[i])->name, name)) return true;
  return false;
}

void ms_idl_keep_union_oneof_clear_of_cases(ms_Arena *arena, ms_Message *u) {
  if (u->oneofs.count == 0) return;
  ms_Oneof *o = u->oneofs.items[0];
  while (union_has_member_named(u, o->name)) o->name = ms_arena_printf(arena, "%s_", o->name);
}

ms_Type ms_idl_wire_type(ms_Scalar s, const char *encoding) {
  bool fixed = encoding && strcmp(encoding, "fixed") == 0;
  if (encoding && strcmp(encoding, "array") == 0) return MS_TYPE_BYTES; /* no protobuf encoding */
  switch (s) {
    case MS_SCALAR_BOOL: return MS_TYPE_BOOL;
    case MS_SCALAR_INT8:
    case MS_SCALAR_INT16:
    case MS_SCALAR_INT32: return fixed ? MS_TYPE_SFIXED32 : MS_TYPE_INT32;
    case MS_SCALAR_INT64: return fixed ? MS_TYPE_SFIXED64 : MS_TYPE_INT64;
    case MS_SCALAR_UINT8:
    case MS_SCALAR_UINT16:
    case MS_SCALAR_UINT32: return fixed ? MS_TYPE_FIXED32 : MS_TYPE_UINT32;
    case MS_SCALAR_UINT64: return fixed ? MS_TYPE_FIXED64 : MS_TYPE_UINT64;
    case MS_SCALAR_FLOAT16:
    case MS_SCALAR_BFLOAT16:
    case MS_SCALAR_FLOAT32: return MS_TYPE_FLOAT;
    case MS_SCALAR_FLOAT64: return MS_TYPE_DOUBLE;
    case MS_SCALAR_STRING: return MS_TYPE_STRING;
    case MS_SCALAR_NONE: return MS_TYPE_NAMED;
    default: return MS_TYPE_BYTES;
  }
}

static void shape_from_ref(ms_Field *f, const ms_TypeRef *t) {
  f->type = ms_idl_wire_type(t->scalar, t->encoding);
  f->type_name = t->type_name;
  if (t->loc.src) f->type_loc = t->loc;
}

static ms_Field *entry_field(ms_Arena *arena, ms_Field *map, ms_Message *entry, const char *name, int number,
                             const ms_TypeRef *t) {
  ms_Field *x = ms_idl_new_field(arena, map->file, entry);
  x->name = name;
  x->number = number;
  x->written_label = MS_LABEL_NONE;
  x->idl->value = *t;
  shape_from_ref(x, t);
  x->loc = x->name_loc = x->number_loc = x->type_loc = t->loc.src ? t->loc : map->type_loc;
  ms_vec_push(arena, &entry->fields, x);
  return x;
}

void ms_idl_shape_field(ms_Arena *arena, ms_Field *f, ms_Message *parent, ms_Vec *nested) {
  ms_IdlField *idl = f->idl;
  switch (idl->collection) {
    case MS_COLLECTION_NONE:
      shape_from_ref(f, &idl->value);
      f->written_label = idl->nullable ? MS_LABEL_OPTIONAL : MS_LABEL_NONE;
      break;
    case MS_COLLECTION_LIST:
    case MS_COLLECTION_ARRAY:
      shape_from_ref(f, &idl->value);
      f->written_label = MS_LABEL_REPEATED;
      break;
    case MS_COLLECTION_MAP: {
      ms_Message *entry = ms_idl_new_message(arena, f->file, parent, MS_IDL_MESSAGE);
      entry->name = ms_map_entry_name(arena, f->name);
      entry->is_map_entry = true;
      entry->loc = f->loc;
      entry_field(arena, f, entry, "key", 1, &idl->key);
      entry_field(arena, f, entry, "value", 2, &idl->value);
      ms_vec_push(arena, nested, entry);
      f->map_entry = entry;
      f->message_type = entry;
      f->type = MS_TYPE_MESSAGE;
      f->written_label = MS_LABEL_REPEATED;
      break;
    }
  }
}

const char *ms_idl_snake_name(ms_Arena *arena, const char *name) {
  const char *dot = strrchr(name, '.');
  if (dot) name = dot + 1;
  size_t n = strlen(name), o = 0;
  char *out = ms_arena_alloc(arena, 2 * n + 1);
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0) {
      bool prev_lower = name[i - 1] >= 'a' && name[i - 1] <= 'z';
      bool next_lower = i + 1 < n && name[i + 1] >= 'a' && name[i + 1] <= 'z';
      if (prev_lower || next_lower) out[o++] = '_';
    }
    out[o++] = upper ? (char)(c + 32) : c;
  }
  out[o] = '\0';
  return out;
}

/* FlatBuffers' scalar type names, its own and the sized aliases. */
static const struct {
  const char *name;
  ms_Scalar scalar;
} scalar_words[] = {{"bool", MS_SCALAR_BOOL},     {"byte", MS_SCALAR_INT8},       {"ubyte", MS_SCALAR_UINT8},
                    {"short", MS_SCALAR_INT16},   {"ushort", MS_SCALAR_UINT16},   {"int", MS_SCALAR_INT32},
                    {"uint", MS_SCALAR_UINT32},   {"long", MS_SCALAR_INT64},      {"ulong", MS_SCALAR_UINT64},
                    {"float", MS_SCALAR_FLOAT32}, {"double", MS_SCALAR_FLOAT64},  {"int8", MS_SCALAR_INT8},
                    {"uint8", MS_SCALAR_UINT8},   {"int16", MS_SCALAR_INT16},     {"uint16", MS_SCALAR_UINT16},
                    {"int32", MS_SCALAR_INT32},   {"uint32", MS_SCALAR_UINT32},   {"int64", MS_SCALAR_INT64},
                    {"uint64", MS_SCALAR_UINT64}, {"float32", MS_SCALAR_FLOAT32}, {"float64", MS_SCALAR_FLOAT64},
                    {"string", MS_SCALAR_STRING}};

ms_Scalar ms_fbs_scalar(const char *name, unsigned len) {
  for (unsigned i = 0; i < sizeof scalar_words / sizeof *scalar_words; i++) {
    if (strlen(scalar_words[i].name) == len && memcmp(scalar_words[i].name, name, len) == 0)
      return scalar_words[i].scalar;
  }
  return MS_SCALAR_NONE;
}
