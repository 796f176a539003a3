"""Event encoding: one wire form for a room event, live or replayed."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from hub import publish
from rooms.actions.messages import check_send_message
from rooms.models.log import RoomEvent

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_replayed_event_opens_with_its_type_like_the_live_one(live_team, published):
    with published.capture():
        await sync_to_async(check_send_message)(
            live_team.client_member, room_id=live_team.shared.id, client_id="e1", body="hi"
        )
    live = next(m["text"] for m in published if m.get("seq"))
    stored = await RoomEvent.objects.filter(room=live_team.shared).order_by("-seq").afirst()
    assert stored is not None
    replayed = publish.encode(stored.payload)
    assert live.startswith('{"type":"message.new"')
    assert replayed.startswith('{"type":"message.new"')
    assert json.loads(replayed) == json.loads(live)
