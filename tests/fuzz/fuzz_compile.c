/* libFuzzer target: one schema file, in memory, through the front end chosen
 * by its extension (FUZZ_PATH: "fuzz.proto", "fuzz.fdl" or "fuzz.fbs") and
 * the linker, as `moonstub FILE` runs them.
 *
 * Imports resolve against FUZZ_ROOTS (a ':'-separated list of folders; the
 * MOONSTUB_FUZZ_ROOTS environment variable overrides it), so inputs that
 * import the well-known types or googleapis' annotations still reach the
 * linker. Diagnostics are collected in c->diag and never printed.
 *
 * Only the first MAX_SHOWN errors are rendered (as --max-errors does; the
 * rest are still counted): rendering an error rescans the source for its line
 * and copies the whole line, so thousands of errors on one long line take
 * time quadratic in the input, which would hide everything else behind
 * timeouts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

#ifndef FUZZ_PATH
#define FUZZ_PATH "fuzz.proto"
#endif
#ifndef FUZZ_ROOTS
#define FUZZ_ROOTS ""
#endif

#define MAX_SHOWN 100

static char *roots[16];
static int nroots;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *env = getenv("MOONSTUB_FUZZ_ROOTS");
  char *list = strdup(env ? env : FUZZ_ROOTS);
  for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir && nroots < 16; dir = strtok_r(NULL, ":", &save))
    roots[nroots++] = dir;
  /* a root that cannot exist comes last, so a fuzzed import never reads the
   * current folder (the default root when none is given) */
  roots[nroots++] = "/nonexistent-moonstub-fuzz-root";
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  ms_Compiler *c = ms_compiler_new();
  c->diag.max_errors = MAX_SHOWN;
  for (int i = 0; i < nroots; i++) ms_compiler_add_root(c, roots[i]);
  ms_compiler_add_memory_file(c, FUZZ_PATH, text);
  ms_compiler_add_target(c, FUZZ_PATH);
  /* as the command line does: errors from loading stop before linking */
  if (ms_compiler_ok(c)) ms_compiler_link(c);
  ms_compiler_free(c);
  free(text);
  return 0;
}
