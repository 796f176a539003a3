"""The publisher: what a write publishes reaches the processes listening on its group."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from hub import publish


@pytest.mark.redis
async def test_a_publish_from_a_database_thread_reaches_a_process_subscribed_through_the_layer():
    """``send`` publishes straight to Redis; the fanout receives through channels-redis."""
    layer = get_channel_layer()
    channel = await layer.new_channel("fanout.")
    await layer.group_add("room.sync-publish", channel)
    try:
        message = publish.deliver_message("room.sync-publish", {"type": "x", "seq": 1}, 1)
        await sync_to_async(publish.send, thread_sensitive=False)(message)
        assert await asyncio.wait_for(layer.receive(channel), 5) == message
    finally:
        await layer.group_discard("room.sync-publish", channel)
