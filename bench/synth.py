#!/usr/bin/env python3
"""Synthetic schemas for the generator benchmark: N messages (10 .. 100,000) as
.proto and as Fory IDL (.fdl) of the same structure, so cost can be plotted
against size.

Layout: files of at most PER_FILE messages, each its own package
(synth.f0000, synth.f0001, ...); every later file imports the first one (a
"common types" file) and refers to its first message. Every file
has one enum and one service; every message has eight fields (scalars, a
string, a repeated, a map, the enum, a reference to the previous message, an
optional double, bytes); every tenth message adds an RPC, cycling unary,
server-streaming, client-streaming and bidi. Fory type ids are explicit so
100,000 auto-hashed names cannot collide.

Usage: synth.py N OUTDIR   (writes OUTDIR/proto/*.proto and OUTDIR/fdl/*.fdl)
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_FILE = 100
SHAPES = ("{t} (M{a}) returns (M{b})", "{t} (M{a}) returns (stream M{b})",
          "{t} (stream M{a}) returns (M{b})", "{t} (stream M{a}) returns (stream M{b})")


def _files(n: int) -> list[range]:
    return [range(start, min(n, start + PER_FILE)) for start in range(0, n, PER_FILE)]


def write_proto(n: int, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for f, msgs in enumerate(_files(n)):
        lines = ['syntax = "proto3";', f"package synth.f{f:04d};", ""]
        if f:
            lines += ['import "f0000.proto";', ""]
        lines += [f"enum Kind{f} {{", f"  KIND{f}_UNSPECIFIED = 0;", f"  KIND{f}_A = 1;", f"  KIND{f}_B = 2;", "}", ""]
        for i in msgs:
            prev = "" if i == msgs.start and not f else ("synth.f0000.M0" if i == msgs.start else f"M{i - 1}")
            lines += [f"// Message {i}.", f"message M{i} {{", "  int32 id = 1;", "  string name = 2;",
                      "  repeated int64 values = 3;", "  map<string, int32> labels = 4;", f"  Kind{f} kind = 5;"]
            if prev:
                lines.append(f"  {prev} prev = 6;")
            lines += ["  optional double score = 7;", "  bytes blob = 8;", "}", ""]
        lines.append(f"service Service{f} {{")
        for k, i in enumerate(range(msgs.start, msgs.stop - 1, 10)):
            lines.append("  rpc " + SHAPES[k % 4].format(t=f"Call{i}", a=i, b=i + 1) + ";")
        if len(msgs) < 2:
            lines.append(f"  rpc Call{msgs.start} (M{msgs.start}) returns (M{msgs.start});")
        lines += ["}", ""]
        name = f"f{f:04d}.proto"
        (out / name).write_text("\n".join(lines))
        names.append(name)
    return names


def write_fdl(n: int, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for f, msgs in enumerate(_files(n)):
        lines = [f"package synth.f{f:04d};", ""]
        if f:
            lines += ['import "f0000.fdl";', ""]
        lines += [f"enum Kind{f} [id={1_000_000 + f}] {{", f"  KIND{f}_UNSPECIFIED = 0;", f"  KIND{f}_A = 1;",
                  f"  KIND{f}_B = 2;", "}", ""]
        for i in msgs:
            prev = "" if i == msgs.start and not f else ("synth.f0000.M0" if i == msgs.start else f"M{i - 1}")
            lines += [f"// Message {i}.", f"message M{i} [id={1000 + i}] {{", "  int32 id = 1;", "  string name = 2;",
                      "  list<int64> values = 3;", "  map<string, int32> labels = 4;", f"  Kind{f} kind = 5;"]
            if prev:
                lines.append(f"  {prev} prev = 6;")
            lines += ["  optional float64 score = 7;", "  bytes blob = 8;", "}", ""]
        lines.append(f"service Service{f} {{")
        for k, i in enumerate(range(msgs.start, msgs.stop - 1, 10)):
            lines.append("  rpc " + SHAPES[k % 4].format(t=f"Call{i}", a=i, b=i + 1) + ";")
        if len(msgs) < 2:
            lines.append(f"  rpc Call{msgs.start} (M{msgs.start}) returns (M{msgs.start});")
        lines += ["}", ""]
        name = f"f{f:04d}.fdl"
        (out / name).write_text("\n".join(lines))
        names.append(name)
    return names


def main() -> int:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    write_proto(n, out / "proto")
    write_fdl(n, out / "fdl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
