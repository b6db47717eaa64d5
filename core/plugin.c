#include "plugin.h"

#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "descriptor.h"
#include "lua_bridge.h"
#include "model_json.h"
#include "output.h"
#include "wire.h"

enum {
  FEATURE_PROTO3_OPTIONAL = 1,
  FEATURE_SUPPORTS_EDITIONS = 2,
  EDITION_PROTO2 = 998,
  EDITION_2024 = 1001,
};

static char *read_all(FILE *in, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf) abort();
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, in)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) abort();
      buf = grown;
    }
  }
  *len = n;
  return buf;
}

/* "k=v,k2=v2,flag": every entry becomes an option, as --opt would; the
 * plugin's own `dump_model` adds the model as moonstub_model.json, and each
 * `emitter=NAME|FILE` runs an extra emitter, as --emitter does. */
static void parse_parameter(ms_Compiler *c, const char *parameter, ms_RunOptions *run, bool *dump_model) {
  const char *p = parameter;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n > 0) {
      const char *eq = memchr(p, '=', n);
      const char *key = ms_arena_strndup(c->arena, p, eq ? (size_t)(eq - p) : n);
      const char *value = eq ? ms_arena_strndup(c->arena, eq + 1, n - (size_t)(eq - p) - 1) : "true";
      if (strcmp(key, "dump_model") == 0) {
        *dump_model = strcmp(value, "false") != 0;
      } else if (strcmp(key, "emitter") == 0) {
        /* emitter=NAME|FILE, repeatable: an extra emitter, as --emitter */
        ms_vec_push(c->arena, &run->emitters, (void *)value);
      } else {
        ms_vec_push(c->arena, &run->keys, (void *)key);
        ms_vec_push(c->arena, &run->values, (void *)value);
      }
    }
    if (!comma) break;
    p = comma + 1;
  }
}

static void write_response(FILE *out, const ms_Compiler *c, const ms_Output *files) {
  ms_Writer w = {0};
  if (!ms_compiler_ok(c)) {
    const char *text = c->diag.text ? c->diag.text : "moonstub failed";
    size_t len = c->diag.text ? c->diag.len : strlen(text);
    while (len > 0 && text[len - 1] == '\n') len--;
    ms_write_bytes_field(&w, 1, text, len);
  }
  ms_write_varint_field(&w, 2, FEATURE_PROTO3_OPTIONAL | FEATURE_SUPPORTS_EDITIONS);
  ms_write_varint_field(&w, 3, EDITION_PROTO2);
  ms_write_varint_field(&w, 4, EDITION_2024);
  if (ms_compiler_ok(c)) {
    for (unsigned i = 0; i < files->files.count; i++) {
      const ms_OutputFile *f = files->files.items[i];
      ms_Writer entry = {0};
      ms_write_bytes_field(&entry, 1, f->path, strlen(f->path));
      ms_write_bytes_field(&entry, 15, f->content, f->len);
      ms_write_bytes_field(&w, 15, entry.data, entry.len);
      ms_writer_free(&entry);
    }
  }
  fwrite(w.data, 1, w.len, out);
  fflush(out);
  ms_writer_free(&w);
}

static void add_model_json(ms_Compiler *c, ms_Output *files) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem) {
    ms_diag_plain(&c->diag, MS_ERROR, "cannot buffer the model");
    return;
  }
  ms_dump_model_json(&c->schema, mem);
  fclose(mem);
  ms_output_add(files, &c->diag, "moonstub_model.json", text, len);
  free(text);
}

int ms_plugin_main(FILE *in, FILE *out) {
  size_t len;
  char *request = read_all(in, &len);
  ms_Compiler *c = ms_compiler_new();
  ms_Output files;
  ms_output_init(&files, c->arena);
  const char *parameter = "";
  ms_RunOptions run = {0};
  run.python_out = ".";
  bool dump_model = false;
  if (ms_load_code_generator_request(c, request, len, &parameter)) {
    parse_parameter(c, parameter, &run, &dump_model);
    if (ms_compiler_link(c)) {
      if (dump_model)
        add_model_json(c, &files);
      else
        ms_lua_run(c, &files, &run);
    }
  }
  write_response(out, c, &files);
  /* warnings have nowhere else to go */
  if (ms_compiler_ok(c) && c->diag.len) fwrite(c->diag.text, 1, c->diag.len, stderr);
  ms_compiler_free(c);
  free(request);
  return 0;
}
