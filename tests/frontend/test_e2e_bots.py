"""Bots and incoming webhooks on the organization page, in real Chromium: an admin makes a
bot token and a webhook (rooms chosen, none in advance; each secret shown once, with a copy
button), a script uses them, their messages show live in the room as "Name (bot)", and
the admin revokes the token."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import expect

from rooms.models.bots import BotToken
from tests.conftest import Team
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    message,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY


def post_json(url: str, body: dict[str, Any], token: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_an_admin_makes_a_bot_and_a_webhook_uses_them_and_revokes_the_bot(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_admin, t.client_member)
    cal = sessions(servers[0], t.client_admin, DESKTOP)
    page = cal.page
    page.goto(cal.url("/organization/"))
    section = page.locator("#bots")
    expect(section.get_by_role("heading", name="Bots and incoming webhooks")).to_be_visible()
    expect(section.get_by_text("No bot tokens.")).to_be_visible()
    expect(section.get_by_text("No incoming webhooks.")).to_be_visible()

    # The rooms offered: the admin's internal rooms only, none chosen in advance.
    rooms = section.locator("#bot-token-rooms input[type=checkbox]")
    expect(rooms).to_have_count(1)
    expect(rooms.first).not_to_be_checked()
    expect(section.locator("#bot-token-rooms")).not_to_contain_text("Shared")
    page.get_by_label("Bot name").fill("Deploy")
    section.get_by_role("button", name="Create bot token").click()
    expect(page.locator("#bots-error")).to_contain_text("Choose at least one room")
    page.get_by_label("Client internal").check()
    section.get_by_role("button", name="Create bot token").click()
    secret = page.locator("#bots-secret-value")
    expect(secret).to_have_value(re.compile(r"^cw_bot_[A-Za-z0-9_-]{40,}$"))
    token = secret.input_value()
    expect(section.get_by_role("button", name="Copy")).to_be_visible()
    screenshot(page, "bots-token-shown-once")
    section.get_by_role("button", name="Done").click()
    expect(page.locator("#bots-secret")).to_be_hidden()
    row = section.locator("#bot-token-list .bot-row")
    expect(row).to_contain_text("Deploy (bot)")
    expect(row).to_contain_text("Rooms: Client internal")
    expect(row).to_contain_text("Last used: never")
    assert token not in page.content()

    # The webhook: its room is chosen, never preselected.
    select = page.get_by_label("Room it posts into")
    expect(select).to_have_value("")
    page.get_by_label("Name its messages show").fill("CI")
    section.get_by_role("button", name="Create incoming webhook").click()
    expect(page.locator("#bots-error")).to_contain_text("Choose the room")
    select.select_option(label="Client internal")
    section.get_by_role("button", name="Create incoming webhook").click()
    url = page.locator("#bots-secret-value").input_value()
    assert "/hooks/in/" in url
    section.get_by_role("button", name="Done").click()
    expect(section.locator("#bot-hook-list .bot-row")).to_contain_text("CI (bot)")

    # A colleague in the room sees what the script and the webhook post, live.
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    room_page = cleo.open_room(t.client_internal)
    messages_url = f"{servers[0].origin}/api/rooms/{t.client_internal.id}/messages/"
    assert post_json(messages_url, {"client_id": "e2e-1", "body": "Deployed **v2**"}, token) == 201
    assert post_json(url, {"text": "Build 42 is green", "username": "Jenkins"}) == 200
    expect(message(room_page, "Deployed v2")).to_contain_text("Deploy (bot)")
    expect(message(room_page, "Build 42 is green")).to_contain_text("CI (bot)")
    expect(message(room_page, "Build 42 is green")).to_contain_text("Jenkins (via CI)")
    screenshot(room_page, "bots-messages-in-room")

    # Revoked: the row goes, and the token stops at once.
    page.reload()
    expect(row).not_to_contain_text("Last used: never")
    revoke = row.get_by_role("button", name="Revoke the token Deploy")
    revoke.click()
    expect(revoke).to_have_text("Confirm revoke")
    revoke.click()
    expect(section.get_by_text("No bot tokens.")).to_be_visible()
    assert post_json(messages_url, {"client_id": "e2e-2", "body": "after"}, token) == 401
    assert BotToken.objects.get(organization=t.client).revoked_at is not None


def test_the_section_fits_a_phone(live_team: Team, servers: Any, sessions: Any) -> None:
    t = live_team
    prepare_for_browser(t.client_admin)
    cal = sessions(servers[0], t.client_admin, PHONE)
    page = cal.page
    page.goto(cal.url("/organization/"))
    section = page.locator("#bots")
    section.scroll_into_view_if_needed()
    page.get_by_label("Name its messages show").fill("CI")
    page.get_by_label("Room it posts into").select_option(label="Client internal")
    section.get_by_role("button", name="Create incoming webhook").click()
    expect(page.locator("#bots-secret-value")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "bots-phone")
