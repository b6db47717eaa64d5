# ---- JSON mapping ----------------------------------------------------------------------------
#
# protobuf's canonical proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) for
# moonstub's generated classes, and the helper mixins of the well-known types.
#
# This part is appended to _moonstub.py; the block between the standalone markers below only
# lets it be imported and type-checked on its own, and is deleted at the merge.

# --- begin standalone imports ---
from __future__ import annotations

import sys as _standalone_sys

import _moonstub
from _moonstub import *  # noqa: F401,F403
from _moonstub import (
    BOOL,
    BYTES,
    DOUBLE,
    ENUM,
    F32,
    FLOAT,
    GROUP,
    INT64_KINDS,
    MAX_DEPTH,
    MESSAGE,
    REGISTRY,
    SIGNED32_KINDS,
    STRING,
    UNSIGNED32_KINDS,
    DecodeError,
    EncodeError,
    FieldInfo,
    Message,
    T,
    float32,
)

_moonstub._JSON_IMPL = _standalone_sys.modules[__name__]
# --- end standalone imports ---

import base64  # noqa: E402
import binascii  # noqa: E402
import datetime  # noqa: E402
import decimal  # noqa: E402
import enum  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import typing  # noqa: E402


class JsonError(ValueError):
    """Raised for JSON input that the protobuf JSON mapping rejects, and for
    messages that have no JSON form (a Timestamp out of range, an Any of an
    unknown type, ...). ``reason`` is the problem, ``path`` where it is
    (message name, then field names, ``[index]`` and ``["map key"]``)."""

    def __init__(self, reason: str, path: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{_join_path(path)}: {reason}" if path else reason)


def _join_path(path: tuple[str, ...]) -> str:
    out = ""
    for part in path:
        if not out:
            out = part
        elif part.startswith("["):
            out += part
        else:
            out += "." + part
    return out


def _within(exc: JsonError, part: str) -> JsonError:
    return JsonError(exc.reason, (part,) + exc.path)


def _describe(value: typing.Any) -> str:
    """A short description of a JSON value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
        return "string " + (text if len(text) <= 40 else text[:36] + "...'")
    if isinstance(value, (int, float, decimal.Decimal)):
        text = str(value)
        return "number " + (text if len(text) <= 40 else text[:36] + "...")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a Python {type(value).__name__}"


# ---- per-class tables --------------------------------------------------------------------------


class _Table(typing.NamedTuple):
    fields: tuple[FieldInfo, ...]  # in field-number order (the order protobuf prints)
    by_key: dict[str, FieldInfo]  # JSON names and IDL names
    by_name: dict[str, FieldInfo]  # IDL names


_TABLES: dict[type[Message], _Table] = {}


def _table(cls: type[Message]) -> _Table:
    table = _TABLES.get(cls)
    if table is None:
        fields = tuple(sorted(cls._ms_fields, key=lambda f: f.number))
        by_name = {f.name: f for f in fields}
        by_key = dict(by_name)
        by_key.update((f.json_name, f) for f in fields)  # the JSON name wins a clash
        table = _TABLES[cls] = _Table(fields, by_key, by_name)
    return table


def _get(msg: Message, name: str) -> typing.Any:
    return getattr(msg, _table(type(msg)).by_name[name].attr)


def _set(msg: Message, name: str, value: typing.Any) -> None:
    setattr(msg, _table(type(msg)).by_name[name].attr, value)


def _full_name(cls: typing.Any) -> str:
    return typing.cast(str, getattr(cls, "_ms_full_name", ""))


# Python names that moonstub's naming rules escape with a trailing underscore
_ESCAPED_WORDS = frozenset(
    (
        "False None True and as assert async await break class continue def del elif else except "
        "finally for from global if import in is lambda nonlocal not or pass raise return try "
        "while with yield match case type _"
    ).split()
)


class _EnumTable(typing.NamedTuple):
    by_name: dict[str, int]  # IDL names (aliases too) -> number
    by_number: dict[int, str]  # number -> first declared IDL name


_ENUM_TABLES: dict[type[enum.IntEnum], _EnumTable] = {}


def _enum_table(cls: type[enum.IntEnum]) -> _EnumTable:
    """The IDL names of an enum's values: ``cls._ms_value_names`` (IDL name ->
    number, in declaration order) when the class has it, else its member
    names with the keyword escape (``None_`` -> ``None``) undone."""
    table = _ENUM_TABLES.get(cls)
    if table is None:
        explicit = getattr(cls, "_ms_value_names", None)
        if explicit is not None:
            by_name = {str(k): int(v) for k, v in explicit.items()}
        else:
            by_name = {}
            for name, member in cls.__members__.items():
                if name.endswith("_") and name[:-1] in _ESCAPED_WORDS:
                    name = name[:-1]
                by_name[name] = int(member)
        by_number: dict[int, str] = {}
        for name, number in by_name.items():
            by_number.setdefault(number, name)
        table = _ENUM_TABLES[cls] = _EnumTable(by_name, by_number)
    return table


_NULL_VALUE = "google.protobuf.NullValue"
_VALUE = "google.protobuf.Value"


def _is_null_value_enum(cls: typing.Any) -> bool:
    return _full_name(cls) == _NULL_VALUE


def _null_is_a_value(f: FieldInfo) -> bool:
    """Whether JSON null sets this singular field (Value, NullValue)."""
    if f.kind == ENUM:
        return _is_null_value_enum(f.type)
    return f.kind == MESSAGE and _full_name(f.type) == _VALUE


def _check_utf8(value: str) -> str:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonError("string is not valid UTF-8 (it holds an unpaired surrogate)") from None
    return value


# ---- message -> JSON ---------------------------------------------------------------------------


def message_to_json_value(msg: Message) -> typing.Any:
    """``msg`` in protobuf's canonical JSON mapping, as Python values (dict,
    list, str, int, float, bool, None) ready for json.dumps."""
    try:
        return _message_to_json(msg)
    except JsonError as exc:
        raise JsonError(exc.reason, (type(msg)._ms_full_name or type(msg).__name__,) + exc.path) from None
    except RecursionError:
        raise JsonError("message nesting too deep to convert to JSON") from None


def _message_to_json(msg: Message) -> typing.Any:
    writer = _WKT_WRITERS.get(msg._ms_full_name)
    if writer is not None:
        return writer(msg)
    return _fields_to_json(msg, {})


def _fields_to_json(msg: Message, out: dict[str, typing.Any]) -> dict[str, typing.Any]:
    for f in _table(type(msg)).fields:
        value = getattr(msg, f.attr)
        if value is None:
            continue
        try:
            if f.map_key:
                if value:
                    kind, typ = f.map_value, f.map_type
                    out[f.json_name] = {
                        _map_key_to_json(f.map_key, k): _value_to_json(kind, typ, v) for k, v in value.items()
                    }
            elif f.repeated:
                if value:
                    kind, typ = f.kind, f.type
                    out[f.json_name] = [_value_to_json(kind, typ, v) for v in value]
            elif f.presence or f.kind == MESSAGE or f.kind == GROUP or not _is_default(f.kind, value):
                out[f.json_name] = _value_to_json(f.kind, f.type, value)
        except JsonError as exc:
            raise _within(exc, f.json_name) from None
    return out


def _is_default(kind: int, value: typing.Any) -> bool:
    if kind == DOUBLE or kind == FLOAT:
        # -0.0 is not the default: protobuf keeps (and prints) it
        return bool(value == 0) and math.copysign(1.0, value) > 0
    return not value


def _value_to_json(kind: int, typ: typing.Any, value: typing.Any) -> typing.Any:
    if value is None:
        raise JsonError("None inside a repeated or map field")
    if kind == MESSAGE or kind == GROUP:
        return _message_to_json(value)
    if kind == STRING:
        return _check_utf8(value)
    if kind in INT64_KINDS:
        return str(int(value))
    if kind == ENUM:
        return _enum_to_json(typ, value)
    if kind == DOUBLE:
        return _double_to_json(value)
    if kind == FLOAT:
        return _float_to_json(value)
    if kind == BYTES:
        return base64.b64encode(value).decode("ascii")
    if kind == BOOL:
        return bool(value)
    return int(value)  # 32-bit integers


def _double_to_json(value: float) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _float_to_json(value: float) -> float | str:
    value = float32(float(value))
    if not math.isfinite(value):
        return _double_to_json(value)
    return _shortest_float32(value)


_FLOAT32_MIN_NORMAL = 2.0 ** -126


def _shortest_float32(value: float) -> float:
    """The float with the fewest significant digits that rounds to the float32
    ``value``. For normal numbers 6 digits is never too many (the float32
    spacing is finer than 6-digit decimals), so the search starts there, as in
    protobuf's Python runtime; subnormals can need fewer (1e-45, where protobuf
    prints 1.4013e-45)."""
    start = 6 if abs(value) >= _FLOAT32_MIN_NORMAL else 1
    for precision in range(start, 10):
        rounded = float(f"{value:.{precision}g}")
        if float32(rounded) == value:
            return rounded
    return value


def _enum_to_json(cls: type[enum.IntEnum], value: typing.Any) -> typing.Any:
    if _is_null_value_enum(cls):
        return None
    number = int(value)
    name = _enum_table(cls).by_number.get(number)
    if name is not None:
        return name
    if getattr(cls, "_ms_closed", False):
        raise JsonError(f"{number} is not a value of the closed enum {_full_name(cls) or cls.__name__}")
    return number


def _map_key_to_json(kind: int, key: typing.Any) -> str:
    if kind == STRING:
        return _check_utf8(key)
    if kind == BOOL:
        return "true" if key else "false"
    return str(int(key))


# -- well-known types

_TIMESTAMP_MIN = -62135596800  # 0001-01-01T00:00:00Z
_TIMESTAMP_MAX = 253402300799  # 9999-12-31T23:59:59Z
_DURATION_MAX = 315576000000  # 10000 years
_NANOS = 1_000_000_000
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _timestamp_problem(seconds: int, nanos: int) -> str | None:
    if not _TIMESTAMP_MIN <= seconds <= _TIMESTAMP_MAX:
        return (
            f"Timestamp seconds {seconds} out of range "
            "(0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"
        )
    if not 0 <= nanos < _NANOS:
        return f"Timestamp nanos {nanos} out of range [0, 999999999]"
    return None


def _duration_problem(seconds: int, nanos: int) -> str | None:
    if not -_DURATION_MAX <= seconds <= _DURATION_MAX:
        return f"Duration seconds {seconds} out of range [-315576000000, 315576000000]"
    if not -_NANOS < nanos < _NANOS:
        return f"Duration nanos {nanos} out of range [-999999999, 999999999]"
    if (seconds < 0 < nanos) or (nanos < 0 < seconds):
        return f"Duration seconds {seconds} and nanos {nanos} have different signs"
    return None


def _fraction(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def _format_timestamp(seconds: int, nanos: int) -> str:
    problem = _timestamp_problem(seconds, nanos)
    if problem is not None:
        raise JsonError(problem)
    days, secs = divmod(seconds, 86400)
    date = datetime.date.fromordinal(_EPOCH_ORDINAL + days)
    hours, secs = divmod(secs, 3600)
    minutes, secs = divmod(secs, 60)
    return (
        f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
        f"T{hours:02d}:{minutes:02d}:{secs:02d}{_fraction(nanos)}Z"
    )


def _format_duration(seconds: int, nanos: int) -> str:
    problem = _duration_problem(seconds, nanos)
    if problem is not None:
        raise JsonError(problem)
    sign = "-" if seconds < 0 or nanos < 0 else ""
    return f"{sign}{abs(seconds)}{_fraction(abs(nanos))}s"


def _timestamp_to_json(msg: Message) -> str:
    return _format_timestamp(int(_get(msg, "seconds")), int(_get(msg, "nanos")))


def _duration_to_json(msg: Message) -> str:
    return _format_duration(int(_get(msg, "seconds")), int(_get(msg, "nanos")))


def _path_to_camel(path: str) -> str:
    out: list[str] = []
    after_underscore = False
    for c in path:
        if after_underscore:
            if not "a" <= c <= "z":
                raise JsonError(
                    f"FieldMask path {path!r} has no JSON form: '_' must be followed by a lowercase letter"
                )
            out.append(c.upper())
            after_underscore = False
        elif c == "_":
            after_underscore = True
        elif "a" <= c <= "z" or "0" <= c <= "9" or c == ".":
            out.append(c)
        else:
            raise JsonError(
                f"FieldMask path {path!r} has no JSON form: only lowercase ASCII letters, digits, "
                "'.' and '_' can round-trip"
            )
    if after_underscore:
        raise JsonError(f"FieldMask path {path!r} has no JSON form: it ends with '_'")
    return "".join(out)


def _field_mask_to_json(msg: Message) -> str:
    return ",".join(_path_to_camel(p) for p in _get(msg, "paths"))


def _struct_to_json(msg: Message) -> dict[str, typing.Any]:
    out: dict[str, typing.Any] = {}
    for key, value in _get(msg, "fields").items():
        try:
            out[_check_utf8(key)] = None if value is None else _message_to_json(value)
        except JsonError as exc:
            raise _within(exc, "[" + json.dumps(key) + "]") from None
    return out


def _list_value_to_json(msg: Message) -> list[typing.Any]:
    out: list[typing.Any] = []
    for i, value in enumerate(_get(msg, "values")):
        try:
            out.append(None if value is None else _message_to_json(value))
        except JsonError as exc:
            raise _within(exc, f"[{i}]") from None
    return out


_VALUE_KINDS = ("null_value", "number_value", "string_value", "bool_value", "struct_value", "list_value")


def _value_msg_to_json(msg: Message) -> typing.Any:
    by_name = _table(type(msg)).by_name
    for name in _VALUE_KINDS:
        value = getattr(msg, by_name[name].attr)
        if value is None:
            continue
        if name == "number_value":
            value = float(value)
            if not math.isfinite(value):
                raise JsonError(
                    f"google.protobuf.Value cannot hold {value} in JSON (it would read back as a string)"
                )
            return value
        if name == "string_value":
            return _check_utf8(value)
        if name == "bool_value":
            return bool(value)
        if name == "struct_value" or name == "list_value":
            return _message_to_json(value)
        return None  # null_value
    return None  # no kind set: printed as null, as protobuf's Python runtime does


def _wrapper_to_json(msg: Message) -> typing.Any:
    f = _table(type(msg)).fields[0]
    value = getattr(msg, f.attr)
    if value is None:
        value = _DEFAULTS[f.kind]
    return _value_to_json(f.kind, f.type, value)


def _any_payload_class(type_url: str) -> type[Message]:
    slash = type_url.rfind("/")
    if slash < 0:
        raise JsonError(f"Any type URL {type_url!r} has no '/'")
    name = type_url[slash + 1:]
    cls = REGISTRY.get(name)
    if cls is None:
        raise JsonError(
            f"Any holds unknown message type {name!r}; import the module that defines it"
        )
    return cls


def _any_to_json(msg: Message) -> dict[str, typing.Any]:
    type_url = _get(msg, "type_url") or ""
    payload = _get(msg, "value") or b""
    if not type_url and not payload:
        return {}
    if not type_url:
        raise JsonError("Any has a value but no type URL")
    cls = _any_payload_class(type_url)
    try:
        inner = cls.FromString(payload)
    except DecodeError as exc:
        raise JsonError(f"Any payload is not a valid {cls._ms_full_name}: {exc}") from None
    out: dict[str, typing.Any] = {"@type": type_url}
    if cls._ms_full_name in _WKT_WRITERS:
        try:
            out["value"] = _message_to_json(inner)
        except JsonError as exc:
            raise _within(exc, "value") from None
        return out
    return _fields_to_json(inner, out)


_WRAPPERS = (
    "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value",
    "BoolValue", "StringValue", "BytesValue",
)

_WKT_WRITERS: dict[str, typing.Callable[[Message], typing.Any]] = {
    "google.protobuf.Any": _any_to_json,
    "google.protobuf.Timestamp": _timestamp_to_json,
    "google.protobuf.Duration": _duration_to_json,
    "google.protobuf.FieldMask": _field_mask_to_json,
    "google.protobuf.Struct": _struct_to_json,
    "google.protobuf.Value": _value_msg_to_json,
    "google.protobuf.ListValue": _list_value_to_json,
}
_WKT_WRITERS.update(("google.protobuf." + name, _wrapper_to_json) for name in _WRAPPERS)

_DEFAULTS: dict[int, typing.Any] = {kind: 0 for kind in range(1, 19)}
_DEFAULTS.update({DOUBLE: 0.0, FLOAT: 0.0, BOOL: False, STRING: "", BYTES: b""})


# ---- JSON -> message ---------------------------------------------------------------------------

_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/_-]*\Z")
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))\Z"
)
_DURATION_RE = re.compile(r"(-)?([0-9]{1,20})(?:\.([0-9]{1,9}))?s\Z")

_INT_RANGES: dict[int, tuple[int, int]] = {}
for _kind in SIGNED32_KINDS | {ENUM}:
    _INT_RANGES[_kind] = (-(1 << 31), (1 << 31) - 1)
for _kind in UNSIGNED32_KINDS:
    _INT_RANGES[_kind] = (0, (1 << 32) - 1)
for _kind in INT64_KINDS:
    _INT_RANGES[_kind] = (-(1 << 63), (1 << 63) - 1)
for _kind in (4, 6):  # UINT64, FIXED64
    _INT_RANGES[_kind] = (0, (1 << 64) - 1)
del _kind

_KIND_NAMES = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32",
    8: "bool", 9: "string", 10: "group", 11: "message", 12: "bytes", 13: "uint32", 14: "enum",
    15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}


class _Skip:
    """Marks a value dropped because of ignore_unknown_fields (an unknown enum name)."""


_SKIP = _Skip()


def _parse_int(value: typing.Any, kind: int) -> int:
    if isinstance(value, bool):
        raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)}")
        number = int(value)
    elif isinstance(value, decimal.Decimal):
        number = _decimal_to_int(value, kind)
    elif isinstance(value, str):
        if _INT_RE.match(value) and len(value) <= 30:
            number = int(value)
        elif _NUMBER_RE.match(value):
            number = _decimal_to_int(decimal.Decimal(value), kind)
        else:
            raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)}")
    else:
        raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)}")
    low, high = _INT_RANGES[kind]
    if not low <= number <= high:
        raise JsonError(f"{number} is out of range for {_KIND_NAMES[kind]}")
    return number


def _decimal_to_int(value: decimal.Decimal, kind: int) -> int:
    if not value.is_finite():
        raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)}")
    if value and value.adjusted() > 25:
        raise JsonError(f"{value} is out of range for {_KIND_NAMES[kind]}")
    if value != value.to_integral_value():
        raise JsonError(f"expected an integer ({_KIND_NAMES[kind]}), got {_describe(value)} with a fraction")
    return int(value)


def _parse_float(value: typing.Any, kind: int) -> float:
    if isinstance(value, bool):
        raise JsonError(f"expected a number ({_KIND_NAMES[kind]}), got {_describe(value)}")
    if isinstance(value, (int, decimal.Decimal)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise JsonError(f"{_describe(value)} is out of range for {_KIND_NAMES[kind]}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise JsonError(
                f"{value} is not a JSON number; write \"NaN\", \"Infinity\" or \"-Infinity\" as strings"
            )
        number = value
    elif isinstance(value, str):
        if value == "NaN":
            return math.nan
        if value == "Infinity":
            return math.inf
        if value == "-Infinity":
            return -math.inf
        if not _NUMBER_RE.match(value):
            raise JsonError(f"expected a number ({_KIND_NAMES[kind]}), got {_describe(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise JsonError(f"{_describe(value)} is out of range for {_KIND_NAMES[kind]}")
    else:
        raise JsonError(f"expected a number ({_KIND_NAMES[kind]}), got {_describe(value)}")
    if kind == FLOAT:
        try:
            F32.pack(number)
        except OverflowError:
            raise JsonError(f"{_describe(value)} is out of range for float") from None
        return float32(number)
    return number


def _parse_bytes(value: typing.Any) -> bytes:
    if not isinstance(value, str):
        raise JsonError(f"expected a base64 string, got {_describe(value)}")
    core = value.rstrip("=")
    padding = len(value) - len(core)
    if (
        not _BASE64_RE.match(core)
        or len(core) % 4 == 1
        or padding > 2
        or (padding and len(value) % 4)
    ):
        raise JsonError(f"invalid base64 data: {_describe(value)}")
    core = core.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise JsonError(f"invalid base64 data: {_describe(value)}") from None


def _parse_string(value: typing.Any) -> str:
    if not isinstance(value, str):
        raise JsonError(f"expected a string, got {_describe(value)}")
    return _check_utf8(value)


def _parse_bool(value: typing.Any) -> bool:
    if not isinstance(value, bool):
        raise JsonError(f"expected true or false, got {_describe(value)}")
    return value


def _parse_map_key(kind: int, key: typing.Any) -> typing.Any:
    if not isinstance(key, str):
        raise JsonError(f"map key must be a string, got {_describe(key)}")
    if kind == STRING:
        return _check_utf8(key)
    if kind == BOOL:
        if key == "true":
            return True
        if key == "false":
            return False
        raise JsonError(f"bool map key must be \"true\" or \"false\", got {_describe(key)}")
    return _parse_int(key, kind)


class _Parser:
    __slots__ = ("ignore_unknown", "depth")

    def __init__(self, ignore_unknown: bool) -> None:
        self.ignore_unknown = ignore_unknown
        self.depth = 0

    def message(self, cls: type[Message], value: typing.Any, any_payload: bool = False) -> Message:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise JsonError(f"messages nested deeper than {MAX_DEPTH} levels")
        try:
            if not any_payload:
                reader = _WKT_READERS.get(cls._ms_full_name)
                if reader is not None:
                    return reader(self, cls, value)
            return self.fields(cls, value, any_payload)
        finally:
            self.depth -= 1

    def fields(self, cls: type[Message], value: typing.Any, any_payload: bool) -> Message:
        if not isinstance(value, dict):
            raise JsonError(f"expected an object for {cls._ms_full_name}, got {_describe(value)}")
        by_key = _table(cls).by_key
        msg = cls()
        seen: dict[int, str] = {}
        oneofs: dict[str, str] = {}
        for key, item in value.items():
            if any_payload and key == "@type":
                continue
            f = by_key.get(key)
            if f is None:
                if self.ignore_unknown:
                    continue
                raise JsonError(f"{cls._ms_full_name} has no field named {key!r}", (str(key),))
            earlier = seen.get(f.number)
            if earlier is not None:
                raise JsonError(f"field {f.name!r} is given twice (as {earlier!r} and {key!r})", (key,))
            seen[f.number] = key
            try:
                if f.oneof is not None and (item is not None or _null_is_a_value(f)):
                    other = oneofs.get(f.oneof)
                    if other is not None:
                        raise JsonError(f"oneof {f.oneof!r} is given more than one member ({other!r} and {key!r})")
                    oneofs[f.oneof] = key
                self.field(msg, f, item)
            except JsonError as exc:
                raise _within(exc, key) from None
        return msg

    def field(self, msg: Message, f: FieldInfo, item: typing.Any) -> None:
        if item is None:
            if not f.repeated and not f.map_key and _null_is_a_value(f):
                setattr(msg, f.attr, self.value(f.kind, f.type, None))
            return  # null: the field keeps its default (unset)
        if f.map_key:
            if not isinstance(item, dict):
                raise JsonError(f"expected an object (map), got {_describe(item)}")
            result: dict[typing.Any, typing.Any] = {}
            for k, v in item.items():
                try:
                    key = _parse_map_key(f.map_key, k)
                    if key in result:
                        raise JsonError(f"map key {key!r} is given twice")
                    parsed = self.value(f.map_value, f.map_type, v)
                except JsonError as exc:
                    raise _within(exc, "[" + json.dumps(k, ensure_ascii=False) + "]") from None
                if parsed is not _SKIP:
                    result[key] = parsed
            setattr(msg, f.attr, result)
        elif f.repeated:
            if not isinstance(item, (list, tuple)):
                raise JsonError(f"expected an array, got {_describe(item)}")
            items: list[typing.Any] = []
            for i, v in enumerate(item):
                try:
                    parsed = self.value(f.kind, f.type, v)
                except JsonError as exc:
                    raise _within(exc, f"[{i}]") from None
                if parsed is not _SKIP:
                    items.append(parsed)
            setattr(msg, f.attr, items)
        else:
            parsed = self.value(f.kind, f.type, item)
            if parsed is not _SKIP:
                setattr(msg, f.attr, parsed)

    def value(self, kind: int, typ: typing.Any, value: typing.Any) -> typing.Any:
        if kind == MESSAGE or kind == GROUP:
            if value is None and _full_name(typ) != _VALUE:
                raise JsonError("null is not allowed here")
            return self.message(typ, value)
        if value is None:
            if kind == ENUM and _is_null_value_enum(typ):
                return typ(0)
            raise JsonError("null is not allowed here")
        if kind == STRING:
            return _parse_string(value)
        if kind == ENUM:
            return self.enum(typ, value)
        if kind == DOUBLE or kind == FLOAT:
            return _parse_float(value, kind)
        if kind == BOOL:
            return _parse_bool(value)
        if kind == BYTES:
            return _parse_bytes(value)
        return _parse_int(value, kind)

    def enum(self, cls: type[enum.IntEnum], value: typing.Any) -> typing.Any:
        table = _enum_table(cls)
        if isinstance(value, str):
            known = table.by_name.get(value)
            if known is not None:
                return cls(known)
            if not _INT_RE.match(value):
                if self.ignore_unknown:
                    return _SKIP
                raise JsonError(f"{value!r} is not a value of the enum {_full_name(cls) or cls.__name__}")
        elif isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise JsonError(f"expected an enum name or number, got {_describe(value)}")
        number = _parse_int(value, ENUM)
        if number not in table.by_number:
            if getattr(cls, "_ms_closed", False):
                if self.ignore_unknown:
                    return _SKIP
                raise JsonError(f"{number} is not a value of the closed enum {_full_name(cls) or cls.__name__}")
            try:
                return cls(number)  # open enums: a pseudo-member, when the class makes one
            except ValueError:
                return number
        return cls(number)


# -- well-known types


def _read_timestamp(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, str):
        raise JsonError(f"expected an RFC 3339 timestamp string, got {_describe(value)}")
    m = _TIMESTAMP_RE.match(value)
    if m is None:
        raise JsonError(
            f"expected an RFC 3339 timestamp like \"1972-01-01T10:00:20.021Z\", got {_describe(value)}"
        )
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        date = datetime.date(year, month, day)
    except ValueError as exc:
        raise JsonError(f"invalid date in timestamp {value!r}: {exc}") from None
    if hour > 23 or minute > 59 or second > 59:
        raise JsonError(f"invalid time of day in timestamp {value!r}")
    seconds = (date.toordinal() - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second
    if m.group(8) is not None:
        off_hours, off_minutes = int(m.group(9)), int(m.group(10))
        if off_hours > 23 or off_minutes > 59:
            raise JsonError(f"invalid UTC offset in timestamp {value!r}")
        offset = off_hours * 3600 + off_minutes * 60
        seconds += -offset if m.group(8) == "+" else offset
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    problem = _timestamp_problem(seconds, nanos)
    if problem is not None:
        raise JsonError(f"{value!r}: {problem}")
    msg = cls()
    _set(msg, "seconds", seconds)
    _set(msg, "nanos", nanos)
    return msg


def _read_duration(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, str):
        raise JsonError(f"expected a duration string like \"1.5s\", got {_describe(value)}")
    m = _DURATION_RE.match(value)
    if m is None:
        raise JsonError(f"expected a duration string like \"1.5s\", got {_describe(value)}")
    seconds = int(m.group(2))
    nanos = int((m.group(3) or "0").ljust(9, "0"))
    if m.group(1):
        seconds, nanos = -seconds, -nanos
    problem = _duration_problem(seconds, nanos)
    if problem is not None:
        raise JsonError(f"{value!r}: {problem}")
    msg = cls()
    _set(msg, "seconds", seconds)
    _set(msg, "nanos", nanos)
    return msg


def _camel_to_path(path: str) -> str:
    out: list[str] = []
    for c in path:
        if "a" <= c <= "z" or "0" <= c <= "9" or c == ".":
            out.append(c)
        elif "A" <= c <= "Z":
            out.append("_")
            out.append(c.lower())
        else:
            raise JsonError(f"unexpected character {c!r} in FieldMask path {path!r}")
    return "".join(out)


def _read_field_mask(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, str):
        raise JsonError(f"expected a FieldMask string like \"a.b,c\", got {_describe(value)}")
    msg = cls()
    _set(msg, "paths", [_camel_to_path(path) for path in value.split(",")] if value else [])
    return msg


def _read_struct(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, dict):
        raise JsonError(f"expected an object for google.protobuf.Struct, got {_describe(value)}")
    f = _table(cls).by_name["fields"]
    fields: dict[str, Message] = {}
    for key, item in value.items():
        try:
            if not isinstance(key, str):
                raise JsonError(f"Struct key must be a string, got {_describe(key)}")
            fields[_check_utf8(key)] = p.message(f.map_type, item)
        except JsonError as exc:
            raise _within(exc, "[" + json.dumps(key, ensure_ascii=False) + "]") from None
    msg = cls()
    setattr(msg, f.attr, fields)
    return msg


def _read_list_value(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, (list, tuple)):
        raise JsonError(f"expected an array for google.protobuf.ListValue, got {_describe(value)}")
    f = _table(cls).by_name["values"]
    values: list[Message] = []
    for i, item in enumerate(value):
        try:
            values.append(p.message(f.type, item))
        except JsonError as exc:
            raise _within(exc, f"[{i}]") from None
    msg = cls()
    setattr(msg, f.attr, values)
    return msg


def _read_value(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    by_name = _table(cls).by_name
    msg = cls()
    if value is None:
        f = by_name["null_value"]
        setattr(msg, f.attr, f.type(0))
    elif isinstance(value, bool):
        setattr(msg, by_name["bool_value"].attr, value)
    elif isinstance(value, str):
        setattr(msg, by_name["string_value"].attr, _check_utf8(value))
    elif isinstance(value, (int, float, decimal.Decimal)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise JsonError(f"{_describe(value)} cannot be a google.protobuf.Value number")
        setattr(msg, by_name["number_value"].attr, number)
    elif isinstance(value, dict):
        f = by_name["struct_value"]
        setattr(msg, f.attr, p.message(f.type, value))
    elif isinstance(value, (list, tuple)):
        f = by_name["list_value"]
        setattr(msg, f.attr, p.message(f.type, value))
    else:
        raise JsonError(f"{_describe(value)} cannot be a google.protobuf.Value")
    return msg


def _read_wrapper(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    f = _table(cls).fields[0]
    msg = cls()
    setattr(msg, f.attr, p.value(f.kind, f.type, value))
    return msg


def _read_any(p: _Parser, cls: type[Message], value: typing.Any) -> Message:
    if not isinstance(value, dict):
        raise JsonError(f"expected an object for google.protobuf.Any, got {_describe(value)}")
    msg = cls()
    if not value:
        return msg
    if "@type" not in value:
        raise JsonError("google.protobuf.Any needs an \"@type\" key")
    type_url = value["@type"]
    if not isinstance(type_url, str):
        raise JsonError(f"expected a type URL string, got {_describe(type_url)}", ("@type",))
    try:
        payload_cls = _any_payload_class(type_url)
    except JsonError as exc:
        raise _within(exc, "@type") from None
    if payload_cls._ms_full_name in _WKT_READERS:
        for key in value:
            if key != "@type" and key != "value":
                raise JsonError(
                    f"an Any holding {payload_cls._ms_full_name} has only \"@type\" and \"value\" keys",
                    (str(key),),
                )
        special = value.get("value")
        if special is None and payload_cls._ms_full_name != _VALUE:
            payload = payload_cls()
        else:
            try:
                payload = p.message(payload_cls, special)
            except JsonError as exc:
                raise _within(exc, "value") from None
    else:
        payload = p.message(payload_cls, value, any_payload=True)
    try:
        data = payload.SerializeToString()
    except EncodeError as exc:
        raise JsonError(f"cannot encode the Any payload: {exc}") from None
    _set(msg, "type_url", type_url)
    _set(msg, "value", data)
    return msg


_WKT_READERS: dict[str, typing.Callable[[_Parser, type[Message], typing.Any], Message]] = {
    "google.protobuf.Any": _read_any,
    "google.protobuf.Timestamp": _read_timestamp,
    "google.protobuf.Duration": _read_duration,
    "google.protobuf.FieldMask": _read_field_mask,
    "google.protobuf.Struct": _read_struct,
    "google.protobuf.Value": _read_value,
    "google.protobuf.ListValue": _read_list_value,
}
_WKT_READERS.update(("google.protobuf." + name, _read_wrapper) for name in _WRAPPERS)


def message_from_json_value(cls: type[T], value: typing.Any, ignore_unknown_fields: bool = False) -> T:
    """Builds a ``cls`` from the Python form of its JSON mapping (what
    json.loads returns). Raises JsonError for anything the mapping forbids."""
    try:
        return typing.cast(T, _Parser(ignore_unknown_fields).message(cls, value))
    except JsonError as exc:
        raise JsonError(exc.reason, (cls._ms_full_name or cls.__name__,) + exc.path) from None
    except RecursionError:
        raise JsonError(f"{cls._ms_full_name}: JSON nested too deeply") from None


def _object_without_duplicates(pairs: list[tuple[str, typing.Any]]) -> dict[str, typing.Any]:
    result: dict[str, typing.Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonError(f"duplicate key {key!r} in a JSON object")
        result[key] = value
    return result


def _reject_constant(name: str) -> typing.NoReturn:
    raise JsonError(f"{name} is not valid JSON; protobuf JSON writes it as the string \"{name}\"")


def message_from_json_text(cls: type[T], text: str | bytes | bytearray, ignore_unknown_fields: bool = False) -> T:
    """Parses JSON text into a ``cls``. Raises JsonError for malformed JSON,
    duplicate keys, and anything the protobuf JSON mapping forbids."""
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonError(f"JSON text is not valid UTF-8: {exc.reason}") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_float=decimal.Decimal,
        )
    except JsonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonError(f"invalid JSON: {exc}") from None
    return message_from_json_value(cls, value, ignore_unknown_fields)


def dumps(value: typing.Any, indent: int | None = None) -> str:
    """JSON text of ``value`` (from message_to_json_value): compact without
    ``indent``, non-ASCII characters kept as they are."""
    try:
        if indent is None:
            return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    except ValueError as exc:
        raise JsonError(str(exc)) from None


# ---- well-known type helpers ---------------------------------------------------------------------
#
# The generated classes of the well-known types take these as extra bases. They only use the
# generated attributes, and define no slots and no dataclass fields.


class _TimeFields(typing.Protocol):
    seconds: int
    nanos: int


class _AnyFields(typing.Protocol):
    type_url: str
    value: bytes


def _timedelta_nanos(delta: datetime.timedelta) -> int:
    return ((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000


def _toward_zero(value: int, divisor: int) -> int:
    quotient = abs(value) // divisor
    return -quotient if value < 0 else quotient


class TimestampMixin:
    """Conversions of google.protobuf.Timestamp."""

    __slots__ = ()

    @classmethod
    def from_datetime(cls, dt: datetime.datetime) -> typing.Self:
        """The Timestamp of a timezone-aware datetime (naive ones are refused)."""
        if not isinstance(dt, datetime.datetime):
            raise TypeError(f"expected a datetime.datetime, got {type(dt).__name__}")
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("naive datetime: give it a tzinfo, e.g. datetime.timezone.utc")
        return cls.from_nanoseconds(_timedelta_nanos(dt - _EPOCH))

    def to_datetime(self, tz: datetime.tzinfo = datetime.timezone.utc) -> datetime.datetime:
        """A timezone-aware datetime (UTC unless ``tz`` is given); nanoseconds
        are truncated to microseconds."""
        me = typing.cast(_TimeFields, self)
        problem = _timestamp_problem(me.seconds, me.nanos)
        if problem is not None:
            raise ValueError(problem)
        moment = _EPOCH + datetime.timedelta(seconds=me.seconds, microseconds=me.nanos // 1000)
        return moment if tz is datetime.timezone.utc else moment.astimezone(tz)

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> typing.Self:
        """The Timestamp ``nanoseconds`` after 1970-01-01T00:00:00Z."""
        seconds, nanos = divmod(int(nanoseconds), _NANOS)
        problem = _timestamp_problem(seconds, nanos)
        if problem is not None:
            raise ValueError(problem)
        out = cls()
        me = typing.cast(_TimeFields, out)
        me.seconds = seconds
        me.nanos = nanos
        return out

    def to_nanoseconds(self) -> int:
        """Nanoseconds since 1970-01-01T00:00:00Z."""
        me = typing.cast(_TimeFields, self)
        problem = _timestamp_problem(me.seconds, me.nanos)
        if problem is not None:
            raise ValueError(problem)
        return me.seconds * _NANOS + me.nanos

    @classmethod
    def now(cls) -> typing.Self:
        """The current time."""
        return cls.from_nanoseconds(time.time_ns())


class DurationMixin:
    """Conversions of google.protobuf.Duration."""

    __slots__ = ()

    @classmethod
    def from_timedelta(cls, td: datetime.timedelta) -> typing.Self:
        if not isinstance(td, datetime.timedelta):
            raise TypeError(f"expected a datetime.timedelta, got {type(td).__name__}")
        return cls.from_nanoseconds(_timedelta_nanos(td))

    def to_timedelta(self) -> datetime.timedelta:
        """A timedelta; nanoseconds are truncated toward zero to microseconds."""
        me = typing.cast(_TimeFields, self)
        problem = _duration_problem(me.seconds, me.nanos)
        if problem is not None:
            raise ValueError(problem)
        return datetime.timedelta(seconds=me.seconds, microseconds=_toward_zero(me.nanos, 1000))

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> typing.Self:
        nanoseconds = int(nanoseconds)
        seconds = _toward_zero(nanoseconds, _NANOS)
        nanos = nanoseconds - seconds * _NANOS
        problem = _duration_problem(seconds, nanos)
        if problem is not None:
            raise ValueError(problem)
        out = cls()
        me = typing.cast(_TimeFields, out)
        me.seconds = seconds
        me.nanos = nanos
        return out

    def to_nanoseconds(self) -> int:
        me = typing.cast(_TimeFields, self)
        return me.seconds * _NANOS + me.nanos


class AnyMixin:
    """Packing and unpacking of google.protobuf.Any."""

    __slots__ = ()

    @classmethod
    def pack(cls, msg: Message, type_url_prefix: str = "type.googleapis.com/") -> typing.Self:
        """An Any holding ``msg``."""
        if not type_url_prefix.endswith("/"):
            type_url_prefix += "/"
        out = cls()
        me = typing.cast(_AnyFields, out)
        me.type_url = type_url_prefix + msg._ms_full_name
        me.value = msg.SerializeToString()
        return out

    @property
    def type_name(self) -> str:
        """The full name of the packed message type (after the last '/')."""
        return typing.cast(_AnyFields, self).type_url.rpartition("/")[2]

    def is_(self, cls: type[Message]) -> bool:
        """Whether this Any holds a ``cls``."""
        return "/" in typing.cast(_AnyFields, self).type_url and self.type_name == cls._ms_full_name

    def unpack(self, cls: type[T]) -> T:
        """The packed message as a ``cls``; TypeError if it holds another type."""
        if not self.is_(cls):
            raise TypeError(f"this Any holds {self.type_name!r}, not {cls._ms_full_name!r}")
        return cls.FromString(typing.cast(_AnyFields, self).value)


_PYTHON_DEPTH = MAX_DEPTH


def _value_from_python(cls: type[Message], obj: typing.Any, depth: int) -> Message:
    if depth > _PYTHON_DEPTH:
        raise ValueError(f"value nested deeper than {_PYTHON_DEPTH} levels (or cyclic)")
    by_name = _table(cls).by_name
    out = cls()
    if obj is None:
        f = by_name["null_value"]
        setattr(out, f.attr, f.type(0))
    elif isinstance(obj, bool):
        setattr(out, by_name["bool_value"].attr, obj)
    elif isinstance(obj, (int, float)):
        setattr(out, by_name["number_value"].attr, float(obj))
    elif isinstance(obj, str):
        setattr(out, by_name["string_value"].attr, obj)
    elif isinstance(obj, typing.Mapping):
        f = by_name["struct_value"]
        setattr(out, f.attr, _struct_from_python(f.type, obj, depth + 1))
    elif isinstance(obj, (list, tuple)):
        f = by_name["list_value"]
        setattr(out, f.attr, _list_from_python(f.type, obj, depth + 1))
    else:
        raise TypeError(f"cannot hold a {type(obj).__name__} in a google.protobuf.Value")
    return out


def _struct_from_python(cls: type[Message], obj: typing.Any, depth: int) -> Message:
    if not isinstance(obj, typing.Mapping):
        raise TypeError(f"expected a mapping for google.protobuf.Struct, got {type(obj).__name__}")
    f = _table(cls).by_name["fields"]
    fields: dict[str, Message] = {}
    for key, item in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"google.protobuf.Struct keys must be str, got {type(key).__name__}")
        fields[key] = _value_from_python(f.map_type, item, depth)
    out = cls()
    setattr(out, f.attr, fields)
    return out


def _list_from_python(cls: type[Message], obj: typing.Any, depth: int) -> Message:
    if not isinstance(obj, (list, tuple)):
        raise TypeError(f"expected a list or tuple for google.protobuf.ListValue, got {type(obj).__name__}")
    f = _table(cls).by_name["values"]
    out = cls()
    setattr(out, f.attr, [_value_from_python(f.type, item, depth) for item in obj])
    return out


def _value_to_python(msg: Message | None) -> typing.Any:
    if msg is None:
        return None
    by_name = _table(type(msg)).by_name
    for name in _VALUE_KINDS:
        value = getattr(msg, by_name[name].attr)
        if value is None:
            continue
        if name == "struct_value":
            return _struct_to_python(value)
        if name == "list_value":
            return _list_to_python(value)
        if name == "null_value":
            return None
        return value
    return None


def _struct_to_python(msg: Message) -> dict[str, typing.Any]:
    return {key: _value_to_python(value) for key, value in _get(msg, "fields").items()}


def _list_to_python(msg: Message) -> list[typing.Any]:
    return [_value_to_python(value) for value in _get(msg, "values")]


class StructMixin:
    """Conversions of google.protobuf.Struct to and from dicts."""

    __slots__ = ()

    @classmethod
    def from_python(cls, obj: typing.Mapping[str, typing.Any]) -> typing.Self:
        """A Struct from a mapping of str to None, bool, int, float, str,
        mappings, lists and tuples."""
        built = _struct_from_python(typing.cast(type[Message], cls), obj, 0)
        return typing.cast(typing.Self, built)

    def to_python(self) -> dict[str, typing.Any]:
        return _struct_to_python(typing.cast(Message, self))


class ValueMixin:
    """Conversions of google.protobuf.Value to and from plain Python values."""

    __slots__ = ()

    @classmethod
    def from_python(cls, obj: typing.Any) -> typing.Self:
        built = _value_from_python(typing.cast(type[Message], cls), obj, 0)
        return typing.cast(typing.Self, built)

    def to_python(self) -> typing.Any:
        """None, bool, float, str, dict or list (None also when no kind is set)."""
        return _value_to_python(typing.cast(Message, self))


class ListValueMixin:
    """Conversions of google.protobuf.ListValue to and from lists."""

    __slots__ = ()

    @classmethod
    def from_python(cls, obj: typing.Sequence[typing.Any]) -> typing.Self:
        built = _list_from_python(typing.cast(type[Message], cls), obj, 0)
        return typing.cast(typing.Self, built)

    def to_python(self) -> list[typing.Any]:
        return _list_to_python(typing.cast(Message, self))


class FieldMaskMixin:
    """Construction and JSON form of google.protobuf.FieldMask."""

    __slots__ = ()

    @classmethod
    def from_paths(cls, paths: typing.Iterable[str]) -> typing.Self:
        if isinstance(paths, str):
            raise TypeError("from_paths takes an iterable of paths, not one string")
        out = cls()
        _set(typing.cast(Message, out), "paths", [str(path) for path in paths])
        return out

    def to_json_string(self) -> str:
        """The comma-separated lowerCamelCase form; JsonError if a path has none."""
        return _field_mask_to_json(typing.cast(Message, self))

    @classmethod
    def from_json_string(cls, text: str) -> typing.Self:
        built = _read_field_mask(_Parser(False), typing.cast(type[Message], cls), text)
        return typing.cast(typing.Self, built)


# Message.to_json and friends reach the functions above through this module object.
_JSON_IMPL = sys.modules[__name__]
