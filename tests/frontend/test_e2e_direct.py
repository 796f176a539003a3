"""Direct conversations in real Chromium (issue 17): a supplier person and a client person.

Sue starts a conversation with Cleo from the home page's people picker; Cleo
sees it at once, with a notice, and they chat. Neither side's admin, who is
not in it, sees anything of it.
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


def test_a_supplier_and_a_client_person_start_a_conversation_that_their_admins_cannot_see(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member, t.supplier_admin)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, PHONE)
    page, hers = sue.page, cleo.page

    page.get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    dialog.get_by_role("button", name="Start conversation").click()
    expect(dialog.locator(".form-error")).to_have_text("Pick one or two people first.")
    dialog.get_by_label("Find people").fill("Cleo")
    pick = dialog.get_by_label("Cleo Client")
    expect(dialog.locator("#direct-results li")).to_have_count(1)
    expect(dialog.locator("#direct-results")).to_contain_text("⇄ Client")
    pick.check()
    expect(dialog).to_contain_text("With Cleo Client.")
    screenshot(page, "new-conversation-picker")
    dialog.get_by_role("button", name="Start conversation").click()
    page.wait_for_url("**/rooms/*/")
    room_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.locator("#room-name")).to_have_text("Cleo Client")
    expect(page.locator(".room-head .scope")).to_have_text("Direct · with Client")
    expect(page.locator("#tab-board")).to_be_hidden()
    expect(page.locator("#members-button")).to_contain_text("online")

    # Cleo, on her phone's home page, has it at once, with a notice.
    toast = hers.locator(".toast", has_text="Sue Supplier started a conversation with you")
    expect(toast).to_be_visible()
    card = hers.locator(f'.home-rooms ul[data-group="direct"] a[data-room="{room_id}"]')
    expect(card).to_contain_text("Sue Supplier")
    card.click()
    expect(hers.locator("#members-button")).to_contain_text("online")
    send(page, "Can we talk about the March forecast before the call?")
    expect(message(hers, "Can we talk about the March forecast")).to_be_visible()
    send(hers, "Yes, 10 minutes before. Ours is 20% lower.")
    expect(message(page, "Ours is 20% lower.")).to_be_visible()
    expect(page.locator(".composer-scope")).to_have_text(
        "Direct conversation with people of Client: only the people in it see it."
    )
    screenshot(page, "direct-conversation-supplier")
    screenshot(hers, "direct-conversation-client-phone")

    # Starting it again opens the same conversation.
    hers.goto(cleo.url("/"))
    hers.get_by_role("button", name="New conversation").click()
    picker = hers.get_by_role("dialog", name="New conversation")
    picker.get_by_label("Find people").fill("Sue")
    picker.get_by_label("Sue Supplier").check()
    screenshot(hers, "new-conversation-picker-phone")
    picker.get_by_role("button", name="Start conversation").click()
    hers.wait_for_url(f"**/rooms/{room_id}/")

    # The supplier's admin is not in it: nothing of it anywhere, and its page is not found.
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    expect(sam.page.locator(f'a[data-room="{room_id}"]')).to_have_count(0)
    response = sam.page.goto(sam.url(f"/rooms/{room_id}/"))
    assert response is not None and response.status == 404
    answer = sam.page.request.get(sam.url(f"/api/rooms/{room_id}/messages/"))
    assert answer.status == 404
