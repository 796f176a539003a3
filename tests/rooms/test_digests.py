"""The e-mail digest, through a real SMTP server (aiosmtpd) on loopback.

One e-mail of what concerns someone who has been away, each item with its
permalink, a one-click unsubscribe per topic; never while they are online,
in their quiet hours, for what they have read, or twice.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from hub.models import User
from rooms.actions.digests import send_digests
from rooms.actions.reading import check_mark_read
from rooms.models.notifications import Notification, NotificationSettings
from tests.conftest import Team, say

NOW = timezone.now()
AN_HOUR_AGO = NOW - datetime.timedelta(hours=1)


class Inbox:
    """What the SMTP server received: each message parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, person: User) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if person.email in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://causeway.example"
    settings.CAUSEWAY_DIGEST_AFTER_MINUTES = 30
    inbox.port = port  # type: ignore[attr-defined]
    inbox.controller = controller  # type: ignore[attr-defined]
    yield inbox
    inbox.controller.stop()  # type: ignore[attr-defined]


def away(person: User, since: datetime.datetime = AN_HOUR_AGO) -> None:
    """``person`` closed their last socket at ``since``; their notifications are that old."""
    User.objects.filter(pk=person.pk).update(last_seen_at=since)
    Notification.objects.filter(person=person).update(created_at=since)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_someone_away_gets_one_digest_with_links_and_unsubscribes(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    root = say(cleo, team.shared, "Which coating for lot 7?")
    first = say(team.supplier_member, team.shared, f"@{cleo.handle} zinc flake, see spec")
    second = say(team.supplier_admin, team.shared, f"@{cleo.handle} approved by QA")
    reply = say(team.supplier_member, team.shared, "Samples ship Friday", thread=root)
    away(cleo)

    assert send_digests(NOW) == 1
    [digest] = smtp.to(cleo)
    assert digest["Subject"] == "[Causeway] 3 new for you: 2 mentions, 1 reply"
    assert digest["To"] == cleo.email
    text = text_of(digest)
    room = f"https://causeway.example/rooms/{team.shared.pk}/"
    for message in (first, second, reply):
        assert f"Open: {room}?message={message.pk}" in text
    assert "Mentions of you" in text and "Replies in threads you follow" in text
    assert "zinc flake" in text
    links = re.findall(r"https://causeway\.example/notifications/unsubscribe/[^/\s]+/", text)
    assert len(links) == 2  # one per topic in this e-mail
    assert (
        str(digest["List-Unsubscribe"])
        .strip()
        .startswith("<https://causeway.example/notifications/unsubscribe/")
    )
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Nobody else was away with something to read; and nothing goes twice.
    assert len(smtp.received) == 1
    assert send_digests(NOW + datetime.timedelta(hours=1)) == 0


def test_no_digest_while_online_recently_seen_or_for_what_was_read(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    mention = say(team.supplier_member, team.shared, f"@{cleo.handle} one")
    away(cleo)
    assert send_digests(NOW, online={cleo.pk}) == 0
    away(cleo, since=NOW - datetime.timedelta(minutes=5))
    Notification.objects.filter(person=cleo).update(created_at=AN_HOUR_AGO)
    assert send_digests(NOW) == 0  # back five minutes ago
    away(cleo)
    check_mark_read(cleo, room_id=team.shared.pk, seq=mention.seq)  # read in the app
    assert send_digests(NOW) == 0
    assert smtp.received == []


def test_quiet_hours_hold_the_digest_until_they_end(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    NotificationSettings.objects.create(
        person=cleo,
        quiet_enabled=True,
        quiet_from=datetime.time(22, 0),
        quiet_to=datetime.time(7, 0),
    )
    say(team.supplier_member, team.shared, f"@{cleo.handle} night question")
    night = NOW.replace(hour=23, minute=0, second=0, microsecond=0)
    away(cleo, since=night - datetime.timedelta(hours=1))
    assert send_digests(night) == 0
    assert send_digests(night + datetime.timedelta(hours=8, minutes=30)) == 1  # 07:30
    assert len(smtp.to(cleo)) == 1


def test_a_topic_switched_off_is_never_e_mailed(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    NotificationSettings.objects.create(person=cleo, email={"mention": False})
    root = say(cleo, team.shared, "Thread")
    say(team.supplier_member, team.shared, f"@{cleo.handle} mention only")
    say(team.supplier_member, team.shared, "a reply", thread=root)
    away(cleo)
    assert send_digests(NOW) == 1
    [digest] = smtp.to(cleo)
    assert digest["Subject"] == "[Causeway] 1 new for you: 1 reply"
    assert "mention only" not in text_of(digest)
    assert send_digests(NOW + datetime.timedelta(hours=2)) == 0


def test_the_unsubscribe_link_asks_then_switches_that_topic_off(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    say(team.supplier_member, team.shared, f"@{cleo.handle} hello")
    away(cleo)
    send_digests(NOW)
    text = text_of(smtp.to(cleo)[0])
    link = re.search(r"https://causeway\.example(/notifications/unsubscribe/[^/\s]+/)", text)
    assert link is not None
    browser = Client(enforce_csrf_checks=True)
    asked = browser.get(link.group(1))
    assert asked.status_code == 200 and b"Stop e-mails about mentions of you" in asked.content
    # A mail client's one-click POST (RFC 8058) carries no CSRF token: the signature is the proof.
    done = browser.post(link.group(1), {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"no more e-mails about mentions of you" in done.content
    assert NotificationSettings.objects.get(person=cleo).email == {"mention": False}
    assert browser.get("/notifications/unsubscribe/not-a-token/").status_code == 404


def test_a_failed_send_is_retried_on_the_next_pass(team: Team, smtp: Inbox) -> None:
    cleo = team.client_member
    say(team.supplier_member, team.shared, f"@{cleo.handle} are you there?")
    away(cleo)
    smtp.controller.stop()  # type: ignore[attr-defined]
    assert send_digests(NOW) == 0
    assert Notification.objects.get(person=cleo).emailed_at is None
    # The server is back on the same port.
    smtp.controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)  # type: ignore[attr-defined]
    smtp.controller.start()  # type: ignore[attr-defined]
    assert send_digests(NOW) == 1
    assert len(smtp.to(cleo)) == 1
