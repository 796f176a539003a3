"""Work items and escalations in real Chromium (issue 17), a supplier and a client side by side.

Editing an item reaches the partner's history; an escalation is reassigned,
downgraded, acknowledged and resolved with a note from the UI, each side
seeing it, with system notices in the room and deadlines on each viewer's
clock; the board's filters live in the address, with a compact view; My work
and the home page's open escalations.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from rooms.actions.escalations import check_acknowledge_escalation, check_escalate
from rooms.actions.retention import check_set_retention, do_apply_retention
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.models.workitems import REMOVED_TEXT, Escalation
from rooms.schemas import WorkItemChanges
from tests.conftest import Team
from tests.frontend.conftest import (
    ARTIFACTS,
    BROWSER_JOURNEY,
    PHONE,
    off_loop,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY


def side_by_side(name: str, supplier: Any, client: Any) -> None:
    """Each page's screenshot, and the two in one picture: supplier left, client right."""
    screenshot(supplier, f"{name}-supplier")
    screenshot(client, f"{name}-client")
    left = Image.open(ARTIFACTS / f"{name}-supplier.jpg")
    right = Image.open(ARTIFACTS / f"{name}-client.jpg")
    both = Image.new("RGB", (left.width + right.width + 8, max(left.height, right.height)), "#333")
    both.paste(left, (0, 0))
    both.paste(right, (left.width + 8, 0))
    both.save(ARTIFACTS / f"{name}.jpg", quality=70)


def in_zone(page: Any, zone: str) -> None:
    """The browser's clock in ``zone``, as if the person were there."""
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": zone})


def new_item(person: Any, room: Any, title: str, **fields: Any) -> int:
    return int(
        off_loop(lambda: check_create_work_item(person, room_id=room.pk, title=title, **fields)).pk
    )


def escalate(person: Any, room: Any, item_id: int, severity: str = "S1") -> Escalation:
    return off_loop(
        lambda: check_escalate(
            person, room_id=room.pk, item_id=item_id, severity=severity, reason="Line 3 stops"
        )
    )


def test_an_edit_of_a_work_items_fields_shows_in_the_partners_history(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    item = new_item(t.client_member, t.shared, "Ship 4k valves", description="Draft")
    sue = sessions(servers[0], t.supplier_member).open_room(t.shared, f"?item={item}")
    cleo = sessions(servers[1], t.client_member).open_room(t.shared, f"?item={item}")
    expect(cleo.locator(".history")).to_contain_text("created “Ship 4k valves”")

    sue.locator("#item-title").fill("Ship 5k valves by Friday")
    sue.locator("#item-description").fill("Now **5k**, split in two lots")
    sue.locator("#item-labels").fill("ramp-up, valves")
    sue.locator("#item-due").fill("2026-12-24")
    sue.get_by_role("button", name="Save changes").click()

    panel = cleo.locator("#panel")
    expect(panel.locator(".item-title")).to_have_text("Ship 5k valves by Friday")
    expect(panel.locator(".item-description strong")).to_have_text("5k")
    history = panel.locator(".history li").last
    expect(history).to_contain_text("Sue Supplier")
    expect(history).to_contain_text("renamed “Ship 4k valves” → “Ship 5k valves by Friday”")
    expect(history).to_contain_text("edited the description")
    expect(history).to_contain_text("labels none → ramp-up, valves")
    expect(history).to_contain_text("due date none → 2026-12-24")
    expect(cleo.locator("#item-title")).to_have_value("Ship 5k valves by Friday")
    # The item's root in the room names it by its new title too.
    expect(cleo.locator("#messages .msg.kind-workitem .msg-body")).to_have_text(
        "Work item: Ship 5k valves by Friday"
    )
    side_by_side("workitem-edited-history", sue, cleo)


def test_the_partners_retention_removes_its_text_from_an_open_work_item_live(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_member)
    item = new_item(t.supplier_member, t.shared, "Alloy 7 recipe", description="Nickel 12 %")
    off_loop(
        lambda: check_update_work_item(
            t.client_member,
            room_id=t.shared.pk,
            item_id=item,
            changes=WorkItemChanges(description="We need it by March"),
        )
    )
    off_loop(lambda: check_set_retention(t.supplier_admin, shared_days=1, internal_days=None))
    cleo = sessions(servers[1], t.client_member).open_room(t.shared, f"?item={item}")
    panel = cleo.locator("#panel")
    expect(panel.locator(".item-title")).to_have_text("Alloy 7 recipe")
    expect(panel.locator(".history")).to_contain_text("created “Alloy 7 recipe”")

    off_loop(lambda: do_apply_retention(timezone.now() + datetime.timedelta(days=2)))

    # Live: the supplier's title goes, the client's own description stays, and the
    # history is read again (its first entry no longer names the old title).
    expect(panel.locator(".item-title")).to_have_text(REMOVED_TEXT)
    expect(panel.locator(".item-description")).to_have_text("We need it by March")
    history = panel.locator(".history")
    expect(history.locator("li").first).to_contain_text(f"created “{REMOVED_TEXT}”")
    expect(history.locator("li").last).to_contain_text(
        "Causeway removed text under a retention policy"
    )
    expect(history).not_to_contain_text("Alloy")
    expect(cleo.locator("#messages .msg.kind-workitem .msg-body")).to_have_text(
        f"Work item: {REMOVED_TEXT}"
    )
    expect(cleo.locator("#messages")).not_to_contain_text("Alloy")
    screenshot(cleo, "workitem-retention-client")


def test_an_escalation_is_reassigned_downgraded_and_resolved_with_a_note_from_the_ui(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    # Each person's own time zone is the one on their profile; the devices
    # here are both on New York time, which must not matter.
    for person, zone in ((t.supplier_member, "Europe/Berlin"), (t.client_member, "Asia/Tokyo")):
        person.time_zone = zone
        off_loop(person.save, update_fields=["time_zone"])
    item = new_item(t.client_member, t.shared, "Valve shortage")
    escalation = escalate(t.client_member, t.shared, item)
    sue_session = sessions(servers[0], t.supplier_member)
    cleo_session = sessions(servers[1], t.client_member)
    in_zone(sue_session.page, "America/New_York")
    in_zone(cleo_session.page, "America/New_York")
    sue = sue_session.open_room(t.shared, f"?item={item}")
    cleo = cleo_session.open_room(t.shared)

    # The acknowledgement deadline, on each viewer's own clock.
    cleo.locator(".esc-banner .esc-title").click()
    # (Chromium's en-US: "Acknowledge by Tue, Dec 1, 05:23 PM GMT+1".)
    for page, zone, name in ((sue, "Europe/Berlin", "GMT+1"), (cleo, "Asia/Tokyo", "GMT+9")):
        local = escalation.ack_due_at.astimezone(zoneinfo.ZoneInfo(zone))
        expect(page.locator(".esc-box .esc-due")).to_contain_text(f"{local:%I:%M %p} {name}")

    box = sue.locator("#panel .esc-box")
    box.get_by_role("button", name="Reassign…").click()
    box.get_by_label("New owner").select_option(label="Cleo Client (Client)")
    box.get_by_role("button", name="Reassign", exact=True).click()
    expect(cleo.locator("#item-assignee")).to_have_value(str(t.client_member.pk))

    box.get_by_role("button", name="Downgrade…").click()
    box.get_by_label("New severity").select_option("S2")
    box.get_by_role("button", name="Downgrade", exact=True).click()
    expect(cleo.locator(".esc-banner .sev-chip")).to_have_text("S2")

    # Cleo acknowledges her own escalation from the banner; the room says so as Causeway.
    cleo.locator(".esc-banner").get_by_role("button", name="Acknowledge").click()
    expect(sue.locator(".esc-box .esc-clock")).to_contain_text("Acknowledged by Cleo Client")
    sue.get_by_role("tab", name="Messages").click()
    notice = sue.locator("#messages .msg.system-notice", has_text="acknowledged")
    expect(notice.locator(".author")).to_have_text("Notice")
    expect(notice).not_to_contain_text("Cleo Client (Client) Client")  # no person's header

    # Resolving asks for a note; an empty one is refused by the form itself.
    box.get_by_role("button", name="Resolve…").click()
    box.get_by_role("button", name="Resolve", exact=True).click()
    expect(box.locator("#esc-note")).to_be_focused()
    box.get_by_label("Resolution note").fill("Spare valves fitted; line 3 runs again")
    box.get_by_role("button", name="Resolve", exact=True).click()

    expect(cleo.locator(".esc-banner")).to_have_count(0)
    resolved = cleo.locator("#messages .msg.system-notice", has_text="resolved")
    expect(resolved).to_contain_text("Spare valves fitted; line 3 runs again")
    expect(resolved.locator(".author")).to_have_text("Notice")
    # Cleo raised it (and has the work now): she is told, Sue (who resolved it) is not.
    expect(cleo.locator(".toast", has_text="escalation resolved")).to_be_visible()
    expect(sue.locator(".esc-box")).to_contain_text("Escalate…")
    side_by_side("escalation-resolved-with-note", sue, cleo)
    assert off_loop(lambda: Escalation.objects.get(pk=escalation.pk).status) == "resolved"


def test_the_board_filters_live_in_the_address_and_the_compact_view_fits_a_phone(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member)
    new_item(t.supplier_member, t.shared, "Pack lot 7", labels=["logistics"], priority=2)
    drawing = new_item(
        t.client_member,
        t.shared,
        "Approve drawing",
        labels=["quality"],
        assignee=t.client_member.pk,
    )
    urgent = new_item(t.client_member, t.shared, "Certificate missing", labels=["quality"])
    escalate(t.client_member, t.shared, urgent, severity="S2")
    sue_session = sessions(servers[0], t.supplier_member)
    page = sue_session.open_room(t.shared, "?view=board")
    expect(page.locator(".card-item")).to_have_count(3)

    page.get_by_label("Label").select_option("quality")
    expect(page.locator(".card-item")).to_have_count(2)
    page.get_by_label("Escalated").select_option("true")
    expect(page.locator(".card-item")).to_have_count(1)
    expect(page.locator(".filter-state")).to_contain_text("Showing 1 of 3")
    assert "label=quality" in page.url and "escalated=true" in page.url
    # An item that comes to match moves in, live.
    escalate(t.client_member, t.shared, drawing, severity="S3")
    expect(page.locator(".card-item")).to_have_count(2)
    expect(page.locator(".filter-state")).to_contain_text("Showing 2 of 3")

    page.get_by_label("Label").select_option("")
    page.get_by_label("Escalated").select_option("")
    page.get_by_label("Raised by").select_option(label="Client")
    page.get_by_label("Compact").check()
    expect(page.locator("#board.compact")).to_be_visible()
    expect(page.locator(".card-item")).to_have_count(2)
    screenshot(page, "board-filtered-compact")

    # The address is the filter: reloaded (or shared) it shows the same board.
    page.goto(page.url)
    expect(page.locator(".card-item")).to_have_count(2)
    expect(page.get_by_label("Raised by")).to_have_value(str(t.client.pk))
    expect(page.locator("#board.compact")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(".card-item")).to_have_count(3)

    phone = sessions(servers[1], t.supplier_member, PHONE).open_room(
        t.shared, "?view=board&compact=1&label=quality"
    )
    expect(phone.locator(".card-item")).to_have_count(2)
    screenshot(phone, "board-filtered-compact-phone")


def test_my_work_and_the_home_pages_open_escalations(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    new_item(t.client_member, t.shared, "Confirm allocation", assignee=t.supplier_member.pk)
    mine = new_item(t.supplier_member, t.supplier_internal, "Margin review")
    raised = new_item(
        t.supplier_member, t.shared, "Forecast for Q1", due_date=datetime.date(2030, 1, 15)
    )
    escalated = escalate(t.client_member, t.shared, raised, severity="S1")
    sue = sessions(servers[0], t.supplier_member)
    cleo = sessions(servers[1], t.client_member)

    for session in (sue, cleo):
        escalations = session.page.locator("#open-escalations li")
        expect(escalations).to_have_count(1)
        expect(escalations).to_contain_text("Forecast for Q1")
        expect(escalations).to_contain_text("Acknowledge by")
    side_by_side("home-open-escalations", sue.page, cleo.page)

    sue.page.get_by_role("link", name="My work", exact=True).click()
    expect(sue.page.locator("#assigned li")).to_have_count(1)
    expect(sue.page.locator("#assigned")).to_contain_text("Confirm allocation")
    expect(sue.page.locator("#raised li")).to_have_count(2)
    expect(sue.page.locator("#raised")).to_contain_text("Margin review")
    expect(sue.page.locator("#raised")).to_contain_text("S1 escalated")
    expect(sue.page.locator('#raised .due[title="2030-01-15"]')).to_contain_text("Due ")
    # The client's own page: what she raised, nothing of the supplier's internal work.
    cleo.page.goto(cleo.url("/work/"))
    expect(cleo.page.locator("#raised li a")).to_have_text(["Confirm allocation"])
    expect(cleo.page.locator("#assigned")).to_have_text("Nothing assigned to you.")
    expect(cleo.page.locator("main")).not_to_contain_text("Margin review")

    # Acknowledged elsewhere: the home page's list follows, live.
    sue.page.goto(sue.url("/"))
    expect(sue.page.locator("#open-escalations li")).to_have_count(1)
    off_loop(lambda: check_acknowledge_escalation(t.client_admin, escalation_id=escalated.pk))
    expect(sue.page.locator("#open-escalations li")).to_contain_text("Acknowledged by")

    phone = sessions(servers[1], t.supplier_member, PHONE)
    phone.page.goto(phone.url("/work/"))
    expect(phone.page.locator("#raised li")).to_have_count(2)
    screenshot(phone.page, "my-work-phone")
    link = phone.page.locator("#raised a", has_text="Margin review")
    link.click()
    phone.page.wait_for_url(f"**/rooms/{t.supplier_internal.pk}/?item={mine}")
