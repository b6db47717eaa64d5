"""moonstub against foryc over Apache Fory's own schemas (issue 22).

The schemas, gRPC peers and ``roundtrip.py`` of apache/fory are vendored in
schemas/upstream/ (see its README). For every schema file foryc accepts:

* moonstub accepts it too (``test_accepts``);
* the classes both generators write have the same names and the same field
  metadata -- attribute, ``id``, ``nullable``, ``ref`` and the annotation --,
  the same enum members and union cases, and register the same type ids
  (``test_metadata``), compared mechanically from the loaded modules;
* one value of every message and one of every case of every union, built
  from the annotations (every field set, one element in each list and map,
  the first case of a union inside a message), travels foryc -> moonstub ->
  foryc with ``compatible=False`` and ``True``: moonstub's classes read
  foryc's bytes to the same value and write the same bytes back
  (``test_values_cross``).

Without foryc these tests skip, or fail under CI / MOONSTUB_REQUIRE_FORYC=1
(fory_helpers.require_foryc).

Fory's interop peers (integration_tests/grpc_tests/python, aio and sync) run
as servers and clients on moonstub's modules and foryc's, all four pairings,
FBS union RPCs included (``test_grpc_peers``); ``roundtrip.py`` runs on both
outputs and every check of it must end on moonstub's as on foryc's
(``test_roundtrip``).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import os
import re
import shutil
import subprocess
import sys
import types
import typing
from pathlib import Path

import pyfory
import pyfory.error
import pyfory.union
import pytest
from fory_helpers import FORYC, SCHEMAS, assert_same, load_set, moonstub, require_foryc

UP = SCHEMAS / "upstream"

# (folder, file): the 23 files foryc accepts as they are, and user.fdl without
# the `optional` on message fields that foryc refuses
SCHEMA_SET = [
    *[("idl", name) for name in (
        "addressbook.fdl", "any_example.fdl", "any_example.proto", "auto_id.fdl", "basic.fdl", "collection.fdl",
        "complex_fbs.fbs", "complex_pb.proto", "evolving1.idl", "evolving2.idl", "example.fdl", "graph.fdl",
        "monster.fbs", "nested_name.fdl", "optional_types.fdl", "root.idl", "tree.fdl")],
    *[("grpc_idl", name) for name in ("grpc_fbs.fbs", "grpc_fdl.fdl", "grpc_pb.proto")],
    *[("examples", name) for name in ("common.fdl", "demo.fdl", "service.fdl", "user.fdl")],
]
IDS = [name for _, name in SCHEMA_SET]


def _source_dir(tmp: Path, folder: str) -> Path:
    """The schema folder; examples/ is copied with user.fdl's `optional Message` fixed."""
    if folder != "examples":
        return UP / folder
    out = tmp / "examples_src"
    if not out.exists():
        shutil.copytree(UP / folder, out)
        user = out / "user.fdl"
        user.write_text(re.sub(r"optional (Address|Contact) ", r"\1 ", user.read_text()))
    return out


def _imports(path: Path) -> list[str]:
    return re.findall(r"^import (\w+)$", path.read_text(), flags=re.MULTILINE)


def _module_order(directory: Path) -> list[str]:
    """The generated message modules of `directory`, imported ones first."""
    names = sorted(p.stem for p in directory.glob("*.py")
                   if not p.stem.endswith("_grpc") and not p.stem.startswith("_moonstub"))
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in names:
            return
        for dep in _imports(directory / f"{name}.py"):
            visit(dep)
        order.append(name)

    for name in names:
        visit(name)
    return order


@dataclasses.dataclass
class Pair:
    name: str
    src: Path
    fc_dir: Path
    ms_dir: Path
    fc_rc: int
    ms_rc: int
    ms_err: str
    fc: dict[str, types.ModuleType] = dataclasses.field(default_factory=dict)
    fc2: dict[str, types.ModuleType] = dataclasses.field(default_factory=dict)  # a second copy of foryc's
    ms: dict[str, types.ModuleType] = dataclasses.field(default_factory=dict)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    require_foryc()
    base = tmp_path_factory.mktemp("upstream")
    out: dict[str, Pair] = {}
    for i, (folder, name) in enumerate(SCHEMA_SET):
        src = _source_dir(base, folder)
        fc_dir, ms_dir = base / f"fc{i}", base / f"ms{i}"
        fc_dir.mkdir()
        ms_dir.mkdir()
        fc = subprocess.run([FORYC, name, f"--python_out={fc_dir}", "--grpc"], cwd=src, capture_output=True,
                            text=True, timeout=120, check=False)
        ms = moonstub("-I", str(src), str(src / name), f"--python_out={ms_dir}", "--grpc", "--codec=fory",
                      "--opt", "runtime=vendored")
        pair = Pair(name, src, fc_dir, ms_dir, fc.returncode, ms.returncode, ms.stderr)
        if fc.returncode == 0 and ms.returncode == 0:
            pair.fc = load_set(fc_dir, f"up{i}fc", _module_order(fc_dir))
            pair.fc2 = load_set(fc_dir, f"up{i}fc2", _module_order(fc_dir))
            pair.ms = load_set(ms_dir, f"up{i}ms", _module_order(ms_dir))
        out[name] = pair
    return out


@pytest.mark.parametrize("name", IDS)
def test_accepts(pairs: dict[str, Pair], name: str) -> None:
    pair = pairs[name]
    assert pair.fc_rc == 0, f"foryc refuses {name}"
    assert pair.ms_rc == 0, f"moonstub refuses {name}:\n{pair.ms_err}"
    assert " error:" not in pair.ms_err


# ---- metadata ---------------------------------------------------------------------------------


def _classes(module: types.ModuleType) -> dict[str, type]:
    """Every class the module defines, nested ones included, by qualname."""
    found: dict[str, type] = {}

    def walk(prefix: str, namespace: typing.Any) -> None:
        for key, value in vars(namespace).items():
            if isinstance(value, type) and value.__module__ == module.__name__ \
                    and value.__qualname__ == prefix + key:
                found[value.__qualname__] = value
                walk(prefix + key + ".", value)

    walk("", module)
    return found


def _own_modules(pair: Pair) -> list[str]:
    """The modules foryc writes for the file itself (moonstub may write the imported ones too)."""
    return [p.stem for p in pair.fc_dir.glob("*.py") if not p.stem.endswith("_grpc")]


def _annotation(text: typing.Any, module: types.ModuleType, others: typing.Iterable[str]) -> str:
    """An annotation with the module's own prefix for imported classes kept comparable."""
    value = " ".join(str(text).split())
    for other in others:
        value = value.replace(f"_fy_{other}", other)
    return value


def _field_meta(cls: type) -> list[tuple[typing.Any, ...]]:
    rows = []
    for f in dataclasses.fields(cls):
        meta = next((v for v in f.metadata.values() if hasattr(v, "nullable")), None)
        rows.append((f.name, getattr(meta, "id", None), getattr(meta, "nullable", None), getattr(meta, "ref", None),
                     " ".join(str(f.type).split())))
    return rows


def _registered(module: types.ModuleType, name: str) -> list[tuple[str, str]]:
    """(qualname, how) of every registration the module's register function makes."""
    calls: list[tuple[str, str]] = []

    class Recorder:
        type_resolver = None

        def register_type(self, cls: type, **kw: typing.Any) -> None:
            calls.append((cls.__qualname__, repr(sorted((k, v) for k, v in kw.items() if k != "serializer"))))

        register_union = register_type

    getattr(module, f"register_{name}_types")(Recorder())
    return sorted(calls)


@pytest.mark.parametrize("name", IDS)
def test_metadata(pairs: dict[str, Pair], name: str) -> None:
    pair = pairs[name]
    if not pair.fc:
        pytest.fail(f"not generated by both: foryc {pair.fc_rc}, moonstub {pair.ms_rc}")
    compared = 0
    for module in _own_modules(pair):
        fc_mod, ms_mod = pair.fc[module], pair.ms[module]
        fc_classes, ms_classes = _classes(fc_mod), _classes(ms_mod)
        for qualname, fc_cls in fc_classes.items():
            where = f"{module}.{qualname}"
            assert qualname in ms_classes, f"{where}: not in moonstub's module"
            ms_cls = ms_classes[qualname]
            if dataclasses.is_dataclass(fc_cls):
                assert _field_meta(ms_cls) == _field_meta(fc_cls), where
                fc_evolving = getattr(fc_cls, "__fory_object_metadata__", None)
                ms_evolving = getattr(ms_cls, "__fory_object_metadata__", None)
                assert repr(ms_evolving) == repr(fc_evolving), f"{where}: evolving"
                compared += 1
            elif issubclass(fc_cls, enum.Enum):
                assert [(m.name, m.value) for m in ms_cls] == [(m.name, m.value) for m in fc_cls], where
                compared += 1
        assert _registered(ms_mod, module) == _registered(fc_mod, module), module
        # foryc's modules export every public name (no __all__): moonstub's
        # __all__ names each public class foryc writes at the top level
        exported = set(getattr(ms_mod, "__all__", []))
        for key, value in vars(fc_mod).items():
            if isinstance(value, type) and value.__module__ == fc_mod.__name__ and not key.startswith("_"):
                assert key in exported, f"{module}.__all__ lacks {key}"
    assert compared > 0


# ---- values -------------------------------------------------------------------------------------

_INT_VALUES = {2: -100, 3: -30000, 4: -70000, 5: 70000, 6: -(1 << 40), 7: 1 << 40, 8: 1 << 40, 9: 200,
               10: 60000, 11: 1 << 31, 12: 1 << 31, 13: 1 << 62, 14: 1 << 63, 15: 1 << 62}


class Builder:
    """One value of a generated class, every field set, from its type hints
    (pyfory's Annotated markers: Int8 ... TaggedUInt64, Float16 ..., Array[T],
    Ref[T]); nested messages to a depth of 3, then None or empty lists."""

    def __init__(self) -> None:
        self.depth = 0
        self.refused: list[str] = []  # union cases foryc's class refuses to build

    def value(self, hint: typing.Any, nullable: bool = False) -> typing.Any:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Annotated:
            base, marker = args[0], args[1]
            if isinstance(marker, int):
                if base is int:
                    return _INT_VALUES.get(marker, 100)
                return 1.5
            if type(marker).__name__ == "ArrayMeta":
                return [self.value(marker.element_type)]
            return self.value(base, nullable)  # Ref[T]
        if origin is typing.Union:
            inner = [a for a in args if a is not type(None)]
            if self.depth > 3:
                return None
            return self.value(inner[0], True)
        if origin is list:
            return [] if self.depth > 3 else [self.value(args[0])]
        if origin is dict:
            return {} if self.depth > 3 else {self.value(args[0]): self.value(args[1])}
        simple = {bool: True, str: "text", bytes: b"\x00\x01", int: 100, float: 1.5,
                  datetime.date: datetime.date(2024, 2, 29),
                  datetime.datetime: datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc),
                  datetime.timedelta: datetime.timedelta(seconds=90), decimal.Decimal: decimal.Decimal("12.5"),
                  typing.Any: "any value"}
        if hint in simple:
            return simple[hint]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return list(hint)[-1]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if self.depth > 3 and nullable:
                return None
            return self.message(hint)
        if isinstance(hint, type) and hasattr(hint, "_from_case_id"):
            return self.union(hint)
        raise AssertionError(f"no value for {hint!r}")

    def message(self, cls: type) -> typing.Any:
        hints = typing.get_type_hints(cls, sys.modules[cls.__module__].__dict__, _namespace(cls), include_extras=True)
        self.depth += 1
        try:
            kwargs = {}
            for f in dataclasses.fields(cls):
                meta = next((v for v in f.metadata.values() if hasattr(v, "nullable")), None)
                kwargs[f.name] = self.value(hints[f.name], bool(getattr(meta, "nullable", False)))
            return cls(**kwargs)
        finally:
            self.depth -= 1

    def union(self, cls: type, case: typing.Any = None) -> typing.Any:
        """A value of `case` (a member of the union's Case enum; the first case
        when None), typed by its factory's annotation (Shape.label(v: str))."""
        module = sys.modules[cls.__module__]
        if case is None:
            case = next(iter(union_cases(cls)))
        factory = getattr(cls, case.name.lower(), None) or getattr(cls, case.name.lower() + "_")
        hint = typing.get_type_hints(factory, module.__dict__, {**_namespace(cls), **vars(_outer(cls, module))},
                                     include_extras=True)["v"]
        self.depth += 1
        try:
            value = self.value(hint)
        finally:
            self.depth -= 1
        try:
            return cls(case, value)
        except TypeError:
            # foryc 1.7.7's _validate checks every float case (pyfory.Float16
            # ... Float64) with isinstance(v, int): its class refuses a float.
            # Built past the check, listed (FORYC_REFUSED_CASES) so that a change shows
            self.refused.append(f"{cls.__qualname__}.{case.name}")
            union = cls.__new__(cls)
            pyfory.union.Union.__init__(union, case.value, value)
            union._case = case
            return union


def union_cases(cls: type) -> list[typing.Any]:
    """The members of a generated union's Case enum (`<U>Case`, next to the union)."""
    module = sys.modules[cls.__module__]
    return list(getattr(_outer(cls, module), cls.__name__ + "Case"))


def _namespace(cls: type) -> dict[str, typing.Any]:
    namespace: dict[str, typing.Any] = {}
    outer: typing.Any = sys.modules[cls.__module__]
    for part in cls.__qualname__.split(".")[:-1]:
        outer = getattr(outer, part)
        namespace.update(vars(outer))
    return namespace


def _outer(cls: type, module: types.ModuleType) -> typing.Any:
    outer: typing.Any = module
    for part in cls.__qualname__.split(".")[:-1]:
        outer = getattr(outer, part)
    return outer


def _fory(modules: dict[str, types.ModuleType], compatible: bool) -> pyfory.Fory:
    fory = pyfory.Fory(xlang=True, ref=True, compatible=compatible)
    for name, module in modules.items():
        getattr(module, f"register_{name}_types")(fory)
    return fory


def _aliased_modules(pair: Pair, which: str) -> dict[str, types.ModuleType]:
    return pair.fc if which == "fc" else pair.ms


@pytest.mark.parametrize("compatible", [False, True], ids=["schema_consistent", "compatible"])
@pytest.mark.parametrize("name", IDS)
def test_values_cross(pairs: dict[str, Pair], name: str, compatible: bool) -> None:
    pair = pairs[name]
    if not pair.fc:
        pytest.fail(f"not generated by both: foryc {pair.fc_rc}, moonstub {pair.ms_rc}")
    pyfory_fails: list[str] = []
    builder = Builder()
    for module in _own_modules(pair):
        for qualname, fc_cls in _classes(pair.fc[module]).items():
            if dataclasses.is_dataclass(fc_cls):
                values = [(qualname, lambda cls=fc_cls: builder.message(cls))]
            elif hasattr(fc_cls, "_from_case_id"):
                # every case of a union, each a value of its own
                values = [(f"{qualname}.{case.name}", lambda cls=fc_cls, case=case: builder.union(cls, case))
                          for case in union_cases(fc_cls)]
            else:
                continue
            for label, build in values:
                where = f"{module}.{label}"
                # fresh instances for each value: a Fory in compatible mode remembers the
                # type definitions it has written, its reader those it has read
                fc_fory, ms_fory = _fory(pair.fc, compatible), _fory(pair.ms, compatible)
                refused = len(builder.refused)
                value = build()
                # a case foryc's class refuses: its classes cannot read the value
                # back either (their _validate again); moonstub's must still
                foryc_reads = len(builder.refused) == refused
                try:
                    data = fc_fory.serialize(value)
                except Exception as exc:  # noqa: BLE001 - foryc's own classes: pyfory's, not ours
                    pyfory_fails.append(f"{label}: write {type(exc).__name__}")
                    continue
                if foryc_reads:
                    try:
                        _fory(pair.fc2, compatible).deserialize(data)
                    except Exception as exc:  # noqa: BLE001 - pyfory's, measured on foryc's classes alone
                        pyfory_fails.append(f"{label}: {type(exc).__name__}")
                        continue
                ours = ms_fory.deserialize(data)
                assert type(ours).__qualname__ == qualname, where
                assert_same(ours, value, where)
                back = ms_fory.serialize(ours)
                assert bytes(back) == bytes(data), f"{where}: moonstub writes other bytes"
                if foryc_reads:
                    assert_same(fc_fory.deserialize(back), value, where)
    assert sorted(set(builder.refused)) == sorted(FORYC_REFUSED_CASES.get(name, [])), builder.refused
    # values one Fory instance writes and another, with the same (foryc's)
    # classes, cannot read: pyfory 1.7.7's, listed so that a change shows
    assert sorted(pyfory_fails) == sorted(PYFORY_CROSS_INSTANCE.get((name, compatible), [])), pyfory_fails


# foryc 1.7.7: union cases of float types its own class refuses to build with
# a float (its _validate tests isinstance(v, int); moonstub's tests float)
FORYC_REFUSED_CASES: dict[str, list[str]] = {
    "example.fdl": ["ExampleMessageUnion.BFLOAT16_VALUE", "ExampleMessageUnion.FLOAT16_VALUE",
                    "ExampleMessageUnion.FLOAT32_VALUE", "ExampleMessageUnion.FLOAT64_VALUE"],
}

# pyfory 1.7.7: with compatible=True, an evolving=False struct (a FlatBuffers
# struct, [evolving=false]) written by one Fory instance is misread by another
# even with the very same classes (the writing instance reads it back)
PYFORY_CROSS_INSTANCE: dict[tuple[str, bool], list[str]] = {
    ("complex_fbs.fbs", True): ["ScalarPack: ValueError"],
    ("evolving1.idl", True): ["FixedMessage: ValueError", "FixedSizeMessage: ValueError"],
    ("evolving2.idl", True): ["FixedMessage: ValueError", "FixedSizeMessage: ValueError"],
    ("example.fdl", True): ["ExampleLeaf: ValueError"],
    ("monster.fbs", True): ["Vec3: ValueError"],
    # a union registered by name (enable_auto_type_id = false) with
    # compatible=True: pyfory ignores its serializer (test_pyfory_named_union)
    # (as a field of Envelope it goes through the declared serializer and works)
    ("nested_name.fdl", True): ["Envelope.Choice.NODE: write TypeUnregisteredError",
                                "Envelope.Choice.NOTE: write TypeUnregisteredError"],
}


class _Case(enum.Enum):
    TEXT = 1


class _U(pyfory.union.Union):  # type: ignore[misc]
    __slots__ = ("_case",)

    def __init__(self, case: _Case, value: object) -> None:
        super().__init__(case.value, value)
        self._case = case

    @classmethod
    def _from_case_id(cls, case_id: int, value: object) -> _U:
        return cls(_Case(case_id), value)


class _USerializer(pyfory.union.UnionSerializer):  # type: ignore[misc]
    def __init__(self, resolver: typing.Any) -> None:
        super().__init__(resolver, _U, {1: str})


@pytest.mark.parametrize("compatible", [False, True])
@pytest.mark.parametrize("how", [{"type_id": 3000}, {"name": "demo.U"}], ids=["by_id", "by_name"])
def test_pyfory_named_union(compatible: bool, how: dict[str, typing.Any]) -> None:
    """Why nested_name.Envelope.Choice fails in both generators: pyfory 1.7.7
    does not use the serializer of a union registered by name when
    compatible=True (it writes the object's attributes, here the case Enum).
    No generated code involved; the day pyfory fixes it, this test fails and
    the entry of PYFORY_CROSS_INSTANCE for nested_name.fdl goes. The report
    for apache/fory is docs/fory.md, "pyfory bug: named unions under
    compatible=True" (not filed from here: no GitHub access)."""
    fory = pyfory.Fory(xlang=True, compatible=compatible)
    fory.register_union(_U, serializer=_USerializer(fory.type_resolver), **how)
    value = _U(_Case.TEXT, "x")
    if compatible and "name" in how:
        with pytest.raises(pyfory.error.TypeUnregisteredError):
            fory.serialize(value)
    else:
        back = fory.deserialize(fory.serialize(value))
        assert (type(back), back.case_id(), back._value) == (_U, 1, "x")


# ---- Fory's gRPC peers ------------------------------------------------------------------------------

PEERS = UP / "grpc_python"
GRPC_FILES = ["grpc_fdl.fdl", "grpc_fbs.fbs", "grpc_pb.proto"]


@pytest.fixture(scope="module")
def peer_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(generator, mode) -> the folder of the three gRPC test schemas' modules."""
    require_foryc()
    base = tmp_path_factory.mktemp("peers")
    src = UP / "grpc_idl"
    out: dict[tuple[str, str], Path] = {}
    for mode in ("aio", "sync"):
        fc, ms = base / f"fc_{mode}", base / f"ms_{mode}"
        fc.mkdir()
        ms.mkdir()
        flags = ["--grpc-python-mode=sync"] if mode == "sync" else []
        for name in GRPC_FILES:
            proc = subprocess.run([FORYC, name, f"--python_out={fc}", "--grpc", *flags], cwd=src,
                                  capture_output=True, text=True, timeout=120, check=False)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = moonstub("-I", str(src), *[str(src / n) for n in GRPC_FILES], f"--python_out={ms}", "--grpc",
                        "--codec=fory", "--opt", "runtime=vendored", *flags)
        assert proc.returncode == 0, proc.stderr
        out[("fc", mode)], out[("ms", mode)] = fc, ms
    return out


def _peer(generated: Path, module: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(generated), str(PEERS)]))
    return subprocess.Popen([sys.executable, "-m", f"{module}.grpc_peer", *args], cwd=PEERS, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("mode", ["aio", "sync"])
@pytest.mark.parametrize("server,client", [("ms", "ms"), ("ms", "fc"), ("fc", "ms"), ("fc", "fc")])
def test_grpc_peers(peer_dirs: dict[tuple[str, str], Path], tmp_path: Path, mode: str, server: str,
                    client: str) -> None:
    """Fory's own Python peer (grpc_tests / grpc_sync_tests, unchanged) as the
    server on one generator's modules and as the client on the other's: every
    RPC of the FDL, FBS (union RPCs included) and protobuf services, in the
    four shapes, is called and its answer checked by the peer itself."""
    module = "grpc_tests" if mode == "aio" else "grpc_sync_tests"
    port_file = tmp_path / "port"
    proc = _peer(peer_dirs[(server, mode)], module, "server", "--port-file", str(port_file))
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            if proc.poll() is not None:
                pytest.fail(f"the {server} server exited:\n{proc.stderr.read() if proc.stderr else ''}")
            import time

            time.sleep(0.05)
        else:
            pytest.fail("the server did not start")
        target = f"127.0.0.1:{port_file.read_text().strip()}"
        client_proc = _peer(peer_dirs[(client, mode)], module, "client", "--target", target)
        stdout, stderr = client_proc.communicate(timeout=120)
        assert client_proc.returncode == 0, f"{client} client against {server} server:\n{stdout}\n{stderr}"
    finally:
        proc.kill()
        proc.communicate(timeout=30)


# ---- roundtrip.py ---------------------------------------------------------------------------------

# the files Fory's generate_idl.py compiles for Python
ROUNDTRIP_FILES = ["addressbook.fdl", "collection.fdl", "optional_types.fdl", "basic.fdl", "tree.fdl", "graph.fdl",
                   "root.idl", "evolving1.idl", "evolving2.idl", "any_example.fdl", "any_example.proto",
                   "monster.fbs", "complex_fbs.fbs", "auto_id.fdl", "example.fdl"]



def _roundtrip(generated: Path) -> dict[str, str]:
    import json

    path = os.pathsep.join([str(generated), str(UP / "idl_python"), str(Path(__file__).parent)])
    env = dict(os.environ, PYTHONPATH=path, ENABLE_FORY_CYTHON_SERIALIZATION="0")
    proc = subprocess.run([sys.executable, "-m", "roundtrip_driver"], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    return typing.cast(dict[str, str], json.loads(proc.stdout.strip().splitlines()[-1]))


def test_roundtrip(tmp_path: Path) -> None:
    """Every check of Fory's roundtrip.py passes on moonstub's modules as on
    foryc's, with pyfory's pure-Python serializers as Fory's own script runs
    it (ENABLE_FORY_CYTHON_SERIALIZATION=0)."""
    require_foryc()
    src = UP / "idl"
    fc, ms = tmp_path / "fc", tmp_path / "ms"
    fc.mkdir()
    for name in ROUNDTRIP_FILES:
        proc = subprocess.run([FORYC, name, f"--python_out={fc}"], cwd=src, capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout
    proc = moonstub("-I", str(src), *[str(src / n) for n in ROUNDTRIP_FILES], f"--python_out={ms}", "--codec=fory",
                    "--opt", "runtime=vendored")
    assert proc.returncode == 0, proc.stderr
    theirs, ours = _roundtrip(fc), _roundtrip(ms)
    assert len(theirs) == 25 and set(theirs.values()) == {"ok"}, theirs
    assert ours == theirs
