/* What the three front ends share: the parser state over the shared lexer,
 * token tests, "expected X, found Y" errors, statement skipping for error
 * recovery, dotted names, string literals, integers and ranges. */
#ifndef MS_PARSE_UTIL_H
#define MS_PARSE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "lex.h"
#include "model.h"

typedef struct Parser {
  ms_Lexer lx;
  ms_Arena *arena;
  ms_Diag *diag;
  ms_File *file;
  unsigned depth;
} Parser;

enum { MAX_NESTING = 100 };
#define MAX_FIELD_NUMBER INT64_C(536870911)

static inline const ms_Token *peek(Parser *p) { return ms_lex_peek(&p->lx, 0); }
static inline const ms_Token *peek_at(Parser *p, unsigned k) { return ms_lex_peek(&p->lx, k); }
static inline ms_Token next(Parser *p) { return ms_lex_next(&p->lx); }
static inline bool at_eof(Parser *p) { return peek(p)->kind == MS_TOK_EOF; }
static inline bool looking_at(Parser *p, const char *text) { return ms_tok_is(peek(p), text); }
static inline bool looking_at_symbol(Parser *p, char c) { return ms_tok_is_symbol(peek(p), c); }

static inline bool try_consume_symbol(Parser *p, char c) {
  if (!looking_at_symbol(p, c)) return false;
  next(p);
  return true;
}

static inline bool try_consume(Parser *p, const char *word) {
  if (!looking_at(p, word)) return false;
  next(p);
  return true;
}

static inline const char *found(Parser *p) { return ms_tok_describe(p->arena, peek(p)); }

bool pu_fail(Parser *p, const char *what);
bool pu_expect_symbol(Parser *p, char c);
bool pu_expect_word(Parser *p, const char *word);
char *pu_token_text(Parser *p, const ms_Token *t);
bool pu_expect_ident(Parser *p, const char *what, const char **out, ms_Loc *loc);
void pu_skip_statement(Parser *p);
void pu_skip_rest_of_block(Parser *p);
void pu_take_leading_comments(Parser *p, ms_Comment *c);
bool pu_end_declaration(Parser *p, char c, ms_Comment *comments);
bool pu_parse_dotted_name(Parser *p, bool allow_leading_dot, const char *what, const char **out, ms_Loc *loc);
bool pu_parse_string_literal(Parser *p, const char **out, unsigned *out_len, ms_Loc *loc);
/* Text (a name, json_name, a string default) must be UTF-8 also when escapes
 * spell its bytes: false after a located error naming `what`. */
bool pu_check_utf8(Parser *p, const char *s, size_t len, ms_Loc loc, const char *what);
bool pu_parse_integer(Parser *p, const char *what, int64_t *out, ms_Loc *loc);
bool pu_parse_ranges(Parser *p, ms_Vec *into, int64_t max_value);

static inline bool fail(Parser *p, const char *what) { return pu_fail(p, what); }
static inline bool expect_symbol(Parser *p, char c) { return pu_expect_symbol(p, c); }
static inline bool expect_word(Parser *p, const char *word) { return pu_expect_word(p, word); }
static inline char *token_text(Parser *p, const ms_Token *t) { return pu_token_text(p, t); }
static inline bool expect_ident(Parser *p, const char *what, const char **out, ms_Loc *loc) {
  return pu_expect_ident(p, what, out, loc);
}
static inline void skip_statement(Parser *p) { pu_skip_statement(p); }
static inline void skip_rest_of_block(Parser *p) { pu_skip_rest_of_block(p); }
static inline void take_leading_comments(Parser *p, ms_Comment *c) { pu_take_leading_comments(p, c); }
static inline bool end_declaration(Parser *p, char c, ms_Comment *comments) {
  return pu_end_declaration(p, c, comments);
}
static inline bool parse_dotted_name(Parser *p, bool allow_leading_dot, const char *what, const char **out,
                                     ms_Loc *loc) {
  return pu_parse_dotted_name(p, allow_leading_dot, what, out, loc);
}
static inline bool parse_string_literal(Parser *p, const char **out, unsigned *out_len, ms_Loc *loc) {
  return pu_parse_string_literal(p, out, out_len, loc);
}
static inline bool parse_integer(Parser *p, const char *what, int64_t *out, ms_Loc *loc) {
  return pu_parse_integer(p, what, out, loc);
}
static inline bool parse_ranges(Parser *p, ms_Vec *into, int64_t max_value) {
  return pu_parse_ranges(p, into, max_value);
}

/* Every statement until the end of the file, with recovery. */
void pu_parse_statements_to_eof(Parser *p, bool (*statement)(Parser *p));

/* The number token ahead (MS_TOK_INT or MS_TOK_FLOAT) as a value, without sign. */
bool pu_take_number(Parser *p, ms_Value *v);

#endif
