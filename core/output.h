/* The output set: every generated file is kept in memory; nothing touches the
 * disk until the whole run has succeeded, then each file is written through
 * a temporary name and renamed into place. */
#ifndef MS_OUTPUT_H
#define MS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

typedef struct ms_OutputFile {
  const char *path; /* relative to the output folder */
  const char *content;
  size_t len;
  bool extra; /* from an --emitter: goes under --out when it is given */
} ms_OutputFile;

typedef struct ms_Output {
  ms_Arena *arena;
  ms_Vec files; /* ms_OutputFile* */
} ms_Output;

void ms_output_init(ms_Output *o, ms_Arena *arena);
/* False (and an error) when the path was already written or is unsafe. */
bool ms_output_add(ms_Output *o, ms_Diag *diag, const char *path, const char *content, size_t len);
/* Marks the last file added as an --emitter's. */
void ms_output_mark_extra(ms_Output *o);
/* Writes every file under `dir` (the files of --emitters under `extra_dir`);
 * unchanged files are left untouched. */
bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir, const char *extra_dir);
/* The paths whose content would change: new or different. */
void ms_output_changed(const ms_Output *o, const char *dir, const char *extra_dir, ms_Arena *arena, ms_Vec *out);

#endif
