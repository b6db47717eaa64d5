"""The native codec, the pure-Python codec and upb agree (hypothesis).

Schemas: protobuf's conformance messages (proto2, proto3, editions) and a
googleapis subset (Pub/Sub, Spanner, Firestore, Cloud Tasks: oneofs, maps,
well-known types, Struct/Value recursion). For random messages of every
message type reached:

* native and pure encodings are byte-identical, and equal to upb's
  deterministic bytes (up to the order of map entries, see test_differential);
* upb reads them back with the same content; native and pure decode upb's bytes
  to equal objects;
* mutated bytes: both codecs raise DecodeError with the same message, or both
  return equal objects with the same re-encoding;
* merging (``into``) gives the same result on both paths.

upb's classes come from a descriptor set loaded into a private pool, so no
``_pb2`` module is imported and nothing clashes with other suites.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import support


def _suite_support() -> types.ModuleType:
    """tests/py/conftest.py by path (other folders have conftest modules too)."""
    spec = importlib.util.spec_from_file_location("ms_py_conftest", Path(__file__).with_name("conftest.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_conftest = _suite_support()
CORPUS, REPO = support.CORPUS, support.REPO
Compare, Strategies = _conftest.Compare, _conftest.Strategies

native = pytest.importorskip("moonstub._native", reason="the native codec is not built (make native)")

GOOGLEAPIS = Path(os.environ.get("MOONSTUB_GOOGLEAPIS", str(REPO / "build" / "corpus" / "googleapis")))

CONFORMANCE = (  # under the corpus's src/ or its root
    "google/protobuf/test_messages_proto2.proto",
    "google/protobuf/test_messages_proto3.proto",
    "editions/golden/test_messages_proto2_editions.proto",
    "editions/golden/test_messages_proto3_editions.proto",
)
GOOGLEAPIS_FILES = (
    "google/pubsub/v1/pubsub.proto",
    "google/spanner/v1/spanner.proto",
    "google/firestore/v1/document.proto",
    "google/firestore/v1/query.proto",
    "google/cloud/tasks/v2/task.proto",
)


def examples(n: int) -> int:
    return max(1, int(n * float(os.environ.get("MOONSTUB_FUZZ_SCALE", "1"))))


SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    src = Path(CORPUS) / "src"
    files = [f for f in CONFORMANCE if (src / f).is_file() or (Path(CORPUS) / f).is_file()]
    api = [f for f in GOOGLEAPIS_FILES if (GOOGLEAPIS / f).is_file()]
    if len(files) < 3 or len(api) < 3:
        pytest.skip("conformance or googleapis schemas not found (make build/corpus/.stamp)")
    base = tmp_path_factory.mktemp("agree")
    out = base / "py"
    includes = ["-I", str(src), "-I", str(CORPUS), "-I", str(GOOGLEAPIS)]
    paths = [str(src / f if (src / f).is_file() else Path(CORPUS) / f) for f in files]
    support.generate(out, [src, CORPUS, GOOGLEAPIS], [*paths, *[str(GOOGLEAPIS / f) for f in api]],
                     "--opt", "runtime=vendored", timeout=300)
    descriptors = base / "all.pb"
    support.run_checked([sys.executable, "-m", "grpc_tools.protoc", *includes, "--include_imports",
                         f"--descriptor_set_out={descriptors}", *files, *api], timeout=300)

    # the generated modules (their own vendored runtime first); sys.modules is put back after
    names = ["_moonstub", *sorted(p.stem for p in out.glob("*.py") if p.stem != "_moonstub")]
    modules = support.load_modules(out, names)
    ms = modules["_moonstub"]

    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes())
    for fd in fds.file:
        pool.Add(fd)
    pb_classes: dict[str, type] = {}

    def pb_class(ms_cls: type) -> type:
        name = ms_cls._ms_full_name
        cls = pb_classes.get(name)
        if cls is None:
            cls = pb_classes[name] = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
        return cls

    def required(ms_cls: type) -> set[str]:
        return {f.name for f in pb_class(ms_cls).DESCRIPTOR.fields if f.is_required}

    wanted = ("protobuf_test_messages.", "google.pubsub.", "google.spanner.", "google.firestore.",
              "google.cloud.tasks.", "google.protobuf.", "google.rpc.", "google.type.")
    names = sorted(n for n, c in ms.REGISTRY.items() if n.startswith(wanted) and c.__module__ in modules)
    return World(ms=ms, pb_class=pb_class, strategies=Strategies(ms, required), compare=Compare(ms), names=names,
                 codecs={})


class World(types.SimpleNamespace):
    def __repr__(self) -> str:  # hypothesis prints the fixture with every failure
        return f"<{len(self.names)} message types>"


def codecs(world: World, cls: type) -> tuple:
    pair = world.codecs.get(cls)
    if pair is None:
        pair = world.codecs[cls] = (world.ms.codec_of(cls, "native"), world.ms.codec_of(cls, "python"))
    return pair


def assert_same_bytes(world: World, cls: type, obj: object, got: bytes, expected: bytes) -> None:
    if got == expected:
        return
    assert world.compare.has_unordered_map(obj), f"\nmoonstub: {got.hex()}\nupb:      {expected.hex()}"
    assert world.compare.canonical_wire(got, cls) == world.compare.canonical_wire(expected, cls)


def outcome(codec: object, data: bytes) -> tuple:
    try:
        obj = codec.decode(data, None)
    except Exception as exc:  # noqa: BLE001 - the class and message are compared
        return ("error", type(exc).__name__, str(exc))
    return ("ok", obj)


def encoded(codec: object, obj: object) -> tuple:
    """The encoding, or the error (a decoded message may lack required fields)."""
    try:
        return ("ok", codec.encode(obj))
    except Exception as exc:  # noqa: BLE001 - the class and message are compared
        return ("error", type(exc).__name__, str(exc))


def test_schemas_are_covered(world):
    assert len(world.names) > 300, len(world.names)


@settings(max_examples=examples(600), **SETTINGS)
@given(data=st.data())
def test_native_pure_and_upb_agree(world, data):
    cls = world.ms.REGISTRY[data.draw(st.sampled_from(world.names), label="type")]
    obj = data.draw(world.strategies.message(cls), label="message")
    nat, pure = codecs(world, cls)
    wire = nat.encode(obj)
    assert wire == pure.encode(obj)
    pb = world.pb_class(cls).FromString(wire)
    world.compare.ms_vs_pb(obj, pb)
    pb_wire = world.compare.to_pb(obj, world.pb_class(cls)()).SerializeToString(deterministic=True)
    assert_same_bytes(world, cls, obj, wire, pb_wire)
    for codec in (nat, pure):
        for source in (wire, pb_wire):
            back = codec.decode(source, None)
            diff = world.compare.ms_diff(obj, back)
            assert diff is None, diff


@settings(max_examples=examples(600), **SETTINGS)
@given(data=st.data())
def test_mutated_bytes_agree(world, data):
    cls = world.ms.REGISTRY[data.draw(st.sampled_from(world.names), label="type")]
    obj = data.draw(world.strategies.message(cls), label="message")
    nat, pure = codecs(world, cls)
    wire = bytearray(nat.encode(obj))
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]), label="how")
        at = data.draw(st.integers(0, len(wire)), label="at")
        if how == "flip" and wire:
            wire[min(at, len(wire) - 1)] = data.draw(st.integers(0, 255))
        elif how == "cut":
            del wire[at:]
        else:
            wire[at:at] = data.draw(st.binary(min_size=1, max_size=4))
    a, b = outcome(nat, bytes(wire)), outcome(pure, bytes(wire))
    if a[0] == "error" or b[0] == "error":
        assert a == b
        assert a[1] == "DecodeError"
        return
    diff = world.compare.ms_diff(a[1], b[1])
    assert diff is None, diff
    assert encoded(nat, a[1]) == encoded(pure, b[1])


@settings(max_examples=examples(200), **SETTINGS)
@given(data=st.data())
def test_merge_agrees(world, data):
    cls = world.ms.REGISTRY[data.draw(st.sampled_from(world.names), label="type")]
    first = data.draw(world.strategies.message(cls), label="first")
    second = data.draw(world.strategies.message(cls), label="second")
    nat, pure = codecs(world, cls)
    if encoded(nat, first)[0] == "error" or encoded(nat, second)[0] == "error":
        return  # a required field left unset (the strategies set them at the root only)
    wire = nat.encode(second)
    merged_native = nat.decode(wire, first)
    merged_pure = pure.decode(wire, first)
    diff = world.compare.ms_diff(merged_native, merged_pure)
    assert diff is None, diff
    # and merging equals decoding the concatenation, as protobuf defines it
    both = nat.decode(nat.encode(first) + wire, None)
    assert encoded(nat, merged_native) == encoded(nat, both) == encoded(pure, merged_pure)
