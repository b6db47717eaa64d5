#!/usr/bin/env python3
"""Generated Python for all of googleapis (outside preview/), in one moonstub
run: every module must import, and a fixed sample of packages must pass
`mypy --strict`.

Usage: check_python.py --moonstub BIN --corpus DIR --work DIR [--sample N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

IMPORT_ALL = """
import importlib, os, sys
d = sys.argv[1]
sys.path.insert(0, d)
bad = []
for name in sorted(f[:-3] for f in os.listdir(d) if f.endswith(".py")):
    try:
        importlib.import_module(name)
    except Exception as exc:
        bad.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(bad[:20]))
sys.exit(1 if bad else 0)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--sample", type=int, default=60)
    args = parser.parse_args()
    root = (args.corpus / "googleapis").resolve()
    wkt = (args.corpus / "protobuf" / "src").resolve()
    out = (args.work / "googleapis-python").resolve()
    shutil.rmtree(out, ignore_errors=True)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto")
                   if p.relative_to(root).parts[0] != "preview")
    start = time.perf_counter()
    result = subprocess.run([str(args.moonstub.resolve()), "-I.", f"-I{wkt}", f"--python_out={out}", *files],
                            cwd=root, capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stderr[:5000])
        print("check_python: generation failed")
        return 1
    modules = sorted(p.name for p in out.glob("*.py"))
    print(f"check_python: generated {len(modules)} modules from {len(files)} files in {took:.1f} s")
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL, str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout, result.stderr[-3000:])
        print("check_python: some generated modules do not import")
        return 1
    print(f"check_python: all {len(modules)} modules import")
    # a fixed, spread-out sample: every k-th module by name
    candidates = [m for m in modules if m != "_moonstub.py"]
    step = max(1, len(candidates) // args.sample)
    sample = candidates[::step][: args.sample]
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *sample],
                            cwd=out, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-5000:])
        print("check_python: mypy --strict failed on the sample")
        return 1
    print(f"check_python: mypy --strict passes on {len(sample)} packages (and what they import)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
