#include "model.h"

#include <string.h>

static const char *const type_names[] = {"",        "double",   "float",    "int64",  "uint64",  "int32", "fixed64",
                                         "fixed32", "bool",     "string",   "group",  "message", "bytes", "uint32",
                                         "enum",    "sfixed32", "sfixed64", "sint32", "sint64"};

const char *ms_type_name(ms_Type t) {
  return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "";
}

ms_Type ms_type_from_keyword(const char *s, unsigned len) {
  for (unsigned i = 1; i < sizeof type_names / sizeof *type_names; i++) {
    if (i == MS_TYPE_GROUP || i == MS_TYPE_MESSAGE || i == MS_TYPE_ENUM) continue;
    if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0) return (ms_Type)i;
  }
  return MS_TYPE_NAMED;
}

const char *ms_label_name(ms_Label l) {
  switch (l) {
    case MS_LABEL_REQUIRED: return "required";
    case MS_LABEL_REPEATED: return "repeated";
    default: return "optional";
  }
}

const char *ms_syntax_name(ms_Syntax s) {
  switch (s) {
    case MS_SYNTAX_PROTO2: return "proto2";
    case MS_SYNTAX_PROTO3: return "proto3";
    case MS_SYNTAX_EDITIONS: return "editions";
    case MS_SYNTAX_FDL: return "fdl";
    default: return "fbs";
  }
}

bool ms_type_is_scalar(ms_Type t) { return t != MS_TYPE_NAMED && t != MS_TYPE_GROUP && t != MS_TYPE_MESSAGE; }

bool ms_type_is_packable(ms_Type t) { return ms_type_is_scalar(t) && t != MS_TYPE_STRING && t != MS_TYPE_BYTES; }

ms_Option *ms_find_option(const ms_Vec *options, const char *name) {
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (strcmp(o->name, name) == 0) return o;
  }
  return NULL;
}

bool ms_value_is_true(const ms_Value *v) { return v->kind == MS_VALUE_IDENT && strcmp(v->text, "true") == 0; }

bool ms_option_is_true(const ms_Vec *options, const char *name) {
  const ms_Option *o = ms_find_option(options, name);
  return o && ms_value_is_true(&o->value);
}

bool ms_ranges_contain(const ms_Vec *ranges, int64_t n) {
  for (unsigned i = 0; i < ranges->count; i++) {
    const ms_Range *r = ranges->items[i];
    if (n >= r->start && n <= r->end) return true;
  }
  return false;
}

const char *ms_default_json_name(ms_Arena *arena, const char *name) {
  size_t n = strlen(name);
  char *out = ms_arena_alloc(arena, n + 1);
  size_t o = 0;
  bool upper = false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c == '_') {
      upper = true;
      continue;
    }
    out[o++] = (upper && c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    upper = false;
  }
  out[o] = '\0';
  return out;
}

static const char *const scalar_names[] = {"",       "bool",   "int8",   "int16",     "int32",    "int64",   "uint8",
                                           "uint16", "uint32", "uint64", "float16",   "bfloat16", "float32", "float64",
                                           "string", "bytes",  "date",   "timestamp", "duration", "decimal", "any"};

const char *ms_scalar_name(ms_Scalar s) {
  return (unsigned)s < sizeof scalar_names / sizeof *scalar_names ? scalar_names[s] : "";
}

ms_Scalar ms_scalar_from_name(const char *s, unsigned len) {
  for (unsigned i = 1; i < sizeof scalar_names / sizeof *scalar_names; i++) {
    if (strlen(scalar_names[i]) == len && memcmp(scalar_names[i], s, len) == 0) return (ms_Scalar)i;
  }
  return MS_SCALAR_NONE;
}

const char *ms_collection_name(ms_Collection c) {
  switch (c) {
    case MS_COLLECTION_LIST: return "list";
    case MS_COLLECTION_ARRAY: return "array";
    case MS_COLLECTION_MAP: return "map";
    default: return NULL;
  }
}

const char *ms_idl_kind_name(ms_IdlKind k) {
  switch (k) {
    case MS_IDL_UNION: return "union";
    case MS_IDL_STRUCT: return "struct";
    case MS_IDL_TABLE: return "table";
    default: return "message";
  }
}

static uint32_t rotate_left(uint32_t x, unsigned r) { return (x << r) | (x >> (32 - r)); }

static uint32_t scramble_block(uint32_t k) {
  k *= 0xcc9e2d51u;
  k = rotate_left(k, 15);
  return k * 0x1b873593u;
}

uint32_t ms_fory_type_hash(const char *name) {
  const unsigned char *data = (const unsigned char *)name;
  size_t len = strlen(name), blocks = len / 4;
  uint32_t h = 0;
  for (size_t i = 0; i < blocks; i++) {
    const unsigned char *b = data + 4 * i;
    uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    h ^= scramble_block(k);
    h = rotate_left(h, 13) * 5 + 0xe6546b64u;
  }
  const unsigned char *tail = data + 4 * blocks;
  uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8; /* fall through */
    case 1: k ^= tail[0]; h ^= scramble_block(k);
  }
  h ^= (uint32_t)len;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}

char *ms_map_entry_name(ms_Arena *arena, const char *field_name) {
  size_t n = strlen(field_name);
  char *out = ms_arena_alloc(arena, n + 6);
  size_t o = 0;
  bool upper = true;
  for (size_t i = 0; i < n; i++) {
    char c = field_name[i];
    if (c == '_') {
      upper = true;
      continue;
    }
    out[o++] = (upper && c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    upper = false;
  }
  memcpy(out + o, "Entry", 6);
  return out;
}
