/* A recursive-descent parser for the protobuf language (proto2, proto3,
 * editions) as protoc accepts it. Keywords are contextual, as in protoc:
 * a statement is recognised by its first token. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "idl_common.h"
#include "lex.h"
#include "parse.h"
#include "parse_util.h"

/* Grammar comments above the parse functions are EBNF, as in Lua's lparser.c: [x] optional, {x} zero or more,
 * x | y either; quoted text is literal; IDENT, INT, FLOAT and STRING are lexer tokens, EOF the end of the file.
 * From parse_util.c: dotted ::= IDENT {'.' IDENT}   strlit ::= STRING {STRING}   integer ::= ['-'] INT
 * ranges ::= range {',' range}   range ::= integer ['to' (integer | 'max')]
 * Here: typename ::= ['.'] dotted   scalartype: a protobuf scalar type (double, int32, bytes, ...). */

/* aggregate ::= '{' {aggregate | any token but '{' and '}'} '}' */
/* The text between '{' and its matching '}' (both consumed). */
static bool parse_aggregate(Parser *p, ms_Value *v) {
  ms_Token open = next(p); /* '{' */
  const char *start = open.start + 1;
  unsigned depth = 1;
  for (;;) {
    if (at_eof(p)) {
      ms_error(p->diag, open.loc, "unterminated aggregate value (missing \"}\")");
      return false;
    }
    ms_Token t = next(p);
    if (ms_tok_is_symbol(&t, '{')) depth++;
    if (ms_tok_is_symbol(&t, '}') && --depth == 0) {
      const char *s = start;
      const char *e = t.start;
      while (s < e && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) s++;
      while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r')) e--;
      v->kind = MS_VALUE_AGGREGATE;
      v->text = ms_arena_strndup(p->arena, s, (size_t)(e - s));
      v->text_len = (unsigned)(e - s);
      return true;
    }
  }
}

/* value ::= aggregate | strlit | ['-'] (INT | FLOAT) | '-' ('inf' | 'infinity' | 'nan') | IDENT */
static bool parse_value(Parser *p, ms_Value *v) {
  memset(v, 0, sizeof *v);
  v->loc = peek(p)->loc;
  if (looking_at_symbol(p, '{')) return parse_aggregate(p, v);
  if (peek(p)->kind == MS_TOK_STRING) {
    v->kind = MS_VALUE_STRING;
    return parse_string_literal(p, &v->text, &v->text_len, NULL);
  }
  if (try_consume_symbol(p, '-')) v->negative = true;
  const ms_Token *t = peek(p);
  switch (t->kind) {
    case MS_TOK_INT:
    case MS_TOK_FLOAT: return pu_take_number(p, v);
    case MS_TOK_IDENT:
      if (v->negative && !ms_tok_is(t, "inf") && !ms_tok_is(t, "nan") && !ms_tok_is(t, "infinity"))
        return fail(p, "a number after \"-\"");
      v->kind = MS_VALUE_IDENT;
      v->text = token_text(p, t);
      v->text_len = t->len;
      next(p);
      return true;
    default: return fail(p, "an option value");
  }
}

/* optionname ::= namepart {'.' namepart}   namepart ::= IDENT | '(' typename ')' */
/* Option name: `ident` or `(ext.name)`, then `.ident` or `.(ext)` parts. */
static bool parse_option_name(Parser *p, ms_Option *o) {
  o->loc = peek(p)->loc;
  char *buf = NULL;
  for (bool first = true;; first = false) {
    const char *part;
    if (looking_at_symbol(p, '(')) {
      next(p);
      const char *ext;
      if (!parse_dotted_name(p, true, "an extension name", &ext, NULL)) return false;
      if (!expect_symbol(p, ')')) return false;
      part = ms_arena_printf(p->arena, "(%s)", ext);
      if (first) o->extension = ext[0] == '.' ? ext + 1 : ext;
    } else {
      ms_Loc loc;
      if (!expect_ident(p, "an option name", &part, &loc)) return false;
    }
    buf = first ? (char *)part : ms_arena_printf(p->arena, "%s.%s", buf, part);
    if (!looking_at_symbol(p, '.')) break;
    next(p);
  }
  o->name = buf;
  return true;
}

/* optionassign ::= optionname '=' value */
/* `name = value` of an `option` statement or a `[...]` entry. */
static ms_Option *parse_option_assignment(Parser *p) {
  ms_Option *o = MS_NEW(p->arena, ms_Option);
  if (!parse_option_name(p, o)) return NULL;
  if (!expect_symbol(p, '=')) return NULL;
  if (!parse_value(p, &o->value)) return NULL;
  return o;
}

/* optionstat ::= 'option' optionassign ';' */
/* option NAME = VALUE ; */
static bool parse_option_statement(Parser *p, ms_Vec *options) {
  next(p); /* option */
  ms_Option *o = parse_option_assignment(p);
  if (!o) return false;
  ms_vec_push(p->arena, options, o);
  return end_declaration(p, ';', NULL);
}

/* [a = 1, (b).c = "x"] — `on_entry` may claim special entries (default,
 * json_name); the rest land in `options`. */
typedef bool (*ClaimFn)(Parser *p, ms_Option *o, void *target);
/* bracketopts ::= ['[' optionassign {',' optionassign} ']'] */
static bool parse_bracket_options(Parser *p, ms_Vec *options, ClaimFn claim, void *target) {
  if (!looking_at_symbol(p, '[')) return true;
  next(p);
  for (;;) {
    ms_Option *o = parse_option_assignment(p);
    if (!o) return false;
    if (!claim || !claim(p, o, target)) ms_vec_push(p->arena, options, o);
    if (try_consume_symbol(p, ']')) return true;
    if (!expect_symbol(p, ',')) return false;
  }
}

/* ---- numbers and ranges ------------------------------------------------- */

/* reserved ::= 'reserved' (ranges | reservedname {',' reservedname}) ';'
 * reservedname ::= strlit | IDENT   (IDENT only in editions, strlit only before them) */
/* reserved 2, 15, 9 to 11;  or  reserved "foo", "bar";  (or identifiers in editions) */
static bool parse_reserved(Parser *p, ms_Vec *ranges, ms_Vec *names, int64_t max_value) {
  next(p); /* reserved */
  const ms_Token *t = peek(p);
  if (t->kind == MS_TOK_STRING || t->kind == MS_TOK_IDENT) {
    bool editions = p->file->syntax == MS_SYNTAX_EDITIONS;
    for (;;) {
      t = peek(p);
      ms_ReservedName *n = MS_NEW(p->arena, ms_ReservedName);
      n->loc = t->loc;
      if (t->kind == MS_TOK_STRING) {
        if (editions) {
          ms_error(p->diag, t->loc, "reserved names must be identifiers in editions, not string literals");
        }
        unsigned len;
        if (!parse_string_literal(p, &n->name, &len, NULL)) return false;
        pu_check_utf8(p, n->name, len, n->loc, "a reserved name");
      } else if (t->kind == MS_TOK_IDENT) {
        if (!editions) {
          ms_error(p->diag, t->loc, "reserved names must be string literals (only editions accept identifiers)");
        }
        ms_Token u = next(p);
        n->name = token_text(p, &u);
      } else {
        return fail(p, "a reserved name");
      }
      ms_vec_push(p->arena, names, n);
      if (!try_consume_symbol(p, ',')) break;
    }
    return end_declaration(p, ';', NULL);
  }
  if (!parse_ranges(p, ranges, max_value)) return false;
  return end_declaration(p, ';', NULL);
}

/* ---- fields ------------------------------------------------------------- */

static bool claim_field_option(Parser *p, ms_Option *o, void *target) {
  ms_Field *f = target;
  if (strcmp(o->name, "default") == 0) {
    if (f->default_value) {
      ms_error(p->diag, o->loc, "option \"default\" was already set");
      return true;
    }
    f->default_value = MS_NEW(p->arena, ms_Value);
    *f->default_value = o->value;
    f->default_value->loc = o->loc;
    if (f->type == MS_TYPE_STRING && o->value.kind == MS_VALUE_STRING)
      pu_check_utf8(p, o->value.text, o->value.text_len, o->value.loc, "the default of a string field");
    return true;
  }
  if (strcmp(o->name, "json_name") == 0) {
    if (f->has_json_name) {
      ms_error(p->diag, o->loc, "option \"json_name\" was already set");
      return true;
    }
    if (o->value.kind != MS_VALUE_STRING) {
      ms_error(p->diag, o->value.loc, "option \"json_name\" must be a string");
      return true;
    }
    pu_check_utf8(p, o->value.text, o->value.text_len, o->value.loc, "json_name");
    f->json_name = o->value.text;
    f->has_json_name = true;
    return true;
  }
  return false;
}

typedef struct FieldScope {
  ms_Message *message; /* containing message, NULL at file level */
  ms_Oneof *oneof; /* when inside a oneof */
  const char *extendee; /* when inside an extend block */
  ms_Loc extendee_loc;
  ms_Vec *fields; /* where the field goes */
  ms_Vec *nested; /* where groups and map entries go */
} FieldScope;

static bool parse_message_body(Parser *p, ms_Message *m, ms_Loc open);

/* ---- Fory's extensions of .proto, as foryc reads them --------------------
 * The field types int8, int16, uint8, uint16 and float16, and the (fory)
 * options, which need no import: `option (fory).id = N;` on a message or
 * enum (its Fory type id), and on a field (fory).ref, (fory).nullable,
 * (fory).weak_ref, (fory).thread_safe_pointer and (fory).type = "tagged
 * int64" | "tagged uint64". They are taken out of the options (the linker
 * would look for an extension called fory) into the Fory detail of the field
 * (f->idl, which the Fory codec merges into its view of the field) or the
 * type id; the protobuf shape carries the Fory-only types as int32 / uint32
 * / float. Other (fory).x options are for other languages: ignored. */

static ms_Scalar fory_scalar(const char *name, unsigned len) {
  static const char *const names[] = {"int8", "int16", "uint8", "uint16", "float16"};
  static const ms_Scalar scalars[] = {MS_SCALAR_INT8, MS_SCALAR_INT16, MS_SCALAR_UINT8, MS_SCALAR_UINT16,
                                      MS_SCALAR_FLOAT16};
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return scalars[i];
  return MS_SCALAR_NONE;
}

static ms_IdlField *fory_detail(Parser *p, ms_Field *f) {
  if (!f->idl) f->idl = MS_NEW(p->arena, ms_IdlField);
  return f->idl;
}

/* A Fory-only scalar type as the field's type. */
static void set_fory_scalar(Parser *p, ms_Field *f, ms_Scalar s) {
  f->type = ms_idl_wire_type(s, NULL);
  f->type_name = NULL;
  fory_detail(p, f)->value.scalar = s;
}

static void apply_fory_field_option(Parser *p, ms_Field *f, ms_Option *o, const char *what) {
  bool yes = ms_value_is_true(&o->value);
  ms_IdlField *idl = fory_detail(p, f);
  if (strcmp(what, "ref") == 0) {
    idl->ref = idl->ref || yes;
  } else if (strcmp(what, "nullable") == 0) {
    idl->nullable = idl->nullable || yes;
  } else if (strcmp(what, "weak_ref") == 0 || strcmp(what, "thread_safe_pointer") == 0) {
    ms_Option *c = MS_NEW(p->arena, ms_Option);
    *c = *o;
    c->name = what;
    c->extension = NULL;
    ms_vec_push(p->arena, &idl->ref_options, c);
    if (what[0] == 'w' && yes) idl->ref = true; /* foryc: weak_ref implies ref */
  } else if (strcmp(what, "type") == 0) {
    const char *v = o->value.kind == MS_VALUE_STRING ? o->value.text : "";
    bool i64 = strcmp(v, "tagged int64") == 0, u64 = strcmp(v, "tagged uint64") == 0;
    if (!i64 && !u64) {
      ms_error(p->diag, o->value.loc, "(fory).type must be \"tagged int64\" or \"tagged uint64\"");
    } else if (f->type == MS_TYPE_NAMED || f->type == MS_TYPE_MESSAGE || f->type == MS_TYPE_GROUP || f->map_entry) {
      ms_error(p->diag, o->loc, "(fory).type applies to scalar fields only (\"%s\")", f->name);
    } else {
      idl->value.scalar = i64 ? MS_SCALAR_INT64 : MS_SCALAR_UINT64;
      idl->value.encoding = "tagged";
    }
  }
}

/* Takes the (fory) options out of `options`: the type id into `id` (a
 * message or an enum), the field options into `f`. */
static void take_fory_options(Parser *p, ms_Vec *options, ms_TypeId *id, ms_Field *f) {
  unsigned kept = 0;
  for (unsigned i = 0; i < options->count; i++) {
    ms_Option *o = options->items[i];
    if (!o->extension || strcmp(o->extension, "fory") != 0) {
      options->items[kept++] = o;
      continue;
    }
    const char *what = o->name + strlen("(fory)");
    if (*what == '.') what++;
    if (id && strcmp(what, "id") == 0) {
      if (o->value.kind != MS_VALUE_INT || o->value.negative || o->value.u > UINT32_MAX) {
        ms_error(p->diag, o->value.loc, "(fory).id must be an integer from 0 to 4294967295");
      } else {
        id->id = (uint32_t)o->value.u;
        id->has_id = true;
        id->loc = o->value.loc;
      }
    } else if (f) {
      apply_fory_field_option(p, f, o, what);
    }
  }
  options->count = kept;
}

static void take_fory_field_options(Parser *p, const ms_Vec *fields) {
  for (unsigned i = 0; i < fields->count; i++) {
    ms_Field *f = fields->items[i];
    take_fory_options(p, &f->options, NULL, f);
  }
}

static void take_fory_enum_options(Parser *p, const ms_Vec *enums) {
  for (unsigned i = 0; i < enums->count; i++) {
    ms_Enum *e = enums->items[i];
    take_fory_options(p, &e->options, &e->type_id, NULL);
    for (unsigned j = 0; j < e->values.count; j++) {
      ms_EnumValue *v = e->values.items[j];
      take_fory_options(p, &v->options, NULL, NULL);
    }
  }
}

static void take_fory_message_options(Parser *p, const ms_Vec *messages) {
  for (unsigned i = 0; i < messages->count; i++) {
    ms_Message *m = messages->items[i];
    take_fory_options(p, &m->options, &m->type_id, NULL);
    take_fory_field_options(p, &m->fields);
    take_fory_field_options(p, &m->extensions);
    for (unsigned j = 0; j < m->oneofs.count; j++) {
      ms_Oneof *o = m->oneofs.items[j];
      take_fory_options(p, &o->options, NULL, NULL);
    }
    take_fory_enum_options(p, &m->enums);
    take_fory_message_options(p, &m->messages);
  }
}

static void take_fory_file_options(Parser *p) {
  ms_File *f = p->file;
  take_fory_options(p, &f->options, NULL, NULL);
  take_fory_message_options(p, &f->messages);
  take_fory_enum_options(p, &f->enums);
  take_fory_field_options(p, &f->extensions);
  for (unsigned i = 0; i < f->services.count; i++) {
    ms_Service *s = f->services.items[i];
    take_fory_options(p, &s->options, NULL, NULL);
    for (unsigned j = 0; j < s->methods.count; j++) {
      ms_Method *m = s->methods.items[j];
      take_fory_options(p, &m->options, NULL, NULL);
    }
  }
}

static ms_Field *new_field(Parser *p, const char *name, ms_Type type) {
  ms_Field *f = MS_NEW(p->arena, ms_Field);
  f->kind = MS_KIND_FIELD;
  f->name = name;
  f->type = type;
  f->file = p->file;
  return f;
}

/* mapfield ::= 'map' '<' typename ',' typename '>' IDENT '=' integer bracketopts ';' */
/* map<K, V> name = N [opts]; — builds the synthetic NameEntry message. */
static bool parse_map_field(Parser *p, FieldScope *s, ms_Field *f) {
  next(p); /* map */
  f->type_loc = peek(p)->loc;
  if (!expect_symbol(p, '<')) return false;
  const char *key_name, *value_name;
  ms_Loc key_loc, value_loc;
  if (!parse_dotted_name(p, true, "a map key type", &key_name, &key_loc)) return false;
  if (!expect_symbol(p, ',')) return false;
  if (!parse_dotted_name(p, true, "a map value type", &value_name, &value_loc)) return false;
  if (!expect_symbol(p, '>')) return false;
  if (!expect_ident(p, "a field name", &f->name, &f->name_loc)) return false;
  if (!expect_symbol(p, '=')) return false;
  if (!parse_integer(p, "a field number", &f->number, &f->number_loc)) return false;
  if (!parse_bracket_options(p, &f->options, claim_field_option, f)) return false;
  if (!end_declaration(p, ';', &f->comments)) return false;

  ms_Message *entry = MS_NEW(p->arena, ms_Message);
  entry->kind = MS_KIND_MESSAGE;
  entry->name = ms_map_entry_name(p->arena, f->name);
  entry->file = p->file;
  entry->parent = s->message;
  entry->is_map_entry = true;
  entry->loc = f->loc;
  ms_Field *k = new_field(p, "key", ms_type_from_keyword(key_name, (unsigned)strlen(key_name)));
  ms_Field *v = new_field(p, "value", ms_type_from_keyword(value_name, (unsigned)strlen(value_name)));
  k->number = 1;
  v->number = 2;
  k->written_label = v->written_label = MS_LABEL_NONE; /* resolved to optional */
  k->type_name = key_name;
  v->type_name = value_name;
  k->loc = k->name_loc = k->type_loc = k->number_loc = key_loc;
  v->loc = v->name_loc = v->type_loc = v->number_loc = value_loc;
  ms_Scalar fory_key = fory_scalar(key_name, (unsigned)strlen(key_name));
  ms_Scalar fory_value = fory_scalar(value_name, (unsigned)strlen(value_name));
  if (fory_key != MS_SCALAR_NONE) set_fory_scalar(p, k, fory_key);
  if (fory_value != MS_SCALAR_NONE) set_fory_scalar(p, v, fory_value);
  k->parent = v->parent = entry;
  ms_vec_push(p->arena, &entry->fields, k);
  ms_vec_push(p->arena, &entry->fields, v);
  ms_vec_push(p->arena, s->nested, entry);
  f->map_entry = entry;
  f->message_type = entry;
  f->type = MS_TYPE_MESSAGE;
  f->written_label = MS_LABEL_REPEATED;
  return true;
}

static bool is_label_word(Parser *p) {
  return looking_at(p, "optional") || looking_at(p, "required") || looking_at(p, "repeated");
}

/* field ::= [label] (mapfield | group | type IDENT '=' integer bracketopts ';')
 * label ::= 'optional' | 'required' | 'repeated'
 * group ::= 'group' IDENT '=' integer bracketopts '{' messagebody
 * type ::= scalartype | forytype | typename
 * forytype ::= 'int8' | 'int16' | 'uint8' | 'uint16' | 'float16'   (Fory's extension of .proto) */
static bool parse_field(Parser *p, FieldScope *s) {
  ms_Field *f = new_field(p, NULL, MS_TYPE_NAMED);
  take_leading_comments(p, &f->comments);
  f->loc = peek(p)->loc;
  f->parent = s->message;
  f->oneof = s->oneof;
  if (s->extendee) {
    f->is_extension = true;
    f->extendee_name = s->extendee;
    f->extension_scope = s->message;
  }
  if (is_label_word(p)) {
    ms_Token t = next(p);
    f->label_loc = t.loc;
    f->written_label = ms_tok_is(&t, "optional")   ? MS_LABEL_OPTIONAL
                       : ms_tok_is(&t, "required") ? MS_LABEL_REQUIRED
                                                   : MS_LABEL_REPEATED;
    if (s->oneof) {
      ms_error(p->diag, t.loc, "fields in oneofs must not have labels (required / optional / repeated)");
    }
  }
  if (looking_at(p, "map") && ms_tok_is_symbol(peek_at(p, 1), '<')) {
    if (f->written_label != MS_LABEL_NONE) {
      ms_error(p->diag, f->label_loc, "map fields cannot have labels; they are always repeated");
    }
    if (s->oneof) {
      ms_error(p->diag, f->loc, "map fields are not allowed in oneofs");
    }
    if (s->extendee) {
      ms_error(p->diag, f->loc, "map fields are not allowed in extensions");
    }
    if (!parse_map_field(p, s, f)) return false;
    ms_vec_push(p->arena, s->fields, f);
    if (s->oneof) ms_vec_push(p->arena, &s->oneof->fields, f);
    return true;
  }
  bool is_group =
      looking_at(p, "group") && peek_at(p, 1)->kind == MS_TOK_IDENT && !ms_tok_is_symbol(peek_at(p, 2), '.');
  if (is_group) {
    ms_Token g = next(p);
    f->type_loc = g.loc;
    f->type = MS_TYPE_GROUP;
    f->is_group_syntax = true;
  } else {
    f->type_loc = peek(p)->loc;
    const ms_Token *t = peek(p);
    ms_Type scalar = t->kind == MS_TOK_IDENT ? ms_type_from_keyword(t->start, t->len) : MS_TYPE_NAMED;
    ms_Scalar fory = t->kind == MS_TOK_IDENT ? fory_scalar(t->start, t->len) : MS_SCALAR_NONE;
    if (scalar != MS_TYPE_NAMED && !ms_tok_is_symbol(peek_at(p, 1), '.')) {
      next(p);
      f->type = scalar;
    } else if (fory != MS_SCALAR_NONE && !ms_tok_is_symbol(peek_at(p, 1), '.')) {
      next(p);
      set_fory_scalar(p, f, fory);
    } else if (!parse_dotted_name(p, true, "a field type", &f->type_name, NULL)) {
      return false;
    }
  }
  if (p->file->syntax == MS_SYNTAX_PROTO2 && f->written_label == MS_LABEL_NONE && !s->oneof) {
    ms_error(p->diag, f->type_loc, "expected \"required\", \"optional\", or \"repeated\"");
  }
  if (!expect_ident(p, "a field name", &f->name, &f->name_loc)) return false;
  if (!expect_symbol(p, '=')) return false;
  if (!parse_integer(p, "a field number", &f->number, &f->number_loc)) return false;
  if (!parse_bracket_options(p, &f->options, claim_field_option, f)) return false;

  if (is_group) {
    const char *group_name = f->name;
    if (!(group_name[0] >= 'A' && group_name[0] <= 'Z')) {
      ms_error(p->diag, f->name_loc, "group names must start with a capital letter");
    }
    ms_Message *body = MS_NEW(p->arena, ms_Message);
    body->kind = MS_KIND_MESSAGE;
    body->name = group_name;
    body->file = p->file;
    body->parent = s->message;
    body->is_group = true;
    body->loc = f->name_loc;
    char *lower = ms_arena_strdup(p->arena, group_name);
    for (char *c = lower; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    f->name = lower;
    f->message_type = body;
    f->type_name = group_name;
    ms_Loc open = peek(p)->loc;
    if (!end_declaration(p, '{', &f->comments)) return false;
    /* protoc gives a group's comments to its message, not to the field */
    body->comments = f->comments;
    memset(&f->comments, 0, sizeof f->comments);
    ms_vec_push(p->arena, s->nested, body);
    ms_vec_push(p->arena, s->fields, f);
    if (s->oneof) ms_vec_push(p->arena, &s->oneof->fields, f);
    return parse_message_body(p, body, open);
  }
  if (!end_declaration(p, ';', &f->comments)) return false;
  ms_vec_push(p->arena, s->fields, f);
  if (s->oneof) ms_vec_push(p->arena, &s->oneof->fields, f);
  return true;
}

/* ---- oneof, extend, extensions ------------------------------------------ */

/* oneof ::= 'oneof' IDENT '{' {optionstat | ';' | field} '}' */
static bool parse_oneof(Parser *p, ms_Message *m) {
  ms_Oneof *o = MS_NEW(p->arena, ms_Oneof);
  o->kind = MS_KIND_ONEOF;
  o->parent = m;
  take_leading_comments(p, &o->comments);
  next(p); /* oneof */
  if (!expect_ident(p, "a oneof name", &o->name, &o->loc)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &o->comments)) return false;
  o->index = m->oneofs.count;
  ms_vec_push(p->arena, &m->oneofs, o);
  FieldScope s = {.message = m, .oneof = o, .fields = &m->fields, .nested = &m->messages};
  unsigned errors_before = p->diag->errors;
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in oneof definition (missing \"}\")");
      return false;
    }
    bool ok;
    if (looking_at(p, "option")) {
      ok = parse_option_statement(p, &o->options);
    } else if (try_consume_symbol(p, ';')) {
      ok = true;
    } else {
      ok = parse_field(p, &s);
    }
    if (!ok) skip_statement(p);
  }
  if (o->fields.count == 0 && p->diag->errors == errors_before) {
    ms_error(p->diag, o->loc, "oneof \"%s\" must have at least one field", o->name);
  }
  return true;
}

/* extend ::= 'extend' typename '{' {';' | field} '}' */
static bool parse_extend(Parser *p, ms_Message *scope, ms_Vec *extensions, ms_Vec *nested) {
  ms_Comment comments = {0};
  take_leading_comments(p, &comments);
  next(p); /* extend */
  FieldScope s = {.message = scope, .fields = extensions, .nested = nested};
  if (!parse_dotted_name(p, true, "a message type to extend", &s.extendee, &s.extendee_loc)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &comments)) return false;
  unsigned before = extensions->count;
  unsigned errors_before = p->diag->errors;
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in extend block (missing \"}\")");
      return false;
    }
    if (try_consume_symbol(p, ';')) continue;
    if (!parse_field(p, &s)) skip_statement(p);
  }
  for (unsigned i = before; i < extensions->count; i++) {
    ms_Field *f = extensions->items[i];
    f->type_loc = f->type_loc.src ? f->type_loc : s.extendee_loc;
  }
  if (extensions->count == before && p->diag->errors == errors_before) {
    ms_error(p->diag, s.extendee_loc, "extend blocks must contain at least one field");
  }
  return true;
}

/* extensions ::= 'extensions' ranges bracketopts ';' */
static bool parse_extensions(Parser *p, ms_Message *m) {
  next(p); /* extensions */
  unsigned before = m->extension_ranges.count;
  if (!parse_ranges(p, &m->extension_ranges, MAX_FIELD_NUMBER)) return false;
  ms_Vec range_options = {0};
  if (!parse_bracket_options(p, &range_options, NULL, NULL)) return false;
  for (unsigned i = before; i < m->extension_ranges.count; i++)
    ((ms_Range *)m->extension_ranges.items[i])->options = range_options;
  return end_declaration(p, ';', NULL);
}

/* ---- enums -------------------------------------------------------------- */

/* enumvalue ::= IDENT '=' integer bracketopts ';' */
static bool parse_enum_value(Parser *p, ms_Enum *e) {
  ms_EnumValue *v = MS_NEW(p->arena, ms_EnumValue);
  v->kind = MS_KIND_ENUM_VALUE;
  v->parent = e;
  take_leading_comments(p, &v->comments);
  if (!expect_ident(p, "an enum value name", &v->name, &v->loc)) return false;
  if (!expect_symbol(p, '=')) return false;
  if (!parse_integer(p, "an enum value number", &v->number, &v->number_loc)) return false;
  if (!parse_bracket_options(p, &v->options, NULL, NULL)) return false;
  if (!end_declaration(p, ';', &v->comments)) return false;
  ms_vec_push(p->arena, &e->values, v);
  return true;
}

static bool skip_visibility_keyword(Parser *p);

/* enum ::= [visibility] 'enum' IDENT '{' {';' | optionstat | reserved | enumvalue} '}' */
static bool parse_enum(Parser *p, ms_Vec *into, ms_Message *parent) {
  ms_Enum *e = MS_NEW(p->arena, ms_Enum);
  e->kind = MS_KIND_ENUM;
  e->file = p->file;
  e->parent = parent;
  take_leading_comments(p, &e->comments);
  skip_visibility_keyword(p);
  next(p); /* enum */
  if (!expect_ident(p, "an enum name", &e->name, &e->loc)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &e->comments)) return false;
  ms_vec_push(p->arena, into, e);
  unsigned errors_before = p->diag->errors;
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in enum definition (missing \"}\")");
      return false;
    }
    bool ok = true;
    if (try_consume_symbol(p, ';')) {
    } else if (looking_at(p, "option")) {
      ok = parse_option_statement(p, &e->options);
    } else if (looking_at(p, "reserved")) {
      ok = parse_reserved(p, &e->reserved_ranges, &e->reserved_names, INT32_MAX);
    } else {
      ok = parse_enum_value(p, e);
    }
    if (!ok) skip_statement(p);
  }
  if (e->values.count == 0 && p->diag->errors == errors_before) {
    ms_error(p->diag, e->loc, "enums must contain at least one value");
  }
  return true;
}

/* ---- messages ----------------------------------------------------------- */

static bool parse_message(Parser *p, ms_Vec *into, ms_Message *parent);

/* messagestat ::= ';' | message | enum | extensions | reserved | optionstat | oneof | extend | field */
static bool parse_message_statement(Parser *p, ms_Message *m) {
  if (try_consume_symbol(p, ';')) return true;
  if (looking_at(p, "message") ||
      ((looking_at(p, "export") || looking_at(p, "local")) && ms_tok_is(peek_at(p, 1), "message")))
    return parse_message(p, &m->messages, m);
  if (looking_at(p, "enum") ||
      ((looking_at(p, "export") || looking_at(p, "local")) && ms_tok_is(peek_at(p, 1), "enum")))
    return parse_enum(p, &m->enums, m);
  if (looking_at(p, "extensions")) return parse_extensions(p, m);
  if (looking_at(p, "reserved")) return parse_reserved(p, &m->reserved_ranges, &m->reserved_names, MAX_FIELD_NUMBER);
  if (looking_at(p, "option")) return parse_option_statement(p, &m->options);
  if (looking_at(p, "oneof")) return parse_oneof(p, m);
  if (looking_at(p, "extend")) return parse_extend(p, m, &m->extensions, &m->messages);
  FieldScope s = {.message = m, .fields = &m->fields, .nested = &m->messages};
  return parse_field(p, &s);
}

/* messagebody ::= {messagestat} '}' */
static bool parse_message_body(Parser *p, ms_Message *m, ms_Loc open) {
  if (++p->depth > MAX_NESTING) {
    ms_error(p->diag, open, "messages are nested more than %d levels deep", MAX_NESTING);
    p->depth--;
    skip_rest_of_block(p);
    return true;
  }
  for (;;) {
    if (try_consume_symbol(p, '}')) break;
    if (at_eof(p)) {
      ms_error(p->diag, open, "reached end of file in message definition (missing \"}\")");
      p->depth--;
      return false;
    }
    if (!parse_message_statement(p, m)) skip_statement(p);
  }
  p->depth--;
  return true;
}

/* visibility ::= 'export' | 'local'   (from edition 2024; taken only before another IDENT) */
static bool skip_visibility_keyword(Parser *p) {
  if ((looking_at(p, "export") || looking_at(p, "local")) && peek_at(p, 1)->kind == MS_TOK_IDENT) {
    ms_Token t = next(p);
    if (!(p->file->edition && strcmp(p->file->edition, "2024") >= 0)) {
      ms_error(p->diag, t.loc, "\"%.*s\" is only allowed from edition 2024", (int)t.len, t.start);
    }
    return true;
  }
  return false;
}

/* message ::= [visibility] 'message' IDENT '{' messagebody */
static bool parse_message(Parser *p, ms_Vec *into, ms_Message *parent) {
  ms_Message *m = MS_NEW(p->arena, ms_Message);
  m->kind = MS_KIND_MESSAGE;
  m->file = p->file;
  m->parent = parent;
  take_leading_comments(p, &m->comments);
  skip_visibility_keyword(p);
  next(p); /* message */
  if (!expect_ident(p, "a message name", &m->name, &m->loc)) return false;
  ms_Loc open = peek(p)->loc;
  if (!end_declaration(p, '{', &m->comments)) return false;
  ms_vec_push(p->arena, into, m);
  return parse_message_body(p, m, open);
}

/* ---- services ----------------------------------------------------------- */

/* rpctype ::= '(' ['stream'] typename ')' */
/* ( [stream] Type ) */
static bool parse_rpc_type(Parser *p, bool *streaming, const char **name, ms_Loc *loc) {
  if (!expect_symbol(p, '(')) return false;
  if (looking_at(p, "stream") && !ms_tok_is_symbol(peek_at(p, 1), ')')) {
    next(p);
    *streaming = true;
  }
  if (!parse_dotted_name(p, true, "a message type", name, loc)) return false;
  return expect_symbol(p, ')');
}

/* rpc ::= 'rpc' IDENT rpctype 'returns' rpctype (';' | '{' {';' | optionstat} '}' [';']) */
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
  if (looking_at_symbol(p, '{')) {
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
        ok = parse_option_statement(p, &m->options);
      } else {
        ok = fail(p, "\"option\" or \"}\" in a method body");
      }
      if (!ok) skip_statement(p);
    }
    try_consume_symbol(p, ';');
    return true;
  }
  return end_declaration(p, ';', &m->comments);
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
      ok = parse_option_statement(p, &s->options);
    } else if (looking_at(p, "rpc")) {
      ok = parse_method(p, s);
    } else {
      ok = fail(p, "\"rpc\", \"option\" or \"}\" in a service");
    }
    if (!ok) skip_statement(p);
  }
  return true;
}

/* ---- file level --------------------------------------------------------- */

/* syntax ::= ('syntax' | 'edition') '=' strlit ';' */
static bool parse_syntax(Parser *p) {
  take_leading_comments(p, &p->file->comments);
  ms_Token kw = next(p);
  bool is_edition = ms_tok_is(&kw, "edition");
  if (!expect_symbol(p, '=')) return false;
  const char *value;
  ms_Loc loc;
  if (!parse_string_literal(p, &value, NULL, &loc)) return false;
  p->file->syntax_written = true;
  if (is_edition) {
    p->file->syntax = MS_SYNTAX_EDITIONS;
    if (strcmp(value, "2023") != 0 && strcmp(value, "2024") != 0) {
      ms_error(p->diag, loc, "unknown edition \"%s\"; moonstub supports \"2023\" and \"2024\"", value);
      p->file->edition = "2023";
    } else {
      p->file->edition = value;
    }
  } else if (strcmp(value, "proto2") == 0) {
    p->file->syntax = MS_SYNTAX_PROTO2;
  } else if (strcmp(value, "proto3") == 0) {
    p->file->syntax = MS_SYNTAX_PROTO3;
  } else {
    ms_error(p->diag, loc,
             "unrecognized syntax identifier \"%s\"; this parser only recognizes \"proto2\" and \"proto3\"", value);
    p->file->syntax = MS_SYNTAX_PROTO3; /* the least strict about labels: no cascade of errors */
  }
  return end_declaration(p, ';', &p->file->comments);
}

/* import ::= 'import' ['public' | 'weak' | 'option'] strlit ';'   ('option' from edition 2024) */
static bool parse_import(Parser *p) {
  ms_Import *imp = MS_NEW(p->arena, ms_Import);
  imp->loc = peek(p)->loc;
  next(p); /* import */
  if (looking_at(p, "public")) {
    next(p);
    imp->is_public = true;
  } else if (looking_at(p, "weak")) {
    next(p);
    imp->is_weak = true;
  } else if (looking_at(p, "option")) {
    next(p);
    imp->is_option = true;
    if (!(p->file->edition && strcmp(p->file->edition, "2024") >= 0)) {
      ms_error(p->diag, imp->loc, "\"import option\" is only allowed from edition 2024");
    }
  }
  ms_Loc loc;
  if (!parse_string_literal(p, &imp->path, NULL, &loc)) return false;
  imp->loc = loc;
  ms_vec_push(p->arena, &p->file->imports, imp);
  return end_declaration(p, ';', NULL);
}

/* package ::= 'package' dotted ';' */
static bool parse_package(Parser *p) {
  ms_Loc kw = peek(p)->loc;
  next(p); /* package */
  const char *name;
  ms_Loc loc;
  if (!parse_dotted_name(p, false, "a package name", &name, &loc)) return false;
  if (p->file->package) {
    ms_error(p->diag, kw, "multiple package definitions");
  } else {
    p->file->package = name;
    p->file->package_loc = loc;
  }
  return end_declaration(p, ';', NULL);
}

/* topstat ::= ';' | message | enum | service | extend | import | package | optionstat */
static bool parse_top_statement(Parser *p) {
  ms_File *f = p->file;
  if (try_consume_symbol(p, ';')) return true;
  if (looking_at(p, "message") ||
      ((looking_at(p, "export") || looking_at(p, "local")) && ms_tok_is(peek_at(p, 1), "message")))
    return parse_message(p, &f->messages, NULL);
  if (looking_at(p, "enum") ||
      ((looking_at(p, "export") || looking_at(p, "local")) && ms_tok_is(peek_at(p, 1), "enum")))
    return parse_enum(p, &f->enums, NULL);
  if (looking_at(p, "service")) return parse_service(p);
  if (looking_at(p, "extend")) return parse_extend(p, NULL, &f->extensions, &f->messages);
  if (looking_at(p, "import")) return parse_import(p);
  if (looking_at(p, "package")) return parse_package(p);
  if (looking_at(p, "option")) return parse_option_statement(p, &f->options);
  if (looking_at(p, "syntax") || looking_at(p, "edition")) {
    ms_error(p->diag, peek(p)->loc, "\"%.*s\" must be the first statement of the file", (int)peek(p)->len,
             peek(p)->start);
    return false;
  }
  return fail(p, "a top-level statement (e.g. \"message\")");
}

/* proto ::= [syntax] {topstat} EOF */
void ms_parse_proto(ms_Arena *arena, ms_Diag *diag, ms_File *file) {
  Parser p = {0};
  p.arena = arena;
  p.diag = diag;
  p.file = file;
  ms_lex_init(&p.lx, arena, diag, &file->source);
  file->syntax = MS_SYNTAX_PROTO2;
  if (looking_at(&p, "syntax") || looking_at(&p, "edition")) {
    if (!parse_syntax(&p)) skip_statement(&p);
  } else {
    ms_warning(diag, peek(&p)->loc,
               "no syntax specified; defaulting to proto2 (add 'syntax = \"proto2\";' or 'syntax = \"proto3\";')");
  }
  pu_parse_statements_to_eof(&p, parse_top_statement);
  take_fory_file_options(&p);
}
