"""The e-mail digest: one e-mail, not one per message, of what concerns someone who is away.

A person gets a digest when they have notifications that are unread, not
e-mailed yet and at least ``CAUSEWAY_DIGEST_AFTER_MINUTES`` old, and they
have been away that long (no socket open, the last one closed before then),
and it is not their quiet hours (the digest waits for the end of them).
Escalations are not in it: they are e-mailed at once (``notify``). A topic
whose e-mail the person switched off is never e-mailed.

Each item links to its permalink on ``SITE_URL``; each topic has a one-click
unsubscribe link, and the whole e-mail a ``List-Unsubscribe`` header (RFC 8058).

Several workers may run: a notification is claimed (``emailed_at`` set, rows
locked with SKIP LOCKED) before its e-mail is sent, so no two workers send it;
a failed send releases it for the next pass.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections.abc import Collection

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from hub.models import User
from rooms.actions.notifications import settings_for, settings_of
from rooms.models.notifications import TOPICS, Notification, NotificationSettings, topic_of

logger = logging.getLogger("causeway.digests")

UNSUBSCRIBE_SALT = "causeway.notifications.unsubscribe"
ALL_TOPICS = "*"


def unsubscribe_token(person_id: int, topic: str) -> str:
    """A signed token that switches off ``topic`` (every topic: ``ALL_TOPICS``) for a person."""
    return signing.dumps({"p": person_id, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    topic = data.get("t") if isinstance(data, dict) else None
    person = data.get("p") if isinstance(data, dict) else None
    if not isinstance(person, int) or (topic != ALL_TOPICS and topic not in TOPICS):
        return None
    return person, topic


def _due(now: datetime.datetime) -> QuerySet[Notification]:
    cutoff = now - datetime.timedelta(minutes=settings.CAUSEWAY_DIGEST_AFTER_MINUTES)
    return Notification.objects.filter(
        read_at__isnull=True,
        emailed_at__isnull=True,
        created_at__lte=cutoff,
        person__is_active=True,
    ).exclude(kind__startswith="escalation")


def digest_candidates(now: datetime.datetime | None = None) -> list[int]:
    """The people who may be due a digest (before asking who is online)."""
    now = now or timezone.now()
    return list(_due(now).values_list("person_id", flat=True).distinct())


def send_digests(
    now: datetime.datetime | None = None,
    *,
    online: Collection[int] = (),
    candidates: Collection[int] | None = None,
) -> int:
    """Send every digest that is due; ``online``: people with a socket open now;
    ``candidates``: ``digest_candidates(now)`` if the caller has them already. Returns how
    many e-mails went out."""
    now = now or timezone.now()
    away_since = now - datetime.timedelta(minutes=settings.CAUSEWAY_DIGEST_AFTER_MINUTES)
    if candidates is None:
        candidates = digest_candidates(now)
    people = [
        person
        for person in User.objects.filter(pk__in=list(candidates)).exclude(pk__in=list(online))
        if person.last_seen_at is None or person.last_seen_at <= away_since
    ]
    choices = settings_of(p.pk for p in people)
    sent = 0
    for person in people:
        if not choices[person.pk].is_quiet(now) and _send_one(person, choices[person.pk], now):
            sent += 1
    return sent


def _send_one(person: User, choices: NotificationSettings, now: datetime.datetime) -> bool:
    with transaction.atomic():
        due = list(
            _due(now)
            .filter(person=person)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("room", "work_item")
            .order_by("created_at", "id")
        )
        if not due:
            return False
        # Claimed: another worker skips these rows and sees them e-mailed.
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(emailed_at=now)
    wanted = [n for n in due if choices.emails(topic_of(n.kind))]
    if not wanted:
        return False  # e-mail is off for all of them: judged, never sent
    try:
        _message(person, choices, wanted).send()
    except Exception:
        logger.warning("digest to person %s failed; will retry", person.pk, exc_info=True)
        Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(emailed_at=None)
        return False
    return True


def _link(notification: Notification) -> str:
    base = settings.SITE_URL.rstrip("/")
    if notification.room_id is None:
        return f"{base}/"
    if notification.message_id is not None:
        return f"{base}/rooms/{notification.room_id}/?message={notification.message_id}"
    if notification.work_item is not None:
        return f"{base}/rooms/{notification.work_item.room_id}/?item={notification.work_item_id}"
    return f"{base}/rooms/{notification.room_id}/"


# How the subject line counts each topic.
_COUNTED = {
    "mention": ("mention", "mentions"),
    "reply": ("reply", "replies"),
    "assigned": ("assignment", "assignments"),
    "escalation": ("escalation", "escalations"),
}


def _count(n: int, topic: str) -> str:
    one, many = _COUNTED[topic]
    return f"{n} {one if n == 1 else many}"


def _message(
    person: User, choices: NotificationSettings, notifications: list[Notification]
) -> EmailMessage:
    base = settings.SITE_URL.rstrip("/")
    zone = zoneinfo.ZoneInfo(person.time_zone)
    by_topic: dict[str, list[Notification]] = {}
    for notification in notifications:
        by_topic.setdefault(topic_of(notification.kind), []).append(notification)
    topics = [t for t in TOPICS if t in by_topic]
    counts = ", ".join(_count(len(by_topic[t]), t) for t in topics)
    lines = [f"Hello {person.name},", "", "While you were away:", ""]
    for topic in topics:
        lines += [TOPICS[topic], "-" * len(TOPICS[topic])]
        for n in by_topic[topic]:
            when = n.created_at.astimezone(zone).strftime("%d %b %H:%M")
            lines.append(f"* {n.title} ({when})")
            if n.body:
                lines.append(f"  {n.body}")
            lines.append(f"  Open: {_link(n)}")
        lines.append("")
    lines.append("Each of these is waiting in Causeway's bell too.")
    lines.append("")
    for topic in topics:
        token = unsubscribe_token(person.pk, topic)
        lines.append(
            f"No more e-mails about {TOPICS[topic].lower()}: "
            f"{base}/notifications/unsubscribe/{token}/"
        )
    lines.append(f"Choose what you are told, and when: {base}/profile/")
    every = f"{base}/notifications/unsubscribe/{unsubscribe_token(person.pk, ALL_TOPICS)}/"
    return EmailMessage(
        subject=f"[Causeway] {len(notifications)} new for you: {counts}",
        body="\n".join(lines) + "\n",
        to=[person.email],
        headers={
            "List-Unsubscribe": f"<{every}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def check_unsubscribe(token: str) -> tuple[User, str] | None:
    """Follow an unsubscribe link: e-mail about its topic (or all) is off. None: not valid."""
    found = read_unsubscribe_token(token)
    if found is None:
        return None
    person_id, topic = found
    person = User.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        return None
    choices = settings_for(person)
    off = list(TOPICS) if topic == ALL_TOPICS else [topic]
    choices.email = {**choices.email, **dict.fromkeys(off, False)}
    choices.save()
    return person, topic
