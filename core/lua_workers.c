/* host.parallel: independent pieces of work (one per Python module) shared
 * among worker processes, each a fork of this one with its own copy of the
 * Lua state. The model is converted lazily (lua_model.c), so a worker
 * converts what its share touches; what a worker writes, inserts and reports
 * goes to a temporary file (its stream), which this process replays, worker
 * after worker, once all have ended: outputs, diagnostics and their order
 * are those of a run in one process, and the all-or-nothing write stays
 * with this process.
 *
 *   results = host.parallel(costs, fn)
 *
 * calls fn(i) for i = 1..#costs (a worker gets a contiguous range of about
 * equal cost) and returns the array of the strings fn returned. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lua_internal.h"

/* Below this total cost (the sum of `costs`: declarations) forking costs more
 * than it saves, unless --jobs asked for workers. */
enum { PARALLEL_MIN_COST = 20000 };
enum { MAX_AUTO_JOBS = 4 };

/* ---- streams ------------------------------------------------------------- */

static void put_field(FILE *f, const char *s, size_t n) {
  uint32_t len = (uint32_t)n;
  fwrite(&len, sizeof len, 1, f);
  fwrite(s, 1, n, f);
}

void stream_record(FILE *f, char tag, unsigned count, const char *const *fields, const size_t *lens) {
  fputc(tag, f);
  for (unsigned i = 0; i < count; i++) put_field(f, fields[i], lens ? lens[i] : strlen(fields[i]));
}

/* Reads one field into a buffer that grows as needed; false at the end of
 * the stream or on a short read. */
static bool read_field(FILE *f, char **buf, size_t *cap, size_t *len) {
  uint32_t n;
  if (fread(&n, sizeof n, 1, f) != 1) return false;
  if ((size_t)n + 1 > *cap) {
    size_t want = (size_t)n + 1;
    char *grown = realloc(*buf, want);
    if (!grown) return false;
    *buf = grown;
    *cap = want;
  }
  if (n && fread(*buf, 1, n, f) != n) return false;
  (*buf)[n] = '\0';
  *len = n;
  return true;
}

/* ---- sharing the work ------------------------------------------------------ */

static unsigned jobs_for(const Bridge *b, lua_Integer pieces, double total) {
  unsigned jobs = b->jobs;
  if (jobs == 0) {
    if (total < PARALLEL_MIN_COST) return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    jobs = cores < 1 ? 1 : cores > MAX_AUTO_JOBS ? MAX_AUTO_JOBS : (unsigned)cores;
  }
  if ((lua_Integer)jobs > pieces) jobs = (unsigned)pieces;
  return jobs ? jobs : 1;
}

/* first[k]: the first piece of worker k (from 1); first[jobs] = pieces + 1.
 * Contiguous ranges of about total/jobs cost each, one piece at least. */
static void split_by_cost(const double *costs, lua_Integer pieces, unsigned jobs, lua_Integer *first) {
  double total = 0, run = 0;
  for (lua_Integer i = 0; i < pieces; i++) total += costs[i];
  lua_Integer next = 0; /* the next piece to hand out, from 0 */
  first[0] = 1;
  for (unsigned k = 1; k < jobs; k++) {
    double target = total * k / jobs;
    /* take one piece, then more while the range stays nearer its target and
     * every later worker still gets one */
    do run += costs[next++];
    while (next < pieces - (lua_Integer)(jobs - k) && run + costs[next] / 2 < target);
    first[k] = next + 1;
  }
  first[jobs] = pieces + 1;
}

/* In a worker: runs fn(i) for its range, the results and any error into the
 * stream; never returns. */
static void run_share(Bridge *b, lua_Integer from, lua_Integer to, FILE *stream, int progress) {
  lua_State *L = b->L;
  b->stream = stream;
  b->progress = progress;
  start_budget(L, b->budget_seconds);
  int status = 0;
  lua_pushcfunction(L, error_with_traceback);
  int handler = lua_gettop(L);
  for (lua_Integer i = from; i < to && status == 0; i++) {
    lua_pushvalue(L, 2);
    lua_pushinteger(L, i);
    int rc = lua_pcall(L, 1, 1, handler);
    if (rc == LUA_OK && !lua_isstring(L, -1)) {
      lua_pushfstring(L, "host.parallel: the function returned %s, not a string", luaL_typename(L, -1));
      lua_remove(L, -2);
      rc = LUA_ERRRUN;
    }
    if (rc == LUA_OK) {
      size_t len;
      const char *result = lua_tolstring(L, -1, &len);
      char index[32];
      snprintf(index, sizeof index, "%lld", (long long)i);
      const char *fields[2] = {index, result ? result : ""};
      size_t lens[2] = {strlen(index), result ? len : 0};
      stream_record(stream, 'R', 2, fields, lens);
    } else {
      char memory[96];
      const char *msg = lua_tostring(L, -1);
      if (rc == LUA_ERRMEM) {
        snprintf(memory, sizeof memory, "Lua scripts used more than %lu MB of memory (--lua-memory)", b->memory_mb);
        msg = memory;
      }
      stream_record(stream, 'E', 1, (const char *[]){msg ? msg : "(error object is not a string)"}, NULL);
      status = 1;
    }
    lua_pop(L, 1);
  }
  stop_budget();
  if (fflush(stream) != 0 || ferror(stream)) status = 2;
  _exit(status);
}

/* Replays one worker's stream into this process; false when the worker
 * failed (its error is pushed, to be raised). */
static bool replay(Bridge *b, FILE *stream, int results) {
  lua_State *L = b->L;
  rewind(stream);
  char *f[5] = {0};
  size_t cap[5] = {0}, len[5] = {0};
  bool ok = true, failed = false;
  int tag;
  while (ok && !failed && (tag = fgetc(stream)) != EOF) {
    unsigned count = tag == 'W' || tag == 'I' ? 3 : tag == 'D' ? 5 : tag == 'R' ? 2 : tag == 'E' ? 1 : 0;
    if (count == 0) break;
    for (unsigned i = 0; i < count && ok; i++) ok = read_field(stream, &f[i], &cap[i], &len[i]);
    if (!ok) break;
    switch (tag) {
      case 'W':
        if (ms_output_add(b->out, &b->c->diag, f[0], f[1], len[1]) && f[2][0] == '1') ms_output_mark_extra(b->out);
        break;
      case 'I': ms_output_insert(b->out, f[0], f[1], f[2], len[2]); break;
      case 'D': report_diagnostic(b, f[0], f[1], f[2], atoi(f[3]), atoi(f[4])); break;
      case 'R':
        lua_pushlstring(L, f[1], len[1]);
        lua_rawseti(L, results, strtoll(f[0], NULL, 10));
        break;
      default: lua_pushlstring(L, f[0], len[0]); failed = true;
    }
  }
  for (unsigned i = 0; i < 5; i++) free(f[i]);
  if (!ok && !failed) {
    lua_pushliteral(L, "a worker's results were cut short");
    failed = true;
  }
  return !failed;
}

/* Waits for worker `pid`; false (a message pushed) when it did not end
 * normally. */
static bool wait_for(lua_State *L, pid_t pid, unsigned k) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      lua_pushfstring(L, "worker %d: %s", (int)k + 1, strerror(errno));
      return false;
    }
  }
  if (WIFSIGNALED(status)) {
    lua_pushfstring(L, "worker %d was stopped by signal %d (%s)", (int)k + 1, WTERMSIG(status),
                    strsignal(WTERMSIG(status)));
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
    lua_pushfstring(L, "worker %d could not write its results to a temporary file (is the temporary folder full?)",
                    (int)k + 1);
    return false;
  }
  return true;
}

static void run_here(lua_State *L, lua_Integer pieces, int results) {
  for (lua_Integer i = 1; i <= pieces; i++) {
    lua_pushvalue(L, 2);
    lua_pushinteger(L, i);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1))
      luaL_error(L, "host.parallel: the function returned %s, not a string", luaL_typename(L, -1));
    lua_tolstring(L, -1, NULL); /* a number becomes its text, as a worker sends it */
    lua_rawseti(L, results, i);
  }
}

typedef struct Workers {
  unsigned count;
  int progress[2]; /* a pipe: a byte from a worker per file it writes */
  pid_t pid[256];
  FILE *stream[256];
} Workers;

/* Starts the workers; false (an error pushed) when one cannot start. */
static bool start_workers(Bridge *b, Workers *w, const lua_Integer *first) {
  lua_State *L = b->L;
  fflush(stdout);
  fflush(stderr);
  if (pipe(w->progress) != 0) {
    w->progress[0] = w->progress[1] = -1;
    lua_pushfstring(L, "cannot make a pipe for the workers: %s", strerror(errno));
    return false;
  }
  for (unsigned k = 0; k < w->count; k++) {
    w->stream[k] = tmpfile();
    if (!w->stream[k]) {
      lua_pushfstring(L, "cannot make a temporary file for worker %d: %s", (int)k + 1, strerror(errno));
      return false;
    }
    w->pid[k] = fork();
    if (w->pid[k] < 0) {
      lua_pushfstring(L, "cannot start worker %d: %s", (int)k + 1, strerror(errno));
      return false;
    }
    if (w->pid[k] == 0) {
      close(w->progress[0]);
      run_share(b, first[k], first[k + 1], w->stream[k], w->progress[1]);
    }
  }
  close(w->progress[1]);
  w->progress[1] = -1;
  return true;
}

/* Waits for every started worker, then replays their streams in order;
 * false (an error pushed) on the first failure. */
/* Counts the files the workers write as they go (the progress line), until
 * every worker has closed its end of the pipe. */
static void follow_progress(Bridge *b, Workers *w) {
  if (w->progress[1] >= 0) close(w->progress[1]);
  w->progress[1] = -1;
  if (w->progress[0] < 0) return;
  char bytes[256];
  for (;;) {
    ssize_t n = read(w->progress[0], bytes, sizeof bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) ms_progress_count(&b->c->diag, MS_COUNT_GENERATED);
  }
  close(w->progress[0]);
  w->progress[0] = -1;
}

static bool finish_workers(Bridge *b, Workers *w, int results, bool started) {
  lua_State *L = b->L;
  bool ok = started;
  follow_progress(b, w);
  for (unsigned k = 0; k < w->count; k++) {
    if (w->pid[k] > 0 && !wait_for(L, w->pid[k], k)) {
      if (ok)
        ok = false;
      else
        lua_pop(L, 1);
    }
  }
  b->out->counted = true;
  for (unsigned k = 0; k < w->count && ok; k++) ok = replay(b, w->stream[k], results);
  b->out->counted = false;
  for (unsigned k = 0; k < w->count; k++)
    if (w->stream[k]) fclose(w->stream[k]);
  return ok;
}

int host_parallel(lua_State *L) {
  Bridge *b = lua_touserdata(L, lua_upvalueindex(1));
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_Integer pieces = luaL_len(L, 1);
  lua_createtable(L, pieces > 0 && pieces < INT32_MAX ? (int)pieces : 0, 0);
  int results = lua_gettop(L);
  double total = 0;
  double *costs = lua_newuserdatauv(L, (size_t)(pieces > 0 ? pieces : 1) * sizeof *costs, 0);
  for (lua_Integer i = 1; i <= pieces; i++) {
    lua_geti(L, 1, i);
    costs[i - 1] = lua_tonumber(L, -1);
    total += costs[i - 1];
    lua_pop(L, 1);
  }
  unsigned jobs = b->stream ? 1 : jobs_for(b, pieces, total);
  if (jobs > 256) jobs = 256;
  if (jobs <= 1) {
    run_here(L, pieces, results);
    lua_settop(L, results);
    return 1;
  }
  Workers *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  w->count = jobs;
  w->progress[0] = w->progress[1] = -1;
  lua_Integer *first = lua_newuserdatauv(L, (jobs + 1) * sizeof *first, 0);
  split_by_cost(costs, pieces, jobs, first);
  bool started = start_workers(b, w, first);
  if (!finish_workers(b, w, results, started)) return lua_error(L);
  lua_settop(L, results);
  return 1;
}
