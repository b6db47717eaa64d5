/* Plugin mode: a protoc CodeGeneratorRequest becomes the same model the
 * front ends build. Each FileDescriptorProto turns into an unlinked ms_File
 * (names as protoc wrote them, fully qualified), comments and locations come
 * from source_code_info, and the ordinary linker resolves and checks it all.
 *
 * Field numbers below are those of descriptor.proto and plugin.proto. */
#include "descriptor.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

typedef struct Decoder {
  ms_Compiler *c;
  ms_Arena *arena;
  ms_Table messages; /* full name (no dot) -> ms_Message*, for maps and groups */
  ms_Vec pending; /* PendingType*: fields whose message must be known first */
  bool malformed; /* bad wire data, or a descriptor protoc would never write */
  unsigned depth; /* of nested messages being read */
} Decoder;

/* Nested messages, as deep as the .proto parser allows: deeper nesting in a
 * request would only exhaust the stack (here and in the linker). */
#define MAX_NESTING 100

typedef struct PendingType {
  ms_Field *field;
  const char *type_name; /* without the leading dot */
  bool group;
} PendingType;

/* ms_read_tag, remembering when it stopped at malformed data: a nested
 * message's reader is a copy, so its errors must be carried up this way. */
static bool next_tag(Decoder *d, ms_Reader *r, uint32_t *number, uint32_t *wire_type) {
  if (ms_read_tag(r, number, wire_type)) return true;
  if (!r->ok) d->malformed = true;
  return false;
}

/* A name the descriptor must have (protoc always writes it); without one the
 * request is malformed, and "" keeps the decoder going. */
static const char *need(Decoder *d, const char *name) {
  if (name) return name;
  d->malformed = true;
  return "";
}

static char *read_string_len(Decoder *d, ms_Reader *r, size_t *len) {
  ms_Reader s = ms_read_bytes(r);
  *len = (size_t)(s.end - s.p);
  return ms_arena_strndup(d->arena, (const char *)s.p, *len);
}

static char *read_string(Decoder *d, ms_Reader *r) {
  size_t len;
  return read_string_len(d, r, &len);
}

static const char *join(Decoder *d, const char *scope, const char *name) {
  return scope && *scope ? ms_arena_printf(d->arena, "%s.%s", scope, name) : name;
}

/* ---- options -------------------------------------------------------------------------- */

static void add_option(Decoder *d, ms_Vec *options, const char *name, ms_ValueKind kind, const char *text, uint64_t u) {
  ms_Option *o = MS_NEW(d->arena, ms_Option);
  o->name = name;
  o->value.kind = kind;
  o->value.text = text;
  o->value.text_len = text ? (unsigned)strlen(text) : 0;
  o->value.u = u;
  o->value.d = (double)u;
  ms_vec_push(d->arena, options, o);
}

static void add_bool_option(Decoder *d, ms_Vec *options, const char *name, uint64_t v) {
  add_option(d, options, name, MS_VALUE_IDENT, v ? "true" : "false", 0);
}

/* FeatureSet { field_presence = 1; enum_type = 2; repeated_field_encoding = 3;
 * utf8_validation = 4; message_encoding = 5; json_format = 6; } */
static void read_features(Decoder *d, ms_Reader r, ms_Vec *options) {
  static const char *const names[] = {NULL,
                                      "features.field_presence",
                                      "features.enum_type",
                                      "features.repeated_field_encoding",
                                      "features.utf8_validation",
                                      "features.message_encoding",
                                      "features.json_format"};
  static const char *const values[][4] = {{0},
                                          {NULL, "EXPLICIT", "IMPLICIT", "LEGACY_REQUIRED"},
                                          {NULL, "OPEN", "CLOSED"},
                                          {NULL, "PACKED", "EXPANDED"},
                                          {NULL, NULL, "VERIFY", "NONE"},
                                          {NULL, "LENGTH_PREFIXED", "DELIMITED"},
                                          {NULL, "ALLOW", "LEGACY_BEST_EFFORT"}};
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    if (n >= 1 && n <= 6 && wt == 0) {
      uint64_t v = ms_read_varint(&r);
      if (v < 4 && values[n][v]) add_option(d, options, names[n], MS_VALUE_IDENT, values[n][v], 0);
    } else {
      ms_skip(&r, wt);
    }
  }
}

typedef struct OptionSpec {
  uint32_t number;
  const char *name; /* NULL: the features field */
  const char *const *values; /* an enum option's value names by number; NULL: a bool option */
} OptionSpec;

/* FieldOptions.OptionRetention: file.descriptor needs it to strip what protoc
 * strips from a descriptor set (descriptor_out.h). */
static const char *const retention_values[] = {"RETENTION_UNKNOWN", "RETENTION_RUNTIME", "RETENTION_SOURCE", NULL};

static void add_enum_option(Decoder *d, ms_Vec *options, const OptionSpec *spec, uint64_t v) {
  for (uint64_t i = 0; spec->values[i]; i++)
    if (i == v) add_option(d, options, spec->name, MS_VALUE_IDENT, spec->values[i], 0);
}

/* Known options of one options message; custom options (extensions) are not
 * named in a descriptor set without their definitions, so they are left out. */
static void read_options(Decoder *d, ms_Reader r, ms_Vec *options, const OptionSpec *specs) {
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    const OptionSpec *spec = NULL;
    for (const OptionSpec *s = specs; s->number; s++)
      if (s->number == n) spec = s;
    if (spec && !spec->name && wt == 2) {
      read_features(d, ms_read_bytes(&r), options);
    } else if (spec && spec->values && wt == 0) {
      add_enum_option(d, options, spec, ms_read_varint(&r));
    } else if (spec && spec->name && wt == 0) {
      add_bool_option(d, options, spec->name, ms_read_varint(&r));
    } else {
      ms_skip(&r, wt);
    }
  }
}

static const OptionSpec file_options[] = {{23, "deprecated", NULL}, {50, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec message_options[] = {{1, "message_set_wire_format", NULL},
                                             {3, "deprecated", NULL},
                                             {7, "map_entry", NULL},
                                             {12, NULL, NULL},
                                             {0, 0, NULL}};
static const OptionSpec field_options[] = {
    {2, "packed", NULL}, {3, "deprecated", NULL}, {17, "retention", retention_values}, {21, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec oneof_options[] = {{1, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec enum_options[] = {
    {2, "allow_alias", NULL}, {3, "deprecated", NULL}, {7, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec enum_value_options[] = {{1, "deprecated", NULL}, {2, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec service_options[] = {{33, "deprecated", NULL}, {34, NULL, NULL}, {0, 0, NULL}};
static const OptionSpec method_options[] = {{33, "deprecated", NULL}, {35, NULL, NULL}, {0, 0, NULL}};

/* ---- defaults ------------------------------------------------------------------------- */

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* protoc gives bytes defaults C-escaped. */
static ms_Value *unescape_bytes(Decoder *d, const char *s, size_t n) {
  char *out = ms_arena_alloc(d->arena, n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\' || i + 1 >= n) {
      out[o++] = s[i];
      continue;
    }
    char c = s[++i];
    if (c >= '0' && c <= '7') {
      int v = c - '0';
      for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; k++) v = v * 8 + (s[++i] - '0');
      out[o++] = (char)v;
    } else if (c == 'x' && i + 1 < n && hex_digit(s[i + 1]) >= 0) {
      int v = hex_digit(s[++i]);
      if (i + 1 < n && hex_digit(s[i + 1]) >= 0) v = v * 16 + hex_digit(s[++i]);
      out[o++] = (char)v;
    } else {
      const char *from = "abfnrtv", *to = "\a\b\f\n\r\t\v";
      const char *at = strchr(from, c);
      out[o++] = at ? to[at - from] : c;
    }
  }
  out[o] = '\0';
  ms_Value *v = MS_NEW(d->arena, ms_Value);
  v->kind = MS_VALUE_STRING;
  v->text = out;
  v->text_len = (unsigned)o;
  return v;
}

static ms_Value *default_value(Decoder *d, int type, const char *s, size_t len) {
  if (type == MS_TYPE_BYTES) return unescape_bytes(d, s, len);
  ms_Value *v = MS_NEW(d->arena, ms_Value);
  if (type == MS_TYPE_STRING) {
    v->kind = MS_VALUE_STRING;
    v->text = s;
    v->text_len = (unsigned)len;
    return v;
  }
  bool negative = s[0] == '-';
  const char *digits = negative ? s + 1 : s;
  if (type == MS_TYPE_BOOL || type == MS_TYPE_ENUM || type == 0 || strcmp(digits, "inf") == 0 ||
      strcmp(digits, "nan") == 0) {
    v->kind = MS_VALUE_IDENT;
    v->negative = negative && (strcmp(digits, "inf") == 0 || strcmp(digits, "nan") == 0);
    v->text = v->negative ? digits : s;
    v->text_len = (unsigned)strlen(v->text);
    return v;
  }
  if (type == MS_TYPE_FLOAT || type == MS_TYPE_DOUBLE) {
    v->kind = MS_VALUE_FLOAT;
    v->negative = negative;
    v->d = strtod(digits, NULL);
    v->text = digits;
    return v;
  }
  v->kind = MS_VALUE_INT;
  v->negative = negative;
  v->u = strtoull(digits, NULL, 10);
  v->d = (double)v->u;
  v->text = digits;
  return v;
}

/* ---- elements ------------------------------------------------------------------------- */

static ms_Field *read_field(Decoder *d, ms_Reader r, ms_File *file, ms_Message *parent, ms_Vec *oneof_of_field,
                            bool proto3) {
  ms_Field *f = MS_NEW(d->arena, ms_Field);
  f->kind = MS_KIND_FIELD;
  f->file = file;
  f->parent = parent;
  int label = 1, type = 0;
  const char *type_name = NULL, *extendee = NULL, *json_name = NULL, *def = NULL;
  size_t def_len = 0;
  int64_t oneof_index = -1;
  bool proto3_optional = false;
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    switch (n) {
      case 1: f->name = read_string(d, &r); break;
      case 2: extendee = read_string(d, &r); break;
      case 3: f->number = (int32_t)ms_read_varint(&r); break;
      case 4: label = (int)ms_read_varint(&r); break;
      case 5: type = (int)ms_read_varint(&r); break;
      case 6: type_name = read_string(d, &r); break;
      case 7: def = read_string_len(d, &r, &def_len); break;
      case 8: read_options(d, ms_read_bytes(&r), &f->options, field_options); break;
      case 9: oneof_index = (int32_t)ms_read_varint(&r); break;
      case 10: json_name = read_string(d, &r); break;
      case 17: proto3_optional = ms_read_varint(&r) != 0; break;
      default: ms_skip(&r, wt);
    }
  }
  f->name = need(d, f->name);
  /* extensions (read with no oneof list) name their extendee; plain fields do not */
  if ((extendee != NULL) != (oneof_of_field == NULL)) d->malformed = true;
  /* a message, group or enum field names its type; other types are 1..18 */
  if (!type_name && (type < MS_TYPE_DOUBLE || type > MS_TYPE_SINT64 || type == MS_TYPE_GROUP ||
                     type == MS_TYPE_MESSAGE || type == MS_TYPE_ENUM))
    d->malformed = true;
  /* labels as written: protoc reports singular fields of proto3 and editions
   * as LABEL_OPTIONAL whether or not "optional" was written */
  if (label == 3)
    f->written_label = MS_LABEL_REPEATED;
  else if (label == 2 && file->syntax != MS_SYNTAX_EDITIONS)
    f->written_label = MS_LABEL_REQUIRED;
  else if (file->syntax == MS_SYNTAX_PROTO2)
    f->written_label = oneof_index >= 0 ? MS_LABEL_NONE : MS_LABEL_OPTIONAL;
  else if (proto3 && proto3_optional)
    f->written_label = MS_LABEL_OPTIONAL;
  else
    f->written_label = MS_LABEL_NONE;
  if (extendee) {
    f->is_extension = true;
    f->extendee_name = extendee;
    f->extension_scope = parent;
  }
  if (type_name) {
    f->type_name = type_name;
    f->type = MS_TYPE_NAMED;
    if (type == MS_TYPE_GROUP || type == MS_TYPE_MESSAGE) {
      PendingType *p = MS_NEW(d->arena, PendingType);
      p->field = f;
      p->type_name = type_name[0] == '.' ? type_name + 1 : type_name;
      p->group = type == MS_TYPE_GROUP;
      ms_vec_push(d->arena, &d->pending, p);
    }
  } else {
    f->type = (ms_Type)type;
  }
  if (def) f->default_value = default_value(d, type == MS_TYPE_GROUP ? 0 : type, def, def_len);
  if (json_name && strcmp(json_name, ms_default_json_name(d->arena, f->name)) != 0 && !extendee) {
    f->json_name = json_name;
    f->has_json_name = true;
  }
  if (oneof_of_field) {
    /* remembered as (index) until the oneofs exist: stored in `extra` */
    f->extra = (void *)(intptr_t)(oneof_index + 1);
    (void)oneof_of_field;
  }
  return f;
}

static ms_Enum *read_enum(Decoder *d, ms_Reader r, ms_File *file, ms_Message *parent) {
  ms_Enum *e = MS_NEW(d->arena, ms_Enum);
  e->kind = MS_KIND_ENUM;
  e->file = file;
  e->parent = parent;
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    if (n == 1) {
      e->name = read_string(d, &r);
    } else if (n == 2) {
      ms_Reader vr = ms_read_bytes(&r);
      ms_EnumValue *v = MS_NEW(d->arena, ms_EnumValue);
      v->kind = MS_KIND_ENUM_VALUE;
      v->parent = e;
      uint32_t vn, vwt;
      while (next_tag(d, &vr, &vn, &vwt)) {
        if (vn == 1)
          v->name = read_string(d, &vr);
        else if (vn == 2)
          v->number = (int32_t)ms_read_varint(&vr);
        else if (vn == 3)
          read_options(d, ms_read_bytes(&vr), &v->options, enum_value_options);
        else
          ms_skip(&vr, vwt);
      }
      v->name = need(d, v->name);
      ms_vec_push(d->arena, &e->values, v);
    } else if (n == 3) {
      read_options(d, ms_read_bytes(&r), &e->options, enum_options);
    } else if (n == 4) {
      ms_Reader rr = ms_read_bytes(&r);
      ms_Range *range = MS_NEW(d->arena, ms_Range);
      uint32_t rn, rwt;
      while (next_tag(d, &rr, &rn, &rwt)) {
        if (rn == 1)
          range->start = (int32_t)ms_read_varint(&rr);
        else if (rn == 2)
          range->end = (int32_t)ms_read_varint(&rr); /* inclusive for enums */
        else
          ms_skip(&rr, rwt);
      }
      ms_vec_push(d->arena, &e->reserved_ranges, range);
    } else if (n == 5) {
      ms_ReservedName *rn = MS_NEW(d->arena, ms_ReservedName);
      rn->name = read_string(d, &r);
      ms_vec_push(d->arena, &e->reserved_names, rn);
    } else {
      ms_skip(&r, wt);
    }
  }
  e->name = need(d, e->name);
  return e;
}

static ms_Range *read_range(Decoder *d, ms_Reader r, bool exclusive_end, const OptionSpec *options) {
  ms_Range *range = MS_NEW(d->arena, ms_Range);
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    if (n == 1)
      range->start = (int32_t)ms_read_varint(&r);
    else if (n == 2)
      range->end = (int64_t)(int32_t)ms_read_varint(&r) - (exclusive_end ? 1 : 0);
    else if (n == 3 && options)
      ms_skip(&r, wt);
    else
      ms_skip(&r, wt);
  }
  return range;
}

static ms_Message *read_message(Decoder *d, ms_Reader r, ms_File *file, ms_Message *parent, const char *scope,
                                bool proto3) {
  ms_Message *m = MS_NEW(d->arena, ms_Message);
  m->kind = MS_KIND_MESSAGE;
  m->file = file;
  m->parent = parent;
  if (d->depth >= MAX_NESTING) {
    if (!d->malformed)
      ms_diag_plain(&d->c->diag, MS_ERROR, "messages are nested more than %d levels deep", MAX_NESTING);
    d->malformed = true;
    m->name = "";
    return m;
  }
  d->depth++;
  /* the name comes first in protoc's output, but do not rely on it */
  ms_Reader first = r;
  uint32_t n, wt;
  while (next_tag(d, &first, &n, &wt)) {
    if (n == 1) {
      m->name = read_string(d, &first);
      break;
    }
    ms_skip(&first, wt);
  }
  m->name = need(d, m->name);
  const char *full = join(d, scope, m->name);
  ms_table_put(&d->messages, full, m);
  while (next_tag(d, &r, &n, &wt)) {
    switch (n) {
      case 2: ms_vec_push(d->arena, &m->fields, read_field(d, ms_read_bytes(&r), file, m, &m->oneofs, proto3)); break;
      case 3: ms_vec_push(d->arena, &m->messages, read_message(d, ms_read_bytes(&r), file, m, full, proto3)); break;
      case 4: ms_vec_push(d->arena, &m->enums, read_enum(d, ms_read_bytes(&r), file, m)); break;
      case 5: ms_vec_push(d->arena, &m->extension_ranges, read_range(d, ms_read_bytes(&r), true, NULL)); break;
      case 6: ms_vec_push(d->arena, &m->extensions, read_field(d, ms_read_bytes(&r), file, m, NULL, proto3)); break;
      case 7: {
        read_options(d, ms_read_bytes(&r), &m->options, message_options);
        /* map_entry is implied by the map field, as in .proto text */
        for (unsigned i = 0; i < m->options.count; i++) {
          ms_Option *o = m->options.items[i];
          if (strcmp(o->name, "map_entry") == 0) {
            m->is_map_entry = true;
            m->options.items[i] = m->options.items[--m->options.count];
            i--;
          }
        }
        break;
      }
      case 8: {
        ms_Reader or = ms_read_bytes(&r);
        ms_Oneof *o = MS_NEW(d->arena, ms_Oneof);
        o->kind = MS_KIND_ONEOF;
        o->parent = m;
        uint32_t on, owt;
        while (next_tag(d, & or, &on, &owt)) {
          if (on == 1)
            o->name = read_string(d, & or);
          else if (on == 2)
            read_options(d, ms_read_bytes(& or), &o->options, oneof_options);
          else
            ms_skip(& or, owt);
        }
        o->name = need(d, o->name);
        o->index = m->oneofs.count;
        ms_vec_push(d->arena, &m->oneofs, o);
        break;
      }
      case 9: ms_vec_push(d->arena, &m->reserved_ranges, read_range(d, ms_read_bytes(&r), true, NULL)); break;
      case 10: {
        ms_ReservedName *rn = MS_NEW(d->arena, ms_ReservedName);
        rn->name = read_string(d, &r);
        ms_vec_push(d->arena, &m->reserved_names, rn);
        break;
      }
      default: ms_skip(&r, wt);
    }
  }
  /* Oneofs: members join their oneof; the synthetic oneofs of proto3
   * "optional" fields are left for the linker to make again. */
  ms_Vec real = {0};
  for (unsigned i = 0; i < m->oneofs.count; i++) {
    ms_Oneof *o = m->oneofs.items[i];
    bool synthetic = false;
    for (unsigned j = 0; j < m->fields.count; j++) {
      ms_Field *f = m->fields.items[j];
      if ((intptr_t)f->extra - 1 == (intptr_t)i && f->written_label == MS_LABEL_OPTIONAL && proto3) synthetic = true;
    }
    if (!synthetic) {
      o->index = real.count;
      ms_vec_push(d->arena, &real, o);
    }
  }
  for (unsigned j = 0; j < m->fields.count; j++) {
    ms_Field *f = m->fields.items[j];
    intptr_t index = (intptr_t)f->extra - 1;
    f->extra = NULL;
    if (index < 0 || index >= (intptr_t)m->oneofs.count) continue;
    ms_Oneof *o = m->oneofs.items[index];
    bool is_real = false;
    for (unsigned k = 0; k < real.count; k++) is_real = is_real || real.items[k] == o;
    if (!is_real) continue;
    f->oneof = o;
    if (f->written_label == MS_LABEL_OPTIONAL) f->written_label = MS_LABEL_NONE;
    ms_vec_push(d->arena, &o->fields, f);
  }
  m->oneofs = real;
  d->depth--;
  return m;
}

static ms_Service *read_service(Decoder *d, ms_Reader r, ms_File *file) {
  ms_Service *s = MS_NEW(d->arena, ms_Service);
  s->kind = MS_KIND_SERVICE;
  s->file = file;
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    if (n == 1) {
      s->name = read_string(d, &r);
    } else if (n == 2) {
      ms_Reader mr = ms_read_bytes(&r);
      ms_Method *m = MS_NEW(d->arena, ms_Method);
      m->kind = MS_KIND_METHOD;
      m->parent = s;
      uint32_t mn, mwt;
      while (next_tag(d, &mr, &mn, &mwt)) {
        switch (mn) {
          case 1: m->name = read_string(d, &mr); break;
          case 2: m->input_name = read_string(d, &mr); break;
          case 3: m->output_name = read_string(d, &mr); break;
          case 4: read_options(d, ms_read_bytes(&mr), &m->options, method_options); break;
          case 5: m->client_streaming = ms_read_varint(&mr) != 0; break;
          case 6: m->server_streaming = ms_read_varint(&mr) != 0; break;
          default: ms_skip(&mr, mwt);
        }
      }
      m->name = need(d, m->name);
      m->input_name = need(d, m->input_name);
      m->output_name = need(d, m->output_name);
      ms_vec_push(d->arena, &s->methods, m);
    } else if (n == 3) {
      read_options(d, ms_read_bytes(&r), &s->options, service_options);
    } else {
      ms_skip(&r, wt);
    }
  }
  s->name = need(d, s->name);
  return s;
}

/* ---- source code info -------------------------------------------------------------------- */

typedef struct Place {
  ms_Loc *loc;
  ms_Comment *comments;
} Place;

static Place place_in_message(ms_Message *m, const int32_t *path, int n);

static Place place_of_field(ms_Field *f, const int32_t *path, int n) {
  Place p = {NULL, NULL};
  if (n == 0) return (Place){&f->loc, &f->comments};
  if (n == 1 && path[0] == 1) return (Place){&f->name_loc, NULL};
  if (n == 1 && path[0] == 3) return (Place){&f->number_loc, NULL};
  if (n == 1 && (path[0] == 5 || path[0] == 6)) return (Place){&f->type_loc, NULL};
  if (n == 1 && path[0] == 4) return (Place){&f->label_loc, NULL};
  return p;
}

static Place place_of_enum(ms_Enum *e, const int32_t *path, int n) {
  if (n == 0) return (Place){NULL, &e->comments};
  if (n == 1 && path[0] == 1) return (Place){&e->loc, NULL};
  if (n >= 2 && path[0] == 2 && path[1] >= 0 && (unsigned)path[1] < e->values.count) {
    ms_EnumValue *v = e->values.items[path[1]];
    if (n == 2) return (Place){NULL, &v->comments};
    if (n == 3 && path[2] == 1) return (Place){&v->loc, NULL};
    if (n == 3 && path[2] == 2) return (Place){&v->number_loc, NULL};
  }
  return (Place){NULL, NULL};
}

static Place place_in_message(ms_Message *m, const int32_t *path, int n) {
  if (n == 0) return (Place){NULL, &m->comments};
  if (n == 1 && path[0] == 1) return (Place){&m->loc, NULL};
  if (n < 2 || path[1] < 0) return (Place){NULL, NULL};
  unsigned i = (unsigned)path[1];
  switch (path[0]) {
    case 2: return i < m->fields.count ? place_of_field(m->fields.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 3:
      return i < m->messages.count ? place_in_message(m->messages.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 4: return i < m->enums.count ? place_of_enum(m->enums.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 6:
      return i < m->extensions.count ? place_of_field(m->extensions.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 8:
      if (i < m->oneofs.count) {
        ms_Oneof *o = m->oneofs.items[i];
        if (n == 2) return (Place){NULL, &o->comments};
        if (n == 3 && path[2] == 1) return (Place){&o->loc, NULL};
      }
      return (Place){NULL, NULL};
    default: return (Place){NULL, NULL};
  }
}

static Place place_in_file(ms_File *f, ms_Vec *all_oneofs_unused, const int32_t *path, int n) {
  (void)all_oneofs_unused;
  if (n == 1 && path[0] == 12) return (Place){NULL, &f->comments};
  if (n == 1 && path[0] == 2) return (Place){&f->package_loc, NULL};
  if (n < 2 || path[1] < 0) return (Place){NULL, NULL};
  unsigned i = (unsigned)path[1];
  switch (path[0]) {
    case 4:
      return i < f->messages.count ? place_in_message(f->messages.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 5: return i < f->enums.count ? place_of_enum(f->enums.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 7:
      return i < f->extensions.count ? place_of_field(f->extensions.items[i], path + 2, n - 2) : (Place){NULL, NULL};
    case 6:
      if (i < f->services.count) {
        ms_Service *s = f->services.items[i];
        if (n == 2) return (Place){NULL, &s->comments};
        if (n == 3 && path[2] == 1) return (Place){&s->loc, NULL};
        if (n >= 4 && path[2] == 2 && path[3] >= 0 && (unsigned)path[3] < s->methods.count) {
          ms_Method *m = s->methods.items[path[3]];
          if (n == 4) return (Place){NULL, &m->comments};
          if (n == 5 && path[4] == 1) return (Place){&m->loc, NULL};
          if (n == 5 && path[4] == 2) return (Place){&m->input_loc, NULL};
          if (n == 5 && path[4] == 3) return (Place){&m->output_loc, NULL};
        }
      }
      return (Place){NULL, NULL};
    default: return (Place){NULL, NULL};
  }
}

static int read_packed_int32(ms_Reader *r, uint32_t wt, int32_t *out, int max, int count) {
  if (wt == 2) {
    ms_Reader p = ms_read_bytes(r);
    while (ms_reader_more(&p)) {
      int32_t v = (int32_t)ms_read_varint(&p);
      if (count < max) out[count] = v;
      count++;
    }
    if (!p.ok) r->ok = false;
  } else {
    int32_t v = (int32_t)ms_read_varint(r);
    if (count < max) out[count] = v;
    count++;
  }
  return count;
}

static void read_source_code_info(Decoder *d, ms_Reader r, ms_File *file) {
  uint32_t n, wt;
  while (next_tag(d, &r, &n, &wt)) {
    if (n != 1) {
      ms_skip(&r, wt);
      continue;
    }
    ms_Reader lr = ms_read_bytes(&r);
    int32_t path[64], span[4];
    int path_len = 0, span_len = 0;
    const char *leading = NULL, *trailing = NULL;
    ms_Vec detached = {0};
    uint32_t ln, lwt;
    while (next_tag(d, &lr, &ln, &lwt)) {
      switch (ln) {
        case 1: path_len = read_packed_int32(&lr, lwt, path, 64, path_len); break;
        case 2: span_len = read_packed_int32(&lr, lwt, span, 4, span_len); break;
        case 3: leading = read_string(d, &lr); break;
        case 4: trailing = read_string(d, &lr); break;
        case 6: ms_vec_push(d->arena, &detached, read_string(d, &lr)); break;
        default: ms_skip(&lr, lwt);
      }
    }
    if (path_len > 64 || span_len < 3) continue;
    Place p = place_in_file(file, NULL, path, path_len);
    if (p.loc && !p.loc->src) {
      p.loc->src = &file->source;
      p.loc->line = (unsigned)span[0] + 1;
      p.loc->col = (unsigned)span[1] + 1;
    }
    if (p.comments) {
      p.comments->leading = leading;
      p.comments->trailing = trailing;
      p.comments->detached = detached;
    }
  }
}

/* Fields whose location protoc did not record still get one: their
 * message's, so every diagnostic has a place. */
static void default_locations(ms_Message *m, ms_Loc fallback) {
  if (!m->loc.src) m->loc = fallback;
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    if (!f->name_loc.src) f->name_loc = m->loc;
    if (!f->loc.src) f->loc = f->name_loc;
    if (!f->number_loc.src) f->number_loc = f->name_loc;
    if (!f->type_loc.src) f->type_loc = f->name_loc;
    if (!f->label_loc.src) f->label_loc = f->name_loc;
  }
  for (unsigned i = 0; i < m->messages.count; i++) default_locations(m->messages.items[i], m->loc);
}

/* ---- files ------------------------------------------------------------------------------- */

/* protoc's bytes of the FileDescriptorProto, every field but source_code_info
 * (9), kept for file.descriptor: what protoc writes to a descriptor set. */
static void keep_descriptor_bytes(Decoder *d, ms_Reader r, ms_File *f) {
  uint8_t *kept = ms_arena_alloc(d->arena, (size_t)(r.end - r.p) + 1);
  size_t len = 0;
  uint32_t n, wt;
  const uint8_t *start = r.p;
  while (next_tag(d, &r, &n, &wt)) {
    ms_skip(&r, wt);
    if (n != 9) {
      memcpy(kept + len, start, (size_t)(r.p - start));
      len += (size_t)(r.p - start);
    }
    start = r.p;
  }
  f->descriptor_bytes = kept;
  f->descriptor_len = len;
}

static ms_File *read_file(Decoder *d, ms_Reader r) {
  ms_File *f = MS_NEW(d->arena, ms_File);
  f->kind = MS_KIND_FILE;
  f->syntax = MS_SYNTAX_PROTO2;
  f->syntax_written = true;
  keep_descriptor_bytes(d, r, f);
  ms_Vec public_index = {0}, weak_index = {0};
  /* syntax and package first: fields depend on them */
  ms_Reader head = r;
  uint32_t n, wt;
  while (next_tag(d, &head, &n, &wt)) {
    if (n == 1) {
      f->path = read_string(d, &head);
    } else if (n == 2) {
      f->package = read_string(d, &head);
    } else if (n == 12) {
      const char *syntax = read_string(d, &head);
      if (strcmp(syntax, "proto3") == 0)
        f->syntax = MS_SYNTAX_PROTO3;
      else if (strcmp(syntax, "editions") == 0)
        f->syntax = MS_SYNTAX_EDITIONS;
    } else if (n == 14) {
      uint64_t edition = ms_read_varint(&head);
      f->edition = edition == 1001 ? "2024" : edition == 1000 ? "2023" : NULL;
    } else {
      ms_skip(&head, wt);
    }
  }
  f->path = need(d, f->path);
  if (f->syntax == MS_SYNTAX_EDITIONS && !f->edition) f->edition = "2023";
  f->disk_path = f->path;
  /* whether it is a carried well-known type is decided by its descriptor once linked (builtin_match.h) */
  f->source.path = f->path;
  f->source.text = NULL;
  const char *scope = f->package ? f->package : "";
  bool proto3 = f->syntax == MS_SYNTAX_PROTO3;
  ms_Reader source_info = {0};
  bool has_source_info = false;
  while (next_tag(d, &r, &n, &wt)) {
    switch (n) {
      case 3: {
        ms_Import *imp = MS_NEW(d->arena, ms_Import);
        imp->path = read_string(d, &r);
        ms_vec_push(d->arena, &f->imports, imp);
        break;
      }
      case 15: {
        ms_Import *imp = MS_NEW(d->arena, ms_Import);
        imp->path = read_string(d, &r);
        imp->is_option = true;
        ms_vec_push(d->arena, &f->imports, imp);
        break;
      }
      case 10:
      case 11: {
        int32_t values[256];
        int count = read_packed_int32(&r, wt, values, 256, 0);
        for (int i = 0; i < count && i < 256; i++)
          ms_vec_push(d->arena, n == 10 ? &public_index : &weak_index, (void *)(intptr_t)values[i]);
        break;
      }
      case 4: ms_vec_push(d->arena, &f->messages, read_message(d, ms_read_bytes(&r), f, NULL, scope, proto3)); break;
      case 5: ms_vec_push(d->arena, &f->enums, read_enum(d, ms_read_bytes(&r), f, NULL)); break;
      case 6: ms_vec_push(d->arena, &f->services, read_service(d, ms_read_bytes(&r), f)); break;
      case 7: ms_vec_push(d->arena, &f->extensions, read_field(d, ms_read_bytes(&r), f, NULL, NULL, proto3)); break;
      case 8: read_options(d, ms_read_bytes(&r), &f->options, file_options); break;
      case 9:
        source_info = ms_read_bytes(&r);
        has_source_info = true;
        break;
      default: ms_skip(&r, wt);
    }
  }
  /* public and weak are indexes into the plain dependency list */
  unsigned plain = 0;
  for (unsigned i = 0; i < f->imports.count; i++) {
    ms_Import *imp = f->imports.items[i];
    if (imp->is_option) continue;
    for (unsigned k = 0; k < public_index.count; k++)
      if ((intptr_t)public_index.items[k] == (intptr_t)plain) imp->is_public = true;
    for (unsigned k = 0; k < weak_index.count; k++)
      if ((intptr_t)weak_index.items[k] == (intptr_t)plain) imp->is_weak = true;
    plain++;
  }
  if (has_source_info) read_source_code_info(d, source_info, f);
  ms_Loc start = {&f->source, 1, 1};
  for (unsigned i = 0; i < f->messages.count; i++) default_locations(f->messages.items[i], start);
  return f;
}

/* Map fields and groups name a message that protoc made from the field
 * itself: resolve those before linking, as the .proto parser does. */
static void resolve_pending(Decoder *d) {
  for (unsigned i = 0; i < d->pending.count; i++) {
    PendingType *p = d->pending.items[i];
    ms_Message *m = ms_table_get(&d->messages, p->type_name);
    if (!m) continue;
    if (m->is_map_entry && p->field->written_label == MS_LABEL_REPEATED) {
      p->field->map_entry = m;
      p->field->message_type = m;
      p->field->type = MS_TYPE_MESSAGE;
      /* the entry's own fields are written without labels in .proto text,
       * and protoc records no place for them: the map field's type is it */
      m->loc = p->field->name_loc;
      for (unsigned k = 0; k < m->fields.count; k++) {
        ms_Field *entry_field = m->fields.items[k];
        entry_field->written_label = MS_LABEL_NONE;
        entry_field->loc = entry_field->name_loc = entry_field->type_loc = entry_field->number_loc = p->field->type_loc;
      }
    } else if (p->group) {
      m->is_group = true;
      p->field->is_group_syntax = true;
      p->field->message_type = m;
      p->field->type = MS_TYPE_GROUP;
    }
  }
}

bool ms_load_code_generator_request(ms_Compiler *c, const void *data, size_t len, const char **parameter) {
  Decoder d = {0};
  d.c = c;
  d.arena = c->arena;
  ms_table_init(&d.messages);
  *parameter = "";
  ms_Vec targets = {0};
  ms_Reader r = ms_reader(data, len);
  uint32_t n, wt;
  while (ms_read_tag(&r, &n, &wt)) {
    if (n == 1) {
      ms_vec_push(c->arena, &targets, read_string(&d, &r));
    } else if (n == 2) {
      *parameter = read_string(&d, &r);
    } else if (n == 15) {
      ms_File *f = read_file(&d, ms_read_bytes(&r));
      if (ms_table_get(&c->files, f->path)) continue;
      ms_table_put(&c->files, f->path, f);
      f->order = c->schema.files.count;
      f->link_state = 2;
      ms_vec_push(c->arena, &c->schema.files, f);
    } else {
      ms_skip(&r, wt);
    }
  }
  if (!r.ok || d.malformed) {
    ms_diag_plain(&c->diag, MS_ERROR, "the CodeGeneratorRequest on stdin is malformed");
    ms_table_free(&d.messages);
    return false;
  }
  resolve_pending(&d);
  for (unsigned i = 0; i < c->schema.files.count; i++) {
    ms_File *f = c->schema.files.items[i];
    for (unsigned k = 0; k < f->imports.count; k++) {
      ms_Import *imp = f->imports.items[k];
      imp->file = ms_table_get(&c->files, imp->path);
      if (!imp->file)
        ms_diag_plain(&c->diag, MS_ERROR, "%s imports %s, which the request does not contain", f->path, imp->path);
    }
    for (unsigned k = 0; k < targets.count; k++)
      if (strcmp(targets.items[k], f->path) == 0) f->is_target = true;
  }
  ms_table_free(&d.messages);
  return ms_compiler_ok(c);
}
