/* A recursive-descent parser for FlatBuffers schemas (.fbs) as flatc accepts
 * them: include, namespace, attribute, table, struct, enum (with a base
 * type), union, root_type, file_identifier, file_extension and rpc_service,
 * with (attribute: value) metadata, default values, vectors [T] and
 * fixed-size arrays [T:N]. Tables and structs become messages, unions become
 * unions of the model; field numbers are the declaration index + 1, or
 * (id: N) + 1 when ids are given, so that they agree with foryc's. What flatc
 * refuses and foryc accepts with a meaning (a vector of vectors of numbers,
 * an enum without an integer base, declarations out of flatc's order, an
 * attribute given twice, ...) is a warning saying what foryc does. */
#include <string.h>

#include "idl_common.h"
#include "parse.h"
#include "parse_util.h"

/* Grammar comments above the parse functions are EBNF, as in Lua's lparser.c: [x] optional, {x} zero or more,
 * x | y either; quoted text is literal; IDENT, INT, FLOAT and STRING are lexer tokens, EOF the end of the file.
 * From parse_util.c: dotted ::= IDENT {'.' IDENT}   strlit ::= STRING {STRING}   integer ::= ['-'] INT
 * Here: scalartype: a FlatBuffers scalar type name (bool, byte, ubyte, short, ..., double, string). */

/* attributes flatc knows, Fory's, and those declared with `attribute` */
static const char *const known_attributes[] = {"id",
                                               "deprecated",
                                               "required",
                                               "key",
                                               "hash",
                                               "force_align",
                                               "bit_flags",
                                               "nested_flatbuffer",
                                               "flexbuffer",
                                               "original_order",
                                               "shared",
                                               "native_inline",
                                               "native_type",
                                               "native_default",
                                               "native_custom_alloc",
                                               "cpp_type",
                                               "cpp_ptr_type",
                                               "cpp_ptr_type_get",
                                               "cpp_str_type",
                                               "cpp_str_flex_ctor",
                                               "private",
                                               "streaming",
                                               "idempotent",
                                               "ref",
                                               "nullable",
                                               "weak_ref",
                                               "thread_safe_pointer",
                                               "evolving",
                                               "alias",
                                               "type_id",
                                               NULL};

static ms_Scalar scalar_of(const ms_Token *t) {
  return t->kind == MS_TOK_IDENT ? ms_fbs_scalar(t->start, t->len) : MS_SCALAR_NONE;
}

static bool is_number_scalar(ms_Scalar s) {
  return s >= MS_SCALAR_BOOL && s <= MS_SCALAR_FLOAT64 && s != MS_SCALAR_FLOAT16 && s != MS_SCALAR_BFLOAT16;
}

/* ---- values and metadata ---------------------------------------------------------- */

/* constant ::= STRING | ['-' | '+'] (INT | FLOAT | IDENT) */
/* A scalar constant: integer (decimal or hex), float, true/false, an enum
 * value name, inf/nan, or a string. */
static bool parse_constant(Parser *p, ms_Value *v) {
  memset(v, 0, sizeof *v);
  v->loc = peek(p)->loc;
  if (peek(p)->kind == MS_TOK_STRING) {
    ms_Token s = next(p);
    v->kind = MS_VALUE_STRING;
    v->text = s.str;
    v->text_len = s.str_len;
    pu_check_utf8(p, s.str, s.str_len, s.loc, "a string value");
    return true;
  }
  if (try_consume_symbol(p, '-'))
    v->negative = true;
  else
    try_consume_symbol(p, '+');
  const ms_Token *t = peek(p);
  if (t->kind == MS_TOK_INT || t->kind == MS_TOK_FLOAT) {
    if (!pu_take_number(p, v)) return false;
    if (v->negative) v->d = -v->d;
    return true;
  }
  if (t->kind == MS_TOK_IDENT) {
    ms_Token s = next(p);
    v->kind = MS_VALUE_IDENT;
    v->text = token_text(p, &s);
    v->text_len = s.len;
    return true;
  }
  return fail(p, "a value");
}

/* flatc refuses an attribute given twice; foryc takes the last value: the
 * earlier one is overwritten in place. */
static void keep_last_of_repeated_attribute(Parser *p, ms_Vec *into, ms_Option *o) {
  ms_Option *earlier = ms_find_option(into, o->name);
  if (!earlier) {
    ms_vec_push(p->arena, into, o);
    return;
  }
  ms_warning(p->diag, o->loc,
             "attribute \"%s\" is given twice (flatc refuses it); foryc takes the last value, and so does moonstub",
             o->name);
  earlier->value = o->value;
}

/* metadata ::= ['(' [attr {',' attr} [',']] ')']
 * attr ::= IDENT [':' constant]   (a bare attr is true; a 'fory_' prefix of IDENT is dropped) */
/* ( name [: value], ... ) */
static bool parse_metadata(Parser *p, ms_Vec *into) {
  if (!try_consume_symbol(p, '(')) return true;
  if (try_consume_symbol(p, ')')) return true;
  for (;;) {
    ms_Option *o = MS_NEW(p->arena, ms_Option);
    o->loc = peek(p)->loc;
    if (peek(p)->kind != MS_TOK_IDENT) return fail(p, "an attribute name");
    ms_Token t = next(p);
    const char *name = token_text(p, &t);
    if (strncmp(name, "fory_", 5) == 0) name += 5;
    o->name = name;
    if (try_consume_symbol(p, ':')) {
      if (!parse_constant(p, &o->value)) return false;
    } else {
      o->value.kind = MS_VALUE_IDENT;
      o->value.text = "true";
      o->value.text_len = 4;
      o->value.loc = o->loc;
    }
    keep_last_of_repeated_attribute(p, into, o);
    if (try_consume_symbol(p, ')')) return true;
    if (!expect_symbol(p, ',')) return false;
    if (try_consume_symbol(p, ')')) return true;
  }
}

static bool attribute_is_declared(Parser *p, const char *name) {
  if (ms_idl_name_in(name, known_attributes)) return true;
  const ms_Vec *declared = &p->file->declared_attributes;
  for (unsigned i = 0; i < declared->count; i++) {
    const ms_ReservedName *d = declared->items[i];
    if (strcmp(d->name, name) == 0) return true;
  }
  return false;
}

static void check_attributes_declared(Parser *p, const ms_Vec *attributes) {
  for (unsigned i = 0; i < attributes->count; i++) {
    const ms_Option *o = attributes->items[i];
    /* flatc refuses it, foryc keeps it as an option: a warning */
    if (!attribute_is_declared(p, o->name))
      ms_warning(p->diag, o->loc,
                 "attribute \"%s\" is not declared (flatc refuses it); add 'attribute \"%s\";' before its first use",
                 o->name, o->name);
  }
}

/* ---- types --------------------------------------------------------------------------- */

/* '[' '[' scalartype ']' ']', the '[' '[' taken: flatc refuses a vector of
 * vectors; foryc reads one of numbers or bools as list<array<T>>, which is
 * the element encoding "array" of Fory IDL's list<array<T>>. */
static bool parse_vector_of_vectors(Parser *p, ms_IdlField *idl, ms_Loc inner) {
  ms_TypeRef *t = &idl->value;
  t->loc = inner;
  t->scalar = scalar_of(peek(p));
  if (!is_number_scalar(t->scalar) || !ms_tok_is_symbol(peek_at(p, 1), ']')) {
    ms_error(p->diag, inner,
             "a vector of vectors holds only numbers or bools (foryc reads [[T]] as list<array<T>>); wrap the inner "
             "vector in a table");
    return false;
  }
  next(p);
  ms_warning(p->diag, inner,
             "a vector of vectors (flatc refuses it); foryc reads [[T]] as list<array<T>>, and so does moonstub");
  idl->collection = MS_COLLECTION_LIST;
  t->encoding = "array";
  return expect_symbol(p, ']') && expect_symbol(p, ']');
}

/* fieldtype ::= type | '[' type [':' integer] ']' | '[' '[' scalartype ']' ']'
 * type ::= scalartype | dotted */
/* T, [T], [T:N] or [[T]] */
static bool parse_field_type(Parser *p, ms_IdlField *idl) {
  ms_TypeRef *t = &idl->value;
  t->loc = peek(p)->loc;
  if (try_consume_symbol(p, '[')) {
    if (looking_at_symbol(p, '[')) return parse_vector_of_vectors(p, idl, next(p).loc);
    const ms_Token *e = peek(p);
    t->loc = e->loc;
    t->scalar = scalar_of(e);
    if (t->scalar != MS_SCALAR_NONE && !ms_tok_is_symbol(peek_at(p, 1), '.'))
      next(p);
    else if (!parse_dotted_name(p, false, "a vector element type", &t->type_name, NULL))
      return false;
    idl->collection = is_number_scalar(t->scalar) ? MS_COLLECTION_ARRAY : MS_COLLECTION_LIST;
    if (try_consume_symbol(p, ':')) {
      int64_t n;
      ms_Loc loc;
      if (!parse_integer(p, "an array length", &n, &loc)) return false;
      if (n <= 0 || n > 65535) {
        ms_error(p->diag, loc, "array length must be from 1 to 65535");
        return false;
      }
      idl->fixed_length = (unsigned)n;
    }
    return expect_symbol(p, ']');
  }
  t->scalar = scalar_of(peek(p));
  if (t->scalar != MS_SCALAR_NONE && !ms_tok_is_symbol(peek_at(p, 1), '.')) {
    next(p);
    return true;
  }
  return parse_dotted_name(p, false, "a type", &t->type_name, NULL);
}

static void apply_fory_attributes(ms_Field *f) {
  ms_IdlField *idl = f->idl;
  for (unsigned i = 0; i < f->attributes.count; i++) {
    const ms_Option *o = f->attributes.items[i];
    bool yes = ms_value_is_true(&o->value);
    if (!yes) continue;
    if (strcmp(o->name, "nullable") == 0) idl->nullable = true;
    if (strcmp(o->name, "ref") == 0 || strcmp(o->name, "weak_ref") == 0) {
      if (idl->collection == MS_COLLECTION_NONE)
        idl->ref = true;
      else
        idl->value.ref = true;
    }
  }
}

/* field ::= IDENT ':' fieldtype ['=' constant] metadata ';' */
/* name : type [= default] (attributes) ; */
static bool parse_field(Parser *p, ms_Message *m) {
  ms_Field *f = ms_idl_new_field(p->arena, p->file, m);
  take_leading_comments(p, &f->comments);
  f->loc = peek(p)->loc;
  if (!expect_ident(p, "a field name", &f->name, &f->name_loc)) return false;
  if (!expect_symbol(p, ':')) return false;
  f->type_loc = peek(p)->loc;
  if (!parse_field_type(p, f->idl)) return false;
  if (try_consume_symbol(p, '=')) {
    f->default_value = MS_NEW(p->arena, ms_Value);
    if (!parse_constant(p, f->default_value)) return false;
  }
  if (!parse_metadata(p, &f->attributes)) return false;
  if (!end_declaration(p, ';', &f->comments)) return false;
  check_attributes_declared(p, &f->attributes);
  f->options = f->attributes;
  apply_fory_attributes(f);
  ms_Option *id = ms_find_option(&f->attributes, "id");
  f->number = (int64_t)m->fields.count + 1;
  f->number_loc = f->name_loc;
  if (id) {
    if (id->value.kind != MS_VALUE_INT || id->value.negative || id->value.u >= (uint64_t)MAX_FIELD_NUMBER) {
      ms_error(p->diag, id->value.loc, "attribute \"id\" must be a non-negative integer");
    } else {
      f->idl->has_id = true;
      f->number = (int64_t)id->value.u + 1;
      f->number_loc = id->value.loc;
    }
  }
  ms_vec_push(p->arena, &m->fields, f);
  ms_idl_shape_field(p->arena, f, m, &m->messages);
  return true;
}

/* fields ::= {';' | field} '}' [';'] */
static bool parse_fields(Parser *p, ms_Message *m, ms_Loc open) {
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in %s definition (missing \"}\")", ms_idl_kind_name(m->idl_kind));
      return false;
    }
    if (try_consume_symbol(p, ';')) continue;
    if (!parse_field(p, m)) skip_statement(p);
  }
  try_consume_symbol(p, ';');
  return true;
}

/* object ::= ('table' | 'struct') IDENT metadata '{' fields */
/* table Name (attributes) { fields }  /  struct Name ... */
static bool parse_object(Parser *p, ms_IdlKind kind) {
  ms_Message *m = ms_idl_new_message(p->arena, p->file, NULL, kind);
  take_leading_comments(p, &m->comments);
  next(p); /* table / struct */
  if (!expect_ident(p, kind == MS_IDL_TABLE ? "a table name" : "a struct name", &m->name, &m->loc)) return false;
  if (!parse_metadata(p, &m->options)) return false;
  check_attributes_declared(p, &m->options);
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &m->comments)) return false;
  ms_vec_push(p->arena, &p->file->messages, m);
  return parse_fields(p, m, open);
}

/* enumvalues ::= [enumvalue {',' enumvalue} [',']] '}' [';']
 * enumvalue ::= IDENT ['=' integer] */
static bool parse_enum_values(Parser *p, ms_Enum *e, ms_Loc open) {
  int64_t next_value = 0;
  bool next_overflows = false; /* the previous value was INT64_MAX */
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in enum definition (missing \"}\")");
      return false;
    }
    ms_EnumValue *v = MS_NEW(p->arena, ms_EnumValue);
    v->kind = MS_KIND_ENUM_VALUE;
    v->parent = e;
    take_leading_comments(p, &v->comments);
    if (!expect_ident(p, "an enum value name", &v->name, &v->loc)) {
      skip_statement(p);
      return true;
    }
    v->number = next_value;
    v->number_loc = v->loc;
    bool implicit = !try_consume_symbol(p, '=');
    if (!implicit && !parse_integer(p, "an enum value", &v->number, &v->number_loc)) {
      skip_statement(p);
      return true;
    }
    if (implicit && next_overflows)
      ms_error(p->diag, v->loc, "the value of \"%s\" (one past the previous value) is out of range", v->name);
    if (e->bit_flags && (v->number < 0 || v->number > 63)) {
      ms_error(p->diag, v->number_loc, "bit_flags values must be bit positions from 0 to 63");
    }
    next_overflows = v->number == INT64_MAX;
    next_value = next_overflows ? v->number : v->number + 1;
    ms_vec_push(p->arena, &e->values, v);
    if (try_consume_symbol(p, ',')) continue;
    if (!looking_at_symbol(p, '}')) {
      fail(p, "\",\" or \"}\" after an enum value");
      skip_statement(p);
      return true;
    }
  }
  try_consume_symbol(p, ';');
  return true;
}

/* [':' IDENT]: flatc requires an integer type; foryc accepts none, or another
 * type, and its values are what they are in either case. */
static bool parse_enum_base_type(Parser *p, ms_Enum *e) {
  if (!try_consume_symbol(p, ':')) {
    ms_warning(p->diag, peek(p)->loc,
               "enum \"%s\" has no underlying integer type, e.g. 'enum %s : byte' (flatc refuses it); foryc accepts "
               "it, and so does moonstub",
               e->name, e->name);
    return true;
  }
  ms_Loc base_loc = peek(p)->loc;
  if (!expect_ident(p, "an underlying integer type", &e->base_type, NULL)) return false;
  ms_Scalar base = ms_fbs_scalar(e->base_type, (unsigned)strlen(e->base_type));
  if (base < MS_SCALAR_INT8 || base > MS_SCALAR_UINT64)
    ms_warning(p->diag, base_loc,
               "the underlying type of enum \"%s\" is \"%s\", not an integer type (flatc refuses it); foryc accepts "
               "it, and so does moonstub",
               e->name, e->base_type);
  return true;
}

/* enum ::= 'enum' IDENT [':' IDENT] metadata '{' enumvalues */
/* enum Name : base (attributes) { A, B = 3, C } */
static bool parse_enum(Parser *p) {
  ms_Enum *e = ms_idl_new_enum(p->arena, p->file, NULL);
  take_leading_comments(p, &e->comments);
  next(p); /* enum */
  if (!expect_ident(p, "an enum name", &e->name, &e->loc)) return false;
  if (!parse_enum_base_type(p, e)) return false;
  if (!parse_metadata(p, &e->options)) return false;
  check_attributes_declared(p, &e->options);
  e->bit_flags = ms_find_option(&e->options, "bit_flags") != NULL;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &e->comments)) return false;
  ms_vec_push(p->arena, &p->file->enums, e);
  if (!parse_enum_values(p, e, open)) return false;
  if (e->bit_flags) {
    for (unsigned i = 0; i < e->values.count; i++) {
      ms_EnumValue *v = e->values.items[i];
      if (v->number >= 0 && v->number <= 62) v->number = (int64_t)1 << v->number;
    }
  }
  if (e->values.count == 0)
    ms_error(p->diag, e->loc,
             "enum \"%s\" must have at least one value (foryc accepts it and writes a class with no body, "
             "which Python cannot import)",
             e->name);
  return true;
}

/* union ::= 'union' IDENT metadata '{' [member {',' member} [',']] '}' [';']
 * member ::= dotted [':' dotted] ['=' integer]   (alias ':' type, or a type) */
/* union Name (attributes) { TableA, alias: TableB } */
static bool parse_union(Parser *p) {
  ms_Message *u = ms_idl_new_message(p->arena, p->file, NULL, MS_IDL_UNION);
  take_leading_comments(p, &u->comments);
  next(p); /* union */
  if (!expect_ident(p, "a union name", &u->name, &u->loc)) return false;
  if (!parse_metadata(p, &u->options)) return false;
  check_attributes_declared(p, &u->options);
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &u->comments)) return false;
  ms_vec_push(p->arena, &p->file->messages, u);
  ms_idl_add_union_oneof(p->arena, u);
  ms_Oneof *o = u->oneofs.items[0];
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in union definition (missing \"}\")");
      return false;
    }
    ms_Field *f = ms_idl_new_field(p->arena, p->file, u);
    take_leading_comments(p, &f->comments);
    f->loc = f->type_loc = f->name_loc = f->number_loc = peek(p)->loc;
    const char *first;
    if (!parse_dotted_name(p, false, "a union member type", &first, NULL)) {
      skip_statement(p);
      return true;
    }
    if (try_consume_symbol(p, ':')) {
      f->name = first;
      f->type_loc = peek(p)->loc;
      if (!parse_dotted_name(p, false, "a union member type", &f->idl->value.type_name, NULL)) {
        skip_statement(p);
        return true;
      }
    } else {
      f->idl->value.type_name = first;
      f->name = ms_idl_snake_name(p->arena, first);
    }
    f->idl->value.loc = f->type_loc;
    if (try_consume_symbol(p, '='))
      parse_integer(p, "a union member value", &f->number, &f->number_loc);
    else
      f->number = (int64_t)u->fields.count + 1;
    f->oneof = o;
    ms_vec_push(p->arena, &u->fields, f);
    ms_vec_push(p->arena, &o->fields, f);
    ms_idl_shape_field(p->arena, f, u, &u->messages);
    if (try_consume_symbol(p, ',')) continue;
    if (!looking_at_symbol(p, '}')) {
      fail(p, "\",\" or \"}\" after a union member");
      skip_statement(p);
      return true;
    }
  }
  try_consume_symbol(p, ';');
  ms_idl_keep_union_oneof_clear_of_cases(p->arena, u);
  if (u->fields.count == 0) ms_error(p->diag, u->loc, "union \"%s\" must have at least one member", u->name);
  return true;
}

/* rpcmethod ::= IDENT '(' dotted ')' ':' dotted metadata ';' */
/* rpc_service Name { Method(Request):Response (streaming: "server"); } */
static bool parse_rpc_method(Parser *p, ms_Service *s) {
  ms_Method *m = MS_NEW(p->arena, ms_Method);
  m->kind = MS_KIND_METHOD;
  m->parent = s;
  take_leading_comments(p, &m->comments);
  if (!expect_ident(p, "a method name", &m->name, &m->loc)) return false;
  if (!expect_symbol(p, '(')) return false;
  if (!parse_dotted_name(p, false, "a request table", &m->input_name, &m->input_loc)) return false;
  if (!expect_symbol(p, ')')) return false;
  if (!expect_symbol(p, ':')) return false;
  if (!parse_dotted_name(p, false, "a response table", &m->output_name, &m->output_loc)) return false;
  if (!parse_metadata(p, &m->options)) return false;
  if (!end_declaration(p, ';', &m->comments)) return false;
  check_attributes_declared(p, &m->options);
  ms_vec_push(p->arena, &s->methods, m);
  ms_Option *streaming = ms_find_option(&m->options, "streaming");
  if (!streaming) return true;
  const char *mode = streaming->value.text ? streaming->value.text : "";
  if (strcmp(mode, "client") == 0) {
    m->client_streaming = true;
  } else if (strcmp(mode, "server") == 0) {
    m->server_streaming = true;
  } else if (strcmp(mode, "bidi") == 0) {
    m->client_streaming = m->server_streaming = true;
  } else if (strcmp(mode, "none") != 0) {
    ms_error(p->diag, streaming->value.loc,
             "streaming must be \"none\", \"client\", \"server\" or \"bidi\", not \"%s\"", mode);
  }
  return true;
}

/* service ::= 'rpc_service' IDENT metadata '{' {';' | rpcmethod} '}' [';'] */
static bool parse_service(Parser *p) {
  ms_Service *s = MS_NEW(p->arena, ms_Service);
  s->kind = MS_KIND_SERVICE;
  s->file = p->file;
  take_leading_comments(p, &s->comments);
  next(p); /* rpc_service */
  if (!expect_ident(p, "a service name", &s->name, &s->loc)) return false;
  if (!parse_metadata(p, &s->options)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &s->comments)) return false;
  ms_vec_push(p->arena, &p->file->services, s);
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in rpc_service definition (missing \"}\")");
      return false;
    }
    if (try_consume_symbol(p, ';')) continue;
    if (!parse_rpc_method(p, s)) skip_statement(p);
  }
  try_consume_symbol(p, ';');
  return true;
}

/* ---- file level ------------------------------------------------------------------------ */

/* stringstat ::= ('file_identifier' | 'file_extension') strlit ';' */
static bool parse_string_statement(Parser *p, const char **out, const char *what) {
  ms_Token kw = next(p);
  const char *value;
  ms_Loc loc;
  if (!pu_parse_string_literal(p, &value, NULL, &loc)) return false;
  if (*out)
    ms_warning(p->diag, kw.loc,
               "%s is given more than once (flatc refuses it); foryc accepts it, and so does moonstub, which keeps "
               "the last (Fory does not use it)",
               what);
  *out = value;
  if (strcmp(what, "file_identifier") == 0 && strlen(value) != 4)
    ms_warning(p->diag, loc,
               "file_identifier \"%s\" is not 4 characters long (flatc refuses it); foryc accepts it, and so does "
               "moonstub (Fory does not use it)",
               value);
  return end_declaration(p, ';', NULL);
}

/* namespace ::= 'namespace' dotted ';' */
static bool parse_namespace(Parser *p) {
  ms_Loc kw = peek(p)->loc;
  take_leading_comments(p, &p->file->comments);
  next(p); /* namespace */
  const char *name;
  ms_Loc loc;
  if (!parse_dotted_name(p, false, "a namespace", &name, &loc)) return false;
  if (p->file->package && strcmp(p->file->package, name) != 0)
    ms_error(p->diag, kw, "a second namespace (\"%s\" after \"%s\"); moonstub takes one namespace per file", name,
             p->file->package);
  else if (!p->file->package) {
    if (p->file->messages.count || p->file->enums.count || p->file->services.count)
      ms_warning(p->diag, kw,
                 "namespace comes after the file's first type (flatc refuses it); foryc puts every type of the "
                 "file in it, and so does moonstub");
    p->file->package = name;
    p->file->package_loc = loc;
  }
  return end_declaration(p, ';', NULL);
}

/* include ::= ('include' | 'native_include') strlit ';' */
static bool parse_include(Parser *p) {
  ms_Import *imp = MS_NEW(p->arena, ms_Import);
  imp->loc = peek(p)->loc;
  next(p); /* include */
  ms_Loc loc;
  if (!pu_parse_string_literal(p, &imp->path, NULL, &loc)) return false;
  imp->loc = loc;
  if (p->file->messages.count || p->file->enums.count || p->file->services.count)
    ms_warning(p->diag, loc,
               "include comes after a type (flatc refuses it); foryc reads it as if it came first, and so does "
               "moonstub");
  ms_vec_push(p->arena, &p->file->imports, imp);
  return end_declaration(p, ';', NULL);
}

/* attribute ::= 'attribute' (STRING | IDENT) ';' */
static bool parse_attribute_declaration(Parser *p) {
  next(p); /* attribute */
  ms_ReservedName *n = MS_NEW(p->arena, ms_ReservedName);
  n->loc = peek(p)->loc;
  if (peek(p)->kind == MS_TOK_STRING) {
    ms_Token s = next(p);
    n->name = s.str;
    pu_check_utf8(p, s.str, s.str_len, s.loc, "an attribute name");
  } else if (!expect_ident(p, "an attribute name", &n->name, NULL)) {
    return false;
  }
  ms_vec_push(p->arena, &p->file->declared_attributes, n);
  return end_declaration(p, ';', NULL);
}

/* topstat ::= ';' | object | enum | union | service | namespace | include | attribute
 *           | 'root_type' dotted ';' | stringstat */
static bool parse_top_statement(Parser *p) {
  ms_File *f = p->file;
  if (try_consume_symbol(p, ';')) return true;
  if (looking_at(p, "table")) return parse_object(p, MS_IDL_TABLE);
  if (looking_at(p, "struct")) return parse_object(p, MS_IDL_STRUCT);
  if (looking_at(p, "enum")) return parse_enum(p);
  if (looking_at(p, "union")) return parse_union(p);
  if (looking_at(p, "rpc_service")) return parse_service(p);
  if (looking_at(p, "namespace")) return parse_namespace(p);
  if (looking_at(p, "include") || looking_at(p, "native_include")) return parse_include(p);
  if (looking_at(p, "attribute")) return parse_attribute_declaration(p);
  if (looking_at(p, "root_type")) {
    next(p);
    if (f->root_type) ms_error(p->diag, peek(p)->loc, "root_type is given more than once");
    if (!parse_dotted_name(p, false, "a table name", &f->root_type, &f->root_type_loc)) return false;
    return end_declaration(p, ';', NULL);
  }
  if (looking_at(p, "file_identifier")) return parse_string_statement(p, &f->file_identifier, "file_identifier");
  if (looking_at(p, "file_extension")) return parse_string_statement(p, &f->file_extension, "file_extension");
  return fail(p,
              "a declaration (\"table\", \"struct\", \"enum\", \"union\", \"rpc_service\", \"namespace\", "
              "\"include\", \"attribute\", \"root_type\", \"file_identifier\" or \"file_extension\")");
}

/* schema ::= {topstat} EOF */
void ms_parse_fbs(ms_Arena *arena, ms_Diag *diag, ms_File *file) {
  Parser p = {0};
  p.arena = arena;
  p.diag = diag;
  p.file = file;
  ms_lex_init(&p.lx, arena, diag, &file->source);
  file->syntax = MS_SYNTAX_FBS;
  pu_parse_statements_to_eof(&p, parse_top_statement);
}
