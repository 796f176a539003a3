"""Who is told of what (rooms.actions.notifications): mentions, replies, assignments,
never yourself, muted rooms, quiet hours on the person's own clock, and the one
rule that a notification about a message is read when the message is read."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.test import Client

from hub.models import User
from hub.publish import user_group
from hub.schemas import parse
from rooms.actions.messages import check_delete_message
from rooms.actions.notifications import check_set_room_notify
from rooms.actions.reading import check_follow_thread, check_mark_read, check_mark_thread_read
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.models.messages import Message
from rooms.models.notifications import Notification, NotificationSettings
from rooms.schemas import WorkItemChanges
from tests.conftest import Team, say

UTC = datetime.UTC


def told(person: User) -> list[tuple[str, int | None]]:
    return [
        (n.kind, n.message_id)
        for n in Notification.objects.filter(person=person).order_by("created_at", "id")
    ]


# --- who is told -------------------------------------------------------------------------------


def test_a_mention_tells_the_person_mentioned_and_nobody_else(team: Team, published: Any) -> None:
    with published.capture():
        message = say(
            team.supplier_member, team.shared, f"@{team.client_member.handle} can you check?"
        )
    assert told(team.client_member) == [("mention", message.pk)]
    assert told(team.client_admin) == [] and told(team.supplier_admin) == []
    [frame] = published.frames(user_group(team.client_member.pk))
    assert frame["type"] == "notification" and frame["kind"] == "mention"
    assert frame["message"] == message.pk and frame["room"] == team.shared.pk
    assert frame["quiet"] is False
    assert "Sue Supplier mentioned you" in frame["title"]


def test_nobody_is_told_of_their_own_mention_reply_or_assignment(team: Team) -> None:
    root = say(team.supplier_member, team.shared, f"note to self @{team.supplier_member.handle}")
    say(team.supplier_member, team.shared, "my own reply", thread=root)
    check_create_work_item(
        team.supplier_member, room_id=team.shared.pk, title="Mine", assignee=team.supplier_member.pk
    )
    assert told(team.supplier_member) == []


def test_a_reply_tells_the_threads_followers_once_each(team: Team) -> None:
    root = say(team.client_member, team.shared, "Can we move the audit?")
    check_follow_thread(team.client_admin, room_id=team.shared.pk, root_id=root.pk, follow=True)
    reply = say(
        team.supplier_member, team.shared, f"Yes, @{team.client_member.handle}: Friday", thread=root
    )
    # The root's author follows it and is mentioned: one notification, the mention.
    assert told(team.client_member) == [("mention", reply.pk)]
    assert told(team.client_admin) == [("reply", reply.pk)]
    # The replier now follows it and is told of the next reply.
    answer = say(team.client_admin, team.shared, "Friday works", thread=root)
    assert told(team.supplier_member) == [("reply", answer.pk)]


def test_an_internal_note_tells_the_partner_nothing_until_it_is_shared_back(team: Team) -> None:
    from rooms.bridge.mirrors import check_create_mirror, check_share_back
    from rooms.bridge.relay import relay_all

    root = say(team.client_member, team.shared, "Can you expedite lot 7?")
    mirror = check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=team.supplier_internal.pk,
    )
    relay_all()
    note = say(
        team.supplier_admin,
        team.supplier_internal,
        f"@{team.client_member.handle} yes, by Friday",
        thread=Message.objects.get(pk=mirror.root_copy_id),
    )
    # The note names a partner person who is not in the internal room: nothing.
    assert told(team.client_member) == []
    shared = check_share_back(
        team.supplier_member, mirror_id=mirror.id, message_id=note.pk, confirmed_body=note.body
    )
    # Shared back on purpose, into the shared thread the client follows: a mention.
    assert told(team.client_member) == [("mention", shared.pk)]


def test_a_muted_room_tells_nothing_and_all_or_mentions_still_tell_mentions(team: Team) -> None:
    check_set_room_notify(team.client_member, room_id=team.shared.pk, level="none")
    check_set_room_notify(team.client_admin, room_id=team.shared.pk, level="all")
    say(
        team.supplier_member,
        team.shared,
        f"@{team.client_member.handle} @{team.client_admin.handle} heads up",
    )
    assert told(team.client_member) == []
    assert [kind for kind, _ in told(team.client_admin)] == ["mention"]


def test_a_follower_who_left_the_room_is_told_nothing_more(team: Team) -> None:
    root = say(team.client_member, team.shared, "Thread")
    say(team.supplier_member, team.shared, "reply 1", thread=root)
    from rooms.actions.members import check_remove_member

    check_remove_member(team.client_admin, room_id=team.shared.pk, person_id=team.client_member.pk)
    say(team.supplier_member, team.shared, "reply 2", thread=root)
    assert [kind for kind, _ in told(team.client_member)] == ["reply"]


def test_work_assigned_to_someone_else_tells_them_on_create_and_on_reassign(team: Team) -> None:
    item = check_create_work_item(
        team.supplier_admin,
        room_id=team.shared.pk,
        title="Ship samples",
        assignee=team.client_member.pk,
    )
    assert told(team.client_member) == [("assigned", None)]
    check_update_work_item(
        team.supplier_admin,
        room_id=team.shared.pk,
        item_id=item.pk,
        changes=parse(WorkItemChanges, {"assignee": team.client_admin.pk}),
    )
    notice = Notification.objects.get(person=team.client_admin)
    assert (notice.kind, notice.work_item_id) == ("assigned", item.pk)
    assert "Ship samples" in notice.body


# --- quiet hours ----------------------------------------------------------------------------


def quiet(zone: str, start: str, end: str) -> NotificationSettings:
    """Quiet hours of someone whose profile's time zone is ``zone`` (nothing stored)."""
    return NotificationSettings(
        person=User(time_zone=zone),
        quiet_enabled=True,
        quiet_from=datetime.time.fromisoformat(start),
        quiet_to=datetime.time.fromisoformat(end),
    )


@pytest.mark.parametrize(
    ("at_utc", "expected"),
    [
        # Berlin is UTC+1 in winter: 21:30 UTC is 22:30 there.
        ("2026-12-01T21:30:00", True),
        ("2026-12-01T20:30:00", False),
        ("2026-12-02T05:59:00", True),  # 06:59 in Berlin
        ("2026-12-02T06:00:00", False),  # 07:00: over
        # Summer time, UTC+2: 20:30 UTC is already 22:30.
        ("2026-07-01T20:30:00", True),
    ],
)
def test_quiet_hours_follow_the_persons_clock_across_midnight(at_utc: str, expected: bool) -> None:
    at = datetime.datetime.fromisoformat(at_utc).replace(tzinfo=UTC)
    assert quiet("Europe/Berlin", "22:00", "07:00").is_quiet(at) is expected


def test_quiet_hours_within_a_day_and_switched_off() -> None:
    lunch = quiet("America/New_York", "12:00", "13:00")
    noon_in_new_york = datetime.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert lunch.is_quiet(noon_in_new_york)
    assert not lunch.is_quiet(noon_in_new_york + datetime.timedelta(hours=1))
    lunch.quiet_enabled = False
    assert not lunch.is_quiet(noon_in_new_york)


def test_a_notification_in_quiet_hours_is_listed_but_marked_quiet(
    team: Team, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.filter(pk=team.client_member.pk).update(time_zone="Asia/Tokyo")
    NotificationSettings.objects.create(
        person=team.client_member,
        quiet_enabled=True,
        quiet_from=datetime.time(22, 0),
        quiet_to=datetime.time(7, 0),
    )
    # The clock: 23:00 in Tokyo.
    late = datetime.datetime(2026, 12, 1, 23, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    monkeypatch.setattr("rooms.actions.notifications.timezone.now", lambda: late)
    with published.capture():
        say(team.supplier_member, team.shared, f"@{team.client_member.handle} urgent?")
    notice = Notification.objects.get(person=team.client_member)
    assert notice.quiet is True
    [frame] = published.frames(user_group(team.client_member.pk))
    assert frame["quiet"] is True


# --- one rule with the badges ---------------------------------------------------------------


def test_reading_the_room_or_the_thread_reads_their_notifications(
    team: Team, published: Any
) -> None:
    root = say(team.client_member, team.shared, "Thread")
    mention = say(team.supplier_member, team.shared, f"@{team.client_member.handle} look")
    later = say(team.supplier_member, team.shared, f"@{team.client_member.handle} again")
    reply = say(team.supplier_member, team.shared, "a reply", thread=root)
    with published.capture():
        check_mark_read(team.client_member, room_id=team.shared.pk, seq=mention.seq)
    unread = Notification.objects.filter(person=team.client_member, read_at__isnull=True)
    assert sorted(n.message_id for n in unread) == sorted([later.pk, reply.pk])
    [update] = [
        f
        for f in published.frames(user_group(team.client_member.pk))
        if f["type"] == "notifications.updated"
    ]
    read_now = Notification.objects.get(person=team.client_member, message=mention)
    assert update == {"type": "notifications.updated", "read": [read_now.pk], "removed": []}
    check_mark_thread_read(
        team.client_member, room_id=team.shared.pk, root_id=root.pk, seq=reply.seq
    )
    assert [n.message_id for n in unread.all()] == [later.pk]


def test_deleting_a_message_takes_its_notifications_from_every_bell(
    team: Team, published: Any
) -> None:
    message = say(
        team.supplier_member,
        team.shared,
        f"@{team.client_member.handle} @{team.client_admin.handle} oops, wrong room",
    )
    ids = {n.person_id: n.pk for n in Notification.objects.filter(message=message)}
    with published.capture():
        check_delete_message(team.supplier_member, room_id=team.shared.pk, message_id=message.pk)
    assert not Notification.objects.filter(message=message).exists()
    for person in (team.client_member, team.client_admin):
        updates = [
            f
            for f in published.frames(user_group(person.pk))
            if f["type"] == "notifications.updated"
        ]
        assert updates == [
            {"type": "notifications.updated", "read": [], "removed": [ids[person.pk]]}
        ]


# --- the person's settings over HTTP ---------------------------------------------------------


def client_for(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_settings_start_at_the_defaults_and_change_over_http(team: Team) -> None:
    client = client_for(team.client_member)
    defaults = client.get("/api/me/notifications/").json()["settings"]
    assert defaults["time_zone"] == "UTC" and defaults["quiet"]["enabled"] is False
    assert defaults["email"] == {
        "mention": True,
        "reply": True,
        "assigned": True,
        "escalation": True,
    }
    client.patch("/api/me/", {"time_zone": "Europe/Berlin"}, content_type="application/json")
    changed = client.put(
        "/api/me/notifications/",
        {
            "quiet": {"enabled": True, "start": "21:00", "end": "06:30"},
            "email": {"reply": False},
        },
        content_type="application/json",
    ).json()["settings"]
    assert changed["time_zone"] == "Europe/Berlin"  # the profile's, the person's one time zone
    assert changed["quiet"] == {"enabled": True, "start": "21:00", "end": "06:30"}
    assert changed["email"]["reply"] is False and changed["email"]["mention"] is True


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"time_zone": "Europe/Berlin"}, "part of your profile now"),
        ({"quiet": {"enabled": True, "start": "25:00", "end": "06:00"}}, "HH:MM"),
        ({"email": {"newsletters": False}}, "Unknown e-mail topics"),
        ({"email": {"reply": "no"}}, "true or false"),
    ],
)
def test_bad_settings_are_a_clear_400(team: Team, body: dict[str, Any], error: str) -> None:
    response = client_for(team.client_member).put(
        "/api/me/notifications/", body, content_type="application/json"
    )
    assert response.status_code == 400 and error in response.json()["error"]["detail"]


def test_a_rooms_level_is_set_by_its_members_only_and_shown_in_the_room_list(team: Team) -> None:
    client = client_for(team.client_member)
    answer = client.put(
        f"/api/rooms/{team.shared.pk}/notify/", {"level": "all"}, content_type="application/json"
    )
    assert answer.json() == {"room": team.shared.pk, "notify": "all"}
    rooms = {r["id"]: r["notify"] for r in client.get("/api/rooms/").json()["rooms"]}
    assert rooms[team.shared.pk] == "all" and rooms[team.client_internal.pk] == "mentions"
    outsider = client.put(
        f"/api/rooms/{team.supplier_internal.pk}/notify/",
        {"level": "none"},
        content_type="application/json",
    )
    assert outsider.status_code == 404
