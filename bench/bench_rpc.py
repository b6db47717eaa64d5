#!/usr/bin/env python3
"""RPC benchmark: unary calls per second with p50/p99 latency, and bidi-streamed
messages per second, over loopback, on the greeter proto
(examples/greeter/greeter.proto). Three pairs, each moonstub's stubs and server
against a peer's on the same transport:

  grpc.aio     moonstub --grpc                       vs grpcio-tools (_pb2_grpc)
  sync grpcio  moonstub --grpc-python-mode=sync      vs grpcio-tools (_pb2_grpc)
  grpclib      moonstub --rules aristaproto, async client and server base
                                                     vs aristaproto 2.0.0.dev1 (the same options)
               (written as packages mspkg / arpkg: moonstub's aristaproto
               layout imports its support module relatively)

Each round runs one fresh process per pair, holding both sides' servers and
clients; inside it the two sides alternate in blocks (200 unary calls, then a
stream of 1,000 messages; the order flips every block), so load from other jobs
hits both alike. Unary calls are sequential (one in flight), so latency is a
full round trip through both stubs and the server. Writes bench/rpc.md and,
with --json, the raw numbers.

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
import asyncio, json, sys, time
transport, ours_dir, theirs_dir = sys.argv[1], sys.argv[2], sys.argv[3]
calls, messages, blocks = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
sys.path[:0] = [ours_dir, theirs_dir]
WARM = 200
per_calls, per_stream = calls // blocks, messages // blocks


def result(lat, stream_count, stream_time):
    lat = sorted(lat)
    return {"unary": len(lat) / sum(lat), "p50": lat[len(lat) // 2] * 1e6,
            "p99": lat[int(len(lat) * 0.99)] * 1e6, "stream": stream_count / stream_time}


def grpcio_names(moonstub):
    if moonstub:
        import demo_greeter as pb, demo_greeter_grpc as rpc
        return pb, rpc.GreeterServicer, rpc.add_servicer, rpc.GreeterStub, "say_hello", "chat"
    import greeter_pb2 as pb, greeter_pb2_grpc as rpc
    return pb, rpc.GreeterServicer, rpc.add_GreeterServicer_to_server, rpc.GreeterStub, "SayHello", "Chat"


async def run_async(sides):
    # sides: [(unary coroutine fn, chat async-iterator fn, request, make_requests)] for ours, theirs
    lat = [[], []]
    count, took = [0, 0], [0.0, 0.0]
    for unary, chat, request, reqs in sides:
        for _ in range(WARM):
            await unary(request)
        async for _ in chat(reqs(100)):
            pass
    for k in range(blocks):  # alternate in blocks, the order flipping, so load hits both alike
        for i in ((0, 1) if k % 2 == 0 else (1, 0)):
            unary, chat, request, reqs = sides[i]
            for _ in range(per_calls):
                t = time.perf_counter()
                await unary(request)
                lat[i].append(time.perf_counter() - t)
    for k in range(blocks):
        for i in ((0, 1) if k % 2 == 0 else (1, 0)):
            unary, chat, request, reqs = sides[i]
            items = reqs(per_stream)
            t = time.perf_counter()
            async for _ in chat(items):
                count[i] += 1
            took[i] += time.perf_counter() - t
    return [result(lat[i], count[i], took[i]) for i in (0, 1)]


if transport == "grpclib":
    import socket
    import grpclib.client, grpclib.server
    import mspkg.demo.greeter as ours_mod, arpkg.demo.greeter as theirs_mod

    def impl(mod):
        class Impl(mod.GreeterBase):
            async def say_hello(self, message):
                return mod.HelloReply(reply=message.name)
            async def chat(self, messages):
                async for m in messages:
                    yield mod.HelloReply(reply=m.name)
        return Impl()

    async def main():
        sides, cleanup = [], []
        for mod in (ours_mod, theirs_mod):
            sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
            server = grpclib.server.Server([impl(mod)])
            await server.start("127.0.0.1", port)
            channel = grpclib.client.Channel("127.0.0.1", port)
            stub = mod.GreeterStub(channel)
            sides.append((stub.say_hello, stub.chat, mod.HelloRequest(name="benchmark"),
                          lambda n, mod=mod: [mod.HelloRequest(name=f"n{i}") for i in range(n)]))
            cleanup.append((server, channel))
        out = await run_async(sides)
        for server, channel in cleanup:
            channel.close()
            server.close()
            await server.wait_closed()
        return out

    print(json.dumps(asyncio.run(main())))
elif transport == "aio":
    import grpc, grpc.aio

    async def main():
        sides, cleanup = [], []
        for moonstub in (True, False):
            pb, Base, add, Stub, say, stream = grpcio_names(moonstub)

            class Impl(Base):
                async def _unary(self, request, context, pb=pb):
                    return pb.HelloReply(reply=request.name)
                async def _chat(self, request_iterator, context, pb=pb):
                    async for request in request_iterator:
                        yield pb.HelloReply(reply=request.name)
            setattr(Impl, say, Impl._unary)
            setattr(Impl, stream, Impl._chat)
            server = grpc.aio.server()
            add(Impl(), server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
            stub = Stub(channel)
            sides.append((getattr(stub, say), lambda it, f=getattr(stub, stream): f(iter(it)),
                          pb.HelloRequest(name="benchmark"),
                          lambda n, pb=pb: [pb.HelloRequest(name=f"n{i}") for i in range(n)]))
            cleanup.append((server, channel))
        out = await run_async(sides)
        for server, channel in cleanup:
            await channel.close()
            await server.stop(None)
        return out

    print(json.dumps(asyncio.run(main())))
else:
    import grpc
    from concurrent import futures
    sides, cleanup = [], []
    for moonstub in (True, False):
        pb, Base, add, Stub, say, stream = grpcio_names(moonstub)

        class Impl(Base):
            def _unary(self, request, context, pb=pb):
                return pb.HelloReply(reply=request.name)
            def _chat(self, request_iterator, context, pb=pb):
                for request in request_iterator:
                    yield pb.HelloReply(reply=request.name)
        setattr(Impl, say, Impl._unary)
        setattr(Impl, stream, Impl._chat)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        add(Impl(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = Stub(channel)
        sides.append((getattr(stub, say), getattr(stub, stream), pb.HelloRequest(name="benchmark"),
                      lambda n, pb=pb: [pb.HelloRequest(name=f"n{i}") for i in range(n)]))
        cleanup.append((server, channel))
    lat, count, took = [[], []], [0, 0], [0.0, 0.0]
    for unary, chat, request, reqs in sides:
        for _ in range(WARM):
            unary(request)
        for _ in chat(iter(reqs(100))):
            pass
    for k in range(blocks):
        for i in ((0, 1) if k % 2 == 0 else (1, 0)):
            unary, chat, request, reqs = sides[i]
            for _ in range(per_calls):
                t = time.perf_counter()
                unary(request)
                lat[i].append(time.perf_counter() - t)
    for k in range(blocks):
        for i in ((0, 1) if k % 2 == 0 else (1, 0)):
            unary, chat, request, reqs = sides[i]
            items = reqs(per_stream)
            t = time.perf_counter()
            for _ in chat(iter(items)):
                count[i] += 1
            took[i] += time.perf_counter() - t
    for server, channel in cleanup:
        channel.close()
        server.stop(None)
    print(json.dumps([result(lat[i], count[i], took[i]) for i in (0, 1)]))
'''


def generate(moonstub: str, gen: Path) -> dict[str, Path]:
    proto = str(PROTO_DIR / "greeter.proto")
    dirs = {"moonstub aio": gen / "ms-aio", "moonstub sync": gen / "ms-sync", "moonstub grpclib": gen / "ms-grpclib",
            "grpcio-tools aio": gen / "tools", "grpcio-tools sync": gen / "tools",
            "aristaproto grpclib": gen / "arista"}
    base = [moonstub, f"-I{PROTO_DIR}", proto]
    subprocess.run([*base, f"--python_out={dirs['moonstub aio']}", "--grpc"], check=True)
    subprocess.run([*base, f"--python_out={dirs['moonstub sync']}", "--grpc-python-mode=sync"], check=True)
    subprocess.run([*base, f"--python_out={dirs['moonstub grpclib'] / 'mspkg'}", "--rules", "aristaproto",
                    "--opt", "client_generation=async", "--opt", "server_generation=async"], check=True)
    for d in (gen / "tools", gen / "arista" / "arpkg"):
        d.mkdir(parents=True, exist_ok=True)
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}"]
    subprocess.run([*protoc, f"--python_out={gen / 'tools'}", f"--grpc_python_out={gen / 'tools'}", proto], check=True)
    # aristaproto 2.0.0.dev1 writes a sync grpcio client unless asked: its grpclib client and server base
    subprocess.run([*protoc, f"--python_aristaproto_out={gen / 'arista' / 'arpkg'}",
                    "--python_aristaproto_opt=client_generation=async,server_generation=async", proto], check=True,
                   env=venv_env(), capture_output=True)
    return dirs


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def render(stats: dict[str, dict[str, dict[str, float]]], args: argparse.Namespace, rounds: int) -> str:
    lines = ["# RPC overhead (loopback)", "",
             f"Greeter: {args.calls} sequential unary calls (after 200 warm-up calls) and a bidi stream of "
             f"{args.messages} messages (in streams of {args.messages // args.blocks}) per side and round; "
             "the two sides "
             f"of a pair alternate in blocks inside one process; {rounds} rounds; median (min-max). "
             "The ratio is moonstub's over the peer's, oriented so that above 1.00 moonstub is better "
             f"(throughput: ours/theirs; latency: theirs/ours). Python {platform.python_version()}; "
             f"the grpclib peer is aristaproto {_version('aristaproto')}. See also bench/REPORT.md.", "",
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
    parser.add_argument("--blocks", type=int, default=10)
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
            for label, ours, theirs in PAIRS:
                transport = {"grpc.aio": "aio", "sync grpcio": "sync", "grpclib": "grpclib"}[label]
                out = subprocess.run([sys.executable, "-c", WORKER, transport, str(dirs[ours]), str(dirs[theirs]),
                                      str(args.calls), str(args.messages), str(args.blocks)],
                                     capture_output=True, text=True, env=dict(os.environ), timeout=300)
                if out.returncode != 0:
                    sys.exit(f"bench_rpc: {label} failed:\n{out.stderr}")
                mine, peer = json.loads(out.stdout)
                results[ours].append(mine)
                results[theirs].append(peer)
            took = time.time() - t0
            print(f"bench_rpc: round {r + 1} took {took:.0f} s", flush=True)
            if r + 1 >= args.min_repeat and not budget.fits(took * 1.2):
                break
    rounds = len(results[SIDES[0]])
    stats = {s: {k: summary([run[k] for run in results[s]]) for k, _, _ in METRICS} for s in SIDES}
    write_json(args.json, {"sides": SIDES, "pairs": PAIRS, "rounds": rounds, "calls": args.calls, "blocks": args.blocks,
                           "messages": args.messages, "stats": stats, "runs": results,
                           "seconds": time.time() - started})
    report = render(stats, args, rounds)
    (HERE / "rpc.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
