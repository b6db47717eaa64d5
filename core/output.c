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

static bool write_one(const char *dir, const ms_OutputFile *f, ms_Diag *diag) {
  size_t n = strlen(dir) + strlen(f->path) + 64;
  char *full = malloc(n), *tmp = malloc(n);
  if (!full || !tmp) abort();
  snprintf(full, n, "%s/%s", dir, f->path);
  bool ok = true;
  if (same_content(full, f->content, f->len)) goto done;
  snprintf(tmp, n, "%s.tmp.%ld", full, (long)getpid());
  if (!make_dirs(full)) {
    ms_diag_plain(diag, MS_ERROR, "cannot create the folder for %s: %s", full, strerror(errno));
    ok = false;
    goto done;
  }
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", full, strerror(errno));
    ok = false;
    goto done;
  }
  bool written = fwrite(f->content, 1, f->len, fp) == f->len;
  written = (fflush(fp) == 0) && written;
  written = (fclose(fp) == 0) && written;
  if (!written || rename(tmp, full) != 0) {
    ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", full, strerror(errno));
    unlink(tmp);
    ok = false;
  }
done:
  free(full);
  free(tmp);
  return ok;
}

bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir) {
  bool ok = true;
  for (unsigned i = 0; i < o->files.count; i++) ok = write_one(dir, o->files.items[i], diag) && ok;
  return ok;
}
