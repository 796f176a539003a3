"""axe-core finds no serious or critical WCAG 2 A/AA violation on the pages people use.

Sign-in, home, a room with messages (and a thread open), its board, at desktop
and phone width; my work, the profile, the organization settings, a room's
settings and a person card at desktop width; in real Chromium against a real Daphne.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from rooms.actions.workitems import check_create_work_item
from tests.conftest import Team
from tests.frontend.axe import serious_violations
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    off_loop,
    prepare_for_browser,
    send,
)

pytestmark = BROWSER_JOURNEY


def test_the_sign_in_page_has_no_serious_violations(servers: Any, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{servers[0].origin}/accounts/login/")
        expect(page.get_by_label("Email")).to_be_visible()
        assert serious_violations(page) == []
        # The way to single sign-on: an address first.
        page.goto(f"{servers[0].origin}/accounts/sso/")
        expect(page.get_by_label("E-mail address")).to_be_visible()
        assert serious_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_home_room_thread_and_board_have_no_serious_violations(
    live_team: Team, servers: Any, sessions: Any, viewport: dict
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    item = off_loop(
        check_create_work_item,
        t.client_member,
        room_id=t.shared.pk,
        title="Confirm the March allocation",
        labels=["allocation"],
    )
    sue = sessions(servers[0], t.supplier_member, viewport)
    page = sue.page
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    found = {"home": serious_violations(page)}

    page = sue.open_room(t.shared)
    send(page, "Pallets leave **Tuesday**; see the [plan](https://example.com/plan).")
    expect(page.locator("#messages .msg")).not_to_have_count(0)
    found["room"] = serious_violations(page)

    page.locator("#tab-board").click()
    expect(page.locator("#board")).to_contain_text("Confirm the March allocation")
    found["board"] = serious_violations(page)

    # The work item open in the side panel (its thread and details).
    page = sue.open_room(t.shared, f"?item={item.pk}")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel")).to_contain_text("Confirm the March allocation")
    found["work item"] = serious_violations(page)

    # The members panel and the search dialog.
    page = sue.open_room(t.shared, "?panel=members")
    expect(page.locator("#panel")).to_contain_text(t.client_member.display_name)
    found["members"] = serious_violations(page)
    page.keyboard.press("Escape")
    page.locator("#scroller").focus()
    page.keyboard.press("/")
    page.keyboard.type("Tuesday")
    expect(page.get_by_role("dialog")).to_contain_text("Tuesday")
    found["search"] = serious_violations(page)

    assert {name: problems for name, problems in found.items() if problems} == {}


def test_my_work_profile_org_pages_room_settings_and_a_person_card_have_no_serious_violations(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin, t.client_member)
    off_loop(
        check_create_work_item,
        t.client_member,
        room_id=t.shared.pk,
        title="Send the audit report",
        assignee=t.supplier_admin.pk,
    )
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    page = sam.page
    found = {}

    page.goto(sam.url("/work/"))
    expect(page.locator("main")).to_contain_text("Send the audit report")
    found["my work"] = serious_violations(page)

    page.goto(sam.url("/profile/"))
    expect(page.get_by_label("Time zone")).to_be_visible()
    found["profile"] = serious_violations(page)

    page.goto(sam.url("/organization/"))
    expect(page.get_by_label("Add a domain")).to_be_visible()
    expect(page.locator(".org-person", has_text=t.supplier_member.display_name)).to_be_visible()
    found["organization"] = serious_violations(page)

    page.goto(sam.url("/organization/audit/"))
    expect(page.locator("#audit-rows")).to_contain_text("Created a room")
    found["audit log"] = serious_violations(page)

    page = sam.open_room(t.shared, "?panel=members")
    page.locator("#panel [data-card-person]", has_text=t.client_member.display_name).click()
    expect(page.locator(".person-card")).to_contain_text("Rooms you are both in")
    found["person card"] = serious_violations(page)
    page.keyboard.press("Escape")

    page.locator("#settings-button").click()
    expect(page.locator("#panel")).to_be_visible()
    found["room settings"] = serious_violations(page)

    assert {name: problems for name, problems in found.items() if problems} == {}
