"""Who may remove someone else's message: the one rule, for the server and the web app.

In a shared room each organization answers for its own people's words: only
the author, or an admin of the author's own organization, deletes a message;
nobody of the other organization, not even the room's owner, can make the
partner's words disappear. In an internal room (one organization) the room's
owners and the organization's admins moderate. Editing is the author's alone,
everywhere.

``moderation_scope`` is what the web app receives (the room list's
``moderation``) to decide which messages get a Delete button; ``may_delete``
is the server's check, written in terms of it.
"""

from __future__ import annotations

from hub.models import User
from rooms.models.rooms import Membership, Room
from rooms.wire.types import ModerationScope


def moderation_scope(person: User, room: Room, role: str) -> ModerationScope:
    """Whose messages, other than their own, ``person`` may delete in ``room``."""
    if room.is_shared:
        return "own_org" if person.is_org_admin else "none"
    if role == Membership.Role.OWNER or person.is_org_admin:
        return "all"
    return "none"


def may_delete(
    person: User, membership: Membership, author_org_id: int | None, author_id: int
) -> bool:
    if author_id == person.pk:
        return True
    scope = moderation_scope(person, membership.room, membership.role)
    return scope == "all" or (scope == "own_org" and author_org_id == person.organization_id)
