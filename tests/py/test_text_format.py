"""protobuf's text format (moonstub.text_format, Message.to_text and
from_text) against protobuf's own Python ``text_format`` (upb), on both
codecs: the worlds of test_message_api.py (a package with a vendored runtime
per codec, protobuf classes from protoc's descriptor set).

* printing: the same text as ``text_format.MessageToString``, option for
  option, for a message with every kind of field, extensions, groups, maps,
  an expanded Any and unknown fields; and for random conformance messages;
* parsing: the same message as ``text_format.Parse`` for inputs using the
  syntax the format allows, and errors (with line and column) where protobuf's
  C++ parser refuses the input (the conformance suite checks the rest).
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _load(name: str, file: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(file))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


api = _load("ms_message_api_world", "test_message_api.py")
support = _load("ms_py_conftest_text", "conftest.py")
CODECS, build_world, sample_thing, same_as_pb = api.CODECS, api.build_world, api.sample_thing, api.same_as_pb


@pytest.fixture(scope="module", params=CODECS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> api.World:
    return build_world(request.param, tmp_path_factory)


def pb_text(w: api.World, pb: object, **options: object) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(pb, descriptor_pool=w.pool, **options)


def pb_parse(w: api.World, full_name: str, text: str) -> object:
    from google.protobuf import text_format

    pb = w.pb(full_name)()
    text_format.Parse(text, pb, descriptor_pool=w.pool)
    return pb


# ---- printing -----------------------------------------------------------------------------------

OPTIONS = [  # moonstub's keyword -> protobuf's
    ({}, {}),
    ({"one_line": True}, {"as_one_line": True}),
    ({"as_utf8": False}, {"as_utf8": False}),
    ({"short_repeated": True}, {"use_short_repeated_primitives": True}),
    ({"pointy_brackets": True}, {"pointy_brackets": True}),
    ({"index_order": True}, {"use_index_order": True}),
    ({"field_numbers": True}, {"use_field_number": True}),
    ({"force_colon": True}, {"force_colon": True}),
    ({"indent": 4}, {"indent": 4}),
    ({"unknown_fields": True}, {"print_unknown_fields": True}),
    ({"one_line": True, "pointy_brackets": True, "short_repeated": True, "force_colon": True, "unknown_fields": True},
     {"as_one_line": True, "pointy_brackets": True, "use_short_repeated_primitives": True, "force_colon": True,
      "print_unknown_fields": True}),
]

# unknown fields: a varint, fixed64, fixed32, bytes, a message, an empty payload, a group
UNKNOWN = (b"\x98\x06\x05" + b"\xb9\x06" + b"\x02" * 8 + b"\xb5\x06\x01\x00\x00\x00" + b"\xc2\x06\x03a\x00c"
           + b"\xa2\x06\x02\x08\x01" + b"\xca\x06\x00" + b"\xab\x06\x08\x02\xac\x06")


@pytest.mark.parametrize("mine,theirs", OPTIONS, ids=lambda o: ",".join(o) or "default")
def test_prints_what_protobuf_prints(world, mine, theirs):
    w = world
    thing = sample_thing(w)
    thing._unknown += UNKNOWN
    thing.child._unknown = b"\x98\x06\x01"
    pb = w.to_pb(thing)
    assert thing.to_text(**mine) == pb_text(w, pb, **theirs)
    plain = w.Plain(count=-1, label="\x7f\u00e9\x00", names={0: "", 5: "v"}, inner=w.Plain.Inner(), d=-math.inf,
                    raw=b"\x7f\"", f=math.nan, c=w.Plain.Inner(v=2), inners=[w.Plain.Inner(), w.Plain.Inner(v=1)],
                    nums=[1, 2, 3], by_key={"": w.Plain.Inner(), "z": w.Plain.Inner(v=0)})
    plain._unknown = UNKNOWN
    assert plain.to_text(**mine) == pb_text(w, w.to_pb(plain), **theirs)


def test_empty_and_default_messages(world):
    assert world.Thing().to_text() == ""
    assert world.Plain(count=0, label="").to_text() == ""
    assert world.Plain(maybe=0).to_text() == "maybe: 0\n"


def test_floats_print_shortest(world):
    w = world
    for value in (0.1, 1e-45, 3.4028234663852886e38, 1.17549e-38, 16777217.0, -0.0, math.inf, 123456789.0):
        thing = w.Thing(small=value, ratio=value)
        assert thing.to_text() == pb_text(w, w.to_pb(thing))
    assert w.Thing(small=0.1, ratio=0.1).to_text() == "ratio: 0.1\nsmall: 0.1\n"
    assert w.Thing(small=1e50).to_text() == "small: inf\n"


def test_any_of_an_unknown_type_prints_its_fields(world):
    w = world
    thing = w.Thing(any=w.Any(type_url="type.googleapis.com/not.Loaded", value=b"\x08\x01"))
    assert thing.to_text() == 'any {\n  type_url: "type.googleapis.com/not.Loaded"\n  value: "\\010\\001"\n}\n'
    bad = w.Thing(any=w.Any(type_url="type.googleapis.com/apitest3.Plain", value=b"\xff"))
    assert "value:" in bad.to_text()  # not a valid payload: printed as it is


def test_package_runtime_and_well_known_types():
    """The runtime package itself (runtime=package) finds moonstub.text_format."""
    wkt = pytest.importorskip("moonstub.wkt")
    ts = wkt.Timestamp(seconds=5, nanos=1)
    assert ts.to_text() == "seconds: 5\nnanos: 1\n"
    assert wkt.Timestamp.from_text("seconds: 5 nanos: 1") == ts
    fd = wkt.FileDescriptorProto.FromString(wkt.Timestamp.file_descriptor())
    assert fd.name == "google/protobuf/timestamp.proto"
    assert 'name: "Timestamp"' in fd.to_text()


# ---- parsing ------------------------------------------------------------------------------------

THING_INPUTS = [
    "id: 1 name: 'x'",
    "id: 0x10, name: \"a\" 'b'\n\"c\";",
    "id: -017 # a comment\n values: [1, -2, 0x3] values: 4",
    "values: []",
    "child < id: 1 >",
    "child: { id: 2, }",
    "Data { x: 1 }",
    "data: < x: 1 >",
    "by_name { key: 'a' value { id: 1 } } by_name { key: 'a' value: { id: 2 } }",
    "by_name [{ key: 'a' }, { key: 'b' value {} }]",
    "by_name { value { id: 3 } }",
    "codes { key: 1 value: BLUE } codes { key: 2 value: 1 } codes { key: 3 }",
    "number: 3",
    "other { text: 'x' }",
    "color: GREEN colors: [RED, 2, GREEN]",
    "blobs: '\\x00\\377\\u00e9\\U0001F600' blobs: \"\"",
    "name: '\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'",
    "ratio: -inf small: 1.5f",
    "ratio: 1e308 small: .5",
    "ratio: 1E-5 small: -2.5F",
    "ratio: 10 small: 3",
    "ratio: NaN",
    "ratio: -Infinity",
    "big: 18446744073709551615 zig: -2147483648 fx: 0xFFFFFFFF",
    "flag: true",
    "flag: False",
    "flag: t",
    "flag: 1",
    "[apitest.tag]: 5 [apitest.labels]: ['a', 'b'] [apitest.labels]: 'c'",
    "[apitest.linked] { id: 1 [apitest.tag]: 2 }",
    "[apitest.extgroup] { y: 3 }",
    "[apitest.packed_ext]: [1, 2] [apitest.Holder.nested_ext]: 'n' [apitest.ext_color]: BLUE",
    "any { [type.googleapis.com/apitest3.Plain] { count: 3 names { key: 1 value: 'x' } } }",
    "any: < [type.googleapis.com/apitest.Thing]: < [apitest.tag]: 1 > >",
    "any { type_url: 'type.googleapis.com/x.Y' value: '\\001' }",
    "when { seconds: 1 }",
    "  \n# only a comment\n",
]


@pytest.mark.parametrize("text", THING_INPUTS)
def test_parses_what_protobuf_parses(world, text):
    w = world
    mine = w.Thing.from_text(text)
    same_as_pb(w, mine, pb_parse(w, "apitest.Thing", text))


PLAIN_INPUTS = [
    "count: 1 label: 'é' maybe: 0",
    "names { key: 1 value: 'a' } names { key: 1 value: 'b' }",
    "kind: KIND_A",
    "kind: 5",
    "kind: -3",
    "c { v: 1 }",
    "a: ''",
    "inners [{}, { v: 2 }] inners { v: 3 }",
    "f: -0 d: -0.0",
    "f: 3.4028235e+39 d: 1e-400",
    "long_value: -9223372036854775808",
    "by_key { key: 'k' } by_key { key: 'k' value: { v: 1 } }",
]


@pytest.mark.parametrize("text", PLAIN_INPUTS)
def test_parses_proto3_as_protobuf(world, text):
    w = world
    same_as_pb(w, w.Plain.from_text(text), pb_parse(w, "apitest3.Plain", text))


def test_parsed_values(world):
    w = world
    T = w.Thing
    thing = T.from_text("name: 'first' \"second\"\n'third' small: 3.192837f ratio: .123e2 big: 01777777777777777777777")
    assert thing.name == "firstsecondthird"
    assert thing.small == pytest.approx(3.192837, rel=1e-6) and thing.ratio == 12.3 and thing.big == 2**64 - 1
    assert T.from_text("name: '\\a\\b\\f\\n\\r\\t\\v\\?\\\\\\'\\\"'").name == "\a\b\f\n\r\t\v?\\'\""
    assert T.from_text("blobs: '\\341\\210\\264\\xe1\\x88\\xb4\\u1234'").blobs == [b"\xe1\x88\xb4" * 3]
    assert T.from_text("small: 1e50 ratio: -1e-400").small == math.inf
    assert math.copysign(1.0, T.from_text("ratio: -1e-400").ratio) == -1.0
    assert T.from_text("small: 1e18446744073709551616").small == math.inf
    assert T.from_text("color: 1").color is T.Color.GREEN
    assert T.from_text("Data { x: 1 }").data == T.Data(x=1)
    assert T.from_text("old_name: { a: [1, 'x', {}] } old_name: [-1, 2.5, inf, E] id: 3") == T(id=3)  # reserved
    kind = w.Plain.from_text("kind: 7").kind
    assert int(kind) == 7  # open enum: unknown numbers are kept
    assert w.Plain.from_text("kind: 7").SerializeToString() == b"\x38\x07"


ERRORS = [  # (input, message pattern, line, column)
    ("id: 1 id: 2", 'field "id" is given twice', 1, 7),
    ("number: 1 text: 'x'", 'given along with "number", another member of oneof "choice"', 1, 11),
    ("nope: 1", 'apitest.Thing has no field named "nope"', 1, 1),
    ("id 1", 'expected ":"', 1, 4),
    ("id: 2147483648", "out of range for int32", 1, 5),
    ("id: -2147483649", "out of range for int32", 1, 6),
    ("big: -1", "out of range for uint64", 1, 7),
    ("fx: 0x100000000", "out of range for fixed32", 1, 5),
    ("id: 1.5", "expected an integer", 1, 5),
    ("id: 019", "invalid octal integer", 1, 5),
    ("id: 1x", "invalid number '1x'", 1, 5),
    ("ratio: 0x1", "hex literal 0x1 is not a float", 1, 8),
    ("ratio: -012", "octal literal 012 is not a float", 1, 9),
    ("ratio: infinite", "expected a number", 1, 8),
    ("flag: 2", 'expected "true" or "false"', 1, 7),
    ("color: PURPLE", "has no value named PURPLE", 1, 8),
    ("color: 7", "7 is not a value of the closed enum apitest.Thing.Color", 1, 8),
    ("name: 'a\nb'", "expected a string", 1, 7),
    ("name: '\\z'", "invalid escape sequence", 1, 7),
    ("name: '\\U00110000'", r"beyond U\+10FFFF", 1, 7),
    ("name: '\\ud801\\udc37'", "surrogate", 1, 7),
    ("name: '\\U0000d800'", "surrogate", 1, 7),
    ("blobs: '\\xc0' name: '\\x'", "\\\\x must be followed", 1, 21),
    ("values: [1,]", "expected an integer", 1, 12),
    ("values: [1 2]", 'expected ","', 1, 12),
    ("values: [1;2]", 'expected ","', 1, 11),
    ("id: 1,,", "expected a field name", 1, 7),
    ("id: 1;;", "expected a field name", 1, 7),
    ("child { id: 1", 'expected "}", got the end of the input', 1, 14),
    ("child { id: 1 >", "expected a field name", 1, 15),
    ("child: 1", 'expected "{" or "<"', 1, 8),
    ("[apitest.nope]: 1", 'extension "apitest.nope" of apitest.Thing is not registered', 1, 1),
    ("[apitest.ExtGroup] { y: 1 }", 'extension "apitest.ExtGroup"', 1, 1),
    ("[apitest.tag]: 1 [apitest.tag]: 2", 'field "apitest.tag" is given twice', 1, 18),
    ("any { [type.googleapis.com/not.Loaded] { } }", "the Any's type not.Loaded is not loaded", 1, 7),
    ("[type.googleapis.com/apitest.Thing] { }", "apitest.Thing is not a google.protobuf.Any", 1, 1),
    ("data { x: 1 } Data { x: 2 }", 'field "data" is given twice', 1, 15),
    ("DATA { x: 1 }", 'no field named "DATA"', 1, 1),
    ("by_name { key: 'a' other: 1 }", 'a map entry has only "key" and "value"', 1, 20),
    ("\n\n  id: x", "expected an integer", 3, 7),
]


@pytest.mark.parametrize("text,pattern,line,column", ERRORS)
def test_parse_errors(world, text, pattern, line, column):
    with pytest.raises(world.ms.TextError, match=pattern) as info:
        world.Thing.from_text(text)
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
    assert str(info.value).startswith(f"{line}:{column}: ")
    assert isinstance(info.value, ValueError)


def test_string_fields_refuse_bad_utf8(world):
    with pytest.raises(world.ms.TextError, match="not valid UTF-8"):
        world.Plain.from_text("label: '\\300'")
    assert world.Plain.from_text("raw: '\\300'").raw == b"\xc0"
    with pytest.raises(world.ms.TextError, match="not valid UTF-8"):
        world.Plain.from_text(b"label: '\xc0'")


def test_parse_options(world):
    w = world
    T = w.Thing
    with pytest.raises(w.ms.TextError):
        T.from_text("nope: { a: 1 } id: 1")
    assert T.from_text("nope: { a: [1, {b: 2}] } nope2: 'x' 'y' id: 1", allow_unknown_fields=True) == T(id=1)
    assert T.from_text("[x.y]: 1 [x.z] { a: 1 } id: 2", allow_unknown_extensions=True) == T(id=2)
    assert T.from_text("1: 3 4 { 1: 2 } 7 { 1: 'k' 2 { 1: 5 } }", allow_field_numbers=True) == T(
        id=3, child=T(id=2), by_name={"k": T(id=5)}
    )
    with pytest.raises(w.ms.TextError, match="expected a field name"):
        T.from_text("1: 3")
    assert T.from_text("id: 1 id: 2 child { id: 1 } child { name: 'n' } number: 1 text: 'x'",
                       allow_overwrites=True) == T(id=2, child=T(id=1, name="n"), text="x")


def test_round_trip_with_every_option(world):
    w = world
    thing = sample_thing(w)
    for mine, _ in OPTIONS:
        text = thing.to_text(**mine)
        back = w.Thing.from_text(text, allow_field_numbers=bool(mine.get("field_numbers")))
        same_as_pb(w, back, w.to_pb(thing))


# ---- random messages: protobuf's conformance schemas --------------------------------------------

SETTINGS = {
    "deadline": None,
    "max_examples": max(1, int(150 * float(os.environ.get("MOONSTUB_FUZZ_SCALE", "1")))),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                              HealthCheck.function_scoped_fixture],
}


def _strategies(w: api.World) -> object:
    strategies = getattr(w, "strategies", None)
    if strategies is None:
        def required(cls: type) -> set[str]:
            return {f.name for f in w.pb(cls._ms_full_name).DESCRIPTOR.fields if f.is_required}

        strategies = w.strategies = support.Strategies(w.ms, required)
        w.random_names = sorted(
            name for name in w.ms.REGISTRY if name.startswith(("protobuf_test_messages.", "apitest"))
        )
    return strategies


@settings(**SETTINGS)
@given(data=st.data())
def test_random_messages_print_and_parse_as_protobuf(world, data):
    w = world
    strategies = _strategies(w)
    if not w.conformance:
        pytest.skip("conformance schemas not found (make build/corpus/.stamp)")
    cls = w.ms.REGISTRY[data.draw(st.sampled_from(w.random_names), label="type")]
    msg = data.draw(strategies.message(cls), label="message")
    pb = w.to_pb(msg)
    text = pb_text(w, pb)
    assert msg.to_text() == text
    back = cls.from_text(text)
    assert back.to_text() == text
    assert cls.from_text(msg.to_text(one_line=True, as_utf8=False)).to_text() == text
