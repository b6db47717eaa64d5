"""moonstub's aristaproto-style gRPC options, generated in CLI and plugin mode,
against real grpc.aio and grpclib servers.

Options: client_generation (none|sync|async|sync_async|async_sync|
sync_async_no_default), client_async_transport (grpclib|grpcio),
server_generation (none|async), server_async_transport (grpclib|grpcio), and
the older rules / grpc / grpc_python_mode. See arista_helpers.py for the generated
option sets and the service implementations the servers run.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import logging
import socket
import subprocess
import sys
import types
import typing
from pathlib import Path

import arista_helpers as cf
import grpc
import grpc.aio
import grpclib.client
import grpclib.const
import grpclib.exceptions
import grpclib.metadata
import pytest

import support
from arista_helpers import (
    FAST_RECONNECT,
    GENERATED,
    MODES,
    aio_server,
    exercise_client,
    generate_raw,
    generated,
    grpcio_impl,
    grpclib_channel,
    grpclib_impl,
    grpclib_server,
    run_generator,
    serve_base,
    top_level_classes,
)

aio = pytest.mark.asyncio(loop_scope="module")

CLIENT_NAMES = ("MyServiceStub", "MyServiceSyncStub", "MyServiceAsyncStub")
EXPECTED_CLIENTS = {
    "none": {},
    "sync": {"MyServiceStub": "sync"},
    "async": {"MyServiceStub": "async"},
    "sync_async": {"MyServiceStub": "sync", "MyServiceAsyncStub": "async"},
    "async_sync": {"MyServiceStub": "async", "MyServiceSyncStub": "sync"},
    "sync_async_no_default": {"MyServiceSyncStub": "sync", "MyServiceAsyncStub": "async"},
}
CHANNEL_ANNOTATION = {"sync": "grpc.Channel", "grpcio": "grpc.aio.Channel", "grpclib": "grpclib.client.Channel"}



# ---- names per client_generation ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rules", ["aristaproto", "default"])
@pytest.mark.parametrize("index, client_generation", list(enumerate(EXPECTED_CLIENTS)), ids=lambda v: str(v))
def test_names_per_client_generation(mode: str, rules: str, index: int, client_generation: str) -> None:
    """The client classes (and their transport) each client_generation value gives, and
    MyServiceBase exactly when server_generation=async."""
    server = "async" if index % 2 == 0 else "none"
    transport = "grpcio" if index % 3 == 0 else "grpclib"
    options = {"rules": rules, "client_generation": client_generation, "server_generation": server,
               "client_async_transport": transport, "server_async_transport": "grpcio"}
    if rules == "default":
        options["grpc"] = "true"
    out = generate_raw(mode, options)
    path = out / ("example/__init__.py" if rules == "aristaproto" else "example_grpc.py")
    classes = top_level_classes(path)
    expected = EXPECTED_CLIENTS[client_generation]
    assert {n for n in CLIENT_NAMES if n in classes} == set(expected), classes
    assert ("MyServiceBase" in classes) == (server == "async"), classes
    if rules == "default":
        assert "MyServiceServicer" in classes
        assert "add_servicer" in path.read_text()
        assert not {"MyServiceStub", "MyServiceSyncStub", "MyServiceAsyncStub", "MyServiceBase"} & top_level_classes(
            out / "example.py"
        )
    else:
        assert "MyServiceServicer" not in classes
    # which transport each class uses: the channel its constructor takes
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in expected:
            init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
            annotation = ast.unparse(init.args.args[1].annotation)
            kind = expected[node.name]
            want = CHANNEL_ANNOTATION["sync" if kind == "sync" else transport]
            assert annotation == want, (node.name, annotation)


# ---- every option set, live -----------------------------------------------------------------------

LIVE_SETS = [name for name, spec in GENERATED.items() if spec["clients"] or spec["base"]]


@aio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", LIVE_SETS)
async def test_option_set_live(name: str, mode: str) -> None:
    """Every client the set generates makes every call shape against a grpc.aio
    server and a grpclib server; its server base (if any) serves its own clients
    and a grpc.aio client of another set."""
    ns = generated(name, mode)
    spec = ns.spec
    public = {n for n in (*CLIENT_NAMES, "MyServiceBase") if hasattr(ns.svc, n)}
    want = set(spec["clients"]) | ({spec["base"][0]} if spec["base"] else set())
    assert public == want
    ref_grpcio = generated("ar_sync_async_grpcio", mode)
    ref_grpclib = generated("ar_async_sync_grpclib", mode)
    async with (
        aio_server(grpcio_impl(ref_grpcio.svc)()._grpcio_rpc_handler()) as address,
        grpclib_server(grpclib_impl(ref_grpclib.svc)()) as port,
    ):
        for cls_name, kind in spec["clients"].items():
            cls = getattr(ns.svc, cls_name)
            await exercise_client(kind, cls, ns.msgs, ("grpcio", address))
            await exercise_client(kind, cls, ns.msgs, ("grpclib", port))
    if spec["base"]:
        async with serve_base(ns) as target:
            for cls_name, kind in spec["clients"].items():
                await exercise_client(kind, getattr(ns.svc, cls_name), ns.msgs, target)
            await exercise_client("grpcio", ref_grpcio.svc.MyServiceAsyncStub, ref_grpcio.msgs, target)
            await exercise_client("grpclib", ref_grpclib.svc.MyServiceStub, ref_grpclib.msgs, target)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "options",
    [
        {"grpc": "true", "client_generation": "async"},
        {"grpc": "true", "client_generation": "none", "server_generation": "async"},
        {"grpc": "true", "client_generation": "sync", "client_async_transport": "grpcio", "server_generation": "async"},
        {"grpc": "true", "client_generation": "async", "client_async_transport": "grpcio",
         "server_generation": "async", "server_async_transport": "grpcio"},
        {"grpc": "true", "client_generation": "sync"},
    ],
    ids=["client-default-transport", "server-default-transport", "grpcio-client-grpclib-server", "all-grpcio", "sync"],
)
def test_default_rules_support_modules(mode: str, options: dict[str, str]) -> None:
    """Default rules: the transport support modules example_grpc.py imports are
    written (the grpclib one exactly when a transport left to its default,
    grpclib, is used), and the module imports."""
    out = generate_raw(mode, options)
    text = (out / "example_grpc.py").read_text()
    uses_grpclib = "import _moonstub_grpclib" in text
    assert (out / "_moonstub_grpclib.py").is_file() == uses_grpclib
    assert (out / "_moonstub_grpc.py").is_file()
    has_async_client = options.get("client_generation") in ("async", "sync_async", "async_sync",
                                                            "sync_async_no_default")
    want_grpclib = has_async_client and options.get("client_async_transport") is None
    want_grpclib |= options.get("server_generation") == "async" and options.get("server_async_transport") is None
    assert uses_grpclib == want_grpclib
    mods = cf._load_flat(out, f"support_{mode}_{abs(hash(tuple(options.items())))}")
    assert hasattr(mods["example_grpc"], "MyServiceServicer")


@aio
@pytest.mark.parametrize("mode", MODES)
async def test_plain_grpc_python_mode_aio(mode: str) -> None:
    """grpc=true with grpc_python_mode=aio (no aristaproto options): the usual
    grpc.aio stub, servicer (async def methods taking a context) and add_servicer."""
    ns = generated("df_plain_aio", mode)
    svc, msgs = ns.svc, ns.msgs
    assert not hasattr(svc, "MyServiceBase") and not hasattr(svc, "MyServiceAsyncStub")
    assert inspect.iscoroutinefunction(svc.MyServiceServicer.my_rpc)

    class Servicer(svc.MyServiceServicer):  # type: ignore[misc, name-defined]
        async def my_rpc(self, request: typing.Any, context: typing.Any) -> typing.Any:
            return msgs.Response(names=[request.name, "aio"])

    async with (
        aio_server(register=lambda server: svc.add_servicer(Servicer(), server)) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        response = await svc.MyServiceStub(channel).my_rpc(msgs.Request(name="p"))
        assert list(response.names) == ["p", "aio"]


@pytest.mark.parametrize("mode", MODES)
def test_plain_grpc_python_mode_sync(mode: str) -> None:
    """grpc_python_mode=sync: plain def servicer methods, a sync stub, a grpc.server."""
    ns = generated("df_plain_sync", mode)
    svc, msgs = ns.svc, ns.msgs
    assert not inspect.iscoroutinefunction(svc.MyServiceServicer.my_rpc)

    class Servicer(svc.MyServiceServicer):  # type: ignore[misc, name-defined]
        def my_rpc(self, request: typing.Any, context: typing.Any) -> typing.Any:
            return msgs.Response(names=[request.name, "sync"])

    with (
        support.sync_server(lambda server: svc.add_servicer(Servicer(), server), workers=4) as address,
        grpc.insecure_channel(address) as channel,
    ):
        assert list(svc.MyServiceStub(channel).my_rpc(msgs.Request(name="p")).names) == ["p", "sync"]


@pytest.mark.parametrize("mode", MODES)
def test_grpc_false_writes_no_companion(mode: str) -> None:
    ns = generated("df_no_grpc", mode)
    assert ns.svc is None
    assert "example_grpc.py" not in ns.files and "_moonstub_grpc.py" not in ns.files, ns.files
    assert ns.msgs.Response.FromString(ns.msgs.Response(names=["a"]).SerializeToString()).names == ["a"]


@pytest.mark.parametrize("mode", MODES)
def test_aristaproto_layout_imports_from_lib(mode: str, tmp_path: Path) -> None:
    """``--rules aristaproto`` into a folder ``lib``: ``from lib.example import
    MyServiceStub, Request`` works with lib's parent on sys.path."""
    proc = run_generator(mode, tmp_path / "lib", {"rules": "aristaproto", "client_generation": "sync_async",
                                                  "client_async_transport": "grpcio"})
    assert proc.returncode == 0, proc.stderr
    code = (
        "from lib.example import MyServiceStub, MyServiceAsyncStub, Request, Response\n"
        "assert Response.FromString(bytes(Response(names=['a', 'b']))).names == ['a', 'b']\n"
        "print(MyServiceStub.__name__, MyServiceAsyncStub.__name__, Request.__name__)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["MyServiceStub", "MyServiceAsyncStub", "Request"]


# ---- option errors -----------------------------------------------------------------------------------

VALID = {
    "rules": ["default", "aristaproto"],
    "grpc": ["true", "false"],
    "grpc_python_mode": ["aio", "sync"],
    "client_generation": ["none", "sync", "async", "sync_async", "async_sync", "sync_async_no_default"],
    "client_async_transport": ["grpclib", "grpcio"],
    "server_generation": ["none", "async"],
    "server_async_transport": ["grpclib", "grpcio"],
}


def _bad_run(mode: str, tmp_path: Path, options: dict[str, str]) -> str:
    proc = run_generator(mode, tmp_path / "out", options)
    if mode == "cli":
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
    else:
        assert proc.returncode != 0, (proc.returncode, proc.stderr)
        assert "--moonstub_out" in proc.stderr, proc.stderr  # protoc reports the plugin's error
    return proc.stderr


@pytest.mark.parametrize("mode", MODES)
def test_unknown_option_key(mode: str, tmp_path: Path) -> None:
    err = _bad_run(mode, tmp_path, {"client_generation": "sync", "client_genration": "sync"})
    assert '"client_genration"' in err
    line = next(ln for ln in err.splitlines() if "client_genration" in ln)
    for key in VALID:
        assert key in line, (key, line)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", list(VALID))
def test_bad_option_value(mode: str, key: str, tmp_path: Path) -> None:
    err = _bad_run(mode, tmp_path, {key: "bogus"})
    line = next(ln for ln in err.splitlines() if '"bogus"' in ln)
    assert key in line
    for value in VALID[key]:
        assert value in line, (value, line)


@pytest.mark.parametrize("mode", MODES)
def test_every_bad_option_reported(mode: str, tmp_path: Path) -> None:
    """Several bad options at once: each one is reported."""
    err = _bad_run(mode, tmp_path, {"server_generation": "sync", "client_async_transport": "aiohttp", "nope": "1"})
    assert '"sync"' in err and "server_generation" in err
    assert '"aiohttp"' in err and "client_async_transport" in err
    assert '"nope"' in err


# ---- grpc.aio clients ----------------------------------------------------------------------------------

AIO_SETS = [("ar_sync_async_grpcio", "MyServiceAsyncStub"), ("df_grpcio", "MyServiceAsyncStub")]
SYNC_SETS = [
    ("ar_sync_async_grpcio", "MyServiceStub"),
    ("df_grpcio", "MyServiceStub"),
    ("ar_async_sync_grpclib", "MyServiceSyncStub"),
    ("ar_no_default", "MyServiceSyncStub"),
]
GRPCLIB_SETS = [("ar_async_sync_grpclib", "MyServiceStub"), ("ar_async", "MyServiceStub"),
                ("df_grpclib_explicit", "MyServiceStub")]


class Kit(typing.NamedTuple):
    ns: types.SimpleNamespace
    cls: typing.Any  # the client class under test
    msgs: types.ModuleType
    ref: types.SimpleNamespace  # a set with a grpc.aio server base (same mode)


def _kit(request: pytest.FixtureRequest) -> Kit:
    (name, cls_name), mode = request.param
    ns = generated(name, mode)
    return Kit(ns, getattr(ns.svc, cls_name), ns.msgs, generated("ar_sync_async_grpcio", mode))


@pytest.fixture(params=[(s, m) for s in AIO_SETS for m in MODES], ids=lambda p: f"{p[0][0]}-{p[1]}")
def aio_kit(request: pytest.FixtureRequest) -> Kit:
    return _kit(request)


@pytest.fixture(params=[(s, m) for s in SYNC_SETS for m in MODES], ids=lambda p: f"{p[0][0]}-{p[0][1]}-{p[1]}")
def sync_kit(request: pytest.FixtureRequest) -> Kit:
    return _kit(request)


@pytest.fixture(params=[(s, m) for s in GRPCLIB_SETS for m in MODES], ids=lambda p: f"{p[0][0]}-{p[1]}")
def grpclib_kit(request: pytest.FixtureRequest) -> Kit:
    return _kit(request)


def _serve_ref(kit: Kit, **kwargs: typing.Any) -> typing.AsyncContextManager[str]:
    return aio_server(grpcio_impl(kit.ref.svc)()._grpcio_rpc_handler(), **kwargs)


def _keyword_only(func: typing.Any) -> list[str]:
    return [p.name for p in inspect.signature(func).parameters.values() if p.kind is p.KEYWORD_ONLY]


METHODS = ("my_rpc", "upload", "versions", "chat")


def test_aio_client_signatures(aio_kit: Kit) -> None:
    cls = aio_kit.cls
    assert _keyword_only(cls.__init__) == ["timeout", "metadata", "credentials", "wait_for_ready"]
    for name in METHODS:
        assert _keyword_only(getattr(cls, name)) == ["timeout", "metadata", "credentials", "wait_for_ready"], name
    assert inspect.iscoroutinefunction(cls.my_rpc) and inspect.iscoroutinefunction(cls.upload)


@aio
async def test_aio_client_no_deadline_keyword(aio_kit: Kit) -> None:
    m = aio_kit.msgs
    async with grpc.aio.insecure_channel("127.0.0.1:1") as channel:
        stub = aio_kit.cls(channel)
        with pytest.raises(TypeError):
            await stub.my_rpc(m.Request(), deadline=1.0)
        with pytest.raises(TypeError):
            await stub.upload([], deadline=1.0)
        with pytest.raises(TypeError):
            stub.versions(m.VersionRequest(), deadline=1.0)
        with pytest.raises(TypeError):
            stub.chat([], deadline=1.0)
        with pytest.raises(TypeError):
            aio_kit.cls(channel, deadline=1.0)


@aio
async def test_aio_client_metadata(aio_kit: Kit) -> None:
    """Stub-level metadata is sent unless a call gives its own; mappings and
    sequences of pairs; str values, bytes values for -bin keys."""
    m = aio_kit.msgs
    async with _serve_ref(aio_kit) as address, grpc.aio.insecure_channel(address) as channel:
        plain = aio_kit.cls(channel)
        assert list((await plain.my_rpc(m.Request(name="a"))).names) == ["a"]
        assert list((await plain.my_rpc(m.Request(name="a"), metadata={"x-k": "v"})).names) == ["a", "x-k=v"]
        got = await plain.my_rpc(m.Request(name="a"), metadata=[("x-k", "1"), ("x-k", "2"), ("x-b-bin", b"\x00\xff")])
        assert list(got.names) == ["a", "x-k=1", "x-k=2", "x-b-bin=00ff"]
        got = await plain.my_rpc(m.Request(name="a"), metadata=(("x-t", "tuple"),))
        assert list(got.names) == ["a", "x-t=tuple"]
        stub = aio_kit.cls(channel, metadata={"x-default": "d", "x-d-bin": b"\x01"})
        assert list((await stub.my_rpc(m.Request(name="a"))).names) == ["a", "x-default=d", "x-d-bin=01"]
        assert list((await stub.my_rpc(m.Request(name="a"), metadata={"x-call": "c"})).names) == ["a", "x-call=c"]
        assert list((await stub.my_rpc(m.Request(name="a"))).names) == ["a", "x-default=d", "x-d-bin=01"]
        # the other shapes carry metadata too (the server checks it through the context)
        seen: list[typing.Any] = []

        class Spy(grpcio_impl(aio_kit.ref.svc)):  # type: ignore[misc]
            async def versions(self, message: typing.Any) -> typing.Any:
                seen.append(dict(self._grpcio_context.invocation_metadata()).get("x-s"))
                yield aio_kit.ref.svc.VersionResponse(name="s")

            async def chat(self, messages: typing.Any) -> typing.Any:
                seen.append(dict(self._grpcio_context.invocation_metadata()).get("x-s"))
                async for _ in messages:
                    yield aio_kit.ref.svc.VersionResponse(name="c")

            async def upload(self, messages: typing.Any) -> typing.Any:
                seen.append(dict(self._grpcio_context.invocation_metadata()).get("x-s"))
                return aio_kit.ref.svc.Response()

    async with aio_server(Spy()._grpcio_rpc_handler()) as address, grpc.aio.insecure_channel(address) as channel:
        stub = aio_kit.cls(channel, metadata=[("x-s", "default")])
        await stub.upload([m.Request()])
        await stub.upload([m.Request()], metadata={"x-s": "call"})
        assert [r.name async for r in stub.versions(m.VersionRequest())] == ["s"]
        assert [r.name async for r in stub.versions(m.VersionRequest(), metadata={"x-s": "call"})] == ["s"]
        assert [r.name async for r in stub.chat([m.VersionRequest()])] == ["c"]
        assert [r.name async for r in stub.chat([m.VersionRequest()], metadata={"x-s": "call"})] == ["c"]
        assert seen == ["default", "call"] * 3


@aio
async def test_aio_client_timeout(aio_kit: Kit) -> None:
    """DEADLINE_EXCEEDED from a per-call timeout and from the stub's default; a
    per-call timeout overrides the default."""
    m = aio_kit.msgs
    async with _serve_ref(aio_kit) as address, grpc.aio.insecure_channel(address) as channel:
        plain = aio_kit.cls(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await plain.my_rpc(m.Request(name="sleep:1"), timeout=0.1)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        with pytest.raises(grpc.aio.AioRpcError) as info:
            [r async for r in plain.versions(m.VersionRequest(name="sleep:1"), timeout=0.1)]
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        short = aio_kit.cls(channel, timeout=0.1)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await short.my_rpc(m.Request(name="sleep:1"))
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert list((await short.my_rpc(m.Request(name="sleep:0.3"), timeout=5)).names) == ["sleep:0.3"]
        got = [r.version async for r in short.versions(m.VersionRequest(name="sleep:0.3"), timeout=5)]
        assert got == [0, 1, 2]
        long = aio_kit.cls(channel, timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await long.my_rpc(m.Request(name="sleep:1"), timeout=0.1)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


class _Creds(grpc.AuthMetadataPlugin):
    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, context: typing.Any, callback: typing.Any) -> None:
        callback((("x-cred", self.value),), None)


@aio
async def test_aio_client_credentials(aio_kit: Kit) -> None:
    """Call credentials (local TCP channel credentials allow them): stub default and per call."""
    m = aio_kit.msgs
    local = grpc.LocalConnectionType.LOCAL_TCP
    async with (
        _serve_ref(aio_kit, credentials=grpc.local_server_credentials(local)) as address,
        grpc.aio.secure_channel(address, grpc.local_channel_credentials(local)) as channel,
    ):
        stub = aio_kit.cls(channel)
        got = await stub.my_rpc(m.Request(name="c"), credentials=grpc.metadata_call_credentials(_Creds("call")))
        assert list(got.names) == ["c", "x-cred=call"]
        stub = aio_kit.cls(channel, credentials=grpc.metadata_call_credentials(_Creds("default")))
        assert list((await stub.my_rpc(m.Request(name="c"))).names) == ["c", "x-cred=default"]
        got = await stub.my_rpc(m.Request(name="c"), credentials=grpc.metadata_call_credentials(_Creds("call")))
        assert list(got.names) == ["c", "x-cred=call"]
        got = await stub.upload([m.Request(name="u")])
        assert list(got.names) == ["u"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@aio
async def test_aio_client_wait_for_ready(aio_kit: Kit) -> None:
    """wait_for_ready=True waits for a server that starts later; without it (or
    with a per-call False over a True default) the call fails UNAVAILABLE."""
    m = aio_kit.msgs
    port = _free_port()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=FAST_RECONNECT) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await aio_kit.cls(channel).my_rpc(m.Request(name="w"), timeout=5)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        waiting = aio_kit.cls(channel, wait_for_ready=True, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await waiting.my_rpc(m.Request(name="w"), wait_for_ready=False)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        by_call = asyncio.ensure_future(aio_kit.cls(channel).my_rpc(m.Request(name="c"), wait_for_ready=True,
                                                                    timeout=10))
        by_default = asyncio.ensure_future(waiting.my_rpc(m.Request(name="d")))
        await asyncio.sleep(0.3)
        assert not by_call.done() and not by_default.done()
        async with _serve_ref(aio_kit, port=port):
            assert list((await by_call).names) == ["c"]
            assert list((await by_default).names) == ["d"]


@aio
async def test_aio_client_request_iterables(aio_kit: Kit) -> None:
    """Streaming requests from lists, tuples, sync generators, async generators
    and async iterables that are not generators; empty ones too."""
    m = aio_kit.msgs

    class AsyncIterable:
        def __init__(self, items: list[typing.Any]) -> None:
            self.items = items

        def __aiter__(self) -> typing.AsyncIterator[typing.Any]:
            return self._gen()

        async def _gen(self) -> typing.AsyncIterator[typing.Any]:
            for item in self.items:
                yield item

    def sync_gen(items: list[typing.Any]) -> typing.Iterator[typing.Any]:
        yield from items

    async def async_gen(items: list[typing.Any]) -> typing.AsyncIterator[typing.Any]:
        for item in items:
            await asyncio.sleep(0)
            yield item

    makers = [list, tuple, sync_gen, async_gen, AsyncIterable]
    async with _serve_ref(aio_kit) as address, grpc.aio.insecure_channel(address) as channel:
        stub = aio_kit.cls(channel)
        for make in makers:
            reqs = [m.Request(name=str(i)) for i in range(5)]
            assert list((await stub.upload(make(reqs))).names) == [str(i) for i in range(5)], make
            assert list((await stub.upload(make([]))).names) == [], make
            vreqs = [m.VersionRequest(name="x" * i) for i in range(4)]
            assert [r.version async for r in stub.chat(make(vreqs))] == [0, 1, 2, 3], make
            assert [r async for r in stub.chat(make([]))] == [], make


def _producer(kind: str, message: typing.Callable[[str], typing.Any], record: list[str], names: list[str],
              forever: asyncio.Event | None = None) -> typing.Any:
    """A request producer recording its closure. kind: "sync" (generator),
    "async" (async generator, no await between messages), "async-waiting"
    (async generator waiting on an event after its messages), "async-pausing"
    (async generator sleeping 10 ms before each further message)."""
    if kind == "sync":

        def gen() -> typing.Iterator[typing.Any]:
            try:
                yield from (message(n) for n in names)
                while True:
                    yield message("more")
            finally:
                record.append("closed")

        return gen()

    async def agen() -> typing.AsyncIterator[typing.Any]:
        try:
            for n in names:
                yield message(n)
            if kind == "async-waiting":
                assert forever is not None
                await forever.wait()
            while True:
                if kind == "async-pausing":
                    await asyncio.sleep(0.01)
                yield message("more")
        finally:
            record.append("closed")

    return agen()


async def _wait_for(predicate: typing.Callable[[], bool], seconds: float = 1.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


# Chat with producers that flood the stream (sync, async) is left out: whether the
# caller sees the status or the writer's failure then depends on grpc's timing;
# "async-pausing" (a write every 10 ms) makes the writer fail after the call ended.
CLOSE_CASES = [
    "upload-sync",
    "upload-async",
    "upload-async-waiting",
    "upload-async-pausing",
    "chat-async-waiting",
    "chat-async-pausing",
]


@aio
@pytest.mark.parametrize("case", CLOSE_CASES)
async def test_aio_producer_closed_on_server_error(aio_kit: Kit, case: str) -> None:
    """The server fails the call on the "fail" request while the producer still
    has requests (sync and async generators producing more; an async generator
    waiting for more input): the caller sees the server's error status, and the
    producer's finally block has run. Chat's caller reads the first response,
    then pauses while the call ends (a slow reader)."""
    method, kind = case.split("-", 1)
    m = aio_kit.msgs
    make = m.Request if method == "upload" else m.VersionRequest
    record: list[str] = []
    forever = asyncio.Event()
    producer = _producer(kind, lambda n: make(name=n), record, ["a", "fail"], forever)
    async with _serve_ref(aio_kit) as address, grpc.aio.insecure_channel(address) as channel:
        stub = aio_kit.cls(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            if method == "upload":
                await stub.upload(producer, timeout=10)
            else:
                responses = stub.chat(producer, timeout=10)
                assert (await responses.__anext__()).name == "a"
                await asyncio.sleep(0.3)  # the call ends meanwhile
                await responses.__anext__()
        # FAILED_PRECONDITION, or INTERNAL when grpc's writer hits the closed
        # stream first (the producers keep producing: grpc's race, not moonstub's)
        assert info.value.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INTERNAL)
        assert await _wait_for(lambda: record == ["closed"]), record


@aio
@pytest.mark.parametrize("kind", ["sync", "async", "async-waiting"])
async def test_aio_producer_closed_on_early_close(aio_kit: Kit, kind: str) -> None:
    """The caller stops reading Chat's responses and closes the iterator: the
    producer's finally block has run by the time aclose() returns."""
    m = aio_kit.msgs
    record: list[str] = []
    forever = asyncio.Event()
    producer = _producer(kind, lambda n: m.VersionRequest(name=n), record, ["a", "bb"], forever)
    async with _serve_ref(aio_kit) as address, grpc.aio.insecure_channel(address) as channel:
        responses = aio_kit.cls(channel).chat(producer, timeout=10)
        first = await responses.__anext__()
        assert (first.name, first.version) == ("a", 1)
        await responses.aclose()
        assert record == ["closed"]
        # the channel still works
        assert list((await aio_kit.cls(channel).my_rpc(m.Request(name="ok"))).names) == ["ok"]


@aio
@pytest.mark.parametrize("method", ["upload", "chat"])
@pytest.mark.parametrize("kind", ["sync", "async", "async-waiting-first"])
async def test_aio_producer_exception_reaches_caller(aio_kit: Kit, kind: str, method: str) -> None:
    """A producer raising cancels the call (the server sees the cancellation)
    and the caller gets that very exception."""
    m = aio_kit.msgs
    make = m.Request if method == "upload" else m.VersionRequest
    error = LookupError(f"producer failed ({kind}, {method})")
    ref = aio_kit.ref.svc

    finished = asyncio.Event()  # the handler ran to its end: the call was not cancelled
    rpc_done = asyncio.Event()  # the server saw the RPC end

    class Watch(grpcio_impl(ref)):  # type: ignore[misc]
        async def upload(self, messages: typing.Any) -> typing.Any:
            self._grpcio_context.add_done_callback(lambda _: rpc_done.set())
            async for _ in messages:
                pass
            # grpc.aio may end the request stream of a cancelled call: the
            # cancellation then reaches the handler at its next await
            await asyncio.sleep(1)
            finished.set()
            return ref.Response(names=["finished"])

        async def chat(self, messages: typing.Any) -> typing.Any:
            self._grpcio_context.add_done_callback(lambda _: rpc_done.set())
            async for r in messages:
                yield ref.VersionResponse(name=r.name)
            await asyncio.sleep(1)
            finished.set()

    def sync_gen() -> typing.Iterator[typing.Any]:
        yield make(name="a")
        raise error

    async def async_gen() -> typing.AsyncIterator[typing.Any]:
        yield make(name="a")
        if kind == "async-waiting-first":
            await asyncio.sleep(0.05)
        raise error

    producer = sync_gen() if kind == "sync" else async_gen()
    async with aio_server(Watch()._grpcio_rpc_handler()) as address, grpc.aio.insecure_channel(address) as channel:
        stub = aio_kit.cls(channel)
        with pytest.raises(LookupError) as info:
            if method == "upload":
                await stub.upload(producer, timeout=10)
            else:
                [r async for r in stub.chat(producer, timeout=10)]
        assert info.value is error
        assert await _wait_for(rpc_done.is_set, 3.0)
        assert not finished.is_set()


# ---- sync grpcio clients ------------------------------------------------------------------------------


def test_sync_client_signatures(sync_kit: Kit) -> None:
    cls = sync_kit.cls
    assert _keyword_only(cls.__init__) == ["timeout", "metadata", "credentials"]
    for name in METHODS:
        assert _keyword_only(getattr(cls, name)) == ["timeout", "metadata", "credentials"], name
        assert not inspect.iscoroutinefunction(getattr(cls, name))


@aio
async def test_sync_client_keywords(sync_kit: Kit) -> None:
    """Every shape; metadata and timeout defaults vs per-call values;
    DEADLINE_EXCEEDED; call credentials."""
    m, cls = sync_kit.msgs, sync_kit.cls

    def run(address: str) -> None:
        with grpc.insecure_channel(address) as channel:
            cf.exercise_sync_client(cls(channel), m)
            stub = cls(channel, metadata={"x-default": "d"}, timeout=0.2)
            assert list(stub.my_rpc(m.Request(name="a")).names) == ["a", "x-default=d"]
            got = stub.my_rpc(m.Request(name="a"), metadata=[("x-call", "c"), ("x-c-bin", b"\x07")])
            assert list(got.names) == ["a", "x-call=c", "x-c-bin=07"]
            with pytest.raises(grpc.RpcError) as info:
                stub.my_rpc(m.Request(name="sleep:1"))
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert list(stub.my_rpc(m.Request(name="sleep:0.4"), timeout=5).names) == ["sleep:0.4", "x-default=d"]
            with pytest.raises(grpc.RpcError) as info:
                cls(channel).my_rpc(m.Request(name="sleep:1"), timeout=0.1)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            with pytest.raises(grpc.RpcError) as info:
                list(cls(channel).versions(m.VersionRequest(name="sleep:1"), timeout=0.1))
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert list(stub.upload(iter([m.Request(name="u")]), timeout=5).names) == ["u"]

    local = grpc.LocalConnectionType.LOCAL_TCP

    def run_secure(address: str) -> None:
        with grpc.secure_channel(address, grpc.local_channel_credentials(local)) as channel:
            stub = cls(channel, credentials=grpc.metadata_call_credentials(_Creds("default")))
            assert list(stub.my_rpc(m.Request(name="c")).names) == ["c", "x-cred=default"]
            got = stub.my_rpc(m.Request(name="c"), credentials=grpc.metadata_call_credentials(_Creds("call")))
            assert list(got.names) == ["c", "x-cred=call"]

    async with _serve_ref(sync_kit) as address:
        await asyncio.to_thread(run, address)
    async with _serve_ref(sync_kit, credentials=grpc.local_server_credentials(local)) as address:
        await asyncio.to_thread(run_secure, address)


# ---- grpclib clients ---------------------------------------------------------------------------------


def _is_deadline_error(exc: BaseException) -> bool:
    if isinstance(exc, asyncio.TimeoutError):
        return True
    return isinstance(exc, grpclib.exceptions.GRPCError) and exc.status == grpclib.const.Status.DEADLINE_EXCEEDED


def test_grpclib_client_signatures(grpclib_kit: Kit) -> None:
    cls = grpclib_kit.cls
    assert _keyword_only(cls.__init__) == ["timeout", "deadline", "metadata"]
    for name in METHODS:
        assert _keyword_only(getattr(cls, name)) == ["timeout", "deadline", "metadata"], name


@aio
async def test_grpclib_client_against_grpcio_server(grpclib_kit: Kit) -> None:
    """A grpclib client against a grpc.aio server base: every shape, metadata
    defaults vs per-call values, timeouts."""
    m, cls = grpclib_kit.msgs, grpclib_kit.cls
    async with _serve_ref(grpclib_kit) as address:
        port = int(address.rsplit(":", 1)[1])
        async with grpclib_channel(port) as channel:
            await cf.exercise_async_client(cls(channel), m)
            stub = cls(channel, metadata={"x-default": "d"})
            assert list((await stub.my_rpc(m.Request(name="a"))).names) == ["a", "x-default=d"]
            got = await stub.my_rpc(m.Request(name="a"), metadata=[("x-call", "c"), ("x-c-bin", b"\x00\x01")])
            assert list(got.names) == ["a", "x-call=c", "x-c-bin=0001"]
            assert list((await stub.my_rpc(m.Request(name="a"), metadata={"x-m": "1"})).names) == ["a", "x-m=1"]
            with pytest.raises(BaseException) as info:
                await cls(channel).my_rpc(m.Request(name="sleep:1"), timeout=0.1)
            assert _is_deadline_error(info.value), repr(info.value)
            short = cls(channel, timeout=0.1)
            with pytest.raises(BaseException) as info:
                await short.my_rpc(m.Request(name="sleep:1"))
            assert _is_deadline_error(info.value), repr(info.value)
            with pytest.raises(BaseException) as info:
                [r async for r in short.versions(m.VersionRequest(name="sleep:1"))]
            assert _is_deadline_error(info.value), repr(info.value)
            assert list((await short.my_rpc(m.Request(name="sleep:0.3"), timeout=5)).names) == ["sleep:0.3"]


@aio
async def test_grpclib_client_deadline(grpclib_kit: Kit) -> None:
    """deadline= (a grpclib.metadata.Deadline), per call and as the stub's default."""
    m, cls = grpclib_kit.msgs, grpclib_kit.cls
    Deadline = grpclib.metadata.Deadline
    ref = generated("ar_async_sync_grpclib", grpclib_kit.ns.mode)
    async with grpclib_server(grpclib_impl(ref.svc)()) as port, grpclib_channel(port) as channel:
        plain = cls(channel)
        got = await plain.my_rpc(m.Request(name="ok"), deadline=Deadline.from_timeout(5))
        assert list(got.names) == ["ok"]
        with pytest.raises(BaseException) as info:
            await plain.my_rpc(m.Request(name="sleep:1"), deadline=Deadline.from_timeout(0.1))
        assert _is_deadline_error(info.value), repr(info.value)
        with pytest.raises(BaseException) as info:
            [r async for r in plain.versions(m.VersionRequest(name="sleep:1"), deadline=Deadline.from_timeout(0.1))]
        assert _is_deadline_error(info.value), repr(info.value)
        stub = cls(channel, deadline=Deadline.from_timeout(5))
        assert list((await stub.upload([m.Request(name="u")])).names) == ["u"]
        assert [r.version async for r in stub.versions(m.VersionRequest())] == [0, 1, 2]
        assert [r.version async for r in stub.chat([m.VersionRequest(name="ab")])] == [2]
        short = cls(channel, deadline=Deadline.from_timeout(0.1))
        with pytest.raises(BaseException) as info:
            await short.my_rpc(m.Request(name="sleep:1"))
        assert _is_deadline_error(info.value), repr(info.value)
        got = await short.my_rpc(m.Request(name="sleep:0.2"), deadline=Deadline.from_timeout(5))
        assert list(got.names) == ["sleep:0.2"]


@aio
@pytest.mark.parametrize("server", ["grpcio", "grpclib"])
async def test_grpclib_client_empty_request_stream(grpclib_kit: Kit, server: str) -> None:
    cls = grpclib_kit.cls

    async def nothing() -> typing.AsyncIterator[typing.Any]:
        return
        yield

    async def check(port: int) -> None:
        async with grpclib_channel(port) as channel:
            stub = cls(channel)
            for make in (list, tuple, iter, lambda _: nothing()):
                assert list((await stub.upload(make([]))).names) == []
                assert [r async for r in stub.chat(make([]))] == []

    if server == "grpcio":
        async with _serve_ref(grpclib_kit) as address:
            await check(int(address.rsplit(":", 1)[1]))
    else:
        ref = generated("ar_async_sync_grpclib", grpclib_kit.ns.mode)
        async with grpclib_server(grpclib_impl(ref.svc)()) as port:
            await check(port)


@aio
@pytest.mark.parametrize("mode", MODES)
async def test_grpcio_client_against_grpclib_server(mode: str) -> None:
    """A grpc.aio client (and a sync grpcio client) against a grpclib server base."""
    client = generated("ar_sync_async_grpcio", mode)
    server = generated("ar_async_sync_grpclib", mode)
    async with grpclib_server(grpclib_impl(server.svc)()) as port:
        await exercise_client("grpcio", client.svc.MyServiceAsyncStub, client.msgs, ("grpclib", port))
        await exercise_client("sync", client.svc.MyServiceStub, client.msgs, ("grpclib", port))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await client.svc.MyServiceAsyncStub(channel).my_rpc(client.msgs.Request(name="fail"))
            assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await client.svc.MyServiceAsyncStub(channel).my_rpc(client.msgs.Request(name="sleep:1"), timeout=0.1)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


# ---- grpc.aio server bases -----------------------------------------------------------------------------

BASE_SETS = ["ar_sync_async_grpcio", "df_grpcio"]


@pytest.fixture(params=[(s, m) for s in BASE_SETS for m in MODES], ids=lambda p: f"{p[0]}-{p[1]}")
def base_set(request: pytest.FixtureRequest) -> types.SimpleNamespace:
    name, mode = request.param
    return generated(name, mode)


def test_grpcio_base_shape(base_set: types.SimpleNamespace) -> None:
    Base = base_set.svc.MyServiceBase
    for name, arg in (("my_rpc", "message"), ("upload", "messages"), ("versions", "message"), ("chat", "messages")):
        assert list(inspect.signature(getattr(Base, name)).parameters) == ["self", arg], name
    assert isinstance(Base()._grpcio_rpc_handler(), grpc.GenericRpcHandler)
    with pytest.raises(RuntimeError, match="_grpcio_context"):
        Base()._grpcio_context  # noqa: B018


@aio
async def test_grpcio_base_unimplemented(base_set: types.SimpleNamespace) -> None:
    """The default bodies answer UNIMPLEMENTED (to grpc.aio and grpclib clients)."""
    svc, m = base_set.svc, base_set.msgs
    lib = generated("ar_async_sync_grpclib", base_set.mode)
    async with aio_server(svc.MyServiceBase()._grpcio_rpc_handler()) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = svc.MyServiceAsyncStub(channel)
            calls = [
                stub.my_rpc(m.Request()),
                stub.upload([m.Request()]),
                _drain(stub.versions(m.VersionRequest())),
                _drain(stub.chat([m.VersionRequest()])),
            ]
            for call in calls:
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await call
                assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
        async with grpclib_channel(int(address.rsplit(":", 1)[1])) as channel:
            stub = lib.svc.MyServiceStub(channel)
            lm = lib.msgs
            calls = [stub.my_rpc(lm.Request()), stub.upload([lm.Request()]),
                     _drain(stub.versions(lm.VersionRequest())), _drain(stub.chat([lm.VersionRequest()]))]
            for call in calls:
                with pytest.raises(grpclib.exceptions.GRPCError) as info2:
                    await call
                assert info2.value.status == grpclib.const.Status.UNIMPLEMENTED


async def _drain(responses: typing.AsyncIterator[typing.Any]) -> list[typing.Any]:
    return [r async for r in responses]


@aio
async def test_grpcio_base_context_isolation(base_set: types.SimpleNamespace) -> None:
    """100 concurrent unary requests (and 20 of each streaming shape) each see
    their own metadata through self._grpcio_context, across awaits."""
    svc, m = base_set.svc, base_set.msgs

    def my_id(ctx: typing.Any) -> str:
        return dict(ctx.invocation_metadata())["x-id"]

    class Isolated(svc.MyServiceBase):  # type: ignore[misc, name-defined]
        async def my_rpc(self, message: typing.Any) -> typing.Any:
            before = my_id(self._grpcio_context)
            await asyncio.sleep((int(message.name) % 7) * 0.003)
            after = my_id(self._grpcio_context)
            return m.Response(names=[before, after, message.name])

        async def upload(self, messages: typing.Any) -> typing.Any:
            names = []
            async for r in messages:
                names.append(f"{my_id(self._grpcio_context)}:{r.name}")
                await asyncio.sleep(0.001)
            return m.Response(names=names)

        async def versions(self, message: typing.Any) -> typing.Any:
            for i in range(3):
                await asyncio.sleep(0.001 * (i + 1))
                yield m.VersionResponse(name=my_id(self._grpcio_context), version=i)

        async def chat(self, messages: typing.Any) -> typing.Any:
            async for r in messages:
                await asyncio.sleep(0.001)
                yield m.VersionResponse(name=f"{my_id(self._grpcio_context)}:{r.name}")

    impl = Isolated()
    async with aio_server(impl._grpcio_rpc_handler()) as address, grpc.aio.insecure_channel(address) as channel:
        stub = svc.MyServiceAsyncStub(channel)

        async def unary(i: int) -> None:
            got = await stub.my_rpc(m.Request(name=str(i)), metadata={"x-id": f"u{i}"})
            assert list(got.names) == [f"u{i}", f"u{i}", str(i)]

        async def upload(i: int) -> None:
            got = await stub.upload([m.Request(name="a"), m.Request(name="b")], metadata={"x-id": f"up{i}"})
            assert list(got.names) == [f"up{i}:a", f"up{i}:b"]

        async def versions(i: int) -> None:
            got = [r.name async for r in stub.versions(m.VersionRequest(), metadata={"x-id": f"v{i}"})]
            assert got == [f"v{i}"] * 3

        async def chat(i: int) -> None:
            got = [r.name async for r in stub.chat([m.VersionRequest(name="q")] * 2, metadata={"x-id": f"c{i}"})]
            assert got == [f"c{i}:q"] * 2

        jobs = [unary(i) for i in range(100)] + [f(i) for f in (upload, versions, chat) for i in range(20)]
        await asyncio.gather(*jobs)
    with pytest.raises(RuntimeError, match="_grpcio_context"):
        impl._grpcio_context  # noqa: B018




@aio
async def test_grpcio_base_stream_cancel_leaves_no_error(base_set: types.SimpleNamespace) -> None:
    """Clients closing server streams early: no errors reach the server's event
    loop when the abandoned handler generators are finalized."""
    import gc

    svc, m = base_set.svc, base_set.msgs

    class Endless(svc.MyServiceBase):  # type: ignore[misc, name-defined]
        async def versions(self, message: typing.Any) -> typing.Any:
            i = 0
            while True:
                i += 1
                yield m.VersionResponse(name="x" * 2000, version=i)

    loop = asyncio.get_running_loop()
    errors: list[typing.Any] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context.get("exception") or context))
    try:
        async with (
            aio_server(Endless()._grpcio_rpc_handler()) as address,
            grpc.aio.insecure_channel(address) as channel,
        ):
            for _ in range(6):
                responses = svc.MyServiceAsyncStub(channel).versions(m.VersionRequest())
                assert (await responses.__anext__()).version == 1
                await responses.aclose()
                await asyncio.sleep(0.05)
        # grpc.aio lets go of the abandoned handler generators by the time the
        # server has stopped; the loop's asyncgen finalizer then closes them
        gc.collect()
        await asyncio.sleep(0.2)
    finally:
        loop.set_exception_handler(previous)
    assert [repr(e) for e in errors] == []


RETURN_VARIANTS = {
    "async-returns-none": (True, lambda m: None, True),
    "sync-returns-none": (False, lambda m: None, True),
    "async-returns-value": (True, lambda m: m.VersionResponse(name="v"), False),
    "async-returns-list": (True, lambda m: [m.VersionResponse(name="v")], False),
    "async-returns-iterator": (True, lambda m: iter([m.VersionResponse(name="v")]), False),
    "sync-returns-list": (False, lambda m: [m.VersionResponse(name="v")], False),
    "sync-returns-tuple": (False, lambda m: (m.VersionResponse(name="v"),), False),
    "sync-generator": (False, "generator", False),
}


@aio
@pytest.mark.parametrize("method", ["versions", "chat"])
@pytest.mark.parametrize("variant", list(RETURN_VARIANTS))
async def test_grpcio_base_streaming_return_rules(
    base_set: types.SimpleNamespace, variant: str, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Server-streaming handlers must be async generators: returning None gives
    an empty stream; any other value (a message, a list, an iterator, a sync
    generator) fails the call and the server raises TypeError saying so."""
    svc, m = base_set.svc, base_set.msgs
    is_async, make, ok = RETURN_VARIANTS[variant]
    if make == "generator":

        def impl(self: typing.Any, arg: typing.Any) -> typing.Any:
            yield m.VersionResponse(name="v")

    elif is_async:

        async def impl(self: typing.Any, arg: typing.Any) -> typing.Any:
            return make(m)

    else:

        def impl(self: typing.Any, arg: typing.Any) -> typing.Any:  # type: ignore[misc]
            return make(m)

    Impl = type("Impl", (svc.MyServiceBase,), {method: impl})
    caplog.set_level(logging.ERROR)
    async with aio_server(Impl()._grpcio_rpc_handler()) as address, grpc.aio.insecure_channel(address) as channel:
        stub = svc.MyServiceAsyncStub(channel)
        if ok:
            # a server that ends a bidi call at once races the client's
            # half-close; grpc.aio reports the lost race as INTERNAL "Failed
            # execute_batch" (grpcio's, see test_aio.then_hold): retry those
            for attempt in range(5):
                responses = (stub.versions(m.VersionRequest()) if method == "versions"
                             else stub.chat([m.VersionRequest()]))
                try:
                    assert [r async for r in responses] == []
                    return
                except grpc.aio.AioRpcError as e:
                    if e.code() != grpc.StatusCode.INTERNAL or method != "chat" or attempt == 4:
                        raise
            return
        responses = stub.versions(m.VersionRequest()) if method == "versions" else stub.chat([m.VersionRequest()])
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _drain(responses)
        assert info.value.code() != grpc.StatusCode.OK
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], TypeError)]
    assert errors, [r.getMessage() for r in caplog.records]
    assert any(method in str(e) and "async generator" in str(e) for e in errors), errors


# ---- grpclib server bases -----------------------------------------------------------------------------

GRPCLIB_BASE_SETS = ["ar_async_sync_grpclib", "ar_server_only", "df_grpclib_explicit"]


@pytest.fixture(params=[(s, m) for s in GRPCLIB_BASE_SETS for m in MODES], ids=lambda p: f"{p[0]}-{p[1]}")
def grpclib_base_set(request: pytest.FixtureRequest) -> types.SimpleNamespace:
    name, mode = request.param
    return generated(name, mode)


def test_grpclib_base_mapping(grpclib_base_set: types.SimpleNamespace) -> None:
    Base = grpclib_base_set.svc.MyServiceBase
    m = grpclib_base_set.msgs
    mapping = Base().__mapping__()
    C = grpclib.const.Cardinality
    assert {k: (v.cardinality, v.request_type, v.reply_type) for k, v in mapping.items()} == {
        "/example.MyService/MyRPC": (C.UNARY_UNARY, m.Request, m.Response),
        "/example.MyService/Upload": (C.STREAM_UNARY, m.Request, m.Response),
        "/example.MyService/Versions": (C.UNARY_STREAM, m.VersionRequest, m.VersionResponse),
        "/example.MyService/Chat": (C.STREAM_STREAM, m.VersionRequest, m.VersionResponse),
    }
    for name, arg in (("my_rpc", "message"), ("upload", "messages"), ("versions", "message"), ("chat", "messages")):
        assert list(inspect.signature(getattr(Base, name)).parameters) == ["self", arg], name


@aio
async def test_grpclib_base_unimplemented(grpclib_base_set: types.SimpleNamespace) -> None:
    """The default bodies answer UNIMPLEMENTED, to grpclib and grpc.aio clients."""
    lib = generated("ar_async_sync_grpclib", grpclib_base_set.mode)
    io = generated("ar_sync_async_grpcio", grpclib_base_set.mode)
    async with grpclib_server(grpclib_base_set.svc.MyServiceBase()) as port:
        async with grpclib_channel(port) as channel:
            stub, lm = lib.svc.MyServiceStub(channel), lib.msgs
            calls = [stub.my_rpc(lm.Request()), stub.upload([lm.Request()]),
                     _drain(stub.versions(lm.VersionRequest())), _drain(stub.chat([lm.VersionRequest()]))]
            for call in calls:
                with pytest.raises(grpclib.exceptions.GRPCError) as info:
                    await call
                assert info.value.status == grpclib.const.Status.UNIMPLEMENTED
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            # empty request streams: grpclib answers before reading, and a grpc.aio
            # client still writing a request then reports INTERNAL (grpc's race)
            astub, im = io.svc.MyServiceAsyncStub(channel), io.msgs
            calls = [astub.my_rpc(im.Request()), astub.upload([]),
                     _drain(astub.versions(im.VersionRequest())), _drain(astub.chat([]))]
            for call in calls:
                with pytest.raises(grpc.aio.AioRpcError) as info2:
                    await call
                assert info2.value.code() == grpc.StatusCode.UNIMPLEMENTED


@aio
async def test_grpclib_base_serves(grpclib_base_set: types.SimpleNamespace) -> None:
    """An implemented grpclib base serves grpclib, grpc.aio and sync grpcio clients."""
    ns = grpclib_base_set
    lib = generated("ar_async_sync_grpclib", ns.mode)
    io = generated("ar_sync_async_grpcio", ns.mode)
    impl = grpclib_impl(ns.svc, ns.msgs)()
    async with grpclib_server(impl) as port:
        target = ("grpclib", port)
        await exercise_client("grpclib", lib.svc.MyServiceStub, lib.msgs, target)
        await exercise_client("grpcio", io.svc.MyServiceAsyncStub, io.msgs, target)
        await exercise_client("sync", io.svc.MyServiceStub, io.msgs, target)
        async with grpclib_channel(port) as channel:
            with pytest.raises(grpclib.exceptions.GRPCError) as info:
                await lib.svc.MyServiceStub(channel).upload([lib.msgs.Request(name="fail")])
            assert info.value.status == grpclib.const.Status.FAILED_PRECONDITION
