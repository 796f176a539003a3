"""Sequence numbers under concurrent writers, on real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from rooms.actions.messages import check_send_message
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.rooms import Room

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_writers_get_gapless_unique_sequence_numbers(live_team):
    room = live_team.shared
    head = Room.objects.get(pk=room.pk).last_seq
    writers = [
        live_team.supplier_member,
        live_team.client_member,
        live_team.client_admin,
        live_team.supplier_admin,
    ]
    start = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def write(person):
        try:
            start.wait()
            for i in range(25):
                check_send_message(person, room_id=room.id, client_id=f"{person.id}-{i}", body="x")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(RoomEvent.objects.filter(room=room, seq__gt=head).values_list("seq", flat=True))
    assert seqs == list(range(head + 1, head + 101))
    assert sorted(Message.objects.filter(room=room).values_list("seq", flat=True)) == seqs
    assert Room.objects.get(pk=room.pk).last_seq == head + 100


def test_concurrent_resends_of_one_client_id_store_one_message(live_team):
    room = live_team.shared
    start = threading.Barrier(4)
    results = []

    def resend():
        start.wait()
        try:
            results.append(
                check_send_message(
                    live_team.client_member, room_id=room.id, client_id="same", body="x"
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=resend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Message.objects.filter(room=room, client_id="same").count() == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({m.id for m, _ in results}) == 1


def test_a_stored_message_its_log_entry_and_its_live_frame_are_one_and_the_same(
    live_team, monkeypatch
):
    """The common message takes its seq, row and log entry in one statement."""
    import json

    from hub import publish

    sent: list[dict] = []
    real_send = publish.send

    def recording_send(message):
        sent.append(json.loads(message["text"]))
        real_send(message)

    monkeypatch.setattr(publish, "send", recording_send)
    room = live_team.shared
    message, created = check_send_message(
        live_team.client_member, room_id=room.id, client_id="one-statement", body="plain text"
    )
    assert created
    stored = Message.objects.get(pk=message.pk)
    event = RoomEvent.objects.get(room=room, seq=stored.seq)
    assert stored.seq == message.seq == Room.objects.get(pk=room.pk).last_seq
    assert event.message_id == stored.pk and event.type == "message.new"
    assert event.payload["seq"] == event.payload["message"]["seq"] == stored.seq
    assert event.payload["message"]["html"] == stored.body_html == "<p>plain text</p>"
    assert sent == [event.payload]


def test_a_message_into_a_room_archived_meanwhile_is_refused_and_leaves_no_trace(live_team):
    from django.utils import timezone

    from hub.errors import Archived
    from rooms.actions.messages import do_send_message

    room = Room.objects.get(pk=live_team.shared.pk)
    head = room.last_seq
    Room.objects.filter(pk=room.pk).update(archived_at=timezone.now())
    with pytest.raises(Archived):
        do_send_message(
            live_team.client_member, room, client_id="late", body="too late", thread_root=None
        )
    assert Room.objects.get(pk=room.pk).last_seq == head
    assert not Message.objects.filter(client_id="late").exists()
