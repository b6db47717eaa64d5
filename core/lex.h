/* A tokenizer shared by the three schema languages: identifiers, numbers,
 * strings, single-character symbols, and comments attached the way protoc
 * attaches them (leading, trailing, detached). */
#ifndef MS_LEX_H
#define MS_LEX_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

typedef enum { MS_TOK_EOF, MS_TOK_IDENT, MS_TOK_INT, MS_TOK_FLOAT, MS_TOK_STRING, MS_TOK_SYMBOL } ms_TokKind;

typedef struct ms_Comments {
  const char *leading; /* NULL if none */
  const char *trailing; /* trailing comment of the token *before* this one */
  ms_Vec detached; /* of const char* */
} ms_Comments;

typedef struct ms_Token {
  ms_TokKind kind;
  const char *start; /* into the source text */
  unsigned len;
  ms_Loc loc;
  unsigned end_line; /* line of the token's last character */
  uint64_t int_value; /* MS_TOK_INT */
  bool overflow; /* MS_TOK_INT did not fit in 64 bits */
  bool invalid; /* malformed, and already reported by the lexer */
  const char *str; /* MS_TOK_STRING: decoded bytes, NUL-terminated */
  unsigned str_len;
  ms_Comments comments;
} ms_Token;

enum { MS_LEX_LOOKAHEAD = 4 };

typedef struct ms_Lexer {
  ms_Arena *arena;
  ms_Diag *diag;
  const ms_Source *src;
  const char *p, *end;
  unsigned line;
  const char *line_start;
  unsigned prev_line; /* end line of the last token produced */
  bool started;
  bool line_comment_hash; /* '#' starts a line comment (not used by .proto) */
  bool warned_utf8; /* a comment was not UTF-8: warned once per file */
  ms_Token buf[MS_LEX_LOOKAHEAD];
  unsigned head, count;
} ms_Lexer;

void ms_lex_init(ms_Lexer *lx, ms_Arena *arena, ms_Diag *diag, const ms_Source *src);
/* The k-th token ahead (0: current) without consuming it. */
const ms_Token *ms_lex_peek(ms_Lexer *lx, unsigned k);
/* Consume and return the current token (valid until the next call). */
ms_Token ms_lex_next(ms_Lexer *lx);

bool ms_tok_is(const ms_Token *t, const char *text);
bool ms_tok_is_symbol(const ms_Token *t, char c);
/* A printable rendering of the token for messages: `"foo"`, `end of file`. */
const char *ms_tok_describe(ms_Arena *a, const ms_Token *t);

#endif
