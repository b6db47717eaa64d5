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

/* Creates the folders of `path`; each folder it creates is recorded in
 * `created` (parents first) so that a failed run can remove them. */
void ms_output_mark_extra(ms_Output *o) {
  if (o->files.count) ((ms_OutputFile *)o->files.items[o->files.count - 1])->extra = true;
}

static const char *root_of(const ms_OutputFile *f, const char *dir, const char *extra_dir) {
  return f->extra && extra_dir ? extra_dir : dir;
}

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
static char *write_temporary(const char *dir, const ms_OutputFile *f, ms_Diag *diag, char **final,
                             bool *ok, ms_Vec *created, ms_Arena *arena) {
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
    if (backup[i]) rename(backup[i], final[i]);
    else unlink(final[i]);
  }
}

static void remove_created_folders(const ms_Vec *created) {
  for (unsigned i = created->count; i-- > 0;) rmdir(created->items[i]);
}

/* Every changed file is first written under a temporary name; only when all
 * of them were written are they renamed into place, each old file kept
 * until all are; an error at any point (a full disk, a folder in the way)
 * leaves the output folder as it was, folders the run created included. */
bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir, const char *extra_dir) {
  unsigned n = o->files.count;
  char **tmp = calloc(n ? n : 1, sizeof *tmp), **final = calloc(n ? n : 1, sizeof *final);
  char **backup = calloc(n ? n : 1, sizeof *backup);
  bool *placed = calloc(n ? n : 1, sizeof *placed);
  if (!tmp || !final || !backup || !placed) abort();
  ms_Vec created = {0};
  bool ok = true;
  for (unsigned i = 0; i < n && ok; i++)
    tmp[i] = write_temporary(root_of(o->files.items[i], dir, extra_dir), o->files.items[i], diag, &final[i], &ok,
                             &created, o->arena);
  for (unsigned i = 0; i < n && ok; i++) {
    if (!tmp[i]) continue;
    if (!replace_keeping_backup(tmp[i], final[i], &backup[i])) {
      ms_diag_plain(diag, MS_ERROR, "cannot write %s: %s", final[i], strerror(errno));
      if (backup[i] && access(final[i], F_OK) != 0) rename(backup[i], final[i]);
      free(backup[i]);
      backup[i] = NULL;
      ok = false;
      break;
    }
    placed[i] = true;
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
