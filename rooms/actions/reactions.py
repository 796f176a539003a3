"""Emoji reactions: add and remove one, and keep a mirror copy's in step with its original.

A reaction is a room event (``reaction.updated``, with the message's
reactions as they are after it), so it takes the room's next seq and a
reconnecting client's ``subscribe`` with ``since`` replays it. Adding a
reaction one already has, or removing one one has not, changes nothing and
publishes nothing: the client may repeat itself.

On a mirror copy (an internal room's copy of a shared thread's message) the
bridge copies the original's reactions in (``do_sync_relayed``, marked
``relayed``); a reaction made on the copy is the internal room's own and has
no way back: nothing reads a copy's reactions for the shared room.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from hub import ratelimit
from hub.errors import Invalid, NotFound
from hub.models import User
from rooms.log import append_event, lock_room
from rooms.models.messages import Message
from rooms.models.reactions import REACTION_EMOJI, Reaction
from rooms.selectors.access import access_message
from rooms.wire.serializers import reaction_summary
from rooms.wire.types import ReactionUpdatedEvent


def _publish(message: Message) -> None:
    """Append the message's ``reaction.updated``. Call inside the write's transaction."""
    reactions = reaction_summary(message.reactions.select_related("user__organization"))
    room_id, thread = message.room_id, message.thread_root_id
    append_event(
        room_id,
        lambda seq: ReactionUpdatedEvent(
            type="reaction.updated",
            room=room_id,
            seq=seq,
            message=message.pk,
            thread=thread,
            reactions=reactions,
        ),
        message=message,
        # The thread it is in: a mirrored thread's outbox relays it.
        thread_root_id=thread or message.pk,
    )


def do_set_reaction(actor: User, message: Message, *, emoji: str, on: bool) -> bool:
    """Give ``message`` the actor's ``emoji`` (``on``) or take it away; True if that changed it.

    Takes the room's lock first (as every write does), then the message's
    row, so a reaction never lands on a message being deleted.
    """
    with transaction.atomic():
        lock_room(message.room_id)
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.is_deleted:
            raise NotFound()
        if on:
            _, changed = Reaction.objects.get_or_create(message=message, user=actor, emoji=emoji)
        else:
            deleted, _ = Reaction.objects.filter(message=message, user=actor, emoji=emoji).delete()
            changed = deleted > 0
        if changed:
            _publish(message)
    return changed


def check_set_reaction(
    actor: User, *, room_id: int, message_id: int, emoji: str, on: bool
) -> Message:
    """React to a message of a room the actor may write in (``reaction.add``, ``reaction.remove``).

    A message the actor cannot read is ``NotFound``, as a missing one is;
    an archived room refuses it (``Archived``), like every write.
    """
    if emoji not in REACTION_EMOJI:
        raise Invalid(f"`emoji` must be one of {' '.join(REACTION_EMOJI)}.")
    message = access_message(actor, room_id, message_id)
    if message.is_deleted:
        raise NotFound()
    ratelimit.hit(actor.id, "writes")
    do_set_reaction(actor, message, emoji=emoji, on=on)
    return message


def do_sync_relayed(copy: Message, reactions: Iterable[tuple[int, str]]) -> bool:
    """Make ``copy``'s relayed reactions exactly ``reactions`` (person id, emoji), as its
    original has them; the internal room's own reactions on it stay. True if that changed it.

    The bridge calls it inside the relay's transaction, holding the shared
    room's lock if a mirror is being created; it takes the internal room's.
    """
    wanted = dict.fromkeys(reactions)  # a set, in the original's order
    with transaction.atomic():
        lock_room(copy.room_id)
        copy = Message.objects.select_for_update().get(pk=copy.pk)
        if copy.is_deleted:
            return False
        have = {(r.user_id, r.emoji): r for r in Reaction.objects.filter(message=copy)}
        gone = [r.pk for key, r in have.items() if r.relayed and key not in wanted]
        new = [
            Reaction(message=copy, user_id=user_id, emoji=emoji, relayed=True)
            for user_id, emoji in wanted
            if (user_id, emoji) not in have
        ]
        if gone:
            Reaction.objects.filter(pk__in=gone).delete()
        if new:
            Reaction.objects.bulk_create(new)
        changed = bool(gone or new)
        if changed:
            _publish(copy)
    return changed
