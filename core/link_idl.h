/* Linking of Fory IDL and FlatBuffers files: names resolved through the
 * linker's symbol table (link.c), then the checks of each language. */
#ifndef MS_LINK_IDL_H
#define MS_LINK_IDL_H

#include <stdbool.h>

#include "model.h"

typedef struct ms_IdlLinker {
  void *linker;
  /* Resolves `name` as seen from the element `scope` (a full name) to a
   * message or an enum; reports and returns false when it cannot. */
  bool (*resolve)(void *linker, const char *name, const char *scope, ms_Loc loc, ms_Message **message,
                  ms_Enum **enum_type);
  ms_Arena *arena;
  ms_Diag *diag;
  ms_File *file;
} ms_IdlLinker;

void ms_link_idl_file(ms_IdlLinker *l);

#endif
