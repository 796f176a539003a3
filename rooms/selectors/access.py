"""Permission-checked fetches. Every read is scoped by active membership.

``access_*`` returns the object or raises ``NotFound`` for both "missing" and
"forbidden", so nobody learns that a room they are not in exists.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from hub.errors import Archived, NotFound
from hub.models import User
from rooms.models.messages import Message
from rooms.models.rooms import Membership, Room


def rooms_for_user(user: User) -> QuerySet[Room]:
    return Room.objects.filter(
        memberships__user=user, memberships__left_at__isnull=True, archived_at__isnull=True
    )


def readable_rooms(user: User) -> QuerySet[Room]:
    """The rooms the person may read: ``rooms_for_user`` and their archived rooms."""
    return Room.objects.filter(memberships__user=user, memberships__left_at__isnull=True)


def check_active_person(user: User) -> None:
    """``NotFound`` unless ``user`` is signed in and active: nobody else sees any room."""
    if not user.is_authenticated or not user.is_active:
        raise NotFound()


def access_membership(user: User, room_id: int, *, readonly: bool = False) -> Membership:
    """The person's active membership of the room, or NotFound.

    An archived room (its partnership ended) can still be read by its members:
    with ``readonly`` it is returned; otherwise it is ``Archived``, because
    the caller is about to change something in it. The default is the strict
    one, so a forgotten argument refuses a read rather than allowing a write.
    """
    check_active_person(user)
    try:
        membership = Membership.objects.select_related(
            "room", "room__partnership", "room__organization"
        ).get(room_id=room_id, user=user, left_at__isnull=True)
    except Membership.DoesNotExist:
        raise NotFound() from None
    if membership.room.archived_at is not None and not readonly:
        raise Archived()
    return membership


_ROOM_FOR_WRITE_FIELDS = {"id", "kind", "name", "partnership", "organization", "archived_at"}


@functools.cache
def _room_for_write_query() -> tuple[str, list[str]]:
    """The SQL and the attnames it selects, in the model's field order (``from_db`` needs it).

    Built from the models' metadata once per process: the ORM spent ~1.2 ms of
    CPU compiling this join on every message sent, the query itself ~0.1 ms.
    """
    room, membership = Room._meta, Membership._meta
    q = connection.ops.quote_name
    fields = [f for f in room.concrete_fields if f.name in _ROOM_FOR_WRITE_FIELDS]

    def column(meta: Any, name: str) -> str:
        return q(str(meta.get_field(name).column))

    columns = ", ".join(f"r.{q(str(f.column))}" for f in fields)
    room_id = column(room, "id")
    sql = (
        f"SELECT {columns} FROM {q(room.db_table)} r"
        f" JOIN {q(membership.db_table)} m ON m.{column(membership, 'room')} = r.{room_id}"
        f" WHERE r.{room_id} = %s"
        f" AND m.{column(membership, 'user')} = %s AND m.{column(membership, 'left_at')} IS NULL"
    )
    return sql, [f.attname for f in fields]


def access_room_for_write(user: User, room_id: int) -> Room:
    """The room, if the person may write to it: one light query for the hot path.

    The room comes back with only the fields a write needs loaded.
    """
    check_active_person(user)
    sql, attnames = _room_for_write_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [room_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    room = Room.from_db(connection.alias, attnames, row)
    if room.archived_at is not None:
        raise Archived()
    return room


def access_room(user: User, room_id: int, *, readonly: bool = False) -> Room:
    return access_membership(user, room_id, readonly=readonly).room


def access_message(user: User, room_id: int, message_id: int, *, readonly: bool = False) -> Message:
    """A message of a room the person is in (see ``access_membership`` for ``readonly``)."""
    room = access_room(user, room_id, readonly=readonly)
    try:
        return Message.objects.select_related("author__organization").get(room=room, pk=message_id)
    except Message.DoesNotExist:
        raise NotFound() from None


def visible_people(user: User) -> QuerySet[User]:
    """The active people ``user`` may know of: colleagues, and anyone they share a room with.

    Never a bot: bots are no one's to find, add, invite, mention or message directly
    (rooms.actions.bots); they show only as authors and members of their rooms.

    Everyone else, the partner's staff included, is "not found" to them:
    answering differently for a person who exists would let anyone list the
    other organization's people by trying ids.
    """
    my_rooms = Membership.objects.active().filter(user=user).values("room_id")
    co_members = Membership.objects.active().filter(room_id__in=my_rooms).values("user_id")
    return User.objects.filter(
        Q(organization_id=user.organization_id) | Q(pk__in=co_members),
        is_active=True,
        is_bot=False,
    )


def access_person(user: User, person_id: int) -> User:
    """A person ``user`` may know of (``visible_people``), or NotFound."""
    person = visible_people(user).select_related("organization").filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


DATABASE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


def revoked_access(
    sockets: list[tuple[int, str | None, list[int]]],
) -> tuple[set[int], set[str], set[tuple[int, int]]]:
    """For open sockets (person, session key, subscribed rooms): what they must lose.

    Returns people who were deactivated, sessions that no longer exist (logged
    out, expired) and (person, room) pairs whose membership ended. This is the
    backstop for the control messages, which the channel layer may drop.
    """
    from django.contrib.sessions.models import Session

    user_ids = {user_id for user_id, _, _ in sockets}
    inactive = set(
        User.objects.filter(pk__in=user_ids, is_active=False).values_list("pk", flat=True)
    )
    ended: set[str] = set()
    # Both engines keep every session in the database table (cached_db writes through).
    if settings.SESSION_ENGINE in DATABASE_SESSION_ENGINES:
        keys = {key for _, key, _ in sockets if key}
        alive = set(
            Session.objects.filter(
                session_key__in=keys, expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
        ended = keys - alive
    wanted = {(user_id, room_id) for user_id, _, rooms in sockets for room_id in rooms}
    room_ids = {room_id for _, room_id in wanted}
    active = set(
        Membership.objects.filter(
            user_id__in=user_ids, room_id__in=room_ids, left_at__isnull=True
        ).values_list("user_id", "room_id")
    )
    return inactive, ended, wanted - active
