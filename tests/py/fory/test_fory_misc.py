"""The codec switch, module collisions, mypy --strict and --dump-model of .fdl.

* ``--codec=protobuf`` on the .fdl greeter writes protobuf-wire classes whose
  grpc.aio server and client work (all four shapes);
* ``--codec=fory`` on the .proto greeter writes pyfory classes (foryc's
  declarations for the same .proto) that work over grpc.aio and sync grpc;
* two .fdl (or .fbs) targets that would write one module: exit 1, an error
  naming both files, nothing written;
* the generated Fory message modules pass ``mypy --strict`` (pyfory has no
  py.typed marker and types-grpcio is not installed: both are
  ignore_missing_imports, see ``fory_helpers.mypy_ini``); the gRPC companions
  are checked separately;
* ``--dump-model`` of .fdl: unions (kind "union"), type ids (explicit, and
  hashed with their source), and each field's ``idl`` (collection, nullable,
  ref, ref options, encoding, value and key types).
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import grpc
import grpc.aio
import pytest
import support
from fory_helpers import SCHEMAS, aio_server, foryc, generate, load_set, moonstub, mypy_ini, sync_server
from test_foryc_interop import EXPECTED, declarations, greet_aio, greet_sync, greeter_aio, greeter_sync

aio = pytest.mark.asyncio(loop_scope="module")

GREETER = ("_moonstub", "_moonstub_grpc", "demo_greeter", "demo_greeter_grpc")


# ---- --codec ----------------------------------------------------------------------------------------


@aio
async def test_fdl_with_protobuf_codec(tmp_path: Path) -> None:
    out = generate(tmp_path, SCHEMAS, ["greeter.fdl"], "--grpc", "--codec=protobuf")
    text = (out / "demo_greeter.py").read_text(encoding="utf-8")
    assert "pyfory" not in text and "import _moonstub as _ms" in text
    assert "pyfory" not in (out / "demo_greeter_grpc.py").read_text(encoding="utf-8")
    mods = load_set(out, "codec_pb", GREETER)
    g = mods["demo_greeter"]
    # protobuf wire: field 1, length-delimited
    assert g.HelloRequest(name="Fory").SerializeToString() == b"\x0a\x04Fory"
    assert g.HelloReply.FromString(b"\x0a\x02hi").reply == "hi"
    servicer = greeter_aio(mods)
    async with aio_server(lambda s: mods["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        assert await greet_aio(mods, address) == EXPECTED
        # the wire really is protobuf: a raw call with protobuf bytes works
        async with grpc.aio.insecure_channel(address) as channel:
            raw = await channel.unary_unary("/demo.greeter.Greeter/SayHello")(b"\x0a\x03Ada")
            assert raw == b"\x0a\x0aHello, Ada"


@aio
async def test_proto_with_fory_codec_aio(tmp_path: Path) -> None:
    out = generate(tmp_path, SCHEMAS, ["greeter.proto"], "--grpc", "--codec=fory")
    text = (out / "demo_greeter.py").read_text(encoding="utf-8")
    assert "@pyfory.dataclass" in text and "SerializeToString" not in text
    mods = load_set(out, "codec_fory_aio", GREETER)
    g = mods["demo_greeter"]
    assert g.HelloRequest.from_bytes(g.HelloRequest(name="x").to_bytes()) == g.HelloRequest(name="x")
    servicer = greeter_aio(mods)
    async with aio_server(lambda s: mods["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        assert await greet_aio(mods, address) == EXPECTED
        async with grpc.aio.insecure_channel(address) as channel:  # Fory bytes on the wire, not protobuf
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await channel.unary_unary("/demo.greeter.Greeter/SayHello")(b"\x0a\x03Ada")
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            raw = await channel.unary_unary("/demo.greeter.Greeter/SayHello")(g.HelloRequest(name="Ada").to_bytes())
            assert g.HelloReply.from_bytes(raw) == g.HelloReply(reply="Hello, Ada")


def test_proto_with_fory_codec_sync_and_foryc(tmp_path: Path) -> None:
    ms_dir = generate(tmp_path / "ms", SCHEMAS, ["greeter.proto"], "--grpc-python-mode=sync", "--codec=fory")
    fc_dir = foryc(tmp_path / "fc", SCHEMAS, ["greeter.proto"], "--grpc", "--grpc-python-mode=sync")
    assert declarations(ms_dir / "demo_greeter.py") == declarations(fc_dir / "demo_greeter.py")
    ms = load_set(ms_dir, "codec_fory_sync", GREETER)
    fc = load_set(fc_dir, "codec_fory_fc", ("demo_greeter", "demo_greeter_grpc"))
    for client, server in ((ms, ms), (ms, fc), (fc, ms)):
        servicer = greeter_sync(server)
        with sync_server(lambda s, m=server, v=servicer: m["demo_greeter_grpc"].add_servicer(v, s)) as address:
            assert greet_sync(client, address) == EXPECTED


def test_codec_flag_errors(tmp_path: Path) -> None:
    proc = moonstub("-I", str(SCHEMAS), str(SCHEMAS / "greeter.fdl"), f"--python_out={tmp_path}", "--codec=json")
    assert proc.returncode == 1
    assert proc.stderr == 'moonstub: error: invalid value "json" for option codec (valid: fory, protobuf)\n'
    assert not any(tmp_path.iterdir())


# ---- one module, two files ----------------------------------------------------------------------------


@pytest.mark.parametrize("ext, first, second", [
    ("fdl", "package demo.greeter;\nmessage A { string a = 1; }\n",
     "package demo.greeter;\nmessage B { string b = 1; }\n"),
    ("fdl", "package demo.greeter;\nmessage A { string a = 1; }\n",  # demo_greeter either way
     "package demo_greeter;\nmessage B { string b = 1; }\n"),
    ("fbs", "namespace demo.greeter;\ntable A { a: string; }\n", "namespace demo.greeter;\ntable B { b: string; }\n"),
])
def test_two_files_one_module(tmp_path: Path, ext: str, first: str, second: str) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / f"first.{ext}").write_text(first, encoding="utf-8")
    (src / f"second.{ext}").write_text(second, encoding="utf-8")
    proc = moonstub("-I", str(src), str(src / f"first.{ext}"), str(src / f"second.{ext}"),
                    f"--python_out={out}", "--grpc")
    assert proc.returncode == 1, proc.stderr
    assert f"first.{ext}" in proc.stderr and f"second.{ext}" in proc.stderr
    assert "would both write the module demo_greeter (demo_greeter.py)" in proc.stderr
    assert proc.stderr.count("error:") == 1, proc.stderr
    assert proc.stdout == ""
    assert not any(out.iterdir()), "something was written"


def test_two_packages_two_modules(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.fdl").write_text("package one;\nmessage A { string a = 1; }\n", encoding="utf-8")
    (src / "b.fdl").write_text("package two;\nmessage B { string b = 1; }\n", encoding="utf-8")
    out = generate(tmp_path / "out", src, ["a.fdl", "b.fdl"])
    assert {p.name for p in out.iterdir()} >= {"one.py", "two.py"}


# ---- mypy --strict ----------------------------------------------------------------------------------


def run_mypy(directory: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    config = mypy_ini(directory / "mypy.ini")
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(config), *files],
                          cwd=directory, capture_output=True, text=True, timeout=300, check=False)


def test_fory_modules_pass_mypy_strict(tmp_path: Path) -> None:
    generate(tmp_path, SCHEMAS, ["kitchen.fdl", "greeter.fdl", "model.fdl", "monster.fbs"])
    generate(tmp_path / "proto", SCHEMAS, ["greeter.proto"], "--codec=fory")
    files = ["kitchen_sink.py", "demo_greeter.py", "model_check.py", "fbdemo_game.py", "fbdemo_common.py"]
    result = run_mypy(tmp_path, files)
    assert result.returncode == 0, result.stdout
    result = run_mypy(tmp_path / "proto", ["demo_greeter.py"])
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("mode", ["aio", "sync"])
def test_grpc_companions_pass_mypy_strict(tmp_path: Path, mode: str) -> None:
    generate(tmp_path, SCHEMAS, ["kitchen.fdl", "greeter.fdl", "monster.fbs"], "--grpc",
             f"--grpc-python-mode={mode}")
    result = run_mypy(tmp_path, ["kitchen_sink_grpc.py", "demo_greeter_grpc.py", "fbdemo_game_grpc.py"])
    assert result.returncode == 0, result.stdout


# ---- --dump-model --------------------------------------------------------------------------------------


def dump(*files: str) -> dict[str, typing.Any]:
    proc = moonstub("-I", str(SCHEMAS), "--dump-model", *[str(SCHEMAS / f) for f in files])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return {f["path"]: f for f in json.loads(proc.stdout)["files"]}


def walk(messages: list[dict[str, typing.Any]]) -> typing.Iterator[dict[str, typing.Any]]:
    for m in messages:
        yield m
        yield from walk(m["messages"])


def test_dump_model_fdl_file(tmp_path: Path) -> None:
    f = dump("kitchen.fdl")["kitchen.fdl"]
    assert f["syntax"] == "fdl" and f["package"] == "kitchen.sink" and f["package_alias"] == "ks"
    assert f["root_type"] is None and f["file_identifier"] is None and f["attributes"] == []
    m = dump("model.fdl")["model.fdl"]
    assert m["options"] == {"java_package": "org.example.model"}


def test_dump_model_unions_and_type_ids() -> None:
    f = dump("kitchen.fdl")["kitchen.fdl"]
    messages = {m["full_name"]: m for m in walk(f["messages"])}
    enums = {e["full_name"]: e for e in f["enums"]}
    for m in walk(f["messages"]):
        enums.update({e["full_name"]: e for e in m["enums"]})
    kinds = {name: m["kind"] for name, m in messages.items() if not m["is_map_entry"]}
    assert kinds == {"kitchen.sink.Point": "message", "kitchen.sink.Shape": "union", "kitchen.sink.Node": "message",
                     "kitchen.sink.Outer": "message", "kitchen.sink.Outer.Inner": "message",
                     "kitchen.sink.Outer.Choice": "union", "kitchen.sink.AllTypes": "message"}
    shape = messages["kitchen.sink.Shape"]
    assert [(c["name"], c["number"], c["oneof"]) for c in shape["fields"]] == \
        [("point", 1, "value"), ("label", 2, "value"), ("radius", 3, "value")]
    assert shape["oneofs"][0]["fields"] == ["point", "label", "radius"]
    # explicit ids
    assert shape["type_id"] == {"id": 112, "generated": False, "source": None}
    assert enums["kitchen.sink.Color"]["type_id"] == {"id": 110, "generated": False, "source": None}
    assert messages["kitchen.sink.AllTypes"]["type_id"]["id"] == 115
    # hashed ids name their source: package alias + nested path, as foryc
    for name in ("Outer.Inner", "Outer.Choice"):
        tid = messages[f"kitchen.sink.{name}"]["type_id"]
        assert tid["generated"] is True and tid["source"] == f"ks.{name}" and tid["id"] > 0
    for name in ("Outer.Level", "Outer.Inner.Mode"):
        tid = enums[f"kitchen.sink.{name}"]["type_id"]
        assert tid["generated"] is True and tid["source"] == f"ks.{name}"
    # map entries have no Fory type id
    assert all(m["type_id"] is None for m in messages.values() if m["is_map_entry"])
    # enum values keep their written names in the model (Python strips the prefix)
    assert [v["name"] for v in enums["kitchen.sink.Color"]["values"]] == ["COLOR_RED", "COLOR_GREEN", "COLOR_BLUE"]


def test_dump_model_type_ids_match_generated_registration(tmp_path: Path) -> None:
    f = dump("kitchen.fdl")["kitchen.fdl"]
    ids = {}
    for m in walk(f["messages"]):
        if not m["is_map_entry"]:
            ids[m["full_name"].removeprefix("kitchen.sink.")] = m["type_id"]["id"]
        for e in m["enums"]:
            ids[e["full_name"].removeprefix("kitchen.sink.")] = e["type_id"]["id"]
    for e in f["enums"]:
        ids[e["name"]] = e["type_id"]["id"]
    generate(tmp_path, SCHEMAS, ["kitchen.fdl"])
    regs = dict(r.split(" = ") for r in declarations(tmp_path / "kitchen_sink.py")["registrations"])
    assert {k: int(v) for k, v in regs.items()} == ids


def test_dump_model_field_idl() -> None:
    f = dump("kitchen.fdl", "model.fdl")
    all_types = {x["name"]: x for x in next(m for m in f["kitchen.fdl"]["messages"]
                                            if m["name"] == "AllTypes")["fields"]}
    idl = {name: x["idl"] for name, x in all_types.items()}
    assert idl["i8"]["value"]["scalar"] == "int8" and all_types["i8"]["type"] == "int32"
    assert idl["f16"]["value"]["scalar"] == "float16" and idl["bf16"]["value"]["scalar"] == "bfloat16"
    for name, scalar in (("day", "date"), ("ts", "timestamp"), ("dur", "duration"), ("dec", "decimal"),
                         ("anything", "any"), ("data", "bytes")):
        assert idl[name]["value"]["scalar"] == scalar, name
    encodings = {name: (idl[name]["value"]["scalar"], idl[name]["value"]["encoding"], all_types[name]["type"])
                 for name in ("fi32", "fi64", "fu32", "fu64", "vi32", "vu64", "ti64", "tu64", "i32")}
    assert encodings == {"fi32": ("int32", "fixed", "sfixed32"), "fi64": ("int64", "fixed", "sfixed64"),
                         "fu32": ("uint32", "fixed", "fixed32"), "fu64": ("uint64", "fixed", "fixed64"),
                         "vi32": ("int32", "varint", "int32"), "vu64": ("uint64", "varint", "uint64"),
                         "ti64": ("int64", "tagged", "int64"), "tu64": ("uint64", "tagged", "uint64"),
                         "i32": ("int32", None, "int32")}
    assert idl["maybe_s"]["nullable"] is True and all_types["maybe_s"]["presence"] == "explicit"
    assert idl["s"]["nullable"] is False and all_types["s"]["presence"] == "implicit"
    assert idl["tags"]["collection"] == "list" and idl["tags"]["written_repeated"] is True
    assert idl["longs"]["collection"] == "list" and idl["longs"]["written_repeated"] is False
    assert idl["vec"]["collection"] == "array" and idl["vec"]["value"]["scalar"] == "float32"
    assert idl["counts"]["collection"] == "map" and idl["counts"]["key"]["scalar"] == "string"
    assert idl["counts"]["value"]["scalar"] == "int32" and all_types["counts"]["is_map"] is True
    assert idl["points"]["value"]["type_name"] == "kitchen.sink.Point" and idl["points"]["key"]["scalar"] == "int32"
    assert idl["color_map"]["value"]["type_name"] == "kitchen.sink.Color"
    assert idl["point"]["nullable"] is True  # message fields are always nullable
    assert idl["shape"]["nullable"] is False and idl["shape"]["value"]["type_name"] == "kitchen.sink.Shape"
    node = {x["name"]: x for x in next(m for m in f["kitchen.fdl"]["messages"] if m["name"] == "Node")["fields"]}
    assert node["next"]["idl"]["ref"] is True and node["next"]["idl"]["nullable"] is True
    assert node["children"]["idl"]["ref"] is False and node["children"]["idl"]["value"]["ref"] is True
    assert node["children"]["idl"]["collection"] == "list"

    model = {x["name"]: x for x in next(m for m in f["model.fdl"]["messages"] if m["name"] == "Node")["fields"]}
    assert model["parent"]["idl"]["ref"] is True and model["parent"]["idl"]["ref_options"] == {"weak_ref": True}
    assert model["maybe"]["idl"]["value"]["optional"] is True
    assert model["index"]["idl"]["value"]["ref"] is True and model["index"]["idl"]["key"]["scalar"] == "string"
    assert model["next"]["idl"]["ref"] is True and model["next"]["options"] == {"ref": True}
    assert model["brain"]["idl"]["nullable"] is True and model["brain"]["idl"]["collection"] == "list"
    assert model["t"]["idl"]["value"] == {"scalar": "uint64", "encoding": "tagged", "type_name": None,
                                          "optional": False, "ref": False, "options": {}}
    assert model["r"]["idl"]["written_repeated"] is True and model["r"]["idl"]["value"]["optional"] is True
    assert model["v"]["idl"]["value"]["encoding"] == "varint"
    node_msg = next(m for m in f["model.fdl"]["messages"] if m["name"] == "Node")
    assert node_msg["type_id"] == {"id": 300, "generated": False, "source": None}
    assert node_msg["evolving"] is False
    maps = {x["name"]: x for x in next(m for m in f["model.fdl"]["messages"]
                                       if m["name"] == "OptionalMapValue")["fields"]}
    assert maps["names"]["idl"]["key"] == {"scalar": "uint32", "encoding": "fixed", "type_name": None,
                                           "optional": False, "ref": False, "options": {}}
    assert maps["names"]["idl"]["value"]["optional"] is True


def test_model_fdl_declarations_match_foryc(tmp_path: Path) -> None:
    ours = declarations(generate(tmp_path / "ms", SCHEMAS, ["model.fdl"]) / "model_check.py")
    theirs = declarations(foryc(tmp_path / "fc", SCHEMAS, ["model.fdl"]) / "model_check.py")
    skip = ("    names:",)  # see test_optional_map_value_is_declared_as_foryc_does
    assert [x for x in ours["fields"] if not x.startswith(skip)] == \
        [x for x in theirs["fields"] if not x.startswith(skip)]
    assert ours["registrations"] == theirs["registrations"]


def test_optional_map_value_is_declared_as_foryc_does(tmp_path: Path) -> None:
    ours = declarations(generate(tmp_path / "ms", SCHEMAS, ["model.fdl"]) / "model_check.py")
    theirs = declarations(foryc(tmp_path / "fc", SCHEMAS, ["model.fdl"]) / "model_check.py")
    assert ours["fields"] == theirs["fields"]


def test_summary_of_fdl() -> None:
    proc = moonstub("-I", str(SCHEMAS), "--summary", str(SCHEMAS / "greeter.fdl"))
    assert proc.returncode == 0, proc.stderr
    assert "module demo_greeter" in proc.stdout
    assert "/demo.greeter.Greeter/LotsOfReplies -> lots_of_replies" in proc.stdout


def test_nothing_written_on_error(tmp_path: Path) -> None:
    """An error in one target: nothing at all is written for the others."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.fdl").write_text("package good;\nmessage A { string a = 1; }\n", encoding="utf-8")
    (src / "bad.fbs").write_text("namespace bad;\ntable B { b: Missing; }\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    proc = moonstub("-I", str(src), str(src / "good.fdl"), str(src / "bad.fbs"), f"--python_out={out}", "--grpc")
    assert proc.returncode == 1
    assert 'bad.fbs:2:14: error: "Missing" is not defined' in proc.stderr
    assert not any(out.iterdir())


# ---- well-known types under --codec=fory ------------------------------------------------------------

WKT_USER = """syntax = "proto3";
package demo.wkt;
import "google/protobuf/timestamp.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.FieldMask mask = 2;
  google.protobuf.Struct labels = 3;
  string name = 4;
}
"""

WKT_ROUNDTRIP = """
import datetime
import demo_wkt, google_protobuf
fory = demo_wkt._get_fory()
at = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
event = demo_wkt.Event(at=at, mask=google_protobuf.FieldMask(paths=["a", "b.c"]), name="e")
back = fory.deserialize(fory.serialize(event))
assert back == event, back
print(back.at.isoformat(), back.mask.paths)
"""


def test_fory_codec_with_well_known_imports_under_the_package_runtime(tmp_path: Path) -> None:
    # moonstub.wkt's classes use the protobuf codec: Fory output writes its own
    # google_protobuf module (pyfory dataclasses) instead of importing them
    (tmp_path / "wkt_user.proto").write_text(WKT_USER, encoding="utf-8")
    out = support.generate(tmp_path / "out", [tmp_path], [tmp_path / "wkt_user.proto"], "--codec=fory")
    text = (out / "demo_wkt.py").read_text(encoding="utf-8")
    assert "moonstub.wkt" not in text
    assert "import pyfory" in (out / "google_protobuf.py").read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", WKT_ROUNDTRIP], cwd=out, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2024-05-06T07:08:09+00:00", "['a',", "'b.c']"]


def test_field_number_zero_is_refused_by_the_protobuf_codec_only(tmp_path: Path) -> None:
    # Fory IDL takes number 0 (a warning, as foryc takes it); protobuf's wire has no field 0
    (tmp_path / "z.fdl").write_text("package z;\nmessage M {\n  int32 a = 0;\n  string b = 1;\n}\n")
    fory = support.run_moonstub("-I", str(tmp_path), str(tmp_path / "z.fdl"), f"--python_out={tmp_path / 'f'}")
    assert fory.returncode == 0, fory.stderr
    assert 'warning: field "a" has number 0' in fory.stderr
    pb = support.run_moonstub("-I", str(tmp_path), str(tmp_path / "z.fdl"), "--codec=protobuf",
                              f"--python_out={tmp_path / 'p'}")
    assert pb.returncode == 1
    assert (f'{tmp_path / "z.fdl"}:3:9: error: field "a" of z.M has number 0, which the protobuf codec cannot '
            "write (protobuf field numbers start at 1): renumber it, or use --codec=fory") in pb.stderr
    assert not (tmp_path / "p").exists()
