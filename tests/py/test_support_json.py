"""Tests of the JSON mapping and well-known-type helpers of the support module
(emitters/python/moonstub/runtime.py).

Run: python -m pytest tests/py/test_support_json.py

The message classes below are written by hand in the shape moonstub generates
(slots dataclasses with _ms_full_name, _ms_fields, _ms_oneofs), with a small
reflective wire codec so that Any and the comparisons with protobuf's own
json_format work. Where google.protobuf is installed, the output and the
parser are checked against json_format on equivalent dynamic messages.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib.util
import json
import math
import pathlib
import re
import sys
import types
import typing

import pytest


def _load_runtime() -> types.ModuleType:
    """emitters/python/moonstub/runtime.py by path: putting emitters/python on sys.path
    would also shadow the installed moonstub package (its native codec) with
    the source folder emitters/python/moonstub/."""
    path = pathlib.Path(__file__).resolve().parent.parent.parent / "emitters" / "python" / "moonstub" / "runtime.py"
    spec = importlib.util.spec_from_file_location("_moonstub_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ms = _load_runtime()

mj = ms

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

HERE = pathlib.Path(__file__).resolve().parent
SUPPORT_DIR = HERE.parent.parent / "emitters" / "python"

JsonError = mj.JsonError
FLT_MAX = float.fromhex("0x1.fffffep+127")


# ---- a generic wire codec for hand-written classes --------------------------------------------

VARINT_KINDS = frozenset((ms.INT32, ms.INT64, ms.UINT32, ms.UINT64, ms.BOOL, ms.ENUM))
FIXED = {
    ms.FIXED32: (5, ms.U32), ms.SFIXED32: (5, ms.I32), ms.FLOAT: (5, ms.F32),
    ms.FIXED64: (1, ms.U64), ms.SFIXED64: (1, ms.I64), ms.DOUBLE: (1, ms.F64),
}
ZERO = {ms.DOUBLE: 0.0, ms.FLOAT: 0.0, ms.BOOL: False, ms.STRING: "", ms.BYTES: b""}


def _key(number: int, wire: int) -> bytes:
    return ms.varint((number << 3) | wire)


def _encode_value(number: int, kind: int, value: typing.Any) -> bytes:
    if kind in VARINT_KINDS:
        return _key(number, 0) + ms.varint(int(value))
    if kind in (ms.SINT32, ms.SINT64):
        return _key(number, 0) + ms.varint(ms.zigzag_encode(value))
    if kind in FIXED:
        wire, packer = FIXED[kind]
        return _key(number, wire) + packer.pack(value)
    if kind == ms.STRING:
        data = value.encode("utf-8")
    elif kind == ms.BYTES:
        data = bytes(value)
    else:
        data = _encode(value)
    return _key(number, 2) + ms.varint(len(data)) + data


def _is_zero(value: typing.Any) -> bool:
    if isinstance(value, float):
        return value == 0 and math.copysign(1.0, value) > 0
    return not value


def _encode(msg: typing.Any) -> bytes:
    out = bytearray()
    for f in sorted(type(msg)._ms_fields, key=lambda f: f.number):
        value = getattr(msg, f.attr)
        if value is None:
            continue
        if f.map_key:
            for k, v in value.items():
                entry = _encode_value(1, f.map_key, k) + _encode_value(2, f.map_value, v)
                out += _key(f.number, 2) + ms.varint(len(entry)) + entry
        elif f.repeated:
            for v in value:
                out += _encode_value(f.number, f.kind, v)
        elif f.presence or f.kind == ms.MESSAGE or not _is_zero(value):
            out += _encode_value(f.number, f.kind, value)
    out += msg._unknown
    return bytes(out)


def _decode_value(
    kind: int, typ: typing.Any, buf: bytes, pos: int, end: int, depth: int
) -> tuple[typing.Any, int]:
    if kind in VARINT_KINDS:
        v, pos = ms.read_varint(buf, pos, end)
        if kind == ms.INT32:
            v = ms.to_int32(v)
        elif kind == ms.INT64:
            v = ms.to_int64(v)
        elif kind == ms.UINT32:
            v &= 0xFFFFFFFF
        elif kind == ms.BOOL:
            v = bool(v)
        elif kind == ms.ENUM:
            n = ms.to_int32(v)
            try:
                v = typ(n)
            except ValueError:
                v = n
        return v, pos
    if kind == ms.SINT32:
        v, pos = ms.read_varint(buf, pos, end)
        return ms.zigzag_decode32(v), pos
    if kind == ms.SINT64:
        v, pos = ms.read_varint(buf, pos, end)
        return ms.zigzag_decode(v), pos
    if kind in FIXED:
        return ms.read_fixed(FIXED[kind][1], buf, pos, end)
    stop, start = ms.read_length(buf, pos, end)
    if kind == ms.STRING:
        return buf[start:stop].decode("utf-8"), stop
    if kind == ms.BYTES:
        return buf[start:stop], stop
    if depth >= ms.MAX_DEPTH:
        raise ms.DecodeError("too deep")
    return _decode(typ, buf, start, stop, depth + 1, None), stop


def _decode(cls: typing.Any, buf: bytes, pos: int, end: int, depth: int, into: typing.Any) -> typing.Any:
    msg = into if into is not None else cls()
    fields = {f.number: f for f in cls._ms_fields}
    unknown = bytearray()
    while pos < end:
        start = pos
        tag, pos = ms.read_varint(buf, pos, end)
        f = fields.get(tag >> 3)
        if f is None:
            pos = ms.skip_field(buf, pos, end, tag)
            unknown += buf[start:pos]
            continue
        if f.map_key:
            stop, pos = ms.read_length(buf, pos, end)
            k: typing.Any = ZERO.get(f.map_key, 0)
            v: typing.Any = None
            while pos < stop:
                t, pos = ms.read_varint(buf, pos, stop)
                if t >> 3 == 1:
                    k, pos = _decode_value(f.map_key, None, buf, pos, stop, depth)
                elif t >> 3 == 2:
                    v, pos = _decode_value(f.map_value, f.map_type, buf, pos, stop, depth)
                else:
                    pos = ms.skip_field(buf, pos, stop, t)
            if v is None:
                if f.map_value == ms.MESSAGE:
                    v = f.map_type()
                elif f.map_value == ms.ENUM:
                    v = f.map_type(0)
                else:
                    v = ZERO.get(f.map_value, 0)
            getattr(msg, f.attr)[k] = v
        elif f.repeated and tag & 7 == 2 and f.kind not in (ms.STRING, ms.BYTES, ms.MESSAGE):
            stop, pos = ms.read_length(buf, pos, end)
            while pos < stop:
                v, pos = _decode_value(f.kind, f.type, buf, pos, stop, depth)
                getattr(msg, f.attr).append(v)
        else:
            v, pos = _decode_value(f.kind, f.type, buf, pos, end, depth)
            if f.repeated:
                getattr(msg, f.attr).append(v)
            else:
                if f.oneof is not None:
                    for other in cls._ms_oneofs[f.oneof]:
                        setattr(msg, other, None)
                setattr(msg, f.attr, v)
    msg._unknown = bytes(unknown)
    return msg


def finish(msmod: typing.Any, cls: typing.Any, full_name: str, fields: tuple[typing.Any, ...],
           oneofs: dict[str, tuple[str, ...]] | None = None) -> None:
    """What a generated module's registration does for one class (the table
    rows carry what repr and equality need; the hand-made FieldInfo tuple is
    the resolved table), plus the reflective codec above."""
    oneof_names = tuple(oneofs or ())
    rows = []
    for f in fields:
        kind = ms.MAP if f.map_key else f.kind
        flags = (ms.F_REPEATED if f.repeated else 0) | (ms.F_PRESENCE if f.presence else 0)
        typ = getattr(f.type, "_ms_full_name", None) or "-"
        oneof = "-" if f.oneof is None else str(oneof_names.index(f.oneof))
        rows.append(f"{f.number} {f.attr} {kind} {flags} {typ} {oneof}")
    msmod.register(cls, full_name, "|".join(rows), oneof_names)
    cls._ms_fields = fields

    class Codec:
        @staticmethod
        def encode(msg: typing.Any) -> bytes:
            return _encode(msg)

        @staticmethod
        def decode(data: typing.Any, into: typing.Any) -> typing.Any:
            try:
                msg = _decode(cls, bytes(data), 0, len(data), 0, into)
            except (IndexError, ValueError) as exc:
                if isinstance(exc, ms.JsonError):
                    raise
                raise ms.DecodeError(str(exc)) from None
            return msg

    cls._ms_codec = Codec


def open_enum(msmod: typing.Any, cls: typing.Any, full_name: str, closed: bool = False) -> None:
    msmod.register_enum(cls, full_name, closed)


def _open_member(cls: typing.Any, value: object) -> typing.Any:
    if not isinstance(value, int) or isinstance(value, bool) or not -(1 << 31) <= value < (1 << 31):
        return None
    member = int.__new__(cls, value)
    member._name_ = str(value)
    member._value_ = value
    return member


# ---- the fixture classes ----------------------------------------------------------------------


def build_fixtures(msmod: typing.Any, jmod: typing.Any) -> types.SimpleNamespace:
    """The fixture classes, generated-style, against a support module pair
    (the standalone modules, or the merged one passed twice)."""
    _ms = msmod
    fi = _ms.FieldInfo

    # -- well-known types -----------------------------------------------------------

    class NullValue(enum.IntEnum):
        NULL_VALUE = 0

    open_enum(_ms, NullValue, "google.protobuf.NullValue")

    @dataclasses.dataclass(slots=True)
    class Timestamp(jmod.TimestampMixin, _ms.Message):
        seconds: int = 0
        nanos: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Timestamp, "google.protobuf.Timestamp", (
        fi("seconds", "seconds", "seconds", 1, _ms.INT64, False, False, None),
        fi("nanos", "nanos", "nanos", 2, _ms.INT32, False, False, None),
    ))

    @dataclasses.dataclass(slots=True)
    class Duration(jmod.DurationMixin, _ms.Message):
        seconds: int = 0
        nanos: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Duration, "google.protobuf.Duration", (
        fi("seconds", "seconds", "seconds", 1, _ms.INT64, False, False, None),
        fi("nanos", "nanos", "nanos", 2, _ms.INT32, False, False, None),
    ))

    @dataclasses.dataclass(slots=True)
    class Any(jmod.AnyMixin, _ms.Message):
        type_url: str = ""
        value: bytes = b""
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Any, "google.protobuf.Any", (
        fi("type_url", "type_url", "typeUrl", 1, _ms.STRING, False, False, None),
        fi("value", "value", "value", 2, _ms.BYTES, False, False, None),
    ))

    @dataclasses.dataclass(slots=True)
    class Struct(jmod.StructMixin, _ms.Message):
        fields: dict[str, Value] = dataclasses.field(default_factory=dict)
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class Value(jmod.ValueMixin, _ms.Message):
        null_value: NullValue | None = None
        number_value: float | None = None
        string_value: str | None = None
        bool_value: bool | None = None
        struct_value: Struct | None = None
        list_value: ListValue | None = None
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class ListValue(jmod.ListValueMixin, _ms.Message):
        values: list[Value] = dataclasses.field(default_factory=list)
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Struct, "google.protobuf.Struct", (
        fi("fields", "fields", "fields", 1, _ms.MESSAGE, False, False, None,
           map_key=_ms.STRING, map_value=_ms.MESSAGE, map_type=Value),
    ))
    finish(_ms, Value, "google.protobuf.Value", (
        fi("null_value", "null_value", "nullValue", 1, _ms.ENUM, False, True, "kind", type=NullValue),
        fi("number_value", "number_value", "numberValue", 2, _ms.DOUBLE, False, True, "kind"),
        fi("string_value", "string_value", "stringValue", 3, _ms.STRING, False, True, "kind"),
        fi("bool_value", "bool_value", "boolValue", 4, _ms.BOOL, False, True, "kind"),
        fi("struct_value", "struct_value", "structValue", 5, _ms.MESSAGE, False, True, "kind", type=Struct),
        fi("list_value", "list_value", "listValue", 6, _ms.MESSAGE, False, True, "kind", type=ListValue),
    ), {"kind": ("null_value", "number_value", "string_value", "bool_value", "struct_value", "list_value")})
    finish(_ms, ListValue, "google.protobuf.ListValue", (
        fi("values", "values", "values", 1, _ms.MESSAGE, True, False, None, type=Value),
    ))

    @dataclasses.dataclass(slots=True)
    class FieldMask(jmod.FieldMaskMixin, _ms.Message):
        paths: list[str] = dataclasses.field(default_factory=list)
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, FieldMask, "google.protobuf.FieldMask", (
        fi("paths", "paths", "paths", 1, _ms.STRING, True, False, None),
    ))

    @dataclasses.dataclass(slots=True)
    class Empty(_ms.Message):
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Empty, "google.protobuf.Empty", ())

    @dataclasses.dataclass(slots=True)
    class DoubleValue(_ms.Message):
        value: float = 0.0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class FloatValue(_ms.Message):
        value: float = 0.0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class Int64Value(_ms.Message):
        value: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class UInt64Value(_ms.Message):
        value: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class Int32Value(_ms.Message):
        value: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class UInt32Value(_ms.Message):
        value: int = 0
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class BoolValue(_ms.Message):
        value: bool = False
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class StringValue(_ms.Message):
        value: str = ""
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    @dataclasses.dataclass(slots=True)
    class BytesValue(_ms.Message):
        value: bytes = b""
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    for cls, kind in (
        (DoubleValue, _ms.DOUBLE), (FloatValue, _ms.FLOAT), (Int64Value, _ms.INT64),
        (UInt64Value, _ms.UINT64), (Int32Value, _ms.INT32), (UInt32Value, _ms.UINT32),
        (BoolValue, _ms.BOOL), (StringValue, _ms.STRING), (BytesValue, _ms.BYTES),
    ):
        value_field = fi("value", "value", "value", 1, kind, False, False, None)
        finish(_ms, cls, "google.protobuf." + cls.__name__, (value_field,))

    # -- test messages (package mstest, proto3) ------------------------------------------

    class Color(enum.IntEnum):
        _ms_full_name: typing.ClassVar[str]
        _ms_closed: typing.ClassVar[bool]

        RED = 0
        GREEN = 1
        BLUE = 2
        CRIMSON = 0  # an alias (allow_alias)

        @classmethod
        def _missing_(cls, value: object) -> typing.Any:
            return _open_member(cls, value)

    open_enum(_ms, Color, "mstest.Color")

    @dataclasses.dataclass(slots=True)
    class Sub(_ms.Message):
        n: int = 0
        s: str = ""
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Sub, "mstest.Sub", (
        fi("n", "n", "n", 1, _ms.INT32, False, False, None),
        fi("s", "s", "s", 2, _ms.STRING, False, False, None),
    ))

    @dataclasses.dataclass(slots=True)
    class All(_ms.Message):
        i32: int = 0
        i64: int = 0
        u32: int = 0
        u64: int = 0
        s32: int = 0
        s64: int = 0
        f32: int = 0
        f64: int = 0
        sf32: int = 0
        sf64: int = 0
        fl: float = 0.0
        db: float = 0.0
        b: bool = False
        str_: str = ""
        by: bytes = b""
        color: Color = Color.RED
        sub: Sub | None = None
        opt_i32: int | None = None
        opt_str: str | None = None
        opt_color: Color | None = None
        r_i32: list[int] = dataclasses.field(default_factory=list)
        r_i64: list[int] = dataclasses.field(default_factory=list)
        r_u64: list[int] = dataclasses.field(default_factory=list)
        r_fl: list[float] = dataclasses.field(default_factory=list)
        r_db: list[float] = dataclasses.field(default_factory=list)
        r_b: list[bool] = dataclasses.field(default_factory=list)
        r_str: list[str] = dataclasses.field(default_factory=list)
        r_by: list[bytes] = dataclasses.field(default_factory=list)
        r_color: list[Color] = dataclasses.field(default_factory=list)
        r_sub: list[Sub] = dataclasses.field(default_factory=list)
        m_str_i32: dict[str, int] = dataclasses.field(default_factory=dict)
        m_i32_str: dict[int, str] = dataclasses.field(default_factory=dict)
        m_bool_sub: dict[bool, Sub] = dataclasses.field(default_factory=dict)
        m_u64_color: dict[int, Color] = dataclasses.field(default_factory=dict)
        m_s64_by: dict[int, bytes] = dataclasses.field(default_factory=dict)
        m_f32_db: dict[int, float] = dataclasses.field(default_factory=dict)
        m_str_fl: dict[str, float] = dataclasses.field(default_factory=dict)
        o_i32: int | None = None
        o_str: str | None = None
        o_sub: Sub | None = None
        o_color: Color | None = None
        o_null: NullValue | None = None
        ts: Timestamp | None = None
        dur: Duration | None = None
        any: Any | None = None
        st: Struct | None = None
        val: Value | None = None
        lv: ListValue | None = None
        fm: FieldMask | None = None
        empty: Empty | None = None
        w_db: DoubleValue | None = None
        w_fl: FloatValue | None = None
        w_i64: Int64Value | None = None
        w_u64: UInt64Value | None = None
        w_i32: Int32Value | None = None
        w_u32: UInt32Value | None = None
        w_b: BoolValue | None = None
        w_str: StringValue | None = None
        w_by: BytesValue | None = None
        null: NullValue = NullValue.NULL_VALUE
        r_val: list[Value] = dataclasses.field(default_factory=list)
        m_str_val: dict[str, Value] = dataclasses.field(default_factory=dict)
        r_ts: list[Timestamp] = dataclasses.field(default_factory=list)
        r_any: list[Any] = dataclasses.field(default_factory=list)
        r_null: list[NullValue] = dataclasses.field(default_factory=list)
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, All, "mstest.All", (
        fi("i32", "i32", "i32", 1, _ms.INT32, False, False, None),
        fi("i64", "i64", "i64", 2, _ms.INT64, False, False, None),
        fi("u32", "u32", "u32", 3, _ms.UINT32, False, False, None),
        fi("u64", "u64", "u64", 4, _ms.UINT64, False, False, None),
        fi("s32", "s32", "s32", 5, _ms.SINT32, False, False, None),
        fi("s64", "s64", "s64", 6, _ms.SINT64, False, False, None),
        fi("f32", "f32", "f32", 7, _ms.FIXED32, False, False, None),
        fi("f64", "f64", "f64", 8, _ms.FIXED64, False, False, None),
        fi("sf32", "sf32", "sf32", 9, _ms.SFIXED32, False, False, None),
        fi("sf64", "sf64", "sf64", 10, _ms.SFIXED64, False, False, None),
        fi("fl", "fl", "fl", 11, _ms.FLOAT, False, False, None),
        fi("db", "db", "db", 12, _ms.DOUBLE, False, False, None),
        fi("b", "b", "b", 13, _ms.BOOL, False, False, None),
        fi("str_", "str", "str", 14, _ms.STRING, False, False, None),
        fi("by", "by", "by", 15, _ms.BYTES, False, False, None),
        fi("color", "color", "color", 16, _ms.ENUM, False, False, None, type=Color),
        fi("sub", "sub", "sub", 17, _ms.MESSAGE, False, True, None, type=Sub),
        fi("opt_i32", "opt_i32", "optI32", 18, _ms.INT32, False, True, None),
        fi("opt_str", "opt_str", "optStr", 19, _ms.STRING, False, True, None),
        fi("opt_color", "opt_color", "optColor", 20, _ms.ENUM, False, True, None, type=Color),
        fi("r_i32", "r_i32", "rI32", 21, _ms.INT32, True, False, None),
        fi("r_i64", "r_i64", "rI64", 22, _ms.INT64, True, False, None),
        fi("r_u64", "r_u64", "rU64", 23, _ms.UINT64, True, False, None),
        fi("r_fl", "r_fl", "rFl", 24, _ms.FLOAT, True, False, None),
        fi("r_db", "r_db", "rDb", 25, _ms.DOUBLE, True, False, None),
        fi("r_b", "r_b", "rB", 26, _ms.BOOL, True, False, None),
        fi("r_str", "r_str", "rStr", 27, _ms.STRING, True, False, None),
        fi("r_by", "r_by", "rBy", 28, _ms.BYTES, True, False, None),
        fi("r_color", "r_color", "rColor", 29, _ms.ENUM, True, False, None, type=Color),
        fi("r_sub", "r_sub", "rSub", 30, _ms.MESSAGE, True, False, None, type=Sub),
        fi("m_str_i32", "m_str_i32", "mStrI32", 31, _ms.MESSAGE, False, False, None,
           map_key=_ms.STRING, map_value=_ms.INT32),
        fi("m_i32_str", "m_i32_str", "mI32Str", 32, _ms.MESSAGE, False, False, None,
           map_key=_ms.INT32, map_value=_ms.STRING),
        fi("m_bool_sub", "m_bool_sub", "mBoolSub", 33, _ms.MESSAGE, False, False, None,
           map_key=_ms.BOOL, map_value=_ms.MESSAGE, map_type=Sub),
        fi("m_u64_color", "m_u64_color", "mU64Color", 34, _ms.MESSAGE, False, False, None,
           map_key=_ms.UINT64, map_value=_ms.ENUM, map_type=Color),
        fi("m_s64_by", "m_s64_by", "mS64By", 35, _ms.MESSAGE, False, False, None,
           map_key=_ms.SINT64, map_value=_ms.BYTES),
        fi("m_f32_db", "m_f32_db", "mF32Db", 36, _ms.MESSAGE, False, False, None,
           map_key=_ms.FIXED32, map_value=_ms.DOUBLE),
        fi("m_str_fl", "m_str_fl", "mStrFl", 37, _ms.MESSAGE, False, False, None,
           map_key=_ms.STRING, map_value=_ms.FLOAT),
        fi("o_i32", "o_i32", "oI32", 40, _ms.INT32, False, True, "choice"),
        fi("o_str", "o_str", "oStr", 41, _ms.STRING, False, True, "choice"),
        fi("o_sub", "o_sub", "oSub", 42, _ms.MESSAGE, False, True, "choice", type=Sub),
        fi("o_color", "o_color", "oColor", 43, _ms.ENUM, False, True, "choice", type=Color),
        fi("o_null", "o_null", "oNull", 44, _ms.ENUM, False, True, "choice", type=NullValue),
        fi("ts", "ts", "ts", 50, _ms.MESSAGE, False, True, None, type=Timestamp),
        fi("dur", "dur", "dur", 51, _ms.MESSAGE, False, True, None, type=Duration),
        fi("any", "any", "any", 52, _ms.MESSAGE, False, True, None, type=Any),
        fi("st", "st", "st", 53, _ms.MESSAGE, False, True, None, type=Struct),
        fi("val", "val", "val", 54, _ms.MESSAGE, False, True, None, type=Value),
        fi("lv", "lv", "lv", 55, _ms.MESSAGE, False, True, None, type=ListValue),
        fi("fm", "fm", "fm", 56, _ms.MESSAGE, False, True, None, type=FieldMask),
        fi("empty", "empty", "empty", 57, _ms.MESSAGE, False, True, None, type=Empty),
        fi("w_db", "w_db", "wDb", 58, _ms.MESSAGE, False, True, None, type=DoubleValue),
        fi("w_fl", "w_fl", "wFl", 59, _ms.MESSAGE, False, True, None, type=FloatValue),
        fi("w_i64", "w_i64", "wI64", 60, _ms.MESSAGE, False, True, None, type=Int64Value),
        fi("w_u64", "w_u64", "wU64", 61, _ms.MESSAGE, False, True, None, type=UInt64Value),
        fi("w_i32", "w_i32", "wI32", 62, _ms.MESSAGE, False, True, None, type=Int32Value),
        fi("w_u32", "w_u32", "wU32", 63, _ms.MESSAGE, False, True, None, type=UInt32Value),
        fi("w_b", "w_b", "wB", 64, _ms.MESSAGE, False, True, None, type=BoolValue),
        fi("w_str", "w_str", "wStr", 65, _ms.MESSAGE, False, True, None, type=StringValue),
        fi("w_by", "w_by", "wBy", 66, _ms.MESSAGE, False, True, None, type=BytesValue),
        fi("null", "null", "null", 67, _ms.ENUM, False, False, None, type=NullValue),
        fi("r_val", "r_val", "rVal", 68, _ms.MESSAGE, True, False, None, type=Value),
        fi("m_str_val", "m_str_val", "mStrVal", 69, _ms.MESSAGE, False, False, None,
           map_key=_ms.STRING, map_value=_ms.MESSAGE, map_type=Value),
        fi("r_ts", "r_ts", "rTs", 70, _ms.MESSAGE, True, False, None, type=Timestamp),
        fi("r_any", "r_any", "rAny", 71, _ms.MESSAGE, True, False, None, type=Any),
        fi("r_null", "r_null", "rNull", 72, _ms.ENUM, True, False, None, type=NullValue),
    ), {"choice": ("o_i32", "o_str", "o_sub", "o_color", "o_null")})

    # a message whose field order differs from its field numbers, with a custom json_name
    @dataclasses.dataclass(slots=True)
    class Order(_ms.Message):
        zeta: int = 0
        alpha: int = 0
        snake_case_name: str = ""
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Order, "mstest.Order", (
        fi("zeta", "zeta", "zeta", 3, _ms.INT32, False, False, None),
        fi("alpha", "alpha", "alpha", 1, _ms.INT32, False, False, None),
        fi("snake_case_name", "snake_case_name", "customName", 2, _ms.STRING, False, False, None),
    ))

    # -- proto2 (package mstest2): closed enum, explicit presence, defaults, required ----------

    class Closed(enum.IntEnum):
        ZERO = 0  # upb wants a zero value in enums used as map values
        ONE = 1
        TWO = 2

    open_enum(_ms, Closed, "mstest2.Closed", closed=True)

    @dataclasses.dataclass(slots=True)
    class P2(_ms.Message):
        a: int | None = None
        c: Closed | None = None
        rc: list[Closed] = dataclasses.field(default_factory=list)
        s: str | None = None
        m_closed: dict[str, Closed] = dataclasses.field(default_factory=dict)
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, P2, "mstest2.P2", (
        fi("a", "a", "a", 1, _ms.INT32, False, True, None, default=5),
        fi("c", "c", "c", 2, _ms.ENUM, False, True, None, type=Closed),
        fi("rc", "rc", "rc", 3, _ms.ENUM, True, False, None, type=Closed),
        fi("s", "s", "s", 4, _ms.STRING, False, True, None, default="hi"),
        fi("m_closed", "m_closed", "mClosed", 5, _ms.MESSAGE, False, False, None,
           map_key=_ms.STRING, map_value=_ms.ENUM, map_type=Closed),
    ))

    # -- enums whose Python names differ from their IDL names -----------------------------------

    class Escaped(enum.IntEnum):  # what the default rules make of: None = 0; match = 1; type = 2;
        None_ = 0
        match_ = 1
        type_ = 2
        plain_ = 3  # not a keyword: the underscore is part of the IDL name

    open_enum(_ms, Escaped, "mstest.Escaped")

    class Renamed(enum.IntEnum):  # a naming policy that strips prefixes, with the IDL names given
        UNSPECIFIED = 0
        ON = 1

    open_enum(_ms, Renamed, "mstest.Renamed")
    Renamed._ms_value_names = {"RENAMED_UNSPECIFIED": 0, "RENAMED_ON": 1}  # type: ignore[attr-defined]

    @dataclasses.dataclass(slots=True)
    class Names(_ms.Message):
        e: Escaped = Escaped.None_
        r: Renamed = Renamed.UNSPECIFIED
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Names, "mstest.Names", (
        fi("e", "e", "e", 1, _ms.ENUM, False, False, None, type=Escaped),
        fi("r", "r", "r", 2, _ms.ENUM, False, False, None, type=Renamed),
    ))

    # -- deep nesting --------------------------------------------------------------------

    @dataclasses.dataclass(slots=True)
    class Node(_ms.Message):
        child: Node | None = None
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(_ms, Node, "mstest.Node", (
        fi("child", "child", "child", 1, _ms.MESSAGE, False, True, None, type=Node),
    ))

    return types.SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


F = build_fixtures(ms, mj)
All, Sub, Color, P2, Closed = F.All, F.Sub, F.Color, F.P2, F.Closed
Timestamp, Duration, Any_ = F.Timestamp, F.Duration, F.Any
Struct, Value, ListValue = F.Struct, F.Value, F.ListValue
FieldMask, Empty, NullValue = F.FieldMask, F.Empty, F.NullValue


def to_json(msg: typing.Any) -> typing.Any:
    return mj.message_to_json_value(msg)


def parse(cls: typing.Any, value: typing.Any, ignore: bool = False) -> typing.Any:
    return mj.message_from_json_value(cls, value, ignore)


def parse_text(cls: typing.Any, text: str | bytes, ignore: bool = False) -> typing.Any:
    return mj.message_from_json_text(cls, text, ignore)


# ---- output ---------------------------------------------------------------------------------


def test_json_error_is_value_error() -> None:
    assert issubclass(JsonError, ValueError)
    err = JsonError("bad", ("pkg.M", "a", "[2]", "b"))
    assert str(err) == "pkg.M.a[2].b: bad"
    assert err.reason == "bad" and err.path == ("pkg.M", "a", "[2]", "b")


def test_defaults_are_omitted() -> None:
    assert to_json(All()) == {}
    assert to_json(All(i32=0, str_="", by=b"", b=False, fl=0.0, color=Color.RED)) == {}


def test_explicit_presence_is_printed_when_set() -> None:
    assert to_json(All(opt_i32=0, opt_str="", opt_color=Color.RED)) == {
        "optI32": 0, "optStr": "", "optColor": "RED",
    }
    assert to_json(All(sub=Sub())) == {"sub": {}}
    assert to_json(P2(a=0, s="")) == {"a": 0, "s": ""}


def test_scalars() -> None:
    m = All(i32=-1, i64=-(1 << 63), u32=(1 << 32) - 1, u64=(1 << 64) - 1, s32=-5, s64=5, f32=7,
            f64=(1 << 64) - 1, sf32=-(1 << 31), sf64=(1 << 63) - 1, b=True, str_="héllo", by=b"\x00\xff")
    assert to_json(m) == {
        "i32": -1, "i64": "-9223372036854775808", "u32": 4294967295, "u64": "18446744073709551615",
        "s32": -5, "s64": "5", "f32": 7, "f64": "18446744073709551615", "sf32": -2147483648,
        "sf64": "9223372036854775807", "b": True, "str": "héllo", "by": "AP8=",
    }


def test_negative_zero_is_not_default() -> None:
    assert to_json(All(db=-0.0, fl=-0.0)) == {"db": -0.0, "fl": -0.0}
    assert math.copysign(1, to_json(All(db=-0.0))["db"]) < 0


@pytest.mark.parametrize("value, expected", [
    (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (1.5, 1.5), (1e300, 1e300),
])
def test_double_values(value: float, expected: typing.Any) -> None:
    assert to_json(All(db=value)) == {"db": expected}


@pytest.mark.parametrize("value, expected", [
    (0.1, 0.1), (ms.float32(0.1), 0.1), (1.0, 1.0), (3.4028234663852886e38, 3.4028235e38),
    (ms.float32(1 / 3), 0.33333334), (1e-45, 1e-45), (math.nan, "NaN"), (-math.inf, "-Infinity"),
    (ms.float32(16777217.0), 16777216.0), (ms.float32(2e-40), 2e-40), (-ms.float32(1.2e-38), -1.2e-38),
    (ms.float32(1.1754944e-38), 1.1754944e-38),
])
def test_float_values_print_shortest_float32(value: float, expected: typing.Any) -> None:
    out = to_json(All(fl=value))["fl"]
    assert out == expected and type(out) is type(expected)


def test_bytes_base64_standard_with_padding() -> None:
    assert to_json(All(by=b"\xfb\xff"))["by"] == "+/8="
    assert to_json(All(r_by=[b"a", b"ab", b"abc", b""]))["rBy"] == ["YQ==", "YWI=", "YWJj", ""]


def test_enums() -> None:
    assert to_json(All(color=Color.BLUE)) == {"color": "BLUE"}
    assert to_json(All(color=Color.CRIMSON)) == {}  # alias of RED, the default
    assert to_json(All(opt_color=Color.CRIMSON)) == {"optColor": "RED"}  # first declared name
    unknown = Color(7)  # open enum: a pseudo-member
    assert int(unknown) == 7
    assert to_json(All(color=unknown, r_color=[Color.GREEN, unknown])) == {"color": 7, "rColor": ["GREEN", 7]}
    assert to_json(All(color=9)) == {"color": 9}  # a plain int works as well


def test_closed_enum_unknown_value_has_no_json() -> None:
    with pytest.raises(JsonError, match=r"mstest2\.P2\.c: 3 is not a value of the closed enum mstest2\.Cl"):
        to_json(P2(c=3))


def test_null_value_enum_prints_null() -> None:
    assert to_json(All(o_null=NullValue.NULL_VALUE)) == {"oNull": None}
    assert to_json(All(r_null=[NullValue.NULL_VALUE])) == {"rNull": [None]}
    assert to_json(All(null=NullValue.NULL_VALUE)) == {}


def test_escaped_and_renamed_enum_names() -> None:
    names, escaped, renamed = F.Names, F.Escaped, F.Renamed
    assert to_json(names(e=escaped.match_, r=renamed.ON)) == {"e": "match", "r": "RENAMED_ON"}
    assert to_json(names(e=escaped.plain_)) == {"e": "plain_"}
    assert to_json(names(e=escaped.type_)) == {"e": "type"}
    assert parse(names, {"e": "None", "r": "RENAMED_ON"}) == names(e=escaped.None_, r=renamed.ON)
    assert parse(names, {"e": "match"}).e is escaped.match_
    with pytest.raises(JsonError):
        parse(names, {"e": "match_"})
    with pytest.raises(JsonError):
        parse(names, {"r": "ON"})


def test_repeated_and_maps() -> None:
    m = All(r_i32=[1, -2], r_i64=[3], r_sub=[Sub(n=1), Sub()], m_str_i32={"a": 1, "": 0},
            m_i32_str={-1: "x"}, m_bool_sub={True: Sub(s="t"), False: Sub()},
            m_u64_color={(1 << 64) - 1: Color.BLUE, 0: Color(5)}, m_s64_by={-3: b"\x01"},
            m_f32_db={7: math.inf})
    assert to_json(m) == {
        "rI32": [1, -2], "rI64": ["3"], "rSub": [{"n": 1}, {}],
        "mStrI32": {"a": 1, "": 0}, "mI32Str": {"-1": "x"},
        "mBoolSub": {"true": {"s": "t"}, "false": {}},
        "mU64Color": {"18446744073709551615": "BLUE", "0": 5}, "mS64By": {"-3": "AQ=="},
        "mF32Db": {"7": "Infinity"},
    }


def test_keys_follow_field_numbers() -> None:
    out = to_json(F.Order(zeta=3, alpha=1, snake_case_name="x"))
    assert list(out) == ["alpha", "customName", "zeta"]
    assert mj.dumps(out, None) == '{"alpha":1,"customName":"x","zeta":3}'


def test_oneof_output() -> None:
    assert to_json(All(o_i32=0)) == {"oI32": 0}
    assert to_json(All(o_sub=Sub())) == {"oSub": {}}
    assert to_json(All(o_color=Color.RED)) == {"oColor": "RED"}


def test_unpaired_surrogate_cannot_be_printed() -> None:
    with pytest.raises(JsonError, match=r"mstest\.All\.str: string is not valid UTF-8"):
        to_json(All(str_="a\udcff"))


# -- well-known types


@pytest.mark.parametrize("seconds, nanos, text", [
    (0, 0, "1970-01-01T00:00:00Z"),
    (0, 10_000_000, "1970-01-01T00:00:00.010Z"),
    (0, 10_000, "1970-01-01T00:00:00.000010Z"),
    (0, 10, "1970-01-01T00:00:00.000000010Z"),
    (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
    (-62135596800, 0, "0001-01-01T00:00:00Z"),
    (253402300799, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
    (1_234_567_890, 120_000_000, "2009-02-13T23:31:30.120Z"),
    (951_782_400, 0, "2000-02-29T00:00:00Z"),
])
def test_timestamp_output(seconds: int, nanos: int, text: str) -> None:
    assert to_json(Timestamp(seconds=seconds, nanos=nanos)) == text
    assert parse(Timestamp, text) == Timestamp(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize("seconds, nanos", [
    (-62135596801, 0), (253402300800, 0), (0, -1), (0, 1_000_000_000),
])
def test_timestamp_out_of_range(seconds: int, nanos: int) -> None:
    with pytest.raises(JsonError, match="Timestamp"):
        to_json(Timestamp(seconds=seconds, nanos=nanos))
    with pytest.raises(JsonError, match=r"^mstest\.All\.ts: Timestamp"):
        to_json(All(ts=Timestamp(seconds=seconds, nanos=nanos)))


@pytest.mark.parametrize("seconds, nanos, text", [
    (0, 0, "0s"), (1, 500_000_000, "1.500s"), (-1, -500_000_000, "-1.500s"), (0, -1, "-0.000000001s"),
    (0, 1, "0.000000001s"), (3, 1000, "3.000001s"), (-315576000000, -999_999_999, "-315576000000.999999999s"),
    (315576000000, 0, "315576000000s"), (-5, 0, "-5s"),
])
def test_duration_output(seconds: int, nanos: int, text: str) -> None:
    assert to_json(Duration(seconds=seconds, nanos=nanos)) == text
    assert parse(Duration, text) == Duration(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize("seconds, nanos", [
    (315576000001, 0), (-315576000001, 0), (1, -1), (-1, 1), (0, 1_000_000_000), (0, -1_000_000_000),
])
def test_duration_invalid(seconds: int, nanos: int) -> None:
    with pytest.raises(JsonError, match="Duration"):
        to_json(Duration(seconds=seconds, nanos=nanos))


def test_field_mask_output() -> None:
    assert to_json(FieldMask(paths=["foo_bar", "baz.qux_quux", "a1.b2_c"])) == "fooBar,baz.quxQuux,a1.b2C"
    assert to_json(FieldMask()) == ""


@pytest.mark.parametrize("path", ["fooBar", "foo__bar", "foo_", "foo_1", "foo_.bar", "foo bar", "é", "a-b"])
def test_field_mask_paths_that_cannot_round_trip(path: str) -> None:
    with pytest.raises(JsonError, match="FieldMask path"):
        to_json(FieldMask(paths=["ok", path]))


def test_struct_value_list_output() -> None:
    s = Struct.from_python({"a": 1, "b": [True, None, "x", {"c": -2.5}], "d": {}})
    assert to_json(s) == {"a": 1.0, "b": [True, None, "x", {"c": -2.5}], "d": {}}
    assert to_json(Value(string_value="s")) == "s"
    assert to_json(Value(null_value=NullValue.NULL_VALUE)) is None
    assert to_json(Value()) is None  # no kind set
    assert to_json(ListValue(values=[Value(number_value=1), Value(bool_value=False)])) == [1.0, False]
    assert to_json(All(st=Struct(), lv=ListValue(), val=Value(list_value=ListValue()))) == {
        "st": {}, "val": [], "lv": [],
    }


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_value_cannot_hold_non_finite_numbers(number: float) -> None:
    with pytest.raises(JsonError, match="google.protobuf.Value cannot hold"):
        to_json(All(st=Struct(fields={"k": Value(number_value=number)})))


def test_wrappers_output() -> None:
    m = All(w_db=F.DoubleValue(value=math.nan), w_fl=F.FloatValue(value=0.1), w_i64=F.Int64Value(value=-5),
            w_u64=F.UInt64Value(), w_i32=F.Int32Value(value=7), w_u32=F.UInt32Value(value=8),
            w_b=F.BoolValue(), w_str=F.StringValue(value="s"), w_by=F.BytesValue(value=b"\x01\x02"))
    assert to_json(m) == {
        "wDb": "NaN", "wFl": 0.1, "wI64": "-5", "wU64": "0", "wI32": 7, "wU32": 8, "wB": False,
        "wStr": "s", "wBy": "AQI=",
    }
    assert to_json(F.Int64Value(value=1 << 40)) == "1099511627776"


def test_empty_output() -> None:
    assert to_json(Empty()) == {}
    assert to_json(All(empty=Empty())) == {"empty": {}}


def test_any_output() -> None:
    assert to_json(Any_()) == {}
    a = Any_.pack(Sub(n=1, s="x"))
    assert a.type_url == "type.googleapis.com/mstest.Sub"
    assert to_json(a) == {"@type": "type.googleapis.com/mstest.Sub", "n": 1, "s": "x"}
    assert list(to_json(a)) == ["@type", "n", "s"]
    assert to_json(Any_.pack(Timestamp(seconds=1))) == {
        "@type": "type.googleapis.com/google.protobuf.Timestamp", "value": "1970-01-01T00:00:01Z",
    }
    assert to_json(Any_.pack(F.Int64Value(value=3), "example.com/t")) == {
        "@type": "example.com/t/google.protobuf.Int64Value", "value": "3",
    }
    assert to_json(Any_.pack(Empty())) == {"@type": "type.googleapis.com/google.protobuf.Empty"}
    nested = Any_.pack(Any_.pack(Struct.from_python({"k": "v"})))
    assert to_json(nested) == {
        "@type": "type.googleapis.com/google.protobuf.Any",
        "value": {"@type": "type.googleapis.com/google.protobuf.Struct", "value": {"k": "v"}},
    }


def test_any_output_errors() -> None:
    with pytest.raises(JsonError, match="unknown message type 'nope.Nope'"):
        to_json(Any_(type_url="type.googleapis.com/nope.Nope"))
    with pytest.raises(JsonError, match="no '/'"):
        to_json(Any_(type_url="mstest.Sub"))
    with pytest.raises(JsonError, match="no type URL"):
        to_json(Any_(value=b"\x08\x01"))
    with pytest.raises(JsonError, match="not a valid mstest.Sub"):
        to_json(Any_(type_url="type.googleapis.com/mstest.Sub", value=b"\x08"))
    with pytest.raises(JsonError, match=r"^mstest\.All\.any\.value: Timestamp"):
        to_json(All(any=Any_.pack(Timestamp(seconds=1 << 40))))


def test_deep_output_is_a_json_error_not_a_crash() -> None:
    node = F.Node()
    for _ in range(5000):
        node = F.Node(child=node)
    with pytest.raises(JsonError, match="too deep"):
        to_json(node)


# ---- parsing -------------------------------------------------------------------------------


def test_round_trip_basic() -> None:
    m = All(i32=-1, i64=1 << 62, u64=(1 << 64) - 1, fl=ms.float32(0.1), db=0.25, str_="é", by=b"\xff",
            color=Color.GREEN, sub=Sub(n=1), opt_i32=0, r_i32=[1, 2], r_color=[Color.BLUE],
            m_bool_sub={True: Sub(s="t")}, o_str="", ts=Timestamp(seconds=5, nanos=5),
            dur=Duration(seconds=-1),
            st=Struct.from_python({"a": [1, {"b": None}]}), val=Value(bool_value=True),
            fm=FieldMask(paths=["a_b"]), w_u32=F.UInt32Value(value=3), any=Any_.pack(Sub(n=2)),
            r_val=[Value(null_value=NullValue.NULL_VALUE)], m_str_val={"k": Value(string_value="v")})
    assert parse(All, to_json(m)) == m
    assert parse_text(All, mj.dumps(to_json(m), 2)) == m
    assert parse_text(All, mj.dumps(to_json(m), None).encode()) == m


def test_original_and_json_names_are_accepted() -> None:
    assert parse(All, {"opt_i32": 1}) == All(opt_i32=1)
    assert parse(All, {"optI32": 1}) == All(opt_i32=1)
    assert parse(F.Order, {"snake_case_name": "x"}).snake_case_name == "x"
    assert parse(F.Order, {"customName": "x"}).snake_case_name == "x"
    with pytest.raises(JsonError, match=r"mstest\.Order\.snakeCaseName: mstest\.Order has no field"):
        parse(F.Order, {"snakeCaseName": "x"})


def test_same_field_twice_is_an_error() -> None:
    with pytest.raises(JsonError, match=r"field 'opt_i32' is given twice \(as 'opt_i32' and 'optI32'\)"):
        parse(All, {"opt_i32": 1, "optI32": 2})
    with pytest.raises(JsonError, match="given twice"):
        parse(All, {"optI32": None, "opt_i32": 2})


def test_unknown_fields() -> None:
    with pytest.raises(JsonError, match=r"^mstest\.All\.nope: mstest\.All has no field named 'nope'"):
        parse(All, {"nope": 1})
    with pytest.raises(JsonError, match=r"^mstest\.All\.sub\.zz: mstest\.Sub has no field named 'zz'"):
        parse(All, {"sub": {"zz": {}}})
    assert parse(All, {"nope": {"x": [1]}, "i32": 1, "sub": {"zz": 1}}, ignore=True) == All(i32=1, sub=Sub())


def test_null_means_default() -> None:
    fields = [f.json_name for f in All._ms_fields]
    null = NullValue.NULL_VALUE
    assert parse(All, dict.fromkeys(fields)) == All(null=null, val=Value(null_value=null), o_null=null)
    assert parse(All, {"sub": None, "opt_i32": None, "ts": None, "any": None, "rI32": None}) == All()
    assert parse(P2, {"a": None, "c": None, "rc": None}) == P2()


def test_null_for_value_and_null_value() -> None:
    assert parse(All, {"val": None}).val == Value(null_value=NullValue.NULL_VALUE)
    assert parse(All, {"rVal": [None, 1]}).r_val == [
        Value(null_value=NullValue.NULL_VALUE), Value(number_value=1.0)]
    assert parse(All, {"mStrVal": {"a": None}}).m_str_val == {"a": Value(null_value=NullValue.NULL_VALUE)}
    assert parse(All, {"oNull": None}).o_null is NullValue.NULL_VALUE
    assert parse(All, {"rNull": [None, "NULL_VALUE", 0]}).r_null == [NullValue.NULL_VALUE] * 3
    assert parse(Value, None) == Value(null_value=NullValue.NULL_VALUE)


@pytest.mark.parametrize("doc", [
    {"rI32": [1, None]}, {"rSub": [None]}, {"rStr": [None]}, {"mStrI32": {"a": None}},
    {"mBoolSub": {"true": None}}, {"rTs": [None]},
])
def test_null_inside_containers_is_an_error(doc: dict[str, typing.Any]) -> None:
    with pytest.raises(JsonError, match="null is not allowed here"):
        parse(All, doc)


def test_oneof() -> None:
    assert parse(All, {"oI32": 0}).which_oneof("choice") == "o_i32"
    assert parse(All, {"oI32": None, "oStr": "x"}) == All(o_str="x")
    assert parse(All, {"oStr": "x", "oSub": None}) == All(o_str="x")
    with pytest.raises(JsonError, match=r"oneof 'choice' is given more than one member \('oI32' and 'oS"):
        parse(All, {"oI32": 1, "oStr": "x"})
    with pytest.raises(JsonError, match="oneof 'choice'"):
        parse(All, {"oNull": None, "oStr": "x"})  # null sets a NullValue member
    with pytest.raises(JsonError, match="oneof 'choice'"):
        parse(All, {"oSub": {}, "o_color": "RED"})


@pytest.mark.parametrize("field, value, expected", [
    ("i32", 1, 1), ("i32", "1", 1), ("i32", -2147483648, -(1 << 31)), ("i32", "2147483647", (1 << 31) - 1),
    ("i32", 1.0, 1), ("i32", 1e2, 100), ("i32", "1e3", 1000), ("i32", "1E3", 1000), ("i32", "-1.0", -1),
    ("i32", "1.5e1", 15), ("i32", "100e-2", 1), ("i32", decimal.Decimal("2.000"), 2), ("i32", "0", 0),
    ("i32", "-0", 0), ("i32", -0.0, 0),
    ("u32", "4294967295", (1 << 32) - 1), ("f32", 0, 0), ("sf32", "-5", -5), ("s32", -7, -7),
    ("i64", "-9223372036854775808", -(1 << 63)), ("i64", 9007199254740993, 9007199254740993),
    ("i64", decimal.Decimal("9.007199254740993e15"), 9007199254740993),
    ("u64", "18446744073709551615", (1 << 64) - 1), ("f64", "1e19", 10**19),
    ("sf64", "9223372036854775807", (1 << 63) - 1), ("s64", "-1", -1),
])
def test_integers(field: str, value: typing.Any, expected: int) -> None:
    f = next(f for f in All._ms_fields if f.json_name == field)
    out = getattr(parse(All, {field: value}), f.attr)
    assert out == expected and type(out) is int


@pytest.mark.parametrize("field, value, problem", [
    ("i32", 2147483648, "out of range for int32"), ("i32", "-2147483649", "out of range"),
    ("u32", -1, "out of range for uint32"), ("u32", "4294967296", "out of range"),
    ("f32", -1, "out of range for fixed32"), ("i64", "9223372036854775808", "out of range for int64"),
    ("sf64", -(1 << 63) - 1, "out of range"), ("u64", "-1", "out of range for uint64"),
    ("u64", 18446744073709551616, "out of range"), ("i64", 1e19, "out of range"),
    ("i64", "1e30", "out of range"),
    ("i32", "1e1000000000", "out of range"),
    ("i32", 1.5, "expected an integer"), ("i32", "1.5", "expected an integer"),
    ("i32", "1e-1", "with a fraction"),
    ("i32", True, "expected an integer"), ("i32", " 1", "expected an integer"), ("i32", "1 ", "expected"),
    ("i32", "+1", "expected"), ("i32", "0x10", "expected"), ("i32", "1_000", "expected"),
    ("i32", "٣", "expected"),
    ("i32", "01", "expected"), ("i32", "", "expected"), ("i32", "1.", "expected"), ("i32", ".5", "expected"),
    ("i32", "NaN", "expected"), ("i32", math.nan, "expected"), ("i32", math.inf, "expected"),
    ("i32", [1], "expected an integer"), ("i32", {}, "expected an integer"),
    ("i64", decimal.Decimal("NaN"), "expected"), ("i64", 1.0000001, "expected"),
])
def test_integer_errors(field: str, value: typing.Any, problem: str) -> None:
    with pytest.raises(JsonError, match=re.escape(problem)) as info:
        parse(All, {field: value})
    assert str(info.value).startswith(f"mstest.All.{field}: ")


@pytest.mark.parametrize("field, value, expected", [
    ("db", 1, 1.0), ("db", 1.5, 1.5), ("db", "1.5", 1.5), ("db", "-1e-3", -0.001), ("db", "1E+2", 100.0),
    ("db", "NaN", math.nan), ("db", "Infinity", math.inf), ("db", "-Infinity", -math.inf), ("db", -0.0, -0.0),
    ("db", decimal.Decimal("0.1"), 0.1), ("db", 10**300, 1e300), ("db", "0", 0.0),
    ("fl", 0.1, ms.float32(0.1)), ("fl", "3.4028235e38", FLT_MAX), ("fl", -3.4028235e38, -FLT_MAX),
    ("fl", "Infinity", math.inf), ("fl", 1e-50, 0.0), ("fl", "NaN", math.nan),
])
def test_floats(field: str, value: typing.Any, expected: float) -> None:
    f = next(f for f in All._ms_fields if f.json_name == field)
    out = getattr(parse(All, {field: value}), f.attr)
    assert type(out) is float
    if math.isnan(expected):
        assert math.isnan(out)
    else:
        assert out == expected and math.copysign(1, out) == math.copysign(1, expected)


@pytest.mark.parametrize("field, value, problem", [
    ("fl", 3.5e38, "out of range for float"), ("fl", "-3.402824e38", "out of range for float"),
    ("fl", 10**39, "out of range for float"), ("db", 10**400, "out of range for double"),
    ("db", "1e400", "out of range"), ("db", decimal.Decimal("1e400"), "out of range"),
    ("db", math.nan, "not a JSON number"), ("db", math.inf, "not a JSON number"),
    ("db", "nan", "expected a number"), ("db", "inf", "expected a number"), ("db", "infinity", "expected"),
    ("db", " 1", "expected"), ("db", "1_0", "expected"), ("db", "0x1p3", "expected"),
    ("db", True, "expected"),
    ("db", [], "expected a number"), ("db", "", "expected"),
])
def test_float_errors(field: str, value: typing.Any, problem: str) -> None:
    with pytest.raises(JsonError, match=re.escape(problem)):
        parse(All, {field: value})


def test_bools_and_strings() -> None:
    assert parse(All, {"b": True, "str": "x"}) == All(b=True, str_="x")
    for bad in ("true", 1, 0, [True]):
        with pytest.raises(JsonError, match=r"mstest\.All\.b: expected true or false"):
            parse(All, {"b": bad})
    for bad in (1, True, b"x", ["x"], {"a": 1}):
        with pytest.raises(JsonError, match=r"mstest\.All\.str: expected a string"):
            parse(All, {"str": bad})
    with pytest.raises(JsonError, match="unpaired surrogate"):
        parse(All, {"str": "\ud800"})
    with pytest.raises(JsonError, match="unpaired surrogate"):
        parse_text(All, '{"str": "\\udc00"}')
    assert parse_text(All, '{"str": "\\ud83d\\ude00"}').str_ == "\U0001f600"


@pytest.mark.parametrize("text, expected", [
    ("", b""), ("AP8=", b"\x00\xff"), ("AP8", b"\x00\xff"), ("-_8", b"\xfb\xff"), ("+/8=", b"\xfb\xff"),
    ("-_8=", b"\xfb\xff"), ("YQ==", b"a"), ("YQ", b"a"), ("YWJj", b"abc"), ("YWI", b"ab"),
])
def test_bytes_accepts_both_alphabets_and_optional_padding(text: str, expected: bytes) -> None:
    assert parse(All, {"by": text}).by == expected


@pytest.mark.parametrize("text", [
    "Y", "YQ=", "YQ===", "Y===", "YQ==YQ==", "Y Q==", "YQ\n", "*A==", "é", "=", "YWJjZ",
])
def test_bytes_rejects_bad_base64(text: str) -> None:
    with pytest.raises(JsonError, match=r"mstest\.All\.by: invalid base64"):
        parse(All, {"by": text})
    with pytest.raises(JsonError, match="expected a base64 string"):
        parse(All, {"by": 5})


def test_enum_parsing() -> None:
    assert parse(All, {"color": "BLUE"}).color is Color.BLUE
    assert parse(All, {"color": "CRIMSON"}).color is Color.RED  # alias
    assert parse(All, {"color": 2}).color is Color.BLUE
    assert parse(All, {"color": "2"}).color is Color.BLUE
    assert parse(All, {"color": 2.0}).color is Color.BLUE
    unknown = parse(All, {"color": 42}).color
    assert isinstance(unknown, Color) and int(unknown) == 42  # pseudo-member of the open enum
    assert to_json(parse(All, {"rColor": [1, -3]})) == {"rColor": ["GREEN", -3]}
    with pytest.raises(JsonError, match=r"mstest\.All\.color: 'PURPLE' is not a value of the enum mstest\.C"):
        parse(All, {"color": "PURPLE"})
    with pytest.raises(JsonError, match="is not a value"):
        parse(All, {"color": "blue"})
    with pytest.raises(JsonError, match="out of range for enum"):
        parse(All, {"color": 1 << 31})
    for bad in (True, [1], {}, 1.5):
        with pytest.raises(JsonError, match=r"mstest\.All\.color: "):
            parse(All, {"color": bad})


def test_unknown_enum_names_are_skipped_when_ignoring_unknown_fields() -> None:
    doc = {"color": "PURPLE", "optColor": "PURPLE", "rColor": ["BLUE", "PURPLE", "RED"],
           "mU64Color": {"1": "PURPLE", "2": "GREEN"}, "oColor": "PURPLE"}
    m = parse(All, doc, ignore=True)
    assert m == All(r_color=[Color.BLUE, Color.RED], m_u64_color={2: Color.GREEN})
    assert m.opt_color is None and m.which_oneof("choice") is None
    # a skipped member does not take the oneof
    assert parse(All, {"oColor": "PURPLE", "oStr": "x"}, ignore=True) == All(o_str="x")
    with pytest.raises(JsonError, match="oneof 'choice'"):
        parse(All, {"oColor": "RED", "oStr": "x"}, ignore=True)


def test_closed_enums() -> None:
    assert parse(P2, {"c": "TWO", "rc": [1, "ONE"]}) == P2(c=Closed.TWO, rc=[Closed.ONE, Closed.ONE])
    with pytest.raises(JsonError, match=r"mstest2\.P2\.c: 3 is not a value of the closed enum mstest2\.Cl"):
        parse(P2, {"c": 3})
    with pytest.raises(JsonError, match=r"mstest2\.P2\.rc\[1\]: 7 is not a value"):
        parse(P2, {"rc": [1, 7]})
    assert parse(P2, {"c": 3, "rc": [1, 7, "X"], "mClosed": {"a": 9, "b": 2}}, ignore=True) == P2(
        rc=[Closed.ONE], m_closed={"b": Closed.TWO})


def test_repeated_must_be_arrays() -> None:
    assert parse(All, {"rI32": [], "rStr": ("a", "b")}) == All(r_str=["a", "b"])
    with pytest.raises(JsonError, match=r"mstest\.All\.rI32: expected an array, got number 1"):
        parse(All, {"rI32": 1})
    with pytest.raises(JsonError, match=r"mstest\.All\.rSub\[1\]\.n: expected an integer \(int32\), got str"):
        parse(All, {"rSub": [{}, {"n": "x"}]})


def test_map_keys() -> None:
    m = parse(All, {"mI32Str": {"-5": "a", "1e1": "b"}, "mBoolSub": {"true": {}, "false": {"n": 1}},
                    "mU64Color": {"18446744073709551615": "RED"}, "mS64By": {"-9223372036854775808": "AA=="},
                    "mF32Db": {"4294967295": "NaN"}, "mStrI32": {"": 1, "é": "2"}})
    assert m.m_i32_str == {-5: "a", 10: "b"}
    assert m.m_bool_sub == {True: Sub(), False: Sub(n=1)}
    assert m.m_u64_color == {(1 << 64) - 1: Color.RED}
    assert m.m_s64_by == {-(1 << 63): b"\x00"}
    assert m.m_str_i32 == {"": 1, "é": 2}
    for field, key, problem in [
        ("mI32Str", "x", "expected an integer"), ("mI32Str", "2147483648", "out of range"),
        ("mBoolSub", "True", "bool map key must be"), ("mBoolSub", "1", "bool map key must be"),
        ("mU64Color", "-1", "out of range"), ("mI32Str", " 1", "expected an integer"),
    ]:
        value = "RED" if field == "mU64Color" else ({} if field == "mBoolSub" else "a")
        where = re.escape(f"mstest.All.{field}[{json.dumps(key)}]: ")
        with pytest.raises(JsonError, match=where + ".*" + problem):
            parse(All, {field: {key: value}})
    with pytest.raises(JsonError, match="map key 1 is given twice"):
        parse(All, {"mI32Str": {"1": "a", "1e0": "b"}})
    with pytest.raises(JsonError, match=r"mstest\.All\.mStrI32: expected an object \(map\), got an array"):
        parse(All, {"mStrI32": [1]})
    with pytest.raises(JsonError, match=re.escape('mstest.All.mStrI32["a"]: expected an integer')):
        parse(All, {"mStrI32": {"a": "b"}})


def test_messages_must_be_objects() -> None:
    with pytest.raises(JsonError, match=r"^mstest\.All\.sub: expected an object for mstest\.Sub, got an arr"):
        parse(All, {"sub": []})
    with pytest.raises(JsonError, match=r"^mstest\.All: expected an object for mstest\.All, got string"):
        parse(All, "x")
    with pytest.raises(JsonError, match=r"^mstest\.All: expected an object"):
        parse(All, None)


def test_nesting_limit() -> None:
    doc: dict[str, typing.Any] = {}
    for _ in range(99):
        doc = {"child": doc}
    parse(F.Node, doc)  # 100 levels
    with pytest.raises(JsonError, match="nested deeper than 100"):
        parse(F.Node, {"child": doc})
    deep_value: typing.Any = 1
    for _ in range(150):
        deep_value = [deep_value]
    with pytest.raises(JsonError, match="nested deeper than 100"):
        parse(Value, deep_value)
    with pytest.raises(JsonError):
        parse_text(Value, "[" * 100000 + "]" * 100000)


# -- well-known types


@pytest.mark.parametrize("text, seconds, nanos", [
    ("1970-01-01T00:00:00Z", 0, 0),
    ("1970-01-01T01:00:00+01:00", 0, 0),
    ("1969-12-31T19:00:00-05:00", 0, 0),
    ("1970-01-01T00:00:00.5Z", 0, 500_000_000),
    ("1970-01-01T00:00:00.123456789Z", 0, 123_456_789),
    ("1970-01-01T00:00:00.000001-00:00", 0, 1000),
    ("0001-01-01T00:00:00Z", -62135596800, 0),
    ("9999-12-31T23:59:59.999999999Z", 253402300799, 999_999_999),
    ("0001-01-01T05:30:00+05:30", -62135596800, 0),
    ("2000-02-29T23:59:59+23:59", 951868799 - 86340, 0),
])
def test_timestamp_parsing(text: str, seconds: int, nanos: int) -> None:
    assert parse(Timestamp, text) == Timestamp(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize("text", [
    "1970-01-01t00:00:00Z", "1970-01-01T00:00:00z", "1970-01-01 00:00:00Z", "1970-01-01T00:00:00",
    "1970-01-01T00:00:00.Z", "1970-01-01T00:00:00.1234567890Z", "1970-1-01T00:00:00Z", "70-01-01T00:00:00Z",
    "1970-02-30T00:00:00Z", "1970-13-01T00:00:00Z", "1970-01-01T24:00:00Z", "1970-01-01T00:60:00Z",
    "1970-01-01T00:00:60Z", "1970-01-01T00:00:00+0100", "1970-01-01T00:00:00+01", "1970-01-01T00:00:00+24:00",
    "1970-01-01T00:00:00+01:60", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-00:01",
    "10000-01-01T00:00:00Z", " 1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z ", "1970-01-01T00:00:00ZZ",
    "1970-01-01T00:00:00UTC", "١٩٧٠-01-01T00:00:00Z", "",
])
def test_timestamp_parsing_rejects(text: str) -> None:
    with pytest.raises(JsonError, match=r"^mstest\.All\.ts: "):
        parse(All, {"ts": text})


def test_timestamp_parsing_rejects_non_strings() -> None:
    for bad in (0, {}, [], True):
        with pytest.raises(JsonError, match="expected an RFC 3339 timestamp string"):
            parse(All, {"ts": bad})


@pytest.mark.parametrize("text, seconds, nanos", [
    ("0s", 0, 0), ("1s", 1, 0), ("-1s", -1, 0), ("1.5s", 1, 500_000_000), ("-1.5s", -1, -500_000_000),
    ("-0.5s", 0, -500_000_000), ("0.000000001s", 0, 1), ("-0s", 0, 0), ("01s", 1, 0),
    ("315576000000.999999999s", 315576000000, 999_999_999), ("-315576000000s", -315576000000, 0),
    ("1.100s", 1, 100_000_000),
])
def test_duration_parsing(text: str, seconds: int, nanos: int) -> None:
    assert parse(Duration, text) == Duration(seconds=seconds, nanos=nanos)


@pytest.mark.parametrize("text", [
    "1", "1S", "1ss", "s", ".5s", "1.s", "+1s", "1.0000000001s", " 1s", "1s ", "1 s", "--1s", "1e3s",
    "315576000001s", "-315576000001s", "99999999999999999999999s", "1,5s", "Infinitys", "",
])
def test_duration_parsing_rejects(text: str) -> None:
    with pytest.raises(JsonError, match=r"^mstest\.All\.dur: "):
        parse(All, {"dur": text})
    with pytest.raises(JsonError, match="expected a duration string"):
        parse(All, {"dur": 1.5})


def test_field_mask_parsing() -> None:
    assert parse(FieldMask, "fooBar,baz.quxQuux,a1") == FieldMask(paths=["foo_bar", "baz.qux_quux", "a1"])
    assert parse(FieldMask, "") == FieldMask()
    assert parse(FieldMask, "a,,b") == FieldMask(paths=["a", "", "b"])
    for bad in ("foo_bar", "a b", "a-b", "é"):
        with pytest.raises(JsonError, match="unexpected character"):
            parse(FieldMask, bad)
    with pytest.raises(JsonError, match="expected a FieldMask string"):
        parse(FieldMask, ["a"])


def test_struct_value_list_parsing() -> None:
    doc = {"a": 1, "b": [True, None, "x", {"c": -2.5}], "d": {}, "e": []}
    s = parse(Struct, doc)
    assert s == Struct.from_python(doc)
    assert s.fields["a"] == Value(number_value=1.0)
    assert parse(ListValue, [1, "a"]) == ListValue(values=[Value(number_value=1.0), Value(string_value="a")])
    assert parse(Value, {"x": 1}) == Value(struct_value=Struct(fields={"x": Value(number_value=1.0)}))
    assert parse(Value, []) == Value(list_value=ListValue())
    assert parse(Value, 10**20) == Value(number_value=1e20)
    assert parse(Value, decimal.Decimal("0.1")) == Value(number_value=0.1)
    assert parse_text(All, '{"val": 1e5, "st": {"k": 1.0}}').val == Value(number_value=1e5)
    with pytest.raises(JsonError, match="expected an object for google.protobuf.Struct"):
        parse(All, {"st": [1]})
    with pytest.raises(JsonError, match="expected an array for google.protobuf.ListValue"):
        parse(All, {"lv": {}})
    with pytest.raises(JsonError, match=r"^mstest\.All\.st\[\"k\"\]\[0\]: number 1E\+400 cannot be a google"):
        parse_text(All, '{"st": {"k": [1e400]}}')
    with pytest.raises(JsonError, match="cannot be a google.protobuf.Value number"):
        parse(Value, math.nan)
    with pytest.raises(JsonError, match="cannot be a google.protobuf.Value"):
        parse(Value, b"x")


def test_wrappers_parsing() -> None:
    doc = {"wDb": "NaN", "wFl": 0.5, "wI64": "-5", "wU64": 7, "wI32": "7", "wU32": 8, "wB": False,
           "wStr": "", "wBy": "AQI"}
    m = parse(All, doc)
    assert m.w_fl == F.FloatValue(value=0.5) and m.w_i64 == F.Int64Value(value=-5)
    assert m.w_b == F.BoolValue(value=False) and m.w_str == F.StringValue()
    assert m.w_by == F.BytesValue(value=b"\x01\x02")
    assert math.isnan(m.w_db.value)
    assert parse(All, {"wI32": None}) == All()
    with pytest.raises(JsonError, match=r"mstest\.All\.wU32: -1 is out of range for uint32"):
        parse(All, {"wU32": -1})
    with pytest.raises(JsonError, match="expected an integer"):
        parse(All, {"wI64": {"value": 1}})  # the wrapper's JSON form is the bare value
    with pytest.raises(JsonError, match="null is not allowed"):
        parse(F.Int32Value, None)


def test_empty_parsing() -> None:
    assert parse(All, {"empty": {}}) == All(empty=Empty())
    with pytest.raises(JsonError, match="no field named 'x'"):
        parse(Empty, {"x": 1})


def test_any_parsing() -> None:
    a = parse(Any_, {"@type": "type.googleapis.com/mstest.Sub", "n": 1, "s": "x"})
    assert a == Any_.pack(Sub(n=1, s="x"))
    assert parse(Any_, {"s": "x", "@type": "type.googleapis.com/mstest.Sub"}).unpack(Sub) == Sub(s="x")
    assert parse(Any_, {}) == Any_()
    ts = parse(Any_, {"@type": "x.com/google.protobuf.Timestamp", "value": "1970-01-01T00:00:01Z"})
    assert ts.unpack(Timestamp) == Timestamp(seconds=1)
    assert parse(Any_, {"@type": "x/google.protobuf.Duration"}).unpack(Duration) == Duration()
    v = parse(Any_, {"@type": "type.googleapis.com/google.protobuf.Value", "value": None})
    assert v.unpack(Value) == Value(null_value=NullValue.NULL_VALUE)
    assert parse(Any_, {"@type": "type.googleapis.com/google.protobuf.Value"}).unpack(Value) == Value()
    empty_mask = parse(Any_, {"@type": "x/google.protobuf.FieldMask", "value": None})
    assert empty_mask.unpack(FieldMask) == FieldMask()
    w = parse(Any_, {"@type": "type.googleapis.com/google.protobuf.Int64Value", "value": "9"})
    assert w.unpack(F.Int64Value) == F.Int64Value(value=9)
    nested = {"@type": "type.googleapis.com/google.protobuf.Any",
              "value": {"@type": "type.googleapis.com/mstest.Sub", "n": 3}}
    assert parse(Any_, nested).unpack(Any_).unpack(Sub) == Sub(n=3)
    assert parse(Any_, {"@type": "type.googleapis.com/google.protobuf.Empty"}).unpack(Empty) == Empty()
    m = parse(All, {"any": {"@type": "type.googleapis.com/mstest.Sub", "zz": 1, "n": 2}}, ignore=True)
    assert m.any.unpack(Sub) == Sub(n=2)


@pytest.mark.parametrize("doc, problem", [
    ({"n": 1}, 'needs an "@type" key'),
    ({"@type": 5}, "expected a type URL string"),
    ({"@type": "type.googleapis.com/nope.Nope"}, "unknown message type 'nope.Nope'"),
    ({"@type": "mstest.Sub"}, "no '/'"),
    ({"@type": "type.googleapis.com/mstest.Sub", "zz": 1}, "mstest.Sub has no field named 'zz'"),
    ({"@type": "type.googleapis.com/mstest.Sub", "n": "x"}, "expected an integer"),
    ({"@type": "type.googleapis.com/google.protobuf.Timestamp", "value": "x"}, "RFC 3339"),
    ({"@type": "x.com/google.protobuf.Timestamp", "seconds": 1}, 'has only "@type" and "value"'),
    ({"@type": "type.googleapis.com/google.protobuf.Int32Value", "value": "x"}, "expected an integer"),
])
def test_any_parsing_errors(doc: dict[str, typing.Any], problem: str) -> None:
    with pytest.raises(JsonError, match=re.escape(problem)) as info:
        parse(All, {"any": doc})
    assert str(info.value).startswith("mstest.All.any")
    with pytest.raises(JsonError, match="expected an object for google.protobuf.Any"):
        parse(All, {"any": "x"})


# -- JSON text


def test_text_parsing() -> None:
    assert parse_text(All, '  {"i32": 1, "str": "\\u00e9"}\n') == All(i32=1, str_="é")
    assert parse_text(All, b'{"i32": 1}') == All(i32=1)
    assert parse_text(All, bytearray(b'{"str": "\xc3\xa9"}')) == All(str_="é")
    assert parse_text(All, '{"i64": 1.0e18}').i64 == 10**18
    # exact, no rounding through a double
    assert parse_text(All, '{"i64": 12345678901234567.0}').i64 == 12345678901234567
    assert parse_text(All, '{"i64": 9223372036854775807}').i64 == (1 << 63) - 1
    assert parse_text(All, '{"fl": 3.4028235e38}').fl == FLT_MAX


@pytest.mark.parametrize("text, problem", [
    ('{"i32": 1, "i32": 2}', "duplicate key 'i32'"),
    ('{"sub": {"n": 1, "n": 1}}', "duplicate key 'n'"),
    ('{"db": NaN}', "NaN is not valid JSON"),
    ('{"db": Infinity}', "Infinity is not valid JSON"),
    ('{"db": -Infinity}', "-Infinity is not valid JSON"),
    ('{"i32": 1} x', "invalid JSON"),
    ('{"i32": 01}', "invalid JSON"),
    ("{'i32': 1}", "invalid JSON"),
    ('{"i32": 1,}', "invalid JSON"),
    ("", "invalid JSON"),
    ('{"str": "a\x01"}', "invalid JSON"),
    ("[]", "expected an object for mstest.All, got an array"),
    ('{"db": 1e400}', "out of range for double"),
    ('{"i32": 1' + "0" * 5000 + "}", "invalid JSON"),
])
def test_text_parsing_errors(text: str, problem: str) -> None:
    with pytest.raises(JsonError, match=re.escape(problem)):
        parse_text(All, text)


def test_text_must_be_utf8() -> None:
    with pytest.raises(JsonError, match="not valid UTF-8"):
        parse_text(All, b'{"str": "\xff"}')


def test_dumps() -> None:
    value = {"a": [1, "é"], "b": {}}
    assert mj.dumps(value, None) == '{"a":[1,"é"],"b":{}}'
    assert mj.dumps(value, 2) == '{\n  "a": [\n    1,\n    "é"\n  ],\n  "b": {}\n}'
    assert mj.dumps("x\u2028", None) == '"x\u2028"'
    with pytest.raises(JsonError):
        mj.dumps(math.nan, None)


def test_message_api_uses_the_json_module() -> None:
    m = All(i64=5, sub=Sub(s="é"))
    assert m.to_dict() == {"i64": "5", "sub": {"s": "é"}}
    assert m.to_json() == '{"i64":"5","sub":{"s":"é"}}'
    assert m.to_json(indent=1) == '{\n "i64": "5",\n "sub": {\n  "s": "é"\n }\n}'
    assert All.from_dict({"i64": 5}) == All(i64=5)
    assert All.from_json('{"sub": {}}') == All(sub=Sub())
    assert All.from_json('{"x": 1}', ignore_unknown_fields=True) == All()
    with pytest.raises(ValueError):
        All.from_json('{"x": 1}')


# ---- well-known type helpers ------------------------------------------------------------------


def test_mixins_add_no_state() -> None:
    for mixin in (mj.TimestampMixin, mj.DurationMixin, mj.AnyMixin, mj.StructMixin, mj.ValueMixin,
                  mj.ListValueMixin, mj.FieldMaskMixin):
        assert mixin.__slots__ == ()
        assert not dataclasses.is_dataclass(mixin)
        assert not mixin.__dict__.get("__annotations__")
        assert not issubclass(mixin, ms.Message)
    assert [f.name for f in dataclasses.fields(Timestamp)] == ["seconds", "nanos", "_unknown"]
    with pytest.raises(AttributeError):
        Timestamp().extra = 1  # still a slots class


def test_timestamp_helpers() -> None:
    utc = datetime.timezone.utc
    dt = datetime.datetime(2020, 1, 2, 3, 4, 5, 678901, tzinfo=utc)
    t = Timestamp.from_datetime(dt)
    assert t == Timestamp(seconds=1577934245, nanos=678901000) and type(t) is Timestamp
    assert t.to_datetime() == dt and t.to_datetime().tzinfo is utc
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    assert Timestamp.from_datetime(dt.astimezone(plus2)) == t
    assert t.to_datetime(plus2).utcoffset() == datetime.timedelta(hours=2)
    assert Timestamp(seconds=-1, nanos=999_999_999).to_datetime() == datetime.datetime(
        1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc)
    with pytest.raises(ValueError, match="naive"):
        Timestamp.from_datetime(datetime.datetime(2020, 1, 1))
    with pytest.raises(TypeError):
        Timestamp.from_datetime(datetime.date(2020, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        Timestamp.from_datetime(datetime.datetime(1, 1, 1, tzinfo=plus2))
    assert Timestamp.from_datetime(datetime.datetime.min.replace(tzinfo=utc)).seconds == -62135596800
    assert Timestamp.from_nanoseconds(-1) == Timestamp(seconds=-1, nanos=999_999_999)
    assert Timestamp.from_nanoseconds(1_500_000_000).to_nanoseconds() == 1_500_000_000
    with pytest.raises(ValueError):
        Timestamp.from_nanoseconds(253402300800 * 10**9)
    with pytest.raises(ValueError):
        Timestamp(nanos=-1).to_datetime()
    with pytest.raises(ValueError):
        Timestamp(seconds=1 << 40).to_nanoseconds()
    before = datetime.datetime.now(utc)
    now = Timestamp.now()
    after = datetime.datetime.now(utc)
    assert type(now) is Timestamp
    assert before - datetime.timedelta(seconds=1) <= now.to_datetime() <= after


def test_duration_helpers() -> None:
    td = datetime.timedelta(seconds=-1, microseconds=-500)
    d = Duration.from_timedelta(td)
    assert d == Duration(seconds=-1, nanos=-500_000) and type(d) is Duration
    assert d.to_timedelta() == td
    two_days = datetime.timedelta(days=2, microseconds=1)
    assert Duration.from_timedelta(two_days) == Duration(seconds=172800, nanos=1000)
    assert Duration.from_nanoseconds(-1) == Duration(seconds=0, nanos=-1)
    assert Duration.from_nanoseconds(-1_500_000_000) == Duration(seconds=-1, nanos=-500_000_000)
    assert Duration.from_nanoseconds(1_500_000_000).to_nanoseconds() == 1_500_000_000
    assert Duration(seconds=-1, nanos=-1999).to_timedelta() == datetime.timedelta(seconds=-1, microseconds=-1)
    assert Duration(seconds=0, nanos=1999).to_timedelta() == datetime.timedelta(microseconds=1)
    with pytest.raises(ValueError, match="out of range"):
        Duration.from_timedelta(datetime.timedelta(days=3652500, seconds=1))
    with pytest.raises(ValueError, match="different signs"):
        Duration(seconds=1, nanos=-1).to_timedelta()
    with pytest.raises(TypeError):
        Duration.from_timedelta(5)  # type: ignore[arg-type]


def test_any_helpers() -> None:
    a = Any_.pack(Sub(n=5))
    assert type(a) is Any_ and a.type_name == "mstest.Sub"
    assert a.is_(Sub) and not a.is_(Timestamp)
    assert a.unpack(Sub) == Sub(n=5)
    with pytest.raises(TypeError, match="holds 'mstest.Sub', not 'google.protobuf.Timestamp'"):
        a.unpack(Timestamp)
    assert Any_.pack(Sub(), "example.com").type_url == "example.com/mstest.Sub"
    assert Any_.pack(Sub(), "example.com/x/").type_url == "example.com/x/mstest.Sub"
    assert not Any_(type_url="mstest.Sub").is_(Sub)  # no '/'
    assert Any_().type_name == ""


def test_struct_value_list_helpers() -> None:
    obj = {"a": 1, "b": [True, None, "x", {"c": -2.5}, (1, 2)], "d": {}}
    s = Struct.from_python(obj)
    assert type(s) is Struct
    assert s.fields["a"] == Value(number_value=1.0)
    assert s.fields["b"].list_value.values[1] == Value(null_value=NullValue.NULL_VALUE)
    assert s.to_python() == {"a": 1.0, "b": [True, None, "x", {"c": -2.5}, [1.0, 2.0]], "d": {}}
    assert Value.from_python("x") == Value(string_value="x")
    assert Value.from_python(None).to_python() is None
    assert Value.from_python(False).to_python() is False
    assert Value().to_python() is None
    assert Value.from_python({"k": [1]}).to_python() == {"k": [1.0]}
    lv = ListValue.from_python([1, "a", [None]])
    assert type(lv) is ListValue and lv.to_python() == [1.0, "a", [None]]
    with pytest.raises(TypeError, match="cannot hold a bytes"):
        Value.from_python(b"x")
    with pytest.raises(TypeError, match="keys must be str"):
        Struct.from_python({1: 2})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        Struct.from_python([1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ListValue.from_python({"a": 1})  # type: ignore[arg-type]
    cyclic: list[typing.Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="cyclic"):
        ListValue.from_python(cyclic)


def test_field_mask_helpers() -> None:
    fm = FieldMask.from_paths(["foo_bar", "a.b_c"])
    assert type(fm) is FieldMask and fm.paths == ["foo_bar", "a.b_c"]
    assert fm.to_json_string() == "fooBar,a.bC"
    assert FieldMask.from_json_string("fooBar,a.bC") == fm
    assert FieldMask.from_paths(iter(["x"])).paths == ["x"]
    with pytest.raises(TypeError):
        FieldMask.from_paths("foo_bar")
    with pytest.raises(JsonError):
        FieldMask.from_paths(["Foo"]).to_json_string()


@pytest.mark.skipif(not hasattr(ms, "defer_fields"), reason="support module builds field tables eagerly")
def test_deferred_field_tables() -> None:
    """Generated modules build _ms_fields on first use (ms.defer_fields): the
    JSON mapping must not read a class's table before that."""

    @dataclasses.dataclass(slots=True)
    class Late(ms.Message):
        n: int = 0
        sub: Sub | None = None
        _unknown: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    finish(ms, Late, "mstest.Late", ())
    del Late._ms_fields  # as generated: the class has no table of its own yet

    def init_fields() -> None:
        Late._ms_fields = (
            ms.FieldInfo("n", "n", "n", 1, ms.INT32, False, False, None),
            ms.FieldInfo("sub", "sub", "sub", 2, ms.MESSAGE, False, True, None, type=Sub),
        )

    ms.defer_fields(init_fields)
    assert parse(Late, {"n": 1, "sub": {"n": 2}}) == Late(n=1, sub=Sub(n=2))
    assert to_json(Late(n=3)) == {"n": 3}


# ---- against protobuf's json_format --------------------------------------------------------------

def _protobuf() -> typing.Any:
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
        from google.protobuf import any_pb2, duration_pb2, empty_pb2, field_mask_pb2  # noqa: F401
        from google.protobuf import struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401
    except ImportError:
        return None
    return types.SimpleNamespace(descriptor_pb2=descriptor_pb2, descriptor_pool=descriptor_pool,
                                 json_format=json_format, message_factory=message_factory)


PB = _protobuf()
needs_protobuf = pytest.mark.skipif(PB is None, reason="google.protobuf is not installed")

WKT_FILES = {
    "Timestamp": "timestamp", "Duration": "duration", "Any": "any", "Struct": "struct", "Value": "struct",
    "ListValue": "struct", "NullValue": "struct", "FieldMask": "field_mask", "Empty": "empty",
}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _file_proto(package: str, syntax: str, classes: list[typing.Any], enums: list[typing.Any]) -> typing.Any:
    """A FileDescriptorProto equivalent to hand-written classes (from their _ms_fields)."""
    d = PB.descriptor_pb2
    fdp = d.FileDescriptorProto(name=f"{package}.proto", package=package, syntax=syntax)
    deps = set()
    for e in enums:
        ep = fdp.enum_type.add(name=e._ms_full_name.rpartition(".")[2])
        for name, member in e.__members__.items():
            ep.value.add(name=name, number=int(member))
        if len(e.__members__) != len({int(m) for m in e}):
            ep.options.allow_alias = True

    def type_name(t: typing.Any) -> str:
        if t._ms_full_name.startswith("google.protobuf."):
            short = t._ms_full_name.rpartition(".")[2]
            deps.add("google/protobuf/%s.proto" % WKT_FILES.get(short, "wrappers"))
        return "." + t._ms_full_name

    def set_type(fp: typing.Any, kind: int, t: typing.Any) -> None:
        fp.type = kind
        if kind in (ms.MESSAGE, ms.ENUM):
            fp.type_name = type_name(t)

    for cls in classes:
        mp = fdp.message_type.add(name=cls._ms_full_name.rpartition(".")[2])
        oneof_index = {}
        for name in cls._ms_oneofs:
            oneof_index[name] = len(mp.oneof_decl)
            mp.oneof_decl.add(name=name)
        for f in cls._ms_fields:
            fp = mp.field.add(name=f.name, number=f.number, json_name=f.json_name)
            fp.label = fp.LABEL_REPEATED if f.repeated or f.map_key else fp.LABEL_OPTIONAL
            if f.map_key:
                entry = mp.nested_type.add(name=_camel(f.name) + "Entry")
                entry.options.map_entry = True
                key = entry.field.add(name="key", number=1, json_name="key", label=fp.LABEL_OPTIONAL)
                set_type(key, f.map_key, None)
                value = entry.field.add(name="value", number=2, json_name="value", label=fp.LABEL_OPTIONAL)
                set_type(value, f.map_value, f.map_type)
                fp.type = ms.MESSAGE
                fp.type_name = f".{cls._ms_full_name}.{entry.name}"
                continue
            set_type(fp, f.kind, f.type)
            if f.oneof is not None:
                fp.oneof_index = oneof_index[f.oneof]
            elif syntax == "proto3" and f.presence and f.kind != ms.MESSAGE:
                fp.proto3_optional = True
                fp.oneof_index = len(mp.oneof_decl)
                mp.oneof_decl.add(name="_" + f.name)
            if f.default is not None:
                fp.default_value = str(f.default)
    fdp.dependency.extend(sorted(deps))
    return fdp


def _pb_classes() -> dict[str, typing.Any]:
    pool = PB.descriptor_pool.Default()
    out = {}
    for fdp in (
        _file_proto("mstest", "proto3", [F.Sub, F.All, F.Order], [F.Color]),
        _file_proto("mstest2", "proto2", [F.P2], [F.Closed]),
    ):
        try:
            pool.FindFileByName(fdp.name)
        except KeyError:
            pool.AddSerializedFile(fdp.SerializeToString())
    for name in ("mstest.Sub", "mstest.All", "mstest.Order", "mstest2.P2"):
        out[name] = PB.message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    return out


@pytest.fixture(scope="module")
def pbc() -> dict[str, typing.Any]:
    if PB is None:
        pytest.skip("google.protobuf is not installed")
    return _pb_classes()


def canonical(value: typing.Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def assert_same_as_protobuf(pbc: dict[str, typing.Any], msg: typing.Any) -> None:
    cls = pbc[type(msg)._ms_full_name]
    theirs = cls.FromString(msg.SerializeToString())
    expected = PB.json_format.MessageToDict(theirs)
    mine = to_json(msg)
    assert canonical(mine) == canonical(expected)
    # field order too (maps aside, whose order protobuf does not keep)
    assert list(mine) == list(expected)
    # our parser reads protobuf's text back to the same message
    text = PB.json_format.MessageToJson(theirs)
    assert canonical(to_json(parse_text(type(msg), text))) == canonical(expected)
    # and protobuf's parser reads ours back to the same message
    try:
        again = PB.json_format.Parse(mj.dumps(mine, None), cls())
    except PB.json_format.ParseError as exc:
        # protobuf's Python parser rejects its own output in two places: floats that round
        # to FLT_MAX, and null elements of repeated NullValue fields
        known = "Float value too (large|small)|null is not allowed to be used as an element"
        assert re.search(known, str(exc))
    else:
        assert canonical(PB.json_format.MessageToDict(again)) == canonical(expected)


@needs_protobuf
def test_same_output_as_protobuf_examples(pbc: dict[str, typing.Any]) -> None:
    examples = [
        All(),
        All(i32=-1, i64=-(1 << 63), u32=(1 << 32) - 1, u64=(1 << 64) - 1, s32=-5, s64=5, f32=7,
            f64=(1 << 64) - 1, sf32=-(1 << 31), sf64=(1 << 63) - 1, fl=ms.float32(0.1), db=-0.0, b=True,
            str_="héllo\u2028\U0001f600", by=b"\x00\xfb\xff", color=Color(9), sub=Sub(n=1, s="x"),
            opt_i32=0, opt_str="", opt_color=Color.RED),
        All(fl=math.nan, db=-math.inf,
            r_fl=[math.inf, ms.float32(1 / 3), ms.float32(1.2e-38), FLT_MAX, -FLT_MAX],
            r_db=[math.nan, 0.1, 5e-324, 1e300]),
        All(r_i32=[0, -1], r_i64=[1 << 40], r_u64=[(1 << 64) - 1], r_b=[True, False], r_str=["", "a"],
            r_by=[b"", b"a"], r_color=[Color.BLUE, Color(-3)], r_sub=[Sub(), Sub(n=2)]),
        All(m_str_i32={"a": 1, "": 0}, m_i32_str={-1: "x", 0: ""},
            m_bool_sub={True: Sub(s="t"), False: Sub()},
            m_u64_color={(1 << 64) - 1: Color.BLUE, 0: Color(5)}, m_s64_by={-3: b"\x01"},
            m_f32_db={7: math.inf, 8: -0.0}, m_str_fl={"x": ms.float32(2.2)}),
        All(o_i32=0), All(o_str="s"), All(o_sub=Sub()), All(o_color=Color.GREEN),
        All(o_null=NullValue.NULL_VALUE),
        All(ts=Timestamp(seconds=-62135596800), dur=Duration(seconds=-1, nanos=-10),
            any=Any_.pack(Sub(n=3)), st=Struct.from_python({"a": [1, None, True, "s", {"b": {}}]}),
            val=Value(), lv=ListValue.from_python([[], {}]), fm=FieldMask(paths=["foo_bar.baz", "x"]),
            empty=Empty()),
        All(ts=Timestamp(seconds=253402300799, nanos=1000), dur=Duration(nanos=999_999_999),
            any=Any_.pack(Any_.pack(Timestamp())), val=Value(number_value=-0.0)),
        All(any=Any_.pack(Empty()), r_any=[Any_(), Any_.pack(F.FloatValue(value=ms.float32(0.3))),
                                            Any_.pack(FieldMask(paths=["a"])), Any_.pack(Duration(seconds=1)),
                                            Any_.pack(Value(list_value=ListValue())), Any_.pack(ListValue()),
                                            Any_.pack(Struct()), Any_.pack(F.BytesValue(value=b"\xff")),
                                            Any_.pack(All(i64=3, color=Color.BLUE))]),
        All(w_db=F.DoubleValue(value=math.nan), w_fl=F.FloatValue(value=ms.float32(0.1)),
            w_i64=F.Int64Value(value=-5), w_u64=F.UInt64Value(), w_i32=F.Int32Value(value=7),
            w_u32=F.UInt32Value(value=8), w_b=F.BoolValue(),
            w_str=F.StringValue(value="s"), w_by=F.BytesValue(value=b"\x01\x02")),
        All(null=NullValue.NULL_VALUE, r_val=[Value(null_value=NullValue.NULL_VALUE), Value(string_value="")],
            m_str_val={"k": Value(bool_value=False)}, r_ts=[Timestamp(nanos=1)],
            r_null=[NullValue.NULL_VALUE] * 2),
        F.Order(zeta=1, alpha=2, snake_case_name="x"),
        P2(), P2(a=0, c=Closed.TWO, rc=[Closed.ONE], s="", m_closed={"k": Closed.TWO}),
    ]
    for msg in examples:
        assert_same_as_protobuf(pbc, msg)


@needs_protobuf
@pytest.mark.parametrize("text", [
    '{"i32": "1e3", "i64": 1e3, "u32": 1.0, "u64": "18446744073709551615", "fl": "1.5", "db": "-Infinity"}',
    '{"optI32": null, "optColor": 2, "color": "BLUE", "by": "-_8", "rBy": ["YQ", "YWI="]}',
    '{"ts": "1970-01-01T01:00:00.5+01:00", "dur": "-0.5s", "fm": "fooBar,a.b", "val": null}',
    '{"any": {"@type": "type.googleapis.com/mstest.Sub", "n": 1}, "st": {"a": [1, {"b": null}]}}',
    '{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.000000001s"}}',
    '{"mI32Str": {"-1": "a"}, "mBoolSub": {"false": {}}, "mU64Color": {"5": 7}, "oNull": null}',
    '{"wI64": "5", "wFl": "NaN", "wBy": "AQI=", "rNull": ["NULL_VALUE"],'
    ' "rVal": [null, [], {}, 1, "x", true]}',
    '{"opt_i32": 1, "str": "\\u00e9\\ud83d\\ude00", "r_color": ["GREEN", 9]}',
])
def test_same_parse_as_protobuf(pbc: dict[str, typing.Any], text: str) -> None:
    cls = pbc["mstest.All"]
    theirs = PB.json_format.Parse(text, cls())
    mine = parse_text(All, text)
    assert canonical(to_json(mine)) == canonical(PB.json_format.MessageToDict(theirs))
    assert cls.FromString(mine.SerializeToString()) == theirs or math.isnan(theirs.w_fl.value)


if given is not None:
    int32s = st.integers(-(1 << 31), (1 << 31) - 1)
    int64s = st.integers(-(1 << 63), (1 << 63) - 1)
    uint32s = st.integers(0, (1 << 32) - 1)
    uint64s = st.integers(0, (1 << 64) - 1)
    float32s = st.floats(width=32)
    # protobuf's Python runtime prints float32 subnormals with 5+ digits (1.4013e-45), not the shortest
    normal_float32s = st.floats(width=32, allow_subnormal=False)
    colors = st.one_of(st.sampled_from([Color.RED, Color.GREEN, Color.BLUE]), int32s.map(Color))
    texts = st.text(max_size=8)
    subs = st.builds(Sub, n=int32s, s=texts)
    json_leaf = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), texts)
    json_like = st.recursive(json_leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)), max_leaves=8)
    timestamps = st.builds(Timestamp, seconds=st.integers(-62135596800, 253402300799),
                           nanos=st.integers(0, 999_999_999))

    @st.composite
    def durations(draw: typing.Any) -> typing.Any:
        seconds = draw(st.integers(-315576000000, 315576000000))
        nanos = draw(st.integers(0, 999_999_999))
        if seconds < 0 or (seconds == 0 and draw(st.booleans())):
            nanos = -nanos
        return Duration(seconds=seconds, nanos=nanos)

    path_word = st.from_regex(r"[a-z][a-z0-9]{0,3}(_[a-z][a-z0-9]{0,2}){0,2}", fullmatch=True)
    paths = st.lists(path_word, min_size=1, max_size=3).map(".".join)
    anys = st.one_of(
        st.just(Any_()), subs.map(Any_.pack), timestamps.map(Any_.pack),
        json_like.map(lambda v: Any_.pack(Value.from_python(v))),
        int64s.map(lambda v: Any_.pack(F.Int64Value(value=v))),
    )

    def optional(strategy: typing.Any) -> typing.Any:
        return st.one_of(st.none(), strategy)

    oneofs = st.one_of(
        st.just({}), int32s.map(lambda v: {"o_i32": v}), texts.map(lambda v: {"o_str": v}),
        subs.map(lambda v: {"o_sub": v}), colors.map(lambda v: {"o_color": v}),
        st.just({"o_null": NullValue.NULL_VALUE}),
    )

    @st.composite
    def alls(draw: typing.Any, float32s: typing.Any = float32s) -> typing.Any:
        return All(
            i32=draw(int32s), i64=draw(int64s), u32=draw(uint32s), u64=draw(uint64s), s32=draw(int32s),
            s64=draw(int64s), f32=draw(uint32s), f64=draw(uint64s), sf32=draw(int32s), sf64=draw(int64s),
            fl=draw(float32s), db=draw(st.floats()), b=draw(st.booleans()), str_=draw(texts),
            by=draw(st.binary(max_size=8)), color=draw(colors), sub=draw(optional(subs)),
            opt_i32=draw(optional(int32s)), opt_str=draw(optional(texts)), opt_color=draw(optional(colors)),
            r_i32=draw(st.lists(int32s, max_size=3)), r_i64=draw(st.lists(int64s, max_size=3)),
            r_u64=draw(st.lists(uint64s, max_size=3)), r_fl=draw(st.lists(float32s, max_size=3)),
            r_db=draw(st.lists(st.floats(), max_size=3)), r_b=draw(st.lists(st.booleans(), max_size=3)),
            r_str=draw(st.lists(texts, max_size=3)), r_by=draw(st.lists(st.binary(max_size=5), max_size=3)),
            r_color=draw(st.lists(colors, max_size=3)), r_sub=draw(st.lists(subs, max_size=2)),
            m_str_i32=draw(st.dictionaries(texts, int32s, max_size=3)),
            m_i32_str=draw(st.dictionaries(int32s, texts, max_size=3)),
            m_bool_sub=draw(st.dictionaries(st.booleans(), subs, max_size=2)),
            m_u64_color=draw(st.dictionaries(uint64s, colors, max_size=3)),
            m_s64_by=draw(st.dictionaries(int64s, st.binary(max_size=4), max_size=3)),
            m_f32_db=draw(st.dictionaries(uint32s, st.floats(), max_size=3)),
            m_str_fl=draw(st.dictionaries(texts, float32s, max_size=3)),
            **draw(oneofs),
            ts=draw(optional(timestamps)), dur=draw(optional(durations())), any=draw(optional(anys)),
            st=draw(optional(st.dictionaries(texts, json_like, max_size=3).map(Struct.from_python))),
            val=draw(optional(json_like.map(Value.from_python))),
            lv=draw(optional(st.lists(json_like, max_size=3).map(ListValue.from_python))),
            fm=draw(optional(st.lists(paths, max_size=3).map(FieldMask.from_paths))),
            empty=draw(optional(st.just(Empty()))),
            w_db=draw(optional(st.floats().map(lambda v: F.DoubleValue(value=v)))),
            w_fl=draw(optional(float32s.map(lambda v: F.FloatValue(value=v)))),
            w_i64=draw(optional(int64s.map(lambda v: F.Int64Value(value=v)))),
            w_u64=draw(optional(uint64s.map(lambda v: F.UInt64Value(value=v)))),
            w_i32=draw(optional(int32s.map(lambda v: F.Int32Value(value=v)))),
            w_u32=draw(optional(uint32s.map(lambda v: F.UInt32Value(value=v)))),
            w_b=draw(optional(st.booleans().map(lambda v: F.BoolValue(value=v)))),
            w_str=draw(optional(texts.map(lambda v: F.StringValue(value=v)))),
            w_by=draw(optional(st.binary(max_size=4).map(lambda v: F.BytesValue(value=v)))),
            r_val=draw(st.lists(json_like.map(Value.from_python), max_size=2)),
            m_str_val=draw(st.dictionaries(texts, json_like.map(Value.from_python), max_size=2)),
            r_ts=draw(st.lists(timestamps, max_size=2)), r_any=draw(st.lists(anys, max_size=2)),
            r_null=draw(st.lists(st.just(NullValue.NULL_VALUE), max_size=2)),
        )

    @needs_protobuf
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(alls(float32s=normal_float32s))
    def test_random_messages_match_protobuf(msg: typing.Any) -> None:
        assert_same_as_protobuf(_pb_classes_cached(), msg)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(alls())
    def test_random_messages_round_trip(msg: typing.Any) -> None:
        first = to_json(msg)
        again = parse_text(All, mj.dumps(first, None))
        assert canonical(to_json(again)) == canonical(first)
        assert again.SerializeToString() == msg.SerializeToString() or _has_nan(first)

    @settings(max_examples=200, deadline=None)
    @given(json_like)
    def test_random_values_round_trip(value: typing.Any) -> None:
        v = Value.from_python(value)
        assert parse(Value, to_json(v)) == v
        assert to_json(v) == Value.from_python(to_json(v)).to_python()

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none(), st.booleans()))
    def test_arbitrary_scalars_only_raise_json_error(value: typing.Any) -> None:
        for f in All._ms_fields:
            try:
                parse(All, {f.json_name: value})
            except JsonError:
                pass


def _has_nan(value: typing.Any) -> bool:
    return "NaN" in json.dumps(value)


_PB_CACHE: dict[str, typing.Any] = {}


def _pb_classes_cached() -> dict[str, typing.Any]:
    if not _PB_CACHE:
        _PB_CACHE.update(_pb_classes())
    return _PB_CACHE
