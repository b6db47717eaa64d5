/* The model's files as serialized FileDescriptorProtos, as protoc writes
 * them into a descriptor set (FileDescriptor::CopyTo, CopyJsonNameTo, then
 * the source-retention strip of compiler/retention.cc). Fields are written
 * in field-number order, as protoc's serializer does. Options are built in
 * descriptor_options.c. Field numbers below are those of descriptor.proto. */
#include "descriptor_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor_options.h"
#include "lex.h"

typedef struct ms_DescriptorEncoder Encoder;

enum { SCRATCH_LIMIT = 4 << 20 }; /* bytes of temporaries kept between files */

ms_DescriptorEncoder *ms_descriptor_encoder_new(ms_Compiler *c) {
  Encoder *e = calloc(1, sizeof *e);
  if (!e) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  e->c = c;
  ms_table_init(&e->extensions);
  ms_table_init(&e->extensions_by_number);
  return e;
}

void ms_descriptor_encoder_free(ms_DescriptorEncoder *e) {
  if (!e) return;
  if (e->scratch) ms_arena_free(e->scratch);
  ms_table_free(&e->extensions);
  ms_table_free(&e->extensions_by_number);
  if (e->builtin) ms_compiler_free(e->builtin);
  free(e);
}

/* ---- values ---------------------------------------------------------------------------- */

/* `.pkg.Name`, the way descriptors name types and extendees. */
static void write_type_name(ms_Writer *w, uint32_t number, const char *full_name) {
  size_t n = strlen(full_name);
  ms_write_tag(w, number, 2);
  ms_write_varint(w, n + 1);
  ms_out_raw(w, ".", 1);
  ms_out_raw(w, full_name, n);
}

/* int32 fields: negative numbers take ten bytes, sign-extended. */
static void write_int32_field(ms_Writer *w, uint32_t number, int64_t v) {
  ms_write_varint_field(w, number, (uint64_t)(int64_t)(int32_t)v);
}

/* protoc's default JSON name: underscores dropped, the letter after one upper-cased. */
static void write_json_name(ms_Writer *w, const ms_Field *f) {
  if (f->json_name) {
    ms_out_string(w, 10, f->json_name);
    return;
  }
  size_t mark = ms_out_begin(w, 10);
  bool upper = false;
  for (const char *p = f->name; *p; p++) {
    if (*p == '_') {
      upper = true;
      continue;
    }
    char c = (upper && *p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
    ms_out_raw(w, &c, 1);
    upper = false;
  }
  ms_out_end(w, mark);
}

/* io::SimpleDtoa: 15 significant digits, 17 when 15 do not round-trip. */
static void format_double(char *buf, size_t size, double d) {
  if (isnan(d))
    snprintf(buf, size, "nan");
  else if (isinf(d))
    snprintf(buf, size, d < 0 ? "-inf" : "inf");
  else {
    snprintf(buf, size, "%.15g", d);
    if (strtod(buf, NULL) != d) snprintf(buf, size, "%.17g", d);
  }
}

/* io::SimpleFtoa: 6 significant digits, 9 when 6 do not round-trip. */
static void format_float(char *buf, size_t size, float f) {
  if (isnan(f))
    snprintf(buf, size, "nan");
  else if (isinf(f))
    snprintf(buf, size, f < 0 ? "-inf" : "inf");
  else {
    snprintf(buf, size, "%.6g", (double)f);
    if (strtof(buf, NULL) != f) snprintf(buf, size, "%.9g", (double)f);
  }
}

static double value_as_double(const ms_Value *v) {
  if (v->kind == MS_VALUE_IDENT) {
    if (strcmp(v->text, "nan") == 0) return NAN;
    return v->negative ? -INFINITY : INFINITY;
  }
  double d = v->kind == MS_VALUE_INT ? (double)v->u : v->d;
  return v->negative ? -d : d;
}

/* absl::CEscape, as protoc gives bytes defaults. */
static void write_c_escaped(ms_Writer *w, uint32_t number, const char *s, size_t n) {
  size_t mark = ms_out_begin(w, number);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char buf[5];
    const char *out = buf;
    size_t len = 2;
    switch (c) {
      case '\n': out = "\\n"; break;
      case '\r': out = "\\r"; break;
      case '\t': out = "\\t"; break;
      case '"': out = "\\\""; break;
      case '\'': out = "\\'"; break;
      case '\\': out = "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          buf[0] = (char)c;
          len = 1;
        } else {
          snprintf(buf, sizeof buf, "\\%03o", c);
          len = 4;
        }
    }
    ms_out_raw(w, out, len);
  }
  ms_out_end(w, mark);
}

/* default_value (7), as FieldDescriptor::DefaultValueAsString gives it. */
static void write_default_value(ms_Writer *w, const ms_Field *f) {
  const ms_Value *v = f->default_value;
  char buf[64];
  switch (f->type) {
    case MS_TYPE_STRING: ms_write_bytes_field(w, 7, v->text, v->text_len); return;
    case MS_TYPE_BYTES: write_c_escaped(w, 7, v->text, v->text_len); return;
    case MS_TYPE_DOUBLE: format_double(buf, sizeof buf, value_as_double(v)); break;
    case MS_TYPE_FLOAT: format_float(buf, sizeof buf, (float)value_as_double(v)); break;
    case MS_TYPE_BOOL:
    case MS_TYPE_ENUM: ms_out_string(w, 7, v->text ? v->text : ""); return;
    default:
      if (v->kind != MS_VALUE_INT) return;
      snprintf(buf, sizeof buf, "%s%llu", v->negative && v->u ? "-" : "", (unsigned long long)v->u);
  }
  ms_out_string(w, 7, buf);
}

/* ---- what the model does not keep --------------------------------------------------------
 * Two things protoc's descriptors carry are dropped by the .proto parser:
 * whether a method was written with a `{ ... }` body (protoc then writes an
 * options message, empty if nothing is in it), and edition 2024's `local` /
 * `export` before a message or enum (the `visibility` field). Both are read
 * back from the file's text: the first just after the method's output type,
 * the second from the tokens of edition 2024 files. */

/* Byte offsets of the file's line starts, for turning an ms_Loc into a position. */
static void index_lines(Encoder *e, const ms_File *f) {
  const char *text = f->source.text;
  size_t len = f->source.len, count = 1;
  for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + len - p))) != NULL; p++) count++;
  size_t *starts = ms_arena_alloc(e->scratch, count * sizeof *starts);
  size_t n = 0;
  starts[n++] = 0;
  for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + len - p))) != NULL; p++)
    starts[n++] = (size_t)(p + 1 - text);
  e->line_starts = starts;
  e->line_count = (unsigned)count;
}

static const char *text_at(Encoder *e, const ms_File *f, ms_Loc loc) {
  if (!f->source.text || loc.src != &f->source || loc.line == 0) return NULL;
  if (!e->line_starts) index_lines(e, f);
  if (loc.line > e->line_count) return NULL;
  size_t at = e->line_starts[loc.line - 1] + (loc.col ? loc.col - 1 : 0);
  return at < f->source.len ? f->source.text + at : NULL;
}

/* Past spaces and comments. */
static const char *skip_blank(const char *p, const char *end) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
      p++;
    } else if (*p == '/' && p + 1 < end && p[1] == '/') {
      while (p < end && *p != '\n') p++;
    } else if (*p == '/' && p + 1 < end && p[1] == '*') {
      for (p += 2; p + 1 < end && !(p[0] == '*' && p[1] == '/'); p++) {
      }
      p += 2;
    } else {
      break;
    }
  }
  return p < end ? p : end;
}

static bool is_name_char(char c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* `rpc M(A) returns (B) {...}` rather than `...;`: after the output type
 * name, its `)`, then `{`. */
static bool method_has_body(Encoder *e, const ms_File *f, const ms_Method *m) {
  const char *p = text_at(e, f, m->output_loc);
  if (!p) return false;
  const char *end = f->source.text + f->source.len;
  /* the dotted name, whose parts may be spaced out like any tokens */
  for (p = skip_blank(p, end); p < end && (is_name_char(*p) || *p == '.'); p = skip_blank(p, end))
    while (p < end && (is_name_char(*p) || *p == '.')) p++;
  if (p >= end || *p != ')') return false;
  p = skip_blank(p + 1, end);
  return p < end && *p == '{';
}

enum { VISIBILITY_LOCAL = 1, VISIBILITY_EXPORT = 2 }; /* descriptor.proto's SymbolVisibility */

typedef struct SourceFact {
  unsigned line, col; /* of the message or enum name */
  unsigned visibility;
} SourceFact;

typedef struct SourceFacts {
  SourceFact *items;
  unsigned count, cap;
} SourceFacts;

static void add_fact(Encoder *e, SourceFacts *facts, ms_Loc loc, unsigned visibility) {
  if (facts->count == facts->cap) {
    unsigned cap = facts->cap ? facts->cap * 2 : 64;
    SourceFact *grown = ms_arena_alloc(e->scratch, cap * sizeof *grown);
    if (facts->count) memcpy(grown, facts->items, facts->count * sizeof *grown);
    facts->items = grown;
    facts->cap = cap;
  }
  facts->items[facts->count++] = (SourceFact){loc.line, loc.col, visibility};
}

/* `local message Name` / `export enum Name`, in source order (so sorted by position). */
static void read_visibilities(Encoder *e, const ms_File *f, SourceFacts *facts) {
  if (!f->source.text) return;
  ms_Diag diag;
  ms_diag_init(&diag);
  ms_Lexer lx;
  ms_lex_init(&lx, e->scratch, &diag, &f->source);
  for (;;) {
    ms_Token t = ms_lex_next(&lx);
    if (t.kind == MS_TOK_EOF) break;
    bool local = ms_tok_is(&t, "local");
    if (!local && !ms_tok_is(&t, "export")) continue;
    const ms_Token *keyword = ms_lex_peek(&lx, 0), *name = ms_lex_peek(&lx, 1);
    if ((ms_tok_is(keyword, "message") || ms_tok_is(keyword, "enum")) && name->kind == MS_TOK_IDENT)
      add_fact(e, facts, name->loc, local ? VISIBILITY_LOCAL : VISIBILITY_EXPORT);
  }
  ms_diag_free(&diag);
}

static unsigned visibility_of(Encoder *e, const ms_File *f, ms_Loc name) {
  if (!f->edition || strcmp(f->edition, "2024") < 0) return 0;
  if (!e->facts) {
    e->facts = MS_NEW(e->scratch, SourceFacts);
    read_visibilities(e, f, e->facts);
  }
  unsigned lo = 0, hi = e->facts->count;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    const SourceFact *x = &e->facts->items[mid];
    if (x->line == name.line && x->col == name.col) return x->visibility;
    if (x->line < name.line || (x->line == name.line && x->col < name.col))
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

/* ---- elements -------------------------------------------------------------------------- */

static int label_number(const ms_Field *f) {
  if (f->label == MS_LABEL_REPEATED) return 3;
  /* editions have no `required`: LEGACY_REQUIRED is a feature, written as such */
  if (f->label == MS_LABEL_REQUIRED && f->file->syntax != MS_SYNTAX_EDITIONS) return 2;
  return 1;
}

static int type_number(const ms_Field *f) {
  /* editions have no groups: DELIMITED is a feature of a message field */
  if (f->type == MS_TYPE_GROUP && f->file->syntax == MS_SYNTAX_EDITIONS) return MS_TYPE_MESSAGE;
  return (int)f->type;
}

static int oneof_index(const ms_Field *f) {
  const ms_Message *m = f->parent;
  for (unsigned i = 0; m && i < m->oneofs.count; i++)
    if (m->oneofs.items[i] == f->oneof) return (int)i;
  return -1;
}

/* `map_field`: for the key and value of a map entry, the map field, whose
 * features protoc's parser copies onto both. */
static void write_field(Encoder *e, ms_Writer *w, uint32_t number, const ms_Field *f, const ms_Field *map_field) {
  size_t mark = ms_out_begin(w, number);
  ms_out_string(w, 1, f->name);
  if (f->is_extension && f->extendee) write_type_name(w, 2, f->extendee->full_name);
  write_int32_field(w, 3, f->number);
  ms_write_varint_field(w, 4, (uint64_t)label_number(f));
  ms_write_varint_field(w, 5, (uint64_t)type_number(f));
  if (f->message_type)
    write_type_name(w, 6, f->message_type->full_name);
  else if (f->enum_type)
    write_type_name(w, 6, f->enum_type->full_name);
  if (f->default_value) write_default_value(w, f);
  if (map_field)
    ms_write_options(e, w, 8, MS_OPTIONS_FIELD, &map_field->options, map_field->full_name, MS_OPTIONS_FEATURES_ONLY);
  else
    ms_write_options(e, w, 8, MS_OPTIONS_FIELD, &f->options, f->full_name, 0);
  if (f->oneof) write_int32_field(w, 9, oneof_index(f));
  write_json_name(w, f);
  if (f->proto3_optional) ms_write_varint_field(w, 17, 1);
  ms_out_end(w, mark);
}

static void write_enum(Encoder *e, ms_Writer *w, uint32_t number, const ms_Enum *en) {
  size_t mark = ms_out_begin(w, number);
  ms_out_string(w, 1, en->name);
  for (unsigned i = 0; i < en->values.count; i++) {
    const ms_EnumValue *v = en->values.items[i];
    size_t value_mark = ms_out_begin(w, 2);
    ms_out_string(w, 1, v->name);
    write_int32_field(w, 2, v->number);
    ms_write_options(e, w, 3, MS_OPTIONS_ENUM_VALUE, &v->options, v->full_name, 0);
    ms_out_end(w, value_mark);
  }
  ms_write_options(e, w, 3, MS_OPTIONS_ENUM, &en->options, en->full_name, 0);
  for (unsigned i = 0; i < en->reserved_ranges.count; i++) {
    const ms_Range *r = en->reserved_ranges.items[i];
    size_t range_mark = ms_out_begin(w, 4);
    write_int32_field(w, 1, r->start);
    write_int32_field(w, 2, r->end); /* inclusive in enums */
    ms_out_end(w, range_mark);
  }
  for (unsigned i = 0; i < en->reserved_names.count; i++)
    ms_out_string(w, 5, ((const ms_ReservedName *)en->reserved_names.items[i])->name);
  unsigned visibility = visibility_of(e, en->file, en->loc);
  if (visibility) ms_write_varint_field(w, 6, visibility);
  ms_out_end(w, mark);
}

static void write_extension_range(Encoder *e, ms_Writer *w, const ms_Message *m, const ms_Range *r) {
  size_t mark = ms_out_begin(w, 5);
  write_int32_field(w, 1, r->start);
  write_int32_field(w, 2, r->end + 1);
  ms_write_options(e, w, 3, MS_OPTIONS_RANGE, &r->options, m->full_name, 0);
  ms_out_end(w, mark);
}

static void write_reserved_range(ms_Writer *w, const ms_Range *r) {
  size_t mark = ms_out_begin(w, 9);
  write_int32_field(w, 1, r->start);
  write_int32_field(w, 2, r->end + 1);
  ms_out_end(w, mark);
}

static void write_oneof(Encoder *e, ms_Writer *w, const ms_Oneof *o) {
  size_t mark = ms_out_begin(w, 8);
  ms_out_string(w, 1, o->name);
  ms_write_options(e, w, 2, MS_OPTIONS_ONEOF, &o->options, o->full_name, 0);
  ms_out_end(w, mark);
}

/* The map field whose entry `m` is. */
static const ms_Field *map_field_of(const ms_Message *m) {
  for (unsigned i = 0; m->parent && i < m->parent->fields.count; i++) {
    const ms_Field *f = m->parent->fields.items[i];
    if (f->map_entry == m) return f;
  }
  return NULL;
}

static void write_message(Encoder *e, ms_Writer *w, uint32_t number, const ms_Message *m) {
  size_t mark = ms_out_begin(w, number);
  ms_out_string(w, 1, m->name);
  const ms_Field *map_field = m->is_map_entry ? map_field_of(m) : NULL;
  for (unsigned i = 0; i < m->fields.count; i++) write_field(e, w, 2, m->fields.items[i], map_field);
  for (unsigned i = 0; i < m->messages.count; i++) write_message(e, w, 3, m->messages.items[i]);
  for (unsigned i = 0; i < m->enums.count; i++) write_enum(e, w, 4, m->enums.items[i]);
  for (unsigned i = 0; i < m->extension_ranges.count; i++) write_extension_range(e, w, m, m->extension_ranges.items[i]);
  for (unsigned i = 0; i < m->extensions.count; i++) write_field(e, w, 6, m->extensions.items[i], NULL);
  ms_write_options(e, w, 7, MS_OPTIONS_MESSAGE, &m->options, m->full_name,
                   m->is_map_entry ? MS_OPTIONS_ADD_MAP_ENTRY : 0);
  for (unsigned i = 0; i < m->oneofs.count; i++) write_oneof(e, w, m->oneofs.items[i]);
  for (unsigned i = 0; i < m->reserved_ranges.count; i++) write_reserved_range(w, m->reserved_ranges.items[i]);
  for (unsigned i = 0; i < m->reserved_names.count; i++)
    ms_out_string(w, 10, ((const ms_ReservedName *)m->reserved_names.items[i])->name);
  unsigned visibility = visibility_of(e, m->file, m->loc);
  if (visibility) ms_write_varint_field(w, 11, visibility);
  ms_out_end(w, mark);
}

static void write_service(Encoder *e, ms_Writer *w, const ms_Service *s) {
  size_t mark = ms_out_begin(w, 6);
  ms_out_string(w, 1, s->name);
  for (unsigned i = 0; i < s->methods.count; i++) {
    const ms_Method *m = s->methods.items[i];
    size_t method_mark = ms_out_begin(w, 2);
    ms_out_string(w, 1, m->name);
    if (m->input) write_type_name(w, 2, m->input->full_name);
    if (m->output) write_type_name(w, 3, m->output->full_name);
    bool keep_empty = m->options.count == 0 && method_has_body(e, s->file, m);
    ms_write_options(e, w, 4, MS_OPTIONS_METHOD, &m->options, m->full_name, keep_empty ? MS_OPTIONS_KEEP_EMPTY : 0);
    if (m->client_streaming) ms_write_varint_field(w, 5, 1);
    if (m->server_streaming) ms_write_varint_field(w, 6, 1);
    ms_out_end(w, method_mark);
  }
  ms_write_options(e, w, 3, MS_OPTIONS_SERVICE, &s->options, s->full_name, 0);
  ms_out_end(w, mark);
}

/* ---- files ------------------------------------------------------------------------------- */

/* dependency (3): the plain imports; public (10) and weak (11) index them. */
static void write_dependencies(ms_Writer *w, const ms_File *f) {
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    if (!imp->is_option) ms_out_string(w, 3, imp->path);
  }
}

static void write_dependency_indexes(ms_Writer *w, const ms_File *f, uint32_t number, bool weak) {
  int plain = 0;
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    if (imp->is_option) continue;
    if (weak ? imp->is_weak : imp->is_public) write_int32_field(w, number, plain);
    plain++;
  }
}

static void write_syntax(ms_Writer *w, const ms_File *f) {
  if (f->syntax == MS_SYNTAX_PROTO3) {
    ms_out_string(w, 12, "proto3");
  } else if (f->syntax == MS_SYNTAX_EDITIONS) {
    ms_out_string(w, 12, "editions");
    /* Edition: EDITION_2023 = 1000, EDITION_2024 = 1001 */
    ms_write_varint_field(w, 14, f->edition && strcmp(f->edition, "2024") == 0 ? 1001 : 1000);
  }
}

static void write_file(Encoder *e, ms_Writer *w, const ms_File *f) {
  ms_out_string(w, 1, f->path);
  if (f->package) ms_out_string(w, 2, f->package);
  write_dependencies(w, f);
  for (unsigned i = 0; i < f->messages.count; i++) write_message(e, w, 4, f->messages.items[i]);
  for (unsigned i = 0; i < f->enums.count; i++) write_enum(e, w, 5, f->enums.items[i]);
  for (unsigned i = 0; i < f->services.count; i++) write_service(e, w, f->services.items[i]);
  for (unsigned i = 0; i < f->extensions.count; i++) write_field(e, w, 7, f->extensions.items[i], NULL);
  ms_write_options(e, w, 8, MS_OPTIONS_FILE, &f->options, f->package ? f->package : "", 0);
  write_dependency_indexes(w, f, 10, false);
  write_dependency_indexes(w, f, 11, true);
  write_syntax(w, f);
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    if (imp->is_option) ms_out_string(w, 15, imp->path);
  }
}

/* The scratch arena for one more file: one serves many files before it is renewed. */
static void start_file(Encoder *e) {
  if (e->scratch && ms_arena_bytes_used(e->scratch) > SCRATCH_LIMIT) {
    ms_arena_free(e->scratch);
    e->scratch = NULL;
  }
  if (!e->scratch) e->scratch = ms_arena_new();
  e->facts = NULL;
  e->line_starts = NULL;
}

bool ms_encode_file_descriptor(ms_DescriptorEncoder *e, const ms_File *f, ms_Writer *out) {
  if (f->descriptor_bytes) {
    start_file(e);
    size_t mark = out->len;
    if (!ms_canonical_descriptor(e, f->descriptor_bytes, f->descriptor_len, out)) {
      out->len = mark; /* unreadable: protoc's bytes as they came */
      ms_out_raw(out, f->descriptor_bytes, f->descriptor_len);
    }
    return true;
  }
  if (f->syntax == MS_SYNTAX_FDL || f->syntax == MS_SYNTAX_FBS) return false;
  start_file(e);
  write_file(e, out, f);
  e->facts = NULL;
  e->line_starts = NULL;
  return true;
}
