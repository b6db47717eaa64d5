"""gRPC's own interop test cases through moonstub's generated code.

The 14 cases of grpcio's interop client (empty_unary ... special_status_message)
run, in their sync grpcio form and in their grpc.aio form, over the interop
schema of gRPC (``protos/interop/src/proto/grpc/testing/{test,messages,empty}.proto``,
copied unchanged from grpc/grpc):

* moonstub's clients (sync and aio companions) against moonstub's servers and
  against servers built from grpcio-tools' generated code (sync and aio),
* grpcio-tools' clients against moonstub's servers (sync and aio).

The case and servicer logic is a port of grpc/grpc's
``src/python/grpcio_tests/tests/interop/methods.py`` (sync cases),
``tests_aio/interop/methods.py`` (aio cases), ``tests/interop/service.py`` (the
sync TestService) and ``tests_aio/unit/_test_server.py`` (the aio
TestService), Copyright 2015-2019 The gRPC Authors, Apache License 2.0. The
port keeps what each case sends and checks; it builds messages through a kit
(moonstub's classes or protobuf's), calls the RPCs by moonstub's snake_case
names (grpcio-tools' stubs are reached through the IDL names), hands servers
``grpc.StatusCode`` members rather than bare integers, and reports failures
with assertions. The credential cases of grpcio's client (compute engine,
OAuth, JWT, per-RPC) need Google credentials and are not part of the 14.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
import time
import types
import typing
from pathlib import Path

import grpc
import grpc.aio
import pytest

import support

HERE = Path(__file__).resolve().parent
INTEROP = HERE / "protos" / "interop"
TESTING = "src/proto/grpc/testing"
PROTOS = [f"{TESTING}/{name}.proto" for name in ("empty", "messages", "test")]
MS_MODULES = ("_moonstub", "_moonstub_grpc", "grpc_testing", "grpc_testing_grpc")

INITIAL_METADATA_KEY = "x-grpc-test-echo-initial"
TRAILING_METADATA_KEY = "x-grpc-test-echo-trailing-bin"
US_IN_A_SECOND = 1000 * 1000

# moonstub's Python names -> the IDL's (grpcio-tools' stubs and servicers use these)
IDL = {
    "empty_call": "EmptyCall",
    "unary_call": "UnaryCall",
    "streaming_output_call": "StreamingOutputCall",
    "streaming_input_call": "StreamingInputCall",
    "full_duplex_call": "FullDuplexCall",
    "half_duplex_call": "HalfDuplexCall",
    "unimplemented_call": "UnimplementedCall",
}

CASES = (
    "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "cancel_after_begin",
    "cancel_after_first_response", "timeout_on_sleeping_server", "empty_stream", "status_code_and_message",
    "unimplemented_method", "unimplemented_service", "custom_metadata", "special_status_message",
)


# ---- generated code --------------------------------------------------------------------------------


def _import_pb(out: Path) -> dict[str, types.ModuleType]:
    """grpcio-tools' modules, imported as the package ``src.proto.grpc.testing``
    (their own imports say so); sys.path and sys.modules are restored after."""
    package = TESTING.replace("/", ".")
    names = ("empty_pb2", "messages_pb2", "test_pb2", "test_pb2_grpc")
    loaded = support.load_modules(out, [f"{package}.{name}" for name in names])
    return {name: loaded[f"{package}.{name}"] for name in names}


def moonstub_kit(mods: dict[str, types.ModuleType], mode: str) -> types.SimpleNamespace:
    m, g = mods["grpc_testing"], mods["grpc_testing_grpc"]

    def payload(type: typing.Any = m.PayloadType.COMPRESSABLE, body: bytes = b"") -> typing.Any:
        return m.Payload(type_=type, body=body)  # the field "type" is type_ in moonstub's classes

    def payload_type(p: typing.Any) -> typing.Any:
        # an unset message field is None in moonstub's classes (protobuf reads a default message)
        return m.PayloadType.COMPRESSABLE if p is None else p.type_

    return types.SimpleNamespace(
        name=f"moonstub-{mode}", lib="moonstub", mode=mode, m=m, Empty=m.Empty, SimpleRequest=m.SimpleRequest,
        Payload=payload, payload_type=payload_type, EchoStatus=m.EchoStatus, ResponseParameters=m.ResponseParameters,
        SimpleResponse=m.SimpleResponse, StreamingInputCallRequest=m.StreamingInputCallRequest,
        StreamingInputCallResponse=m.StreamingInputCallResponse,
        StreamingOutputCallRequest=m.StreamingOutputCallRequest,
        StreamingOutputCallResponse=m.StreamingOutputCallResponse, COMPRESSABLE=m.PayloadType.COMPRESSABLE,
        has=lambda message, field: getattr(message, field) is not None,
        test_stub=g.TestServiceStub, unimplemented_stub=g.UnimplementedServiceStub,
        servicer_base=g.TestServiceServicer, add=g.add_servicer, method=lambda name: name,
    )


def grpcio_tools_kit(mods: dict[str, types.ModuleType], mode: str) -> types.SimpleNamespace:
    e, m, g = mods["empty_pb2"], mods["messages_pb2"], mods["test_pb2_grpc"]

    def snake(stub_class: type) -> typing.Callable[[typing.Any], typing.Any]:
        return lambda channel: IdlNames(stub_class(channel))

    return types.SimpleNamespace(
        name=f"grpcio-tools-{mode}", lib="grpcio-tools", mode=mode, m=m, Empty=e.Empty,
        SimpleRequest=m.SimpleRequest, Payload=m.Payload, payload_type=lambda p: p.type, EchoStatus=m.EchoStatus,
        ResponseParameters=m.ResponseParameters, SimpleResponse=m.SimpleResponse,
        StreamingInputCallRequest=m.StreamingInputCallRequest,
        StreamingInputCallResponse=m.StreamingInputCallResponse,
        StreamingOutputCallRequest=m.StreamingOutputCallRequest,
        StreamingOutputCallResponse=m.StreamingOutputCallResponse, COMPRESSABLE=m.COMPRESSABLE,
        has=lambda message, field: message.HasField(field),
        test_stub=snake(g.TestServiceStub), unimplemented_stub=snake(g.UnimplementedServiceStub),
        servicer_base=g.TestServiceServicer, add=lambda servicer, server: (
            g.add_TestServiceServicer_to_server(servicer, server)),
        method=lambda name: IDL[name],
    )


class IdlNames:
    """A grpcio-tools stub under moonstub's method names: ``.unary_call`` is the
    stub's own ``UnaryCall`` multi-callable."""

    def __init__(self, stub: typing.Any) -> None:
        self._stub = stub

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._stub, IDL[name])


@pytest.fixture(scope="module")
def kits(tmp_path_factory: pytest.TempPathFactory,
         loader: typing.Callable[..., dict[str, types.ModuleType]]) -> dict[str, types.SimpleNamespace]:
    """The four generated sets: moonstub-sync, moonstub-aio, grpcio-tools-sync,
    grpcio-tools-aio (the last two are the same grpcio-tools modules)."""
    out: dict[str, types.SimpleNamespace] = {}
    for mode in ("sync", "aio"):
        target = tmp_path_factory.mktemp(f"interop_ms_{mode}")
        flags = ["--grpc", *(["--grpc-python-mode=sync"] if mode == "sync" else [])]
        support.generate(target, [INTEROP], [INTEROP / p for p in PROTOS], *flags)
        names = tuple(n for n in MS_MODULES if not n.startswith("_moonstub") or (target / f"{n}.py").is_file())
        out[f"moonstub-{mode}"] = moonstub_kit(loader(target, f"interop_{mode}", names), mode)
    target = tmp_path_factory.mktemp("interop_pb")
    support.run_checked([sys.executable, "-m", "grpc_tools.protoc", "-I", str(INTEROP), f"--python_out={target}",
                         f"--grpc_python_out={target}", *(str(INTEROP / p) for p in PROTOS)])
    pb = _import_pb(target)
    out["grpcio-tools-sync"] = grpcio_tools_kit(pb, "sync")
    out["grpcio-tools-aio"] = grpcio_tools_kit(pb, "aio")
    return out


# ---- the servers: ports of grpcio's interop TestService -------------------------------------------------


def status_code(value: int) -> grpc.StatusCode:
    return next(code for code in grpc.StatusCode if code.value[0] == value)


def sync_servicer(k: types.SimpleNamespace) -> typing.Any:
    """tests/interop/service.py: metadata echoed, the status of
    ``response_status`` set with set_code/set_details, time.sleep between
    responses."""

    def echo_metadata(context: grpc.ServicerContext) -> None:
        invocation = dict(context.invocation_metadata())
        if INITIAL_METADATA_KEY in invocation:
            context.send_initial_metadata(((INITIAL_METADATA_KEY, invocation[INITIAL_METADATA_KEY]),))
        if TRAILING_METADATA_KEY in invocation:
            context.set_trailing_metadata(((TRAILING_METADATA_KEY, invocation[TRAILING_METADATA_KEY]),))

    def echo_status(request: typing.Any, context: grpc.ServicerContext) -> None:
        if k.has(request, "response_status"):
            context.set_code(status_code(request.response_status.code))
            context.set_details(request.response_status.message)

    def empty_call(self, request, context):
        echo_metadata(context)
        return k.Empty()

    def unary_call(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        return k.SimpleResponse(payload=k.Payload(type=k.COMPRESSABLE, body=b"\x00" * request.response_size))

    def streaming_output_call(self, request, context):
        echo_status(request, context)
        for parameters in request.response_parameters:
            if parameters.interval_us != 0:
                time.sleep(parameters.interval_us / US_IN_A_SECOND)
            yield k.StreamingOutputCallResponse(payload=k.Payload(type=request.response_type,
                                                                  body=b"\x00" * parameters.size))

    def streaming_input_call(self, request_iterator, context):
        total = 0
        for request in request_iterator:
            if k.has(request, "payload") and request.payload.body:
                total += len(request.payload.body)
        return k.StreamingInputCallResponse(aggregated_payload_size=total)

    def full_duplex_call(self, request_iterator, context):
        echo_metadata(context)
        for request in request_iterator:
            echo_status(request, context)
            for parameters in request.response_parameters:
                if parameters.interval_us != 0:
                    time.sleep(parameters.interval_us / US_IN_A_SECOND)
                yield k.StreamingOutputCallResponse(payload=k.Payload(type=k.payload_type(request.payload),
                                                                      body=b"\x00" * parameters.size))

    def half_duplex_call(self, request_iterator, context):
        return full_duplex_call(self, request_iterator, context)

    methods = dict(empty_call=empty_call, unary_call=unary_call, streaming_output_call=streaming_output_call,
                   streaming_input_call=streaming_input_call, full_duplex_call=full_duplex_call,
                   half_duplex_call=half_duplex_call)
    return type("SyncTestService", (k.servicer_base,), {k.method(n): f for n, f in methods.items()})()


def aio_servicer(k: types.SimpleNamespace) -> typing.Any:
    """tests_aio/unit/_test_server.py: metadata echoed, ``response_status``
    answered with context.abort, asyncio.sleep between responses."""

    async def echo_metadata(context: typing.Any) -> None:
        invocation = dict(context.invocation_metadata())
        if INITIAL_METADATA_KEY in invocation:
            await context.send_initial_metadata(((INITIAL_METADATA_KEY, invocation[INITIAL_METADATA_KEY]),))
        if TRAILING_METADATA_KEY in invocation:
            context.set_trailing_metadata(((TRAILING_METADATA_KEY, invocation[TRAILING_METADATA_KEY]),))

    async def echo_status(request: typing.Any, context: typing.Any) -> None:
        if k.has(request, "response_status"):
            await context.abort(status_code(request.response_status.code), request.response_status.message)

    async def empty_call(self, request, context):
        return k.Empty()

    async def unary_call(self, request, context):
        await echo_metadata(context)
        await echo_status(request, context)
        return k.SimpleResponse(payload=k.Payload(type=k.COMPRESSABLE, body=b"\x00" * request.response_size))

    async def streaming_output_call(self, request, context):
        for parameters in request.response_parameters:
            if parameters.interval_us != 0:
                await asyncio.sleep(parameters.interval_us / US_IN_A_SECOND)
            yield k.StreamingOutputCallResponse(payload=k.Payload(type=request.response_type,
                                                                  body=b"\x00" * parameters.size))

    async def streaming_input_call(self, request_iterator, context):
        total = 0
        async for request in request_iterator:
            if k.has(request, "payload") and request.payload.body:
                total += len(request.payload.body)
        return k.StreamingInputCallResponse(aggregated_payload_size=total)

    async def full_duplex_call(self, request_iterator, context):
        await echo_metadata(context)
        async for request in request_iterator:
            await echo_status(request, context)
            for parameters in request.response_parameters:
                if parameters.interval_us != 0:
                    await asyncio.sleep(parameters.interval_us / US_IN_A_SECOND)
                yield k.StreamingOutputCallResponse(payload=k.Payload(type=k.payload_type(request.payload),
                                                                      body=b"\x00" * parameters.size))

    methods = dict(empty_call=empty_call, unary_call=unary_call, streaming_output_call=streaming_output_call,
                   streaming_input_call=streaming_input_call, full_duplex_call=full_duplex_call)
    return type("AioTestService", (k.servicer_base,), {k.method(n): f for n, f in methods.items()})()


@pytest.fixture(scope="module")
def servers(kits: dict[str, types.SimpleNamespace]) -> typing.Iterator[dict[str, str]]:
    """Addresses of the four TestService servers, by the kit they are built from:
    grpcio on a thread pool, and grpc.aio on an event loop of its own thread, so
    that sync clients (which block) and aio clients (on the test's loop) both
    reach it."""
    addresses: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for name in ("moonstub-sync", "grpcio-tools-sync"):
            running = support.sync_server(lambda server, k=kits[name]: k.add(sync_servicer(k), server))
            addresses[name] = stack.enter_context(running)
        for name in ("moonstub-aio", "grpcio-tools-aio"):
            running = support.threaded_aio_server(lambda server, k=kits[name]: k.add(aio_servicer(k), server))
            addresses[name] = stack.enter_context(running)
        yield addresses


# ---- the sync cases: a port of tests/interop/methods.py -------------------------------------------------


class Pipe:
    """A request iterator fed by the test while the call runs."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._values: list[typing.Any] = []
        self._open = True

    def __iter__(self) -> Pipe:
        return self

    def __next__(self) -> typing.Any:
        with self._condition:
            while not self._values and self._open:
                self._condition.wait()
            if self._values:
                return self._values.pop(0)
            raise StopIteration

    def add(self, value: typing.Any) -> None:
        with self._condition:
            self._values.append(value)
            self._condition.notify()

    def close(self) -> None:
        with self._condition:
            self._open = False
            self._condition.notify()

    def __enter__(self) -> Pipe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RESPONSE_SIZES = (31415, 9, 2653, 58979)
PAYLOAD_SIZES = (27182, 8, 1828, 45904)
SPECIAL_DETAILS = b"\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP \xf0\x9f\x98\x88\t\n".decode()


def check_payload(k: types.SimpleNamespace, response: typing.Any, length: int) -> None:
    assert isinstance(response, (k.SimpleResponse, k.StreamingOutputCallResponse)), type(response)
    assert k.payload_type(response.payload) is k.COMPRESSABLE, k.payload_type(response.payload)
    assert len(response.payload.body) == length


def check_status(call: typing.Any, code: grpc.StatusCode, details: str | None = None) -> None:
    assert call.code() == code, (call.code(), code)
    if details is not None:
        assert call.details() == details, (call.details(), details)


def duplex_request(k: types.SimpleNamespace, response_size: int, payload_size: int, **extra: typing.Any) -> typing.Any:
    return k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                        response_parameters=[k.ResponseParameters(size=response_size)],
                                        payload=k.Payload(body=b"\x00" * payload_size), **extra)


def sync_empty_unary(k, stub, _):
    response = stub.empty_call(k.Empty())
    assert isinstance(response, k.Empty), type(response)


def sync_large_unary(k, stub, _):
    size = 314159
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=size,
                              payload=k.Payload(body=b"\x00" * 271828), fill_username=False,
                              fill_oauth_scope=False)
    future = stub.unary_call.future(request, credentials=None)
    check_payload(k, future.result(), size)


def sync_client_streaming(k, stub, _):
    requests = (k.StreamingInputCallRequest(payload=k.Payload(body=b"\x00" * size)) for size in PAYLOAD_SIZES)
    response = stub.streaming_input_call(requests)
    assert response.aggregated_payload_size == 74922


def sync_server_streaming(k, stub, _):
    request = k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                           response_parameters=[k.ResponseParameters(size=s) for s in RESPONSE_SIZES])
    responses = list(stub.streaming_output_call(request))
    assert len(responses) == len(RESPONSE_SIZES)
    for response, size in zip(responses, RESPONSE_SIZES):
        check_payload(k, response, size)


def sync_ping_pong(k, stub, _):
    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe)
        for response_size, payload_size in zip(RESPONSE_SIZES, PAYLOAD_SIZES):
            pipe.add(duplex_request(k, response_size, payload_size))
            check_payload(k, next(responses), response_size)


def sync_cancel_after_begin(k, stub, _):
    with Pipe() as pipe:
        future = stub.streaming_input_call.future(pipe)
        future.cancel()
        assert future.cancelled()
        assert future.code() is grpc.StatusCode.CANCELLED


def sync_cancel_after_first_response(k, stub, _):
    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe)
        pipe.add(duplex_request(k, RESPONSE_SIZES[0], PAYLOAD_SIZES[0]))
        next(responses)
        responses.cancel()
        with pytest.raises(grpc.RpcError) as err:
            next(responses)
        assert err.value.code() is grpc.StatusCode.CANCELLED


def sync_timeout_on_sleeping_server(k, stub, _):
    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe, timeout=0.001)
        pipe.add(k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                              payload=k.Payload(body=b"\x00" * 27182)))
        with pytest.raises(grpc.RpcError) as err:
            next(responses)
        assert err.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def sync_empty_stream(k, stub, _):
    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe)
        pipe.close()
        with pytest.raises(StopIteration):
            next(responses)


def sync_status_code_and_message(k, stub, _):
    details = "test status message"
    status = grpc.StatusCode.UNKNOWN  # code 2
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"),
                              response_status=k.EchoStatus(code=2, message=details))
    check_status(stub.unary_call.future(request), status, details)

    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe)
        pipe.add(duplex_request(k, 1, 1, response_status=k.EchoStatus(code=2, message=details)))
    try:
        next(responses)  # a response or the status, as the server answers
    except grpc.RpcError as err:
        assert err.code() == status
    check_status(responses, status, details)


def sync_unimplemented_method(k, stub, _):
    check_status(stub.unimplemented_call.future(k.Empty()), grpc.StatusCode.UNIMPLEMENTED)


def sync_unimplemented_service(k, _, unimplemented):
    check_status(unimplemented.unimplemented_call.future(k.Empty()), grpc.StatusCode.UNIMPLEMENTED)


def sync_custom_metadata(k, stub, _):
    initial_value = "test_initial_metadata_value"
    trailing_value = b"\x0a\x0b\x0a\x0b\x0a\x0b"
    metadata = ((INITIAL_METADATA_KEY, initial_value), (TRAILING_METADATA_KEY, trailing_value))

    def check_metadata(call: typing.Any) -> None:
        assert dict(call.initial_metadata())[INITIAL_METADATA_KEY] == initial_value
        assert dict(call.trailing_metadata())[TRAILING_METADATA_KEY] == trailing_value

    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"))
    check_metadata(stub.unary_call.future(request, metadata=metadata))
    # with_call gives the same call object next to the response
    response, call = stub.unary_call.with_call(request, metadata=metadata)
    check_payload(k, response, 1)
    check_metadata(call)

    with Pipe() as pipe:
        responses = stub.full_duplex_call(pipe, metadata=metadata)
        pipe.add(k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                              response_parameters=[k.ResponseParameters(size=1)]))
        next(responses)
    check_metadata(responses)


def sync_special_status_message(k, stub, _):
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"),
                              response_status=k.EchoStatus(code=2, message=SPECIAL_DETAILS))
    check_status(stub.unary_call.future(request), grpc.StatusCode.UNKNOWN, SPECIAL_DETAILS)


# ---- the aio cases: a port of tests_aio/interop/methods.py ----------------------------------------------


async def check_status_aio(call: typing.Any, code: grpc.StatusCode, details: str | None = None) -> None:
    assert await call.code() == code
    if details is not None:
        assert await call.details() == details


async def aio_empty_unary(k, stub, _):
    response = await stub.empty_call(k.Empty())
    assert isinstance(response, k.Empty), type(response)


async def aio_large_unary(k, stub, _):
    size = 314159
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=size,
                              payload=k.Payload(body=b"\x00" * 271828), fill_username=False,
                              fill_oauth_scope=False)
    check_payload(k, await stub.unary_call(request, credentials=None), size)


async def aio_client_streaming(k, stub, _):
    async def requests() -> typing.AsyncIterator[typing.Any]:
        for size in PAYLOAD_SIZES:
            yield k.StreamingInputCallRequest(payload=k.Payload(body=b"\x00" * size))

    response = await stub.streaming_input_call(requests())
    assert response.aggregated_payload_size == sum(PAYLOAD_SIZES)


async def aio_server_streaming(k, stub, _):
    request = k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                           response_parameters=[k.ResponseParameters(size=s) for s in RESPONSE_SIZES])
    call = stub.streaming_output_call(request)
    for size in RESPONSE_SIZES:
        check_payload(k, await call.read(), size)
    assert await call.read() is grpc.aio.EOF


async def aio_ping_pong(k, stub, _):
    call = stub.full_duplex_call()
    for response_size, payload_size in zip(RESPONSE_SIZES, PAYLOAD_SIZES):
        await call.write(duplex_request(k, response_size, payload_size))
        check_payload(k, await call.read(), response_size)
    await call.done_writing()
    await check_status_aio(call, grpc.StatusCode.OK, "")


async def aio_cancel_after_begin(k, stub, _):
    call = stub.streaming_input_call()
    call.cancel()
    assert call.cancelled()
    assert await call.code() is grpc.StatusCode.CANCELLED


async def aio_cancel_after_first_response(k, stub, _):
    call = stub.full_duplex_call()
    await call.write(duplex_request(k, RESPONSE_SIZES[0], PAYLOAD_SIZES[0]))
    await call.read()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call.read()
    assert await call.code() is grpc.StatusCode.CANCELLED


async def aio_timeout_on_sleeping_server(k, stub, _):
    limit = 1.0
    call = stub.full_duplex_call(timeout=limit)
    await call.write(k.StreamingOutputCallRequest(
        response_type=k.COMPRESSABLE, payload=k.Payload(body=b"\x00" * 27182),
        response_parameters=[k.ResponseParameters(interval_us=int(limit * 2 * US_IN_A_SECOND))]))
    await call.done_writing()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call.read()
    assert err.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED


async def aio_empty_stream(k, stub, _):
    call = stub.full_duplex_call()
    await call.done_writing()
    assert await call.read() == grpc.aio.EOF


async def aio_status_code_and_message(k, stub, _):
    details = "test status message"
    status = grpc.StatusCode.UNKNOWN
    echo = k.EchoStatus(code=status.value[0], message=details)
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"),
                              response_status=echo)
    await check_status_aio(stub.unary_call(request), status, details)

    call = stub.full_duplex_call()
    await call.write(duplex_request(k, 1, 1, response_status=echo))
    await call.done_writing()
    try:
        await call.read()  # a response or the status, as the server answers
    except grpc.aio.AioRpcError as err:
        assert err.code() == status
    await check_status_aio(call, status, details)


async def aio_unimplemented_method(k, stub, _):
    await check_status_aio(stub.unimplemented_call(k.Empty()), grpc.StatusCode.UNIMPLEMENTED)


async def aio_unimplemented_service(k, _, unimplemented):
    await check_status_aio(unimplemented.unimplemented_call(k.Empty()), grpc.StatusCode.UNIMPLEMENTED)


async def aio_custom_metadata(k, stub, _):
    initial_value = "test_initial_metadata_value"
    trailing_value = b"\x0a\x0b\x0a\x0b\x0a\x0b"
    metadata = grpc.aio.Metadata((INITIAL_METADATA_KEY, initial_value), (TRAILING_METADATA_KEY, trailing_value))

    async def check_metadata(call: typing.Any) -> None:
        assert (await call.initial_metadata())[INITIAL_METADATA_KEY] == initial_value
        assert (await call.trailing_metadata())[TRAILING_METADATA_KEY] == trailing_value

    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"))
    await check_metadata(stub.unary_call(request, metadata=metadata))

    call = stub.full_duplex_call(metadata=metadata)
    await call.write(k.StreamingOutputCallRequest(response_type=k.COMPRESSABLE,
                                                  response_parameters=[k.ResponseParameters(size=1)]))
    await call.read()
    await call.done_writing()
    await check_metadata(call)


async def aio_special_status_message(k, stub, _):
    echo = k.EchoStatus(code=grpc.StatusCode.UNKNOWN.value[0], message=SPECIAL_DETAILS)
    request = k.SimpleRequest(response_type=k.COMPRESSABLE, response_size=1, payload=k.Payload(body=b"\x00"),
                              response_status=echo)
    await check_status_aio(stub.unary_call(request), grpc.StatusCode.UNKNOWN, SPECIAL_DETAILS)


# ---- the matrix -------------------------------------------------------------------------------------------

SERVERS = ("moonstub-sync", "moonstub-aio", "grpcio-tools-sync", "grpcio-tools-aio")
CLIENTS = ("moonstub-sync", "moonstub-aio", "grpcio-tools-sync", "grpcio-tools-aio")
# every pair with moonstub on at least one side
PAIRS = [(client, server) for client, server in itertools.product(CLIENTS, SERVERS)
         if "moonstub" in client or "moonstub" in server]


def test_the_cases_are_grpcs_fourteen() -> None:
    here = globals()
    assert len(CASES) == 14
    for case in CASES:
        assert callable(here[f"sync_{case}"]) and callable(here[f"aio_{case}"]), case


@pytest.mark.parametrize("client,server", PAIRS, ids=[f"{c}->{s}" for c, s in PAIRS])
@pytest.mark.parametrize("case", CASES)
def test_interop_case(case: str, client: str, server: str, kits: dict[str, types.SimpleNamespace],
                      servers: dict[str, str]) -> None:
    k = kits[client]
    address = servers[server]
    if k.mode == "sync":
        with grpc.insecure_channel(address) as channel:
            globals()[f"sync_{case}"](k, k.test_stub(channel), k.unimplemented_stub(channel))
        return

    async def run() -> None:
        async with grpc.aio.insecure_channel(address) as channel:
            await globals()[f"aio_{case}"](k, k.test_stub(channel), k.unimplemented_stub(channel))

    asyncio.run(run())
