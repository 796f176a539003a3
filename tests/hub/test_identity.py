"""An organization's single sign-on (hub/identity.py, /api/organization/identity-provider/):
only its admins see or change it, the secret never comes back, changes are audited;
and the boundary rule: a provider signs in only its own organization's people."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.core import mail
from django.test import Client

from hub.errors import Forbidden
from hub.identity import check_sso_person, do_set_identity_provider
from hub.models import AuditEntry, IdentityProvider, Organization, User
from tests.conftest import Team, client_for, make_org, make_person

URL = "/api/organization/identity-provider/"
NOT_FOUND = {"error": {"code": "not_found", "detail": "Not found."}}
GOOD = {
    "issuer": "https://login.supplier.example/",
    "client_id": "causeway",
    "client_secret": "s3cret-value",
}


def put(person: User, data: Any) -> Any:
    return client_for(person).put(URL, data, content_type="application/json")


def register(org: Organization, *, require_sso: bool = False) -> IdentityProvider:
    do_set_identity_provider(
        None,
        org,
        None,
        server_url="https://login.example",
        client_id="causeway",
        client_secret="s3cret-value",
        require_sso=require_sso,
    )
    return IdentityProvider.objects.select_related("app").get(organization=org)


# --- the settings ---------------------------------------------------------------------


def test_an_admin_sets_reads_and_removes_the_provider_and_never_sees_the_secret(
    team: Team,
) -> None:
    admin = team.supplier_admin
    assert client_for(admin).get(URL).json() == {"identity_provider": None}

    response = put(admin, {**GOOD, "require_sso": True})
    assert response.status_code == 200
    shown = {
        "issuer": "https://login.supplier.example",
        "client_id": "causeway",
        "has_secret": True,
        "require_sso": True,
        "passwordless_people": 0,
    }
    app = SocialApp.objects.get(identity_provider__organization=team.supplier)
    shown["callback_path"] = f"/accounts/oidc/{app.provider_id}/login/callback/"
    assert response.json() == {"identity_provider": shown}
    assert client_for(admin).get(URL).json() == {"identity_provider": shown}
    assert b"s3cret-value" not in response.content
    assert (app.provider, app.secret) == ("openid_connect", "s3cret-value")
    assert app.settings == {"server_url": "https://login.supplier.example"}

    # Without a secret the stored one stays.
    response = put(admin, {"issuer": "https://sso.supplier.example", "client_id": "c2"})
    assert response.json()["identity_provider"]["has_secret"] is True
    assert SocialApp.objects.get(pk=app.pk).secret == "s3cret-value"

    assert client_for(admin).delete(URL).json() == {"identity_provider": None}
    assert not SocialApp.objects.filter(pk=app.pk).exists()
    assert client_for(admin).delete(URL).status_code == 404

    entries = AuditEntry.objects.filter(
        organization=team.supplier, action="organization.idp_changed"
    )
    assert entries.count() == 3
    assert all("s3cret" not in str(entry.data) for entry in entries)


def test_to_a_member_or_the_other_organization_the_provider_does_not_exist_or_is_refused(
    team: Team,
) -> None:
    register(team.supplier)
    member = client_for(team.supplier_member)
    assert member.get(URL).status_code == 404
    assert member.get(URL).json() == NOT_FOUND
    assert put(team.supplier_member, GOOD).status_code == 403
    assert member.delete(URL).status_code == 403
    # The client's admin sees only their own organization's (none).
    assert client_for(team.client_admin).get(URL).json() == {"identity_provider": None}
    assert client_for(team.client_admin).delete(URL).status_code == 404
    assert IdentityProvider.objects.filter(organization=team.supplier).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"issuer": "http://login.supplier.example", "client_id": "c", "client_secret": "s"},
        {"issuer": "http://127.0.0.1:6379", "client_id": "c", "client_secret": "s"},
        {"issuer": "ftp://login.supplier.example", "client_id": "c", "client_secret": "s"},
        {"issuer": "https://", "client_id": "c", "client_secret": "s"},
        {"issuer": "https://login.example", "client_id": "", "client_secret": "s"},
        {"issuer": "https://login.example", "client_id": 3, "client_secret": "s"},
        {"issuer": "https://login.example", "client_id": "c", "require_sso": "yes"},
        # A new provider needs a secret.
        {"issuer": "https://login.example", "client_id": "c"},
    ],
)
def test_bad_input_is_a_400_json_error_and_stores_nothing(team: Team, data: Any) -> None:
    response = put(team.supplier_admin, data)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not IdentityProvider.objects.exists()


# --- the boundary rule ------------------------------------------------------------------


@pytest.fixture
def acme_and_northwind(db: None) -> tuple[Organization, Organization, str]:
    acme = make_org("Acme", ["acme.example"])
    northwind = make_org("Northwind", ["northwind.example"])
    return acme, northwind, register(acme).app.provider_id


def test_a_provider_signs_in_its_own_organizations_verified_addresses(
    acme_and_northwind: Any,
) -> None:
    acme, _northwind, provider_id = acme_and_northwind
    assert (
        check_sso_person(provider_id, email="ada@acme.example", email_verified=True, existing=None)
        == acme
    )
    carl = make_person(acme, email="carl@acme.example")
    assert (
        check_sso_person(provider_id, email=carl.email, email_verified=True, existing=carl) == acme
    )


def test_a_provider_never_signs_anyone_into_another_organization(acme_and_northwind: Any) -> None:
    _acme, northwind, provider_id = acme_and_northwind
    with pytest.raises(Forbidden, match="not an address of Acme"):
        check_sso_person(
            provider_id, email="carla@northwind.example", email_verified=True, existing=None
        )
    with pytest.raises(Forbidden, match="not an address of Acme"):
        check_sso_person(
            provider_id, email="someone@gmail.example", email_verified=True, existing=None
        )
    # An address on Acme's domain whose account is Northwind's (moved, or invited there).
    moved = make_person(northwind, email="moved@acme.example")
    with pytest.raises(Forbidden, match="belongs to another organization"):
        check_sso_person(provider_id, email=moved.email, email_verified=True, existing=moved)
    with pytest.raises(Forbidden, match="has not verified"):
        check_sso_person(provider_id, email="una@acme.example", email_verified=False, existing=None)
    with pytest.raises(Forbidden):
        check_sso_person("unknown", email="ada@acme.example", email_verified=True, existing=None)


def test_people_who_joined_through_the_provider_set_a_password_once_it_is_removed(
    team: Team, settings: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = False
    register(team.supplier)
    # As allauth creates someone who arrives through the provider: no password.
    ada = make_person(team.supplier, name="Ada Sso", email="ada@supplier.example")
    ada.set_unusable_password()
    ada.save()
    EmailAddress.objects.create(user=ada, email=ada.email, verified=True, primary=True)
    admin = client_for(team.supplier_admin)
    # The admin is told before removing it.
    assert admin.get(URL).json()["identity_provider"]["passwordless_people"] == 1

    assert admin.delete(URL).json() == {"identity_provider": None}
    Client().post("/accounts/password/reset/", {"email": ada.email})
    assert [m.to for m in mail.outbox] == [[ada.email]]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    browser = Client()
    form = browser.get(link.group(1), follow=True)
    assert form.status_code == 200
    done = browser.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": "a-new-pass-for-ada-7", "password2": "a-new-pass-for-ada-7"},
    )
    assert done.status_code == 302
    ada.refresh_from_db()
    assert ada.check_password("a-new-pass-for-ada-7")
