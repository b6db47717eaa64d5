#include "diag.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void append_cstr(ms_Diag *d, const char *s) { ms_diag_append(d, s, strlen(s)); }

/* ---- UTF-8 ---------------------------------------------------------------- */

size_t ms_utf8_sequence_len(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  if (n == 0) return 0;
  unsigned char b = u[0];
  if (b < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0)
      lo = 0xA0; /* no overlong forms */
    else if (b == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0)
      lo = 0x90;
    else if (b == 0xF4)
      hi = 0x8F; /* nothing past U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || u[1] < lo || u[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((u[i] & 0xC0) != 0x80) return 0;
  return len;
}

size_t ms_utf8_invalid_at(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    /* ASCII, eight bytes at a time (generated modules are mostly ASCII) */
    uint64_t word;
    while (i + 8 <= n && (memcpy(&word, s + i, 8), (word & UINT64_C(0x8080808080808080)) == 0)) i += 8;
    if (i >= n) break;
    if ((unsigned char)s[i] < 0x80) {
      i++;
      continue;
    }
    size_t len = ms_utf8_sequence_len(s + i, n - i);
    if (!len) return i;
    i += len;
  }
  return n;
}

/* How one piece of text is shown: a valid UTF-8 character and a tab as is,
 * any other control byte or invalid byte as \xNN (a binary or Latin-1 file
 * must not reach the terminal raw). Newlines are kept in messages only. */
static size_t shown_len(const char *s, size_t n, bool keep_newline, bool *escape) {
  unsigned char b = (unsigned char)*s;
  *escape = false;
  if (b >= 0x80) {
    size_t len = ms_utf8_sequence_len(s, n);
    if (len) return len;
    *escape = true;
    return 1;
  }
  if ((b < 0x20 && b != '\t' && !(keep_newline && b == '\n')) || b == 0x7F) *escape = true;
  return 1;
}

static void append_escaped(ms_Diag *d, const char *s, size_t n, bool keep_newline) {
  const char *run = s, *end = s + n;
  while (s < end) {
    bool escape;
    size_t len = shown_len(s, (size_t)(end - s), keep_newline, &escape);
    if (!escape) {
      s += len;
      continue;
    }
    ms_diag_append(d, run, (size_t)(s - run));
    char hex[8];
    snprintf(hex, sizeof hex, "\\x%02x", (unsigned char)*s);
    ms_diag_append(d, hex, 4);
    s++;
    run = s;
  }
  ms_diag_append(d, run, (size_t)(s - run));
}

/* The message, escaped like source lines (it may quote source text). */
static void append_vformat(ms_Diag *d, const char *fmt, va_list ap) {
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    append_escaped(d, small, (size_t)n, true);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) abort();
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  append_escaped(d, big, (size_t)n, true);
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
  append_escaped(d, from, (size_t)(to - from), false);
  if (to < eol) append_cstr(d, "...");
  append_cstr(d, "\n");
  if (from > p) append_cstr(d, "   ");
  /* one column per character shown: a tab stays a tab, an escape is 4 wide */
  for (const char *c = from; c < caret;) {
    bool escape;
    size_t len = shown_len(c, (size_t)(eol - c), false, &escape);
    if (*c == '\t')
      ms_diag_append(d, "\t", 1);
    else
      ms_diag_append(d, escape ? "    " : " ", escape ? 4 : 1);
    c += len;
  }
  append_cstr(d, "^\n");
}

void ms_diag_vreport(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt, va_list ap) {
  count(d, sev);
  if (sev == MS_ERROR && d->max_errors && d->errors > d->max_errors) return;
  if (sev != MS_NOTE) d->skipping_notes = d->quiet && sev == MS_WARNING;
  if (d->skipping_notes) return;
  if (!loc.src) {
    append_cstr(d, "moonstub: ");
    append_cstr(d, severity_word(sev));
    append_cstr(d, ": ");
    append_vformat(d, fmt, ap);
    append_cstr(d, "\n");
    return;
  }
  char head[64];
  snprintf(head, sizeof head, ":%u:%u: %s: ", loc.line, loc.col, severity_word(sev));
  append_escaped(d, loc.src->path, strlen(loc.src->path), false);
  append_cstr(d, head);
  append_vformat(d, fmt, ap);
  append_cstr(d, "\n");
  if (loc.line > 0 && loc.src->text) append_source_line_and_caret(d, loc);
}

void ms_diag_report(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt, ...) {
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

/* ---- progress --------------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { TTY_DELAY_MS = 500, TTY_EVERY_MS = 100, LINES_EVERY_MS = 2000 };

void ms_progress_start(ms_Diag *d, ms_ProgressMode mode, FILE *fp) {
  memset(&d->progress, 0, sizeof d->progress);
  d->progress.mode = mode;
  d->progress.fp = fp;
  d->progress.step = "parsing";
  d->progress.start = d->progress.last_shown = now_seconds();
}

static void append_count(char *buf, size_t cap, size_t *len, unsigned n, const char *one, const char *many,
                         const char *what) {
  int k = snprintf(buf + *len, cap - *len, "%s%u %s %s", *len ? ", " : "", n, n == 1 ? one : many, what);
  if (k > 0) *len = *len + (size_t)k < cap ? *len + (size_t)k : cap - 1;
}

/* "3 files parsed, 12 modules generated, 1.2s" */
static void status_line(const ms_Progress *p, double t, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  append_count(buf, cap, &len, p->counts[MS_COUNT_PARSED], "file", "files", "parsed");
  if (p->counts[MS_COUNT_GENERATED] || strcmp(p->step, "generating") == 0)
    append_count(buf, cap, &len, p->counts[MS_COUNT_GENERATED], "module", "modules", "generated");
  if (p->counts[MS_COUNT_WRITTEN])
    append_count(buf, cap, &len, p->counts[MS_COUNT_WRITTEN], "file", "files", "written");
  if (p->counts[MS_COUNT_UNCHANGED])
    append_count(buf, cap, &len, p->counts[MS_COUNT_UNCHANGED], "file", "files", "unchanged");
  snprintf(buf + len, cap - len, ", %.1fs", t - p->start);
}

static void show(ms_Progress *p, double t, const char *step) {
  char line[256];
  status_line(p, t, line, sizeof line);
  if (p->mode == MS_PROGRESS_TTY) {
    fprintf(p->fp, "\rmoonstub: %s: %s\033[K", step, line);
    p->on_screen = true;
  } else {
    fprintf(p->fp, "moonstub: %s: %s\n", step, line);
  }
  fflush(p->fp);
  p->last_shown = t;
}

/* A tty line appears once the run has lasted half a second (short runs stay
 * silent) and changes at most ten times a second; plain lines come at each
 * step and every two seconds within one. */
static void maybe_show(ms_Progress *p) {
  double t = now_seconds();
  if (p->mode == MS_PROGRESS_TTY) {
    if ((t - p->start) * 1000 < TTY_DELAY_MS || (t - p->last_shown) * 1000 < TTY_EVERY_MS) return;
  } else if ((t - p->last_shown) * 1000 < LINES_EVERY_MS) {
    return;
  }
  show(p, t, p->step);
}

void ms_progress_count(ms_Diag *d, ms_ProgressCount what) {
  ms_Progress *p = &d->progress;
  if (p->mode == MS_PROGRESS_OFF) return;
  p->counts[what]++;
  maybe_show(p);
}

/* Each line tells where the run is: the step it is in, the counts so far. */
void ms_progress_step(ms_Diag *d, const char *step) {
  ms_Progress *p = &d->progress;
  if (p->mode == MS_PROGRESS_OFF || strcmp(p->step, step) == 0) return;
  p->step = step;
  if (p->mode == MS_PROGRESS_LINES)
    show(p, now_seconds(), step);
  else
    maybe_show(p);
}

void ms_progress_end(ms_Diag *d) {
  ms_Progress *p = &d->progress;
  if (p->mode == MS_PROGRESS_OFF) return;
  if (p->mode == MS_PROGRESS_LINES || p->on_screen) {
    show(p, now_seconds(), "done");
    if (p->mode == MS_PROGRESS_TTY) fputc('\n', p->fp);
  }
  p->mode = MS_PROGRESS_OFF;
}
