#!/usr/bin/env python3
"""Codec benchmark: encode, decode, and decode-then-read-every-field of four
message shapes with moonstub's classes against google.protobuf (upb, the
default backend), pure-Python google.protobuf, aristaproto and pyfory, all in
the same run.

Shapes: bench/shapes.proto's Small (flat scalars), Nested (sub-messages and
repeated messages) and Large (1,000-element repeated fields and maps), and
Publish, a realistic googleapis message: google.pubsub.v1.PublishRequest with
10 PubsubMessages (200 bytes of data, 5 attributes, an id, a Timestamp, an
ordering key each), generated from build/corpus/googleapis.

pyfory's classes are bench/fory_shapes.py for the three shapes and, for
Publish, moonstub's --codec=fory output (foryc's translation rules; foryc itself
cannot parse pubsub.proto's aggregate options).

"read" walks every field of the decoded message (recursing into messages,
lists and maps) by the same code for every peer, from a plan taken from
moonstub --dump-model: upb decodes lazily, so decode alone flatters it.

Each peer runs in its own process (protobuf picks its backend at import time);
peers take turns within each round; the median over rounds (each the best of 3
timings) is reported as a ratio to moonstub. Writes bench/codec.md and, with
--json, the raw numbers.

Usage: bench_codec.py --moonstub BIN --corpus DIR [--repeat N] [--json OUT]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchutil import Budget, summary, venv_env, write_json  # noqa: E402

SHAPES = ("Small", "Nested", "Large", "Publish")
OPS = ("encode", "decode", "read")
PEERS = ["moonstub", "protobuf-upb", "protobuf-python", "aristaproto", "pyfory"]
FULL = {"Small": "bench.Small", "Nested": "bench.Nested", "Large": "bench.Large",
        "Publish": "google.pubsub.v1.PublishRequest"}
PUBSUB = "google/pubsub/v1/pubsub.proto"


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


def build_publish(mod: Any, stamp: Callable[[int], Any]) -> Any:
    messages = [mod.PubsubMessage(data=bytes((i + j) % 256 for j in range(200)),
                                  attributes={f"attr{j}": f"value-{i}-{j}" for j in range(5)},
                                  message_id=f"1234567890{i:04d}", publish_time=stamp(i),
                                  ordering_key=f"customer-{i % 3}")
                for i in range(10)]
    return mod.PublishRequest(topic="projects/my-project/topics/orders", messages=messages)


def walker(plan: dict[str, list[list[str]]]) -> Callable[[Any, str], None]:
    """Reads every field of a message, the same way for every peer."""
    leaf = (datetime.datetime, datetime.timedelta)

    def walk(obj: Any, name: str) -> None:
        for fname, kind, sub in plan[name]:
            v = getattr(obj, fname)
            if kind == "m":
                if v is not None and sub in plan and not isinstance(v, leaf):
                    walk(v, sub)
            elif kind == "rs":
                for _ in v:
                    pass
            elif kind == "rm":
                for x in v:
                    walk(x, sub)
            elif kind == "ms":
                for _k, _x in v.items():
                    pass
            elif kind == "mm":
                for _k, x in v.items():
                    walk(x, sub)

    return walk


def worker(peer: str, gen: Path) -> dict[str, dict[str, float]]:
    plan = json.loads((gen / "plan.json").read_text())
    if peer == "moonstub":
        sys.path.insert(0, str(gen / "moonstub"))
        import bench as mod  # type: ignore[import-not-found]
        import google_protobuf as wkt  # type: ignore[import-not-found]
        import google_pubsub_v1 as ps  # type: ignore[import-not-found]

        publish = build_publish(ps, lambda i: wkt.Timestamp(seconds=1714564800 + i, nanos=123000))
    elif peer in ("protobuf-upb", "protobuf-python"):
        sys.path.insert(0, str(gen / "protobuf"))
        import shapes_pb2 as mod  # type: ignore[import-not-found,no-redef]
        from google.protobuf import timestamp_pb2
        from google.pubsub.v1 import pubsub_pb2 as ps  # type: ignore[import-not-found,no-redef]

        publish = build_publish(ps, lambda i: timestamp_pb2.Timestamp(seconds=1714564800 + i, nanos=123000))
    elif peer == "aristaproto":
        sys.path.insert(0, str(gen / "aristaproto"))
        import bench as mod  # type: ignore[import-not-found,no-redef]
        from google.pubsub import v1 as ps  # type: ignore[import-not-found,no-redef]

        utc = datetime.timezone.utc
        publish = build_publish(ps, lambda i: datetime.datetime(2024, 5, 1, 12, 0, i, 123, tzinfo=utc))
    else:
        sys.path.insert(0, str(gen / "fory"))
        import fory_shapes as mod  # type: ignore[import-not-found,no-redef]
        import google_pubsub_v1 as ps  # type: ignore[import-not-found,no-redef]

        publish = build_publish(ps, lambda i: datetime.datetime(2024, 5, 1, 12, 0, i, 123))
    messages = build(mod)
    messages["Publish"] = publish
    walk = walker(plan)
    out: dict[str, dict[str, float]] = {}
    for shape in SHAPES:
        msg = messages[shape]
        cls = type(msg)
        full = FULL[shape]
        encode: Callable[[], Any]
        decode: Callable[[], Any]
        if peer == "pyfory":
            fory = mod.fory if shape != "Publish" else ps._get_fory()
            encode = lambda fory=fory, msg=msg: fory.serialize(msg)  # noqa: E731
            data = encode()
            decode = lambda fory=fory, data=data: fory.deserialize(data)  # noqa: E731
        elif peer == "aristaproto":
            encode = msg.__bytes__
            data = encode()
            decode = lambda cls=cls, data=data: cls().parse(data)  # noqa: E731
        else:
            encode = msg.SerializeToString
            data = encode()
            decode = lambda cls=cls, data=data: cls.FromString(data)  # noqa: E731
        read = lambda decode=decode, full=full: walk(decode(), full)  # noqa: E731
        walk(decode(), full)  # fails early if a peer's fields differ
        out[shape] = {"size": len(data)}
        for op, fn in (("encode", encode), ("decode", decode), ("read", read)):
            t0 = time.perf_counter()
            fn()
            single = max(time.perf_counter() - t0, 1e-7)
            number = max(1, int(0.04 / single))
            out[shape][op] = min(timeit.repeat(fn, number=number, repeat=3)) / number
    return out


def make_plan(moonstub: Path, corpus: Path, gen: Path) -> None:
    """{message full name: [[field, kind, sub-message]]} from moonstub --dump-model."""
    root = corpus / "googleapis"
    proc = subprocess.run([str(moonstub), f"-I{HERE}", f"-I{root}", f"-I{corpus / 'protobuf' / 'src'}", "--dump-model",
                           str(HERE / "shapes.proto"), PUBSUB], capture_output=True, text=True, check=True)
    model = json.loads(proc.stdout)
    messages: dict[str, Any] = {}

    def collect(ms: list[dict[str, Any]]) -> None:
        for m in ms:
            messages[m["full_name"]] = m
            collect(m.get("messages", []))

    for f in model["files"]:
        collect(f.get("messages", []))
    plan: dict[str, list[list[str]]] = {}
    for name, m in messages.items():
        if m.get("is_map_entry"):
            continue
        rows = []
        for fld in m["fields"]:
            is_msg = fld["type"] in ("message", "group")
            if fld.get("is_map"):
                value = next(x for x in messages[fld["type_name"]]["fields"] if x["name"] == "value")
                vmsg = value["type"] in ("message", "group")
                rows.append([fld["name"], "mm" if vmsg else "ms", value["type_name"] if vmsg else ""])
            elif fld["label"] == "repeated":
                rows.append([fld["name"], "rm" if is_msg else "rs", fld["type_name"] if is_msg else ""])
            else:
                rows.append([fld["name"], "m" if is_msg else "s", fld["type_name"] if is_msg else ""])
        plan[name] = rows
    (gen / "plan.json").write_text(json.dumps(plan))
    imports = [f["path"] for f in model["files"] if not f["path"].startswith("google/protobuf/")
               and f["path"].startswith("google/")]
    (gen / "pubsub_files.json").write_text(json.dumps(imports))


def generate(moonstub: Path, corpus: Path, gen: Path) -> None:
    root = corpus / "googleapis"
    wkt = corpus / "protobuf" / "src"
    make_plan(moonstub, corpus, gen)
    pubsub_files = json.loads((gen / "pubsub_files.json").read_text())
    proto = HERE / "shapes.proto"
    incs = [f"-I{HERE}", f"-I{root}", f"-I{wkt}"]
    subprocess.run([str(moonstub), *incs, str(proto), PUBSUB, f"--python_out={gen / 'moonstub'}"], check=True,
                   capture_output=True)
    subprocess.run([str(moonstub), *incs[1:], PUBSUB, f"--python_out={gen / 'fory'}", "--codec=fory"], check=True,
                   capture_output=True)
    (gen / "fory" / "fory_shapes.py").write_text((HERE / "fory_shapes.py").read_text())
    for name, flag, files in (("protobuf", "--python_out", [str(proto), *pubsub_files]),
                              ("aristaproto", "--python_aristaproto_out", [str(proto), PUBSUB, "google/pubsub/v1/schema.proto"])):
        (gen / name).mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", *incs, f"{flag}={gen / name}", *files],
                       check=True, env=venv_env(), capture_output=True)


def render(med: dict[str, Any], sizes: dict[str, int], rounds: int) -> str:
    lines = ["# Codec speed", "",
             f"Median of {rounds} rounds (each the best of 3 timings). Microseconds per operation; "
             "the ratio is the peer's time over moonstub's (above 1: moonstub is faster). "
             "`read` = decode, then read every field. "
             f"Python {platform.python_version()}, {platform.machine()}. See also bench/REPORT.md.", ""]
    for op in OPS:
        lines += [f"## {op}", "", "| shape | " + " | ".join(PEERS) + " |", "| --- |" + " --- |" * len(PEERS)]
        for shape in SHAPES:
            base = med["moonstub"][shape][op]["median"]
            cells = [f"{med[p][shape][op]['median'] * 1e6:.1f} us"
                     + ("" if p == "moonstub" else f" ({med[p][shape][op]['median'] / base:.2f}x)") for p in PEERS]
            lines.append(f"| {shape} ({sizes[shape]} B) | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Regenerate with `make bench`.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", type=Path)
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "build" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-repeat", type=int, default=2)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker")
    parser.add_argument("--gen", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.gen)))
        return 0
    budget = Budget(args.budget)
    started = time.time()
    runs: dict[str, list[dict[str, dict[str, float]]]] = {p: [] for p in PEERS}
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp)
        generate(args.moonstub.resolve(), args.corpus.resolve(), gen)
        for r in range(args.repeat):  # interleave peers so machine noise hits all of them
            t0 = time.time()
            for peer in PEERS:
                env = dict(os.environ)
                env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python" if peer == "protobuf-python" else "upb"
                result = subprocess.run([sys.executable, __file__, "--worker", peer, "--gen", str(gen)],
                                        env=env, capture_output=True, text=True)
                if result.returncode != 0:
                    sys.exit(f"bench_codec: {peer} failed:\n{result.stderr}")
                runs[peer].append(json.loads(result.stdout))
            took = time.time() - t0
            print(f"bench_codec: round {r + 1} took {took:.0f} s", flush=True)
            if r + 1 >= args.min_repeat and not budget.fits(took * 1.2):
                break
    rounds = len(runs["moonstub"])
    med = {p: {s: {op: summary([r[s][op] for r in runs[p]]) for op in OPS} for s in SHAPES} for p in PEERS}
    sizes = {s: int(runs["moonstub"][0][s]["size"]) for s in SHAPES}
    peer_sizes = {p: {s: int(runs[p][0][s]["size"]) for s in SHAPES} for p in PEERS}
    write_json(args.json, {"peers": PEERS, "shapes": SHAPES, "ops": OPS, "rounds": rounds, "stats": med,
                           "sizes": peer_sizes, "seconds": time.time() - started})
    report = render(med, sizes, rounds)
    (HERE / "codec.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
