"""Shared fixtures for the Python differential tests of moonstub's generated code.

The session fixture ``gen`` generates, into one temporary directory:

* moonstub's classes for unittest.proto, unittest_proto3.proto and
  map_unittest.proto (modules ``proto2_unittest``, ``proto3_unittest``,
  ``proto2_unittest_import`` and the support module ``_moonstub``), and
* protoc's classes (grpc_tools.protoc --python_out) for the same files and
  their imports.

protoc's modules live under ``google/protobuf/`` (``unittest_pb2`` ...). The
installed protobuf package does not ship those modules, so the generated
directory is appended to ``google.protobuf.__path__``; nothing installed is
shadowed. Both sets are looked up by full message name.

It also builds the hypothesis strategies shared by both test files: random
moonstub messages driven only by ``_ms_fields`` reflection, so every field of
every message type reached is covered.

Environment (read by support.py): MOONSTUB (the binary, default
<repo>/build/moonstub), MOONSTUB_CORPUS (the unpacked protobuf corpus, default
<repo>/build/corpus/protobuf if it exists, else /tmp/corpus/protobuf).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import re
import struct
import sys
import types
import typing
from pathlib import Path

import pytest
from hypothesis import strategies as st

import support

ROOT_PROTOS = (
    "google/protobuf/unittest.proto",
    "google/protobuf/unittest_proto3.proto",
    "google/protobuf/map_unittest.proto",
)

_IMPORT_RE = re.compile(r'^\s*import\s+(?:public\s+|weak\s+|option\s+)?"([^"]+)"\s*;', re.M)


def _import_closure(src: Path, roots: tuple[str, ...]) -> list[str]:
    """The .proto files ``roots`` need, transitively (protoc's --python_out
    writes only the files named on its command line)."""
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        text = (src / name).read_text(encoding="utf-8")
        for dep in _IMPORT_RE.findall(text):
            if (src / dep).is_file():
                todo.append(dep)
    return sorted(seen)


# ---- generation -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gen(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    src = support.CORPUS / "src"
    if not (src / ROOT_PROTOS[0]).is_file():
        pytest.fail(f"protobuf corpus not found at {support.CORPUS} (set MOONSTUB_CORPUS)")
    support.check_binary()

    base = tmp_path_factory.mktemp("gen")
    msdir = base / "moonstub"
    pbdir = base / "protoc"
    msdir.mkdir()
    pbdir.mkdir()

    # a runtime of its own (vendored): the registry by full name is this tree's
    support.generate(msdir, [src], [src / p for p in ROOT_PROTOS], "--opt", "runtime=vendored")
    support.run_checked([sys.executable, "-m", "grpc_tools.protoc", "-I", str(src), f"--python_out={pbdir}",
                         *_import_closure(src, ROOT_PROTOS)])

    # moonstub: one top-level module per package.
    for stale in ("_moonstub", "proto2_unittest", "proto3_unittest", "proto2_unittest_import"):
        sys.modules.pop(stale, None)
    sys.path.insert(0, str(msdir))
    ms = importlib.import_module("_moonstub")
    p2 = importlib.import_module("proto2_unittest")
    p3 = importlib.import_module("proto3_unittest")
    imp = importlib.import_module("proto2_unittest_import")

    fields = _fields_getter(ms)
    for cls in list(ms.REGISTRY.values()):
        assert isinstance(fields(cls), tuple), cls

    # protoc: google/protobuf/*_pb2.py, reached through google.protobuf's __path__.
    import google.protobuf

    pb_pkg = str(pbdir / "google" / "protobuf")
    for name in ("unittest_pb2", "unittest_proto3_pb2", "map_unittest_pb2"):
        if importlib.util.find_spec(f"google.protobuf.{name}") is not None:
            existing = importlib.util.find_spec(f"google.protobuf.{name}").origin
            if existing and not existing.startswith(str(pbdir)):
                pytest.fail(f"google.protobuf.{name} already exists at {existing}; refusing to mix")
    if pb_pkg not in google.protobuf.__path__:
        google.protobuf.__path__.append(pb_pkg)
    pb2 = importlib.import_module("google.protobuf.unittest_pb2")
    pb3 = importlib.import_module("google.protobuf.unittest_proto3_pb2")
    pbmap = importlib.import_module("google.protobuf.map_unittest_pb2")
    from google.protobuf import message_factory, symbol_database

    pool = symbol_database.Default().pool

    pb_classes: dict[str, type] = {}

    def pb_class(ms_cls: type) -> type:
        name = ms_cls._ms_full_name
        cls = pb_classes.get(name)
        if cls is None:
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
            pb_classes[name] = cls
        return cls

    ns = types.SimpleNamespace(
        msdir=msdir, pbdir=pbdir, ms=ms, p2=p2, p3=p3, imp=imp, pb2=pb2, pb3=pb3, pbmap=pbmap,
        pb_class=pb_class,
    )
    def required(ms_cls: type) -> set[str]:
        """Names of the required fields (from protobuf's descriptor: moonstub's
        classes do not carry that)."""
        desc = pb_class(ms_cls).DESCRIPTOR
        return {f.name for f in desc.fields
                if (f.is_required if hasattr(f, "is_required") else f.label == f.LABEL_REQUIRED)}

    ns.strategies = Strategies(ms, required)
    ns.compare = Compare(ms)
    return ns


# ---- value strategies ---------------------------------------------------------------------------

F32 = struct.Struct("<f")
F64 = struct.Struct("<d")

NAN = float("nan")
NEG_NAN = -float("nan")
F32_MAX = F32.unpack(b"\xff\xff\x7f\x7f")[0]
F32_MIN_SUB = F32.unpack(b"\x01\x00\x00\x00")[0]
F32_MIN_NORMAL = F32.unpack(b"\x00\x00\x80\x00")[0]

FLOAT32_SPECIALS = (NAN, NEG_NAN, math.inf, -math.inf, 0.0, -0.0, F32_MAX, -F32_MAX, F32_MIN_SUB,
                    -F32_MIN_SUB, F32_MIN_NORMAL, 1.0, -1.0)
FLOAT64_SPECIALS = (NAN, NEG_NAN, math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308,
                    -1.7976931348623157e308, 2.2250738585072014e-308, 1.0, -1.0)


def _int_range(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = sorted({lo, hi, 0, 1, -1, 127, 128, 16383, 16384, lo + 1, hi - 1,
                    0x7FFFFFFF, 0x80000000, -0x80000000, 0xFFFFFFFF, 1 << 35, -(1 << 35)})
    edges = [e for e in edges if lo <= e <= hi]
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def _fields_getter(ms: types.ModuleType) -> typing.Callable[[type], tuple]:
    """``cls._ms_fields``; through ``_moonstub.fields_of`` when the support
    module has it (field tables may be built on first use)."""
    fields_of = getattr(ms, "fields_of", None)
    if fields_of is not None:
        return fields_of
    return lambda cls: cls._ms_fields


class Strategies:
    """Hypothesis strategies for moonstub message classes, from ``_ms_fields``."""

    MAX_DEPTH = 3  # message nesting generated below the root

    def __init__(self, ms: types.ModuleType, required: typing.Callable[[type], set[str]]) -> None:
        self.ms = ms
        self.fields = _fields_getter(ms)
        self.required = required  # proto field names of a class's required fields
        k = ms
        self.scalar: dict[int, st.SearchStrategy] = {
            k.INT32: _int_range(-(1 << 31), (1 << 31) - 1),
            k.SINT32: _int_range(-(1 << 31), (1 << 31) - 1),
            k.SFIXED32: _int_range(-(1 << 31), (1 << 31) - 1),
            k.UINT32: _int_range(0, (1 << 32) - 1),
            k.FIXED32: _int_range(0, (1 << 32) - 1),
            k.INT64: _int_range(-(1 << 63), (1 << 63) - 1),
            k.SINT64: _int_range(-(1 << 63), (1 << 63) - 1),
            k.SFIXED64: _int_range(-(1 << 63), (1 << 63) - 1),
            k.UINT64: _int_range(0, (1 << 64) - 1),
            k.FIXED64: _int_range(0, (1 << 64) - 1),
            k.BOOL: st.booleans(),
            k.FLOAT: st.one_of(st.sampled_from(FLOAT32_SPECIALS), st.floats(width=32, allow_nan=False)),
            k.DOUBLE: st.one_of(st.sampled_from(FLOAT64_SPECIALS), st.floats(allow_nan=False)),
            # st.text never produces lone surrogates: always valid UTF-8.
            k.STRING: st.one_of(st.text(max_size=6), st.text(min_size=1, max_size=3).map(lambda s: s * 50)),
            k.BYTES: st.one_of(st.binary(max_size=6), st.binary(min_size=1, max_size=3).map(lambda b: b * 50)),
        }
        self._enum_cache: dict[tuple[type, bool], st.SearchStrategy] = {}
        self._msg_cache: dict[tuple[type, int], st.SearchStrategy] = {}

    def enum(self, cls: type, unknown: bool = True) -> st.SearchStrategy:
        key = (cls, unknown)
        s = self._enum_cache.get(key)
        if s is None:
            members = sorted({int(m) for m in cls.__members__.values()})
            s = st.sampled_from([cls(v) for v in members])
            if unknown and not getattr(cls, "_ms_closed", True):
                # open enum: occasionally a number the schema does not name
                s = st.one_of(s, s, s, _int_range(-(1 << 31), (1 << 31) - 1).map(cls))
            self._enum_cache[key] = s
        return s

    def value(self, kind: int, typ: type | None, depth: int) -> st.SearchStrategy:
        ms = self.ms
        if kind in (ms.MESSAGE, ms.GROUP):
            return self.message(typ, depth + 1)
        if kind == ms.ENUM:
            return self.enum(typ)
        return self.scalar[kind]

    def message(self, cls: type, depth: int = 0) -> st.SearchStrategy:
        key = (cls, depth)
        s = self._msg_cache.get(key)
        if s is None:
            s = self._build_message(cls, depth)
            self._msg_cache[key] = s
        return s

    def _build_message(self, cls: type, depth: int) -> st.SearchStrategy:
        ms = self.ms
        required = set(getattr(cls, "_ms_required", ())) | self.required(cls)
        fields = self.fields(cls)
        oneofs: dict[str, list] = {}
        plain = []
        for f in fields:
            if f.oneof is not None and f.presence:
                oneofs.setdefault(f.oneof, []).append(f)
            else:
                plain.append(f)
        too_deep = depth >= self.MAX_DEPTH
        strategies = self
        if not fields:
            return st.builds(cls)

        def is_msg(kind: int) -> bool:
            return kind in (ms.MESSAGE, ms.GROUP)

        @st.composite
        def build(draw: st.DrawFn) -> object:
            kwargs = {}
            # Whether to set a field: 1 in 2 at the root, 1 in 4 deeper so
            # examples stay small. Shrinking goes towards "unset".
            odds = 1 if depth == 0 else 3

            def want() -> bool:
                return draw(st.integers(0, odds)) == odds

            for f in plain:
                if f.map_key:
                    if (too_deep and is_msg(f.map_value)) or not want():
                        continue
                    kwargs[f.attr] = draw(st.dictionaries(
                        strategies.scalar[f.map_key],
                        strategies.value(f.map_value, f.map_type, depth),
                        min_size=1, max_size=3 if depth == 0 else 2))
                elif f.repeated:
                    if (too_deep and is_msg(f.kind)) or not want():
                        continue
                    kwargs[f.attr] = draw(st.lists(strategies.value(f.kind, f.type, depth),
                                                   min_size=1, max_size=2 if is_msg(f.kind) else 4))
                else:
                    must = f.attr in required or f.name in required
                    if not must and ((too_deep and is_msg(f.kind)) or not want()):
                        continue
                    kwargs[f.attr] = draw(strategies.value(f.kind, f.type, depth))
            for members in oneofs.values():
                choice = draw(st.integers(0, len(members)))
                if choice == 0:
                    continue
                f = members[choice - 1]
                if too_deep and is_msg(f.kind):
                    continue
                kwargs[f.attr] = draw(strategies.value(f.kind, f.type, depth))
            return cls(**kwargs)

        return build()


# ---- comparison --------------------------------------------------------------------------------


def _float_same(a: float, b: float, width: int) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b) and math.copysign(1.0, a) == math.copysign(1.0, b)
    st_ = F32 if width == 32 else F64
    return st_.pack(a) == st_.pack(b)


class Compare:
    """Field-by-field comparison: moonstub vs protobuf, moonstub vs moonstub."""

    def __init__(self, ms: types.ModuleType) -> None:
        self.ms = ms
        self.fields = _fields_getter(ms)

    # -- moonstub object vs protobuf message ------------------------------------------------------

    def ms_vs_pb(self, obj: object, pb: object, path: str = "", unknown: bool = True) -> None:
        """Asserts the moonstub object and the protobuf message hold the same
        content; with ``unknown``, that moonstub kept no unknown fields (closed
        enums' unknown numbers excepted)."""
        ms = self.ms
        cls = type(obj)
        desc = pb.DESCRIPTOR
        path = path or cls.__name__
        assert cls._ms_full_name == desc.full_name, path
        assert {f.number for f in self.fields(cls)} == {f.number for f in desc.fields}, \
            f"{path}: _ms_fields numbers differ from the descriptor's"
        for f in self.fields(cls):
            fd = desc.fields_by_number[f.number]
            where = f"{path}.{f.attr}"
            assert fd.name == f.name, where
            v = getattr(obj, f.attr)
            pv = getattr(pb, fd.name)
            if f.map_key:
                assert isinstance(v, dict), where
                assert set(v) == set(pv), f"{where}: keys {sorted(v, key=repr)} vs {sorted(pv, key=repr)}"
                for key in v:
                    self._value_vs_pb(f.map_value, f.map_type, v[key], pv[key], f"{where}[{key!r}]", unknown)
            elif f.repeated:
                assert isinstance(v, list), where
                assert len(v) == len(pv), f"{where}: {len(v)} vs {len(pv)} elements"
                for i, (a, b) in enumerate(zip(v, pv)):
                    self._value_vs_pb(f.kind, f.type, a, b, f"{where}[{i}]", unknown)
            elif f.presence:
                assert (v is not None) == pb.HasField(fd.name), \
                    f"{where}: moonstub {'set' if v is not None else 'unset'}, protobuf HasField={pb.HasField(fd.name)}"
                if v is not None:
                    self._value_vs_pb(f.kind, f.type, v, pv, where, unknown)
            else:
                assert v is not None, f"{where}: implicit-presence field is None"
                self._value_vs_pb(f.kind, f.type, v, pv, where, unknown)
        for name in getattr(cls, "_ms_oneofs", {}):
            assert obj.which_oneof(name) == pb.WhichOneof(name), f"{path}: oneof {name}"
        if unknown and not any(f.kind == ms.ENUM or f.map_value == ms.ENUM for f in self.fields(cls)):
            # (closed enums with unknown numbers legitimately land in unknown fields)
            assert obj._unknown == b"", f"{path}: unexpected unknown fields {obj._unknown!r}"

    def _value_vs_pb(self, kind: int, typ: type | None, a: object, b: object, where: str,
                     unknown: bool = True) -> None:
        ms = self.ms
        if kind in (ms.MESSAGE, ms.GROUP):
            assert isinstance(a, typ), f"{where}: {type(a)} is not {typ}"
            self.ms_vs_pb(a, b, where, unknown)
        elif kind == ms.FLOAT:
            assert isinstance(a, float), f"{where}: {a!r}"
            assert _float_same(a, b, 32), f"{where}: {a!r} vs {b!r}"
        elif kind == ms.DOUBLE:
            assert isinstance(a, float), f"{where}: {a!r}"
            assert _float_same(a, b, 64), f"{where}: {a!r} vs {b!r}"
        elif kind == ms.ENUM:
            assert isinstance(a, typ), f"{where}: {a!r} is not a {typ}"
            assert int(a) == b, f"{where}: {int(a)} vs {b}"
        elif kind == ms.BOOL:
            assert a is b, f"{where}: {a!r} vs {b!r}"
        elif kind == ms.STRING:
            assert type(a) is str, f"{where}: {a!r}"
            if isinstance(b, bytes):
                # upb hands out bytes for a string field without UTF-8
                # validation that holds invalid UTF-8; moonstub keeps such
                # bytes as surrogate escapes.
                assert a.encode("utf-8", "surrogateescape") == b, f"{where}: {a!r} vs {b!r}"
            else:
                assert a == b, f"{where}: {a!r} vs {b!r}"
        elif kind == ms.BYTES:
            assert type(a) is bytes and a == b, f"{where}: {a!r} vs {b!r}"
        else:
            assert type(a) is int and a == b, f"{where}: {a!r} vs {b!r}"

    # -- build a protobuf message from a moonstub object (independently of the wire) -------------

    def to_pb(self, obj: object, pb: object) -> object:
        ms = self.ms
        for f in self.fields(type(obj)):
            v = getattr(obj, f.attr)
            if f.map_key:
                container = getattr(pb, f.name)
                for key, x in v.items():
                    if f.map_value in (ms.MESSAGE, ms.GROUP):
                        self.to_pb(x, container[key])
                    else:
                        container[key] = self._scalar_to_pb(f.map_value, x)
            elif f.repeated:
                container = getattr(pb, f.name)
                if f.kind in (ms.MESSAGE, ms.GROUP):
                    for x in v:
                        self.to_pb(x, container.add())
                else:
                    container.extend(self._scalar_to_pb(f.kind, x) for x in v)
            elif v is None:
                continue
            elif f.kind in (ms.MESSAGE, ms.GROUP):
                sub = getattr(pb, f.name)
                sub.SetInParent()
                self.to_pb(v, sub)
            else:
                setattr(pb, f.name, self._scalar_to_pb(f.kind, v))
        return pb

    def _scalar_to_pb(self, kind: int, v: object) -> object:
        if kind == self.ms.ENUM:
            return int(v)
        return v

    # -- moonstub vs moonstub ------------------------------------------------------------------

    def ms_diff(self, a: object, b: object, path: str = "", unknown: bool = True) -> str | None:
        """None if equal (NaN equals NaN, -0.0 differs from 0.0), else where they differ."""
        path = path or type(a).__name__
        if type(a) is not type(b):
            return f"{path}: type {type(a).__name__} vs {type(b).__name__}"
        for f in self.fields(type(a)):
            x, y = getattr(a, f.attr), getattr(b, f.attr)
            where = f"{path}.{f.attr}"
            if f.map_key:
                if set(x) != set(y):
                    return f"{where}: keys {sorted(x, key=repr)} vs {sorted(y, key=repr)}"
                for key in x:
                    d = self._value_diff(f.map_value, x[key], y[key], f"{where}[{key!r}]", unknown)
                    if d:
                        return d
            elif f.repeated:
                if len(x) != len(y):
                    return f"{where}: {len(x)} vs {len(y)} elements"
                for i, (p, q) in enumerate(zip(x, y)):
                    d = self._value_diff(f.kind, p, q, f"{where}[{i}]", unknown)
                    if d:
                        return d
            elif x is None or y is None:
                if x is not y:
                    return f"{where}: {x!r} vs {y!r}"
            else:
                d = self._value_diff(f.kind, x, y, where, unknown)
                if d:
                    return d
        if unknown and a._unknown != b._unknown:
            return f"{path}._unknown: {a._unknown!r} vs {b._unknown!r}"
        return None

    def _value_diff(self, kind: int, x: object, y: object, where: str, unknown: bool) -> str | None:
        ms = self.ms
        if kind in (ms.MESSAGE, ms.GROUP):
            return self.ms_diff(x, y, where, unknown)
        if kind in (ms.FLOAT, ms.DOUBLE):
            ok = isinstance(x, float) and isinstance(y, float) and \
                _float_same(x, y, 32 if kind == ms.FLOAT else 64)
        else:
            ok = type(x) is type(y) and x == y
        return None if ok else f"{where}: {x!r} vs {y!r}"

    # -- wire-level canonical form: map entries sorted ------------------------------------------

    def canonical_wire(self, buf: bytes, cls: type, quiet_nan32: bool = False) -> bytes:
        """``buf`` (an encoding of ``cls``) with each run of map entries sorted
        by their bytes, recursively through sub-messages, groups and map
        values. Everything else is kept as is. Map order is the one thing two
        correct encoders may disagree on: protobuf's deterministic mode sorts
        (upb in an order of its own), moonstub writes dict order. With
        ``quiet_nan32``, float32 signalling NaNs are quieted as well (in
        float fields, packed or not)."""
        self._quiet = quiet_nan32
        try:
            out, pos = self._canonical(buf, 0, len(buf), self._schema(cls), 0)
        finally:
            self._quiet = False
        assert pos == len(buf)
        return out

    def _schema(self, cls: type | None) -> dict[int, tuple[str, object]]:
        """field number -> ("map", entry schema) | ("msg", schema of the
        sub-message) | ("f32", None) for float fields."""
        ms = self.ms
        if cls is None:
            return {}
        schema: dict[int, tuple[str, object]] = {}
        for f in self.fields(cls):
            if f.map_key:
                value = (lambda t=f.map_type: self._schema(t)) if f.map_value in (ms.MESSAGE, ms.GROUP) else None
                schema[f.number] = ("map", value)
            elif f.kind in (ms.MESSAGE, ms.GROUP):
                schema[f.number] = ("msg", lambda t=f.type: self._schema(t))
            elif f.kind == ms.FLOAT:
                schema[f.number] = ("f32", None)
        return schema

    def _quiet32(self, raw: bytes) -> bytes:
        if not getattr(self, "_quiet", False):
            return raw
        out = bytearray(raw)
        for i in range(0, len(out) - 3, 4):
            (bits,) = struct.unpack_from("<I", out, i)
            if bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF:
                struct.pack_into("<I", out, i, bits | 0x00400000)
        return bytes(out)

    @staticmethod
    def _varint(buf: bytes, pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value, pos
            shift += 7

    @staticmethod
    def _enc_varint(v: int) -> bytes:
        out = bytearray()
        while v > 0x7F:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        return bytes(out)

    def _canonical(self, buf: bytes, pos: int, end: int, schema: dict, group: int) -> tuple[bytes, int]:
        items: list[tuple[int, bool, bytes]] = []
        while pos < end:
            start = pos
            tag, pos = self._varint(buf, pos)
            number, wt = tag >> 3, tag & 7
            if wt == 4:
                assert number == group
                break
            head = buf[start:pos]
            entry = schema.get(number)
            is_map = entry is not None and entry[0] == "map"
            if wt == 0:
                _, pos = self._varint(buf, pos)
                chunk = buf[start:pos]
            elif wt == 1:
                pos += 8
                chunk = buf[start:pos]
            elif wt == 5:
                pos += 4
                chunk = buf[start:pos]
                if entry is not None and entry[0] == "f32":
                    chunk = head + self._quiet32(buf[pos - 4:pos])
            elif wt == 2:
                n, p = self._varint(buf, pos)
                pos = p + n
                payload = buf[p:pos]
                if entry is not None and entry[0] == "f32":
                    payload = self._quiet32(payload)
                elif entry is not None:
                    if is_map:
                        value = entry[1]
                        sub = {2: ("msg", value)} if value is not None else {}
                    else:
                        sub = entry[1]()
                    payload, _ = self._canonical(payload, 0, len(payload), sub, 0)
                chunk = head + self._enc_varint(len(payload)) + payload
            elif wt == 3:
                sub = entry[1]() if entry is not None and not is_map else {}
                body, pos = self._canonical(buf, pos, end, sub, number)
                chunk = head + body + self._enc_varint((number << 3) | 4)
            else:
                raise AssertionError(f"wire type {wt} in a valid encoding")
            items.append((number, is_map, chunk))
        out = bytearray()
        i = 0
        while i < len(items):
            number, is_map, chunk = items[i]
            if not is_map:
                out += chunk
                i += 1
                continue
            j = i
            while j < len(items) and items[j][0] == number:
                j += 1
            for c in sorted(c for _, _, c in items[i:j]):
                out += c
            i = j
        return bytes(out), pos

    def has_unordered_map(self, obj: object) -> bool:
        """Whether some map in ``obj`` (recursively) has two or more entries."""
        ms = self.ms
        for f in self.fields(type(obj)):
            v = getattr(obj, f.attr)
            if f.map_key:
                if len(v) > 1:
                    return True
                subs = v.values() if f.map_value in (ms.MESSAGE, ms.GROUP) else ()
            elif f.kind in (ms.MESSAGE, ms.GROUP):
                subs = v if f.repeated else ([v] if v is not None else [])
            else:
                continue
            if any(self.has_unordered_map(x) for x in subs):
                return True
        return False
