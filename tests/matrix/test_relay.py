"""The internal room's events reach the Matrix room live, as puppets (a real Synapse)."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.actions.messages import check_delete_message, check_edit_message
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.matrix import MatrixEvent
from tests.conftest import say
from tests.matrix.conftest import Bridged

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]


def bodies(timeline: list[dict[str, Any]]) -> list[str]:
    """What a client shows: each message's latest text (edits applied), redacted ones gone."""
    edits = {
        e["content"]["m.relates_to"]["event_id"]: e["content"]["m.new_content"]["body"]
        for e in timeline
        if (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.replace"
    }
    return [
        edits.get(e["event_id"], e["content"]["body"])
        for e in timeline
        if "body" in e["content"]
        and (e["content"].get("m.relates_to") or {}).get("rel_type") != "m.replace"
        and e["content"].get("msgtype") != "m.notice"
    ]


def test_a_message_appears_in_the_matrix_room_as_its_authors_puppet(bridged: Bridged) -> None:
    team = bridged.team
    say(team.supplier_member, bridged.room, "The pump on line 3 is leaking")
    assert bridged.relay() >= 1
    assert bridged.caught_up()
    [event] = [e for e in bridged.timeline() if "body" in e["content"]][1:]
    assert event["content"]["body"] == "The pump on line 3 is leaking"
    assert event["sender"].startswith(f"@causeway_{bridged.bridge.connector_id}_")
    assert bridged.engineer.display_name(event["sender"]) == (
        f"{team.supplier_member.name} ({team.supplier.name})"
    )


def test_edits_and_deletions_follow(bridged: Bridged) -> None:
    team = bridged.team
    kept = say(team.supplier_member, bridged.room, "Valve 7 at 40%")
    gone = say(team.supplier_admin, bridged.room, "Ignore this")
    bridged.relay()
    check_edit_message(
        team.supplier_member, room_id=bridged.room.pk, message_id=kept.pk, body="Valve 7 at 45%"
    )
    check_delete_message(team.supplier_admin, room_id=bridged.room.pk, message_id=gone.pk)
    bridged.relay()
    timeline = bridged.timeline()
    assert bodies(timeline) == ["Connected to Matrix", "Valve 7 at 45%"]
    redacted = MatrixEvent.objects.get(message=gone)
    assert redacted.redacted
    [gone_event] = [e for e in timeline if e["event_id"] == redacted.event_id]
    assert gone_event["content"] == {}


def test_a_thread_reply_is_a_matrix_thread_event_on_the_roots_event(bridged: Bridged) -> None:
    team = bridged.team
    root = say(team.supplier_member, bridged.room, "Shift handover")
    say(team.supplier_admin, bridged.room, "All clear on B", thread=root)
    bridged.relay()
    root_event = MatrixEvent.objects.get(message=root).event_id
    reply = next(e for e in bridged.timeline() if e["content"].get("body") == "All clear on B")
    relation = reply["content"]["m.relates_to"]
    assert (relation["rel_type"], relation["event_id"]) == ("m.thread", root_event)


def test_a_mirrored_shared_threads_events_appear_with_the_partners_names(bridged: Bridged) -> None:
    team = bridged.team
    root = say(team.client_member, team.shared, "Can you ship the seals by Friday?")
    check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=bridged.room.pk,
    )
    say(team.client_admin, team.shared, "Friday noon at the latest", thread=root)
    relay_all()  # the mirror copies arrive in the internal room
    bridged.relay()
    timeline = [e for e in bridged.timeline() if "body" in e["content"]][1:]
    assert [e["content"]["body"] for e in timeline] == [
        f"Can you ship the seals by Friday?\n\n— from the shared room “{team.shared.name}”",
        "Friday noon at the latest",
    ]
    names = [bridged.engineer.display_name(e["sender"]) for e in timeline]
    assert names == [
        f"{team.client_member.name} ({team.client.name})",
        f"{team.client_admin.name} ({team.client.name})",
    ]
    assert timeline[1]["content"]["m.relates_to"]["event_id"] == timeline[0]["event_id"]
