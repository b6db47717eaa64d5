/* The linker: symbols, name resolution with protobuf's scoping rules,
 * editions features, and the checks protoc makes. Files are linked in
 * dependency order, so everything a file can see is registered before it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "link_idl.h"

typedef enum {
  SYM_PACKAGE,
  SYM_MESSAGE,
  SYM_ENUM,
  SYM_ENUM_VALUE,
  SYM_FIELD,
  SYM_ONEOF,
  SYM_SERVICE,
  SYM_METHOD
} SymKind;

typedef struct Symbol {
  SymKind kind;
  const char *full_name;
  void *node;
  ms_File *file;
  ms_Loc loc;
} Symbol;

typedef struct Linker {
  ms_Compiler *c;
  ms_Arena *arena;
  ms_Diag *diag;
  ms_File *file;
  unsigned stamp;
} Linker;

static const int64_t MAX_FIELD_NUMBER = 536870911;

/* ---- symbols ------------------------------------------------------------ */

static const char *kind_word(SymKind k) {
  switch (k) {
    case SYM_PACKAGE: return "package";
    case SYM_MESSAGE: return "message";
    case SYM_ENUM: return "enum";
    case SYM_ENUM_VALUE: return "enum value";
    case SYM_FIELD: return "field";
    case SYM_ONEOF: return "oneof";
    case SYM_SERVICE: return "service";
    default: return "method";
  }
}

static const char *join_name(Linker *l, const char *scope, const char *name) {
  if (!scope || !*scope) return name;
  return ms_arena_printf(l->arena, "%s.%s", scope, name);
}

static const char *parent_scope_of(Linker *l, const char *full_name) {
  const char *dot = strrchr(full_name, '.');
  return dot ? ms_arena_strndup(l->arena, full_name, (size_t)(dot - full_name)) : "";
}

static void report_duplicate(Linker *l, Symbol *old, const char *full_name, ms_Loc loc) {
  const char *dot = strrchr(full_name, '.');
  const char *short_name = dot ? dot + 1 : full_name;
  if (old->file != l->file) {
    ms_error(l->diag, loc, "\"%s\" is already defined in file \"%s\"", full_name, old->file->path);
  } else if (dot) {
    ms_error(l->diag, loc, "\"%s\" is already defined in \"%.*s\"", short_name, (int)(dot - full_name), full_name);
  } else {
    ms_error(l->diag, loc, "\"%s\" is already defined", full_name);
  }
}

static Symbol *add_symbol(Linker *l, SymKind kind, const char *full_name, void *node, ms_Loc loc) {
  Symbol *s = MS_NEW(l->arena, Symbol);
  s->kind = kind;
  s->full_name = full_name;
  s->node = node;
  s->file = l->file;
  s->loc = loc;
  Symbol *old = ms_table_put(&l->c->symbols, full_name, s);
  if (!old) return s;
  if (kind == SYM_PACKAGE && old->kind == SYM_PACKAGE) return old;
  if (old->kind == SYM_PACKAGE) {
    ms_error(l->diag, loc, "\"%s\" is already defined as a package (in file \"%s\")", full_name, old->file->path);
  } else if (kind == SYM_PACKAGE) {
    ms_error(l->diag, loc, "\"%s\" is already defined (as a %s, not a package) in file \"%s\"", full_name,
             kind_word(old->kind), old->file->path);
  } else if (kind == SYM_ENUM_VALUE && old->kind == SYM_ENUM_VALUE && old->file == l->file) {
    ms_EnumValue *v = node;
    const char *scope = parent_scope_of(l, full_name);
    ms_error(l->diag, loc,
             "\"%s\" is already defined in \"%s\"; enum values use C++ scoping rules: they are "
             "siblings of their enum type, so \"%s\" must be unique within \"%s\", not just within \"%s\"",
             v->name, *scope ? scope : l->file->path, v->name, *scope ? scope : "the package", v->parent->name);
  } else {
    report_duplicate(l, old, full_name, loc);
  }
  return NULL;
}

static bool is_visible(Linker *l, const Symbol *s) {
  return s->kind == SYM_PACKAGE || s->file->extra == (void *)(uintptr_t)l->stamp;
}

/* ---- registration ------------------------------------------------------- */

static void register_enum(Linker *l, ms_Enum *e, const char *scope) {
  e->full_name = join_name(l, scope, e->name);
  add_symbol(l, SYM_ENUM, e->full_name, e, e->loc);
  for (unsigned i = 0; i < e->values.count; i++) {
    ms_EnumValue *v = e->values.items[i];
    /* C++ scoping in .proto: siblings of the enum; scoped by the enum elsewhere */
    bool scoped = e->file->syntax == MS_SYNTAX_FDL || e->file->syntax == MS_SYNTAX_FBS;
    v->full_name = join_name(l, scoped ? e->full_name : scope, v->name);
    add_symbol(l, SYM_ENUM_VALUE, v->full_name, v, v->loc);
  }
}

static void register_field(Linker *l, ms_Field *f, const char *scope) {
  f->full_name = join_name(l, scope, f->name);
  add_symbol(l, SYM_FIELD, f->full_name, f, f->name_loc);
}

static bool message_has_member_named(ms_Message *m, const char *name) {
  for (unsigned i = 0; i < m->fields.count; i++)
    if (strcmp(MS_VEC_AT(m->fields, ms_Field, i)->name, name) == 0) return true;
  for (unsigned i = 0; i < m->oneofs.count; i++)
    if (strcmp(MS_VEC_AT(m->oneofs, ms_Oneof, i)->name, name) == 0) return true;
  return false;
}

/* proto3 `optional` fields live in a synthetic oneof "_name", after the real
 * oneofs, as protoc builds them. */
static void add_synthetic_oneofs(Linker *l, ms_Message *m) {
  if (l->file->syntax != MS_SYNTAX_PROTO3) return;
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    if (f->written_label != MS_LABEL_OPTIONAL || f->oneof) continue;
    f->proto3_optional = true;
    const char *name = f->name[0] == '_' ? f->name : ms_arena_printf(l->arena, "_%s", f->name);
    while (message_has_member_named(m, name)) name = ms_arena_printf(l->arena, "X%s", name);
    ms_Oneof *o = MS_NEW(l->arena, ms_Oneof);
    o->kind = MS_KIND_ONEOF;
    o->name = name;
    o->parent = m;
    o->synthetic = true;
    o->loc = f->name_loc;
    o->index = m->oneofs.count;
    ms_vec_push(l->arena, &o->fields, f);
    ms_vec_push(l->arena, &m->oneofs, o);
    f->oneof = o;
  }
}

static void register_message(Linker *l, ms_Message *m, const char *scope) {
  m->full_name = join_name(l, scope, m->name);
  add_symbol(l, SYM_MESSAGE, m->full_name, m, m->loc);
  add_synthetic_oneofs(l, m);
  for (unsigned i = 0; i < m->fields.count; i++) register_field(l, m->fields.items[i], m->full_name);
  for (unsigned i = 0; i < m->oneofs.count; i++) {
    ms_Oneof *o = m->oneofs.items[i];
    o->full_name = join_name(l, m->full_name, o->name);
    if (!o->synthetic) add_symbol(l, SYM_ONEOF, o->full_name, o, o->loc);
  }
  for (unsigned i = 0; i < m->messages.count; i++) register_message(l, m->messages.items[i], m->full_name);
  for (unsigned i = 0; i < m->enums.count; i++) register_enum(l, m->enums.items[i], m->full_name);
  for (unsigned i = 0; i < m->extensions.count; i++) register_field(l, m->extensions.items[i], m->full_name);
}

static void register_service(Linker *l, ms_Service *s, const char *scope) {
  s->full_name = join_name(l, scope, s->name);
  add_symbol(l, SYM_SERVICE, s->full_name, s, s->loc);
  for (unsigned i = 0; i < s->methods.count; i++) {
    ms_Method *m = s->methods.items[i];
    m->full_name = join_name(l, s->full_name, m->name);
    add_symbol(l, SYM_METHOD, m->full_name, m, m->loc);
  }
}

enum { MAX_PACKAGE_LENGTH = 4096 };

static void register_package(Linker *l, ms_File *f) {
  if (!f->package) return;
  /* every dotted prefix is a symbol: bound the (quadratic) cost */
  if (strlen(f->package) > MAX_PACKAGE_LENGTH) {
    ms_error(l->diag, f->package_loc, "package names longer than %d characters are not supported", MAX_PACKAGE_LENGTH);
    add_symbol(l, SYM_PACKAGE, f->package, f, f->package_loc);
    return;
  }
  for (const char *p = f->package;; p++) {
    if (*p == '.' || *p == '\0') {
      const char *prefix = ms_arena_strndup(l->arena, f->package, (size_t)(p - f->package));
      add_symbol(l, SYM_PACKAGE, prefix, f, f->package_loc);
      if (!*p) break;
    }
  }
}

static void register_file(Linker *l, ms_File *f) {
  register_package(l, f);
  const char *scope = f->package ? f->package : "";
  for (unsigned i = 0; i < f->messages.count; i++) register_message(l, f->messages.items[i], scope);
  for (unsigned i = 0; i < f->enums.count; i++) register_enum(l, f->enums.items[i], scope);
  for (unsigned i = 0; i < f->services.count; i++) register_service(l, f->services.items[i], scope);
  for (unsigned i = 0; i < f->extensions.count; i++) register_field(l, f->extensions.items[i], scope);
}

/* ---- visibility --------------------------------------------------------- */

static void mark_public_closure(Linker *l, ms_File *f) {
  if (!f || f->extra == (void *)(uintptr_t)l->stamp) return;
  f->extra = (void *)(uintptr_t)l->stamp;
  for (unsigned i = 0; i < f->imports.count; i++) {
    ms_Import *imp = f->imports.items[i];
    if (imp->is_public) mark_public_closure(l, imp->file);
  }
}

static void mark_visible_files(Linker *l, ms_File *f) {
  l->stamp = ++l->c->visible_stamp;
  f->extra = (void *)(uintptr_t)l->stamp;
  for (unsigned i = 0; i < f->imports.count; i++) {
    ms_Import *imp = f->imports.items[i];
    mark_public_closure(l, imp->file);
  }
}

/* ---- lookup ------------------------------------------------------------- */

typedef struct Lookup {
  const Symbol *hidden; /* found, but in a file that is not imported */
  const char *undefined_resolved; /* partial name resolved to a missing symbol */
} Lookup;

static const Symbol *find_visible(Linker *l, const char *full_name, size_t len, Lookup *info) {
  const Symbol *s = ms_table_getn(&l->c->symbols, full_name, len);
  if (!s) return NULL;
  if (!is_visible(l, s)) {
    if (!info->hidden) info->hidden = s;
    return NULL;
  }
  return s;
}

static bool is_aggregate(const Symbol *s) {
  return s->kind == SYM_MESSAGE || s->kind == SYM_PACKAGE || s->kind == SYM_ENUM || s->kind == SYM_SERVICE;
}

static bool is_type(const Symbol *s) { return s->kind == SYM_MESSAGE || s->kind == SYM_ENUM; }

/* protoc's scoping: try the innermost scope first, then each outer one. */
static const Symbol *lookup(Linker *l, const char *name, const char *relative_to, bool types_only, Lookup *info) {
  memset(info, 0, sizeof *info);
  if (name[0] == '.') return find_visible(l, name + 1, strlen(name + 1), info);
  size_t name_len = strlen(name);
  const char *dot = strchr(name, '.');
  size_t first_len = dot ? (size_t)(dot - name) : name_len;
  size_t scope_len = strlen(relative_to);
  char stack_buf[512];
  size_t cap = scope_len + name_len + 2;
  char *buf = cap <= sizeof stack_buf ? stack_buf : malloc(cap);
  if (!buf) abort();
  memcpy(buf, relative_to, scope_len);
  const Symbol *result = NULL;
  for (;;) {
    char *last_dot = NULL;
    for (size_t i = scope_len; i > 0; i--)
      if (buf[i - 1] == '.') {
        last_dot = buf + i - 1;
        break;
      }
    if (!last_dot) {
      result = find_visible(l, name, name_len, info);
      break;
    }
    scope_len = (size_t)(last_dot - buf);
    buf[scope_len] = '.';
    memcpy(buf + scope_len + 1, name, first_len);
    size_t try_len = scope_len + 1 + first_len;
    const Symbol *s = find_visible(l, buf, try_len, info);
    if (s) {
      if (first_len < name_len) {
        if (is_aggregate(s)) {
          memcpy(buf + try_len, name + first_len, name_len - first_len);
          size_t full_len = try_len + name_len - first_len;
          result = find_visible(l, buf, full_len, info);
          if (!result) info->undefined_resolved = ms_arena_strndup(l->arena, buf, full_len);
          break;
        }
      } else if (!types_only || is_type(s)) {
        result = s;
        break;
      }
    }
  }
  if (buf != stack_buf) free(buf);
  return result;
}

static void report_unresolved(Linker *l, const char *name, ms_Loc loc, const Lookup *info) {
  if (info->undefined_resolved) {
    ms_error(l->diag, loc,
             "\"%s\" is resolved to \"%s\", which is not defined; the innermost scope is searched "
             "first in name resolution (use a leading '.', as in \".%s\", to start from the "
             "outermost scope)",
             name, info->undefined_resolved, name);
  } else if (info->hidden) {
    ms_error(l->diag, loc,
             "\"%s\" seems to be defined in \"%s\", which is not imported by \"%s\"; add the "
             "import to use it here",
             name, info->hidden->file->path, l->file->path);
  } else {
    ms_error(l->diag, loc, "\"%s\" is not defined", name[0] == '.' ? name + 1 : name);
  }
}

/* ---- features ----------------------------------------------------------- */

static ms_Features defaults_for(const ms_File *f) {
  ms_Features x;
  switch (f->syntax) {
    case MS_SYNTAX_PROTO2:
      x = (ms_Features){MS_PRESENCE_EXPLICIT,        MS_ENUM_CLOSED,
                        MS_REPEATED_EXPANDED,        MS_UTF8_NONE,
                        MS_ENCODING_LENGTH_PREFIXED, MS_JSON_LEGACY_BEST_EFFORT};
      break;
    case MS_SYNTAX_PROTO3:
      x = (ms_Features){MS_PRESENCE_IMPLICIT,        MS_ENUM_OPEN, MS_REPEATED_PACKED, MS_UTF8_VERIFY,
                        MS_ENCODING_LENGTH_PREFIXED, MS_JSON_ALLOW};
      break;
    default:
      x = (ms_Features){MS_PRESENCE_EXPLICIT,        MS_ENUM_OPEN, MS_REPEATED_PACKED, MS_UTF8_VERIFY,
                        MS_ENCODING_LENGTH_PREFIXED, MS_JSON_ALLOW};
      break;
  }
  return x;
}

typedef struct FeatureSpec {
  const char *option;
  size_t offset;
  const char *values[4]; /* index + 1 is the enum number */
} FeatureSpec;

static const FeatureSpec feature_specs[] = {
    {"features.field_presence", offsetof(ms_Features, field_presence), {"EXPLICIT", "IMPLICIT", "LEGACY_REQUIRED"}},
    {"features.enum_type", offsetof(ms_Features, enum_type), {"OPEN", "CLOSED"}},
    {"features.repeated_field_encoding", offsetof(ms_Features, repeated_field_encoding), {"PACKED", "EXPANDED"}},
    {"features.utf8_validation", offsetof(ms_Features, utf8_validation), {"", "VERIFY", "NONE"}},
    {"features.message_encoding", offsetof(ms_Features, message_encoding), {"LENGTH_PREFIXED", "DELIMITED"}},
    {"features.json_format", offsetof(ms_Features, json_format), {"ALLOW", "LEGACY_BEST_EFFORT"}},
};

static bool set_feature(ms_Features *x, const char *option, const char *value, size_t value_len, bool *known) {
  const FeatureSpec *spec = NULL;
  for (size_t k = 0; k < sizeof feature_specs / sizeof *feature_specs; k++)
    if (strcmp(feature_specs[k].option, option) == 0) spec = &feature_specs[k];
  *known = spec != NULL;
  if (!spec) return true; /* other features (naming style, visibility) do not shape code */
  for (int v = 0; v < 4 && spec->values[v]; v++) {
    const char *name = spec->values[v];
    if (*name && strlen(name) == value_len && strncmp(value, name, value_len) == 0) {
      ((uint8_t *)x)[spec->offset] = (uint8_t)(v + 1);
      return true;
    }
  }
  return false;
}

static bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* `features = { enum_type: CLOSED utf8_validation: NONE }`: the text-format
 * form; language-specific sub-messages ([pb.cpp] {...}) are skipped. */
static void apply_feature_aggregate(Linker *l, ms_Features *x, const ms_Option *o) {
  const char *p = o->value.text;
  while (*p) {
    if (*p == '[' || *p == '{') {
      int depth = 0;
      do {
        if (*p == '[' || *p == '{') depth++;
        if (*p == ']' || *p == '}') depth--;
        p++;
      } while (*p && depth > 0);
      continue;
    }
    if (!is_word_char(*p)) {
      p++;
      continue;
    }
    const char *key = p;
    while (is_word_char(*p)) p++;
    size_t key_len = (size_t)(p - key);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != ':') continue;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '{' || *p == '[') continue;
    const char *value = p;
    while (is_word_char(*p)) p++;
    char *option = ms_arena_printf(l->arena, "features.%.*s", (int)key_len, key);
    bool known;
    if (!set_feature(x, option, value, (size_t)(p - value), &known))
      ms_error(l->diag, o->value.loc, "invalid value for %s", option);
  }
}

/* Applies `features.X = V` options on top of the inherited features. */
static ms_Features apply_features(Linker *l, ms_Features inherited, const ms_Vec *options) {
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (strncmp(o->name, "features", 8) != 0) continue;
    if (l->file->syntax != MS_SYNTAX_EDITIONS) {
      ms_error(l->diag, o->loc, "features are only valid under editions");
      continue;
    }
    if (strcmp(o->name, "features") == 0) {
      if (o->value.kind == MS_VALUE_AGGREGATE) apply_feature_aggregate(l, &inherited, o);
      continue;
    }
    if (o->name[8] != '.' || o->name[9] == '(') continue;
    bool known;
    const char *value = o->value.kind == MS_VALUE_IDENT ? o->value.text : "";
    if (!set_feature(&inherited, o->name, value, strlen(value), &known))
      ms_error(l->diag, o->value.loc, "invalid value for %s", o->name);
  }
  return inherited;
}

static void check_option_allowed_in_editions(Linker *l, const ms_Vec *options) {
  if (l->file->syntax != MS_SYNTAX_EDITIONS) return;
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (strcmp(o->name, "packed") == 0) {
      ms_error(l->diag, o->loc,
               "field option \"packed\" is not allowed under editions; use the "
               "repeated_field_encoding feature instead");
    }
  }
}

/* ---- json names ---------------------------------------------------------- */

static const char *default_json_name(Linker *l, const char *name) { return ms_default_json_name(l->arena, name); }

/* ---- option values -------------------------------------------------------- */

static bool enum_has_value(const ms_Enum *e, const char *name) {
  for (unsigned i = 0; i < e->values.count; i++)
    if (strcmp(MS_VEC_AT(e->values, ms_EnumValue, i)->name, name) == 0) return true;
  return false;
}

static bool is_float_word(const char *s) {
  return strcmp(s, "inf") == 0 || strcmp(s, "nan") == 0 || strcmp(s, "infinity") == 0;
}

/* Checks that a literal can initialise a value of `type`; `what` names the
 * thing being set in the message. */
static bool check_value_for_type(Linker *l, const ms_Value *v, ms_Type type, const ms_Enum *e, const char *what) {
  switch (type) {
    case MS_TYPE_INT32:
    case MS_TYPE_SINT32:
    case MS_TYPE_SFIXED32:
    case MS_TYPE_INT64:
    case MS_TYPE_SINT64:
    case MS_TYPE_SFIXED64:
    case MS_TYPE_UINT32:
    case MS_TYPE_FIXED32:
    case MS_TYPE_UINT64:
    case MS_TYPE_FIXED64: {
      if (v->kind != MS_VALUE_INT) {
        ms_error(l->diag, v->loc, "expected an integer for %s", what);
        return false;
      }
      bool is_unsigned =
          type == MS_TYPE_UINT32 || type == MS_TYPE_FIXED32 || type == MS_TYPE_UINT64 || type == MS_TYPE_FIXED64;
      bool is_32 = type == MS_TYPE_INT32 || type == MS_TYPE_SINT32 || type == MS_TYPE_SFIXED32 ||
                   type == MS_TYPE_UINT32 || type == MS_TYPE_FIXED32;
      uint64_t max = is_unsigned ? (is_32 ? UINT32_MAX : UINT64_MAX) : (is_32 ? INT32_MAX : INT64_MAX);
      if (v->negative && is_unsigned && v->u != 0) {
        ms_error(l->diag, v->loc, "unsigned %s cannot be negative", what);
        return false;
      }
      if ((v->negative && v->u > max + 1) || (!v->negative && v->u > max)) {
        ms_error(l->diag, v->loc, "integer out of range for %s", what);
        return false;
      }
      return true;
    }
    case MS_TYPE_FLOAT:
    case MS_TYPE_DOUBLE:
      if (v->kind == MS_VALUE_INT || v->kind == MS_VALUE_FLOAT || (v->kind == MS_VALUE_IDENT && is_float_word(v->text)))
        return true;
      ms_error(l->diag, v->loc, "expected a number for %s", what);
      return false;
    case MS_TYPE_BOOL:
      if (v->kind == MS_VALUE_IDENT && !v->negative && (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0))
        return true;
      ms_error(l->diag, v->loc, "expected \"true\" or \"false\" for %s", what);
      return false;
    case MS_TYPE_STRING:
    case MS_TYPE_BYTES:
      if (v->kind == MS_VALUE_STRING) return true;
      ms_error(l->diag, v->loc, "expected a quoted string for %s", what);
      return false;
    case MS_TYPE_ENUM:
      if (v->kind != MS_VALUE_IDENT || v->negative) {
        ms_error(l->diag, v->loc, "expected an enum value name for %s", what);
        return false;
      }
      if (e && !enum_has_value(e, v->text)) {
        ms_error(l->diag, v->loc, "enum type \"%s\" has no value named \"%s\" (%s)", e->full_name, v->text, what);
        return false;
      }
      return true;
    default:
      if (v->kind == MS_VALUE_AGGREGATE) return true;
      ms_error(l->diag, v->loc, "expected an aggregate value in braces for %s", what);
      return false;
  }
}

/* Built-in options of each descriptor element, with the value type each takes. */
typedef struct BuiltinOption {
  const char *name;
  ms_Type type;
  const char *enum_values; /* space-separated names for enum options */
} BuiltinOption;

enum Target { T_FILE, T_MESSAGE, T_FIELD, T_ONEOF, T_ENUM, T_ENUM_VALUE, T_SERVICE, T_METHOD, T_RANGE };

static const char *const options_message[] = {
    "google.protobuf.FileOptions",    "google.protobuf.MessageOptions", "google.protobuf.FieldOptions",
    "google.protobuf.OneofOptions",   "google.protobuf.EnumOptions",    "google.protobuf.EnumValueOptions",
    "google.protobuf.ServiceOptions", "google.protobuf.MethodOptions",  "google.protobuf.ExtensionRangeOptions"};

static const BuiltinOption file_options[] = {{"java_package", MS_TYPE_STRING, 0},
                                             {"java_outer_classname", MS_TYPE_STRING, 0},
                                             {"java_multiple_files", MS_TYPE_BOOL, 0},
                                             {"java_generate_equals_and_hash", MS_TYPE_BOOL, 0},
                                             {"java_string_check_utf8", MS_TYPE_BOOL, 0},
                                             {"optimize_for", MS_TYPE_ENUM, " SPEED CODE_SIZE LITE_RUNTIME "},
                                             {"go_package", MS_TYPE_STRING, 0},
                                             {"cc_generic_services", MS_TYPE_BOOL, 0},
                                             {"java_generic_services", MS_TYPE_BOOL, 0},
                                             {"py_generic_services", MS_TYPE_BOOL, 0},
                                             {"deprecated", MS_TYPE_BOOL, 0},
                                             {"cc_enable_arenas", MS_TYPE_BOOL, 0},
                                             {"objc_class_prefix", MS_TYPE_STRING, 0},
                                             {"csharp_namespace", MS_TYPE_STRING, 0},
                                             {"swift_prefix", MS_TYPE_STRING, 0},
                                             {"php_class_prefix", MS_TYPE_STRING, 0},
                                             {"php_namespace", MS_TYPE_STRING, 0},
                                             {"php_metadata_namespace", MS_TYPE_STRING, 0},
                                             {"ruby_package", MS_TYPE_STRING, 0},
                                             {"features", MS_TYPE_MESSAGE, 0},
                                             {0, 0, 0}};
static const BuiltinOption message_options[] = {{"message_set_wire_format", MS_TYPE_BOOL, 0},
                                                {"no_standard_descriptor_accessor", MS_TYPE_BOOL, 0},
                                                {"deprecated", MS_TYPE_BOOL, 0},
                                                {"map_entry", MS_TYPE_BOOL, 0},
                                                {"deprecated_legacy_json_field_conflicts", MS_TYPE_BOOL, 0},
                                                {"features", MS_TYPE_MESSAGE, 0},
                                                {0, 0, 0}};
static const BuiltinOption field_options[] = {
    {"ctype", MS_TYPE_ENUM, " STRING CORD STRING_PIECE "},
    {"packed", MS_TYPE_BOOL, 0},
    {"jstype", MS_TYPE_ENUM, " JS_NORMAL JS_STRING JS_NUMBER "},
    {"lazy", MS_TYPE_BOOL, 0},
    {"unverified_lazy", MS_TYPE_BOOL, 0},
    {"deprecated", MS_TYPE_BOOL, 0},
    {"weak", MS_TYPE_BOOL, 0},
    {"debug_redact", MS_TYPE_BOOL, 0},
    {"retention", MS_TYPE_ENUM, " RETENTION_UNKNOWN RETENTION_RUNTIME RETENTION_SOURCE "},
    {"targets", MS_TYPE_ENUM,
     " TARGET_TYPE_UNKNOWN TARGET_TYPE_FILE TARGET_TYPE_EXTENSION_RANGE TARGET_TYPE_MESSAGE "
     "TARGET_TYPE_FIELD TARGET_TYPE_ONEOF TARGET_TYPE_ENUM TARGET_TYPE_ENUM_ENTRY "
     "TARGET_TYPE_SERVICE TARGET_TYPE_METHOD "},
    {"edition_defaults", MS_TYPE_MESSAGE, 0},
    {"features", MS_TYPE_MESSAGE, 0},
    {"feature_support", MS_TYPE_MESSAGE, 0},
    {0, 0, 0}};
static const BuiltinOption oneof_options[] = {{"features", MS_TYPE_MESSAGE, 0}, {0, 0, 0}};
static const BuiltinOption enum_options[] = {{"allow_alias", MS_TYPE_BOOL, 0},
                                             {"deprecated", MS_TYPE_BOOL, 0},
                                             {"deprecated_legacy_json_field_conflicts", MS_TYPE_BOOL, 0},
                                             {"features", MS_TYPE_MESSAGE, 0},
                                             {0, 0, 0}};
static const BuiltinOption enum_value_options[] = {{"deprecated", MS_TYPE_BOOL, 0},
                                                   {"features", MS_TYPE_MESSAGE, 0},
                                                   {"debug_redact", MS_TYPE_BOOL, 0},
                                                   {"feature_support", MS_TYPE_MESSAGE, 0},
                                                   {0, 0, 0}};
static const BuiltinOption service_options[] = {
    {"deprecated", MS_TYPE_BOOL, 0}, {"features", MS_TYPE_MESSAGE, 0}, {0, 0, 0}};
static const BuiltinOption method_options[] = {
    {"deprecated", MS_TYPE_BOOL, 0},
    {"idempotency_level", MS_TYPE_ENUM, " IDEMPOTENCY_UNKNOWN NO_SIDE_EFFECTS IDEMPOTENT "},
    {"features", MS_TYPE_MESSAGE, 0},
    {0, 0, 0}};
static const BuiltinOption range_options[] = {{"declaration", MS_TYPE_MESSAGE, 0},
                                              {"verification", MS_TYPE_ENUM, " DECLARATION UNVERIFIED "},
                                              {"features", MS_TYPE_MESSAGE, 0},
                                              {0, 0, 0}};
static const BuiltinOption *const builtin_options[] = {file_options,    message_options, field_options,
                                                       oneof_options,   enum_options,    enum_value_options,
                                                       service_options, method_options,  range_options};

static void check_builtin_option(Linker *l, ms_Option *o, enum Target target) {
  const char *dot = strchr(o->name, '.');
  size_t first_len = dot ? (size_t)(dot - o->name) : strlen(o->name);
  for (const BuiltinOption *b = builtin_options[target]; b->name; b++) {
    if (strlen(b->name) != first_len || strncmp(b->name, o->name, first_len) != 0) continue;
    if (dot || b->type == MS_TYPE_MESSAGE) return; /* sub-fields: features.x and the like */
    const char *what = ms_arena_printf(l->arena, "option \"%s\"", o->name);
    if (b->type == MS_TYPE_ENUM) {
      if (o->value.kind != MS_VALUE_IDENT || o->value.negative) {
        ms_error(l->diag, o->value.loc, "expected an enum value name for %s", what);
      } else {
        const char *needle = ms_arena_printf(l->arena, " %s ", o->value.text);
        if (!strstr(b->enum_values, needle))
          ms_error(l->diag, o->value.loc, "\"%s\" is not a valid value for %s (valid: %.*s)", o->value.text, what,
                   (int)strlen(b->enum_values) - 2, b->enum_values + 1);
      }
      return;
    }
    check_value_for_type(l, &o->value, b->type, NULL, what);
    return;
  }
  ms_error(l->diag, o->loc, "option \"%.*s\" unknown for a %s", (int)first_len, o->name,
           options_message[target] + strlen("google.protobuf."));
}

static void check_custom_option(Linker *l, ms_Option *o, enum Target target, const char *scope) {
  Lookup info;
  const Symbol *s = lookup(l, o->extension, scope, false, &info);
  if (!s || s->kind != SYM_FIELD || !((ms_Field *)s->node)->is_extension) {
    if (!s && info.hidden) {
      report_unresolved(l, o->extension, o->loc, &info);
    } else {
      ms_error(l->diag, o->loc, "option \"(%s)\" unknown; make sure this file imports the file that defines it",
               o->extension);
    }
    return;
  }
  ms_Field *ext = s->node;
  o->resolved = ext;
  if (ext->extendee && strcmp(ext->extendee->full_name, options_message[target]) != 0) {
    ms_error(l->diag, o->loc, "option \"(%s)\" extends \"%s\" and cannot be used on a %s", o->extension,
             ext->extendee->full_name, options_message[target] + strlen("google.protobuf."));
    return;
  }
  if (strchr(o->name + strlen(o->extension) + 2, '.')) return; /* sub-field of a message option */
  const char *what = ms_arena_printf(l->arena, "option \"(%s)\"", o->extension);
  if (ext->type != MS_TYPE_NAMED) check_value_for_type(l, &o->value, ext->type, ext->enum_type, what);
}

static void check_options(Linker *l, const ms_Vec *options, enum Target target, const char *scope) {
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (o->extension)
      check_custom_option(l, o, target, scope);
    else
      check_builtin_option(l, o, target);
  }
}

/* ---- resolution ----------------------------------------------------------- */

static void resolve_field_type(Linker *l, ms_Field *f) {
  if (f->type != MS_TYPE_NAMED) return;
  Lookup info;
  const Symbol *s = lookup(l, f->type_name, f->full_name, true, &info);
  if (!s) {
    /* a non-type symbol (a package, a service, a field) under that name? */
    Lookup any;
    const Symbol *other = lookup(l, f->type_name, f->full_name, false, &any);
    if (other && !is_type(other) && other->kind != SYM_SERVICE)
      ms_error(l->diag, f->type_loc, "\"%s\" is not a type", f->type_name);
    else
      report_unresolved(l, f->type_name, f->type_loc, &info);
    return;
  }
  if (!is_type(s)) {
    ms_error(l->diag, f->type_loc, "\"%s\" is not a type", f->type_name);
    return;
  }
  if (s->kind == SYM_MESSAGE) {
    f->type = MS_TYPE_MESSAGE;
    f->message_type = s->node;
  } else {
    f->type = MS_TYPE_ENUM;
    f->enum_type = s->node;
  }
}

static ms_Message *resolve_message_name(Linker *l, const char *name, const char *relative_to, ms_Loc loc) {
  Lookup info;
  const Symbol *s = lookup(l, name, relative_to, false, &info);
  if (!s) {
    report_unresolved(l, name, loc, &info);
    return NULL;
  }
  if (s->kind != SYM_MESSAGE) {
    ms_error(l->diag, loc, "\"%s\" is not a message type", name);
    return NULL;
  }
  return s->node;
}

static void check_field_number(Linker *l, ms_Field *f) {
  if (f->number <= 0) {
    ms_error(l->diag, f->number_loc, "field numbers must be positive integers");
  } else if (f->number > MAX_FIELD_NUMBER) {
    ms_error(l->diag, f->number_loc, "field numbers cannot be greater than %lld", (long long)MAX_FIELD_NUMBER);
  } else if (f->number >= 19000 && f->number <= 19999) {
    ms_error(l->diag, f->number_loc,
             "field numbers 19000 through 19999 are reserved for the protocol buffer library "
             "implementation");
  }
}

static const char *label_word(ms_Label l) {
  return l == MS_LABEL_OPTIONAL ? "optional" : l == MS_LABEL_REQUIRED ? "required" : "repeated";
}

static void resolve_field(Linker *l, ms_Field *f, ms_Features inherited, bool in_map_entry) {
  ms_File *file = l->file;
  check_option_allowed_in_editions(l, &f->options);
  if (f->oneof && !f->oneof->synthetic) inherited = f->oneof->features;
  f->features = apply_features(l, inherited, &f->options);
  resolve_field_type(l, f);
  check_field_number(l, f);

  /* labels */
  bool editions = file->syntax == MS_SYNTAX_EDITIONS;
  if (editions && f->written_label != MS_LABEL_NONE && f->written_label != MS_LABEL_REPEATED && !in_map_entry &&
      !f->map_entry) {
    ms_error(l->diag, f->label_loc, "label \"%s\" is not allowed in editions; use the field_presence feature instead",
             label_word(f->written_label));
  }
  if (editions && f->is_group_syntax) {
    ms_error(l->diag, f->type_loc,
             "groups are not supported in editions; use a message field with the "
             "message_encoding = DELIMITED feature instead");
  }
  if (file->syntax == MS_SYNTAX_PROTO3) {
    if (f->written_label == MS_LABEL_REQUIRED)
      ms_error(l->diag, f->label_loc, "required fields are not allowed in proto3");
    if (f->is_group_syntax) ms_error(l->diag, f->type_loc, "groups are not supported in proto3 syntax");
    if (f->default_value) ms_error(l->diag, f->default_value->loc, "explicit default values are not allowed in proto3");
  }

  f->label = f->written_label == MS_LABEL_NONE ? MS_LABEL_OPTIONAL : f->written_label;
  bool repeated = f->label == MS_LABEL_REPEATED;
  ms_Option *presence_opt = ms_find_option(&f->options, "features.field_presence");
  if (editions && presence_opt) {
    if (repeated)
      ms_error(l->diag, presence_opt->loc, "repeated fields cannot specify field presence");
    else if (f->oneof)
      ms_error(l->diag, presence_opt->loc, "oneof fields cannot specify field presence");
    else if (f->is_extension)
      ms_error(l->diag, presence_opt->loc, "extensions cannot specify field presence");
    else if (f->type == MS_TYPE_MESSAGE && f->features.field_presence == MS_PRESENCE_IMPLICIT)
      ms_error(l->diag, presence_opt->loc, "message fields cannot specify implicit presence");
  }
  if (editions && !repeated && !f->oneof && !f->is_extension &&
      f->features.field_presence == MS_PRESENCE_LEGACY_REQUIRED)
    f->label = MS_LABEL_REQUIRED;
  if (editions && f->type == MS_TYPE_MESSAGE && !f->map_entry && !in_map_entry &&
      f->features.message_encoding == MS_ENCODING_DELIMITED) {
    f->type = MS_TYPE_GROUP;
  }

  /* presence */
  if (repeated)
    f->has_presence = false;
  else if (f->type == MS_TYPE_MESSAGE || f->type == MS_TYPE_GROUP || f->oneof || f->is_extension)
    f->has_presence = true;
  else if (file->syntax == MS_SYNTAX_PROTO3)
    f->has_presence = f->proto3_optional;
  else if (file->syntax == MS_SYNTAX_PROTO2)
    f->has_presence = true;
  else
    f->has_presence = f->features.field_presence != MS_PRESENCE_IMPLICIT;

  /* packed */
  if (repeated && ms_type_is_packable(f->type) && f->type != MS_TYPE_NAMED) {
    ms_Option *packed = ms_find_option(&f->options, "packed");
    if (packed && !editions)
      f->packed = ms_value_is_true(&packed->value);
    else
      f->packed = f->features.repeated_field_encoding == MS_REPEATED_PACKED;
  } else if (ms_option_is_true(&f->options, "packed") && f->type != MS_TYPE_NAMED && !editions) {
    ms_error(l->diag, ms_find_option(&f->options, "packed")->loc,
             "[packed = true] can only be specified for repeated primitive fields");
  }
  f->utf8_validate = f->type == MS_TYPE_STRING && f->features.utf8_validation == MS_UTF8_VERIFY;

  if (!f->has_json_name)
    f->json_name = default_json_name(l, f->name);
  else if (f->is_extension)
    ms_error(l->diag, f->name_loc, "option json_name is not allowed on extension fields");

  if (f->default_value) {
    if (repeated)
      ms_error(l->diag, f->default_value->loc, "repeated fields cannot have default values");
    else if (f->type == MS_TYPE_MESSAGE || f->type == MS_TYPE_GROUP)
      ms_error(l->diag, f->default_value->loc, "messages cannot have default values");
    else if (file->syntax != MS_SYNTAX_PROTO3 && f->type != MS_TYPE_NAMED)
      check_value_for_type(l, f->default_value, f->type, f->enum_type, "a field default");
  }
}

static void check_map_entry(Linker *l, ms_Field *map_field) {
  ms_Message *entry = map_field->map_entry;
  ms_Field *key = entry->fields.items[0];
  ms_Field *value = entry->fields.items[1];
  if (key->type == MS_TYPE_NAMED) {
    /* a named key: resolve it to see what kind of type it is */
    resolve_field_type(l, key);
  }
  switch (key->type) {
    case MS_TYPE_ENUM: ms_error(l->diag, key->type_loc, "map keys cannot be enum types"); break;
    case MS_TYPE_FLOAT:
    case MS_TYPE_DOUBLE:
    case MS_TYPE_BYTES:
    case MS_TYPE_MESSAGE:
    case MS_TYPE_GROUP:
      ms_error(l->diag, key->type_loc, "map keys cannot be float/double, bytes or message types (found %s)",
               ms_type_name(key->type));
      break;
    default: break;
  }
  (void)value;
}

static void check_reserved_ranges(Linker *l, const ms_Vec *ranges, const char *what) {
  for (unsigned i = 0; i < ranges->count; i++) {
    ms_Range *r = ranges->items[i];
    if (r->end < r->start) {
      ms_error(l->diag, r->loc, "%s end number must be greater than or equal to start number", what);
      continue;
    }
    for (unsigned j = 0; j < i; j++) {
      ms_Range *q = ranges->items[j];
      if (r->start <= q->end && q->start <= r->end) {
        ms_error(l->diag, r->loc, "%s %lld to %lld overlaps with already-defined range %lld to %lld", what,
                 (long long)r->start, (long long)r->end, (long long)q->start, (long long)q->end);
        break;
      }
    }
  }
}

static int compare_fields_by_number(const void *a, const void *b) {
  const ms_Field *x = *(ms_Field *const *)a, *y = *(ms_Field *const *)b;
  if (x->number != y->number) return x->number < y->number ? -1 : 1;
  /* equal numbers: keep declaration order via the location */
  if (x->number_loc.line != y->number_loc.line) return x->number_loc.line < y->number_loc.line ? -1 : 1;
  return x->number_loc.col < y->number_loc.col ? -1 : (x->number_loc.col > y->number_loc.col);
}

static void check_message_ranges(Linker *l, ms_Message *m);

static void check_message_numbers(Linker *l, ms_Message *m) {
  unsigned n = m->fields.count;
  if (n < 2) {
    check_message_ranges(l, m);
    return;
  }
  ms_Field *small[64];
  ms_Field **sorted = n <= 64 ? small : malloc(n * sizeof *sorted);
  if (!sorted) abort();
  memcpy(sorted, m->fields.items, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, compare_fields_by_number);
  for (unsigned i = 1; i < n; i++) {
    if (sorted[i]->number == sorted[i - 1]->number && sorted[i]->number > 0)
      ms_error(l->diag, sorted[i]->number_loc, "field number %lld has already been used in \"%s\" by field \"%s\"",
               (long long)sorted[i]->number, m->full_name, sorted[i - 1]->name);
  }
  if (sorted != small) free(sorted);
  check_message_ranges(l, m);
}

static void check_message_ranges(Linker *l, ms_Message *m) {
  check_reserved_ranges(l, &m->reserved_ranges, "reserved range");
  for (unsigned i = 0; i < m->reserved_ranges.count; i++) {
    ms_Range *r = m->reserved_ranges.items[i];
    if (r->start <= 0) ms_error(l->diag, r->loc, "reserved field numbers must be positive integers");
  }
  check_reserved_ranges(l, &m->extension_ranges, "extension range");
  for (unsigned i = 0; i < m->extension_ranges.count; i++) {
    ms_Range *r = m->extension_ranges.items[i];
    if (r->start <= 0)
      ms_error(l->diag, r->loc, "extension numbers must be positive integers");
    else if (r->end > MAX_FIELD_NUMBER && !m->message_set_wire_format)
      ms_error(l->diag, r->loc, "extension numbers cannot be greater than %lld", (long long)MAX_FIELD_NUMBER);
    for (unsigned j = 0; j < m->reserved_ranges.count; j++) {
      ms_Range *q = m->reserved_ranges.items[j];
      if (r->start <= q->end && q->start <= r->end)
        ms_error(l->diag, r->loc, "extension range %lld to %lld overlaps with reserved range %lld to %lld",
                 (long long)r->start, (long long)r->end, (long long)q->start, (long long)q->end);
    }
  }
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    for (unsigned j = 0; j < m->reserved_ranges.count; j++) {
      ms_Range *r = m->reserved_ranges.items[j];
      if (f->number >= r->start && f->number <= r->end) {
        ms_error(l->diag, f->number_loc, "field \"%s\" uses reserved number %lld", f->name, (long long)f->number);
        break;
      }
    }
    for (unsigned j = 0; j < m->reserved_names.count; j++) {
      ms_ReservedName *r = m->reserved_names.items[j];
      if (strcmp(r->name, f->name) == 0) ms_error(l->diag, f->name_loc, "field name \"%s\" is reserved", f->name);
    }
    if (ms_ranges_contain(&m->extension_ranges, f->number))
      ms_error(l->diag, f->number_loc, "field \"%s\" uses number %lld, which is in an extension range", f->name,
               (long long)f->number);
  }
}

static void check_json_names(Linker *l, ms_Message *m) {
  ms_File *file = l->file;
  bool strict = file->syntax == MS_SYNTAX_PROTO3 ||
                (file->syntax == MS_SYNTAX_EDITIONS && m->features.json_format == MS_JSON_ALLOW);
  if (!strict || m->is_map_entry || ms_option_is_true(&m->options, "deprecated_legacy_json_field_conflicts")) return;
  for (unsigned i = 1; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    for (unsigned j = 0; j < i; j++) {
      ms_Field *g = m->fields.items[j];
      if (strcmp(f->json_name, g->json_name) == 0 && strcmp(f->name, g->name) != 0) {
        ms_error(l->diag, f->name_loc,
                 "the JSON name of field \"%s\" (\"%s\") conflicts with field \"%s\"; JSON names "
                 "must be unique within a message",
                 f->name, f->json_name, g->name);
        break;
      }
    }
  }
}

static void resolve_message(Linker *l, ms_Message *m, ms_Features inherited);

static void check_enum_use_in_open_message(Linker *l, ms_Field *f) {
  if (l->file->syntax != MS_SYNTAX_PROTO3 || f->type != MS_TYPE_ENUM || !f->enum_type) return;
  if (f->enum_type->closed)
    ms_error(l->diag, f->type_loc,
             "enum type \"%s\" is a closed enum, but is used in \"%s\", which is a proto3 message type",
             f->enum_type->full_name, f->parent ? f->parent->full_name : l->file->path);
}

static void resolve_enum(Linker *l, ms_Enum *e, ms_Features inherited) {
  (void)inherited;
  e->allow_alias = ms_option_is_true(&e->options, "allow_alias");
  if (e->values.count && !e->closed) {
    ms_EnumValue *first = e->values.items[0];
    if (first->number != 0)
      ms_error(l->diag, first->number_loc, "the first enum value must be zero for open enums%s",
               l->file->syntax == MS_SYNTAX_PROTO3 ? " (every proto3 enum is open)" : "");
  }
  bool aliased = false;
  for (unsigned i = 0; i < e->values.count; i++) {
    ms_EnumValue *v = e->values.items[i];
    if (v->number < INT32_MIN || v->number > INT32_MAX)
      ms_error(l->diag, v->number_loc, "enum value numbers must fit in 32 bits");
    for (unsigned j = 0; j < i; j++) {
      ms_EnumValue *w = e->values.items[j];
      if (w->number == v->number) {
        aliased = true;
        if (!e->allow_alias)
          ms_error(l->diag, v->number_loc,
                   "\"%s\" uses the same enum value as \"%s\"; set 'option allow_alias = true;' "
                   "on the enum if this is intended",
                   v->full_name, w->name);
        break;
      }
    }
    if (ms_ranges_contain(&e->reserved_ranges, v->number))
      ms_error(l->diag, v->number_loc, "enum value \"%s\" uses reserved number %lld", v->name, (long long)v->number);
    for (unsigned j = 0; j < e->reserved_names.count; j++) {
      ms_ReservedName *r = e->reserved_names.items[j];
      if (strcmp(r->name, v->name) == 0) ms_error(l->diag, v->loc, "enum value \"%s\" is reserved", v->name);
    }
  }
  if (e->allow_alias && !aliased) {
    ms_Option *o = ms_find_option(&e->options, "allow_alias");
    ms_error(l->diag, o ? o->loc : e->loc,
             "\"%s\" allows aliases but no two values share a number; remove "
             "'option allow_alias = true;'",
             e->full_name);
  }
  check_reserved_ranges(l, &e->reserved_ranges, "reserved range");
}

static void resolve_extension(Linker *l, ms_Field *f, ms_Features inherited) {
  f->proto3_optional = l->file->syntax == MS_SYNTAX_PROTO3 && f->written_label == MS_LABEL_OPTIONAL;
  f->extendee = resolve_message_name(l, f->extendee_name, f->full_name, f->type_loc);
  resolve_field(l, f, inherited, false);
  if (f->written_label == MS_LABEL_REQUIRED) ms_error(l->diag, f->label_loc, "extensions cannot be required");
  if (!f->extendee) return;
  if (l->file->syntax == MS_SYNTAX_PROTO3 && strncmp(f->extendee->full_name, "google.protobuf.", 16) != 0)
    ms_error(l->diag, f->name_loc, "extensions in proto3 are only allowed for defining options");
  if (f->number > 0 && !ms_ranges_contain(&f->extendee->extension_ranges, f->number))
    ms_error(l->diag, f->number_loc, "\"%s\" does not declare %lld as an extension number", f->extendee->full_name,
             (long long)f->number);
}

static void resolve_message(Linker *l, ms_Message *m, ms_Features inherited) {
  (void)inherited;
  m->message_set_wire_format = ms_option_is_true(&m->options, "message_set_wire_format");
  /* "to max" reaches further in message sets, as in protoc */
  for (unsigned i = 0; i < m->extension_ranges.count && m->message_set_wire_format; i++) {
    ms_Range *r = m->extension_ranges.items[i];
    if (r->end_is_max) r->end = INT32_MAX - 1;
  }
  for (unsigned i = 0; i < m->enums.count; i++) resolve_enum(l, m->enums.items[i], m->features);
  for (unsigned i = 0; i < m->messages.count; i++) resolve_message(l, m->messages.items[i], m->features);
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    resolve_field(l, f, m->features, m->is_map_entry);
    if (f->map_entry) check_map_entry(l, f);
    check_enum_use_in_open_message(l, f);
  }
  for (unsigned i = 0; i < m->extensions.count; i++) resolve_extension(l, m->extensions.items[i], m->features);
  check_message_numbers(l, m);
  check_json_names(l, m);
}

static void resolve_service(Linker *l, ms_Service *s) {
  for (unsigned i = 0; i < s->methods.count; i++) {
    ms_Method *m = s->methods.items[i];
    m->input = resolve_message_name(l, m->input_name, m->full_name, m->input_loc);
    m->output = resolve_message_name(l, m->output_name, m->full_name, m->output_loc);
  }
}

static void check_imports(Linker *l, ms_File *f) {
  for (unsigned i = 0; i < f->imports.count; i++) {
    ms_Import *imp = f->imports.items[i];
    if (imp->is_weak && f->edition && strcmp(f->edition, "2024") >= 0)
      ms_error(l->diag, imp->loc, "weak imports are not allowed in edition 2024");
  }
}

/* Features first, so that every enum knows whether it is closed before any
 * field uses it. */
static void compute_enum_features(Linker *l, ms_Enum *e, ms_Features inherited) {
  e->features = apply_features(l, inherited, &e->options);
  e->closed = e->features.enum_type == MS_ENUM_CLOSED;
}

static void compute_message_features(Linker *l, ms_Message *m, ms_Features inherited) {
  m->features = apply_features(l, inherited, &m->options);
  for (unsigned i = 0; i < m->oneofs.count; i++) {
    ms_Oneof *o = m->oneofs.items[i];
    o->features = apply_features(l, m->features, &o->options);
  }
  for (unsigned i = 0; i < m->enums.count; i++) compute_enum_features(l, m->enums.items[i], m->features);
  for (unsigned i = 0; i < m->messages.count; i++) compute_message_features(l, m->messages.items[i], m->features);
}

/* Options last, when every extension they may name has been resolved. */
static void check_field_options(Linker *l, const ms_Vec *fields) {
  for (unsigned i = 0; i < fields->count; i++) {
    ms_Field *f = fields->items[i];
    check_options(l, &f->options, T_FIELD, f->full_name);
  }
}

static void check_enum_options(Linker *l, ms_Enum *e) {
  check_options(l, &e->options, T_ENUM, e->full_name);
  for (unsigned i = 0; i < e->values.count; i++) {
    ms_EnumValue *v = e->values.items[i];
    check_options(l, &v->options, T_ENUM_VALUE, v->full_name);
  }
}

static void check_message_options(Linker *l, ms_Message *m) {
  check_options(l, &m->options, T_MESSAGE, m->full_name);
  for (unsigned i = 0; i < m->extension_ranges.count; i++) {
    ms_Range *r = m->extension_ranges.items[i];
    ms_Range *previous = i ? m->extension_ranges.items[i - 1] : NULL;
    /* ranges of one statement share its options: check them once */
    if (!previous || previous->options.items != r->options.items) check_options(l, &r->options, T_RANGE, m->full_name);
  }
  check_field_options(l, &m->fields);
  check_field_options(l, &m->extensions);
  for (unsigned i = 0; i < m->oneofs.count; i++) {
    ms_Oneof *o = m->oneofs.items[i];
    check_options(l, &o->options, T_ONEOF, o->full_name);
  }
  for (unsigned i = 0; i < m->enums.count; i++) check_enum_options(l, m->enums.items[i]);
  for (unsigned i = 0; i < m->messages.count; i++) check_message_options(l, m->messages.items[i]);
}

static void check_file_options(Linker *l, ms_File *f) {
  /* protoc looks option names up from the package itself */
  const char *scope = f->package ? ms_arena_printf(l->arena, "%s._", f->package) : "_";
  check_options(l, &f->options, T_FILE, scope);
  check_field_options(l, &f->extensions);
  for (unsigned i = 0; i < f->enums.count; i++) check_enum_options(l, f->enums.items[i]);
  for (unsigned i = 0; i < f->messages.count; i++) check_message_options(l, f->messages.items[i]);
  for (unsigned i = 0; i < f->services.count; i++) {
    ms_Service *s = f->services.items[i];
    check_options(l, &s->options, T_SERVICE, s->full_name);
    for (unsigned j = 0; j < s->methods.count; j++) {
      ms_Method *m = s->methods.items[j];
      check_options(l, &m->options, T_METHOD, m->full_name);
    }
  }
}

static bool resolve_idl_name(void *linker, const char *name, const char *scope, ms_Loc loc, ms_Message **message,
                             ms_Enum **enum_type) {
  Linker *l = linker;
  Lookup info;
  const Symbol *s = lookup(l, name, scope, true, &info);
  if (!s) {
    report_unresolved(l, name, loc, &info);
    return false;
  }
  if (s->kind == SYM_MESSAGE)
    *message = s->node;
  else
    *enum_type = s->node;
  return true;
}

void ms_link_file(ms_Compiler *c, ms_File *f) {
  Linker l = {0};
  l.c = c;
  l.arena = c->arena;
  l.diag = &c->diag;
  l.file = f;
  register_file(&l, f);
  mark_visible_files(&l, f);
  if (f->syntax == MS_SYNTAX_FDL || f->syntax == MS_SYNTAX_FBS) {
    ms_IdlLinker idl = {&l, resolve_idl_name, c->arena, &c->diag, f};
    ms_link_idl_file(&idl);
    return;
  }
  check_imports(&l, f);
  f->features = apply_features(&l, defaults_for(f), &f->options);
  for (unsigned i = 0; i < f->enums.count; i++) compute_enum_features(&l, f->enums.items[i], f->features);
  for (unsigned i = 0; i < f->messages.count; i++) compute_message_features(&l, f->messages.items[i], f->features);
  for (unsigned i = 0; i < f->extensions.count; i++) resolve_extension(&l, f->extensions.items[i], f->features);
  for (unsigned i = 0; i < f->enums.count; i++) resolve_enum(&l, f->enums.items[i], f->features);
  for (unsigned i = 0; i < f->messages.count; i++) resolve_message(&l, f->messages.items[i], f->features);
  for (unsigned i = 0; i < f->services.count; i++) resolve_service(&l, f->services.items[i]);
  check_file_options(&l, f);
}
