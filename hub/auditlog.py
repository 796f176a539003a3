"""Reading an organization's audit log: its admins see it, page through it and export it.

The boundary: an admin sees only the entries recorded under their own
organization (``AuditEntry.organization``), never another organization's and
never the operator's (organization NULL). A person who may not read the log
(not an admin, or of no organization) gets ``NotFound``, the answer for
something that does not exist, like the page's 404.

Entries are read newest first (by time, then id), a page at a time with
``before`` (the id of the last entry read), so an export walks the whole log in
pages and never holds it in memory.

Ids tell nothing of others: an entry's own is random (``hub.ids``), and a target
whose ids come from a counter (a membership, a file policy) is shown without
its id, which would count the rows other organizations made in between.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from django.apps import apps
from django.db import transaction
from django.db.models import Q, QuerySet

from hub import audit
from hub.errors import Invalid
from hub.ids import RandomIdField
from hub.models import AuditEntry, Organization, Partnership, User
from hub.organization import access_admin_organization

PAGE = 50
EXPORT_PAGE = 500
ExportFormat = Literal["csv", "json", "jsonl"]


class AuditActor(TypedDict):
    id: int
    name: str
    # Empty for a partner's person (a partnership ended by the other side):
    # the other organization shows its people's names, not their addresses.
    email: str
    organization: str


class AuditTarget(TypedDict):
    type: str
    # Null for a target whose ids are counted (see the module's docstring).
    id: int | None


class AuditRow(TypedDict):
    id: int
    at: str
    action: str
    label: str
    actor: AuditActor | None
    target: AuditTarget
    data: dict[str, Any]


class AuditLogPage(TypedDict):
    """GET /api/organization/audit/: a page, newest first, and the ``before`` of the next."""

    entries: list[AuditRow]
    next_before: int | None


@dataclass(frozen=True)
class AuditFilters:
    """What to read: a kind of entry, the acting person, and [start, end) in UTC."""

    action: str | None = None
    person: int | None = None
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None

    def described(self) -> dict[str, Any]:
        """The filters as the ``audit.exported`` entry records them."""
        return {
            "action": self.action,
            "person": self.person,
            "since": self.start.isoformat() if self.start else None,
            "until": self.end.isoformat() if self.end else None,
        }


def audit_filters(
    person: User,
    *,
    action: str | None = None,
    actor: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> AuditFilters:
    """Filters from the parsed query (``hub.schemas.AuditFilter``): a day is read in the
    person's own time zone, ``since`` from its start and ``until`` to its end."""
    zone = _zone(person)
    start = _moment(since, zone)
    if until is not None and not isinstance(until, datetime.datetime):
        until = _next_day(until)
    end = _moment(until, zone)
    if start is not None and end is not None and start >= end:
        raise Invalid("`since` must come before `until`.")
    return AuditFilters(action=action, person=actor, start=start, end=end)


def _zone(person: User) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


OUT_OF_RANGE = "The dates must lie between the years 1 and 9999."


def _next_day(day: datetime.date) -> datetime.date:
    try:
        return day + datetime.timedelta(days=1)
    except OverflowError:
        raise Invalid(OUT_OF_RANGE) from None


def _moment(value: datetime.date | None, zone: datetime.tzinfo) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, datetime.datetime):
            return value.astimezone(datetime.UTC)
        return datetime.datetime.combine(value, datetime.time(), zone).astimezone(datetime.UTC)
    except OverflowError:
        raise Invalid(OUT_OF_RANGE) from None


def _entries(organization: Organization, filters: AuditFilters) -> QuerySet[AuditEntry]:
    # The one scoping rule: the organization's own entries, nothing else.
    rows = AuditEntry.objects.filter(organization=organization)
    if filters.action is not None:
        rows = rows.filter(action=filters.action)
    if filters.person is not None:
        rows = rows.filter(actor_id=filters.person)
    if filters.start is not None:
        rows = rows.filter(created_at__gte=filters.start)
    if filters.end is not None:
        rows = rows.filter(created_at__lt=filters.end)
    return rows.select_related("actor__organization").order_by("-created_at", "-id")


def _older_than(
    rows: QuerySet[AuditEntry], organization: Organization, before: int
) -> QuerySet[AuditEntry]:
    """The entries after ``before`` in the log's order; ``before`` must be one of the
    organization's own entries (any other id: the same answer as one that never was)."""
    last = AuditEntry.objects.filter(organization=organization, pk=before).first()
    if last is None:
        raise Invalid("`before` is not an entry of this log.")
    return _after(rows, last.created_at, last.pk)


def _after(
    rows: QuerySet[AuditEntry], created_at: datetime.datetime, pk: int
) -> QuerySet[AuditEntry]:
    return rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))


def audit_page(
    person: User, filters: AuditFilters, *, before: int | None = None, limit: int = PAGE
) -> AuditLogPage:
    """One page of the person's organization's log, newest first, and the ``before`` of the
    next page (None on the last)."""
    organization = access_admin_organization(person)
    rows = _entries(organization, filters)
    if before is not None:
        rows = _older_than(rows, organization, before)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "entries": [audit_row(entry, organization) for entry in page],
        "next_before": page[-1].pk if more else None,
    }


def audit_row(entry: AuditEntry, organization: Organization) -> AuditRow:
    actor = entry.actor
    shown: AuditActor | None = None
    if actor is not None:
        own = actor.organization_id == organization.pk
        shown = {
            "id": actor.pk,
            "name": actor.name,
            "email": actor.email if own else "",
            "organization": actor.organization.name if actor.organization else "",
        }
    return {
        "id": entry.pk,
        "at": entry.created_at.isoformat(),
        "action": entry.action,
        "label": audit.label(entry.action),
        "actor": shown,
        "target": {
            "type": entry.target_type,
            "id": entry.target_id if _shows_ids(entry.target_type) else None,
        },
        "data": entry.data if isinstance(entry.data, dict) else {"value": entry.data},
    }


# Counted ids the API shows anyway (an organization's, a partnership's): nothing more to hide.
_PUBLIC = (Organization, Partnership)


@functools.cache
def _shows_ids(target_type: str) -> bool:
    """Whether a target of this type (a model's name) may show its id: a random one."""
    model = next((m for m in apps.get_models() if m._meta.model_name == target_type), None)
    if model is None:
        return False
    return issubclass(model, _PUBLIC) or isinstance(model._meta.pk, RandomIdField)


def check_export_audit_log(
    actor: User, filters: AuditFilters, *, format: ExportFormat
) -> Organization:
    """An admin exports their organization's log: recorded (``audit.exported``) before a
    byte is sent, so even an export cancelled half-way is on the record."""
    organization = access_admin_organization(actor)
    do_record_export(actor, organization, filters, format=format)
    return organization


def do_record_export(
    actor: User, organization: Organization, filters: AuditFilters, *, format: ExportFormat
) -> None:
    with transaction.atomic():
        audit.record(
            actor,
            "audit.exported",
            organization,
            organization=organization,
            format=format,
            filters=filters.described(),
        )


def export_pages(organization: Organization, filters: AuditFilters) -> Iterator[list[AuditRow]]:
    """The whole filtered log in pages of ``EXPORT_PAGE``, each page its own query (keyset,
    by time and id): no long transaction, no server-side cursor, one page in memory."""
    last: AuditEntry | None = None
    while True:
        rows = _entries(organization, filters)
        if last is not None:
            rows = _after(rows, last.created_at, last.pk)
        page = list(rows[:EXPORT_PAGE])
        if not page:
            return
        yield [audit_row(entry, organization) for entry in page]
        if len(page) < EXPORT_PAGE:
            return
        last = page[-1]


# --- the export formats: each turns rows into chunks of text --------------------------------

CSV_HEADER = [
    "id",
    "when_utc",
    "actor_name",
    "actor_email",
    "actor_organization",
    "action",
    "label",
    "target_type",
    "target_id",
    "data",
]
# What a spreadsheet would read as a formula (or, tab and CR, as the start of one after it
# trims): such a cell gets a leading quote so it is shown as text, never run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_line(cells: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(cell) for cell in cells])
    return out.getvalue()


def csv_header() -> str:
    return _csv_line(CSV_HEADER)


def csv_rows(rows: list[AuditRow]) -> str:
    return "".join(
        _csv_line(
            [
                row["id"],
                row["at"],
                row["actor"]["name"] if row["actor"] else "system",
                row["actor"]["email"] if row["actor"] else "",
                row["actor"]["organization"] if row["actor"] else "",
                row["action"],
                row["label"],
                row["target"]["type"],
                row["target"]["id"],
                json.dumps(row["data"], sort_keys=True, ensure_ascii=False),
            ]
        )
        for row in rows
    )


def json_lines(rows: list[AuditRow]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
