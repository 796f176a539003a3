"""A person leaving: deactivation ends their memberships, sockets and invitations."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hub import audit, publish
from hub.errors import Forbidden, NotFound
from hub.models import User
from rooms.actions.members import do_remove_member
from rooms.models.invitations import Invitation
from rooms.models.rooms import Membership


def do_deactivate_person(actor: User | None, person: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_active=False)
        audit.record(actor, "person.deactivated", person, organization=person.organization)
        # What a person who has left invited no longer admits anyone.
        for invitation in Invitation.objects.filter(
            invited_by=person, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit.record(actor, "invitation.revoked", invitation, reason="inviter deactivated")
        for membership in Membership.objects.active().filter(user=person):
            do_remove_member(actor, membership, reason="deactivated")
        publish.publish_control_on_commit(publish.user_group(person.pk), "auth.recheck")


def check_deactivate_person(actor: User, *, person_id: int) -> None:
    person = User.objects.filter(pk=person_id).first()
    if person is None or person.organization_id != actor.organization_id:
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin can deactivate people.")
    do_deactivate_person(actor, person)
