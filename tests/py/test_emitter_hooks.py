"""Emitters that change the Python the built-in emitters write: insertion
points (protoc's "@@protoc_insertion_point(NAME)"), what ctx.outputs says was
written, options an emitter declares, the names it adds to every class; and
examples/custom-emitter/describe.lua, on the greeter, on hostile names and in
plugin mode (docs/lua-api.md, "Changing the built-in output")."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import support

ROOT = support.REPO
DESCRIBE = ROOT / "examples" / "custom-emitter" / "describe.lua"
GREETER = ROOT / "examples" / "greeter"

HOSTILE = """syntax = "proto3";
package h.x;
// Names an emitter's member meets: a field called like it, nested classes, maps, oneofs.
message Outer {
  string describe = 1;
  message Inner { int32 describe = 1; map<string, Inner> kids = 2; }
  Inner inner = 2;
  oneof pick { string a = 3; Inner b = 4; }
  enum Kind { KIND_UNSPECIFIED = 0; }
}
message Empty {}
enum Color { COLOR_UNSPECIFIED = 0; }
service Things { rpc Get (Outer) returns (Empty); }
"""


run = support.run_moonstub


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(directory: Path, name: str) -> types.ModuleType:
    """Imports one generated module from `directory`, then forgets the folder's modules."""
    return support.load_modules(directory, [name])[name]


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    write(tmp_path / "h.proto", HOSTILE)
    return tmp_path


# ---- the example: describe() on every message class --------------------------------------------


def test_describe_on_the_greeter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("-I", str(GREETER), str(GREETER / "greeter.proto"), f"--python_out={out}", "--grpc",
               "--emitter", str(DESCRIBE))
    assert proc.returncode == 0, proc.stderr
    mod = load(out, "demo_greeter")
    assert mod.HelloRequest(name="x").describe() == "msg:demo.greeter.HelloRequest"
    assert mod.HelloReply().describe() == "msg:demo.greeter.HelloReply"
    # the method sits in the class body, before its insertion point
    text = (out / "demo_greeter.py").read_text()
    assert ('        return "msg:demo.greeter.HelloReply"\n'
            "    # @@protoc_insertion_point(class_scope:demo.greeter.HelloReply)\n") in text


def test_describe_prefix_option_and_hostile_names(hostile: Path) -> None:
    out = hostile / "out"
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={out}", "--grpc",
               "--emitter", str(DESCRIBE), "--opt", "describe_prefix=api")
    assert proc.returncode == 0, proc.stderr
    mod = load(out, "h_x")
    # the field `describe` gives way to the member the emitter declares
    outer = mod.Outer(describe_="d", inner=mod.Outer.Inner(describe_=3), b=mod.Outer.Inner())
    assert outer.describe() == "api:h.x.Outer"
    assert outer.inner.describe() == "api:h.x.Outer.Inner"
    assert mod.Empty().describe() == "api:h.x.Empty"
    assert type(outer).FromString(outer.SerializeToString()) == outer
    assert outer.to_dict()["describe"] == "d"


def test_without_the_emitter_the_field_keeps_its_name(hostile: Path) -> None:
    out = hostile / "plain"
    assert run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={out}").returncode == 0
    mod = load(out, "h_x")
    assert mod.Outer(describe="d").describe == "d"


def test_describe_through_protoc(hostile: Path) -> None:
    """Plugin parameters: emitter=FILE runs it, its option comes the same way."""
    out = hostile / "plugin"
    out.mkdir()
    plugin = hostile / "protoc-gen-moonstub"
    plugin.symlink_to(support.MOONSTUB)
    proc = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{hostile}", f"--plugin=protoc-gen-moonstub={plugin}",
         f"--moonstub_out=emitter={DESCRIBE},describe_prefix=p:{out}", str(hostile / "h.proto")],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert load(out, "h_x").Outer().describe() == "p:h.x.Outer"


def test_a_nested_class_named_like_a_member_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "n.proto", 'syntax = "proto3";\nmessage Outer {\n  message describe {}\n}\n')
    out = tmp_path / "out"
    proc = run("-I", str(tmp_path), str(tmp_path / "n.proto"), f"--python_out={out}", "--emitter", str(DESCRIBE))
    assert proc.returncode == 1
    assert "n.proto:3:11: error: nested message \"describe\"" in proc.stderr
    assert "adds to every message class" in proc.stderr
    assert not out.exists()


# ---- insertion points and ctx.outputs ---------------------------------------------------------

OUTPUTS_EMITTER = """
local M = {}
function M.emit(ctx)
  local w = ctx:file("outputs.txt")
  for _, o in ipairs(ctx.outputs) do
    w:line("%s %s %s | %s | %s | %s", o.path, o.kind, o.module or "-", table.concat(o.messages, ","),
      table.concat(o.enums, ","), table.concat(o.services, ","))
  end
  w:line("lookup %s", ctx:output("h_x.py").kind)
end
return M
"""


def test_outputs_name_every_file_and_what_it_holds(hostile: Path) -> None:
    emitter = write(hostile / "outputs.lua", OUTPUTS_EMITTER)
    out = hostile / "out"
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={out}", "--grpc",
               "--emitter", str(emitter))
    assert proc.returncode == 0, proc.stderr
    lines = (out / "outputs.txt").read_text().splitlines()
    assert lines == [
        "h_x.py messages h_x | h.x.Outer,h.x.Outer.Inner,h.x.Empty | h.x.Outer.Kind,h.x.Color |",
        "h_x_grpc.py grpc h_x_grpc |  |  | h.x.Things",
        "_moonstub_grpc.py support - |  |  |",
        "lookup messages",
    ]


INSERTING_EMITTER = """
local M = {}
M.options = { banner = "none" }
function M.emit(ctx)
  ctx:insert("h_x.py", "imports", "import json")
  ctx:insert("h_x.py", "module_scope", "BANNER = json.dumps(" .. string.format("%q", ctx.opt.banner) .. ")")
  ctx:insert("h_x.py", "class_scope:h.x.Outer.Inner", "SECOND = 2")
  ctx:insert("h_x.py", "class_scope:h.x.Outer.Inner", "THIRD = 3")
  -- into a file this emitter writes itself
  local w = ctx:file("notes.py")
  w:line("NOTES = []")
  w:line("# @@protoc_insertion_point(notes)")
  ctx:insert("notes.py", "notes", "NOTES.append(1)\\nNOTES.append(2)")
end
return M
"""


def test_text_goes_to_each_point_in_order(hostile: Path) -> None:
    emitter = write(hostile / "inserting.lua", INSERTING_EMITTER)
    out = hostile / "out"
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={out}", "--emitter", str(emitter),
               "--opt", "banner=hi")
    assert proc.returncode == 0, proc.stderr
    mod = load(out, "h_x")
    assert mod.BANNER == '"hi"'
    assert (mod.Outer.Inner.SECOND, mod.Outer.Inner.THIRD) == (2, 3)
    text = (out / "h_x.py").read_text()
    assert "import json\n# @@protoc_insertion_point(imports)\n" in text
    assert ("        SECOND = 2\n        THIRD = 3\n"
            "        # @@protoc_insertion_point(class_scope:h.x.Outer.Inner)\n") in text
    assert (out / "notes.py").read_text() == "NOTES = []\nNOTES.append(1)\nNOTES.append(2)\n" \
                                             "# @@protoc_insertion_point(notes)\n"


@pytest.mark.parametrize(("call", "message"), [
    ('ctx:insert("h_x.py", "class_scope:h.x.Nope", "x = 1")',
     'moonstub: error: insertion point "class_scope:h.x.Nope" not found in "h_x.py"'),
    ('ctx:insert("nope.py", "imports", "x = 1")',
     'moonstub: error: cannot insert at "imports" into "nope.py": no such output file'),
])
def test_a_missing_point_or_file_is_an_error_and_nothing_is_written(hostile: Path, call: str,
                                                                     message: str) -> None:
    emitter = write(hostile / "bad.lua", f"return {{ emit = function(ctx) {call} end }}\n")
    out = hostile / "out"
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={out}", "--emitter", str(emitter))
    assert proc.returncode == 1
    assert message in proc.stderr.splitlines()
    assert not out.exists()


def test_an_unknown_option_names_the_emitters_options(hostile: Path) -> None:
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={hostile / 'out'}",
               "--emitter", str(DESCRIBE), "--opt", "describe_prefx=x")
    assert proc.returncode == 1
    assert 'unknown option "describe_prefx"' in proc.stderr
    assert f"of the emitters: describe_prefix ({DESCRIBE})" in proc.stderr
    # without the emitter its option is unknown too
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={hostile / 'out'}",
               "--opt", "describe_prefix=x")
    assert proc.returncode == 1 and 'unknown option "describe_prefix"' in proc.stderr


def test_an_emitter_cannot_declare_moonstubs_own_options(hostile: Path) -> None:
    emitter = write(hostile / "grabby.lua", 'return { options = { grpc = "x" }, emit = function() end }\n')
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={hostile / 'out'}",
               "--emitter", str(emitter))
    assert proc.returncode == 1
    assert 'declares the option "grpc", which is moonstub\'s own' in proc.stderr
