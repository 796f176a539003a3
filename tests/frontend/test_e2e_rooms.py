"""Managing rooms in real Chromium (issue 17): a supplier person and a client person side by side.

An owner renames a room, sets its topic, archives and reopens it, and the
partner sees each change live; roles change from the members panel; the last
owner leaves by naming the next; someone added to a room sees it at once,
with a notice.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from rooms.actions.members import check_add_member
from rooms.actions.rooms import check_create_internal_room
from tests.conftest import Team, make_person, say
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


def open_settings(page: Any) -> Any:
    page.get_by_role("button", name="Room settings").click()
    panel = page.locator("#panel")
    expect(panel.locator("#panel-title")).to_have_text("Room settings")
    return panel


def test_an_owner_renames_archives_and_reopens_and_the_partner_sees_each_change_live(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin, t.client_member)
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    page = sam.open_room(t.shared)
    theirs = cleo.open_room(t.shared)

    # The partner sees the settings, but only owners change them.
    their_panel = open_settings(theirs)
    expect(their_panel).to_contain_text("Only the room's owners can rename it")
    expect(their_panel.get_by_role("button", name="Archive room…")).to_have_count(0)
    their_panel.get_by_role("button", name="Close panel").click()

    panel = open_settings(page)
    panel.get_by_label("Name").fill("Q3 ramp-up")
    panel.get_by_label("Topic").fill("NW-220 forecast and the March allocation")
    panel.get_by_role("button", name="Save").click()
    expect(panel.locator("form .form-status")).to_have_text("Saved.")
    expect(theirs.locator("#room-name")).to_have_text("Q3 ramp-up")
    expect(theirs.locator("#room-topic")).to_have_text("NW-220 forecast and the March allocation")
    expect(theirs.locator(f'nav.sidebar a[data-room="{t.shared.pk}"]')).to_contain_text(
        "Q3 ramp-up"
    )
    screenshot(page, "room-settings-owner")
    screenshot(theirs, "room-renamed-partner")

    panel.get_by_role("button", name="Archive room…").click()
    dialog = page.get_by_role("dialog", name="Archive Q3 ramp-up?")
    expect(dialog).to_contain_text("at Client too")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Archive room").click()
    banner = theirs.locator("#archived-banner")
    expect(banner).to_contain_text("Archived: read-only for everyone in it.")
    expect(banner).to_contain_text("Sam Supplier-Admin archived it")
    expect(theirs.locator("#composer-slot")).to_be_hidden()
    archived = theirs.locator('nav.sidebar ul[data-group="archived"]')
    expect(archived.locator(f'a[data-room="{t.shared.pk}"]')).to_have_count(1)
    expect(panel.get_by_role("button", name="Reopen room")).to_be_visible()
    screenshot(theirs, "room-archived-by-owner-partner")

    panel.get_by_role("button", name="Reopen room").click()
    expect(banner).to_be_hidden()
    expect(theirs.locator(".toast", has_text="This room is open again")).to_be_visible()
    expect(archived.locator(f'a[data-room="{t.shared.pk}"]')).to_have_count(0)
    send(theirs, "Reopened: the forecast is attached next week")
    expect(message(page, "Reopened: the forecast is attached next week")).to_be_visible()


def test_roles_change_from_the_members_panel_and_the_last_owner_leaves_naming_the_next(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin, t.supplier_member)
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    sue = sessions(servers[1], t.supplier_member, DESKTOP)
    page = sam.open_room(t.supplier_internal)
    hers = sue.open_room(t.supplier_internal)

    # Sam is the internal room's only owner: leaving asks who takes over.
    panel = open_settings(page)
    panel.get_by_role("button", name="Leave room…").click()
    dialog = page.get_by_role("dialog", name="Leave Supplier internal?")
    expect(dialog).to_contain_text("You are the room's last owner.")
    dialog.get_by_role("button", name="Leave room").click()
    expect(dialog.locator(".form-error")).to_have_text("Choose who becomes owner first.")
    dialog.get_by_label("New owner").select_option(label="Sue Supplier (Supplier)")
    screenshot(page, "leave-room-last-owner")
    dialog.get_by_role("button", name="Leave room").click()
    page.wait_for_url(sam.url("/"))
    expect(page.locator(f'a[data-room="{t.supplier_internal.pk}"]')).to_have_count(0)

    told = hers.locator(".toast", has_text="Sam Supplier-Admin made you an owner")
    expect(told).to_be_visible()
    hers.get_by_role("button", name="Members").click()
    members = hers.locator("#panel .member-list")
    expect(members.locator("li")).to_have_count(1)
    expect(members).to_contain_text("owner")
    # The only owner cannot make herself a member: the server says why.
    members.get_by_role("button", name="Make member (not an owner): Sue Supplier").click()
    expect(hers.locator(".toast", has_text="Could not change the role")).to_contain_text(
        "last owner"
    )


def test_an_owner_makes_the_partner_an_owner_and_they_are_told(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_admin, t.client_member)
    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    cleo = sessions(servers[1], t.client_member, PHONE)
    page = sam.open_room(t.shared)
    theirs = cleo.open_room(t.shared)
    page.get_by_role("button", name="Members").click()
    page.get_by_role("button", name="Make owner: Cleo Client").click()
    row = page.locator(f'#panel .member-list li[data-person="{t.client_member.pk}"]')
    expect(row).to_contain_text("owner")
    told = theirs.locator(".toast", has_text="Sam Supplier-Admin made you an owner")
    expect(told).to_be_visible()
    panel = open_settings(theirs)
    expect(panel.get_by_label("Name")).to_have_value("Shared")
    expect(panel.get_by_role("button", name="Archive room…")).to_be_visible()
    screenshot(theirs, "room-settings-phone")


def test_a_room_you_are_added_to_appears_at_once_with_a_notice(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    nia = off_loop(make_person, t.client, name="Nia New")
    prepare_for_browser(nia)
    session = sessions(servers[1], nia, DESKTOP)
    home = session.page
    expect(home.locator(".internal-group")).to_contain_text("No internal rooms yet.")

    off_loop(check_add_member, t.client_admin, room_id=t.shared.pk, person_id=nia.pk)
    toast = home.locator(".toast", has_text="Cal Client-Admin added you to Shared")
    expect(toast).to_contain_text("Shared with Supplier")
    card = home.locator(f'.home-rooms ul[data-group="shared"] a[data-room="{t.shared.pk}"]')
    expect(card).to_contain_text("Shared")
    expect(home.locator(".shared-group h2")).to_have_text("Shared with Supplier")
    screenshot(home, "added-to-room-home")

    # A message there counts on the new card at once: the room is watched.
    off_loop(check_add_member, t.client_admin, room_id=t.client_internal.pk, person_id=nia.pk)
    internal = home.locator(f'.home-rooms a[data-room="{t.client_internal.pk}"]')
    expect(internal).to_be_visible()
    expect(home.locator(".internal-group")).not_to_contain_text("No internal rooms yet.")
    internal.click()
    expect(home.locator("#conn")).to_have_attribute("data-state", "live")
    expect(home.locator("#members-button")).to_contain_text("online")

    # On a room page, the sidebar gains a new room too.
    fresh = off_loop(check_create_internal_room, t.client_admin, name="Audit prep")
    off_loop(check_add_member, t.client_admin, room_id=fresh.pk, person_id=nia.pk)
    link = home.locator(f'nav.sidebar a[data-room="{fresh.pk}"]')
    expect(link).to_contain_text("Audit prep")
    expect(home.locator(".toast", has_text="added you to Audit prep")).to_be_visible()
    off_loop(say, t.client_admin, fresh, "Welcome, Nia")
    expect(home.locator(f'[data-unread="{fresh.pk}"]')).to_have_text("1")
    screenshot(home, "added-to-room-sidebar")
