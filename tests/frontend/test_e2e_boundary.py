"""The boundary between the two companies, as people meet it in real Chromium.

A supplier person and a client person side by side, each in their own browser,
on two real Daphne processes (tests/frontend/conftest.py). Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from rooms.actions.invitations import check_create_invitation
from rooms.actions.messages import check_send_message
from rooms.actions.people import check_deactivate_person
from rooms.models.invitations import Invitation
from tests.conftest import Team, make_person, make_shared_room
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
    send,
)

pytestmark = BROWSER_JOURNEY


def test_nobody_on_the_other_side_can_delete_your_words(live_team: Team, servers, sessions):
    t = live_team
    prepare_for_browser(t.supplier_admin, t.client_member, t.client_admin)
    cleo = sessions(servers[1], t.client_member)
    cleo_page = cleo.open_room(t.shared)
    send(cleo_page, "We accept the 2-day slip, no penalty")
    expect(message(cleo_page, "We accept the 2-day slip")).to_have_attribute(
        "data-id", re.compile(r"^\d+$")
    )

    # The supplier's admin owns the shared room, and still gets no Delete on it.
    sam = sessions(servers[0], t.supplier_admin)
    sam_page = sam.open_room(t.shared)
    send(sam_page, "Noted, thanks.")
    theirs = message(sam_page, "We accept the 2-day slip")
    theirs.hover()
    expect(theirs.locator(".msg-actions")).to_be_visible()
    expect(theirs.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    mine = message(sam_page, "Noted, thanks.")
    expect(mine).to_have_attribute("data-id", re.compile(r"^\d+$"))  # stored, not pending
    mine.hover()
    expect(mine.get_by_role("button", name="Delete", exact=True)).to_have_count(1)
    theirs.hover()
    screenshot(sam_page, "shared-no-delete-for-the-other-side")

    # The client's own admin may moderate it.
    cal = sessions(servers[1], t.client_admin)
    cal_page = cal.open_room(t.shared)
    cleos = message(cal_page, "We accept the 2-day slip")
    cleos.hover()
    expect(cleos.get_by_role("button", name="Delete", exact=True)).to_have_count(1)
    sams = message(cal_page, "Noted, thanks.")
    sams.hover()
    expect(sams.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


def test_people_are_added_from_a_picker_and_nobody_becomes_a_colleague_by_accident(
    live_team: Team, servers, sessions
):
    t = live_team
    second = off_loop(make_shared_room, t.partnership, t.supplier_admin, name="Second")
    stranger = off_loop(make_person, t.client, name="Stella Stranger")  # shares no room
    prepare_for_browser(t.supplier_admin, t.supplier_member, t.client_member)
    sam = sessions(servers[0], t.supplier_admin)
    page = sam.open_room(second, "?panel=members")
    panel = page.locator("#panel")
    results = panel.locator("#add-people-results")

    # The owner's picker: a colleague, and the client people Sam shares a room with.
    expect(results.locator("li")).to_have_count(3)
    expect(results).to_contain_text(t.supplier_member.name)
    expect(results).to_contain_text(t.client_member.name)
    expect(results).not_to_contain_text(stranger.name)
    panel.get_by_role("button", name=f"Add {t.supplier_member.name} (Supplier)").click()
    member_list = panel.locator(".member-list")
    expect(member_list).to_contain_text(t.supplier_member.name)
    panel.get_by_label("Find people to add").fill("cleo")
    expect(results.locator("li")).to_have_count(1)
    screenshot(page, "add-people")
    panel.get_by_role("button", name=f"Add {t.client_member.name} (Client)").click()
    expect(member_list.locator(".org-badge.partner")).to_have_text("⇄ Client")

    # The client person was really added: the room is theirs to open.
    cleo = sessions(servers[1], t.client_member)
    cleo_page = cleo.open_room(second)
    expect(cleo_page.locator("#room-name")).to_have_text("Second")

    # A free-mail address with "Decide by e-mail domain": the inviter must choose.
    panel.get_by_label("E-mail", exact=True).fill("erin@gmail.example")
    panel.get_by_role("button", name="Send invitation").click()
    status = panel.locator(".invite-form .form-status")
    expect(status).to_contain_text("choose which organization they join")
    joins_as = panel.get_by_label("Joins as")
    expect(joins_as).to_have_attribute("aria-invalid", "true")
    expect(joins_as).to_be_focused()
    assert not Invitation.objects.filter(email="erin@gmail.example").exists()

    # Choosing their own organization: an admin confirms, knowing what it means.
    joins_as.select_option(label="Supplier (your organization)")
    panel.get_by_role("button", name="Send invitation").click()
    dialog = page.get_by_role("dialog", name="Make erin@gmail.example a member of Supplier?")
    expect(dialog).to_contain_text("not on a verified domain of Supplier")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "invite-outside-domain-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert not Invitation.objects.filter(email="erin@gmail.example").exists()
    panel.get_by_role("button", name="Send invitation").click()
    dialog.get_by_role("button", name="Invite as a member of Supplier").click()
    expect(status).to_have_text("Invitation sent to erin@gmail.example, to join Supplier.")
    pending = panel.locator(".invitations li", has_text="erin@gmail.example")
    expect(pending.locator(".warn-chip")).to_have_text("outside your domains")
    invitation = Invitation.objects.get(email="erin@gmail.example")
    assert (invitation.organization_id, invitation.outside_domain) == (t.supplier.id, True)

    # A member who is not an admin cannot make a stranger a colleague at all,
    # and, not owning the room, is offered only colleagues.
    sue = sessions(servers[0], t.supplier_member)
    sue_page = sue.open_room(second, "?panel=members")
    sue_panel = sue_page.locator("#panel")
    expect(sue_panel.locator(".add-people")).to_contain_text(
        "Only the room's owners add people of Client"
    )
    expect(sue_panel.locator("#add-people-results .org-badge.partner")).to_have_count(0)
    sue_panel.get_by_label("E-mail", exact=True).fill("frank@gmail.example")
    sue_panel.get_by_label("Joins as").select_option(label="Supplier (your organization)")
    sue_panel.get_by_role("button", name="Send invitation").click()
    expect(sue_panel.locator(".invite-form .form-status")).to_have_text(
        "Only an organization admin can invite e-mails outside its domains."
    )
    expect(sue_page.get_by_role("dialog")).to_have_count(0)


def test_the_invitation_link_of_someone_who_left_no_longer_works(live_team: Team, servers, browser):
    t = live_team
    email = f"newbie@{t.supplier.verified_domains[0]}"
    _invitation, token = off_loop(
        check_create_invitation, t.supplier_member, room_id=t.shared.id, email=email
    )
    off_loop(check_deactivate_person, t.supplier_admin, person_id=t.supplier_member.id)
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{servers[0].origin}/invitations/{token}/")
        assert response is not None and response.status == 410
        expect(page.locator("h1")).to_have_text("Invitation not usable")
        expect(page.get_by_role("link", name="Create your account")).to_have_count(0)
    finally:
        context.close()


def test_an_admin_ends_the_partnership_and_both_sides_keep_a_read_only_room(
    live_team: Team, servers, sessions
):
    t = live_team
    off_loop(
        lambda: check_send_message(
            t.client_member, room_id=t.shared.id, client_id="before-end", body="Final PO sent"
        )
    )
    prepare_for_browser(t.client_admin, t.supplier_member)
    sue = sessions(servers[0], t.supplier_member)
    sue_page = sue.open_room(t.shared)
    expect(message(sue_page, "Final PO sent")).to_have_count(1)

    cal = sessions(servers[1], t.client_admin)
    home = cal.page
    row = home.locator(f'[data-partnership="{t.partnership.id}"]')
    row.get_by_role("button", name="End partnership…").click()
    dialog = home.get_by_role("dialog", name="End the partnership with Supplier?")
    expect(dialog).to_contain_text("shared room becomes read-only for both sides")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="End partnership with Supplier").click()
    expect(dialog.locator(".form-error")).to_have_text(
        "Give a reason: both organizations will see it."
    )
    dialog.get_by_label("Reason (shown to both organizations)").fill("Contract not renewed.")
    screenshot(home, "end-partnership-confirm")
    dialog.get_by_role("button", name="End partnership with Supplier").click()
    expect(row.locator(".status-chip")).to_have_text("ended")
    expect(row.locator(".p-ended")).to_contain_text(
        "Cal Client-Admin (Client): “Contract not renewed.”"
    )
    archived = home.locator(".archived-group")
    expect(archived.locator(".room-link", has_text=t.shared.name)).to_have_count(1)

    # The supplier's open room turns read-only at once, and stays readable.
    banner = sue_page.locator("#archived-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Archived: read-only for both sides.")
    expect(banner).to_contain_text("Cal Client-Admin (Client): “Contract not renewed.”")
    expect(sue_page.locator("#composer-slot")).to_be_hidden()
    theirs = message(sue_page, "Final PO sent")
    theirs.hover()
    expect(theirs.locator(".msg-actions")).to_be_hidden()
    screenshot(sue_page, "archived-room")
    sue_page.reload()
    expect(sue_page.locator("#archived-banner")).to_contain_text("Contract not renewed.")
    expect(message(sue_page, "Final PO sent")).to_have_count(1)
    expect(sue_page.locator(".room-list.archived .room-link.current")).to_have_count(1)
    # A write from an old tab is refused with the documented error.
    answer = sue_page.evaluate(
        """async (room) => {
            const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const r = await fetch(`/api/rooms/${room}/workitems/`, {method: "POST",
              headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
              body: JSON.stringify({title: "late"})});
            return [r.status, (await r.json()).error.code];
        }""",
        t.shared.id,
    )
    assert answer == [409, "archived"]
