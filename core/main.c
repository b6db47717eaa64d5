/* moonstub's command line: flag parsing only; the compiler is a library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "embedded.h"
#include "lua_bridge.h"
#include "model_json.h"
#include "output.h"
#include "plugin.h"
#include "version.h"

static const char usage_text[] =
    "usage: moonstub [options] FILE...\n"
    "\n"
    "Reads .proto, Fory IDL (.fdl) and FlatBuffers (.fbs) schemas, checks them, and generates Python through Lua rules "
    "and emitters.\n"
    "A FILE of - is read from stdin (as stdin.proto, or the path given by --stdin-name).\n"
    "\n"
    "options:\n"
    "  -I DIR, --proto_path=DIR  add an import root (repeatable; default: the current folder)\n"
    "  --python_out=DIR          write generated Python under DIR\n"
    "  --grpc                    also write gRPC companions (<module>_grpc.py)\n"
    "  --grpc-python-mode=MODE   aio (default: grpc.aio) or sync (grpc.server, plain def)\n"
    "  --codec=CODEC             fory or protobuf (default: fory for .fdl and .fbs, protobuf for .proto)\n"
    "  --rules=NAME              naming rules preset: default, aristaproto\n"
    "  --rules=FILE.lua          a naming policy: a Lua table of hooks over a preset\n"
    "  --opt KEY=VALUE           an option, as protoc plugin parameters give them (repeatable;\n"
    "                            see docs/cli.md: client_generation, server_generation, ...)\n"
    "  --dump-model              print the linked schema model as JSON on stdout\n"
    "  --summary                 print a summary of the model with the Python names the rules give\n"
    "  --max-errors=N            stop printing errors after N (default: all)\n"
    "  -L DIR, --lua-path=DIR    search DIR for Lua rules and emitters before the built-ins (repeatable)\n"
    "  --emitter=NAME|FILE       run an extra emitter (repeatable); its files go under --out or --python_out\n"
    "  --out=DIR                 output folder of --emitter files\n"
    "  --check                   write nothing; list the files that would change, exit 1 if any\n"
    "  --print-search-path       print the folders Lua scripts are found in\n"
    "  --list-emitters           print the emitters found\n"
    "  --lua-budget=SECONDS      stop scripts after this much CPU time (default: 120)\n"
    "  --lua-memory=MB           stop scripts that use more memory (default: 8192)\n"
    "  -j N, --jobs=N            generate modules in N worker processes (default: one per CPU core\n"
    "                            for large schemas; 1: in this process)\n"
    "  --lua-test=SCRIPT         run a Lua test script with the model (for moonstub's own tests)\n"
    "  --stdin-name=PATH         the virtual path of the FILE read from stdin (default: stdin.proto;\n"
    "                            its extension picks the front end)\n"
    "  --progress                show progress on stderr (files parsed, modules generated, time);\n"
    "                            on by default when stderr is a terminal\n"
    "  -q, --quiet               print errors only: no warnings, no progress\n"
    "  -v, --verbose             print the Lua traceback of a script error\n"
    "  --version                 print the version and exit\n"
    "  -h, --help                print this help and exit\n"
    "  --                        every later argument is a FILE, even if it starts with -\n"
    "\n"
    "environment:\n"
    "  MOONSTUB_PATH             folders (:-separated) searched for Lua rules and emitters after -L\n"
    "  MOONSTUB_LUA_PROFILE      when set, print the 40 hottest Lua lines on stderr at the end\n"
    "\n"
    "Called as protoc-gen-moonstub, the binary is a protoc plugin (docs/plugin.md).\n";

typedef struct Args {
  ms_Vec roots, files;
  ms_RunOptions run;
  ms_Vec l_dirs;
  bool dump_model;
  bool check;
  bool print_search_path;
  bool list_emitters;
  bool quiet, verbose, progress;
  const char *stdin_name;
  unsigned max_errors;
} Args;

typedef enum { PARSE_OK, PARSE_EXIT_OK, PARSE_ERROR } ParseResult;

static void complain(const char *fmt, const char *arg) {
  fputs("moonstub: error: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see moonstub --help)\n", stderr);
}

/* An -I folder; one that is not there is a warning, as protoc gives (files
 * are then looked for in the other roots). */
static void add_import_root(ms_Compiler *c, const char *root) {
  struct stat st;
  if (stat(root, &st) != 0)
    ms_diag_plain(&c->diag, MS_WARNING, "-I %s: %s; no file is looked for there", root, strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    ms_diag_plain(&c->diag, MS_WARNING, "-I %s: not a folder; no file is looked for there", root);
  ms_compiler_add_root(c, root);
}

/* Matches "--name=VALUE" or "--name VALUE"; advances *i for the latter. */
/* Whether `text` is a decimal count from `least` to `most` (digits only: no
 * sign, no spaces, no overflow); the count goes to *count. */
static bool read_count(const char *text, unsigned long least, unsigned long most, unsigned long *count) {
  if (!text || *text < '0' || *text > '9') return false;
  unsigned long n = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    unsigned digit = (unsigned)(*p - '0');
    if (n > (most - digit) / 10) return false;
    n = n * 10 + digit;
  }
  if (n < least) return false;
  *count = n;
  return true;
}

static bool take_value(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return false;
  if (a[n] == '=') {
    *value = a + n + 1;
    return true;
  }
  if (a[n] != '\0') return false;
  if (*i + 1 >= argc) {
    *value = NULL;
    return true;
  }
  *value = argv[++*i];
  return true;
}

static ParseResult parse_args(ms_Arena *arena, int argc, char **argv, Args *args) {
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = NULL;
    if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
      ms_vec_push(arena, &args->files, (void *)a);
    } else if (strcmp(a, "--") == 0) {
      only_files = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return PARSE_EXIT_OK;
    } else if (strcmp(a, "--version") == 0) {
      printf("moonstub %s\n", MS_VERSION);
      return PARSE_EXIT_OK;
    } else if (strcmp(a, "--dump-model") == 0) {
      args->dump_model = true;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      args->quiet = true;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      args->verbose = true;
    } else if (strcmp(a, "--progress") == 0) {
      args->progress = true;
    } else if (take_value(argc, argv, &i, "--stdin-name", &v)) {
      if (!v || !*v) {
        complain("%s needs a path", "--stdin-name");
        return PARSE_ERROR;
      }
      args->stdin_name = v;
    } else if (strcmp(a, "--grpc") == 0) {
      args->run.grpc = true;
    } else if (take_value(argc, argv, &i, "--grpc-python-mode", &v) ||
               take_value(argc, argv, &i, "--grpc_python_mode", &v)) {
      if (!v || !*v) {
        complain("%s needs aio or sync", "--grpc-python-mode");
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->run.keys, "grpc_python_mode");
      ms_vec_push(arena, &args->run.values, (void *)v);
    } else if (take_value(argc, argv, &i, "--codec", &v)) {
      if (!v || !*v) {
        complain("%s needs fory or protobuf", "--codec");
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->run.keys, "codec");
      ms_vec_push(arena, &args->run.values, (void *)v);
    } else if (strcmp(a, "--summary") == 0) {
      args->run.summary = true;
    } else if (strncmp(a, "-I", 2) == 0 && a[2] != '\0') {
      ms_vec_push(arena, &args->roots, (void *)(a + 2));
    } else if (strcmp(a, "-I") == 0 || take_value(argc, argv, &i, "--proto_path", &v)) {
      if (strcmp(a, "-I") == 0) v = i + 1 < argc ? argv[++i] : NULL;
      if (!v || !*v) {
        complain("%s needs a folder", a);
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->roots, (void *)v);
    } else if (strcmp(a, "-L") == 0 || take_value(argc, argv, &i, "--lua-path", &v)) {
      if (strcmp(a, "-L") == 0) v = i + 1 < argc ? argv[++i] : NULL;
      if (!v || !*v) {
        complain("%s needs a folder", a);
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->l_dirs, (void *)v);
    } else if (strncmp(a, "-L", 2) == 0 && a[2] != '\0') {
      ms_vec_push(arena, &args->l_dirs, (void *)(a + 2));
    } else if (take_value(argc, argv, &i, "--emitter", &v)) {
      if (!v || !*v) {
        complain("%s needs a name or a file", "--emitter");
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->run.emitters, (void *)v);
    } else if (take_value(argc, argv, &i, "--out", &v)) {
      if (!v || !*v) {
        complain("%s needs a folder", "--out");
        return PARSE_ERROR;
      }
      args->run.out = v;
    } else if (take_value(argc, argv, &i, "--lua-budget", &v)) {
      unsigned long n;
      if (!read_count(v, 1, 86400, &n)) {
        complain("%s needs a number of seconds (1 to 86400)", "--lua-budget");
        return PARSE_ERROR;
      }
      args->run.budget = n;
    } else if (take_value(argc, argv, &i, "--lua-memory", &v)) {
      unsigned long n;
      if (!read_count(v, 1, 1048576, &n)) {
        complain("%s needs a number of megabytes (1 to 1048576)", "--lua-memory");
        return PARSE_ERROR;
      }
      args->run.memory_mb = n;
    } else if (take_value(argc, argv, &i, "--jobs", &v) || take_value(argc, argv, &i, "-j", &v) ||
               (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9' && (v = a + 2))) {
      unsigned long n;
      if (!read_count(v, 1, 256, &n)) {
        complain("%s needs a number of processes (1 to 256)", "--jobs");
        return PARSE_ERROR;
      }
      args->run.jobs = (unsigned)n;
    } else if (strcmp(a, "--check") == 0) {
      args->check = true;
    } else if (strcmp(a, "--print-search-path") == 0) {
      args->print_search_path = true;
    } else if (strcmp(a, "--list-emitters") == 0) {
      args->list_emitters = true;
    } else if (take_value(argc, argv, &i, "--lua-test", &v)) {
      if (!v || !*v) {
        complain("%s needs a script", "--lua-test");
        return PARSE_ERROR;
      }
      args->run.lua_test = v;
    } else if (take_value(argc, argv, &i, "--python_out", &v)) {
      if (!v || !*v) {
        complain("%s needs a folder", "--python_out");
        return PARSE_ERROR;
      }
      args->run.python_out = v;
    } else if (take_value(argc, argv, &i, "--rules", &v)) {
      if (!v || !*v) {
        complain("%s needs a preset name", "--rules");
        return PARSE_ERROR;
      }
      args->run.rules = v;
    } else if (take_value(argc, argv, &i, "--opt", &v)) {
      const char *eq = v ? strchr(v, '=') : NULL;
      if (!eq || eq == v) {
        complain("%s needs KEY=VALUE", "--opt");
        return PARSE_ERROR;
      }
      ms_vec_push(arena, &args->run.keys, ms_arena_strndup(arena, v, (size_t)(eq - v)));
      ms_vec_push(arena, &args->run.values, (void *)(eq + 1));
    } else if (take_value(argc, argv, &i, "--max-errors", &v)) {
      unsigned long n;
      if (!read_count(v, 0, 1000000, &n)) {
        complain("%s needs a number (0 to 1000000)", "--max-errors");
        return PARSE_ERROR;
      }
      args->max_errors = (unsigned)n;
    } else {
      complain("unknown option \"%s\"", a);
      return PARSE_ERROR;
    }
  }
  if (args->files.count == 0 && !args->print_search_path && !args->list_emitters) {
    complain("%s", "no input files");
    return PARSE_ERROR;
  }
  return PARSE_OK;
}

static int finish(ms_Compiler *c) {
  ms_progress_end(&c->diag);
  fwrite(c->diag.text ? c->diag.text : "", 1, c->diag.len, stderr);
  if (c->diag.max_errors && c->diag.errors > c->diag.max_errors)
    fprintf(stderr, "moonstub: %u more errors not shown\n", c->diag.errors - c->diag.max_errors);
  int status = ms_compiler_ok(c) ? 0 : 1;
  ms_compiler_free(c);
  return status;
}

/* --check: nothing is written; the files that would change are listed and
 * the exit status is 1 if there are any (for CI). */
static int finish_check(ms_Compiler *c, const ms_Output *out, const char *dir, const char *extra_dir) {
  ms_Vec changed = {0};
  ms_output_changed(out, dir, extra_dir, c->arena, &changed);
  for (unsigned i = 0; i < changed.count; i++) printf("%s\n", (const char *)changed.items[i]);
  int status = finish(c);
  return status ? status : (changed.count ? 1 : 0);
}

/* ---- user mistakes found before any schema is read ------------------------------- */

static bool is_readable_file(const char *path, int *err) {
  struct stat st;
  if (stat(path, &st) != 0) {
    *err = errno;
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *err = EISDIR;
    return false;
  }
  FILE *fp = fopen(path, "r");
  if (!fp) {
    *err = errno;
    return false;
  }
  fclose(fp);
  return true;
}

static bool check_script_file(ms_Compiler *c, const char *path, const char *what) {
  int err = 0;
  if (is_readable_file(path, &err)) return true;
  ms_diag_plain(&c->diag, MS_ERROR, "cannot read the %s \"%s\": %s", what, path, strerror(err));
  return false;
}

/* Whether `require(module)` would find a script: in a search folder
 * (dots are folders) or built in. */
static bool lua_module_exists(ms_Arena *arena, const ms_Vec *dirs, const char *module) {
  if (strncmp(module, "builtin:", 8) == 0) {
    module += 8;
  } else {
    char *file = ms_arena_strdup(arena, module);
    for (char *q = file; *q; q++)
      if (*q == '.') *q = '/';
    for (unsigned i = 0; i < dirs->count; i++) {
      struct stat st;
      const char *path = ms_arena_printf(arena, "%s/%s.lua", (const char *)dirs->items[i], file);
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return true;
    }
  }
  for (const ms_EmbeddedScript *e = ms_embedded_scripts; e->module; e++)
    if (e->lua && strcmp(e->module, module) == 0) return true;
  return false;
}

static bool is_script_path(const char *spec) {
  size_t n = strlen(spec);
  return strchr(spec, '/') || (n > 4 && strcmp(spec + n - 4, ".lua") == 0);
}

/* The rules file, emitters and test script named on the command line exist
 * (the driver looks an emitter NAME up as emitters.NAME, then NAME). */
static bool check_scripts(ms_Compiler *c, const Args *args) {
  bool ok = true;
  const char *rules = args->run.rules;
  for (unsigned i = 0; i < args->run.keys.count; i++)
    if (strcmp(args->run.keys.items[i], "rules") == 0) rules = args->run.values.items[i];
  size_t n = rules ? strlen(rules) : 0;
  if (n > 4 && strcmp(rules + n - 4, ".lua") == 0) ok = check_script_file(c, rules, "rules file") && ok;
  for (unsigned i = 0; i < args->run.emitters.count; i++) {
    const char *spec = args->run.emitters.items[i];
    if (is_script_path(spec)) {
      ok = check_script_file(c, spec, "emitter file") && ok;
    } else if (!lua_module_exists(c->arena, &args->run.lua_dirs, ms_arena_printf(c->arena, "emitters.%s", spec)) &&
               !lua_module_exists(c->arena, &args->run.lua_dirs, spec)) {
      ms_diag_plain(&c->diag, MS_ERROR,
                    "emitter \"%s\" not found: no emitters/%s.lua or %s.lua in the search path "
                    "(moonstub --list-emitters lists them)",
                    spec, spec, spec);
      ok = false;
    }
  }
  if (args->run.emitters.count && !args->run.python_out && !args->run.out) {
    ms_diag_plain(&c->diag, MS_ERROR, "--emitter needs an output folder: --out=DIR or --python_out=DIR");
    ok = false;
  }
  if (args->run.lua_test) ok = check_script_file(c, args->run.lua_test, "test script") && ok;
  return ok;
}

/* Options and the rules are checked before any schema is read, so that a bad
 * value is an error even when nothing would be generated: the driver runs
 * over an empty model with no output folder. */
static bool check_options(ms_Compiler *c, const Args *args, bool lua_runs_later) {
  if (args->run.keys.count == 0 && !args->run.rules && args->run.emitters.count == 0) return true;
  ms_RunOptions only_check = args->run;
  only_check.python_out = NULL;
  only_check.out = NULL;
  only_check.summary = false;
  only_check.lua_test = NULL;
  /* the emitters stay: the driver loads them for the options they declare,
   * and runs none without an output folder */
  ms_Output out;
  ms_output_init(&out, c->arena);
  size_t len = c->diag.len;
  unsigned warnings = c->diag.warnings;
  if (!ms_lua_run(c, &out, &only_check)) return false;
  if (lua_runs_later && c->diag.len > len) {
    /* warnings (a rules file's unknown hook) come again in the real run */
    c->diag.len = len;
    c->diag.text[len] = '\0';
    c->diag.warnings = warnings;
  }
  return true;
}

/* `-`: the schema is read from stdin. */
static bool add_stdin_target(ms_Compiler *c, const char *name) {
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  if (!buf) abort();
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
    len += got;
    if (cap - len < 2) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) abort();
      buf = grown;
    }
  }
  if (ferror(stdin)) {
    ms_diag_plain(&c->diag, MS_ERROR, "cannot read stdin: %s", strerror(errno));
    free(buf);
    return false;
  }
  char *text = ms_arena_alloc(c->arena, len + 1);
  memcpy(text, buf, len);
  text[len] = '\0';
  free(buf);
  return ms_compiler_add_text_target(c, name ? name : "stdin.proto", name ? name : "<stdin>", text, len);
}

static int run(int argc, char **argv) {
  ms_Compiler *c = ms_compiler_new();
  Args args = {0};
  ParseResult parsed = parse_args(c->arena, argc, argv, &args);
  if (parsed != PARSE_OK) {
    ms_compiler_free(c);
    return parsed == PARSE_EXIT_OK ? 0 : 1;
  }
  c->diag.max_errors = args.max_errors;
  c->diag.quiet = args.quiet;
  c->diag.hide_tracebacks = !args.verbose && !args.run.lua_test;
  ms_lua_search_path(c->arena, &args.l_dirs, &args.run.lua_dirs);
  if (args.print_search_path || args.list_emitters) {
    if (args.print_search_path) ms_lua_print_search_path(&args.run.lua_dirs, stdout);
    if (args.list_emitters) ms_lua_list_emitters(&args.run.lua_dirs, stdout);
    if (args.files.count == 0) {
      ms_compiler_free(c);
      return 0;
    }
  }
  bool lua_runs = args.run.python_out || args.run.summary || args.run.lua_test || args.run.emitters.count > 0;
  if (!check_scripts(c, &args) || !check_options(c, &args, lua_runs)) return finish(c);
  /* on a terminal by default, unless the run prints there too (the JSON, a summary) */
  bool tty = isatty(fileno(stderr));
  bool prints = args.dump_model || args.run.summary || args.check || args.run.lua_test;
  if (!args.quiet && (args.progress || (tty && !(prints && isatty(fileno(stdout))))))
    ms_progress_start(&c->diag, tty ? MS_PROGRESS_TTY : MS_PROGRESS_LINES, stderr);
  for (unsigned i = 0; i < args.roots.count; i++) add_import_root(c, args.roots.items[i]);
  bool stdin_read = false;
  for (unsigned i = 0; i < args.files.count; i++) {
    const char *file = args.files.items[i];
    if (strcmp(file, "-") != 0) {
      ms_compiler_add_target(c, file);
    } else if (stdin_read) {
      ms_diag_plain(&c->diag, MS_ERROR, "- (stdin) is given twice");
    } else {
      stdin_read = true;
      add_stdin_target(c, args.stdin_name);
    }
  }
  ms_progress_step(&c->diag, "linking");
  if (!ms_compiler_ok(c) || !ms_compiler_link(c)) return finish(c);
  if (args.dump_model) ms_dump_model_json(&c->schema, stdout);
  if (lua_runs) {
    /* Python under --python_out, --emitter files under --out (either folder
     * serves both when only one is given) */
    const char *dir = args.run.python_out ? args.run.python_out : args.run.out;
    const char *extra_dir = args.run.out ? args.run.out : args.run.python_out;
    ms_Output out;
    ms_output_init(&out, c->arena);
    ms_progress_step(&c->diag, "generating");
    if (ms_lua_run(c, &out, &args.run) && dir) {
      if (args.check) return finish_check(c, &out, dir, extra_dir);
      ms_progress_step(&c->diag, "writing");
      ms_output_write_all(&out, &c->diag, dir, extra_dir);
    }
  }
  return finish(c);
}

/* Called as protoc-gen-moonstub (a link to this binary), moonstub is a protoc
 * plugin. */
static bool called_as_plugin(const char *argv0) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  return strncmp(base, "protoc-gen-", 11) == 0;
}

int main(int argc, char **argv) {
  if (argc >= 1 && called_as_plugin(argv[0])) return ms_plugin_main(stdin, stdout);
  return run(argc, argv);
}
