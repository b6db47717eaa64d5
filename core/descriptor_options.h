/* Internal to descriptor_out.c and descriptor_options.c: the encoder's state,
 * the wire helpers both use, and the options of one descriptor element as
 * protoc serializes them into a descriptor set. */
#ifndef MS_DESCRIPTOR_OPTIONS_H
#define MS_DESCRIPTOR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "descriptor_out.h"
#include "wire.h"

/* Which google.protobuf.*Options message an element's options fill. */
typedef enum ms_OptionsKind {
  MS_OPTIONS_FILE,
  MS_OPTIONS_MESSAGE,
  MS_OPTIONS_FIELD,
  MS_OPTIONS_ONEOF,
  MS_OPTIONS_ENUM,
  MS_OPTIONS_ENUM_VALUE,
  MS_OPTIONS_SERVICE,
  MS_OPTIONS_METHOD,
  MS_OPTIONS_RANGE,
  MS_OPTIONS_KINDS
} ms_OptionsKind;

struct ms_DescriptorEncoder {
  ms_Compiler *c; /* the compilation whose files are encoded */
  ms_Compiler *builtin; /* descriptor.proto, when the model lacks it */
  const ms_File *descriptor_proto; /* the model's, or the built-in one */
  bool descriptor_proto_tried;
  ms_Table extensions; /* full name -> ms_Field*: every extension, indexed on first need */
  ms_Table extensions_by_number; /* "number:extendee" -> ms_Field*, indexed with them */
  bool extensions_indexed;
  const ms_Message *options_messages[MS_OPTIONS_KINDS]; /* by ms_OptionsKind, looked up on first need */
  ms_Arena *scratch; /* temporaries of the files being encoded, renewed when it has grown */
  struct SourceFacts *facts; /* of the file being encoded, read on first need (descriptor_out.c) */
  const size_t *line_starts; /* of the file being encoded: byte offsets, made on first need */
  unsigned line_count;
};

/* ---- wire helpers ------------------------------------------------------------------ */

/* Starts a length-delimited field; returns the mark ms_out_end needs. */
size_t ms_out_begin(ms_Writer *w, uint32_t number);
/* Writes the length of the field started at `mark` in front of its bytes. */
void ms_out_end(ms_Writer *w, size_t mark);
void ms_out_string(ms_Writer *w, uint32_t number, const char *s);
void ms_out_fixed32(ms_Writer *w, uint32_t v);
void ms_out_fixed64(ms_Writer *w, uint64_t v);
void ms_out_raw(ms_Writer *w, const void *data, size_t len);

/* ---- options ----------------------------------------------------------------------- */

enum {
  MS_OPTIONS_ADD_MAP_ENTRY = 1, /* a map entry: `map_entry: true` besides what is written */
  MS_OPTIONS_FEATURES_ONLY = 2, /* only `features...` (map entry key and value, from the map field) */
  MS_OPTIONS_KEEP_EMPTY = 4 /* written with a body (`rpc ... {}`): an empty message, not none */
};

/* Writes field `number` of the element's descriptor: its options message,
 * standard and custom options merged, fields in number order and
 * source-retention options left out, as protoc writes it. Nothing is written
 * when there was none, or when every one had source retention; with
 * MS_OPTIONS_KEEP_EMPTY an element without options gets an empty message. `scope` is where option names are looked up from
 * (the element's full name; the package for a file). */
void ms_write_options(ms_DescriptorEncoder *e, ms_Writer *w, uint32_t number, ms_OptionsKind kind,
                      const ms_Vec *options, const char *scope, unsigned flags);

/* Plugin mode: protoc's FileDescriptorProto (from the request, without
 * source_code_info) read and written back canonical, source-retention
 * options stripped, as protoc does before writing a descriptor set. False,
 * with nothing written, when the bytes cannot be read. */
bool ms_canonical_descriptor(ms_DescriptorEncoder *e, const void *data, size_t len, ms_Writer *out);

#endif
