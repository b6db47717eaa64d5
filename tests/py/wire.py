"""Protobuf wire bytes by hand, for tests that build inputs the encoders would
never write (truncated, malformed, unknown fields): the wire types, varints,
tags and length-delimited fields. Standard library only, so that
tests/valgrind/native_driver.py can use it outside pytest too."""

from __future__ import annotations

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5


def varint(v: int) -> bytes:
    """A base-128 varint; negative numbers as their 64-bit two's complement."""
    v &= (1 << 64) - 1
    out = bytearray()
    while v > 0x7F:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def ld(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return tag(number, LEN) + varint(len(payload)) + payload
