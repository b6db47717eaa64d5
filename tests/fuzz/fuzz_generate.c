/* libFuzzer target (opt-in: make fuzz FUZZ_TARGETS=generate): a small
 * .proto through the whole pipeline, the front end, the linker and the Lua
 * rules and emitters with --grpc, the files kept in memory. A schema that
 * links must generate: a script error (a Lua traceback in the diagnostics)
 * aborts, so libFuzzer keeps the input. About 20 runs a second; worth hours,
 * not the 60 s of make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "lua_bridge.h"
#include "output.h"

#ifndef FUZZ_ROOTS
#define FUZZ_ROOTS ""
#endif

static char *roots[16];
static int nroots;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *env = getenv("MOONSTUB_FUZZ_ROOTS");
  char *list = strdup(env ? env : FUZZ_ROOTS);
  for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir && nroots < 16; dir = strtok_r(NULL, ":", &save))
    roots[nroots++] = dir;
  roots[nroots++] = "/nonexistent-moonstub-fuzz-root";
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  ms_Compiler *c = ms_compiler_new();
  c->diag.max_errors = 100;
  for (int i = 0; i < nroots; i++) ms_compiler_add_root(c, roots[i]);
  ms_compiler_add_memory_file(c, "fuzz.proto", text);
  ms_compiler_add_target(c, "fuzz.proto");
  if (ms_compiler_ok(c) && ms_compiler_link(c)) {
    ms_RunOptions run = {0};
    run.python_out = "fuzz-out";
    run.grpc = true;
    run.budget = 5;
    run.memory_mb = 1024;
    ms_Output out;
    ms_output_init(&out, c->arena);
    size_t before = c->diag.len; /* earlier diagnostics may quote the input */
    ms_lua_run(c, &out, &run);
    if (c->diag.len > before && strstr(c->diag.text + before, "\nstack traceback:\n")) abort();
  }
  ms_compiler_free(c);
  free(text);
  return 0;
}
