#!/usr/bin/env python3
"""Import benchmark: what it costs a program to import the generated Python of
a large schema, googleapis' google/cloud/compute/v1/compute.proto (about
2,000 messages), as written by moonstub (--python_out), by protoc
(`python -m grpc_tools.protoc --python_out`, a `_pb2` module for the upb
backend) and by Buf's protobuf-py (protoc-gen-py, `--py_out`). Each writes
compute.proto and the files it imports (protoc's and protobuf-py's
well-known types come with their runtimes).

Every measurement is one fresh interpreter that imports the module (the
compute module of each, which imports the rest) and reports:
  import s   time.perf_counter() around the import statement, in the child
  wall s     the whole child process, interpreter start-up included, from here
  RSS MiB    peak RSS of the child right after the import
             (getrusage(RUSAGE_SELF).ru_maxrss)
  first use  encoding and decoding an empty compute.v1 Instance after the
             import (a runtime that builds codecs lazily pays for them here)
in two states:
  cold       no __pycache__ anywhere in the generated tree, bytecode writing
             allowed: the import compiles every module and writes its .pyc
  warm       the .pyc written by the cold run are there (several runs)
The environment sets PYTHONDONTWRITEBYTECODE=1; it (and PYTHONPYCACHEPREFIX)
is removed from every child's environment. MOONSTUB_CODEC is passed through
as it is (unset: the runtime's default).

Peers take turns within each round (cold then warm runs of one peer, then the
next peer); medians over rounds with min-max; ratios moonstub/peer are the
medians of the per-round ratios. protobuf-py's generator takes about a minute
on compute.proto, so its output is cached under build/bench-cache/, keyed by
its version and the schema files' contents.

Writes bench/import.md and, with --json, the raw numbers.

Usage: bench_import.py --moonstub BIN --corpus DIR [--rounds N] [--warm N] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from benchutil import Budget, summary, tree_bytes, venv_env, write_json  # noqa: E402

TARGET = "google/cloud/compute/v1/compute.proto"
PEERS = ["moonstub", "protoc _pb2", "protobuf-py"]
MODULE = {"moonstub": "google_cloud_compute_v1", "protoc _pb2": "google.cloud.compute.v1.compute_pb2",
          "protobuf-py": "google.cloud.compute.v1.compute_pb"}
CACHE = REPO / "build" / "bench-cache"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
mod = __import__(sys.argv[2], fromlist=["_"])
t1 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
first = None
try:
    cls = mod.Instance
    t2 = time.perf_counter()
    if sys.argv[3] == "binary":
        cls.from_binary(cls().to_binary())
    else:
        cls.FromString(cls().SerializeToString())
    first = time.perf_counter() - t2
except Exception as e:  # noqa: BLE001
    print(f"first use failed: {type(e).__name__}: {e}", file=sys.stderr)
print(json.dumps({"import_s": t1 - t0, "rss_mb": rss / 1024, "first_use_s": first,
                  "rss_after_use_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"):
        env.pop(k, None)
    return env


def drop_pycache(root: Path) -> None:
    for d in list(root.rglob("__pycache__")):
        shutil.rmtree(d, ignore_errors=True)


def pyc_written(root: Path) -> dict[str, int]:
    pycs = list(root.rglob("*.pyc"))
    return {"files": len(pycs), "bytes": sum(p.stat().st_size for p in pycs)}


def measure(root: Path, module: str, env: dict[str, str]) -> dict[str, Any]:
    # through sh, which forks it: a child forked from this process directly would inherit this process's peak RSS
    # as its own ru_maxrss (Linux keeps it across fork and exec); sh's is a few MiB
    api = "binary" if module.endswith("_pb") else "string"  # protobuf-py: to_binary/from_binary
    cmd = ["sh", "-c", '"$@"; exit $?', "sh", sys.executable, "-c", CHILD, str(root), module, api]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"import of {module} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def schema_files(moonstub: Path, incs: list[str]) -> tuple[list[str], int]:
    """compute.proto and its imports outside google/protobuf, and its message count (no map entries)."""
    proc = subprocess.run([str(moonstub), *incs, "--dump-model", TARGET], capture_output=True, text=True, check=True)
    model = json.loads(proc.stdout)

    def count(ms: list[dict[str, Any]]) -> int:
        return sum(0 if m.get("is_map_entry") else 1 + count(m.get("messages", [])) for m in ms)

    files = [f["path"] for f in model["files"] if not f["path"].startswith("google/protobuf/")]
    messages = sum(count(f.get("messages", [])) for f in model["files"] if f["path"] == TARGET)
    return files, messages


def protoc(incs: list[str], flags: list[str], files: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", *incs, *flags, *files], env=venv_env(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"protoc {' '.join(flags)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def generate(moonstub: Path, corpus: Path, work: Path) -> dict[str, Any]:
    root = corpus / "googleapis"
    wkt = corpus / "protobuf" / "src"
    incs = [f"-I{root}", f"-I{wkt}"]
    files, messages = schema_files(moonstub, incs)
    info: dict[str, Any] = {"files": files, "messages": messages, "gen_s": {}, "bytes": {}, "cached": {}}
    out = work / "moonstub"
    out.mkdir(parents=True)
    start = time.perf_counter()
    subprocess.run([str(moonstub), *incs, f"--python_out={out}", TARGET], check=True, capture_output=True)
    info["gen_s"]["moonstub"] = time.perf_counter() - start
    out = work / "protoc _pb2"
    out.mkdir()
    info["gen_s"]["protoc _pb2"] = protoc(incs, [f"--python_out={out}"], files)
    # protobuf-py: cached by generator version and inputs
    from importlib import metadata

    h = hashlib.sha256()
    for name in ("protoc-gen-py", "protobuf-py", "grpcio-tools"):
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=none;".encode())
    for f in files:
        h.update(f.encode() + b"\0" + (root / f).read_bytes())
    cached = CACHE / f"import-protobuf-py-{h.hexdigest()[:16]}"
    out = work / "protobuf-py"
    if not cached.exists():
        tmp = CACHE / f".tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        seconds = protoc(incs, [f"--py_out={tmp}"], files)
        (tmp / "bench-gen-seconds.txt").write_text(f"{seconds}\n")
        for old in CACHE.glob("import-protobuf-py-*"):
            shutil.rmtree(old, ignore_errors=True)
        tmp.rename(cached)
        info["cached"]["protobuf-py"] = False
    else:
        info["cached"]["protobuf-py"] = True
    shutil.copytree(cached, out, ignore=shutil.ignore_patterns("__pycache__", "bench-gen-seconds.txt"))
    info["gen_s"]["protobuf-py"] = float((cached / "bench-gen-seconds.txt").read_text())
    for p in PEERS:
        info["bytes"][p] = tree_bytes(work / p)
    return info


def paired(num: list[float], den: list[float]) -> dict[str, float]:
    rs = [a / b for a, b in zip(num, den)]
    return {"median": statistics.median(rs), "min": min(rs), "max": max(rs), "n": len(rs)}


def render(data: dict[str, Any]) -> str:
    st = data["stats"]
    lines = ["# Import: google/cloud/compute/v1", "",
             f"`{TARGET}` ({data['messages']:,} messages) and its imports; {data['rounds']} rounds, "
             f"{data['warm_runs']} warm runs each. Median (min-max). "
             "See bench/bench_import.py and bench/REPORT.md.", "",
             "| peer | state | import s | wall s | peak RSS MiB | first use ms | written MB | .pyc MB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in PEERS:
        for state in ("cold", "warm"):
            s = st[p][state]
            fu = s.get("first_use_s")
            fu_ms = f"{fu['median'] * 1e3:.2f}" if fu else "—"
            pyc = data["pyc_written"].get(p, {})
            lines.append(f"| {p} | {state} | {s['import_s']['median']:.3f} ({s['import_s']['min']:.3f}-"
                         f"{s['import_s']['max']:.3f}) | {s['wall_s']['median']:.3f} | {s['rss_mb']['median']:,.0f} | "
                         f"{fu_ms} | {data['bytes'][p] / 1e6:.1f} | {pyc.get('bytes', 0) / 1e6:.1f} |")
    lines += ["", "moonstub / peer (per-round ratios):", "", "| peer | state | import time | peak RSS |",
              "| --- | --- | --- | --- |"]
    for p, r in data["ratios"].items():
        for state in ("cold", "warm"):
            t, m = r[state]["import_s"], r[state]["rss_mb"]
            lines.append(f"| {p} | {state} | {t['median']:.2f} ({t['min']:.2f}-{t['max']:.2f}) | "
                         f"{m['median']:.2f} ({m['min']:.2f}-{m['max']:.2f}) |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=3, help="warm runs per peer and round")
    parser.add_argument("--budget", type=float, default=180.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    budget = Budget(args.budget)
    started = time.time()
    env = child_env()
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {p: {"cold": [], "warm": []} for p in PEERS}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        info = generate(args.moonstub.resolve(), args.corpus.resolve(), work)
        print(f"bench_import: generated in {', '.join(f'{p} {s:.1f} s' for p, s in info['gen_s'].items())}"
              f"{' (protobuf-py from the cache)' if info['cached'].get('protobuf-py') else ''}", flush=True)
        for r in range(args.rounds):
            t0 = time.time()
            for p in PEERS:
                root = work / p
                drop_pycache(root)
                cold = measure(root, MODULE[p], env)
                if r == 0:
                    info.setdefault("pyc_written", {})[p] = pyc_written(root)
                warm = [measure(root, MODULE[p], env) for _ in range(args.warm)]
                runs[p]["cold"].append(cold)
                # a round's warm figure: the median of its warm runs
                runs[p]["warm"].append({k: statistics.median([w[k] for w in warm if w[k] is not None])
                                        if any(w[k] is not None for w in warm) else None for k in warm[0]})
            took = time.time() - t0
            print(f"bench_import: round {r + 1} took {took:.0f} s", flush=True)
            if r + 1 >= args.min_rounds and not budget.fits(took * 1.2):
                break
    rounds = len(runs["moonstub"]["cold"])
    keys = ("import_s", "wall_s", "rss_mb", "first_use_s", "rss_after_use_mb")
    stats = {p: {state: {k: summary(vals) for k in keys
                         if (vals := [x[k] for x in runs[p][state] if x[k] is not None])}
                 for state in ("cold", "warm")} for p in PEERS}
    ratios = {p: {state: {k: paired([x[k] for x in runs["moonstub"][state]], [x[k] for x in runs[p][state]])
                          for k in ("import_s", "wall_s", "rss_mb")}
                  for state in ("cold", "warm")} for p in PEERS if p != "moonstub"}
    data = {"target": TARGET, "peers": PEERS, "modules": MODULE, "rounds": rounds, "warm_runs": args.warm,
            "messages": info["messages"], "files": info["files"], "gen_s": info["gen_s"], "bytes": info["bytes"],
            "cached": info["cached"], "pyc_written": info.get("pyc_written", {}), "stats": stats, "ratios": ratios,
            "runs": runs, "moonstub_codec": os.environ.get("MOONSTUB_CODEC", "(unset)"),
            "seconds": time.time() - started}
    write_json(args.json, data)
    report = render(data)
    (HERE / "import.md").write_text(report + "\nRegenerate with `make bench`.\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
