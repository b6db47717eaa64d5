/* The Lua side: the linked model converted once into read-only tables, the
 * embedded scripts behind `require`, and the run of the Lua driver that
 * applies the naming rules and the emitters. */
#ifndef MS_LUA_BRIDGE_H
#define MS_LUA_BRIDGE_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"
#include "output.h"

typedef struct ms_RunOptions {
  const char *rules; /* preset name: "default", "aristaproto", ... */
  const char *python_out; /* NULL: no Python output */
  bool grpc; /* write gRPC companions */
  const char *grpc_mode; /* "aio" (default) or "sync" */
  bool summary; /* print a summary of the model with Python names */
  const char *lua_test; /* a Lua test script to run instead of the driver */
  ms_Vec lua_dirs; /* const char*: folders searched before the built-ins, in order */
  ms_Vec emitters; /* const char*: --emitter NAME or FILE, in order */
  const char *out; /* output folder of --emitter files (default: python_out) */
  unsigned long budget; /* CPU seconds scripts may take (0: the default, 120) */
  unsigned long memory_mb; /* memory scripts may use, in MB (0: the default, 8192) */
  unsigned jobs; /* worker processes for host.parallel (0: one per core, large schemas only) */
  ms_Vec keys, values; /* --opt KEY=VALUE pairs, as strings */
} ms_RunOptions;

/* Runs emitters.driver over the linked schema. Errors (including script
 * errors with their traceback) go to the compiler's diagnostics. */
bool ms_lua_run(ms_Compiler *c, ms_Output *out, const ms_RunOptions *opts);

/* The folders scripts are searched in: -L folders, MOONSTUB_PATH entries,
 * ./.moonstub when it exists (the built-ins come last). */
void ms_lua_search_path(ms_Arena *arena, const ms_Vec *l_dirs, ms_Vec *out);
/* Prints the search path, and the emitters found along it. */
void ms_lua_print_search_path(const ms_Vec *dirs, FILE *fp);
void ms_lua_list_emitters(const ms_Vec *dirs, FILE *fp);

#endif
