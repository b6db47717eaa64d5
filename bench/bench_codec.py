#!/usr/bin/env python3
"""Codec benchmark: encode, decode, and decode-then-read-every-field of five
message shapes with moonstub's classes against google.protobuf (upb, the
default backend), pure-Python google.protobuf, Buf's protobuf-py (with its
Rust extension), betterproto2, aristaproto and pyfory, all in the same run.

moonstub runs twice, in separate processes: MOONSTUB_CODEC=native (the C
codec) and MOONSTUB_CODEC=python (the pure-Python one). Which of the two the
runtime can give is probed first, through its public contract only (see
docs/codec.md): an unknown MOONSTUB_CODEC value must make importing the
runtime fail; a runtime that imports anyway has no codec switch, and its one
codec (pure Python) is reported as `moonstub-python`, native as missing. A
codec whose import fails (native extension not built) is reported as missing.

moonstub-before is the generator before messages became tables (issue 15's
"today's generated functions": commit cea853d, the parent of bcebb15
"Messages as tables", whose output has per-message Python encoder/decoder
functions and a runtime-decorated dataclass, importing the _moonstub.py it
writes beside the modules). It is built from this repository's own history
without touching the work tree (`git archive cea853d | tar -x` into
--before-dir/src, then that commit's own Makefile; a stamp file keeps the
build for later runs) and generates the same files into its own folder. It
is one more peer: pure Python, so moonstub-python / moonstub-before is issue
15's "pure path no slower than before". Without git history (a tarball) or
when the old tree does not build, it is reported as missing with the reason.

Shapes: bench/shapes.proto's Small (flat scalars), Nested (sub-messages and
repeated messages), Large (1,000-element repeated fields and maps) and Ledger
(100 entries with an enum, sint64 and packed fields, a string map, repeated
strings and two Timestamps each, plus ledger-level maps, packed sint64 and
fixed64 lists and a Timestamp), and Publish, a realistic googleapis message:
google.pubsub.v1.PublishRequest with 10 PubsubMessages (200 bytes of data, 5
attributes, an id, a Timestamp, an ordering key each), generated from
build/corpus/googleapis.

Code generation per peer: moonstub --python_out; grpc_tools.protoc with
--python_out (protobuf), --py_out (protobuf-py's protoc-gen-py),
--python_betterproto2_out (betterproto2_compiler) and --python_aristaproto_out;
pyfory's classes are bench/fory_shapes.py for the bench shapes and, for
Publish, moonstub's --codec=fory output (foryc cannot parse pubsub.proto's
aggregate options).

"read" walks every field of the decoded message (recursing into messages,
lists and maps) by the same code for every peer, from a plan taken from
moonstub --dump-model: upb and others may decode lazily, so decode alone can
flatter them.

Each peer runs in its own process (protobuf picks its backend at import time,
moonstub its codec); peers take turns within each round; each figure is the
best of 3 timings. Ratios are moonstub's time over the peer's of the same
round (below 1: moonstub faster), median over rounds with min-max. Writes
bench/codec.md and, with --json, the raw numbers.

Usage: bench_codec.py --moonstub BIN --corpus DIR [--repeat N] [--json OUT]
                      [--repo DIR] [--before-dir DIR] [--before-commit REV]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
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

SHAPES = ("Small", "Nested", "Large", "Ledger", "Publish")
OPS = ("encode", "decode", "read")
MOONSTUB = ["moonstub-native", "moonstub-python"]
OTHERS = ["moonstub-before", "protobuf-upb", "protobuf-python", "protobuf-py", "betterproto2", "aristaproto", "pyfory"]
PEERS = MOONSTUB + OTHERS
FULL = {"Small": "bench.Small", "Nested": "bench.Nested", "Large": "bench.Large", "Ledger": "bench.Ledger",
        "Publish": "google.pubsub.v1.PublishRequest"}
PUBSUB = "google/pubsub/v1/pubsub.proto"
DISTRIBUTIONS = {"protobuf-upb": "protobuf", "protobuf-python": "protobuf", "protobuf-py": "protobuf-py",
                 "betterproto2": "betterproto2", "aristaproto": "aristaproto", "pyfory": "pyfory"}
STAMP0 = 1714564800  # 2024-05-01 12:00:00 UTC
BEFORE = "moonstub-before"
BEFORE_COMMIT = "cea853d"  # the parent of bcebb15 "Messages as tables": generated per-message functions


def enum_value(enum: Any, v: int) -> Any:
    """An enum member where the peer has enum classes, else the number
    (protobuf's EnumTypeWrapper is not callable)."""
    try:
        return enum(v)
    except TypeError:
        return v


def build(mod: Any, stamp: Callable[[int], Any]) -> dict[str, Any]:
    """The same content for every peer whose classes take keyword arguments."""
    small = mod.Small(id=42, name="hello world", active=True, score=3.5, ts=1234567890123)

    def inner(i: int) -> Any:
        return mod.Inner(key=f"k{i}", value=i, tags=["a", "b", "c"])

    nested = mod.Nested(head=small, items=[inner(i) for i in range(10)], extra=inner(99), note="n")
    large = mod.Large(ints=list(range(1000)), doubles=[i * 0.5 for i in range(1000)],
                      names=[f"name{i}" for i in range(200)],
                      counts={f"c{i}": i * 1000 for i in range(200)},
                      inners={i: inner(i) for i in range(50)})
    currencies = [enum_value(mod.Currency, v) for v in range(5)]
    entries = [mod.Entry(id=10_000_000_000 + i, account=f"acct-{i % 20:05d}",
                         amount=(i * 7919) % 200_000 - 100_000, currency=currencies[1 + i % 4],
                         tags=["payment", f"batch-{i // 10}", "eu" if i % 2 else "us"],
                         meta={"source": "api", "request": f"req-{i:08d}", "region": "europe-west1",
                               "memo": f"invoice {i}"},
                         created_at=stamp(i), posted_at=stamp(i + 60), splits=[i % 7, -(i % 5), 100 - i])
               for i in range(100)]
    ledger = mod.Ledger(ledger_id="ledger-2024-05", entries=entries,
                        balances={f"acct-{a:05d}": (a * 123457) % 1_000_000 - 500_000 for a in range(20)},
                        deltas=[(i * 31337) % 100_000 - 50_000 for i in range(100)],
                        checksums=[(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(32)], closed_at=stamp(3600))
    return {"Small": small, "Nested": nested, "Large": large, "Ledger": ledger}


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


def utc_stamp(i: int) -> datetime.datetime:
    return datetime.datetime(2024, 5, 1, 12, 0, 0, 123, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=i)


def load_peer(peer: str, gen: Path) -> tuple[dict[str, Any], dict[str, Callable[[Any], tuple[Any, Any]]], str]:
    """The peer's messages of every shape, a maker of (encode, decode)
    callables per message, and a note on what was loaded."""
    note = ""
    ps: Any = None
    if peer == BEFORE:
        # the old output only: its modules import the _moonstub.py written beside them and google_protobuf for
        # the well-known types (never the installed moonstub package, whose Timestamp is another class)
        sys.path.insert(0, str(gen / BEFORE))
        import bench as mod  # type: ignore[import-not-found,no-redef]
        import google_protobuf as wkt  # type: ignore[import-not-found,no-redef]
        try:
            import google_pubsub_v1 as ps  # type: ignore[import-not-found,no-redef]
        except ImportError:  # the old generator could not write pubsub.proto: Publish is reported as an error
            ps = None

        def stamp(i: int) -> Any:
            return wkt.Timestamp(seconds=STAMP0 + i, nanos=123000)

        note = f"generated by {(gen / BEFORE / 'commit.txt').read_text().strip()} (pure Python, _moonstub.py beside)"
    elif peer.startswith("moonstub"):
        sys.path.insert(0, str(gen / "moonstub"))
        import bench as mod  # type: ignore[import-not-found]
        try:  # the well-known types: the runtime package's (runtime=package), else generated
            from moonstub import wkt  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            import google_protobuf as wkt  # type: ignore[import-not-found, no-redef]
        import google_pubsub_v1 as ps  # type: ignore[import-not-found]

        def stamp(i: int) -> Any:
            return wkt.Timestamp(seconds=STAMP0 + i, nanos=123000)

        note = f"MOONSTUB_CODEC={os.environ.get('MOONSTUB_CODEC', '(unset)')}"
    elif peer in ("protobuf-upb", "protobuf-python"):
        sys.path.insert(0, str(gen / "protobuf"))
        import shapes_pb2 as mod  # type: ignore[import-not-found,no-redef]
        from google.protobuf import timestamp_pb2
        from google.protobuf.internal import api_implementation
        from google.pubsub.v1 import pubsub_pb2 as ps  # type: ignore[import-not-found,no-redef]

        def stamp(i: int) -> Any:
            return timestamp_pb2.Timestamp(seconds=STAMP0 + i, nanos=123000)

        note = f"backend {api_implementation.Type()}"
    elif peer == "protobuf-py":
        sys.path.insert(0, str(gen / "protobuf-py"))
        import shapes_pb as mod  # type: ignore[import-not-found,no-redef]
        from google.pubsub.v1 import pubsub_pb as ps  # type: ignore[import-not-found,no-redef]
        from protobuf import _native_message  # type: ignore[import-not-found]
        from protobuf.wkt import Timestamp  # type: ignore[import-not-found]

        def stamp(i: int) -> Any:
            return Timestamp(seconds=STAMP0 + i, nanos=123000)

        note = ("Rust extension (protobuf_ext)" if _native_message.NativeMessageClass
                else "pure Python (no protobuf_ext)")
    elif peer == "betterproto2":
        sys.path.insert(0, str(gen / "betterproto2"))
        from bp2gen import bench as mod  # type: ignore[import-not-found,no-redef]
        from bp2gen.google.pubsub import v1 as ps  # type: ignore[import-not-found,no-redef]

        stamp = utc_stamp
    elif peer == "aristaproto":
        # aristaproto 2.0.0.dev1's modules import the output folder's message_pool relatively: a package
        sys.path.insert(0, str(gen / "aristaproto"))
        from argen import bench as mod  # type: ignore[import-not-found,no-redef]
        from argen.google.pubsub import v1 as ps  # type: ignore[import-not-found,no-redef]

        stamp = utc_stamp
    else:
        sys.path.insert(0, str(gen / "fory"))
        import fory_shapes as mod  # type: ignore[import-not-found,no-redef]
        import google_pubsub_v1 as ps  # type: ignore[import-not-found,no-redef]

        def stamp(i: int) -> Any:
            return datetime.datetime(2024, 5, 1, 12, 0, 0, 123) + datetime.timedelta(seconds=i)

    messages = build(mod, stamp)
    if ps is not None:
        messages["Publish"] = build_publish(ps, stamp)

    def codec(msg: Any, shape: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
        cls = type(msg)
        if peer == "pyfory":
            fory = mod.fory if shape != "Publish" else ps._get_fory()
            data = fory.serialize(msg)
            return (lambda: fory.serialize(msg)), (lambda: fory.deserialize(data))
        if peer == "aristaproto":
            data = bytes(msg)
            return msg.__bytes__, (lambda: cls().parse(data))
        if peer == "betterproto2":
            data = bytes(msg)
            return msg.__bytes__, (lambda: cls.parse(data))
        if peer == "protobuf-py":
            data = msg.to_binary()
            return msg.to_binary, (lambda: cls.from_binary(data))
        data = msg.SerializeToString()
        return msg.SerializeToString, (lambda: cls.FromString(data))

    makers = {s: (lambda m, s=s: codec(m, s)) for s in SHAPES}
    return messages, makers, note


def worker(peer: str, gen: Path) -> dict[str, Any]:
    plan = json.loads((gen / "plan.json").read_text())
    messages, makers, note = load_peer(peer, gen)
    walk = walker(plan)
    out: dict[str, Any] = {"note": note, "errors": {}}
    for shape in SHAPES:
        full = FULL[shape]
        if shape not in messages:
            out["errors"][shape] = f"{FULL[shape]} was not generated for this peer"
            continue
        try:
            encode, decode = makers[shape](messages[shape])
            data = encode()
            walk(decode(), full)  # fails early if a peer's fields differ
        except Exception as e:  # noqa: BLE001 - a peer that cannot do a shape is reported, not fatal
            out["errors"][shape] = f"{type(e).__name__}: {str(e)[:200]}"
            continue
        read = lambda decode=decode, full=full: walk(decode(), full)  # noqa: E731
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


def build_before(repo: Path, out: Path, commit: str) -> tuple[Path | None, dict[str, Any]]:
    """The generator of `commit` built from the repository's history, the work tree untouched: `git archive` into
    out/src, then that commit's own Makefile (`make build/moonstub` there). out/commit names the commit of a finished
    build, which later runs reuse. Returns (the binary or None, {commit, subject, seconds, cached[, why]})."""
    t0 = time.time()
    info: dict[str, Any] = {"commit": commit, "subject": "", "seconds": 0.0, "cached": False}
    git = ["git", "-C", str(repo)]
    proc = subprocess.run([*git, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        info["why"] = (f"no git history with commit {commit} at {repo} (a tarball or a shallow clone?), so the "
                       "generator before tables cannot be built" + (f": {proc.stderr.strip()[:200]}"
                                                                     if proc.stderr.strip() else ""))
        return None, info
    sha = proc.stdout.strip()
    info["commit"] = sha[:12]
    info["subject"] = subprocess.run([*git, "log", "-1", "--format=%s", sha], capture_output=True,
                                     text=True).stdout.strip()
    # the commit that follows it towards HEAD (for cea853d: bcebb15, "Messages as tables"), for the report
    after = subprocess.run([*git, "rev-list", "--reverse", "--ancestry-path", f"{sha}..HEAD"], capture_output=True,
                           text=True).stdout.split()
    if after:
        info["next"] = subprocess.run([*git, "log", "-1", "--format=%h %s", after[0]], capture_output=True,
                                      text=True).stdout.strip()
    src, stamp = out / "src", out / "commit"
    binary = src / "build" / "moonstub"
    if binary.is_file() and stamp.is_file() and stamp.read_text().strip() == sha:
        info["cached"] = True
        return binary, info
    stamp.unlink(missing_ok=True)
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    archive = subprocess.Popen([*git, "archive", sha], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", str(src)], stdin=archive.stdout, capture_output=True, text=True)
    assert archive.stdout is not None and archive.stderr is not None
    archive.stdout.close()
    err = archive.stderr.read().decode(errors="replace")
    if archive.wait() != 0 or tar.returncode != 0:
        info["why"] = f"git archive {sha[:12]} | tar -x failed: {(err or tar.stderr).strip()[-300:]}"
        return None, info
    # a make of its own: not the calling make's jobserver or command-line variables (BUILD=... of `make bench`)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    proc = subprocess.run(["make", "-s", "-C", str(src), "BUILD=build", "build/moonstub"], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not binary.is_file():
        info["why"] = f"make build/moonstub at {sha[:12]} failed: {(proc.stderr or proc.stdout).strip()[-300:]}"
        return None, info
    stamp.write_text(sha + "\n")
    info["seconds"] = time.time() - t0
    return binary, info


def generate_before(binary: Path, incs: list[str], proto: Path, gen: Path, info: dict[str, Any]) -> str | None:
    """moonstub-before's classes in gen/moonstub-before (apart from the new output: its modules import their own
    _moonstub.py); pubsub.proto too when the old generator can, else the bench shapes alone. Returns why it cannot
    run, or None."""
    out = gen / BEFORE
    out.mkdir(parents=True, exist_ok=True)
    (out / "commit.txt").write_text(f"{info['commit']}\n")
    proc = subprocess.run([str(binary), *incs, str(proto), PUBSUB, f"--python_out={out}"], capture_output=True,
                          text=True)
    if proc.returncode == 0:
        return None
    info["pubsub_error"] = (proc.stderr or proc.stdout).strip()[-300:]
    proc = subprocess.run([str(binary), *incs, str(proto), f"--python_out={out}"], capture_output=True, text=True)
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip()[-300:]
        return f"the generator at {info['commit']} failed on shapes.proto: {why}"
    return None


def generate(moonstub: Path, corpus: Path, gen: Path, before: Path | None = None,
             before_info: dict[str, Any] | None = None) -> dict[str, str]:
    """Writes every peer's classes under gen; returns {peer: why it cannot run}. before: the generator before
    tables (build_before), None when it could not be built (before_info says why)."""
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
    failed: dict[str, str] = {}
    if before is None:
        failed[BEFORE] = (before_info or {}).get("why") or "not built"
    elif (why := generate_before(before, incs, proto, gen, before_info or {})) is not None:
        failed[BEFORE] = why
    # protoc generates only the files named, so protobuf and protobuf-py get pubsub's imports too (their WKTs come
    # with their runtimes); betterproto2 and aristaproto write every file of the request
    for peers, out, flag, files in (
            (["protobuf-upb", "protobuf-python"], gen / "protobuf", "--python_out", [str(proto), *pubsub_files]),
            (["protobuf-py"], gen / "protobuf-py", "--py_out", [str(proto), *pubsub_files]),
            (["betterproto2"], gen / "betterproto2" / "bp2gen", "--python_betterproto2_out",
             [str(proto), PUBSUB, "google/pubsub/v1/schema.proto"]),
            (["aristaproto"], gen / "aristaproto" / "argen", "--python_aristaproto_out",
             [str(proto), PUBSUB, "google/pubsub/v1/schema.proto"])):
        out.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", *incs, f"{flag}={out}", *files],
                              env=venv_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            why = f"code generation failed: {(proc.stderr or proc.stdout).strip()[-300:]}"
            failed.update({p: why for p in peers})
    return failed


def probe_codecs(gen: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Which moonstub codecs this runtime gives: ({peer: MOONSTUB_CODEC value},
    {peer: why missing}); see the module docstring."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import bench, google_pubsub_v1"

    def try_import(value: str) -> str | None:
        env = dict(os.environ, MOONSTUB_CODEC=value)
        proc = subprocess.run([sys.executable, "-c", code, str(gen / "moonstub")], env=env, capture_output=True,
                              text=True)
        if proc.returncode == 0:
            return None
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return lines[-1][:300] if lines else f"exit {proc.returncode}"

    envs: dict[str, str] = {}
    missing: dict[str, str] = {}
    if try_import("bench-probe-not-a-codec") is None:
        envs["moonstub-python"] = "python"
        missing["moonstub-native"] = ("this runtime has no codec switch (an unknown MOONSTUB_CODEC imports fine): "
                                      "its one codec is pure Python")
        return envs, missing
    for peer, value in (("moonstub-native", "native"), ("moonstub-python", "python")):
        err = try_import(value)
        if err is None:
            envs[peer] = value
        else:
            missing[peer] = f"MOONSTUB_CODEC={value}: import failed: {err}"
    return envs, missing


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("protobuf", "protobuf-py", "protobuf-py-ext", "protoc-gen-py", "betterproto2",
                 "betterproto2-compiler", "aristaproto", "pyfory"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def paired_ratio(num: list[float | None], den: list[float | None]) -> dict[str, float] | None:
    """num/den per round (rounds where both ran), median with min-max."""
    rs = [a / b for a, b in zip(num, den) if a is not None and b is not None and b > 0]
    if not rs:
        return None
    return {"median": statistics.median(rs), "min": min(rs), "max": max(rs), "n": len(rs)}


def fmt_r(r: dict[str, float] | None) -> str:
    if not r:
        return "—"
    return f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})"


def render(data: dict[str, Any]) -> str:
    stats, ratios = data["stats"], data["ratios"]
    present = [p for p in PEERS if p in stats]
    lines = ["# Codec speed", "",
             f"{data['rounds']} rounds, peers taking turns, each figure the best of 3 timings. Microseconds per "
             "operation; the ratio is moonstub's time over the peer's in the same round (below 1: moonstub is "
             "faster), median over rounds (min-max). `read` = decode, then read every field. "
             f"Python {platform.python_version()}, {platform.machine()}. See also bench/REPORT.md.", ""]
    before = data.get("before") or {}
    if BEFORE in stats:
        lines += [f"{BEFORE}: the generator at `{before.get('commit', BEFORE_COMMIT)}` ({before.get('subject', '')}), "
                  "before messages became tables: per-message generated encoder/decoder functions, pure Python "
                  "(issue 15: the pure path is to be no slower than it).", ""]
    for p, why in data["missing"].items():
        lines.append(f"- **{p}**: missing: {why}")
    if data["missing"]:
        lines.append("")
    for op in OPS:
        lines += [f"## {op}", "", "| shape | " + " | ".join(f"{p} us" for p in present) + " |",
                  "| --- |" + " --- |" * len(present)]
        for shape in SHAPES:
            cells = []
            for p in present:
                st = stats[p].get(shape)
                cells.append(f"{st[op]['median'] * 1e6:,.1f}" if st else "—")
            lines.append(f"| {shape} | " + " | ".join(cells) + " |")
        lines.append("")
        for m in MOONSTUB:
            if m not in stats:
                continue
            lines += [f"{m} / peer ({op}):", "", "| shape | " + " | ".join(OTHERS) + " |",
                      "| --- |" + " --- |" * len(OTHERS)]
            for shape in SHAPES:
                lines.append(f"| {shape} | " + " | ".join(fmt_r(ratios[m].get(p, {}).get(shape, {}).get(op))
                                                         for p in OTHERS) + " |")
            lines.append("")
    lines.append("Regenerate with `make bench`.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", type=Path)
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "build" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-repeat", type=int, default=2)
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker")
    parser.add_argument("--gen", type=Path)
    parser.add_argument("--repo", type=Path, default=HERE.parent,
                        help="the git repository whose history gives moonstub-before (default: this tree)")
    parser.add_argument("--before-dir", type=Path, default=HERE.parent / "build" / "bench-before",
                        help="where moonstub-before is extracted and built (kept between runs)")
    parser.add_argument("--before-commit", default=BEFORE_COMMIT)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.gen)))
        return 0
    if not args.moonstub:
        parser.error("--moonstub is needed")
    budget = Budget(args.budget)
    started = time.time()
    runs: dict[str, list[dict[str, Any]]] = {p: [] for p in PEERS}
    before_bin, before = build_before(args.repo.resolve(), args.before_dir.resolve(), args.before_commit)
    print(f"bench_codec: {BEFORE}: " + (before["why"] if before_bin is None else
                                        f"{before['commit']} " + ("(built earlier)" if before["cached"] else
                                                                  f"built in {before['seconds']:.0f} s")), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp)
        missing = generate(args.moonstub.resolve(), args.corpus.resolve(), gen, before_bin, before)
        codec_env, codec_missing = probe_codecs(gen)
        missing.update(codec_missing)
        active = [p for p in PEERS if p not in missing]
        notes: dict[str, str] = {}
        worker_s: dict[str, list[float]] = {}  # each worker process's wall time (what a peer adds to a round)
        for r in range(args.repeat):  # interleave peers so machine noise hits all of them
            t0 = time.time()
            for peer in list(active):
                env = dict(os.environ)
                env.pop("MOONSTUB_CODEC", None)
                env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python" if peer == "protobuf-python" else "upb"
                if peer in codec_env:
                    env["MOONSTUB_CODEC"] = codec_env[peer]
                w0 = time.time()
                result = subprocess.run([sys.executable, __file__, "--worker", peer, "--gen", str(gen)],
                                        env=env, capture_output=True, text=True)
                worker_s.setdefault(peer, []).append(time.time() - w0)
                if result.returncode != 0:
                    lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
                    missing[peer] = f"worker failed: {lines[-1][:300] if lines else result.returncode}"
                    print(f"bench_codec: {peer} failed:\n{result.stderr[-2000:]}", file=sys.stderr, flush=True)
                    active.remove(peer)
                    runs[peer] = []
                    continue
                out = json.loads(result.stdout)
                notes[peer] = out.pop("note")
                runs[peer].append(out)
            took = time.time() - t0
            print(f"bench_codec: round {r + 1} took {took:.0f} s", flush=True)
            if r + 1 >= args.min_repeat and not budget.fits(took * 1.2):
                break
    present = [p for p in PEERS if runs[p]]
    rounds = max((len(runs[p]) for p in present), default=0)

    def series(p: str, s: str, op: str) -> list[float | None]:
        return [r[s][op] if s in r else None for r in runs[p]]

    stats = {p: {s: {op: summary([v for v in series(p, s, op) if v is not None]) for op in OPS}
                 for s in SHAPES if any(s in r for r in runs[p])} for p in present}
    sizes = {p: {s: int(runs[p][0][s]["size"]) for s in SHAPES if s in runs[p][0]} for p in present}
    errors = {p: runs[p][0]["errors"] for p in present if runs[p][0]["errors"]}
    ratios = {m: {p: {s: {op: paired_ratio(series(m, s, op), series(p, s, op)) for op in OPS} for s in SHAPES}
                  for p in present if p != m}
              for m in MOONSTUB if m in present}
    data = {"peers": PEERS, "moonstub": MOONSTUB, "others": OTHERS, "shapes": SHAPES, "ops": OPS, "rounds": rounds,
            "stats": stats, "sizes": sizes, "ratios": ratios, "runs": {p: runs[p] for p in present},
            "missing": missing, "errors": errors, "notes": notes, "codec_env": codec_env, "versions": versions(),
            "before": before, "worker_seconds": worker_s, "seconds": time.time() - started}
    write_json(args.json, data)
    report = render(data)
    (HERE / "codec.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
