"""What the Python tests share: the binary under test, running it, generating
and importing Python, and real gRPC servers on 127.0.0.1.

Importable as ``import support`` from every folder under tests/py (pytest puts
tests/py on sys.path when it loads tests/py/conftest.py).

* ``MOONSTUB`` (absolute path of the binary), ``REPO``, ``CORPUS`` (protobuf's
  schemas);
* ``run_moonstub(*args)``: runs the binary, returns the finished process;
  ``run_checked(cmd)``: runs any command (protoc, say), failing the test with
  its output on an error;
* ``generate(out, roots, files, *flags)``: ``moonstub -I root... files
  --python_out=out flags...``, failing the test with moonstub's stderr on an
  error;
* ``load_modules(directory, names, tag=None, keep=False)``: imports generated
  modules (or packages) from a folder, then takes that folder's modules out of
  ``sys.modules`` again, so that another generated set with the same module
  names can load after (with ``tag``: under unique names that stay; with
  ``keep``: packages of names unique to the folder, which stay);
* servers, each started on port 0 and stopped on leaving the block:
  ``aio_server(register)`` (``async with``, grpc.aio; ``credentials`` for a
  secure port), ``sync_server(register)``
  (``with``, grpcio on a thread pool), ``threaded_aio_server(register)``
  (``with``: grpc.aio on an event loop of its own thread, for sync clients) yield
  ``"127.0.0.1:PORT"``; ``register(server)`` adds the servicers before the start.
  ``grpclib_server(*handlers)`` (``async with``) yields the port, which is what
  ``grpclib.client.Channel("127.0.0.1", port)`` takes.

Environment: MOONSTUB (the binary, default <repo>/build/moonstub),
MOONSTUB_CORPUS (the unpacked protobuf corpus, default
<repo>/build/corpus/protobuf, else /tmp/corpus/protobuf).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import importlib.util
import os
import subprocess
import sys
import threading
import types
import typing
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MOONSTUB = os.path.abspath(os.environ.get("MOONSTUB", str(REPO / "build" / "moonstub")))


def _default_corpus() -> Path:
    for candidate in (REPO / "build" / "corpus" / "protobuf", Path("/tmp/corpus/protobuf")):
        if candidate.is_dir():
            return candidate
    return REPO / "build" / "corpus" / "protobuf"


CORPUS = Path(os.environ.get("MOONSTUB_CORPUS", str(_default_corpus())))

Register = typing.Callable[[typing.Any], None]
"""``register(server)``: adds servicers or handlers to a server before it starts."""


# ---- running moonstub ----------------------------------------------------------------------------


def check_binary() -> str:
    """``MOONSTUB``; fails the test when there is no such executable."""
    if not os.access(MOONSTUB, os.X_OK):
        pytest.fail(f"moonstub binary not found at {MOONSTUB} (run make, or set MOONSTUB)")
    return MOONSTUB


def run_moonstub(*args: str, cwd: Path | str | None = None, env: typing.Mapping[str, str] | None = None,
                 input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs moonstub with ``args`` (text mode, output captured); does not check the status."""
    return subprocess.run([check_binary(), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=None if env is None else dict(env), input=input, check=False)


def run_checked(cmd: typing.Sequence[str | Path], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs ``cmd`` (text mode, output captured); a non-zero exit fails the test with its output."""
    args = [str(c) for c in cmd]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
    return proc


def generate(out: Path, roots: typing.Sequence[Path | str], files: typing.Sequence[Path | str], *flags: str,
             timeout: float = 120) -> Path:
    """``moonstub -I<root>... files --python_out=out flags...``; returns ``out``.
    ``files`` are paths, or names relative to a root. A failure fails the test
    with moonstub's stderr."""
    out.mkdir(parents=True, exist_ok=True)
    args = [*[f"-I{root}" for root in roots], *[str(f) for f in files], f"--python_out={out}", *flags]
    proc = run_moonstub(*args, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"moonstub failed ({proc.returncode}): moonstub {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    return out


# ---- importing what was generated ----------------------------------------------------------------


def _top_level_names(directory: Path) -> set[str]:
    """The importable names a folder holds: its modules and its packages
    (folders, with or without ``__init__.py``)."""
    names = {p.stem for p in directory.glob("*.py")}
    names.update(p.name for p in directory.iterdir() if p.is_dir() and p.name.isidentifier())
    return names


def load_modules(directory: Path, names: typing.Iterable[str], *,
                 tag: str | None = None, keep: bool = False) -> dict[str, types.ModuleType]:
    """Imports ``names`` (in order) from ``directory``; they may import each
    other. While they load, the folder's own names are the only ones of those
    names in ``sys.modules``; afterwards every module of that folder (packages'
    submodules too) is taken out of ``sys.modules`` again and what was there
    before is put back, so that another set with the same module names can load.

    Without ``tag``, ``names`` are modules or dotted package paths, imported
    through ``sys.path`` (cyclic imports work). With ``tag``, each name is a
    module file ``<name>.py`` loaded as ``_<tag>__<name>``, which stays in
    ``sys.modules``: the installed runtime tells generated trees apart by their
    module names, so two sets sharing it (not vendored) need names of their own.

    With ``keep``, ``names`` (dotted paths into packages whose top-level names
    are unique to this folder, such as a tag) are imported through ``sys.path``
    and stay in ``sys.modules``, and nothing else there is touched: later
    imports of their submodules (or a second call) find them again.
    """
    if keep:
        assert tag is None, "keep and tag do not go together"
        sys.path.insert(0, str(directory))
        importlib.invalidate_caches()
        try:
            return {name: importlib.import_module(name) for name in names}
        finally:
            sys.path.remove(str(directory))
    tops = _top_level_names(directory)

    def ours(name: str) -> bool:
        return name.partition(".")[0] in tops

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    try:
        if tag is None:
            return {name: importlib.import_module(name) for name in names}
        return {name: _load_as(directory, name, f"_{tag}__{name}") for name in names}
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _load_as(directory: Path, name: str, unique: str) -> types.ModuleType:
    """``directory/<name>.py`` as the module ``unique``, also ``sys.modules[name]`` for now."""
    spec = importlib.util.spec_from_file_location(unique, directory / f"{name}.py")
    assert spec is not None and spec.loader is not None, f"no module {name} in {directory}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---- servers -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def aio_server(register: Register, *, port: int = 0,
                     credentials: typing.Any = None) -> typing.AsyncIterator[str]:
    """``async with aio_server(register) as address``: a grpc.aio server on 127.0.0.1;
    with ``credentials`` (``grpc.ServerCredentials``) on a secure port."""
    import grpc.aio

    server = grpc.aio.server()
    register(server)
    if credentials is None:
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
    else:
        bound = server.add_secure_port(f"127.0.0.1:{port}", credentials)
    assert bound > 0, f"could not bind 127.0.0.1:{port}"
    await server.start()
    try:
        yield f"127.0.0.1:{bound}"
    finally:
        await server.stop(None)


@contextlib.contextmanager
def sync_server(register: Register, *, workers: int = 16) -> typing.Iterator[str]:
    """``with sync_server(register) as address``: a grpcio server on a pool of ``workers`` threads."""
    import grpc

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    server = grpc.server(pool)
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    assert port > 0, "could not bind 127.0.0.1:0"
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait(10)
        pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def threaded_aio_server(register: Register) -> typing.Iterator[str]:
    """``with threaded_aio_server(register) as address``: a grpc.aio server
    running on an event loop of its own thread, for sync clients."""
    import grpc.aio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[grpc.aio.Server, int]:
        server = grpc.aio.server()
        register(server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        return server, port

    try:
        server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        assert port > 0, "could not bind 127.0.0.1:0"
        try:
            yield f"127.0.0.1:{port}"
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(None), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.asynccontextmanager
async def grpclib_server(*handlers: typing.Any) -> typing.AsyncIterator[int]:
    """``async with grpclib_server(service, ...) as port``: a grpclib server on 127.0.0.1."""
    import grpclib.server

    server = grpclib.server.Server(list(handlers))
    await server.start("127.0.0.1", 0)
    try:
        listening = typing.cast(asyncio.Server, server._server)
        yield int(listening.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
