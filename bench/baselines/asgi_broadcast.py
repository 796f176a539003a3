"""Baseline 2: a raw ASGI broadcast app served by Daphne (no Channels, no Django).

The floor for this server: each text frame is written to every connected
socket of the process, sender included. A ``subscribe`` (the reconnect
storm's resume) is answered to its sender alone with a fixed ``subscribed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bench.baselines import SUBSCRIBE, SUBSCRIBED

Send = Callable[[dict[str, Any]], Awaitable[None]]
sockets: set[Send] = set()


async def application(scope: dict[str, Any], receive: Any, send: Send) -> None:
    if scope["type"] != "websocket":
        return
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            sockets.add(send)
        elif event["type"] == "websocket.receive":
            text = event.get("text")
            if text is not None and text.startswith(SUBSCRIBE):
                await send({"type": "websocket.send", "text": SUBSCRIBED})
                continue
            for peer in list(sockets):
                await peer({"type": "websocket.send", "text": text})
        elif event["type"] == "websocket.disconnect":
            sockets.discard(send)
            return
