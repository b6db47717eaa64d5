/* A minimal protobuf wire reader and writer, for plugin mode's
 * CodeGeneratorRequest and CodeGeneratorResponse. */
#ifndef MS_WIRE_H
#define MS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ms_Reader {
  const uint8_t *p, *end;
  bool ok; /* cleared on malformed input; reads then return zeros */
} ms_Reader;

ms_Reader ms_reader(const void *data, size_t len);
bool ms_reader_more(const ms_Reader *r);
/* Reads the next tag; false at the end or on error. */
bool ms_read_tag(ms_Reader *r, uint32_t *number, uint32_t *wire_type);
uint64_t ms_read_varint(ms_Reader *r);
/* A length-delimited value: its bytes as a sub-reader. */
ms_Reader ms_read_bytes(ms_Reader *r);
void ms_skip(ms_Reader *r, uint32_t wire_type);

typedef struct ms_Writer {
  uint8_t *data;
  size_t len, cap;
} ms_Writer;

void ms_write_varint(ms_Writer *w, uint64_t v);
void ms_write_tag(ms_Writer *w, uint32_t number, uint32_t wire_type);
void ms_write_bytes_field(ms_Writer *w, uint32_t number, const void *data, size_t len);
void ms_write_varint_field(ms_Writer *w, uint32_t number, uint64_t v);
void ms_writer_free(ms_Writer *w);

#endif
