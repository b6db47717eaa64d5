#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ms_Reader ms_reader(const void *data, size_t len) {
  ms_Reader r = {data, (const uint8_t *)data + len, true};
  return r;
}

bool ms_reader_more(const ms_Reader *r) { return r->ok && r->p < r->end; }

uint64_t ms_read_varint(ms_Reader *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) break;
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (b < 0x80) return v;
  }
  r->ok = false;
  return 0;
}

bool ms_read_tag(ms_Reader *r, uint32_t *number, uint32_t *wire_type) {
  if (!ms_reader_more(r)) return false;
  uint64_t tag = ms_read_varint(r);
  *number = (uint32_t)(tag >> 3);
  *wire_type = (uint32_t)(tag & 7);
  if (!r->ok || *number == 0) {
    r->ok = false;
    return false;
  }
  return true;
}

ms_Reader ms_read_bytes(ms_Reader *r) {
  uint64_t n = ms_read_varint(r);
  ms_Reader sub = {r->p, r->p, r->ok};
  if (!r->ok || n > (uint64_t)(r->end - r->p)) {
    r->ok = false;
    sub.ok = false;
    return sub;
  }
  sub.end = r->p + n;
  r->p += n;
  return sub;
}

void ms_skip(ms_Reader *r, uint32_t wire_type) {
  switch (wire_type) {
    case 0: ms_read_varint(r); return;
    case 1:
      if (r->end - r->p < 8)
        r->ok = false;
      else
        r->p += 8;
      return;
    case 2: ms_read_bytes(r); return;
    case 5:
      if (r->end - r->p < 4)
        r->ok = false;
      else
        r->p += 4;
      return;
    case 3: {
      /* a group up to its end, nested groups counted rather than recursed
       * into, so that deep nesting cannot exhaust the stack */
      size_t depth = 1;
      uint32_t number, wt;
      while (ms_read_tag(r, &number, &wt)) {
        if (wt == 4) {
          if (--depth == 0) return;
        } else if (wt == 3) {
          depth++;
        } else {
          ms_skip(r, wt);
        }
      }
      r->ok = false;
      return;
    }
    default: r->ok = false;
  }
}

static void grow(ms_Writer *w, size_t more) {
  if (w->len + more <= w->cap) return;
  size_t cap = w->cap ? w->cap * 2 : 4096;
  while (cap < w->len + more) cap *= 2;
  uint8_t *data = realloc(w->data, cap);
  if (!data) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  w->data = data;
  w->cap = cap;
}

void ms_write_varint(ms_Writer *w, uint64_t v) {
  grow(w, 10);
  while (v >= 0x80) {
    w->data[w->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  w->data[w->len++] = (uint8_t)v;
}

void ms_write_tag(ms_Writer *w, uint32_t number, uint32_t wire_type) {
  ms_write_varint(w, ((uint64_t)number << 3) | wire_type);
}

void ms_write_bytes_field(ms_Writer *w, uint32_t number, const void *data, size_t len) {
  ms_write_tag(w, number, 2);
  ms_write_varint(w, len);
  grow(w, len);
  if (len) memcpy(w->data + w->len, data, len);
  w->len += len;
}

void ms_write_varint_field(ms_Writer *w, uint32_t number, uint64_t v) {
  ms_write_tag(w, number, 0);
  ms_write_varint(w, v);
}

void ms_writer_free(ms_Writer *w) {
  free(w->data);
  memset(w, 0, sizeof *w);
}
