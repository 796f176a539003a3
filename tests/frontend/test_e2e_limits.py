"""Messages too large to send, in real Chromium against a real Daphne process.

The person pastes text the server would refuse: the web app must say so and
keep the text, never send it, and never fall into a silent reconnect loop
when the server (or a proxy in front of it) refuses a frame after all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from rooms.models.messages import Message
from tests.conftest import Team
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    SERVER_ENV,
    composer,
    off_loop,
    prepare_for_browser,
    screenshot,
)
from tests.live import DaphneProcess

pytestmark = BROWSER_JOURNEY

# Messages of up to 200,000 characters: frames, not characters, are then the
# limit that binds (64 KiB), as on a hub whose operator raised the message
# limit.
MAX_CHARS = 200_000


@pytest.fixture
def live_team(transactional_db: None) -> Team:
    return off_loop(Team)


@pytest.fixture
def roomy_server(browser: Any, live_team: Team):
    server = DaphneProcess({**SERVER_ENV, "CAUSEWAY_MESSAGE_MAX_CHARS": str(MAX_CHARS)})
    yield server
    server.stop()


class SocketTap:
    """Sits on the page's socket (Playwright's WebSocket routing) in front of the real server.

    It passes every frame through unchanged, except what a test asks for:
    ``advertise`` replaces hello's ``frame_max_bytes`` (a client that believes
    the server takes bigger frames), and ``close_over`` closes the page's
    socket with 1009 instead of forwarding a frame over that many bytes (a
    proxy with a smaller limit than the server's).
    """

    def __init__(self) -> None:
        self.advertise: int | None = None
        self.close_over: int | None = None
        self.sent: list[str] = []

    def __call__(self, ws: Any) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                self.sent.append(message)
            if self.close_over is not None and len(message) > self.close_over:
                ws.close(code=1009, reason="Message too big")
                server.close()
                return
            server.send(message)

        def from_server(message: str | bytes) -> None:
            if isinstance(message, str) and self.advertise is not None:
                frame = json.loads(message)
                if frame.get("type") == "hello":
                    frame["limits"]["frame_max_bytes"] = self.advertise
                    message = json.dumps(frame)
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    def big_sends(self) -> int:
        return sum(1 for m in self.sent if len(m) > 65536)


def paste(page: Any, text: str) -> None:
    """Put ``text`` on the clipboard and paste it into the room's composer."""
    box = page.locator("#composer-slot textarea")
    box.fill("")
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    box.focus()
    page.keyboard.press("Control+V")


def test_a_message_too_large_to_send_is_explained_kept_and_never_sent(
    live_team: Team, roomy_server: DaphneProcess, browser: Any
):
    t = live_team
    prepare_for_browser(t.supplier_member)
    tap = SocketTap()
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.route_web_socket("**/ws/", tap)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{roomy_server.origin}/accounts/login/")
        page.get_by_label("Email").fill(t.supplier_member.email)
        page.get_by_label("Password").fill("pw-for-tests-123")
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{roomy_server.origin}/")
        page.goto(f"{roomy_server.origin}/rooms/{t.shared.id}/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        expect(page.locator("#members-button")).to_contain_text("online")
        box = page.locator("#composer-slot textarea")
        problem = page.locator("#composer-slot [role=alert]")

        # Over the character limit: pasted whole, explained, not sent.
        paste(page, "y" * 250_000)
        expect(box).to_have_js_property("value", "y" * 250_000)
        box.press("Enter")
        expect(problem).to_have_text(
            "This message is too long to send (250,000 characters; the limit is 200,000)."
        )

        # Under the character limit but over the frame limit (64 KiB).
        paste(page, "x" * 70_000)
        box.press("Enter")
        expect(problem).to_have_text(
            "This message is too large to send (68.5 KB; the limit is 64 KB)."
        )
        expect(box).to_have_js_property("value", "x" * 70_000)
        expect(page.locator("#messages .msg.pending")).to_have_count(0)
        screenshot(page, "too-large")
        # Typing clears the explanation; a message that fits still goes out.
        box.fill("A short one instead")
        expect(problem).to_be_hidden()
        box.press("Enter")
        expect(page.locator("#messages .msg", has_text="A short one instead")).to_have_count(1)
        expect(page.locator("#messages .msg.pending")).to_have_count(0)
        assert tap.big_sends() == 0

        # A client that believes the server takes 1 MiB frames sends one: the
        # server answers too_large (ref null), and the person is told at
        # once, on the message and in a toast; the socket stays open.
        tap.advertise = 1024 * 1024
        page.reload()
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        paste(page, "z" * 70_000)
        box.press("Enter")
        refused = page.locator("#messages .msg.failed", has_text="zzz")
        expect(refused).to_contain_text("Not sent")
        toast = page.locator(".toast", has_text="Message not sent")
        expect(toast).to_contain_text("too large: Frames are limited to 65536 bytes")
        screenshot(page, "too-large-refused")
        assert tap.big_sends() == 1
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        refused.hover()
        refused.get_by_role("button", name="Discard").click()
        expect(refused).to_have_count(0)
        page.locator(".toast .icon-button").first.click()

        # A proxy that closes with 1009: told, the message marked not sent,
        # and not sent again after the reconnect.
        tap.close_over = 65536
        paste(page, "w" * 70_000)
        box.press("Enter")
        failed = page.locator("#messages .msg.failed")
        expect(failed).to_have_count(1)
        expect(failed).to_contain_text("Not sent")
        expect(page.locator(".toast", has_text="too large").first).to_be_visible()
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        box.fill("After the reconnect")
        box.press("Enter")
        expect(page.locator("#messages .msg", has_text="After the reconnect")).to_have_count(1)
        expect(page.locator("#messages .msg.pending")).to_have_count(0)
        assert tap.big_sends() == 2  # the one the proxy refused, once
        assert not errors, errors
        stored = Message.objects.filter(room=t.shared).values_list("body", flat=True)
        assert sorted(stored) == ["A short one instead", "After the reconnect"]
    finally:
        context.close()


@pytest.fixture
def strict_server(browser: Any, live_team: Team):
    """Three writes per person per 10 s: the limit a fast typist meets at once."""
    server = DaphneProcess({**SERVER_ENV, "CAUSEWAY_RATE_WRITES": "3"})
    yield server
    server.stop()


def test_messages_over_the_rate_limit_wait_under_one_notice_and_go_by_themselves(
    live_team: Team, strict_server: DaphneProcess, sessions: Any
):
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(strict_server, t.supplier_member, DESKTOP)
    cleo = sessions(strict_server, t.client_member, DESKTOP)
    page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)
    box = composer(page)
    lines = [f"Pallet {n} loaded" for n in range(1, 8)]
    for line in lines:
        box.fill(line)
        box.press("Enter")

    # One notice, not one per message; the ones over the limit say they wait.
    notice = page.locator("#toasts .toast")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Sending paused")
    expect(notice).to_contain_text("by themselves")
    # Those over the limit say they wait (how many depends on where the
    # 10-second windows fall; seven in a second span at most two windows,
    # which pass six).
    expect(page.locator("#messages .send-state.held").first).to_contain_text("Waiting")
    expect(page.locator("#messages .send-state.failed")).to_have_count(0)
    screenshot(page, "rate-limit-held")

    # Each goes when its window reopens, in order, once: the partner sees all seven.
    received = cleo_page.locator("#messages .msg .msg-body")
    expect(received).to_have_text(lines, timeout=45_000)
    expect(page.locator("#messages .send-state")).to_have_count(0, timeout=15_000)
    expect(page.locator("#toasts .toast")).to_have_count(0)
    stored = off_loop(
        lambda: list(
            Message.objects.filter(room=t.shared, author=t.supplier_member)
            .order_by("seq")
            .values_list("body", flat=True)
        )
    )
    assert stored == lines
    screenshot(cleo_page, "rate-limit-all-arrived")
