#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ms_diag_init(ms_Diag *d) { memset(d, 0, sizeof *d); }

void ms_diag_free(ms_Diag *d) {
  free(d->text);
  memset(d, 0, sizeof *d);
}

void ms_diag_append(ms_Diag *d, const char *s, size_t n) {
  if (d->len + n + 1 > d->cap) {
    size_t cap = d->cap ? d->cap : 1024;
    while (cap < d->len + n + 1) cap *= 2;
    char *text = realloc(d->text, cap);
    if (!text) {
      fputs("moonstub: out of memory\n", stderr);
      abort();
    }
    d->text = text;
    d->cap = cap;
  }
  memcpy(d->text + d->len, s, n);
  d->len += n;
  d->text[d->len] = '\0';
}

static void append_cstr(ms_Diag *d, const char *s) {
  ms_diag_append(d, s, strlen(s));
}

static void append_vformat(ms_Diag *d, const char *fmt, va_list ap) {
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    ms_diag_append(d, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) abort();
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  ms_diag_append(d, big, (size_t)n);
  free(big);
}

static const char *severity_word(ms_Severity sev) {
  switch (sev) {
    case MS_ERROR: return "error";
    case MS_WARNING: return "warning";
    default: return "note";
  }
}

static void count(ms_Diag *d, ms_Severity sev) {
  if (sev == MS_ERROR) d->errors++;
  if (sev == MS_WARNING) d->warnings++;
}

/* Where line `line` of `src` starts, from the last line found when it is
 * before it; NULL past the end. */
static const char *line_start(ms_Diag *d, const ms_Source *src, unsigned line) {
  const char *p = src->text, *end = src->text + src->len;
  unsigned at = 1;
  if (d->line_src == src && d->line_no <= line && d->line_start) {
    p = d->line_start;
    at = d->line_no;
  }
  for (; at < line && p < end; at++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return NULL;
    p = nl + 1;
  }
  d->line_src = src;
  d->line_no = line;
  d->line_start = p;
  return p;
}

enum { LINE_WINDOW = 100 }; /* characters shown on each side of the caret in a long line */

/* The source line of `loc`, then a caret under its column. Tabs before the
 * column are kept so the caret lines up in a terminal; a very long line is
 * shown around the caret only. */
static void append_source_line_and_caret(ms_Diag *d, ms_Loc loc) {
  const ms_Source *src = loc.src;
  const char *end = src->text + src->len;
  const char *p = line_start(d, src, loc.line);
  if (!p) return;
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol) eol = end;
  if (eol > p && eol[-1] == '\r') eol--;
  const char *caret = p + (loc.col ? loc.col - 1 : 0);
  if (caret > eol) caret = eol;
  const char *from = caret - p > LINE_WINDOW ? caret - LINE_WINDOW : p;
  const char *to = eol - caret > LINE_WINDOW ? caret + LINE_WINDOW : eol;
  if (from > p) append_cstr(d, "...");
  ms_diag_append(d, from, (size_t)(to - from));
  if (to < eol) append_cstr(d, "...");
  append_cstr(d, "\n");
  if (from > p) append_cstr(d, "   ");
  for (const char *c = from; c < caret; c++) ms_diag_append(d, *c == '\t' ? "\t" : " ", 1);
  append_cstr(d, "^\n");
}

void ms_diag_vreport(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt,
                     va_list ap) {
  count(d, sev);
  if (sev == MS_ERROR && d->max_errors && d->errors > d->max_errors) return;
  if (!loc.src) {
    append_cstr(d, "moonstub: ");
    append_cstr(d, severity_word(sev));
    append_cstr(d, ": ");
    append_vformat(d, fmt, ap);
    append_cstr(d, "\n");
    return;
  }
  char head[64];
  snprintf(head, sizeof head, ":%u:%u: %s: ", loc.line, loc.col,
           severity_word(sev));
  append_cstr(d, loc.src->path);
  append_cstr(d, head);
  append_vformat(d, fmt, ap);
  append_cstr(d, "\n");
  if (loc.line > 0 && loc.src->text) append_source_line_and_caret(d, loc);
}

void ms_diag_report(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt,
                    ...) {
  va_list ap;
  va_start(ap, fmt);
  ms_diag_vreport(d, sev, loc, fmt, ap);
  va_end(ap);
}

void ms_diag_plain(ms_Diag *d, ms_Severity sev, const char *fmt, ...) {
  ms_Loc none = {0};
  va_list ap;
  va_start(ap, fmt);
  ms_diag_vreport(d, sev, none, fmt, ap);
  va_end(ap);
}
