#!/usr/bin/env python3
"""The corpus suite of `make test`.

1. googleapis: every .proto outside preview/, in ONE moonstub invocation, must
   link with no error; the --dump-model output must agree with protoc's
   descriptor set for the same files (compare_model.py).
2. protobuf's own schemas: each file protoc accepts must link with moonstub and
   agree with protoc; each file protoc rejects must be rejected by moonstub
   (exit status 1 and an error on stderr).

Usage: run_corpus.py --moonstub BIN --corpus DIR --work DIR
(DIR holds googleapis/ and protobuf/ as unpacked from ../shared/corpus.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare_model  # noqa: E402


def grpc_tools_include() -> str:
    return str(resources.files("grpc_tools") / "_proto")


def protoc(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grpc_tools.protoc", *args], cwd=cwd,
                          capture_output=True, text=True)


def check_googleapis(moonstub: Path, corpus: Path, work: Path) -> bool:
    root = corpus / "googleapis"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto")
                   if "preview" not in p.relative_to(root).parts[:1])
    wkt = str(corpus / "protobuf" / "src")
    descriptors = work / "googleapis.pb"
    if not descriptors.exists():
        result = protoc(["-I.", f"-I{wkt}", f"--descriptor_set_out={descriptors}", "--include_imports",
                         *files], root)
        if result.returncode != 0:
            print(result.stderr)
            print("corpus: protoc failed on googleapis")
            return False
    model = work / "googleapis.json"
    with open(model, "w") as out:
        result = subprocess.run([str(moonstub), "-I.", f"-I{wkt}", "--dump-model", *files], cwd=root,
                                stdout=out, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0 or "error:" in result.stderr:
        print(result.stderr[:5000])
        print(f"corpus: moonstub failed on googleapis ({len(files)} files)")
        return False
    status = compare_model.main([str(model), str(descriptors), *sum((["--target", f] for f in files), [])])
    print(f"corpus: googleapis, {len(files)} files in one run: {'OK' if status == 0 else 'MISMATCH'}")
    return status == 0


def read_table(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if line.strip()]


def check_protobuf(moonstub: Path, corpus: Path, work: Path) -> bool:
    out = work / "protobuf"
    if not (out / "accepted.txt").exists():
        subprocess.run([sys.executable, str(HERE / "classify_protobuf.py"), str(out),
                        "--corpus", str(corpus / "protobuf")], check=True)
    extra = [line for line in (out / "extra_roots.txt").read_text().splitlines() if line]
    extra = [grpc_tools_include() if line.endswith("grpc_tools/_proto") else line for line in extra]
    ok = True
    accepted = read_table(out / "accepted.txt")
    rejected = read_table(out / "rejected.txt")
    for root, vpath, descriptor in accepted:
        roots = [f"-I{r}" for r in [root, *extra]]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as model:
            result = subprocess.run([str(moonstub), *roots, "--dump-model", vpath], stdout=model,
                                    stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            print(result.stderr[:3000])
            print(f"corpus: moonstub rejected {vpath}, which protoc accepts")
            ok = False
        elif compare_model.main([model.name, str(out / descriptor), "--target", vpath]) != 0:
            print(f"corpus: model of {vpath} differs from protoc's")
            ok = False
        os.unlink(model.name)
    for root, vpath, reason in rejected:
        roots = [f"-I{r}" for r in [root, *extra]]
        result = subprocess.run([str(moonstub), *roots, "--dump-model", vpath], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 1 or "error:" not in result.stderr:
            print(f"corpus: moonstub accepted {vpath}, which protoc rejects ({reason})")
            ok = False
    print(f"corpus: protobuf, {len(accepted)} accepted and {len(rejected)} rejected by protoc: "
          f"{'OK' if ok else 'MISMATCH'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    moonstub = args.moonstub.resolve()
    corpus = args.corpus.resolve()
    work = args.work.resolve()
    ok = check_googleapis(moonstub, corpus, work)
    ok = check_protobuf(moonstub, corpus, work) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
