"""A person's rooms and a room's people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict, cast

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django_stubs_ext import WithAnnotations

from hub.models import User
from hub.selectors import partnership_end
from rooms.models.messages import Mention
from rooms.models.rooms import Membership, Room
from rooms.moderation import moderation_scope
from rooms.selectors.access import visible_people
from rooms.selectors.reading import mention_filter, unread_subquery
from rooms.wire.types import NotifyLevel, RoomKind, RoomListEntry


class _Counts(TypedDict):
    unread: int
    mentions: int
    member_count: int


def room_list(user: User, *, room_id: int | None = None) -> list[RoomListEntry]:
    """The person's rooms with unread counts, in one query (only ``room_id``'s, if given)."""
    mentions = (
        Mention.objects.filter(
            mention_filter(user), room=OuterRef("room_id"), seq__gt=OuterRef("last_read_seq")
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
            unread=Coalesce(unread_subquery(user), 0),
            mentions=Coalesce(Subquery(mentions), 0),
            member_count=Coalesce(Subquery(members), 0),
        )
        .order_by("room__name")
    )
    if room_id is not None:
        memberships = memberships.filter(room_id=room_id)
    # The annotations are typed for mypy here: the plugin cannot follow Subquery.
    rows = list(cast("Iterable[WithAnnotations[Membership, _Counts]]", memberships))
    others = direct_others(user, [m.room_id for m in rows if m.room.is_direct])
    result = []
    for membership in rows:
        room = membership.room
        entry: RoomListEntry = {
            "id": room.id,
            "kind": cast(RoomKind, room.kind),  # Room.Kind's values
            # A direct conversation is named by the others in it, as they are now.
            "name": ", ".join(others.get(room.id, [])) or room.name
            if room.is_direct
            else room.name,
            "topic": room.topic,
            "head_seq": room.last_seq,
            "last_read_seq": membership.last_read_seq,
            "unread": membership.unread,
            "mentions": membership.mentions,
            "role": membership.role,
            "notify": cast(NotifyLevel, membership.notify),
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
        if room.archived_at is not None:
            # A room whose partnership ended can never be reopened, whoever archived it first.
            ended = room.partnership is not None and room.partnership.ended_at is not None
            entry["archived_cause"] = "partnership_ended" if ended else "owner"
        result.append(entry)
    return result


def direct_name(others: dict[int, list[str]], room: Room) -> str:
    """A direct conversation is named by the others in it, as they are now."""
    return ", ".join(others.get(room.id, [])) or room.name


def direct_others(user: User, room_ids: list[int]) -> dict[int, list[str]]:
    """For each direct conversation, the names of the other active people in it."""
    names: dict[int, list[str]] = {room_id: [] for room_id in room_ids}
    if not room_ids:
        return names
    for membership in (
        Membership.objects.active()
        .filter(room_id__in=room_ids, user__is_active=True)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__display_name", "user__handle")
    ):
        names[membership.room_id].append(membership.user.name)
    return names


def room_members(room: Room | int) -> list[Membership]:
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
            "user__avatar",
            "user__is_bot",
            "user__organization__id",
            "user__organization__name",
            "user__organization__slug",
        )
        .order_by("user__display_name", "user__handle")
    )


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


def presence_room_ids(user_ids: list[int]) -> dict[int, list[int]]:
    """The rooms whose members see each person's presence: live rooms they are in."""
    rooms: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    for user_id, room_id in (
        Membership.objects.active()
        .filter(user_id__in=user_ids, room__archived_at__isnull=True)
        .values_list("user_id", "room_id")
    ):
        rooms[user_id].append(room_id)
    return rooms
