#include "lex.h"

#include <string.h>

/* ---- comment collection, after protoc's CommentCollector ---------------- */

typedef struct Collector {
  ms_Lexer *lx;
  ms_Comments *out;
  const char **prev_trailing;
  char *buf;
  size_t len, cap;
  bool has_comment;
  bool is_line_comment;
  bool can_attach_to_prev;
} Collector;

static void buffer_append(Collector *c, const char *s, size_t n) {
  if (c->len + n + 1 > c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 128;
    while (cap < c->len + n + 1) cap *= 2;
    char *nb = ms_arena_alloc(c->lx->arena, cap);
    if (c->len) memcpy(nb, c->buf, c->len);
    c->buf = nb;
    c->cap = cap;
  }
  memcpy(c->buf + c->len, s, n);
  c->len += n;
  c->buf[c->len] = '\0';
}

/* Where comment text stops being text: the first byte that is not UTF-8, or
 * a NUL (which would end the C string the text is kept in); `n` if none. */
static size_t first_bad_comment_byte(const char *s, size_t n) {
  size_t bad = ms_utf8_invalid_at(s, n);
  const char *nul = memchr(s, '\0', bad);
  return nul ? (size_t)(nul - s) : bad;
}

/* The comment text; a byte that is not UTF-8 and a NUL (already warned
 * about, see check_comment_utf8) become U+FFFD, so that comments reach
 * docstrings and descriptors as valid text, whole. */
static const char *buffer_take(Collector *c) {
  const char *s = c->len ? c->buf : "";
  if (!c->len)
    s = ms_arena_strdup(c->lx->arena, "");
  else if (first_bad_comment_byte(c->buf, c->len) < c->len) {
    char *clean = ms_arena_alloc(c->lx->arena, c->len * 3 + 1), *o = clean;
    for (size_t i = 0; i < c->len;) {
      size_t n = c->buf[i] ? ms_utf8_sequence_len(c->buf + i, c->len - i) : 0;
      if (n) {
        memcpy(o, c->buf + i, n);
        o += n;
        i += n;
      } else {
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        i++;
      }
    }
    *o = '\0';
    s = clean;
  }
  c->buf = NULL;
  c->len = c->cap = 0;
  return s;
}

static void collector_flush(Collector *c) {
  if (!c->has_comment) return;
  const char *text = buffer_take(c);
  if (c->can_attach_to_prev) {
    *c->prev_trailing = text;
    c->can_attach_to_prev = false;
  } else {
    ms_vec_push(c->lx->arena, &c->out->detached, (void *)text);
  }
  c->has_comment = false;
}

static void start_line_comment(Collector *c) {
  if (c->has_comment && !c->is_line_comment) collector_flush(c);
  c->has_comment = true;
  c->is_line_comment = true;
}

static void start_block_comment(Collector *c) {
  if (c->has_comment) collector_flush(c);
  c->has_comment = true;
  c->is_line_comment = false;
}

/* ---- character level ---------------------------------------------------- */

static ms_Loc here(const ms_Lexer *lx) {
  ms_Loc loc = {lx->src, lx->line, (unsigned)(lx->p - lx->line_start) + 1};
  return loc;
}

static void newline(ms_Lexer *lx) {
  lx->line++;
  lx->line_start = lx->p;
}

static bool at(const ms_Lexer *lx, char c) { return lx->p < lx->end && *lx->p == c; }
static bool at2(const ms_Lexer *lx, char a, char b) { return lx->p + 1 < lx->end && lx->p[0] == a && lx->p[1] == b; }

static void skip_spaces_not_newline(ms_Lexer *lx) {
  while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\v' || *lx->p == '\f'))
    lx->p++;
}

static bool consume_newline(ms_Lexer *lx) {
  if (!at(lx, '\n')) return false;
  lx->p++;
  newline(lx);
  return true;
}

typedef enum { NO_COMMENT, LINE_COMMENT, BLOCK_COMMENT } CommentStart;

static CommentStart try_comment_start(ms_Lexer *lx) {
  if (at2(lx, '/', '/')) {
    lx->p += 2;
    return LINE_COMMENT;
  }
  if (at2(lx, '/', '*')) {
    lx->p += 2;
    return BLOCK_COMMENT;
  }
  if (lx->line_comment_hash && at(lx, '#')) {
    lx->p += 1;
    return LINE_COMMENT;
  }
  return NO_COMMENT;
}

/* Source text is UTF-8: the first comment of a file that is not (a Latin-1
 * file, say) gets a warning at its first bad byte, on the comment's line `line` starting
 * at `line_start`; its text is repaired when taken (buffer_take). */
static void check_comment_utf8(ms_Lexer *lx, const char *s, const char *e, unsigned line, const char *line_start) {
  if (lx->warned_utf8) return;
  size_t bad = first_bad_comment_byte(s, (size_t)(e - s));
  if (bad == (size_t)(e - s)) return;
  lx->warned_utf8 = true;
  const char *at_byte = s + bad;
  for (const char *q = s; q < at_byte; q++) {
    if (*q == '\n') {
      line++;
      line_start = q + 1;
    }
  }
  ms_Loc loc = {lx->src, line, (unsigned)(at_byte - line_start) + 1};
  if (*at_byte == '\0')
    ms_warning(lx->diag, loc,
               "comment holds a NUL byte; NUL and bytes that are not UTF-8 in this file's comments "
               "become U+FFFD");
  else
    ms_warning(lx->diag, loc,
               "comment is not valid UTF-8 (byte 0x%02X); bad bytes in this file's comments "
               "become U+FFFD; save the file as UTF-8",
               (unsigned char)*at_byte);
}

/* Reads the rest of a line comment, newline included, into `c` if given. */
static void consume_line_comment(ms_Lexer *lx, Collector *c) {
  const char *s = lx->p;
  while (lx->p < lx->end && *lx->p != '\n') lx->p++;
  check_comment_utf8(lx, s, lx->p, lx->line, lx->line_start);
  if (lx->p < lx->end) lx->p++;
  if (c) buffer_append(c, s, (size_t)(lx->p - s));
  if (lx->p[-1] == '\n') newline(lx);
}

/* Reads a block comment after its opening; continuation lines lose their
 * leading blanks and '*' like protoc. */
static void consume_block_comment(ms_Lexer *lx, Collector *c, ms_Loc open) {
  const char *s = lx->p, *first_line_start = lx->line_start;
  unsigned first_line = lx->line;
  bool line_start = false;
  while (lx->p < lx->end) {
    if (at2(lx, '*', '/')) {
      check_comment_utf8(lx, s, lx->p, first_line, first_line_start);
      lx->p += 2;
      return;
    }
    if (line_start) {
      const char *q = lx->p;
      while (q < lx->end && (*q == ' ' || *q == '\t')) q++;
      if (q < lx->end && *q == '*' && !(q + 1 < lx->end && q[1] == '/')) {
        lx->p = q + 1;
        line_start = false;
        continue;
      }
      if (q + 1 < lx->end && q[0] == '*' && q[1] == '/') {
        check_comment_utf8(lx, s, q, first_line, first_line_start);
        lx->p = q + 2;
        return;
      }
    }
    line_start = false;
    char ch = *lx->p++;
    if (c) buffer_append(c, &ch, 1);
    if (ch == '\n') {
      newline(lx);
      line_start = true;
    }
  }
  check_comment_utf8(lx, s, lx->p, first_line, first_line_start);
  ms_error(lx->diag, open, "unterminated block comment");
}

/* ---- tokens ------------------------------------------------------------- */

static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

static void read_number(ms_Lexer *lx, ms_Token *t) {
  const char *s = lx->p;
  bool is_float = false;
  if (at2(lx, '0', 'x') || at2(lx, '0', 'X')) {
    lx->p += 2;
    if (!(lx->p < lx->end && is_hex(*lx->p)))
      ms_error(lx->diag, t->loc, "\"0x\" must be followed by hex digits"), t->invalid = true;
    uint64_t v = 0;
    while (lx->p < lx->end && is_hex(*lx->p)) {
      if (v >> 60) t->overflow = true;
      v = v * 16 + (uint64_t)hex_value(*lx->p++);
    }
    t->int_value = v;
  } else if (*s == '0' && s + 1 < lx->end && is_digit(s[1])) {
    uint64_t v = 0;
    lx->p++;
    while (lx->p < lx->end && is_digit(*lx->p)) {
      if (*lx->p > '7') {
        if (!t->invalid) ms_error(lx->diag, here(lx), "numbers starting with a leading zero must be octal");
        t->invalid = true;
        lx->p++;
        continue;
      }
      if (v >> 61) t->overflow = true;
      v = v * 8 + (uint64_t)(*lx->p++ - '0');
    }
    t->int_value = v;
  } else {
    while (lx->p < lx->end && is_digit(*lx->p)) lx->p++;
    if (at(lx, '.')) {
      is_float = true;
      lx->p++;
      while (lx->p < lx->end && is_digit(*lx->p)) lx->p++;
    }
    if (at(lx, 'e') || at(lx, 'E')) {
      const char *q = lx->p + 1;
      if (q < lx->end && (*q == '+' || *q == '-')) q++;
      if (q < lx->end && is_digit(*q)) {
        is_float = true;
        lx->p = q;
        while (lx->p < lx->end && is_digit(*lx->p)) lx->p++;
      } else {
        ms_error(lx->diag, here(lx), "\"e\" must be followed by exponent");
        lx->p = q;
      }
    }
    if (!is_float) {
      uint64_t v = 0;
      for (const char *q = s; q < lx->p; q++) {
        uint64_t d = (uint64_t)(*q - '0');
        if (v > (UINT64_MAX - d) / 10) t->overflow = true;
        v = v * 10 + d;
      }
      t->int_value = v;
    }
  }
  if (lx->p < lx->end && is_ident_start(*lx->p)) {
    ms_error(lx->diag, here(lx), "need space between number and identifier");
    while (lx->p < lx->end && is_ident_char(*lx->p)) lx->p++;
  }
  t->kind = is_float ? MS_TOK_FLOAT : MS_TOK_INT;
}

static void append_utf8(char **out, uint32_t cp) {
  char *o = *out;
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  *out = o;
}

static bool read_hex_digits(ms_Lexer *lx, int n, uint32_t *value) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) {
    if (!(lx->p < lx->end && is_hex(*lx->p))) return false;
    v = v * 16 + (uint32_t)hex_value(*lx->p++);
  }
  *value = v;
  return true;
}

/* One escape sequence after the backslash; writes the bytes to *out. */
static void read_escape(ms_Lexer *lx, char **out) {
  ms_Loc loc = here(lx);
  loc.col--;
  /* a backslash at the end of a line escapes nothing: the string ends there
   * (read_string reports it), and its buffer only holds this line */
  if (lx->p >= lx->end || *lx->p == '\n') return;
  char c = *lx->p++;
  switch (c) {
    case 'a': *(*out)++ = '\a'; return;
    case 'b': *(*out)++ = '\b'; return;
    case 'f': *(*out)++ = '\f'; return;
    case 'n': *(*out)++ = '\n'; return;
    case 'r': *(*out)++ = '\r'; return;
    case 't': *(*out)++ = '\t'; return;
    case 'v': *(*out)++ = '\v'; return;
    case '\\':
    case '\'':
    case '"':
    case '?': *(*out)++ = c; return;
    default: break;
  }
  if (c >= '0' && c <= '7') {
    unsigned v = (unsigned)(c - '0');
    for (int i = 0; i < 2 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7'; i++)
      v = v * 8 + (unsigned)(*lx->p++ - '0');
    *(*out)++ = (char)(v & 0xFF);
    return;
  }
  if (c == 'x' || c == 'X') {
    unsigned v = 0;
    int n = 0;
    while (n < 2 && lx->p < lx->end && is_hex(*lx->p)) {
      v = v * 16 + (unsigned)hex_value(*lx->p++);
      n++;
    }
    if (n == 0) {
      ms_error(lx->diag, loc, "expected hex digits for escape sequence");
      return;
    }
    *(*out)++ = (char)v;
    return;
  }
  if (c == 'u' || c == 'U') {
    uint32_t cp;
    if (!read_hex_digits(lx, c == 'u' ? 4 : 8, &cp) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      ms_error(lx->diag, loc, "expected %s hex digits of a valid code point for \\%c escape",
               c == 'u' ? "four" : "eight", c);
      return;
    }
    append_utf8(out, cp);
    return;
  }
  ms_error(lx->diag, loc, "invalid escape sequence in string literal");
}

static void read_string(ms_Lexer *lx, ms_Token *t) {
  char quote = *lx->p++;
  /* Decoded text is never longer than the source text. */
  const char *s = lx->p;
  const char *nl = memchr(s, '\n', (size_t)(lx->end - s));
  size_t max = (size_t)((nl ? nl : lx->end) - s);
  char *buf = ms_arena_alloc(lx->arena, max + 4);
  char *o = buf;
  bool bad_utf8 = false;
  for (;;) {
    if (lx->p >= lx->end || *lx->p == '\n') {
      ms_error(lx->diag, t->loc,
               lx->p >= lx->end ? "unexpected end of string" : "string literals cannot cross line boundaries");
      break;
    }
    char c = *lx->p++;
    if (c == quote) break;
    if (c == '\\') {
      read_escape(lx, &o);
      continue;
    }
    if ((unsigned char)c >= 0x80) {
      /* source text is UTF-8: a raw byte that is not
       * (a Latin-1 file) is an error; escapes ("\xE9") give any byte */
      size_t n = ms_utf8_sequence_len(lx->p - 1, (size_t)(lx->end - lx->p + 1));
      if (!n) {
        if (!bad_utf8) {
          ms_Loc loc = here(lx);
          loc.col--;
          ms_error(lx->diag, loc,
                   "string literal is not valid UTF-8 (byte 0x%02X); save the file as UTF-8, "
                   "or write the byte as an escape (\"\\x%02X\")",
                   (unsigned char)c, (unsigned char)c);
          /* the text goes on with U+FFFD for each such byte (one error is enough) */
          char *wide = ms_arena_alloc(lx->arena, max * 3 + 4);
          memcpy(wide, buf, (size_t)(o - buf));
          o = wide + (o - buf);
          buf = wide;
        }
        bad_utf8 = true;
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        continue;
      }
      memcpy(o, lx->p - 1, n);
      o += n;
      lx->p += n - 1;
      continue;
    }
    *o++ = c;
  }
  *o = '\0';
  t->kind = MS_TOK_STRING;
  t->str = buf;
  t->str_len = (unsigned)(o - buf);
}

/* Reads one token at lx->p (after comments and blanks have been skipped);
 * false when it reported and skipped an invalid character instead, and the
 * caller must read again. */
static bool read_token_or_skip(ms_Lexer *lx, ms_Token *t) {
  t->loc = here(lx);
  t->start = lx->p;
  if (lx->p >= lx->end) {
    t->kind = MS_TOK_EOF;
  } else {
    char c = *lx->p;
    if (is_ident_start(c)) {
      while (lx->p < lx->end && is_ident_char(*lx->p)) lx->p++;
      t->kind = MS_TOK_IDENT;
    } else if (is_digit(c) || (c == '.' && lx->p + 1 < lx->end && is_digit(lx->p[1]))) {
      read_number(lx, t);
    } else if (c == '"' || c == '\'') {
      read_string(lx, t);
    } else {
      lx->p++;
      t->kind = MS_TOK_SYMBOL;
      if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7F || c == '\\' || c == '`' || c == '$') {
        if ((unsigned char)c >= 0x80) {
          ms_error(lx->diag, t->loc,
                   "non-ASCII character; identifiers and symbols must be ASCII "
                   "(only strings and comments may hold other text)");
          while (lx->p < lx->end && ((unsigned char)*lx->p & 0xC0) == 0x80) lx->p++;
          while (lx->p < lx->end && (unsigned char)*lx->p >= 0x80) lx->p++;
        } else if ((unsigned char)c < 0x20 || c == 0x7F) {
          ms_error(lx->diag, t->loc, "invalid control character (byte 0x%02X)", (unsigned char)c);
        } else {
          ms_error(lx->diag, t->loc, "invalid character '%c'", c);
        }
        /* skip it and read the next token instead */
        skip_spaces_not_newline(lx);
        while (lx->p < lx->end && (*lx->p == '\n' || *lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r')) {
          if (*lx->p == '\n') {
            lx->p++;
            newline(lx);
          } else {
            lx->p++;
          }
        }
        return false;
      }
    }
  }
  t->len = (unsigned)(lx->p - t->start);
  t->end_line = lx->line;
  return true;
}

/* A loop, not recursion: a file of a million invalid characters must not
 * exhaust the stack. */
static void read_token(ms_Lexer *lx, ms_Token *t) {
  while (!read_token_or_skip(lx, t)) {
  }
}

/* Produces the next token with the comments around it, following the rules
 * of protoc's Tokenizer::NextWithComments. */
static void produce(ms_Lexer *lx, ms_Token *t, const char **prev_trailing) {
  memset(t, 0, sizeof *t);
  Collector c = {0};
  c.lx = lx;
  c.out = &t->comments;
  c.prev_trailing = prev_trailing;
  c.can_attach_to_prev = true;

  if (!lx->started) {
    lx->started = true;
    if (lx->end - lx->p >= 3 && memcmp(lx->p, "\xEF\xBB\xBF", 3) == 0) lx->p += 3;
    c.can_attach_to_prev = false;
  } else {
    skip_spaces_not_newline(lx);
    ms_Loc open = here(lx);
    switch (try_comment_start(lx)) {
      case LINE_COMMENT:
        start_line_comment(&c);
        consume_line_comment(lx, &c);
        collector_flush(&c);
        break;
      case BLOCK_COMMENT:
        start_block_comment(&c);
        consume_block_comment(lx, &c, open);
        skip_spaces_not_newline(lx);
        if (!consume_newline(lx)) {
          c.has_comment = false; /* next token on the same line: unclear */
          c.buf = NULL;
          c.len = c.cap = 0;
          goto loop_without_attach;
        }
        collector_flush(&c);
        break;
      case NO_COMMENT:
        if (!consume_newline(lx)) {
          read_token(lx, t);
          return;
        }
        break;
    }
  }
  goto loop;
loop_without_attach:
  c.can_attach_to_prev = false;
loop:
  for (;;) {
    skip_spaces_not_newline(lx);
    ms_Loc open = here(lx);
    switch (try_comment_start(lx)) {
      case LINE_COMMENT:
        start_line_comment(&c);
        consume_line_comment(lx, &c);
        continue;
      case BLOCK_COMMENT:
        start_block_comment(&c);
        consume_block_comment(lx, &c, open);
        skip_spaces_not_newline(lx);
        consume_newline(lx);
        continue;
      case NO_COMMENT: break;
    }
    if (consume_newline(lx)) {
      collector_flush(&c);
      c.can_attach_to_prev = false;
      continue;
    }
    read_token(lx, t);
    bool closes_scope = t->kind == MS_TOK_EOF ||
                        (t->kind == MS_TOK_SYMBOL && (*t->start == '}' || *t->start == ']' || *t->start == ')'));
    if (closes_scope) collector_flush(&c);
    if (c.has_comment) {
      if (lx->prev_line == t->loc.line) {
        ms_vec_push(lx->arena, &t->comments.detached, (void *)buffer_take(&c));
      } else {
        t->comments.leading = buffer_take(&c);
      }
      c.has_comment = false;
    }
    return;
  }
}

static void fill(ms_Lexer *lx) {
  unsigned slot = (lx->head + lx->count) % MS_LEX_LOOKAHEAD;
  const char *trailing = NULL;
  ms_Token *t = &lx->buf[slot];
  produce(lx, t, &trailing);
  t->comments.trailing = trailing;
  lx->prev_line = t->end_line;
  lx->count++;
}

void ms_lex_init(ms_Lexer *lx, ms_Arena *arena, ms_Diag *diag, const ms_Source *src) {
  memset(lx, 0, sizeof *lx);
  lx->arena = arena;
  lx->diag = diag;
  lx->src = src;
  lx->p = src->text;
  lx->end = src->text + src->len;
  lx->line = 1;
  lx->line_start = src->text;
}

const ms_Token *ms_lex_peek(ms_Lexer *lx, unsigned k) {
  while (lx->count <= k) fill(lx);
  return &lx->buf[(lx->head + k) % MS_LEX_LOOKAHEAD];
}

ms_Token ms_lex_next(ms_Lexer *lx) {
  ms_lex_peek(lx, 0);
  ms_Token t = lx->buf[lx->head];
  if (t.kind != MS_TOK_EOF) {
    lx->head = (lx->head + 1) % MS_LEX_LOOKAHEAD;
    lx->count--;
  }
  return t;
}

bool ms_tok_is(const ms_Token *t, const char *text) {
  size_t n = strlen(text);
  return t->kind != MS_TOK_STRING && t->kind != MS_TOK_EOF && t->len == n && memcmp(t->start, text, n) == 0;
}

bool ms_tok_is_symbol(const ms_Token *t, char c) { return t->kind == MS_TOK_SYMBOL && t->len == 1 && *t->start == c; }

const char *ms_tok_describe(ms_Arena *a, const ms_Token *t) {
  if (t->kind == MS_TOK_EOF) return "end of file";
  if (t->kind == MS_TOK_STRING) return ms_arena_printf(a, "string %.*s", (int)(t->len > 40 ? 40 : t->len), t->start);
  return ms_arena_printf(a, "\"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->start);
}
