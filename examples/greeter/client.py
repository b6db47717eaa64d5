"""The greeter client of the Fory gRPC guide, on moonstub's generated code:
calls all four RPC shapes and prints the replies."""

import asyncio
import sys

import grpc.aio

import demo_greeter
import demo_greeter_grpc


async def main(address: str) -> None:
    # Test-only channel. Use a TLS/auth-configured grpc.aio.Channel in production.
    async with grpc.aio.insecure_channel(address) as channel:
        stub = demo_greeter_grpc.GreeterStub(channel)

        reply = await stub.say_hello(demo_greeter.HelloRequest(name="Fory"))
        print(reply.reply)

        async for reply in stub.lots_of_replies(demo_greeter.HelloRequest(name="Fory")):
            print(reply.reply)

        async def greeting_requests():
            yield demo_greeter.HelloRequest(name="Ada")
            yield demo_greeter.HelloRequest(name="Grace")

        summary = await stub.lots_of_greetings(greeting_requests())
        print(summary.reply)

        async def chat_requests():
            yield demo_greeter.HelloRequest(name="Fory")
            yield demo_greeter.HelloRequest(name="RPC")

        async for reply in stub.chat(chat_requests()):
            print(reply.reply)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"))
