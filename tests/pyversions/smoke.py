"""Smoke suite for one CPython (tests/pyversions/run.sh): the greeter's four
call shapes on a real sync grpc server with the sync stubs, and the
well-known types' helpers. Usage: smoke.py MOONSTUB OUT_DIR."""

from __future__ import annotations

import concurrent.futures
import datetime
import subprocess
import sys
from pathlib import Path

import grpc

moonstub, out = sys.argv[1], Path(sys.argv[2])
greeter = Path(__file__).resolve().parents[2] / "examples" / "greeter"
subprocess.run([moonstub, "-I", str(greeter), str(greeter / "greeter.proto"), f"--python_out={out}",
                "--grpc-python-mode=sync"], check=True)
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
    try:
        stub.say_hello.with_call(b"\xff")  # type: ignore[arg-type]
    except Exception:
        pass
server.stop(None)

when = datetime.datetime(2026, 12, 5, 12, 0, 1, 250000, tzinfo=datetime.timezone.utc)
assert wkt.Timestamp.from_datetime(when).to_datetime() == when
assert wkt.Duration.from_timedelta(datetime.timedelta(seconds=90)).to_timedelta().total_seconds() == 90
assert wkt.Struct.from_python({"a": [1, "x", None]}).to_python() == {"a": [1.0, "x", None]}
assert wkt.Value.from_python(True).to_python() is True
packed = wkt.Any.pack(pb.HelloRequest(name="z"))
assert packed.unpack(pb.HelloRequest).name == "z"
print(f"smoke: python {sys.version.split()[0]}, codec {runtime.CODEC}: ok")
