"""Each side's escalation settings for a partnership: its contacts and acknowledgement targets."""

from __future__ import annotations

from django.db import transaction

from hub import audit
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import Partnership, User
from rooms.models.rooms import Room
from rooms.models.workitems import EscalationContact


def ack_minutes(room: Room, severity: str) -> int:
    if room.partnership is not None:
        return room.partnership.ack_minutes(severity)
    return Partnership.DEFAULT_ACK_MINUTES[severity]


def contacts_for(room: Room, organization_id: int) -> list[User]:
    """A side's escalation contacts for this room's partnership; its admins if it named none."""
    people: list[User] = []
    if room.partnership is not None:
        people = [
            c.person
            for c in EscalationContact.objects.select_related("person__organization").filter(
                partnership=room.partnership,
                organization_id=organization_id,
                person__is_active=True,
            )
        ]
    if not people:
        people = list(
            User.objects.select_related("organization").filter(
                organization_id=organization_id, org_role=User.OrgRole.ADMIN, is_active=True
            )
        )
    return people


def check_set_escalation_contacts(
    actor: User, *, partnership_id: int, person_ids: list[int]
) -> list[User]:
    """An admin names their own side's contacts for a partnership."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin names escalation contacts.")
    ids = set(person_ids)
    people = list(
        User.objects.filter(
            pk__in=ids, organization_id=actor.organization_id, is_active=True, is_bot=False
        )
    )
    if len(people) != len(ids):
        raise Invalid("Contacts must be active people of your own organization.")
    with transaction.atomic():
        EscalationContact.objects.filter(
            partnership=partnership, organization_id=actor.organization_id
        ).delete()
        EscalationContact.objects.bulk_create(
            EscalationContact(
                partnership=partnership, organization_id=actor.organization_id, person=p
            )
            for p in people
        )
        audit.record(
            actor, "escalation.contacts_set", partnership, people=sorted(p.pk for p in people)
        )
    return people


def check_set_ack_targets(
    actor: User, *, partnership_id: int, targets: dict[str, int]
) -> Partnership:
    """An admin sets the partnership's acknowledgement targets (minutes per severity)."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin sets acknowledgement targets.")
    with transaction.atomic():
        partnership.ack_targets = {**partnership.ack_targets, **targets}
        partnership.save(update_fields=["ack_targets"])
        audit.record(actor, "escalation.targets_set", partnership, targets=targets)
    return partnership


SEVERITIES = ("S1", "S2", "S3")
