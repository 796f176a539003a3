"""A person's card: who they are and where the viewer meets them."""

from __future__ import annotations

from hub.models import User
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_person
from rooms.wire.serializers import person_ref, room_ref
from rooms.wire.types import PersonCard


def person_card(viewer: User, person_id: int) -> PersonCard:
    """The card of a person ``viewer`` may know of (``access_person``: else ``NotFound``,
    the same for one who exists and one who does not).

    Its rooms are those both are active members of, so never a room the viewer
    is not in. Across organizations only shared rooms can hold both; the filter
    on the kind says so again, so a membership that broke the rule still could
    not show the partner an internal room's name.
    """
    person = access_person(viewer, person_id)
    theirs = Membership.objects.active().filter(user=person).values("room_id")
    common = Room.objects.filter(
        pk__in=theirs,
        archived_at__isnull=True,
        memberships__user=viewer,
        memberships__left_at__isnull=True,
    )
    if person.organization_id != viewer.organization_id:
        common = common.filter(kind=Room.Kind.SHARED)
    return {
        "person": person_ref(person),
        "time_zone": person.time_zone,
        "rooms": [room_ref(room) for room in common.order_by("name", "pk")],
    }
