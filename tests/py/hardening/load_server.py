"""The server of the load test (test_load.py), run as its own process so that
a crash shows as an exit and its memory can be read from /proc/<pid>/status.

    python load_server.py --mode aio|sync --gen DIR [--workers N]

``DIR`` holds moonstub's output for protos/load.proto in the matching mode
(``hload_v1.py``, ``hload_v1_grpc.py``, ``_moonstub.py``, ``_moonstub_grpc.py``).
The server listens on 127.0.0.1:0, prints ``PORT <n>`` on stdout once it
serves, and runs until SIGTERM or SIGINT (then it stops and exits 0).

Every handler is deterministic (test_load.py computes the same replies) and
counts what it sees: handler entries per method, requests that are not a
``Req`` (a malformed payload must never reach a servicer as anything else),
unexpected exceptions, and the most handlers running at once. ``GetStats``
returns those counts after a ``gc.collect()``, so RSS read right after it is
not inflated by garbage.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import gc
import signal
import sys
import threading
import traceback
import typing

import grpc
import grpc.aio


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.foreign = 0
        self.errors = 0
        self.inflight = 0
        self.peak = 0

    def enter(self, method: str) -> None:
        with self.lock:
            self.calls[method] = self.calls.get(method, 0) + 1
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)

    def leave(self) -> None:
        with self.lock:
            self.inflight -= 1

    def check(self, request: typing.Any, cls: type) -> None:
        if type(request) is not cls:
            with self.lock:
                self.foreign += 1

    def error(self, exc: BaseException) -> None:
        # grpc's own abort exceptions are not errors: grpc.aio raises AbortError,
        # sync grpcio a bare Exception() from context.abort().
        if isinstance(exc, (grpc.aio.AbortError, asyncio.CancelledError, GeneratorExit)):
            return
        if type(exc) is Exception and not exc.args:
            return
        with self.lock:
            self.errors += 1
        traceback.print_exception(exc, file=sys.stderr)


def reply_for(m: typing.Any, req: typing.Any, index: int = 0, extra: int = 0) -> typing.Any:
    return m.Reply(seq=req.seq, text=req.text[::-1], blob=req.blob[::-1], index=index,
                   sum=sum(req.nums) + extra, inner=req.inner, tags=dict(req.tags))


def stats_of(m: typing.Any, c: Counters) -> typing.Any:
    gc.collect()
    with c.lock:
        return m.Stats(calls=dict(c.calls), foreign=c.foreign, errors=c.errors, peak_inflight=c.peak)


def make_aio_servicer(m: typing.Any, g: typing.Any, c: Counters) -> typing.Any:
    class Load(g.LoadServicer):
        async def echo(self, request, context):
            c.enter("Echo")
            try:
                c.check(request, m.Req)
                return reply_for(m, request)
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        async def fan(self, request, context):
            c.enter("Fan")
            try:
                c.check(request, m.Req)
                for i in range(request.count):
                    yield reply_for(m, request, index=i, extra=i)
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        async def sum(self, request_iterator, context):
            c.enter("Sum")
            try:
                seqs: list[int] = []
                total = 0
                texts = []
                async for request in request_iterator:
                    c.check(request, m.Req)
                    seqs.append(request.seq)
                    total += sum(request.nums)
                    texts.append(request.text)
                return m.Reply(seq=seqs[-1] if seqs else -1, seqs=seqs, sum=total, text="|".join(texts),
                               index=len(seqs))
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        async def chat(self, request_iterator, context):
            c.enter("Chat")
            try:
                i = 0
                async for request in request_iterator:
                    c.check(request, m.Req)
                    yield reply_for(m, request, index=i)
                    i += 1
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        async def get_stats(self, request, context):
            return stats_of(m, c)

    return Load()


def make_sync_servicer(m: typing.Any, g: typing.Any, c: Counters) -> typing.Any:
    class Load(g.LoadServicer):
        def echo(self, request, context):
            c.enter("Echo")
            try:
                c.check(request, m.Req)
                return reply_for(m, request)
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        def fan(self, request, context):
            c.enter("Fan")
            try:
                c.check(request, m.Req)
                for i in range(request.count):
                    yield reply_for(m, request, index=i, extra=i)
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        def sum(self, request_iterator, context):
            c.enter("Sum")
            try:
                seqs: list[int] = []
                total = 0
                texts = []
                for request in request_iterator:
                    c.check(request, m.Req)
                    seqs.append(request.seq)
                    total += sum(request.nums)
                    texts.append(request.text)
                return m.Reply(seq=seqs[-1] if seqs else -1, seqs=seqs, sum=total, text="|".join(texts),
                               index=len(seqs))
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        def chat(self, request_iterator, context):
            c.enter("Chat")
            try:
                i = 0
                for request in request_iterator:
                    c.check(request, m.Req)
                    yield reply_for(m, request, index=i)
                    i += 1
            except BaseException as exc:
                c.error(exc)
                raise
            finally:
                c.leave()

        def get_stats(self, request, context):
            return stats_of(m, c)

    return Load()


async def serve_aio(m: typing.Any, g: typing.Any) -> None:
    server = grpc.aio.server()
    g.add_servicer(make_aio_servicer(m, g, Counters()), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"PORT {port}", flush=True)
    await stop.wait()
    await server.stop(1)


def serve_sync(m: typing.Any, g: typing.Any, workers: int) -> None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    server = grpc.server(pool)
    g.add_servicer(make_sync_servicer(m, g, Counters()), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"PORT {port}", flush=True)
    while not stop.wait(0.2):
        pass
    server.stop(1).wait(10)
    pool.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("aio", "sync"), required=True)
    parser.add_argument("--gen", required=True)
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args()
    sys.path.insert(0, args.gen)
    import hload_v1 as m  # noqa: PLC0415 (generated)
    import hload_v1_grpc as g  # noqa: PLC0415

    if args.mode == "aio":
        asyncio.run(serve_aio(m, g))
    else:
        serve_sync(m, g, args.workers)


if __name__ == "__main__":
    main()
