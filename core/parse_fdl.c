/* A recursive-descent parser for Fory IDL (.fdl) as foryc accepts it:
 * package (with alias), import, option, enum, message, union, service; field
 * modifiers optional / ref / repeated, list<>, map<>, array<>, the
 * fixed / varint / tagged integer encodings, [key = value] options, reserved.
 * It fills the protobuf-shaped model (so the protobuf codec works on .fdl)
 * and the Fory detail of every field (ms_IdlField). Checks that need names
 * resolved are in link_idl.c. */
#include <string.h>

#include "idl_common.h"
#include "parse.h"
#include "parse_util.h"

/* Grammar comments above the parse functions are EBNF, as in Lua's lparser.c: [x] optional, {x} zero or more,
 * x | y either; quoted text is literal; IDENT, INT, FLOAT and STRING are lexer tokens, EOF the end of the file.
 * From parse_util.c: dotted ::= IDENT {'.' IDENT}   strlit ::= STRING {STRING}   integer ::= ['-'] INT
 * Here: scalartype: a Fory scalar type name (bool, int8, ..., float64, string, ...). */

static const char *const file_options[] = {"java_package",
                                           "java_outer_classname",
                                           "java_multiple_files",
                                           "go_package",
                                           "kotlin_package",
                                           "csharp_namespace",
                                           "deprecated",
                                           "use_record_for_java_message",
                                           "polymorphism",
                                           "enable_auto_type_id",
                                           "go_nested_type_style",
                                           "swift_namespace_style",
                                           "rust_use_chrono_temporal_types",
                                           "evolving",
                                           NULL};
static const char *const field_options[] = {"deprecated",      "json_name",
                                            "packed",          "lazy",
                                            "unverified_lazy", "weak",
                                            "debug_redact",    "retention",
                                            "targets",         "edition_defaults",
                                            "features",        "ref",
                                            "nullable",        "thread_safe_pointer",
                                            "thread_safe",     "weak_ref",
                                            "java_array",      NULL};
static const char *const ref_options[] = {"weak", "weak_ref", "thread_safe", "thread_safe_pointer", NULL};
static const char *const enum_options[] = {"id", "deprecated", "alias", NULL};
static const char *const message_options[] = {"id",         "alias",     "evolving", "use_record_for_java",
                                              "deprecated", "namespace", NULL};
static const char *const union_options[] = {"id", "alias", "deprecated", NULL};
static const char *const service_options[] = {"deprecated", NULL};

/* ---- options ---------------------------------------------------------------- */

/* value ::= STRING | IDENT | integer */
/* value: string, true, false, integer, identifier */
static bool parse_simple_value(Parser *p, ms_Value *v) {
  memset(v, 0, sizeof *v);
  v->loc = peek(p)->loc;
  const ms_Token *t = peek(p);
  if (t->kind == MS_TOK_STRING) {
    v->kind = MS_VALUE_STRING;
    ms_Token s = next(p);
    v->text = s.str;
    v->text_len = s.str_len;
    pu_check_utf8(p, s.str, s.str_len, s.loc, "a string value");
    return true;
  }
  if (t->kind == MS_TOK_IDENT) {
    ms_Token s = next(p);
    v->kind = MS_VALUE_IDENT;
    v->text = token_text(p, &s);
    v->text_len = s.len;
    return true;
  }
  if (t->kind == MS_TOK_INT || ms_tok_is_symbol(t, '-')) {
    int64_t n;
    if (!parse_integer(p, "an option value", &n, NULL)) return false;
    v->kind = MS_VALUE_INT;
    v->negative = n < 0;
    v->u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    v->d = (double)n;
    v->text = ms_arena_printf(p->arena, "%lld", (long long)n);
    return true;
  }
  return fail(p, "an option value (a string, true, false, an integer or a name)");
}

static void warn_if_unknown(Parser *p, const ms_Option *o, const char *const *known, const char *what) {
  if (ms_idl_name_in(o->name, known)) return;
  ms_warning(p->diag, o->loc, "unknown %s option \"%s\" is ignored", what, o->name);
}

/* assignment ::= IDENT '=' value   (with ':' as the separator: IDENT [':' value]) */
/* name = value */
static ms_Option *parse_assignment(Parser *p, char separator) {
  ms_Option *o = MS_NEW(p->arena, ms_Option);
  o->loc = peek(p)->loc;
  if (peek(p)->kind != MS_TOK_IDENT) {
    fail(p, "an option name");
    return NULL;
  }
  ms_Token t = next(p);
  o->name = token_text(p, &t);
  if (separator == ':' && !looking_at_symbol(p, ':')) {
    /* FlatBuffers: a bare attribute is `true` */
    o->value.kind = MS_VALUE_IDENT;
    o->value.text = "true";
    o->value.text_len = 4;
    o->value.loc = o->loc;
    return o;
  }
  if (!expect_symbol(p, separator)) return NULL;
  if (!parse_simple_value(p, &o->value)) return NULL;
  return o;
}

/* optionlist ::= ['[' assignment {',' assignment} ']'] */
/* [a = 1, b = "x"] after a type name or a field */
static bool parse_bracket_list(Parser *p, ms_Vec *into, const char *const *known, const char *what) {
  if (!try_consume_symbol(p, '[')) return true;
  for (;;) {
    ms_Option *o = parse_assignment(p, '=');
    if (!o) return false;
    if (ms_find_option(into, o->name)) ms_error(p->diag, o->loc, "option \"%s\" was already set", o->name);
    warn_if_unknown(p, o, known, what);
    ms_vec_push(p->arena, into, o);
    if (try_consume_symbol(p, ']')) return true;
    if (!expect_symbol(p, ',')) return false;
  }
}

/* optionstat ::= 'option' assignment ';' */
/* option name = value ; */
static bool parse_option_statement(Parser *p, ms_Vec *into, const char *const *known, const char *what) {
  next(p); /* option */
  ms_Option *o = parse_assignment(p, '=');
  if (!o) return false;
  warn_if_unknown(p, o, known, what);
  ms_vec_push(p->arena, into, o);
  return end_declaration(p, ';', NULL);
}

/* typeoptions ::= optionlist */
/* [id = N, ...] on a type: the id becomes the type's Fory id. */
static bool parse_type_options(Parser *p, ms_Vec *options, ms_TypeId *id, const char *const *known, bool allow_zero) {
  if (!parse_bracket_list(p, options, known, "type")) return false;
  ms_Option *o = ms_find_option(options, "id");
  if (!o) return true;
  if (o->value.kind != MS_VALUE_INT || o->value.negative || (o->value.u == 0 && !allow_zero) ||
      o->value.u > UINT32_MAX) {
    ms_error(p->diag, o->value.loc, "type option \"id\" must be an integer from %d to 4294967295", allow_zero ? 0 : 1);
    return true;
  }
  id->id = (uint32_t)o->value.u;
  id->has_id = true;
  id->loc = o->value.loc;
  return true;
}

/* ---- types -------------------------------------------------------------------- */

static bool parse_type(Parser *p, ms_TypeRef *t, bool allow_collection, ms_IdlField *idl);

/* refoptions ::= ['(' assignment {',' assignment} ')'] */
/* ( name = value, ... ) after `ref` */
static bool parse_ref_options(Parser *p, ms_Vec *into) {
  if (!try_consume_symbol(p, '(')) return true;
  for (;;) {
    ms_Option *o = parse_assignment(p, '=');
    if (!o) return false;
    warn_if_unknown(p, o, ref_options, "ref");
    if (strcmp(o->name, "weak") == 0) o->name = "weak_ref";
    if (strcmp(o->name, "thread_safe") == 0) o->name = "thread_safe_pointer";
    ms_vec_push(p->arena, into, o);
    if (try_consume_symbol(p, ')')) return true;
    if (!expect_symbol(p, ',')) return false;
  }
}

/* elementmods ::= {'optional' | 'ref' refoptions}   (each only before IDENT, 'ref' also before '(') */
/* optional / ref(...) before a list element or a map value */
static bool parse_element_modifiers(Parser *p, ms_TypeRef *t) {
  for (;;) {
    if (looking_at(p, "optional") && peek_at(p, 1)->kind == MS_TOK_IDENT) {
      next(p);
      t->optional = true;
    } else if (looking_at(p, "ref") && (peek_at(p, 1)->kind == MS_TOK_IDENT || ms_tok_is_symbol(peek_at(p, 1), '('))) {
      next(p);
      t->ref = true;
      if (!parse_ref_options(p, &t->ref_options)) return false;
    } else {
      return true;
    }
  }
}

static bool is_collection_start(Parser *p);

/* elementtype ::= 'array' '<' type '>' | type   (type without a collection) */
/* An element or map value: a type, or `array<T>` — the one nested collection
 * foryc accepts for Python (list<array<int32>>, map<string, array<uint8>>),
 * kept as the element's encoding "array". Other nesting is an error. */
static bool parse_element_type(Parser *p, ms_TypeRef *t) {
  if (is_collection_start(p) && looking_at(p, "array")) {
    ms_Loc loc = next(p).loc;
    if (!expect_symbol(p, '<')) return false;
    if (looking_at(p, "optional") || looking_at(p, "ref")) {
      ms_error(p->diag, peek(p)->loc, "array elements cannot be optional or ref");
      return false;
    }
    if (!parse_type(p, t, false, NULL)) return false;
    if (t->encoding || t->scalar < MS_SCALAR_BOOL || t->scalar > MS_SCALAR_FLOAT64) {
      ms_error(p->diag, t->loc, "array<T> holds bool and number types without an encoding modifier; use list<T>");
      return false;
    }
    t->encoding = "array";
    t->loc = loc;
    return expect_symbol(p, '>');
  }
  return parse_type(p, t, false, NULL);
}

/* collection ::= 'map' '<' type ',' elementmods elementtype '>' | 'list' '<' elementmods elementtype '>'
 *              | 'array' '<' type '>'   (type without a collection) */
static bool parse_collection(Parser *p, ms_IdlField *idl) {
  ms_Token kw = next(p);
  idl->value.loc = kw.loc;
  if (!expect_symbol(p, '<')) return false;
  if (ms_tok_is(&kw, "map")) {
    idl->collection = MS_COLLECTION_MAP;
    if (looking_at(p, "ref")) {
      ms_error(p->diag, peek(p)->loc, "map keys cannot be ref");
      return false;
    }
    if (!parse_type(p, &idl->key, false, NULL)) return false;
    if (!expect_symbol(p, ',')) return false;
    if (!parse_element_modifiers(p, &idl->value)) return false;
    if (!parse_element_type(p, &idl->value)) return false;
  } else if (ms_tok_is(&kw, "list")) {
    idl->collection = MS_COLLECTION_LIST;
    if (!parse_element_modifiers(p, &idl->value)) return false;
    if (!parse_element_type(p, &idl->value)) return false;
  } else {
    idl->collection = MS_COLLECTION_ARRAY;
    if (looking_at(p, "optional") || looking_at(p, "ref")) {
      ms_error(p->diag, peek(p)->loc, "array elements cannot be optional or ref");
      return false;
    }
    if (!parse_type(p, &idl->value, false, NULL)) return false;
  }
  return expect_symbol(p, '>');
}

static bool is_collection_start(Parser *p) {
  return (looking_at(p, "map") || looking_at(p, "list") || looking_at(p, "array")) &&
         ms_tok_is_symbol(peek_at(p, 1), '<');
}

/* type ::= collection | encoding inttype | scalartype | dotted   (collection only if allow_collection)
 * encoding ::= 'fixed' | 'varint' | 'tagged'   inttype ::= 'int32' | 'int64' | 'uint32' | 'uint64' (tagged: 64-bit) */
/* A scalar (with an optional encoding), a named type, or — when `idl` is
 * given — a collection. */
static bool parse_type(Parser *p, ms_TypeRef *t, bool allow_collection, ms_IdlField *idl) {
  if (is_collection_start(p)) {
    if (!allow_collection) {
      ms_error(p->diag, peek(p)->loc,
               "nested collections are not supported; a list, array or map holds scalars, enums, "
               "messages or unions");
      return false;
    }
    return parse_collection(p, idl);
  }
  t->loc = peek(p)->loc;
  if ((looking_at(p, "fixed") || looking_at(p, "varint") || looking_at(p, "tagged")) &&
      peek_at(p, 1)->kind == MS_TOK_IDENT) {
    ms_Token enc = next(p);
    t->encoding = token_text(p, &enc);
    const ms_Token *s = peek(p);
    ms_Scalar scalar = ms_scalar_from_name(s->start, s->len);
    bool ok = scalar == MS_SCALAR_INT32 || scalar == MS_SCALAR_INT64 || scalar == MS_SCALAR_UINT32 ||
              scalar == MS_SCALAR_UINT64;
    if (ok && strcmp(t->encoding, "tagged") == 0) ok = scalar == MS_SCALAR_INT64 || scalar == MS_SCALAR_UINT64;
    if (!ok) {
      ms_error(p->diag, s->loc, "\"%s\" applies to %s only, not to \"%.*s\"", t->encoding,
               strcmp(t->encoding, "tagged") == 0 ? "int64 and uint64" : "int32, int64, uint32 and uint64", (int)s->len,
               s->start);
      next(p);
      return false;
    }
    next(p);
    t->scalar = scalar;
    return true;
  }
  const ms_Token *s = peek(p);
  if (s->kind == MS_TOK_IDENT && !ms_tok_is_symbol(peek_at(p, 1), '.')) {
    ms_Scalar scalar = ms_scalar_from_name(s->start, s->len);
    if (scalar != MS_SCALAR_NONE) {
      next(p);
      t->scalar = scalar;
      return true;
    }
  }
  return parse_dotted_name(p, false, "a type", &t->type_name, &t->loc);
}

/* ---- fields --------------------------------------------------------------------- */

typedef struct Modifiers {
  bool optional, ref, repeated;
  bool element_optional, element_ref;
  ms_Vec ref_options, element_ref_options;
  ms_Loc optional_loc, ref_loc;
} Modifiers;

/* fieldmods ::= {'optional' | 'ref' refoptions | 'repeated'}   (each only before IDENT, 'ref' also before '(';
 * after 'repeated', 'optional' and 'ref' apply to the element) */
static bool parse_field_modifiers(Parser *p, Modifiers *m) {
  for (;;) {
    const ms_Token *t = peek(p);
    bool followed = peek_at(p, 1)->kind == MS_TOK_IDENT;
    if (ms_tok_is(t, "optional") && followed) {
      if (m->repeated)
        m->element_optional = true;
      else
        m->optional = true;
      m->optional_loc = t->loc;
      next(p);
    } else if (ms_tok_is(t, "ref") && (followed || ms_tok_is_symbol(peek_at(p, 1), '('))) {
      m->ref_loc = t->loc;
      next(p);
      ms_Vec *opts = m->repeated ? &m->element_ref_options : &m->ref_options;
      if (m->repeated)
        m->element_ref = true;
      else
        m->ref = true;
      if (!parse_ref_options(p, opts)) return false;
    } else if (ms_tok_is(t, "repeated") && followed) {
      if (m->repeated) {
        ms_error(p->diag, t->loc, "\"repeated\" is written more than once");
        return false;
      }
      m->repeated = true;
      next(p);
    } else {
      return true;
    }
  }
}

static void apply_field_options(Parser *p, ms_Field *f, ms_IdlField *idl) {
  for (unsigned i = 0; i < f->options.count; i++) {
    ms_Option *o = f->options.items[i];
    bool yes = ms_value_is_true(&o->value);
    if (strcmp(o->name, "nullable") == 0 && yes) {
      idl->nullable = true;
    } else if (strcmp(o->name, "ref") == 0 && yes) {
      if (idl->collection == MS_COLLECTION_NONE)
        idl->ref = true;
      else
        idl->value.ref = true;
    } else if (strcmp(o->name, "json_name") == 0 && o->value.kind == MS_VALUE_STRING) {
      f->json_name = o->value.text;
      f->has_json_name = true;
    } else if (strcmp(o->name, "weak_ref") == 0 || strcmp(o->name, "weak") == 0 ||
               strcmp(o->name, "thread_safe_pointer") == 0 || strcmp(o->name, "thread_safe") == 0) {
      ms_Option *c = MS_NEW(p->arena, ms_Option);
      *c = *o;
      c->name = (o->name[0] == 'w') ? "weak_ref" : "thread_safe_pointer";
      ms_vec_push(p->arena, idl->collection == MS_COLLECTION_NONE ? &idl->ref_options : &idl->value.ref_options, c);
    }
  }
}

/* Finishes a field: protobuf shape from the Fory detail. */
static void shape_field(Parser *p, ms_Field *f, ms_Message *m, ms_Vec *nested) {
  ms_IdlField *idl = f->idl;
  ms_idl_shape_field(p->arena, f, m, nested);
  (void)idl;
}

/* fieldtail ::= IDENT '=' integer optionlist ';' */
static bool parse_field_tail(Parser *p, ms_Field *f, const char *what) {
  if (peek(p)->kind != MS_TOK_IDENT) return fail(p, what);
  ms_Token name = next(p);
  f->name = token_text(p, &name);
  f->name_loc = name.loc;
  if (!expect_symbol(p, '=')) return false;
  if (!parse_integer(p, "a field number", &f->number, &f->number_loc)) return false;
  if (!parse_bracket_list(p, &f->options, field_options, "field")) return false;
  return end_declaration(p, ';', &f->comments);
}

/* field ::= fieldmods type fieldtail   (after 'repeated': elementtype instead of type) */
static bool parse_field(Parser *p, ms_Message *m) {
  ms_Field *f = ms_idl_new_field(p->arena, p->file, m);
  take_leading_comments(p, &f->comments);
  f->loc = peek(p)->loc;
  Modifiers mods = {0};
  if (!parse_field_modifiers(p, &mods)) return false;
  ms_IdlField *idl = f->idl;
  f->type_loc = peek(p)->loc;
  if (mods.repeated) {
    idl->collection = MS_COLLECTION_LIST;
    idl->written_repeated = true;
    idl->value.optional = mods.element_optional;
    idl->value.ref = mods.element_ref;
    idl->value.ref_options = mods.element_ref_options;
    if (!parse_element_type(p, &idl->value)) return false;
  } else {
    if (!parse_type(p, &idl->value, true, idl)) return false;
  }
  idl->nullable = mods.optional;
  idl->ref = mods.ref;
  idl->ref_options = mods.ref_options;
  if (!parse_field_tail(p, f, "a field name")) return false;
  apply_field_options(p, f, idl);
  ms_vec_push(p->arena, &m->fields, f);
  shape_field(p, f, m, &m->messages);
  return true;
}

/* unioncase ::= 'repeated' elementtype fieldtail | type fieldtail */
static bool parse_union_case(Parser *p, ms_Message *u) {
  ms_Field *f = ms_idl_new_field(p->arena, p->file, u);
  take_leading_comments(p, &f->comments);
  f->loc = peek(p)->loc;
  if (looking_at(p, "optional") || looking_at(p, "ref")) {
    ms_error(p->diag, peek(p)->loc, "union cases cannot be optional or ref");
    return false;
  }
  ms_IdlField *idl = f->idl;
  f->type_loc = peek(p)->loc;
  if (looking_at(p, "repeated") && peek_at(p, 1)->kind == MS_TOK_IDENT) {
    next(p);
    idl->collection = MS_COLLECTION_LIST;
    idl->written_repeated = true;
    if (!parse_element_type(p, &idl->value)) return false;
  } else if (!parse_type(p, &idl->value, true, idl)) {
    return false;
  }
  if (!parse_field_tail(p, f, "a union case name")) return false;
  apply_field_options(p, f, idl);
  ms_vec_push(p->arena, &u->fields, f);
  ms_Oneof *o = u->oneofs.items[0];
  f->oneof = o;
  ms_vec_push(p->arena, &o->fields, f);
  shape_field(p, f, u, &u->messages);
  return true;
}

/* reserved ::= 'reserved' reserveditem {',' reserveditem} ';'
 * reserveditem ::= STRING | integer ['to' (integer | 'max')] */
/* reserved 2, 9 to 11, 40 to max, "old_name"; */
static bool parse_reserved(Parser *p, ms_Vec *ranges, ms_Vec *names) {
  next(p); /* reserved */
  for (;;) {
    const ms_Token *t = peek(p);
    if (t->kind == MS_TOK_STRING) {
      ms_ReservedName *n = MS_NEW(p->arena, ms_ReservedName);
      n->loc = t->loc;
      ms_Token s = next(p);
      n->name = s.str;
      pu_check_utf8(p, s.str, s.str_len, s.loc, "a reserved name");
      ms_vec_push(p->arena, names, n);
    } else {
      ms_Range *r = MS_NEW(p->arena, ms_Range);
      if (!parse_integer(p, "a reserved number, range or name", &r->start, &r->loc)) return false;
      r->end = r->start;
      if (try_consume(p, "to")) {
        if (try_consume(p, "max")) {
          r->end = MAX_FIELD_NUMBER;
          r->end_is_max = true;
        } else if (!parse_integer(p, "an end of range or \"max\"", &r->end, NULL)) {
          return false;
        }
      }
      ms_vec_push(p->arena, ranges, r);
    }
    if (!try_consume_symbol(p, ',')) break;
  }
  return end_declaration(p, ';', NULL);
}

/* ---- types ---------------------------------------------------------------------- */

/* enum ::= 'enum' IDENT typeoptions '{' {';' | reserved | enumvalue} '}'
 * enumvalue ::= IDENT '=' integer optionlist ';' */
static bool parse_enum(Parser *p, ms_Vec *into, ms_Message *parent) {
  ms_Enum *e = ms_idl_new_enum(p->arena, p->file, parent);
  take_leading_comments(p, &e->comments);
  next(p); /* enum */
  if (!expect_ident(p, "an enum name", &e->name, &e->loc)) return false;
  if (!parse_type_options(p, &e->options, &e->type_id, enum_options, false)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &e->comments)) return false;
  ms_vec_push(p->arena, into, e);
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in enum definition (missing \"}\")");
      return false;
    }
    bool ok = true;
    if (try_consume_symbol(p, ';')) {
    } else if (looking_at(p, "option")) {
      ok = fail(p, "an enum value (option statements are not allowed inside an enum; use [...] after its name)");
    } else if (looking_at(p, "reserved")) {
      ok = parse_reserved(p, &e->reserved_ranges, &e->reserved_names);
    } else {
      ms_EnumValue *v = MS_NEW(p->arena, ms_EnumValue);
      v->kind = MS_KIND_ENUM_VALUE;
      v->parent = e;
      take_leading_comments(p, &v->comments);
      ok = expect_ident(p, "an enum value name", &v->name, &v->loc) && expect_symbol(p, '=') &&
           parse_integer(p, "an enum value number", &v->number, &v->number_loc) &&
           parse_bracket_list(p, &v->options, enum_options, "enum value") && end_declaration(p, ';', &v->comments);
      if (ok) ms_vec_push(p->arena, &e->values, v);
    }
    if (!ok) skip_statement(p);
  }
  if (e->values.count == 0)
    ms_error(p->diag, e->loc,
             "enum \"%s\" must have at least one value (foryc accepts it and writes a class with no body, "
             "which Python cannot import)",
             e->name);
  return true;
}

static bool parse_message(Parser *p, ms_Vec *into, ms_Message *parent);
static bool parse_union(Parser *p, ms_Vec *into, ms_Message *parent);

/* messagestat ::= ';' | message | enum | union | reserved | field */
static bool parse_message_statement(Parser *p, ms_Message *m) {
  if (try_consume_symbol(p, ';')) return true;
  if (looking_at(p, "message") && peek_at(p, 1)->kind == MS_TOK_IDENT) return parse_message(p, &m->messages, m);
  if (looking_at(p, "enum") && peek_at(p, 1)->kind == MS_TOK_IDENT) return parse_enum(p, &m->enums, m);
  if (looking_at(p, "union") && peek_at(p, 1)->kind == MS_TOK_IDENT) return parse_union(p, &m->messages, m);
  if (looking_at(p, "reserved")) return parse_reserved(p, &m->reserved_ranges, &m->reserved_names);
  if (looking_at(p, "option")) {
    return fail(p, "a field (option statements are not allowed inside a message; use [...] after its name)");
  }
  return parse_field(p, m);
}

/* body ::= {messagestat} '}'   (of a union: {';' | reserved | unioncase} '}') */
static bool parse_body(Parser *p, ms_Message *m, ms_Loc open, bool is_union) {
  if (++p->depth > MAX_NESTING) {
    ms_error(p->diag, open, "types are nested more than %d levels deep", MAX_NESTING);
    p->depth--;
    pu_skip_rest_of_block(p);
    return true;
  }
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in %s definition (missing \"}\")", is_union ? "union" : "message");
      p->depth--;
      return false;
    }
    bool ok;
    if (!is_union)
      ok = parse_message_statement(p, m);
    else if (try_consume_symbol(p, ';'))
      ok = true;
    else if (looking_at(p, "reserved"))
      ok = parse_reserved(p, &m->reserved_ranges, &m->reserved_names);
    else
      ok = parse_union_case(p, m);
    if (!ok) skip_statement(p);
  }
  p->depth--;
  return true;
}

/* message ::= 'message' IDENT typeoptions '{' body */
static bool parse_message(Parser *p, ms_Vec *into, ms_Message *parent) {
  ms_Message *m = ms_idl_new_message(p->arena, p->file, parent, MS_IDL_MESSAGE);
  take_leading_comments(p, &m->comments);
  next(p); /* message */
  if (!expect_ident(p, "a message name", &m->name, &m->loc)) return false;
  if (!parse_type_options(p, &m->options, &m->type_id, message_options, false)) return false;
  ms_Option *evolving = ms_find_option(&m->options, "evolving");
  if (evolving) m->evolving = ms_value_is_true(&evolving->value);
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &m->comments)) return false;
  ms_vec_push(p->arena, into, m);
  return parse_body(p, m, open, false);
}

/* union ::= 'union' IDENT typeoptions '{' body */
static bool parse_union(Parser *p, ms_Vec *into, ms_Message *parent) {
  ms_Message *u = ms_idl_new_message(p->arena, p->file, parent, MS_IDL_UNION);
  take_leading_comments(p, &u->comments);
  next(p); /* union */
  if (!expect_ident(p, "a union name", &u->name, &u->loc)) return false;
  if (!parse_type_options(p, &u->options, &u->type_id, union_options, true)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &u->comments)) return false;
  ms_vec_push(p->arena, into, u);
  ms_idl_add_union_oneof(p->arena, u);
  bool ok = parse_body(p, u, open, true);
  ms_idl_keep_union_oneof_clear_of_cases(p->arena, u);
  if (u->fields.count == 0) ms_error(p->diag, u->loc, "union \"%s\" must have at least one case", u->name);
  return ok;
}

/* ---- services ------------------------------------------------------------------- */

/* rpctype ::= '(' ['stream'] dotted ')' */
static bool parse_rpc_type(Parser *p, bool *streaming, const char **name, ms_Loc *loc) {
  if (!expect_symbol(p, '(')) return false;
  if (looking_at(p, "stream") && peek_at(p, 1)->kind == MS_TOK_IDENT) {
    next(p);
    *streaming = true;
  }
  if (!parse_dotted_name(p, false, "a message type", name, loc)) return false;
  return expect_symbol(p, ')');
}

/* rpc ::= 'rpc' IDENT rpctype 'returns' rpctype (';' | '{' {';' | optionstat} '}') */
static bool parse_method(Parser *p, ms_Service *s) {
  ms_Method *m = MS_NEW(p->arena, ms_Method);
  m->kind = MS_KIND_METHOD;
  m->parent = s;
  take_leading_comments(p, &m->comments);
  next(p); /* rpc */
  if (!expect_ident(p, "a method name", &m->name, &m->loc)) return false;
  if (!parse_rpc_type(p, &m->client_streaming, &m->input_name, &m->input_loc)) return false;
  if (!expect_word(p, "returns")) return false;
  if (!parse_rpc_type(p, &m->server_streaming, &m->output_name, &m->output_loc)) return false;
  ms_vec_push(p->arena, &s->methods, m);
  if (!looking_at_symbol(p, '{')) return end_declaration(p, ';', &m->comments);
  ms_Loc open = peek(p)->loc;
  end_declaration(p, '{', &m->comments);
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in method options (missing \"}\")");
      return false;
    }
    bool ok = true;
    if (try_consume_symbol(p, ';')) {
    } else if (looking_at(p, "option")) {
      ok = parse_option_statement(p, &m->options, service_options, "method");
    } else {
      ok = fail(p, "\"option\" or \"}\" in a method body");
    }
    if (!ok) skip_statement(p);
  }
  return true;
}

/* service ::= 'service' IDENT '{' {';' | optionstat | rpc} '}' */
static bool parse_service(Parser *p) {
  ms_Service *s = MS_NEW(p->arena, ms_Service);
  s->kind = MS_KIND_SERVICE;
  s->file = p->file;
  take_leading_comments(p, &s->comments);
  next(p); /* service */
  if (!expect_ident(p, "a service name", &s->name, &s->loc)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &s->comments)) return false;
  ms_vec_push(p->arena, &p->file->services, s);
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in service definition (missing \"}\")");
      return false;
    }
    bool ok = true;
    if (try_consume_symbol(p, ';')) {
    } else if (looking_at(p, "option")) {
      ok = parse_option_statement(p, &s->options, service_options, "service");
    } else if (looking_at(p, "rpc")) {
      ok = parse_method(p, s);
    } else {
      ok = fail(p, "\"rpc\", \"option\" or \"}\" in a service");
    }
    if (!ok) skip_statement(p);
  }
  return true;
}

/* ---- file level ----------------------------------------------------------------- */

/* package ::= 'package' dotted ['alias' dotted] ';' */
static bool parse_package(Parser *p) {
  ms_Loc kw = peek(p)->loc;
  take_leading_comments(p, &p->file->comments);
  next(p); /* package */
  const char *name, *alias = NULL;
  ms_Loc loc;
  if (!parse_dotted_name(p, false, "a package name", &name, &loc)) return false;
  if (try_consume(p, "alias") && !parse_dotted_name(p, false, "a package alias", &alias, NULL)) return false;
  if (p->file->package) {
    ms_error(p->diag, kw, "multiple package definitions");
  } else {
    p->file->package = name;
    p->file->package_loc = loc;
    p->file->package_alias = alias;
  }
  return end_declaration(p, ';', NULL);
}

/* import ::= 'import' strlit ';' */
static bool parse_import(Parser *p) {
  ms_Import *imp = MS_NEW(p->arena, ms_Import);
  imp->loc = peek(p)->loc;
  next(p); /* import */
  if (looking_at(p, "public") || looking_at(p, "weak")) {
    ms_error(p->diag, peek(p)->loc,
             "\"import %.*s\" is not supported in Fory IDL; import each file you use with 'import \"file.fdl\";'",
             (int)peek(p)->len, peek(p)->start);
    return false;
  }
  ms_Loc loc;
  if (!pu_parse_string_literal(p, &imp->path, NULL, &loc)) return false;
  imp->loc = loc;
  ms_vec_push(p->arena, &p->file->imports, imp);
  return end_declaration(p, ';', NULL);
}

/* topstat ::= ';' | message | union | enum | service | import | package | optionstat */
static bool parse_top_statement(Parser *p) {
  ms_File *f = p->file;
  if (try_consume_symbol(p, ';')) return true;
  if (looking_at(p, "message")) return parse_message(p, &f->messages, NULL);
  if (looking_at(p, "union")) return parse_union(p, &f->messages, NULL);
  if (looking_at(p, "enum")) return parse_enum(p, &f->enums, NULL);
  if (looking_at(p, "service")) return parse_service(p);
  if (looking_at(p, "import")) return parse_import(p);
  if (looking_at(p, "package")) return parse_package(p);
  if (looking_at(p, "option")) return parse_option_statement(p, &f->options, file_options, "file");
  return fail(
      p,
      "a top-level statement (\"package\", \"import\", \"option\", \"message\", \"enum\", \"union\" or \"service\")");
}

/* fdl ::= {topstat} EOF */
void ms_parse_fdl(ms_Arena *arena, ms_Diag *diag, ms_File *file) {
  Parser p = {0};
  p.arena = arena;
  p.diag = diag;
  p.file = file;
  ms_lex_init(&p.lx, arena, diag, &file->source);
  file->syntax = MS_SYNTAX_FDL;
  pu_parse_statements_to_eof(&p, parse_top_statement);
}
