"""The gRPC companions are typed: with types-grpcio (pinned in
requirements.txt), the generated ``_grpc`` modules and a client and server
written against them pass ``mypy --strict``, and the stubs' attributes are
grpcio's typed multi-callables, so calls give typed objects, never ``Any``
(``typing.assert_type`` fails on ``Any``).

Each program below is checked by mypy and then run: it starts a server, calls
every RPC shape through the stub and prints ``ok``. A third program makes
type errors on purpose; mypy must report each of them.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"

AIO_PROGRAM = '''
from __future__ import annotations

import asyncio
import typing

import grpc
import grpc.aio

import gtest_v1
import gtest_v1_grpc

from gtest_v1 import Reply, Request
Context = grpc.aio.ServicerContext[Request, Reply]


class Lab(gtest_v1_grpc.LabServicer):
    async def unary(self, request: Request, context: Context) -> Reply:
        await context.send_initial_metadata((("x-initial", "typed"),))
        return Reply(seq=request.seq, text=f"unary:{request.text}")

    async def server_stream(self, request: Request, context: Context) -> typing.AsyncIterator[Reply]:
        for i in range(request.count):
            yield Reply(seq=request.seq + i, total=i)

    async def client_stream(self, request_iterator: typing.AsyncIterator[Request], context: Context) -> Reply:
        seqs = [r.seq async for r in request_iterator]
        return Reply(total=len(seqs), seqs=seqs)

    async def bidi_stream(
        self, request_iterator: typing.AsyncIterator[Request], context: Context
    ) -> typing.AsyncIterator[Reply]:
        async for request in request_iterator:
            yield Reply(seq=request.seq, text=request.text)


async def requests(*seqs: int) -> typing.AsyncIterator[Request]:
    for seq in seqs:
        yield Request(seq=seq)


async def client(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gtest_v1_grpc.LabStub(channel)

        call = stub.unary(Request(seq=1, text="a"), timeout=10, metadata=(("x-k", "v"),))
        typing.assert_type(call, grpc.aio.UnaryUnaryCall[Request, Reply])
        reply = await call
        typing.assert_type(reply, Reply)
        assert (reply.seq, reply.text) == (1, "unary:a")
        initial = await call.initial_metadata()
        assert initial["x-initial"] == "typed"
        assert await call.code() is grpc.StatusCode.OK

        stream = stub.server_stream(Request(seq=10, count=3))
        typing.assert_type(stream, grpc.aio.UnaryStreamCall[Request, Reply])
        seen: list[int] = []
        async for item in stream:
            typing.assert_type(item, Reply)
            seen.append(item.seq)
        assert seen == [10, 11, 12]

        # an iterator of requests, sync or async ...
        typing.assert_type(await stub.client_stream(requests(1, 2)), Reply)
        assert (await stub.client_stream(iter([Request(seq=5)]))).seqs == [5]
        # ... or none: grpc.aio's write/read style
        upload = stub.client_stream()
        typing.assert_type(upload, grpc.aio.StreamUnaryCall[Request, Reply])
        await upload.write(Request(seq=7))
        await upload.write(Request(seq=8))
        await upload.done_writing()
        assert (await upload).seqs == [7, 8]

        chat = stub.bidi_stream()
        typing.assert_type(chat, grpc.aio.StreamStreamCall[Request, Reply])
        await chat.write(Request(seq=3, text="ping"))
        answer = await chat.read()
        assert isinstance(answer, Reply) and answer.text == "ping"
        await chat.done_writing()
        assert await chat.read() is grpc.aio.EOF
        async for item in stub.bidi_stream(requests(4)):
            typing.assert_type(item, Reply)
            assert item.seq == 4

        try:
            await gtest_v1_grpc.CounterStub(channel).increment(Request(), timeout=10)
        except grpc.aio.AioRpcError as err:
            assert err.code() is grpc.StatusCode.UNIMPLEMENTED
        else:
            raise AssertionError("Counter is not served")


async def main() -> None:
    server = grpc.aio.server()
    gtest_v1_grpc.add_servicer(Lab(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        await client(f"127.0.0.1:{port}")
    finally:
        await server.stop(None)
    print("ok")


if __name__ == "__main__":
    asyncio.run(main())
'''

SYNC_PROGRAM = '''
from __future__ import annotations

import concurrent.futures
import typing

import grpc

import gtest_v1
import gtest_v1_grpc

from gtest_v1 import Reply, Request


class Lab(gtest_v1_grpc.LabServicer):
    def unary(self, request: Request, context: grpc.ServicerContext) -> Reply:
        context.set_trailing_metadata((("x-trailing", "typed"),))
        return Reply(seq=request.seq, text=f"unary:{request.text}")

    def server_stream(self, request: Request, context: grpc.ServicerContext) -> typing.Iterator[Reply]:
        for i in range(request.count):
            yield Reply(seq=request.seq + i, total=i)

    def client_stream(self, request_iterator: typing.Iterator[Request], context: grpc.ServicerContext) -> Reply:
        seqs = [r.seq for r in request_iterator]
        return Reply(total=len(seqs), seqs=seqs)

    def bidi_stream(
        self, request_iterator: typing.Iterator[Request], context: grpc.ServicerContext
    ) -> typing.Iterator[Reply]:
        for request in request_iterator:
            yield Reply(seq=request.seq, text=request.text)


def client(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = gtest_v1_grpc.LabStub(channel)

        reply = stub.unary(Request(seq=1, text="a"), timeout=10)
        typing.assert_type(reply, Reply)
        assert reply.text == "unary:a"
        reply, call = stub.unary.with_call(Request(seq=2), metadata=(("x-k", "v"),))
        typing.assert_type(reply, Reply)
        typing.assert_type(call, grpc.Call)
        assert reply.seq == 2 and call.code() is grpc.StatusCode.OK
        assert ("x-trailing", "typed") in call.trailing_metadata()
        future = stub.unary.future(Request(seq=3))
        typing.assert_type(future.result(timeout=10), Reply)
        assert future.result().seq == 3 and future.code() is grpc.StatusCode.OK

        responses = stub.server_stream(Request(seq=10, count=1_000_000))
        first = next(responses)
        typing.assert_type(first, Reply)
        assert first.seq == 10
        assert responses.cancel()  # the iterator is the call: cancellable
        assert responses.code() is grpc.StatusCode.CANCELLED
        assert [r.total for r in stub.server_stream(Request(count=3))] == [0, 1, 2]

        typing.assert_type(stub.client_stream(iter([Request(seq=1), Request(seq=2)])), Reply)
        upload = stub.client_stream.future(iter([Request(seq=4)]))
        typing.assert_type(upload.result(timeout=10), Reply)
        summary, upload_call = stub.client_stream.with_call(iter([Request(seq=5)]))
        assert summary.seqs == [5] and upload_call.code() is grpc.StatusCode.OK

        for item in stub.bidi_stream(iter([Request(seq=6, text="x")])):
            typing.assert_type(item, Reply)
            assert (item.seq, item.text) == (6, "x")

        try:
            gtest_v1_grpc.CounterStub(channel).increment(Request(), timeout=10)
        except grpc.RpcError as err:
            assert err.code() is grpc.StatusCode.UNIMPLEMENTED
        else:
            raise AssertionError("Counter is not served")


def main() -> None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    gtest_v1_grpc.add_servicer(Lab(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        client(f"127.0.0.1:{port}")
    finally:
        server.stop(None).wait(10)
        pool.shutdown(wait=False)
    print("ok")


if __name__ == "__main__":
    main()
'''

# mistakes mypy must find: each line marked `# expect: CODE` is an error of that code, and nothing else is
WRONG_PROGRAM = '''
from __future__ import annotations

import grpc
import grpc.aio

import gtest_v1
import gtest_v1_grpc


async def aio_client(channel: grpc.aio.Channel) -> None:
    stub = gtest_v1_grpc.LabStub(channel)
    await stub.unary(gtest_v1.Reply())  # expect: arg-type
    reply: gtest_v1.Request = await stub.unary(gtest_v1.Request())  # expect: assignment
    call = stub.bidi_stream()
    await call.write(gtest_v1.Reply())  # expect: arg-type
    stub.missing(gtest_v1.Request())  # expect: attr-defined
'''

WRONG_SYNC_PROGRAM = '''
from __future__ import annotations

import grpc

import gtest_v1
import gtest_v1_grpc


def sync_client(channel: grpc.Channel) -> None:
    stub = gtest_v1_grpc.LabStub(channel)
    stub.unary.with_call(gtest_v1.Reply())  # expect: arg-type
    text: int = stub.unary.future(gtest_v1.Request()).result().text  # expect: assignment
    for reply in stub.server_stream(gtest_v1.Request()):
        reply.no_such_field  # expect: attr-defined
'''


def generate(moonstub: str, out: Path, mode: str) -> None:
    cmd = [moonstub, "-I", str(PROTOS), str(PROTOS / "gtest_service.proto"), f"--python_out={out}", "--grpc",
           f"--grpc-python-mode={mode}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def mypy(cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    try:
        importlib.metadata.version("types-grpcio")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("types-grpcio is not installed (requirements.txt pins it: make venv)")
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
                           str(cwd / ".mypy_cache"), *files], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.parametrize("mode", ["aio", "sync"])
def test_typed_program_passes_mypy_strict_and_runs(tmp_path: Path, moonstub_bin: str, mode: str) -> None:
    generate(moonstub_bin, tmp_path, mode)
    (tmp_path / "program.py").write_text(AIO_PROGRAM if mode == "aio" else SYNC_PROGRAM)
    result = mypy(tmp_path, "gtest_v1_grpc.py", "program.py")
    assert result.returncode == 0, result.stdout + result.stderr
    run = subprocess.run([sys.executable, "program.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         check=False, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


@pytest.mark.parametrize("mode", ["aio", "sync"])
def test_type_errors_are_found(tmp_path: Path, moonstub_bin: str, mode: str) -> None:
    generate(moonstub_bin, tmp_path, mode)
    program = WRONG_PROGRAM if mode == "aio" else WRONG_SYNC_PROGRAM
    (tmp_path / "wrong.py").write_text(program)
    result = mypy(tmp_path, "wrong.py")
    assert result.returncode == 1, result.stdout
    expected = {n + 1: line.split("# expect: ")[1] for n, line in enumerate(program.splitlines())
                if "# expect: " in line}
    reported = {int(line.split(":")[1]): line.rsplit("[", 1)[1].rstrip("]")
                for line in result.stdout.splitlines() if ": error:" in line}
    assert reported == expected, result.stdout
