#!/usr/bin/env python3
"""Codec benchmark: encode and decode of three message shapes (bench/shapes.proto:
a small flat message, a nested message, a message with large repeated and
map fields) with moonstub's classes against google.protobuf (upb), pure-Python
google.protobuf, aristaproto and pyfory, all in the same run. Each peer runs in
its own process (protobuf picks its backend at import time); the medians of
several repetitions are reported as ratios to moonstub. Writes bench/codec.md.

Usage: bench_codec.py --moonstub BIN [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
SHAPES = ("Small", "Nested", "Large")
NUMBER = {"Small": 4000, "Nested": 1000, "Large": 30}


def build(mod: Any) -> dict[str, Any]:
    """The same content for every peer whose classes take keyword arguments."""
    small = mod.Small(id=42, name="hello world", active=True, score=3.5, ts=1234567890123)

    def inner(i: int) -> Any:
        return mod.Inner(key=f"k{i}", value=i, tags=["a", "b", "c"])

    nested = mod.Nested(head=small, items=[inner(i) for i in range(10)], extra=inner(99), note="n")
    large = mod.Large(ints=list(range(1000)), doubles=[i * 0.5 for i in range(1000)],
                      names=[f"name{i}" for i in range(200)],
                      counts={f"c{i}": i * 1000 for i in range(200)},
                      inners={i: inner(i) for i in range(50)})
    return {"Small": small, "Nested": nested, "Large": large}


def fory_module() -> Any:
    sys.path.insert(0, str(HERE))
    import fory_shapes  # type: ignore[import-not-found]

    return fory_shapes


def worker(peer: str, gen: Path) -> dict[str, dict[str, float]]:
    if peer == "moonstub":
        sys.path.insert(0, str(gen / "moonstub"))
        import bench as mod  # type: ignore[import-not-found]
    elif peer in ("protobuf-upb", "protobuf-python"):
        sys.path.insert(0, str(gen / "protobuf"))
        import shapes_pb2 as mod  # type: ignore[import-not-found]
    elif peer == "aristaproto":
        sys.path.insert(0, str(gen / "aristaproto"))
        import bench as mod  # type: ignore[import-not-found,no-redef]
    else:
        mod = fory_module()
    messages = build(mod)
    out: dict[str, dict[str, float]] = {}
    for shape in SHAPES:
        msg = messages[shape]
        cls = type(msg)
        encode: Callable[[], Any]
        decode: Callable[[], Any]
        if peer == "pyfory":
            data = mod.fory.serialize(msg)
            encode = lambda: mod.fory.serialize(msg)  # noqa: E731
            decode = lambda: mod.fory.deserialize(data)  # noqa: E731
        elif peer == "aristaproto":
            data = bytes(msg)
            encode = lambda: bytes(msg)  # noqa: E731
            decode = lambda: cls().parse(data)  # noqa: E731
        else:
            data = msg.SerializeToString()
            encode = msg.SerializeToString
            decode = lambda: cls.FromString(data)  # noqa: E731
        n = NUMBER[shape]
        out[shape] = {
            "encode": min(timeit.repeat(encode, number=n, repeat=5)) / n,
            "decode": min(timeit.repeat(decode, number=n, repeat=5)) / n,
        }
    return out


def generate(moonstub: Path, gen: Path) -> None:
    proto = HERE / "shapes.proto"
    subprocess.run([str(moonstub), f"-I{HERE}", str(proto), f"--python_out={gen / 'moonstub'}"], check=True)
    for name, flag in (("protobuf", "--python_out"), ("aristaproto", "--python_aristaproto_out")):
        (gen / name).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE}", f"{flag}={gen / name}", str(proto)],
                       check=True, env=env, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--gen", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.gen)))
        return 0
    peers = ["moonstub", "protobuf-upb", "protobuf-python", "aristaproto", "pyfory"]
    runs: dict[str, list[dict[str, dict[str, float]]]] = {p: [] for p in peers}
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp)
        generate(args.moonstub.resolve(), gen)
        for _ in range(args.repeat):  # interleave peers so machine noise hits all of them
            for peer in peers:
                env = dict(os.environ)
                env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python" if peer == "protobuf-python" else "upb"
                result = subprocess.run([sys.executable, __file__, "--worker", peer, "--gen", str(gen)],
                                        env=env, capture_output=True, text=True)
                if result.returncode != 0:
                    sys.exit(f"bench_codec: {peer} failed:\n{result.stderr}")
                runs[peer].append(json.loads(result.stdout))
    med = {p: {s: {op: statistics.median(r[s][op] for r in runs[p]) for op in ("encode", "decode")}
               for s in SHAPES} for p in peers}
    lines = ["# Codec speed", "",
             f"Median of {args.repeat} runs (each the best of 5 timings). Microseconds per operation; "
             "the ratio is the peer's time over moonstub's (above 1: moonstub is faster). "
             f"Python {platform.python_version()}, {platform.machine()}.", ""]
    for op in ("encode", "decode"):
        lines += [f"## {op}", "", "| shape | " + " | ".join(peers) + " |",
                  "| --- |" + " --- |" * len(peers)]
        for shape in SHAPES:
            base = med["moonstub"][shape][op]
            cells = [f"{med[p][shape][op] * 1e6:.1f} us" + ("" if p == "moonstub" else f" ({med[p][shape][op] / base:.2f}x)")
                     for p in peers]
            lines.append(f"| {shape} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Regenerate with `make bench`.")
    report = "\n".join(lines) + "\n"
    (HERE / "codec.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
