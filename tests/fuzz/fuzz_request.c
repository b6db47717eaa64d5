/* libFuzzer target: bytes as a protoc CodeGeneratorRequest (plugin mode),
 * decoded into files and linked, as protoc-gen-moonstub runs them. */
#include <stdint.h>
#include <stdlib.h>

#include "compiler.h"
#include "descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ms_Compiler *c = ms_compiler_new();
  const char *parameter = "";
  if (ms_load_code_generator_request(c, data, size, &parameter)) ms_compiler_link(c);
  ms_compiler_free(c);
  return 0;
}
