#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h | 1; /* 0 marks an empty slot */
}

void ms_table_init(ms_Table *t) { memset(t, 0, sizeof *t); }

void ms_table_free(ms_Table *t) {
  free(t->slots);
  memset(t, 0, sizeof *t);
}

static ms_TableSlot *find_slot(ms_TableSlot *slots, size_t cap, const char *key, size_t len, uint64_t h) {
  size_t i = (size_t)h & (cap - 1);
  for (;;) {
    ms_TableSlot *s = &slots[i];
    if (!s->hash) return s;
    if (s->hash == h && strncmp(s->key, key, len) == 0 && s->key[len] == '\0') return s;
    i = (i + 1) & (cap - 1);
  }
}

static void grow(ms_Table *t) {
  size_t cap = t->cap ? t->cap * 2 : 256;
  ms_TableSlot *slots = calloc(cap, sizeof *slots);
  if (!slots) {
    fputs("moonstub: out of memory\n", stderr);
    abort();
  }
  for (size_t i = 0; i < t->cap; i++) {
    ms_TableSlot *s = &t->slots[i];
    if (!s->hash) continue;
    *find_slot(slots, cap, s->key, strlen(s->key), s->hash) = *s;
  }
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
}

void *ms_table_getn(const ms_Table *t, const char *key, size_t len) {
  if (!t->cap) return NULL;
  ms_TableSlot *s = find_slot(t->slots, t->cap, key, len, hash_bytes(key, len));
  return s->hash ? s->value : NULL;
}

void *ms_table_get(const ms_Table *t, const char *key) { return ms_table_getn(t, key, strlen(key)); }

void *ms_table_put(ms_Table *t, const char *key, void *value) {
  if ((t->count + 1) * 4 >= t->cap * 3) grow(t);
  size_t len = strlen(key);
  uint64_t h = hash_bytes(key, len);
  ms_TableSlot *s = find_slot(t->slots, t->cap, key, len, h);
  if (s->hash) return s->value;
  s->key = key;
  s->hash = h;
  s->value = value;
  t->count++;
  return NULL;
}
