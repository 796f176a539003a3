"""Sign-up, e-mail verification and invitation links through the real allauth views."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client

from hub.models import User
from rooms.actions.invitations import check_create_invitation, check_revoke_invitation
from rooms.models.invitations import Invitation
from rooms.models.rooms import Membership
from tests.conftest import Team, make_org, make_person

PASSWORD = "a-long-Unusual-passphrase-42"


@pytest.fixture(autouse=True)
def no_allauth_rate_limits(settings):
    """These tests sign up more often than allauth allows one IP per minute, and with
    Redis the counters outlive each test."""
    settings.ACCOUNT_RATE_LIMITS = False


def signup(client: Client, email: str, name: str = "New Person"):
    return client.post(
        "/accounts/signup/",
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": name,
            "title": "Buyer",
        },
    )


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def invite(team: Team, email: str) -> str:
    """An invitation into the shared room, addressed to ``email``, bound to the supplier."""
    _invitation, token = check_create_invitation(
        team.supplier_admin,
        room_id=team.shared.id,
        email=email,
        organization_slug=team.supplier.slug,
        confirm_outside_domain=True,  # some addresses here are on no verified domain
    )
    return token


def test_signup_page_is_served(db):
    response = Client().get("/accounts/signup/")

    assert response.status_code == 200
    assert b'name="display_name"' in response.content


def test_signup_on_verified_domain_joins_that_organization(team: Team, mailoutbox):
    email = f"newcomer@{team.client.verified_domains[0]}"

    response = signup(Client(), email, name="Nia Newcomer")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email=email)
    assert user.organization == team.client
    assert user.org_role == User.OrgRole.MEMBER
    assert user.display_name == "Nia Newcomer"
    assert user.title == "Buyer"
    assert not EmailAddress.objects.get(user=user, email=email).verified


def test_signup_on_verified_domain_sends_verification_email_and_does_not_sign_in(
    team: Team, mailoutbox
):
    email = f"verifyme@{team.client.verified_domains[0]}"
    client = Client()

    signup(client, email)

    assert [m.to for m in mailoutbox] == [[email]]
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    assert signed_in_user_id(client) is None


def test_signup_email_domain_is_case_insensitive(team: Team, mailoutbox):
    email = f"Shouty@{team.client.verified_domains[0].upper()}"

    signup(Client(), email)

    assert User.objects.get(email__iexact=email).organization == team.client


def test_signup_on_unverified_domain_without_invitation_is_refused(team: Team, mailoutbox):
    response = signup(Client(), "drifter@freemail.test")

    assert response.status_code == 200
    errors = response.context["form"].errors["email"]
    assert any("invitation" in error for error in errors)
    assert not User.objects.filter(email="drifter@freemail.test").exists()
    assert mailoutbox == []


def test_signup_on_lookalike_domain_is_refused(team: Team, mailoutbox):
    # A suffix of a verified domain is not that domain.
    email = f"sneaky@evil{team.client.verified_domains[0]}"

    response = signup(Client(), email)

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(email=email).exists()


def test_verification_link_confirms_and_signs_in(team: Team, mailoutbox):
    email = f"confirmer@{team.client.verified_domains[0]}"
    client = Client()
    signup(client, email)
    link = re.search(r"/accounts/confirm-email/[-:\w]+/", mailoutbox[0].body).group(0)

    response = client.post(link)

    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert EmailAddress.objects.get(user=user, email=email).verified
    assert signed_in_user_id(client) == str(user.pk)


def test_login_of_unverified_person_does_not_sign_in(team: Team):
    email = f"unverified@{team.client.verified_domains[0]}"
    client = Client()
    signup(client, email)

    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302


def test_login_of_person_without_verified_address_does_not_sign_in(team: Team):
    person = make_person(team.client)
    client = Client()

    client.post("/accounts/login/", {"login": person.email, "password": "pw-for-tests-123"})

    assert signed_in_user_id(client) is None


def test_login_of_verified_person_signs_in(team: Team):
    person = make_person(team.client)
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    client = Client()

    response = client.post(
        "/accounts/login/", {"login": person.email, "password": "pw-for-tests-123"}
    )

    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert signed_in_user_id(client) == str(person.pk)


# --- invitation links ---------------------------------------------------------


def test_invitation_link_signed_out_shows_signup_invitation(team: Team):
    email = "contractor@freemail.test"
    token = invite(team, email)

    response = Client().get(f"/invitations/{token}/")

    assert response.status_code == 200
    assert email.encode() in response.content
    assert team.supplier.name.encode() in response.content


def test_signup_after_invitation_link_joins_invited_org_and_room(team: Team, mailoutbox):
    email = "contractor@freemail.test"
    token = invite(team, email)
    client = Client()
    client.get(f"/invitations/{token}/")

    response = signup(client, email, name="Cora Contractor")

    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert user.organization == team.supplier
    assert user.org_role == User.OrgRole.MEMBER
    assert Membership.objects.active().filter(room=team.shared, user=user).exists()
    invitation = Invitation.objects.get(email=email)
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_signup_after_invitation_link_needs_no_second_verification(team: Team, mailoutbox):
    email = "contractor2@freemail.test"
    token = invite(team, email)
    client = Client()
    client.get(f"/invitations/{token}/")

    signup(client, email)

    user = User.objects.get(email=email)
    assert EmailAddress.objects.get(user=user, email=email).verified
    assert signed_in_user_id(client) == str(user.pk)
    assert mailoutbox == []


def test_used_invitation_link_is_gone(team: Team, mailoutbox):
    email = "contractor3@freemail.test"
    token = invite(team, email)
    client = Client()
    client.get(f"/invitations/{token}/")
    signup(client, email)

    again_signed_in = client.get(f"/invitations/{token}/")
    again_signed_out = Client().get(f"/invitations/{token}/")

    assert again_signed_in.status_code == 410
    assert again_signed_out.status_code == 410


def test_unknown_invitation_link_is_not_found(db):
    response = Client().get("/invitations/no-such-token/")

    assert response.status_code == 404


def test_revoked_invitation_link_is_gone(team: Team):
    token = invite(team, "revoked@freemail.test")
    invitation = Invitation.objects.get(email="revoked@freemail.test")
    check_revoke_invitation(team.supplier_admin, invitation_id=invitation.pk)

    response = Client().get(f"/invitations/{token}/")

    assert response.status_code == 410


def test_signup_with_another_email_after_invitation_link_is_refused(team: Team, mailoutbox):
    token = invite(team, "intended@freemail.test")
    client = Client()
    client.get(f"/invitations/{token}/")

    response = signup(client, "freeloader@freemail.test")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(email="freeloader@freemail.test").exists()
    assert Invitation.objects.get(email="intended@freemail.test").accepted_at is None


def test_signup_with_other_email_after_invitation_link_keeps_domain_org(team: Team, mailoutbox):
    """The invitation decides only its own address: a domain e-mail joins its domain's org."""
    token = invite(team, "intended2@freemail.test")
    client = Client()
    client.get(f"/invitations/{token}/")
    email = f"someone@{team.client.verified_domains[0]}"

    signup(client, email)

    user = User.objects.get(email=email)
    assert user.organization == team.client
    assert not Membership.objects.filter(room=team.shared, user=user).exists()
    assert Invitation.objects.get(email="intended2@freemail.test").accepted_at is None


def test_invitation_link_does_not_lend_its_address_to_another_signup(team: Team, mailoutbox):
    """The invited address is proven by the link; it must not be attached to someone
    who signed up with a different address (and so was placed by that address's domain)."""
    token = invite(team, "intended3@freemail.test")
    client = Client()
    client.get(f"/invitations/{token}/")
    email = f"other@{team.client.verified_domains[0]}"

    signup(client, email)

    user = User.objects.get(display_name="New Person", organization=team.client)
    assert user.email == email
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        (email, False)
    ]
    assert not EmailAddress.objects.filter(email="intended3@freemail.test").exists()
    assert [m.to for m in mailoutbox] == [[email]]
    assert signed_in_user_id(client) is None


def test_invitation_link_signed_in_as_invitee_accepts(team: Team):
    email = f"existing@{team.supplier.verified_domains[0]}"
    token = invite(team, email)
    person = make_person(team.supplier, email=email)
    client = Client()
    client.force_login(person)

    response = client.get(f"/invitations/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{team.shared.id}/"
    assert Membership.objects.active().filter(room=team.shared, user=person).exists()


def test_invitation_link_signed_in_as_person_of_other_org_is_refused(team: Team):
    email = f"double@{team.supplier.verified_domains[0]}"
    token = invite(team, email)
    # Same address, but the account belongs to the client organization.
    intruder = make_person(team.client, email=email)
    client = Client()
    client.force_login(intruder)

    response = client.get(f"/invitations/{token}/")

    assert response.status_code == 403
    assert not Membership.objects.filter(room=team.shared, user=intruder).exists()
    intruder.refresh_from_db()
    assert intruder.organization == team.client
    invitation = Invitation.objects.get(email=email)
    assert invitation.accepted_at is None
    assert invitation.is_usable()


def test_invitation_link_signed_in_as_third_org_person_is_refused(team: Team):
    email = f"target@{team.supplier.verified_domains[0]}"
    token = invite(team, email)
    outsider = make_person(make_org())
    client = Client()
    client.force_login(outsider)

    response = client.get(f"/invitations/{token}/")

    assert response.status_code == 403
    assert not Membership.objects.filter(room=team.shared, user=outsider).exists()
    assert Invitation.objects.get(email=email).accepted_at is None


def test_invitation_link_for_existing_account_signed_out_asks_to_sign_in(team: Team):
    email = f"returning@{team.supplier.verified_domains[0]}"
    token = invite(team, email)
    make_person(team.supplier, email=email)

    response = Client().get(f"/invitations/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/invitations/{token}/"


def test_signup_without_display_name_is_refused(team: Team):
    email = f"anon@{team.client.verified_domains[0]}"
    client = Client()

    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert not User.objects.filter(email=email).exists()
