"""Shared helpers of the benchmarks: timing a child process with its peak
memory (os.wait4), medians and spreads, a wall-clock budget, JSON output."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def venv_env(**extra: str) -> dict[str, str]:
    """The environment with the venv's bin first on PATH (protoc plugins, ruff)."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra)
    return env


class RunError(RuntimeError):
    pass


def run_measured(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                 ok_codes: tuple[int, ...] = (0,), stdout: Any = subprocess.DEVNULL) -> dict[str, float]:
    """Run cmd; return wall seconds, CPU seconds (user + sys of the child and
    every descendant it waited for, from wait4) and peak RSS in MiB of the
    largest process of the tree. The RSS comes from GNU time (/usr/bin/time
    -f %M) when it is installed: a child forked from this (large) Python
    process would otherwise report the parent's size as its own peak."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        prefix = [TIME, "-f", "%M", "-o", rss.name] if TIME else []
        start = time.perf_counter()
        proc = subprocess.Popen(prefix + list(cmd), cwd=cwd, env=env, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok_codes:
            err.seek(0)
            tail = err.read()[-3000:].decode(errors="replace")
            raise RunError(f"{cmd[0]} ... exited {proc.returncode}:\n{tail}")
        kib = float(usage.ru_maxrss)
        if TIME:
            lines = [ln for ln in rss.read().split() if ln.isdigit()]
            kib = float(lines[-1]) if lines else kib
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": kib / 1024}


def summary(values: Sequence[float]) -> dict[str, float]:
    """median, min, max and n of a list of samples."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


class Budget:
    """A wall-clock deadline: BENCH_DEADLINE (epoch seconds, set by report.py)
    or now + default seconds."""

    def __init__(self, default_seconds: float, deadline: float | None = None) -> None:
        env = os.environ.get("BENCH_DEADLINE")
        self.deadline = deadline or (float(env) if env else time.time() + default_seconds)

    def left(self) -> float:
        return self.deadline - time.time()

    def fits(self, seconds: float) -> bool:
        return self.left() > seconds


def write_json(path: Path | None, data: Any) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total
