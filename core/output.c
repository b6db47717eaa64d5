#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ms_output_init(ms_Output *o, ms_Arena *arena) {
  memset(o, 0, sizeof *o);
  o->arena = arena;
}

static bool path_is_safe(const char *path) {
  if (!*path || path[0] == '/') return false;
  for (const char *p = path; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return false;
    if (!slash) break;
    p = slash + 1;
  }
  return true;
}

static uint64_t hash_path(const char *path) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) h = (h ^ *p) * 1099511628211ull;
  return h;
}

/* The slot of `path` in the index: the file's, or the empty one it would take. */
static size_t slot_of(const ms_Output *o, const char *path) {
  size_t mask = o->index_cap - 1;
  for (size_t i = (size_t)hash_path(path) & mask;; i = (i + 1) & mask) {
    unsigned n = o->index[i];
    if (n == 0 || strcmp(((const ms_OutputFile *)o->files.items[n - 1])->path, path) == 0) return i;
  }
}

/* Keeps the index under half full (the old array stays in the arena). */
static void grow_index(ms_Output *o) {
  if (o->index_cap && (o->files.count + 1) * 2 <= o->index_cap) return;
  o->index_cap = o->index_cap ? o->index_cap * 2 : 64;
  o->index = ms_arena_alloc(o->arena, o->index_cap * sizeof *o->index);
  memset(o->index, 0, o->index_cap * sizeof *o->index);
  for (unsigned i = 0; i < o->files.count; i++)
    o->index[slot_of(o, ((const ms_OutputFile *)o->files.items[i])->path)] = i + 1;
}

bool ms_output_add(ms_Output *o, ms_Diag *diag, const char *path, const char *content, size_t len) {
  if (!path_is_safe(path)) {
    ms_diag_plain(diag, MS_ERROR, "output path \"%s\" must be relative, without \".\" or \"..\" parts", path);
    return false;
  }
  grow_index(o);
  size_t slot = slot_of(o, path);
  if (o->index[slot]) {
    ms_diag_plain(diag, MS_ERROR, "output file \"%s\" was generated twice", path);
    return false;
  }
  ms_OutputFile *f = MS_NEW(o->arena, ms_OutputFile);
  f->path = ms_arena_strdup(o->arena, path);
  char *copy = ms_arena_alloc(o->arena, len + 1);
  memcpy(copy, content, len);
  f->content = copy;
  f->len = len;
  ms_vec_push(o->arena, &o->files, f);
  o->index[slot] = o->files.count;
  if (!o->counted) ms_progress_count(diag, MS_COUNT_GENERATED);
  return true;
}

void ms_output_mark_extra(ms_Output *o) {
  if (o->files.count) ((ms_OutputFile *)o->files.items[o->files.count - 1])->extra = true;
}

static const char *root_of(const ms_OutputFile *f, const char *dir, const char *extra_dir) {
  return f->extra && extra_dir ? extra_dir : dir;
}

/* ---- insertion points ------------------------------------------------------ */

typedef struct ms_Insertion {
  const char *path;
  const char *point;
  const char *text;
  size_t len;
  unsigned order; /* insertions at one point keep the order they were made in */
  bool used;
} ms_Insertion;

static const char MARKER[] = "@@protoc_insertion_point(";

void ms_output_insert(ms_Output *o, const char *path, const char *point, const char *text, size_t len) {
  ms_Insertion *ins = MS_NEW(o->arena, ms_Insertion);
  ins->path = ms_arena_strdup(o->arena, path);
  ins->point = ms_arena_strdup(o->arena, point);
  char *copy = ms_arena_alloc(o->arena, len + 1);
  memcpy(copy, text, len);
  copy[len] = '\0';
  ins->text = copy;
  ins->len = len;
  ins->order = o->insertions.count;
  ms_vec_push(o->arena, &o->insertions, ins);
}

static int compare_insertions(const void *pa, const void *pb) {
  const ms_Insertion *a = *(ms_Insertion *const *)pa, *b = *(ms_Insertion *const *)pb;
  int c = strcmp(a->path, b->path);
  if (c == 0) c = strcmp(a->point, b->point);
  if (c == 0) c = (a->order > b->order) - (a->order < b->order);
  return c;
}

/* The first of the sorted insertions [lo, hi) whose path and point are
 * these (point NULL: whose path is this), or hi. */
static unsigned first_insertion_at(ms_Insertion **all, unsigned lo, unsigned hi, const char *path, const char *point,
                                   size_t point_len) {
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    int c = strcmp(all[mid]->path, path);
    if (c == 0 && point) {
      c = strncmp(all[mid]->point, point, point_len);
      if (c == 0 && all[mid]->point[point_len] != '\0') c = 1;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool insertion_is_at(const ms_Insertion *ins, const char *path, const char *point, size_t point_len) {
  return strcmp(ins->path, path) == 0 && strncmp(ins->point, point, point_len) == 0 && ins->point[point_len] == '\0';
}

/* A growing text, on the heap while it is built. */
typedef struct Text {
  char *data;
  size_t len, cap;
} Text;

static void text_append(Text *t, const char *s, size_t n) {
  if (t->len + n > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + n) cap *= 2;
    char *grown = realloc(t->data, cap);
    if (!grown) {
      fputs("moonstub: out of memory\n", stderr);
      abort();
    }
    t->data = grown;
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
}

/* Appends `text` to `out`, each non-empty line prefixed by `indent`, ending in a newline. */
static void append_indented(Text *out, const char *indent, size_t indent_len, const char *text, size_t len) {
  size_t i = 0;
  while (i < len) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
    if (n > 0) text_append(out, indent, indent_len);
    text_append(out, text + i, n);
    text_append(out, "\n", 1);
    i += n + 1;
  }
}

/* The file's text with the insertions [lo, hi) (its own, sorted) in place. */
static void insert_into_file(ms_Output *o, ms_OutputFile *f, ms_Insertion **all, unsigned lo, unsigned hi) {
  Text out = {0};
  const char *text = f->content, *end = f->content + f->len;
  while (text < end) {
    const char *nl = memchr(text, '\n', (size_t)(end - text));
    const char *line_end = nl ? nl + 1 : end;
    const char *marker = memmem(text, (size_t)(line_end - text), MARKER, sizeof MARKER - 1);
    if (marker) {
      const char *name = marker + sizeof MARKER - 1;
      const char *close = memchr(name, ')', (size_t)(line_end - name));
      if (close) {
        size_t name_len = (size_t)(close - name);
        size_t indent_len = strspn(text, " \t");
        if (indent_len > (size_t)(line_end - text)) indent_len = 0;
        for (unsigned k = first_insertion_at(all, lo, hi, f->path, name, name_len);
             k < hi && insertion_is_at(all[k], f->path, name, name_len); k++) {
          append_indented(&out, text, indent_len, all[k]->text, all[k]->len);
          all[k]->used = true;
        }
      }
    }
    text_append(&out, text, (size_t)(line_end - text));
    text = line_end;
  }
  char *copy = ms_arena_alloc(o->arena, out.len + 1);
  memcpy(copy, out.data ? out.data : "", out.len);
  f->content = copy;
  f->len = out.len;
  free(out.data);
}

bool ms_output_apply_insertions(ms_Output *o, ms_Diag *diag) {
  unsigned n = o->insertions.count;
  if (n == 0) return true;
  ms_Insertion **all = (ms_Insertion **)o->insertions.items;
  qsort(all, n, sizeof *all, compare_insertions);
  for (unsigned i = 0; i < o->files.count; i++) {
    ms_OutputFile *f = o->files.items[i];
    unsigned lo = first_insertion_at(all, 0, n, f->path, NULL, 0);
    unsigned hi = lo;
    while (hi < n && strcmp(all[hi]->path, f->path) == 0) hi++;
    if (hi > lo) insert_into_file(o, f, all, lo, hi);
  }
  bool ok = true;
  for (unsigned k = 0; k < n; k++) {
    if (all[k]->used) continue;
    ok = false;
    bool file_exists = false;
    for (unsigned i = 0; i < o->files.count && !file_exists; i++) {
      file_exists = strcmp(((ms_OutputFile *)o->files.items[i])->path, all[k]->path) == 0;
    }
    if (file_exists) {
      ms_diag_plain(diag, MS_ERROR, "insertion point \"%s\" not found in \"%s\"", all[k]->point, all[k]->path);
    } else {
      ms_diag_plain(diag, MS_ERROR, "cannot insert at \"%s\" into \"%s\": no such output file", all[k]->point,
                    all[k]->path);
    }
  }
  o->insertions.count = 0;
  return ok;
}

/* Creates the folders of `path`; each folder it creates is recorded in
 * `created` (parents first) so that a failed run can remove them. */
static bool make_dirs(char *path, ms_Vec *created, ms_Arena *arena) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int rc = mkdir(path, 0777);
    if (rc == 0) ms_vec_push(arena, created, ms_arena_strdup(arena, path));
    *p = '/';
    if (rc != 0 && errno != EEXIST) return false;
  }
  return true;
}

static bool same_content(const char *path, const char *content, size_t len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return false;
  bool same = true;
  char buf[65536];
  size_t off = 0, n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
    if (off + n > len || memcmp(buf, content + off, n) != 0) {
      same = false;
      break;
    }
    off += n;
  }
  fclose(fp);
  return same && off == len;
}

/* Phase 1 of a write: the content goes to "<path>.tmp.<pid>"; returns the
 * temporary path, or NULL when the file is unchanged (nothing to do) or on
 * error (*ok cleared). */
static char *write_temporary(const char *dir, const ms_OutputFile *f, ms_Diag *diag, char **final, bool *ok,
                             ms_Vec *created, ms_Arena *arena) {
  size_t n = strlen(dir) + strlen(f->path) + 64;
  char *full = malloc(n), *tmp = malloc(n);
  if (!full || !tmp) abort();
  snprintf(full, n, "%s/%s", dir, f->path);
  *final = full;
  if (same_content(full, f->content, f->len)) {
    free(tmp);
    return NULL;
  }
  snprintf(tmp, n, "%s.tmp.%ld", full, (long)getpid());
  struct stat st;
  if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
    ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", full, strerror(EISDIR));
    *ok = false;
    free(tmp);
    return NULL;
  }
  if (!make_dirs(full, created, arena)) {
    ms_diag_plain(diag, MS_ERROR, "cannot create the folder for %s: %s", full, strerror(errno));
    *ok = false;
    free(tmp);
    return NULL;
  }
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", full, strerror(errno));
    *ok = false;
    free(tmp);
    return NULL;
  }
  bool written = fwrite(f->content, 1, f->len, fp) == f->len;
  written = (fflush(fp) == 0) && written;
  written = (fclose(fp) == 0) && written;
  if (!written) {
    ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", full, strerror(errno));
    unlink(tmp);
    *ok = false;
    free(tmp);
    return NULL;
  }
  return tmp;
}

/* Puts the new file in place, keeping the old one as "<path>.bak.<pid>"
 * (a second name of the same file when the folder allows hard links, so the
 * path never disappears) until the whole set is in place. */
static bool replace_keeping_backup(const char *tmp, const char *final, char **backup) {
  size_t n = strlen(final) + 32;
  *backup = NULL;
  if (access(final, F_OK) == 0) {
    char *b = malloc(n);
    if (!b) abort();
    snprintf(b, n, "%s.bak.%ld", final, (long)getpid());
    unlink(b);
    if (link(final, b) != 0 && rename(final, b) != 0) {
      free(b);
      return false;
    }
    *backup = b;
  }
  return rename(tmp, final) == 0;
}

/* Undoes the files put in place so far: the old file back, or the new one gone. */
static void roll_back(char **final, char **backup, const bool *placed, unsigned n) {
  for (unsigned i = n; i-- > 0;) {
    if (!placed[i]) continue;
    if (backup[i])
      rename(backup[i], final[i]);
    else
      unlink(final[i]);
  }
}

static void remove_created_folders(const ms_Vec *created) {
  for (unsigned i = created->count; i-- > 0;) rmdir(created->items[i]);
}

/* Every changed file is first written under a temporary name; only when all
 * of them were written are they renamed into place, each old file kept
 * until all are; an error at any point (a full disk, a folder in the way)
 * leaves the output folder as it was, folders the run created included. */
/* Python source must be UTF-8 (PEP 3120): a module that is not (text from a
 * script, a file name in another encoding) is an error, and nothing is written. */
static bool python_is_utf8(const ms_Output *o, ms_Diag *diag) {
  bool ok = true;
  for (unsigned i = 0; i < o->files.count; i++) {
    const ms_OutputFile *f = o->files.items[i];
    size_t n = strlen(f->path);
    if (n < 3 || strcmp(f->path + n - 3, ".py") != 0) continue;
    size_t bad = ms_utf8_invalid_at(f->content, f->len);
    if (bad == f->len) continue;
    unsigned line = 1;
    for (size_t k = 0; k < bad; k++) line += f->content[k] == '\n';
    ms_diag_plain(diag, MS_ERROR,
                  "generated %s is not valid UTF-8 (byte 0x%02X on line %u); is a file name or "
                  "a script's text in another encoding?",
                  f->path, (unsigned char)f->content[bad], line);
    ok = false;
  }
  return ok;
}

bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir, const char *extra_dir) {
  if (!python_is_utf8(o, diag)) return false;
  unsigned n = o->files.count;
  char **tmp = calloc(n ? n : 1, sizeof *tmp), ** final = calloc(n ? n : 1, sizeof *final);
  char **backup = calloc(n ? n : 1, sizeof *backup);
  bool *placed = calloc(n ? n : 1, sizeof *placed);
  if (!tmp || !final || !backup || !placed) abort();
  ms_Vec created = {0};
  bool ok = true;
  for (unsigned i = 0; i < n && ok; i++)
    tmp[i] = write_temporary(root_of(o->files.items[i], dir, extra_dir), o->files.items[i], diag, &final[i], &ok,
                             &created, o->arena);
  for (unsigned i = 0; i < n && ok; i++) {
    if (!tmp[i]) {
      ms_progress_count(diag, MS_COUNT_UNCHANGED);
      continue;
    }
    if (!replace_keeping_backup(tmp[i], final[i], &backup[i])) {
      ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", final[i], strerror(errno));
      if (backup[i] && access(final[i], F_OK) != 0) rename(backup[i], final[i]);
      free(backup[i]);
      backup[i] = NULL;
      ok = false;
      break;
    }
    placed[i] = true;
    ms_progress_count(diag, MS_COUNT_WRITTEN);
  }
  if (!ok) roll_back(final, backup, placed, n);
  for (unsigned i = 0; i < n; i++) {
    if (tmp[i] && !placed[i]) unlink(tmp[i]);
    if (backup[i] && ok) unlink(backup[i]);
    free(tmp[i]);
    free(final[i]);
    free(backup[i]);
  }
  if (!ok) remove_created_folders(&created);
  free(tmp);
  free(final);
  free(backup);
  free(placed);
  return ok;
}

void ms_output_changed(const ms_Output *o, const char *dir, const char *extra_dir, ms_Arena *arena, ms_Vec *out) {
  for (unsigned i = 0; i < o->files.count; i++) {
    const ms_OutputFile *f = o->files.items[i];
    char *full = ms_arena_printf(arena, "%s/%s", root_of(f, dir, extra_dir), f->path);
    if (!same_content(full, f->content, f->len)) ms_vec_push(arena, out, full);
  }
}
