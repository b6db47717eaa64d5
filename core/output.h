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
  unsigned *index; /* open addressing over files by path: slot -> file number + 1 */
  size_t index_cap; /* power of two, 0 before the first file */
  bool counted; /* files added were counted already (as worker processes made them) */
  ms_Vec insertions; /* ms_Insertion*, until ms_output_apply_insertions */
} ms_Output;

void ms_output_init(ms_Output *o, ms_Arena *arena);
/* False (and an error) when the path was already written or is unsafe. */
bool ms_output_add(ms_Output *o, ms_Diag *diag, const char *path, const char *content, size_t len);
/* Marks the last file added as an --emitter's. */
void ms_output_mark_extra(ms_Output *o);
/* Insertion points, as protoc has them: a line of a generated file holding
 * "@@protoc_insertion_point(NAME)" marks the place NAME. Text inserted there
 * goes just before that line, each of its lines indented like it, in the
 * order the insertions were made. The file may be written after the call. */
void ms_output_insert(ms_Output *o, const char *path, const char *point, const char *text, size_t len);
/* Puts every pending insertion in place; an insertion whose file or point
 * does not exist is an error (each one reported). */
bool ms_output_apply_insertions(ms_Output *o, ms_Diag *diag);
/* Writes every file under `dir` (the files of --emitters under `extra_dir`);
 * unchanged files are left untouched. */
bool ms_output_write_all(const ms_Output *o, ms_Diag *diag, const char *dir, const char *extra_dir);
/* The paths whose content would change: new or different. */
void ms_output_changed(const ms_Output *o, const char *dir, const char *extra_dir, ms_Arena *arena, ms_Vec *out);

#endif
