"""Organizations, partnerships, invitations and the audit trail (hub.actions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
)
from hub.errors import ConfirmationRequired, Conflict, Forbidden, NotFound, OrganizationRequired
from hub.models import AuditEntry, Partnership, User
from hub.selectors import partnerships_for
from rooms.actions.invitations import (
    check_accept_invitation,
    check_create_invitation,
    check_revoke_invitation,
    do_accept_invitation,
    find_invitation,
    hash_token,
    resolve_signup_organization,
)
from rooms.actions.members import check_remove_member, do_add_member
from rooms.actions.people import check_deactivate_person
from rooms.actions.rooms import check_create_shared_room
from rooms.models.invitations import Invitation
from rooms.models.rooms import Membership, Room
from rooms.selectors.invitations import pending_invitations_sent
from tests.conftest import Team, make_org, make_partnership, make_person


def is_member(room: Room, person: User) -> bool:
    return Membership.objects.active().filter(room=room, user=person).exists()


def audit_actions(target_type: str, target_id: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=target_id)
        .order_by("created_at")
        .values_list("action", flat=True)
    )


# --- partnerships -------------------------------------------------------------


def test_org_admin_proposes_partnership_as_supplier(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)

    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    assert partnership.status == Partnership.Status.PROPOSED
    assert (partnership.supplier, partnership.client) == (supplier, client)
    assert partnership.proposed_by == admin


def test_org_admin_proposes_partnership_as_client(db):
    ours, theirs = make_org(), make_org()
    admin = make_person(ours, admin=True)

    partnership = check_propose_partnership(admin, partner_slug=theirs.slug, as_side="client")

    assert (partnership.supplier, partnership.client) == (theirs, ours)


def test_member_cannot_propose_partnership(db):
    ours, theirs = make_org(), make_org()
    member = make_person(ours)

    with pytest.raises(Forbidden):
        check_propose_partnership(member, partner_slug=theirs.slug, as_side="supplier")

    assert not Partnership.objects.exists()


def test_second_live_partnership_between_same_pair_conflicts(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(Conflict):
        check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")


def test_proposing_admin_cannot_accept_own_proposal(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(Forbidden):
        check_accept_partnership(admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.PROPOSED


def test_another_admin_of_proposing_side_cannot_accept(db):
    supplier, client = make_org(), make_org()
    proposer = make_person(supplier, admin=True)
    colleague = make_person(supplier, admin=True)
    partnership = check_propose_partnership(proposer, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(Forbidden):
        check_accept_partnership(colleague, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.PROPOSED


def test_proposing_side_cannot_accept_when_it_proposed_as_client(db):
    ours, theirs = make_org(), make_org()
    admin = make_person(ours, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=theirs.slug, as_side="client")

    with pytest.raises(Forbidden):
        check_accept_partnership(admin, partnership_id=partnership.pk)


def test_member_of_other_side_cannot_accept(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_member = make_person(client)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(Forbidden):
        check_accept_partnership(client_member, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.PROPOSED


def test_admin_of_other_side_accepts(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    accepted = check_accept_partnership(client_admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert accepted.status == partnership.status == Partnership.Status.ACTIVE
    assert partnership.decided_by == client_admin
    assert partnership.decided_at is not None


def test_admin_of_other_side_declines(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    check_decline_partnership(client_admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.DECLINED
    assert partnership.decided_by == client_admin


def test_accepted_partnership_cannot_be_decided_again(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")
    check_accept_partnership(client_admin, partnership_id=partnership.pk)

    with pytest.raises(Conflict):
        check_decline_partnership(client_admin, partnership_id=partnership.pk)
    with pytest.raises(Conflict):
        check_accept_partnership(client_admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.ACTIVE


def test_declined_partnership_cannot_be_accepted_later(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")
    check_decline_partnership(client_admin, partnership_id=partnership.pk)

    with pytest.raises(Conflict):
        check_accept_partnership(client_admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.DECLINED


def test_declined_partnership_can_be_proposed_afresh(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    first = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")
    check_decline_partnership(client_admin, partnership_id=first.pk)

    second = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    assert second.pk != first.pk
    assert second.status == Partnership.Status.PROPOSED


def test_no_shared_room_before_other_side_accepts(db):
    supplier, client = make_org(), make_org()
    supplier_admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = make_partnership(supplier, client, active=False)

    with pytest.raises(Forbidden):
        check_create_shared_room(supplier_admin, partnership_id=partnership.pk, name="Too early")
    with pytest.raises(Forbidden):
        check_create_shared_room(client_admin, partnership_id=partnership.pk, name="Too early")

    assert not Room.objects.filter(partnership=partnership).exists()


def test_no_shared_room_on_declined_partnership(db):
    supplier, client = make_org(), make_org()
    supplier_admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(
        supplier_admin, partner_slug=client.slug, as_side="supplier"
    )
    check_decline_partnership(client_admin, partnership_id=partnership.pk)

    with pytest.raises(Forbidden):
        check_create_shared_room(supplier_admin, partnership_id=partnership.pk, name="Never")

    assert not Room.objects.filter(partnership=partnership).exists()


def test_shared_room_can_be_created_once_both_sides_accepted(db):
    supplier, client = make_org(), make_org()
    supplier_admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(
        supplier_admin, partner_slug=client.slug, as_side="supplier"
    )
    check_accept_partnership(client_admin, partnership_id=partnership.pk)

    room = check_create_shared_room(supplier_admin, partnership_id=partnership.pk, name="Together")

    assert room.kind == Room.Kind.SHARED
    assert room.partnership == partnership
    assert is_member(room, supplier_admin)


def test_shared_room_on_partnership_of_other_orgs_is_not_found(team: Team):
    outsider_admin = make_person(make_org(), admin=True)

    with pytest.raises(NotFound):
        check_create_shared_room(
            outsider_admin, partnership_id=team.partnership.pk, name="Intrusion"
        )

    assert Room.objects.filter(partnership=team.partnership).count() == 1


def test_shared_room_on_missing_partnership_is_not_found(team: Team):
    with pytest.raises(NotFound):
        check_create_shared_room(
            team.supplier_admin, partnership_id=team.partnership.pk + 1000, name="Nowhere"
        )


def test_third_org_admin_cannot_decide_partnership(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    outsider_admin = make_person(make_org(), admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(NotFound):
        check_accept_partnership(outsider_admin, partnership_id=partnership.pk)
    with pytest.raises(NotFound):
        check_decline_partnership(outsider_admin, partnership_id=partnership.pk)

    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.PROPOSED


def test_third_org_does_not_see_partnership(team: Team):
    outsider_admin = make_person(make_org(), admin=True)

    assert partnerships_for(outsider_admin) == []
    assert [p["id"] for p in partnerships_for(team.client_member)] == [team.partnership.pk]


def test_only_other_sides_admin_can_decide_per_listing(db):
    supplier, client = make_org(), make_org()
    supplier_admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    client_member = make_person(client)
    check_propose_partnership(supplier_admin, partner_slug=client.slug, as_side="supplier")

    assert [p["can_decide"] for p in partnerships_for(supplier_admin)] == [False]
    assert [p["can_decide"] for p in partnerships_for(client_admin)] == [True]
    assert [p["can_decide"] for p in partnerships_for(client_member)] == [False]


# --- invitations ----------------------------------------------------------------


def test_member_invites_colleague_on_own_verified_domain(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"

    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    assert invitation.organization == team.supplier
    assert invitation.room == team.shared
    assert invitation.email == email
    assert invitation.is_usable()
    assert find_invitation(token) == invitation


def test_invitation_stores_only_token_hash(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"

    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    assert token not in invitation.token_hash
    assert invitation.token_hash == hash_token(token)


def test_unknown_token_finds_no_invitation(team: Team):
    assert find_invitation("not-a-real-token") is None
    with pytest.raises(NotFound):
        check_accept_invitation(team.supplier_member, token="not-a-real-token")


def test_invitation_accept_adds_person_to_room(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    newbie = make_person(team.supplier, email=email)

    accepted = check_accept_invitation(newbie, token=token)

    assert accepted.pk == invitation.pk
    assert accepted.accepted_by == newbie
    assert accepted.accepted_at is not None
    assert is_member(team.shared, newbie)


def test_invitation_token_is_single_use(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    _invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    newbie = make_person(team.supplier, email=email)
    check_accept_invitation(newbie, token=token)

    with pytest.raises(Conflict):
        check_accept_invitation(newbie, token=token)


def test_do_accept_invitation_refuses_used_invitation(team: Team):
    """The lock in do_accept_invitation catches a second accept that raced the check."""
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    newbie = make_person(team.supplier, email=email)
    stale = find_invitation(token)
    do_accept_invitation(invitation, newbie)

    with pytest.raises(Conflict):
        do_accept_invitation(stale, newbie)


def test_expired_invitation_is_refused(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    newbie = make_person(team.supplier, email=email)

    with pytest.raises(Conflict):
        check_accept_invitation(newbie, token=token)

    assert not is_member(team.shared, newbie)


def test_invitation_for_one_org_never_admits_person_of_another(team: Team):
    email = f"someone@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    # Same address, but the account lives in the client organization.
    wrong_org_person = make_person(team.client, email=email)

    with pytest.raises(Forbidden):
        check_accept_invitation(wrong_org_person, token=token)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert invitation.is_usable()
    assert not is_member(team.shared, wrong_org_person)


def test_invitation_into_internal_room_refuses_person_of_partner_org(team: Team):
    email = f"someone@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.supplier_internal.id, email=email
    )
    wrong_org_person = make_person(team.client, email=email)

    with pytest.raises(Forbidden):
        check_accept_invitation(wrong_org_person, token=token)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not is_member(team.supplier_internal, wrong_org_person)


def test_invitation_addressed_to_another_email_is_refused(team: Team):
    email = f"intended@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    colleague = make_person(team.supplier)

    with pytest.raises(Forbidden):
        check_accept_invitation(colleague, token=token)

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not is_member(team.shared, colleague)


def test_cross_org_invitation_for_partner_verified_domain_binds_to_partner(team: Team):
    email = f"buyer@{team.client.verified_domains[0]}"

    invitation, _token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    assert invitation.organization == team.client


def test_cross_org_invitation_by_explicit_org_for_partner_domain(team: Team):
    email = f"buyer@{team.client.verified_domains[0]}"

    invitation, _token = check_create_invitation(
        team.supplier_member,
        room_id=team.shared.id,
        email=email,
        organization_slug=team.client.slug,
    )

    assert invitation.organization == team.client


def test_cross_org_invitation_for_non_partner_domain_is_forbidden(team: Team):
    with pytest.raises(Forbidden):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.shared.id,
            email="stranger@freemail.test",
            organization_slug=team.client.slug,
        )

    assert not Invitation.objects.exists()


def test_cross_org_invitation_for_own_domain_into_partner_is_forbidden(team: Team):
    with pytest.raises(Forbidden):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.shared.id,
            email=f"mole@{team.supplier.verified_domains[0]}",
            organization_slug=team.client.slug,
        )

    assert not Invitation.objects.exists()


def test_invitation_into_org_outside_room_is_not_found(team: Team):
    outsider = make_org()

    with pytest.raises(NotFound):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.shared.id,
            email=f"x@{outsider.verified_domains[0]}",
            organization_slug=outsider.slug,
        )


def test_internal_room_invitation_cannot_target_partner_org(team: Team):
    with pytest.raises(NotFound):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.supplier_internal.id,
            email=f"buyer@{team.client.verified_domains[0]}",
            organization_slug=team.client.slug,
        )


def test_internal_room_invitation_for_partner_domain_binds_to_own_org_or_nothing(team: Team):
    """Without a slug, a partner-domain e-mail into an internal room falls back to the
    actor's organization, which a member may only invite on its own domains."""
    with pytest.raises(Forbidden):
        check_create_invitation(
            team.supplier_member,
            room_id=team.supplier_internal.id,
            email=f"buyer@{team.client.verified_domains[0]}",
        )


def test_member_cannot_invite_non_domain_email_into_own_org(team: Team):
    with pytest.raises(Forbidden):
        check_create_invitation(
            team.supplier_member, room_id=team.supplier_internal.id, email="friend@freemail.test"
        )

    assert not Invitation.objects.exists()


def test_admin_invites_non_domain_email_into_own_org_only_after_confirming(team: Team):
    with pytest.raises(ConfirmationRequired):
        check_create_invitation(
            team.supplier_admin, room_id=team.supplier_internal.id, email="Contractor@Freemail.test"
        )
    assert not Invitation.objects.exists()

    invitation, _token = check_create_invitation(
        team.supplier_admin,
        room_id=team.supplier_internal.id,
        email="Contractor@Freemail.test",
        confirm_outside_domain=True,
    )

    assert invitation.organization == team.supplier
    assert invitation.email == "contractor@freemail.test"
    assert invitation.outside_domain
    entry = AuditEntry.objects.get(action="invitation.created", target_id=invitation.pk)
    assert entry.data["outside_domain"] is True
    listed = pending_invitations_sent(team.supplier_admin)
    assert [(i["id"], i["outside_domain"]) for i in listed] == [(invitation.pk, True)]


def test_an_address_no_domain_decides_never_silently_joins_the_inviters_organization(
    team: Team,
):
    # "Decide by e-mail domain" into a shared room, for a free-mail address.
    for inviter in (team.supplier_member, team.supplier_admin):
        with pytest.raises(OrganizationRequired):
            check_create_invitation(inviter, room_id=team.shared.id, email="erin@gmail.example")
    assert not Invitation.objects.exists()
    assert not User.objects.filter(email="erin@gmail.example").exists()


def test_an_explicit_choice_of_your_own_organization_still_needs_an_admins_confirmation(
    team: Team,
):
    with pytest.raises(Forbidden):
        check_create_invitation(
            team.supplier_member,
            room_id=team.shared.id,
            email="erin@gmail.example",
            organization_slug=team.supplier.slug,
        )
    with pytest.raises(ConfirmationRequired):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.shared.id,
            email="erin@gmail.example",
            organization_slug=team.supplier.slug,
        )
    invitation, _ = check_create_invitation(
        team.supplier_admin,
        room_id=team.shared.id,
        email="erin@gmail.example",
        organization_slug=team.supplier.slug,
        confirm_outside_domain=True,
    )
    assert (invitation.organization, invitation.outside_domain) == (team.supplier, True)


def test_invitations_of_a_deactivated_inviter_stop_working(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    newbie = make_person(team.supplier, email=email)
    check_deactivate_person(team.supplier_admin, person_id=team.supplier_member.pk)

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not find_invitation(token).is_usable()
    with pytest.raises(Conflict):
        check_accept_invitation(newbie, token=token)
    assert not is_member(team.shared, newbie)


def test_an_invitation_whose_inviter_is_inactive_is_refused_even_if_not_revoked(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    _invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    User.objects.filter(pk=team.supplier_member.pk).update(is_active=False)  # e.g. by an operator
    newbie = make_person(team.supplier, email=email)
    with pytest.raises(Conflict):
        check_accept_invitation(newbie, token=token)
    assert not is_member(team.shared, newbie)


def test_invitation_requires_membership_of_room(team: Team):
    with pytest.raises(NotFound):
        check_create_invitation(
            team.client_admin,
            room_id=team.supplier_internal.id,
            email=f"x@{team.client.verified_domains[0]}",
        )


def test_invitation_of_person_in_another_org_conflicts(team: Team):
    with pytest.raises(Conflict):
        check_create_invitation(
            team.supplier_admin,
            room_id=team.supplier_internal.id,
            email=team.client_member.email,
            organization_slug=team.supplier.slug,
        )


def test_inviter_revokes_invitation(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    check_revoke_invitation(team.supplier_member, invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not invitation.is_usable()
    newbie = make_person(team.supplier, email=email)
    with pytest.raises(Conflict):
        check_accept_invitation(newbie, token=token)
    assert not is_member(team.shared, newbie)


def test_org_admin_revokes_colleagues_invitation(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, _token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    check_revoke_invitation(team.supplier_admin, invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_colleague_who_is_not_admin_cannot_revoke_nor_learn_of_the_invitation(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, _token = check_create_invitation(
        team.supplier_admin, room_id=team.shared.id, email=email
    )

    # Not in their list of invitations, so "forbidden" would say it exists.
    assert pending_invitations_sent(team.supplier_member) == []
    with pytest.raises(NotFound):
        check_revoke_invitation(team.supplier_member, invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_other_org_cannot_revoke_invitation(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, _token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )

    with pytest.raises(NotFound):
        check_revoke_invitation(team.client_admin, invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_invitation_email_is_sent_after_commit(team: Team, django_capture_on_commit_callbacks):
    email = f"newbie@{team.supplier.verified_domains[0]}"

    with django_capture_on_commit_callbacks(execute=True):
        _invitation, token = check_create_invitation(
            team.supplier_member, room_id=team.shared.id, email=email
        )

    assert [m.to for m in mail.outbox] == [[email]]
    assert f"/invitations/{token}/" in mail.outbox[0].body


# --- sign-up organization -----------------------------------------------------


def test_signup_organization_by_verified_domain(team: Team):
    email = f"new@{team.client.verified_domains[0]}"

    assert resolve_signup_organization(email, None) == team.client


def test_signup_organization_refused_without_domain_or_invitation(team: Team):
    with pytest.raises(Forbidden):
        resolve_signup_organization("nobody@freemail.test", None)


def test_signup_organization_from_matching_invitation(team: Team):
    invitation, _token = check_create_invitation(
        team.supplier_admin,
        room_id=team.supplier_internal.id,
        email="contractor@freemail.test",
        confirm_outside_domain=True,
    )

    assert resolve_signup_organization("contractor@freemail.test", invitation) == (team.supplier)


def test_signup_organization_ignores_invitation_for_other_email(team: Team):
    invitation, _token = check_create_invitation(
        team.supplier_admin,
        room_id=team.supplier_internal.id,
        email="contractor@freemail.test",
        confirm_outside_domain=True,
    )

    with pytest.raises(Forbidden):
        resolve_signup_organization("other@freemail.test", invitation)


# --- room membership boundary -------------------------------------------------


def test_add_member_refuses_third_org_person_to_shared_room(team: Team):
    outsider = make_person(make_org())

    with pytest.raises(Forbidden):
        do_add_member(team.supplier_admin, team.shared, outsider)

    assert not is_member(team.shared, outsider)


def test_add_member_refuses_partner_person_to_internal_room(team: Team):
    with pytest.raises(Forbidden):
        do_add_member(team.supplier_admin, team.supplier_internal, team.client_member)

    assert not is_member(team.supplier_internal, team.client_member)


def test_add_member_admits_own_org_person_to_internal_room(team: Team):
    colleague = make_person(team.supplier)

    do_add_member(team.supplier_admin, team.supplier_internal, colleague)

    assert is_member(team.supplier_internal, colleague)


# --- audit trail ------------------------------------------------------------------


def test_partnership_proposal_and_acceptance_are_audited(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")
    check_accept_partnership(client_admin, partnership_id=partnership.pk)

    entries = list(
        AuditEntry.objects.filter(target_type="partnership", target_id=partnership.pk).order_by(
            "created_at"
        )
    )
    assert [(e.action, e.actor, e.organization) for e in entries] == [
        ("partnership.proposed", admin, supplier),
        ("partnership.active", client_admin, client),
    ]
    assert entries[0].data == {"supplier": supplier.pk, "client": client.pk}


def test_partnership_decline_is_audited(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    client_admin = make_person(client, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")
    check_decline_partnership(client_admin, partnership_id=partnership.pk)

    assert audit_actions("partnership", partnership.pk) == [
        "partnership.proposed",
        "partnership.declined",
    ]


def test_refused_partnership_decision_writes_no_audit(db):
    supplier, client = make_org(), make_org()
    admin = make_person(supplier, admin=True)
    partnership = check_propose_partnership(admin, partner_slug=client.slug, as_side="supplier")

    with pytest.raises(Forbidden):
        check_accept_partnership(admin, partnership_id=partnership.pk)

    assert audit_actions("partnership", partnership.pk) == ["partnership.proposed"]


def test_invitation_create_accept_are_audited(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    newbie = make_person(team.supplier, email=email)
    check_accept_invitation(newbie, token=token)

    entries = list(
        AuditEntry.objects.filter(target_type="invitation", target_id=invitation.pk).order_by(
            "created_at"
        )
    )
    assert [(e.action, e.actor) for e in entries] == [
        ("invitation.created", team.supplier_member),
        ("invitation.accepted", newbie),
    ]
    assert entries[0].data["email"] == email
    assert entries[0].data["room"] == team.shared.id


def test_invitation_revoke_is_audited(team: Team):
    email = f"newbie@{team.supplier.verified_domains[0]}"
    invitation, _token = check_create_invitation(
        team.supplier_member, room_id=team.shared.id, email=email
    )
    check_revoke_invitation(team.supplier_admin, invitation_id=invitation.pk)

    revoked = AuditEntry.objects.get(
        target_type="invitation", target_id=invitation.pk, action="invitation.revoked"
    )
    assert revoked.actor == team.supplier_admin


def test_membership_add_is_audited(team: Team):
    colleague = make_person(team.supplier)

    membership = do_add_member(team.supplier_admin, team.supplier_internal, colleague)

    entry = AuditEntry.objects.get(
        target_type="membership", target_id=membership.pk, action="membership.added"
    )
    assert entry.actor == team.supplier_admin
    assert entry.data["person"] == colleague.pk
    assert entry.data["room"] == team.supplier_internal.id


def test_membership_remove_is_audited(team: Team):
    membership = Membership.objects.get(room=team.shared, user=team.client_member)

    check_remove_member(
        team.supplier_admin, room_id=team.shared.id, person_id=team.client_member.pk
    )

    assert not is_member(team.shared, team.client_member)
    entry = AuditEntry.objects.get(
        target_type="membership", target_id=membership.pk, action="membership.removed"
    )
    assert entry.actor == team.supplier_admin
    assert entry.data["person"] == team.client_member.pk


def test_refused_membership_add_writes_no_audit(team: Team):
    before = AuditEntry.objects.count()

    with pytest.raises(Forbidden):
        do_add_member(team.supplier_admin, team.supplier_internal, team.client_member)

    assert AuditEntry.objects.count() == before


def test_audit_entry_cannot_be_changed(team: Team):
    entry = AuditEntry.objects.first()
    entry.action = "tampered"

    with pytest.raises(ValueError):
        entry.save()

    assert not AuditEntry.objects.filter(action="tampered").exists()


def test_audit_entry_cannot_be_deleted(team: Team):
    entry = AuditEntry.objects.first()

    with pytest.raises(ValueError):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_an_invitation_cannot_be_revoked_twice(team):
    invitation, _ = check_create_invitation(
        team.client_admin,
        room_id=team.shared.id,
        email=f"someone@{team.client.verified_domains[0]}",
    )
    check_revoke_invitation(team.client_admin, invitation_id=invitation.id)
    with pytest.raises(Conflict):
        check_revoke_invitation(team.client_admin, invitation_id=invitation.id)


def test_the_invitation_email_links_to_the_site(
    team, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://causeway.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        _, token = check_create_invitation(
            team.client_admin,
            room_id=team.shared.id,
            email=f"newbie@{team.client.verified_domains[0]}",
        )
    assert f"https://causeway.example.com/invitations/{token}/" in mailoutbox[-1].body
