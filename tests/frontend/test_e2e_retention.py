"""Retention and legal hold on the organization page in real Chromium: an admin sets the
two periods (shortening is confirmed first), places a hold on a person and lifts one."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from rooms.models.retention import LegalHold, RetentionPolicy
from tests.conftest import Team
from tests.frontend.conftest import BROWSER_JOURNEY, DESKTOP, PHONE, prepare_for_browser, screenshot

pytestmark = BROWSER_JOURNEY


def test_an_admin_sets_retention_after_confirming_and_places_and_lifts_a_hold(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_admin, t.client_member)
    cal = sessions(servers[0], t.client_admin, DESKTOP)
    page = cal.page
    page.goto(cal.url("/organization/"))
    section = page.locator("#org-retention")
    expect(section.get_by_role("heading", name="Retention and legal hold")).to_be_visible()
    expect(section.get_by_text("No legal holds.")).to_be_visible()

    # Shortening from forever asks first; cancelling keeps forever.
    shared = page.get_by_label("Days to keep messages in shared rooms")
    internal = page.get_by_label("Days to keep messages in internal rooms")
    shared.fill("365")
    internal.fill("90")
    section.get_by_role("button", name="Save retention").click()
    dialog = page.get_by_role("dialog", name="Shorten retention?")
    expect(dialog).to_be_visible()
    screenshot(page, "retention-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert not RetentionPolicy.objects.filter(organization=t.client).exists()
    section.get_by_role("button", name="Save retention").click()
    page.get_by_role("button", name="Shorten and remove older messages").click()
    expect(page.locator("#retention-status")).to_have_text("Retention saved.")
    policy = RetentionPolicy.objects.get(organization=t.client)
    assert (policy.shared_days, policy.internal_days) == (365, 90)

    # Keeping longer needs no confirmation; a bad number is refused on the page.
    shared.fill("")
    section.get_by_role("button", name="Save retention").click()
    expect(page.locator("#retention-status")).to_have_text("Retention saved.")
    internal.fill("0")
    section.get_by_role("button", name="Save retention").click()
    expect(page.locator("#retention-error")).to_contain_text("from 1 to 36500")
    internal.fill("90")

    # A hold on Cleo, then one on the whole organization, which is lifted.
    page.get_by_label("Hold", exact=True).select_option("person")
    page.get_by_label("Person").select_option(label="Cleo Client")
    page.get_by_label("Reason").fill("Case 4711")
    section.get_by_role("button", name="Place hold").click()
    holds = page.locator("#hold-list")
    expect(holds).to_contain_text("Cleo Client's messages (Case 4711)")
    page.get_by_label("Hold", exact=True).select_option("organization")
    section.get_by_role("button", name="Place hold").click()
    expect(holds.locator("li")).to_have_count(2)
    screenshot(page, "retention-holds")
    lift = holds.get_by_role("button", name="Lift the hold: The whole organization")
    lift.click()
    expect(lift).to_have_text("Confirm lift")
    lift.click()
    expect(holds.locator("li")).to_have_count(1)
    active = LegalHold.objects.filter(organization=t.client, lifted_at__isnull=True)
    assert [h.person_id for h in active] == [t.client_member.id]

    # At phone width the section fits.
    phone = sessions(servers[1], t.client_admin, PHONE)
    phone.page.goto(phone.url("/organization/"))
    phone.page.locator("#org-retention").scroll_into_view_if_needed()
    expect(phone.page.get_by_label("Days to keep messages in internal rooms")).to_have_value("90")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    screenshot(phone.page, "retention-phone")
