"""Which google/protobuf/*.proto files are the built-in well-known types, in
both modes (core/builtin_match.c).

A file named like one the binary carries is built in (its classes are
moonstub.wkt's under runtime=package) when its descriptor, without source
info, is the carried copy's: comments and layout do not count, a field of its
own does. The command line and protoc-gen-moonstub under grpcio-tools' protoc
must decide the same, so they write the same files."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import support

REPO = support.REPO
CARRIED = REPO / "core" / "include" / "google" / "protobuf"
GRPC_TOOLS_INCLUDE = Path(str(resources.files("grpc_tools") / "_proto"))

APP = """syntax = "proto3";
package wb.app;
import "google/protobuf/timestamp.proto";
message Event { google.protobuf.Timestamp at = 1; string name = 2; }
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def by_cli(out: Path, roots: list[Path], target: str, *flags: str) -> dict[str, bytes]:
    support.generate(out, roots, [target], *flags)
    return tree(out)


def by_plugin(tmp: Path, out: Path, roots: list[Path], target: str, *opts: str) -> dict[str, bytes]:
    """grpcio-tools' protoc with protoc-gen-moonstub (the binary under test, by a link)."""
    plugin = tmp / "bin" / "protoc-gen-moonstub"
    if not plugin.exists():
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.symlink_to(support.check_binary())
    out.mkdir(parents=True)
    support.run_checked([sys.executable, "-m", "grpc_tools.protoc", *[f"-I{r}" for r in roots],
                         f"--plugin=protoc-gen-moonstub={plugin}", f"--moonstub_out={out}",
                         *[f"--moonstub_opt={o}" for o in opts], target])
    return tree(out)


def run_python(code: str, path: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(path)))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def carried(name: str) -> str:
    return (CARRIED / f"{name}.proto").read_text()


def only_comments_changed(text: str) -> str:
    """The same declarations: comments reworded, added and removed, blank lines and indentation changed."""
    lines = [line.replace("// ", "//  ").replace("  ", "    ", 1) for line in text.splitlines()
             if line.strip() != "//"]
    return "// a copy of the carried file, reformatted\n\n" + "\n\n".join(lines) + "\n"


def with_a_field_of_its_own(text: str) -> str:
    field = "\n\n  // the zone it was taken in\n  string zone = 3;"
    changed = text.replace("  int32 nanos = 2;", "  int32 nanos = 2;" + field)
    assert changed != text
    return changed


def both_modes(tmp_path: Path, own: Path) -> tuple[dict[str, bytes], dict[str, bytes], Path]:
    src = tmp_path / "src"
    write(src, "app.proto", APP)
    cli = by_cli(tmp_path / "cli", [src, own], "app.proto")
    plugin = by_plugin(tmp_path, tmp_path / "plugin", [src, own], "app.proto")
    return cli, plugin, tmp_path / "cli"


def test_a_copy_whose_comments_differ_is_the_built_in_timestamp(tmp_path: Path) -> None:
    own = tmp_path / "own"
    write(own / "google" / "protobuf", "timestamp.proto", only_comments_changed(carried("timestamp")))
    assert (own / "google/protobuf/timestamp.proto").read_bytes() != (CARRIED / "timestamp.proto").read_bytes()
    cli, plugin, out = both_modes(tmp_path, own)
    assert sorted(cli) == ["wb_app.py"]  # no google_protobuf.py
    assert cli == plugin
    assert b"at: _i_moonstub_wkt.Timestamp | None" in cli["wb_app.py"]
    assert run_python("import wb_app\nfrom moonstub import wkt\n"
                      "e = wb_app.Event.FromString(bytes(wb_app.Event(at=wkt.Timestamp(seconds=7))))\n"
                      "print(type(e.at) is wkt.Timestamp, e.at.seconds)\n", out) == "True 7\n"


def test_a_copy_with_a_field_of_its_own_is_generated(tmp_path: Path) -> None:
    own = tmp_path / "own"
    write(own / "google" / "protobuf", "timestamp.proto", with_a_field_of_its_own(carried("timestamp")))
    cli, plugin, out = both_modes(tmp_path, own)
    assert sorted(cli) == ["google_protobuf.py", "wb_app.py"]
    assert cli == plugin
    assert b"at: _i_google__protobuf.Timestamp | None" in cli["wb_app.py"]
    assert b"moonstub_wkt" not in cli["wb_app.py"]
    # the zone survives a round trip: it is a field of the generated class, not an unknown one
    assert run_python("import wb_app, google_protobuf\nfrom moonstub import wkt\n"
                      "assert google_protobuf.Timestamp is not wkt.Timestamp\n"
                      "e = wb_app.Event(at=google_protobuf.Timestamp(seconds=7, zone='CET'))\n"
                      "back = wb_app.Event.FromString(bytes(e))\n"
                      "print(type(back.at) is google_protobuf.Timestamp, back.at.zone)\n", out) == "True CET\n"


SCHEMA = """syntax = "proto3";
package wb.tools;
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
%s
message Note { google.protobuf.Struct data = 1; google.protobuf.Timestamp at = 2; google.protobuf.Value v = 3;%s }
service Notes { rpc Put(Note) returns (Note); }
"""


@pytest.mark.parametrize("with_descriptor", [False, True], ids=["struct-timestamp", "and-descriptor"])
def test_the_cli_and_the_plugin_agree_with_grpc_tools_includes(tmp_path: Path, with_descriptor: bool) -> None:
    """grpcio-tools' struct.proto differs from the carried one in comments only
    (built in, in both modes); its descriptor.proto is an older version (not
    built in, in both modes: generated beside the code)."""
    assert (GRPC_TOOLS_INCLUDE / "google/protobuf/struct.proto").read_bytes() != (CARRIED / "struct.proto").read_bytes()
    src = tmp_path / "src"
    imports = 'import "google/protobuf/descriptor.proto";' if with_descriptor else ""
    field = " google.protobuf.FileOptions options = 4;" if with_descriptor else ""
    write(src, "tools.proto", SCHEMA % (imports, field))
    roots = [src, GRPC_TOOLS_INCLUDE]
    cli = by_cli(tmp_path / "cli", roots, "tools.proto", "--grpc")
    plugin = by_plugin(tmp_path, tmp_path / "plugin", roots, "tools.proto", "grpc=true")
    assert cli == plugin
    module = cli["wb_tools.py"]
    for name in (b"Struct", b"Timestamp", b"Value"):
        assert b"_i_moonstub_wkt.%s | None" % name in module
    if with_descriptor:
        assert sorted(cli) == ["google_protobuf.py", "wb_tools.py", "wb_tools_grpc.py"]
        assert b"class FileDescriptorProto(" in cli["google_protobuf.py"]
        assert b"class Struct(" not in cli["google_protobuf.py"]
    else:
        assert sorted(cli) == ["wb_tools.py", "wb_tools_grpc.py"]
    assert run_python("import wb_tools\nfrom moonstub import wkt\n"
                      "n = wb_tools.Note(data=wkt.Struct.from_python({'k': 1}))\n"
                      "print(type(wb_tools.Note.FromString(bytes(n)).data) is wkt.Struct)\n",
                      tmp_path / "cli") == "True\n"
