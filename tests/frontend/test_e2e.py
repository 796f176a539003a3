"""The web app end to end: real headless Chromium, real Daphne, real Redis and PostgreSQL.

A supplier person and a client person, each in their own browser context and
signed in through the real login page, use the app side by side. Their pages
run on two different Daphne processes, so everything live here also crosses
processes.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hub.models import Partnership
from rooms.actions.messages import check_send_message, do_send_message
from rooms.actions.reading import check_mark_read
from rooms.actions.rooms import check_update_room
from rooms.actions.workitems import check_create_work_item
from rooms.models.messages import Message
from tests.conftest import Team, make_internal_room, make_org, make_person
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    FAST_PRESENCE,
    PHONE,
    SERVER_ENV,
    DaphneAt,
    composer,
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
    send,
)
from tests.live import BridgeWorker, free_port

pytestmark = BROWSER_JOURNEY


def person_chip(page, person):
    return page.locator(f'#people [data-person="{person.id}"]')


def test_supplier_and_client_chat_live_with_typing_presence_and_a_thread(
    live_team: Team, servers, sessions, browser
):
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    history = [
        (t.supplier_admin, "Welcome to our shared room! Let's track the **Q3 ramp** here."),
        (t.client_admin, "Thanks. Our forecast for March is 12k units of `NW-220`."),
        (t.supplier_member, "Lead time on NW-220 is 6 weeks; we hold 4k in buffer stock."),
    ]
    for n, (author, body) in enumerate(history):
        off_loop(
            check_send_message,
            author,
            room_id=t.shared.id,
            client_id=f"h{n}",
            body=body,
        )
    first_visit = browser.new_context(viewport={"width": 1200, "height": 800})
    login_page = first_visit.new_page()
    login_page.goto(f"{servers[0].origin}/accounts/login/")
    screenshot(login_page, "sign-in")
    first_visit.close()
    sue = sessions(servers[0], t.supplier_member)
    cleo = sessions(servers[1], t.client_member)
    sue_page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)

    # Presence: each sees the other online.
    expect(person_chip(sue_page, t.client_member)).to_have_attribute("data-state", "active")
    expect(person_chip(cleo_page, t.supplier_member)).to_have_attribute("data-state", "active")

    # Typing shows on the other side; Shift+Enter is a new line, Enter sends.
    box = composer(cleo_page)
    box.press_sequentially("Can you ship lot 7", delay=10)
    expect(sue_page.locator("#typing")).to_have_text("Cleo Client is typing…")
    box.press("Shift+Enter")
    box.press_sequentially("by **Friday**?")
    box.press("Enter")

    # The supplier sees it live, unmistakably from the other company.
    theirs = message(sue_page, "Can you ship lot 7")
    expect(theirs).to_have_count(1)
    expect(theirs).to_have_class(re.compile(r"\bfrom-partner\b"))
    expect(theirs.locator(".org-badge.partner")).to_have_text("⇄ Client")
    expect(theirs.locator(".msg-body strong")).to_have_text("Friday")
    expect(theirs.locator(".msg-body br")).to_have_count(1)
    expect(sue_page.locator("#typing")).to_have_text("")
    # The sender's optimistic copy became the stored message: once, confirmed.
    mine = message(cleo_page, "Can you ship lot 7")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-id", re.compile(r"^\d+$"))
    expect(mine).not_to_have_class(re.compile(r"\bpending\b"))
    expect(mine.locator(".org-badge.mine")).to_have_text("Client")

    # A reply in the thread panel shows as a reply count on the other side.
    theirs.hover()
    theirs.get_by_role("button", name="Reply in thread").click()
    reply_box = sue_page.get_by_role("textbox", name="Reply in thread")
    expect(reply_box).to_be_focused()
    reply_box.fill("Yes: it leaves the dock on Thursday.")
    reply_box.press("Enter")
    replies = mine.locator(".replies")
    expect(replies).to_contain_text("1 reply")
    replies.click()
    expect(cleo_page.locator("#panel .msg", has_text="leaves the dock")).to_have_count(1)
    expect(sue_page.locator("#panel .msg", has_text="leaves the dock")).to_have_count(1)
    screenshot(sue_page, "room-thread")
    cleo_page.keyboard.press("Escape")
    expect(cleo_page.locator("#panel")).to_be_hidden()

    # The preview renders Markdown as the server will; edits and deletions show live.
    box.fill("Draft with **bold** and `code`")
    cleo_page.get_by_role("button", name="Preview").click()
    expect(cleo_page.locator(".composer .preview strong")).to_have_text("bold")
    expect(cleo_page.locator(".composer .preview code")).to_have_text("code")
    cleo_page.get_by_role("button", name="Edit", exact=True).click()
    box.fill("")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    editor = cleo_page.get_by_role("textbox", name="Edit message")
    editor.fill("Can you ship lot 7 by Thursday?")
    editor.press("Enter")
    expect(theirs.locator(".msg-body")).to_have_text("Can you ship lot 7 by Thursday?")
    expect(theirs.locator(".edited")).to_have_text("(edited)")
    send(cleo_page, "Never mind this one")
    extra = message(cleo_page, "Never mind this one")
    extra.hover()
    extra.get_by_role("button", name="Delete").click()
    extra.get_by_role("button", name="Confirm delete").click()
    expect(message(sue_page, "Never mind this one")).to_have_count(0)
    expect(sue_page.locator(".msg.deleted .msg-body").last).to_have_text(
        "This message was deleted."
    )

    # After a reload, the messages drawn from history show their authors' state too.
    sue_page.reload()
    expect(message(sue_page, "ship lot 7").locator(".presence")).to_have_attribute(
        "data-state", "active"
    )

    # The client leaves: the supplier sees them go offline.
    cleo.close()
    expect(person_chip(sue_page, t.client_member)).to_have_attribute("data-state", "offline")


def test_a_person_who_goes_offline_sees_what_they_missed_exactly_once(
    live_team: Team, servers, sessions
):
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member)
    cleo = sessions(servers[1], t.client_member)
    sue_page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)

    cleo.context.set_offline(True)
    expect(cleo_page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(cleo_page.locator("#conn-banner")).to_contain_text("You are offline")
    # Written while offline: shown at once, marked as not sent yet.
    send(cleo_page, "Written on the train")
    expect(cleo_page.locator(".msg.pending", has_text="Written on the train")).to_contain_text(
        "Not sent yet"
    )
    for i in range(3):
        send(sue_page, f"Update number {i}")
    expect(message(sue_page, "Update number 2")).to_have_attribute("data-id", re.compile(r"\d"))
    expect(message(cleo_page, "Update number")).to_have_count(0)

    cleo.context.set_offline(False)
    expect(cleo_page.locator("#conn")).to_have_attribute("data-state", "live")
    for i in range(3):
        expect(message(cleo_page, f"Update number {i}")).to_have_count(1)
    bodies = cleo_page.locator("#messages .msg .msg-body").all_inner_texts()
    updates = [b for b in bodies if b.startswith("Update number")]
    assert updates == ["Update number 0", "Update number 1", "Update number 2"]
    # The message written offline went out once, and the page shows it once.
    expect(message(sue_page, "Written on the train")).to_have_count(1)
    expect(message(cleo_page, "Written on the train")).to_have_count(1)
    expect(cleo_page.locator(".msg.pending")).to_have_count(0)
    expect(cleo_page.locator("#conn-banner")).to_be_hidden()
    assert Message.objects.filter(body="Written on the train").count() == 1


def test_reconnecting_shows_while_the_server_is_down_and_the_room_resumes_after(
    live_team: Team, servers, sessions
):
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    port = free_port()
    own = DaphneAt(port, FAST_PRESENCE)
    try:
        sue = sessions(own, t.supplier_member)
        cleo = sessions(servers[1], t.client_member)
        sue_page = sue.open_room(t.shared)
        cleo_page = cleo.open_room(t.shared)

        own.kill()
        expect(sue_page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
        expect(sue_page.locator("#conn-banner")).to_contain_text("Reconnecting")
        send(cleo_page, "Sent while your server was down")
        expect(message(cleo_page, "while your server")).to_have_attribute(
            "data-id", re.compile(r"\d")
        )

        own = DaphneAt(port, FAST_PRESENCE)
        expect(sue_page.locator("#conn")).to_have_attribute("data-state", "live", timeout=30_000)
        expect(message(sue_page, "Sent while your server was down")).to_have_count(1)
        expect(sue_page.locator("#conn-banner")).to_be_hidden()
        send(sue_page, "Back again")
        expect(message(cleo_page, "Back again")).to_have_count(1)
    finally:
        own.stop()


def test_a_work_item_created_by_one_moves_on_the_others_board_live(
    live_team: Team, servers, sessions
):
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    off_loop(
        check_send_message,
        t.supplier_member,
        room_id=t.shared.id,
        client_id="seed",
        body="The NW-220 forecast needs a second look",
    )
    sue = sessions(servers[0], t.supplier_member)
    cleo = sessions(servers[1], t.client_member)
    sue_page = sue.open_room(t.shared, "?view=board")
    cleo_page = cleo.open_room(t.shared)
    title = "Review the NW-220 forecast"

    # The client makes a work item from the supplier's message.
    source = message(cleo_page, "forecast needs a second look")
    source.hover()
    source.get_by_role("button", name="Create a work item from this message").click()
    form = cleo_page.locator("#panel")
    expect(form.get_by_label("Title")).to_have_value("The NW-220 forecast needs a second look")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Priority").select_option("2")
    form.get_by_role("button", name="Create work item").click()
    expect(cleo_page.locator("#panel-title")).to_have_text(re.compile(r"Work item #\d+"))

    # It appears on the supplier's board at once.
    expect(sue_page.locator(".column-open .card-item", has_text=title)).to_have_count(1)

    # The client drags it to "In progress"; the supplier's board follows.
    cleo_page.get_by_role("tab", name="Board").click()
    cleo_page.locator(".card-item", has_text=title).drag_to(
        cleo_page.locator(".column-in_progress")
    )
    expect(sue_page.locator(".column-in_progress .card-item", has_text=title)).to_have_count(1)
    expect(sue_page.locator(".column-open .card-item", has_text=title)).to_have_count(0)

    # The supplier uses the card's button instead; the client's board follows.
    sue_page.get_by_role("button", name=f"Move “{title}” to Blocked").click()
    expect(cleo_page.locator(".column-blocked .card-item", has_text=title)).to_have_count(1)
    expect(cleo_page.locator("#panel .status-row .status-chip")).to_have_text("Blocked")

    # The supplier escalates it from the detail panel: both get the banner and its clock.
    sue_page.locator(".column-blocked .card-title", has_text=title).click()
    detail = sue_page.locator("#panel")
    expect(detail.locator(".history")).to_contain_text("moved Open → In progress")
    detail.get_by_role("button", name="Escalate…").click()
    detail.locator("input[name=severity][value=S1]").check()
    detail.get_by_label("Reason").fill("Line 3 stops on Monday without it")
    detail.get_by_role("button", name="Escalate", exact=True).click()
    for page in (sue_page, cleo_page):
        banner = page.locator(".esc-banner", has_text=title)
        expect(banner.locator(".sev-chip")).to_have_text("S1")
        expect(banner.locator(".esc-clock")).to_contain_text(re.compile(r"Acknowledge within \d+"))
        expect(banner).to_contain_text("Line 3 stops on Monday")
    expect(detail.locator(".history")).to_contain_text("escalation none → S1 open")
    sue_page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    screenshot(sue_page, "board-escalation")

    cleo_page.locator(".esc-banner").get_by_role("button", name="Acknowledge").click()
    expect(sue_page.locator(".esc-banner .esc-clock")).to_have_text(
        re.compile(r"Acknowledged by Cleo Client")
    )


def test_opening_the_work_item_already_in_the_panel_keeps_the_panel_live(
    live_team: Team, servers, sessions
):
    # Opening it again replaced the panel, and the old panel's close forgot
    # the new one (same item id): the panel went dead with a TypeError.
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    title = "Confirm the March allocation"
    off_loop(check_create_work_item, t.client_member, room_id=t.shared.id, title=title)
    page = sessions(servers[0], t.supplier_member).open_room(t.shared, "?view=board")
    card = page.locator(".column-open .card-title", has_text=title)
    detail = page.locator("#panel")
    card.click()
    expect(detail.locator(".status-row .status-chip")).to_have_text("Open")

    card.click()
    detail.get_by_role("button", name="→ Blocked").click()

    expect(detail.locator(".status-row .status-chip")).to_have_text("Blocked")
    expect(detail.locator(".history")).to_contain_text("moved Open → Blocked")


def test_a_mirror_shows_only_in_the_mirroring_sides_internal_room_and_share_back_reaches_the_partner(  # noqa: E501
    live_team: Team, servers, sessions
):
    t = live_team
    # An escalation room sorts before "Supplier internal": it used to be preselected.
    off_loop(make_internal_room, t.supplier_member, name="Escalation: an unrelated pallet issue")
    prepare_for_browser(t.supplier_member, t.client_member, t.supplier_admin)
    worker = BridgeWorker(extra_env=SERVER_ENV)
    try:
        sue = sessions(servers[0], t.supplier_member)
        cleo = sessions(servers[1], t.client_member)
        sue_page = sue.open_room(t.shared)
        cleo_page = cleo.open_room(t.shared)
        send(cleo_page, "Is lot 7 shipping this week?")

        # The supplier mirrors the client's thread into its own internal room,
        # choosing the room itself: nothing is chosen for it.
        root = message(sue_page, "Is lot 7 shipping")
        root.hover()
        root.get_by_role("button", name="Reply in thread").click()
        panel = sue_page.locator("#panel")
        target = panel.get_by_label("Internal room")
        expect(target).to_have_value("")
        expect(target.locator("option:checked")).to_have_text("Choose an internal room…")
        mirror_button = panel.get_by_role("button", name="Mirror to my internal room")
        expect(mirror_button).to_be_disabled()
        assert target.locator("option").all_inner_texts() == [
            "Choose an internal room…",
            "Escalation: an unrelated pallet issue (only you)",
            f"{t.supplier_internal.name} (1 colleague)",
        ]
        screenshot(sue_page, "mirror-target")
        target.select_option(label=f"{t.supplier_internal.name} (1 colleague)")
        mirror_button.click()
        expect(panel.locator(".mirror-box .form-status")).to_contain_text(
            f"Mirrored to {t.supplier_internal.name}"
        )

        # The client replies in the shared thread, knowing nothing of the mirror.
        theirs = message(cleo_page, "Is lot 7 shipping")
        theirs.hover()
        theirs.get_by_role("button", name="Reply in thread").click()
        expect(cleo_page.locator("#panel .mirror-box")).not_to_contain_text("Mirrored to")
        send_reply = cleo_page.get_by_role("textbox", name="Reply in thread")
        send_reply.fill("Any news from the warehouse?")
        send_reply.press("Enter")

        # In the supplier's internal room: the copy, labelled with where it comes from.
        panel.locator(".mirror-box .form-status a").click()
        sue_page.wait_for_url(re.compile(rf"/rooms/{t.supplier_internal.id}/\?thread=\d+"))
        copy = sue_page.locator("#messages .msg.kind-mirror", has_text="Is lot 7 shipping")
        expect(copy.locator(".provenance")).to_have_text(
            f"⤷Mirrored from the shared room {t.shared.name} (shared with Client)"
        )
        expect(copy.locator(".org-badge.partner")).to_have_text("⇄ Client")
        panel = sue_page.locator("#panel")
        expect(panel.locator(".msg", has_text="Any news from the warehouse?")).to_have_count(
            1, timeout=15_000
        )
        expect(panel.locator(".composer-scope")).to_have_text("Internal: not visible to Client")

        # Two internal notes; one is shared back on purpose.
        note_box = panel.get_by_role("textbox", name="Reply in thread")
        note_box.fill("Keep this between us: stock is short")
        note_box.press("Enter")
        note_box.fill("We can ship on Friday")
        note_box.press("Enter")
        note = panel.locator(".msg", has_text="We can ship on Friday")
        expect(note).to_have_attribute("data-id", re.compile(r"^\d+$"))
        # A colleague has the same mirrored thread open in another browser.
        sam = sessions(servers[1], t.supplier_admin)
        sam_page = sam.open_room(t.supplier_internal, f"?thread={copy.get_attribute('data-id')}")
        sam_note = sam_page.locator("#panel .msg", has_text="We can ship on Friday")
        expect(sam_note).to_have_count(1)

        # Sharing asks first, showing the exact text and who will see it.
        note.hover()
        note.get_by_role("button", name="Share this note with Client…").click()
        dialog = sue_page.get_by_role("dialog", name="Share this note with Client?")
        expect(dialog).to_be_visible()
        expect(dialog.locator(".dialog-quote")).to_have_text("We can ship on Friday")
        expect(dialog).to_contain_text(f"Visible to Client in {t.shared.name}")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        sue_page.keyboard.press("Escape")  # changed my mind: nothing is shared
        expect(dialog).to_have_count(0)
        expect(panel).to_be_visible()
        expect(cleo_page.locator("#panel .msg", has_text="We can ship on Friday")).to_have_count(0)
        note.hover()
        note.get_by_role("button", name="Share this note with Client…").click()
        screenshot(sue_page, "share-back-confirm")
        dialog.get_by_role("button", name="Share with Client").click()
        expect(dialog).to_have_count(0)
        shared_by = re.compile(r"^Shared back by Sue Supplier, \d")
        expect(note.locator(".shared-tag")).to_have_text(shared_by)
        expect(note.get_by_role("button", name=re.compile("Share this note"))).to_have_count(0)
        # Stored on the server, so every colleague in the room sees it, live.
        expect(sam_note.locator(".shared-tag")).to_have_text(shared_by)
        expect(
            sam_page.locator("#panel .msg", has_text="Keep this between us")
        ).not_to_contain_text("Shared back")
        screenshot(sue_page, "mirror-internal")

        # The share-back reaches the client's shared thread, live; the other note never does.
        expect(cleo_page.locator("#panel .msg", has_text="We can ship on Friday")).to_have_count(1)
        expect(theirs.locator(".replies")).to_contain_text("2 replies")
        for path in (f"/rooms/{t.shared.id}/", f"/rooms/{t.client_internal.id}/", "/"):
            cleo_page.goto(cleo.url(path))
            expect(cleo_page.locator("#conn")).to_have_attribute("data-state", "live")
            if path != "/":
                expect(cleo_page.locator("#history-state")).to_contain_text("beginning")
            html = cleo_page.content()
            assert "Keep this between us" not in html
            assert "Mirrored from" not in html
            assert t.supplier_internal.name not in html
            expect(cleo_page.locator(".msg.kind-mirror")).to_have_count(0)
            if path == f"/rooms/{t.client_internal.id}/":
                expect(message(cleo_page, "Is lot 7 shipping")).to_have_count(0)
        cleo_page.goto(cleo.url(f"/rooms/{t.shared.id}/?thread={theirs_id(t)}"))
        shared_thread = cleo_page.locator("#panel")
        expect(shared_thread.locator(".msg", has_text="We can ship on Friday")).to_have_count(1)
        expect(shared_thread).not_to_contain_text("Keep this between us")
        # ...and the supplier's shared room shows no copy either.
        sue_page.goto(sue.url(f"/rooms/{t.shared.id}/"))
        expect(sue_page.locator("#history-state")).to_contain_text("beginning")
        expect(sue_page.locator(".msg.kind-mirror")).to_have_count(0)
    finally:
        worker.stop()


def theirs_id(t: Team) -> int:
    return Message.objects.get(room=t.shared, body="Is lot 7 shipping this week?").pk


def test_home_badges_update_live_and_an_account_manager_sets_up_a_customer_room(
    live_team: Team, servers, sessions
):
    t = live_team
    prospect = make_org("Prospect")
    prospect_admin = make_person(prospect, admin=True, name="Pia Prospect")
    proposal = Partnership.objects.create(
        supplier=t.supplier, client=prospect, proposed_by=prospect_admin
    )
    prepare_for_browser(t.supplier_admin, t.client_member)
    sam = sessions(servers[0], t.supplier_admin)
    cleo = sessions(servers[1], t.client_member)
    home = sam.page
    shared_link = home.locator(f'a[data-room="{t.shared.id}"]')
    expect(shared_link.locator("[data-unread]")).to_be_hidden()

    # Someone from the client mentions the account manager: the badges update live.
    cleo_page = cleo.open_room(t.shared)
    box = composer(cleo_page)
    box.press_sequentially("@sam")
    suggestion = cleo_page.get_by_role("option", name=re.compile("Sam Supplier-Admin"))
    expect(suggestion).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(f"@{t.supplier_admin.handle} ")
    box.press_sequentially("can you confirm the Q3 volumes?")
    box.press("Enter")
    expect(shared_link.locator("[data-unread]")).to_have_text("1")
    expect(shared_link.locator("[data-mentions]")).to_have_text("@1")
    send(cleo_page, "And the packaging spec, please.")
    expect(shared_link.locator("[data-unread]")).to_have_text("2")
    expect(shared_link.locator("[data-mentions]")).to_have_text("@1")
    expect(home.locator("h2", has_text="Shared with Client")).to_be_visible()
    expect(home.locator("h2", has_text="Internal (Supplier)")).to_be_visible()
    screenshot(home, "home")

    # An admin accepts a partnership request.
    row = home.locator(f'[data-partnership="{proposal.id}"]')
    expect(row).to_contain_text("Supplier supplies Prospect")
    row.get_by_role("button", name="Accept").click()
    expect(row.locator(".status-chip")).to_have_text("active")

    # The account manager creates a dedicated room for the customer and invites someone.
    home.get_by_role("button", name="New room").click()
    home.get_by_label("Where").select_option(label="Shared with Client (your customer)")
    home.get_by_label("Name").fill("Client rollout 2026")
    home.get_by_role("button", name="Create room").click()
    home.wait_for_url(re.compile(r"/rooms/\d+/\?panel=members$"))
    expect(home.locator("#room-name")).to_have_text("Client rollout 2026")
    panel = home.locator("#panel")
    email = f"new.buyer@{t.client.verified_domains[0]}"
    panel.get_by_label("E-mail", exact=True).fill(email)
    panel.get_by_role("button", name="Send invitation").click()
    expect(panel.locator(".invite-form .form-status")).to_have_text(
        f"Invitation sent to {email}, to join Client."
    )
    expect(panel.locator(".invitations")).to_contain_text(email)
    home.goto(sam.url("/"))
    expect(home.locator("#invitations")).to_contain_text(email)
    expect(home.locator("#invitations")).to_contain_text("Client rollout 2026")
    expect(home.locator(".room-link", has_text="Client rollout 2026")).to_have_count(1)


def test_hostile_text_is_shown_as_text_and_the_room_works_at_phone_width(
    live_team: Team, servers, sessions
):
    t = live_team
    hostile_topic = "<img src=x onerror=alert(3)>"
    off_loop(check_update_room, t.supplier_admin, room_id=t.shared.id, topic=hostile_topic)
    t.client_member.display_name = "<b onmouseover=alert(4)>Cleo</b>"
    t.client_member.save(update_fields=["display_name"])
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member)
    cleo = sessions(servers[1], t.client_member, viewport=PHONE)
    sue_page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)

    send(sue_page, "Morning! Lot 7 leaves the dock **Thursday**.")
    payloads = [
        '<img src=x onerror="window.__xss=1;alert(1)">',
        "<script>window.__xss=2;alert(2)</script>",
    ]
    for payload in payloads:
        send(cleo_page, payload)
    for page in (sue_page, cleo_page):
        for payload in payloads:
            expect(page.locator("#messages .msg-body", has_text=payload)).to_have_count(1)
        expect(page.locator("#messages img, #messages script")).to_have_count(0)
        expect(page.locator("#room-topic")).to_have_text(hostile_topic)
        expect(page.locator("#messages .author", has_text="<b onmouseover")).to_have_count(2)
        assert page.evaluate("window.__xss") is None
    assert sue.dialogs == [] and cleo.dialogs == []

    # Phone width: one column, the thread opens over everything, Escape closes it.
    assert cleo_page.locator(".sidebar").is_hidden()
    screenshot(cleo_page, "phone")
    latest = message(cleo_page, "<script>")
    latest.click()
    latest.get_by_role("button", name="Reply in thread").click()
    panel = cleo_page.locator("#panel")
    box = panel.bounding_box()
    assert box is not None and box["x"] == 0 and box["width"] == PHONE["width"]
    reply = cleo_page.get_by_role("textbox", name="Reply in thread")
    reply.fill("Reply from a phone")
    reply.press("Enter")
    expect(sue_page.locator(".msg", has_text="<script>").locator(".replies")).to_contain_text(
        "1 reply"
    )
    cleo_page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_history_scrolls_back_without_jumps_and_jumps_to_the_first_unread(
    live_team: Team, servers, sessions
):
    t = live_team

    def history() -> list[Message]:
        return [
            do_send_message(
                t.supplier_member,
                t.shared,
                client_id=f"h{i}",
                body=f"History {i:03d}",
                thread_root=None,
            )[0]
            for i in range(110)
        ]

    sent = off_loop(history)
    off_loop(check_mark_read, t.client_member, room_id=t.shared.id, seq=sent[29].seq)
    prepare_for_browser(t.client_member)
    cleo = sessions(servers[1], t.client_member)
    page = cleo.open_room(t.shared)
    expect(message(page, "History 109")).to_be_in_viewport()
    expect(page.locator("#messages .msg")).to_have_count(50)

    jump = page.get_by_role("button", name=re.compile("Jump to first unread"))
    expect(jump).to_have_text("Jump to first unread (80)")
    jump.click()
    divider = page.locator(".unread-divider")
    expect(divider).to_be_in_viewport()
    expect(divider.locator("xpath=following-sibling::li[1]")).to_contain_text("History 030")
    expect(message(page, "History 029")).to_have_count(1)

    # To the top: the last page loads, and what was on screen stays where it was.
    top_before = page.evaluate(
        """() => {
          const scroller = document.getElementById("scroller");
          scroller.scrollTop = 0;
          const first = [...document.querySelectorAll("#messages .msg")][0];
          window.__anchor = first.dataset.id;
          return first.getBoundingClientRect().top;
        }"""
    )
    expect(page.locator("#history-state")).to_have_text(
        f"This is the beginning of {t.shared.name}."
    )
    expect(page.locator("#messages .msg")).to_have_count(110)
    top_after = page.evaluate(
        "() => document.querySelector(`[data-id='${window.__anchor}']`).getBoundingClientRect().top"
    )
    assert abs(top_after - top_before) < 2
    expect(message(page, "History 050")).to_have_count(1)

    # A new message while reading old ones: nothing moves, a pill offers to jump down.
    anchor = message(page, "History 010")
    y = anchor.bounding_box()["y"]
    off_loop(
        check_send_message,
        t.supplier_member,
        room_id=t.shared.id,
        client_id="late",
        body="A late arrival",
    )
    expect(page.get_by_role("button", name="1 new message below ↓")).to_be_visible()
    assert anchor.bounding_box()["y"] == y
    page.get_by_role("button", name="1 new message below ↓").click()
    expect(message(page, "A late arrival")).to_be_in_viewport()
