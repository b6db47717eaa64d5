"""Plugin-mode output is byte-identical to CLI-mode output.

Over a googleapis sample: every 40th .proto file (sorted) under googleapis/
outside googleapis/preview/, all in one run with ``-I googleapis -I
protobuf/src``, once with ``grpc=true`` and once with ``rules=aristaproto,
client_generation=sync_async,server_generation=async``; and over this
folder's example.proto with every option set of arista_helpers.GENERATED.
Every file is compared (same set of paths, same bytes).

Corpus: $MOONSTUB_CORPUS_ROOT (default <repo>/build/corpus if it has
googleapis/, else /tmp/corpus).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import arista_helpers as h
import pytest


def _corpus_root() -> Path:
    env = os.environ.get("MOONSTUB_CORPUS_ROOT")
    if env:
        return Path(env)
    default = h.REPO / "build" / "corpus"
    return default if (default / "googleapis").is_dir() else Path("/tmp/corpus")


CORPUS = _corpus_root()
STEP = 40


def _sample() -> list[str]:
    root = CORPUS / "googleapis"
    files = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.proto") if p.relative_to(root).parts[0] != "preview"
    )
    return files[::STEP]


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _compare(cli: dict[str, bytes], plugin: dict[str, bytes]) -> None:
    assert sorted(cli) == sorted(plugin), (sorted(set(cli) ^ set(plugin)))[:20]
    differing = [name for name in cli if cli[name] != plugin[name]]
    assert differing == [], f"{len(differing)} files differ, e.g. {differing[:10]}"


GOOGLEAPIS_OPTIONS = {
    "grpc": {"grpc": "true"},
    "aristaproto": {"rules": "aristaproto", "client_generation": "sync_async", "server_generation": "async"},
}


@pytest.mark.parametrize("name", list(GOOGLEAPIS_OPTIONS))
def test_googleapis_sample_identical(name: str, tmp_path: Path) -> None:
    if not (CORPUS / "googleapis").is_dir() or not (CORPUS / "protobuf" / "src").is_dir():
        pytest.skip(f"no googleapis/protobuf corpus under {CORPUS} (set MOONSTUB_CORPUS_ROOT)")
    options = GOOGLEAPIS_OPTIONS[name]
    sample = _sample()
    assert len(sample) >= 50, len(sample)
    includes = ["googleapis", "protobuf/src"]
    cli_out, plugin_out = tmp_path / "cli", tmp_path / "plugin"
    cli_out.mkdir()
    plugin_out.mkdir()
    cli = h.cli_command(includes, [f"googleapis/{f}" for f in sample], str(cli_out), options)
    plugin = h.plugin_command(includes, sample, str(plugin_out), options)
    for cmd in (cli, plugin):
        proc = subprocess.run(cmd, cwd=CORPUS, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, f"{cmd[:3]}...: {proc.stderr[-3000:]}"
    cli_tree, plugin_tree = _tree(cli_out), _tree(plugin_out)
    assert len(cli_tree) > len(sample) // 2
    if name == "grpc":
        assert any(n.endswith("_grpc.py") for n in cli_tree)
    else:
        assert any(b"class " in v and b"AsyncStub" in v for v in cli_tree.values())
    _compare(cli_tree, plugin_tree)


@pytest.mark.parametrize("name", list(h.GENERATED))
def test_example_identical(name: str, tmp_path: Path) -> None:
    """example.proto with each option set: CLI (native flags + --opt) and plugin
    parameters give the same files."""
    options = h.GENERATED[name]["options"]
    trees = []
    for mode in h.MODES:
        out = tmp_path / mode
        proc = h.run_generator(mode, out, options)
        assert proc.returncode == 0, proc.stderr
        trees.append(_tree(out))
    _compare(*trees)


def test_cli_opt_spelling_matches_flags(tmp_path: Path) -> None:
    """``--opt rules=aristaproto --opt grpc=true`` equals ``--rules=aristaproto --grpc``."""
    flags = tmp_path / "flags"
    opts = tmp_path / "opts"
    base = [h.MOONSTUB, "-I", str(h.PROTOS), str(h.PROTOS / h.PROTO)]
    for out, extra in ((flags, ["--grpc", "--grpc-python-mode=sync"]),
                       (opts, ["--opt", "grpc=true", "--opt", "grpc_python_mode=sync"])):
        out.mkdir()
        proc = subprocess.run([*base, f"--python_out={out}", *extra], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
    _compare(_tree(flags), _tree(opts))
