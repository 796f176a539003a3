"""Reading state: read markers of rooms and threads, and following threads."""

from __future__ import annotations

from django.db import transaction

from hub import publish
from hub.errors import Invalid
from hub.models import User
from rooms.actions.notifications import do_read_notifications_of
from rooms.models.messages import Message, ThreadFollow
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_membership, access_message
from rooms.selectors.reading import mention_count, thread_reading, unread_count
from rooms.wire.types import UnreadEvent


def check_mark_read(reader: User, *, room_id: int, seq: int) -> UnreadEvent:
    membership = access_membership(reader, room_id, readonly=True)
    seq = min(seq, membership.room.last_seq)
    with transaction.atomic():
        # Markers only move forward, even when two tabs report out of order.
        Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        membership.refresh_from_db(fields=["last_read_seq"])
        do_read_notifications_of(reader, room_id=room_id, upto=membership.last_read_seq)
        frame = UnreadEvent(
            type="unread",
            room=membership.room_id,
            count=unread_count(reader, membership.room_id, membership.last_read_seq),
            mentions=mention_count(reader, membership.room_id, membership.last_read_seq),
            last_read_seq=membership.last_read_seq,
        )
        publish.publish_on_commit(publish.user_group(reader.id), frame)
    return frame


def check_follow_thread(user: User, *, room_id: int, root_id: int, follow: bool) -> None:
    # Following and reading are the person's own state: allowed in an archive.
    root = access_message(user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("Follow the thread's first message.")
    with transaction.atomic():
        if follow:
            ThreadFollow.objects.get_or_create(user=user, root=root)
        else:
            ThreadFollow.objects.filter(user=user, root=root).delete()
        _publish_thread_reading(user, root)


def check_mark_thread_read(user: User, *, room_id: int, root_id: int, seq: int) -> None:
    root = access_message(user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("Name the thread's first message as `root`.")
    seq = min(seq, Room.objects.values_list("last_seq", flat=True).get(pk=root.room_id))
    with transaction.atomic():
        ThreadFollow.objects.filter(user=user, root=root, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
        do_read_notifications_of(user, room_id=root.room_id, upto=seq, thread_root=root.pk)
        _publish_thread_reading(user, root)


def _publish_thread_reading(user: User, root: Message) -> None:
    """Every socket of the person, this one included, learns the thread's new state
    (``thread.unread``), as ``read`` sends them ``unread``."""
    publish.publish_on_commit(
        publish.user_group(user.id), thread_reading(user, root.room_id, root.id)
    )
