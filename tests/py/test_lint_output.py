"""Readable, lint-clean output: generated modules pass ruff (E, F, W at 120
columns) and mypy --strict, on the greeter in every mode and on a googleapis
subset (pubsub, spanner and long-running operations with their gRPC
companions, compute's messages for the long names). Every line of the golden
googleapis subset, in both configurations, is within 120 columns: only string
literals may be longer, and `# noqa: E501` marks only what cannot be broken."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
import tokenize
import typing
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
    # grpclib clients and bases (aristaproto's defaults for async code)
    ("--rules=aristaproto", "--opt", "client_generation=async_sync", "--opt", "server_generation=async"),
    ("--rules=aristaproto", "--opt", "client_generation=async", "--opt", "client_async_transport=grpcio",
     "--opt", "server_generation=async", "--opt", "server_async_transport=grpcio"),
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


COMPANION_EMITTER = """
local M = {}
function M.emit(ctx)
  for _, output in ipairs(ctx.outputs) do
    if output.kind == "grpc" then
      ctx:insert(output.path, "imports", "import json")
      ctx:insert(output.path, "module_scope", "COMPANION = json.dumps(" .. string.format("%q", output.path) .. ")")
    end
  end
end
return M
"""


@pytest.mark.parametrize(("schema", "flags"), [
    ("greeter.proto", ()), ("greeter.proto", ("--grpc-python-mode=sync",)),
    ("greeter.proto", ("--rules=aristaproto",)),
    ("greeter.proto", ("--rules=aristaproto", "--opt", "client_generation=sync_async",
                       "--opt", "server_generation=async")),
    ("greeter.fdl", ()),
])
def test_grpc_companion_insertion_points(tmp_path: Path, schema: str, flags: tuple[str, ...]) -> None:
    """gRPC companions have the `imports` and `module_scope` points of the message modules; what is
    inserted there stays lint-clean."""
    emitter = tmp_path / "companion.lua"
    emitter.write_text(COMPANION_EMITTER)
    out = support.generate(tmp_path / "out", [GREETER], [schema], "--grpc", "--emitter", str(emitter), *flags)
    companions = sorted(p for p in out.rglob("*_grpc.py") if not p.name.startswith("_moonstub"))
    assert companions
    for path in companions:
        text = path.read_text()
        assert text.count("# @@protoc_insertion_point(") == 2
        assert "\nimport json\n# @@protoc_insertion_point(imports)\n\n" in text
        name = path.relative_to(out).as_posix()
        assert text.endswith(f'\n\n\nCOMPANION = json.dumps("{name}")\n# @@protoc_insertion_point(module_scope)\n')
    result = ruff(out)
    assert result.returncode == 0, result.stdout


# ---- every line within 120 columns -------------------------------------------------------------

LIMIT = 120
# what a line marked for E501 may hold: an insertion marker, a name (or `.name`) longer than its
# line leaves room for, an enum member whose name alone is too long
UNBREAKABLE = re.compile(r"(# @@protoc_insertion_point\(.*\)|\.?[A-Za-z_]\w*|[A-Za-z_]\w* = -?\d+)")


def _string_only_lines(text: str) -> set[int]:
    """The numbers of the lines that hold nothing but a string literal (and commas)."""
    kinds: dict[int, set[bool]] = {}
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in skip:
            continue
        literal = tok.type == tokenize.STRING or (tok.type == tokenize.OP and tok.string == ",")
        for number in range(tok.start[0], tok.end[0] + 1):
            kinds.setdefault(number, set()).add(literal)
    return {number for number, k in kinds.items() if k == {True}}


def long_lines(folder: Path) -> tuple[list[str], list[str]]:
    """Lines over 120 columns in the Python files under `folder`, as `path:line: text`, ruff's
    exemption of one-"word" lines not applied: the ones that are not only a string literal and carry no
    `# noqa: E501`, then the `# noqa: E501` ones that hold something that could be broken."""
    bad, noqa = [], []
    for path in sorted(folder.rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        if all(len(line) <= LIMIT for line in lines):
            continue
        literal = _string_only_lines(text)
        for number, line in enumerate(lines, 1):
            if len(line) <= LIMIT or number in literal:
                continue
            where = f"{path.relative_to(folder)}:{number}: {line.strip()}"
            code, marked, _ = line.partition("  # noqa: E501")
            if not marked:
                bad.append(where)
            elif not UNBREAKABLE.fullmatch(code.strip()):
                noqa.append(where)
    return bad, noqa


def _golden_run() -> typing.Any:
    """tests/golden/run.py, which defines the subset and its configurations."""
    module = sys.modules.get("golden_run")
    if module is None:
        spec = importlib.util.spec_from_file_location("golden_run", support.REPO / "tests" / "golden" / "run.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["golden_run"] = module  # (its dataclasses look their module up)
        spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("config", ["default", "aristaproto"])
def test_golden_subset_lines_within_120_columns(tmp_path: Path, config: str) -> None:
    """The golden googleapis subset (tests/golden/googleapis-subset.txt, messages and gRPC
    companions), as tests/golden/run.py generates it: no line over 120 columns but string literals,
    the `request_deserializer=...FromString` lines ruff lets pass for having no space included."""
    if not GOOGLEAPIS.is_dir():
        pytest.skip("googleapis corpus not unpacked")
    golden = _golden_run()
    targets = golden.select_targets(GOOGLEAPIS, golden.read_subset(golden.SUBSET))
    out = support.generate(tmp_path / "out", [GOOGLEAPIS, support.CORPUS / "src"], targets, *golden.CONFIGS[config],
                           timeout=600)
    bad, noqa = long_lines(out)
    assert not bad, f"{len(bad)} lines over {LIMIT} columns:\n" + "\n".join(bad[:20])
    assert not noqa, f"{len(noqa)} lines marked `# noqa: E501` that could be broken:\n" + "\n".join(noqa[:20])
    result = ruff(out)
    assert result.returncode == 0, result.stdout[-3000:]
