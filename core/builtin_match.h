/* Which loaded files are the well-known types the binary carries
 * (core/include: google/protobuf/NAME.proto), decided by meaning in both
 * modes. A file is built in when its path is one of the embedded includes and
 * its FileDescriptorProto (without source info), encoded by moonstub's own
 * encoder, is the same as the embedded copy's, compiled on its own: comments
 * and layout do not count, an extra field or option does. Its classes are
 * then moonstub.wkt's (emitters/python/init.lua). */
#ifndef MS_BUILTIN_MATCH_H
#define MS_BUILTIN_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "embedded.h"

/* The import path an embedded file is found under without -I
 * ("google/protobuf/timestamp.proto" for core/include/google/protobuf/...),
 * or NULL for the other embedded files (core/compiler.c). */
const char *ms_builtin_include_path(const ms_EmbeddedScript *e);

/* The fast path: the text is the embedded copy's, byte for byte (the carried
 * file itself, or an identical copy under an -I). */
bool ms_text_is_the_embedded_copy(const ms_EmbeddedScript *include, const char *text, size_t len);

/* After linking without error: marks as built in every file whose path is an
 * embedded include, not marked by the fast path, whose descriptor is the
 * embedded copy's. The copies are compiled only when such a file exists, in a
 * compiler of their own that is freed before this returns. */
void ms_mark_files_that_mean_the_embedded_copy(ms_Compiler *c);

#endif
