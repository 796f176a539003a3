"""Exporting a room in real Chromium (issue 18): an admin asks from the room settings panel,
follows the progress, and downloads the ZIP."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from playwright.sync_api import expect

from rooms.actions.exports import run_next_export
from tests.conftest import Team, say
from tests.frontend.axe import serious_violations
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    off_loop,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY


def test_an_admin_exports_a_room_follows_its_progress_and_downloads_the_zip(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    off_loop(say, t.client_member, t.shared, "Lot 7 passed <inspection>")
    prepare_for_browser(t.supplier_admin, t.supplier_member)
    page = sessions(servers[0], t.supplier_admin, DESKTOP).open_room(t.shared)

    page.get_by_role("button", name="Room settings").click()
    panel = page.locator("#panel")
    expect(panel.locator("#panel-title")).to_have_text("Room settings")
    button = panel.get_by_role("button", name="Export this room")
    # Keyboard reachable: focus it and press Enter.
    button.focus()
    page.keyboard.press("Enter")
    expect(panel.locator("#room-export-status")).to_have_text("Export queued…")
    expect(panel.get_by_role("progressbar", name="Export")).to_be_visible()
    screenshot(page, "export-queued")

    # Closing the panel stops nothing: opened again, it follows the export still queued.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Room settings").click()
    expect(panel.locator("#room-export-status")).to_have_text("Export queued…")
    expect(panel.get_by_role("button", name="Export this room")).to_be_disabled()

    # The worker (a separate process in production) builds it; the panel polls.
    off_loop(run_next_export)
    link = panel.get_by_role("link", name="Download the ZIP")
    expect(link).to_be_visible()
    expect(panel.locator("#room-export-status")).to_have_text("The export is ready.")
    screenshot(page, "export-ready")
    assert serious_violations(page) == []

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert {"room.json", "room.html"} <= set(archive.namelist())
    data = json.loads(archive.read("room.json"))
    assert "Lot 7 passed <inspection>" in [m["body"] for m in data["messages"]]
    assert "Lot 7 passed &lt;inspection&gt;" in archive.read("room.html").decode()

    # The room's past exports stay listed, with their download while it is kept.
    past = panel.get_by_role("list", name="Past exports")
    expect(past.get_by_role("link", name="Download")).to_have_count(1)
    past.scroll_into_view_if_needed()
    screenshot(page, "export-past")


def test_a_member_who_is_not_an_admin_is_not_offered_an_export(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member)
    page = sessions(servers[0], t.supplier_member, DESKTOP).open_room(t.shared)
    page.get_by_role("button", name="Room settings").click()
    panel = page.locator("#panel")
    expect(panel.locator("#panel-title")).to_have_text("Room settings")
    expect(panel.get_by_role("button", name="Export this room")).to_have_count(0)
