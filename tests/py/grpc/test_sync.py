"""moonstub's sync grpcio companion (``--grpc --grpc-python-mode=sync``) against
real sync grpc servers (thread pools).

Every test starts its own server on 127.0.0.1:0 (fixture ``sync_server``) and
talks to it through moonstub's generated stub on a ``grpc.Channel``.

The sync stub's methods return what grpcio's multi-callables return when
called: the reply for unary replies, the call iterator for streamed replies.
So client-side cancellation and reading the server's metadata use the
streaming-reply methods (the call object); a unary call is cancelled here by
closing its channel.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import types
import typing

import grpc
import grpc.aio
import pytest

BIG = 10_000
SLOW = 5.0  # seconds a "slow" handler would wait (never reached: deadlines/cancels are far shorter)
UNDECODABLE = b"\x0a\x05ab"  # field 1, length 5, but only 2 bytes follow
MALFORMED = {  # more requests moonstub's decoder rejects
    "invalid UTF-8 in a string": b"\x12\x01\xff",
    "varint of 11 bytes": b"\x08" + b"\xff" * 10 + b"\x01",
    "stray END_GROUP": b"\x0c",
    "unterminated group": b"\x0b",
    "sub-message length past its parent": b"\x3a\x04\x5a\x02\x12\x01",
}


def x_metadata(context: typing.Any) -> dict[str, str]:
    """The request metadata whose keys start with "x-"; binary values as hex."""
    out = {}
    for key, value in context.invocation_metadata() or ():
        if key.startswith("x-"):
            out[key] = value.hex() if isinstance(value, bytes) else value
    return out


def make_lab(m: types.SimpleNamespace) -> type:
    """A sync servicer of gtest.v1.Lab (moonstub sync set ``m``).

    Cancellation bookkeeping: each handler registers ``context.add_callback``;
    ``ended`` collects (method, finished normally, how the handler noticed) when
    the RPC terminates; ``cancelled`` is set for RPCs that ended before their
    handler finished."""
    msgs = m.msgs

    class Lab(m.grpc.LabServicer):
        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.cancelled = threading.Event()
            self.ended: list[tuple[str, bool, str]] = []
            self.received = 0
            self.received_some = threading.Event()

        def _track(self, method: str, context: typing.Any) -> dict[str, typing.Any]:
            state = {"finished": False, "noticed": ""}

            def on_end() -> None:
                with self.lock:
                    self.ended.append((method, state["finished"], state["noticed"]))
                if not state["finished"]:
                    self.cancelled.set()

            context.add_callback(on_end)
            return state

        @staticmethod
        def _wait(seconds: float, context: typing.Any, state: dict[str, typing.Any]) -> bool:
            """Sleeps up to ``seconds`` while the RPC is active; False if it ended."""
            stop = time.monotonic() + seconds
            while time.monotonic() < stop:
                if not context.is_active():
                    state["noticed"] = "is_active"
                    return False
                time.sleep(0.002)
            return True

        def unary(self, request, context):
            state = self._track("unary", context)
            if request.delay_ms and not self._wait(request.delay_ms / 1000, context, state):
                return None
            context.send_initial_metadata((("x-initial", "hello"),))
            context.set_trailing_metadata((("x-trailing", "bye"), ("x-trailing-bin", b"\x00\xff")))
            if request.abort_after:
                state["finished"] = True
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"unary refused {request.seq}")
            state["finished"] = True
            return msgs.Reply(seq=request.seq, text=f"unary:{request.text}", payload=request.payload,
                              total=1, item=request.item, metadata=x_metadata(context))

        def server_stream(self, request, context):
            state = self._track("server_stream", context)
            context.send_initial_metadata((("x-initial", "stream"),))
            context.set_trailing_metadata((("x-trailing", "stream-done"),))
            for i in range(request.count):
                if request.abort_after and i == request.abort_after:
                    state["finished"] = True
                    if request.text == "cancel":
                        context.cancel()
                        return
                    context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"stopped after {i}")
                if request.delay_ms and not self._wait(request.delay_ms / 1000, context, state):
                    return
                yield msgs.Reply(seq=request.seq + i, total=i, text=f"{request.text}#{i}",
                                 payload=request.payload, item=request.item)
            state["finished"] = True

        def client_stream(self, request_iterator, context):
            state = self._track("client_stream", context)
            seqs = []
            last = None
            try:
                for request in request_iterator:
                    seqs.append(request.seq)
                    last = request
                    with self.lock:
                        self.received += 1
                        if self.received >= 5:
                            self.received_some.set()
            except grpc.RpcError:
                state["noticed"] = "RpcError from the request iterator"
                raise
            # a cancelled call may also just end the request stream; the handler
            # then notices through is_active() while it waits
            if last is not None and last.delay_ms and not self._wait(last.delay_ms / 1000, context, state):
                return None
            state["finished"] = True
            return msgs.Reply(seq=last.seq if last else -1, text=last.text if last else "",
                              payload=last.payload if last else b"", total=len(seqs), seqs=seqs,
                              item=last.item if last else None, metadata=x_metadata(context))

        def bidi_stream(self, request_iterator, context):
            state = self._track("bidi_stream", context)
            context.send_initial_metadata((("x-initial", "bidi"),))
            context.set_trailing_metadata((("x-trailing", "bidi-done"),))
            i = 0
            last = None
            try:
                for request in request_iterator:
                    last = request
                    with self.lock:
                        self.received += 1
                    if request.abort_after and i == request.abort_after:
                        state["finished"] = True
                        context.abort(grpc.StatusCode.ABORTED, f"bidi stopped after {i}")
                    yield msgs.Reply(seq=request.seq, text=request.text, payload=request.payload,
                                     total=i, item=request.item)
                    i += 1
            except grpc.RpcError:
                state["noticed"] = "RpcError from the request iterator"
                raise
            if last is not None and last.delay_ms and not self._wait(last.delay_ms / 1000, context, state):
                return
            state["finished"] = True

    return Lab


def make_counter(m: types.SimpleNamespace) -> type:
    msgs = m.msgs

    class Counter(m.grpc.CounterServicer):
        def increment(self, request, context):
            return msgs.Reply(seq=request.seq + 1, text="counter")

        def countdown(self, request, context):
            for i in range(request.count, 0, -1):
                yield msgs.Reply(seq=i, text="countdown")

    return Counter


@pytest.fixture(scope="module")
def m(ms_sync: types.SimpleNamespace) -> types.SimpleNamespace:
    return ms_sync


@pytest.fixture(scope="module")
def Lab(m: types.SimpleNamespace) -> type:
    return make_lab(m)


def item_of(msgs: types.ModuleType, n: int) -> typing.Any:
    return msgs.Item(name=f"item{n}", count=-n, blob=bytes([n % 256]) * 3, mood=msgs.Mood.MOOD_HAPPY,
                     tags=[n, -n, 7], inner=msgs.Inner(note="in", flag=True), attrs={"a": n, "b": 2},
                     score=n / 4, text=f"t{n}", inners=[msgs.Inner(note="x")], stamp=2**64 - 1 - n, ratio=0.25)


class Served:
    """A sync server with ``servicer`` plus a channel and a Lab stub."""

    def __init__(self, m: types.SimpleNamespace, sync_server: typing.Any, servicer: typing.Any) -> None:
        self.m, self.sync_server, self.servicer = m, sync_server, servicer

    def __enter__(self) -> typing.Self:
        self._server = self.sync_server(lambda s: self.m.grpc.add_servicer(self.servicer, s))
        self.address = self._server.__enter__()
        self.channel = grpc.insecure_channel(self.address)
        self.stub = self.m.grpc.LabStub(self.channel)
        return self

    def __exit__(self, *exc: object) -> None:
        self.channel.close()
        self._server.__exit__(*exc)


# ---- the four shapes -------------------------------------------------------------------------


def test_four_shapes(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        stub = s.stub
        item = item_of(msgs, 3)

        reply = stub.unary(msgs.Request(seq=7, text="hi", payload=b"\x00\x01", item=item))
        assert isinstance(reply, msgs.Reply)
        assert (reply.seq, reply.text, reply.payload, reply.total) == (7, "unary:hi", b"\x00\x01", 1)
        assert reply.item == item
        assert reply.item.which_oneof("choice") == "text"

        replies = list(stub.server_stream(msgs.Request(seq=100, count=4, text="s")))
        assert [(r.seq, r.total, r.text) for r in replies] == [(100 + i, i, f"s#{i}") for i in range(4)]

        def requests():
            for i in range(5):
                yield msgs.Request(seq=i, text=f"c{i}", item=item_of(msgs, i))

        reply = stub.client_stream(requests())
        assert reply.total == 5 and reply.seqs == [0, 1, 2, 3, 4]
        assert reply.text == "c4" and reply.item == item_of(msgs, 4)

        replies = list(stub.bidi_stream(requests()))
        assert [(r.seq, r.text, r.total) for r in replies] == [(i, f"c{i}", i) for i in range(5)]
        assert [r.item for r in replies] == [item_of(msgs, i) for i in range(5)]

        assert list(stub.server_stream(msgs.Request(count=0))) == []
        reply = stub.client_stream(iter([]))
        assert reply.total == 0 and reply.seq == -1
        assert list(stub.bidi_stream(iter([]))) == []


def test_snake_case_methods_and_wire_paths(m, Lab, sync_server):
    for name in ("unary", "server_stream", "client_stream", "bidi_stream"):
        assert name in m.grpc.LabStub.__slots__
        assert callable(getattr(m.grpc.LabServicer, name))
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        # grpcio's multi-callables, as in grpcio-tools' stubs
        assert isinstance(s.stub.unary, grpc.UnaryUnaryMultiCallable)
        assert isinstance(s.stub.server_stream, grpc.UnaryStreamMultiCallable)
        assert isinstance(s.stub.client_stream, grpc.StreamUnaryMultiCallable)
        assert isinstance(s.stub.bidi_stream, grpc.StreamStreamMultiCallable)
        raw = s.channel.unary_unary("/gtest.v1.Lab/Unary")
        reply = msgs.Reply.FromString(raw(msgs.Request(seq=5, text="raw").SerializeToString()))
        assert (reply.seq, reply.text) == (5, "unary:raw")
        raw_stream = s.channel.stream_stream("/gtest.v1.Lab/BidiStream")
        datas = list(raw_stream(iter([msgs.Request(seq=3).SerializeToString()])))
        assert [msgs.Reply.FromString(d).seq for d in datas] == [3]
        with pytest.raises(grpc.RpcError) as err:
            s.channel.unary_unary("/gtest.v1.Lab/unary")(b"")
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


# ---- 10,000-message streams ----------------------------------------------------------------------


def test_bidi_echo_10000(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        def requests():
            for i in range(BIG):
                yield msgs.Request(seq=i, text=f"m{i}", payload=i.to_bytes(4, "little"))

        n = 0
        for reply in s.stub.bidi_stream(requests()):
            assert (reply.seq, reply.text, reply.total) == (n, f"m{n}", n)
            assert reply.payload == n.to_bytes(4, "little")
            n += 1
        assert n == BIG


def test_client_stream_10000(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        reply = s.stub.client_stream(msgs.Request(seq=i * 3, text=f"m{i}") for i in range(BIG))
        assert reply.total == BIG
        assert reply.seqs == [i * 3 for i in range(BIG)]
        assert reply.seq == (BIG - 1) * 3 and reply.text == f"m{BIG - 1}"


def test_server_stream_10000(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        call = s.stub.server_stream(msgs.Request(seq=1000, count=BIG, text="big", payload=b"p"))
        n = 0
        for reply in call:
            assert (reply.seq, reply.total, reply.text, reply.payload) == (1000 + n, n, f"big#{n}", b"p")
            n += 1
        assert n == BIG
        assert call.code() == grpc.StatusCode.OK


# ---- deadlines ------------------------------------------------------------------------------------


def test_deadline_exceeded(m, Lab, sync_server):
    msgs = m.msgs
    lab = Lab()
    with Served(m, sync_server, lab) as s:
        with pytest.raises(grpc.RpcError) as err:
            s.stub.unary(msgs.Request(delay_ms=int(SLOW * 1000)), timeout=0.2)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert lab.cancelled.wait(5), lab.ended
        assert lab.ended == [("unary", False, "is_active")] or lab.ended == [("unary", False, "")]

        got = 0
        with pytest.raises(grpc.RpcError) as err:
            for _ in s.stub.server_stream(msgs.Request(count=1000, delay_ms=50), timeout=0.3):
                got += 1
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert 0 < got < 1000

        assert s.stub.unary(msgs.Request(seq=1), timeout=10).seq == 1


# ---- metadata ------------------------------------------------------------------------------------


def test_metadata_both_ways(m, Lab, sync_server):
    msgs = m.msgs
    sent = (("x-token", "abc"), ("x-bin-bin", b"\x00\x01\xfe"))
    expected = {"x-token": "abc", "x-bin-bin": "0001fe"}
    with Served(m, sync_server, Lab()) as s:
        stub = s.stub
        assert stub.unary(msgs.Request(seq=1), metadata=sent).metadata == expected
        assert stub.client_stream(iter([msgs.Request(seq=4)]), metadata=sent).metadata == expected

        call = stub.server_stream(msgs.Request(count=2), metadata=sent)
        assert ("x-initial", "stream") in tuple(call.initial_metadata())
        assert len(list(call)) == 2
        assert ("x-trailing", "stream-done") in tuple(call.trailing_metadata())

        call = stub.bidi_stream(iter([msgs.Request(seq=4)]), metadata=sent)
        assert ("x-initial", "bidi") in tuple(call.initial_metadata())
        assert [r.seq for r in call] == [4]
        assert ("x-trailing", "bidi-done") in tuple(call.trailing_metadata())

        # a unary call's initial and trailing metadata reach the client with an error status
        with pytest.raises(grpc.RpcError) as err:
            stub.unary(msgs.Request(seq=9, abort_after=1), metadata=sent)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert err.value.details() == "unary refused 9"
        assert ("x-initial", "hello") in tuple(err.value.initial_metadata())
        trailing = tuple(err.value.trailing_metadata())
        assert ("x-trailing", "bye") in trailing and ("x-trailing-bin", b"\x00\xff") in trailing


def test_call_keywords_accepted(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        stub = s.stub
        kw = dict(timeout=10, metadata=(("x-k", "v"),), credentials=None, wait_for_ready=True,
                  compression=grpc.Compression.Gzip)
        reply = stub.unary(msgs.Request(seq=1, payload=b"z" * 1000), **kw)
        assert reply.payload == b"z" * 1000 and reply.metadata == {"x-k": "v"}
        assert len(list(stub.server_stream(msgs.Request(count=3), **kw))) == 3
        assert stub.client_stream(iter([msgs.Request(seq=2)]), **kw).seqs == [2]
        assert [r.seq for r in stub.bidi_stream(iter([msgs.Request(seq=3)]), **kw)] == [3]


# ---- cancellation ----------------------------------------------------------------------------------


def test_client_cancels_server_stream(m, Lab, sync_server):
    msgs = m.msgs
    lab = Lab()
    with Served(m, sync_server, lab) as s:
        call = s.stub.server_stream(msgs.Request(count=1_000_000, delay_ms=5))
        for got, _ in enumerate(call, 1):
            if got == 5:
                break
        assert call.cancel()
        assert lab.cancelled.wait(5), lab.ended
        assert [(e[0], e[1]) for e in lab.ended] == [("server_stream", False)]
        assert call.code() == grpc.StatusCode.CANCELLED
        with pytest.raises(grpc.RpcError) as err:
            next(call)
        assert err.value.code() == grpc.StatusCode.CANCELLED
        assert s.stub.unary(msgs.Request(seq=2)).seq == 2


def test_client_cancels_bidi_stream(m, Lab, sync_server):
    msgs = m.msgs
    lab = Lab()
    stop = threading.Event()
    with Served(m, sync_server, lab) as s:
        def forever():
            i = 0
            while not stop.is_set():
                yield msgs.Request(seq=i, delay_ms=int(SLOW * 1000))
                i += 1
                time.sleep(0.005)

        call = s.stub.bidi_stream(forever())
        seqs = []
        for reply in call:
            seqs.append(reply.seq)
            if len(seqs) == 5:
                break
        assert seqs == [0, 1, 2, 3, 4]
        call.cancel()
        try:
            assert lab.cancelled.wait(5), lab.ended
            assert [(e[0], e[1]) for e in lab.ended] == [("bidi_stream", False)]
            assert call.code() == grpc.StatusCode.CANCELLED
        finally:
            stop.set()


def test_client_cancels_client_stream(m, Lab, sync_server):
    """The blocking client-streaming call is cancelled by closing its channel
    from another thread (the sync stub returns the reply, not a future)."""
    msgs = m.msgs
    lab = Lab()
    stop = threading.Event()
    with Served(m, sync_server, lab) as s:
        def forever():
            i = 0
            while not stop.is_set():
                yield msgs.Request(seq=i, delay_ms=int(SLOW * 1000))
                i += 1
                time.sleep(0.005)

        outcome: dict[str, typing.Any] = {}

        def run() -> None:
            try:
                outcome["reply"] = s.stub.client_stream(forever())
            except grpc.RpcError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run)
        worker.start()
        try:
            assert lab.received_some.wait(5)
            s.channel.close()
            worker.join(5)
            assert not worker.is_alive()
            assert outcome["error"].code() == grpc.StatusCode.CANCELLED
            assert lab.cancelled.wait(5), lab.ended
            assert [(e[0], e[1]) for e in lab.ended] == [("client_stream", False)]
        finally:
            stop.set()
            worker.join(5)


def test_server_aborts_and_cancels_mid_stream(m, Lab, sync_server):
    msgs = m.msgs
    with Served(m, sync_server, Lab()) as s:
        call = s.stub.server_stream(msgs.Request(count=100, abort_after=3))
        got = []
        with pytest.raises(grpc.RpcError) as err:
            for reply in call:
                got.append(reply.total)
        assert got == [0, 1, 2]
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert err.value.details() == "stopped after 3"

        call = s.stub.server_stream(msgs.Request(count=100, abort_after=2, text="cancel"))
        got = []
        with pytest.raises(grpc.RpcError) as err:
            for reply in call:
                got.append(reply.total)
        assert got == [0, 1]
        assert err.value.code() == grpc.StatusCode.CANCELLED

        call = s.stub.bidi_stream(msgs.Request(seq=i, abort_after=4) for i in range(10))
        got = []
        with pytest.raises(grpc.RpcError) as err:
            for reply in call:
                got.append(reply.seq)
        assert got == [0, 1, 2, 3]
        assert err.value.code() == grpc.StatusCode.ABORTED
        assert err.value.details() == "bidi stopped after 4"
        assert s.stub.unary(msgs.Request(seq=3)).seq == 3


# ---- UNIMPLEMENTED, registration --------------------------------------------------------------------


def test_unimplemented_servicer(m, sync_server):
    msgs = m.msgs

    class Nothing(m.grpc.LabServicer):
        pass

    with Served(m, sync_server, Nothing()) as s:
        stub = s.stub
        calls = {
            "Unary": lambda: stub.unary(msgs.Request()),
            "ServerStream": lambda: list(stub.server_stream(msgs.Request(count=3))),
            "ClientStream": lambda: stub.client_stream(iter([msgs.Request(), msgs.Request()])),
            "BidiStream": lambda: list(stub.bidi_stream(iter([msgs.Request(), msgs.Request()]))),
        }
        for method, run in calls.items():
            with pytest.raises(grpc.RpcError) as err:
                run()
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED, method
            assert f"/gtest.v1.Lab/{method}" in err.value.details(), err.value.details()
            assert err.value.details() == f"Method /gtest.v1.Lab/{method} is not implemented"


def test_add_servicer_rejects_other_objects(m):
    class NotAServicer:
        def unary(self, request, context):
            return None

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    try:
        with pytest.raises(TypeError) as err:
            m.grpc.add_servicer(NotAServicer(), server)
        assert str(err.value) == "Unsupported gRPC servicer type: NotAServicer"
        with pytest.raises(TypeError) as err:
            m.grpc.add_servicer(42, server)
        assert str(err.value) == "Unsupported gRPC servicer type: int"
    finally:
        server.stop(None)


def test_one_servicer_two_services(m, Lab, sync_server):
    msgs = m.msgs
    Counter = make_counter(m)

    class Both(Lab, Counter):
        pass

    with Served(m, sync_server, Both()) as s:
        counter = m.grpc.CounterStub(s.channel)
        assert counter.increment(msgs.Request(seq=41)).seq == 42
        assert [r.seq for r in counter.countdown(msgs.Request(count=3))] == [3, 2, 1]
        assert s.stub.unary(msgs.Request(seq=1, text="t")).text == "unary:t"
        assert [r.seq for r in s.stub.bidi_stream(iter([msgs.Request(seq=8)]))] == [8]

    with Served(m, sync_server, Counter()) as s:
        assert m.grpc.CounterStub(s.channel).increment(msgs.Request(seq=1)).seq == 2
        with pytest.raises(grpc.RpcError) as err:
            s.stub.unary(msgs.Request())
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


# ---- undecodable requests ----------------------------------------------------------------------------


def test_undecodable_request_invalid_argument(m, Lab, sync_server):
    msgs = m.msgs
    good = msgs.Request(seq=1, text="ok").SerializeToString()
    with pytest.raises(m.ms.DecodeError):
        msgs.Request.FromString(UNDECODABLE)
    with Served(m, sync_server, Lab()) as s:
        ch = s.channel
        unary = ch.unary_unary("/gtest.v1.Lab/Unary")
        server_stream = ch.unary_stream("/gtest.v1.Lab/ServerStream")
        client_stream = ch.stream_unary("/gtest.v1.Lab/ClientStream")
        bidi = ch.stream_stream("/gtest.v1.Lab/BidiStream")
        for what, payload in MALFORMED.items():
            with pytest.raises(m.ms.DecodeError):
                msgs.Request.FromString(payload)
            with pytest.raises(grpc.RpcError) as err:
                unary(payload)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what
            with pytest.raises(grpc.RpcError) as err:
                list(bidi(iter([payload])))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what

        for attempt in range(2):
            with pytest.raises(grpc.RpcError) as err:
                unary(UNDECODABLE)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
            assert err.value.details().startswith("cannot decode the request"), err.value.details()

            with pytest.raises(grpc.RpcError) as err:
                list(server_stream(UNDECODABLE))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value

            with pytest.raises(grpc.RpcError) as err:
                client_stream(iter([good, UNDECODABLE, good]))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value

            got = []
            with pytest.raises(grpc.RpcError) as err:
                for data in bidi(iter([good, UNDECODABLE, good])):
                    got.append(msgs.Reply.FromString(data).seq)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
            assert got in ([], [1])

            # the server keeps serving
            assert s.stub.unary(msgs.Request(seq=attempt)).seq == attempt
            assert msgs.Reply.FromString(unary(good)).text == "unary:ok"
            assert [r.seq for r in s.stub.bidi_stream(iter([msgs.Request(seq=5)]))] == [5]


# ---- the other channel kind ------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_sync_stub_on_aio_channel(m, Lab, sync_server):
    """The sync-mode stub on a grpc.aio channel: the methods return grpc.aio calls."""
    msgs = m.msgs
    with sync_server(lambda s: m.grpc.add_servicer(Lab(), s)) as addr:
        async with grpc.aio.insecure_channel(addr) as channel:
            stub = m.grpc.LabStub(channel)
            reply = await stub.unary(msgs.Request(seq=11, text="aio", item=item_of(msgs, 2)), timeout=10)
            assert isinstance(reply, msgs.Reply)
            assert (reply.seq, reply.text, reply.item) == (11, "unary:aio", item_of(msgs, 2))
            assert [r.total async for r in stub.server_stream(msgs.Request(count=3))] == [0, 1, 2]
            assert (await stub.client_stream([msgs.Request(seq=1), msgs.Request(seq=2)])).seqs == [1, 2]
            assert [r.seq async for r in stub.bidi_stream([msgs.Request(seq=6)])] == [6]
