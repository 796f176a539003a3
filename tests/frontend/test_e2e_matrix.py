"""The Matrix bridge's settings in real Chromium, against a real Synapse: an admin connects
an internal room to a Matrix room, installs the registration the page shows, invites the
bot and links the engineer; a mirrored shared thread and a message of the room then
appear in the Matrix room. The Matrix room's messages as the engineer's client sees them
are written to test-artifacts/matrix-room.txt (docs/connectors.md quotes them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.connectors.relay import do_relay_connectors
from rooms.models.matrix import MatrixBridge, MatrixLink
from tests.conftest import HAS_POSTGRES, HAS_REDIS, Team, say
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    FAST_PRESENCE,
    PHONE,
    off_loop,
    prepare_for_browser,
    screenshot,
)
from tests.live import DaphneProcess
from tests.matrix.synapse import Synapse

pytestmark = [*BROWSER_JOURNEY, pytest.mark.timeout(600)]

LOOPBACK = {"CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS": "127.0.0.0/8"}
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def servers(
    browser: Any, django_db_setup: None, django_db_blocker: Any
) -> Iterator[list[DaphneProcess]]:
    """As tests/frontend/conftest.py's, with loopback allowed: the homeserver lives there."""
    if not (HAS_POSTGRES and HAS_REDIS):
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    with django_db_blocker.unblock():
        started = [DaphneProcess(FAST_PRESENCE | LOOPBACK), DaphneProcess(FAST_PRESENCE | LOOPBACK)]
    yield started
    for server in started:
        server.stop()


def relay() -> None:
    off_loop(relay_all)
    while off_loop(do_relay_connectors) > 0:
        pass


def transcript(synapse: Synapse, events: list[dict[str, Any]]) -> str:
    """The room's messages as a client lists them: who (display name), what, and the relation."""
    lines = []
    for event in events:
        content = event["content"]
        if "body" not in content:
            continue
        name = synapse_name(synapse, event["sender"])
        relation = (content.get("m.relates_to") or {}).get("rel_type")
        how = {"m.thread": " (in the thread)", "m.replace": " (edit)"}.get(relation or "", "")
        body = content["body"].replace("\n", "\n    ")
        lines.append(f"{name} <{event['sender']}>{how}:\n    {body}")
    return "\n".join(lines) + "\n"


_names: dict[str, str] = {}


def synapse_name(synapse: Synapse, user_id: str) -> str:
    if user_id not in _names:
        viewer = synapse.register(f"viewer{len(_names)}_{id(_names)}")
        _names[user_id] = viewer.display_name(user_id) or user_id
    return _names[user_id]


def test_an_admin_connects_a_room_to_matrix_and_the_room_appears_there(
    live_team: Team,
    servers: Any,
    sessions: Any,
    synapse: Synapse,
    settings: Any,
) -> None:
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = ["127.0.0.0/8"]  # the relay, run here
    t = live_team
    prepare_for_browser(t.supplier_admin)
    engineer = synapse.register("sue.ops")
    matrix_room = engineer.create_room("Supplier ops")

    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    page = sam.page
    page.goto(sam.url("/organization/"))
    section = page.locator("#org-connectors")
    heading = section.get_by_role("heading", name="Matrix bridge")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()

    # No room is chosen for the admin; shared rooms are not offered.
    room = page.locator("#matrix-room")
    expect(room).to_have_value("")
    expect(room.locator("option")).to_have_text(["Choose a room…", "Supplier internal"])
    page.get_by_label("Homeserver URL").fill(synapse.url)
    page.get_by_label("Matrix room (id or alias)").fill(matrix_room)
    section.get_by_role("button", name="Connect").click()
    expect(page.locator("#matrix-error")).to_contain_text("Choose the internal room")
    room.select_option(label="Supplier internal")
    section.get_by_role("button", name="Connect").click()
    registration = page.locator(".matrix-registration")
    expect(registration).to_contain_text("hs_token")
    bridge = MatrixBridge.objects.get(connector__organization=t.supplier)
    assert bridge.hs_token in (registration.text_content() or "")
    # The connectors list shows it too (its state and dead letters live there).
    expect(section.locator(".connector-row[data-state]")).to_contain_text("Matrix bridge")
    page.locator("#matrix-installed").scroll_into_view_if_needed()
    screenshot(page, "matrix-connected")

    # On the homeserver: install what the page showed, invite the bot it names.
    synapse.install_appservice(registration.text_content() or "")
    bot = page.locator(".matrix-bridge .matrix-bot").text_content() or ""
    engineer.invite(matrix_room, bot.replace("<your server>", "acme.test"))

    # Link the engineer's Matrix account to Sue.
    card = page.locator(".matrix-bridge")
    card.get_by_label("Matrix user", exact=True).fill(engineer.user_id)
    card.get_by_label("Causeway person").select_option(label=t.supplier_member.name)
    card.get_by_role("button", name="Link").click()
    expect(page.locator(".matrix-bridge")).to_contain_text(
        f"{engineer.user_id} writes as {t.supplier_member.name}"
    )
    assert MatrixLink.objects.get(bridge=bridge).person_id == t.supplier_member.pk

    # The room's messages and a mirrored shared thread reach the Matrix room.
    off_loop(say, t.supplier_member, t.supplier_internal, "Line 3 pump replaced; monitoring.")
    root = off_loop(say, t.client_member, t.shared, "Can you ship the seal kits by Friday?")
    off_loop(
        check_create_mirror,
        t.supplier_member,
        source_room_id=t.shared.pk,
        root_id=root.pk,
        target_room_id=t.supplier_internal.pk,
    )
    off_loop(say, t.client_admin, t.shared, "Friday noon at the latest, please", thread=root)
    relay()
    page.reload()
    card = page.locator(".matrix-bridge")
    expect(card).to_contain_text("the bot is in the room")
    card.scroll_into_view_if_needed()
    screenshot(page, "matrix-settings")

    events = off_loop(engineer.text_messages, matrix_room)
    text = off_loop(transcript, synapse, events)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "matrix-room.txt").write_text(text)
    assert f"{t.supplier_member.name} ({t.supplier.name})" in text
    assert f"{t.client_member.name} ({t.client.name})" in text
    assert "Friday noon at the latest, please" in text

    # At phone width the section fits.
    phone = sessions(servers[1], t.supplier_admin, PHONE)
    phone.page.goto(phone.url("/organization/"))
    expect(phone.page.locator(".matrix-bridge")).to_contain_text("the bot is in the room")
    phone.page.locator(".matrix-bridge").scroll_into_view_if_needed()
    screenshot(phone.page, "matrix-phone")
    wide = phone.page.evaluate(
        "[...document.querySelectorAll('#org-connectors *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth)"
        ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
    )
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px: {wide[:5]}"
