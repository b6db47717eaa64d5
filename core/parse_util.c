/* Shared front-end helpers (see parse_util.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse_util.h"

bool pu_fail(Parser *p, const char *what) {
  ms_error(p->diag, peek(p)->loc, "expected %s, found %s", what, found(p));
  return false;
}

bool pu_expect_symbol(Parser *p, char c) {
  if (try_consume_symbol(p, c)) return true;
  char what[8] = {'"', c, '"', 0};
  return fail(p, what);
}

bool pu_expect_word(Parser *p, const char *word) {
  if (try_consume(p, word)) return true;
  char *what = ms_arena_printf(p->arena, "\"%s\"", word);
  return fail(p, what);
}

char *pu_token_text(Parser *p, const ms_Token *t) { return ms_arena_strndup(p->arena, t->start, t->len); }

bool pu_expect_ident(Parser *p, const char *what, const char **out, ms_Loc *loc) {
  if (peek(p)->kind != MS_TOK_IDENT) return fail(p, what);
  ms_Token t = next(p);
  *out = token_text(p, &t);
  if (loc) *loc = t.loc;
  return true;
}

/* Skips to the end of the current statement, after protoc's SkipStatement. */
void pu_skip_statement(Parser *p) {
  for (;;) {
    if (at_eof(p)) return;
    if (peek(p)->kind == MS_TOK_SYMBOL) {
      if (try_consume_symbol(p, ';')) return;
      if (try_consume_symbol(p, '{')) {
        skip_rest_of_block(p);
        return;
      }
      if (looking_at_symbol(p, '}')) return;
    }
    next(p);
  }
}

/* Nested blocks are counted, not recursed into: a file of a million '{'
 * must not exhaust the stack. */
void pu_skip_rest_of_block(Parser *p) {
  size_t depth = 1;
  for (;;) {
    if (at_eof(p)) return;
    if (peek(p)->kind == MS_TOK_SYMBOL) {
      if (try_consume_symbol(p, '}')) {
        if (--depth == 0) return;
        continue;
      }
      if (try_consume_symbol(p, '{')) {
        depth++;
        continue;
      }
    }
    next(p);
  }
}

/* ---- comments ----------------------------------------------------------- */

void pu_take_leading_comments(Parser *p, ms_Comment *c) {
  const ms_Token *t = peek(p);
  c->leading = t->comments.leading;
  c->detached = t->comments.detached;
}

/* Consumes the declaration's last token (';' or '{') and takes the trailing
 * comment that follows it. */
bool pu_end_declaration(Parser *p, char c, ms_Comment *comments) {
  if (!expect_symbol(p, c)) return false;
  if (comments) comments->trailing = peek(p)->comments.trailing;
  return true;
}

/* ---- names and values --------------------------------------------------- */

/* ident ('.' ident)*, with an optional leading '.' when `allow_leading_dot`. */
bool pu_parse_dotted_name(Parser *p, bool allow_leading_dot, const char *what, const char **out, ms_Loc *loc) {
  const ms_Token *first = peek(p);
  ms_Loc start = first->loc;
  size_t cap = 64, len = 0;
  char *buf = malloc(cap);
  if (!buf) abort();
  bool ok = true;
  if (allow_leading_dot && looking_at_symbol(p, '.')) {
    next(p);
    buf[len++] = '.';
  }
  for (;;) {
    if (peek(p)->kind != MS_TOK_IDENT) {
      ok = fail(p, what);
      break;
    }
    ms_Token t = next(p);
    if (len + t.len + 2 > cap) {
      while (len + t.len + 2 > cap) cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb) abort();
      buf = nb;
    }
    memcpy(buf + len, t.start, t.len);
    len += t.len;
    if (!looking_at_symbol(p, '.')) break;
    next(p);
    buf[len++] = '.';
  }
  if (ok) {
    *out = ms_arena_strndup(p->arena, buf, len);
    if (loc) *loc = start;
  }
  free(buf);
  return ok;
}

bool pu_parse_string_literal(Parser *p, const char **out, unsigned *out_len, ms_Loc *loc) {
  if (peek(p)->kind != MS_TOK_STRING) return fail(p, "a string literal");
  ms_Token t = next(p);
  if (loc) *loc = t.loc;
  if (peek(p)->kind != MS_TOK_STRING) {
    *out = t.str;
    if (out_len) *out_len = t.str_len;
    return true;
  }
  /* Adjacent literals are concatenated. */
  size_t len = t.str_len, cap = len * 2 + 16;
  char *buf = ms_arena_alloc(p->arena, cap);
  memcpy(buf, t.str, len);
  while (peek(p)->kind == MS_TOK_STRING) {
    ms_Token u = next(p);
    if (len + u.str_len + 1 > cap) {
      while (len + u.str_len + 1 > cap) cap *= 2;
      char *nb = ms_arena_alloc(p->arena, cap);
      memcpy(nb, buf, len);
      buf = nb;
    }
    memcpy(buf + len, u.str, u.str_len);
    len += u.str_len;
  }
  buf[len] = '\0';
  *out = buf;
  if (out_len) *out_len = (unsigned)len;
  return true;
}

bool pu_check_utf8(Parser *p, const char *s, size_t len, ms_Loc loc, const char *what) {
  size_t bad = ms_utf8_invalid_at(s, len);
  if (bad == len) return true;
  ms_error(p->diag, loc,
           "%s is not valid UTF-8 (byte 0x%02X at offset %zu); text must be UTF-8 "
           "(only bytes values may hold other bytes)",
           what, (unsigned char)s[bad], bad);
  return false;
}

bool pu_parse_integer(Parser *p, const char *what, int64_t *out, ms_Loc *loc) {
  ms_Loc start = peek(p)->loc;
  bool negative = try_consume_symbol(p, '-');
  const ms_Token *t = peek(p);
  if (t->kind != MS_TOK_INT) return fail(p, what);
  if (t->invalid) {
    next(p);
    return false;
  }
  if (t->overflow || t->int_value > (uint64_t)INT64_MAX + (negative ? 1u : 0u)) {
    ms_error(p->diag, t->loc, "integer out of range");
    next(p);
    return false;
  }
  *out = negative ? (int64_t)(0 - t->int_value) : (int64_t)t->int_value;
  if (loc) *loc = start;
  next(p);
  return true;
}

/* `2`, `9 to 11`, `100 to max` separated by commas; `max_value` is `max`. */
bool pu_parse_ranges(Parser *p, ms_Vec *into, int64_t max_value) {
  for (;;) {
    ms_Range *r = MS_NEW(p->arena, ms_Range);
    if (!parse_integer(p, "a field number or range", &r->start, &r->loc)) return false;
    r->end = r->start;
    if (try_consume(p, "to")) {
      if (try_consume(p, "max")) {
        r->end = max_value;
        r->end_is_max = true;
      } else if (!parse_integer(p, "an end of range or \"max\"", &r->end, NULL)) {
        return false;
      }
    }
    ms_vec_push(p->arena, into, r);
    if (!try_consume_symbol(p, ',')) return true;
  }
}

/* The statements of a file up to its end: a stray "}" is reported and
 * skipped, a statement that fails is skipped to its end. */
void pu_parse_statements_to_eof(Parser *p, bool (*statement)(Parser *p)) {
  while (!at_eof(p)) {
    if (looking_at_symbol(p, '}')) {
      ms_error(p->diag, peek(p)->loc, "unmatched \"}\"");
      next(p);
      continue;
    }
    if (!statement(p)) skip_statement(p);
  }
}

/* The INT or FLOAT token ahead as a value's magnitude (the sign, already
 * consumed, is the caller's); false after reporting a bad integer. */
bool pu_take_number(Parser *p, ms_Value *v) {
  const ms_Token *t = peek(p);
  if (t->kind == MS_TOK_INT && (t->invalid || t->overflow)) {
    if (!t->invalid) ms_error(p->diag, t->loc, "integer out of range");
    next(p);
    return false;
  }
  v->kind = t->kind == MS_TOK_INT ? MS_VALUE_INT : MS_VALUE_FLOAT;
  v->text = token_text(p, t);
  if (t->kind == MS_TOK_INT) {
    v->u = t->int_value;
    v->d = (double)t->int_value;
  } else {
    v->d = strtod(v->text, NULL);
  }
  next(p);
  return true;
}
