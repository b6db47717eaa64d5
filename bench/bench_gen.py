#!/usr/bin/env python3
"""Generator benchmark: the whole pipeline, schema files to written Python, for
moonstub and its peers, run by turns (one run of each peer, then the next
round) so load on a shared machine hits all of them alike.

"protoc" is grpcio-tools' protoc writing what moonstub --grpc writes:
`python -m grpc_tools.protoc --python_out=X --pyi_out=X --grpc_python_out=X`
(the _pb2.py modules, their .pyi stubs and the _pb2_grpc.py companions).
"moonstub --grpc" runs with its default worker processes (one per core on a
large schema); "moonstub --grpc -j 1" is the same run in one process, to show
what the workers buy.

Workloads
  googleapis   every .proto outside preview/, one invocation each:
               moonstub (parse+link only, --dump-model, messages, --grpc,
               --grpc -j 1) and protoc (and protoc --descriptor_set_out, its
               parse+link, for bench/parse.md)
  core-subset  17 googleapis folders aristaproto can compile (it fails on
               google/cloud/bigquery/v2, and all of googleapis takes it over
               10 minutes): moonstub --grpc, protoc, aristaproto
  synthetic    bench/synth.py schemas of 10 .. 100,000 messages, as .proto
               (moonstub --grpc, moonstub --grpc -j 1, protoc, aristaproto,
               foryc on the .proto) and as .fdl (moonstub --grpc, foryc --grpc)

Slow peers (aristaproto, foryc) are run at a size only while the growth of
their earlier sizes predicts a run under --slow-cap seconds (and once, not per
round, when it predicts more than 8 s). Each run records wall time, CPU time
(user + sys of the whole process tree), the peak RSS of its largest process
(GNU time's %M) and, sampled from /proc while it runs (TreeMemory), the peak
of the sum over its process tree of RSS (pages shared by several processes,
such as the model a worker inherits copy-on-write, counted in each) and of
PSS (shared pages divided among the processes mapping them: what the tree
takes from the machine).
Then, once: a phase breakdown of moonstub on googleapis (--summary, --check
without writing) and a perf profile, if perf works.

Usage: bench_gen.py --moonstub BIN --corpus DIR [--json OUT] [--rounds N]
                    [--sizes 10,100,...] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402
from benchutil import Budget, RunError, run_measured, summary, tree_bytes, venv_env, write_json  # noqa: E402

PY = sys.executable
FORYC = str(Path(PY).parent / "foryc")
SUBSET = ("google/api", "google/type", "google/rpc", "google/longrunning", "google/iam/v1", "google/pubsub/v1",
          "google/firestore/v1", "google/spanner/v1", "google/storage/v2", "google/logging/v2", "google/datastore/v1",
          "google/monitoring/v3", "google/cloud/speech/v1", "google/cloud/vision/v1", "google/cloud/translate/v3",
          "google/cloud/language/v2", "google/cloud/tasks/v2")
SLOW = {"aristaproto", "foryc", "foryc (.proto)"}
MAX_SIZE = {"foryc (.proto)": 1000}  # optional peer: kept cheap


@dataclass
class Case:
    workload: str
    peer: str
    make: Callable[[Path], list[str]]  # output folder -> command
    cwd: Path
    env: dict[str, str] | None = None
    ok_codes: tuple[int, ...] = (0,)
    size: int = 0
    single: bool = False
    runs: list[dict[str, float]] = field(default_factory=list)
    note: str = ""
    out_bytes: int = 0

    @property
    def key(self) -> str:
        return f"{self.workload}|{self.peer}"


def protoc_cmd(includes: list[str], files: list[str], *outs: str) -> Callable[[Path], list[str]]:
    return lambda out: [PY, "-m", "grpc_tools.protoc", *[f"-I{i}" for i in includes],
                        *[f"{o}={out}" for o in outs], *files]


def moonstub_cmd(ms: str, includes: list[str], files: list[str], *flags: str, out_flag: bool = True
                 ) -> Callable[[Path], list[str]]:
    return lambda out: [ms, *[f"-I{i}" for i in includes], *flags, *([f"--python_out={out}"] if out_flag else []),
                        *files]


PROTOC_OUTS = ("--python_out", "--pyi_out", "--grpc_python_out")  # what moonstub --grpc writes


COUNT = """
import json, sys
def count(msgs):
    return sum(0 if m.get("is_map_entry") else 1 + count(m.get("messages", [])) for m in msgs)
print(sum(count(f.get("messages", [])) for f in json.load(sys.stdin)["files"] if f.get("is_target")))
"""


def count_messages(cmd: list[str], cwd: Path) -> int:
    """Messages (not map entries) of the target files, from --dump-model; in a
    child process, so this one stays small."""
    dump = subprocess.Popen(cmd + ["--dump-model"], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = subprocess.run([PY, "-c", COUNT], stdin=dump.stdout, capture_output=True, text=True, check=True).stdout
    dump.wait()
    return int(out)


def descendants(root: int) -> list[tuple[int, str]]:
    """(pid, command name) of every process below root, from /proc/*/stat."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        close = stat.rfind(b")")
        comm = stat[stat.find(b"(") + 1:close].decode(errors="replace")
        ppid = int(stat[close + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), comm))
    found: list[tuple[int, str]] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def vm_rss(pid: int) -> int:
    """VmRSS in KiB of one process (a counter the kernel keeps: cheap); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def pss(pid: int) -> int:
    """PSS in KiB of one process (the kernel walks its page tables: tens of ms
    for a process of a few GB); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory:
    """Memory of the whole process tree of a run (every process below this one
    but GNU time's wrapper), sampled by a thread while it goes: the peak of the
    sum of RSS, read every 50 ms (a page shared by several processes, as the
    model forked workers inherit copy-on-write, counts in each), and the peak
    of the sum of PSS (a shared page divided among the processes that map it:
    what the tree takes from the machine). PSS costs the kernel a page-table
    walk, so it is read only every 40 times as long as the last reading took
    (at least every 50 ms; about every 2 s for a tree of 1.5 GB), keeping it to
    ~2% of a core: its peak is a lower bound, within the growth between two
    readings. The process list is rescanned every 0.2 s. A run shorter than
    one interval may end unsampled (samples == 0)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.rss_kib = 0
        self.pss_kib = 0
        self.samples = 0
        self.pss_samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        pids: list[int] = []
        next_scan = next_pss = 0.0
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            if now >= next_scan:
                pids = [pid for pid, comm in descendants(me) if comm != "time"]
                next_scan = now + (0.2 if pids else 0.0)
            rss = sum(vm_rss(pid) for pid in pids)
            if not rss:
                continue
            self.samples += 1
            self.rss_kib = max(self.rss_kib, rss)
            if now >= next_pss:
                total = sum(pss(pid) for pid in pids)
                took = time.perf_counter() - now
                next_pss = now + max(self.interval, 40 * took)
                if total:
                    self.pss_samples += 1
                    self.pss_kib = max(self.pss_kib, total)


class Runner:
    def __init__(self, work: Path, budget: Budget) -> None:
        self.work = work
        self.budget = budget
        self.log: list[str] = []

    def once(self, case: Case) -> bool:
        out = self.work / "out" / re.sub(r"[^A-Za-z0-9]+", "_", case.key)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        try:
            with TreeMemory() as tree:
                result = run_measured(case.make(out), cwd=case.cwd, env=case.env, ok_codes=case.ok_codes)
        except RunError as e:
            case.note = f"failed: {str(e).strip().splitlines()[-1][:300]}"
            print(f"  {case.key}: {case.note}", flush=True)
            return False
        # the tree's sum is at least its largest process (a short run may end between two samples)
        result["tree_rss_mb"] = max(tree.rss_kib / 1024, result["rss_mb"])
        result["tree_pss_mb"] = tree.pss_kib / 1024 if tree.pss_samples else result["rss_mb"]
        result["tree_samples"] = tree.samples
        result["tree_pss_samples"] = tree.pss_samples
        if not case.runs:
            case.out_bytes = tree_bytes(out)
        shutil.rmtree(out, ignore_errors=True)
        case.runs.append(result)
        print(f"  {case.key}: {result['wall']:.2f} s wall, {result['cpu']:.2f} s cpu, {result['rss_mb']:.0f} MiB "
              f"(tree: RSS {result['tree_rss_mb']:.0f}, PSS {result['tree_pss_mb']:.0f} MiB)", flush=True)
        return True


def predicted(history: list[tuple[int, float]], size: int) -> float:
    """The wall time of the next size, from the growth of the last two sizes
    (at least linear)."""
    if not history:
        return 0.0
    (n1, t1) = history[-1]
    exponent = 1.0
    if len(history) >= 2:
        (n0, t0) = history[-2]
        if t0 > 0.05 and n1 > n0:
            exponent = max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    return t1 * (size / n1) ** exponent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--work", type=Path, default=Path("build/bench-work/gen"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-rounds", type=int, default=2)
    parser.add_argument("--sizes", default="10,100,1000,10000,100000")
    parser.add_argument("--slow-cap", type=float, default=100.0)
    parser.add_argument("--budget", type=float, default=800.0,
                        help="seconds for this piece (when BENCH_DEADLINE is not set)")
    parser.add_argument("--no-googleapis", action="store_true")
    args = parser.parse_args()
    budget = Budget(args.budget)
    started = time.time()
    ms = str(args.moonstub.resolve())
    root = (args.corpus / "googleapis").resolve()
    wkt = str((args.corpus / "protobuf" / "src").resolve())
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    runner = Runner(work, budget)
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict[str, Any] = {"sizes": sizes, "per_file": synth.PER_FILE, "subset": list(SUBSET), "notes": {},
                              "cores": os.cpu_count()}

    # ---- the cases, in the order of a round ----
    cases: list[Case] = []
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto") if p.relative_to(root).parts[0] != "preview")
    if not args.no_googleapis:
        for path in files:  # warm the page cache once, untimed
            (root / path).read_bytes()
        inc = [".", wkt]
        result["googleapis"] = {"files": len(files),
                                "messages": count_messages([ms, *[f"-I{i}" for i in inc], *files], root)}
        cases += [
            Case("googleapis", "moonstub parse+link", moonstub_cmd(ms, inc, files, out_flag=False), root),
            Case("googleapis", "moonstub --dump-model",
                 moonstub_cmd(ms, inc, files, "--dump-model", out_flag=False), root),
            Case("googleapis", "moonstub", moonstub_cmd(ms, inc, files), root),
            Case("googleapis", "moonstub --grpc", moonstub_cmd(ms, inc, files, "--grpc"), root),
            Case("googleapis", "moonstub --grpc -j 1", moonstub_cmd(ms, inc, files, "--grpc", "-j", "1"), root),
            Case("googleapis", "protoc", protoc_cmd(inc, files, *PROTOC_OUTS), root),
            Case("googleapis", "protoc --descriptor_set_out",
                 lambda out: [PY, "-m", "grpc_tools.protoc", "-I.", f"-I{wkt}", f"--descriptor_set_out={out}/set.pb",
                              "--include_imports", *files], root),
        ]
        sub = sorted(f for f in files if str(Path(f).parent) in SUBSET)
        result["core-subset"] = {"files": len(sub),
                                 "messages": count_messages([ms, *[f"-I{i}" for i in inc], *sub], root)}
        cases += [
            Case("core-subset", "moonstub --grpc", moonstub_cmd(ms, inc, sub, "--grpc"), root),
            Case("core-subset", "protoc", protoc_cmd(inc, sub, *PROTOC_OUTS), root),
            Case("core-subset", "aristaproto", protoc_cmd(inc, sub, "--python_aristaproto_out"), root, env=venv_env()),
        ]
        # what the peers do with the rest of googleapis (untimed evidence for the report)
        bq = sorted(f for f in files if str(Path(f).parent) == "google/cloud/bigquery/v2")
        probe = work / "probe"
        probe.mkdir()
        proc = subprocess.run(protoc_cmd(inc, bq, "--python_aristaproto_out")(probe), cwd=root, env=venv_env(),
                              capture_output=True, text=True)
        lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip() and "warning" not in ln]
        result["notes"]["aristaproto_bigquery_v2"] = (f"exit {proc.returncode}: " + " / ".join(lines[-2:])[:400]
                                                      if proc.returncode else "ok")
        proc = subprocess.run([FORYC, "-I.", f"-I{wkt}", f"--python_out={probe}", "--grpc",
                               "google/pubsub/v1/pubsub.proto"],
                              cwd=root, capture_output=True, text=True)
        result["notes"]["foryc_pubsub"] = (f"exit {proc.returncode}: " + (proc.stderr or proc.stdout).strip()
                                           .splitlines()[-1][:300] if proc.returncode else "ok")

    synth_root = work / "synth"
    for n in sizes:
        d = synth_root / str(n)
        pfiles = synth.write_proto(n, d / "proto")
        ffiles = synth.write_fdl(n, d / "fdl")
        big = n >= 100_000
        cases += [
            Case(f"synth-proto-{n}", "moonstub --grpc", moonstub_cmd(ms, ["."], pfiles, "--grpc"), d / "proto", size=n),
            Case(f"synth-proto-{n}", "moonstub --grpc -j 1", moonstub_cmd(ms, ["."], pfiles, "--grpc", "-j", "1"),
                 d / "proto", size=n),
            Case(f"synth-proto-{n}", "protoc", protoc_cmd(["."], pfiles, *PROTOC_OUTS), d / "proto", size=n),
            Case(f"synth-proto-{n}", "aristaproto", protoc_cmd(["."], pfiles, "--python_aristaproto_out"), d / "proto",
                 env=venv_env(), size=n),
            Case(f"synth-proto-{n}", "foryc (.proto)",
                 lambda out, pf=pfiles: [FORYC, "-I.", f"--python_out={out}", "--grpc", *pf], d / "proto", size=n),
            Case(f"synth-fdl-{n}", "moonstub --grpc", moonstub_cmd(ms, ["."], ffiles, "--grpc"), d / "fdl", size=n,
                 single=big),
            Case(f"synth-fdl-{n}", "foryc", lambda out, ff=ffiles: [FORYC, "-I.", f"--python_out={out}", "--grpc", *ff],
                 d / "fdl", size=n),
        ]
    result["synth_messages"] = {str(n): n for n in sizes}

    # ---- round 1: every case; slow peers only while their growth predicts a run under the cap ----
    history: dict[str, list[tuple[int, float]]] = {}
    active: list[Case] = []
    print(f"bench_gen: round 1 ({len(cases)} cases)", flush=True)
    for case in cases:
        kind = case.workload.split("-")[1] if case.workload.startswith("synth") else case.workload
        hkey = f"{kind}|{case.peer}"
        if case.peer in SLOW and case.size:
            if case.size > MAX_SIZE.get(case.peer, 10**9):
                case.note = f"not run above {MAX_SIZE[case.peer]:,} messages (optional peer)"
                continue
            if history.get(hkey) and history[hkey][-1][1] < 0:
                case.note = "not run: failed at a smaller size"
                continue
            guess = predicted(history.get(hkey, []), case.size)
            if guess > args.slow_cap or not budget.fits(guess + 60):
                case.note = f"not run: predicted {guess:.0f} s from its smaller sizes"
                print(f"  {case.key}: {case.note}", flush=True)
                continue
            case.single = guess > 8
        if not case.single and not budget.fits(60):
            case.note = "not run: time budget used up"
            continue
        ok = runner.once(case)
        history.setdefault(hkey, []).append((case.size, case.runs[-1]["wall"] if ok else -1.0))
        if ok and not case.single:
            active.append(case)

    # ---- phases of moonstub on googleapis, once, and a perf profile ----
    if not args.no_googleapis:
        inc = [".", wkt]
        phases = [
            Case("googleapis", "moonstub --summary", moonstub_cmd(ms, inc, files, "--summary", out_flag=False), root),
            Case("googleapis", "moonstub --check --grpc (emit, no write)",
                 lambda out: [ms, "-I.", f"-I{wkt}", "--check", f"--python_out={out}/x", "--grpc", *files], root,
                 ok_codes=(0, 1)),
        ]
        result["phases"] = {}
        for case in phases:
            if budget.fits(120) and runner.once(case):
                result["phases"][case.peer] = case.runs[0]
        if shutil.which("perf") and budget.fits(150):
            result["perf"] = perf_profile(ms, wkt, files, root, work)

    # ---- further rounds, while the budget allows ----
    rounds_done = 1
    for r in range(2, args.rounds + 1):
        estimate = sum(c.runs[-1]["wall"] for c in active)
        if r > args.min_rounds and not budget.fits(estimate + 30):
            print(f"bench_gen: round {r} skipped (estimated {estimate:.0f} s, {budget.left():.0f} s left)", flush=True)
            break
        print(f"bench_gen: round {r}", flush=True)
        for case in active:
            if not budget.fits(case.runs[-1]["wall"] + 20):
                print(f"  {case.key}: skipped, out of time", flush=True)
                continue
            runner.once(case)
        rounds_done = r

    result["rounds"] = rounds_done
    result["cases"] = [{"workload": c.workload, "peer": c.peer, "size": c.size, "note": c.note, "single": c.single,
                        "out_bytes": c.out_bytes, "runs": c.runs,
                        **({k: summary([run[k] for run in c.runs]) for k in ("wall", "cpu", "rss_mb", "tree_rss_mb",
                                                                               "tree_pss_mb")}
                           if c.runs else {})}
                       for c in cases]
    result["seconds"] = time.time() - started
    write_json(args.json, result)
    shutil.rmtree(work, ignore_errors=True)
    print(f"bench_gen: done in {result['seconds']:.0f} s", flush=True)
    return 0


PERF_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[([.k])\]\s+(.+?)(?:\s{2,}.*)?$")


def categorize(dso: str, sym: str) -> str:
    s = sym
    if re.match(r"(propagatemark|sweep|enterinc|entergen|youngcollection|atomic|luaC_|freeobj|reallymarkobject|"
                r"traverse|markold|correctgraylists|singlestep|clearby|remarkupvals|convergeephemerons|"
                r"markbeingfnz|GCTM|genstep|incstep|fullgen|finishgencycle|whitelist|sweeptolive|"
                r"checkSizes|luaE_setdebt|markmt|restartcollection|cleargraylists|luaF_free|"
                r"luaH_free|luaS_remove|freeupval|deletelist|sweepgen|sweeplist)", s):
        return "Lua garbage collector"
    if s.startswith("luaH_") or s in ("mainpositionTV", "getgeneric", "insertnode", "rehash", "numusehash",
                                     "luaH_resize", "setnodevector", "reinsert", "computesizes", "countint"):
        return "Lua tables"
    if (s.startswith("luaS_") or s in ("internshrstr", "copy2buff", "luaV_concat", "tostringbuff", "luaO_tostr",
                                       "luaO_pushvfstring", "luaO_tostring")
            or s.startswith("str_") or s.startswith("luaL_addlstring") or "buff" in s.lower()):
        return "Lua strings (interning, concat, buffers, string library)"
    if s.startswith(("luaV_", "luaD_", "luaF_", "luaT_", "lua_", "luaL_", "luaK_", "luaY_", "luaX_", "luaG_",
                     "luaE_", "luaO_", "luaM_", "luaZ_", "luaU_", "aux_", "ipairs", "next", "tbl_", "sort",
                     "auxsort", "partition", "lessthan", "l_str", "math_", "tconcat", "addfield", "db_")):
        return "Lua interpreter"
    if re.match(r"(match|getcaptures|pushcapture|lp_|newcharset|pushnestedvalues|addonestring|substcap|"
                r"tablecap|simplecap|getnextcap|findopen|finddyncap|pushonenestedvalue|stringcap)", s):
        return "LPeg"
    if re.search(r"(malloc|_int_free|_int_realloc|realloc|free|cfree|tcache|unlink_chunk|"
                 r"alloc_perturb|sysmalloc|l_alloc|arena_get)", s):
        return "malloc / free"
    if dso.startswith("libc") or s.startswith("__") or re.match(r"(mem|str)[a-z]*", s):
        return "libc (memcpy, strcmp, ...)"
    if dso.startswith("[kernel") or dso == "[unknown]":
        return "kernel / unknown"
    if dso.startswith("moonstub"):
        return "moonstub C (lexer, parser, linker, output, Lua bridge)"
    return "other"


def perf_profile(ms: str, wkt: str, files: list[str], root: Path, work: Path) -> dict[str, Any]:
    data = work / "perf.data"
    out = work / "perf-out"
    out.mkdir(exist_ok=True)
    cmd = ["perf", "record", "-F", "499", "-q", "-o", str(data), "--", ms, "-I.", f"-I{wkt}",
           f"--python_out={out}", "--grpc", *files]
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0 or not data.exists():
        return {"error": (proc.stderr or "perf failed").strip().splitlines()[-1][:300]}
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "dso,symbol", "--stdio", "-q"],
                         capture_output=True, text=True)
    rows = []
    for line in rep.stdout.splitlines():
        m = PERF_LINE.match(line)
        if m:
            pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
            rows.append({"pct": pct, "dso": dso, "symbol": sym, "category": categorize(dso if kind == "." else
                                                                                        "[kernel]", sym)})
    cats: dict[str, float] = {}
    for row in rows:
        cats[row["category"]] = cats.get(row["category"], 0.0) + row["pct"]
    return {"top": rows[:15], "categories": dict(sorted(cats.items(), key=lambda kv: -kv[1])),
            "command": "perf record -F 499 moonstub ... --python_out --grpc (googleapis; the worker processes "
                       "inherit the recording, so their samples are in it)"}


if __name__ == "__main__":
    sys.exit(main())
