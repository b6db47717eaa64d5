#!/usr/bin/env python3
"""RPC benchmark: unary calls per second and streamed messages per second over
loopback (grpc.aio), moonstub's stubs and servicer against grpcio-tools' on the
same proto (examples/greeter/greeter.proto), in the same run. Each side runs its
own server and client in a fresh process; runs alternate. Writes bench/rpc.md.

Usage: bench_rpc.py --moonstub BIN [--repeat N] [--calls N] [--messages N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO_DIR = HERE.parent / "examples" / "greeter"

WORKER = r'''
import asyncio, json, sys, time
import grpc, grpc.aio
sys.path.insert(0, sys.argv[2])
side, calls, messages = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
if side == "moonstub":
    import demo_greeter as pb, demo_greeter_grpc as rpc
    Base, add, Stub = rpc.GreeterServicer, rpc.add_servicer, rpc.GreeterStub
    say, stream = "say_hello", "chat"
else:
    import greeter_pb2 as pb, greeter_pb2_grpc as rpc
    Base, add, Stub = rpc.GreeterServicer, rpc.add_GreeterServicer_to_server, rpc.GreeterStub
    say, stream = "SayHello", "Chat"

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
        for _ in range(200):
            await unary(request)
        start = time.perf_counter()
        for _ in range(calls):
            await unary(request)
        unary_rate = calls / (time.perf_counter() - start)
        requests = [pb.HelloRequest(name=f"n{i}") for i in range(messages)]
        start = time.perf_counter()
        count = 0
        async for _ in chat(iter(requests)):
            count += 1
        stream_rate = count / (time.perf_counter() - start)
    await server.stop(None)
    print(json.dumps({"unary": unary_rate, "stream": stream_rate}))

asyncio.run(main())
'''


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moonstub", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    sides = ["moonstub", "grpcio-tools"]
    results: dict[str, list[dict[str, float]]] = {s: [] for s in sides}
    with tempfile.TemporaryDirectory() as tmp:
        gen = {s: Path(tmp) / s for s in sides}
        subprocess.run([str(args.moonstub.resolve()), f"-I{PROTO_DIR}", str(PROTO_DIR / "greeter.proto"),
                        f"--python_out={gen['moonstub']}", "--grpc"], check=True)
        gen["grpcio-tools"].mkdir()
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}",
                        f"--python_out={gen['grpcio-tools']}", f"--grpc_python_out={gen['grpcio-tools']}",
                        str(PROTO_DIR / "greeter.proto")], check=True)
        for _ in range(args.repeat):
            for side in sides:
                out = subprocess.run([sys.executable, "-c", WORKER, side, str(gen[side]), str(args.calls),
                                      str(args.messages)], capture_output=True, text=True, env=dict(os.environ))
                if out.returncode != 0:
                    sys.exit(f"bench_rpc: {side} failed:\n{out.stderr}")
                results[side].append(json.loads(out.stdout))
    lines = ["# RPC overhead (grpc.aio, loopback)", "",
             f"Greeter: {args.calls} unary calls and a bidi stream of {args.messages} messages per run, "
             f"{args.repeat} alternating runs, median (min-max). The ratio is moonstub over grpcio-tools "
             f"(1.00 = the same; the target is at least 0.95). Python {platform.python_version()}.", "",
             "| measure | moonstub | grpcio-tools | ratio |", "| --- | --- | --- | --- |"]
    for key, label in (("unary", "unary calls/s"), ("stream", "streamed messages/s")):
        ours = [r[key] for r in results["moonstub"]]
        theirs = [r[key] for r in results["grpcio-tools"]]
        m, t = statistics.median(ours), statistics.median(theirs)
        lines.append(f"| {label} | {m:,.0f} ({min(ours):,.0f}-{max(ours):,.0f}) | "
                     f"{t:,.0f} ({min(theirs):,.0f}-{max(theirs):,.0f}) | {m / t:.2f} |")
    lines += ["", "Regenerate with `make bench`."]
    report = "\n".join(lines) + "\n"
    (HERE / "rpc.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
