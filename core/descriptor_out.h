/* Each file of the model as a serialized google.protobuf.FileDescriptorProto,
 * byte for byte what protoc writes for it into a descriptor set
 * (--descriptor_set_out, without --include_source_info): json_name on every
 * field, source-retention options stripped, no source_code_info. In plugin
 * mode the bytes are protoc's own, as the request carried them. */
#ifndef MS_DESCRIPTOR_OUT_H
#define MS_DESCRIPTOR_OUT_H

#include <stdbool.h>

#include "compiler.h"
#include "wire.h"

typedef struct ms_DescriptorEncoder ms_DescriptorEncoder;

/* An encoder for the files of one compilation (which must be linked without
 * error); it keeps lookups made on first need between files. */
ms_DescriptorEncoder *ms_descriptor_encoder_new(ms_Compiler *c);
void ms_descriptor_encoder_free(ms_DescriptorEncoder *e);

/* Appends the file's FileDescriptorProto to `out`. False, with nothing
 * written, for a file that has none (.fdl and .fbs schemas). */
bool ms_encode_file_descriptor(ms_DescriptorEncoder *e, const ms_File *f, ms_Writer *out);

#endif
