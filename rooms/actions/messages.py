"""Writes to rooms. ``do_*`` writes and publishes on commit; ``check_*`` validates first.

Sequence numbers: every room event takes ``Room.last_seq + 1`` while holding
the room row's lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions serialize writers), and stores the frame in
``RoomEvent`` in the same transaction. So the log never has a gap or a
duplicate, and the live push, sent after commit, is only ever a copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import Archived, Forbidden, Invalid, NotFound, RateLimited, TooLarge
from hub.models import Organization, Partnership, User
from rooms import events
from rooms.markdown import render_markdown
from rooms.models import (
    Membership,
    Mention,
    Message,
    MessageEdit,
    Mirror,
    OutboxEntry,
    Room,
    RoomEvent,
    ThreadFollow,
)
from rooms.moderation import may_delete
from rooms.selectors import (
    access_membership,
    access_message,
    access_person,
    access_room_for_write,
    parse_id,
    unread_count,
)

# C0 control characters other than tab and newlines: PostgreSQL refuses NUL
# in text, and the rest only ever hide content.
_MENTION = re.compile(r"(?<![\w.])@([a-z0-9._+-]{1,64})", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def next_seq(room_id: int, *, archived_ok: bool = False) -> int:
    """Lock the room's row and take its next sequence number, in one statement.

    The row lock is held until the transaction ends, so seqs are allocated
    one writer at a time and a rolled-back write gives its number back. An
    archived room's log takes nothing more (``Archived``), whatever path a
    write came by, unless ``archived_ok`` (archiving itself, and a person
    leaving it when deactivated).
    """
    table = connection.ops.quote_name(Room._meta.db_table)
    live = "" if archived_ok else " AND archived_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s{live} RETURNING last_seq",
            [room_id],
        )
        row = cursor.fetchone()
    if row is None:
        if Room.objects.filter(pk=room_id, archived_at__isnull=False).exists():
            raise Archived()
        raise NotFound()
    return int(row[0])


def append_event(
    room_id: int,
    build: Callable[[int], Any],
    *,
    seq: int | None = None,
    message: Message | None = None,
    thread_root_id: int | None = None,
    archived_ok: bool = False,
) -> tuple[int, Any]:
    """Allocate the room's next seq, store the frame ``build(seq)`` returns, publish on commit.

    ``thread_root_id`` names the thread the event changes: if that thread is
    mirrored, the bridge's outbox entry is written in this same transaction.
    ``seq``, if given, was taken with ``next_seq`` in this transaction.
    Must run inside ``transaction.atomic``.
    """
    if seq is None:
        seq = next_seq(room_id, archived_ok=archived_ok)
    frame = build(seq)
    event = RoomEvent.objects.create(
        room_id=room_id, seq=seq, type=frame["type"], message=message, payload=frame
    )
    if thread_root_id is not None:
        record_outbox(event, thread_root_id)
    events.publish_on_commit(events.room_group(room_id), frame, seq)
    return seq, frame


def record_outbox(event: RoomEvent, thread_root_id: int) -> None:
    """Queue ``event`` for the bridge if a live mirror follows its thread.

    The caller holds the room's row lock, and mirrors are created under the
    same lock, so a mirror either exists here or its snapshot includes this
    event: nothing falls between the two.
    """
    if Mirror.objects.filter(source_root_id=thread_root_id, stopped_at__isnull=True).exists():
        OutboxEntry.objects.create(event=event, thread_root_id=thread_root_id)


def clean_text(value: Any, what: str, *, max_chars: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Invalid(f"`{what}` must be a string.")
    if len(value) > max_chars:
        raise TooLarge(f"`{what}` is longer than {max_chars} characters.")
    value = _CONTROL_CHARS.sub("", value).strip()
    if not value and not allow_empty:
        raise Invalid(f"`{what}` must not be empty.")
    return value


def record_mentions(message: Message, *, replace: bool = False) -> list[int]:
    """Store who ``message`` mentions: active room members named by their @handle.

    ``replace`` (edits) first forgets the mentions of the earlier body.
    """
    if replace:
        Mention.objects.filter(message=message).delete()
    if "@" not in message.body or message.kind != Message.Kind.MESSAGE:
        return []
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(message.body)}
    if not handles:
        return []
    members = [
        m.user
        for m in Membership.objects.active().select_related("user").filter(room_id=message.room_id)
        if m.user.handle in handles and m.user_id != message.author_id
    ]
    Mention.objects.bulk_create(
        Mention(message=message, user=u, room_id=message.room_id, seq=message.seq) for u in members
    )
    return sorted(u.pk for u in members)


def _max_body() -> int:
    return int(settings.CAUSEWAY_MESSAGE_MAX_CHARS)


# --- rooms and membership -------------------------------------------------


def do_create_room(
    actor: User,
    *,
    kind: str,
    name: str,
    topic: str = "",
    partnership: Partnership | None = None,
    organization: Organization | None = None,
) -> Room:
    with transaction.atomic():
        room = Room.objects.create(
            kind=kind,
            name=name,
            topic=topic,
            partnership=partnership,
            organization=organization,
            created_by=actor,
        )
        audit.record(actor, "room.created", room, kind=kind, name=name)
        do_add_member(actor, room, actor, role=Membership.Role.OWNER)
    return room


def check_create_shared_room(
    actor: User, *, partnership_id: Any, name: Any, topic: Any = ""
) -> Room:
    partnership_id = parse_id(partnership_id, "partnership")
    name = clean_text(name, "name", max_chars=120)
    topic = clean_text(topic, "topic", max_chars=500, allow_empty=True)
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not partnership.is_active:
        raise Forbidden(
            "Both organizations must accept the partnership before a shared room exists."
        )
    return do_create_room(
        actor, kind=Room.Kind.SHARED, name=name, topic=topic, partnership=partnership
    )


def check_create_internal_room(actor: User, *, name: Any, topic: Any = "") -> Room:
    if actor.organization is None:
        raise Forbidden("Only people of an organization have internal rooms.")
    name = clean_text(name, "name", max_chars=120)
    topic = clean_text(topic, "topic", max_chars=500, allow_empty=True)
    return do_create_room(
        actor,
        kind=Room.Kind.INTERNAL,
        name=name,
        topic=topic,
        organization=actor.organization,
    )


def do_add_member(
    actor: User | None, room: Room, person: User, *, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add (or re-add) ``person``. Enforces the room's organization boundary."""
    if person.organization_id not in room.allowed_organization_ids():
        # The invariant behind every other check: an internal room only ever
        # holds its organization's people, a shared room only its two sides'.
        raise Forbidden("That person's organization cannot be in this room.")
    if not person.is_active:
        raise Invalid("That person's account is deactivated.")
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            room=room, user=person, defaults={"role": role}
        )
        if not created:
            if membership.left_at is None:
                return membership
            membership.left_at = None
            membership.joined_at = timezone.now()
            membership.role = role
            membership.save(update_fields=["left_at", "joined_at", "role"])
        audit.record(
            actor,
            "membership.added",
            membership,
            organization=actor.organization if actor else person.organization,
            room=room.id,
            person=person.id,
            role=role,
        )
        person_ref = events.person_ref(person)
        append_event(
            room.id,
            lambda seq: events.MemberJoinedEvent(
                type="member.joined", room=room.id, seq=seq, member=person_ref, role=role
            ),
        )
    return membership


def check_add_member(actor: User, *, room_id: Any, person_id: Any) -> Membership:
    membership = access_membership(actor, room_id)
    # Someone the actor cannot know of is answered exactly like a missing id.
    person = access_person(actor, person_id)
    if person.organization_id not in membership.room.allowed_organization_ids():
        raise NotFound()
    # Members bring in colleagues of their own organization; the room's owners
    # may also bring in people from the other side of the partnership.
    if person.organization_id != actor.organization_id and membership.role != Membership.Role.OWNER:
        raise Forbidden("Only the room's owners can add people from the other organization.")
    return do_add_member(actor, membership.room, person)


def do_remove_member(actor: User | None, membership: Membership, *, reason: str = "") -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.left_at is not None:
            return
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
        audit.record(
            actor,
            "membership.removed",
            membership,
            organization=actor.organization if actor else None,
            room=membership.room_id,
            person=membership.user_id,
            reason=reason,
        )
        room_id, user_id = membership.room_id, membership.user_id
        append_event(
            room_id,
            lambda seq: events.MemberLeftEvent(
                type="member.left", room=room_id, seq=seq, user=user_id
            ),
            # A deactivated person leaves archived rooms too.
            archived_ok=True,
        )
        # Open sockets resolved the person at connect: tell them, so they stop
        # receiving this room at once.
        events.publish_control_on_commit(events.user_group(user_id), "room.revoked", room=room_id)


def check_remove_member(actor: User, *, room_id: Any, person_id: Any) -> None:
    actor_membership = access_membership(actor, room_id)
    person_id = parse_id(person_id, "person")
    target = (
        Membership.objects.active()
        .select_related("user")
        .filter(room=actor_membership.room, user_id=person_id)
        .first()
    )
    if target is None:
        raise NotFound()
    is_self = target.user_id == actor.id
    is_owner = actor_membership.role == Membership.Role.OWNER
    is_their_admin = actor.is_org_admin and target.user.organization_id == actor.organization_id
    if not (is_self or is_owner or is_their_admin):
        raise Forbidden("Only the room's owners or the person's own admins can remove them.")
    do_remove_member(actor, target)


def check_update_room(actor: User, *, room_id: Any, name: Any = None, topic: Any = None) -> Room:
    membership = access_membership(actor, room_id)
    if membership.role != Membership.Role.OWNER:
        raise Forbidden("Only the room's owners can rename it.")
    changes = {}
    if name is not None:
        changes["name"] = clean_text(name, "name", max_chars=120)
    if topic is not None:
        changes["topic"] = clean_text(topic, "topic", max_chars=500, allow_empty=True)
    if not changes:
        raise Invalid("Give a `name` or a `topic`.")
    with transaction.atomic():
        # Only the fields given, on the locked row: two owners changing
        # different fields at once both keep their change.
        room = Room.objects.select_for_update().get(pk=membership.room_id)
        for field, value in changes.items():
            setattr(room, field, value)
        room.save(update_fields=list(changes))
        append_event(
            room.id,
            lambda seq: events.RoomUpdatedEvent(
                type="room.updated", room=room.id, seq=seq, name=room.name, topic=room.topic
            ),
        )
    return room


def do_archive_room(actor: User | None, room: Room, *, reason: str) -> None:
    """Make the room a read-only archive, and tell its subscribers (``room.archived``).

    Its members keep reading it; every later write to its log is ``Archived``
    (``next_seq``). Must run inside ``transaction.atomic``.
    """
    locked = Room.objects.select_for_update().get(pk=room.pk)
    if locked.archived_at is not None:
        return
    now = timezone.now()
    by = events.person_ref(actor) if actor is not None else None
    append_event(
        room.id,
        lambda seq: events.RoomArchivedEvent(
            type="room.archived",
            room=room.id,
            seq=seq,
            archived_at=now.isoformat(),
            reason=reason,
            by=by,
        ),
        archived_ok=True,
    )
    Room.objects.filter(pk=room.pk).update(archived_at=now)
    audit.record(
        actor,
        "room.archived",
        room,
        organization=actor.organization if actor else None,
        reason=reason,
    )


# --- messages ---------------------------------------------------------------


def do_send_message(
    author: User,
    room: Room,
    *,
    client_id: str,
    body: str,
    thread_root: Message | None,
    kind: str = Message.Kind.MESSAGE,
    mirror_source: Message | None = None,
    provenance: dict[str, Any] | None = None,
    shared_from: Message | None = None,
) -> tuple[Message, bool]:
    """Store and publish a message; ``(existing, False)`` if ``client_id`` was used already.

    The hot path: one statement takes the room's lock and seq, then two
    inserts. A resend of a ``client_id`` hits the unique key, which rolls the
    whole write back (seq included) and answers with the first message.
    """
    try:
        with transaction.atomic():
            return _insert_message(
                author,
                room,
                client_id=client_id,
                body=body,
                thread_root=thread_root,
                kind=kind,
                mirror_source=mirror_source,
                provenance=provenance,
                shared_from=shared_from,
            )
    except IntegrityError:
        existing = sent_before(room, author, client_id)
        if existing is None:
            raise
        return existing, False


def sent_before(room: Room, author: User, client_id: str) -> Message | None:
    """The message ``author`` already sent with ``client_id`` in ``room``, if any."""
    return (
        Message.objects.select_related("author__organization")
        .filter(room=room, author=author, client_id=client_id)
        .first()
    )


def _insert_message(
    author: User,
    room: Room,
    *,
    client_id: str,
    body: str,
    thread_root: Message | None,
    kind: str,
    mirror_source: Message | None,
    provenance: dict[str, Any] | None,
    shared_from: Message | None,
) -> tuple[Message, bool]:
    seq = next_seq(room.pk)
    now = timezone.now()
    message = Message.objects.create(
        room=room,
        kind=kind,
        mirror_source=mirror_source,
        provenance=provenance,
        shared_from=shared_from,
        author=author,
        client_id=client_id,
        body=body,
        body_html=render_markdown(body),
        thread_root=thread_root,
        seq=seq,
        created_at=now,
    )
    message.author = author
    if thread_root is not None:
        Message.objects.filter(pk=thread_root.pk).update(
            reply_count=F("reply_count") + 1, last_reply_at=now
        )
        # Mirror copies carry the other side's authors: only the room's
        # own people follow its threads.
        allowed = room.allowed_organization_ids()
        for follower in {thread_root.author, author}:
            if follower.organization_id in allowed:
                ThreadFollow.objects.get_or_create(user=follower, root=thread_root)
    data = events.message_data(message, record_mentions(message))
    append_event(
        room.id,
        lambda seq: events.MessageNewEvent(type="message.new", room=room.id, seq=seq, message=data),
        seq=seq,
        message=message,
        thread_root_id=thread_root.pk if thread_root is not None else None,
    )
    return message, True


def check_send_message(
    author: User, *, room_id: Any, client_id: Any, body: Any, thread: Any = None
) -> tuple[Message, bool]:
    room = access_room_for_write(author, room_id)
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
        raise Invalid("`client_id` must be a string of 1 to 64 characters.")
    body = clean_text(body, "body", max_chars=_max_body())
    thread_root = None
    if thread is not None:
        thread_root = access_message(author, room.pk, thread)
        if thread_root.thread_root_id is not None:
            thread_root = thread_root.thread_root
        if thread_root is None or thread_root.is_deleted:
            raise NotFound("That thread does not exist.")
    try:
        ratelimit.hit(author.id, "writes")
    except RateLimited:
        # A resend is still answered with its ack, even past the limit.
        existing = sent_before(room, author, client_id)
        if existing is None:
            raise
        return existing, False
    return do_send_message(author, room, client_id=client_id, body=body, thread_root=thread_root)


def lock_room(room_id: int) -> None:
    """Take the room's row lock first: every writer locks room, then message, in that order."""
    Room.objects.select_for_update().only("id").get(pk=room_id)


def do_edit_message(editor: User, message: Message, *, body: str) -> Message:
    with transaction.atomic():
        lock_room(message.room_id)
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("author__organization")
            .get(pk=message.pk)
        )
        if message.is_deleted:
            raise NotFound()
        if message.body == body:
            return message
        MessageEdit.objects.create(message=message, previous_body=message.body, edited_by=editor)
        message.body = body
        message.body_html = render_markdown(body)
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        data = events.message_data(message, record_mentions(message, replace=True))
        append_event(
            message.room_id,
            lambda seq: events.MessageEditedEvent(
                type="message.edited", room=message.room_id, seq=seq, message=data
            ),
            message=message,
            thread_root_id=message.thread_root_id or message.pk,
        )
    return message


def check_edit_message(editor: User, *, room_id: Any, message_id: Any, body: Any) -> Message:
    message = access_message(editor, room_id, message_id)
    if message.is_deleted:
        raise NotFound()
    if message.author_id != editor.id:
        raise Forbidden("Only the author can edit a message.")
    body = clean_text(body, "body", max_chars=_max_body())
    ratelimit.hit(editor.id, "writes")
    return do_edit_message(editor, message, body=body)


def do_delete_message(actor: User, message: Message) -> None:
    with transaction.atomic():
        lock_room(message.room_id)
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.is_deleted:
            return
        message.deleted_at = timezone.now()
        message.deleted_by = actor
        message.body = ""
        message.body_html = ""
        message.save(update_fields=["deleted_at", "deleted_by", "body", "body_html"])
        # Deleted means gone: no earlier edit and no replayed event may still
        # carry the text.
        message.edits.all().delete()
        for event in RoomEvent.objects.filter(message=message).only("id", "payload"):
            if "message" in event.payload:
                event.payload["message"].update(body="", html="", deleted=True)
                event.save(update_fields=["payload"])
        if message.thread_root_id is not None:
            Message.objects.filter(pk=message.thread_root_id, reply_count__gt=0).update(
                reply_count=F("reply_count") - 1
            )
        # Someone else's message: moderation, recorded as such.
        audit.record(
            actor,
            "message.deleted" if actor.pk == message.author_id else "message.moderated",
            message,
            room=message.room_id,
            author=message.author_id,
        )
        room_id, thread = message.room_id, message.thread_root_id
        append_event(
            room_id,
            lambda seq: events.MessageDeletedEvent(
                type="message.deleted", room=room_id, seq=seq, id=message.id, thread=thread
            ),
            message=message,
            thread_root_id=thread or message.pk,
        )


def check_delete_message(actor: User, *, room_id: Any, message_id: Any) -> int:
    membership = access_membership(actor, room_id)
    message = access_message(actor, membership.room_id, message_id)
    if message.is_deleted:
        raise NotFound()
    if not may_delete(actor, membership, message.author.organization_id, message.author_id):
        if membership.room.is_shared:
            raise Forbidden(
                "In a shared room only the author, or an admin of the author's own "
                "organization, can delete a message."
            )
        raise Forbidden("Only the author or the room's owners can delete a message.")
    ratelimit.hit(actor.id, "writes")
    do_delete_message(actor, message)
    return message.pk


# --- read markers and threads ----------------------------------------------


def check_mark_read(reader: User, *, room_id: Any, seq: Any) -> events.UnreadEvent:
    membership = access_membership(reader, room_id, readonly=True)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise Invalid("`seq` must be a non-negative integer.")
    seq = min(seq, membership.room.last_seq)
    with transaction.atomic():
        # Markers only move forward, even when two tabs report out of order.
        Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        membership.refresh_from_db(fields=["last_read_seq"])
        frame = events.UnreadEvent(
            type="unread",
            room=membership.room_id,
            count=unread_count(reader, membership.room_id, membership.last_read_seq),
            last_read_seq=membership.last_read_seq,
        )
        events.publish_on_commit(events.user_group(reader.id), frame)
    return frame


def check_follow_thread(user: User, *, room_id: Any, root_id: Any, follow: bool) -> None:
    # Following and reading are the person's own state: allowed in an archive.
    root = access_message(user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("Follow the thread's first message.")
    if follow:
        ThreadFollow.objects.get_or_create(user=user, root=root)
    else:
        ThreadFollow.objects.filter(user=user, root=root).delete()


def check_mark_thread_read(user: User, *, room_id: Any, root_id: Any, seq: Any) -> None:
    root = access_message(user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("Name the thread's first message as `root`.")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise Invalid("`seq` must be a non-negative integer.")
    seq = min(seq, Room.objects.values_list("last_seq", flat=True).get(pk=root.room_id))
    ThreadFollow.objects.filter(user=user, root=root, last_read_seq__lt=seq).update(
        last_read_seq=seq
    )
