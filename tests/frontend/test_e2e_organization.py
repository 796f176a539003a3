"""The organization settings page in real Chromium (issue 18): an admin governs their
own side. They add a verified domain (and are told when another organization has
it), make a colleague an admin, are refused stepping down as the last admin,
and deactivate someone after confirming; the new admin opens the page at phone
width; to a member the page does not exist."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from hub.models import User
from tests.conftest import Team, make_person
from tests.frontend.conftest import BROWSER_JOURNEY, DESKTOP, PHONE, prepare_for_browser, screenshot

pytestmark = BROWSER_JOURNEY


def person_row(page: Any, name: str) -> Any:
    return page.locator(".org-person", has_text=name)


def test_an_admin_adds_a_domain_makes_an_admin_is_refused_the_last_admin_and_deactivates(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    dan = make_person(t.client, name="Dan Departing")
    User.objects.filter(pk=t.client_member.pk).update(title="Buyer")
    prepare_for_browser(t.client_admin, t.client_member, t.supplier_member)
    cal = sessions(servers[0], t.client_admin, DESKTOP)
    page = cal.page

    # From the top bar, by keyboard.
    link = page.get_by_role("navigation", name="Account").get_by_role("link", name="Organization")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(cal.url("/organization/"))
    expect(page.get_by_role("heading", name="Client", exact=True)).to_be_visible()

    # A domain, typed and submitted with Enter: normalised and listed.
    domains = page.locator("#domain-list")
    box = page.get_by_label("Add a domain")
    box.fill("@Client-Corp.Example")
    box.press("Enter")
    expect(domains).to_contain_text("client-corp.example")
    expect(box).to_have_value("")
    # The supplier's domain: refused, without naming the supplier.
    box.fill(t.supplier.verified_domains[0])
    box.press("Enter")
    alert = page.locator("#domain-error")
    expect(alert).to_have_text("That domain is verified by another organization.")
    expect(domains).not_to_contain_text(t.supplier.verified_domains[0])

    # The last admin cannot step down.
    me = person_row(page, "(you)")
    me.get_by_role("button", name="Step down as admin").click()
    expect(page.locator("#people-error")).to_contain_text("last admin")
    assert User.objects.get(pk=t.client_admin.pk).is_org_admin

    # Cleo becomes an admin.
    cleo_row = person_row(page, "Cleo Client")
    expect(cleo_row).to_contain_text("Buyer")
    cleo_row.get_by_role("button", name="Make admin").click()
    expect(page.locator("#people-status")).to_have_text("Cleo Client is now an admin.")
    expect(person_row(page, "Cleo Client").locator(".role-badge.admin")).to_have_text("Admin")

    # Dan is deactivated: the first press only asks, the second does it.
    deactivate = person_row(page, "Dan Departing").get_by_role(
        "button", name="Deactivate Dan Departing"
    )
    deactivate.focus()
    page.keyboard.press("Enter")
    expect(deactivate).to_have_text("Confirm deactivate")
    assert User.objects.get(pk=dan.pk).is_active
    page.keyboard.press("Enter")
    expect(page.locator("#people-status")).to_have_text("Dan Departing is deactivated.")
    expect(page.get_by_role("heading", name="People")).to_be_focused()
    expect(person_row(page, "Dan Departing")).to_contain_text("Deactivated")
    expect(person_row(page, "Dan Departing").get_by_role("button")).to_have_count(0)
    assert not User.objects.get(pk=dan.pk).is_active
    screenshot(page, "organization-admin")

    # The new admin, on a phone: the top bar's links are hidden there; the home page has one.
    cleo = sessions(servers[1], t.client_member, PHONE)
    settings_link = cleo.page.get_by_role("link", name="Verified domains and people")
    settings_link.scroll_into_view_if_needed()
    screenshot(cleo.page, "organization-link-home-phone")
    settings_link.click()
    cleo.page.wait_for_url(cleo.url("/organization/"))
    expect(person_row(cleo.page, "Cal Client-Admin")).to_contain_text("Admin")
    expect(cleo.page.locator("#domain-list")).to_contain_text("client-corp.example")
    width = cleo.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    screenshot(cleo.page, "organization-admin-phone")
    person_row(cleo.page, "Dan Departing").scroll_into_view_if_needed()
    screenshot(cleo.page, "organization-people-phone")


def test_the_organization_page_does_not_exist_for_a_member(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    account = sue.page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Profile")).to_be_visible()
    expect(account.get_by_role("link", name="Organization")).to_have_count(0)
    response = sue.page.goto(sue.url("/organization/"))
    assert response is not None and response.status == 404
    api = sue.page.request.get(sue.url("/api/organization/"))
    assert api.status == 404
    assert re.search(r'"code": ?"not_found"', api.text())


def test_an_admin_registers_requires_and_removes_the_identity_provider(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    from allauth.socialaccount.models import SocialApp

    t = live_team
    prepare_for_browser(t.client_admin)
    cal = sessions(servers[0], t.client_admin, DESKTOP)
    page = cal.page
    page.goto(cal.url("/organization/"))
    section = page.locator("#org-sso")
    expect(section).to_contain_text("No identity provider")

    # A plain-http issuer elsewhere than this machine is refused.
    page.get_by_label("Issuer URL").fill("http://login.client.example")
    page.get_by_label("Client ID").fill("causeway")
    page.get_by_label("Client secret").fill("s3cret-value")
    page.get_by_role("button", name="Save identity provider").click()
    expect(page.locator("#sso-error")).to_contain_text("https://")

    page.get_by_label("Issuer URL").fill("https://login.client.example")
    page.get_by_label("Require single sign-on").check()
    page.get_by_role("button", name="Save identity provider").click()
    expect(page.locator("#sso-status")).to_have_text("The identity provider is saved.")
    expect(section).to_contain_text("Single sign-on is required.")
    expect(page.locator("#sso-callback")).to_contain_text("/login/callback/")
    # The secret is not sent back to the page: the field is empty, marked as set.
    expect(page.get_by_label("Client secret")).to_have_value("")
    expect(page.get_by_label("Client secret")).to_have_attribute("placeholder", re.compile("set"))
    assert "s3cret-value" not in page.content()
    app = SocialApp.objects.get(identity_provider__organization=t.client)
    assert app.secret == "s3cret-value"
    screenshot(page, "organization-identity-provider")

    # Someone joins through it (no password, as allauth makes them).
    t.client_member.set_unusable_password()
    t.client_member.save(update_fields=["password"])
    # Reloaded: still there, from the server, with who would need a password without it.
    page.reload()
    expect(page.get_by_label("Issuer URL")).to_have_value("https://login.client.example")
    expect(page.get_by_label("Require single sign-on")).to_be_checked()
    expect(page.locator("#sso-passwordless")).to_contain_text("1 person signs in only through it")

    remove = page.get_by_role("button", name="Remove the identity provider")
    remove.click()
    remove.click()
    expect(page.locator("#sso-status")).to_have_text(
        "The identity provider is removed. The people who signed in only through it set a"
        " password with “Forgot your password?”."
    )
    expect(section).to_contain_text("No identity provider")
    assert not SocialApp.objects.exists()
