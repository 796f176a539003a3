"""A bot on the socket: ``Authorization: Bearer`` at the handshake, its rooms only, no
presence, closed at once when its token is revoked. Over the real ASGI stack, and on a
real Daphne process."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from hub.models import User
from rooms.actions.bots import (
    check_create_bot_token,
    check_create_incoming_webhook,
    check_revoke_bot_token,
)
from rooms.models.rooms import Room
from tests.conftest import Socket, make_internal_room, session_cookie, socket_headers
from tests.live import DaphneProcess, http_request

pytestmark = pytest.mark.django_db(transaction=True)


def bot_headers(token: str, *, origin: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return headers


@pytest.fixture
async def bot_socket(connect):
    """``await bot_socket(token)``: a bot's socket (no cookie, no Origin), its hello read.

    Depends on ``connect`` for its teardown of the process's fanout and presence."""
    opened: list[WebsocketCommunicator] = []

    async def _open(token: str, **kw: Any) -> tuple[bool, Socket | None]:
        comm = WebsocketCommunicator(application, "/ws/", headers=bot_headers(token, **kw))
        connected, _ = await comm.connect()
        if not connected:
            return False, None
        opened.append(comm)
        return True, Socket(comm)

    yield _open
    for comm in opened:
        with contextlib.suppress(Exception):
            await comm.disconnect()


def token_for(admin: User, *rooms: Room, name: str = "Deploy") -> tuple[int, str]:
    created = check_create_bot_token(admin, name=name, rooms=[r.pk for r in rooms])
    return created.credential.pk, created.secret


async def test_a_bot_connects_with_its_token_and_acts_in_its_room_only(live_team, bot_socket):
    token_id, token = await sync_to_async(token_for)(
        live_team.supplier_admin, live_team.supplier_internal
    )
    ok, sock = await bot_socket(token)
    assert ok and sock is not None
    hello = await sock.recv()
    assert hello["type"] == "hello" and hello["me"]["name"] == "Deploy (bot)"
    await sock.send({"type": "subscribe", "room": live_team.supplier_internal.pk, "ref": "s1"})
    subscribed = await sock.expect("subscribed", room=live_team.supplier_internal.pk)
    bot_id = hello["me"]["id"]
    # No presence: a bot is never online to anyone.
    assert subscribed["presence"][str(bot_id)] == "offline"
    await sock.send(
        {
            "type": "message.send",
            "room": live_team.supplier_internal.pk,
            "client_id": "b1",
            "body": "deployed",
        }
    )
    ack = await sock.expect("ack", client_id="b1")
    new = await sock.expect("message.new")
    assert new["message"]["id"] == ack["id"] and new["message"]["author"]["name"] == "Deploy (bot)"
    # Outside its scope: the same error frame as a room that does not exist.
    errors = []
    other = await sync_to_async(make_internal_room)(live_team.supplier_admin, name="Other")
    for room_id in (live_team.shared.pk, other.pk, live_team.client_internal.pk, 2**40):
        await sock.send({"type": "subscribe", "room": room_id, "ref": "x"})
        errors.append(await sock.expect("error"))
        await sock.send(
            {"type": "message.send", "room": room_id, "client_id": f"c{room_id}", "body": "hi"}
        )
        errors.append(await sock.expect("error"))
    stripped = {json.dumps({k: v for k, v in e.items() if k != "ref"}) for e in errors}
    assert stripped == {json.dumps({"type": "error", "code": "not_found", "detail": "Not found."})}
    # What a person's page does and a bot does not: typing, presence, reading, reactions.
    for frame in (
        {"type": "typing", "room": live_team.supplier_internal.pk},
        {"type": "presence.set", "state": "away"},
        {"type": "read", "room": live_team.supplier_internal.pk, "seq": 1},
    ):
        await sock.send(frame)
        assert (await sock.expect("error"))["code"] == "unknown_type"
    _ = token_id


async def test_a_bad_bearer_is_refused_whatever_cookie_comes_with_it(live_team, bot_socket):
    key = await sync_to_async(session_cookie)(live_team.supplier_member)
    headers = [
        *socket_headers(key),
        (b"authorization", b"Bearer cw_bot_not-a-real-one"),
    ]
    comm = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await comm.connect()
    await comm.disconnect()
    assert not connected
    ok, _sock = await bot_socket("cw_bot_nope")
    assert not ok


async def test_a_bearer_handshake_needs_no_origin_but_a_cookie_one_still_does(
    live_team, bot_socket
):
    _, token = await sync_to_async(token_for)(live_team.supplier_admin, live_team.supplier_internal)
    ok, _sock = await bot_socket(token, origin="https://evil.example")
    assert ok  # no cookie counts: the token alone is who it is
    key = await sync_to_async(session_cookie)(live_team.supplier_member)
    comm = WebsocketCommunicator(
        application, "/ws/", headers=socket_headers(key, origin="https://evil.example")
    )
    connected, _ = await comm.connect()
    await comm.disconnect()
    assert not connected


async def test_revoking_a_token_closes_its_open_sockets(live_team, bot_socket):
    token_id, token = await sync_to_async(token_for)(
        live_team.supplier_admin, live_team.supplier_internal
    )
    ok, sock = await bot_socket(token)
    assert ok and sock is not None
    await sock.recv()
    await sock.send({"type": "subscribe", "room": live_team.supplier_internal.pk})
    await sock.expect("subscribed")
    await sync_to_async(check_revoke_bot_token)(live_team.supplier_admin, token_id=token_id)
    await sock.expect("session.ended")
    closed = await sock.comm.receive_output(timeout=3)
    while closed["type"] != "websocket.close":
        closed = await sock.comm.receive_output(timeout=3)
    assert closed["code"] == 4403
    again, _ = await bot_socket(token)
    assert not again


async def test_a_webhook_message_reaches_the_rooms_people_live(live_team, connect):
    created = await sync_to_async(check_create_incoming_webhook)(
        live_team.supplier_admin, name="CI", room=live_team.supplier_internal.pk
    )
    member = await connect(live_team.supplier_member)
    await member.send({"type": "subscribe", "room": live_team.supplier_internal.pk})
    await member.expect("subscribed")
    await member.drain()

    def post() -> Any:
        return Client().post(
            f"/hooks/in/{created.secret}/",
            {"text": "Build 42 is green"},
            content_type="application/json",
        )

    response = await sync_to_async(post)()
    assert response.status_code == 200
    new = await member.expect("message.new", room=live_team.supplier_internal.pk)
    assert new["message"]["body"] == "Build 42 is green"
    assert new["message"]["author"]["name"] == "CI (bot)"


# --- on a real Daphne process ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.live
async def test_a_bot_on_daphne_over_http_and_the_socket(live_team):
    _, token = await sync_to_async(token_for)(live_team.supplier_admin, live_team.supplier_internal)
    server = DaphneProcess()
    try:
        ws = await websockets.connect(
            server.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "hello" and hello["me"]["name"] == "Deploy (bot)"
        await ws.send(json.dumps({"type": "subscribe", "room": live_team.supplier_internal.pk}))
        while json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != "subscribed":
            pass

        def post() -> Any:
            import http.client

            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request(
                "POST",
                f"/api/rooms/{live_team.supplier_internal.pk}/messages/",
                body=json.dumps({"client_id": "h1", "body": "over HTTP"}),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            got = conn.getresponse()
            return got.status, json.loads(got.read())

        status, body = await sync_to_async(post)()
        assert status == 201, body
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if frame["type"] == "message.new":
                break
        assert frame["message"]["body"] == "over HTTP" and frame["message"]["id"] == body["id"]
        await ws.close()
        refused = await sync_to_async(http_request)(server, "GET", "/api/organization/")
        assert refused.status == 401  # signed out, no token: the ordinary answer
    finally:
        server.stop()
