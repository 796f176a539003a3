"""Ending a partnership: its shared rooms become read-only archives for both sides."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from hub.actions import check_accept_partnership, check_propose_partnership
from hub.errors import Archived, Conflict, Forbidden, Invalid, NotFound
from hub.models import AuditEntry, Partnership
from hub.publish import room_group
from hub.schemas import parse
from rooms.actions.escalation_clock import run_escalation_clock
from rooms.actions.escalations import check_acknowledge_escalation, check_escalate
from rooms.actions.invitations import check_create_invitation, find_invitation
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.rooms import check_create_shared_room, check_update_room
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.bridge import Mirror
from rooms.models.invitations import Invitation
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.models.workitems import Escalation
from rooms.schemas import PartnershipEnd, WorkItemChanges
from rooms.selectors.rooms import room_list
from tests.conftest import Team, make_org, make_person

REASON = "Contract not renewed after 2026."


def say(person, room, body, thread=None):
    return check_send_message(
        person, room_id=room.id, client_id=str(uuid.uuid4()), body=body, thread=thread
    )[0]


def end(team: Team, by=None) -> Partnership:
    return check_end_partnership(
        by or team.client_admin, partnership_id=team.partnership.id, reason=REASON
    )


def test_either_sides_admin_ends_an_active_partnership_with_a_reason(team: Team):
    ended = end(team)
    ended.refresh_from_db()
    assert ended.status == Partnership.Status.ENDED
    assert (ended.ended_by, ended.end_reason) == (team.client_admin, REASON)
    assert ended.ended_at is not None
    entries = AuditEntry.objects.filter(action="partnership.ended", target_id=ended.pk)
    # Each side's audit log has it.
    assert {e.organization_id for e in entries} == {team.supplier.id, team.client.id}
    assert all(e.data["reason"] == REASON for e in entries)


def test_only_an_admin_of_a_side_ends_only_a_live_partnership_and_only_with_a_reason(
    team: Team,
):
    with pytest.raises(Forbidden):
        end(team, by=team.supplier_member)
    with pytest.raises(NotFound):
        end(team, by=make_person(make_org(), admin=True))
    with pytest.raises(Invalid):
        parse(PartnershipEnd, {"reason": "  "})
    end(team, by=team.supplier_admin)
    with pytest.raises(Conflict):
        end(team)


def test_the_shared_rooms_become_read_only_for_both_sides(team: Team):
    root = say(team.client_member, team.shared, "Final delivery schedule")
    item = check_create_work_item(team.supplier_member, room_id=team.shared.id, title="Last lot")
    end(team)
    shared = team.shared.id
    writes = [
        lambda p: say(p, team.shared, "still here?"),
        lambda p: check_edit_message(
            team.client_member, room_id=shared, message_id=root.id, body="changed"
        ),
        lambda p: check_delete_message(team.client_member, room_id=shared, message_id=root.id),
        lambda p: check_create_work_item(p, room_id=shared, title="New"),
        lambda p: check_update_work_item(
            p, room_id=shared, item_id=item.id, changes=parse(WorkItemChanges, {"priority": 1})
        ),
        lambda p: check_escalate(p, room_id=shared, item_id=item.id, severity="S2", reason="late"),
        lambda p: check_update_room(team.supplier_admin, room_id=shared, topic="renamed"),
        lambda p: check_create_mirror(
            p,
            source_room_id=shared,
            root_id=root.id,
            target_room_id=(
                team.supplier_internal
                if p.organization_id == team.supplier.id
                else team.client_internal
            ).id,
        ),
        lambda p: check_create_invitation(
            p, room_id=shared, email=f"late@{p.organization.verified_domains[0]}"
        ),
    ]
    for person in (team.supplier_member, team.client_member):
        for write in writes:
            with pytest.raises(Archived):
                write(person)
    assert Message.objects.get(pk=root.pk).body == "Final delivery schedule"
    # Reading stays: history, thread, members, board.
    client = Client()
    client.force_login(team.supplier_member)
    for path in (
        f"/api/rooms/{shared}/messages/",
        f"/api/rooms/{shared}/threads/{root.id}/",
        f"/api/rooms/{shared}/members/",
        f"/api/rooms/{shared}/workitems/",
    ):
        assert client.get(path).status_code == 200, path
    refused = client.post(
        f"/api/rooms/{shared}/workitems/", {"title": "x"}, content_type="application/json"
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "archived"
    # Outsiders still cannot tell the room exists.
    outsider = Client()
    outsider.force_login(make_person(make_org()))
    assert outsider.get(f"/api/rooms/{shared}/messages/").status_code == 404


def test_the_room_list_shows_archived_rooms_apart_with_why(team: Team):
    end(team)
    rooms = {r["id"]: r for r in room_list(team.supplier_member)}
    archived = rooms[team.shared.id]
    assert archived["archived"] is True
    assert archived["ended"] == {
        "by": team.client_admin.name,
        "org": team.client.name,
        "reason": REASON,
        "at": archived["ended"]["at"],
    }
    assert rooms[team.supplier_internal.id]["archived"] is False


def test_ending_logs_room_archived_on_each_shared_rooms_sequence(team: Team, published):
    second = check_create_shared_room(
        team.supplier_admin, partnership_id=team.partnership.id, name="Second"
    )
    with published.capture():
        end(team)
    for room in (team.shared, second):
        frames = published.frames(room_group(room.id))
        assert [f["type"] for f in frames] == ["room.archived"]
        frame = frames[0]
        head = Room.objects.get(pk=room.pk).last_seq
        assert frame["seq"] == head
        assert frame["reason"] == REASON
        assert frame["by"]["id"] == team.client_admin.id
        logged = RoomEvent.objects.get(room=room, seq=head)
        assert logged.payload == frame  # a reconnecting client replays it


def test_ending_stops_both_sides_mirrors_and_keeps_their_copies(team: Team):
    root = say(team.client_member, team.shared, "Ramp-down plan")
    ours = check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.supplier_internal.id,
    )
    theirs = check_create_mirror(
        team.client_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.client_internal.id,
    )
    say(team.client_member, team.shared, "Week 1: half volume", thread=root.id)
    relay_all()
    end(team)
    for mirror in (ours, theirs):
        mirror.refresh_from_db()
        assert mirror.stopped_at is not None
        copies = Message.objects.filter(room=mirror.target_room, thread_root=mirror.root_copy)
        assert list(copies.values_list("body", flat=True)) == ["Week 1: half volume"]
    stops = AuditEntry.objects.filter(action="mirror.stopped")
    assert {e.organization_id for e in stops} == {team.supplier.id, team.client.id}
    assert Mirror.objects.filter(stopped_at__isnull=True).count() == 0


def test_ending_kills_pending_invitations_into_its_rooms(team: Team):
    invitation, token = check_create_invitation(
        team.supplier_member,
        room_id=team.shared.id,
        email=f"newbie@{team.supplier.verified_domains[0]}",
    )
    elsewhere, _ = check_create_invitation(
        team.supplier_member,
        room_id=team.supplier_internal.id,
        email=f"colleague@{team.supplier.verified_domains[0]}",
    )
    end(team)
    invitation.refresh_from_db()
    elsewhere.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not find_invitation(token).is_usable()
    assert elsewhere.revoked_at is None  # an internal room's invitation lives on
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_two_organizations_can_partner_again_later(team: Team):
    end(team)
    again = check_propose_partnership(
        team.client_admin, partner_slug=team.supplier.slug, as_side="client"
    )
    check_accept_partnership(team.supplier_admin, partnership_id=again.id)
    room = check_create_shared_room(
        team.supplier_admin, partnership_id=again.id, name="Fresh start"
    )
    assert room.partnership_id == again.id
    # The old rooms stay archived under the ended partnership.
    with pytest.raises(Archived):
        say(team.client_member, team.shared, "back?")


def test_the_escalation_clock_leaves_an_ended_partnerships_escalations_alone(team: Team):
    item = check_create_work_item(team.client_member, room_id=team.shared.id, title="Stuck lot")
    now = timezone.now()
    escalation = check_escalate(
        team.client_member,
        room_id=team.shared.id,
        item_id=item.id,
        severity="S1",
        reason="line down",
        now=now,
    )
    end(team)
    later = now + datetime.timedelta(days=1)
    assert run_escalation_clock(now=later) == []
    escalation.refresh_from_db()
    assert escalation.breached_at is None
    with pytest.raises(Archived):
        check_acknowledge_escalation(team.supplier_admin, escalation_id=escalation.id)
    assert Escalation.objects.get(pk=escalation.pk).status == "open"


def test_ending_over_http_answers_for_both_sides(team: Team):
    client = Client()
    client.force_login(team.supplier_admin)
    url = f"/api/partnerships/{team.partnership.id}/end/"
    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 400
    ended = client.post(url, {"reason": REASON}, content_type="application/json")
    assert ended.status_code == 200, ended.content
    assert ended.json() == {"id": team.partnership.id, "status": "ended"}
    other = Client()
    other.force_login(team.client_member)
    listed = {p["id"]: p for p in other.get("/api/partnerships/").json()["partnerships"]}
    mine = listed[team.partnership.id]
    assert mine["status"] == "ended"
    assert mine["ended"]["reason"] == REASON
    assert mine["ended"]["by"] == team.supplier_admin.name
