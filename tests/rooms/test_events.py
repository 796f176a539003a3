"""Event encoding: one wire form for a room event, live or replayed."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from rooms import actions, events
from rooms.models import RoomEvent

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_replayed_event_opens_with_its_type_like_the_live_one(live_team, published):
    with published.capture():
        await sync_to_async(actions.check_send_message)(
            live_team.client_member, room_id=live_team.shared.id, client_id="e1", body="hi"
        )
    live = next(m["text"] for m in published if m.get("seq"))
    stored = await RoomEvent.objects.filter(room=live_team.shared).order_by("-seq").afirst()
    assert stored is not None
    replayed = events.encode(stored.payload)
    assert live.startswith('{"type":"message.new"')
    assert replayed.startswith('{"type":"message.new"')
    assert json.loads(replayed) == json.loads(live)


@pytest.mark.redis
async def test_a_publish_from_a_database_thread_reaches_a_process_subscribed_through_the_layer():
    """``_send`` publishes straight to Redis; the fanout receives through channels-redis."""
    layer = get_channel_layer()
    channel = await layer.new_channel("fanout.")
    await layer.group_add("room.sync-publish", channel)
    try:
        message = events.layer_message("room.sync-publish", {"type": "x", "seq": 1}, 1)
        await sync_to_async(events._send, thread_sensitive=False)(message)
        assert await asyncio.wait_for(layer.receive(channel), 5) == message
    finally:
        await layer.group_discard("room.sync-publish", channel)
