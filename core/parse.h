/* Front ends: each turns one source buffer into an unlinked ms_File. */
#ifndef MS_PARSE_H
#define MS_PARSE_H

#include "model.h"

/* Parses `file->source` (already loaded) into `file`. Errors go to `diag`;
 * the parser recovers at the next statement so every error is reported. */
void ms_parse_proto(ms_Arena *arena, ms_Diag *diag, ms_File *file);
void ms_parse_fdl(ms_Arena *arena, ms_Diag *diag, ms_File *file);
void ms_parse_fbs(ms_Arena *arena, ms_Diag *diag, ms_File *file);

#endif
