"""Everyday details in real Chromium (issue 17): a supplier person and a client person side by side.

Erasing a half-written message takes "… is typing" away at once; an
escalation's notification opens the work item in its own room.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from rooms.actions.escalations import check_escalate
from rooms.actions.workitems import check_create_work_item
from tests.conftest import Team
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    composer,
    off_loop,
    prepare_for_browser,
)

pytestmark = BROWSER_JOURNEY


def test_erasing_a_half_written_message_takes_the_typing_line_away_at_once(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    page = sue.open_room(t.shared)
    cleo_page = cleo.open_room(t.shared)
    box = composer(page)
    box.press_sequentially("We might need to pos", delay=30)
    typing = cleo_page.locator("#typing")
    expect(typing).to_have_text("Sue Supplier is typing…")
    box.fill("")
    box.dispatch_event("input")
    # Gone within a second, not when the notice would expire (6 s).
    expect(typing).to_have_text("", timeout=1000)


def test_an_escalation_notification_opens_the_work_item_in_its_own_room(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin)
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    page = sam.page
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")

    def escalate() -> int:
        item = check_create_work_item(
            t.client_member, room_id=t.shared.pk, title="Confirm March allocation"
        )
        check_escalate(
            t.client_member,
            room_id=t.shared.pk,
            item_id=item.pk,
            severity="S1",
            reason="Line stops Monday",
        )
        return int(item.pk)

    item_id = off_loop(escalate)
    toast = page.locator(".toast", has_text="S1 escalation")
    expect(toast).to_be_visible()
    toast.get_by_role("link", name="Open").click()
    page.wait_for_url(f"**/rooms/{t.shared.pk}/?item={item_id}")
    expect(page.locator("#panel")).to_contain_text("Confirm March allocation")
    expect(page.locator("#panel")).not_to_contain_text("not found")
