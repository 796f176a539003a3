"""The audit log in real Chromium (issue 18): an organization's admin reads, filters and
downloads it; a member finds no such page.

The admin's table shows who did what in words the server chose; a filter narrows the
table and the download alike; the CSV download has its header row and a name that a
spreadsheet would run as a formula is quoted. The filters and the table are reached by
keyboard, at desktop and phone width.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from playwright.sync_api import expect

from rooms.actions.files import check_set_file_policy
from tests.conftest import Team, make_internal_room, make_person
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    off_loop,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY

FORMULA_NAME = "=2+3 Mallory"


def seed(t: Team) -> Any:
    """Some of the supplier's own doings, one by a person whose name looks like a formula."""
    off_loop(check_set_file_policy, t.supplier_admin, uploads_allowed=True, kinds=["pdf"],
             max_bytes=None)  # fmt: skip
    mallory = off_loop(make_person, t.supplier, admin=True, name=FORMULA_NAME)
    off_loop(make_internal_room, mallory, name="Pricing 2027")
    # The client's own room: never in the supplier's log.
    off_loop(make_internal_room, t.client_admin, name="Client secret plans")
    return mallory


def test_an_admin_filters_the_audit_log_and_downloads_it_as_csv(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin)
    mallory = seed(t)
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    page = sam.page

    # From the home page, by its link.
    page.get_by_role("link", name="Audit log of Supplier").click()
    page.wait_for_url(sam.url("/organization/audit/"))
    rows = page.locator("#audit-rows tr[data-entry]")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Changed the file policy")
    expect(table).to_contain_text("Created a room")
    expect(table).to_contain_text(t.supplier_admin.email)
    expect(table).not_to_contain_text("Client secret plans")
    expect(page.get_by_role("columnheader", name="Who")).to_be_visible()
    # The data names one's own people by name (Sue was added to rooms, did nothing herself).
    expect(page.locator("#audit-rows dd", has_text="Sue Supplier").first).to_be_visible()
    screenshot(page, "audit-desktop")

    # By keyboard: the filters, the button and the downloads, in that order.
    page.get_by_label("What").focus()
    page.get_by_label("What").select_option(label="Created a room")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Who")).to_be_focused()
    page.get_by_label("Who").select_option(str(mallory.pk))
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
        if reached[-1] == "Show":
            break
    assert reached[-1] == "Show", reached
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(FORMULA_NAME)
    expect(rows.first).to_contain_text("Pricing 2027")
    expect(page).to_have_url(
        f"{sam.url('/organization/audit/')}?action=room.created&person={mallory.pk}"
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Download CSV")).to_be_focused()
    screenshot(page, "audit-desktop-filtered")

    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.startswith("audit-supplier-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as file:
        got = list(csv.reader(io.StringIO(file.read())))
    assert got[0][:6] == [
        "id",
        "when_utc",
        "actor_name",
        "actor_email",
        "actor_organization",
        "action",
    ]
    # The filters were the table's: Mallory's one room, with the formula quoted.
    assert len(got) == 2, got
    assert got[1][2] == f"'{FORMULA_NAME}"
    assert got[1][5:7] == ["room.created", "Created a room"]
    assert "Pricing 2027" in got[1][9]

    # The download is itself on the record, at the top of the unfiltered log.
    page.goto(sam.url("/organization/audit/"))
    expect(rows.first).to_contain_text("Exported the audit log")


def test_the_audit_log_at_phone_width_and_a_member_finds_no_page(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin, t.supplier_member)
    seed(t)
    sam = sessions(servers[0], t.supplier_admin, PHONE)
    page = sam.page
    page.goto(sam.url("/organization/audit/"))
    expect(page.locator("#audit-rows")).to_contain_text("Changed the file policy")
    expect(page.get_by_role("button", name="Show")).to_be_visible()
    # Nothing wider than the screen but the table, which scrolls in its own card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "audit-phone")

    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    answer = sue.page.goto(sue.url("/organization/audit/"))
    assert answer is not None and answer.status == 404
    sue.page.goto(sue.url("/"))
    expect(sue.page.get_by_role("link", name="Audit log of Supplier")).to_have_count(0)
