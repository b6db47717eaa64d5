"""Smoke suite for one CPython (tests/pyversions/run.sh): the greeter's four
call shapes on a real sync grpc server with the sync stubs and on a real
grpc.aio server with the aio stubs, an undecodable request answered
INVALID_ARGUMENT, and the well-known types' helpers. Usage: smoke.py MOONSTUB
OUT_DIR."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import importlib.util
import subprocess
import sys
import typing
from pathlib import Path

import grpc

moonstub, out = sys.argv[1], Path(sys.argv[2])
greeter = Path(__file__).resolve().parents[2] / "examples" / "greeter"
subprocess.run([moonstub, "-I", str(greeter), str(greeter / "greeter.proto"), f"--python_out={out}",
                "--grpc-python-mode=sync"], check=True)
# the grpc.aio companion (the default mode) of the same schema, beside it
subprocess.run([moonstub, "-I", str(greeter), str(greeter / "greeter.proto"), f"--python_out={out / 'aio'}",
                "--grpc"], check=True)
sys.path.insert(0, str(out))
import demo_greeter as pb  # noqa: E402
import demo_greeter_grpc as rpc  # noqa: E402
from moonstub import runtime, wkt  # noqa: E402


class Greeter(rpc.GreeterServicer):
    def say_hello(self, request, context):
        return pb.HelloReply(reply=f"Hello, {request.name}!")

    def lots_of_replies(self, request, context):
        for i in range(3):
            yield pb.HelloReply(reply=f"{request.name} {i}")

    def lots_of_greetings(self, request_iterator, context):
        return pb.HelloReply(reply=",".join(r.name for r in request_iterator))

    def chat(self, request_iterator, context):
        for r in request_iterator:
            yield pb.HelloReply(reply=r.name.upper())


server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
rpc.add_servicer(Greeter(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    stub = rpc.GreeterStub(channel)
    assert stub.say_hello(pb.HelloRequest(name="a")).reply == "Hello, a!"
    assert [r.reply for r in stub.lots_of_replies(pb.HelloRequest(name="b"))] == ["b 0", "b 1", "b 2"]
    assert stub.lots_of_greetings(iter([pb.HelloRequest(name="c"), pb.HelloRequest(name="d")])).reply == "c,d"
    assert [r.reply for r in stub.chat(iter([pb.HelloRequest(name="e")]))] == ["E"]
    reply, call = stub.say_hello.with_call(pb.HelloRequest(name="f"))
    assert reply.reply == "Hello, f!" and call.code() == grpc.StatusCode.OK
    try:  # bytes that are not a HelloRequest: field 1, length 255, nothing after
        channel.unary_unary("/demo.greeter.Greeter/SayHello")(b"\x0a\xff")
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
    else:
        raise AssertionError("an undecodable request was answered")
server.stop(None)

# grpc.aio: the aio companion, loaded under a name of its own (it imports the
# same demo_greeter message module)
spec = importlib.util.spec_from_file_location("demo_greeter_grpc_aio", out / "aio" / "demo_greeter_grpc.py")
assert spec is not None and spec.loader is not None
aio_rpc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(aio_rpc)


class AioGreeter(aio_rpc.GreeterServicer):
    async def say_hello(self, request, context):
        return pb.HelloReply(reply=f"Hello, {request.name}!")

    async def lots_of_replies(self, request, context):
        for i in range(3):
            yield pb.HelloReply(reply=f"{request.name} {i}")

    async def lots_of_greetings(self, request_iterator, context):
        return pb.HelloReply(reply=",".join([r.name async for r in request_iterator]))

    async def chat(self, request_iterator, context):
        async for r in request_iterator:
            yield pb.HelloReply(reply=r.name.upper())


async def aio_smoke() -> None:
    aio_server = grpc.aio.server()
    aio_rpc.add_servicer(AioGreeter(), aio_server)
    aio_port = aio_server.add_insecure_port("127.0.0.1:0")
    await aio_server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{aio_port}") as channel:
            stub = aio_rpc.GreeterStub(channel)
            assert (await stub.say_hello(pb.HelloRequest(name="a"))).reply == "Hello, a!"
            assert [r.reply async for r in stub.lots_of_replies(pb.HelloRequest(name="b"))] == ["b 0", "b 1", "b 2"]

            async def requests():
                for name in "cd":
                    yield pb.HelloRequest(name=name)

            assert (await stub.lots_of_greetings(requests())).reply == "c,d"
            assert [r.reply async for r in stub.chat(requests())] == ["C", "D"]
            try:
                await channel.unary_unary("/demo.greeter.Greeter/SayHello")(b"\x0a\xff")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
            else:
                raise AssertionError("an undecodable request was answered")
    finally:
        await aio_server.stop(None)


asyncio.run(aio_smoke())

when = datetime.datetime(2026, 12, 5, 12, 0, 1, 250000, tzinfo=datetime.timezone.utc)
assert wkt.Timestamp.from_datetime(when).to_datetime() == when
assert wkt.Duration.from_timedelta(datetime.timedelta(seconds=90)).to_timedelta().total_seconds() == 90
assert wkt.Struct.from_python({"a": [1, "x", None]}).to_python() == {"a": [1.0, "x", None]}
assert wkt.Value.from_python(True).to_python() is True
# the helpers' annotations resolve on every version (3.10 has no typing.Self)
assert typing.get_type_hints(wkt.Timestamp.from_datetime)["dt"] is datetime.datetime
assert "return" in typing.get_type_hints(wkt.Struct.from_python)
packed = wkt.Any.pack(pb.HelloRequest(name="z"))
assert packed.unpack(pb.HelloRequest).name == "z"
print(f"smoke: python {sys.version.split()[0]}, codec {runtime.CODEC}: ok")
