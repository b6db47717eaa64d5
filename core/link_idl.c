/* Linking of .fdl and .fbs files: type names resolved, the protobuf shape
 * of every field completed, Fory type ids assigned, and the rules of each
 * language checked. Where foryc accepts what its own documentation (or
 * flatc) forbids and the schema still means something -- field number 0, a
 * reserved number or name in use, a FlatBuffers default foryc ignores -- it
 * is a warning saying what foryc does, and moonstub does the same. */
#include "link_idl.h"

#include <string.h>

#include "idl_common.h"

static const int64_t MAX_NUMBER = 536870911;

static bool is_fbs(const ms_IdlLinker *l) { return l->file->syntax == MS_SYNTAX_FBS; }

/* ---- names ----------------------------------------------------------------------------- */

/* The type called `name` (n bytes) among `messages` and `enums`. */
static bool find_named(const ms_Vec *messages, const ms_Vec *enums, const char *name, size_t n, ms_Message **m,
                       ms_Enum **e) {
  for (unsigned i = 0; i < messages->count; i++) {
    ms_Message *x = messages->items[i];
    if (!x->is_map_entry && strlen(x->name) == n && memcmp(x->name, name, n) == 0) {
      *m = x;
      *e = NULL;
      return true;
    }
  }
  for (unsigned i = 0; i < enums->count; i++) {
    ms_Enum *x = enums->items[i];
    if (strlen(x->name) == n && memcmp(x->name, name, n) == 0) {
      *m = NULL;
      *e = x;
      return true;
    }
  }
  return false;
}

/* "A.B.C" from the top level of `f`. */
static bool find_path(const ms_File *f, const char *name, ms_Message **m, ms_Enum **e) {
  const ms_Vec *messages = &f->messages, *enums = &f->enums;
  for (;;) {
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    if (!find_named(messages, enums, name, n, m, e)) return false;
    if (!dot) return true;
    if (!*m) return false;
    messages = &(*m)->messages;
    enums = &(*m)->enums;
    name = dot + 1;
  }
}

/* foryc merges the types of the files a file imports into its own namespace:
 * a top-level type of an imported file may be named without its package
 * (`Address` for common.Address). Applies when the first part of the name is
 * not a type of this file (nested along `parent`, or at its top level). */
static bool resolve_imported_bare(ms_IdlLinker *l, const char *name, const ms_Message *parent, ms_Message **m,
                                  ms_Enum **e) {
  if (name[0] == '.') return false;
  const char *dot = strchr(name, '.');
  size_t n = dot ? (size_t)(dot - name) : strlen(name);
  ms_Message *xm;
  ms_Enum *xe;
  for (const ms_Message *p = parent; p; p = p->parent)
    if (find_named(&p->messages, &p->enums, name, n, &xm, &xe)) return false;
  if (find_named(&l->file->messages, &l->file->enums, name, n, &xm, &xe)) return false;
  for (unsigned i = 0; i < l->file->imports.count; i++) {
    const ms_Import *imp = l->file->imports.items[i];
    if (imp->file && find_path(imp->file, name, m, e)) return true;
  }
  return false;
}

static void resolve_ref(ms_IdlLinker *l, ms_TypeRef *t, const char *scope, const ms_Message *parent) {
  if (t->scalar != MS_SCALAR_NONE || !t->type_name) return;
  if (resolve_imported_bare(l, t->type_name, parent, &t->message, &t->enum_type)) return;
  l->resolve(l->linker, t->type_name, scope, t->loc, &t->message, &t->enum_type);
}

static bool is_message_like(const ms_TypeRef *t) { return t->message != NULL; }
static bool is_union(const ms_TypeRef *t) { return t->message && t->message->idl_kind == MS_IDL_UNION; }

/* The protobuf shape of one position, now that its type is known. */
static void shape_from_resolved(ms_Field *f, const ms_TypeRef *t) {
  if (t->message) {
    f->type = MS_TYPE_MESSAGE;
    f->message_type = t->message;
  } else if (t->enum_type) {
    f->type = MS_TYPE_ENUM;
    f->enum_type = t->enum_type;
  }
}

static void complete_shape(ms_Field *f) {
  ms_IdlField *idl = f->idl;
  if (idl->collection == MS_COLLECTION_MAP) {
    ms_Field *key = f->map_entry->fields.items[0], *value = f->map_entry->fields.items[1];
    key->idl->value = idl->key;
    value->idl->value = idl->value;
    shape_from_resolved(key, &idl->key);
    shape_from_resolved(value, &idl->value);
    key->label = value->label = MS_LABEL_OPTIONAL;
    key->has_presence = false;
    value->has_presence = value->type == MS_TYPE_MESSAGE;
    key->json_name = "key";
    value->json_name = "value";
  } else {
    shape_from_resolved(f, &idl->value);
  }
  f->label = f->written_label == MS_LABEL_NONE ? MS_LABEL_OPTIONAL : f->written_label;
  bool repeated = f->label == MS_LABEL_REPEATED;
  f->has_presence = !repeated && (idl->nullable || f->type == MS_TYPE_MESSAGE || f->oneof);
  f->packed = repeated && idl->collection != MS_COLLECTION_MAP && ms_type_is_packable(f->type);
  f->utf8_validate = f->type == MS_TYPE_STRING;
}

/* ---- field rules ------------------------------------------------------------------------- */

static bool bad_map_key(const ms_TypeRef *k) {
  switch (k->scalar) {
    case MS_SCALAR_ANY:
    case MS_SCALAR_BYTES:
    case MS_SCALAR_FLOAT16:
    case MS_SCALAR_BFLOAT16:
    case MS_SCALAR_FLOAT32:
    case MS_SCALAR_FLOAT64:
    case MS_SCALAR_DECIMAL: return true;
    case MS_SCALAR_NONE: return k->message != NULL;
    default: return false;
  }
}

static bool is_array_element(const ms_TypeRef *t) {
  return t->scalar >= MS_SCALAR_BOOL && t->scalar <= MS_SCALAR_FLOAT64 && !t->encoding;
}

static void check_ref(ms_IdlLinker *l, const ms_Field *f, const ms_TypeRef *t, bool ref, const ms_Vec *ref_options) {
  if (ref && t->scalar == MS_SCALAR_ANY) {
    ms_error(l->diag, f->type_loc, "\"ref\" is not allowed on any");
  } else if (ref && !is_message_like(t) && (t->scalar != MS_SCALAR_NONE || t->enum_type)) {
    ms_error(l->diag, f->type_loc, "\"ref\" applies to message and union types only, not to %s",
             t->enum_type ? "enums" : ms_scalar_name(t->scalar));
  }
  if (ms_option_is_true(ref_options, "weak_ref") && !ref)
    ms_error(l->diag, f->type_loc, "weak_ref needs reference tracking: add the \"ref\" modifier");
}

static void check_collection(ms_IdlLinker *l, ms_Field *f) {
  ms_IdlField *idl = f->idl;
  switch (idl->collection) {
    case MS_COLLECTION_MAP:
      if (bad_map_key(&idl->key))
        ms_error(l->diag, idl->key.loc.src ? idl->key.loc : f->type_loc,
                 "map keys cannot be any, bytes, floating-point, decimal, message or union types");
      break;
    case MS_COLLECTION_ARRAY:
      if (!is_fbs(l) && !is_array_element(&idl->value))
        ms_error(l->diag, idl->value.loc.src ? idl->value.loc : f->type_loc,
                 "array<T> holds bool and number types without an encoding modifier; use list<T>");
      break;
    default: break;
  }
  if (idl->ref && idl->collection != MS_COLLECTION_NONE)
    ms_error(l->diag, f->type_loc, "\"ref\" is not allowed on a list or map field; use list<ref T> or map<K, ref T>");
  if ((idl->nullable && idl->collection == MS_COLLECTION_NONE && idl->value.scalar == MS_SCALAR_ANY) ||
      (idl->value.optional && idl->value.scalar == MS_SCALAR_ANY))
    ms_error(l->diag, f->type_loc, "optional any is not supported; any already holds null");
  check_ref(l, f, &idl->value, idl->collection == MS_COLLECTION_NONE ? idl->ref : idl->value.ref,
            idl->collection == MS_COLLECTION_NONE ? &idl->ref_options : &idl->value.ref_options);
}

static void check_fdl_field(ms_IdlLinker *l, ms_Field *f) {
  ms_IdlField *idl = f->idl;
  if (idl->collection == MS_COLLECTION_NONE && is_message_like(&idl->value) && !is_union(&idl->value)) {
    if (f->written_label == MS_LABEL_OPTIONAL && !ms_option_is_true(&f->options, "nullable"))
      ms_error(l->diag, f->loc, "message fields are always optional; remove the \"optional\" modifier");
    idl->nullable = true;
    f->written_label = MS_LABEL_OPTIONAL;
  }
}

/* ---- FlatBuffers rules ---------------------------------------------------------------------- */

static bool value_is_word(const ms_Value *v, const char *w) {
  return v->kind == MS_VALUE_IDENT && strcmp(v->text, w) == 0;
}

/* The range of an integer scalar; false for other scalars. */
static bool integer_range(ms_Scalar s, int64_t *lo, uint64_t *hi) {
  switch (s) {
    case MS_SCALAR_INT8:
      *lo = INT8_MIN;
      *hi = INT8_MAX;
      return true;
    case MS_SCALAR_INT16:
      *lo = INT16_MIN;
      *hi = INT16_MAX;
      return true;
    case MS_SCALAR_INT32:
      *lo = INT32_MIN;
      *hi = INT32_MAX;
      return true;
    case MS_SCALAR_INT64:
      *lo = INT64_MIN;
      *hi = INT64_MAX;
      return true;
    case MS_SCALAR_UINT8:
      *lo = 0;
      *hi = UINT8_MAX;
      return true;
    case MS_SCALAR_UINT16:
      *lo = 0;
      *hi = UINT16_MAX;
      return true;
    case MS_SCALAR_UINT32:
      *lo = 0;
      *hi = UINT32_MAX;
      return true;
    case MS_SCALAR_UINT64:
      *lo = 0;
      *hi = UINT64_MAX;
      return true;
    default: return false;
  }
}

static bool int_value_fits(const ms_Value *v, ms_Scalar s) {
  int64_t lo;
  uint64_t hi;
  if (!integer_range(s, &lo, &hi)) return true;
  if (v->negative) return v->u <= (uint64_t)INT64_MAX + 1 && (v->u == 0 || -(int64_t)(v->u - 1) - 1 >= lo);
  return v->u <= hi;
}

static ms_Scalar fbs_enum_base(const ms_Enum *e) {
  return e->base_type ? ms_fbs_scalar(e->base_type, (unsigned)strlen(e->base_type)) : MS_SCALAR_NONE;
}

/* A default flatc refuses where it stands (on a vector, string, table or
 * struct field, or in a struct): foryc ignores every default, and moonstub
 * drops this one, so that no codec uses it. */
static void drop_misplaced_default(ms_IdlLinker *l, ms_Field *f, const char *what) {
  ms_warning(l->diag, f->default_value->loc, "%s (flatc refuses it); foryc ignores the default, and so does moonstub",
             what);
  f->default_value = NULL;
}

static void check_fbs_default(ms_IdlLinker *l, ms_Field *f) {
  const ms_Value *v = f->default_value;
  const ms_TypeRef *t = &f->idl->value;
  if (!v) return;
  if (f->idl->collection != MS_COLLECTION_NONE || t->message || t->scalar == MS_SCALAR_STRING) {
    if (!value_is_word(v, "null"))
      drop_misplaced_default(
          l, f, ms_arena_printf(l->arena, "\"%s\" is not a scalar and cannot have a default value", f->name));
    return;
  }
  if (t->enum_type) {
    if (v->kind == MS_VALUE_INT) return;
    bool found = false;
    for (unsigned i = 0; v->kind == MS_VALUE_IDENT && i < t->enum_type->values.count; i++) {
      const ms_EnumValue *ev = t->enum_type->values.items[i];
      found = found || strcmp(ev->name, v->text) == 0;
    }
    if (!found)
      ms_error(l->diag, v->loc, "default \"%s\" is not a value of enum \"%s\"", v->text ? v->text : "",
               t->enum_type->full_name);
    return;
  }
  if (t->scalar == MS_SCALAR_BOOL) {
    if (!(value_is_word(v, "true") || value_is_word(v, "false") || (v->kind == MS_VALUE_INT && v->u <= 1)))
      ms_error(l->diag, v->loc, "the default of bool field \"%s\" must be true or false", f->name);
    return;
  }
  bool is_float = t->scalar == MS_SCALAR_FLOAT32 || t->scalar == MS_SCALAR_FLOAT64;
  if (v->kind == MS_VALUE_INT && !int_value_fits(v, t->scalar)) {
    ms_error(l->diag, v->loc, "default %s%s of field \"%s\" is out of range for %s", v->negative ? "-" : "",
             v->text ? v->text : "", f->name, ms_scalar_name(t->scalar));
    return;
  }
  if (v->kind == MS_VALUE_INT || (is_float && (v->kind == MS_VALUE_FLOAT || value_is_word(v, "inf") ||
                                               value_is_word(v, "nan") || value_is_word(v, "infinity"))))
    return;
  if (value_is_word(v, "null")) return; /* optional scalar */
  ms_error(l->diag, v->loc, "default of field \"%s\" must be %s", f->name, is_float ? "a number" : "an integer");
}

static void check_fbs_field(ms_IdlLinker *l, ms_Message *m, ms_Field *f) {
  ms_IdlField *idl = f->idl;
  const ms_TypeRef *t = &idl->value;
  if (m->idl_kind == MS_IDL_STRUCT && f->default_value)
    drop_misplaced_default(l, f, "struct fields cannot have default values");
  check_fbs_default(l, f);
  if (m->idl_kind == MS_IDL_STRUCT) {
    bool ok = (t->scalar != MS_SCALAR_NONE && t->scalar != MS_SCALAR_STRING) || t->enum_type ||
              (t->message && t->message->idl_kind == MS_IDL_STRUCT);
    bool resolved = t->scalar != MS_SCALAR_NONE || t->enum_type || t->message;
    if (resolved && !ok && idl->fixed_length) /* neither flatc nor foryc: foryc has no [T:N] */
      ms_error(l->diag, f->type_loc,
               "a fixed-size array in struct \"%s\" holds only scalars, enums or structs (field \"%s\")", m->name,
               f->name);
    else if (resolved && (!ok || (idl->collection != MS_COLLECTION_NONE && !idl->fixed_length)))
      ms_warning(l->diag, f->type_loc,
                 "struct \"%s\" holds field \"%s\", which is not a scalar, enum, struct or fixed-size array (flatc "
                 "refuses it); foryc accepts it as a field of a non-evolving message, and so does moonstub",
                 m->name, f->name);
  } else if (idl->fixed_length) {
    ms_error(l->diag, f->type_loc, "fixed-size arrays are allowed in structs only; use a vector [T] in a table");
  }
  if (ms_option_is_true(&f->attributes, "required") &&
      (m->idl_kind == MS_IDL_STRUCT ||
       (idl->collection == MS_COLLECTION_NONE && !t->message && t->scalar != MS_SCALAR_STRING)))
    ms_warning(l->diag, f->name_loc,
               "\"required\" on field \"%s\" (flatc takes it on non-scalar table fields only); foryc ignores it, and "
               "so does moonstub",
               f->name);
}

/* FlatBuffers: `id`s on all fields or none, and consecutive from 0 (a union
 * field takes its own id and the one before it, for its type tag). */
static void check_fbs_ids(ms_IdlLinker *l, ms_Message *m) {
  unsigned with_id = 0, slots = 0;
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    with_id += f->idl->has_id;
    slots += 1 + (f->idl->collection == MS_COLLECTION_NONE && is_union(&f->idl->value));
  }
  if (with_id == 0) return;
  if (with_id != m->fields.count) {
    for (unsigned i = 0; i < m->fields.count; i++) {
      ms_Field *f = m->fields.items[i];
      if (!f->idl->has_id) {
        ms_error(l->diag, f->name_loc, "field \"%s\" has no id; either every field of \"%s\" has an id or none has",
                 f->name, m->name);
        return;
      }
    }
  }
  for (unsigned i = 0; i < m->fields.count; i++) {
    ms_Field *f = m->fields.items[i];
    if (f->idl->collection == MS_COLLECTION_NONE && is_union(&f->idl->value) && f->number == 1) {
      ms_error(l->diag, f->number_loc,
               "union field \"%s\" cannot have id 0: a union takes two ids, its type tag's (id - 1) and its own",
               f->name);
      return;
    }
  }
  for (unsigned slot = 0; slot < slots; slot++) {
    unsigned uses = 0;
    for (unsigned i = 0; i < m->fields.count; i++) {
      ms_Field *f = m->fields.items[i];
      int64_t id = f->number - 1;
      bool two = f->idl->collection == MS_COLLECTION_NONE && is_union(&f->idl->value);
      uses += id == (int64_t)slot || (two && id - 1 == (int64_t)slot);
    }
    if (uses != 1) {
      ms_error(l->diag, m->loc, "the field ids of \"%s\" must be consecutive from 0 (id %u is %s)", m->name, slot,
               uses ? "used twice" : "missing");
      return;
    }
  }
}

/* ---- messages ------------------------------------------------------------------------------ */

static bool name_reserved(const ms_Vec *names, const char *name) {
  for (unsigned i = 0; i < names->count; i++) {
    const ms_ReservedName *r = names->items[i];
    if (strcmp(r->name, name) == 0) return true;
  }
  return false;
}

/* foryc does not check reservations: a number or name in a `reserved`
 * statement may be used, and means what it would without the statement. */
static void warn_reserved_in_use(ms_IdlLinker *l, const char *what, const char *name, int64_t number, ms_Loc number_loc,
                                 ms_Loc name_loc, const ms_Vec *ranges, const ms_Vec *names) {
  if (ms_ranges_contain(ranges, number))
    ms_warning(l->diag, number_loc,
               "%s \"%s\" uses reserved number %lld; foryc does not check reservations and accepts it, "
               "and so does moonstub",
               what, name, (long long)number);
  if (name_reserved(names, name))
    ms_warning(l->diag, name_loc,
               "%s name \"%s\" is reserved; foryc does not check reservations and accepts it, and so does moonstub",
               what, name);
}

static void check_number(ms_IdlLinker *l, ms_Message *m, ms_Field *f, unsigned index) {
  const char *what = m->idl_kind == MS_IDL_UNION ? "union case" : "field";
  if (f->number == 0 && !is_fbs(l))
    ms_warning(l->diag, f->number_loc,
               "%s \"%s\" has number 0 (Fory's documentation starts numbers at 1); foryc accepts it as id 0, "
               "and so does moonstub",
               what, f->name);
  else if (f->number < 0 && !is_fbs(l))
    ms_error(l->diag, f->number_loc, "%s numbers cannot be negative (\"%s\" has %lld)", what, f->name,
             (long long)f->number);
  else if (f->number <= 0 && is_fbs(l) && m->idl_kind == MS_IDL_UNION)
    ms_error(l->diag, f->number_loc, "%s numbers start at 1 (\"%s\" has %lld)", what, f->name, (long long)f->number);
  else if (f->number > MAX_NUMBER)
    ms_error(l->diag, f->number_loc, "%s numbers cannot be greater than %lld", what, (long long)MAX_NUMBER);
  for (unsigned j = 0; j < index; j++) {
    ms_Field *g = m->fields.items[j];
    if (g->number == f->number && !is_fbs(l)) {
      ms_error(l->diag, f->number_loc, "%s number %lld has already been used in \"%s\" by \"%s\" (line %u)", what,
               (long long)f->number, m->full_name, g->name, g->name_loc.line);
      break;
    }
  }
  warn_reserved_in_use(l, what, f->name, f->number, f->number_loc, f->name_loc, &m->reserved_ranges,
                       &m->reserved_names);
}

static void link_field(ms_IdlLinker *l, ms_Message *m, ms_Field *f, unsigned index) {
  ms_IdlField *idl = f->idl;
  resolve_ref(l, &idl->value, f->full_name, m);
  if (idl->collection == MS_COLLECTION_MAP) resolve_ref(l, &idl->key, f->full_name, m);
  if (!is_fbs(l))
    check_fdl_field(l, f);
  else if (idl->collection == MS_COLLECTION_NONE && is_message_like(&idl->value) && !is_union(&idl->value))
    idl->nullable = true; /* tables and structs may be absent; a union field is not nullable, as in foryc */
  check_collection(l, f);
  if (is_fbs(l)) check_fbs_field(l, m, f);
  check_number(l, m, f, index);
  complete_shape(f);
  if (!f->has_json_name) f->json_name = ms_default_json_name(l->arena, f->name);
}

static void check_reserved(ms_IdlLinker *l, const ms_Vec *ranges) {
  for (unsigned i = 0; i < ranges->count; i++) {
    const ms_Range *r = ranges->items[i];
    if (r->end < r->start)
      ms_warning(l->diag, r->loc,
                 "reserved range %lld to %lld ends below its start; foryc accepts it as reserving nothing, "
                 "and so does moonstub",
                 (long long)r->start, (long long)r->end);
  }
}

/* A FlatBuffers enum's values fit its integer base type (bit_flags: bit
 * positions, checked by the parser). Fory IDL's, and those of a FlatBuffers
 * enum without an integer base, fit what Fory writes: an unsigned 32-bit
 * varint (down to INT32_MIN, as protobuf's). */
static void check_enum_value_range(ms_IdlLinker *l, const ms_Enum *e, const ms_EnumValue *v) {
  int64_t lo;
  uint64_t hi;
  if (is_fbs(l) && e->bit_flags) return;
  if (is_fbs(l) && integer_range(fbs_enum_base(e), &lo, &hi)) {
    if (v->number < lo || (v->number >= 0 && (uint64_t)v->number > hi))
      ms_error(l->diag, v->number_loc, "enum value %lld of \"%s\" is out of range for %s", (long long)v->number,
               v->name, e->base_type);
  } else if (v->number > (int64_t)UINT32_MAX) {
    ms_error(l->diag, v->number_loc,
             "enum value numbers must fit in 32 bits: Fory writes them as unsigned 32-bit varints (foryc accepts "
             "%lld, and its module then fails when it registers the enum)",
             (long long)v->number);
  } else if (v->number < INT32_MIN) {
    ms_error(l->diag, v->number_loc, "enum value numbers must fit in 32 bits");
  } else if (v->number > INT32_MAX) {
    ms_warning(l->diag, v->number_loc,
               "enum value %lld of \"%s\" is above 2147483647 (protobuf's limit); foryc accepts it (Fory writes enum "
               "values as unsigned 32-bit varints), and so does moonstub, but --codec=protobuf cannot carry it",
               (long long)v->number, v->name);
  }
}

/* Two values of one number: an error in both languages. Else, in FlatBuffers,
 * a value below an earlier one: flatc refuses it, foryc keeps the order. */
static void check_enum_value_order(ms_IdlLinker *l, const ms_Enum *e, unsigned i) {
  const ms_EnumValue *v = e->values.items[i], *greater = NULL;
  for (unsigned j = 0; j < i; j++) {
    const ms_EnumValue *w = e->values.items[j];
    if (w->number == v->number) {
      ms_error(l->diag, v->number_loc, "\"%s\" uses the same number (%lld) as \"%s\" in enum \"%s\"", v->name,
               (long long)v->number, w->name, e->name);
      return;
    }
    if (!greater && v->number < w->number) greater = w;
  }
  if (is_fbs(l) && greater)
    ms_warning(l->diag, v->number_loc,
               "enum value \"%s\" comes after the greater \"%s\" (flatc takes values in ascending order only); "
               "foryc keeps them in the order written, and so does moonstub",
               v->name, greater->name);
}

static void link_enum(ms_IdlLinker *l, ms_Enum *e) {
  e->closed = false;
  check_reserved(l, &e->reserved_ranges);
  for (unsigned i = 0; i < e->values.count; i++) {
    ms_EnumValue *v = e->values.items[i];
    check_enum_value_range(l, e, v);
    check_enum_value_order(l, e, i);
    warn_reserved_in_use(l, "enum value", v->name, v->number, v->number_loc, v->loc, &e->reserved_ranges,
                         &e->reserved_names);
  }
}

static void link_message(ms_IdlLinker *l, ms_Message *m) {
  check_reserved(l, &m->reserved_ranges);
  for (unsigned i = 0; i < m->enums.count; i++) link_enum(l, m->enums.items[i]);
  for (unsigned i = 0; i < m->messages.count; i++) {
    ms_Message *nested = m->messages.items[i];
    if (!nested->is_map_entry) link_message(l, nested);
  }
  for (unsigned i = 0; i < m->fields.count; i++) link_field(l, m, m->fields.items[i], i);
  if (is_fbs(l) && m->idl_kind == MS_IDL_UNION) {
    for (unsigned i = 0; i < m->fields.count; i++) {
      ms_Field *f = m->fields.items[i];
      if (f->idl->value.message && f->idl->value.message->idl_kind == MS_IDL_STRUCT)
        ms_warning(l->diag, f->type_loc,
                   "union \"%s\" holds struct \"%s\" (flatc takes tables only); foryc accepts it, and so does "
                   "moonstub",
                   m->name, f->idl->value.type_name);
      else if (f->idl->value.message && f->idl->value.message->idl_kind != MS_IDL_TABLE)
        ms_error(l->diag, f->type_loc, "union \"%s\" can hold tables only; \"%s\" is a %s", m->name,
                 f->idl->value.type_name, ms_idl_kind_name(f->idl->value.message->idl_kind));
      else if (f->idl->value.enum_type || f->idl->value.scalar != MS_SCALAR_NONE)
        ms_error(l->diag, f->type_loc, "union \"%s\" can hold tables only", m->name);
    }
  }
  if (is_fbs(l) && m->idl_kind != MS_IDL_UNION) check_fbs_ids(l, m);
}

/* ---- services ------------------------------------------------------------------------------- */

static ms_Message *resolve_rpc_type(ms_IdlLinker *l, ms_Method *m, const char *name, ms_Loc loc) {
  ms_Message *message = NULL;
  ms_Enum *e = NULL;
  if (!resolve_imported_bare(l, name, NULL, &message, &e) &&
      !l->resolve(l->linker, name, m->full_name, loc, &message, &e))
    return NULL;
  if (e) {
    ms_error(l->diag, loc, "\"%s\" is an enum; RPC requests and responses are %s", name,
             is_fbs(l) ? "tables or unions" : "messages or unions");
    return NULL;
  }
  /* foryc takes structs and unions too (flatc only tables): a struct is a
   * warning, a union — Fory's own gRPC tests use them — is accepted */
  if (is_fbs(l) && message->idl_kind == MS_IDL_STRUCT)
    ms_warning(l->diag, loc, "\"%s\" is a struct; flatc takes only tables as RPC requests and responses", name);
  return message;
}

static void link_service(ms_IdlLinker *l, ms_Service *s) {
  for (unsigned i = 0; i < s->methods.count; i++) {
    ms_Method *m = s->methods.items[i];
    m->input = resolve_rpc_type(l, m, m->input_name, m->input_loc);
    m->output = resolve_rpc_type(l, m, m->output_name, m->output_loc);
  }
}

/* ---- Fory type ids ----------------------------------------------------------------------------- */

typedef struct IdScope {
  ms_IdlLinker *l;
  bool automatic;
  const char *qualifier; /* package alias, else package */
  ms_Vec seen; /* ms_TypeId* of this file and its imports, in order */
  ms_Vec names; /* const char*: the type of each entry of `seen` */
} IdScope;

static const char *relative_name(const IdScope *s, const char *full_name) {
  const char *pkg = s->l->file->package;
  size_t n = pkg ? strlen(pkg) : 0;
  if (n && strncmp(full_name, pkg, n) == 0 && full_name[n] == '.') return full_name + n + 1;
  return full_name;
}

static void assign_id(IdScope *s, ms_TypeId *id, const char *full_name, ms_Loc loc, const ms_Vec *options) {
  if (!id->has_id && s->automatic) {
    const ms_Option *alias = ms_find_option(options, "alias");
    const char *name = alias && alias->value.kind == MS_VALUE_STRING ? alias->value.text : relative_name(s, full_name);
    const char *source = (strchr(name, '.') && alias) || !s->qualifier
                             ? name
                             : ms_arena_printf(s->l->arena, "%s.%s", s->qualifier, name);
    id->id = ms_fory_type_hash(source);
    id->has_id = id->generated = true;
    id->source = source;
    id->loc = loc;
  }
  if (!id->has_id) return;
  for (unsigned i = 0; i < s->seen.count; i++) {
    const ms_TypeId *other = s->seen.items[i];
    /* one name twice is a duplicate definition, reported as such */
    if (other->id == id->id && strcmp((const char *)s->names.items[i], full_name) != 0) {
      ms_error(s->l->diag, loc,
               "Fory type id %u of \"%s\"%s is already used by \"%s\" (%s:%u:%u); give one of them [id = N] or "
               "[alias = \"...\"]",
               (unsigned)id->id, full_name, id->generated ? " (hashed from its name)" : "",
               (const char *)s->names.items[i], other->loc.src ? other->loc.src->path : "?", other->loc.line,
               other->loc.col);
      return;
    }
  }
  ms_vec_push(s->l->arena, &s->seen, id);
  ms_vec_push(s->l->arena, &s->names, (void *)full_name);
}

/* Pass 0 takes the ids written as [id = N], pass 1 hashes the others, so
 * that a hashed id never takes one a type asked for. */
static void assign_one(IdScope *s, ms_TypeId *id, const char *full_name, ms_Loc loc, const ms_Vec *options,
                       unsigned pass) {
  if ((pass == 0) != id->has_id) return;
  assign_id(s, id, full_name, loc, options);
}

static void assign_message_ids(IdScope *s, ms_Message *m, unsigned pass) {
  if (m->is_map_entry) return;
  assign_one(s, &m->type_id, m->full_name, m->loc, &m->options, pass);
  for (unsigned i = 0; i < m->enums.count; i++) {
    ms_Enum *e = m->enums.items[i];
    assign_one(s, &e->type_id, e->full_name, e->loc, &e->options, pass);
  }
  for (unsigned i = 0; i < m->messages.count; i++) assign_message_ids(s, m->messages.items[i], pass);
}

static void assign_file_ids(IdScope *s, ms_File *f, unsigned pass) {
  for (unsigned i = 0; i < f->enums.count; i++) {
    ms_Enum *e = f->enums.items[i];
    assign_one(s, &e->type_id, e->full_name, e->loc, &e->options, pass);
  }
  for (unsigned i = 0; i < f->messages.count; i++) assign_message_ids(s, f->messages.items[i], pass);
}

static void assign_type_ids(ms_IdlLinker *l) {
  ms_File *f = l->file;
  IdScope s = {.l = l, .automatic = true, .qualifier = f->package_alias ? f->package_alias : f->package};
  const ms_Option *automatic = ms_find_option(&f->options, "enable_auto_type_id");
  if (automatic && automatic->value.kind == MS_VALUE_IDENT && strcmp(automatic->value.text, "false") == 0)
    s.automatic = false;
  /* the types of imported Fory files are registered in the same Fory instance */
  IdScope imported = s;
  imported.automatic = false;
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    if (!imp->file || (imp->file->syntax != MS_SYNTAX_FDL && imp->file->syntax != MS_SYNTAX_FBS)) continue;
    assign_file_ids(&imported, imp->file, 0);
  }
  s.seen = imported.seen;
  s.names = imported.names;
  assign_file_ids(&s, f, 0);
  assign_file_ids(&s, f, 1);
}

/* ---- file -------------------------------------------------------------------------------------- */

static void link_root_type(ms_IdlLinker *l) {
  ms_File *f = l->file;
  if (!f->root_type) return;
  ms_Message *m = NULL;
  ms_Enum *e = NULL;
  const char *scope = f->package ? ms_arena_printf(l->arena, "%s._", f->package) : "_";
  if (!l->resolve(l->linker, f->root_type, scope, f->root_type_loc, &m, &e)) return;
  if (m && m->idl_kind == MS_IDL_STRUCT) {
    ms_warning(l->diag, f->root_type_loc,
               "root_type \"%s\" is a struct (flatc takes a table only); foryc accepts it, and so does moonstub "
               "(Fory does not use it)",
               f->root_type);
    return;
  }
  if (!m || m->idl_kind != MS_IDL_TABLE) {
    ms_error(l->diag, f->root_type_loc, "root_type \"%s\" must be a table", f->root_type);
    return;
  }
  f->root = m;
}

void ms_link_idl_file(ms_IdlLinker *l) {
  ms_File *f = l->file;
  for (unsigned i = 0; i < f->enums.count; i++) link_enum(l, f->enums.items[i]);
  for (unsigned i = 0; i < f->messages.count; i++) link_message(l, f->messages.items[i]);
  for (unsigned i = 0; i < f->services.count; i++) link_service(l, f->services.items[i]);
  link_root_type(l);
  assign_type_ids(l);
}
