/* An open-addressing hash table from NUL-terminated strings to pointers.
 * Keys are not copied: they must outlive the table (arena strings do). */
#ifndef MS_TABLE_H
#define MS_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ms_TableSlot {
  const char *key;
  uint64_t hash;
  void *value;
} ms_TableSlot;

typedef struct ms_Table {
  ms_TableSlot *slots;
  size_t cap; /* power of two */
  size_t count;
} ms_Table;

void ms_table_init(ms_Table *t);
void ms_table_free(ms_Table *t);
void *ms_table_get(const ms_Table *t, const char *key);
void *ms_table_getn(const ms_Table *t, const char *key, size_t len);
/* Inserts unless present; returns the existing value if there was one. */
void *ms_table_put(ms_Table *t, const char *key, void *value);

#endif
