#include "model.h"

#include <string.h>

static const char *const type_names[] = {
    "", "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32",
    "bool", "string", "group", "message", "bytes", "uint32", "enum",
    "sfixed32", "sfixed64", "sint32", "sint64"};

const char *ms_type_name(ms_Type t) {
  return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "";
}

ms_Type ms_type_from_keyword(const char *s, unsigned len) {
  for (unsigned i = 1; i < sizeof type_names / sizeof *type_names; i++) {
    if (i == MS_TYPE_GROUP || i == MS_TYPE_MESSAGE || i == MS_TYPE_ENUM) continue;
    if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0)
      return (ms_Type)i;
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

bool ms_type_is_scalar(ms_Type t) {
  return t != MS_TYPE_NAMED && t != MS_TYPE_GROUP && t != MS_TYPE_MESSAGE;
}

bool ms_type_is_packable(ms_Type t) {
  return ms_type_is_scalar(t) && t != MS_TYPE_STRING && t != MS_TYPE_BYTES;
}

ms_Option *ms_find_option(const ms_Vec *options, const char *name) {
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (strcmp(o->name, name) == 0) return o;
  }
  return NULL;
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
