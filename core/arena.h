/* Arena allocation: every object of one compilation lives in one arena and is
 * freed with it. Nothing is freed one by one. */
#ifndef MS_ARENA_H
#define MS_ARENA_H

#include <stddef.h>

typedef struct ms_Arena ms_Arena;

ms_Arena *ms_arena_new(void);
void ms_arena_free(ms_Arena *a);

/* Zeroed memory, aligned for any object. Never returns NULL (aborts on OOM). */
void *ms_arena_alloc(ms_Arena *a, size_t size);
char *ms_arena_strndup(ms_Arena *a, const char *s, size_t n);
char *ms_arena_strdup(ms_Arena *a, const char *s);
/* printf into the arena */
char *ms_arena_printf(ms_Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t ms_arena_bytes_used(const ms_Arena *a);

#define MS_NEW(arena, T) ((T *)ms_arena_alloc((arena), sizeof(T)))

/* A growable array of pointers whose storage lives in an arena. */
typedef struct ms_Vec {
  void **items;
  unsigned count;
  unsigned cap;
} ms_Vec;

void ms_vec_push(ms_Arena *a, ms_Vec *v, void *item);
#define MS_VEC_AT(v, T, i) ((T *)(v).items[(i)])

#endif
