"""Unit tests of the native codec (moonstub._native) on its own.

The classes here are built by hand (a base with the ``_unknown`` slot,
subclasses with their own slots) and the field specs are written out as
docs/codec.md ("The native interface") describes them, so these tests need
neither the generator nor the runtime. They check round trips of every kind
(singular, repeated packed and unpacked, maps, groups, oneofs, open and
closed enums, proto2 presence and required fields), unknown fields kept byte
for byte, merging with ``into``, every error message on crafted input, the
wire bytes against google.protobuf (upb) for equivalent schemas, the
recursion guard, and that nothing leaks.

Build the extension first (make native, or see docs/codec.md) and put its
directory on PYTHONPATH; the module is skipped when it cannot be imported.
"""

from __future__ import annotations

import enum
import gc
import math
import os
import struct
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest
from wire import EGROUP, I32, I64, LEN, SGROUP, VARINT, ld, tag, varint

native = pytest.importorskip("moonstub._native", reason="the native codec is not built (make native)")
MessageType = native.MessageType

# ---- kinds, flags and wire helpers ---------------------------------------------------------------

(DOUBLE, FLOAT, INT64, UINT64, INT32, FIXED64, FIXED32, BOOL, STRING, GROUP, MESSAGE, BYTES, UINT32, ENUM,
 SFIXED32, SFIXED64, SINT32, SINT64, MAP) = range(1, 20)
REPEATED, PACKED, PRESENCE, REQUIRED, UTF8, DELIMITED = 1, 2, 4, 8, 16, 32

KIND_NAMES = {
    DOUBLE: "double", FLOAT: "float", INT64: "int64", UINT64: "uint64", INT32: "int32", FIXED64: "fixed64",
    FIXED32: "fixed32", BOOL: "bool", STRING: "string", BYTES: "bytes", UINT32: "uint32", ENUM: "enum",
    SFIXED32: "sfixed32", SFIXED64: "sfixed64", SINT32: "sint32", SINT64: "sint64",
}
PACKABLE = (DOUBLE, FLOAT, INT64, UINT64, INT32, FIXED64, FIXED32, BOOL, UINT32, ENUM, SFIXED32, SFIXED64,
            SINT32, SINT64)
ZEROS: dict[int, Any] = {DOUBLE: 0.0, FLOAT: 0.0, BOOL: False, STRING: "", BYTES: b""}


def records(data: bytes) -> list[bytes]:
    """The top-level records of an encoding (well-formed, no groups), each
    with its tag."""
    out, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        wire = key & 7
        if wire == VARINT:
            _, pos = read_varint(data, pos)
        elif wire == LEN:
            n, pos = read_varint(data, pos)
            pos += n
        else:
            pos += 8 if wire == I64 else 4
        out.append(data[start:pos])
    return out


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


# ---- enums -------------------------------------------------------------------------------------


class Color(enum.IntEnum):
    """An open enum: unknown numbers become pseudo-members (as the runtime's
    open_enum_member does)."""

    RED = 0
    GREEN = 1
    BLUE = 2

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
            return None
        member = int.__new__(cls, value)
        member._name_ = str(value)
        member._value_ = value
        return member


class Size(enum.IntEnum):
    """A closed (proto2) enum."""

    SMALL = 1
    MEDIUM = 2
    LARGE = 3


OPEN = (Color, dict(Color._value2member_map_), False)
CLOSED = (Size, dict(Size._value2member_map_), True)


class DecodeError(Exception):
    pass


class EncodeError(Exception):
    pass


class Base:
    __slots__ = ("_unknown",)

    _fields: tuple[tuple[Any, ...], ...] = ()

    def __init__(self, **values: Any) -> None:
        for number, attr, kind, flags, sub, default, oneof in self._fields:
            if kind == MAP:
                value: Any = {}
            elif flags & REPEATED:
                value = []
            else:
                value = default
            setattr(self, attr, values.pop(attr, value))
        self._unknown = values.pop("_unknown", b"")
        assert not values, values

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f[1]) == getattr(other, f[1]) for f in self._fields) and (
            self._unknown == other._unknown  # type: ignore[attr-defined]
        )

    def __repr__(self) -> str:
        parts = [f"{f[1]}={getattr(self, f[1])!r}" for f in self._fields]
        return f"{type(self).__name__}({', '.join(parts)}, _unknown={self._unknown!r})"


def build(package: str, defs: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Classes and MessageTypes for `defs`: {name: [(number, attr, kind,
    flags, sub, default, oneof)]}, where sub is a message name (kinds 10,
    11), an enum spec (14), (key_kind, value_kind, value_sub) for maps, or
    None. Returns {name: MessageType}; the class is mt.cls."""
    types: dict[str, Any] = {}
    for name, fields in defs.items():
        cls = type(name, (Base,), {"__slots__": tuple(f[1] for f in fields), "_fields": tuple(fields)})
        types[name] = MessageType(cls, f"{package}.{name}", DecodeError, EncodeError)

    def resolve(kind: int, sub: Any) -> Any:
        if kind in (GROUP, MESSAGE):
            return types[sub]
        return sub if kind == ENUM else None

    for name, fields in defs.items():
        specs = []
        for number, attr, kind, flags, sub, default, oneof in sorted(fields, key=lambda f: f[0]):
            if kind == MAP:
                key_kind, value_kind, value_sub = sub
                spec_sub: Any = (key_kind, value_kind, resolve(value_kind, value_sub), flags & UTF8)
            else:
                spec_sub = resolve(kind, sub)
            specs.append((number, attr, kind, flags, spec_sub, default, oneof, f"{package}.{name}.{attr}"))
        types[name].setup(tuple(specs))
    return types


def scalar_default(kind: int, flags: int, enum_spec: Any = None) -> Any:
    if flags & PRESENCE or kind in (MESSAGE, GROUP):
        return None
    if kind == ENUM:
        return next(iter(enum_spec[0]))
    return ZEROS.get(kind, 0)


def field(number: int, attr: str, kind: int, flags: int = 0, sub: Any = None, oneof: int = -1,
          default: Any = ...) -> tuple[Any, ...]:
    if default is ...:
        default = scalar_default(kind, flags, sub)
    return (number, attr, kind, flags, sub, default, oneof)


# ---- the schemas ---------------------------------------------------------------------------------

SCALAR_KINDS = (DOUBLE, FLOAT, INT64, UINT64, INT32, FIXED64, FIXED32, BOOL, STRING, BYTES, UINT32, ENUM,
                SFIXED32, SFIXED64, SINT32, SINT64)


def scalar_fields(flags: int = 0) -> list[tuple[Any, ...]]:
    out = []
    for kind in SCALAR_KINDS:
        f = flags | (UTF8 if kind == STRING else 0)
        out.append(field(kind, f"f_{KIND_NAMES[kind]}", kind, f, OPEN if kind == ENUM else None))
    return out


P3 = {
    "Inner": [field(1, "key", STRING, UTF8), field(2, "value", INT32), field(3, "tags", STRING, REPEATED | UTF8)],
    "Scalars": scalar_fields() + [field(11, "f_message", MESSAGE, 0, "Inner")],
    "Optional": [field(kind, f"f_{KIND_NAMES[kind]}", kind, PRESENCE | (UTF8 if kind == STRING else 0),
                       OPEN if kind == ENUM else None) for kind in SCALAR_KINDS],
    "Packed": [field(kind, f"p_{KIND_NAMES[kind]}", kind, REPEATED | PACKED, OPEN if kind == ENUM else None)
               for kind in PACKABLE],
    "Unpacked": [field(kind, f"u_{KIND_NAMES[kind]}", kind, REPEATED | (UTF8 if kind == STRING else 0),
                       OPEN if kind == ENUM else None) for kind in SCALAR_KINDS]
    + [field(11, "u_message", MESSAGE, REPEATED, "Inner")],
    "Maps": [
        field(1, "m_str_int64", MAP, UTF8, (STRING, INT64, None)),
        field(2, "m_int32_inner", MAP, UTF8, (INT32, MESSAGE, "Inner")),
        field(3, "m_bool_str", MAP, UTF8, (BOOL, STRING, None)),
        field(4, "m_sint64_color", MAP, UTF8, (SINT64, ENUM, OPEN)),
        field(5, "m_uint64_double", MAP, UTF8, (UINT64, DOUBLE, None)),
        field(6, "m_str_bytes", MAP, UTF8, (STRING, BYTES, None)),
        field(7, "m_fixed32_float", MAP, UTF8, (FIXED32, FLOAT, None)),
        field(8, "m_sfixed64_uint32", MAP, UTF8, (SFIXED64, UINT32, None)),
    ],
    "Oneofs": [
        field(1, "o_int", INT32, PRESENCE, oneof=0),
        field(2, "o_str", STRING, PRESENCE | UTF8, oneof=0),
        field(3, "o_msg", MESSAGE, PRESENCE, "Inner", oneof=0),
        field(4, "o_msg2", MESSAGE, PRESENCE, "Inner", oneof=0),
        field(5, "o_bool", BOOL, PRESENCE, oneof=1),
        field(6, "o_color", ENUM, PRESENCE, OPEN, oneof=1),
        field(7, "plain", INT32),
    ],
    "Node": [field(1, "child", MESSAGE, 0, "Node"), field(2, "value", INT32)],
    "Wide": [field(1, "a", INT32), field(100_000, "b", STRING, UTF8), field(536_870_911, "c", INT64)],
}

DEFAULT_TEXT = "default text"  # defaults whose refcounts the leak test watches
DEFAULT_FLOAT = float("2.5")

P2 = {
    "Inner2": [field(1, "x", INT32, PRESENCE), field(2, "y", STRING, PRESENCE)],
    "G": [field(7, "gx", INT32, PRESENCE), field(8, "gs", STRING, PRESENCE)],
    "RG": [field(11, "rx", INT32, PRESENCE)],
    "P2": [
        field(1, "opt_int", INT32, PRESENCE),
        field(2, "req", STRING, PRESENCE | REQUIRED),
        field(3, "size", ENUM, PRESENCE, CLOSED),
        field(4, "sizes", ENUM, REPEATED, CLOSED),
        field(5, "packed_sizes", ENUM, REPEATED | PACKED, CLOSED),
        field(6, "g", GROUP, PRESENCE, "G"),
        field(9, "delim", MESSAGE, PRESENCE | DELIMITED, "Inner2"),
        field(10, "rg", GROUP, REPEATED, "RG"),
        field(15, "size_map", MAP, 0, (INT32, ENUM, CLOSED)),
        field(16, "pick_size", ENUM, PRESENCE, CLOSED, oneof=0),
        field(17, "pick_int", INT32, PRESENCE, oneof=0),
        field(18, "raw", STRING, PRESENCE),
        field(19, "inner", MESSAGE, PRESENCE, "Inner2"),
        field(20, "m_str_str", MAP, 0, (STRING, STRING, None)),
    ],
    # what a fresh instance holds is the spec's default, whatever it is
    "Defaults": [field(1, "d_int", INT32, default=42), field(2, "d_text", STRING, default=DEFAULT_TEXT),
                 field(3, "d_float", DOUBLE, default=DEFAULT_FLOAT)],
    # more oneofs than the decoder keeps on its stack, and a oneof of 300 members
    "ManyOneofs": [field(i, f"o{i}", INT32, PRESENCE, oneof=i - 1) for i in range(1, 11)],
    "BigOneof": [field(i, f"b{i}", INT32 if i % 2 else MESSAGE, PRESENCE, None if i % 2 else "G", oneof=0)
                 for i in range(1, 301)],
}

PROTO3_TEXT = """syntax = "proto3";
package t;
enum Color { RED = 0; GREEN = 1; BLUE = 2; }
message Inner { string key = 1; int32 value = 2; repeated string tags = 3; }
message Scalars {
  double f_double = 1; float f_float = 2; int64 f_int64 = 3; uint64 f_uint64 = 4; int32 f_int32 = 5;
  fixed64 f_fixed64 = 6; fixed32 f_fixed32 = 7; bool f_bool = 8; string f_string = 9; Inner f_message = 11;
  bytes f_bytes = 12; uint32 f_uint32 = 13; Color f_enum = 14; sfixed32 f_sfixed32 = 15;
  sfixed64 f_sfixed64 = 16; sint32 f_sint32 = 17; sint64 f_sint64 = 18;
}
message Optional {
  optional double f_double = 1; optional float f_float = 2; optional int64 f_int64 = 3;
  optional uint64 f_uint64 = 4; optional int32 f_int32 = 5; optional fixed64 f_fixed64 = 6;
  optional fixed32 f_fixed32 = 7; optional bool f_bool = 8; optional string f_string = 9;
  optional bytes f_bytes = 12; optional uint32 f_uint32 = 13; optional Color f_enum = 14;
  optional sfixed32 f_sfixed32 = 15; optional sfixed64 f_sfixed64 = 16; optional sint32 f_sint32 = 17;
  optional sint64 f_sint64 = 18;
}
message Packed {
  repeated double p_double = 1; repeated float p_float = 2; repeated int64 p_int64 = 3;
  repeated uint64 p_uint64 = 4; repeated int32 p_int32 = 5; repeated fixed64 p_fixed64 = 6;
  repeated fixed32 p_fixed32 = 7; repeated bool p_bool = 8; repeated uint32 p_uint32 = 13;
  repeated Color p_enum = 14; repeated sfixed32 p_sfixed32 = 15; repeated sfixed64 p_sfixed64 = 16;
  repeated sint32 p_sint32 = 17; repeated sint64 p_sint64 = 18;
}
message Unpacked {
  repeated double u_double = 1 [packed = false]; repeated float u_float = 2 [packed = false];
  repeated int64 u_int64 = 3 [packed = false]; repeated uint64 u_uint64 = 4 [packed = false];
  repeated int32 u_int32 = 5 [packed = false]; repeated fixed64 u_fixed64 = 6 [packed = false];
  repeated fixed32 u_fixed32 = 7 [packed = false]; repeated bool u_bool = 8 [packed = false];
  repeated string u_string = 9; repeated Inner u_message = 11; repeated bytes u_bytes = 12;
  repeated uint32 u_uint32 = 13 [packed = false]; repeated Color u_enum = 14 [packed = false];
  repeated sfixed32 u_sfixed32 = 15 [packed = false]; repeated sfixed64 u_sfixed64 = 16 [packed = false];
  repeated sint32 u_sint32 = 17 [packed = false]; repeated sint64 u_sint64 = 18 [packed = false];
}
message Maps {
  map<string, int64> m_str_int64 = 1; map<int32, Inner> m_int32_inner = 2; map<bool, string> m_bool_str = 3;
  map<sint64, Color> m_sint64_color = 4; map<uint64, double> m_uint64_double = 5;
  map<string, bytes> m_str_bytes = 6; map<fixed32, float> m_fixed32_float = 7;
  map<sfixed64, uint32> m_sfixed64_uint32 = 8;
}
message Oneofs {
  oneof choice { int32 o_int = 1; string o_str = 2; Inner o_msg = 3; Inner o_msg2 = 4; }
  oneof other { bool o_bool = 5; Color o_color = 6; }
  int32 plain = 7;
}
"""

PROTO2_TEXT = """syntax = "proto2";
package t2;
// protoc wants 0 first in an enum used by a map; the tests never send it to upb
enum Size { SIZE_ZERO = 0; SMALL = 1; MEDIUM = 2; LARGE = 3; }
message Inner2 { optional int32 x = 1; optional string y = 2; }
message P2 {
  optional int32 opt_int = 1;
  required string req = 2;
  optional Size size = 3;
  repeated Size sizes = 4;
  repeated Size packed_sizes = 5 [packed = true];
  optional group G = 6 { optional int32 gx = 7; optional string gs = 8; }
  optional group Delim = 9 { optional int32 x = 1; optional string y = 2; }
  repeated group RG = 10 { optional int32 rx = 11; }
  map<int32, Size> size_map = 15;
  oneof pick { Size pick_size = 16; int32 pick_int = 17; }
  optional string raw = 18;
  optional Inner2 inner = 19;
  map<string, string> m_str_str = 20;
}
"""


@pytest.fixture(scope="module")
def t() -> dict[str, Any]:
    return build("t", P3)


@pytest.fixture(scope="module")
def t2() -> dict[str, Any]:
    return build("t2", P2)


def new(mt: Any, **values: Any) -> Any:
    return mt.cls(**values)


def fields_of(msg: Any) -> dict[str, Any]:
    return {f[1]: getattr(msg, f[1]) for f in msg._fields}


# ---- upb (google.protobuf) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def upb(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """google.protobuf classes for the same schemas, from a descriptor set
    in a private pool (no _pb2 modules, nothing shared with other suites);
    None without grpc_tools and protobuf (the comparisons are then left out)."""
    try:
        import grpc_tools  # noqa: F401
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None

    d = tmp_path_factory.mktemp("native_unit_protos")
    (d / "t.proto").write_text(PROTO3_TEXT)
    (d / "t2.proto").write_text(PROTO2_TEXT)
    out = d / "set.pb"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{d}", f"--descriptor_set_out={out}",
                    "t.proto", "t2.proto"], check=True)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)

    def get(name: str) -> Any:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))

    return get


# ---- round trips ----------------------------------------------------------------------------------

SCALAR_VALUES: dict[int, list[Any]] = {
    DOUBLE: [1.5, -0.0, -1e300, math.inf, 5e-324],
    FLOAT: [1.5, -0.0, 3.4028234663852886e38, -math.inf, 1.401298464324817e-45],
    INT64: [1, -1, 2**63 - 1, -(2**63)],
    UINT64: [1, 2**64 - 1, 2**63],
    INT32: [1, -1, 2**31 - 1, -(2**31)],
    FIXED64: [1, 2**64 - 1],
    FIXED32: [1, 2**32 - 1],
    BOOL: [True],
    STRING: ["x", "héllo wörld ✓", "a" * 300, "\U0001f600"],
    BYTES: [b"\x00", bytes(range(256)), b"y" * 200],
    UINT32: [1, 2**32 - 1, 300],
    ENUM: [Color.GREEN, Color.BLUE],
    SFIXED32: [-1, 2**31 - 1, -(2**31)],
    SFIXED64: [-1, 2**63 - 1, -(2**63)],
    SINT32: [-1, 1, 2**31 - 1, -(2**31)],
    SINT64: [-1, 1, 2**63 - 1, -(2**63)],
}


def same(a: Any, b: Any) -> bool:
    """Equality that tells -0.0 from 0.0 and accepts NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@pytest.mark.parametrize("kind", SCALAR_KINDS, ids=lambda k: KIND_NAMES[k])
def test_singular_round_trip_and_upb_bytes(t: Any, upb: Any, kind: int) -> None:
    mt = t["Scalars"]
    attr = f"f_{KIND_NAMES[kind]}"
    for value in SCALAR_VALUES[kind]:
        msg = new(mt, **{attr: value})
        data = mt.encode(msg)
        back = mt.decode(data)
        assert type(back) is mt.cls
        assert same(getattr(back, attr), value), (value, getattr(back, attr))
        if upb:
            ref = upb("t.Scalars")(**{attr: value})
            assert data == ref.SerializeToString(), value
            assert mt.decode(ref.SerializeToString()) == back


def test_implicit_presence_skips_zeros_but_not_negative_zero_or_nan(t: Any) -> None:
    mt = t["Scalars"]
    assert mt.encode(new(mt)) == b""
    assert mt.encode(new(mt, f_double=-0.0)) == tag(1, I64) + struct.pack("<d", -0.0)
    assert mt.encode(new(mt, f_float=-0.0)) == tag(2, I32) + struct.pack("<f", -0.0)
    nan = mt.encode(new(mt, f_double=math.nan))
    assert nan[:1] == tag(1, I64) and math.isnan(struct.unpack("<d", nan[1:])[0])
    assert mt.encode(new(mt, f_enum=Color.RED, f_bool=False, f_string="", f_bytes=b"")) == b""
    # an int stored in a double field is a double on the wire
    assert mt.encode(new(mt, f_double=3)) == tag(1, I64) + struct.pack("<d", 3.0)
    # float32: rounded, and values beyond its range become infinities
    assert mt.encode(new(mt, f_float=0.1)) == tag(2, I32) + struct.pack("<f", 0.1)
    assert mt.encode(new(mt, f_float=1e39)) == tag(2, I32) + struct.pack("<f", math.inf)
    assert mt.encode(new(mt, f_float=-1e300)) == tag(2, I32) + struct.pack("<f", -math.inf)
    # negative int32 and enum numbers take ten bytes
    assert mt.encode(new(mt, f_int32=-1)) == tag(5, VARINT) + b"\xff" * 9 + b"\x01"
    assert mt.encode(new(mt, f_enum=Color(-2))) == tag(14, VARINT) + varint(-2)
    assert len(varint(-2)) == 10


def test_explicit_presence_writes_zeros(t: Any, upb: Any) -> None:
    mt = t["Optional"]
    assert mt.encode(new(mt)) == b""
    zeros = {f"f_{KIND_NAMES[k]}": (Color.RED if k == ENUM else ZEROS.get(k, 0)) for k in SCALAR_KINDS}
    msg = new(mt, **zeros)
    data = mt.encode(msg)
    if upb:
        assert data == upb("t.Optional")(**zeros).SerializeToString()
    back = mt.decode(data)
    assert fields_of(back) == zeros
    assert mt.decode(b"").f_int32 is None


def test_fresh_instance_holds_defaults(t: Any, t2: Any) -> None:
    msg = t["Scalars"].decode(b"")
    assert fields_of(msg) == fields_of(new(t["Scalars"]))
    assert msg._unknown == b""
    assert msg.f_enum is Color.RED and msg.f_message is None
    d = t2["Defaults"].decode(b"")
    assert d.d_int == 42 and d.d_text is DEFAULT_TEXT and d.d_float is DEFAULT_FLOAT
    assert t2["Defaults"].encode(d) == b"\x08\x2a" + ld(2, DEFAULT_TEXT.encode()) + b"\x19" + struct.pack("<d", 2.5)
    p = t2["P2"].decode(b"")
    assert p.sizes == [] and p.size_map == {} and p.opt_int is None
    a, b = t["Unpacked"].decode(b""), t["Unpacked"].decode(b"")
    assert a.u_int32 == [] and a.u_int32 is not b.u_int32  # fresh lists


def test_nested_message_round_trip(t: Any, upb: Any) -> None:
    mt = t["Scalars"]
    inner = new(t["Inner"], key="k", value=7, tags=["a", "b"])
    msg = new(mt, f_int32=1, f_message=inner)
    data = mt.encode(msg)
    if upb:
        ref = upb("t.Scalars")(f_int32=1, f_message={"key": "k", "value": 7, "tags": ["a", "b"]})
        assert data == ref.SerializeToString()
    back = mt.decode(data)
    assert back == msg and back.f_message is not inner
    # an empty message is still written (it is set)
    assert mt.encode(new(mt, f_message=new(t["Inner"]))) == ld(11, b"")
    assert mt.decode(ld(11, b"")).f_message == new(t["Inner"])


REPEATED_VALUES: dict[int, list[Any]] = {
    DOUBLE: [0.0, -0.0, 1.5, -2.25e100], FLOAT: [0.0, 1.5, -3.25], INT64: [0, -1, 2**63 - 1, -(2**63), 300],
    UINT64: [0, 2**64 - 1, 127, 128], INT32: [0, -1, 2**31 - 1, -(2**31), 1000], FIXED64: [0, 2**64 - 1],
    FIXED32: [0, 2**32 - 1], BOOL: [True, False, True], UINT32: [0, 2**32 - 1], ENUM: [Color.BLUE, Color.RED],
    SFIXED32: [-(2**31), 0, 5], SFIXED64: [-(2**63), 7], SINT32: [-(2**31), -1, 0, 1, 2**31 - 1],
    SINT64: [-(2**63), -1, 0, 2**63 - 1], STRING: ["", "a", "ü"], BYTES: [b"", b"\x00\xff"],
}


@pytest.mark.parametrize("kind", PACKABLE, ids=lambda k: KIND_NAMES[k])
def test_packed_round_trip_and_upb_bytes(t: Any, upb: Any, kind: int) -> None:
    mt = t["Packed"]
    attr = f"p_{KIND_NAMES[kind]}"
    values = REPEATED_VALUES[kind]
    data = mt.encode(new(mt, **{attr: values}))
    if upb:
        assert data == upb("t.Packed")(**{attr: values}).SerializeToString()
    assert data.startswith(tag(kind, LEN))
    assert same(getattr(mt.decode(data), attr), values)
    assert mt.encode(new(mt, **{attr: []})) == b""
    # a packed field also reads unpacked values, and the two forms mix
    other = t["Unpacked"].encode(new(t["Unpacked"], **{f"u_{KIND_NAMES[kind]}": values}))
    assert same(getattr(mt.decode(other), attr), values)
    assert same(getattr(mt.decode(data + other + data), attr), values * 3)
    # tuples and other iterables encode like lists
    assert mt.encode(new(mt, **{attr: tuple(values)})) == data
    assert mt.encode(new(mt, **{attr: iter(values)})) == data


@pytest.mark.parametrize("kind", SCALAR_KINDS, ids=lambda k: KIND_NAMES[k])
def test_unpacked_round_trip_and_upb_bytes(t: Any, upb: Any, kind: int) -> None:
    mt = t["Unpacked"]
    attr = f"u_{KIND_NAMES[kind]}"
    values = REPEATED_VALUES[kind]
    data = mt.encode(new(mt, **{attr: values}))
    if upb:
        assert data == upb("t.Unpacked")(**{attr: values}).SerializeToString()
    assert same(getattr(mt.decode(data), attr), values)
    if kind in PACKABLE:
        packed = t["Packed"].encode(new(t["Packed"], **{f"p_{KIND_NAMES[kind]}": values}))
        assert same(getattr(mt.decode(packed), attr), values)


def test_repeated_messages(t: Any, upb: Any) -> None:
    mt = t["Unpacked"]
    items = [new(t["Inner"], key=f"k{i}", value=i, tags=["x"] * i) for i in range(5)] + [new(t["Inner"])]
    data = mt.encode(new(mt, u_message=items))
    if upb:
        ref = upb("t.Unpacked")(u_message=[{"key": f"k{i}", "value": i, "tags": ["x"] * i} for i in range(5)] + [{}])
        assert data == ref.SerializeToString()
    assert mt.decode(data).u_message == items


def test_packed_varint_and_fixed_edge_lengths(t: Any) -> None:
    mt = t["Packed"]
    # a packed run long enough to need a two-byte length; a 1000-element list
    ints = list(range(-500, 500))
    data = mt.encode(new(mt, p_int32=ints, p_double=[i / 3 for i in range(1000)]))
    back = mt.decode(data)
    assert back.p_int32 == ints and back.p_double == [i / 3 for i in range(1000)]
    # an empty packed record adds nothing
    assert mt.decode(ld(5, b"")).p_int32 == []


# ---- maps -----------------------------------------------------------------------------------------


def test_maps_round_trip_and_upb_bytes(t: Any, upb: Any) -> None:
    mt = t["Maps"]
    values: dict[str, dict[Any, Any]] = {
        "m_str_int64": {"": 0, "a": -1, "b": 2**63 - 1},
        "m_int32_inner": {-5: new(t["Inner"]), 0: new(t["Inner"], key="z", value=3, tags=["q"])},
        "m_bool_str": {False: "", True: "yes"},
        "m_sint64_color": {-(2**63): Color.BLUE, 0: Color.RED, 5: Color.GREEN},
        "m_uint64_double": {0: -0.0, 2**64 - 1: 1.5},
        "m_str_bytes": {"k": b"\x00\x01", "l": b""},
        "m_fixed32_float": {0: 0.0, 2**32 - 1: -2.5},
        "m_sfixed64_uint32": {-1: 2**32 - 1, 3: 0},
    }
    msg = new(mt, **values)
    data = mt.encode(msg)
    back = mt.decode(data)
    assert back == msg
    assert type(back.m_sint64_color[5]) is Color
    numbers = [r[0] >> 3 for r in records(data)]
    assert numbers == sorted(numbers)  # fields in number order, entries in dict order
    if not upb:
        return
    ref_values = dict(values)
    del ref_values["m_int32_inner"]
    ref = upb("t.Maps")(**ref_values)
    ref.m_int32_inner[-5].SetInParent()
    ref.m_int32_inner[0].CopyFrom(upb("t.Inner")(key="z", value=3, tags=["q"]))
    # the same entries (upb orders entries its own way, even "deterministic")
    assert sorted(records(data)) == sorted(records(ref.SerializeToString()))
    assert mt.decode(ref.SerializeToString()) == msg
    # one entry per map: the same bytes
    for name, entries in values.items():
        one = {name: dict([next(iter(entries.items()))])}
        ref_one = upb("t.Maps")()
        for k, v in one[name].items():
            if name == "m_int32_inner":
                ref_one.m_int32_inner[k].SetInParent()
            else:
                getattr(ref_one, name)[k] = v
        assert mt.encode(new(mt, **one)) == ref_one.SerializeToString(), name


def test_map_entries_write_zero_keys_and_values(t: Any) -> None:
    mt = t["Maps"]
    assert mt.encode(new(mt, m_str_int64={"": 0})) == ld(1, tag(1, LEN) + b"\x00" + tag(2, VARINT) + b"\x00")
    assert mt.encode(new(mt, m_int32_inner={0: new(t["Inner"])})) == ld(2, b"\x08\x00\x12\x00")


def test_map_entry_defaults_unknowns_and_last_wins(t: Any, t2: Any) -> None:
    mt = t["Maps"]
    # an entry without key or value: zero key, zero value (a fresh message, the first enum member)
    back = mt.decode(ld(1, b"") + ld(2, b"") + ld(4, b"") + ld(5, tag(1, VARINT) + b"\x07"))
    assert back.m_str_int64 == {"": 0}
    assert back.m_int32_inner == {0: new(t["Inner"])}
    assert back.m_sint64_color == {0: Color.RED} and back.m_sint64_color[0] is Color.RED
    assert back.m_uint64_double == {7: 0.0}
    # unknown fields inside an entry are skipped, not kept; a repeated key or value: the last wins
    entry = tag(9, VARINT) + b"\x01" + ld(1, b"a") + ld(1, b"b") + tag(2, VARINT) + b"\x05" + tag(2, VARINT) + b"\x06"
    back = mt.decode(ld(1, entry))
    assert back.m_str_int64 == {"b": 6} and back._unknown == b""
    # the same key twice: the last entry wins
    assert mt.decode(ld(1, ld(1, b"a") + b"\x10\x01") + ld(1, ld(1, b"a") + b"\x10\x02")).m_str_int64 == {"a": 2}
    # a message value appearing twice in one entry is replaced, not merged
    two = ld(2, ld(1, b"x")) + ld(2, b"\x10\x05")
    assert mt.decode(ld(2, two)).m_int32_inner == {0: new(t["Inner"], value=5)}
    # an open enum value unknown to the enum becomes a pseudo-member
    assert mt.decode(ld(4, b"\x10\x09")).m_sint64_color[0] == 9
    # a closed enum: known values map, unknown ones are an error
    p2 = t2["P2"]
    assert p2.decode(ld(15, b"\x08\x01\x10\x03")).size_map == {1: Size.LARGE}
    with pytest.raises(DecodeError, match="^unknown value of a closed enum in a map entry$"):
        p2.decode(ld(15, b"\x08\x01\x10\x09"))
    # a closed enum map without a value: the first member
    assert p2.decode(ld(15, b"\x08\x01")).size_map == {1: Size.SMALL}
    with pytest.raises(DecodeError, match="^unexpected END_GROUP tag$"):
        mt.decode(ld(1, tag(3, EGROUP)))
    # a value in an unexpected wire type is an unknown field of the entry (skipped)
    assert mt.decode(ld(1, ld(1, b"a") + ld(2, b"zz"))).m_str_int64 == {"a": 0}


def test_map_of_a_mapping_that_is_not_a_dict(t: Any) -> None:
    import collections

    mt = t["Maps"]
    od = collections.OrderedDict([("a", 1), ("b", 2)])
    assert mt.encode(new(mt, m_str_int64=od)) == mt.encode(new(mt, m_str_int64=dict(od)))

    class Mapping:
        def items(self) -> list[tuple[str, int]]:
            return [("a", 1)]

    assert mt.encode(new(mt, m_str_int64=Mapping())) == mt.encode(new(mt, m_str_int64={"a": 1}))


# ---- oneofs ---------------------------------------------------------------------------------------


def test_oneof_last_member_wins(t: Any, upb: Any) -> None:
    mt = t["Oneofs"]
    back = mt.decode(b"\x08\x05" + ld(2, b"x") + b"\x38\x01")
    assert (back.o_int, back.o_str, back.o_msg, back.plain) == (None, "x", None, 1)
    back = mt.decode(ld(2, b"x") + b"\x08\x05")
    assert (back.o_int, back.o_str) == (5, None)
    # another oneof is independent
    back = mt.decode(b"\x08\x05\x28\x01\x30\x02")
    assert (back.o_int, back.o_bool, back.o_color) == (5, None, Color.BLUE)
    msg = new(mt, o_msg=new(t["Inner"], key="k"), o_bool=True)
    assert mt.decode(mt.encode(msg)) == msg
    if upb:
        assert mt.encode(msg) == upb("t.Oneofs")(o_msg={"key": "k"}, o_bool=True).SerializeToString()


def test_oneof_message_member_merges_only_when_it_was_last(t: Any) -> None:
    mt = t["Oneofs"]
    inner = t["Inner"]
    # o_msg twice in a row: merged
    back = mt.decode(ld(3, ld(1, b"a")) + ld(3, b"\x10\x02"))
    assert back.o_msg == new(inner, key="a", value=2)
    # o_msg, another member, o_msg again: starts afresh
    back = mt.decode(ld(3, ld(1, b"a")) + b"\x08\x01" + ld(3, b"\x10\x02"))
    assert back.o_msg == new(inner, value=2) and back.o_int is None
    back = mt.decode(ld(3, ld(1, b"a")) + ld(4, b"") + ld(3, b"\x10\x02"))
    assert back.o_msg == new(inner, value=2) and back.o_msg2 is None


def test_oneof_with_into(t: Any) -> None:
    mt = t["Oneofs"]
    inner = t["Inner"]
    into = new(mt, o_msg=new(inner, key="a", tags=["t"]))
    back = mt.decode(ld(3, b"\x10\x02"), into)
    assert back.o_msg == new(inner, key="a", value=2, tags=["t"])
    assert into.o_msg == new(inner, key="a", tags=["t"])  # untouched
    back = mt.decode(ld(2, b"s"), into)
    assert back.o_msg is None and back.o_str == "s"
    # nothing of the oneof in the input: into's member stays
    back = mt.decode(b"\x38\x07", into)
    assert back.o_msg is into.o_msg and back.plain == 7


def test_closed_enum_oneof_member_unknown_value_keeps_siblings(t2: Any) -> None:
    mt = t2["P2"]
    data = b"\x88\x01\x05" + b"\x80\x01\x09"  # pick_int=5, then pick_size=9 (unknown to Size)
    back = mt.decode(data)
    assert back.pick_int == 5 and back.pick_size is None
    assert back._unknown == b"\x80\x01\x09"
    back = mt.decode(b"\x88\x01\x05" + b"\x80\x01\x02")
    assert back.pick_int is None and back.pick_size is Size.MEDIUM


def test_many_oneofs_and_a_big_one(t2: Any) -> None:
    many = t2["ManyOneofs"]
    data = b"".join(tag(i, VARINT) + bytes([i]) for i in range(1, 11))
    assert [getattr(many.decode(data), f"o{i}") for i in range(1, 11)] == list(range(1, 11))
    big, g = t2["BigOneof"], t2["G"]
    back = big.decode(ld(2, b"\x38\x01") + tag(299, VARINT) + b"\x05" + ld(2, b"\x40\x02"))
    assert back.b2 == new(g, gs=None, gx=None, _unknown=b"\x40\x02") and back.b299 is None
    assert sum(getattr(back, f"b{i}") is not None for i in range(1, 301)) == 1
    back = big.decode(ld(2, b"\x38\x01") + ld(2, b"\x42\x01s") + tag(1, VARINT) + b"\x01" + tag(3, VARINT) + b"\x03")
    assert back.b3 == 3 and back.b1 is None and back.b2 is None
    into = new(big, b4=new(g, gx=1), b5=5)  # several members set: decoding one clears the rest
    back = big.decode(ld(4, b"\x42\x01s"), into)
    assert back.b4 == new(g, gx=1, gs="s") and back.b5 is None
    assert big.decode(b"", into).b5 == 5


# ---- enums ------------------------------------------------------------------------------------------


def test_open_enum_unknown_numbers_become_pseudo_members(t: Any) -> None:
    mt = t["Scalars"]
    back = mt.decode(b"\x70\x07")
    assert back.f_enum == 7 and isinstance(back.f_enum, Color)
    assert mt.encode(back) == b"\x70\x07"
    back = mt.decode(b"\x70" + varint(-3))
    assert back.f_enum == -3
    # a varint beyond 32 bits keeps its low 32 bits, signed
    assert mt.decode(b"\x70" + varint(2**32 + 1)).f_enum is Color.GREEN
    packed = t["Packed"].decode(ld(14, b"\x01\x07\x02"))
    assert packed.p_enum == [Color.GREEN, 7, Color.BLUE] and type(packed.p_enum[1]) is Color


def test_closed_enum_unknown_numbers_go_to_unknown_fields(t2: Any) -> None:
    mt = t2["P2"]
    back = mt.decode(b"\x18\x09")
    assert back.size is None and back._unknown == b"\x18\x09"
    back = mt.decode(b"\x18\x02\x18\x09")
    assert back.size is Size.MEDIUM and back._unknown == b"\x18\x09"
    # repeated, unpacked: the raw field bytes
    back = mt.decode(b"\x20\x01\x20\x09\x20\x03")
    assert back.sizes == [Size.SMALL, Size.LARGE] and back._unknown == b"\x20\x09"
    # packed: one varint record per unknown number (negative: ten bytes)
    back = mt.decode(ld(5, b"\x01\x09" + varint(-1) + b"\x02"))
    assert back.packed_sizes == [Size.SMALL, Size.MEDIUM]
    assert back._unknown == tag(5, VARINT) + b"\x09" + tag(5, VARINT) + varint(-1)
    # a packed field is read from unpacked records too (and the other way round)
    assert mt.decode(b"\x28\x01\x28\x09").packed_sizes == [Size.SMALL]
    assert mt.decode(ld(4, b"\x01\x02")).sizes == [Size.SMALL, Size.MEDIUM]
    # encoding writes them back after the known fields
    back.req = "r"
    assert mt.encode(back) == b"\x12\x01r" + ld(5, b"\x01\x02") + back._unknown


# ---- proto2: presence, required, groups, delimited ------------------------------------------------


def test_proto2_round_trip_and_upb_bytes(t2: Any, upb: Any) -> None:
    mt = t2["P2"]
    msg = new(
        mt, opt_int=0, req="", size=Size.SMALL, sizes=[Size.LARGE, Size.SMALL], packed_sizes=[Size.MEDIUM],
        g=new(t2["G"], gx=0, gs="g"), delim=new(t2["Inner2"], x=-1), rg=[new(t2["RG"], rx=1), new(t2["RG"])],
        size_map={3: Size.MEDIUM}, pick_size=Size.LARGE, raw="r", inner=new(t2["Inner2"], y="i"),
    )
    data = mt.encode(msg)
    assert mt.decode(data) == msg
    # the group encodings
    assert tag(6, SGROUP) + b"\x38\x00\x42\x01g" + tag(6, EGROUP) in data
    assert tag(9, SGROUP) + b"\x08" + varint(-1) + tag(9, EGROUP) in data
    if upb:
        ref = upb("t2.P2")(
            opt_int=0, req="", size="SMALL", sizes=["LARGE", "SMALL"], packed_sizes=["MEDIUM"], g={"gx": 0, "gs": "g"},
            delim={"x": -1}, rg=[{"rx": 1}, {}], size_map={3: "MEDIUM"}, pick_size="LARGE", raw="r",
            inner={"y": "i"},
        )
        assert data == ref.SerializeToString()
        assert mt.decode(ref.SerializeToString()) == msg


def test_required_field(t2: Any) -> None:
    mt = t2["P2"]
    with pytest.raises(EncodeError, match=r"^required field t2\.P2\.req is not set$"):
        mt.encode(new(mt))
    # decoding does not check it
    assert mt.decode(b"").req is None


def test_groups_decode_until_their_end(t2: Any) -> None:
    mt = t2["P2"]
    g = tag(6, SGROUP) + b"\x38\x05" + tag(99, VARINT) + b"\x01" + tag(6, EGROUP)
    back = mt.decode(g + g.replace(b"\x38\x05", b"\x42\x01s"))
    assert back.g == new(t2["G"], gx=5, gs="s", _unknown=(tag(99, VARINT) + b"\x01") * 2)
    with pytest.raises(DecodeError, match="^unterminated group$"):
        mt.decode(tag(6, SGROUP) + b"\x38\x05")
    with pytest.raises(DecodeError, match="^unexpected END_GROUP tag$"):
        mt.decode(tag(6, SGROUP) + tag(7, EGROUP))
    # a group field in the LEN wire type is an unknown field
    back = mt.decode(ld(6, b"\x38\x05"))
    assert back.g is None and back._unknown == ld(6, b"\x38\x05")
    # a LEN-encoded message field given as a group is unknown too (kept whole)
    grouped = tag(19, SGROUP) + b"\x08\x01" + tag(19, EGROUP)
    back = mt.decode(grouped)
    assert back.inner is None and back._unknown == grouped


# ---- unknown fields ---------------------------------------------------------------------------------


def test_unknown_fields_kept_byte_for_byte(t: Any) -> None:
    mt = t["Scalars"]
    unknown = (
        tag(100, VARINT) + b"\xff\xff\x03"
        + tag(101, I64) + bytes(8)
        + tag(102, LEN) + b"\x03abc"
        + tag(103, I32) + b"\x01\x02\x03\x04"
        + tag(104, SGROUP) + tag(1, VARINT) + b"\x01" + tag(2, SGROUP) + tag(2, EGROUP) + tag(104, EGROUP)
        + tag(2**29 - 1, VARINT) + b"\x00"
        # a known number in another wire type is unknown too
        + tag(5, I64) + bytes(8)
        + tag(9, VARINT) + b"\x01"
        # a non-minimal varint of a unknown field stays as it is
        + tag(105, VARINT) + b"\x80\x80\x00"
    )
    data = b"\x28\x07" + unknown + b"\x28\x08"
    back = mt.decode(data)
    assert back.f_int32 == 8 and back.f_string == ""
    assert back._unknown == unknown
    # re-encoded after the known fields, as they were
    assert mt.encode(back) == b"\x28\x08" + unknown
    # unknowns of nested messages stay with them
    nested = mt.decode(ld(11, tag(50, VARINT) + b"\x01"))
    assert nested.f_message._unknown == tag(50, VARINT) + b"\x01"
    assert mt.encode(nested) == ld(11, tag(50, VARINT) + b"\x01")


def test_unknown_bytes_of_any_buffer_are_written(t: Any) -> None:
    mt = t["Scalars"]
    for unknown in (bytearray(b"\x78\x01"), memoryview(b"\x78\x01")):
        assert mt.encode(new(mt, f_int32=1, _unknown=unknown)) == b"\x28\x01\x78\x01"
    assert mt.encode(new(mt, f_int32=1, _unknown=None)) == b"\x28\x01"


def test_wide_field_numbers(t: Any) -> None:
    mt = t["Wide"]
    msg = new(mt, a=1, b="x", c=-1)
    data = mt.encode(msg)
    assert data == b"\x08\x01" + ld(100_000, b"x") + tag(536_870_911, VARINT) + varint(-1)
    assert mt.decode(data) == msg
    back = mt.decode(tag(536_870_911, VARINT) + b"\x05" + ld(100_000, b"y") + b"\x08\x02")
    assert (back.a, back.b, back.c) == (2, "y", 5)
    assert mt.decode(tag(99_999, VARINT) + b"\x01")._unknown == tag(99_999, VARINT) + b"\x01"


def test_input_buffers(t: Any) -> None:
    mt = t["Scalars"]
    data = b"\x28\x07" + ld(9, b"hi") + ld(12, b"\x00\x01")
    for buf in (data, bytearray(data), memoryview(data), memoryview(b"xx" + data)[2:]):
        back = mt.decode(buf)
        assert (back.f_int32, back.f_string, back.f_bytes) == (7, "hi", b"\x00\x01")
        assert type(back.f_bytes) is bytes
    assert mt.decode(data=data).f_int32 == 7
    assert mt.decode(b"").f_int32 == 0
    # bytes fields take any buffer
    for value in (bytearray(b"ab"), memoryview(b"ab")):
        assert mt.encode(new(mt, f_bytes=value)) == ld(12, b"ab")
    with pytest.raises(TypeError):
        mt.decode("text")


def test_strings_utf8_strict_and_lenient(t: Any, t2: Any) -> None:
    mt, p2 = t["Scalars"], t2["P2"]
    assert mt.decode(ld(9, "ä€😀".encode())).f_string == "ä€😀"
    assert mt.decode(ld(9, b"a")).f_string == "a"
    # lenient fields keep invalid UTF-8 through a round trip (surrogateescape)
    back = p2.decode(ld(18, b"a\xffb"))
    assert back.raw == "a\udcffb"
    back.req = ""
    assert p2.encode(back) == b"\x12\x00" + ld(18, b"a\xffb")


# ---- merging into an existing message ----------------------------------------------------------------


def test_decode_into_merges_without_touching_into(t: Any) -> None:
    mt = t["Scalars"]
    inner = new(t["Inner"], key="k", tags=["a"])
    into = new(mt, f_int32=1, f_string="s", f_message=inner, _unknown=tag(99, VARINT) + b"\x01")
    data = b"\x28\x02" + ld(11, b"\x10\x05" + ld(3, b"b")) + tag(98, VARINT) + b"\x02"
    back = mt.decode(data, into)
    assert back is not into
    assert back.f_int32 == 2 and back.f_string is into.f_string
    assert back.f_message == new(t["Inner"], key="k", value=5, tags=["a", "b"])
    assert back.f_message is not inner and back.f_message.tags is not inner.tags
    assert back._unknown == tag(99, VARINT) + b"\x01" + tag(98, VARINT) + b"\x02"
    # into and everything it reaches are unchanged
    assert into.f_int32 == 1 and into.f_message is inner
    assert inner == new(t["Inner"], key="k", tags=["a"])
    # nothing new: into's unknown bytes are shared
    assert mt.decode(b"", into)._unknown is into._unknown
    # into=None is a fresh decode
    assert mt.decode(data, None) == mt.decode(data)


def test_decode_into_copies_lists_and_dicts(t: Any) -> None:
    unpacked, maps = t["Unpacked"], t["Maps"]
    into = new(unpacked, u_int32=[1, 2], u_string=["a"])
    back = unpacked.decode(b"\x28\x03", into)
    assert back.u_int32 == [1, 2, 3] and into.u_int32 == [1, 2]
    assert back.u_string == ["a"] and back.u_string is not into.u_string
    packed = t["Packed"]
    into = new(packed, p_int32=[9])
    assert packed.decode(ld(5, b"\x01\x02"), into).p_int32 == [9, 1, 2] and into.p_int32 == [9]
    into = new(maps, m_str_int64={"a": 1, "b": 2})
    back = maps.decode(ld(1, ld(1, b"b") + b"\x10\x05"), into)
    assert back.m_str_int64 == {"a": 1, "b": 5} and into.m_str_int64 == {"a": 1, "b": 2}
    # any iterable or mapping is accepted as into's value
    into = new(unpacked, u_int32=(1, 2))
    assert unpacked.decode(b"", into).u_int32 == [1, 2]


def test_decode_into_rejects_other_classes(t: Any) -> None:
    with pytest.raises(TypeError):
        t["Scalars"].decode(b"", new(t["Inner"]))
    with pytest.raises(TypeError):
        t["Scalars"].decode(b"", 5)


# ---- decode errors -------------------------------------------------------------------------------------


def nested_nodes(levels: int) -> bytes:
    data = b"\x10\x01"
    for _ in range(levels):
        data = ld(1, data)
    return data


def nested_groups(levels: int) -> bytes:
    data = b""
    for _ in range(levels):
        data = tag(200, SGROUP) + data + tag(200, EGROUP)
    return data


DECODE_ERRORS = [
    ("Scalars", b"\x28", "truncated varint"),
    ("Scalars", b"\x28\x80", "truncated varint"),
    ("Scalars", b"\x28" + b"\xff" * 10 + b"\x01", "varint longer than 10 bytes"),
    ("Scalars", b"\xa8", "truncated varint"),
    ("Scalars", b"\x88\x80\x80\x80\x80\x00", "field number out of range"),
    ("Scalars", varint(2**29 << 3), "field number out of range"),
    ("Scalars", b"\x80" * 10 + b"\x01", "varint longer than 10 bytes"),
    ("Scalars", b"\x00", "field number 0 is invalid"),
    ("Scalars", b"\x02\x00", "field number 0 is invalid"),
    ("Scalars", tag(100, 6), "invalid wire type 6"),
    ("Scalars", tag(100, 7), "invalid wire type 7"),
    ("Scalars", tag(1, I64) + b"\x00" * 7, "truncated fixed-width value"),
    ("Scalars", tag(2, I32) + b"\x00" * 3, "truncated fixed-width value"),
    ("Scalars", tag(6, I64), "truncated fixed-width value"),
    ("Scalars", tag(100, I64) + b"\x00", "truncated fixed-width value"),
    ("Scalars", tag(100, I32) + b"\x00", "truncated fixed-width value"),
    ("Scalars", tag(100, VARINT) + b"\x80", "truncated varint"),
    ("Scalars", tag(100, VARINT) + b"\x80" * 10, "varint longer than 10 bytes"),
    ("Scalars", ld(9, b"abc")[:-1], "length prefix runs past the end of the input"),
    ("Scalars", tag(12, LEN) + varint(2**64 - 1) + b"x", "length prefix runs past the end of the input"),
    ("Scalars", tag(100, LEN) + b"\x05ab", "length prefix runs past the end of the input"),
    ("Scalars", tag(9, LEN) + b"\x80", "truncated varint"),
    ("Scalars", ld(11, b"\x10"), "truncated varint"),  # the record bounds the nested message
    ("Packed", ld(1, b"\x00" * 7), "packed fixed-width field length is not a multiple of its size"),
    ("Packed", ld(7, b"\x00" * 5), "packed fixed-width field length is not a multiple of its size"),
    ("Packed", ld(5, b"\x01\x80"), "truncated varint"),
    ("Packed", ld(5, b"\xff" * 11), "varint longer than 10 bytes"),
    ("Packed", ld(14, b"\x80"), "truncated varint"),
    ("Scalars", tag(5, EGROUP), "unexpected END_GROUP tag"),
    ("Scalars", tag(100, EGROUP), "unexpected END_GROUP tag"),
    ("Scalars", b"\x04", "unexpected END_GROUP tag"),
    ("Scalars", tag(100, SGROUP), "unterminated group"),
    ("Scalars", tag(100, SGROUP) + tag(1, VARINT) + b"\x01", "unterminated group"),
    ("Scalars", tag(100, SGROUP) + tag(101, EGROUP), "mismatched END_GROUP tag"),
    ("Scalars", tag(100, SGROUP) + tag(1, SGROUP) + tag(100, EGROUP), "mismatched END_GROUP tag"),
    ("Scalars", tag(100, SGROUP) + tag(0, VARINT), "field number 0 is invalid"),
    ("Scalars", tag(100, SGROUP) + tag(1, 6), "invalid wire type 6"),
    ("Scalars", tag(100, SGROUP) + b"\x88\x80\x80\x80\x80\x00", "field number out of range"),
    ("Scalars", ld(11, tag(7, EGROUP)), "unexpected END_GROUP tag"),
    ("Node", nested_nodes(101), "nesting deeper than 100 levels"),
    ("Scalars", nested_groups(101), "nesting deeper than 100 levels"),
    ("Scalars", ld(9, b"\xff"), "invalid UTF-8 in a string field: invalid start byte"),
    ("Scalars", ld(9, b"ab\xe2\x82"), "invalid UTF-8 in a string field: unexpected end of data"),
    ("Scalars", ld(9, b"\xed\xa0\x80"), "invalid UTF-8 in a string field: invalid continuation byte"),
    ("Unpacked", ld(9, b"\xc0\xaf"), "invalid UTF-8 in a string field: invalid start byte"),
    ("Inner", ld(3, b"\x80abc"), "invalid UTF-8 in a string field: invalid start byte"),
    ("Maps", ld(1, ld(1, b"\xff")), "invalid UTF-8 in a string field: invalid start byte"),
    ("Maps", ld(1, ld(1, b"a") + b"\x10"), "truncated varint"),
    ("Maps", ld(2, ld(2, b"\x08")), "truncated varint"),
    ("Maps", ld(7, b"\x0d\x00"), "truncated fixed-width value"),
    ("Maps", ld(1, tag(100, 7)), "invalid wire type 7"),
]


@pytest.mark.parametrize("name,data,message", DECODE_ERRORS, ids=[m for _, _, m in DECODE_ERRORS])
def test_decode_errors(t: Any, name: str, data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as info:
        t[name].decode(data)
    assert str(info.value) == message
    assert info.value.__cause__ is None


def test_nesting_limits_are_exact(t: Any) -> None:
    node = t["Node"]
    msg = node.decode(nested_nodes(100))
    for _ in range(100):
        msg = msg.child
    assert msg.value == 1 and msg.child is None
    assert node.decode(nested_groups(100))._unknown == nested_groups(100)
    # map entries count a level, their message values another
    maps = build("deep", {
        "M": [field(1, "m", MESSAGE, 0, "M"), field(2, "mp", MAP, 0, (INT32, MESSAGE, "M"))],
    })["M"]

    def chain(levels: int, tail: bytes) -> bytes:
        for _ in range(levels):
            tail = ld(1, tail)
        return tail

    # the map's value at depth d + 2: fine at 100, an error beyond
    assert maps.decode(chain(98, ld(2, ld(2, b""))))
    with pytest.raises(DecodeError, match="^nesting deeper than 100 levels$"):
        maps.decode(chain(99, ld(2, ld(2, b""))))
    # an absent message value is made without decoding, so the entry at depth 100 is fine
    assert maps.decode(chain(99, ld(2, b"")))


def test_closed_enum_map_error(t2: Any) -> None:
    with pytest.raises(DecodeError, match="^unknown value of a closed enum in a map entry$"):
        t2["P2"].decode(ld(15, b"\x10\x00"))


# ---- encode errors ----------------------------------------------------------------------------------

RANGES = {
    INT32: (-(2**31), 2**31 - 1), SINT32: (-(2**31), 2**31 - 1), SFIXED32: (-(2**31), 2**31 - 1),
    UINT32: (0, 2**32 - 1), FIXED32: (0, 2**32 - 1), INT64: (-(2**63), 2**63 - 1),
    SINT64: (-(2**63), 2**63 - 1), SFIXED64: (-(2**63), 2**63 - 1), UINT64: (0, 2**64 - 1),
    FIXED64: (0, 2**64 - 1),
}


@pytest.mark.parametrize("kind", sorted(RANGES), ids=lambda k: KIND_NAMES[k])
def test_range_errors(t: Any, kind: int) -> None:
    name = KIND_NAMES[kind]
    lo, hi = RANGES[kind]
    for mt_name, attr, wrap in (("Scalars", f"f_{name}", lambda v: v), ("Packed", f"p_{name}", lambda v: [1, v, 2]),
                                ("Unpacked", f"u_{name}", lambda v: [v])):
        mt = t[mt_name]
        for bad in (lo - 1, hi + 1, -(2**70), 2**70):
            with pytest.raises(EncodeError) as info:
                mt.encode(new(mt, **{attr: wrap(bad)}))
            assert str(info.value) == f"t.{mt_name}.{attr}: {bad!r} is out of range for {name}"
        for good in (lo, hi):
            assert getattr(mt.decode(mt.encode(new(mt, **{attr: wrap(good)}))), attr) == wrap(good)


def test_range_error_names_the_value_by_repr(t: Any) -> None:
    class Big(int):
        def __repr__(self) -> str:
            return "Big!"

    with pytest.raises(EncodeError, match=r"^t\.Scalars\.f_uint32: Big! is out of range for uint32$"):
        t["Scalars"].encode(new(t["Scalars"], f_uint32=Big(-5)))
    # packed: the first element out of range is named
    with pytest.raises(EncodeError, match=r"^t\.Packed\.p_int32: -2147483649 is out of range for int32$"):
        t["Packed"].encode(new(t["Packed"], p_int32=[0, -(2**31) - 1, 2**40]))


def test_map_entry_range_errors(t: Any) -> None:
    mt = t["Maps"]
    with pytest.raises(EncodeError, match="^map entry: 2147483648 is out of range for int32$"):
        mt.encode(new(mt, m_int32_inner={2**31: new(t["Inner"])}))
    with pytest.raises(EncodeError, match="^map entry: -1 is out of range for uint32$"):
        mt.encode(new(mt, m_sfixed64_uint32={1: -1}))
    with pytest.raises(EncodeError, match="^map entry: 18446744073709551616 is out of range for uint64$"):
        mt.encode(new(mt, m_uint64_double={2**64: 1.0}))


def test_enum_numbers_are_not_range_checked(t: Any) -> None:
    mt = t["Scalars"]
    assert mt.encode(new(mt, f_enum=2**40)) == b"\x70" + varint(2**40)
    assert mt.encode(new(mt, f_enum=-(2**40))) == b"\x70" + varint(-(2**40))
    assert mt.encode(new(mt, f_enum=2**64 + 3)) == b"\x70\x03"  # masked to 64 bits


def test_string_encoding_errors(t: Any, t2: Any) -> None:
    mt = t["Scalars"]
    with pytest.raises(EncodeError) as info:
        mt.encode(new(mt, f_string="a\ud800"))
    assert str(info.value) == "string is not valid UTF-8: surrogates not allowed"
    with pytest.raises(EncodeError, match="^string is not valid UTF-8: surrogates not allowed$"):
        t["Unpacked"].encode(new(t["Unpacked"], u_string=["ok", "\udcff"]))
    with pytest.raises(EncodeError, match="^string is not valid UTF-8: surrogates not allowed$"):
        t["Maps"].encode(new(t["Maps"], m_str_int64={"\ud800": 1}))
    p2 = t2["P2"]
    # lenient: lone surrogates U+DC80..U+DCFF are bytes; other surrogates cannot be encoded
    assert p2.encode(new(p2, req="\udc80")) == b"\x12\x01\x80"
    with pytest.raises(EncodeError, match="^string cannot be encoded: surrogates not allowed$"):
        p2.encode(new(p2, req="\ud800"))


def test_type_errors_name_the_field(t: Any) -> None:
    mt = t["Scalars"]
    cases = [("f_int32", "1"), ("f_int32", 1.5), ("f_uint64", None.__class__), ("f_string", b"x"),
             ("f_bytes", "x"), ("f_double", "x"), ("f_message", new(t["Oneofs"])), ("f_enum", 1.0)]
    for attr, value in cases:
        with pytest.raises(TypeError, match=rf"t\.Scalars\.{attr}"):
            mt.encode(new(mt, **{attr: value}))
    with pytest.raises(TypeError, match=r"t\.Unpacked\.u_message"):
        t["Unpacked"].encode(new(t["Unpacked"], u_message=[new(t["Inner"]), None]))
    with pytest.raises(TypeError, match=r"t\.Packed\.p_int32"):
        t["Packed"].encode(new(t["Packed"], p_int32=5))
    with pytest.raises(TypeError, match=r"map entry"):
        t["Maps"].encode(new(t["Maps"], m_int32_inner={1: "x"}))
    with pytest.raises(TypeError):
        mt.encode(new(t["Inner"]))
    # falsy values of another type are skipped like zeros (`if v:`)
    assert mt.encode(new(mt, f_int32="")) == b""


def test_unset_slot_raises_attribute_error(t: Any) -> None:
    mt = t["Scalars"]
    msg = mt.cls.__new__(mt.cls)
    with pytest.raises(AttributeError):
        mt.encode(msg)
    msg = new(mt)
    del msg._unknown
    with pytest.raises(AttributeError):
        mt.encode(msg)
    with pytest.raises(AttributeError):
        mt.decode(b"", msg)


# ---- the type itself ----------------------------------------------------------------------------------


def test_attributes_and_setup_rules() -> None:
    class M(Base):
        __slots__ = ("a",)

    mt = MessageType(M, "x.M", DecodeError, EncodeError)
    assert mt.cls is M and mt.full_name == "x.M" and "x.M" in repr(mt)
    with pytest.raises(RuntimeError):
        mt.encode(M.__new__(M))
    with pytest.raises(RuntimeError):
        mt.decode(b"")
    with pytest.raises(TypeError, match="no slot"):
        mt.setup(((1, "nope", INT32, 0, None, 0, -1, "x.M.nope"),))
    with pytest.raises(ValueError, match="sorted"):
        mt.setup(((2, "a", INT32, 0, None, 0, -1, "x.M.a"), (1, "a", INT32, 0, None, 0, -1, "x.M.a")))
    with pytest.raises(ValueError):
        mt.setup(((0, "a", INT32, 0, None, 0, -1, "x.M.a"),))
    with pytest.raises(ValueError):
        mt.setup(((1, "a", 20, 0, None, 0, -1, "x.M.a"),))
    with pytest.raises(TypeError):
        mt.setup(((1, "a", MESSAGE, 0, None, None, -1, "x.M.a"),))
    with pytest.raises(TypeError):
        mt.setup(((1, "a", INT32),))
    mt.setup(((1, "a", INT32, 0, None, 0, -1, "x.M.a"),))
    with pytest.raises(RuntimeError):
        mt.setup(())
    m: Any = M.__new__(M)
    m.a, m._unknown = 3, b""
    assert mt.encode(m) == b"\x08\x03"
    with pytest.raises(AttributeError):
        mt.cls = int  # read-only


def test_classes_it_cannot_instantiate_are_refused() -> None:
    class WithNew(Base):
        __slots__ = ("a",)

        def __new__(cls) -> Any:
            return super().__new__(cls)

    with pytest.raises(TypeError):
        MessageType(WithNew, "x.W", DecodeError, EncodeError)
    with pytest.raises(TypeError):
        MessageType(dict, "x.D", DecodeError, EncodeError)
    with pytest.raises(TypeError):
        MessageType(Base(), "x.B", DecodeError, EncodeError)
    with pytest.raises(TypeError):
        MessageType(Base, "x.B", 1, EncodeError)

    class NotASlot(Base):
        __slots__ = ("a",)
        b = 5

    mt = MessageType(NotASlot, "x.N", DecodeError, EncodeError)
    with pytest.raises(TypeError, match="no slot"):
        mt.setup(((1, "b", INT32, 0, None, 0, -1, "x.N.b"),))

    class Other(Base):
        __slots__ = ("z",)

    class Borrowed(Base):
        __slots__ = ("a",)
        z = Other.__dict__["z"]  # a slot of an unrelated class

    mt = MessageType(Borrowed, "x.B", DecodeError, EncodeError)
    with pytest.raises(TypeError, match="no slot"):
        mt.setup(((1, "z", INT32, 0, None, 0, -1, "x.B.z"),))


def test_message_types_are_collected_with_their_cycles() -> None:
    types = build("gc", {"N": [field(1, "child", MESSAGE, 0, "N"), field(2, "v", INT32)]})
    mt = types.pop("N")
    cls = mt.cls
    cls.codec = mt  # class -> type -> class
    ref = weakref.ref(cls)
    msg = mt.decode(ld(1, b"\x10\x01"))
    assert msg.child.v == 1
    del mt, cls, msg, types
    gc.collect()
    assert ref() is None


# ---- recursion ----------------------------------------------------------------------------------------


def test_cyclic_message_raises_recursion_error(t: Any) -> None:
    node = t["Node"]
    a = new(node, value=1)
    a.child = a
    with pytest.raises(RecursionError):
        node.encode(a)
    b = new(node)
    b.child = new(node, child=b)
    with pytest.raises(RecursionError):
        node.encode(b)
    # a deep chain (no cycle) deeper than the recursion limit: an error, not a crash
    deep = new(node)
    for _ in range(100_000):  # beyond the C recursion limits of 3.12+ too
        deep = new(node, child=deep)
    with pytest.raises(RecursionError):
        node.encode(deep)
    # and the codec still works afterwards
    assert node.encode(new(node, value=2)) == b"\x10\x02"
    del deep


# ---- leaks ----------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_no_leaks(t: Any, t2: Any) -> None:
    scalars, p2, maps, unpacked, defaults = t["Scalars"], t2["P2"], t["Maps"], t["Unpacked"], t2["Defaults"]
    inner = new(t["Inner"], key="k", value=3, tags=["a", "bb", "ü"])
    msgs = [
        (scalars, new(scalars, f_int32=-5, f_string="héllo", f_double=1.5, f_bytes=b"x" * 40, f_enum=Color.BLUE,
                      f_message=inner, f_uint64=2**64 - 1, _unknown=b"\xf8\x06\x01")),
        (p2, new(p2, req="r", size=Size.LARGE, sizes=[Size.SMALL], packed_sizes=[Size.MEDIUM] * 3,
                 g=new(t2["G"], gx=1), rg=[new(t2["RG"], rx=2)], size_map={1: Size.SMALL}, pick_int=4, raw="a\udcff")),
        (maps, new(maps, m_str_int64={"alpha": 1, "beta": 2**40}, m_int32_inner={1000: inner},
                   m_sint64_color={-3000: Color.GREEN}, m_bool_str={True: "yes"})),
        (unpacked, new(unpacked, u_int32=list(range(-20, 300)), u_string=["x", "yy"], u_message=[inner, inner],
                       u_double=[0.5] * 10)),
        (defaults, defaults.decode(b"\x08\x01")),
    ]
    encoded = [(mt, msg, mt.encode(msg)) for mt, msg in msgs]
    bad_inputs = [
        (scalars, ld(9, b"\xff")), (scalars, b"\x28\x05" + ld(11, b"\x10")), (p2, ld(15, b"\x10\x09")),
        (maps, ld(2, ld(2, b"\x08\x01\x1a\x01\xff"))), (unpacked, b"\x28\x01" * 5 + tag(1, I64)),
        (t["Node"], nested_nodes(101)), (scalars, tag(100, SGROUP) + tag(101, EGROUP)),
    ]
    bad_messages = [
        (scalars, new(scalars, f_int32=2**31, f_string="abc")), (scalars, new(scalars, f_string="\ud800")),
        (p2, new(p2)), (maps, new(maps, m_int32_inner={1: inner, 2**40: inner})),
        (unpacked, new(unpacked, u_int32=[1, 2, "x"])), (p2, new(p2, req="\ud800")),
    ]

    def rounds(n: int) -> None:
        for i in range(n):
            mt, msg, data = encoded[i % len(encoded)]
            assert mt.encode(msg) == data
            back = mt.decode(data)
            mt.decode(data, back)
            if i % 10 == 0:
                mt, data = bad_inputs[i // 10 % len(bad_inputs)]
                try:
                    mt.decode(data)
                except DecodeError:
                    pass
                mt, msg = bad_messages[i // 10 % len(bad_messages)]
                try:
                    mt.encode(msg)
                except (EncodeError, TypeError):
                    pass

    def watched() -> list[int]:
        return [sys.getrefcount(x) for x in (scalars.cls, p2.cls, type(inner), scalars, defaults.cls, DEFAULT_TEXT,
                                             DEFAULT_FLOAT, Color.BLUE, Size.SMALL, inner, inner.tags[2])]

    rounds(10_000)  # warm up (caches, free lists, the allocator's arenas)
    gc.collect()
    refs, rss, blocks = watched(), rss_bytes(), sys.getallocatedblocks()
    rounds(100_000)
    gc.collect()
    assert watched() == refs
    # every leaked object is an allocated block: a leak per round shows as tens of thousands
    grown_blocks = sys.getallocatedblocks() - blocks
    assert grown_blocks < 500, f"{grown_blocks} more allocated blocks after 100,000 rounds"
    grown = rss_bytes() - rss
    if "asan" not in os.environ.get("LD_PRELOAD", ""):  # ASan's quarantine keeps freed memory
        assert grown < 8 * 1024 * 1024, f"RSS grew by {grown} bytes over 100,000 rounds"
