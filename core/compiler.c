/* Loading: import roots, files, imports in dependency order. */
#define _GNU_SOURCE
#include "compiler.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builtin_match.h"
#include "embedded.h"
#include "parse.h"

ms_Compiler *ms_compiler_new(void) {
  ms_Compiler *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->arena = ms_arena_new();
  ms_diag_init(&c->diag);
  ms_table_init(&c->memory);
  ms_table_init(&c->files);
  ms_table_init(&c->symbols);
  return c;
}

void ms_compiler_free(ms_Compiler *c) {
  if (!c) return;
  ms_table_free(&c->memory);
  ms_table_free(&c->files);
  ms_table_free(&c->symbols);
  ms_diag_free(&c->diag);
  ms_arena_free(c->arena);
  free(c);
}

static const char *strip_trailing_slashes(ms_Compiler *c, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  return ms_arena_strndup(c->arena, dir, n);
}

void ms_compiler_add_root(ms_Compiler *c, const char *dir) {
  ms_vec_push(c->arena, &c->roots, (void *)strip_trailing_slashes(c, dir));
}

void ms_compiler_add_memory_file(ms_Compiler *c, const char *path, const char *text) {
  ms_table_put(&c->memory, ms_arena_strdup(c->arena, path), ms_arena_strdup(c->arena, text));
}

bool ms_compiler_ok(const ms_Compiler *c) { return c->diag.errors == 0; }

static const char *join_path(ms_Compiler *c, const char *root, const char *path) {
  if (strcmp(root, ".") == 0) return ms_arena_strdup(c->arena, path);
  return ms_arena_printf(c->arena, "%s/%s", root, path);
}

static bool is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A command-line argument naming a folder, on disk or under a root. */
static bool is_directory_in_roots(ms_Compiler *c, const char *vpath) {
  if (is_directory(vpath)) return true;
  for (unsigned i = 0; i < c->roots.count; i++)
    if (is_directory(join_path(c, c->roots.items[i], vpath))) return true;
  return false;
}

/* Reads a whole file into the arena; NULL (errno set) when it cannot be read. */
static char *read_whole_file(ms_Compiler *c, const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  struct stat st;
  if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(fp);
    errno = EISDIR;
    return NULL;
  }
  size_t size = (size_t)st.st_size;
  char *buf = ms_arena_alloc(c->arena, size + 1);
  size_t got = fread(buf, 1, size, fp);
  bool failed = ferror(fp);
  int saved = errno;
  fclose(fp);
  if (failed) {
    errno = saved ? saved : EIO;
    return NULL;
  }
  buf[got] = '\0';
  *len = got;
  return buf;
}

/* The disk path of a virtual path: the first root that has it. */
static const char *find_in_roots(ms_Compiler *c, const char *vpath) {
  for (unsigned i = 0; i < c->roots.count; i++) {
    const char *candidate = join_path(c, c->roots.items[i], vpath);
    if (is_regular_file(candidate)) return candidate;
  }
  return NULL;
}

/* Files compiled into the binary under core/include/ (the well-known types'
 * google/protobuf/NAME.proto) are found when no root has them: an -I still wins. */
#define BUILTIN_INCLUDE "core/include/"

const char *ms_builtin_include_path(const ms_EmbeddedScript *e) {
  size_t prefix = strlen(BUILTIN_INCLUDE);
  return !e->lua && strncmp(e->path, BUILTIN_INCLUDE, prefix) == 0 ? e->path + prefix : NULL;
}

const ms_EmbeddedScript *ms_builtin_include(const char *vpath) {
  for (const ms_EmbeddedScript *e = ms_embedded_scripts; e->path; e++) {
    const char *include = ms_builtin_include_path(e);
    if (include && strcmp(include, vpath) == 0) return e;
  }
  return NULL;
}

static ms_File *new_file(ms_Compiler *c, const char *vpath, const char *disk_path, const char *text, size_t len) {
  ms_File *f = MS_NEW(c->arena, ms_File);
  f->kind = MS_KIND_FILE;
  f->path = ms_arena_strdup(c->arena, vpath);
  f->disk_path = disk_path;
  f->source.path = disk_path;
  f->source.text = text;
  f->source.len = len;
  return f;
}

static ms_File *load(ms_Compiler *c, const char *vpath, ms_Loc import_loc);
static ms_File *load_text(ms_Compiler *c, const char *vpath, const char *disk, const char *text, size_t len,
                          const ms_EmbeddedScript *builtin);

static void report_cycle(ms_Compiler *c, ms_File *again, ms_Loc loc) {
  size_t cap = 256, len = 0;
  char *chain = malloc(cap);
  if (!chain) abort();
  chain[0] = '\0';
  bool on = false;
  for (unsigned i = 0; i < c->loading.count; i++) {
    ms_File *f = c->loading.items[i];
    if (f == again) on = true;
    if (!on) continue;
    size_t n = strlen(f->path);
    while (len + n + 8 > cap) {
      cap *= 2;
      chain = realloc(chain, cap);
      if (!chain) abort();
    }
    memcpy(chain + len, f->path, n);
    len += n;
    memcpy(chain + len, " -> ", 5);
    len += 4;
  }
  ms_error(&c->diag, loc, "import cycle: %s%s", chain, again->path);
  free(chain);
}

static bool is_known_path(ms_Compiler *c, const char *vpath) {
  return ms_table_get(&c->files, vpath) || ms_table_get(&c->memory, vpath) || find_in_roots(c, vpath);
}

/* Fory IDL and FlatBuffers resolve an import beside the importing file
 * first (as foryc and flatc do), then in the roots. */
static const char *import_path(ms_Compiler *c, const ms_File *f, const char *path) {
  if (f->syntax != MS_SYNTAX_FDL && f->syntax != MS_SYNTAX_FBS) return path;
  const char *slash = strrchr(f->path, '/');
  if (!slash || path[0] == '/') return path;
  const char *beside = ms_arena_printf(c->arena, "%.*s/%s", (int)(slash - f->path), f->path, path);
  return is_known_path(c, beside) ? beside : path;
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The front end by file name, as foryc chooses it: .fdl and .idl are Fory
 * IDL, .fbs FlatBuffers, anything else is .proto. */
static void parse_by_language(ms_Compiler *c, ms_File *f) {
  if (has_suffix(f->path, ".fdl") || has_suffix(f->path, ".idl"))
    ms_parse_fdl(c->arena, &c->diag, f);
  else if (has_suffix(f->path, ".fbs"))
    ms_parse_fbs(c->arena, &c->diag, f);
  else
    ms_parse_proto(c->arena, &c->diag, f);
}

static void load_imports(ms_Compiler *c, ms_File *f) {
  for (unsigned i = 0; i < f->imports.count; i++) {
    ms_Import *imp = f->imports.items[i];
    for (unsigned j = 0; j < i; j++) {
      ms_Import *other = f->imports.items[j];
      if (strcmp(other->path, imp->path) == 0) {
        ms_error(&c->diag, imp->loc, "\"%s\" is imported twice", imp->path);
        break;
      }
    }
    imp->file = load(c, import_path(c, f, imp->path), imp->loc);
  }
}

static ms_File *load(ms_Compiler *c, const char *vpath, ms_Loc import_loc) {
  ms_File *f = ms_table_get(&c->files, vpath);
  if (f) {
    if (f->link_state == 1) {
      report_cycle(c, f, import_loc);
      return NULL;
    }
    return f;
  }
  /* names become module names and docstrings: they must be text */
  if (ms_utf8_invalid_at(vpath, strlen(vpath)) != strlen(vpath)) {
    if (import_loc.src)
      ms_error(&c->diag, import_loc, "import \"%s\" is not valid UTF-8", vpath);
    else
      ms_diag_plain(&c->diag, MS_ERROR, "%s: the file name is not valid UTF-8; rename the file", vpath);
    return NULL;
  }
  const char *text = ms_table_get(&c->memory, vpath);
  const char *disk = vpath;
  size_t len = text ? strlen(text) : 0;
  if (!text) {
    disk = find_in_roots(c, vpath);
    if (disk) {
      text = read_whole_file(c, disk, &len);
      if (!text) {
        if (import_loc.src)
          ms_error(&c->diag, import_loc, "import \"%s\" cannot be read (%s): %s", vpath, disk, strerror(errno));
        else
          ms_diag_plain(&c->diag, MS_ERROR, "%s: %s", disk, strerror(errno));
        return NULL;
      }
    }
  }
  const ms_EmbeddedScript *builtin = ms_builtin_include(vpath);
  if (!text && builtin) {
    text = builtin->source;
    len = builtin->len;
    disk = ms_arena_printf(c->arena, "<builtin>/%s", vpath);
  }
  if (!text) {
    if (import_loc.src)
      ms_error(&c->diag, import_loc, "import \"%s\" was not found in the import path", vpath);
    else if (is_directory_in_roots(c, vpath))
      ms_diag_plain(&c->diag, MS_ERROR, "%s: input file is a directory", vpath);
    else
      ms_diag_plain(&c->diag, MS_ERROR, "%s: file not found in the import path", vpath);
    return NULL;
  }
  return load_text(c, vpath, disk, text, len, builtin);
}

/* Parses a file's text, then loads its imports. */
static ms_File *load_text(ms_Compiler *c, const char *vpath, const char *disk, const char *text, size_t len,
                          const ms_EmbeddedScript *builtin) {
  ms_File *f = new_file(c, vpath, disk, text, len);
  /* the fast path: the carried file, or a byte-identical copy from an -I; a
   * copy that differs is compared by its descriptor once linked (builtin_match.h) */
  f->builtin = ms_text_is_the_embedded_copy(builtin, text, len);
  ms_table_put(&c->files, f->path, f);
  parse_by_language(c, f);
  ms_progress_count(&c->diag, MS_COUNT_PARSED);
  f->link_state = 1;
  ms_vec_push(c->arena, &c->loading, f);
  load_imports(c, f);
  c->loading.count--;
  f->link_state = 2;
  f->order = c->schema.files.count;
  ms_vec_push(c->arena, &c->schema.files, f);
  return f;
}

/* Maps a command-line argument to its virtual path, as protoc does: a file
 * on disk must lie under one of the roots; anything else is looked up as a
 * virtual path. */
static const char *virtual_path_of(ms_Compiler *c, const char *arg) {
  if (!is_regular_file(arg)) return arg;
  char real_arg[PATH_MAX], real_root[PATH_MAX];
  if (!realpath(arg, real_arg)) return arg;
  for (unsigned i = 0; i < c->roots.count; i++) {
    if (!realpath(c->roots.items[i], real_root)) continue;
    size_t n = strlen(real_root);
    if (strcmp(real_root, "/") == 0) n = 0;
    if (strncmp(real_arg, real_root, n) == 0 && real_arg[n] == '/') {
      const char *vpath = ms_arena_strdup(c->arena, real_arg + n + 1);
      const char *found = find_in_roots(c, vpath);
      char real_found[PATH_MAX];
      if (found && realpath(found, real_found) && strcmp(real_found, real_arg) != 0) {
        ms_diag_plain(&c->diag, MS_ERROR,
                      "%s: input is shadowed in the import path by \"%s\"; "
                      "reorder the -I roots or remove the other file",
                      arg, found);
        return NULL;
      }
      return vpath;
    }
  }
  ms_diag_plain(&c->diag, MS_ERROR,
                "%s: file does not reside within any import root; add -I with a folder "
                "that contains it",
                arg);
  return NULL;
}

bool ms_compiler_add_target(ms_Compiler *c, const char *arg) {
  if (c->roots.count == 0) ms_compiler_add_root(c, ".");
  const char *vpath = virtual_path_of(c, arg);
  if (!vpath) return false;
  ms_Loc none = {0};
  ms_File *f = load(c, vpath, none);
  if (!f) return false;
  f->is_target = true;
  return true;
}

bool ms_compiler_add_text_target(ms_Compiler *c, const char *vpath, const char *display, const char *text, size_t len) {
  if (c->roots.count == 0) ms_compiler_add_root(c, ".");
  ms_File *f = ms_table_get(&c->files, vpath);
  if (f) {
    ms_diag_plain(&c->diag, MS_ERROR, "%s: the file \"%s\" is given twice", display, vpath);
    return false;
  }
  f = load_text(c, vpath, ms_arena_strdup(c->arena, display), text, len, NULL);
  f->is_target = true;
  return true;
}

bool ms_compiler_link(ms_Compiler *c) {
  for (unsigned i = 0; i < c->schema.files.count; i++) ms_link_file(c, c->schema.files.items[i]);
  if (ms_compiler_ok(c)) ms_mark_files_that_mean_the_embedded_copy(c);
  return ms_compiler_ok(c);
}
