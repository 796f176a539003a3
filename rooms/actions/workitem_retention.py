"""Retention of work items' text: an organization removes what its own people wrote in them.

A work item's text is its title and description. Each value belongs to the person who
wrote it: the creator for the first title and description, the author of a change for
the value it set. Every other field (status, priority, dates, labels, assignee, the
escalation) is a plain value, not anyone's words, and stays.

A work item expires for an organization when nobody has changed it for that
organization's period of its room's kind (``WorkItem.updated_at``, shared or internal):
an item still being worked on is a live record and keeps its text. Then every value its
people wrote (and no held person wrote) is removed, wherever it is kept:

- the item itself: a title they wrote reads ``REMOVED_TEXT``, a description is blanked;
- its history (``WorkItemChange``): their values, in their own changes and as the "old"
  value of the next person's change, read ``REMOVED_TEXT`` (titles) or "" (descriptions);
- the event log: the ``workitem.*`` events' item snapshots and changes, the same way, so
  a replay never returns the text;
- the item's thread root (``**Work item:** <title>``, its creator's), the mirror copies of
  it in any internal room, the mirrors' notices of its changes, the notices and
  notifications that quote a removed title, and the name of its escalation rooms.

The reason of an escalation one of its people raised on the item is theirs too: emptied
on the escalation and in the events, and replaced where notices and notifications quote it.

What the other organization's people wrote stays, until their own organization's period
removes it. One transaction per item, holding the item's row and its room (then the
rooms its copies are in, in ``lock_order``), ending with a ``workitem.updated`` on the room's
next seq (``changes: {"retention": [null, [fields]]}``, ``by: null``), so live and
reconnecting clients see the item as it now is and the sequence has no gap.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hub.models import User
from rooms.actions.messages import do_redact_message
from rooms.actions.workitems import load_work_item, thread_root_body
from rooms.bridge.sinks import workitem_notice
from rooms.log import append_event, lock_order, lock_room
from rooms.models.bridge import MirrorDelivery
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.notifications import Notification
from rooms.models.retention import LegalHold, RetentionPolicy
from rooms.models.rooms import Room
from rooms.models.workitems import (
    REMOVED_TEXT,
    RETENTION_CHANGE,
    Escalation,
    EscalationRoom,
    WorkItem,
    WorkItemChange,
)
from rooms.wire.serializers import work_item_data
from rooms.wire.types import RoomUpdatedEvent, WorkItemUpdatedEvent

TEXT_FIELDS = ("title", "description")
WRITES_KEYS = {"created", *TEXT_FIELDS}
# A change record that wrote text: the creation (its title) or a title or description.
WRITES_TEXT = (
    Q(changes__has_key="created") | Q(changes__has_key="title") | Q(changes__has_key="description")
)


def expired_work_items(
    policy: RetentionPolicy, now: datetime.datetime, holds: list[LegalHold], limit: int
) -> list[WorkItem]:
    """Work items untouched for the organization's period of their room's kind that still
    hold text its people (not held) wrote; least recently changed first, at most ``limit``."""
    periods = policy.expired(now, "updated_at")
    held_people = [h.person_id for h in holds if h.person_id]
    text_left = (
        WorkItemChange.objects.filter(
            WRITES_TEXT,
            work_item=OuterRef("pk"),
            changed_by__organization_id=policy.organization_id,
            text_removed_at__isnull=True,
        )
        .exclude(changed_by_id__in=held_people)
        .values("pk")
    )
    reasons_left = (
        Escalation.objects.filter(
            work_item=OuterRef("pk"), raised_by__organization_id=policy.organization_id
        )
        .exclude(reason="")
        .exclude(raised_by_id__in=held_people)
        .values("pk")
    )
    return list(
        WorkItem.objects.select_related("room")
        .filter(periods)
        .filter(Exists(text_left) | Exists(reasons_left))
        .exclude(room_id__in=[h.room_id for h in holds if h.room_id])
        .order_by("updated_at", "pk")[:limit]
    )


def _removed(field: str, value: Any) -> Any:
    """What a removed value of ``field`` reads: the neutral title, or an empty description."""
    if field == "title":
        return REMOVED_TEXT if value else value
    return ""


def cutoff(policy: RetentionPolicy, room: Room, now: datetime.datetime) -> datetime.datetime | None:
    """Before when a work item in ``room`` must have last changed to expire (None: never)."""
    days = policy.shared_days if room.partnership_id is not None else policy.internal_days
    return None if days is None else now - datetime.timedelta(days=days)


def do_remove_work_item_text(
    organization_id: int,
    item: WorkItem,
    *,
    changed_before: datetime.datetime,
    held_people: Iterable[int],
) -> bool:
    """Remove from ``item`` everything the organization's people (other than
    ``held_people``) wrote in it, everywhere it is kept (see the module's docstring), if
    nobody changed it since ``changed_before``. Returns whether anything was left to
    remove. Idempotent."""
    held = set(held_people)

    def ours(person: User | None) -> bool:
        return (
            person is not None
            and person.organization_id == organization_id
            and person.pk not in held
        )

    now = timezone.now()
    with transaction.atomic():
        # The item's row, then its room: the order every change of an item takes them.
        item = load_work_item(item.room_id, item.pk, lock=True)
        lock_room(item.room_id)
        if item.updated_at >= changed_before:
            return False  # someone changed it since it was selected: still in use
        history = list(
            WorkItemChange.objects.select_for_update(of=("self",))
            .select_related("changed_by")
            .filter(work_item=item)
            .order_by("seq")
        )
        events = {
            e.seq: e
            for e in RoomEvent.objects.select_for_update().filter(
                room_id=item.room_id,
                seq__in=[c.seq for c in history],
                type__in=("workitem.created", "workitem.updated"),
            )
        }
        # Who wrote each field's value so far, walking the history in order.
        writer: dict[str, User | None] = {f: item.created_by for f in TEXT_FIELDS}
        removed_titles: set[str] = set()
        removed_fields: set[str] = set()
        for change in history:
            by = change.changed_by
            values = {k: list(v) for k, v in change.changes.items()}
            if "created" in values and ours(by) and values["created"][1]:
                removed_titles.add(values["created"][1])
                values["created"][1] = REMOVED_TEXT
            for field in TEXT_FIELDS:
                if field not in values:
                    continue
                old, new = values[field]
                if ours(writer[field]):
                    values[field][0] = _removed(field, old)
                if ours(by):
                    if field == "title" and new:
                        removed_titles.add(new)
                    values[field][1] = _removed(field, new)
                writer[field] = by
            differ = {k for k in values if values[k] != change.changes[k]}
            marks = ours(by) and change.text_removed_at is None and bool(WRITES_KEYS & set(values))
            if differ or marks:
                removed_fields.update("title" if k == "created" else k for k in differ)
                change.changes = values
                change.text_removed_at = now if marks else change.text_removed_at
                change.save(update_fields=["changes", "text_removed_at"])
            event = events.get(change.seq)
            if event is not None and _rewrite_event(event, values, writer, ours):
                event.save(update_fields=["payload"])
        # An escalation's reason is its raiser's words: removed with the item's text.
        reasons: dict[int, str] = {}
        for escalation in (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("raised_by")
            .filter(work_item=item)
        ):
            if ours(escalation.raised_by) and escalation.reason:
                reasons[escalation.pk] = escalation.reason
                escalation.reason = ""
                escalation.save(update_fields=["reason"])
        if reasons:
            removed_fields.add("escalation")
            for event in events.values():
                snapshot = event.payload.get("item")
                shown = isinstance(snapshot, dict) and snapshot.get("escalation")
                if isinstance(shown, dict) and shown.get("id") in reasons:
                    shown["reason"] = ""
                    event.save(update_fields=["payload"])
        if ours(writer["title"]) and item.title not in ("", REMOVED_TEXT):
            removed_titles.add(item.title)
            item.title = REMOVED_TEXT
            removed_fields.add("title")
        if ours(writer["description"]) and (item.description or item.description_html):
            item.description = item.description_html = ""
            removed_fields.add("description")
        removed_titles.discard(REMOVED_TEXT)  # removed before: nothing quotes it to replace
        redacted = _redact_copies(
            item, removed_titles, set(reasons.values()), ours(item.created_by)
        )
        if not removed_fields and not redacted:
            return False
        # The item changed under the room's eyes: a new version, but not a new
        # ``updated_at`` (retention is not someone working on it: the other side's
        # period still counts from their last change).
        item.version += 1
        item.save(update_fields=["title", "description", "description_html", "version"])
        data = work_item_data(item, item.open_escalation())
        diff: dict[str, list[Any]] = {RETENTION_CHANGE: [None, sorted(removed_fields)]}
        seq, _ = append_event(
            item.room_id,
            lambda seq: WorkItemUpdatedEvent(
                type="workitem.updated",
                room=item.room_id,
                seq=seq,
                item=data,
                changes=diff,
                by=None,
            ),
            thread_root_id=item.thread_root_id,
            archived_ok=True,  # an archived room's history is removed from too
        )
        WorkItemChange.objects.create(work_item=item, changed_by=None, changes=diff, seq=seq)
    return True


def _rewrite_event(
    event: RoomEvent, values: dict[str, list[Any]], writer: dict[str, User | None], ours: Any
) -> bool:
    """Put the history's rewritten ``values`` and the item as it now reads (each field by
    whoever wrote it at that point) into ``event``'s stored frame; whether it changed."""
    payload = event.payload
    before = repr(payload)
    if isinstance(payload.get("changes"), dict):
        payload["changes"] = {k: v for k, v in values.items() if k in payload["changes"]}
    snapshot = payload.get("item")
    if isinstance(snapshot, dict):
        if ours(writer["title"]) and snapshot.get("title"):
            snapshot["title"] = REMOVED_TEXT
        if ours(writer["description"]):
            snapshot["description"] = snapshot["html"] = ""
    return repr(payload) != before


def _redact_copies(item: WorkItem, titles: set[str], reasons: set[str], creator_ours: bool) -> int:
    """Rewrite the messages that carry the removed text: the thread root and its mirror
    copies, the mirrors' notices of the item's changes, notices quoting a removed title
    or escalation reason; then the item's notifications and escalation rooms. Returns how
    many changed."""
    root = Message.objects.get(pk=item.thread_root_id)
    targets: list[tuple[Message, str]] = []
    if creator_ours:
        body = thread_root_body(REMOVED_TEXT)
        targets.append((root, body))
        targets += [(copy, body) for copy in Message.objects.filter(mirror_source=root)]
    seqs = WorkItemChange.objects.filter(work_item=item).values("seq")
    for delivery in MirrorDelivery.objects.select_related("event", "target_message").filter(
        event__room_id=item.room_id, event__seq__in=seqs, target_message__isnull=False
    ):
        assert delivery.target_message is not None
        if delivery.target_message.kind == Message.Kind.NOTICE:
            targets.append((delivery.target_message, workitem_notice(delivery.event.payload)))
    # How the notices quote them: a title in italics, a reason after the room's name
    # (the escalation rooms' notice of the raise).
    quoted = {f"*{t}*": f"*{REMOVED_TEXT}*" for t in sorted(titles)}
    quoted |= {f": {r}\n\n": f": {REMOVED_TEXT}\n\n" for r in sorted(reasons)}
    side_rooms = list(
        EscalationRoom.objects.filter(work_item=item).values_list("room_id", flat=True)
    )
    if quoted:
        quoting = Q(pk__in=[])
        for q in quoted:
            quoting |= Q(body__contains=q)
        for notice in Message.objects.filter(
            quoting,
            kind=Message.Kind.NOTICE,
            room_id__in=[item.room_id, *side_rooms],
            provenance__isnull=True,
            deleted_at__isnull=True,
        ):
            body = notice.body
            for q, neutral in quoted.items():
                body = body.replace(q, neutral)
            targets.append((notice, body))
    redacted = 0
    kinds = dict(
        Room.objects.filter(pk__in={m.room_id for m, _ in targets}).values_list("id", "kind")
    )
    for message, body in sorted(
        targets, key=lambda t: lock_order(kinds[t[0].room_id], t[0].room_id)
    ):
        redacted += do_redact_message(message, body=body)
    if titles or reasons:
        redacted += _rename_quotes(item, titles, reasons, side_rooms)
    return redacted


def _unquoted(text: str, titles: set[str], prefix: str) -> str:
    """``text`` with a removed title it ends with (after ``prefix``) replaced. Only that
    place: a title is any words, and could be part of the rest of the text."""
    for title in titles:
        if text == title or text.endswith(prefix + title):
            return text[: len(text) - len(title)] + REMOVED_TEXT
    return text


def _rename_quotes(
    item: WorkItem, titles: set[str], reasons: set[str], side_rooms: list[int]
) -> int:
    """The item's notifications (the assignment's body is the title, an escalation's
    title ends ``: <title>``, the raise's body ``: <reason>``) and escalation rooms
    (``Escalation: <title>``, cut at the name's length) quote them: rewritten. The
    notifications are rows a bell lists when it next loads; the rooms' names change live
    (``room.updated``)."""
    changed = 0
    for notification in Notification.objects.filter(work_item=item):
        title = _unquoted(notification.title, titles, ": ")
        body = _unquoted(notification.body, titles | reasons, ": ")
        if (title, body) != (notification.title, notification.body):
            notification.title, notification.body = title, body
            notification.save(update_fields=["title", "body"])
            changed += 1
    cut = Room._meta.get_field("name").max_length or 120
    for room_id in sorted(side_rooms):
        room = Room.objects.select_for_update().get(pk=room_id)
        names = {f"Escalation: {t}"[:cut] for t in titles}
        neutral = f"Escalation: {REMOVED_TEXT}"
        if room.name not in names or room.name == neutral:
            continue
        room.name = neutral
        room.save(update_fields=["name"])
        _publish_room_updated(room)
        changed += 1
    return changed


def _publish_room_updated(room: Room) -> None:
    append_event(
        room.pk,
        lambda seq: RoomUpdatedEvent(
            type="room.updated", room=room.pk, seq=seq, name=room.name, topic=room.topic
        ),
        archived_ok=True,
    )
