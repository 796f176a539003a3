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
