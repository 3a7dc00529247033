#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by a fixed time in each direction, in order: a database
"far away" on the same machine (round trip = 2 x DELAY_MS plus the proxy's own cost).

usage: latency_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS   (127.0.0.1 both sides)
Exits when the process that started it is gone (bench/migrate/run.sh starts it in the background).
"""
import asyncio
import os
import sys


async def forward(reader, writer, delay):
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            # Same delay for every chunk: call_later keeps them in order.
            loop.call_later(delay, writer.write, data)
    finally:
        await asyncio.sleep(delay * 2)
        writer.close()


async def main(listen, target, delay):
    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(
            forward(client_reader, server_writer, delay),
            forward(server_reader, client_writer, delay),
        )

    parent = os.getppid()
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        while os.getppid() == parent:
            await asyncio.sleep(1)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000.0))
