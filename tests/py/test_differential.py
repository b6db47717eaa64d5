"""Differential tests: moonstub's generated Python classes against protoc's
(protobuf 7.x, upb) for protobuf's own test schemas.

Random messages come from the reflection-driven strategies of conftest.py
(``_ms_fields`` only), so every field of every message type reached is covered.
For each message:

* moonstub encode -> protobuf decode -> same content, field by field;
* protobuf encode (of a message built field by field from the moonstub object)
  -> moonstub decode -> equal to the original;
* moonstub's bytes are byte-identical to protobuf's deterministic bytes.
  Maps are the exception: moonstub writes a map in dict order (it does not
  sort), and upb's "deterministic" order is not even key order (it wrote
  int32 keys -1, -2147483647, -2147483648, 5, 1, 0 and string keys "a", "b",
  "z", "é", ""). So when a message holds a map with two or more entries, both
  encodings are compared after sorting each run of map entries by its bytes
  (recursively, see ``Compare.canonical_wire``): every entry's encoding and
  everything around the maps must still match byte for byte; only the order
  of entries within one map is free. Without such maps the comparison is raw.

Then unknown fields (bytes of a bigger message decoded into a smaller type and
re-encoded), decoding one type's bytes as another type with both
implementations, and merging (concatenated encodings, MergeFromString).
"""

from __future__ import annotations

import keyword
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

def examples(n: int) -> int:
    """``n`` scaled by $MOONSTUB_FUZZ_SCALE (default 1; e.g. 20 for a long hunt)."""
    return max(1, int(n * float(os.environ.get("MOONSTUB_FUZZ_SCALE", "1"))))


SETTINGS = dict(
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# The message types of the brief (plus a few recursive / map-holding ones).
TYPES = [
    "proto2_unittest.TestAllTypes",
    "proto2_unittest.TestPackedTypes",
    "proto2_unittest.TestUnpackedTypes",
    "proto2_unittest.TestOneof2",
    "proto2_unittest.NestedTestAllTypes",
    "proto2_unittest.TestRecursiveMessage",
    "proto2_unittest.TestRequired",
    "proto3_unittest.TestAllTypes",
    "proto3_unittest.TestPackedTypes",
    "proto3_unittest.TestUnpackedTypes",
    "proto3_unittest.TestOneof2",
    "proto3_unittest.NestedTestAllTypes",
    "proto2_unittest.TestMap",  # map_unittest.proto's package is proto2_unittest
    "proto2_unittest.TestMessageMap",
    "proto2_unittest.TestMapWithMessages",
    "proto2_unittest.TestRecursiveMapMessage",
]


def ms_class(gen, full_name: str) -> type:
    return gen.ms.REGISTRY[full_name]


def assert_same_bytes(gen, cls, obj, got: bytes, expected: bytes) -> None:
    """moonstub's ``got`` equals protobuf's ``expected``: raw, or up to the
    order of map entries when ``obj`` holds a map of two or more entries."""
    if got == expected:
        return
    if obj is not None and gen.compare.has_unordered_map(obj):
        canon_got = gen.compare.canonical_wire(got, cls)
        canon_expected = gen.compare.canonical_wire(expected, cls)
        assert canon_got == canon_expected, \
            f"\nmoonstub (map entries sorted): {canon_got.hex()}\nprotobuf (map entries sorted): {canon_expected.hex()}"
        return
    assert got == expected, f"\nmoonstub: {got.hex()}\nprotobuf: {expected.hex()}"


def build_pb(gen, obj):
    """A protobuf message built field by field from the moonstub object."""
    return gen.compare.to_pb(obj, gen.pb_class(type(obj))())


# ---- the three directions, per type -------------------------------------------------------------


@pytest.mark.parametrize("full_name", TYPES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_moonstub_encode_protobuf_decode(gen, full_name, data):
    cls = ms_class(gen, full_name)
    obj = data.draw(gen.strategies.message(cls), label="message")
    wire = obj.SerializeToString()
    pb = gen.pb_class(cls).FromString(wire)
    gen.compare.ms_vs_pb(obj, pb)
    # and moonstub reads its own bytes back
    back = cls.FromString(wire)
    assert gen.compare.ms_diff(obj, back) is None, gen.compare.ms_diff(obj, back)


@pytest.mark.parametrize("full_name", TYPES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_protobuf_encode_moonstub_decode(gen, full_name, data):
    cls = ms_class(gen, full_name)
    obj = data.draw(gen.strategies.message(cls), label="message")
    pb = build_pb(gen, obj)
    gen.compare.ms_vs_pb(obj, pb)  # the builder itself is right
    back = cls.FromString(pb.SerializeToString())
    diff = gen.compare.ms_diff(obj, back)
    assert diff is None, diff


@pytest.mark.parametrize("full_name", TYPES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_bytes_identical_to_protobuf_deterministic(gen, full_name, data):
    cls = ms_class(gen, full_name)
    obj = data.draw(gen.strategies.message(cls), label="message")
    pb = build_pb(gen, obj)
    expected = pb.SerializeToString(deterministic=True)
    assert_same_bytes(gen, cls, obj, obj.SerializeToString(), expected)


# ---- every message class reached ----------------------------------------------------------------


@settings(max_examples=examples(400), **SETTINGS)
@given(data=st.data())
def test_every_message_type(gen, data):
    """All message classes of the three files (181 of them), drawn at random."""
    names = sorted(gen.ms.REGISTRY)
    full_name = data.draw(st.sampled_from(names), label="type")
    cls = ms_class(gen, full_name)
    obj = data.draw(gen.strategies.message(cls), label="message")
    wire = obj.SerializeToString()
    gen.compare.ms_vs_pb(obj, gen.pb_class(cls).FromString(wire))
    pb = build_pb(gen, obj)
    back = cls.FromString(pb.SerializeToString())
    diff = gen.compare.ms_diff(obj, back)
    assert diff is None, diff
    expected = pb.SerializeToString(deterministic=True)
    assert_same_bytes(gen, cls, obj, obj.SerializeToString(), expected)


# ---- unknown fields ---------------------------------------------------------------------------------

UNKNOWN_CASES = [
    # (writer type, reader type without those fields)
    ("proto2_unittest.TestAllTypes", "proto2_unittest.TestEmptyMessage"),
    ("proto2_unittest.NestedTestAllTypes", "proto2_unittest.TestEmptyMessage"),
    ("proto2_unittest.TestMap", "proto2_unittest.TestEmptyMessage"),
    ("proto3_unittest.TestAllTypes", "proto3_unittest.TestEmptyMessage"),
    ("proto2_unittest.TestPackedTypes", "proto2_unittest.TestEmptyMessage"),
]


@pytest.mark.parametrize("writer,reader", UNKNOWN_CASES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_unknown_fields_survive_byte_for_byte(gen, writer, reader, data):
    obj = data.draw(gen.strategies.message(ms_class(gen, writer)), label="message")
    wire = obj.SerializeToString()
    small = ms_class(gen, reader).FromString(wire)
    assert small._unknown == wire
    assert small.SerializeToString() == wire
    # a merge keeps both halves
    small.MergeFromString(wire)
    assert small.SerializeToString() == wire + wire


# Decoding one type's bytes as another, wire-compatible-enough type, with both
# implementations: both fail, or both succeed with the same content and the
# same re-encoding (known fields in number order, then unknown fields in the
# order read — closed enums' unknown numbers included).
CROSS_CASES = [
    ("proto2_unittest.TestAllTypes", "proto2_unittest.ForeignMessage"),
    ("proto2_unittest.TestAllTypes", "proto2_unittest.TestAllTypes.NestedMessage"),
    ("proto3_unittest.TestAllTypes", "proto2_unittest.TestAllTypes"),  # open -> closed enums, packed -> expanded
    ("proto2_unittest.TestAllTypes", "proto3_unittest.TestAllTypes"),  # expanded -> packed fields
    ("proto2_unittest.TestPackedTypes", "proto2_unittest.TestUnpackedTypes"),
    ("proto2_unittest.TestUnpackedTypes", "proto2_unittest.TestPackedTypes"),
    ("proto3_unittest.TestPackedTypes", "proto2_unittest.TestUnpackedTypes"),
    ("proto2_unittest.TestOneof2", "proto2_unittest.TestOneof"),
    ("proto3_unittest.NestedTestAllTypes", "proto2_unittest.NestedTestAllTypes"),
]


@pytest.mark.parametrize("writer,reader", CROSS_CASES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_decode_as_other_type_matches_protobuf(gen, writer, reader, data):
    obj = data.draw(gen.strategies.message(ms_class(gen, writer)), label="message")
    wire = obj.SerializeToString()
    cls = ms_class(gen, reader)
    pb_err = ms_err = None
    try:
        pb = gen.pb_class(cls).FromString(wire)
    except Exception as exc:  # protobuf's DecodeError
        pb_err = exc
    try:
        got = cls.FromString(wire)
    except gen.ms.DecodeError as exc:
        ms_err = exc
    assert (pb_err is None) == (ms_err is None), f"protobuf: {pb_err!r}; moonstub: {ms_err!r}; input {wire.hex()}"
    if pb_err is not None:
        return
    gen.compare.ms_vs_pb(got, pb, unknown=False)
    expected = pb.SerializeToString(deterministic=True)
    assert got.SerializeToString() == expected, \
        f"\ninput:    {wire.hex()}\nmoonstub: {got.SerializeToString().hex()}\nprotobuf: {expected.hex()}"


# ---- merging ------------------------------------------------------------------------------------------

MERGE_TYPES = [
    "proto2_unittest.TestAllTypes",
    "proto3_unittest.TestAllTypes",
    "proto2_unittest.NestedTestAllTypes",
    "proto2_unittest.TestMap",
    "proto2_unittest.TestOneof2",
]


@pytest.mark.parametrize("full_name", MERGE_TYPES)
@settings(max_examples=examples(40), **SETTINGS)
@given(data=st.data())
def test_concatenation_merges_like_protobuf(gen, full_name, data):
    cls = ms_class(gen, full_name)
    strategy = gen.strategies.message(cls)
    a = data.draw(strategy, label="a")
    b = data.draw(strategy, label="b")
    wire = a.SerializeToString() + b.SerializeToString()
    pb = gen.pb_class(cls).FromString(wire)
    got = cls.FromString(wire)
    gen.compare.ms_vs_pb(got, pb)
    expected = pb.SerializeToString(deterministic=True)
    assert_same_bytes(gen, cls, got, got.SerializeToString(), expected)
    # MergeFromString on an existing object
    merged = cls.FromString(a.SerializeToString())
    merged.MergeFromString(b.SerializeToString())
    diff = gen.compare.ms_diff(merged, got)
    assert diff is None, diff


# ---- closed enums: numbers the schema does not name -------------------------------------------------


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _split_fields(buf: bytes) -> list[bytes]:
    """The top-level fields of a valid encoding, each with its tag."""
    out = []
    pos = 0

    def rd(pos: int) -> tuple[int, int]:
        v = shift = 0
        while True:
            b = buf[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v, pos

    depth = 0
    start = 0
    while pos < len(buf):
        if depth == 0:
            start = pos
        t, pos = rd(pos)
        wt = t & 7
        if wt == 0:
            _, pos = rd(pos)
        elif wt == 1:
            pos += 8
        elif wt == 5:
            pos += 4
        elif wt == 2:
            n, pos = rd(pos)
            pos += n
        elif wt == 3:
            depth += 1
        elif wt == 4:
            depth -= 1
        if depth == 0:
            out.append(buf[start:pos])
    return out


CLOSED_ENUM_TYPES = [
    "proto2_unittest.TestAllTypes",       # singular, repeated (expanded), default_* enums
    "proto2_unittest.TestPackedTypes",    # packed closed enum
    "proto2_unittest.TestUnpackedTypes",
    "proto2_unittest.TestRequiredEnum",
    "proto2_unittest.TestGroup",
]


@pytest.mark.parametrize("full_name", CLOSED_ENUM_TYPES)
@settings(max_examples=examples(60), **SETTINGS)
@given(data=st.data())
def test_unknown_closed_enum_values_match_protobuf(gen, full_name, data):
    """An unnamed number in a closed-enum field is kept as an unknown field,
    the field itself untouched; packed runs are split. As upb does."""
    ms = gen.ms
    cls = ms_class(gen, full_name)
    enum_fields = [f for f in gen.compare.fields(cls)
                   if f.kind == ms.ENUM and getattr(f.type, "_ms_closed", False)]
    assert enum_fields, full_name
    obj = data.draw(gen.strategies.message(cls), label="message")
    chunks = _split_fields(obj.SerializeToString())
    f = data.draw(st.sampled_from(enum_fields), label="field")
    members = {int(m) for m in f.type.__members__.values()}
    unknown = st.integers(-(1 << 31), (1 << 31) - 1).filter(lambda v: v not in members)
    if f.repeated and data.draw(st.booleans(), label="packed"):
        values = data.draw(st.lists(st.one_of(unknown, st.sampled_from(sorted(members))), min_size=1, max_size=4))
        payload = b"".join(_varint(v) for v in values)
        extra = _varint((f.number << 3) | 2) + _varint(len(payload)) + payload
    else:
        extra = _varint(f.number << 3) + _varint(data.draw(unknown, label="value"))
    at = data.draw(st.integers(0, len(chunks)), label="position")
    wire = b"".join(chunks[:at]) + extra + b"".join(chunks[at:])

    pb = gen.pb_class(cls).FromString(wire)
    got = cls.FromString(wire)
    gen.compare.ms_vs_pb(got, pb, unknown=False)
    expected = pb.SerializeToString(deterministic=True)
    assert got.SerializeToString() == expected, \
        f"\ninput:    {wire.hex()}\nmoonstub: {got.SerializeToString().hex()}\nprotobuf: {expected.hex()}"


def test_unknown_closed_enum_in_oneof_keeps_the_oneof(gen):
    cls = ms_class(gen, "proto2_unittest.TestOneof2")
    wire = bytes.fromhex("0805" "3063")  # foo_int = 5, then foo_enum = 99 (not a NestedEnum)
    pb = gen.pb_class(cls).FromString(wire)
    assert pb.WhichOneof("foo") == "foo_int" and pb.foo_int == 5
    got = cls.FromString(wire)
    assert got.which_oneof("foo") == "foo_int" and got.foo_int == 5
    assert got.SerializeToString() == pb.SerializeToString() == wire


# ---- encoding values outside a field's range ------------------------------------------------------------

ENCODE_ERROR_CASES = [
    # (message, field, value): protobuf refuses each of these at assignment time;
    # moonstub's EncodeError is documented for "a value out of range for its type"
    ("proto2_unittest.TestAllTypes", "optional_int32", 1 << 31),
    ("proto2_unittest.TestAllTypes", "optional_int32", -(1 << 31) - 1),
    ("proto2_unittest.TestAllTypes", "optional_uint32", -1),
    ("proto2_unittest.TestAllTypes", "optional_uint32", 1 << 32),
    ("proto2_unittest.TestAllTypes", "optional_sint32", 1 << 31),
    ("proto2_unittest.TestAllTypes", "optional_int64", 1 << 63),
    ("proto2_unittest.TestAllTypes", "optional_int64", -(1 << 63) - 1),
    ("proto2_unittest.TestAllTypes", "optional_uint64", -1),
    ("proto2_unittest.TestAllTypes", "optional_uint64", 1 << 64),
    ("proto2_unittest.TestAllTypes", "optional_sint64", 1 << 63),
    ("proto2_unittest.TestAllTypes", "optional_fixed32", 1 << 32),
    ("proto2_unittest.TestAllTypes", "optional_fixed64", -1),
    ("proto2_unittest.TestAllTypes", "optional_sfixed32", 1 << 31),
    ("proto3_unittest.TestAllTypes", "optional_int32", 1 << 31),
    ("proto3_unittest.TestAllTypes", "repeated_uint64", [1 << 64]),
    ("proto2_unittest.TestAllTypes", "optional_string", "\ud800"),  # lone surrogate: not encodable
    ("proto3_unittest.TestAllTypes", "optional_string", "\ud800"),
]


def _encode_case_id(case) -> str:
    return f"{case[0].split('.')[0]}.{case[1]}={case[2]!r}"


def _encode_case_marks(case):
    return ()


@pytest.mark.parametrize("full_name,attr,value", [
    pytest.param(*case, id=_encode_case_id(case), marks=_encode_case_marks(case)) for case in ENCODE_ERROR_CASES])
def test_out_of_range_value_raises_encode_error(gen, full_name, attr, value):
    msg = ms_class(gen, full_name)(**{attr: value})
    with pytest.raises(gen.ms.EncodeError):
        msg.SerializeToString()


# ---- field tables against protobuf's descriptors ----------------------------------------------------------


SOFT_KEYWORDS = {"match", "case", "type", "_"}


def _real_oneof(fd) -> str | None:
    """The name of the field's oneof, None for none or a proto3 `optional`'s
    synthetic oneof (upb's descriptors do not say which is which: a synthetic
    oneof is named "_" + the field name and holds that one field)."""
    oneof = fd.containing_oneof
    if oneof is None:
        return None
    if oneof.name == "_" + fd.name and len(oneof.fields) == 1:
        return None
    return oneof.name


def test_field_tables_match_protobuf_descriptors(gen):
    """``_ms_fields`` of every class: names, JSON names, numbers, kinds,
    repeated, presence, oneof, map key/value kinds, message/enum classes."""
    ms = gen.ms
    problems = []
    for full_name, cls in sorted(ms.REGISTRY.items()):
        desc = gen.pb_class(cls).DESCRIPTOR
        fields = gen.compare.fields(cls)
        if sorted(f.number for f in fields) != sorted(fd.number for fd in desc.fields):
            problems.append((full_name, "field numbers", [f.number for f in fields]))
            continue
        for f in fields:
            fd = desc.fields_by_number[f.number]
            got = {"name": f.name, "json_name": f.json_name, "presence": f.presence, "oneof": f.oneof}
            want = {"name": fd.name, "json_name": fd.json_name, "presence": fd.has_presence, "oneof": _real_oneof(fd)}
            entry = fd.message_type if fd.message_type is not None and fd.message_type.GetOptions().map_entry else None
            if entry is not None:
                key, value = entry.fields_by_number[1], entry.fields_by_number[2]
                got.update(map_key=f.map_key, map_value=f.map_value,
                           map_type=getattr(f.map_type, "_ms_full_name", None) if f.map_value != ms.ENUM else None)
                want.update(map_key=key.type, map_value=value.type,
                            map_type=value.message_type.full_name if value.message_type is not None else None)
            else:
                got.update(kind=f.kind, repeated=f.repeated, map_key=f.map_key)
                want.update(kind=fd.type, repeated=fd.is_repeated, map_key=0)
                if fd.message_type is not None:
                    got["type"] = getattr(f.type, "_ms_full_name", None)
                    want["type"] = fd.message_type.full_name
                elif fd.enum_type is not None:
                    got["type"] = sorted(int(m) for m in f.type.__members__.values())
                    want["type"] = sorted({v.number for v in fd.enum_type.values})
            # attribute: the field name, with a "_" appended to Python keywords, soft
            # keywords (docs/model.md: match, case, type, _) and "__" names
            escaped = keyword.iskeyword(fd.name) or fd.name in SOFT_KEYWORDS or fd.name.startswith("__")
            got["attr"], want["attr"] = f.attr, fd.name + "_" if escaped else fd.name
            if got != want:
                problems.append((full_name, f.name, {k: (got[k], want[k]) for k in got if got[k] != want.get(k)}))
    assert not problems, "\n".join(map(repr, problems))


KNOWN_DEFAULT_BUGS: dict[tuple[str, str], str] = {}


def _default_mismatch(gen, full_name: str, name: str) -> str | None:
    cls = ms_class(gen, full_name)
    f = next(f for f in gen.compare.fields(cls) if f.name == name)
    fd = gen.pb_class(cls).DESCRIPTOR.fields_by_name[name]
    got, want = f.default, fd.default_value
    if fd.enum_type is not None:
        ok = got is not None and int(got) == want
    elif isinstance(want, float):
        # an int is accepted for an integral float default (moonstub writes
        # [default = 52e3] as 52000; typing-wise int is a float), the value must match
        ok = isinstance(got, (float, int)) and not isinstance(got, bool) and \
            (got == want or (got != got and want != want))
        if ok and want == 0:
            ok = str(float(got))[0] == str(want)[0]  # the sign of a zero
    else:
        ok = type(got) is type(want) and got == want
    return None if ok else f"{full_name}.{name}: moonstub {got!r}, protobuf {want!r}"


def test_explicit_defaults_match_protobuf(gen):
    problems = []
    for full_name, cls in sorted(gen.ms.REGISTRY.items()):
        desc = gen.pb_class(cls).DESCRIPTOR
        for f in gen.compare.fields(cls):
            fd = desc.fields_by_number[f.number]
            if not fd.has_default_value or fd.is_repeated or fd.message_type is not None:
                continue
            if (full_name, fd.name) in KNOWN_DEFAULT_BUGS:
                continue  # each has its own xfail test below
            problem = _default_mismatch(gen, full_name, fd.name)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("full_name,name", [
    ("proto2_unittest.TestExtremeDefaultValues", "large_uint64"),
    ("proto2_unittest.TestExtremeDefaultValues", "utf8_string"),
    ("proto2_unittest.TestExtremeDefaultValues", "small_negative_float"),
])
def test_extreme_defaults(gen, full_name, name):
    """Once bugs: a uint64 default above 2**63, a UTF-8 string default given as
    octal escapes, a float default that must be rounded to float32."""
    problem = _default_mismatch(gen, full_name, name)
    assert problem is None, problem
