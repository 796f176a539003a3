"""What the engineer writes in the Matrix room: internal notes, and !share / !confirm."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from hub.models import AuditEntry
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.bridge import Mirror
from rooms.models.matrix import MatrixEvent
from rooms.models.messages import Message
from tests.conftest import say
from tests.matrix.conftest import Bridged

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Wait for something another process does (the homeserver pushing a transaction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def notices(bridged: Bridged) -> list[str]:
    return [
        e["content"]["body"]
        for e in bridged.engineer.messages(bridged.matrix_room)
        if e["type"] == "m.room.message" and e["content"].get("msgtype") == "m.notice"
    ]


def mirrored(bridged: Bridged) -> tuple[Message, Mirror]:
    """A shared thread the client started, mirrored into the bridged internal room."""
    team = bridged.team
    root = say(team.client_member, team.shared, "Seal kit for line 3: in stock?")
    mirror = check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=bridged.room.pk,
    )
    relay_all()
    bridged.relay()
    return root, mirror


def test_a_matrix_message_becomes_an_internal_note_that_never_reaches_the_partner(
    bridged: Bridged,
) -> None:
    team = bridged.team
    _root, mirror = mirrored(bridged)
    root_event = MatrixEvent.objects.get(message=mirror.root_copy).event_id
    shared_before = Message.objects.filter(room=team.shared).count()
    bridged.engineer.say(
        bridged.matrix_room,
        "We have 12 in the Leeds warehouse",
        relates_to={"rel_type": "m.thread", "event_id": root_event, "is_falling_back": True},
    )
    note = eventually(
        lambda: (
            Message.objects.filter(room=bridged.room, body="We have 12 in the Leeds warehouse")
            .select_related("author")
            .first()
        ),
        "the note in the internal room",
    )
    assert note.author == team.supplier_member
    assert note.thread_root_id == mirror.root_copy_id
    assert note.kind == Message.Kind.MESSAGE
    relay_all()
    bridged.relay()
    # Never relayed to the shared room, and never echoed back to Matrix.
    assert Message.objects.filter(room=team.shared).count() == shared_before
    assert [e["content"]["body"] for e in bridged.timeline()].count(
        "We have 12 in the Leeds warehouse"
    ) == 1


def test_an_unlinked_matrix_user_posts_nothing_and_is_told_why(bridged: Bridged) -> None:
    stranger = bridged.synapse.register(f"stranger{time.monotonic_ns()}")
    bridged.engineer.invite(bridged.matrix_room, stranger.user_id)
    stranger.call("POST", f"/join/{bridged.matrix_room}", {})
    stranger.say(bridged.matrix_room, "I am the plant manager")
    said = eventually(
        lambda: [n for n in notices(bridged) if stranger.user_id in n], "the bot's notice"
    )
    assert "not linked to a person" in said[0]
    assert not Message.objects.filter(room=bridged.room, body="I am the plant manager").exists()


def share_request(bridged: Bridged, note_event: str) -> str:
    bridged.engineer.say(
        bridged.matrix_room,
        "!share",
        relates_to={"m.in_reply_to": {"event_id": note_event}},
    )
    return eventually(
        lambda: [n for n in notices(bridged) if n.startswith("Share this note")], "the prompt"
    )[0]


def a_note(bridged: Bridged, mirror: Mirror, body: str) -> tuple[Message, str]:
    root_event = MatrixEvent.objects.get(message=mirror.root_copy).event_id
    event = bridged.engineer.say(
        bridged.matrix_room,
        body,
        relates_to={"rel_type": "m.thread", "event_id": root_event, "is_falling_back": True},
    )
    note = eventually(
        lambda: Message.objects.filter(room=bridged.room, body=body).first(), "the note"
    )
    return note, event


def test_share_then_confirm_shares_the_note_back_and_is_audited(bridged: Bridged) -> None:
    team = bridged.team
    root, mirror = mirrored(bridged)
    note, event = a_note(bridged, mirror, "Yes: 12 kits, shipping Thursday")
    prompt = share_request(bridged, event)
    assert prompt == (
        f"Share this note with {team.client.name}? This exact text will be posted in the "
        f"shared thread in “{team.shared.name}”, as {team.supplier_member.name}:\n"
        "> Yes: 12 kits, shipping Thursday\n"
        f"Visible to {team.client.name} in {team.shared.name}, and to everyone of "
        f"{team.supplier.name} there. Sharing cannot be undone.\n"
        "Reply !confirm within 5 minutes to share it; anything else cancels."
    )
    assert not Message.objects.filter(room=team.shared, thread_root=root).exists()
    bridged.engineer.say(bridged.matrix_room, "!confirm")
    shared = eventually(
        lambda: Message.objects.filter(room=team.shared, thread_root=root).first(),
        "the shared reply",
    )
    assert (shared.body, shared.author_id) == (
        "Yes: 12 kits, shipping Thursday",
        team.supplier_member.pk,
    )
    audit = AuditEntry.objects.get(action="mirror.shared_back")
    assert (audit.actor_id, audit.data["note"], audit.data["via"]) == (
        team.supplier_member.pk,
        note.pk,
        "matrix",
    )
    eventually(lambda: [n for n in notices(bridged) if n.startswith("Shared with")], "the answer")


def test_share_without_confirm_shares_nothing(bridged: Bridged) -> None:
    team = bridged.team
    root, mirror = mirrored(bridged)
    _, event = a_note(bridged, mirror, "Internal only: margin is thin")
    share_request(bridged, event)
    bridged.engineer.say(bridged.matrix_room, "hmm, not yet")
    eventually(lambda: [n for n in notices(bridged) if "was cancelled" in n], "the cancel")
    bridged.engineer.say(bridged.matrix_room, "!confirm")
    eventually(
        lambda: [n for n in notices(bridged) if n.startswith("Nothing to confirm")], "the refusal"
    )
    assert not Message.objects.filter(room=team.shared, thread_root=root).exists()
    assert not AuditEntry.objects.filter(action="mirror.shared_back").exists()


def put(url: str, token: str | None, body: dict[str, Any]) -> tuple[int, Any]:
    request = Request(url, data=json.dumps(body).encode(), method="PUT")
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_appservice_api_refuses_a_wrong_token_as_the_spec_says(bridged: Bridged) -> None:
    from django.conf import settings

    base = f"{settings.SITE_URL}/matrix/{bridged.bridge.connector_id}/_matrix/app/v1"
    forbidden = {"errcode": "M_FORBIDDEN", "error": "Bad token supplied by the homeserver."}
    event = {
        "type": "m.room.message",
        "room_id": bridged.matrix_room,
        "sender": bridged.engineer.user_id,
        "event_id": "$forged",
        "content": {"msgtype": "m.text", "body": "forged"},
    }
    assert put(f"{base}/transactions/t1", "wrong", {"events": [event]}) == (403, forbidden)
    assert put(f"{base}/transactions/t1", None, {"events": [event]}) == (403, forbidden)
    # A connector that does not exist answers the same.
    other = f"{settings.SITE_URL}/matrix/1/_matrix/app/v1/transactions/t1"
    assert put(other, bridged.bridge.hs_token, {"events": [event]}) == (403, forbidden)
    assert not Message.objects.filter(body="forged").exists()
    # The right token: applied once, however often the homeserver sends it.
    bridged.bridge.refresh_from_db()
    for _ in range(2):
        assert put(f"{base}/transactions/t1", bridged.bridge.hs_token, {"events": [event]}) == (
            200,
            {},
        )
    assert Message.objects.filter(room=bridged.room, body="forged").count() == 1
