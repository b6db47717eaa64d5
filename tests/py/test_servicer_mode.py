"""A servicer generated for grpc.aio (the default mode) registered on a sync
grpc.server is a TypeError at registration naming the fix; without it every
call failed with INTERNAL ("Failed to serialize response!"). Sync servicers
serve on sync servers, aio ones on aio servers."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import grpc
import pytest
import support

GREETER = support.REPO / "examples" / "greeter"
NAMES = ["demo_greeter", "demo_greeter_grpc"]


def _load(tmp_path: Path, *flags: str) -> dict[str, object]:
    out = support.generate(tmp_path, [GREETER], [GREETER / "greeter.proto"], "--grpc", *flags)
    return support.load_modules(out, NAMES, tag="mode_" + (flags[0].split("=")[-1] if flags else "aio"))


def test_an_aio_servicer_on_a_sync_server_is_a_type_error(tmp_path: Path) -> None:
    mods = _load(tmp_path)
    rpc = mods["demo_greeter_grpc"]
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(1))
    try:
        with pytest.raises(TypeError, match=r"demo\.greeter\.Greeter was generated for grpc\.aio .*"
                                             r"--grpc-python-mode=sync"):
            rpc.add_servicer(rpc.GreeterServicer(), server)
    finally:
        server.stop(None)


def test_a_sync_servicer_serves_on_a_sync_server(tmp_path: Path) -> None:
    mods = _load(tmp_path, "--grpc-python-mode=sync")
    pb, rpc = mods["demo_greeter"], mods["demo_greeter_grpc"]

    class Greeter(rpc.GreeterServicer):
        def say_hello(self, request: object, context: object) -> object:
            return pb.HelloReply(reply="hi")

    with support.sync_server(lambda server: rpc.add_servicer(Greeter(), server)) as address:
        with grpc.insecure_channel(address) as channel:
            stub = rpc.GreeterStub(channel)
            assert stub.say_hello(pb.HelloRequest(name="x")).reply == "hi"
