"""Emitters that change the Python the built-in emitters write: insertion
points (protoc's "@@protoc_insertion_point(NAME)"), what ctx.outputs says was
written, options an emitter declares, the names it adds to every class; and
examples/custom-emitter/describe.lua, on the greeter, on hostile names, in
plugin mode and with the Fory codec (every schema of tests/py/fory/schemas:
dataclasses, unions and nested unions) (docs/lua-api.md, "Changing the
built-in output")."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pyfory.union
import pytest

import support

ROOT = support.REPO
DESCRIBE = ROOT / "examples" / "custom-emitter" / "describe.lua"
GREETER = ROOT / "examples" / "greeter"
FORY_SCHEMAS = ROOT / "tests" / "py" / "fory" / "schemas"
FORYC = Path(sys.executable).parent / "foryc"

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


def refused(root: Path, schema: str, emitter: Path) -> str:
    """Generates root/schema with the extra emitter, which must fail and write
    nothing; moonstub's stderr."""
    out = root / "out"
    proc = run("-I", str(root), str(root / schema), f"--python_out={out}", "--emitter", str(emitter))
    assert proc.returncode == 1
    assert not out.exists()
    return proc.stderr


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


LONG_NAMES = """syntax = "proto3";
package very.long.package_name.for_the_describe_emitter.v1;
message AnOuterMessageWhoseNameIsLongEnough {
  message AnInnerMessageWhoseNameIsLongerStill { message AndAThirdLevelToo { int32 x = 1; } }
}
"""


def test_describe_stays_within_120_columns_for_long_names(tmp_path: Path) -> None:
    (tmp_path / "long.proto").write_text(LONG_NAMES)
    out = tmp_path / "out"
    proc = run("-I", str(tmp_path), str(tmp_path / "long.proto"), f"--python_out={out}",
               "--emitter", str(DESCRIBE), "--opt", "describe_prefix=api")
    assert proc.returncode == 0, proc.stderr
    module = out / "very_long_package_name_for_the_describe_emitter_v1.py"
    # the lines describe.lua inserted: each method up to its class's insertion point
    inserted, inside = [], False
    for line in module.read_text().splitlines():
        inside = inside or line.strip().startswith("def describe(")
        if inside and "protoc_insertion_point" in line:
            inside = False
        elif inside:
            inserted.append(line)
    assert len([line for line in inserted if "def describe(" in line]) == 3
    assert [line for line in inserted if len(line) > 120] == []
    mod = load(out, module.stem)
    third = mod.AnOuterMessageWhoseNameIsLongEnough.AnInnerMessageWhoseNameIsLongerStill.AndAThirdLevelToo()
    assert third.describe() == ("api:very.long.package_name.for_the_describe_emitter.v1.AnOuterMessageWhoseNameIs"
                                "LongEnough.AnInnerMessageWhoseNameIsLongerStill.AndAThirdLevelToo")


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
    stderr = refused(tmp_path, "n.proto", DESCRIBE)
    assert "n.proto:3:11: error: nested message \"describe\"" in stderr
    assert "adds to every message class" in stderr


# ---- the example with the Fory codec: dataclasses and unions -----------------------------------

# every schema of the Fory tests: .fdl, .fbs and .idl with their own codec, .proto with --codec=fory
FORY_SET = sorted(p.relative_to(FORY_SCHEMAS) for p in FORY_SCHEMAS.rglob("*")
                  if p.suffix in (".fdl", ".fbs", ".idl", ".proto"))
_MARKER = re.compile(r"^ *# @@protoc_insertion_point\(class_scope:([^)]+)\)", re.MULTILINE)


def fory_source(tmp_path: Path, schema: Path) -> Path:
    """The schema's folder; upstream's examples/ copied with user.fdl's `optional Message` fields fixed
    (foryc refuses them too, as tests/py/fory/test_upstream.py says)."""
    folder = FORY_SCHEMAS / schema.parent
    if schema.name != "user.fdl":
        return folder
    copy = tmp_path / "src"
    shutil.copytree(folder, copy)
    user = copy / "user.fdl"
    user.write_text(re.sub(r"optional (Address|Contact) ", r"\1 ", user.read_text()))
    return copy


def own_classes(owner: type | types.ModuleType) -> list[type]:
    """The classes `owner` defines, nested ones too (no imported or aliased ones)."""
    prefix = "" if isinstance(owner, types.ModuleType) else owner.__qualname__ + "."
    module = owner.__name__ if isinstance(owner, types.ModuleType) else owner.__module__
    found: list[type] = []
    for name, value in vars(owner).items():
        if isinstance(value, type) and value.__module__ == module and value.__qualname__ == prefix + name:
            found += [value, *own_classes(value)]
    return found


def describe_of(cls: type) -> str:
    """cls.describe() on an instance: a dataclass with its defaults, a union without a case
    (describe reads nothing of it)."""
    instance = cls() if dataclasses.is_dataclass(cls) else cls.__new__(cls)
    return str(instance.describe())  # type: ignore[attr-defined]


@pytest.mark.parametrize("schema", FORY_SET, ids=[str(p) for p in FORY_SET])
def test_describe_on_every_fory_schema(tmp_path: Path, schema: Path) -> None:
    src = fory_source(tmp_path, schema)
    out = tmp_path / "out"
    proc = run("-I", str(src), "-I", str(FORY_SCHEMAS), str(src / schema.name), f"--python_out={out}",
               "--codec=fory", "--emitter", str(DESCRIBE))
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.stem for p in out.glob("*.py"))
    mods = support.load_modules(out, names)
    described = 0
    for name in names:
        text = (out / f"{name}.py").read_text()
        points = _MARKER.findall(text)
        # each class's method sits just before its class's point, one indent deeper
        assert len(re.findall(r'^( *)    return "msg:([^"]+)"\n\1# @@protoc_insertion_point\(class_scope:\2\)',
                              text, re.MULTILINE)) == len(points), name
        classes = own_classes(mods[name])
        with_method = [c for c in classes if "describe" in vars(c)]
        assert sorted(describe_of(c) for c in with_method) == sorted(f"msg:{p}" for p in points), name
        # every message class: the dataclasses, and the unions of .fdl/.fbs (those foryc makes
        # of a .proto oneof are not messages of the schema, and have no point)
        from_proto = ".proto" in (mods[name].__doc__ or "")
        for cls in classes:
            union = issubclass(cls, pyfory.union.Union)
            if dataclasses.is_dataclass(cls) or (union and not from_proto):
                assert "describe" in vars(cls), f"{name}.{cls.__qualname__}"
        described += len(with_method)
    assert described > 0


def test_describe_on_fory_unions_and_a_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("-I", str(FORY_SCHEMAS), str(FORY_SCHEMAS / "kitchen.fdl"), f"--python_out={out}",
               "--emitter", str(DESCRIBE), "--opt", "describe_prefix=k")
    assert proc.returncode == 0, proc.stderr
    mod = support.load_modules(out, ["kitchen_sink"], tag="hooks_kitchen")["kitchen_sink"]
    shape = mod.Shape.radius(3)  # a top-level union
    choice = mod.Outer.Choice.text("hi")  # a union nested in a message
    assert shape.describe() == "k:kitchen.sink.Shape"
    assert choice.describe() == "k:kitchen.sink.Outer.Choice"
    assert mod.Point(x=1, y=2).describe() == "k:kitchen.sink.Point"
    assert mod.Outer.Inner().describe() == "k:kitchen.sink.Outer.Inner"
    # the method belongs to the union class itself, not to the serializer after it
    assert "describe" in vars(mod.Outer.Choice) and "describe" not in vars(mod.Outer.ChoiceSerializer)
    # and the classes still go through pyfory, both ways
    outer = mod.Outer(inner=mod.Outer.Inner(tag="t"), inners=[mod.Outer.Inner(tag="u")], choice=choice)
    back = mod.Outer.from_bytes(outer.to_bytes())
    assert back == outer and back.choice.describe() == "k:kitchen.sink.Outer.Choice"
    assert mod.Shape.from_bytes(shape.to_bytes()) == shape
    point = mod.Shape.point(mod.Point(x=3, y=4))
    assert mod.Shape.from_bytes(point.to_bytes()).point_value().describe() == "k:kitchen.sink.Point"


FORY_HOSTILE = """package h.y;

message Outer [id=201] {
    union Pick {
        string describe = 1;
        int32 other = 2;
    }
    string describe = 1;
    string describe_ = 2;
    Pick pick = 3;
}

union Top [id=203] {
    string describe = 1;
    int32 n = 2;
}
"""


def fory_pair(directory: Path, schema: str, *flags: str) -> tuple[types.ModuleType, types.ModuleType]:
    """The module of `schema` generated with the example emitter and without it, loaded side by side."""
    stem = {"h.fdl": "h_y", "h.proto": "h_x"}[schema]
    sets = []
    for tag, extra in (("with", ["--emitter", str(DESCRIBE)]), ("plain", [])):
        out = directory / tag
        proc = run("-I", str(directory), str(directory / schema), f"--python_out={out}", *flags, *extra)
        assert proc.returncode == 0, proc.stderr
        sets.append(support.load_modules(out, [stem], tag=f"hooks_{tag}_{stem}")[stem])
    return sets[0], sets[1]


def test_a_fory_field_named_like_a_member_is_escaped(tmp_path: Path) -> None:
    write(tmp_path / "h.fdl", FORY_HOSTILE)
    mod, plain = fory_pair(tmp_path, "h.fdl")
    # the family escapes together, as for the codec's own names: describe_ -> describe__
    outer = mod.Outer(describe_="d", describe__="e", pick=mod.Outer.Pick.describe_("p"))
    assert outer.describe() == "msg:h.y.Outer"
    assert outer.pick.describe() == "msg:h.y.Outer.Pick"
    assert outer.pick.is_describe_() and outer.pick.describe__value() == "p"
    top = mod.Top.describe_("t")
    assert top.describe() == "msg:h.y.Top" and top.describe__value() == "t"
    # Fory writes field ids, not names: the bytes are those of the module without the emitter
    same = plain.Outer(describe="d", describe_="e", pick=plain.Outer.Pick.describe("p"))
    assert outer.to_bytes() == same.to_bytes()
    assert plain.Outer.from_bytes(outer.to_bytes()) == same
    assert mod.Outer.from_bytes(same.to_bytes()) == outer
    assert top.to_bytes() == plain.Top.describe("t").to_bytes()


def test_foryc_reads_the_escaped_fields(tmp_path: Path) -> None:
    """foryc keeps the IDL names (`describe`); its classes and the escaped ones exchange bytes."""
    if not FORYC.exists():
        pytest.skip(f"foryc not found at {FORYC}")
    write(tmp_path / "h.fdl", FORY_HOSTILE)
    mod, _ = fory_pair(tmp_path, "h.fdl")
    fc_out = tmp_path / "foryc"
    fc_out.mkdir()
    proc = subprocess.run([str(FORYC), "h.fdl", f"--python_out={fc_out}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    fc = support.load_modules(fc_out, ["h_y"], tag="hooks_foryc")["h_y"]
    escaped = mod.Outer(describe_="d", describe__="e", pick=mod.Outer.Pick.describe_("p"))
    theirs = fc.Outer.from_bytes(escaped.to_bytes())
    assert (theirs.describe, theirs.describe_, theirs.pick.describe_value()) == ("d", "e", "p")
    ours = mod.Outer.from_bytes(fc.Outer(describe="d", describe_="e", pick=fc.Outer.Pick.describe("p")).to_bytes())
    assert (ours.describe_, ours.describe__, ours.pick.describe__value()) == ("d", "e", "p")


def test_a_fory_field_named_like_a_member_is_escaped_in_a_proto(hostile: Path) -> None:
    mod, plain = fory_pair(hostile, "h.proto", "--codec=fory")
    outer = mod.Outer(describe_="d", inner=mod.Outer.Inner(describe_=3))
    assert outer.describe() == "msg:h.x.Outer" and outer.inner.describe() == "msg:h.x.Outer.Inner"
    same = plain.Outer(describe="d", inner=plain.Outer.Inner(describe=3))
    assert outer.to_bytes() == same.to_bytes()
    assert mod.Outer.from_bytes(same.to_bytes()) == outer


def test_fory_names_that_meet_an_odd_member_are_escaped_or_an_error(tmp_path: Path) -> None:
    """A union case whose methods would take a member (other -> other_value) is escaped; a field
    the escape cannot move off a member (members spelt with a trailing underscore) is an error."""
    write(tmp_path / "h.fdl", FORY_HOSTILE)
    emitter = write(tmp_path / "odd.lua", 'return { members = { "describe_", "other_value" }, '
                    "emit = function() end }\n")
    assert (f'h.fdl:9:12: error: field "describe_" of h.y.Outer becomes the class attribute "describe_", '
            f"which the emitter {emitter} adds to every message class; rename it\n") in refused(tmp_path, "h.fdl",
                                                                                             emitter)
    write(tmp_path / "h.fdl", FORY_HOSTILE.replace("string describe_ = 2;", "string other_name = 2;"))
    out = tmp_path / "out"
    proc = run("-I", str(tmp_path), str(tmp_path / "h.fdl"), f"--python_out={out}", "--emitter", str(emitter))
    assert proc.returncode == 0, proc.stderr
    pick = load(out, "h_y").Outer.Pick
    assert pick.other_(3).other__value() == 3 and not hasattr(pick, "other_value")


def test_a_nested_fory_type_named_like_a_member_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "n.fdl", "package h.z;\nmessage Outer [id=301] {\n    message describe {\n"
          "        string x = 1;\n    }\n    describe d = 1;\n}\n")
    assert (f'n.fdl:3:13: error: nested message "describe" of h.z.Outer becomes the class attribute "describe", '
            f"which the emitter {DESCRIBE} adds to every message class; rename it\n") in refused(tmp_path, "n.fdl",
                                                                                              DESCRIBE)


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


def test_an_unknown_option_names_the_options_of_every_emitter(hostile: Path) -> None:
    second = write(hostile / "e2.lua", 'return { options = { banner = "none", style = "plain", '
                   'describe_prefix = "x" }, emit = function() end }\n')
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={hostile / 'out'}",
               "--emitter", str(DESCRIBE), "--emitter", str(second), "--opt", "stlye=x")
    assert proc.returncode == 1
    # both emitters' keys, sorted; a key both declare names both
    assert ('unknown option "stlye" (valid options: ' in proc.stderr
            and f"; of the emitters: banner ({second}), describe_prefix ({DESCRIBE}, {second}), "
                f"style ({second}))" in proc.stderr), proc.stderr
    assert not (hostile / "out").exists()


def test_an_emitter_cannot_declare_moonstubs_own_options(hostile: Path) -> None:
    emitter = write(hostile / "grabby.lua", 'return { options = { grpc = "x" }, emit = function() end }\n')
    proc = run("-I", str(hostile), str(hostile / "h.proto"), f"--python_out={hostile / 'out'}",
               "--emitter", str(emitter))
    assert proc.returncode == 1
    assert 'declares the option "grpc", which is moonstub\'s own' in proc.stderr
