/* Plugin mode: a protoc CodeGeneratorRequest as the compiler's input. */
#ifndef MS_DESCRIPTOR_H
#define MS_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

/* Decodes the request into the compiler's files (dependencies first, the
 * files to generate marked as targets); *parameter receives the request's
 * parameter string. Link with ms_compiler_link afterwards. */
bool ms_load_code_generator_request(ms_Compiler *c, const void *data, size_t len, const char **parameter);

#endif
