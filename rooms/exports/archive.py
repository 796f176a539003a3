"""The ZIP of a room export: ``room.json``, a readable ``room.html`` and the files.

``room.json`` (docs/protocol.md "Room exports")::

    {"format": 1, "exported_at", "exported_by": {"id", "name"},
     "organization": {"id", "name"},
     "room": {"id", "name", "topic", "kind", "created_at", "archived_at"},
     "members": [{"id", "name", "organization", "role", "joined_at"}],
     "messages": [{"id", "seq", "kind", "author", "created_at", "edited_at",
                   "thread": <root id or null>, "in_room", "deleted",
                   "body", "body_html", "reactions": [{"emoji", "count"}],
                   "files": [{"name", "type", "size", "path"}]}],
     "work_items": [{"id", "title", "description", "status", "priority", "due_date",
                     "labels", "assignee", "raised_by", "created_by", "created_at",
                     "updated_at", "thread", "history": [{"by", "at", "changes"}]}]}

A deleted message is a tombstone: ``deleted`` true, ``body`` and ``body_html``
empty, no files. Only the room's own rows are read: a shared room holds what
both organizations read there and nothing of either side's mirrors or internal
notes, which live in internal rooms (the bridge).

Written to a temporary file on disk, one file's bytes at a time, then saved to the
files storage: the whole archive is never in memory.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.core.files import File
from django.utils import timezone

from hub.models import User
from rooms.files import storage
from rooms.models.exports import RoomExport
from rooms.models.files import Attachment
from rooms.models.messages import Message
from rooms.models.reactions import Reaction
from rooms.models.rooms import Membership
from rooms.models.workitems import WorkItem, WorkItemChange

Progress = Callable[[int], None]

FORMAT = 1
CHUNK = 256 * 1024


def build_archive(export: RoomExport, blob: str, *, progress: Progress) -> int:
    """Write the export's ZIP to the files storage as ``blob``; returns its size in bytes."""
    data, files = collect(export)
    progress(40)
    with tempfile.TemporaryFile() as temp:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("room.json", json.dumps(data, indent=2, ensure_ascii=False))
            archive.writestr("room.html", render_html(data))
            progress(50)
            for done, (path, source) in enumerate(files, start=1):
                with (
                    storage.files_storage().open(source, "rb") as handle,
                    archive.open(path, "w", force_zip64=True) as target,
                ):
                    shutil.copyfileobj(handle, target, CHUNK)
                progress(50 + 45 * done // len(files))
        progress(95)
        size = temp.tell()
        temp.seek(0)
        storage.save(blob, File(temp, name=blob), "application/zip")
    return size


def _when(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name} if user is not None else None


def _safe_name(name: str) -> str:
    # A file's own name, made harmless as a path inside the ZIP (no folders, no "..").
    cleaned = re.sub(r"[\\/\x00-\x1f]", "_", name).strip(". ") or "file"
    return cleaned[:150]


def collect(export: RoomExport) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The JSON document, and the (path in the ZIP, storage name) of every file to copy."""
    room = export.room
    members = [
        {
            "id": m.user_id,
            "name": m.user.display_name,
            "organization": m.user.organization.name if m.user.organization else "",
            "role": m.role,
            "joined_at": _when(m.joined_at),
        }
        for m in Membership.objects.active()
        .filter(room=room)
        .select_related("user__organization")
        .order_by("joined_at", "pk")
    ]
    reactions: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for message_id, emoji in Reaction.objects.filter(message__room=room).values_list(
        "message_id", "emoji"
    ):
        reactions[message_id][emoji] += 1
    attachments: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in (
        Attachment.objects.filter(
            room=room, message__deleted_at__isnull=True, upload__purged_at__isnull=True
        )
        .select_related("upload")
        .order_by("seq", "position")
    ):
        attachments[attachment.message_id].append(attachment)
    files: list[tuple[str, str]] = []
    messages = []
    for message in Message.objects.filter(room=room).select_related("author").order_by("seq"):
        deleted = message.is_deleted
        shown = []
        for attachment in [] if deleted else attachments[message.pk]:
            upload = attachment.upload
            path = f"files/{upload.key}/{_safe_name(upload.name)}"
            files.append((path, upload.blob))
            shown.append(
                {
                    "name": upload.name,
                    "type": upload.content_type,
                    "size": upload.size,
                    "path": path,
                }
            )
        messages.append(
            {
                "id": message.pk,
                "seq": message.seq,
                "kind": message.kind,
                "author": _person(message.author),
                "created_at": _when(message.created_at),
                "edited_at": None if deleted else _when(message.edited_at),
                "thread": message.thread_root_id,
                "in_room": message.in_room,
                "deleted": deleted,
                # A tombstone keeps its place, never its words.
                "body": "" if deleted else message.body,
                "body_html": "" if deleted else message.body_html,
                "reactions": []
                if deleted
                else [{"emoji": e, "count": n} for e, n in sorted(reactions[message.pk].items())],
                "files": shown,
            }
        )
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in (
        WorkItemChange.objects.filter(work_item__room=room)
        .select_related("changed_by")
        .order_by("seq", "pk")
    ):
        history[change.work_item_id].append(
            {
                "by": _person(change.changed_by),
                "at": _when(change.changed_at),
                "changes": change.changes,
            }
        )
    work_items = [
        {
            "id": item.pk,
            "title": item.title,
            "description": item.description,
            "status": item.status,
            "priority": item.priority,
            "due_date": _when(item.due_date),
            "labels": item.labels,
            "assignee": _person(item.assignee),
            "raised_by": item.raised_by_org.name,
            "created_by": _person(item.created_by),
            "created_at": _when(item.created_at),
            "updated_at": _when(item.updated_at),
            "thread": item.thread_root_id,
            "history": history[item.pk],
        }
        for item in WorkItem.objects.filter(room=room)
        .select_related("assignee", "created_by", "raised_by_org")
        .order_by("created_at", "pk")
    ]
    data = {
        "format": FORMAT,
        "exported_at": _when(timezone.now()),
        "exported_by": _person(export.requested_by),
        "organization": {"id": export.organization.pk, "name": export.organization.name},
        "room": {
            "id": room.pk,
            "name": room.name,
            "topic": room.topic,
            "kind": room.kind,
            "created_at": _when(room.created_at),
            "archived_at": _when(room.archived_at),
        },
        "members": members,
        "messages": messages,
        "work_items": work_items,
    }
    return data, files


STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
body{color:#1a1a1a}
h1{margin-bottom:0}.meta{color:#555;font-size:.85rem}
article{border-top:1px solid #ddd;padding:.5rem 0}article.reply{margin-left:2rem}
.deleted{color:#777;font-style:italic}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
"""


def render_html(data: dict[str, Any]) -> str:
    """A self-contained page (no scripts, no external resources); everything escaped but the
    messages' ``body_html``, which the server sanitized when the message was sent."""
    e = html.escape
    room = data["room"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{e(room['name'])} — export</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(room['name'])}</h1>",
        f'<p class="meta">{e(room["topic"])}</p>',
        f'<p class="meta">Exported {e(data["exported_at"])} by '
        f"{e(data['exported_by']['name'])} ({e(data['organization']['name'])})</p>",
        "<h2>Members</h2><ul>",
    ]
    parts += [
        f"<li>{e(m['name'])} — {e(m['organization'])} ({e(m['role'])})</li>"
        for m in data["members"]
    ]
    parts.append("</ul><h2>Messages</h2>")
    for message in data["messages"]:
        css = "reply" if message["thread"] else "message"
        author = message["author"]["name"] if message["author"] else ""
        parts.append(
            f'<article class="{css}" id="m{message["id"]}"><p class="meta">'
            f"{e(author)} · {e(message['created_at'])}"
            + (f' · in thread <a href="#m{message["thread"]}">…</a>' if message["thread"] else "")
            + "</p>"
        )
        if message["deleted"]:
            parts.append('<p class="deleted">This message was deleted.</p>')
        else:
            parts.append(f"<div>{message['body_html']}</div>")
            for file in message["files"]:
                parts.append(
                    f'<p>📎 <a href="{e(file["path"])}">{e(file["name"])}</a> '
                    f"({e(str(file['size']))} bytes)</p>"
                )
            if message["reactions"]:
                parts.append(
                    '<p class="meta">'
                    + " ".join(f"{e(r['emoji'])} {r['count']}" for r in message["reactions"])
                    + "</p>"
                )
        parts.append("</article>")
    parts.append("<h2>Work items</h2>")
    for item in data["work_items"]:
        parts.append(
            f'<section id="w{item["id"]}"><h3>{e(item["title"])}</h3><p class="meta">'
            f"{e(item['status'])} · priority {item['priority']} · raised by "
            f"{e(item['raised_by'])}"
            + (f" · assigned to {e(item['assignee']['name'])}" if item["assignee"] else "")
            + f"</p><p>{e(item['description'])}</p>"
        )
        if item["history"]:
            parts.append("<table><tr><th>When</th><th>Who</th><th>Changes</th></tr>")
            for change in item["history"]:
                who = change["by"]["name"] if change["by"] else ""
                changes = json.dumps(change["changes"], ensure_ascii=False)
                parts.append(
                    f"<tr><td>{e(change['at'])}</td><td>{e(who)}</td><td>{e(changes)}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
