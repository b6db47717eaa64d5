"""moonstub in the toolchains Python users already have: `buf generate` with a
`local: protoc-gen-moonstub` plugin entry, and grpcio-tools' protoc finding
protoc-gen-moonstub on PATH. Both must write exactly what the CLI writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import support

REPO = support.REPO
MOONSTUB = Path(support.MOONSTUB)
BUF = Path(sys.executable).with_name("buf")

GREETER = REPO / "examples" / "greeter"

SCHEMA = """
syntax = "proto3";
package tc.orders;
import "google/protobuf/timestamp.proto";
message Order { string id = 1; google.protobuf.Timestamp at = 2; map<string, int64> lines = 3; }
service Orders { rpc Place(Order) returns (Order); rpc Watch(Order) returns (stream Order); }
"""


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def plugin_path(tmp_path: Path) -> str:
    """A PATH whose first folder holds protoc-gen-moonstub (as pip's console script would)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "protoc-gen-moonstub").symlink_to(MOONSTUB)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def cli(src: Path, out: Path, *extra: str) -> None:
    support.generate(out, [src], [src / "orders.proto"], *extra)


def write_schema(tmp_path: Path) -> Path:
    src = tmp_path / "proto"
    src.mkdir()
    (src / "orders.proto").write_text(SCHEMA)
    return src


def test_grpc_tools_protoc_finds_the_plugin_on_path(tmp_path: Path, plugin_path: str) -> None:
    src = write_schema(tmp_path)
    out = tmp_path / "protoc"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{src}", f"--moonstub_out={out}",
                           "--moonstub_opt=grpc=true", "orders.proto"],
                          capture_output=True, text=True, env=dict(os.environ, PATH=plugin_path))
    assert proc.returncode == 0, proc.stderr
    cli(src, tmp_path / "cli", "--grpc")
    assert tree(out) == tree(tmp_path / "cli")
    assert sorted(tree(out)) == ["tc_orders.py", "tc_orders_grpc.py"]


@pytest.mark.skipif(not BUF.exists(), reason="the buf CLI (PyPI buf-bin) is not installed: make venv")
def test_buf_generate_with_a_local_plugin(tmp_path: Path, plugin_path: str) -> None:
    src = write_schema(tmp_path)
    (tmp_path / "buf.yaml").write_text("version: v2\nmodules:\n  - path: proto\n")
    (tmp_path / "buf.gen.yaml").write_text(
        "version: v2\nplugins:\n  - local: protoc-gen-moonstub\n    out: gen\n    opt:\n      - grpc=true\n")
    env = dict(os.environ, PATH=plugin_path, BUF_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([str(BUF), "generate"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    cli(src, tmp_path / "cli", "--grpc")
    assert tree(tmp_path / "gen") == tree(tmp_path / "cli")


def test_the_generated_package_runs_from_buf_output(tmp_path: Path, plugin_path: str) -> None:
    if not BUF.exists():
        pytest.skip("the buf CLI is not installed")
    shutil.copy(GREETER / "greeter.proto", tmp_path / "greeter.proto")
    (tmp_path / "buf.yaml").write_text("version: v2\n")
    (tmp_path / "buf.gen.yaml").write_text(
        "version: v2\nplugins:\n  - local: protoc-gen-moonstub\n    out: gen\n    opt: grpc=true\n")
    env = dict(os.environ, PATH=plugin_path, BUF_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([str(BUF), "generate"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    names = sorted(tree(tmp_path / "gen"))
    assert any(n.endswith("_grpc.py") and not n.startswith("_") for n in names), names
    module = next(n for n in names if n.endswith("_grpc.py") and not n.startswith("_"))[:-3]
    proc = subprocess.run([sys.executable, "-c", f"import {module} as g; print(g.add_servicer.__name__)"],
                          capture_output=True, text=True, cwd=tmp_path / "gen")
    assert proc.stdout.strip() == "add_servicer", proc.stderr
