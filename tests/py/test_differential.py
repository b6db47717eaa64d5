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

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
@settings(max_examples=40, **SETTINGS)
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
@settings(max_examples=40, **SETTINGS)
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
@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_bytes_identical_to_protobuf_deterministic(gen, full_name, data):
    cls = ms_class(gen, full_name)
    obj = data.draw(gen.strategies.message(cls), label="message")
    pb = build_pb(gen, obj)
    expected = pb.SerializeToString(deterministic=True)
    assert_same_bytes(gen, cls, obj, obj.SerializeToString(), expected)


# ---- every message class reached ----------------------------------------------------------------


@settings(max_examples=400, **SETTINGS)
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
@settings(max_examples=40, **SETTINGS)
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
@settings(max_examples=40, **SETTINGS)
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
@settings(max_examples=40, **SETTINGS)
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
