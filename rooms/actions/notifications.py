"""Notifications: what one person must see, in the app and by e-mail.

Who is told of what (each in the writing transaction, published after commit):

- a new message tells the people it mentions (``mention``) and the followers
  of its thread (``reply``), never its author, and nobody who is not an active
  member of the room or who set the room to ``nothing``;
- a work item assigned to someone else tells them (``assigned``);
- an escalation tells its contacts (``escalation.*``, ``notify``), by e-mail at
  once as well.

A notification made during the person's quiet hours is ``quiet``: listed in
the bell, never announced (no toast, no browser notification).

The one rule: a notification about a message is read when that message is
read. Reading the room past a mention (``read``) reads the mention; reading a
thread past a reply (``thread.read``) reads the reply; deleting the message
removes its notifications. So the bell, the badges and the e-mails agree.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hub import publish
from hub.errors import Invalid
from hub.models import User
from rooms.models.messages import Message, ThreadFollow
from rooms.models.notifications import TOPICS, Notification, NotificationSettings
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import WorkItem
from rooms.selectors.access import access_membership
from rooms.wire.serializers import notification_frame
from rooms.wire.types import NotificationsUpdatedEvent

PREVIEW_CHARS = 200


def settings_for(person: User | int) -> NotificationSettings:
    """The person's settings, or the defaults (not stored until changed)."""
    person_id = person if isinstance(person, int) else person.pk
    return settings_of([person_id])[person_id]


def settings_of(person_ids: Iterable[int]) -> dict[int, NotificationSettings]:
    """Each person's settings (the defaults for those who changed none), with the
    person loaded (their time zone is the profile's), in one query."""
    found: dict[int, NotificationSettings] = {}
    for person in User.objects.filter(pk__in=set(person_ids)).select_related(
        "notification_settings"
    ):
        try:
            found[person.pk] = person.notification_settings
        except NotificationSettings.DoesNotExist:
            found[person.pk] = NotificationSettings(person=person)
    return found


def _create(
    person_id: int,
    choices: NotificationSettings,
    *,
    kind: str,
    title: str,
    body: str,
    room: Room,
    item: WorkItem | None = None,
    message: Message | None = None,
) -> Notification:
    now = timezone.now()
    notification = Notification.objects.create(
        person_id=person_id,
        kind=kind,
        title=title,
        body=body,
        room=room,
        work_item=item,
        message=message,
        seq=message.seq if message is not None else None,
        quiet=choices.is_quiet(now),
        created_at=now,
    )
    publish.publish_on_commit(publish.user_group(person_id), notification_frame(notification))
    return notification


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def do_notify_message(message: Message, mentioned: Sequence[int]) -> None:
    """Tell whom a new message concerns (see the module's rules). Inside its write."""
    levels = dict(
        Membership.objects.active().filter(room_id=message.room_id).values_list("user_id", "notify")
    )

    def told(person_id: int) -> bool:
        return (
            person_id != message.author_id
            and person_id in levels
            and levels[person_id] != Membership.Notify.NONE
        )

    kinds: dict[int, str] = {p: "mention" for p in mentioned if told(p)}
    if message.thread_root_id is not None:
        followers = ThreadFollow.objects.filter(root_id=message.thread_root_id).values_list(
            "user_id", flat=True
        )
        for person_id in followers:
            if told(person_id):
                kinds.setdefault(person_id, "reply")
    if not kinds:
        return
    room = message.room
    author = message.author.name
    choices = settings_of(kinds)
    for person_id, kind in kinds.items():
        if kind == "mention":
            title = f"{author} mentioned you in {room.name}"
        else:
            title = f"{author} replied in a thread you follow in {room.name}"
        _create(
            person_id,
            choices[person_id],
            kind=kind,
            title=title,
            body=_preview(message.body),
            room=room,
            message=message,
        )


def do_notify_assigned(item: WorkItem, assignee: User | None, actor: User) -> None:
    """Tell someone a work item was assigned to them (not when they took it themselves)."""
    if assignee is None or assignee.pk == actor.pk:
        return
    membership = Membership.objects.active().filter(room_id=item.room_id, user=assignee).first()
    if membership is None or membership.notify == Membership.Notify.NONE:
        return
    _create(
        assignee.pk,
        settings_for(assignee),
        kind="assigned",
        title=f"{actor.name} assigned you a work item in {item.room.name}",
        body=item.title,
        room=item.room,
        item=item,
    )


def do_forget_message(message: Message) -> None:
    """A deleted message's notifications go with it, from every bell."""
    gone = list(Notification.objects.filter(message=message).values_list("person_id", "id"))
    if not gone:
        return
    Notification.objects.filter(message=message).delete()
    by_person: dict[int, list[int]] = {}
    for person_id, notification_id in gone:
        by_person.setdefault(person_id, []).append(notification_id)
    for person_id, ids in by_person.items():
        _publish_update(person_id, removed=ids)


def do_read_notifications_of(
    person: User, *, room_id: int, upto: int, thread_root: int | None = None
) -> None:
    """The person read ``room_id`` (or one thread of it) up to ``upto``: its mentions
    (or the thread's replies) up to there are read too."""
    unread = Notification.objects.filter(
        person=person, room_id=room_id, read_at__isnull=True, seq__lte=upto
    )
    if thread_root is None:
        unread = unread.filter(kind="mention")
    else:
        unread = unread.filter(kind__in=("mention", "reply"), message__thread_root_id=thread_root)
    ids = list(unread.values_list("id", flat=True))
    if ids:
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        _publish_update(person.pk, read=ids)


def _publish_update(
    person_id: int, *, read: Sequence[int] = (), removed: Sequence[int] = ()
) -> None:
    publish.publish_on_commit(
        publish.user_group(person_id),
        NotificationsUpdatedEvent(
            type="notifications.updated", read=list(read), removed=list(removed)
        ),
    )


def check_mark_notifications_read(person: User, *, ids: list[int] | Literal["all"]) -> int:
    """Mark the person's own unread notifications read; others' ids are skipped."""
    qs = Notification.objects.filter(person=person, read_at__isnull=True)
    if ids != "all":
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notify(
    people: list[User],
    *,
    kind: str,
    title: str,
    body: str,
    room: Room,
    item: WorkItem,
    message: Message | None = None,
) -> None:
    """An escalation's notice: in the app, and by e-mail at once to those who take it.

    ``message``: the notice in the room that says the same in its author's name. The
    notifications then go with it when it is deleted (by a moderator, or by retention:
    a note given when acknowledging or resolving is its author's text), as for a
    mention. Reading the room does not read them: an escalation is read in the bell."""
    choices = settings_of(p.pk for p in people)
    for person in people:
        _create(
            person.pk,
            choices[person.pk],
            kind=kind,
            title=title,
            body=body,
            room=room,
            item=item,
            message=message,
        )
    emails = [p.email for p in people if choices[p.pk].emails("escalation")]
    if emails:
        link = f"{settings.SITE_URL}/rooms/{room.pk}/"
        transaction.on_commit(
            lambda: send_mail(f"[Causeway] {title}", f"{body}\n\n{link}\n", None, emails),
            robust=True,
        )


# --- the person's choices ---------------------------------------------------------------


def check_set_room_notify(person: User, *, room_id: int, level: str) -> Membership:
    """What ``person`` is told of one room. Allowed in an archived room (their own state)."""
    if level not in Membership.Notify.values:
        raise Invalid("`level` must be all, mentions or none.")
    membership = access_membership(person, room_id, readonly=True)
    if membership.notify != level:
        membership.notify = level
        membership.save(update_fields=["notify"])
    return membership


def check_update_notification_settings(
    person: User,
    *,
    quiet_enabled: bool | None = None,
    quiet_from: datetime.time | None = None,
    quiet_to: datetime.time | None = None,
    email: dict[str, bool] | None = None,
) -> NotificationSettings:
    found = settings_for(person)
    if quiet_enabled is not None:
        found.quiet_enabled = quiet_enabled
    if quiet_from is not None:
        found.quiet_from = quiet_from
    if quiet_to is not None:
        found.quiet_to = quiet_to
    if email is not None:
        unknown = set(email) - set(TOPICS)
        if unknown:
            raise Invalid(f"Unknown e-mail topics: {', '.join(sorted(unknown))}.")
        found.email = {**found.email, **email}
    found.save()
    return found
