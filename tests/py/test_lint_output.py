"""Readable, lint-clean output: generated modules pass ruff (E, F, W at 120
columns) and mypy --strict, on the greeter in every mode and on a googleapis
subset (pubsub, spanner and long-running operations with their gRPC
companions, compute's messages for the long names)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import support

GREETER = support.REPO / "examples" / "greeter"
GOOGLEAPIS = support.CORPUS.parent / "googleapis"
BIN = Path(sys.executable).parent
RUFF = [str(BIN / "ruff"), "check", "--no-cache", "--isolated", "--select", "E,F,W", "--line-length", "120"]


def mypy(folder: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPYPATH=os.pathsep.join(p for p in sys.path if p.endswith("build/py")))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           *targets], capture_output=True, text=True, cwd=folder, env=env, timeout=600, check=False)


def ruff(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUFF, "."], capture_output=True, text=True, cwd=folder, timeout=300, check=False)


@pytest.mark.parametrize("flags", [
    ("--grpc-python-mode=aio",), ("--grpc-python-mode=sync",), ("--rules=aristaproto",),
    ("--rules=aristaproto", "--opt", "client_generation=sync_async", "--opt", "server_generation=async"),
])
def test_greeter(tmp_path: Path, flags: tuple[str, ...]) -> None:
    out = support.generate(tmp_path / "out", [GREETER], ["greeter.proto"], "--grpc", *flags)
    result = ruff(out)
    assert result.returncode == 0, result.stdout
    if "--rules=aristaproto" in flags:
        # package folders, imported relatively: the output folder is a package
        (out / "__init__.py").touch()
        result = mypy(tmp_path, "-p", "out")
    else:
        result = mypy(out, ".")
    assert result.returncode == 0, result.stdout


def test_googleapis_subset(tmp_path: Path) -> None:
    if not GOOGLEAPIS.is_dir():
        pytest.skip("googleapis corpus not unpacked")
    files = ["google/pubsub/v1/pubsub.proto", "google/spanner/v1/spanner.proto",
             "google/longrunning/operations.proto", "google/cloud/compute/v1/compute.proto"]
    out = support.generate(tmp_path / "out", [GOOGLEAPIS, support.CORPUS / "src"], files, "--grpc")
    result = ruff(out)
    assert result.returncode == 0, result.stdout[-3000:]
    # the longest lines the wrapping has to deal with are in compute; mypy reads the others
    result = mypy(out, "google_pubsub_v1_grpc.py", "google_spanner_v1_grpc.py", "google_longrunning_grpc.py")
    assert result.returncode == 0, result.stdout[-3000:]


def test_fory_greeter(tmp_path: Path) -> None:
    """The Fory-codec modules (.fdl): lint-clean, imports only what they use, and the insertion points
    other emitters write at (imports, every dataclass, the module's end)."""
    out = support.generate(tmp_path / "out", [GREETER], ["greeter.fdl"], "--grpc")
    result = ruff(out)
    assert result.returncode == 0, result.stdout
    text = (out / "demo_greeter.py").read_text()
    assert "from enum import" not in text and "from typing import" not in text  # the greeter needs neither
    assert "import pyfory\n# @@protoc_insertion_point(imports)\n" in text
    for message in ("HelloRequest", "HelloReply"):
        assert f"    # @@protoc_insertion_point(class_scope:demo.greeter.{message})\n" in text
    assert text.endswith("\n\n\n# @@protoc_insertion_point(module_scope)\n")


FORY_UPSTREAM = Path(__file__).parent / "fory" / "schemas" / "upstream" / "idl"


@pytest.mark.parametrize("schema", sorted(p.name for p in FORY_UPSTREAM.glob("*.fdl")))
def test_fory_upstream_schemas(tmp_path: Path, schema: str) -> None:
    """Fory's own schemas (unions, collections, long type names): lint-clean at 120 columns."""
    out = support.generate(tmp_path / "out", [FORY_UPSTREAM], [schema], "--grpc")
    result = ruff(out)
    assert result.returncode == 0, result.stdout


def test_googleapis_subset_aristaproto_layout(tmp_path: Path) -> None:
    """aristaproto's layout (joined comments as docstrings, field annotations with theirs, deprecation
    checks): lint-clean and typed on pubsub and spanner, whose comments are long."""
    if not GOOGLEAPIS.is_dir():
        pytest.skip("googleapis corpus not unpacked")
    files = ["google/pubsub/v1/pubsub.proto", "google/pubsub/v1/schema.proto", "google/spanner/v1/spanner.proto"]
    out = support.generate(tmp_path / "out", [GOOGLEAPIS, support.CORPUS / "src"], files, "--grpc",
                           "--rules=aristaproto")
    result = ruff(out)
    assert result.returncode == 0, result.stdout[-3000:]
    text = (out / "google" / "pubsub" / "v1" / "__init__.py").read_text()
    assert "    ack_deadline_seconds: int\n    \"\"\"\n" in text  # a field and its comment below it
    (out / "__init__.py").touch()
    result = mypy(tmp_path, "-p", "out.google.pubsub.v1")
    assert result.returncode == 0, result.stdout[-3000:]
