#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MS_ARENA_BLOCK = 64 * 1024, MS_ALIGN = 16 };

typedef struct Block {
  struct Block *next;
  size_t size;
  size_t used;
  _Alignas(16) unsigned char data[];
} Block;

struct ms_Arena {
  Block *head;
  size_t total;
};

static void *allocate_or_die(size_t size) {
  void *p = malloc(size);
  if (!p) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  return p;
}

ms_Arena *ms_arena_new(void) {
  ms_Arena *a = allocate_or_die(sizeof *a);
  a->head = NULL;
  a->total = 0;
  return a;
}

void ms_arena_free(ms_Arena *a) {
  if (!a) return;
  Block *b = a->head;
  while (b) {
    Block *next = b->next;
    free(b);
    b = next;
  }
  free(a);
}

static Block *add_block(ms_Arena *a, size_t at_least) {
  size_t size = at_least > MS_ARENA_BLOCK ? at_least : MS_ARENA_BLOCK;
  Block *b = allocate_or_die(sizeof(Block) + size);
  b->size = size;
  b->used = 0;
  b->next = a->head;
  a->head = b;
  a->total += size;
  return b;
}

void *ms_arena_alloc(ms_Arena *a, size_t size) {
  size = (size + (MS_ALIGN - 1)) & ~(size_t)(MS_ALIGN - 1);
  if (size == 0) size = MS_ALIGN;
  Block *b = a->head;
  if (!b || b->size - b->used < size) {
    if (size > MS_ARENA_BLOCK / 4 && b) {
      /* A big object gets its own block behind the current one, so the
       * current block keeps serving small objects. */
      Block *big = allocate_or_die(sizeof(Block) + size);
      big->size = size;
      big->used = size;
      big->next = b->next;
      b->next = big;
      a->total += size;
      memset(big->data, 0, size);
      return big->data;
    }
    b = add_block(a, size);
  }
  void *p = b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *ms_arena_strndup(ms_Arena *a, const char *s, size_t n) {
  char *p = ms_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *ms_arena_strdup(ms_Arena *a, const char *s) { return ms_arena_strndup(a, s, strlen(s)); }

char *ms_arena_printf(ms_Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return ms_arena_strdup(a, "");
  if ((size_t)n < sizeof small) return ms_arena_strndup(a, small, (size_t)n);
  char *p = ms_arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

size_t ms_arena_bytes_used(const ms_Arena *a) { return a->total; }

void ms_vec_push(ms_Arena *a, ms_Vec *v, void *item) {
  if (v->count == v->cap) {
    unsigned cap = v->cap ? v->cap * 2 : 4;
    void **items = ms_arena_alloc(a, cap * sizeof(void *));
    if (v->count) memcpy(items, v->items, v->count * sizeof(void *));
    v->items = items;
    v->cap = cap;
  }
  v->items[v->count++] = item;
}
