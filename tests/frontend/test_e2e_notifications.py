"""Being told, in real Chromium: a supplier person and a client person side by side.

A mention in another room shows a toast and a bell entry that opens the
message; a muted room tells nothing; do-not-disturb keeps everything in the
bell without a toast. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import Team
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    message,
    prepare_for_browser,
    screenshot,
    send,
)

pytestmark = BROWSER_JOURNEY


def test_a_mention_in_another_room_comes_as_a_toast_and_a_bell_entry_that_opens_it(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    cleo = sessions(servers[0], t.client_member, DESKTOP)
    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    page = cleo.open_room(t.client_internal)
    sue_page = sue.open_room(t.shared)

    send(sue_page, f"@{t.client_member.handle} can you confirm the 12k forecast?")
    toast = page.locator(".toast", has_text="Sue Supplier mentioned you in Shared")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("can you confirm the 12k forecast?")
    expect(page.locator("#bell-count")).to_have_text("1")
    expect(page).to_have_title("(1) Client internal · Causeway")
    screenshot(page, "notification-toast")

    page.locator("#bell").click()
    entry = page.locator("#notif-list li", has_text="mentioned you")
    expect(entry).to_be_visible()
    screenshot(page, "notification-bell")
    entry.locator("a").click()
    page.wait_for_url("**/rooms/*/?message=*")
    linked = page.locator("#messages .msg.linked")
    expect(linked).to_contain_text("can you confirm the 12k forecast?")
    expect(page.locator("#bell-count")).to_be_hidden()

    # Your own mention of yourself, or your own message, tells you nothing.
    send(page, "Checking now")
    expect(message(sue_page, "Checking now")).to_be_visible()
    expect(sue_page.locator("#bell-count")).to_be_hidden()


def test_a_muted_room_tells_nothing_and_the_badge_still_counts(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    cleo = sessions(servers[0], t.client_member, PHONE)
    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    page = cleo.open_room(t.shared)
    page.get_by_label("Notify me of").select_option("none")
    expect(page.locator(".toast", has_text="Muted")).to_be_visible()
    screenshot(page, "room-muted-phone")
    page.goto(cleo.url("/"))
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")

    sue_page = sue.open_room(t.shared)
    send(sue_page, f"@{t.client_member.handle} muted rooms stay quiet")
    # The room's own unread badge counts it (what is unread does not change) ...
    badge = page.locator(f'[data-unread="{t.shared.pk}"]').first
    expect(badge).to_have_text("1")
    # ... but nothing is announced and the bell stays empty.
    expect(page.locator(".toast")).to_have_count(0)
    expect(page.locator("#bell-count")).to_be_hidden()


def test_do_not_disturb_keeps_notifications_in_the_bell_without_a_toast(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    cleo = sessions(servers[0], t.client_member, DESKTOP)
    page = cleo.page
    page.goto(cleo.url("/profile/"))
    # The time zone is the profile's; quiet hours follow it.
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save", exact=True).click()
    settings = page.locator("#notification-settings")
    expect(settings).to_contain_text("Quiet hours are on your clock: Asia/Tokyo")
    settings.get_by_label("Do not disturb between").check()
    # The same start and end: all day.
    settings.get_by_label("From").fill("00:00")
    settings.get_by_label("Until").fill("00:00")
    settings.get_by_label("Replies in threads you follow").uncheck()
    settings.get_by_role("button", name="Save notification settings").click()
    expect(settings.get_by_role("status")).to_have_text("Saved. Do not disturb is on now.")
    page.reload()
    expect(settings.get_by_label("Replies in threads you follow")).not_to_be_checked()
    expect(settings.get_by_label("Mentions of you")).to_be_checked()
    settings.get_by_role("button", name="Save notification settings").scroll_into_view_if_needed()
    screenshot(page, "notification-settings")

    page.goto(cleo.url("/"))
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    send(sue.open_room(t.shared), f"@{t.client_member.handle} late-night question")
    expect(page.locator("#bell-count")).to_have_text("1")
    expect(page.locator(".toast")).to_have_count(0)
