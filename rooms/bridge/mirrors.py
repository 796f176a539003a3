"""Mirrors: a side follows a shared thread live in one of its internal rooms.

Creating, stopping and sharing back. What a side says under its mirror stays
in its internal room unless someone shares it back explicitly
(``check_share_back``), which is the only way anything crosses.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TypedDict

from django.db import transaction
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from hub.models import User
from rooms.actions.files import (
    attached_uploads,
    copy_for_sharing,
    mb,
    upload_rules,
)
from rooms.actions.messages import do_send_message
from rooms.actions.reactions import do_sync_relayed
from rooms.bridge.sinks import _copy
from rooms.files.detect import KIND_WORDS
from rooms.log import append_event, lock_room
from rooms.models.bridge import Mirror
from rooms.models.files import Upload
from rooms.models.messages import Message
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_membership, access_message, rooms_for_user
from rooms.wire.serializers import message_data
from rooms.wire.types import MessageEditedEvent


def mirrors_for(user: User) -> list[Mirror]:
    """Mirrors in the internal rooms the person is in (never the other side's)."""
    return list(
        Mirror.objects.filter(
            organization=user.organization,
            target_room__in=rooms_for_user(user),
        )
        .select_related("source_room__partnership__supplier", "source_room__partnership__client")
        .order_by("-created_at")
    )


def do_create_mirror(actor: User, source_root: Message, target_room: Room) -> Mirror:
    """Follow ``source_root``'s thread in ``target_room``, starting with a copy of it so far."""
    with transaction.atomic():
        # The source room's lock orders this against every write to the
        # thread: each is either in the snapshot or queued for the relay.
        lock_room(source_root.room_id)
        if Mirror.objects.filter(
            source_root=source_root, target_room=target_room, stopped_at__isnull=True
        ).exists():
            raise Conflict("This thread is already mirrored into that room.")
        head = Room.objects.values_list("last_seq", flat=True).get(pk=source_root.room_id)
        assert target_room.organization is not None  # internal rooms belong to one org
        mirror = Mirror.objects.create(
            organization=target_room.organization,
            source_room_id=source_root.room_id,
            source_root=source_root,
            target_room=target_room,
            start_seq=head,
            created_by=actor,
        )
        thread = (
            Message.objects.filter(pk=source_root.pk)
            | Message.objects.filter(thread_root=source_root, deleted_at__isnull=True)
        ).select_related("author__organization", "room")
        root_copy = None
        for source in thread.order_by("seq").prefetch_related("reactions"):
            copy = _copy(mirror, source, thread_root=root_copy)
            root_copy = root_copy or copy
            # Its reactions so far; later ones come through the outbox.
            reactions = sorted(source.reactions.all(), key=lambda r: (r.created_at, r.pk))
            if reactions:
                do_sync_relayed(copy, [(r.user_id, r.emoji) for r in reactions])
        mirror.root_copy = root_copy
        mirror.save(update_fields=["root_copy"])
        audit.record(
            actor,
            "mirror.created",
            mirror,
            organization=target_room.organization,
            source_room=source_root.room_id,
            thread=source_root.pk,
            target_room=target_room.pk,
        )
    return mirror


def check_create_mirror(
    actor: User, *, source_room_id: int, root_id: int, target_room_id: int
) -> Mirror:
    """Mirror a thread of a shared room you are in into an internal room of your organization."""
    source_membership = access_membership(actor, source_room_id)
    if source_membership.room.kind != Room.Kind.SHARED:
        raise Invalid("Only shared threads are mirrored.")
    root = access_message(actor, source_membership.room_id, root_id)
    if root.thread_root_id is not None or root.is_deleted:
        raise Invalid("Mirror a thread by its first message.")
    target = access_membership(actor, target_room_id).room
    # Only the actor's own organization's internal rooms: never another's.
    if target.kind != Room.Kind.INTERNAL or target.organization_id != actor.organization_id:
        raise NotFound()
    return do_create_mirror(actor, root, target)


def access_mirror(actor: User, mirror_id: int) -> Mirror:
    """A mirror in an internal room the actor is in; NotFound for anyone else."""
    mirror = (
        Mirror.objects.select_related("target_room", "source_room", "source_root", "root_copy")
        .filter(pk=mirror_id, organization=actor.organization)
        .first()
    )
    if (
        mirror is None
        or not Membership.objects.active()
        .filter(room_id=mirror.target_room_id, user=actor)
        .exists()
    ):
        raise NotFound()
    return mirror


def check_stop_mirror(actor: User, *, mirror_id: int) -> Mirror:
    """Stop new copies. What was mirrored stays in the internal room."""
    mirror = access_mirror(actor, mirror_id)
    with transaction.atomic():
        lock_room(mirror.source_room_id)
        mirror.refresh_from_db(fields=["stopped_at"])
        if mirror.stopped_at is not None:
            raise Conflict("This mirror is already stopped.")
        mirror.stopped_at = timezone.now()
        mirror.stopped_by = actor
        mirror.save(update_fields=["stopped_at", "stopped_by"])
        audit.record(actor, "mirror.stopped", mirror, organization=mirror.target_room.organization)
    return mirror


def do_stop_mirrors_of(rooms: list[Room], *, reason: str) -> int:
    """Stop every live mirror of these shared rooms' threads; their copies stay.

    Each mirror is audited in its own organization's log, with no actor:
    the stop is a consequence (``reason``), not something the other side did
    to it. Call while holding the rooms' locks. Returns how many stopped.
    """
    stopped = 0
    now = timezone.now()
    for mirror in Mirror.objects.select_for_update().filter(
        source_room__in=rooms, stopped_at__isnull=True
    ):
        mirror.stopped_at = now
        mirror.save(update_fields=["stopped_at"])
        audit.record(
            None, "mirror.stopped", mirror, organization=mirror.organization, reason=reason
        )
        stopped += 1
    return stopped


def check_share_back(
    actor: User,
    *,
    mirror_id: int,
    message_id: int | None = None,
    body: str | None = None,
    confirmed_body: str | None = None,
    confirmed_files: list[str] | None = None,
    via: str = "web",
) -> Message:
    """Post an internal note (or a new message) to the shared thread, as the actor.

    The one deliberate way anything crosses from the internal room. Sharing a
    note needs ``confirmed_body``: the exact text the person was shown and
    agreed to share, and ``confirmed_files``: every file of the note they
    were shown (the shared message shows copies of them, which nothing ties
    to the note's). ``via`` says where the person confirmed it (the web app, or
    ``"matrix"``: ``!share`` then ``!confirm`` in a bridged room), for the audit
    log. A note changed since then is refused (``Conflict``), so what
    crosses is always what the person saw; a file the actor's organization
    does not allow into shared rooms is refused (``Forbidden``).
    """
    mirror = access_mirror(actor, mirror_id)
    access_membership(actor, mirror.source_room_id)
    if mirror.stopped_at is not None:
        raise Conflict("This mirror is stopped.")
    note = None
    if message_id is not None:
        note = access_message(actor, mirror.target_room_id, message_id)
        if (
            note.thread_root_id != mirror.root_copy_id
            or note.kind != Message.Kind.MESSAGE
            or note.is_deleted
        ):
            raise Invalid("Share back an internal reply under this mirror.")
        if confirmed_body is None:
            raise Invalid("`confirmed_body` must repeat the exact text you agreed to share.")
        uploads = attached_uploads(note)
        if sorted(confirmed_files or []) != sorted(u.key for u in uploads):
            raise Conflict(
                "`confirmed_files` must list every file of the note, as you were shown it; "
                "review it again."
            )
        check_may_cross(actor, mirror.source_room, uploads)
        text = note.body
    elif body is not None:
        text, uploads = body, []
    else:
        raise Invalid("Share a `message` (an internal note) or a `body`.")
    ratelimit.hit(actor.pk, "writes")
    # The shared room gets copies of the note's files, stored before the
    # transaction (no storage round trip under the rooms' locks).
    uploads = [copy_for_sharing(upload, actor, mirror.source_room) for upload in uploads]
    with transaction.atomic():
        # Lock order: the shared room before anything in the internal room.
        lock_room(mirror.source_room_id)
        if note is not None:
            # Then the internal room, then the note (rooms before messages,
            # as an edit of the note takes them). The note's row lock makes
            # "shared once" hold under concurrent clicks, and "what was
            # confirmed" hold under a concurrent edit.
            lock_room(mirror.target_room_id)
            note = Message.objects.select_for_update().get(pk=note.pk)
            if note.shared_back_at is not None or note.shared_as.exists():
                raise Conflict("That note has been shared already.")
            if note.is_deleted or note.body != confirmed_body:
                raise Conflict("The note changed since you confirmed it; review it again.")
        shared, _ = do_send_message(
            actor,
            mirror.source_room,
            # Exactly the form the web app gives a typed message (a random
            # UUID4): the shared room must learn nothing of the internal note.
            client_id=str(uuid.uuid4()),
            body=text,
            thread_root=mirror.source_root,
            shared_from=note,
            uploads=uploads,
        )
        if note is not None:
            do_mark_shared_back(note, actor, when=shared.created_at)
        audit.record(
            actor,
            "mirror.shared_back",
            shared,
            organization=mirror.target_room.organization,
            mirror=mirror.pk,
            note=note.pk if note else None,
            via=via,
        )
    return shared


def check_may_cross(actor: User, shared_room: Room, uploads: list[Upload]) -> None:
    """The actor's organization's file policy, applied to files shared back into ``shared_room``."""
    if not uploads:
        return
    rules = upload_rules(actor, shared_room)
    for upload in uploads:
        if rules.kinds is not None and upload.kind not in rules.kinds:
            kinds = KIND_WORDS[upload.kind]["many"]
            raise Forbidden(
                f"Your organization does not allow {kinds} in shared rooms ({upload.name})."
            )
        if upload.size > rules.max_bytes:
            raise TooLarge(
                f"{upload.name} is larger than the {mb(rules.max_bytes)} allowed in shared rooms."
            )


def do_mark_shared_back(note: Message, actor: User, *, when: datetime.datetime) -> None:
    """Record on the note who shared it back and when, and tell the internal room.

    A ``message.edited`` of the note carries its ``shared_back``; it goes to
    the internal room only (the note's room). Call inside the share's
    transaction, after the shared room's lock (lock order: shared, then internal).
    """
    note.shared_back_by = actor
    note.shared_back_at = when
    note.save(update_fields=["shared_back_by", "shared_back_at"])
    note = Message.objects.select_related(
        "author__organization", "shared_back_by__organization"
    ).get(pk=note.pk)
    data = message_data(note)
    append_event(
        note.room_id,
        lambda seq: MessageEditedEvent(
            type="message.edited", room=note.room_id, seq=seq, message=data
        ),
        message=note,
        thread_root_id=note.thread_root_id,
    )


class SharePrompt(TypedDict):
    """What a person is shown before a note is shared back (the web app's dialog, the
    Matrix bridge's ``!share`` answer): the one wording of who will see it, and where."""

    question: str
    partner: str
    room_name: str
    audience: str


def share_back_prompt(actor: User, mirror: Mirror) -> SharePrompt:
    """The confirmation for sharing a note of ``mirror`` back, as ``actor`` (any transport)."""
    room = mirror.source_room
    partnership = room.partnership
    partner = ""
    if partnership is not None:
        other = (
            partnership.client
            if partnership.supplier_id == actor.organization_id
            else partnership.supplier
        )
        partner = other.name
    own = actor.organization.name if actor.organization else ""
    return {
        "question": f"Share this note with {partner}?",
        "partner": partner,
        "room_name": room.name,
        "audience": (
            f"Visible to {partner} in {room.name}, and to everyone of {own} there. "
            "Sharing cannot be undone."
        ),
    }
