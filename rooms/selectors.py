"""Permission-scoped reads. Every read is scoped by active membership.

``access_*`` returns the object or raises ``NotFound`` for both "missing" and
"forbidden", so nobody learns that a room they are not in exists.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from hub.errors import Archived, Invalid, NotFound
from hub.models import User
from hub.selectors import partnership_end
from rooms.events import person_ref, work_item_data
from rooms.models import (
    Escalation,
    Membership,
    Mention,
    Message,
    Mirror,
    Room,
    RoomEvent,
    ThreadFollow,
    WorkItem,
    WorkItemChange,
)
from rooms.moderation import moderation_scope


def parse_id(value: Any, what: str = "id") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"`{what}` must be an integer.")
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"`{what}` must be an integer.") from None
    if not 0 < number < 2**63:
        raise Invalid(f"`{what}` is out of range.")
    return number


def rooms_for_user(user: User) -> QuerySet[Room]:
    return Room.objects.filter(
        memberships__user=user, memberships__left_at__isnull=True, archived_at__isnull=True
    )


def readable_rooms(user: User) -> QuerySet[Room]:
    """The rooms the person may read: ``rooms_for_user`` and their archived rooms."""
    return Room.objects.filter(memberships__user=user, memberships__left_at__isnull=True)


def access_membership(user: User, room_id: Any, *, readonly: bool = False) -> Membership:
    """The person's active membership of the room, or NotFound.

    An archived room (its partnership ended) can still be read by its members:
    with ``readonly`` it is returned; otherwise it is ``Archived``, because
    the caller is about to change something in it. The default is the strict
    one, so a forgotten argument refuses a read rather than allowing a write.
    """
    room_id = parse_id(room_id, "room")
    if not user.is_authenticated or not user.is_active:
        raise NotFound()
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


def access_room_for_write(user: User, room_id: Any) -> Room:
    """The room, if the person may write to it: one light query for the hot path.

    The room comes back with only the fields a write needs loaded.
    """
    room_id = parse_id(room_id, "room")
    if not user.is_authenticated or not user.is_active:
        raise NotFound()
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


def access_room(user: User, room_id: Any, *, readonly: bool = False) -> Room:
    return access_membership(user, room_id, readonly=readonly).room


def access_message(user: User, room_id: Any, message_id: Any, *, readonly: bool = False) -> Message:
    """A message of a room the person is in (see ``access_membership`` for ``readonly``)."""
    room = access_room(user, room_id, readonly=readonly)
    message_id = parse_id(message_id, "id")
    try:
        return Message.objects.select_related("author__organization").get(room=room, pk=message_id)
    except Message.DoesNotExist:
        raise NotFound() from None


def visible_people(user: User) -> QuerySet[User]:
    """The active people ``user`` may know of: colleagues, and anyone they share a room with.

    Everyone else, the partner's staff included, is "not found" to them:
    answering differently for a person who exists would let anyone list the
    other organization's people by trying ids.
    """
    my_rooms = Membership.objects.active().filter(user=user).values("room_id")
    co_members = Membership.objects.active().filter(room_id__in=my_rooms).values("user_id")
    return User.objects.filter(
        Q(organization_id=user.organization_id) | Q(pk__in=co_members), is_active=True
    )


def access_person(user: User, person_id: Any) -> User:
    """A person ``user`` may know of (``visible_people``), or NotFound."""
    person = (
        visible_people(user)
        .select_related("organization")
        .filter(pk=parse_id(person_id, "person"))
        .first()
    )
    if person is None:
        raise NotFound()
    return person


def member_candidates(
    user: User, membership: Membership, query: str = "", limit: int = 20
) -> list[tuple[User, bool]]:
    """People ``user`` may add to the membership's room: ``(person, is_colleague)``.

    Colleagues always; for an owner of a shared room also the partner's people
    whom ``user`` already knows (``visible_people``), the ones
    ``check_add_member`` accepts. Never anyone the person cannot know of.
    """
    room = membership.room
    if user.organization_id is None:
        return []
    organizations = {user.organization_id}
    if room.is_shared and membership.role == Membership.Role.OWNER:
        organizations = room.allowed_organization_ids()
    people = (
        visible_people(user)
        .filter(organization_id__in=organizations)
        .exclude(pk__in=Membership.objects.active().filter(room=room).values("user_id"))
        .select_related("organization")
    )
    if query:
        people = people.filter(Q(display_name__icontains=query) | Q(handle__icontains=query))
    found = people.order_by("display_name", "handle")[:limit]
    return [(p, p.organization_id == user.organization_id) for p in found]


def unread_count(user: User, room_id: int, last_read_seq: int) -> int:
    return (
        Message.objects.filter(room_id=room_id, seq__gt=last_read_seq, deleted_at__isnull=True)
        .exclude(author=user)
        .count()
    )


def room_list(user: User) -> list[dict[str, Any]]:
    """The person's rooms with unread counts, in one query."""
    unread = (
        Message.objects.filter(
            room=OuterRef("room_id"),
            seq__gt=OuterRef("last_read_seq"),
            deleted_at__isnull=True,
        )
        .exclude(author=user)
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    mentions = (
        Mention.objects.filter(
            user=user,
            room=OuterRef("room_id"),
            seq__gt=OuterRef("last_read_seq"),
            message__deleted_at__isnull=True,
        )
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    members = (
        Membership.objects.active()
        .filter(room=OuterRef("room_id"), user__is_active=True)
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    memberships = (
        Membership.objects.active()
        .filter(user=user)
        .select_related(
            "room",
            "room__partnership__supplier",
            "room__partnership__client",
            "room__partnership__ended_by__organization",
            "room__organization",
        )
        .annotate(
            unread=Coalesce(Subquery(unread), 0),
            mentions=Coalesce(Subquery(mentions), 0),
            member_count=Coalesce(Subquery(members), 0),
        )
        .order_by("room__name")
    )
    result = []
    for membership in memberships:
        room = membership.room
        entry: dict[str, Any] = {
            "id": room.id,
            "kind": room.kind,
            "name": room.name,
            "topic": room.topic,
            "head_seq": room.last_seq,
            "last_read_seq": membership.last_read_seq,
            "unread": membership.unread,
            "mentions": membership.mentions,
            "role": membership.role,
            "member_count": membership.member_count,
            "moderation": moderation_scope(user, room, membership.role),
            "archived": room.archived_at is not None,
        }
        if room.partnership is not None:
            partner = (
                room.partnership.client
                if room.partnership.supplier_id == user.organization_id
                else room.partnership.supplier
            )
            entry["partner"] = {"id": partner.id, "name": partner.name, "slug": partner.slug}
            if room.archived_at is not None:
                entry["ended"] = partnership_end(room.partnership)
        result.append(entry)
    return result


def room_members(room: Room) -> list[Membership]:
    """Active members with what ``person_ref`` needs loaded, and nothing more.

    Every subscribe reads this (a reconnect storm, thousands of times): whole
    users and organizations cost more CPU to build than the query.
    """
    return list(
        Membership.objects.active()
        .filter(room=room, user__is_active=True)
        .select_related("user__organization")
        .only(
            "role",
            "room_id",
            "user__id",
            "user__handle",
            "user__display_name",
            "user__title",
            "user__organization__id",
            "user__organization__name",
            "user__organization__slug",
        )
        .order_by("user__display_name", "user__handle")
    )


def events_after(room_id: int, since: int, until: int) -> list[dict[str, Any]]:
    return list(
        RoomEvent.objects.filter(room_id=room_id, seq__gt=since, seq__lte=until)
        .order_by("seq")
        .values_list("payload", flat=True)
    )


def message_page(room: Room, *, before: int | None, after: int | None, limit: int) -> list[Message]:
    qs = (
        Message.objects.filter(room=room, thread_root__isnull=True)
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions")
    )
    if after is not None:
        return list(qs.filter(seq__gt=after).order_by("seq")[:limit])
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(reversed(qs.order_by("-seq")[:limit]))


def thread_messages(root: Message) -> list[Message]:
    return list(
        Message.objects.filter(Q(pk=root.pk) | Q(thread_root=root))
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions")
        .order_by("seq")
    )


def followed_threads(user: User, room_id: int) -> list[dict[str, Any]]:
    follows = ThreadFollow.objects.filter(user=user, root__room_id=room_id).annotate(
        unread=Count(
            "root__replies",
            filter=Q(
                root__replies__seq__gt=F("last_read_seq"),
                root__replies__deleted_at__isnull=True,
            )
            & ~Q(root__replies__author=user),
        )
    )
    return [
        {"root": f.root_id, "last_read_seq": f.last_read_seq, "unread": f.unread} for f in follows
    ]


def search_messages(user: User, query: str, limit: int = 50) -> list[Message]:
    return list(
        Message.objects.filter(
            room__in=readable_rooms(user), deleted_at__isnull=True, body__icontains=query
        )
        .select_related("author__organization", "room")
        .prefetch_related("mentions")
        .order_by("-created_at")[:limit]
    )


def subscription_snapshot(
    user: User, room_id: Any, since: int | None, page: int, replay_limit: int
) -> dict[str, Any]:
    """What a socket needs to subscribe: head, members, unread and the events to replay.

    ``replay`` is None when the gap is too large (the client pages history over
    HTTP instead).
    """
    # Read after the socket joined the room's group, like the rest of the
    # snapshot: the membership's room row carries the head.
    membership = access_membership(user, room_id, readonly=True)
    room = membership.room
    head = room.last_seq
    replay: list[dict[str, Any]] | None
    if since is None:
        replay = events_after(room.id, max(0, head - page), head)
    elif since > head or head - since > replay_limit:
        replay = None
    elif since == head:
        replay = []  # a client that missed nothing: the common reconnect
    else:
        replay = events_after(room.id, since, head)
    members = [
        {"person": person_ref(m.user), "role": m.role} for m in room_members(membership.room)
    ]
    return {
        "room": room.id,
        "head": head,
        "members": members,
        "last_read_seq": membership.last_read_seq,
        "unread": unread_count(user, room.id, membership.last_read_seq),
        "threads": followed_threads(user, room.id),
        "replay": replay,
    }


def _work_items(qs: QuerySet[Any]) -> list[dict[str, Any]]:

    items = list(
        qs.select_related(
            "assignee__organization", "created_by__organization", "raised_by_org"
        ).order_by("priority", "due_date", "created_at", "id")
    )
    live = {
        e.work_item_id: e
        for e in Escalation.objects.filter(work_item__in=items)
        .exclude(status=Escalation.Status.RESOLVED)
        .select_related("raised_by__organization", "acknowledged_by__organization")
    }
    return [dict(work_item_data(item, live.get(item.pk))) for item in items]


def work_item_board(user: User, room_id: Any) -> dict[str, Any]:
    """The room's work items by status."""

    membership = access_membership(user, room_id, readonly=True)
    columns: dict[str, list[dict[str, Any]]] = {status: [] for status in WorkItem.Status.values}
    for item in _work_items(WorkItem.objects.filter(room_id=membership.room_id)):
        columns[item["status"]].append(item)
    return {"room": membership.room_id, "head_seq": membership.room.last_seq, "columns": columns}


def my_work(user: User) -> list[dict[str, Any]]:
    """Open work assigned to the person, across the rooms they are in."""

    return _work_items(
        WorkItem.objects.filter(
            assignee=user,
            room__in=rooms_for_user(user),
            status__in=["open", "in_progress", "blocked"],
        )
    )


def work_item_detail(user: User, room_id: Any, item_id: Any) -> dict[str, Any]:

    membership = access_membership(user, room_id, readonly=True)
    item_id = parse_id(item_id, "id")
    found = _work_items(WorkItem.objects.filter(room_id=membership.room_id, pk=item_id))
    if not found:
        raise NotFound()
    history = [
        {
            "seq": change.seq,
            "at": change.changed_at.isoformat(),
            "by": (
                {"id": change.changed_by.pk, "name": change.changed_by.name}
                if change.changed_by
                else None
            ),
            "changes": change.changes,
        }
        for change in WorkItemChange.objects.filter(work_item_id=item_id).select_related(
            "changed_by"
        )
    ]
    return {"item": found[0], "history": history}


def mirrors_for(user: User) -> list[Mirror]:
    """Mirrors in the internal rooms the person is in (never the other side's)."""
    return list(
        Mirror.objects.filter(
            organization=user.organization,
            target_room__in=rooms_for_user(user),
        ).order_by("-created_at")
    )
