"""Messages in real Chromium (issue 17): reactions, the server's Markdown preview, long messages.

A supplier person and a client person side by side, each on their own
Daphne process: they react and see each other's reactions live, a
reconnect brings back what was missed, a mirror copies the shared thread's
reactions in and keeps the internal ones in, the preview is the message,
and a long message folds behind "Show more".
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from rooms.actions.messages import check_send_message
from rooms.bridge.mirrors import check_create_mirror
from tests.conftest import Team
from tests.frontend.axe import serious_violations
from tests.frontend.conftest import (
    ARTIFACTS,
    BROWSER_JOURNEY,
    DESKTOP,
    FAST_PRESENCE,
    PHONE,
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

SERVER_ENV = {"DJANGO_ALLOW_ASYNC_UNSAFE": ""}


def side_by_side(left: Any, right: Any, name: str) -> None:
    """One JPEG of two people's pages, the supplier's left (test-artifacts/screenshots/)."""
    for page in (left, right):
        page.mouse.move(0, 0)  # no hover toolbars in the picture
    shots = [Image.open(io.BytesIO(p.screenshot(type="png"))) for p in (left, right)]
    joined = Image.new(
        "RGB", (sum(s.width for s in shots) + 8, max(s.height for s in shots)), "#9aa3ae"
    )
    joined.paste(shots[0], (0, 0))
    joined.paste(shots[1], (shots[0].width + 8, 0))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    joined.save(ARTIFACTS / f"{name}.jpg", quality=70)


def reaction(msg: Any, emoji: str) -> Any:
    return msg.locator(".reaction", has_text=emoji)


def open_picker(page: Any, msg: Any) -> Any:
    """The message's "React" tool, from the keyboard's point of view: focus, Enter."""
    msg.hover()
    tool = msg.get_by_role("button", name="React to this message")
    tool.focus()
    page.keyboard.press("Enter")
    picker = msg.locator(".reaction-picker")
    expect(picker).to_be_visible()
    return picker


def say(person: Any, room: Any, body: str, thread: Any = None) -> Any:
    return off_loop(
        lambda: check_send_message(
            person,
            room_id=room.id,
            client_id=f"seed-{abs(hash(body))}",
            body=body,
            thread=thread.id if thread is not None else None,
        )[0]
    )


def test_both_sides_react_and_see_each_others_reactions_live(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    sue_page, cleo_page = sue.open_room(t.shared), cleo.open_room(t.shared)
    send(cleo_page, "Lot 7 passed inspection")
    ours, theirs = message(sue_page, "Lot 7 passed"), message(cleo_page, "Lot 7 passed")

    # Sue reacts by keyboard: the picker opens on the first emoji, arrows move.
    picker = open_picker(sue_page, ours)
    expect(picker.get_by_role("button", name="React with 👍")).to_be_focused()
    sue_page.keyboard.press("ArrowRight")
    sue_page.keyboard.press("ArrowRight")
    sue_page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="React with 🎉")).to_be_focused()
    sue_page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(reaction(ours, "🎉")).to_have_attribute("aria-pressed", "true")
    expect(reaction(ours, "🎉")).to_have_text("🎉1")

    # Cleo sees it live, not pressed, and who it was; she joins in.
    expect(reaction(theirs, "🎉")).to_have_text("🎉1")
    expect(reaction(theirs, "🎉")).to_have_attribute("aria-pressed", "false")
    expect(reaction(theirs, "🎉")).to_have_attribute("title", "Sue Supplier reacted with 🎉")
    reaction(theirs, "🎉").click()
    expect(reaction(theirs, "🎉")).to_have_attribute("aria-pressed", "true")
    expect(reaction(ours, "🎉")).to_have_text("🎉2")
    expect(reaction(ours, "🎉")).to_have_attribute("title", "You and Cleo Client reacted with 🎉")

    # Escape closes the picker and gives the focus back to the "+" that opened it.
    add = theirs.get_by_role("button", name="Add reaction")
    add.click()
    expect(theirs.locator(".reaction-picker")).to_be_visible()
    cleo_page.keyboard.press("Escape")
    expect(theirs.locator(".reaction-picker")).to_be_hidden()
    expect(add).to_be_focused()
    theirs.locator(".reaction-picker").count()  # nothing else to close
    add.click()
    theirs.get_by_role("button", name="React with ✅").click()
    expect(reaction(ours, "✅")).to_have_text("✅1")
    side_by_side(sue_page, cleo_page, "reactions-side-by-side")
    assert serious_violations(cleo_page) == []

    # Sue takes hers back: the count drops on both sides, hers no longer pressed.
    reaction(ours, "🎉").click()
    expect(reaction(ours, "🎉")).to_have_attribute("aria-pressed", "false")
    expect(reaction(theirs, "🎉")).to_have_text("🎉1")

    # In a thread: the panel's replies have their own bar, live on the other side.
    ours.hover()
    ours.get_by_role("button", name="Reply in thread").click()
    theirs.hover()
    theirs.get_by_role("button", name="Reply in thread").click()
    panel_box = sue_page.locator("#panel textarea")
    panel_box.fill("Shipping Friday")
    panel_box.press("Enter")
    reply = cleo_page.locator("#panel .msg", has_text="Shipping Friday")
    picker = open_picker(cleo_page, reply)
    picker.get_by_role("button", name="React with 🚀").click()
    expect(
        reaction(sue_page.locator("#panel .msg", has_text="Shipping Friday"), "🚀")
    ).to_have_text("🚀1")
    side_by_side(sue_page, cleo_page, "reactions-in-a-thread")


def test_a_reconnect_brings_back_the_reactions_made_meanwhile(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    say(t.client_member, t.shared, "Drawings for lot 8 attached")
    port = free_port()
    own = DaphneAt(port, FAST_PRESENCE)
    try:
        sue = sessions(own, t.supplier_member, DESKTOP)
        cleo = sessions(servers[1], t.client_member, DESKTOP)
        sue_page, cleo_page = sue.open_room(t.shared), cleo.open_room(t.shared)
        theirs = message(cleo_page, "Drawings for lot 8")
        own.kill()
        expect(sue_page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
        open_picker(cleo_page, theirs).get_by_role("button", name="React with 👀").click()
        expect(reaction(theirs, "👀")).to_have_attribute("aria-pressed", "true")
        own = DaphneAt(port, FAST_PRESENCE)
        expect(sue_page.locator("#conn")).to_have_attribute("data-state", "live", timeout=30_000)
        ours = message(sue_page, "Drawings for lot 8")
        expect(reaction(ours, "👀")).to_have_text("👀1")
        expect(reaction(ours, "👀")).to_have_attribute("aria-pressed", "false")
        screenshot(sue_page, "reactions-after-reconnect")
    finally:
        own.stop()


def test_a_mirror_copies_the_shared_reactions_in_and_keeps_the_internal_ones_in(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    root = say(t.client_member, t.shared, "Can lot 9 ship early?")
    say(t.supplier_member, t.shared, "Checking with the plant", thread=root)
    off_loop(
        check_create_mirror,
        t.supplier_member,
        source_room_id=t.shared.id,
        root_id=root.id,
        target_room_id=t.supplier_internal.id,
    )
    worker = BridgeWorker(extra_env=SERVER_ENV)
    try:
        sue = sessions(servers[0], t.supplier_member, DESKTOP)
        cleo = sessions(servers[1], t.client_member, DESKTOP)
        internal, shared = sue.open_room(t.supplier_internal), cleo.open_room(t.shared)
        theirs = message(shared, "Can lot 9 ship early?")
        copy = internal.locator("#messages .msg.kind-mirror", has_text="Can lot 9 ship early?")

        # The client reacts in the shared room: the copy shows it.
        open_picker(shared, theirs).get_by_role("button", name="React with 🙏").click()
        expect(reaction(copy, "🙏")).to_have_text("🙏1")
        expect(reaction(copy, "🙏")).to_have_attribute("title", "Cleo Client reacted with 🙏")

        # The supplier reacts on the copy, internally: only its own room sees it.
        open_picker(internal, copy).get_by_role("button", name="React with 👀").click()
        expect(reaction(copy, "👀")).to_have_attribute("aria-pressed", "true")
        # A later reaction in the shared room reaches both: by then the internal
        # one would have too, had it crossed.
        reaction(theirs, "🙏").click()
        open_picker(shared, theirs).get_by_role("button", name="React with ✅").click()
        expect(reaction(copy, "✅")).to_have_text("✅1")
        expect(reaction(copy, "🙏")).to_have_count(0)
        expect(theirs.locator(".reaction")).to_have_count(1)
        expect(reaction(theirs, "👀")).to_have_count(0)
        expect(reaction(copy, "👀")).to_have_text("👀1")
        side_by_side(internal, shared, "reactions-mirror-internal-and-shared")
    finally:
        worker.stop()


def shown(body: Any) -> str:
    """A message's HTML as rendered, without the tabindex the list's keyboard gives its links."""
    return str(body.inner_html()).replace(' tabindex="-1"', "")


MARKDOWN = (
    "Plan for lot 7:\n\n"
    "1. cut\n2. weld\n   - check the seams\n3. ship\n\n"
    "| part | qty | due |\n|:--|--:|:-:|\n| NW-220 | 40 | Fri |\n| NW-221 | 12 | Mon |\n\n"
    "Spec: https://example.com/spec/nw-220."
)


def test_the_preview_is_exactly_the_sent_message_for_a_list_and_a_table(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    sue_page, cleo_page = sue.open_room(t.shared), cleo.open_room(t.shared)
    box = composer(sue_page)
    box.fill(MARKDOWN)
    sue_page.locator("#composer-slot").get_by_role("button", name="Preview").click()
    preview = sue_page.locator("#composer-slot .preview")
    expect(preview.locator("table td")).to_have_count(6)
    expect(preview.locator("ol > li")).to_have_count(3)
    expect(preview.locator("ol ul > li")).to_have_text(["check the seams"])
    link = preview.get_by_role("link", name="https://example.com/spec/nw-220")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    screenshot(sue_page, "markdown-preview")
    previewed = preview.inner_html()
    sue_page.locator("#composer-slot").get_by_role("button", name="Edit").click()
    expect(box).to_be_focused()
    box.press("Enter")
    sent = message(cleo_page, "Plan for lot 7").locator(".msg-body")
    expect(sent.locator("table")).to_be_visible()
    assert shown(sent) == previewed
    assert shown(message(sue_page, "Plan for lot 7").locator(".msg-body")) == previewed
    side_by_side(sue_page, cleo_page, "markdown-preview-and-sent")


def test_a_long_message_folds_behind_show_more_and_opens_by_keyboard(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    lines = [f"{n}. Step {n}: inspect flange batch {n} and log the torque" for n in range(1, 31)]
    say(t.supplier_member, t.shared, "Inspection steps:\n\n" + "\n".join(lines))
    say(t.supplier_member, t.shared, "Short one")
    cleo = sessions(servers[1], t.client_member, PHONE)
    page = cleo.open_room(t.shared)
    long = message(page, "Inspection steps")
    body = long.locator(".msg-body")
    more = long.get_by_role("button", name="Show more")
    expect(body).to_have_class("msg-body message-body folded")
    expect(more).to_have_attribute("aria-expanded", "false")
    expect(message(page, "Short one").get_by_role("button", name="Show more")).to_have_count(0)
    folded = body.bounding_box()
    assert folded is not None
    screenshot(page, "long-message-folded-phone")
    more.focus()
    page.keyboard.press("Enter")
    less = long.get_by_role("button", name="Show less")
    expect(less).to_have_attribute("aria-expanded", "true")
    expect(less).to_be_focused()
    expect(body.get_by_text("Step 30:")).to_be_visible()
    opened = body.bounding_box()
    assert opened is not None and opened["height"] > folded["height"] * 2
    screenshot(page, "long-message-open-phone")
    page.keyboard.press("Enter")
    expect(long.get_by_role("button", name="Show more")).to_be_focused()
    expect(body).to_have_class("msg-body message-body folded")

    # At phone width the message's tools show once it is tapped; the picker wraps.
    short = message(page, "Short one")
    short.locator(".msg-body").click()
    short.get_by_role("button", name="React to this message").click()
    expect(short.locator(".reaction-picker")).to_be_visible()
    screenshot(page, "reaction-picker-phone")
    assert serious_violations(page) == []
    short.get_by_role("button", name="React with ❤️").click()
    expect(reaction(short, "❤️")).to_have_attribute("aria-pressed", "true")
