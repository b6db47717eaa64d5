#!/usr/bin/env python3
"""Output volume: the bytes moonstub writes for all of googleapis (every .proto
outside preview/, one invocation, --python_out: messages, its runtime module
included) against protoc's `.py` + `.pyi` for the same files
(`python -m grpc_tools.protoc --python_out --pyi_out`), both run once.

With --gen-json (bench_gen.py's results of the same run, as report.py passes
it), moonstub's figure is taken from there (its googleapis `moonstub` case
measures the same invocation's output) instead of running it again.

Usage: bench_output.py --moonstub BIN --corpus DIR [--gen-json GEN.json] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchutil import RunError, run_measured, write_json  # noqa: E402


def by_suffix(root: Path) -> dict[str, dict[str, int]]:
    """{suffix: {"files": n, "bytes": n}} of every file under root."""
    out: dict[str, dict[str, int]] = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            suffix = Path(name).suffix or "(none)"
            row = out.setdefault(suffix, {"files": 0, "bytes": 0})
            row["files"] += 1
            row["bytes"] += os.path.getsize(os.path.join(dirpath, name))
    return out


def total(rows: dict[str, dict[str, int]]) -> int:
    return sum(r["bytes"] for r in rows.values())


def from_gen_json(path: Path | None, n_files: int) -> dict[str, Any] | None:
    if not path or not path.exists():
        return None
    gen = json.loads(path.read_text())
    if (gen.get("googleapis") or {}).get("files") != n_files:
        return None
    for c in gen.get("cases", []):
        if c["workload"] == "googleapis" and c["peer"] == "moonstub" and c.get("runs") and c.get("out_bytes"):
            return {"bytes": c["out_bytes"], "source": f"{path.name} (googleapis, moonstub --python_out)",
                    "wall_s": c["wall"]["median"]}
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--gen-json", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.time()
    root = (args.corpus / "googleapis").resolve()
    wkt = str((args.corpus / "protobuf" / "src").resolve())
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto") if p.relative_to(root).parts[0] != "preview")
    result: dict[str, Any] = {"files": len(files)}
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        work = Path(tmp)
        reused = from_gen_json(args.gen_json, len(files))
        if reused:
            result["moonstub"] = reused
        else:
            out = work / "moonstub"
            out.mkdir()
            try:
                m = run_measured([str(args.moonstub.resolve()), "-I.", f"-I{wkt}", f"--python_out={out}", *files],
                                 cwd=root)
            except RunError as e:
                sys.exit(f"bench_output: moonstub failed: {e}")
            rows = by_suffix(out)
            result["moonstub"] = {"bytes": total(rows), "by_suffix": rows, "source": "measured here",
                                  "wall_s": m["wall"]}
            shutil.rmtree(out)
        out = work / "protoc"
        out.mkdir()
        try:
            m = run_measured([sys.executable, "-m", "grpc_tools.protoc", "-I.", f"-I{wkt}", f"--python_out={out}",
                              f"--pyi_out={out}", *files], cwd=root)
        except RunError as e:
            sys.exit(f"bench_output: protoc failed: {e}")
        rows = by_suffix(out)
        result["protoc"] = {"bytes": total(rows), "by_suffix": rows, "command": "--python_out --pyi_out",
                            "wall_s": m["wall"]}
    result["ratio"] = result["moonstub"]["bytes"] / max(1, result["protoc"]["bytes"])
    result["seconds"] = time.time() - started
    write_json(args.json, result)
    p = result["protoc"]["by_suffix"]
    print(f"bench_output: googleapis ({len(files):,} files): moonstub {result['moonstub']['bytes'] / 1e6:,.1f} MB "
          f"({result['moonstub']['source']}); protoc .py {p.get('.py', {}).get('bytes', 0) / 1e6:,.1f} MB + .pyi "
          f"{p.get('.pyi', {}).get('bytes', 0) / 1e6:,.1f} MB = {result['protoc']['bytes'] / 1e6:,.1f} MB; "
          f"moonstub / protoc {result['ratio']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
