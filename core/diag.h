/* Diagnostics: "path:line:col: error: message", the source line, a caret.
 * Every diagnostic of a compilation is collected; the caller prints them. */
#ifndef MS_DIAG_H
#define MS_DIAG_H

#include <stdarg.h>
#include <stddef.h>

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

typedef struct ms_Diag {
  char *text; /* all rendered diagnostics, in the order reported */
  size_t len, cap;
  unsigned errors;
  unsigned warnings;
  unsigned max_errors; /* 0: unlimited */
  /* the start of the last source line shown: errors come in source order
   * mostly, so finding the next line need not rescan the file */
  const ms_Source *line_src;
  unsigned line_no;
  const char *line_start;
} ms_Diag;

void ms_diag_init(ms_Diag *d);
void ms_diag_free(ms_Diag *d);
void ms_diag_report(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));
void ms_diag_vreport(ms_Diag *d, ms_Severity sev, ms_Loc loc, const char *fmt,
                     va_list ap);
/* A diagnostic about no particular place: "moonstub: error: ..." */
void ms_diag_plain(ms_Diag *d, ms_Severity sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Raw text appended as is (tracebacks, notes already formatted). */
void ms_diag_append(ms_Diag *d, const char *s, size_t n);

#define ms_error(d, loc, ...) ms_diag_report((d), MS_ERROR, (loc), __VA_ARGS__)
#define ms_warning(d, loc, ...) \
  ms_diag_report((d), MS_WARNING, (loc), __VA_ARGS__)

#endif
