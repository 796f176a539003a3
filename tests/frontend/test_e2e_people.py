"""People in real Chromium (issue 17): a supplier person and a client person side by side.

A profile change (name, title, time zone, picture) reaches the partner's open room
without a reload; a name opens the person's card, with their local time and
only the rooms both are in, by mouse or keyboard, at desktop and phone width;
presence dots grey out while the connection is lost and come back with it.
"""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from rooms.actions.messages import check_send_message
from tests.conftest import Team
from tests.frontend.conftest import (
    ARTIFACTS,
    BROWSER_JOURNEY,
    DESKTOP,
    FAST_PRESENCE,
    PHONE,
    DaphneAt,
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
)
from tests.live import free_port

pytestmark = BROWSER_JOURNEY

GREY = "rgb(227, 230, 234)"  # app.css: a dot whose presence is unknown
GREEN = "rgb(34, 165, 90)"  # app.css: online


def side_by_side(name: str, left: Any, right: Any) -> None:
    """The two people's screens in one picture (each also kept on its own)."""
    screenshot(left, f"{name}-left")
    screenshot(right, f"{name}-right")
    images = [Image.open(ARTIFACTS / f"{name}-{side}.jpg") for side in ("left", "right")]
    both = Image.new(
        "RGB", (sum(i.width for i in images) + 12, max(i.height for i in images)), "#9aa3af"
    )
    both.paste(images[0], (0, 0))
    both.paste(images[1], (images[0].width + 12, 0))
    both.save(ARTIFACTS / f"{name}.jpg", quality=70)


def portrait() -> bytes:
    """A picture to upload: a dark circle on a light ground, wider than tall."""
    image = Image.new("RGB", (480, 320), "#f4d9b8")
    ImageDraw.Draw(image).ellipse((160, 60, 320, 260), fill="#7a4a2a")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def say(person: Any, room: Any, body: str) -> None:
    off_loop(check_send_message, person, room_id=room.id, client_id=f"seed-{body}", body=body)


def test_a_profile_change_reaches_the_partners_open_room_and_the_card_shows_it(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    say(t.supplier_member, t.shared, "Forecast for March attached tomorrow")
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    room = cleo.open_room(t.shared)
    author = message(room, "Forecast for March").locator("button.author")
    expect(author).to_have_text("Sue Supplier")

    # Sue's own other tab, on the room.
    own_tab = sue.context.new_page()
    own_tab.goto(sue.url(f"/rooms/{t.shared.id}/"))
    expect(own_tab.locator("#conn")).to_have_attribute("data-state", "live")
    profile = sue.page
    profile.goto(sue.url("/profile/"))
    profile.get_by_label("Display name").fill("Sue Okafor")
    profile.get_by_label("Job title").fill("Supply planner")
    profile.get_by_label("Time zone").select_option("Asia/Tokyo")
    profile.get_by_role("button", name="Save", exact=True).click()
    expect(profile.get_by_text("Your profile is saved.")).to_be_visible()
    expect(profile.get_by_label("Time zone")).to_have_value("Asia/Tokyo")

    # The partner's open page, and Sue's other tab, without a reload.
    expect(author).to_have_text("Sue Okafor")
    expect(own_tab.locator(".me-name")).to_have_text("Sue Okafor")
    expect(message(own_tab, "Forecast for March").locator("button.author")).to_have_text(
        "Sue Okafor"
    )
    expect(room.locator(f'#people li[data-person="{t.supplier_member.id}"]')).to_have_attribute(
        "title", re.compile("^Sue Okafor ·")
    )

    # A picture, chosen on the profile page: the partner's page shows it, live.
    profile.locator("#avatar-file").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": portrait()}
    )
    expect(profile.locator("#avatar-status")).to_have_text(re.compile("^Saved"))
    expect(profile.locator("#avatar-preview img.face")).to_be_visible()
    profile.locator("#avatar-settings").scroll_into_view_if_needed()
    screenshot(profile, "people-profile-picture")
    face = message(room, "Forecast for March").locator(".avatar img.face")
    expect(face).to_have_attribute(
        "src", re.compile(rf"^/api/people/{t.supplier_member.id}/avatar/")
    )
    room.wait_for_function(
        "img => img.complete && img.naturalWidth === 256", arg=face.element_handle()
    )
    expect(
        room.locator(f'#people li[data-person="{t.supplier_member.id}"] img.face')
    ).to_be_visible()

    author.click()
    card = room.get_by_role("dialog", name="Sue Okafor")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Supply planner")
    expect(card).to_contain_text(t.supplier.name)
    expect(card).to_contain_text(re.compile(r"\d{1,2}:\d\d\b.* local time \(Asia/Tokyo\)"))
    expect(card.get_by_role("link")).to_have_text(["Shared"])  # never "Supplier internal"
    expect(card).not_to_contain_text("Supplier internal")
    side_by_side("people-profile-and-card", profile, room)

    room.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(author).to_be_focused()


def test_the_card_opens_from_the_members_panel_by_keyboard(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_member)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    room = cleo.open_room(t.shared)
    room.locator("#members-button").click()
    name = room.locator(".member-list").get_by_role("button", name="Sam Supplier-Admin")
    name.focus()
    room.keyboard.press("Enter")
    card = room.get_by_role("dialog", name="Sam Supplier-Admin")
    expect(card).to_be_visible()
    expect(card).to_be_focused()
    expect(card.get_by_role("link")).to_have_text(["Shared"])
    card.get_by_role("button", name="Close").click()
    expect(card).to_be_hidden()
    expect(name).to_be_focused()
    # Escape closes the card first, and leaves the panel open.
    room.keyboard.press("Enter")
    expect(card).to_be_visible()
    room.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(room.locator(".member-list")).to_be_visible()


def test_at_phone_width_the_card_fits_the_screen(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_member)
    say(t.supplier_member, t.shared, "Can we move the audit to Thursday?")
    cleo = sessions(servers[1], t.client_member, PHONE)
    room = cleo.open_room(t.shared)
    message(room, "audit to Thursday").locator("button.author").click()
    card = room.get_by_role("dialog", name="Sue Supplier")
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    screenshot(room, "people-card-phone")


def test_presence_greys_out_while_the_connection_is_lost_and_comes_back(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    say(t.supplier_member, t.shared, "Samples leave the plant on Friday")
    port = free_port()
    own = DaphneAt(port, FAST_PRESENCE)
    try:
        sue = sessions(servers[0], t.supplier_member, DESKTOP)
        sue.open_room(t.shared)
        cleo = sessions(own, t.client_member, DESKTOP)
        room = cleo.open_room(t.shared)
        chip = room.locator(f'#people li[data-person="{t.supplier_member.id}"]')
        dot = chip.locator(".presence")
        expect(chip.locator(".sr-only")).to_have_text("Sue Supplier, online")
        expect(dot).to_have_css("background-color", GREEN)
        room.locator("#members-button").click()
        listed = room.locator(f'.member-list li[data-person="{t.supplier_member.id}"]')
        expect(listed.locator(".state")).to_have_text("online")

        own.kill()
        expect(room.locator("#conn")).to_have_attribute("data-state", "reconnecting")
        expect(dot).to_have_css("background-color", GREY)
        expect(chip.locator(".sr-only")).to_have_text("Sue Supplier, presence unknown")
        expect(room.locator("#members-button")).to_contain_text("presence unknown")
        expect(listed.locator(".state")).to_have_text("presence unknown")
        author_dot = message(room, "Samples leave").locator(".presence")
        expect(author_dot).to_have_css("background-color", GREY)
        screenshot(room, "people-presence-unknown")

        own = DaphneAt(port, FAST_PRESENCE)
        expect(room.locator("#conn")).to_have_attribute("data-state", "live", timeout=30_000)
        expect(chip.locator(".sr-only")).to_have_text("Sue Supplier, online")
        expect(dot).to_have_css("background-color", GREEN)
        expect(listed.locator(".state")).to_have_text("online")
        expect(author_dot).to_have_css("background-color", GREEN)
    finally:
        own.stop()


def test_the_home_page_offers_this_devices_time_zone_once(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    page = sue.page
    # Sue's profile says UTC (she never chose); her laptop is on Berlin time.
    page.context.new_cdp_session(page).send(
        "Emulation.setTimezoneOverride", {"timezoneId": "Europe/Berlin"}
    )
    page.reload()
    nudge = page.locator(".zone-nudge")
    expect(nudge).to_contain_text("Your profile says UTC; this device is on Europe/Berlin.")
    screenshot(page, "people-zone-nudge")
    nudge.get_by_role("button", name="Use Europe/Berlin").click()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(page.locator(".zone-nudge")).to_have_count(0)
    off_loop(t.supplier_member.refresh_from_db)
    assert t.supplier_member.time_zone == "Europe/Berlin"

    # Cleo keeps her profile's zone: asked no more on this device.
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    cleo_page = cleo.page
    cleo_page.context.new_cdp_session(cleo_page).send(
        "Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"}
    )
    cleo_page.reload()
    cleo_page.locator(".zone-nudge").get_by_role("button", name="Keep UTC").click()
    expect(cleo_page.locator(".zone-nudge")).to_have_count(0)
    cleo_page.reload()
    expect(cleo_page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(cleo_page.locator(".zone-nudge")).to_have_count(0)
    off_loop(t.client_member.refresh_from_db)
    assert t.client_member.time_zone == "UTC"
