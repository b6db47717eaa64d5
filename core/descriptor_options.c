/* Options of descriptor elements, serialized as protoc writes them into a
 * descriptor set.
 *
 * protoc interprets every option into the element's *Options message, and
 * before writing a descriptor set it round-trips each FileDescriptorProto
 * through a DynamicMessage of the pool that compiled it, to strip the
 * options with source retention (compiler/retention.cc). What comes out is
 * canonical: the fields of each message in number order, custom options (the
 * pool knows their extensions) among them, two `(opt).a` and `(opt).b`
 * statements merged into one `opt` message, repeated scalars packed when
 * their field is. So options are built here as a tree of values per message
 * ("Built"), then written in that canonical order.
 *
 * The standard option messages come from google/protobuf/descriptor.proto:
 * the model's copy when the compilation loaded one (protoc's pool then has
 * it too), otherwise a built-in copy, compiled on first use. */
#include "descriptor_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- wire helpers ------------------------------------------------------------------ */

static void reserve(ms_Writer *w, size_t more) {
  if (w->len + more <= w->cap) return;
  size_t cap = w->cap ? w->cap * 2 : 1024;
  while (cap < w->len + more) cap *= 2;
  uint8_t *data = realloc(w->data, cap);
  if (!data) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  w->data = data;
  w->cap = cap;
}

void ms_out_raw(ms_Writer *w, const void *data, size_t len) {
  reserve(w, len);
  if (len) memcpy(w->data + w->len, data, len);
  w->len += len;
}

size_t ms_out_begin(ms_Writer *w, uint32_t number) {
  ms_write_tag(w, number, 2);
  reserve(w, 1);
  w->data[w->len++] = 0; /* the length, one byte until ms_out_end knows better */
  return w->len;
}

static unsigned varint_size(uint64_t v) {
  unsigned n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

void ms_out_end(ms_Writer *w, size_t mark) {
  size_t len = w->len - mark;
  unsigned size = varint_size(len);
  if (size > 1) {
    reserve(w, size - 1);
    memmove(w->data + mark + size - 1, w->data + mark, len);
    w->len += size - 1;
  }
  uint8_t *p = w->data + mark - 1;
  uint64_t v = len;
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p = (uint8_t)v;
}

void ms_out_string(ms_Writer *w, uint32_t number, const char *s) { ms_write_bytes_field(w, number, s, strlen(s)); }

void ms_out_fixed32(ms_Writer *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  ms_out_raw(w, b, 4);
}

void ms_out_fixed64(ms_Writer *w, uint64_t v) {
  ms_out_fixed32(w, (uint32_t)v);
  ms_out_fixed32(w, (uint32_t)(v >> 32));
}

/* ---- descriptor.proto ------------------------------------------------------------------ */

/* descriptor.proto (protoc 35) for compilations that do not load it
 * themselves: the descriptor messages and the option messages. Only what
 * shapes their encoding is kept: field numbers, types, enums and source
 * retention. */
static const char builtin_descriptor_proto[] =
    "syntax = \"proto2\";\n"
    "package google.protobuf;\n"
    "message FileDescriptorProto {\n"
    "  optional string name = 1; optional string package = 2; repeated string dependency = 3;\n"
    "  repeated int32 public_dependency = 10; repeated int32 weak_dependency = 11;\n"
    "  repeated string option_dependency = 15; repeated DescriptorProto message_type = 4;\n"
    "  repeated EnumDescriptorProto enum_type = 5; repeated ServiceDescriptorProto service = 6;\n"
    "  repeated FieldDescriptorProto extension = 7; optional FileOptions options = 8;\n"
    "  optional string syntax = 12; optional Edition edition = 14;\n"
    "}\n"
    "enum SymbolVisibility { VISIBILITY_UNSET = 0; VISIBILITY_LOCAL = 1; VISIBILITY_EXPORT = 2; }\n"
    "message DescriptorProto {\n"
    "  optional string name = 1; repeated FieldDescriptorProto field = 2;\n"
    "  repeated FieldDescriptorProto extension = 6; repeated DescriptorProto nested_type = 3;\n"
    "  repeated EnumDescriptorProto enum_type = 4;\n"
    "  message ExtensionRange { optional int32 start = 1; optional int32 end = 2;\n"
    "    optional ExtensionRangeOptions options = 3; }\n"
    "  repeated ExtensionRange extension_range = 5; repeated OneofDescriptorProto oneof_decl = 8;\n"
    "  optional MessageOptions options = 7;\n"
    "  message ReservedRange { optional int32 start = 1; optional int32 end = 2; }\n"
    "  repeated ReservedRange reserved_range = 9; repeated string reserved_name = 10;\n"
    "  optional SymbolVisibility visibility = 11;\n"
    "}\n"
    "message FieldDescriptorProto {\n"
    "  enum Type { TYPE_DOUBLE = 1; TYPE_FLOAT = 2; TYPE_INT64 = 3; TYPE_UINT64 = 4; TYPE_INT32 = 5;\n"
    "    TYPE_FIXED64 = 6; TYPE_FIXED32 = 7; TYPE_BOOL = 8; TYPE_STRING = 9; TYPE_GROUP = 10;\n"
    "    TYPE_MESSAGE = 11; TYPE_BYTES = 12; TYPE_UINT32 = 13; TYPE_ENUM = 14; TYPE_SFIXED32 = 15;\n"
    "    TYPE_SFIXED64 = 16; TYPE_SINT32 = 17; TYPE_SINT64 = 18; }\n"
    "  enum Label { LABEL_OPTIONAL = 1; LABEL_REPEATED = 3; LABEL_REQUIRED = 2; }\n"
    "  optional string name = 1; optional int32 number = 3; optional Label label = 4;\n"
    "  optional Type type = 5; optional string type_name = 6; optional string extendee = 2;\n"
    "  optional string default_value = 7; optional int32 oneof_index = 9;\n"
    "  optional string json_name = 10; optional FieldOptions options = 8;\n"
    "  optional bool proto3_optional = 17;\n"
    "}\n"
    "message OneofDescriptorProto { optional string name = 1; optional OneofOptions options = 2; }\n"
    "message EnumDescriptorProto {\n"
    "  optional string name = 1; repeated EnumValueDescriptorProto value = 2;\n"
    "  optional EnumOptions options = 3;\n"
    "  message EnumReservedRange { optional int32 start = 1; optional int32 end = 2; }\n"
    "  repeated EnumReservedRange reserved_range = 4; repeated string reserved_name = 5;\n"
    "  optional SymbolVisibility visibility = 6;\n"
    "}\n"
    "message EnumValueDescriptorProto { optional string name = 1; optional int32 number = 2;\n"
    "  optional EnumValueOptions options = 3; }\n"
    "message ServiceDescriptorProto { optional string name = 1; repeated MethodDescriptorProto method = 2;\n"
    "  optional ServiceOptions options = 3; }\n"
    "message MethodDescriptorProto { optional string name = 1; optional string input_type = 2;\n"
    "  optional string output_type = 3; optional MethodOptions options = 4;\n"
    "  optional bool client_streaming = 5; optional bool server_streaming = 6; }\n"
    "enum Edition { EDITION_UNKNOWN = 0; EDITION_LEGACY = 900; EDITION_PROTO2 = 998;\n"
    "  EDITION_PROTO3 = 999; EDITION_2023 = 1000; EDITION_2024 = 1001; EDITION_2026 = 1002;\n"
    "  EDITION_UNSTABLE = 9999; EDITION_1_TEST_ONLY = 1; EDITION_2_TEST_ONLY = 2;\n"
    "  EDITION_99997_TEST_ONLY = 99997; EDITION_99998_TEST_ONLY = 99998;\n"
    "  EDITION_99999_TEST_ONLY = 99999; EDITION_MAX = 0x7FFFFFFF; }\n"
    "message ExtensionRangeOptions {\n"
    "  repeated UninterpretedOption uninterpreted_option = 999;\n"
    "  message Declaration { optional int32 number = 1; optional string full_name = 2;\n"
    "    optional string type = 3; optional bool reserved = 5; optional bool repeated = 6; }\n"
    "  repeated Declaration declaration = 2 [retention = RETENTION_SOURCE];\n"
    "  optional FeatureSet features = 50;\n"
    "  enum VerificationState { DECLARATION = 0; UNVERIFIED = 1; }\n"
    "  optional VerificationState verification = 3 [retention = RETENTION_SOURCE];\n"
    "  extensions 1000 to max;\n"
    "}\n"
    "message FileOptions {\n"
    "  optional string java_package = 1; optional string java_outer_classname = 8;\n"
    "  optional bool java_multiple_files = 10; optional bool java_generate_equals_and_hash = 20;\n"
    "  optional bool java_string_check_utf8 = 27;\n"
    "  enum OptimizeMode { SPEED = 1; CODE_SIZE = 2; LITE_RUNTIME = 3; }\n"
    "  optional OptimizeMode optimize_for = 9; optional string go_package = 11;\n"
    "  optional bool cc_generic_services = 16; optional bool java_generic_services = 17;\n"
    "  optional bool py_generic_services = 18; optional bool deprecated = 23;\n"
    "  optional bool cc_enable_arenas = 31; optional string objc_class_prefix = 36;\n"
    "  optional string csharp_namespace = 37; optional string swift_prefix = 39;\n"
    "  optional string php_class_prefix = 40; optional string php_namespace = 41;\n"
    "  optional string php_metadata_namespace = 44; optional string ruby_package = 45;\n"
    "  optional FeatureSet features = 50;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999;\n"
    "  extensions 1000 to max;\n"
    "}\n"
    "message MessageOptions {\n"
    "  optional bool message_set_wire_format = 1; optional bool no_standard_descriptor_accessor = 2;\n"
    "  optional bool deprecated = 3; optional bool map_entry = 7;\n"
    "  optional bool deprecated_legacy_json_field_conflicts = 11; optional FeatureSet features = 12;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999;\n"
    "  extensions 1000 to max;\n"
    "}\n"
    "message FieldOptions {\n"
    "  enum CType { STRING = 0; CORD = 1; STRING_PIECE = 2; }\n"
    "  optional CType ctype = 1; optional bool packed = 2;\n"
    "  enum JSType { JS_NORMAL = 0; JS_STRING = 1; JS_NUMBER = 2; }\n"
    "  optional JSType jstype = 6; optional bool lazy = 5; optional bool unverified_lazy = 15;\n"
    "  optional bool deprecated = 3; optional bool weak = 10; optional bool debug_redact = 16;\n"
    "  enum OptionRetention { RETENTION_UNKNOWN = 0; RETENTION_RUNTIME = 1; RETENTION_SOURCE = 2; }\n"
    "  optional OptionRetention retention = 17;\n"
    "  enum OptionTargetType { TARGET_TYPE_UNKNOWN = 0; TARGET_TYPE_FILE = 1;\n"
    "    TARGET_TYPE_EXTENSION_RANGE = 2; TARGET_TYPE_MESSAGE = 3; TARGET_TYPE_FIELD = 4;\n"
    "    TARGET_TYPE_ONEOF = 5; TARGET_TYPE_ENUM = 6; TARGET_TYPE_ENUM_ENTRY = 7;\n"
    "    TARGET_TYPE_SERVICE = 8; TARGET_TYPE_METHOD = 9; }\n"
    "  repeated OptionTargetType targets = 19;\n"
    "  message EditionDefault { optional Edition edition = 3; optional string value = 2; }\n"
    "  repeated EditionDefault edition_defaults = 20;\n"
    "  optional FeatureSet features = 21;\n"
    "  message FeatureSupport { optional Edition edition_introduced = 1;\n"
    "    optional Edition edition_deprecated = 2; optional string deprecation_warning = 3;\n"
    "    optional Edition edition_removed = 4; optional string removal_error = 5; }\n"
    "  optional FeatureSupport feature_support = 22;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999;\n"
    "  extensions 1000 to max;\n"
    "}\n"
    "message OneofOptions { optional FeatureSet features = 1; extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999; extensions 1000 to max; }\n"
    "message EnumOptions { optional bool allow_alias = 2; optional bool deprecated = 3;\n"
    "  optional bool deprecated_legacy_json_field_conflicts = 6; optional FeatureSet features = 7;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999; extensions 1000 to max; }\n"
    "message EnumValueOptions { optional bool deprecated = 1; optional FeatureSet features = 2;\n"
    "  optional bool debug_redact = 3; optional FieldOptions.FeatureSupport feature_support = 4;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999; extensions 1000 to max; }\n"
    "message ServiceOptions { optional FeatureSet features = 34; optional bool deprecated = 33;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999; extensions 1000 to max; }\n"
    "message MethodOptions { optional bool deprecated = 33;\n"
    "  enum IdempotencyLevel { IDEMPOTENCY_UNKNOWN = 0; NO_SIDE_EFFECTS = 1; IDEMPOTENT = 2; }\n"
    "  optional IdempotencyLevel idempotency_level = 34; optional FeatureSet features = 35;\n"
    "  extensions 990 to 998;\n"
    "  repeated UninterpretedOption uninterpreted_option = 999; extensions 1000 to max; }\n"
    "message UninterpretedOption {\n"
    "  message NamePart { required string name_part = 1; required bool is_extension = 2; }\n"
    "  repeated NamePart name = 2; optional string identifier_value = 3;\n"
    "  optional uint64 positive_int_value = 4; optional int64 negative_int_value = 5;\n"
    "  optional double double_value = 6; optional bytes string_value = 7;\n"
    "  optional string aggregate_value = 8;\n"
    "}\n"
    "message FeatureSet {\n"
    "  enum FieldPresence { FIELD_PRESENCE_UNKNOWN = 0; EXPLICIT = 1; IMPLICIT = 2; LEGACY_REQUIRED = 3; }\n"
    "  optional FieldPresence field_presence = 1;\n"
    "  enum EnumType { ENUM_TYPE_UNKNOWN = 0; OPEN = 1; CLOSED = 2; }\n"
    "  optional EnumType enum_type = 2;\n"
    "  enum RepeatedFieldEncoding { REPEATED_FIELD_ENCODING_UNKNOWN = 0; PACKED = 1; EXPANDED = 2; }\n"
    "  optional RepeatedFieldEncoding repeated_field_encoding = 3;\n"
    "  enum Utf8Validation { UTF8_VALIDATION_UNKNOWN = 0; VERIFY = 2; NONE = 3; reserved 1; }\n"
    "  optional Utf8Validation utf8_validation = 4;\n"
    "  enum MessageEncoding { MESSAGE_ENCODING_UNKNOWN = 0; LENGTH_PREFIXED = 1; DELIMITED = 2; }\n"
    "  optional MessageEncoding message_encoding = 5;\n"
    "  enum JsonFormat { JSON_FORMAT_UNKNOWN = 0; ALLOW = 1; LEGACY_BEST_EFFORT = 2; }\n"
    "  optional JsonFormat json_format = 6;\n"
    "  enum EnforceNamingStyle { ENFORCE_NAMING_STYLE_UNKNOWN = 0; STYLE2024 = 1; STYLE_LEGACY = 2;\n"
    "    STYLE2026 = 3; }\n"
    "  optional EnforceNamingStyle enforce_naming_style = 7 [retention = RETENTION_SOURCE];\n"
    "  message VisibilityFeature {\n"
    "    enum DefaultSymbolVisibility { DEFAULT_SYMBOL_VISIBILITY_UNKNOWN = 0; EXPORT_ALL = 1;\n"
    "      EXPORT_TOP_LEVEL = 2; LOCAL_ALL = 3; STRICT = 4; }\n"
    "    reserved 1 to max;\n"
    "  }\n"
    "  optional VisibilityFeature.DefaultSymbolVisibility default_symbol_visibility = 8\n"
    "      [retention = RETENTION_SOURCE];\n"
    "  reserved 999;\n"
    "  extensions 1000 to 9994; extensions 9995 to 9999; extensions 10000;\n"
    "}\n";

static const char DESCRIPTOR_PROTO[] = "google/protobuf/descriptor.proto";

static const ms_File *descriptor_proto(ms_DescriptorEncoder *e) {
  if (e->descriptor_proto_tried) return e->descriptor_proto;
  e->descriptor_proto_tried = true;
  const ms_File *f = ms_table_get(&e->c->files, DESCRIPTOR_PROTO);
  if (f && f->syntax == MS_SYNTAX_PROTO2 && f->package && strcmp(f->package, "google.protobuf") == 0) {
    e->descriptor_proto = f;
    return f;
  }
  e->builtin = ms_compiler_new();
  ms_compiler_add_memory_file(e->builtin, DESCRIPTOR_PROTO, builtin_descriptor_proto);
  if (ms_compiler_add_target(e->builtin, DESCRIPTOR_PROTO) && ms_compiler_link(e->builtin))
    e->descriptor_proto = ms_table_get(&e->builtin->files, DESCRIPTOR_PROTO);
  return e->descriptor_proto;
}

static const char *const options_message_names[] = {"FileOptions",    "MessageOptions", "FieldOptions",
                                                    "OneofOptions",   "EnumOptions",    "EnumValueOptions",
                                                    "ServiceOptions", "MethodOptions",  "ExtensionRangeOptions"};

static const ms_Message *descriptor_message(ms_DescriptorEncoder *e, const char *name) {
  const ms_File *f = descriptor_proto(e);
  for (unsigned i = 0; f && i < f->messages.count; i++) {
    const ms_Message *m = f->messages.items[i];
    if (strcmp(m->name, name) == 0) return m;
  }
  return NULL;
}

static const ms_Message *options_message(ms_DescriptorEncoder *e, ms_OptionsKind kind) {
  if (e->options_messages[kind]) return e->options_messages[kind];
  const ms_File *f = descriptor_proto(e);
  for (unsigned i = 0; f && i < f->messages.count; i++) {
    const ms_Message *m = f->messages.items[i];
    if (strcmp(m->name, options_message_names[kind]) == 0) e->options_messages[kind] = m;
  }
  return e->options_messages[kind];
}

/* ---- looking things up ------------------------------------------------------------------ */

static const ms_Field *field_named(const ms_Message *m, const char *name, size_t len) {
  for (unsigned i = 0; i < m->fields.count; i++) {
    const ms_Field *f = m->fields.items[i];
    if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) return f;
  }
  return NULL;
}

/* An extension under its full name, and under "number:extendee". */
static void index_extension(ms_DescriptorEncoder *e, const ms_Field *f) {
  if (!f->full_name) return;
  ms_table_put(&e->extensions, f->full_name, (void *)f);
  if (f->extendee)
    ms_table_put(&e->extensions_by_number,
                 ms_arena_printf(e->c->arena, "%lld:%s", (long long)f->number, f->extendee->full_name), (void *)f);
}

static void index_extensions_of_message(ms_DescriptorEncoder *e, const ms_Message *m) {
  for (unsigned i = 0; i < m->extensions.count; i++) index_extension(e, m->extensions.items[i]);
  for (unsigned i = 0; i < m->messages.count; i++) index_extensions_of_message(e, m->messages.items[i]);
}

/* Every extension of the compilation, indexed on first need. */
static void index_extensions(ms_DescriptorEncoder *e) {
  if (e->extensions_indexed) return;
  e->extensions_indexed = true;
  const ms_Vec *files = &e->c->schema.files;
  for (unsigned i = 0; i < files->count; i++) {
    const ms_File *f = files->items[i];
    for (unsigned k = 0; k < f->extensions.count; k++) index_extension(e, f->extensions.items[k]);
    for (unsigned k = 0; k < f->messages.count; k++) index_extensions_of_message(e, f->messages.items[k]);
  }
}

static const ms_Field *extension_named(ms_DescriptorEncoder *e, const char *full_name, size_t len) {
  index_extensions(e);
  return ms_table_getn(&e->extensions, full_name, len);
}

/* An extension named in an option, looked up from `scope` outwards as protoc
 * does: pkg.Msg.name, pkg.name, name. */
static const ms_Field *extension_in_scope(ms_DescriptorEncoder *e, const char *name, size_t len, const char *scope) {
  if (len && name[0] == '.') return extension_named(e, name + 1, len - 1);
  size_t scope_len = scope ? strlen(scope) : 0;
  char *candidate = ms_arena_alloc(e->scratch, scope_len + len + 2);
  for (;;) {
    size_t n = 0;
    if (scope_len) {
      memcpy(candidate, scope, scope_len);
      candidate[scope_len] = '.';
      n = scope_len + 1;
    }
    memcpy(candidate + n, name, len);
    const ms_Field *f = extension_named(e, candidate, n + len);
    if (f || scope_len == 0) return f;
    while (scope_len > 0 && scope[scope_len - 1] != '.') scope_len--;
    if (scope_len > 0) scope_len--; /* the dot */
  }
}

static const ms_Message *message_in(const ms_Vec *messages, const char *full_name, size_t len) {
  for (unsigned i = 0; i < messages->count; i++) {
    const ms_Message *m = messages->items[i];
    size_t n = strlen(m->full_name);
    if (n == len && memcmp(m->full_name, full_name, len) == 0) return m;
    if (n < len && memcmp(m->full_name, full_name, n) == 0 && full_name[n] == '.') {
      const ms_Message *inner = message_in(&m->messages, full_name, len);
      if (inner) return inner;
    }
  }
  return NULL;
}

/* A message by full name, for Any values written `[type.googleapis.com/pkg.Msg] {...}`. */
static const ms_Message *message_named(ms_DescriptorEncoder *e, const char *full_name, size_t len) {
  const ms_Vec *files = &e->c->schema.files;
  for (unsigned i = 0; i < files->count; i++) {
    const ms_File *f = files->items[i];
    const ms_Message *m = message_in(&f->messages, full_name, len);
    if (m) return m;
  }
  return NULL;
}

/* ---- messages being built ------------------------------------------------------------------ */

typedef struct Built Built;

/* One value set on a message being built. */
typedef struct Setting {
  const ms_Field *field; /* NULL: a field unknown to the message, kept as read (tag and value in `bytes`) */
  unsigned order; /* when it was set: repeated values keep their order */
  uint64_t bits; /* varint and fixed-width values, ready for the wire */
  const char *bytes; /* string and bytes values */
  size_t len;
  Built *message; /* message and group values */
} Setting;

struct Built {
  const ms_Message *type;
  ms_Vec settings; /* Setting*, in the order set */
};

static Built *built_new(ms_DescriptorEncoder *e, const ms_Message *type) {
  Built *b = MS_NEW(e->scratch, Built);
  b->type = type;
  return b;
}

static bool holds_message(const ms_Field *f) { return f->type == MS_TYPE_MESSAGE || f->type == MS_TYPE_GROUP; }

static Setting *setting_of(const Built *b, const ms_Field *f) {
  for (unsigned i = 0; i < b->settings.count; i++) {
    Setting *s = b->settings.items[i];
    if (s->field == f) return s;
  }
  return NULL;
}

/* The setting a new value of `f` goes to: a new one for repeated fields, the
 * one already there for singular fields (a message merges, a scalar is
 * replaced, as parsing both from the wire would do). */
static Setting *setting_for(ms_DescriptorEncoder *e, Built *b, const ms_Field *f) {
  if (f->label != MS_LABEL_REPEATED) {
    Setting *s = setting_of(b, f);
    if (s) return s;
  }
  Setting *s = MS_NEW(e->scratch, Setting);
  s->field = f;
  s->order = b->settings.count;
  ms_vec_push(e->scratch, &b->settings, s);
  return s;
}

static Built *child_message(ms_DescriptorEncoder *e, Built *b, const ms_Field *f) {
  Setting *s = setting_for(e, b, f);
  if (!s->message) s->message = built_new(e, f->message_type);
  return s->message;
}

static void set_bits(ms_DescriptorEncoder *e, Built *b, const ms_Field *f, uint64_t bits) {
  setting_for(e, b, f)->bits = bits;
}

static void set_bytes(ms_DescriptorEncoder *e, Built *b, const ms_Field *f, const char *bytes, size_t len) {
  Setting *s = setting_for(e, b, f);
  s->bytes = bytes;
  s->len = len;
}

/* ---- writing built messages --------------------------------------------------------------- */

static bool has_source_retention(const ms_Field *f) {
  const ms_Option *o = ms_find_option(&f->options, "retention");
  return o && o->value.kind == MS_VALUE_IDENT && strcmp(o->value.text, "RETENTION_SOURCE") == 0;
}

/* Known fields by number, then unknown ones, each in the order set. */
static int compare_settings(const void *a, const void *b) {
  const Setting *x = *(Setting *const *)a, *y = *(Setting *const *)b;
  if (!x->field != !y->field) return x->field ? -1 : 1;
  if (x->field && x->field->number != y->field->number) return x->field->number < y->field->number ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_dropped(const Setting *s) { return s->field && has_source_retention(s->field); }

/* A singular scalar without presence (proto3, editions IMPLICIT) is not
 * written when it holds its zero value; the key and value of a map entry are. */
static bool is_implicit_zero(const Built *b, const Setting *s) {
  const ms_Field *f = s->field;
  if (!f || b->type->is_map_entry || f->has_presence || f->label == MS_LABEL_REPEATED || holds_message(f)) return false;
  return f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES ? s->len == 0 : s->bits == 0;
}

static bool is_options_message(const ms_Message *m) {
  size_t n = m ? strlen(m->full_name) : 0;
  return n > 23 && strncmp(m->full_name, "google.protobuf.", 16) == 0 && strcmp(m->full_name + n - 7, "Options") == 0;
}

static bool is_fixed32(ms_Type t) { return t == MS_TYPE_FIXED32 || t == MS_TYPE_SFIXED32 || t == MS_TYPE_FLOAT; }
static bool is_fixed64(ms_Type t) { return t == MS_TYPE_FIXED64 || t == MS_TYPE_SFIXED64 || t == MS_TYPE_DOUBLE; }

static void write_scalar_bits(ms_Writer *w, ms_Type t, uint64_t bits) {
  if (is_fixed32(t))
    ms_out_fixed32(w, (uint32_t)bits);
  else if (is_fixed64(t))
    ms_out_fixed64(w, bits);
  else
    ms_write_varint(w, bits);
}

static void write_built(ms_Writer *w, const Built *b);

static void write_setting(ms_Writer *w, const Setting *s) {
  const ms_Field *f = s->field;
  uint32_t n = (uint32_t)f->number;
  if (f->type == MS_TYPE_GROUP) {
    ms_write_tag(w, n, 3);
    if (s->message) write_built(w, s->message);
    ms_write_tag(w, n, 4);
  } else if (f->type == MS_TYPE_MESSAGE) {
    size_t mark = ms_out_begin(w, n);
    if (s->message) write_built(w, s->message);
    ms_out_end(w, mark);
  } else if (f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES) {
    ms_write_bytes_field(w, n, s->bytes, s->len);
  } else {
    ms_write_tag(w, n, is_fixed32(f->type) ? 5 : is_fixed64(f->type) ? 1 : 0);
    write_scalar_bits(w, f->type, s->bits);
  }
}

/* Settings in canonical order: by field number, repeated values as set. */
static Setting **sorted_settings(const Built *b) {
  Setting **sorted = malloc((b->settings.count + 1) * sizeof *sorted);
  if (!sorted) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  for (unsigned i = 0; i < b->settings.count; i++) sorted[i] = b->settings.items[i];
  qsort(sorted, b->settings.count, sizeof *sorted, compare_settings);
  return sorted;
}

/* An extension of a message with message_set_wire_format, as a MessageSet
 * item: group 1 { type_id = 2; message = 3; }. */
static void write_message_set_item(ms_Writer *w, const Setting *s) {
  ms_write_tag(w, 1, 3);
  ms_write_varint_field(w, 2, (uint64_t)s->field->number);
  size_t mark = ms_out_begin(w, 3);
  if (s->message) write_built(w, s->message);
  ms_out_end(w, mark);
  ms_write_tag(w, 1, 4);
}

static bool has_lasting_setting(const Built *b);

/* An options message whose every option had source retention is left out
 * (protoc drops it), though one written empty, `rpc M(A) returns (B) {}`, stays. */
static bool is_emptied_options(const Setting *s) {
  return s->message && is_options_message(s->field->message_type) && s->message->settings.count > 0 &&
         !has_lasting_setting(s->message);
}

static void write_built(ms_Writer *w, const Built *b) {
  Setting **sorted = sorted_settings(b);
  for (unsigned i = 0; i < b->settings.count; i++) {
    const Setting *s = sorted[i];
    const ms_Field *f = s->field;
    if (!f) {
      ms_out_raw(w, s->bytes, s->len);
      continue;
    }
    if (has_source_retention(f) || is_implicit_zero(b, s) || is_emptied_options(s)) continue;
    if (b->type->message_set_wire_format && f->is_extension && f->type == MS_TYPE_MESSAGE) {
      write_message_set_item(w, s);
      continue;
    }
    if (f->label == MS_LABEL_REPEATED && f->packed) {
      size_t mark = ms_out_begin(w, (uint32_t)f->number);
      for (; i < b->settings.count && sorted[i]->field == f; i++) write_scalar_bits(w, f->type, sorted[i]->bits);
      i--;
      ms_out_end(w, mark);
      continue;
    }
    write_setting(w, s);
  }
  free(sorted);
}

static bool has_lasting_setting(const Built *b) {
  for (unsigned i = 0; i < b->settings.count; i++)
    if (!is_dropped(b->settings.items[i])) return true;
  return false;
}

/* ---- messages read from the wire ---------------------------------------------------------
 * Plugin mode: protoc's request carries FileDescriptorProtos as CopyTo made
 * them; those of the files it imports are not stripped, and their custom
 * options come in the order protoc interpreted them. Reading one into a Built
 * of google.protobuf.FileDescriptorProto, the model's extensions known, and
 * writing it back is protoc's own round trip before a descriptor set. */

enum { MAX_WIRE_DEPTH = 100 };

static const ms_Field *field_numbered(const ms_Message *m, int64_t number) {
  for (unsigned i = 0; i < m->fields.count; i++) {
    const ms_Field *f = m->fields.items[i];
    if (f->number == number) return f;
  }
  return NULL;
}

static const ms_Field *extension_numbered(ms_DescriptorEncoder *e, const ms_Message *extendee, int64_t number) {
  index_extensions(e);
  char key[32];
  snprintf(key, sizeof key, "%lld:", (long long)number);
  size_t n = strlen(key), len = strlen(extendee->full_name);
  char *full = ms_arena_alloc(e->scratch, n + len + 1);
  memcpy(full, key, n);
  memcpy(full + n, extendee->full_name, len + 1);
  return ms_table_get(&e->extensions_by_number, full);
}

static void keep_unknown(ms_DescriptorEncoder *e, Built *b, const uint8_t *start, const uint8_t *end) {
  Setting *s = MS_NEW(e->scratch, Setting);
  s->order = b->settings.count;
  s->bytes = (const char *)start;
  s->len = (size_t)(end - start);
  ms_vec_push(e->scratch, &b->settings, s);
}

/* A little-endian fixed-width value; clears r->ok when the bytes run out. */
static void read_fixed(ms_Reader *r, unsigned size, uint64_t *v) {
  if (!r->ok || (size_t)(r->end - r->p) < size) {
    r->ok = false;
    return;
  }
  *v = 0;
  for (unsigned i = 0; i < size; i++) *v |= (uint64_t)r->p[i] << (8 * i);
  r->p += size;
}

/* A varint as the field keeps it: 32-bit kinds truncated (and sign-extended
 * when signed), booleans 0 or 1. */
static uint64_t varint_for(ms_Type t, uint64_t v) {
  switch (t) {
    case MS_TYPE_INT32:
    case MS_TYPE_ENUM: return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    case MS_TYPE_UINT32:
    case MS_TYPE_SINT32: return (uint32_t)v;
    case MS_TYPE_BOOL: return v != 0;
    default: return v;
  }
}

static bool read_scalar(ms_DescriptorEncoder *e, Built *b, const ms_Field *f, ms_Reader *r) {
  uint64_t v = 0;
  if (is_fixed32(f->type))
    read_fixed(r, 4, &v);
  else if (is_fixed64(f->type))
    read_fixed(r, 8, &v);
  else
    v = varint_for(f->type, ms_read_varint(r));
  if (!r->ok) return false;
  set_bits(e, b, f, v);
  return true;
}

static unsigned wire_type_of(const ms_Field *f) {
  if (f->type == MS_TYPE_GROUP) return 3;
  if (f->type == MS_TYPE_MESSAGE || f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES) return 2;
  return is_fixed32(f->type) ? 5 : is_fixed64(f->type) ? 1 : 0;
}

static bool read_message(ms_DescriptorEncoder *e, Built *b, ms_Reader *r, uint32_t group, unsigned depth);

/* One value of known field `f` whose wire type fits it. */
static bool read_value(ms_DescriptorEncoder *e, Built *b, const ms_Field *f, uint32_t wt, ms_Reader *r,
                       unsigned depth) {
  if (wt == 3) return read_message(e, child_message(e, b, f), r, (uint32_t)f->number, depth + 1);
  if (wt == 2 && f->type == MS_TYPE_MESSAGE) {
    ms_Reader sub = ms_read_bytes(r);
    return r->ok && read_message(e, child_message(e, b, f), &sub, 0, depth + 1);
  }
  if (wt == 2 && (f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES)) {
    ms_Reader sub = ms_read_bytes(r);
    set_bytes(e, b, f, (const char *)sub.p, (size_t)(sub.end - sub.p));
    return r->ok;
  }
  if (wt == 2) { /* a packed run of a repeated scalar */
    ms_Reader sub = ms_read_bytes(r);
    while (r->ok && ms_reader_more(&sub))
      if (!read_scalar(e, b, f, &sub)) return false;
    return r->ok && sub.ok;
  }
  return read_scalar(e, b, f, r);
}

static bool read_message(ms_DescriptorEncoder *e, Built *b, ms_Reader *r, uint32_t group, unsigned depth) {
  if (depth > MAX_WIRE_DEPTH || !b->type) return false;
  for (;;) {
    const uint8_t *start = r->p;
    uint32_t n, wt;
    if (!ms_read_tag(r, &n, &wt)) return r->ok && group == 0;
    if (wt == 4) return n == group;
    const ms_Field *f = field_numbered(b->type, n);
    if (!f) f = extension_numbered(e, b->type, n);
    bool fits = f && (wt == wire_type_of(f) ||
                      (wt == 2 && f->label == MS_LABEL_REPEATED && wire_type_of(f) != 2 && wire_type_of(f) != 3));
    if (fits && (holds_message(f) ? f->message_type != NULL : true)) {
      if (!read_value(e, b, f, wt, r, depth)) return false;
      continue;
    }
    ms_skip(r, wt);
    if (!r->ok) return false;
    keep_unknown(e, b, start, r->p);
  }
}

bool ms_canonical_descriptor(ms_DescriptorEncoder *e, const void *data, size_t len, ms_Writer *out) {
  const ms_Message *type = descriptor_message(e, "FileDescriptorProto");
  if (!type) return false;
  Built *b = built_new(e, type);
  ms_Reader r = ms_reader(data, len);
  if (!read_message(e, b, &r, 0, 0)) return false;
  write_built(out, b);
  return true;
}

/* ---- scalar values ---------------------------------------------------------------------- */

static uint64_t bits_of_integer(ms_Type t, bool negative, uint64_t magnitude) {
  int64_t v = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
  switch (t) {
    case MS_TYPE_SINT32: return (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)((int32_t)v >> 31));
    case MS_TYPE_SINT64: return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    case MS_TYPE_FIXED32:
    case MS_TYPE_SFIXED32: return (uint32_t)v;
    case MS_TYPE_UINT32: return (uint32_t)v;
    case MS_TYPE_INT32: return (uint64_t)(int64_t)(int32_t)v;
    default: return (uint64_t)v;
  }
}

static uint64_t bits_of_float(ms_Type t, double d) {
  if (t == MS_TYPE_FLOAT) {
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
  }
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static bool is_integer_type(ms_Type t) {
  switch (t) {
    case MS_TYPE_INT32:
    case MS_TYPE_INT64:
    case MS_TYPE_UINT32:
    case MS_TYPE_UINT64:
    case MS_TYPE_SINT32:
    case MS_TYPE_SINT64:
    case MS_TYPE_FIXED32:
    case MS_TYPE_FIXED64:
    case MS_TYPE_SFIXED32:
    case MS_TYPE_SFIXED64: return true;
    default: return false;
  }
}

static bool enum_number(const ms_Enum *e, const char *name, size_t len, int64_t *number) {
  if (!e) return false;
  for (unsigned i = 0; i < e->values.count; i++) {
    const ms_EnumValue *v = e->values.items[i];
    if (strlen(v->name) == len && memcmp(v->name, name, len) == 0) {
      *number = v->number;
      return true;
    }
  }
  return false;
}

static bool word_is(const char *s, size_t len, const char *word) {
  return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool is_float_word(const char *s, size_t len) {
  return word_is(s, len, "inf") || word_is(s, len, "infinity") || word_is(s, len, "nan");
}

/* inf, -inf, nan; protoc's NaN is positive even when written -nan. */
static double float_word_value(const char *s, size_t len, bool negative) {
  if (len == 3 && (s[0] == 'n' || s[0] == 'N')) return NAN;
  return negative ? -INFINITY : INFINITY;
}

/* The wire bits of an option statement's value for a scalar field. */
static bool bits_of_option_value(const ms_Field *f, const ms_Value *v, uint64_t *bits) {
  size_t len = v->text ? strlen(v->text) : 0;
  if (is_integer_type(f->type)) {
    if (v->kind != MS_VALUE_INT) return false;
    *bits = bits_of_integer(f->type, v->negative, v->u);
    return true;
  }
  switch (f->type) {
    case MS_TYPE_FLOAT:
    case MS_TYPE_DOUBLE:
      if (v->kind == MS_VALUE_INT)
        *bits = bits_of_float(f->type, v->negative ? -(double)v->u : (double)v->u);
      else if (v->kind == MS_VALUE_FLOAT)
        *bits = bits_of_float(f->type, v->negative ? -v->d : v->d);
      else if (v->kind == MS_VALUE_IDENT && is_float_word(v->text, len))
        *bits = bits_of_float(f->type, float_word_value(v->text, len, v->negative));
      else
        return false;
      return true;
    case MS_TYPE_BOOL:
      if (v->kind != MS_VALUE_IDENT || v->negative) return false;
      if (!word_is(v->text, len, "true") && !word_is(v->text, len, "false")) return false;
      *bits = v->text[0] == 't';
      return true;
    case MS_TYPE_ENUM: {
      int64_t number;
      if (v->kind != MS_VALUE_IDENT || !enum_number(f->enum_type, v->text, len, &number)) return false;
      *bits = (uint64_t)number;
      return true;
    }
    default: return false;
  }
}

/* ---- the text format of aggregate values ------------------------------------------------ */

typedef struct Text {
  ms_DescriptorEncoder *e;
  const char *p, *end;
  unsigned depth;
} Text;

enum { MAX_TEXT_DEPTH = 100 };

static void skip_space_and_comments(Text *t) {
  while (t->p < t->end) {
    char c = *t->p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      t->p++;
    } else if (c == '#' || (c == '/' && t->p + 1 < t->end && t->p[1] == '/')) {
      while (t->p < t->end && *t->p != '\n') t->p++;
    } else if (c == '/' && t->p + 1 < t->end && t->p[1] == '*') {
      t->p += 2;
      while (t->p + 1 < t->end && !(t->p[0] == '*' && t->p[1] == '/')) t->p++;
      t->p = t->p + 1 < t->end ? t->p + 2 : t->end;
    } else {
      return;
    }
  }
}

static bool at_symbol(Text *t, char c) {
  skip_space_and_comments(t);
  return t->p < t->end && *t->p == c;
}

static bool take_symbol(Text *t, char c) {
  if (!at_symbol(t, c)) return false;
  t->p++;
  return true;
}

static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static bool take_identifier(Text *t, const char **s, size_t *len) {
  skip_space_and_comments(t);
  if (t->p >= t->end || !is_ident_start(*t->p)) return false;
  *s = t->p;
  while (t->p < t->end && is_ident_char(*t->p)) t->p++;
  *len = (size_t)(t->p - *s);
  return true;
}

/* A number token: digits, letters, dots and an exponent's sign. */
static bool take_number(Text *t, const char **s, size_t *len) {
  skip_space_and_comments(t);
  const char *p = t->p;
  if (p >= t->end || !((*p >= '0' && *p <= '9') || (*p == '.' && p + 1 < t->end && p[1] >= '0' && p[1] <= '9')))
    return false;
  bool hex = p + 1 < t->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
  while (p < t->end &&
         (is_ident_char(*p) || *p == '.' || ((*p == '+' || *p == '-') && !hex && (p[-1] == 'e' || p[-1] == 'E'))))
    p++;
  *s = t->p;
  *len = (size_t)(p - t->p);
  t->p = p;
  return true;
}

static int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

/* An integer token (decimal, 0x hex, 0 octal) as a magnitude. */
static bool integer_of(const char *s, size_t len, uint64_t *out) {
  unsigned base = 10;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    len -= 2;
  } else if (len > 1 && s[0] == '0') {
    base = 8;
    s++;
    len--;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    int d = digit_value(s[i]);
    if (d >= (int)base || v > (UINT64_MAX - (uint64_t)d) / base) return false;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return len > 0;
}

static bool float_of(const char *s, size_t len, double *out) {
  char buf[128];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  if (buf[len - 1] == 'f' || buf[len - 1] == 'F') len--;
  buf[len] = '\0';
  uint64_t u;
  if (integer_of(buf, len, &u)) {
    *out = (double)u;
    return true;
  }
  char *end;
  *out = strtod(buf, &end);
  return end == buf + len;
}

static void append_utf8(char *out, size_t *o, uint32_t c) {
  if (c < 0x80) {
    out[(*o)++] = (char)c;
  } else if (c < 0x800) {
    out[(*o)++] = (char)(0xC0 | (c >> 6));
    out[(*o)++] = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out[(*o)++] = (char)(0xE0 | (c >> 12));
    out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[(*o)++] = (char)(0x80 | (c & 0x3F));
  } else {
    out[(*o)++] = (char)(0xF0 | (c >> 18));
    out[(*o)++] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[(*o)++] = (char)(0x80 | (c & 0x3F));
  }
}

/* One escape after a backslash at s[*i]; appends its bytes. */
static void unescape_one(const char *s, size_t n, size_t *i, char *out, size_t *o) {
  char c = s[*i];
  if (c >= '0' && c <= '7') {
    unsigned v = 0;
    for (int k = 0; k < 3 && *i < n && s[*i] >= '0' && s[*i] <= '7'; k++) v = v * 8 + (unsigned)(s[(*i)++] - '0');
    out[(*o)++] = (char)v;
    return;
  }
  (*i)++;
  if ((c == 'x' || c == 'X') && *i < n && digit_value(s[*i]) < 16) {
    unsigned v = 0;
    for (int k = 0; k < 2 && *i < n && digit_value(s[*i]) < 16; k++) v = v * 16 + (unsigned)digit_value(s[(*i)++]);
    out[(*o)++] = (char)v;
  } else if (c == 'u' || c == 'U') {
    uint32_t v = 0;
    for (int k = 0; k < (c == 'u' ? 4 : 8) && *i < n && digit_value(s[*i]) < 16; k++)
      v = v * 16 + (uint32_t)digit_value(s[(*i)++]);
    append_utf8(out, o, v);
  } else {
    const char *from = "abfnrtv", *to = "\a\b\f\n\r\t\v";
    const char *at = strchr(from, c);
    out[(*o)++] = at && c ? to[at - from] : c;
  }
}

/* The next quoted piece of a string at t->p: its text between the quotes. */
static bool take_quoted(Text *t, const char **s, size_t *len) {
  if (!at_symbol(t, '"') && !at_symbol(t, '\'')) return false;
  char quote = *t->p++;
  *s = t->p;
  while (t->p < t->end && *t->p != quote) t->p += (*t->p == '\\' && t->p + 1 < t->end) ? 2 : 1;
  if (t->p >= t->end) return false;
  *len = (size_t)(t->p - *s);
  t->p++;
  return true;
}

static void unescape_into(const char *s, size_t n, char *out, size_t *o) {
  for (size_t i = 0; i < n;) {
    if (s[i] == '\\' && i + 1 < n) {
      i++;
      unescape_one(s, n, &i, out, o);
    } else {
      out[(*o)++] = s[i++];
    }
  }
}

/* One or more adjacent quoted strings, unescaped and joined, in the scratch arena. */
static bool take_string(Text *t, const char **bytes, size_t *len) {
  const char *start = t->p, *s;
  size_t n, cap = 0;
  unsigned pieces = 0;
  while (take_quoted(t, &s, &n)) {
    cap += n;
    pieces++;
  }
  if (pieces == 0) return false;
  const char *after = t->p;
  char *out = ms_arena_alloc(t->e->scratch, cap * 2 + 1); /* a \u escape may grow */
  size_t o = 0;
  t->p = start;
  while (take_quoted(t, &s, &n)) unescape_into(s, n, out, &o);
  t->p = after;
  *bytes = out;
  *len = o;
  return true;
}

static bool parse_message_body(Text *t, Built *b, char close);

static bool text_bool(const char *s, size_t len, uint64_t *bits) {
  if (word_is(s, len, "true") || word_is(s, len, "True") || word_is(s, len, "t") || word_is(s, len, "1")) {
    *bits = 1;
    return true;
  }
  if (word_is(s, len, "false") || word_is(s, len, "False") || word_is(s, len, "f") || word_is(s, len, "0")) {
    *bits = 0;
    return true;
  }
  return false;
}

static bool is_text_float_word(const char *s, size_t len) {
  char lower[9] = {0};
  if (len > 8) return false;
  for (size_t i = 0; i < len; i++) lower[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
  return is_float_word(lower, len);
}

/* An identifier as a value of `f`: an enum value, a boolean, inf or nan. */
static bool identifier_bits(const ms_Field *f, const char *s, size_t len, bool negative, uint64_t *bits) {
  int64_t number;
  if (f->type == MS_TYPE_ENUM && !negative && enum_number(f->enum_type, s, len, &number)) {
    *bits = (uint64_t)number;
    return true;
  }
  if (f->type == MS_TYPE_BOOL && !negative) return text_bool(s, len, bits);
  if ((f->type == MS_TYPE_FLOAT || f->type == MS_TYPE_DOUBLE) && is_text_float_word(s, len)) {
    *bits = bits_of_float(f->type, float_word_value(s, len, negative));
    return true;
  }
  return false;
}

/* A scalar value of the text format for field `f`. */
static bool parse_scalar(Text *t, Built *b, const ms_Field *f) {
  if (f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES) {
    const char *bytes;
    size_t len;
    if (!take_string(t, &bytes, &len)) return false;
    set_bytes(t->e, b, f, bytes, len);
    return true;
  }
  bool negative = take_symbol(t, '-');
  const char *s;
  size_t len;
  uint64_t bits = 0;
  if (take_identifier(t, &s, &len)) {
    if (!identifier_bits(f, s, len, negative, &bits)) return false;
  } else if (take_number(t, &s, &len)) {
    uint64_t u;
    double d;
    if (f->type == MS_TYPE_FLOAT || f->type == MS_TYPE_DOUBLE) {
      if (!float_of(s, len, &d)) return false;
      bits = bits_of_float(f->type, negative ? -d : d);
    } else if (!integer_of(s, len, &u)) {
      return false;
    } else if (f->type == MS_TYPE_BOOL) {
      if (negative || u > 1) return false;
      bits = u;
    } else if (f->type == MS_TYPE_ENUM) {
      bits = bits_of_integer(MS_TYPE_INT32, negative, u);
    } else {
      bits = bits_of_integer(f->type, negative, u);
    }
  } else {
    return false;
  }
  set_bits(t->e, b, f, bits);
  return true;
}

/* A map entry always has its key and value on the wire, zero when not written. */
static void complete_map_entry(ms_DescriptorEncoder *e, Built *entry) {
  for (unsigned i = 0; i < entry->type->fields.count; i++) {
    const ms_Field *f = entry->type->fields.items[i];
    if (setting_of(entry, f)) continue;
    if (holds_message(f))
      child_message(e, entry, f);
    else if (f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES)
      set_bytes(e, entry, f, "", 0);
    else
      set_bits(e, entry, f, 0);
  }
}

static bool parse_value(Text *t, Built *b, const ms_Field *f) {
  if (!holds_message(f)) return parse_scalar(t, b, f);
  char close = take_symbol(t, '{') ? '}' : take_symbol(t, '<') ? '>' : 0;
  if (!close || !f->message_type) return false;
  Built *child = child_message(t->e, b, f);
  if (!parse_message_body(t, child, close)) return false;
  if (child->type->is_map_entry) complete_map_entry(t->e, child);
  return true;
}

/* `[type.googleapis.com/pkg.Msg] { ... }` in a google.protobuf.Any. */
static bool parse_any(Text *t, Built *b, const char *url, size_t url_len) {
  const char *slash = url + url_len;
  while (slash > url && slash[-1] != '/') slash--;
  const ms_Message *type = message_named(t->e, slash, (size_t)(url + url_len - slash));
  const ms_Field *type_url = field_named(b->type, "type_url", 8), *value = field_named(b->type, "value", 5);
  if (!type || !type_url || !value) return false;
  take_symbol(t, ':');
  char close = take_symbol(t, '{') ? '}' : take_symbol(t, '<') ? '>' : 0;
  Built *inner = built_new(t->e, type);
  if (!close || !parse_message_body(t, inner, close)) return false;
  ms_Writer w = {0};
  write_built(&w, inner);
  char *bytes = ms_arena_alloc(t->e->scratch, w.len + 1);
  if (w.len) memcpy(bytes, w.data, w.len);
  set_bytes(t->e, b, type_url, url, url_len);
  set_bytes(t->e, b, value, bytes, w.len);
  ms_writer_free(&w);
  return true;
}

/* A field of the text format by name: the field's name, or for a group its
 * type's name. */
static const ms_Field *text_field_named(const ms_Message *m, const char *s, size_t len) {
  const ms_Field *f = field_named(m, s, len);
  if (f) return f;
  for (unsigned i = 0; i < m->fields.count; i++) {
    f = m->fields.items[i];
    if (f->type == MS_TYPE_GROUP && f->message_type && word_is(s, len, f->message_type->name)) return f;
  }
  return NULL;
}

static bool parse_field(Text *t, Built *b) {
  const ms_Field *f;
  const char *s;
  size_t len;
  if (take_symbol(t, '[')) {
    skip_space_and_comments(t);
    s = t->p;
    while (t->p < t->end && *t->p != ']') t->p++;
    len = (size_t)(t->p - s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t')) len--;
    if (!take_symbol(t, ']')) return false;
    if (memchr(s, '/', len)) return parse_any(t, b, s, len);
    f = extension_named(t->e, s[0] == '.' ? s + 1 : s, s[0] == '.' ? len - 1 : len);
  } else if (take_identifier(t, &s, &len)) {
    f = text_field_named(b->type, s, len);
  } else {
    return false;
  }
  if (!f) return false;
  take_symbol(t, ':');
  if (take_symbol(t, '[')) {
    if (!take_symbol(t, ']')) {
      do {
        if (!parse_value(t, b, f)) return false;
      } while (take_symbol(t, ','));
      if (!take_symbol(t, ']')) return false;
    }
  } else if (!parse_value(t, b, f)) {
    return false;
  }
  if (!take_symbol(t, ',')) take_symbol(t, ';');
  return true;
}

/* Fields up to `close` (or to the end of the text when close is 0). */
static bool parse_message_body(Text *t, Built *b, char close) {
  if (!b->type || ++t->depth > MAX_TEXT_DEPTH) return false;
  for (;;) {
    skip_space_and_comments(t);
    if (t->p >= t->end) break;
    if (close && *t->p == close) {
      t->p++;
      t->depth--;
      return true;
    }
    if (!parse_field(t, b)) return false;
  }
  t->depth--;
  return close == 0;
}

/* An aggregate value `{...}` (the text between the braces) into `b`. */
static bool parse_aggregate(ms_DescriptorEncoder *e, Built *b, const ms_Value *v) {
  Text t = {e, v->text, v->text + v->text_len, 0};
  return parse_message_body(&t, b, 0);
}

/* ---- option statements ---------------------------------------------------------------------- */

/* The next part of an option name at *p: `ident` or `(ext.name)`. */
static bool next_name_part(const char **p, const char **part, size_t *len, bool *extension) {
  const char *s = *p;
  if (!*s) return false;
  *extension = *s == '(';
  if (*extension) {
    const char *close = strchr(s, ')');
    if (!close) return false;
    *part = s + 1;
    *len = (size_t)(close - s - 1);
    s = close + 1;
  } else {
    *part = s;
    while (*s && *s != '.') s++;
    *len = (size_t)(s - *part);
  }
  if (*s == '.') s++;
  *p = s;
  return true;
}

static void set_option_value(ms_DescriptorEncoder *e, Built *b, const ms_Field *f, const ms_Value *v) {
  if (holds_message(f)) {
    if (v->kind == MS_VALUE_AGGREGATE && f->message_type) parse_aggregate(e, child_message(e, b, f), v);
    return;
  }
  if (f->type == MS_TYPE_STRING || f->type == MS_TYPE_BYTES) {
    if (v->kind == MS_VALUE_STRING) set_bytes(e, b, f, v->text, v->text_len);
    return;
  }
  uint64_t bits;
  if (bits_of_option_value(f, v, &bits)) set_bits(e, b, f, bits);
}

/* One `option a.(b).c = value;` into the options message being built. */
static void apply_option(ms_DescriptorEncoder *e, Built *options, const ms_Option *o, const char *scope) {
  const char *p = o->name, *part;
  size_t len;
  bool extension, first = true;
  Built *b = options;
  while (next_name_part(&p, &part, &len, &extension)) {
    const ms_Field *f;
    if (extension && first && o->resolved)
      f = o->resolved;
    else if (extension)
      f = extension_in_scope(e, part, len, scope);
    else
      f = field_named(b->type, part, len);
    first = false;
    if (!f) return;
    if (!*p) {
      set_option_value(e, b, f, &o->value);
      return;
    }
    if (!holds_message(f) || f->label == MS_LABEL_REPEATED || !f->message_type) return;
    b = child_message(e, b, f);
  }
}

static bool is_feature_option(const ms_Option *o) {
  return strncmp(o->name, "features", 8) == 0 && (o->name[8] == '\0' || o->name[8] == '.');
}

void ms_write_options(ms_DescriptorEncoder *e, ms_Writer *w, uint32_t number, ms_OptionsKind kind,
                      const ms_Vec *options, const char *scope, unsigned flags) {
  bool keep_empty = (flags & MS_OPTIONS_KEEP_EMPTY) && options->count == 0;
  if (keep_empty) {
    ms_out_end(w, ms_out_begin(w, number));
    return;
  }
  if (options->count == 0 && !(flags & MS_OPTIONS_ADD_MAP_ENTRY)) return;
  const ms_Message *type = options_message(e, kind);
  if (!type) return;
  Built *b = built_new(e, type);
  for (unsigned i = 0; i < options->count; i++) {
    const ms_Option *o = options->items[i];
    if ((flags & MS_OPTIONS_FEATURES_ONLY) && !is_feature_option(o)) continue;
    apply_option(e, b, o, scope);
  }
  const ms_Field *map_entry = (flags & MS_OPTIONS_ADD_MAP_ENTRY) ? field_named(type, "map_entry", 9) : NULL;
  if (map_entry) set_bits(e, b, map_entry, 1);
  if (!has_lasting_setting(b)) return;
  size_t mark = ms_out_begin(w, number);
  write_built(w, b);
  ms_out_end(w, mark);
}
