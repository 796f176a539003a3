"""Search and permalinks in real Chromium: a supplier person and a client person side by side.

Find an old decision deep in history with "/" and the keyboard, open it in
the room around it, page forward to the present while the partner writes;
copy a message's link and open it in the other person's browser; open a
thread reply from search on a phone. Screenshots go to test-artifacts/.
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
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
    send,
)

pytestmark = BROWSER_JOURNEY


def history(t: Team, before: int, decision: str, after: int) -> Any:
    """``before`` messages, the decision, ``after`` more: the decision is deep in history."""

    def write() -> Any:
        def say(person: Any, body: str, thread: int | None = None) -> Any:
            return check_send_message(
                person, room_id=t.shared.pk, client_id=uuid.uuid4().hex, body=body, thread=thread
            )[0]

        for n in range(before):
            say(t.client_member, f"Daily status {n}: line running")
        found = say(t.supplier_member, decision)
        for n in range(after):
            say(t.client_member, f"Later status {n}: line running")
        return found

    return off_loop(write)


def open_search(page: Any) -> Any:
    """ "/" opens search when the person is not typing (the composer has the focus at first)."""
    page.locator("#scroller").focus()
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search messages")
    expect(box).to_be_focused()
    return box


def test_a_decision_deep_in_history_is_found_as_you_type_and_opened_in_its_room(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    history(t, 40, "Decision: the torque spec for flange 7 is 45 Nm, signed off by QA.", 150)
    cleo = sessions(servers[0], t.client_member, DESKTOP)
    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    page = cleo.open_room(t.shared)
    sue_page = sue.open_room(t.shared)

    box = open_search(page)
    box.press_sequentially("torq", delay=40)
    hit = page.locator(".search-hit", has_text="flange 7")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_text("torque")
    expect(page.locator(".search-group h3")).to_contain_text("Shared with")
    # Filters narrow it: the client's own people never said it.
    page.get_by_label("Company").select_option(label=t.client.name)
    expect(page.locator(".search-status")).to_have_text("No messages match.")
    page.get_by_label("Company").select_option(label=t.supplier.name)
    expect(hit).to_have_count(1)
    box.focus()
    screenshot(page, "search-results")
    # Escape closes it and gives the focus back; Ctrl+Shift+F opens it from the composer.
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    page.locator("#composer-slot textarea").focus()
    page.keyboard.press("Control+Shift+F")
    expect(box).to_be_focused()
    expect(hit).to_have_count(1)

    # The keyboard: down into the results, Enter opens the permalink.
    box.press("ArrowDown")
    expect(hit.locator("a")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/rooms/*/?message=*")
    linked = page.locator("#messages .msg.linked")
    expect(linked).to_contain_text("torque spec for flange 7")
    expect(linked).to_be_in_viewport()
    jump = page.locator("#jump-latest")
    expect(jump).to_contain_text("latest")
    # 150 messages later than the decision are not all loaded: the list starts in the past.
    expect(message(page, "Later status 149")).to_have_count(0)
    screenshot(page, "permalink-in-history")

    # The partner writes meanwhile; the list pages forward to the present and shows it.
    send(sue_page, "New today: the gasket arrived")
    expect(jump).to_contain_text("1 new message")
    jump.click()
    expect(message(page, "New today: the gasket arrived")).to_be_visible()
    expect(message(page, "Later status 149")).to_be_visible()
    expect(page).not_to_have_url("**message=*")


def test_a_copied_link_opens_the_message_in_the_partners_browser(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    history(t, 5, "PO 4711 approved for 1,200 brackets", 80)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    sue.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers[0].origin)
    page = sue.open_room(t.shared)
    page.locator("#history-top").scroll_into_view_if_needed()
    target = message(page, "PO 4711 approved")
    expect(target).to_be_visible()
    target.hover()
    target.get_by_role("button", name="Copy a link to this message").click()
    expect(page.locator(".toast", has_text="Link copied")).to_be_visible()
    link = page.evaluate("navigator.clipboard.readText()")
    assert "/?message=" in link

    cleo = sessions(servers[1], t.client_member, DESKTOP)
    cleo.page.goto(link.replace(servers[0].origin, servers[1].origin))
    linked = cleo.page.locator("#messages .msg.linked")
    expect(linked).to_contain_text("PO 4711 approved")
    expect(linked).to_be_in_viewport()


def test_on_a_phone_a_thread_reply_found_by_search_opens_in_its_thread(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_member)

    def thread() -> None:
        root = check_send_message(
            t.supplier_member, room_id=t.shared.pk, client_id="root", body="Flange 9 crack report"
        )[0]
        check_send_message(
            t.client_admin,
            room_id=t.shared.pk,
            client_id="reply",
            body="Root cause: wrong weld rod batch",
            thread=root.pk,
        )
        for n in range(60):
            check_send_message(
                t.supplier_member, room_id=t.shared.pk, client_id=f"s{n}", body=f"status {n}"
            )

    off_loop(thread)
    cleo = sessions(servers[0], t.client_member, PHONE)
    page = cleo.open_room(t.shared)
    page.get_by_role("button", name="Search").click()
    box = page.get_by_role("searchbox", name="Search messages")
    box.fill("weld rod")
    page.locator(".search-filters-box summary").click()  # folded on a phone
    page.get_by_label("In threads").check()
    hit = page.locator(".search-hit", has_text="wrong weld rod")
    expect(hit).to_contain_text("in a thread")
    screenshot(page, "search-phone")
    hit.click()
    reply = page.locator("#panel .msg.linked")
    expect(reply).to_contain_text("Root cause: wrong weld rod batch")
    expect(reply).to_be_in_viewport()
    screenshot(page, "permalink-thread-phone")


def test_a_followed_thread_shows_on_the_home_page_with_its_new_replies_live(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    root = off_loop(
        lambda: check_send_message(
            t.client_member,
            room_id=t.shared.pk,
            client_id="root",
            body="Can you quote 500 extra brackets for March?",
        )[0]
    )
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    page = sue.open_room(t.shared)
    asked = message(page, "quote 500 extra brackets")
    asked.hover()  # the message's tools show on hover
    asked.get_by_role("button", name="Reply in thread").click()
    follow = page.locator("#panel .follow-toggle")
    expect(follow).to_have_text("Follow")
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.click()
    expect(follow).to_have_text("Following")
    expect(follow).to_have_attribute("aria-pressed", "true")

    page.goto(sue.url("/"))
    card = page.locator("#followed-threads .followed", has_text="quote 500 extra brackets")
    expect(card).to_be_visible()
    expect(card.locator(".badge")).to_have_count(0)
    # The client answers in the thread: the card counts it, live.
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    cleo_page = cleo.open_room(t.shared, f"?thread={root.pk}")
    reply = cleo_page.locator("#panel textarea")
    reply.fill("Also: same drawing revision as last time")
    reply.press("Enter")
    expect(card.locator(".badge")).to_have_text("1")
    expect(card).to_contain_text("Cleo Client: Also: same drawing revision")
    screenshot(page, "threads-you-follow")

    # Opening it reads it; unfollowing takes it off the list.
    card.locator("a").click()
    follow = page.locator("#panel .follow-toggle")
    expect(follow).to_have_text("Following")
    follow.click()
    expect(follow).to_have_text("Follow")
    page.goto(sue.url("/"))
    expect(page.locator("#followed-threads")).to_contain_text("No threads yet")


def test_a_reply_also_sent_to_the_room_shows_in_the_partners_room_and_opens_its_thread(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    off_loop(
        lambda: check_send_message(
            t.client_member, room_id=t.shared.pk, client_id="root", body="Pallet size for lot 9?"
        )
    )
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)
    asked = message(page, "Pallet size for lot 9?")
    asked.hover()
    asked.get_by_role("button", name="Reply in thread").click()
    page.locator("#panel").get_by_label("Also send to the room").check()
    box = page.locator("#panel textarea")
    box.fill("EUR pallets, as agreed")
    box.press("Enter")
    shown = message(cleo_page, "EUR pallets, as agreed")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("replied in a thread")
    screenshot(cleo_page, "reply-also-in-room")
    shown.get_by_role("button", name="↳ replied in a thread").click()
    expect(cleo_page.locator("#panel .msg", has_text="Pallet size for lot 9?")).to_be_visible()
    expect(cleo_page.locator("#panel .msg", has_text="EUR pallets, as agreed")).to_be_visible()
    # The box is for one reply: the next one stays in the thread.
    expect(page.locator("#panel").get_by_label("Also send to the room")).not_to_be_checked()
