#!/usr/bin/env python3
"""Sort the protobuf corpus into files protoc accepts and files it rejects.

Usage: classify_protobuf.py OUTDIR [--corpus DIR] [--jobs N]

Every ``.proto`` under ``CORPUS/src/google/protobuf/`` and
``CORPUS/editions/golden/`` is compiled on its own with
``python -m grpc_tools.protoc`` (the interpreter running this script), so the
reference compiler is always the one whose descriptors compare_model.py loads.

Import roots, in order (the first is the file's *primary* root, the one its
virtual path is relative to):

* ``src/google/protobuf/**``: ``CORPUS/src``.
* ``editions/golden/**``: ``CORPUS`` itself, because the golden files import
  each other as ``editions/golden/<name>.proto``; then ``CORPUS/src`` for
  ``google/protobuf/*.proto``.  If that fails, the file's own folder (bare
  file name) is tried as a fallback before the file is declared rejected.
* ``python -m grpc_tools.protoc`` always appends its bundled include folder
  (``grpc_tools/_proto``: the well-known types plus cpp/java/go features)
  as the last root; there is no way to switch that off.

Outputs in OUTDIR:

* ``accepted.txt``: ``ROOT<TAB>VIRTUAL_PATH<TAB>DESCRIPTOR_SET`` per line,
  DESCRIPTOR_SET relative to OUTDIR (``descriptors/<path in corpus>.pb``,
  written with ``--include_imports``).
* ``rejected.txt``: ``ROOT<TAB>VIRTUAL_PATH<TAB>FIRST_ERROR_LINE`` per line
  (ROOT/VIRTUAL_PATH of the first, canonical, attempt).
* ``extra_roots.txt``: the roots that followed ROOT on every protoc command
  line (``CORPUS/src`` and grpc_tools' bundled folder), one per line; pass
  the same ``-I`` list to moonstub.

The corpus root defaults to $MOONSTUB_PROTOBUF_CORPUS, else /tmp/corpus/protobuf.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_CORPUS = "/tmp/corpus/protobuf"


@dataclass(frozen=True)
class Attempt:
    """One way of naming a file to protoc: primary root + virtual path."""

    root: Path
    vpath: str


@dataclass(frozen=True)
class Job:
    disk_path: Path  # relative to the corpus root; names the descriptor set
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True)
class Outcome:
    job: Job
    attempt: Attempt  # the accepted attempt, or the first one if all failed
    accepted: bool
    error: str  # first protoc error line when rejected, else ""


def bundled_include() -> Path:
    """The folder `python -m grpc_tools.protoc` silently appends with -I."""
    return Path(str(resources.files("grpc_tools") / "_proto")).resolve()


def discover(corpus: Path) -> list[Job]:
    src = corpus / "src"
    jobs: list[Job] = []
    for path in sorted((src / "google" / "protobuf").rglob("*.proto")):
        jobs.append(
            Job(path.relative_to(corpus), (Attempt(src, path.relative_to(src).as_posix()),))
        )
    for path in sorted((corpus / "editions" / "golden").rglob("*.proto")):
        jobs.append(
            Job(
                path.relative_to(corpus),
                (
                    Attempt(corpus, path.relative_to(corpus).as_posix()),
                    Attempt(path.parent, path.name),
                ),
            )
        )
    return jobs


def first_error(stderr: str) -> str:
    """First diagnostic line that is not a mere warning."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "warning:" not in line.lower():
            return line
    return lines[0] if lines else "protoc failed without a message"


def run_job(job: Job, corpus: Path, outdir: Path) -> Outcome:
    src = corpus / "src"
    out = outdir / "descriptors" / (job.disk_path.as_posix() + ".pb")
    out.parent.mkdir(parents=True, exist_ok=True)
    first_failure = ""
    for attempt in job.attempts:
        roots = [attempt.root] + ([src] if attempt.root != src else [])
        cmd = [sys.executable, "-m", "grpc_tools.protoc"]
        cmd += [f"-I{root}" for root in roots]
        cmd += [f"--descriptor_set_out={out}", "--include_imports", attempt.vpath]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0:
            return Outcome(job, attempt, True, "")
        if not first_failure:
            first_failure = first_error(proc.stderr)
    out.unlink(missing_ok=True)
    return Outcome(job, job.attempts[0], False, first_failure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("MOONSTUB_PROTOBUF_CORPUS", DEFAULT_CORPUS)),
        help="protobuf corpus root (holds src/ and editions/)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel protoc runs")
    args = parser.parse_args()

    corpus: Path = args.corpus.resolve()
    outdir: Path = args.outdir.resolve()
    if not (corpus / "src" / "google" / "protobuf").is_dir():
        print(f"classify_protobuf: no src/google/protobuf under {corpus}", file=sys.stderr)
        return 2
    outdir.mkdir(parents=True, exist_ok=True)

    jobs = discover(corpus)
    started = time.monotonic()
    # Threads are enough: each one just waits on its protoc child process.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda job: run_job(job, corpus, outdir), jobs))
    elapsed = time.monotonic() - started

    accepted = [o for o in outcomes if o.accepted]
    rejected = [o for o in outcomes if not o.accepted]
    with open(outdir / "accepted.txt", "w", encoding="utf-8") as fh:
        for o in accepted:
            desc = f"descriptors/{o.job.disk_path.as_posix()}.pb"
            fh.write(f"{o.attempt.root}\t{o.attempt.vpath}\t{desc}\n")
    with open(outdir / "rejected.txt", "w", encoding="utf-8") as fh:
        for o in rejected:
            fh.write(f"{o.attempt.root}\t{o.attempt.vpath}\t{o.error}\n")
    with open(outdir / "extra_roots.txt", "w", encoding="utf-8") as fh:
        fh.write(f"{corpus / 'src'}\n{bundled_include()}\n")

    print(
        f"classify_protobuf: {len(accepted)} accepted, {len(rejected)} rejected "
        f"of {len(outcomes)} files in {elapsed:.1f}s -> {outdir}"
    )
    for o in rejected:
        print(f"  rejected {o.job.disk_path}: {o.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
