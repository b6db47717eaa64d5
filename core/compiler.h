/* The compiler as a library: one ms_Compiler per compilation owns the arena,
 * the diagnostics, the loaded files and the symbol table. No global state. */
#ifndef MS_COMPILER_H
#define MS_COMPILER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "table.h"

typedef struct ms_Compiler {
  ms_Arena *arena;
  ms_Diag diag;
  ms_Vec roots; /* const char*: import roots, in -I order */
  ms_Table memory; /* virtual path -> const char* text, for tests */
  ms_Table files; /* virtual path -> ms_File* */
  ms_Table symbols; /* full name -> Symbol* (link.c) */
  ms_Schema schema; /* files, dependencies first */
  ms_Vec loading; /* ms_File*: the import chain being loaded */
  unsigned visible_stamp;
} ms_Compiler;

ms_Compiler *ms_compiler_new(void);
void ms_compiler_free(ms_Compiler *c);
void ms_compiler_add_root(ms_Compiler *c, const char *dir);
/* Registers an in-memory file under a virtual path (used before disk). */
void ms_compiler_add_memory_file(ms_Compiler *c, const char *path, const char *text);
/* Loads a file named on the command line (a disk path under a root, or a
 * virtual path found in the roots) and everything it imports. */
bool ms_compiler_add_target(ms_Compiler *c, const char *arg);
/* Loads `text` (not NUL-terminated: `len` bytes, kept by the caller) as the
 * target file `vpath`, shown as `display` in diagnostics (stdin: "<stdin>"),
 * and everything it imports. */
bool ms_compiler_add_text_target(ms_Compiler *c, const char *vpath, const char *display, const char *text, size_t len);
/* Resolves names and runs every check, then marks the files that are the
 * carried well-known types (builtin_match.h). True when there is no error. */
bool ms_compiler_link(ms_Compiler *c);
bool ms_compiler_ok(const ms_Compiler *c);

/* Used by the linker on each loaded file (link.c). */
void ms_link_file(ms_Compiler *c, ms_File *f);

#endif
