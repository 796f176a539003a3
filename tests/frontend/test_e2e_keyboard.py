"""The keyboard in real Chromium (issue 17): a room used without a mouse.

The message list is one Tab stop with arrow keys between messages, actions
by key, Escape that closes what it should and gives the focus back, Up that
edits your last message, and Ctrl+K that switches rooms. At phone width the
notifications popover stays on screen.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from rooms.actions.messages import check_send_message
from tests.conftest import Team
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    composer,
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY


def say(person: Any, room: Any, body: str) -> None:
    off_loop(check_send_message, person, room_id=room.pk, client_id=uuid.uuid4().hex, body=body)


def focused_message(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement.closest('li.msg')?.innerText ?? ''"))


def test_the_message_list_is_one_tab_stop_with_arrows_and_actions_by_key(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    for n in range(1, 13):
        say(t.client_member if n % 2 else t.supplier_member, t.shared, f"Update number {n}")
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    page = sue.open_room(t.shared)
    expect(page.locator("#messages .msg")).to_have_count(12)

    # From the top of the page to the composer: the twelve messages (and their
    # ~60 buttons) are a single stop.
    page.locator("body").focus()
    page.evaluate("() => document.activeElement.blur()")
    stops_in_messages = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        inside = page.evaluate("() => !!document.activeElement.closest('#messages')")
        stops_in_messages += 1 if inside else 0
        if page.evaluate("() => document.activeElement.matches('#composer-slot textarea')"):
            break
    expect(composer(page)).to_be_focused()
    assert stops_in_messages == 1

    # Back into the list: it starts at the latest message; arrows move.
    page.keyboard.press("Shift+Tab")
    while "Update number" not in focused_message(page):
        page.keyboard.press("Shift+Tab")
    assert "Update number 12" in focused_message(page)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert "Update number 10" in focused_message(page)
    page.keyboard.press("Home")
    assert "Update number 1\n" in focused_message(page) + "\n"
    page.keyboard.press("End")
    assert "Update number 12" in focused_message(page)
    screenshot(page, "keyboard-message-focused")

    # r replies in the thread; Escape closes the panel and focus comes back.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("r")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-title")).to_contain_text("Thread")
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    assert "Update number 11" in focused_message(page)

    # Delete arms "Confirm delete"; Escape takes it back and deletes nothing.
    page.keyboard.press("ArrowDown")  # Sue's own message 12
    page.keyboard.press("Delete")
    armed = message(page, "Update number 12").locator("button.armed")
    expect(armed).to_have_text("Confirm delete")
    page.keyboard.press("Escape")
    expect(armed).to_have_count(0)
    expect(message(page, "Update number 12")).not_to_have_class("deleted")

    # p opens the author's card, + the reaction picker; Escape closes each.
    page.keyboard.press("Escape")  # from the Delete button back to the message
    page.keyboard.press("ArrowUp")  # Cleo's message 11
    page.keyboard.press("p")
    card = page.locator(".person-card")
    expect(card).to_contain_text(t.client_member.display_name)
    page.keyboard.press("Escape")
    expect(card).to_have_count(0)
    page.keyboard.press("Escape")  # from the name back to the message
    assert "Update number 11" in focused_message(page)
    page.keyboard.press("+")
    picker = message(page, "Update number 11").locator(".reaction-picker")
    expect(picker).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    page.keyboard.press("Escape")
    assert "Update number 11" in focused_message(page)
    page.keyboard.press("ArrowDown")

    # Enter steps into the message's buttons; Escape goes back to the message.
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Escape")
    assert "Update number 12" in focused_message(page)


def test_up_in_an_empty_composer_edits_your_last_message(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    say(t.supplier_member, t.shared, "Trucks at 9")
    say(t.client_member, t.shared, "Thanks")
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)
    box = composer(page)
    box.focus()
    box.press("ArrowUp")
    editor = page.locator("#messages textarea.edit-input")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Trucks at 9")
    editor.fill("Trucks at 10")
    editor.press("Enter")
    expect(message(cleo_page, "Trucks at 10")).to_contain_text("(edited)")
    # The focus is back in the composer, ready for the next message.
    expect(box).to_be_focused()
    # Text in the box: Up is just a caret movement.
    box.fill("line one\nline two")
    box.press("ArrowUp")
    expect(page.locator("textarea.edit-input")).to_have_count(0)


def test_ctrl_k_switches_rooms_by_name(live_team: Team, servers: Any, sessions: Any) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    page = sue.open_room(t.shared)
    composer(page).focus()
    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Room name")
    expect(box).to_be_focused()
    page.keyboard.type("supp int")
    expect(page.locator("#switch-list [role=option]")).to_have_count(1)
    expect(page.locator("#switch-list [aria-selected=true]")).to_contain_text(
        t.supplier_internal.name
    )
    screenshot(page, "keyboard-switch-rooms")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/rooms/{t.supplier_internal.pk}/")
    expect(page.locator("#room-name")).to_have_text(t.supplier_internal.name)
    # Escape closes it and gives the focus back.
    composer(page).focus()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    expect(composer(page)).to_be_focused()


def test_the_notifications_popover_stays_on_a_phone_screen(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_member)
    cleo = sessions(servers[0], t.client_member, PHONE)
    page = cleo.open_room(t.shared)
    page.locator("#bell").click()
    popover = page.locator("#notif-panel")
    expect(popover).to_be_visible()
    box = popover.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "phone-notifications")


def test_escalation_banners_take_one_line_on_a_phone(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    from rooms.actions.escalations import check_escalate
    from rooms.actions.workitems import check_create_work_item

    t = live_team
    prepare_for_browser(t.client_member)

    def escalate(title: str, severity: str) -> None:
        item = check_create_work_item(t.client_member, room_id=t.shared.pk, title=title)
        check_escalate(
            t.client_member,
            room_id=t.shared.pk,
            item_id=item.pk,
            severity=severity,
            reason="The line stops on Friday without these parts and nobody has confirmed",
        )

    off_loop(escalate, "Confirm the March allocation of bearings for line 4", "S1")
    off_loop(escalate, "Replace the damaged pallets", "S2")
    cleo = sessions(servers[0], t.client_member, PHONE)
    page = cleo.open_room(t.shared)
    banners = page.locator("#escalations .esc-banner")
    expect(banners).to_have_count(2)
    expect(banners.first).to_be_visible()
    expect(banners.nth(1)).to_be_hidden()
    screenshot(page, "phone-escalation-banners")
    one_line = banners.first.bounding_box()
    assert one_line is not None and one_line["height"] < 48
    # Nothing of it runs off the screen: the clock and "+1 more" are on it.
    more = page.get_by_role("button", name="+1 more").bounding_box()
    assert more is not None and more["x"] + more["width"] <= PHONE["width"]
    assert one_line["x"] + one_line["width"] <= PHONE["width"]
    # The others open on request, still a line each.
    page.get_by_role("button", name="+1 more").click()
    expect(banners.nth(1)).to_be_visible()
    second = banners.nth(1).bounding_box()
    assert second is not None and second["height"] < 48
    page.get_by_role("button", name="Fewer").click()
    expect(banners.nth(1)).to_be_hidden()
