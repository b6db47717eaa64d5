/* Helpers shared by the cmocka unit tests: compile in-memory schemas. */
#ifndef MS_TEST_SUPPORT_H
#define MS_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka must come after the headers above */
#include <cmocka.h>

#include "compiler.h"

/* Compiles `text` as the in-memory file `path` (plus any files added with
 * ms_compiler_add_memory_file before) and links it. */
static inline ms_Compiler *compile_text(const char *path, const char *text) {
  ms_Compiler *c = ms_compiler_new();
  ms_compiler_add_memory_file(c, path, text);
  ms_compiler_add_target(c, path);
  if (ms_compiler_ok(c)) ms_compiler_link(c);
  return c;
}

static inline const char *diag_text(const ms_Compiler *c) { return c->diag.text ? c->diag.text : ""; }

static inline ms_File *first_file(ms_Compiler *c) { return c->schema.files.items[c->schema.files.count - 1]; }

#define assert_diag_contains(c, needle)                                                                    \
  do {                                                                                                     \
    if (!strstr(diag_text(c), (needle))) fail_msg("diagnostics lack \"%s\":\n%s", (needle), diag_text(c)); \
  } while (0)

#endif
