"""Password sign-in (frontend/login.py, frontend/adapters.py) when an organization
requires single sign-on: its people's passwords are refused with a clear message;
everyone else signs in as before."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress

from hub.identity import do_set_identity_provider
from tests.conftest import make_org, make_person

PASSWORD = "pw-for-tests-123"


def sso_org(*, require_sso: bool) -> object:
    org = make_org("Acme", ["acme.example"])
    do_set_identity_provider(
        None,
        org,
        None,
        server_url="https://login.acme.example",
        client_id="causeway",
        client_secret="s3cret",
        require_sso=require_sso,
    )
    return org


def person_at(org: object, email: str) -> object:
    person = make_person(org, email=email)  # type: ignore[arg-type]
    EmailAddress.objects.create(user=person, email=email, verified=True, primary=True)
    return person


def test_password_sign_in_is_refused_for_an_organization_that_requires_sso(client, db) -> None:
    person_at(sso_org(require_sso=True), "ada@acme.example")
    response = client.post("/accounts/login/", {"login": "ada@acme.example", "password": PASSWORD})
    assert response.status_code == 200
    assert "signs in through its single sign-on" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_sign_in_works_when_sso_is_offered_but_not_required(client, db) -> None:
    person_at(sso_org(require_sso=False), "ada@acme.example")
    response = client.post("/accounts/login/", {"login": "ada@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_other_organizations_sign_in_with_passwords_as_before(client, db) -> None:
    sso_org(require_sso=True)
    person_at(make_org("Northwind", ["northwind.example"]), "carla@northwind.example")
    response = client.post(
        "/accounts/login/", {"login": "carla@northwind.example", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_the_sign_in_page_lists_no_organizations_provider(client, db) -> None:
    sso_org(require_sso=False)
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with your organization&#x27;s single sign-on" in page or (
        "Sign in with your organization's single sign-on" in page
    )
    assert "Acme" not in page and "login.acme.example" not in page


def test_the_sso_page_says_when_an_address_has_no_provider(client, db) -> None:
    sso_org(require_sso=False)
    response = client.post("/accounts/sso/", {"email": "x@elsewhere.example"})
    assert response.status_code == 404
    assert "not set up for that address" in response.content.decode()
    # The provider's address does not resolve here: said so, not a server error.
    response = client.post("/accounts/sso/", {"email": "ada@acme.example"})
    assert response.status_code == 502
    assert "could not be reached" in response.content.decode()


def test_the_sso_page_limits_attempts_per_address_and_per_client(client, db, settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"sso": "20/m/ip,5/m/key"}  # the shipped limits
    sso_org(require_sso=False)
    # The limits' counters outlive a test (Redis): this test's own client and addresses.
    ip = f"198.51.100.{secrets.randbelow(250) + 1}"
    domain = f"elsewhere-{secrets.token_hex(4)}.example"

    def ask(email: str) -> Any:
        return client.post("/accounts/sso/", {"email": email}, REMOTE_ADDR=ip)

    # Five tries for one address in a minute, then a clear refusal (no provider is asked).
    assert [ask(f"x@{domain}").status_code for _ in range(6)] == [404] * 5 + [429]
    refused = ask(f"X@{domain.upper()}")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    # From one client, twenty a minute: walking a list of domains is slow.
    others = [ask(f"x@{n}.{domain}").status_code for n in range(20)]
    assert others == [404] * 13 + [429] * 7
