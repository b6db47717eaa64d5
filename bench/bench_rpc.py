#!/usr/bin/env python3
"""RPC benchmark: unary calls per second with p50/p99 latency, and bidi-streamed
messages per second, over loopback, on the greeter proto
(examples/greeter/greeter.proto). Three pairs, each moonstub's stubs and server
against a peer's on the same transport:

  grpc.aio     moonstub --grpc                       vs grpcio-tools (_pb2_grpc)
  sync grpcio  moonstub --grpc-python-mode=sync      vs grpcio-tools (_pb2_grpc)
  grpclib      moonstub --rules aristaproto, async client and server base
                                                     vs aristaproto
               (both packages are written under a folder "pkg": moonstub's
               aristaproto layout imports its support module relatively)

Each run starts a fresh process holding server and client; the six sides
take turns within each round. Unary calls are sequential (one in flight), so
latency is a full round trip through both stubs and the server. Writes
bench/rpc.md and, with --json, the raw numbers.

Usage: bench_rpc.py --moonstub BIN [--repeat N] [--calls N] [--messages N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchutil import Budget, summary, venv_env, write_json  # noqa: E402

PROTO_DIR = HERE.parent / "examples" / "greeter"
SIDES = ["moonstub aio", "grpcio-tools aio", "moonstub sync", "grpcio-tools sync", "moonstub grpclib",
         "aristaproto grpclib"]
PAIRS = [("grpc.aio", "moonstub aio", "grpcio-tools aio"), ("sync grpcio", "moonstub sync", "grpcio-tools sync"),
         ("grpclib", "moonstub grpclib", "aristaproto grpclib")]
METRICS = (("unary", "unary calls/s", True), ("p50", "unary p50 latency (us)", False),
           ("p99", "unary p99 latency (us)", False), ("stream", "bidi streamed messages/s", True))

WORKER = r'''
import asyncio, json, socket, sys, time
side, gen, calls, messages = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, gen)
flavour = side.split()[-1]
WARM = 200

def report(lat, stream_rate):
    lat.sort()
    print(json.dumps({"unary": len(lat) / sum(lat), "p50": lat[len(lat) // 2] * 1e6,
                      "p99": lat[int(len(lat) * 0.99)] * 1e6, "stream": stream_rate}))

if flavour == "grpclib":
    import grpclib.client, grpclib.server
    from pkg.demo.greeter import GreeterStub, GreeterBase, HelloRequest, HelloReply

    class Impl(GreeterBase):
        async def say_hello(self, message):
            return HelloReply(reply=message.name)
        async def chat(self, messages):
            async for m in messages:
                yield HelloReply(reply=m.name)

    async def main():
        sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
        server = grpclib.server.Server([Impl()])
        await server.start("127.0.0.1", port)
        channel = grpclib.client.Channel("127.0.0.1", port)
        stub = GreeterStub(channel)
        request = HelloRequest(name="benchmark")
        for _ in range(WARM):
            await stub.say_hello(request)
        lat = []
        for _ in range(calls):
            t = time.perf_counter()
            await stub.say_hello(request)
            lat.append(time.perf_counter() - t)
        requests = [HelloRequest(name=f"n{i}") for i in range(messages)]
        start = time.perf_counter()
        count = 0
        async for _ in stub.chat(requests):
            count += 1
        rate = count / (time.perf_counter() - start)
        channel.close()
        server.close()
        await server.wait_closed()
        report(lat, rate)

    asyncio.run(main())
else:
    import grpc
    if side.startswith("moonstub"):
        import demo_greeter as pb, demo_greeter_grpc as rpc
        Base, add, Stub = rpc.GreeterServicer, rpc.add_servicer, rpc.GreeterStub
        say, stream = "say_hello", "chat"
    else:
        import greeter_pb2 as pb, greeter_pb2_grpc as rpc
        Base, add, Stub = rpc.GreeterServicer, rpc.add_GreeterServicer_to_server, rpc.GreeterStub
        say, stream = "SayHello", "Chat"
    if flavour == "aio":
        import grpc.aio

        class Impl(Base):
            async def _unary(self, request, context):
                return pb.HelloReply(reply=request.name)
            async def _chat(self, request_iterator, context):
                async for request in request_iterator:
                    yield pb.HelloReply(reply=request.name)
        setattr(Impl, say, Impl._unary)
        setattr(Impl, stream, Impl._chat)

        async def main():
            server = grpc.aio.server()
            add(Impl(), server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = Stub(channel)
                unary, chat = getattr(stub, say), getattr(stub, stream)
                request = pb.HelloRequest(name="benchmark")
                for _ in range(WARM):
                    await unary(request)
                lat = []
                for _ in range(calls):
                    t = time.perf_counter()
                    await unary(request)
                    lat.append(time.perf_counter() - t)
                requests = [pb.HelloRequest(name=f"n{i}") for i in range(messages)]
                start = time.perf_counter()
                count = 0
                async for _ in chat(iter(requests)):
                    count += 1
                rate = count / (time.perf_counter() - start)
            await server.stop(None)
            report(lat, rate)

        asyncio.run(main())
    else:
        from concurrent import futures

        class Impl(Base):
            def _unary(self, request, context):
                return pb.HelloReply(reply=request.name)
            def _chat(self, request_iterator, context):
                for request in request_iterator:
                    yield pb.HelloReply(reply=request.name)
        setattr(Impl, say, Impl._unary)
        setattr(Impl, stream, Impl._chat)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        add(Impl(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = Stub(channel)
            unary, chat = getattr(stub, say), getattr(stub, stream)
            request = pb.HelloRequest(name="benchmark")
            for _ in range(WARM):
                unary(request)
            lat = []
            for _ in range(calls):
                t = time.perf_counter()
                unary(request)
                lat.append(time.perf_counter() - t)
            requests = [pb.HelloRequest(name=f"n{i}") for i in range(messages)]
            start = time.perf_counter()
            count = 0
            for _ in chat(iter(requests)):
                count += 1
            rate = count / (time.perf_counter() - start)
        server.stop(None)
        report(lat, rate)
'''


def generate(moonstub: str, gen: Path) -> dict[str, Path]:
    proto = str(PROTO_DIR / "greeter.proto")
    dirs = {"moonstub aio": gen / "ms-aio", "moonstub sync": gen / "ms-sync", "moonstub grpclib": gen / "ms-grpclib",
            "grpcio-tools aio": gen / "tools", "grpcio-tools sync": gen / "tools", "aristaproto grpclib": gen / "arista"}
    base = [moonstub, f"-I{PROTO_DIR}", proto]
    subprocess.run([*base, f"--python_out={dirs['moonstub aio']}", "--grpc"], check=True)
    subprocess.run([*base, f"--python_out={dirs['moonstub sync']}", "--grpc-python-mode=sync"], check=True)
    subprocess.run([*base, f"--python_out={dirs['moonstub grpclib'] / 'pkg'}", "--rules", "aristaproto",
                    "--opt", "client_generation=async", "--opt", "server_generation=async"], check=True)
    for d in (gen / "tools", gen / "arista" / "pkg"):
        d.mkdir(parents=True, exist_ok=True)
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}"]
    subprocess.run([*protoc, f"--python_out={gen / 'tools'}", f"--grpc_python_out={gen / 'tools'}", proto], check=True)
    subprocess.run([*protoc, f"--python_aristaproto_out={gen / 'arista' / 'pkg'}", proto], check=True, env=venv_env(),
                   capture_output=True)
    return dirs


def render(stats: dict[str, dict[str, dict[str, float]]], args: argparse.Namespace, rounds: int) -> str:
    lines = ["# RPC overhead (loopback)", "",
             f"Greeter: {args.calls} sequential unary calls (after 200 warm-up calls) and a bidi stream of "
             f"{args.messages} messages per run, {rounds} rounds with the six sides taking turns; median (min-max). "
             "The ratio is moonstub's over the peer's, oriented so that above 1.00 moonstub is better "
             f"(throughput: ours/theirs; latency: theirs/ours). Python {platform.python_version()}. "
             "See also bench/REPORT.md.", "",
             "| transport | measure | moonstub | peer | ratio |", "| --- | --- | --- | --- | --- |"]
    for label, ours, theirs in PAIRS:
        for key, name, higher in METRICS:
            m, t = stats[ours][key], stats[theirs][key]
            ratio = m["median"] / t["median"] if higher else t["median"] / m["median"]
            lines.append(f"| {label} | {name} | {m['median']:,.0f} ({m['min']:,.0f}-{m['max']:,.0f}) | "
                         f"{theirs.split()[0]}: {t['median']:,.0f} ({t['min']:,.0f}-{t['max']:,.0f}) | {ratio:.2f} |")
    lines += ["", "Regenerate with `make bench`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-repeat", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    budget = Budget(args.budget)
    started = time.time()
    results: dict[str, list[dict[str, float]]] = {s: [] for s in SIDES}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = generate(str(args.moonstub.resolve()), Path(tmp))
        for r in range(args.repeat):
            t0 = time.time()
            for side in SIDES:
                out = subprocess.run([sys.executable, "-c", WORKER, side, str(dirs[side]), str(args.calls),
                                      str(args.messages)], capture_output=True, text=True, env=dict(os.environ),
                                     timeout=300)
                if out.returncode != 0:
                    sys.exit(f"bench_rpc: {side} failed:\n{out.stderr}")
                results[side].append(json.loads(out.stdout))
            took = time.time() - t0
            print(f"bench_rpc: round {r + 1} took {took:.0f} s", flush=True)
            if r + 1 >= args.min_repeat and not budget.fits(took * 1.2):
                break
    rounds = len(results[SIDES[0]])
    stats = {s: {k: summary([run[k] for run in results[s]]) for k, _, _ in METRICS} for s in SIDES}
    write_json(args.json, {"sides": SIDES, "pairs": PAIRS, "rounds": rounds, "calls": args.calls,
                           "messages": args.messages, "stats": stats, "runs": results,
                           "seconds": time.time() - started})
    report = render(stats, args, rounds)
    (HERE / "rpc.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
