#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
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

bool ms_output_add(ms_Output *o, ms_Diag *diag, const char *path, const char *content, size_t len) {
  if (!path_is_safe(path)) {
    ms_diag_plain(diag, MS_ERROR, "output path \"%s\" must be relative, without \".\" or \"..\" parts", path);
    return false;
  }
  for (unsigned i = 0; i < o->files.count; i++) {
    ms_OutputFile *f = o->files.items[i];
    if (strcmp(f->path, path) == 0) {
      ms_diag_plain(diag, MS_ERROR, "output file \"%s\" was generated twice", path);
      return false;
    }
  }
  ms_OutputFile *f = MS_NEW(o->arena, ms_OutputFile);
  f->path = ms_arena_strdup(o->arena, path);
  char *copy = ms_arena_alloc(o->arena, len + 1);
  memcpy(copy, content, len);
  f->content = copy;
  f->len = len;
  ms_vec_push(o->arena, &o->files, f);
  return true;
}

static bool make_dirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int rc = mkdir(path, 0777);
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
static char *write_temporary(const char *dir, const ms_OutputFile *f, ms_Diag *diag, char **final,
                             bool *ok) {
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
  if (!make_dirs(full)) {
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

/* Every changed file is first written under a temporary name; only when all
 * of them were written are they renamed into place, so an error (a full
 * disk, say) leaves the output folder as it was. */
bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir) {
  unsigned n = o->files.count;
  char **tmp = calloc(n ? n : 1, sizeof *tmp), **final = calloc(n ? n : 1, sizeof *final);
  if (!tmp || !final) abort();
  bool ok = true;
  for (unsigned i = 0; i < n && ok; i++) tmp[i] = write_temporary(dir, o->files.items[i], diag, &final[i], &ok);
  for (unsigned i = 0; i < n; i++) {
    if (!tmp[i]) continue;
    if (ok && rename(tmp[i], final[i]) != 0) {
      ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", final[i], strerror(errno));
      ok = false;
    }
    if (!ok) unlink(tmp[i]);
  }
  for (unsigned i = 0; i < n; i++) {
    free(tmp[i]);
    free(final[i]);
  }
  free(tmp);
  free(final);
  return ok;
}

void ms_output_changed(const ms_Output *o, const char *dir, ms_Arena *arena, ms_Vec *out) {
  for (unsigned i = 0; i < o->files.count; i++) {
    const ms_OutputFile *f = o->files.items[i];
    char *full = ms_arena_printf(arena, "%s/%s", dir, f->path);
    if (!same_content(full, f->content, f->len)) ms_vec_push(arena, out, full);
  }
}
