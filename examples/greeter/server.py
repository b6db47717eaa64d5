"""The greeter server of the Fory gRPC guide, on moonstub's generated code
(grpc.aio). Run from a folder where demo_greeter.py and demo_greeter_grpc.py
were generated (make demo does this)."""

import asyncio
import sys

import grpc.aio

import demo_greeter
import demo_greeter_grpc


class Greeter(demo_greeter_grpc.GreeterServicer):
    async def say_hello(self, request, context):
        return demo_greeter.HelloReply(reply=f"Hello, {request.name}")

    async def lots_of_replies(self, request, context):
        yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")
        yield demo_greeter.HelloReply(reply=f"Welcome, {request.name}")

    async def lots_of_greetings(self, request_iterator, context):
        names = []
        async for request in request_iterator:
            names.append(request.name)
        return demo_greeter.HelloReply(reply=", ".join(names))

    async def chat(self, request_iterator, context):
        async for request in request_iterator:
            yield demo_greeter.HelloReply(reply=f"Hello, {request.name}")


async def serve(address: str) -> None:
    server = grpc.aio.server()
    demo_greeter_grpc.add_servicer(Greeter(), server)
    port = server.add_insecure_port(address)
    await server.start()
    print(f"greeter server listening on port {port}", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"))
