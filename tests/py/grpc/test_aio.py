"""moonstub's grpc.aio companion (``--grpc``) against real grpc.aio servers.

Every test starts its own server on 127.0.0.1:0 (fixture ``aio_server``) and
talks to it through moonstub's generated stub on a ``grpc.aio`` channel.
"""

from __future__ import annotations

import asyncio
import subprocess
import types
import typing

import grpc
import grpc.aio
import pytest

aio = pytest.mark.asyncio(loop_scope="module")

BIG = 10_000
SLOW = 5.0  # seconds a "slow" handler would sleep (never reached: the deadline is far shorter)
UNDECODABLE = b"\x0a\x05ab"  # field 1, length 5, but only 2 bytes follow
MALFORMED = {  # more requests moonstub's decoder rejects
    "invalid UTF-8 in a string": b"\x12\x01\xff",
    "varint of 11 bytes": b"\x08" + b"\xff" * 10 + b"\x01",
    "stray END_GROUP": b"\x0c",
    "unterminated group": b"\x0b",
    "sub-message length past its parent": b"\x3a\x04\x5a\x02\x12\x01",
}


# Server-side cancellation is observed as asyncio.CancelledError in the handler:
# grpc.aio 1.85's ServicerContext.cancelled() stays False after a client cancel
# even for plain grpcio handlers (checked without moonstub), so it is not asserted.


def x_metadata(context: typing.Any) -> dict[str, str]:
    """The request metadata whose keys start with "x-"; binary values as hex."""
    out = {}
    for key, value in context.invocation_metadata() or ():
        if key.startswith("x-"):
            out[key] = value.hex() if isinstance(value, bytes) else value
    return out


def make_lab(m: types.SimpleNamespace) -> type:
    """A grpc.aio servicer of gtest.v1.Lab and gtest.v1.Counter (moonstub aio set ``m``)."""
    msgs = m.msgs

    class Lab(m.grpc.LabServicer):
        def __init__(self) -> None:
            self.cancelled = asyncio.Event()   # a handler saw asyncio.CancelledError
            self.cancelled_in: list[str] = []
            self.context_cancelled: list[bool] = []
            self.contexts: list[typing.Any] = []
            self.received = 0                   # requests read by client_stream / bidi_stream
            self.received_some = asyncio.Event()

        def _saw_cancel(self, method: str, context: typing.Any) -> None:
            self.cancelled_in.append(method)
            self.contexts.append(context)
            self.cancelled.set()

        async def unary(self, request, context):
            if request.delay_ms:
                try:
                    await asyncio.sleep(request.delay_ms / 1000)
                except asyncio.CancelledError:
                    self._saw_cancel("unary", context)
                    raise
            await context.send_initial_metadata((("x-initial", "hello"),))
            context.set_trailing_metadata((("x-trailing", "bye"), ("x-trailing-bin", b"\x00\xff")))
            if request.abort_after:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"unary refused {request.seq}")
            return msgs.Reply(seq=request.seq, text=f"unary:{request.text}", payload=request.payload,
                              total=1, item=request.item, metadata=x_metadata(context))

        async def server_stream(self, request, context):
            await context.send_initial_metadata((("x-initial", "stream"),))
            context.set_trailing_metadata((("x-trailing", "stream-done"),))
            try:
                for i in range(request.count):
                    if request.abort_after and i == request.abort_after:
                        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"stopped after {i}")
                    if request.delay_ms:
                        await asyncio.sleep(request.delay_ms / 1000)
                    yield msgs.Reply(seq=request.seq + i, total=i, text=f"{request.text}#{i}",
                                     payload=request.payload, item=request.item)
            except asyncio.CancelledError:
                self._saw_cancel("server_stream", context)
                raise

        async def client_stream(self, request_iterator, context):
            seqs = []
            last = None
            try:
                async for request in request_iterator:
                    seqs.append(request.seq)
                    last = request
                    self.received += 1
                    if self.received >= 5:
                        self.received_some.set()
                # grpc.aio ends the request stream of a cancelled call; the
                # cancellation reaches the handler at its next await
                if last is not None and last.delay_ms:
                    await asyncio.sleep(last.delay_ms / 1000)
            except asyncio.CancelledError:
                self._saw_cancel("client_stream", context)
                raise
            return msgs.Reply(seq=last.seq if last else -1, text=last.text if last else "",
                              payload=last.payload if last else b"", total=len(seqs), seqs=seqs,
                              item=last.item if last else None, metadata=x_metadata(context))

        async def bidi_stream(self, request_iterator, context):
            await context.send_initial_metadata((("x-initial", "bidi"),))
            context.set_trailing_metadata((("x-trailing", "bidi-done"),))
            i = 0
            last = None
            try:
                async for request in request_iterator:
                    self.received += 1
                    last = request
                    if request.abort_after and i == request.abort_after:
                        await context.abort(grpc.StatusCode.ABORTED, f"bidi stopped after {i}")
                    yield msgs.Reply(seq=request.seq, text=request.text, payload=request.payload,
                                     total=i, item=request.item)
                    i += 1
                if last is not None and last.delay_ms:
                    await asyncio.sleep(last.delay_ms / 1000)
            except asyncio.CancelledError:
                self._saw_cancel("bidi_stream", context)
                raise

    return Lab


def make_counter(m: types.SimpleNamespace) -> type:
    msgs = m.msgs

    class Counter(m.grpc.CounterServicer):
        async def increment(self, request, context):
            return msgs.Reply(seq=request.seq + 1, text="counter")

        async def countdown(self, request, context):
            for i in range(request.count, 0, -1):
                yield msgs.Reply(seq=i, text="countdown")

    return Counter


@pytest.fixture(scope="module")
def m(ms_aio: types.SimpleNamespace) -> types.SimpleNamespace:
    return ms_aio


@pytest.fixture(scope="module")
def Lab(m: types.SimpleNamespace) -> type:
    return make_lab(m)


def item_of(msgs: types.ModuleType, n: int) -> typing.Any:
    return msgs.Item(name=f"item{n}", count=-n, blob=bytes([n % 256]) * 3, mood=msgs.Mood.MOOD_GRUMPY,
                     tags=[n, -n, 7], inner=msgs.Inner(note="in", flag=True), attrs={"a": n, "b": 2},
                     score=n / 4, number=-n, inners=[msgs.Inner(note="x")], stamp=2**64 - 1 - n, ratio=0.5)


async def then_hold(items: typing.Iterable[typing.Any]) -> typing.AsyncIterator[typing.Any]:
    """Streams ``items``, then waits without half-closing (the call's end cancels it).

    Used wherever the server ends a call while the client could still be
    writing: grpc.aio's client reports a write that races with the server's
    status as INTERNAL ("Failed execute_batch"). This is grpcio's, not
    moonstub's: with a plain grpcio handler that aborts at once, a second
    message written after the first failed so in about 1 call in 5; holding
    after the last message, and sending at most one message to a handler that
    ends the call without reading, avoided it in 1,000 of 1,000 calls."""
    for item in items:
        yield item
    await asyncio.sleep(60)


# ---- the four shapes -------------------------------------------------------------------------


@aio
async def test_four_shapes(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            item = item_of(msgs, 3)

            reply = await stub.unary(msgs.Request(seq=7, text="hi", payload=b"\x00\x01", item=item))
            assert isinstance(reply, msgs.Reply)
            assert (reply.seq, reply.text, reply.payload, reply.total) == (7, "unary:hi", b"\x00\x01", 1)
            assert reply.item == item
            assert reply.item.which_oneof("choice") == "number"

            replies = [r async for r in stub.server_stream(msgs.Request(seq=100, count=4, text="s"))]
            assert [(r.seq, r.total, r.text) for r in replies] == [(100 + i, i, f"s#{i}") for i in range(4)]

            async def requests():
                for i in range(5):
                    yield msgs.Request(seq=i, text=f"c{i}", item=item_of(msgs, i))

            reply = await stub.client_stream(requests())
            assert reply.total == 5 and reply.seqs == [0, 1, 2, 3, 4]
            assert reply.text == "c4" and reply.item == item_of(msgs, 4)

            # a plain (sync) iterable works too for streaming requests
            reply = await stub.client_stream([msgs.Request(seq=1), msgs.Request(seq=2)])
            assert reply.seqs == [1, 2]

            replies = [r async for r in stub.bidi_stream(requests())]
            assert [(r.seq, r.text, r.total) for r in replies] == [(i, f"c{i}", i) for i in range(5)]
            assert [r.item for r in replies] == [item_of(msgs, i) for i in range(5)]

            # empty streams
            assert [r async for r in stub.server_stream(msgs.Request(count=0))] == []
            reply = await stub.client_stream([])
            assert reply.total == 0 and reply.seq == -1
            assert [r async for r in stub.bidi_stream([])] == []


@aio
async def test_snake_case_methods_and_wire_paths(m, Lab, aio_server):
    """One snake_case attribute per RPC (grpc.aio's multi-callable); the wire
    path keeps the IDL names."""
    for name in ("unary", "server_stream", "client_stream", "bidi_stream"):
        assert name in m.grpc.LabStub.__slots__
        assert callable(getattr(m.grpc.LabServicer, name))
    assert m.grpc.CounterStub.__slots__ == ("increment", "countdown")
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            assert isinstance(stub.unary, grpc.aio.UnaryUnaryMultiCallable)
            assert isinstance(stub.server_stream, grpc.aio.UnaryStreamMultiCallable)
            assert isinstance(stub.client_stream, grpc.aio.StreamUnaryMultiCallable)
            assert isinstance(stub.bidi_stream, grpc.aio.StreamStreamMultiCallable)
            raw = channel.unary_unary("/gtest.v1.Lab/Unary")
            data = await raw(msgs.Request(seq=5, text="raw").SerializeToString())
            reply = msgs.Reply.FromString(data)
            assert (reply.seq, reply.text) == (5, "unary:raw")
            raw_stream = channel.unary_stream("/gtest.v1.Lab/ServerStream")
            datas = [d async for d in raw_stream(msgs.Request(count=2).SerializeToString())]
            assert [msgs.Reply.FromString(d).total for d in datas] == [0, 1]
            missing = channel.unary_unary("/gtest.v1.Lab/unary")
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await missing(b"")
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


@aio
async def test_naming_rules(m, aio_server):
    """IDL names with acronyms and digits: snake_case methods, IDL wire paths."""
    msgs = m.msgs

    class Naming(m.grpc.NamingServicer):
        async def http_server(self, request, context):
            return msgs.Reply(text="HTTPServer", seq=request.seq)

        async def list_urls(self, request, context):
            for i in range(request.count):
                yield msgs.Reply(text="ListURLs", total=i)

        async def get_v2(self, request_iterator, context):
            return msgs.Reply(text="getV2", seqs=[r.seq async for r in request_iterator])

        async def get_id(self, request_iterator, context):
            async for r in request_iterator:
                yield msgs.Reply(text="GetID", seq=r.seq)

    async with aio_server(lambda s: m.grpc.add_servicer(Naming(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.NamingStub(channel)
            assert (await stub.http_server(msgs.Request(seq=1))).text == "HTTPServer"
            assert [(r.text, r.total) async for r in stub.list_urls(msgs.Request(count=2))] == \
                [("ListURLs", 0), ("ListURLs", 1)]
            assert (await stub.get_v2([msgs.Request(seq=4), msgs.Request(seq=5)])).seqs == [4, 5]
            assert [(r.text, r.seq) async for r in stub.get_id([msgs.Request(seq=9)])] == [("GetID", 9)]
            for path, text in (("/gtest.v1.Naming/HTTPServer", "HTTPServer"),):
                data = await channel.unary_unary(path)(msgs.Request().SerializeToString())
                assert msgs.Reply.FromString(data).text == text
            data = await channel.stream_unary("/gtest.v1.Naming/getV2")([msgs.Request(seq=3).SerializeToString()])
            assert msgs.Reply.FromString(data).seqs == [3]


def test_colliding_python_names_are_a_generation_error(tmp_path, moonstub_bin):
    """Two RPCs whose Python names coincide: moonstub refuses, naming both."""
    (tmp_path / "c.proto").write_text(
        'syntax = "proto3";\npackage c;\nmessage M {}\n'
        "service S {\n  rpc GetID (M) returns (M);\n  rpc GetId (M) returns (M);\n}\n")
    proc = subprocess.run([moonstub_bin, "-I", str(tmp_path), str(tmp_path / "c.proto"),
                           f"--python_out={tmp_path / 'out'}", "--grpc"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode != 0
    assert "GetID" in proc.stderr and "GetId" in proc.stderr and "get_id" in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "c_grpc.py").exists()


# ---- 10,000-message streams ----------------------------------------------------------------------


@aio
async def test_bidi_echo_10000(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)

            async def requests():
                for i in range(BIG):
                    yield msgs.Request(seq=i, text=f"m{i}", payload=i.to_bytes(4, "little"))

            n = 0
            async for reply in stub.bidi_stream(requests()):
                assert (reply.seq, reply.text, reply.total) == (n, f"m{n}", n)
                assert reply.payload == n.to_bytes(4, "little")
                n += 1
            assert n == BIG


@aio
async def test_client_stream_10000(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)

            async def requests():
                for i in range(BIG):
                    yield msgs.Request(seq=i * 3, text=f"m{i}")

            reply = await stub.client_stream(requests())
            assert reply.total == BIG
            assert reply.seqs == [i * 3 for i in range(BIG)]
            assert reply.seq == (BIG - 1) * 3 and reply.text == f"m{BIG - 1}"


@aio
async def test_server_stream_10000(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            call = stub.server_stream(msgs.Request(seq=1000, count=BIG, text="big", payload=b"p"))
            n = 0
            async for reply in call:
                assert (reply.seq, reply.total, reply.text, reply.payload) == (1000 + n, n, f"big#{n}", b"p")
                n += 1
            assert n == BIG
            assert await call.code() == grpc.StatusCode.OK


# ---- deadlines ------------------------------------------------------------------------------------


@aio
async def test_deadline_exceeded(m, Lab, aio_server):
    msgs = m.msgs
    lab = Lab()
    async with aio_server(lambda s: m.grpc.add_servicer(lab, s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.unary(msgs.Request(delay_ms=int(SLOW * 1000)), timeout=0.2)
            assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            # the slow handler was cancelled by the deadline
            await asyncio.wait_for(lab.cancelled.wait(), 5)
            assert lab.cancelled_in == ["unary"]

            call = stub.server_stream(msgs.Request(count=1000, delay_ms=50), timeout=0.3)
            got = 0
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for _ in call:
                    got += 1
            assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert 0 < got < 1000

            # a generous deadline is fine
            reply = await stub.unary(msgs.Request(seq=1), timeout=10)
            assert reply.seq == 1


# ---- metadata ------------------------------------------------------------------------------------


@aio
async def test_metadata_both_ways(m, Lab, aio_server):
    msgs = m.msgs
    sent = (("x-token", "abc"), ("x-bin-bin", b"\x00\x01\xfe"))
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            call = stub.unary(msgs.Request(seq=1), metadata=sent)
            reply = await call
            assert reply.metadata == {"x-token": "abc", "x-bin-bin": "0001fe"}
            assert ("x-initial", "hello") in tuple(await call.initial_metadata())
            trailing = tuple(await call.trailing_metadata())
            assert ("x-trailing", "bye") in trailing and ("x-trailing-bin", b"\x00\xff") in trailing

            call = stub.server_stream(msgs.Request(count=2), metadata=sent)
            assert ("x-initial", "stream") in tuple(await call.initial_metadata())
            assert len([r async for r in call]) == 2
            assert ("x-trailing", "stream-done") in tuple(await call.trailing_metadata())

            call = stub.client_stream([msgs.Request(seq=4)], metadata=sent)
            reply = await call
            assert reply.metadata == {"x-token": "abc", "x-bin-bin": "0001fe"}

            call = stub.bidi_stream([msgs.Request(seq=4)], metadata=sent)
            assert ("x-initial", "bidi") in tuple(await call.initial_metadata())
            assert [r.seq async for r in call] == [4]
            assert ("x-trailing", "bidi-done") in tuple(await call.trailing_metadata())

            # trailing metadata also reaches the client with an error status
            call = stub.unary(msgs.Request(seq=9, abort_after=1))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert err.value.details() == "unary refused 9"
            assert ("x-trailing", "bye") in tuple(err.value.trailing_metadata())


@aio
async def test_call_keywords_accepted(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            kw = dict(timeout=10, metadata=(("x-k", "v"),), credentials=None, wait_for_ready=True,
                      compression=grpc.Compression.Gzip)
            reply = await stub.unary(msgs.Request(seq=1, payload=b"z" * 1000), **kw)
            assert reply.payload == b"z" * 1000 and reply.metadata == {"x-k": "v"}
            assert len([r async for r in stub.server_stream(msgs.Request(count=3), **kw)]) == 3
            assert (await stub.client_stream([msgs.Request(seq=2)], **kw)).seqs == [2]
            assert [r.seq async for r in stub.bidi_stream([msgs.Request(seq=3)], **kw)] == [3]


# ---- cancellation ----------------------------------------------------------------------------------


@aio
async def test_client_cancels_server_stream(m, Lab, aio_server):
    msgs = m.msgs
    lab = Lab()
    async with aio_server(lambda s: m.grpc.add_servicer(lab, s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            call = stub.server_stream(msgs.Request(count=1_000_000, delay_ms=5))
            got = 0
            async for _ in call:
                got += 1
                if got == 5:
                    break
            assert call.cancel()
            await asyncio.wait_for(lab.cancelled.wait(), 5)
            assert lab.cancelled_in == ["server_stream"]
            assert call.cancelled()
            assert await call.code() == grpc.StatusCode.CANCELLED
            # the server keeps serving
            assert (await stub.unary(msgs.Request(seq=2))).seq == 2


@aio
async def test_client_cancels_bidi_stream(m, Lab, aio_server):
    msgs = m.msgs
    lab = Lab()
    async with aio_server(lambda s: m.grpc.add_servicer(lab, s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)

            async def forever():
                i = 0
                while True:
                    yield msgs.Request(seq=i, delay_ms=int(SLOW * 1000))
                    i += 1
                    await asyncio.sleep(0.005)

            call = stub.bidi_stream(forever())
            seqs = []
            async for reply in call:
                seqs.append(reply.seq)
                if len(seqs) == 5:
                    break
            assert seqs == [0, 1, 2, 3, 4]
            call.cancel()
            await asyncio.wait_for(lab.cancelled.wait(), 5)
            assert lab.cancelled_in == ["bidi_stream"]
            assert await call.code() == grpc.StatusCode.CANCELLED


@aio
async def test_client_cancels_client_stream(m, Lab, aio_server):
    msgs = m.msgs
    lab = Lab()
    async with aio_server(lambda s: m.grpc.add_servicer(lab, s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)

            async def forever():
                i = 0
                while True:
                    yield msgs.Request(seq=i, delay_ms=int(SLOW * 1000))
                    i += 1
                    await asyncio.sleep(0.005)

            call = stub.client_stream(forever())
            await asyncio.wait_for(lab.received_some.wait(), 5)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await asyncio.wait_for(lab.cancelled.wait(), 5)
            assert lab.cancelled_in == ["client_stream"]


@aio
async def test_server_aborts_mid_stream(m, Lab, aio_server):
    msgs = m.msgs
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            call = stub.server_stream(msgs.Request(count=100, abort_after=3))
            got = []
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for reply in call:
                    got.append(reply.total)
            assert got == [0, 1, 2]
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert err.value.details() == "stopped after 3"
            assert await call.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

            call = stub.bidi_stream(then_hold(msgs.Request(seq=i, abort_after=4) for i in range(5)))
            got = []
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for reply in call:
                    got.append(reply.seq)
            assert got == [0, 1, 2, 3]
            assert err.value.code() == grpc.StatusCode.ABORTED
            assert err.value.details() == "bidi stopped after 4"


# ---- UNIMPLEMENTED, registration --------------------------------------------------------------------


@aio
async def test_unimplemented_servicer(m, aio_server):
    msgs = m.msgs

    class Nothing(m.grpc.LabServicer):
        pass

    async with aio_server(lambda s: m.grpc.add_servicer(Nothing(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            calls = {
                "Unary": lambda: stub.unary(msgs.Request()),
                "ServerStream": lambda: stub.server_stream(msgs.Request(count=3)),
                "ClientStream": lambda: stub.client_stream(then_hold([msgs.Request(seq=1)])),
                "BidiStream": lambda: stub.bidi_stream(then_hold([msgs.Request(seq=1)])),
            }
            for method, start in calls.items():
                call = start()
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    if method in ("ServerStream", "BidiStream"):
                        async for _ in call:
                            pass
                    else:
                        await call
                assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED, method
                assert f"/gtest.v1.Lab/{method}" in err.value.details(), err.value.details()
                assert err.value.details() == f"Method /gtest.v1.Lab/{method} is not implemented"


@aio
async def test_partial_servicer(m, aio_server):
    """Overriding one method leaves the others UNIMPLEMENTED."""
    msgs = m.msgs

    class OnlyUnary(m.grpc.LabServicer):
        async def unary(self, request, context):
            return msgs.Reply(seq=request.seq)

    async with aio_server(lambda s: m.grpc.add_servicer(OnlyUnary(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            assert (await stub.unary(msgs.Request(seq=3))).seq == 3
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for _ in stub.bidi_stream(then_hold([msgs.Request()])):
                    pass
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
            assert "/gtest.v1.Lab/BidiStream" in err.value.details()


@aio
async def test_add_servicer_rejects_other_objects(m):
    class NotAServicer:
        async def unary(self, request, context):  # looks like one, is not one
            return None

    server = grpc.aio.server()
    try:
        with pytest.raises(TypeError) as err:
            m.grpc.add_servicer(NotAServicer(), server)
        assert str(err.value) == "Unsupported gRPC servicer type: NotAServicer"
        with pytest.raises(TypeError) as err:
            m.grpc.add_servicer(object(), server)
        assert str(err.value) == "Unsupported gRPC servicer type: object"
    finally:
        await server.stop(None)


@aio
async def test_one_servicer_two_services(m, Lab, aio_server):
    msgs = m.msgs
    Counter = make_counter(m)

    class Both(Lab, Counter):
        pass

    async with aio_server(lambda s: m.grpc.add_servicer(Both(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            lab = m.grpc.LabStub(channel)
            counter = m.grpc.CounterStub(channel)
            assert (await counter.increment(msgs.Request(seq=41))).seq == 42
            assert [r.seq async for r in counter.countdown(msgs.Request(count=3))] == [3, 2, 1]
            assert (await lab.unary(msgs.Request(seq=1, text="t"))).text == "unary:t"
            assert [r.seq async for r in lab.bidi_stream([msgs.Request(seq=8)])] == [8]

    # a Counter-only servicer does not serve Lab
    async with aio_server(lambda s: m.grpc.add_servicer(Counter(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            assert (await m.grpc.CounterStub(channel).increment(msgs.Request(seq=1))).seq == 2
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await m.grpc.LabStub(channel).unary(msgs.Request())
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


# ---- undecodable requests ----------------------------------------------------------------------------


@aio
async def test_undecodable_request_invalid_argument(m, Lab, aio_server):
    msgs = m.msgs
    good = msgs.Request(seq=1, text="ok").SerializeToString()
    with pytest.raises(m.ms.DecodeError):
        msgs.Request.FromString(UNDECODABLE)
    async with aio_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            # identity serializers: bytes go out as they are
            unary = channel.unary_unary("/gtest.v1.Lab/Unary")
            server_stream = channel.unary_stream("/gtest.v1.Lab/ServerStream")
            client_stream = channel.stream_unary("/gtest.v1.Lab/ClientStream")
            bidi = channel.stream_stream("/gtest.v1.Lab/BidiStream")

            for what, payload in MALFORMED.items():
                with pytest.raises(m.ms.DecodeError):
                    msgs.Request.FromString(payload)
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await unary(payload)
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await client_stream(then_hold([payload]))
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what

            for attempt in range(2):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await unary(UNDECODABLE)
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
                assert err.value.details().startswith("cannot decode the request"), err.value.details()

                with pytest.raises(grpc.aio.AioRpcError) as err:
                    async for _ in server_stream(UNDECODABLE):
                        pass
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value

                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await client_stream(then_hold([good, UNDECODABLE]))
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value

                call = bidi(then_hold([good, UNDECODABLE]))
                got = []
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    async for data in call:
                        got.append(msgs.Reply.FromString(data).seq)
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
                assert got in ([], [1])

                # the server keeps serving
                stub = m.grpc.LabStub(channel)
                assert (await stub.unary(msgs.Request(seq=attempt))).seq == attempt
                assert msgs.Reply.FromString(await unary(good)).text == "unary:ok"
                assert [r.seq async for r in stub.bidi_stream([msgs.Request(seq=5)])] == [5]


# ---- the other channel kind ------------------------------------------------------------------------


def test_aio_stub_on_sync_channel(m, Lab, sync_server, ms_sync):
    """The aio-mode stub on a sync grpc.Channel: calls return replies directly."""
    msgs = m.msgs
    sync_lab = ms_sync_lab(ms_sync)
    with sync_server(lambda s: ms_sync.grpc.add_servicer(sync_lab(), s)) as addr:
        with grpc.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            reply = stub.unary(msgs.Request(seq=11, text="sync", item=item_of(msgs, 2)), timeout=10)
            assert isinstance(reply, msgs.Reply)
            assert (reply.seq, reply.text) == (11, "unary:sync")
            assert reply.item == item_of(msgs, 2)
            assert [r.total for r in stub.server_stream(msgs.Request(count=3))] == [0, 1, 2]
            assert stub.client_stream(iter([msgs.Request(seq=1), msgs.Request(seq=2)])).seqs == [1, 2]
            assert [r.seq for r in stub.bidi_stream(iter([msgs.Request(seq=6)]))] == [6]


@aio
async def test_aio_stub_on_aio_channel_against_sync_server(m, sync_server, ms_sync):
    """aio client, sync server (the server runs in its own threads)."""
    msgs = m.msgs
    with sync_server(lambda s: ms_sync.grpc.add_servicer(ms_sync_lab(ms_sync)(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            assert (await stub.unary(msgs.Request(seq=3))).text == "unary:"
            assert [r.seq async for r in stub.bidi_stream([msgs.Request(seq=1), msgs.Request(seq=2)])] == [1, 2]


def ms_sync_lab(ms_sync: types.SimpleNamespace) -> type:
    """A minimal sync-mode Lab servicer (moonstub sync set)."""
    msgs = ms_sync.msgs

    class SyncLab(ms_sync.grpc.LabServicer):
        def unary(self, request, context):
            return msgs.Reply(seq=request.seq, text=f"unary:{request.text}", item=request.item)

        def server_stream(self, request, context):
            for i in range(request.count):
                yield msgs.Reply(total=i)

        def client_stream(self, request_iterator, context):
            return msgs.Reply(seqs=[r.seq for r in request_iterator])

        def bidi_stream(self, request_iterator, context):
            for r in request_iterator:
                yield msgs.Reply(seq=r.seq)

    return SyncLab


# ---- reader / writer API (outside the generated-method contract) ---------------------------------------


@aio
async def test_writer_api_server_stream(m, aio_server):
    """A server-streaming method may send with ``await context.write`` instead of
    yielding (grpc.aio's writer API); moonstub.grpc_support supports that."""
    msgs = m.msgs

    class Writer(m.grpc.LabServicer):
        async def server_stream(self, request, context):
            for i in range(request.count):
                await context.write(msgs.Reply(total=i))

    async with aio_server(lambda s: m.grpc.add_servicer(Writer(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            assert [r.total async for r in stub.server_stream(msgs.Request(count=4))] == [0, 1, 2, 3]


@aio
async def test_writer_api_bidi_stream(m, aio_server):
    """The writer API in a bidi method: reads the (decoded) request iterator,
    writes replies with ``await context.write``."""
    msgs = m.msgs

    class Writer(m.grpc.LabServicer):
        async def bidi_stream(self, request_iterator, context):
            async for request in request_iterator:
                await context.write(msgs.Reply(seq=request.seq * 2))

    async with aio_server(lambda s: m.grpc.add_servicer(Writer(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            replies = [r.seq async for r in stub.bidi_stream([msgs.Request(seq=i) for i in range(5)])]
            assert replies == [0, 2, 4, 6, 8]


@aio
async def test_reader_api_client_stream(m, aio_server):
    """A client-streaming method reading with ``await context.read()`` (grpc.aio's
    reader API) should get decoded messages, as with grpcio-tools' code."""
    msgs = m.msgs
    seen: list[typing.Any] = []

    class Reader(m.grpc.LabServicer):
        async def client_stream(self, request_iterator, context):
            while True:
                request = await context.read()
                if request is grpc.aio.EOF:
                    break
                seen.append(request)
            return msgs.Reply(total=len(seen))

    async with aio_server(lambda s: m.grpc.add_servicer(Reader(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            reply = await stub.client_stream([msgs.Request(seq=1), msgs.Request(seq=2)])
            assert reply.total == 2
            assert [type(r) for r in seen] == [msgs.Request, msgs.Request]
            assert [r.seq for r in seen] == [1, 2]


@aio
async def test_reader_api_undecodable_request(m, aio_server):
    """With the reader API too, a request that cannot be decoded is answered
    INVALID_ARGUMENT: the servicer never gets a stand-in for it."""
    msgs = m.msgs
    seen: list[typing.Any] = []

    class Reader(m.grpc.LabServicer):
        async def client_stream(self, request_iterator, context):
            total = 0
            while True:
                request = await context.read()
                if request is grpc.aio.EOF:
                    break
                seen.append(request)
                total += request.seq
            return msgs.Reply(total=total)

        async def bidi_stream(self, request_iterator, context):
            while True:
                request = await context.read()
                if request is grpc.aio.EOF:
                    break
                seen.append(request)
                await context.write(msgs.Reply(seq=request.seq))

    good = msgs.Request(seq=1).SerializeToString()
    async with aio_server(lambda s: m.grpc.add_servicer(Reader(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await channel.stream_unary("/gtest.v1.Lab/ClientStream")(then_hold([good, UNDECODABLE]))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
            with pytest.raises(grpc.aio.AioRpcError) as err:
                async for _ in channel.stream_stream("/gtest.v1.Lab/BidiStream")(then_hold([good, UNDECODABLE])):
                    pass
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
            assert all(type(r) is msgs.Request for r in seen), seen
