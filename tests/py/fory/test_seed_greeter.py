"""The seed document's greeter (Fory's "gRPC Support" guide) against moonstub.

moonstub generates schemas/greeter.fdl -- the guide's FDL greeter with all four
RPC shapes -- in grpc.aio mode and in sync mode. The guide's code snippets are
kept below as module texts, copied from the guide; ``test_snippets_are_the_seeds``
checks each one still appears, word for word, in the seed file. They run with
only these harness adaptations:

* the server address ``"[::]:50051"`` becomes ``"127.0.0.1:0"``, and the
  client address ``"localhost:50051"`` the server's real address;
* ``grpc.aio.server`` / ``grpc.server`` are wrapped to learn the port and to
  stop the server (``wait_for_termination`` then returns);
* ``grpc.aio.secure_channel`` is replaced by an insecure channel to the test
  server (the production client of the guide is run unchanged otherwise);
* snippets that are statement fragments in the guide (``async with`` at the top
  level) are indented into an ``async def``;
* the guide's two aio ``class Greeter`` snippets (unary, then streaming) are
  both executed and combined by multiple inheritance into the servicer that
  ``serve()`` registers; the guide's sync server (unary only) runs as it is, and
  the sync streaming shapes, for which the guide gives no code, are tested with
  a servicer and client that follow grpcio's conventions.

``print`` output is captured and every reply text asserted.

It also checks file names (``demo_greeter.py``, ``demo_greeter_grpc.py``;
``generated.py`` without a package), ``add_servicer``'s TypeError,
UNIMPLEMENTED for methods left to the base class, and INVALID_ARGUMENT for a
request that is another message's Fory bytes or not Fory at all (aio and sync).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import threading
import time
import types
import typing
from pathlib import Path

import grpc
import grpc.aio
import pytest
from fory_helpers import (
    RAW_SHAPES,
    SCHEMAS,
    SEED,
    aio_server,
    aio_status,
    exec_snippet,
    generate,
    load_set,
    moonstub,
    normalized,
    sync_server,
    sync_status,
)

aio = pytest.mark.asyncio(loop_scope="module")

MODULES = ("_moonstub", "_moonstub_grpc", "demo_greeter", "demo_greeter_grpc")

# ---- the seed's snippets ---------------------------------------------------------------------

AIO_SERVER = '''\
import asyncio
import grpc.aio
import demo_greeter
import demo_greeter_grpc

class Greeter(demo_greeter_grpc.GreeterServicer):
    async def say_hello(self, request, context):
        return demo_greeter.HelloReply(reply=f"Hello, {request.name}")

async def serve():
    server = grpc.aio.server()
    demo_greeter_grpc.add_servicer(Greeter(), server)
    server.add_insecure_port("[::]:50051")
    await server.start()
    await server.wait_for_termination()

if __name__ == "__main__":
    asyncio.run(serve())
'''

AIO_STREAMING_SERVICER = '''\
class Greeter(demo_greeter_grpc.GreeterServicer):
    async def lots_of_replies(self, request, context):
        yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")
        yield demo_greeter.HelloReply(reply=f"Welcome, {request.name}")

    async def lots_of_greetings(self, request_iterator, context):
        names = []
        async for request in request_iterator:
            names.append(request.name)
        return demo_greeter.HelloReply(reply=", ".join(names))

    async def chat(self, request_iterator, context):
        async for request in request_iterator:
            yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")
'''

AIO_CLIENT = '''\
import asyncio
import grpc
import grpc.aio
import demo_greeter
import demo_greeter_grpc

async def main():
    credentials = grpc.ssl_channel_credentials()
    async with grpc.aio.secure_channel("api.example.com:443", credentials) as channel:
        stub = demo_greeter_grpc.GreeterStub(channel)
        reply = await stub.say_hello(demo_greeter.HelloRequest(name="Fory"))
        print(reply.reply)

if __name__ == "__main__":
    asyncio.run(main())
'''

AIO_TEST_CHANNEL = '''\
# Test-only channel. Use a TLS/auth-configured grpc.aio.Channel in production.
async with grpc.aio.insecure_channel("localhost:50051") as channel:
    stub = demo_greeter_grpc.GreeterStub(channel)
'''

AIO_STREAMING_CLIENT = '''\
credentials = grpc.ssl_channel_credentials()
async with grpc.aio.secure_channel("api.example.com:443", credentials) as channel:
    stub = demo_greeter_grpc.GreeterStub(channel)
    async for reply in stub.lots_of_replies(
        demo_greeter.HelloRequest(name="Fory")
    ):
        print(reply.reply)

    async def greeting_requests():
        yield demo_greeter.HelloRequest(name="Ada")
        yield demo_greeter.HelloRequest(name="Grace")

    summary = await stub.lots_of_greetings(greeting_requests())
    print(summary.reply)

    async def chat_requests():
        yield demo_greeter.HelloRequest(name="Fory")
        yield demo_greeter.HelloRequest(name="RPC")

    async for reply in stub.chat(chat_requests()):
        print(reply.reply)
'''

SYNC_SERVER = '''\
from concurrent import futures
import grpc
import demo_greeter
import demo_greeter_grpc

class Greeter(demo_greeter_grpc.GreeterServicer):
    def say_hello(self, request, context):
        return demo_greeter.HelloReply(reply=f"Hello, {request.name}")

server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
demo_greeter_grpc.add_servicer(Greeter(), server)
server.add_insecure_port("[::]:50051")
server.start()
server.wait_for_termination()
'''

SYNC_CLIENT = '''\
import grpc
import demo_greeter
import demo_greeter_grpc

with grpc.insecure_channel("localhost:50051") as channel:
    stub = demo_greeter_grpc.GreeterStub(channel)
    reply = stub.say_hello(demo_greeter.HelloRequest(name="Fory"))
    print(reply.reply)
'''

SNIPPETS = {
    "AIO_SERVER": AIO_SERVER, "AIO_STREAMING_SERVICER": AIO_STREAMING_SERVICER, "AIO_CLIENT": AIO_CLIENT,
    "AIO_TEST_CHANNEL": AIO_TEST_CHANNEL, "AIO_STREAMING_CLIENT": AIO_STREAMING_CLIENT,
    "SYNC_SERVER": SYNC_SERVER, "SYNC_CLIENT": SYNC_CLIENT,
}

# Not in the guide ("Sync streaming follows the normal grpcio iterator and
# generator conventions"): the sync twin of AIO_STREAMING_SERVICER.
SYNC_STREAMING_SERVICER = '''\
class Greeter(demo_greeter_grpc.GreeterServicer):
    def lots_of_replies(self, request, context):
        yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")
        yield demo_greeter.HelloReply(reply=f"Welcome, {request.name}")

    def lots_of_greetings(self, request_iterator, context):
        return demo_greeter.HelloReply(reply=", ".join(r.name for r in request_iterator))

    def chat(self, request_iterator, context):
        for request in request_iterator:
            yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")
'''

SYNC_STREAMING_CLIENT = '''\
import grpc
import demo_greeter
import demo_greeter_grpc

with grpc.insecure_channel("localhost:50051") as channel:
    stub = demo_greeter_grpc.GreeterStub(channel)
    for reply in stub.lots_of_replies(demo_greeter.HelloRequest(name="Fory")):
        print(reply.reply)
    summary = stub.lots_of_greetings(iter([demo_greeter.HelloRequest(name="Ada"),
                                           demo_greeter.HelloRequest(name="Grace")]))
    print(summary.reply)
    for reply in stub.chat(iter([demo_greeter.HelloRequest(name="Fory"), demo_greeter.HelloRequest(name="RPC")])):
        print(reply.reply)
'''

UNARY_LINES = ["Hello, Fory"]
STREAM_LINES = ["Hello, Fory", "Welcome, Fory", "Ada, Grace", "Hello, Fory", "Hello, RPC"]


def server_address(text: str) -> str:
    return text.replace('"[::]:50051"', '"127.0.0.1:0"')


def client_address(text: str, address: str) -> str:
    return text.replace('"localhost:50051"', f'"{address}"')


def in_async_def(name: str, body: str) -> str:
    return f"async def {name}():\n" + "".join(f"    {line}\n" if line else "\n" for line in body.splitlines())


# ---- generated sets ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def aio_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, types.ModuleType]:
    out = generate(tmp_path_factory.mktemp("greeter_aio"), SCHEMAS, ["greeter.fdl"], "--grpc")
    return load_set(out, "seed_aio", MODULES)


@pytest.fixture(scope="module")
def sync_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, types.ModuleType]:
    out = generate(tmp_path_factory.mktemp("greeter_sync"), SCHEMAS, ["greeter.fdl"], "--grpc",
                   "--grpc-python-mode=sync")
    return load_set(out, "seed_sync", MODULES)


class RecordingServer:
    """A grpc(.aio) server that remembers its port and whether it started."""

    def __init__(self, real: typing.Any) -> None:
        self.real = real
        self.port = 0
        self.started = threading.Event()

    def add_insecure_port(self, address: str) -> int:
        self.port = self.real.add_insecure_port(address)
        return self.port

    def start(self) -> typing.Any:
        result = self.real.start()
        if asyncio.iscoroutine(result):
            async def started() -> None:
                await result
                self.started.set()
            return started()
        self.started.set()
        return result

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self.real, name)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


# ---- the snippets are the seed's -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_are_the_seeds(name: str) -> None:
    if not SEED.is_file():
        pytest.skip(f"seed document not found at {SEED}")
    assert normalized(SNIPPETS[name]) in normalized(SEED.read_text(encoding="utf-8")), \
        f"{name} is not a verbatim copy of the seed's snippet"


# ---- file names -------------------------------------------------------------------------------


def test_generated_file_names(tmp_path: Path) -> None:
    for mode in ("aio", "sync"):
        out = generate(tmp_path / mode, SCHEMAS, ["greeter.fdl"], "--grpc", f"--grpc-python-mode={mode}")
        assert sorted(p.name for p in out.iterdir()) == \
            ["_moonstub.py", "_moonstub_grpc.py", "demo_greeter.py", "demo_greeter_grpc.py"]
    no_grpc = generate(tmp_path / "plain", SCHEMAS, ["greeter.fdl"])
    assert "demo_greeter_grpc.py" not in {p.name for p in no_grpc.iterdir()}
    assert (no_grpc / "demo_greeter.py").is_file()


def test_schema_without_package_is_generated_py(tmp_path: Path) -> None:
    text = (SCHEMAS / "greeter.fdl").read_text(encoding="utf-8").replace("package demo.greeter;\n", "")
    src = tmp_path / "src"
    src.mkdir()
    (src / "nopkg.fdl").write_text(text, encoding="utf-8")
    out = generate(tmp_path / "out", src, ["nopkg.fdl"], "--grpc")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["_moonstub.py", "_moonstub_grpc.py", "generated.py", "generated_grpc.py"]
    mods = load_set(out, "nopkg", ("_moonstub", "_moonstub_grpc", "generated", "generated_grpc"))
    assert "import generated as" in (out / "generated_grpc.py").read_text(encoding="utf-8")
    # the wire path has no package
    assert '"/Greeter/SayHello"' in (out / "generated_grpc.py").read_text(encoding="utf-8")
    req = mods["generated"].HelloRequest(name="x")
    assert mods["generated"].HelloRequest.from_bytes(req.to_bytes()) == req


# ---- the seed's code, grpc.aio ----------------------------------------------------------------


@aio
async def test_seed_aio_server_and_clients(aio_set: dict[str, types.ModuleType],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    servers: list[RecordingServer] = []
    real_server = grpc.aio.server

    def recording_server(*args: typing.Any, **kwargs: typing.Any) -> RecordingServer:
        servers.append(RecordingServer(real_server(*args, **kwargs)))
        return servers[-1]

    monkeypatch.setattr(grpc.aio, "server", recording_server)
    unary = exec_snippet(server_address(AIO_SERVER), aio_set, "seed_aio_server")
    # the streaming snippet has no imports of its own: it runs with the names
    # the server snippet imported
    streaming = {"__name__": "seed_aio_streaming", "demo_greeter": unary["demo_greeter"],
                 "demo_greeter_grpc": unary["demo_greeter_grpc"]}
    exec(compile(AIO_STREAMING_SERVICER, "<seed_aio_streaming>", "exec"), streaming)  # noqa: S102
    assert unary["demo_greeter"] is aio_set["demo_greeter"]
    # serve() registers the module's Greeter: both of the guide's Greeter classes
    unary["Greeter"] = type("Greeter", (streaming["Greeter"], unary["Greeter"]), {})

    serving = asyncio.create_task(unary["serve"]())
    try:
        for _ in range(500):
            if servers and servers[0].started.is_set():
                break
            assert not serving.done(), serving.exception()
            await asyncio.sleep(0.01)
        assert servers and servers[0].port > 0, "serve() did not start a server"
        address = f"127.0.0.1:{servers[0].port}"

        def secure_channel(target: str, credentials: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
            assert target == "api.example.com:443"
            assert isinstance(credentials, grpc.ChannelCredentials)
            return grpc.aio.insecure_channel(address)

        monkeypatch.setattr(grpc.aio, "secure_channel", secure_channel)

        # the production client, main(), unchanged
        client = exec_snippet(AIO_CLIENT, aio_set, "seed_aio_client")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            await client["main"]()
        assert lines(out) == UNARY_LINES

        # the streaming client
        text = "import grpc\nimport grpc.aio\nimport demo_greeter\nimport demo_greeter_grpc\n\n" + \
            in_async_def("streaming_client", AIO_STREAMING_CLIENT)
        streaming_client = exec_snippet(text, aio_set, "seed_aio_streaming_client")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            await streaming_client["streaming_client"]()
        assert lines(out) == STREAM_LINES

        # the test-only insecure channel, then the unary call of main()
        body = client_address(AIO_TEST_CHANNEL, address) + \
            '    reply = await stub.say_hello(demo_greeter.HelloRequest(name="Fory"))\n    print(reply.reply)\n'
        text = "import grpc\nimport grpc.aio\nimport demo_greeter\nimport demo_greeter_grpc\n\n" + \
            in_async_def("test_channel_client", body)
        insecure = exec_snippet(text, aio_set, "seed_aio_test_channel")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            await insecure["test_channel_client"]()
        assert lines(out) == UNARY_LINES
    finally:
        if servers:
            await servers[0].real.stop(None)
        await asyncio.wait_for(serving, 10)  # wait_for_termination() returned


# ---- the seed's code, sync ---------------------------------------------------------------------


def test_seed_sync_server_and_client(sync_set: dict[str, types.ModuleType], monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's sync server (module-level code: it blocks in
    wait_for_termination) runs in a thread; the guide's sync client calls it."""
    servers: list[RecordingServer] = []
    real_server = grpc.server

    def recording_server(*args: typing.Any, **kwargs: typing.Any) -> RecordingServer:
        servers.append(RecordingServer(real_server(*args, **kwargs)))
        return servers[-1]

    monkeypatch.setattr(grpc, "server", recording_server)
    errors: list[BaseException] = []

    def run_server() -> None:
        try:
            exec_snippet(server_address(SYNC_SERVER), sync_set, "seed_sync_server")
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=run_server, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (servers and servers[0].started.is_set()):
            assert not errors, errors
            assert time.monotonic() < deadline, "the sync server snippet did not start"
            time.sleep(0.01)
        address = f"127.0.0.1:{servers[0].port}"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec_snippet(client_address(SYNC_CLIENT, address), sync_set, "seed_sync_client")
        assert lines(out) == UNARY_LINES
        # the guide's sync Greeter implements say_hello only
        with grpc.insecure_channel(address) as channel:
            stub = sync_set["demo_greeter_grpc"].GreeterStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                list(stub.chat(iter([sync_set["demo_greeter"].HelloRequest(name="x")]), timeout=10))
            assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    finally:
        if servers:
            servers[0].real.stop(None).wait(10)
        thread.join(10)
    assert not thread.is_alive(), "wait_for_termination() did not return after stop()"
    assert not errors, errors


def test_sync_streaming(sync_set: dict[str, types.ModuleType]) -> None:
    """The three streaming shapes in sync mode (the guide gives no code: the
    servicer and client follow grpcio's iterator and generator conventions)."""
    servicer = exec_snippet(SYNC_STREAMING_SERVICER.replace("class Greeter(", "import demo_greeter\n"
                                                            "import demo_greeter_grpc\n\nclass Greeter(", 1),
                            sync_set, "sync_streaming_servicer")["Greeter"]
    with sync_server(lambda s: sync_set["demo_greeter_grpc"].add_servicer(servicer(), s)) as address:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec_snippet(client_address(SYNC_STREAMING_CLIENT, address), sync_set, "sync_streaming_client")
    assert lines(out) == STREAM_LINES


# ---- registration and errors ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["aio", "sync"])
def test_add_servicer_rejects_other_objects(mode: str, aio_set: dict[str, types.ModuleType],
                                            sync_set: dict[str, types.ModuleType]) -> None:
    mods = aio_set if mode == "aio" else sync_set
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    try:
        class NotAServicer:
            async def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
                return None

        for wrong in (NotAServicer(), object(), mods["demo_greeter"].HelloRequest(name="x")):
            with pytest.raises(TypeError, match=r"^Unsupported gRPC servicer type: " + type(wrong).__name__ + "$"):
                mods["demo_greeter_grpc"].add_servicer(wrong, server)
    finally:
        server.stop(None)


PATHS = {
    "unary_unary": "/demo.greeter.Greeter/SayHello",
    "unary_stream": "/demo.greeter.Greeter/LotsOfReplies",
    "stream_unary": "/demo.greeter.Greeter/LotsOfGreetings",
    "stream_stream": "/demo.greeter.Greeter/Chat",
}


@aio
async def test_aio_unimplemented_methods(aio_set: dict[str, types.ModuleType]) -> None:
    g, rpc = aio_set["demo_greeter"], aio_set["demo_greeter_grpc"]

    class OnlyHello(rpc.GreeterServicer):
        async def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
            return g.HelloReply(reply="hi")

    async def requests() -> typing.AsyncIterator[typing.Any]:
        yield g.HelloRequest(name="a")

    async with aio_server(lambda s: rpc.add_servicer(OnlyHello(), s)) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = rpc.GreeterStub(channel)
            assert (await stub.say_hello(g.HelloRequest(name="a"))).reply == "hi"
            calls = {
                "lots_of_replies": lambda: stub.lots_of_replies(g.HelloRequest(name="a")),
                "lots_of_greetings": lambda: stub.lots_of_greetings(requests()),
                "chat": lambda: stub.chat(requests()),
            }
            for name, make in calls.items():
                call = make()
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    if name == "lots_of_greetings":
                        await call
                    else:
                        async for _ in call:
                            pass
                assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED, name
    # nothing overridden at all: SayHello too
    async with aio_server(lambda s: rpc.add_servicer(rpc.GreeterServicer(), s)) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await rpc.GreeterStub(channel).say_hello(g.HelloRequest(name="a"))
            assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # a method of a service that was never registered
    async with aio_server(lambda s: None) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await rpc.GreeterStub(channel).say_hello(g.HelloRequest(name="a"))
            assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_sync_unimplemented_methods(sync_set: dict[str, types.ModuleType]) -> None:
    g, rpc = sync_set["demo_greeter"], sync_set["demo_greeter_grpc"]
    with sync_server(lambda s: rpc.add_servicer(rpc.GreeterServicer(), s)) as address:
        with grpc.insecure_channel(address) as channel:
            stub = rpc.GreeterStub(channel)
            calls = {
                "say_hello": lambda: stub.say_hello(g.HelloRequest(name="a"), timeout=10),
                "lots_of_replies": lambda: list(stub.lots_of_replies(g.HelloRequest(name="a"), timeout=10)),
                "lots_of_greetings": lambda: stub.lots_of_greetings(iter([g.HelloRequest(name="a")]), timeout=10),
                "chat": lambda: list(stub.chat(iter([g.HelloRequest(name="a")]), timeout=10)),
            }
            for name, call in calls.items():
                with pytest.raises(grpc.RpcError) as info:
                    call()
                assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED, name  # type: ignore[attr-defined]


GARBAGE = b"\xff\xfe\x00 not a Fory payload \x00\x01\x02"


def echo_servicer_aio(mods: dict[str, types.ModuleType], calls: list[str]) -> typing.Any:
    g, rpc = mods["demo_greeter"], mods["demo_greeter_grpc"]

    class Echo(rpc.GreeterServicer):
        async def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("say_hello")
            return g.HelloReply(reply=request.name)

        async def lots_of_replies(self, request: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("lots_of_replies")
            yield g.HelloReply(reply=request.name)

        async def lots_of_greetings(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("lots_of_greetings")
            return g.HelloReply(reply=",".join([r.name async for r in request_iterator]))

        async def chat(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("chat")
            async for r in request_iterator:
                yield g.HelloReply(reply=r.name)

    return Echo()


def echo_servicer_sync(mods: dict[str, types.ModuleType], calls: list[str]) -> typing.Any:
    g, rpc = mods["demo_greeter"], mods["demo_greeter_grpc"]

    class Echo(rpc.GreeterServicer):
        def say_hello(self, request: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("say_hello")
            return g.HelloReply(reply=request.name)

        def lots_of_replies(self, request: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("lots_of_replies")
            yield g.HelloReply(reply=request.name)

        def lots_of_greetings(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("lots_of_greetings")
            return g.HelloReply(reply=",".join(r.name for r in request_iterator))

        def chat(self, request_iterator: typing.Any, context: typing.Any) -> typing.Any:
            calls.append("chat")
            for r in request_iterator:
                yield g.HelloReply(reply=r.name)

    return Echo()


@aio
async def test_aio_wrong_or_garbage_payload_is_invalid_argument(aio_set: dict[str, types.ModuleType]) -> None:
    g = aio_set["demo_greeter"]
    good = g.HelloRequest(name="ok").to_bytes()
    wrong_type = g.HelloReply(reply="I am a reply").to_bytes()  # valid Fory bytes of the other message
    calls: list[str] = []
    servicer = echo_servicer_aio(aio_set, calls)
    async with aio_server(lambda s: aio_set["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            for shape, path in PATHS.items():
                assert await aio_status(channel, shape, path, good) == grpc.StatusCode.OK, shape
                for label, payload in (("wrong type", wrong_type), ("garbage", GARBAGE), ("empty", b"")):
                    code = await aio_status(channel, shape, path, payload)
                    assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{shape} with {label}: {code}"
    # unary handlers never ran for a bad request; streaming ones saw it only as an abort
    assert calls.count("say_hello") == 1 and calls.count("lots_of_replies") == 1


def test_sync_wrong_or_garbage_payload_is_invalid_argument(sync_set: dict[str, types.ModuleType]) -> None:
    g = sync_set["demo_greeter"]
    good = g.HelloRequest(name="ok").to_bytes()
    wrong_type = g.HelloReply(reply="I am a reply").to_bytes()
    calls: list[str] = []
    servicer = echo_servicer_sync(sync_set, calls)
    with sync_server(lambda s: sync_set["demo_greeter_grpc"].add_servicer(servicer, s)) as address:
        with grpc.insecure_channel(address) as channel:
            for shape, path in PATHS.items():
                assert sync_status(channel, shape, path, good) == grpc.StatusCode.OK, shape
                for label, payload in (("wrong type", wrong_type), ("garbage", GARBAGE), ("empty", b"")):
                    code = sync_status(channel, shape, path, payload)
                    assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{shape} with {label}: {code}"
    assert calls.count("say_hello") == 1 and calls.count("lots_of_replies") == 1


def test_from_bytes_checks_the_type(aio_set: dict[str, types.ModuleType]) -> None:
    g = aio_set["demo_greeter"]
    reply = g.HelloReply(reply="r")
    assert g.HelloReply.from_bytes(reply.to_bytes()) == reply
    assert bytes(reply) == reply.to_bytes()
    with pytest.raises(TypeError, match="expected HelloRequest, decoded HelloReply"):
        g.HelloRequest.from_bytes(reply.to_bytes())


def test_raw_shapes_cover_every_method() -> None:
    assert tuple(PATHS) == RAW_SHAPES


def test_help_mentions_codec() -> None:
    assert "--codec" in moonstub("--help").stdout
