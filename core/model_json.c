/* `--dump-model`: the linked model as JSON (see docs/cli.md for the keys). */
#include "model_json.h"

#include <stdio.h>
#include <string.h>

typedef struct Out {
  FILE *fp;
} Out;

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end) {
  size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || (size_t)(end - p) < n || p[0] > 0xF4) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return n;
}

/* A JSON string of `len` bytes; invalid UTF-8 bytes become \u00XX. */
static void put_bytes(Out *o, const char *s, size_t len) {
  putc('"', o->fp);
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    unsigned char c = *p;
    if (c >= 0x80) {
      size_t n = utf8_sequence(p, end);
      if (n) {
        fwrite(p, 1, n, o->fp);
        p += n;
      } else {
        fprintf(o->fp, "\\u%04x", c);
        p++;
      }
      continue;
    }
    switch (c) {
      case '"': fputs("\\\"", o->fp); break;
      case '\\': fputs("\\\\", o->fp); break;
      case '\n': fputs("\\n", o->fp); break;
      case '\r': fputs("\\r", o->fp); break;
      case '\t': fputs("\\t", o->fp); break;
      default:
        if (c < 0x20 || c == 0x7F)
          fprintf(o->fp, "\\u%04x", c);
        else
          putc(c, o->fp);
    }
    p++;
  }
  putc('"', o->fp);
}

static void put_string(Out *o, const char *s) {
  if (!s) {
    fputs("null", o->fp);
    return;
  }
  put_bytes(o, s, strlen(s));
}

static void key(Out *o, const char *k) {
  put_string(o, k);
  putc(':', o->fp);
}

static void put_bool(Out *o, bool b) { fputs(b ? "true" : "false", o->fp); }

static void put_comments(Out *o, const ms_Comment *c) {
  key(o, "comments");
  fputs("{", o->fp);
  key(o, "leading");
  put_string(o, c->leading);
  fputs(",", o->fp);
  key(o, "trailing");
  put_string(o, c->trailing);
  fputs(",", o->fp);
  key(o, "detached");
  fputs("[", o->fp);
  for (unsigned i = 0; i < c->detached.count; i++) {
    if (i) putc(',', o->fp);
    put_string(o, c->detached.items[i]);
  }
  fputs("]}", o->fp);
}

static void put_value(Out *o, const ms_Value *v) {
  if (!v) {
    fputs("null", o->fp);
    return;
  }
  switch (v->kind) {
    case MS_VALUE_INT: fprintf(o->fp, "%s%llu", v->negative ? "-" : "", (unsigned long long)v->u); break;
    case MS_VALUE_FLOAT: {
      double d = v->negative ? -v->d : v->d;
      if (d != d || (d == d * 2 && d != 0)) /* nan, inf: not JSON numbers */
        fprintf(o->fp, "\"%s\"", d != d ? "nan" : d > 0 ? "inf" : "-inf");
      else
        fprintf(o->fp, "%.17g", d);
      break;
    }
    case MS_VALUE_STRING: put_bytes(o, v->text, v->text_len); break;
    case MS_VALUE_IDENT:
      if (!v->negative && (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0)) {
        fputs(v->text, o->fp);
      } else {
        putc('"', o->fp);
        if (v->negative) putc('-', o->fp);
        fputs(v->text, o->fp);
        putc('"', o->fp);
      }
      break;
    default: put_string(o, v->text);
  }
}

/* Options as an object; a name set several times (repeated options) maps to
 * an array of its values in order. */
static void put_options(Out *o, const ms_Vec *options) {
  key(o, "options");
  fputs("{", o->fp);
  bool first = true;
  for (unsigned i = 0; i < options->count; i++) {
    const ms_Option *opt = options->items[i];
    bool seen = false;
    unsigned count = 0;
    for (unsigned j = 0; j < options->count; j++) {
      const ms_Option *other = options->items[j];
      if (strcmp(other->name, opt->name) != 0) continue;
      if (j < i) seen = true;
      count++;
    }
    if (seen) continue;
    if (!first) putc(',', o->fp);
    first = false;
    key(o, opt->name);
    if (count == 1) {
      put_value(o, &opt->value);
      continue;
    }
    putc('[', o->fp);
    bool first_value = true;
    for (unsigned j = i; j < options->count; j++) {
      const ms_Option *other = options->items[j];
      if (strcmp(other->name, opt->name) != 0) continue;
      if (!first_value) putc(',', o->fp);
      first_value = false;
      put_value(o, &other->value);
    }
    putc(']', o->fp);
  }
  fputs("}", o->fp);
}

static bool is_idl_file(const ms_File *f) { return f && (f->syntax == MS_SYNTAX_FDL || f->syntax == MS_SYNTAX_FBS); }

static void put_type_ref(Out *o, const char *name, const ms_TypeRef *t) {
  fputs(",", o->fp);
  key(o, name);
  fputs("{", o->fp);
  key(o, "scalar");
  put_string(o, t->scalar ? ms_scalar_name(t->scalar) : NULL);
  fputs(",", o->fp);
  key(o, "encoding");
  put_string(o, t->encoding);
  const char *resolved = t->message ? t->message->full_name : t->enum_type ? t->enum_type->full_name : t->type_name;
  fputs(",", o->fp);
  key(o, "type_name");
  put_string(o, resolved);
  fputs(",", o->fp);
  key(o, "optional");
  put_bool(o, t->optional);
  fputs(",", o->fp);
  key(o, "ref");
  put_bool(o, t->ref);
  fputs(",", o->fp);
  put_options(o, &t->ref_options);
  fputs("}", o->fp);
}

static void put_idl_field(Out *o, const ms_IdlField *idl) {
  fputs(",\"idl\":{", o->fp);
  key(o, "collection");
  put_string(o, ms_collection_name(idl->collection));
  fputs(",", o->fp);
  key(o, "nullable");
  put_bool(o, idl->nullable);
  fputs(",", o->fp);
  key(o, "ref");
  put_bool(o, idl->ref);
  fputs(",", o->fp);
  key(o, "written_repeated");
  put_bool(o, idl->written_repeated);
  fprintf(o->fp, ",\"fixed_length\":%u", idl->fixed_length);
  fputs(",", o->fp);
  key(o, "has_id");
  put_bool(o, idl->has_id);
  put_type_ref(o, "value", &idl->value);
  if (idl->collection == MS_COLLECTION_MAP) put_type_ref(o, "key", &idl->key);
  fputs(",\"ref_options\":{", o->fp);
  for (unsigned i = 0; i < idl->ref_options.count; i++) {
    const ms_Option *opt = idl->ref_options.items[i];
    if (i) putc(',', o->fp);
    key(o, opt->name);
    put_value(o, &opt->value);
  }
  fputs("}}", o->fp);
}

static void put_type_id(Out *o, const ms_TypeId *id) {
  fputs(",\"type_id\":", o->fp);
  if (!id->has_id) {
    fputs("null", o->fp);
    return;
  }
  fprintf(o->fp, "{\"id\":%u,\"generated\":%s,", (unsigned)id->id, id->generated ? "true" : "false");
  key(o, "source");
  put_string(o, id->source);
  fputs("}", o->fp);
}

static void put_field(Out *o, const ms_Field *f) {
  fputs("{", o->fp);
  key(o, "name");
  put_string(o, f->name);
  fputs(",", o->fp);
  key(o, "full_name");
  put_string(o, f->full_name);
  fprintf(o->fp, ",\"number\":%lld", (long long)f->number);
  fputs(",", o->fp);
  key(o, "label");
  put_string(o, ms_label_name(f->label));
  fputs(",", o->fp);
  key(o, "type");
  put_string(o, ms_type_name(f->type));
  const char *type_name = f->message_type ? f->message_type->full_name : f->enum_type ? f->enum_type->full_name : NULL;
  fputs(",", o->fp);
  key(o, "type_name");
  put_string(o, type_name);
  fputs(",", o->fp);
  key(o, "oneof");
  put_string(o, f->oneof ? f->oneof->name : NULL);
  fputs(",", o->fp);
  key(o, "presence");
  put_string(o, f->has_presence ? "explicit" : "implicit");
  fputs(",", o->fp);
  key(o, "json_name");
  put_string(o, f->json_name);
  fputs(",", o->fp);
  key(o, "extendee");
  put_string(o, f->is_extension ? (f->extendee ? f->extendee->full_name : f->extendee_name) : NULL);
  fputs(",", o->fp);
  key(o, "packed");
  put_bool(o, f->packed);
  fputs(",", o->fp);
  key(o, "proto3_optional");
  put_bool(o, f->proto3_optional);
  fputs(",", o->fp);
  key(o, "utf8_validation");
  put_bool(o, f->utf8_validate);
  fputs(",", o->fp);
  key(o, "is_map");
  put_bool(o, f->map_entry != NULL);
  fputs(",", o->fp);
  key(o, "default");
  put_value(o, f->default_value);
  if (f->idl) put_idl_field(o, f->idl);
  fputs(",", o->fp);
  put_options(o, &f->options);
  fputs(",", o->fp);
  put_comments(o, &f->comments);
  fprintf(o->fp, ",\"line\":%u}", f->name_loc.line);
}

static void put_fields(Out *o, const char *name, const ms_Vec *fields) {
  fputs(",", o->fp);
  key(o, name);
  fputs("[", o->fp);
  for (unsigned i = 0; i < fields->count; i++) {
    if (i) putc(',', o->fp);
    put_field(o, fields->items[i]);
  }
  fputs("]", o->fp);
}

static void put_enum(Out *o, const ms_Enum *e) {
  fputs("{", o->fp);
  key(o, "name");
  put_string(o, e->name);
  fputs(",", o->fp);
  key(o, "full_name");
  put_string(o, e->full_name);
  fputs(",", o->fp);
  key(o, "closed");
  put_bool(o, e->closed);
  fputs(",\"values\":[", o->fp);
  for (unsigned i = 0; i < e->values.count; i++) {
    const ms_EnumValue *v = e->values.items[i];
    if (i) putc(',', o->fp);
    fputs("{", o->fp);
    key(o, "name");
    put_string(o, v->name);
    fprintf(o->fp, ",\"number\":%lld,", (long long)v->number);
    put_options(o, &v->options);
    fputs(",", o->fp);
    put_comments(o, &v->comments);
    fputs("}", o->fp);
  }
  fputs("],", o->fp);
  if (is_idl_file(e->file)) {
    fputs("\"kind\":\"enum\"", o->fp);
    put_type_id(o, &e->type_id);
    fputs(",", o->fp);
    key(o, "base_type");
    put_string(o, e->base_type);
    fputs(",", o->fp);
    key(o, "bit_flags");
    put_bool(o, e->bit_flags);
    fputs(",", o->fp);
  }
  put_options(o, &e->options);
  fputs(",", o->fp);
  put_comments(o, &e->comments);
  fputs("}", o->fp);
}

static void put_enums(Out *o, const ms_Vec *enums) {
  fputs(",\"enums\":[", o->fp);
  for (unsigned i = 0; i < enums->count; i++) {
    if (i) putc(',', o->fp);
    put_enum(o, enums->items[i]);
  }
  fputs("]", o->fp);
}

static void put_message(Out *o, const ms_Message *m);

static void put_messages(Out *o, const ms_Vec *messages) {
  fputs(",\"messages\":[", o->fp);
  for (unsigned i = 0; i < messages->count; i++) {
    if (i) putc(',', o->fp);
    put_message(o, messages->items[i]);
  }
  fputs("]", o->fp);
}

static void put_message(Out *o, const ms_Message *m) {
  fputs("{", o->fp);
  key(o, "name");
  put_string(o, m->name);
  fputs(",", o->fp);
  key(o, "full_name");
  put_string(o, m->full_name);
  fputs(",", o->fp);
  key(o, "is_map_entry");
  put_bool(o, m->is_map_entry);
  fputs(",", o->fp);
  key(o, "is_group");
  put_bool(o, m->is_group);
  if (is_idl_file(m->file)) {
    fputs(",", o->fp);
    key(o, "kind");
    put_string(o, ms_idl_kind_name(m->idl_kind));
    put_type_id(o, &m->type_id);
    fprintf(o->fp, ",\"evolving\":%s", m->evolving < 0 ? "null" : m->evolving ? "true" : "false");
  }
  put_fields(o, "fields", &m->fields);
  fputs(",\"oneofs\":[", o->fp);
  for (unsigned i = 0; i < m->oneofs.count; i++) {
    const ms_Oneof *one = m->oneofs.items[i];
    if (i) putc(',', o->fp);
    fputs("{", o->fp);
    key(o, "name");
    put_string(o, one->name);
    fputs(",", o->fp);
    key(o, "synthetic");
    put_bool(o, one->synthetic);
    fputs(",\"fields\":[", o->fp);
    for (unsigned j = 0; j < one->fields.count; j++) {
      if (j) putc(',', o->fp);
      put_string(o, ((const ms_Field *)one->fields.items[j])->name);
    }
    fputs("]}", o->fp);
  }
  fputs("]", o->fp);
  put_messages(o, &m->messages);
  put_enums(o, &m->enums);
  put_fields(o, "extensions", &m->extensions);
  fputs(",\"extension_ranges\":[", o->fp);
  for (unsigned i = 0; i < m->extension_ranges.count; i++) {
    const ms_Range *r = m->extension_ranges.items[i];
    fprintf(o->fp, "%s[%lld,%lld]", i ? "," : "", (long long)r->start, (long long)r->end);
  }
  fputs("],", o->fp);
  put_options(o, &m->options);
  fputs(",", o->fp);
  put_comments(o, &m->comments);
  fputs("}", o->fp);
}

static void put_service(Out *o, const ms_Service *s) {
  fputs("{", o->fp);
  key(o, "name");
  put_string(o, s->name);
  fputs(",", o->fp);
  key(o, "full_name");
  put_string(o, s->full_name);
  fputs(",\"methods\":[", o->fp);
  for (unsigned i = 0; i < s->methods.count; i++) {
    const ms_Method *m = s->methods.items[i];
    if (i) putc(',', o->fp);
    fputs("{", o->fp);
    key(o, "name");
    put_string(o, m->name);
    fputs(",", o->fp);
    key(o, "input");
    put_string(o, m->input ? m->input->full_name : m->input_name);
    fputs(",", o->fp);
    key(o, "output");
    put_string(o, m->output ? m->output->full_name : m->output_name);
    fputs(",", o->fp);
    key(o, "client_streaming");
    put_bool(o, m->client_streaming);
    fputs(",", o->fp);
    key(o, "server_streaming");
    put_bool(o, m->server_streaming);
    fputs(",", o->fp);
    put_options(o, &m->options);
    fputs(",", o->fp);
    put_comments(o, &m->comments);
    fputs("}", o->fp);
  }
  fputs("],", o->fp);
  put_options(o, &s->options);
  fputs(",", o->fp);
  put_comments(o, &s->comments);
  fputs("}", o->fp);
}

static void put_import_list(Out *o, const char *name, const ms_File *f, int which) {
  fputs(",", o->fp);
  key(o, name);
  fputs("[", o->fp);
  bool first = true;
  for (unsigned i = 0; i < f->imports.count; i++) {
    const ms_Import *imp = f->imports.items[i];
    if ((which == 1 && !imp->is_public) || (which == 2 && !imp->is_weak) || (which == 0 && imp->is_option)) continue;
    if (!first) putc(',', o->fp);
    first = false;
    put_string(o, imp->path);
  }
  fputs("]", o->fp);
}

static void put_file(Out *o, const ms_File *f) {
  fputs("{", o->fp);
  key(o, "path");
  put_string(o, f->path);
  fputs(",", o->fp);
  key(o, "package");
  put_string(o, f->package);
  fputs(",", o->fp);
  key(o, "syntax");
  put_string(o, ms_syntax_name(f->syntax));
  fputs(",", o->fp);
  key(o, "edition");
  put_string(o, f->edition);
  fputs(",", o->fp);
  key(o, "is_target");
  put_bool(o, f->is_target);
  put_import_list(o, "imports", f, 0);
  put_import_list(o, "public_imports", f, 1);
  put_import_list(o, "weak_imports", f, 2);
  put_messages(o, &f->messages);
  put_enums(o, &f->enums);
  fputs(",\"services\":[", o->fp);
  for (unsigned i = 0; i < f->services.count; i++) {
    if (i) putc(',', o->fp);
    put_service(o, f->services.items[i]);
  }
  fputs("]", o->fp);
  put_fields(o, "extensions", &f->extensions);
  fputs(",", o->fp);
  put_options(o, &f->options);
  if (is_idl_file(f)) {
    fputs(",", o->fp);
    key(o, "package_alias");
    put_string(o, f->package_alias);
    fputs(",", o->fp);
    key(o, "root_type");
    put_string(o, f->root ? f->root->full_name : f->root_type);
    fputs(",", o->fp);
    key(o, "file_identifier");
    put_string(o, f->file_identifier);
    fputs(",", o->fp);
    key(o, "file_extension");
    put_string(o, f->file_extension);
    fputs(",\"attributes\":[", o->fp);
    for (unsigned i = 0; i < f->declared_attributes.count; i++) {
      const ms_ReservedName *a = f->declared_attributes.items[i];
      if (i) putc(',', o->fp);
      put_string(o, a->name);
    }
    fputs("]", o->fp);
  }
  fputs("}", o->fp);
}

void ms_dump_model_json(const ms_Schema *schema, FILE *fp) {
  Out o = {fp};
  fputs("{\"files\":[", fp);
  for (unsigned i = 0; i < schema->files.count; i++) {
    if (i) fputs(",\n", fp);
    put_file(&o, schema->files.items[i]);
  }
  fputs("]}\n", fp);
}
