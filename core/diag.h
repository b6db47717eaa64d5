/* Diagnostics: "path:line:col: error: message", the source line, a caret.
 * Every diagnostic of a compilation is collected; the caller prints them. */
#ifndef MS_DIAG_H
#define MS_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"

/* One loaded source buffer. `path` is what diagnostics show. */
typedef struct ms_Source {
  const char *path;
  const char *text;
  size_t len;
} ms_Source;

/* A position in a source: 1-based line and byte column. src may be NULL for
 * diagnostics that are not about a place in a file. */
typedef struct ms_Loc {
  const ms_Source *src;
  unsigned line;
  unsigned col;
} ms_Loc;

typedef enum { MS_ERROR, MS_WARNING, MS_NOTE } ms_Severity;

/* Progress of a long run on stderr (moonstub --progress, or a terminal):
 * files parsed, modules generated, files written, elapsed time. Off (all
 * zero) costs one test per count. */
typedef enum { MS_PROGRESS_OFF, MS_PROGRESS_TTY, MS_PROGRESS_LINES } ms_ProgressMode;
typedef enum { MS_COUNT_PARSED, MS_COUNT_GENERATED, MS_COUNT_WRITTEN, MS_COUNT_UNCHANGED } ms_ProgressCount;

typedef struct ms_Progress {
  ms_ProgressMode mode;
  FILE *fp;
  const char *step; /* "parsing", "linking", "generating", "writing" */
  double start, last_shown;
  unsigned counts[4]; /* by ms_ProgressCount */
  bool on_screen; /* a tty line is showing */
} ms_Progress;

typedef struct ms_Diag {
  char *text; /* all rendered diagnostics, in the order reported */
  size_t len, cap;
  unsigned errors;
  unsigned warnings;
  unsigned max_errors; /* 0: unlimited */
  bool quiet; /* warnings (and notes after them) are counted, not shown */
  bool hide_tracebacks; /* a script error shows its message only (moonstub without --verbose) */
  bool skipping_notes; /* the last warning was not shown: neither are its notes */
  ms_Progress progress;
  /* the start of the last source line shown: errors come in source order
   * mostly, so finding the next line need not rescan the file */
  const ms_Source *line_src;
  unsigned line_no;
  const char *line_start;
} ms_Diag;

void ms_diag_init(ms_Diag *d);
void ms_diag_free(ms_Diag *d);
void ms_diag_report(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ms_diag_vreport(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt, va_list ap);
/* A diagnostic about no particular place: "moonstub: error: ..." */
void ms_diag_plain(ms_Diag *d, ms_Severity sev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Raw text appended as is (tracebacks, notes already formatted). */
void ms_diag_append(ms_Diag *d, const char *s, size_t n);

/* Progress (see ms_Progress): start it, count, name the step, end it
 * (the tty line is replaced by a last summary line). */
void ms_progress_start(ms_Diag *d, ms_ProgressMode mode, FILE *fp);
void ms_progress_count(ms_Diag *d, ms_ProgressCount what);
void ms_progress_step(ms_Diag *d, const char *step);
void ms_progress_end(ms_Diag *d);

/* UTF-8, shared by the lexer and the diagnostics: the length of the valid
 * UTF-8 sequence at s (1 for ASCII), or 0 when the byte at s does not start
 * one (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, or cut short by the end). */
size_t ms_utf8_sequence_len(const char *s, size_t n);
/* Offset of the first byte of s that is not valid UTF-8; n when all is. */
size_t ms_utf8_invalid_at(const char *s, size_t n);

#define ms_error(d, loc, ...) ms_diag_report((d), MS_ERROR, (loc), __VA_ARGS__)
#define ms_warning(d, loc, ...) ms_diag_report((d), MS_WARNING, (loc), __VA_ARGS__)

#endif
