"""Single sign-on in real Chromium against a real OpenID Connect provider (issue 18).

The provider is node's oidc-provider on loopback (tests/oidc/provider.mjs), with
its own development login form. Acme registered it; Northwind has none. A new
Acme person arrives through it and joins Acme; an existing one is signed into
their own account; a Northwind address, or one the provider has not verified,
is refused and nothing is created.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from playwright.sync_api import expect

from hub.identity import do_set_identity_provider
from hub.models import IdentityProvider, Organization, User
from tests.conftest import make_org, make_person
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PASSWORD,
    _unavailable,
    prepare_for_browser,
    screenshot,
)
from tests.live import DaphneProcess
from tests.oidc.server import CLIENT_ID, CLIENT_SECRET, OidcProvider, unavailable_reason

pytestmark = BROWSER_JOURNEY

# A fixed provider id, so the provider can know the callback URLs before the test.
PROVIDER_ID = "acme-sso-test"


@pytest.fixture(scope="module")
def oidc(servers: list[DaphneProcess]) -> Iterator[OidcProvider]:
    reason = unavailable_reason()
    if reason:
        _unavailable(reason)
    provider = OidcProvider(
        [f"{s.origin}/accounts/oidc/{PROVIDER_ID}/login/callback/" for s in servers]
    )
    yield provider
    provider.stop()


def acme_with_sso(oidc: OidcProvider) -> Organization:
    acme = make_org("Acme", ["acme.example"])
    make_org("Northwind", ["northwind.example"])
    do_set_identity_provider(
        None,
        acme,
        None,
        server_url=oidc.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        require_sso=False,
    )
    SocialApp.objects.filter(identity_provider__organization=acme).update(provider_id=PROVIDER_ID)
    return acme


def through_sso(page: Any, server: DaphneProcess, email: str, login: str) -> None:
    """From the sign-in page: the address, Continue, then the provider's own login form."""
    page.goto(f"{server.origin}/accounts/login/")
    page.get_by_role("link", name="Sign in with your organization's single sign-on").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.locator('input[name="login"]').wait_for()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_a_new_acme_person_arrives_through_acme_sso_and_an_existing_one_gets_their_account(
    servers: list[DaphneProcess], oidc: OidcProvider, browser: Any
) -> None:
    acme = acme_with_sso(oidc)
    carl = make_person(acme, name="Carl Existing", email="carl@acme.example")
    prepare_for_browser(carl)
    server = servers[0]

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{server.origin}/accounts/sso/")
    page.get_by_label("E-mail address").fill("ada@acme.example")
    screenshot(page, "sso-address")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{oidc.issuer}/**")
    page.locator('input[name="login"]').fill("ada")
    page.locator('input[name="password"]').fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{server.origin}/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    screenshot(page, "sso-home-new-person")
    ada = User.objects.get(email="ada@acme.example")
    assert ada.organization_id == acme.pk
    assert ada.org_role == User.OrgRole.MEMBER
    assert ada.display_name == "Ada Acme"
    assert SocialAccount.objects.filter(user=ada, provider=PROVIDER_ID).exists()
    context.close()

    # Carl has a password account already: the same account, now linked.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    through_sso(page, server, "carl@acme.example", "carl")
    page.wait_for_url(f"{server.origin}/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    assert User.objects.filter(email__iendswith="@acme.example").count() == 2
    assert SocialAccount.objects.get(provider=PROVIDER_ID, uid="carl").user_id == carl.pk
    assert User.objects.get(pk=carl.pk).display_name == "Carl Existing"
    context.close()


def test_acme_sso_refuses_a_northwind_address_and_an_unverified_one_creating_nothing(
    servers: list[DaphneProcess], oidc: OidcProvider, browser: Any
) -> None:
    acme = acme_with_sso(oidc)
    server = servers[0]
    # Carl's address is on Acme's domain, but his account is Northwind's.
    northwind = Organization.objects.get(name="Northwind")
    carl = make_person(northwind, name="Carl Elsewhere", email="carl@acme.example")
    prepare_for_browser(carl)
    people_before = User.objects.count()

    # Carla's provider account is on Northwind's domain: Acme's provider may not sign her in.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    through_sso(page, server, "ada@acme.example", "carla")
    alert = page.locator("#sso-error")
    expect(alert).to_contain_text("carla@northwind.example is not an address of Acme")
    screenshot(page, "sso-refused-other-organization")
    context.close()

    # Una's address is Acme's, but the provider has not verified it.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    through_sso(page, server, "una@acme.example", "una")
    expect(page.locator("#sso-error")).to_contain_text("has not verified your e-mail address")
    context.close()

    # Acme's provider vouches for carl@acme.example, whose account is Northwind's.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    through_sso(page, server, "carl@acme.example", "carl")
    expect(page.locator("#sso-error")).to_contain_text("belongs to another organization")
    context.close()
    assert User.objects.get(pk=carl.pk).organization_id == northwind.pk
    assert acme.pk != northwind.pk

    assert User.objects.count() == people_before
    assert not SocialAccount.objects.exists()


def test_when_acme_requires_sso_a_password_is_refused_with_a_clear_message(
    servers: list[DaphneProcess], oidc: OidcProvider, browser: Any
) -> None:
    acme = acme_with_sso(oidc)
    IdentityProvider.objects.filter(organization=acme).update(require_sso=True)
    ada = make_person(acme, name="Ada Acme", email="ada@acme.example")
    prepare_for_browser(ada)
    server = servers[0]

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{server.origin}/accounts/login/")
    page.get_by_label("Email").fill("ada@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("main")).to_contain_text("signs in through its single sign-on")
    screenshot(page, "sso-required-password-refused")
    assert page.url.startswith(f"{server.origin}/accounts/login/")

    # Through the provider instead: in.
    through_sso(page, server, "ada@acme.example", "ada")
    page.wait_for_url(f"{server.origin}/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    context.close()
