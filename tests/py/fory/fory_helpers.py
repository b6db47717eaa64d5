"""Helpers shared by the Fory-codec tests (tests/py/fory/).

* ``moonstub(...)`` / ``foryc(...)`` run the two generators (``moonstub`` and
  ``generate`` through tests/py/support.py);
* ``load_set(directory, tag, names)`` loads generated modules under unique
  names (``_fy_<tag>__<name>``, ``support.load_modules``), aliasing the plain
  names in ``sys.modules`` only while they load, so that two sets defining the
  same module names (moonstub's and foryc's, or moonstub's aio and sync
  companions) live side by side in one process;
* ``aliased(modules)`` does the same aliasing around code that imports the
  plain names itself (the seed snippets' ``import demo_greeter``);
* ``aio_server`` / ``sync_server`` (support's) run real grpcio servers on 127.0.0.1:0;
* ``canon(value)`` turns a generated object of either set into plain data
  (class names, union cases, enum names and numbers, shared references) so
  that objects of moonstub's and foryc's classes compare field by field.

Environment: MOONSTUB (default <repo>/build/moonstub), FORYC (default: foryc
next to the running Python, i.e. .venv/bin/foryc). Without foryc the tests
that need it skip, unless CI is set (to anything but "", "0" or "false") or
MOONSTUB_REQUIRE_FORYC=1: then they fail (``require_foryc``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import enum
import os
import subprocess
import sys
import types
import typing
from pathlib import Path

import grpc
import grpc.aio
import pytest

import support

HERE = Path(__file__).resolve().parent
REPO = support.REPO
SCHEMAS = HERE / "schemas"
MOONSTUB = support.MOONSTUB
FORYC = os.environ.get("FORYC", str(Path(sys.executable).parent / "foryc"))
SEED = Path("/work/shared/seeds/000_cda4eb324d3fc40a.txt")


check_binary = support.check_binary
moonstub = support.run_moonstub


def generate(out: Path, root: Path, files: typing.Sequence[str], *flags: str) -> Path:
    """``support.generate`` for ``root/<file>``... with a vendored runtime."""
    return support.generate(out, [root], [root / f for f in files], "--opt", "runtime=vendored", *flags)


def foryc_required() -> bool:
    """Whether a missing foryc fails the tests rather than skipping them."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false") \
        or os.environ.get("MOONSTUB_REQUIRE_FORYC") == "1"


def require_foryc() -> None:
    """Skips the test when foryc is missing, or fails it where foryc is
    required (in CI), so that a CI run without foryc does not pass green."""
    if os.access(FORYC, os.X_OK):
        return
    if foryc_required():
        pytest.fail(f"foryc not found at {FORYC}, and CI or MOONSTUB_REQUIRE_FORYC=1 requires it")
    pytest.skip(f"foryc not found at {FORYC}")


def foryc(out: Path, root: Path, files: typing.Sequence[str], *flags: str) -> Path:
    """foryc files --python_out=out flags... (run in ``root``)."""
    require_foryc()
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([FORYC, *files, f"--python_out={out}", *flags], capture_output=True, text=True,
                          timeout=120, cwd=root, check=False)
    if proc.returncode != 0:
        pytest.fail(f"foryc failed ({proc.returncode}) on {list(files)} {flags}:\n{proc.stdout}\n{proc.stderr}")
    return out


def load_set(directory: Path, tag: str, names: typing.Sequence[str]) -> dict[str, types.ModuleType]:
    """``support.load_modules`` under the unique names ``_fy_<tag>__<name>``."""
    return support.load_modules(directory, names, tag=f"fy_{tag}")


def _restore(saved: dict[str, types.ModuleType | None]) -> None:
    for name, old in saved.items():
        if old is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = old


@contextlib.contextmanager
def aliased(modules: dict[str, types.ModuleType]) -> typing.Iterator[None]:
    """``import <name>`` inside the block binds the given module."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        _restore(saved)


def exec_snippet(text: str, modules: dict[str, types.ModuleType], name: str) -> dict[str, typing.Any]:
    """Executes ``text`` as the body of a module called ``name`` (not
    ``__main__``, so ``if __name__ == "__main__":`` blocks do not run), with
    ``modules`` importable under their plain names; returns its globals."""
    namespace: dict[str, typing.Any] = {"__name__": name}
    with aliased(modules):
        exec(compile(text, f"<{name}>", "exec"), namespace)  # noqa: S102 - the seed's code, on purpose
    return namespace


def normalized(text: str) -> str:
    return " ".join(text.split())


# ---- servers ----------------------------------------------------------------------------

aio_server = support.aio_server
sync_server = support.sync_server


RAW_SHAPES = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


def raw_call_aio(channel: grpc.aio.Channel, shape: str, path: str, payload: bytes) -> typing.Any:
    """A call that sends ``payload`` as is (no serializer), in the given shape."""
    method = getattr(channel, shape)(path)
    if shape.startswith("stream"):
        return method(iter([payload]))
    return method(payload)


async def aio_status(channel: grpc.aio.Channel, shape: str, path: str, payload: bytes) -> grpc.StatusCode:
    """The status code a raw call ends with."""
    call = raw_call_aio(channel, shape, path, payload)
    try:
        if shape.endswith("stream"):
            async for _ in call:
                pass
        else:
            await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def sync_status(channel: grpc.Channel, shape: str, path: str, payload: bytes) -> grpc.StatusCode:
    method = getattr(channel, shape)(path)
    argument: typing.Any = iter([payload]) if shape.startswith("stream") else payload
    try:
        result = method(argument, timeout=10)
        if shape.endswith("stream"):
            for _ in result:
                pass
    except grpc.RpcError as exc:
        return typing.cast(grpc.StatusCode, exc.code())  # type: ignore[attr-defined]
    return grpc.StatusCode.OK


# ---- canonical form ---------------------------------------------------------------------------


def canon(value: typing.Any, _seen: dict[int, int] | None = None) -> typing.Any:
    """Plain data for a generated value of either generator, for ``==``.

    Messages become ``(qualname, {field: ...})``, unions ``(qualname,
    case_id, value)``, enums ``(qualname, name, number)``, pyfory arrays and
    lists lists, maps dicts. A message object met again (a shared or cyclic
    ``ref``) becomes ``("same", n)`` where n is the order it was first met,
    so reference structure is compared too. float16/bfloat16/float32 values
    are compared as the Python floats pyfory returns."""
    seen = {} if _seen is None else _seen
    if value is None or isinstance(value, (bool, str, bytes, decimal.Decimal, datetime.date, datetime.timedelta)):
        return value
    if isinstance(value, enum.Enum):
        return (type(value).__qualname__, value.name, int(value.value))
    if isinstance(value, float):
        return ("float", value.hex())  # -0.0 is not 0.0, nan is nan
    if isinstance(value, int):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if id(value) in seen:
            return ("same", seen[id(value)])
        seen[id(value)] = len(seen)
        return (type(value).__qualname__,
                {f.name: canon(getattr(value, f.name), seen) for f in dataclasses.fields(value)})
    if hasattr(value, "case_id") and hasattr(value, "_value"):  # pyfory.union.Union
        return (type(value).__qualname__, value.case_id(), canon(value._value, seen))
    if isinstance(value, dict):
        return {canon(k, seen): canon(v, seen) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__.endswith("Array"):
        return [canon(v, seen) for v in value]
    raise AssertionError(f"canon: unexpected {type(value).__qualname__}: {value!r}")


def assert_same(a: typing.Any, b: typing.Any, where: str = "value") -> None:
    """Field-by-field equality of two generated values (of either set), with
    the first difference named in the failure."""
    _diff(canon(a), canon(b), where)


def _diff(a: typing.Any, b: typing.Any, where: str) -> None:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) == 2 and isinstance(a[1], dict) \
            and isinstance(b[1], dict):
        assert a[0] == b[0], f"{where}: class {a[0]} vs {b[0]}"
        assert a[1].keys() == b[1].keys(), f"{where}: fields {sorted(a[1])} vs {sorted(b[1])}"
        for key in a[1]:
            _diff(a[1][key], b[1][key], f"{where}.{key}")
        return
    if isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} vs {len(b)} elements"
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{where}[{i}]")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(map(repr, a))} vs {sorted(map(repr, b))}"
        for key in a:
            _diff(a[key], b[key], f"{where}[{key!r}]")
        return
    assert type(a) is type(b) or (isinstance(a, int) and isinstance(b, int)), \
        f"{where}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"
    assert a == b, f"{where}: {a!r} vs {b!r}"


def mypy_ini(path: Path) -> Path:
    """The mypy configuration the generated Fory modules are checked with:
    --strict, except that pyfory (no py.typed marker) and grpc (types-grpcio is
    not installed) are taken as untyped (ignore_missing_imports)."""
    path.write_text(
        "[mypy]\nstrict = True\nincremental = False\n\n"
        "[mypy-pyfory,pyfory.*]\nignore_missing_imports = True\n\n"
        "[mypy-grpc,grpc.*]\nignore_missing_imports = True\n",
        encoding="utf-8",
    )
    return path
