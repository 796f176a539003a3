"""Baseline 1: a minimal broadcast server on the `websockets` library.

No auth, no persistence, one process: every text frame a client sends goes to
every connected client (sender included). The floor for Python here.
"""

from __future__ import annotations

import asyncio
import sys

import websockets

clients: set[websockets.ServerConnection] = set()


async def handler(ws: websockets.ServerConnection) -> None:
    clients.add(ws)
    try:
        async for message in ws:
            websockets.broadcast(clients, message)
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, max_size=2**20, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
