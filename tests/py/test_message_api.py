"""The message API beyond the codec (issue 21): presence and reflection
helpers, copying and merging, descriptors, JSON options and extensions in
JSON, each checked against protobuf's own Python runtime (upb) on the same
schema.

Every test runs on both codecs: the ``world`` fixture generates the schemas
twice, as packages with a vendored runtime each (``--opt runtime=vendored
--opt imports=relative``), one imported with ``MOONSTUB_CODEC=native`` and one
with ``MOONSTUB_CODEC=python``, next to protobuf classes made from protoc's
descriptor set of the same files in a private pool.

test_text_format.py uses the same worlds (``build_world``).
"""

from __future__ import annotations

import json
import os
import sys
import types
import typing
from pathlib import Path

import pytest

import support

REPO = support.REPO
CORPUS = support.CORPUS
TEXT_FORMAT = REPO / "emitters" / "python" / "moonstub" / "text_format.py"
CODECS = ("native", "python")

THINGS_PROTO = """
syntax = "proto2";
package apitest;

import "google/protobuf/any.proto";
import "google/protobuf/timestamp.proto";

message Thing {
  enum Color {
    RED = 0;
    GREEN = 1;
    BLUE = 2;
  }
  optional int32 id = 1;
  optional string name = 2 [default = "anon"];
  repeated int64 values = 3 [packed = true];
  optional Thing child = 4;
  optional group Data = 5 {
    optional int32 x = 6;
  }
  map<string, Thing> by_name = 7;
  oneof choice {
    int32 number = 8;
    string text = 9;
    Thing other = 10;
  }
  optional Color color = 11;
  repeated bytes blobs = 12;
  optional double ratio = 13;
  optional float small = 14;
  optional google.protobuf.Any any = 15;
  repeated Color colors = 16;
  map<int32, Color> codes = 17;
  optional google.protobuf.Timestamp when = 18;
  optional uint64 big = 19;
  optional sint32 zig = 20;
  optional bool flag = 21;
  optional fixed32 fx = 22;
  reserved 100;
  reserved "old_name";
  extensions 1000 to 1999;
}

extend Thing {
  optional int32 tag = 1000;
  repeated string labels = 1001;
  optional Thing linked = 1002;
  optional group ExtGroup = 1003 {
    optional int32 y = 1;
  }
  repeated int32 packed_ext = 1004 [packed = true];
  optional Thing.Color ext_color = 1006;
}

message Holder {
  extend Thing {
    optional string nested_ext = 1005;
  }
}
"""

PLAIN_PROTO = """
syntax = "proto3";
package apitest3;

message Plain {
  message Inner {
    int32 v = 1;
  }
  enum Kind {
    KIND_UNSPECIFIED = 0;
    KIND_A = 1;
  }
  int32 count = 1;
  string label = 2;
  optional int32 maybe = 3;
  repeated int32 nums = 4;
  map<int32, string> names = 5;
  Inner inner = 6;
  Kind kind = 7;
  double d = 8;
  bytes raw = 9;
  oneof pick {
    string a = 10;
    int64 b = 11;
    Inner c = 14;
  }
  float f = 12;
  repeated Inner inners = 13;
  int64 long_value = 15;
  map<string, Inner> by_key = 16;
  reserved "gone";
}
"""

# protobuf's conformance messages (under the corpus's src/ or its root), for the random tests
CONFORMANCE = (
    "google/protobuf/test_messages_proto2.proto",
    "google/protobuf/test_messages_proto3.proto",
    "editions/golden/test_messages_proto2_editions.proto",
    "editions/golden/test_messages_proto3_editions.proto",
)


def _wkt_include() -> str:
    grpc_tools = pytest.importorskip("grpc_tools")
    return str(Path(grpc_tools.__file__).parent / "_proto")


class World(types.SimpleNamespace):
    """One generated package on one codec, and protobuf's classes for it."""

    def __repr__(self) -> str:  # hypothesis prints the fixture with every failure
        return f"<world {self.codec}>"

    def pb(self, full_name: str) -> typing.Any:
        """protobuf's class of a message."""
        cls = self.pb_classes.get(full_name)
        if cls is None:
            from google.protobuf import message_factory

            cls = self.pb_classes[full_name] = message_factory.GetMessageClass(
                self.pool.FindMessageTypeByName(full_name)
            )
        return cls

    def to_pb(self, msg: typing.Any) -> typing.Any:
        """protobuf's message with the same wire encoding."""
        return self.pb(msg._ms_full_name).FromString(msg.SerializeToString())

    def ext(self, name: str) -> typing.Any:
        return self.pool.FindExtensionByName(name)


_WORLDS: dict[str, World] = {}


def build_world(codec: str, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The schemas generated into a package of their own on ``codec`` (built
    once per process and codec)."""
    if codec in _WORLDS:
        return _WORLDS[codec]
    if codec == "native":
        pytest.importorskip("moonstub._native", reason="the native codec is not built (make native)")
    pytest.importorskip("google.protobuf")
    base = tmp_path_factory.mktemp(f"api_{codec}")
    protos = base / "protos" / "apitest"
    protos.mkdir(parents=True)
    (protos / "things.proto").write_text(THINGS_PROTO, encoding="utf-8")
    (protos / "plain.proto").write_text(PLAIN_PROTO, encoding="utf-8")
    src = CORPUS / "src"
    conformance = [str(src / f) if (src / f).is_file() else str(CORPUS / f) for f in CONFORMANCE
                   if (src / f).is_file() or (CORPUS / f).is_file()]
    roots = [base / "protos", _wkt_include(), src, CORPUS]
    includes = [arg for root in roots for arg in ("-I", str(root))]
    package = f"ms_api_{codec}"
    out = base / "py" / package
    support.generate(out, roots, [protos / "things.proto", protos / "plain.proto", *conformance],
                     "--opt", "runtime=vendored", "--opt", "imports=relative", timeout=300)
    (out / "__init__.py").write_text("", encoding="utf-8")
    # the text format module beside the vendored runtime, importing it (what moonstub writes
    # with runtime=vendored: <runtime>_text_format.py)
    source = TEXT_FORMAT.read_text(encoding="utf-8")
    assert "\nfrom moonstub import runtime as _rt\n" in source
    (out / "_moonstub_text_format.py").write_text(
        source.replace("\nfrom moonstub import runtime as _rt\n", "\nfrom . import _moonstub as _rt\n"),
        encoding="utf-8",
    )
    descriptors = base / "all.pb"
    names = ["apitest/things.proto", "apitest/plain.proto"] + [
        str(Path(p).relative_to(src if p.startswith(str(src)) else CORPUS)) for p in conformance
    ]
    support.run_checked([sys.executable, "-m", "grpc_tools.protoc", *includes, "--include_imports",
                         f"--descriptor_set_out={descriptors}", *names], timeout=300)

    saved = os.environ.get("MOONSTUB_CODEC")
    os.environ["MOONSTUB_CODEC"] = codec
    try:
        # the package's name is this world's own: its modules stay in sys.modules
        stems = [path.stem for path in sorted(out.glob("*.py")) if not path.stem.startswith("_")]
        loaded = support.load_modules(base / "py", [f"{package}._moonstub", *[f"{package}.{s}" for s in stems]],
                                      keep=True)
        ms = loaded[f"{package}._moonstub"]
        modules = {s: loaded[f"{package}.{s}"] for s in stems}
    finally:
        if saved is None:
            del os.environ["MOONSTUB_CODEC"]
        else:
            os.environ["MOONSTUB_CODEC"] = saved
    assert ms.CODEC == codec

    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes())
    for fd in fds.file:
        pool.Add(fd)
    # makes the extensions known to the pool's message classes
    message_factory.GetMessageClassesForFiles([fd.name for fd in fds.file], pool)
    world = World(codec=codec, ms=ms, modules=modules, pool=pool, fds=fds, pb_classes={},
                  conformance=bool(conformance))
    world.Thing = ms.REGISTRY["apitest.Thing"]
    world.Plain = ms.REGISTRY["apitest3.Plain"]
    world.Any = ms.REGISTRY["google.protobuf.Any"]
    _WORLDS[codec] = world
    return world


@pytest.fixture(scope="module", params=CODECS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(request.param, tmp_path_factory)


def sample_thing(w: World) -> typing.Any:
    T = w.Thing
    thing = T(id=5, name="héllo\n\"x'", values=[1, -2], child=T(id=1), data=T.Data(x=3),
              by_name={"b": T(id=2), "a": T()}, text="hi", color=T.Color.BLUE, blobs=[b"\x00\xff ab"],
              ratio=-0.0, small=0.1, colors=[T.Color.GREEN], codes={3: T.Color.BLUE, 1: T.Color.RED},
              big=2**64 - 1, zig=-7, flag=False, fx=4000000000)
    thing.any = w.Any.pack(w.Plain(count=3, label="z"))
    pb = w.to_pb(thing)
    pb.Extensions[w.ext("apitest.tag")] = 7
    pb.Extensions[w.ext("apitest.labels")].extend(["l1", "l2"])
    pb.Extensions[w.ext("apitest.linked")].id = 9
    pb.Extensions[w.ext("apitest.extgroup")].y = 4
    pb.Extensions[w.ext("apitest.packed_ext")].extend([1, 2, 3])
    pb.Extensions[w.ext("apitest.Holder.nested_ext")] = "n"
    pb.Extensions[w.ext("apitest.ext_color")] = 2
    return T.FromString(pb.SerializeToString())


def same_as_pb(w: World, msg: typing.Any, pb: typing.Any) -> None:
    """``msg`` and protobuf's ``pb`` hold the same content (their bytes read by protobuf)."""
    from google.protobuf import text_format

    mine = w.pb(msg._ms_full_name).FromString(msg.SerializeToString())
    assert text_format.MessageToString(mine, descriptor_pool=w.pool) == text_format.MessageToString(
        pb, descriptor_pool=w.pool
    )


# ---- presence ---------------------------------------------------------------------------------


def test_has_field_matches_protobuf(world):
    w = world
    thing = sample_thing(w)
    empty = w.Thing()
    plain = w.Plain(count=1, maybe=0, inner=w.Plain.Inner(), a="")
    for msg in (thing, empty, plain, w.Plain()):
        pb = w.to_pb(msg)
        for f in pb.DESCRIPTOR.fields:
            try:
                expected: object = pb.HasField(f.name)
            except ValueError:
                expected = ValueError
            try:
                got: object = msg.has_field(f.name)
            except ValueError:
                got = ValueError
            assert got == expected, (msg._ms_full_name, f.name)
        for oneof in pb.DESCRIPTOR.oneofs:
            if not oneof.name.startswith("_"):  # real oneofs (synthetic ones are proto3 optional)
                assert msg.has_field(oneof.name) == pb.HasField(oneof.name)


def test_has_field_presence_details(world):
    plain = world.Plain(maybe=0)
    assert plain.has_field("maybe")  # explicit presence: zero counts
    with pytest.raises(ValueError, match="no presence"):
        plain.has_field("count")
    with pytest.raises(ValueError, match="no presence"):
        plain.has_field("nums")
    with pytest.raises(ValueError, match="no presence"):
        plain.has_field("names")
    with pytest.raises(ValueError, match="no field named 'nope'"):
        plain.has_field("nope")
    thing = world.Thing(data=world.Thing.Data())
    assert thing.has_field("data") and not thing.has_field("child")
    with pytest.raises(ValueError, match="no field named 'Data'"):  # IDL field names, not group names
        thing.has_field("Data")
    with pytest.raises(ValueError):
        thing.has_field("values")


def test_clear_field_and_clear(world):
    w = world
    thing = sample_thing(w)
    pb = w.to_pb(thing)
    for name in ("id", "values", "child", "data", "by_name", "choice", "color", "codes"):
        thing.clear_field(name)
        pb.ClearField(name)
        same_as_pb(w, thing, pb)
    assert thing.which_oneof("choice") is None and thing.values == [] and thing.by_name == {}
    assert thing.id is None and thing.name == "héllo\n\"x'"
    plain = w.Plain(count=4, kind=w.Plain.Kind.KIND_A, b=3)
    plain.clear_field("count")
    plain.clear_field("kind")
    plain.clear_field("pick")
    assert plain == w.Plain()
    assert plain.kind is w.Plain.Kind.KIND_UNSPECIFIED
    with pytest.raises(ValueError, match="no field named"):
        plain.clear_field("gone")
    thing.clear()
    assert thing == w.Thing() and thing.SerializeToString() == b""  # extensions are unknown fields: cleared


def test_list_fields_matches_protobuf(world):
    w = world
    for msg in (sample_thing(w), w.Thing(), w.Plain(count=1, d=-0.0, maybe=0, nums=[1], label="")):
        pb = w.to_pb(msg)
        mine = [(f.name, f.number) for f, _ in msg.list_fields()]
        theirs = [(f.name, f.number) for f, _ in pb.ListFields() if not f.is_extension]
        assert mine == theirs
        for f, value in msg.list_fields():
            assert value is getattr(msg, f.attr)


# ---- copying, merging, size -------------------------------------------------------------------


def test_copy_from_is_deep(world):
    w = world
    source = sample_thing(w)
    target = w.Plain.Inner(v=1)
    with pytest.raises(TypeError, match="copy_from"):
        target.copy_from(source)
    copy = w.Thing(id=99, zig=1)
    copy.copy_from(source)
    assert copy == source and copy.SerializeToString() == source.SerializeToString()
    copy.child.id = 100
    copy.by_name["a"].id = 5
    copy.values.append(3)
    assert source.child.id == 1 and source.by_name["a"].id is None and source.values == [1, -2]
    source.copy_from(source)  # a no-op
    assert source.child.id == 1


def test_merge_from_matches_protobuf(world):
    w = world
    T = w.Thing
    a = T(id=1, values=[1], child=T(id=2, name="c"), by_name={"k": T(id=1, zig=3)}, number=4,
          codes={1: T.Color.GREEN}, colors=[T.Color.RED])
    b = sample_thing(w)
    for dst, src in ((a, b), (b, a), (a, T()), (T(), a)):
        pb = w.to_pb(dst)
        pb.MergeFrom(w.to_pb(src))
        merged = T.FromString(dst.SerializeToString())
        merged.merge_from(src)
        same_as_pb(w, merged, pb)
    merged = T.FromString(a.SerializeToString())
    merged.merge_from(b)
    merged.child.id = 77  # a copy of b's values, not shared
    merged.by_name["b"].id = 77
    assert b.child.id == 1 and b.by_name["b"].id == 2
    p = w.Plain(count=1, a="x", nums=[1], inner=w.Plain.Inner(v=1))
    p.merge_from(w.Plain(b=2, nums=[2], names={1: "a"}, inner=w.Plain.Inner()))
    assert p == w.Plain(count=1, b=2, nums=[1, 2], names={1: "a"}, inner=w.Plain.Inner(v=1))
    with pytest.raises(TypeError, match="merge_from"):
        p.merge_from(w.Plain.Inner())


def test_byte_size(world):
    w = world
    for msg in (sample_thing(w), w.Thing(), w.Plain(label="x" * 300)):
        assert msg.byte_size() == len(msg.SerializeToString()) == w.to_pb(msg).ByteSize()


# ---- descriptors --------------------------------------------------------------------------------


def test_descriptors_are_protocs(world):
    from google.protobuf import descriptor_pb2

    w = world
    by_name = {fd.name: fd for fd in w.fds.file}
    file = descriptor_pb2.FileDescriptorProto.FromString(w.Thing.file_descriptor())
    assert file == by_name["apitest/things.proto"]
    message = descriptor_pb2.DescriptorProto.FromString(w.Thing.message_descriptor())
    assert message == by_name["apitest/things.proto"].message_type[0]
    nested = descriptor_pb2.DescriptorProto.FromString(w.Plain.Inner.message_descriptor())
    assert nested == by_name["apitest/plain.proto"].message_type[0].nested_type[0]
    fds = descriptor_pb2.FileDescriptorSet.FromString(w.Thing.file_descriptor_set())
    assert [fd.name for fd in fds.file] == [
        "google/protobuf/any.proto", "google/protobuf/timestamp.proto", "apitest/things.proto"
    ]
    assert list(fds.file) == [by_name[fd.name] for fd in fds.file]


def test_descriptor_of_an_unregistered_message(world):
    ms = world.ms

    class Lone(ms.Message):
        __slots__ = ("x",)

        def __init__(self, x: int = 0) -> None:
            self.x = x
            self._unknown = b""

    ms.register(Lone, "nowhere.Lone", "1 x 5")
    with pytest.raises(LookupError, match="nowhere.Lone: no descriptor"):
        Lone.message_descriptor()
    with pytest.raises(LookupError):
        Lone.file_descriptor()
    assert Lone(x=3).to_text() == "x: 3\n"  # the text format needs no descriptor
    with pytest.raises(ms.TextError, match='no field named "old_name"'):
        Lone.from_text("old_name: 1")


# ---- JSON options and extensions in JSON -----------------------------------------------------------

JSON_OPTIONS = [
    ({}, {}),
    ({"proto_names": True}, {"preserving_proto_field_name": True}),
    ({"include_defaults": True}, {"always_print_fields_with_no_presence": True}),
    ({"enum_numbers": True}, {"use_integers_for_enums": True}),
    ({"proto_names": True, "include_defaults": True, "enum_numbers": True},
     {"preserving_proto_field_name": True, "always_print_fields_with_no_presence": True,
      "use_integers_for_enums": True}),
]


@pytest.mark.parametrize("mine,theirs", JSON_OPTIONS, ids=lambda o: ",".join(o) or "canonical")
def test_json_options_match_json_format(world, mine, theirs):
    from google.protobuf import json_format

    w = world
    P = w.Plain
    for msg in (P(), P(count=2, kind=P.Kind.KIND_A, maybe=0, c=P.Inner(), names={1: "q"}, inners=[P.Inner()],
                   long_value=-5, by_key={"k": P.Inner(v=1)}),
                w.Thing(id=0, color=w.Thing.Color.RED, codes={2: w.Thing.Color.BLUE}), sample_thing(w)):
        pb = w.to_pb(msg)
        assert msg.to_dict(**mine) == json_format.MessageToDict(pb, descriptor_pool=w.pool, **theirs)
        assert json.loads(msg.to_json(**mine)) == json.loads(
            json_format.MessageToJson(pb, descriptor_pool=w.pool, **theirs)
        )


def test_json_indent_and_sorted_keys(world):
    from google.protobuf import json_format

    w = world
    msg = w.Plain(label="b", count=1, names={2: "x", 1: "y"}, inner=w.Plain.Inner(v=3))
    pb = w.to_pb(msg)
    assert msg.to_json(indent=2, sort_keys=True) == json_format.MessageToJson(
        pb, indent=2, sort_keys=True, ensure_ascii=False
    )
    assert msg.to_json(sort_keys=True) == '{"count":1,"inner":{"v":3},"label":"b","names":{"1":"y","2":"x"}}'
    assert msg.to_json() == '{"count":1,"label":"b","names":{"2":"x","1":"y"},"inner":{"v":3}}'


def test_extensions_in_json(world):
    from google.protobuf import json_format

    w = world
    thing = sample_thing(w)
    pb = w.to_pb(thing)
    got = thing.to_dict()
    assert got == json_format.MessageToDict(pb, descriptor_pool=w.pool)
    assert got["[apitest.tag]"] == 7 and got["[apitest.Holder.nested_ext]"] == "n"
    assert got["[apitest.extgroup]"] == {"y": 4} and got["[apitest.ext_color]"] == "BLUE"
    back = w.Thing.from_json(thing.to_json())
    same_as_pb(w, back, pb)
    parsed = w.Thing.from_json('{"[apitest.tag]": "12", "[apitest.labels]": ["a"], "[apitest.linked]": {"id": 1}}')
    expected = w.pb("apitest.Thing")()
    json_format.Parse('{"[apitest.tag]": 12, "[apitest.labels]": ["a"], "[apitest.linked]": {"id": 1}}',
                      expected, descriptor_pool=w.pool)
    same_as_pb(w, parsed, expected)
    with pytest.raises(w.ms.JsonError, match=r"\[apitest.tag\]"):
        w.Thing.from_json('{"[apitest.tag]": "x"}')
    with pytest.raises(w.ms.JsonError, match="no field named"):
        w.Thing.from_json('{"[apitest.unknown]": 1}')
    assert w.Thing.from_json('{"[apitest.unknown]": 1}', ignore_unknown_fields=True) == w.Thing()
    # from_dict takes the same option
    with pytest.raises(w.ms.JsonError, match="no field named"):
        w.Thing.from_dict({"[apitest.unknown]": 1, "noSuchField": 2})
    assert w.Thing.from_dict({"[apitest.unknown]": 1, "noSuchField": 2}, ignore_unknown_fields=True) == w.Thing()


def test_an_extension_of_the_wrong_message_is_not_one(world):
    with pytest.raises(world.ms.JsonError, match="no field named"):
        world.Plain.from_json('{"[apitest.tag]": 1}')


def test_unknown_fields_without_extensions_stay_out_of_json(world):
    thing = world.Thing(id=1)
    thing._unknown = b"\xb8\x3e\x01"  # field 999 (not an extension number): unknown
    assert thing.to_dict() == {"id": 1}
    assert thing.to_text() == "id: 1\n"
    assert thing.to_text(unknown_fields=True) == "id: 1\n999: 1\n"
