"""Helpers for the tests of moonstub's aristaproto-style gRPC
options (client_generation, client_async_transport, server_generation,
server_async_transport) and of its protoc plugin mode.

Everything is generated from ``protos/example.proto`` (the seed's example)
into one session temporary directory, in two modes:

* ``cli``    -- ``moonstub -I protos protos/example.proto --python_out=OUT``
  with the native flags where there is one (``--rules``, ``--grpc``,
  ``--grpc-python-mode``) and ``--opt KEY=VALUE`` for the rest;
* ``plugin`` -- ``python -m grpc_tools.protoc --plugin=protoc-gen-moonstub=...
  --moonstub_out=OUT --moonstub_opt=k=v,...`` (the same binary, called as
  ``protoc-gen-moonstub``: a symlink to $MOONSTUB in a temporary folder).

``--rules aristaproto`` output is a package: each generated set is written
into its own folder ``<root>/<unique name>/`` and imported as the package
``<unique name>``, which stays in sys.modules
(``support.load_modules(<root>, ..., keep=True)``); the generated code
only uses relative imports, so the folder name does not matter. Default-rules
output (top-level modules ``_moonstub``, ``example``, ``example_grpc`` ...) is
loaded under unique names with ``sys.modules`` aliased while it loads
(``support.load_modules(..., tag=...)``).

``GENERATED[name]`` describes every generation option set used by the tests.
``generated(name, mode)`` (session cache) writes and imports one of them.

Servers are real (tests/py/support.py): grpc.aio on ``127.0.0.1:0``
(``aio_server``, here taking generic handlers) and grpclib (``grpclib_server``,
yielding the port).

Environment: MOONSTUB -- the moonstub binary (default <repo>/build/moonstub).
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import types
import typing
from pathlib import Path

import grpc
import grpc.aio
import grpclib.client
import grpclib.const
import grpclib.exceptions
import pytest

import support

HERE = Path(__file__).resolve().parent
REPO = support.REPO
PROTOS = HERE / "protos"
PROTO = "example.proto"
MOONSTUB = support.MOONSTUB
MODES = ("cli", "plugin")

_ROOT = Path(tempfile.mkdtemp(prefix="ms_aristaproto_"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
_PLUGIN_DIR = _ROOT / "_plugin"
_PKG_ROOT = _ROOT / "pkgs"


def plugin_path() -> str:
    """``protoc-gen-moonstub``: a symlink to the binary under test."""
    link = _PLUGIN_DIR / "protoc-gen-moonstub"
    if not link.exists():
        _PLUGIN_DIR.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.abspath(MOONSTUB))
    return str(link)


check_binary = support.check_binary


# ---- generation ----------------------------------------------------------------------------------


def cli_command(includes: list[str], files: list[str], out: str, options: dict[str, str]) -> list[str]:
    """moonstub's command line for `options` (native flags where there is one)."""
    cmd = [MOONSTUB]
    for inc in includes:
        cmd += ["-I", inc]
    cmd += files
    cmd.append(f"--python_out={out}")
    for key, value in options.items():
        if key == "rules":
            cmd.append(f"--rules={value}")
        elif key == "grpc" and value == "true":
            cmd.append("--grpc")
        elif key == "grpc_python_mode":
            cmd.append(f"--grpc-python-mode={value}")
        else:
            cmd += ["--opt", f"{key}={value}"]
    return cmd


def plugin_command(includes: list[str], files: list[str], out: str, options: dict[str, str]) -> list[str]:
    """protoc's command line running moonstub as a plugin; `files` relative to an include."""
    cmd = [sys.executable, "-m", "grpc_tools.protoc"]
    for inc in includes:
        cmd.append(f"-I{inc}")
    cmd += [f"--plugin=protoc-gen-moonstub={plugin_path()}", f"--moonstub_out={out}"]
    if options:
        cmd.append("--moonstub_opt=" + ",".join(f"{k}={v}" for k, v in options.items()))
    cmd += files
    return cmd


def run_generator(
    mode: str, out: Path, options: dict[str, str], *, proto_dir: Path = PROTOS, protos: tuple[str, ...] = (PROTO,)
) -> subprocess.CompletedProcess[str]:
    """Runs moonstub (CLI or plugin mode) over `protos`; does not check the status.
    The runtime is vendored: each output folder is loaded under names of its own."""
    check_binary()
    options = {"runtime": "vendored", **options}
    out.mkdir(parents=True, exist_ok=True)
    if mode == "cli":
        cmd = cli_command([str(proto_dir)], [str(proto_dir / p) for p in protos], str(out), options)
    else:
        cmd = plugin_command([str(proto_dir)], list(protos), str(out), options)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def generate_ok(mode: str, out: Path, options: dict[str, str]) -> None:
    proc = run_generator(mode, out, options)
    if proc.returncode != 0:
        pytest.fail(f"generation failed ({mode}, {options}): {proc.returncode}\n{proc.stdout}\n{proc.stderr}")


def top_level_classes(path: Path) -> set[str]:
    """Names of the classes a generated file defines at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


# ---- option sets -----------------------------------------------------------------------------------

# Each set: its options and what it should produce. "clients" maps class name ->
# kind ("sync" grpcio, "grpcio" grpc.aio, "grpclib"); "base" is (name, kind) or None.
GENERATED: dict[str, dict[str, typing.Any]] = {
    # aristaproto rules: everything in the package module
    "ar_defaults": {
        "options": {"rules": "aristaproto"},
        "clients": {"MyServiceStub": "sync"},
        "base": None,
    },
    "ar_sync": {
        "options": {"rules": "aristaproto", "client_generation": "sync", "server_generation": "none"},
        "clients": {"MyServiceStub": "sync"},
        "base": None,
    },
    "ar_async": {  # client_async_transport left to its default: grpclib
        "options": {"rules": "aristaproto", "client_generation": "async"},
        "clients": {"MyServiceStub": "grpclib"},
        "base": None,
    },
    "ar_sync_async_grpcio": {
        "options": {
            "rules": "aristaproto",
            "client_generation": "sync_async",
            "client_async_transport": "grpcio",
            "server_generation": "async",
            "server_async_transport": "grpcio",
        },
        "clients": {"MyServiceStub": "sync", "MyServiceAsyncStub": "grpcio"},
        "base": ("MyServiceBase", "grpcio"),
    },
    "ar_async_sync_grpclib": {
        "options": {
            "rules": "aristaproto",
            "client_generation": "async_sync",
            "client_async_transport": "grpclib",
            "server_generation": "async",
            "server_async_transport": "grpclib",
        },
        "clients": {"MyServiceStub": "grpclib", "MyServiceSyncStub": "sync"},
        "base": ("MyServiceBase", "grpclib"),
    },
    "ar_no_default": {
        "options": {
            "rules": "aristaproto",
            "client_generation": "sync_async_no_default",
            "client_async_transport": "grpcio",
        },
        "clients": {"MyServiceSyncStub": "sync", "MyServiceAsyncStub": "grpcio"},
        "base": None,
    },
    "ar_server_only": {  # server_async_transport left to its default: grpclib
        "options": {"rules": "aristaproto", "client_generation": "none", "server_generation": "async"},
        "clients": {},
        "base": ("MyServiceBase", "grpclib"),
    },
    # default rules: the options shape example_grpc.py
    "df_grpcio": {
        "options": {
            "rules": "default",
            "grpc": "true",
            "client_generation": "sync_async",
            "client_async_transport": "grpcio",
            "server_generation": "async",
            "server_async_transport": "grpcio",
        },
        "clients": {"MyServiceStub": "sync", "MyServiceAsyncStub": "grpcio"},
        "base": ("MyServiceBase", "grpcio"),
    },
    "df_grpclib": {  # transports left to their defaults: grpclib
        "options": {"grpc": "true", "client_generation": "async_sync", "server_generation": "async"},
        "clients": {"MyServiceStub": "grpclib", "MyServiceSyncStub": "sync"},
        "base": ("MyServiceBase", "grpclib"),
    },
    "df_grpclib_explicit": {
        "options": {
            "grpc": "true",
            "client_generation": "async",
            "client_async_transport": "grpclib",
            "server_generation": "async",
            "server_async_transport": "grpclib",
        },
        "clients": {"MyServiceStub": "grpclib"},
        "base": ("MyServiceBase", "grpclib"),
    },
    "df_plain_aio": {"options": {"grpc": "true", "grpc_python_mode": "aio"}, "clients": {}, "base": None},
    "df_plain_sync": {"options": {"grpc": "true", "grpc_python_mode": "sync"}, "clients": {}, "base": None},
    "df_no_grpc": {"options": {"rules": "default", "grpc": "false"}, "clients": {}, "base": None},
}

# default-rules modules, in dependency order (the ones that exist are loaded)
DF_MODULES = ("_moonstub", "_moonstub_grpc", "_moonstub_grpclib", "example", "example_grpc")


def import_package(root: Path, name: str) -> types.ModuleType:
    """``name`` (``<unique folder>.<module>``) from the folder ``root``, staying in sys.modules."""
    return support.load_modules(root, [name], keep=True)[name]


def _load_flat(directory: Path, tag: str) -> dict[str, types.ModuleType]:
    names = [n for n in DF_MODULES if (directory / f"{n}.py").is_file()]
    return support.load_modules(directory, names, tag=f"msar_{tag}")


_CACHE: dict[tuple[str, str], types.SimpleNamespace] = {}


def generated(name: str, mode: str) -> types.SimpleNamespace:
    """Generates (once per session) and imports the option set `name` in `mode`.

    Returns .dir (output folder), .files (relative paths written), .msgs (the
    module with the messages), .svc (the module with the clients and bases:
    the package module, or example_grpc), .spec (GENERATED[name])."""
    key = (name, mode)
    if key in _CACHE:
        return _CACHE[key]
    spec = GENERATED[name]
    tag = f"{name}_{mode}"
    rules = spec["options"].get("rules", "default")
    if rules == "aristaproto":
        out = _PKG_ROOT / tag
        generate_ok(mode, out, spec["options"])
        module = import_package(_PKG_ROOT, f"{tag}.example")
        ns = types.SimpleNamespace(dir=out, msgs=module, svc=module, mods={"example": module})
    else:
        out = _ROOT / "flat" / tag
        generate_ok(mode, out, spec["options"])
        mods = _load_flat(out, tag)
        ns = types.SimpleNamespace(dir=out, msgs=mods["example"], svc=mods.get("example_grpc"), mods=mods)
    ns.files = sorted(str(p.relative_to(ns.dir)) for p in ns.dir.rglob("*.py"))
    ns.spec = spec
    ns.name = name
    ns.mode = mode
    _CACHE[key] = ns
    return ns


# ---- the peer: aristaproto 2.0.0.dev1 ---------------------------------------------------------------

PEER_VERSION = "2.0.0.dev1"


def peer_available() -> bool:
    """aristaproto's runtime and compiler 2.0.0.dev1 are installed (requirements.txt
    pins the compiler; the runtime comes from ../shared/peers, see the Makefile)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aristaproto") == PEER_VERSION and version("aristaproto-compiler") == PEER_VERSION
    except PackageNotFoundError:
        return False


def require_peer() -> None:
    if not peer_available():
        pytest.fail(f"aristaproto {PEER_VERSION} (runtime and compiler) is not installed: run make venv")


def run_peer(out: Path, options: dict[str, str] | list[str], *, proto_dir: Path = PROTOS,
             protos: tuple[str, ...] = (PROTO,)) -> subprocess.CompletedProcess[str]:
    """aristaproto's protoc plugin (protoc-gen-python_aristaproto, beside the
    Python running the tests, with ruff on PATH) over `protos` into `out`.
    `options`: key=value pairs, or raw plugin parameters (bare flags such as
    pydantic_dataclasses)."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    params = list(options) if isinstance(options, list) else [f"{k}={v}" for k, v in options.items()]
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{proto_dir}", f"--python_aristaproto_out={out}"]
    if params:
        cmd.append("--python_aristaproto_opt=" + ",".join(params))
    cmd += list(protos)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, check=False)


_PEER: dict[str, types.ModuleType] = {}

# the peer's option sets of the interop tests ("clients": class -> kind, "base": (name, kind))
PEER_SETS: dict[str, dict[str, typing.Any]] = {
    "pe_grpcio": {
        "options": {"client_generation": "sync_async", "client_async_transport": "grpcio",
                    "server_generation": "async", "server_async_transport": "grpcio"},
        "clients": {"MyServiceStub": "sync", "MyServiceAsyncStub": "grpcio"},
        "base": ("MyServiceBase", "grpcio"),
    },
    "pe_grpclib": {
        "options": {"client_generation": "async_sync", "client_async_transport": "grpclib",
                    "server_generation": "async", "server_async_transport": "grpclib"},
        "clients": {"MyServiceStub": "grpclib", "MyServiceSyncStub": "sync"},
        "base": ("MyServiceBase", "grpclib"),
    },
}


def peer_generated(name: str) -> types.ModuleType:
    """aristaproto's example module for PEER_SETS[name] (once per session),
    imported as the package ``peer_<name>.example``."""
    if name not in _PEER:
        require_peer()
        out = _PKG_ROOT / f"peer_{name}"
        proc = run_peer(out, PEER_SETS[name]["options"])
        if proc.returncode != 0:
            pytest.fail(f"aristaproto's plugin failed ({name}): {proc.stderr}")
        _PEER[name] = import_package(_PKG_ROOT, f"peer_{name}.example")
    return _PEER[name]


_RAW: dict[tuple[str, tuple[tuple[str, str], ...]], Path] = {}


def generate_raw(mode: str, options: dict[str, str]) -> Path:
    """Writes example.proto with `options` (once per session) without importing it."""
    key = (mode, tuple(options.items()))
    if key not in _RAW:
        out = _ROOT / "raw" / f"set{len(_RAW)}"
        generate_ok(mode, out, options)
        _RAW[key] = out
    return _RAW[key]


# ---- servers -------------------------------------------------------------------------------------


def aio_server(
    *handlers: typing.Any, port: int = 0, register: typing.Callable[[typing.Any], None] | None = None,
    credentials: typing.Any = None,
) -> typing.AsyncContextManager[str]:
    """``support.aio_server`` with the given generic handlers (and/or ``register``);
    ``credentials``: a secure port."""

    def add(server: typing.Any) -> None:
        if handlers:
            server.add_generic_rpc_handlers(handlers)
        if register is not None:
            register(server)

    return support.aio_server(add, port=port, credentials=credentials)


grpclib_server = support.grpclib_server


# channel options: reconnect quickly (wait_for_ready tests start the server late)
FAST_RECONNECT = (
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 100),
)


@contextlib.asynccontextmanager
async def grpclib_channel(port: int) -> typing.AsyncIterator[grpclib.client.Channel]:
    channel = grpclib.client.Channel("127.0.0.1", port)
    try:
        yield channel
    finally:
        channel.close()


# ---- service implementations -------------------------------------------------------------------
#
# MyRPC(Request{name})       -> Response{names: [name, "k=v" for each x- metadata (bytes as hex)]}
#                               name "sleep:S" sleeps S seconds first; "fail" fails (FAILED_PRECONDITION)
# Upload(stream Request)     -> Response{names: every name}; a "fail" request fails the call at once
# Versions(VersionRequest)   -> VersionResponse{name, version=i} for i in range(3) ("n:K": K of them;
#                               "sleep:S" sleeps S seconds first)
# Chat(stream VersionRequest)-> VersionResponse{name, version=len(name)} per request; "fail" fails


def _echo_metadata(md: typing.Iterable[tuple[str, typing.Any]]) -> list[str]:
    out = []
    for key, value in md:
        if key.startswith("x-"):
            out.append(f"{key}={value.hex() if isinstance(value, bytes) else value}")
    return out


def _count(name: str) -> int:
    return int(name[2:]) if name.startswith("n:") else 3


def grpcio_impl(svc: types.ModuleType, msgs: types.ModuleType | None = None, base_name: str = "MyServiceBase") -> type:
    """A grpc.aio server base subclass (``svc.<base_name>``) implementing every
    method with the messages of `msgs` (default: `svc`)."""
    Base = getattr(svc, base_name)
    msgs = msgs or svc

    class Impl(Base):  # type: ignore[misc, valid-type]
        async def _fail(self, what: str) -> None:
            await self._grpcio_context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"{what} failed on request")

        async def my_rpc(self, message: typing.Any) -> typing.Any:
            if message.name.startswith("sleep:"):
                await asyncio.sleep(float(message.name[6:]))
            if message.name == "fail":
                await self._fail("MyRPC")
            md = self._grpcio_context.invocation_metadata() or ()
            return msgs.Response(names=[message.name, *_echo_metadata(md)])

        async def upload(self, messages: typing.Any) -> typing.Any:
            names = []
            async for m in messages:
                if m.name == "fail":
                    await self._fail("Upload")
                names.append(m.name)
            return msgs.Response(names=names)

        async def versions(self, message: typing.Any) -> typing.Any:
            if message.name.startswith("sleep:"):
                await asyncio.sleep(float(message.name[6:]))
            for i in range(_count(message.name)):
                yield msgs.VersionResponse(name=message.name, version=i)

        async def chat(self, messages: typing.Any) -> typing.Any:
            async for m in messages:
                if m.name == "fail":
                    await self._fail("Chat")
                yield msgs.VersionResponse(name=m.name, version=len(m.name))

    return Impl


def grpclib_impl(svc: types.ModuleType, msgs: types.ModuleType | None = None, base_name: str = "MyServiceBase") -> type:
    """A grpclib server base subclass implementing every method (no metadata echo:
    the grpclib base gives methods only the message)."""
    Base = getattr(svc, base_name)
    msgs = msgs or svc

    def fail(what: str) -> typing.NoReturn:
        raise grpclib.exceptions.GRPCError(grpclib.const.Status.FAILED_PRECONDITION, f"{what} failed on request")

    class Impl(Base):  # type: ignore[misc, valid-type]
        async def my_rpc(self, message: typing.Any) -> typing.Any:
            if message.name.startswith("sleep:"):
                await asyncio.sleep(float(message.name[6:]))
            if message.name == "fail":
                fail("MyRPC")
            return msgs.Response(names=[message.name])

        async def upload(self, messages: typing.Any) -> typing.Any:
            names = []
            async for m in messages:
                if m.name == "fail":
                    fail("Upload")
                names.append(m.name)
            return msgs.Response(names=names)

        async def versions(self, message: typing.Any) -> typing.Any:
            if message.name.startswith("sleep:"):
                await asyncio.sleep(float(message.name[6:]))
            for i in range(_count(message.name)):
                yield msgs.VersionResponse(name=message.name, version=i)

        async def chat(self, messages: typing.Any) -> typing.Any:
            async for m in messages:
                if m.name == "fail":
                    fail("Chat")
                yield msgs.VersionResponse(name=m.name, version=len(m.name))

    return Impl


@contextlib.asynccontextmanager
async def serve_base(ns: types.SimpleNamespace) -> typing.AsyncIterator[tuple[str, typing.Any]]:
    """Serves the option set's own server base (implemented as above); yields
    (kind, address-or-port)."""
    name, kind = ns.spec["base"]
    if kind == "grpcio":
        impl = grpcio_impl(ns.svc, ns.msgs, name)()
        async with aio_server(impl._grpcio_rpc_handler()) as address:
            yield kind, address
    else:
        impl = grpclib_impl(ns.svc, ns.msgs, name)()
        async with grpclib_server(impl) as port:
            yield kind, port


# ---- client drivers -------------------------------------------------------------------------------


async def _agen(items: typing.Iterable[typing.Any]) -> typing.AsyncIterator[typing.Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


async def exercise_async_client(stub: typing.Any, msgs: types.ModuleType, *, async_iterables: bool = True) -> None:
    """Every shape through an async client (grpc.aio or grpclib) against an implementation above."""
    response = await stub.my_rpc(msgs.Request(name="hello"))
    assert list(response.names) == ["hello"]
    reqs = [msgs.Request(name=n) for n in ("a", "b", "c")]
    assert list((await stub.upload(reqs)).names) == ["a", "b", "c"]
    if async_iterables:
        assert list((await stub.upload(_agen(reqs))).names) == ["a", "b", "c"]
    got = [(r.name, r.version) async for r in stub.versions(msgs.VersionRequest(name="v"))]
    assert got == [("v", 0), ("v", 1), ("v", 2)]
    vreqs = [msgs.VersionRequest(name=n) for n in ("x", "yy", "")]
    got = [(r.name, r.version) async for r in stub.chat(vreqs)]
    assert got == [("x", 1), ("yy", 2), ("", 0)]
    if async_iterables:
        got = [(r.name, r.version) async for r in stub.chat(_agen(vreqs))]
        assert got == [("x", 1), ("yy", 2), ("", 0)]


def exercise_sync_client(stub: typing.Any, msgs: types.ModuleType) -> None:
    """Every shape through a sync grpcio client (run it in a thread)."""
    assert list(stub.my_rpc(msgs.Request(name="hello")).names) == ["hello"]
    reqs = [msgs.Request(name=n) for n in ("a", "b", "c")]
    # lists and tuples as well as iterators (grpcio itself wants an iterator)
    assert list(stub.upload(reqs).names) == ["a", "b", "c"]
    assert list(stub.upload(tuple(reqs)).names) == ["a", "b", "c"]
    assert list(stub.upload(iter(reqs)).names) == ["a", "b", "c"]
    got = [(r.name, r.version) for r in stub.versions(msgs.VersionRequest(name="v"))]
    assert got == [("v", 0), ("v", 1), ("v", 2)]
    vreqs = [msgs.VersionRequest(name=n) for n in ("x", "yy")]
    got = [(r.name, r.version) for r in stub.chat(vreqs)]
    assert got == [("x", 1), ("yy", 2)]
    got = [(r.name, r.version) for r in stub.chat(iter(vreqs))]
    assert got == [("x", 1), ("yy", 2)]


async def exercise_client(kind: str, cls: type, msgs: types.ModuleType, target: tuple[str, typing.Any]) -> None:
    """Runs `exercise_*` for a client class of `kind` against a server
    (target: ("grpcio", address) or ("grpclib", port))."""
    server_kind, where = target
    address = where if server_kind == "grpcio" else f"127.0.0.1:{where}"
    if kind == "sync":

        def run() -> None:
            with grpc.insecure_channel(address) as channel:
                exercise_sync_client(cls(channel), msgs)

        await asyncio.to_thread(run)
    elif kind == "grpcio":
        async with grpc.aio.insecure_channel(address) as channel:
            await exercise_async_client(cls(channel), msgs)
    else:
        port = int(address.rsplit(":", 1)[1])
        async with grpclib_channel(port) as channel:
            await exercise_async_client(cls(channel), msgs)
