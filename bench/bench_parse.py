#!/usr/bin/env python3
"""Parse-and-link benchmark: all of googleapis (outside preview/) in one run,
moonstub against protoc (--descriptor_set_out --include_imports) on the same
files in the same run. Reports medians of several alternating repetitions and
the ratio, and writes bench/parse.md.

Usage: bench_parse.py --moonstub BIN --corpus DIR [--repeat N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"bench: {cmd[0]} failed:\n{result.stderr[:2000]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = (args.corpus / "googleapis").resolve()
    wkt = (args.corpus / "protobuf" / "src").resolve()
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto")
                   if p.relative_to(root).parts[0] != "preview")
    moonstub = [str(args.moonstub.resolve()), "-I.", f"-I{wkt}", *files]
    with tempfile.TemporaryDirectory() as tmp:
        protoc = [sys.executable, "-m", "grpc_tools.protoc", "-I.", f"-I{wkt}",
                  f"--descriptor_set_out={tmp}/out.pb", "--include_imports", *files]
        ours, theirs = [], []
        for _ in range(args.repeat):  # alternate, so load on a shared machine hits both
            ours.append(timed(moonstub, root))
            theirs.append(timed(protoc, root))
    m, p = statistics.median(ours), statistics.median(theirs)
    version = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "--version"], capture_output=True,
                             text=True).stdout.strip()
    lines = [
        "# Parse and link: googleapis",
        "",
        f"{len(files)} files outside `preview/`, one invocation each, {args.repeat} alternating runs, median "
        f"(min-max) in seconds. Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, protoc {version} (grpcio-tools).",
        "",
        "| tool | median s | spread s | vs protoc |",
        "| --- | --- | --- | --- |",
        f"| moonstub (parse + link) | {m:.3f} | {min(ours):.3f}-{max(ours):.3f} | {p / m:.1f}x faster |",
        f"| protoc --descriptor_set_out | {p:.3f} | {min(theirs):.3f}-{max(theirs):.3f} | 1.0x |",
        "",
        "Regenerate with `make bench`.",
    ]
    report = "\n".join(lines) + "\n"
    (HERE / "parse.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
