"""Oversized socket frames on a real Daphne process (docs/protocol.md, *Limits*).

The consumer's own limit (``CAUSEWAY_FRAME_MAX_BYTES``) can only answer
``too_large`` if the frame gets past Daphne's transport limit first; these
tests send real frames through a real Daphne to check both.
"""

from __future__ import annotations

import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings

from tests.conftest import session_cookie
from tests.live import Client, DaphneProcess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def server(live_team):
    started = DaphneProcess()
    yield started
    started.stop()


async def open_client(server: DaphneProcess, user) -> Client:
    key = await sync_to_async(session_cookie)(user)
    return await Client(server, key).open()


def frame_of(size: int) -> str:
    """A JSON ``message.send`` frame of exactly ``size`` UTF-8 bytes."""
    head = {"type": "message.send", "room": 1, "client_id": "big", "body": ""}
    padding = size - len(json.dumps(head))
    return json.dumps({**head, "body": "x" * padding})


async def test_a_2_mb_frame_gets_too_large_and_the_socket_stays_usable(live_team, server):
    sock = await open_client(server, live_team.supplier_member)
    text = frame_of(2_000_000)
    assert len(text.encode()) == 2_000_000

    await sock.ws.send(text)

    error = await sock.expect("error")
    assert error["code"] == "too_large"
    assert error["ref"] is None
    assert str(settings.CAUSEWAY_FRAME_MAX_BYTES) in error["detail"]
    await sock.send({"type": "ping", "ref": "after"})
    assert await sock.expect("pong") == {"type": "pong", "ref": "after"}
    await sock.close()


async def test_a_frame_at_the_transport_limit_still_gets_too_large(live_team, server):
    sock = await open_client(server, live_team.supplier_member)

    await sock.ws.send(frame_of(settings.CAUSEWAY_WS_MAX_MESSAGE_BYTES))

    assert (await sock.expect("error"))["code"] == "too_large"
    await sock.send({"type": "ping", "ref": "after"})
    await sock.expect("pong", ref="after")
    await sock.close()


async def test_a_frame_over_the_transport_limit_drops_the_connection(live_team, server):
    # Above the transport limit Daphne (autobahn) fails the connection
    # without a close frame, so the client sees 1006 (docs/protocol.md).
    sock = await open_client(server, live_team.supplier_member)

    with pytest.raises(websockets.ConnectionClosed) as closed:
        # The drop may already cut the send short.
        await sock.ws.send(frame_of(settings.CAUSEWAY_WS_MAX_MESSAGE_BYTES + 1))
        await sock.recv(timeout=10)

    assert closed.value.rcvd is None  # no close frame from the server
    assert sock.ws.close_code == 1006
