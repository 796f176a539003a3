"""Baseline 3: the Channels tutorial shape — ``group_send`` per consumer, on Redis.

What a typical Channels app costs: every socket has its own channel, every
message is one layer message per member.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.channels_settings")

import django

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baselines import SUBSCRIBE, SUBSCRIBED  # noqa: E402

GROUP = "bench"


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None and text_data.startswith(SUBSCRIBE):
            # The reconnect storm's resume: answered to its sender alone.
            await self.send(text_data=SUBSCRIBED)
            return
        await self.channel_layer.group_send(GROUP, {"type": "chat.message", "text": text_data})

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/", ChatConsumer.as_asgi())])})
