/* A lexer over an in-memory "t.proto", for the unit tests of the lexer and of
 * its UTF-8 checks (include after support.h). */
#ifndef MS_TEST_LEX_FIXTURE_H
#define MS_TEST_LEX_FIXTURE_H

#include "lex.h"

typedef struct Fixture {
  ms_Arena *arena;
  ms_Diag diag;
  ms_Source src;
  ms_Lexer lx;
} Fixture;

static inline void start(Fixture *f, const char *text) {
  f->arena = ms_arena_new();
  ms_diag_init(&f->diag);
  f->src.path = "t.proto";
  f->src.text = text;
  f->src.len = strlen(text);
  ms_lex_init(&f->lx, f->arena, &f->diag, &f->src);
}

static inline void stop(Fixture *f) {
  ms_diag_free(&f->diag);
  ms_arena_free(f->arena);
}

#endif
