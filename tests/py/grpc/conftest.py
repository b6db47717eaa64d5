"""Fixtures for the gRPC tests of moonstub's generated companions.

Session fixtures generate ``protos/gtest_service.proto`` three times, each into
its own temporary directory:

* ``ms_aio``  -- moonstub ``--grpc`` (grpc.aio companion),
* ``ms_sync`` -- moonstub ``--grpc --grpc-python-mode=sync``,
* ``pb``      -- grpcio-tools (``python -m grpc_tools.protoc --python_out
  --grpc_python_out``).

moonstub writes the same module names in both modes (``_moonstub``,
``_moonstub_grpc``, ``gtest_v1``, ``gtest_v1_grpc``), so each set is loaded with
``support.load_modules(..., tag=...)`` under unique names (``_gt_aio__gtest_v1``
...); the plain names are in ``sys.modules`` only while it loads.

Servers are real grpcio servers on ``127.0.0.1`` port 0; ``aio_server`` and
``sync_server`` (fixtures returning support's context-manager factories) start
and stop them.

Environment: MOONSTUB -- the moonstub binary (default <repo>/build/moonstub).
"""

from __future__ import annotations

import math
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

import support

HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"
PROTO = "gtest_service.proto"

# Generated modules, in dependency order.
MS_MODULES = ("_moonstub", "_moonstub_grpc", "gtest_v1", "gtest_v1_grpc")
# written beside the output only with a vendored runtime (else the installed package's)
VENDORED_ONLY = ("_moonstub", "_moonstub_grpc")
PB_MODULES = ("gtest_service_pb2", "gtest_service_pb2_grpc")


def load_modules(directory: Path, tag: str, names: tuple[str, ...]) -> dict[str, types.ModuleType]:
    """``support.load_modules`` under the unique names ``_gt_<tag>__<name>``."""
    return support.load_modules(directory, names, tag=f"gt_{tag}")


def generated_modules(out: Path, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` without ``_moonstub`` and ``_moonstub_grpc`` when moonstub did
    not write them (the generated modules then import the installed package's
    ``moonstub.runtime`` and ``moonstub.grpc_support``)."""
    return tuple(n for n in names if n not in VENDORED_ONLY or (out / f"{n}.py").is_file())


def _moonstub_set(tmp_path_factory: pytest.TempPathFactory, mode: str) -> types.SimpleNamespace:
    out = tmp_path_factory.mktemp(f"ms_{mode}")
    flags = ["--grpc", *(["--grpc-python-mode=sync"] if mode == "sync" else [])]
    support.generate(out, [PROTOS], [PROTOS / PROTO], *flags)
    names = generated_modules(out, MS_MODULES)
    for name in names:
        assert (out / f"{name}.py").is_file(), f"moonstub did not write {name}.py in {mode} mode"
    mods = load_modules(out, mode, names)
    return types.SimpleNamespace(
        mode=mode, dir=out, ms=mods["gtest_v1"]._ms, ms_grpc=mods["gtest_v1_grpc"]._ms_grpc,
        msgs=mods["gtest_v1"], grpc=mods["gtest_v1_grpc"],
    )


@pytest.fixture(scope="session")
def loader() -> typing.Callable[[Path, str, tuple[str, ...]], dict[str, types.ModuleType]]:
    """``load_modules``: loads a generated set under unique module names."""
    return load_modules


@pytest.fixture(scope="session")
def moonstub_bin() -> str:
    """The moonstub binary under test."""
    return support.check_binary()


@pytest.fixture(scope="session")
def ms_aio(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """moonstub's grpc.aio set: .msgs (messages), .grpc (companion), .ms, .ms_grpc."""
    return _moonstub_set(tmp_path_factory, "aio")


@pytest.fixture(scope="session")
def ms_sync(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """moonstub's sync grpcio set: .msgs, .grpc, .ms, .ms_grpc."""
    return _moonstub_set(tmp_path_factory, "sync")


@pytest.fixture(scope="session")
def pb(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """grpcio-tools' set: .msgs (gtest_service_pb2), .grpc (gtest_service_pb2_grpc)."""
    out = tmp_path_factory.mktemp("pb")
    proc = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", str(PROTOS), f"--python_out={out}",
                           f"--grpc_python_out={out}", str(PROTOS / PROTO)],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        pytest.fail(f"grpc_tools.protoc failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    mods = load_modules(out, "pb", PB_MODULES)
    return types.SimpleNamespace(dir=out, msgs=mods["gtest_service_pb2"], grpc=mods["gtest_service_pb2_grpc"])


# ---- servers --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def aio_server() -> typing.Callable[[support.Register], typing.AsyncContextManager[str]]:
    """``async with aio_server(register) as address``: ``support.aio_server``."""
    return support.aio_server


@pytest.fixture(scope="session")
def sync_server() -> typing.Callable[..., typing.ContextManager[str]]:
    """``with sync_server(register) as address``: ``support.sync_server``."""
    return support.sync_server


# ---- comparison --------------------------------------------------------------------------------


def _same_scalar(a: object, b: object, where: str) -> None:
    if isinstance(b, float) or isinstance(a, float):
        assert isinstance(a, float) and isinstance(b, float), f"{where}: {a!r} vs {b!r}"
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a!r} vs {b!r}"
    elif isinstance(b, bool) or isinstance(a, bool):
        assert a is b, f"{where}: {a!r} vs {b!r}"
    else:
        assert type(a) is type(b) or isinstance(a, int) and isinstance(b, int), f"{where}: {a!r} vs {b!r}"
        assert a == b, f"{where}: {a!r} vs {b!r}"


def compare_ms_pb(obj: typing.Any, msg: typing.Any, where: str = "") -> None:
    """Asserts a moonstub object and a protobuf message hold the same content,
    field by field along the protobuf descriptor (presence included)."""
    desc = msg.DESCRIPTOR
    where = where or desc.name
    assert type(obj).__name__ == desc.name, f"{where}: {type(obj).__name__} vs {desc.name}"
    for fd in desc.fields:
        path = f"{where}.{fd.name}"
        value = getattr(obj, fd.name)
        pvalue = getattr(msg, fd.name)
        is_msg = fd.type == fd.TYPE_MESSAGE
        if is_msg and fd.message_type.GetOptions().map_entry:
            vfd = fd.message_type.fields_by_name["value"]
            assert isinstance(value, dict), path
            assert set(value) == set(pvalue), f"{path}: keys {sorted(value)} vs {sorted(pvalue)}"
            for key in value:
                if vfd.type == vfd.TYPE_MESSAGE:
                    compare_ms_pb(value[key], pvalue[key], f"{path}[{key!r}]")
                else:
                    _same_scalar(value[key], pvalue[key], f"{path}[{key!r}]")
        elif _is_repeated(fd):
            assert isinstance(value, list), path
            assert len(value) == len(pvalue), f"{path}: {len(value)} vs {len(pvalue)} elements"
            for i, (a, b) in enumerate(zip(value, pvalue)):
                if is_msg:
                    compare_ms_pb(a, b, f"{path}[{i}]")
                else:
                    _same_scalar(int(a) if fd.type == fd.TYPE_ENUM else a, b, f"{path}[{i}]")
        elif fd.has_presence:
            assert (value is not None) == msg.HasField(fd.name), \
                f"{path}: moonstub {value!r}, protobuf HasField={msg.HasField(fd.name)}"
            if value is not None:
                if is_msg:
                    compare_ms_pb(value, pvalue, path)
                else:
                    _same_scalar(value, pvalue, path)
        elif fd.type == fd.TYPE_ENUM:
            assert int(value) == pvalue, f"{path}: {value!r} vs {pvalue!r}"
        else:
            _same_scalar(value, pvalue, path)
    for oneof in desc.oneofs:
        if not getattr(oneof, "is_synthetic", False) and not oneof.name.startswith("_"):
            assert obj.which_oneof(oneof.name) == msg.WhichOneof(oneof.name), f"{where}: oneof {oneof.name}"


def _is_repeated(fd: typing.Any) -> bool:
    if hasattr(fd, "is_repeated"):
        return bool(fd.is_repeated)
    return bool(fd.label == fd.LABEL_REPEATED)


@pytest.fixture(scope="session")
def compare() -> typing.Callable[[typing.Any, typing.Any], None]:
    """``compare(moonstub_obj, protobuf_msg)``: field-by-field equality."""
    return compare_ms_pb
