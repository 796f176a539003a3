"""Connectors on the organization page in real Chromium: an admin adds an outgoing webhook
to an internal room (the secret shown once), sees it retrying with the receiver's error,
then a dead letter, retries it, pauses and removes the webhook. The receiver is the real
process of tests/webhook_receiver.py; the relay runs in the test between steps."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rooms.connectors.relay import do_relay_connectors
from rooms.models.connectors import Connector, ConnectorDeadLetter
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
from tests.rooms.test_webhooks import Receiver

pytestmark = BROWSER_JOURNEY

LOOPBACK = {"CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS": "127.0.0.0/8"}


@pytest.fixture(scope="module")
def servers(
    browser: Any, django_db_setup: None, django_db_blocker: Any
) -> Iterator[list[DaphneProcess]]:
    """As tests/frontend/conftest.py's, with loopback allowed: the receiver lives there."""
    if not (HAS_POSTGRES and HAS_REDIS):
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    with django_db_blocker.unblock():
        started = [DaphneProcess(FAST_PRESENCE | LOOPBACK), DaphneProcess(FAST_PRESENCE | LOOPBACK)]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = ["127.0.0.0/8"]  # the relay, run here
    started = Receiver()
    try:
        yield started
    finally:
        started.stop()


def relay(now: datetime.datetime | None = None) -> int:
    return int(off_loop(do_relay_connectors, now))


def test_an_admin_adds_a_webhook_and_handles_its_retries_and_dead_letters(
    live_team: Team, servers: Any, sessions: Any, receiver: Receiver
) -> None:
    t = live_team
    prepare_for_browser(t.client_admin, t.client_member)
    cal = sessions(servers[0], t.client_admin, DESKTOP)
    page = cal.page
    page.goto(cal.url("/organization/"))
    section = page.locator("#org-connectors")
    section.scroll_into_view_if_needed()
    expect(section.get_by_role("heading", name="Connectors")).to_be_visible()
    expect(section.get_by_text("No connectors: nothing leaves the hub.")).to_be_visible()

    # No room is chosen for the admin; shared rooms are not offered at all.
    room = page.get_by_label("Internal room", exact=True)
    expect(room).to_have_value("")
    options = room.locator("option").all_text_contents()
    assert options == ["Choose a room…", "Client internal"]
    page.get_by_label("Name", exact=True).fill("Ops channel")
    page.get_by_label("Webhook URL").fill(receiver.url)
    section.get_by_role("button", name="Add webhook").click()
    expect(page.locator("#connector-error")).to_contain_text("Choose the room")
    room.select_option(label="Client internal")
    section.get_by_role("button", name="Add webhook").click()
    secret = page.locator("#connector-secret-value")
    expect(secret).to_be_visible()
    connector = Connector.objects.get(organization=t.client)
    assert secret.text_content() == connector.secret
    receiver.control(secret=connector.secret)
    expect(section.locator(".connector-row")).to_contain_text("Delivering.")
    page.locator("#connector-secret").scroll_into_view_if_needed()
    screenshot(page, "connectors-added")

    # The receiver fails once: the page says so, with its answer.
    receiver.control(fail=1)
    off_loop(say, t.client_member, t.client_internal, "Lot 7 ships Friday")
    relay()
    page.reload()
    row = page.locator("#org-connectors .connector-row")
    expect(row).to_contain_text("Retrying (1 failed attempt) since")
    expect(row).to_contain_text("HTTP 500")
    assert page.locator("#connector-secret-value").count() == 0  # shown once, never again
    row.scroll_into_view_if_needed()
    screenshot(page, "connectors-retrying")

    # Then it refuses the message (400): a dead letter, and delivery goes on.
    receiver.control(status=400)
    relay(timezone.now() + datetime.timedelta(minutes=10))
    page.reload()
    letter = row.locator(".dead-letter")
    expect(letter).to_contain_text("message.new")
    expect(letter).to_contain_text("HTTP 400")
    expect(row).to_contain_text("Delivering.")
    row.scroll_into_view_if_needed()
    screenshot(page, "connectors-dead-letter")

    # Retried once the receiver takes it again.
    receiver.control(status=200)
    letter.get_by_role("button", name="Retry").click()
    expect(letter).to_contain_text("Retrying…")
    assert relay() == 1
    page.reload()
    expect(row.locator(".dead-letter")).to_have_count(0)
    assert ConnectorDeadLetter.objects.get().state == "delivered"
    delivered = [r for r in receiver.requests() if r["status"] == 200]
    assert len(delivered) == 1 and delivered[0]["verified"]
    assert json.loads(delivered[0]["body"])["text"] == "Lot 7 ships Friday"

    # Paused, then removed.
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("Paused")
    assert Connector.objects.get(pk=connector.pk).paused
    remove = row.get_by_role("button", name="Remove Ops channel")
    remove.click()
    expect(remove).to_have_text("Confirm remove")
    remove.click()
    expect(section.get_by_text("No connectors: nothing leaves the hub.")).to_be_visible()
    assert Connector.objects.get(pk=connector.pk).removed_at is not None

    # At phone width the section fits.
    phone = sessions(servers[1], t.client_admin, PHONE)
    phone.page.goto(phone.url("/organization/"))
    phone.page.locator("#org-connectors").scroll_into_view_if_needed()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    screenshot(phone.page, "connectors-phone")
