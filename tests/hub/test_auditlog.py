"""The audit log: an organization's admins read and export their own entries, nobody else's."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hub import audit
from hub.auditlog import csv_cell
from hub.models import AuditEntry, User
from rooms.actions.files import check_set_file_policy
from tests.conftest import Team, body_of, client_for, make_internal_room, make_person

pytestmark = pytest.mark.postgres

LOG = "/api/organization/audit/"
EXPORT = "/api/organization/audit/export/"
NOT_FOUND = {"error": {"code": "not_found", "detail": "Not found."}}


def entries(person: User, query: str = "") -> list[dict[str, Any]]:
    response = client_for(person).get(f"{LOG}?{query}")
    assert response.status_code == 200, response.content
    found: list[dict[str, Any]] = response.json()["entries"]
    return found


def ids_of(rows: list[dict[str, Any]]) -> set[int]:
    return {row["id"] for row in rows}


def own_ids(team: Team, organization: Any) -> set[int]:
    return set(AuditEntry.objects.filter(organization=organization).values_list("id", flat=True))


# --- scoping ---------------------------------------------------------------------------------


def test_an_admin_sees_exactly_their_own_organizations_entries(team: Team):
    # An operator's entry (no organization) is nobody's here.
    audit.record(None, "organization.created", team.supplier, organization=None)
    make_internal_room(team.client_admin, name="Client secret project")
    supplier_rows = entries(team.supplier_admin, "limit=200")
    client_rows = entries(team.client_admin, "limit=200")
    assert ids_of(supplier_rows) == own_ids(team, team.supplier)
    assert ids_of(client_rows) == own_ids(team, team.client)
    assert not ids_of(supplier_rows) & ids_of(client_rows)
    assert "Client secret project" not in json.dumps(supplier_rows)


def test_no_filter_or_cursor_gives_one_admin_the_other_organizations_entries(team: Team):
    theirs = AuditEntry.objects.filter(organization=team.supplier)
    queries = [
        "limit=200",
        f"person={team.supplier_admin.pk}",
        "action=room.created",
        "since=2000-01-01&until=2100-01-01",
    ]
    for query in queries:
        assert not ids_of(entries(team.client_admin, query)) & ids_of(list(theirs.values("id")))
    export = client_for(team.client_admin).get(
        f"{EXPORT}?format=jsonl&person={team.supplier_admin.pk}"
    )
    assert body_of(export) == b""


def test_a_partner_actor_is_shown_by_name_and_organization_never_by_e_mail(team: Team):
    # The partnership ends on the supplier's admin's word: the client's log has it too.
    audit.record(
        team.supplier_admin, "partnership.ended", team.partnership, organization=team.client
    )
    row = entries(team.client_admin, "action=partnership.ended")[0]
    assert row["actor"] == {
        "id": team.supplier_admin.pk,
        "name": "Sam Supplier-Admin",
        "email": "",
        "organization": "Supplier",
    }
    own = entries(team.client_admin, "action=room.created")[0]
    assert own["actor"]["email"] == team.client_admin.email


def test_an_entry_shows_when_who_what_target_and_data(team: Team):
    check_set_file_policy(team.supplier_admin, uploads_allowed=False, kinds=[], max_bytes=None)
    row = entries(team.supplier_admin, "action=files.policy_changed")[0]
    assert row["label"] == "Changed the file policy"
    assert row["actor"]["name"] == "Sam Supplier-Admin"
    assert row["target"]["type"] == "filepolicy"
    assert row["data"]["after"]["uploads_allowed"] is False
    assert datetime.datetime.fromisoformat(row["at"]) <= timezone.now()


def test_an_entry_without_an_actor_is_the_systems(team: Team):
    audit.record(None, "mirror.stopped", team.shared, organization=team.supplier, reason="x")
    row = entries(team.supplier_admin, "action=mirror.stopped")[0]
    assert row["actor"] is None


# --- who may read ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOG, f"{EXPORT}?format=csv"])
def test_a_member_gets_not_found_as_if_there_were_no_log(team: Team, path: str):
    response = client_for(team.supplier_member).get(path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


def test_signed_out_gets_401_and_a_write_method_405(team: Team):
    assert Client().get(LOG).status_code == 401
    assert client_for(team.supplier_admin).post(LOG).status_code == 405


def test_the_page_is_for_admins_only(team: Team):
    page = client_for(team.supplier_admin).get("/organization/audit/")
    assert page.status_code == 200
    assert b"Audit log of Supplier" in page.content
    assert client_for(team.supplier_member).get("/organization/audit/").status_code == 404
    home = client_for(team.supplier_admin).get("/").content.decode()
    assert 'href="/organization/audit/"' in home
    assert (
        'href="/organization/audit/"'
        not in client_for(team.supplier_member).get("/").content.decode()
    )


# --- filters and paging ----------------------------------------------------------------------


def test_filters_by_kind_and_person(team: Team):
    rows = entries(team.supplier_admin, "action=room.created&limit=200")
    assert rows and {row["action"] for row in rows} == {"room.created"}
    other = make_person(team.supplier, admin=True)
    make_internal_room(other, name="Other's")
    mine = entries(team.supplier_admin, f"person={other.pk}")
    assert mine and {row["actor"]["id"] for row in mine} == {other.pk}


def test_days_are_read_in_the_admins_time_zone(team: Team):
    team.supplier_admin.time_zone = "Pacific/Auckland"
    team.supplier_admin.save(update_fields=["time_zone"])
    # 23:30 UTC on 1 December is already 2 December in Auckland (+13:00).
    at = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.UTC)
    entry = audit.record(team.supplier_admin, "room.unarchived", team.supplier_internal)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=at)
    kind = "action=room.unarchived"
    assert ids_of(entries(team.supplier_admin, f"{kind}&since=2026-12-02&until=2026-12-02")) == {
        entry.pk
    }
    assert not entries(team.supplier_admin, f"{kind}&until=2026-12-01")
    # A moment with its offset is that moment, whatever the zone.
    assert entries(team.supplier_admin, f"{kind}&since=2026-12-01T23:30:00Z")
    assert not entries(team.supplier_admin, f"{kind}&since=2026-12-01T23:30:01%2B00:00")


def test_pages_go_back_newest_first_without_gaps_even_within_one_moment(team: Team):
    for n in range(7):
        audit.record(team.supplier_admin, "room.unarchived", team.supplier_internal, n=n)
    # Three of them in the same microsecond: the id orders them, and no page skips one.
    same = timezone.now()
    tied = AuditEntry.objects.filter(action="room.unarchived").order_by("?")[:3]
    AuditEntry.objects.filter(pk__in=[e.pk for e in tied]).update(created_at=same)
    expected = list(
        AuditEntry.objects.filter(action="room.unarchived")
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    seen: list[int] = []
    before = ""
    while True:
        response = client_for(team.supplier_admin).get(
            f"{LOG}?action=room.unarchived&limit=3{before}"
        )
        page = response.json()
        seen += [row["id"] for row in page["entries"]]
        if page["next_before"] is None:
            break
        before = f"&before={page['next_before']}"
    assert seen == expected


def test_a_page_cursor_from_another_log_is_refused_as_if_it_never_was(team: Team):
    theirs = AuditEntry.objects.filter(organization=team.supplier).first()
    assert theirs is not None
    answers = [
        client_for(team.client_admin).get(f"{LOG}?before={before}").json()
        for before in (theirs.pk, 2**40 + 12345)
    ]
    assert (
        answers[0]
        == answers[1]
        == {"error": {"code": "invalid", "detail": "`before` is not an entry of this log."}}
    )


def test_ids_shown_tell_nothing_of_how_many_rows_others_made(team: Team):
    rows = entries(team.supplier_admin, "limit=200")
    # Entries' own ids are random, never a counter shared by every organization.
    assert all(row["id"] > 2**32 for row in rows)
    targets = {row["target"]["type"]: row["target"]["id"] for row in rows}
    # A membership's id is counted: shown without it (the entry's data names room and person).
    assert targets["membership"] is None
    assert targets["room"] == team.supplier_internal.pk or targets["room"] == team.shared.pk
    added = entries(team.supplier_admin, "action=membership.added")[0]
    assert set(added["data"]) >= {"room", "person"}


@pytest.mark.parametrize(
    "query",
    [
        "action=nonsense",
        "action=room.created%00",
        "person=abc",
        "person=0",
        "person=99999999999999999999999",
        "before=-1",
        "limit=0",
        "limit=201",
        "limit=x",
        "since=2026-13-01",
        "since=yesterday",
        "since=2026-12-01T09:00:00",
        "since=2026-12-02&until=2026-12-01",
        "until=9999-12-31",
        "since=0001-01-01T00:00:00%2B05:00",
        "since=9999-12-31T23:00:00-05:00",
        "since=" + "9" * 100,
    ],
)
def test_bad_input_is_a_clear_json_400(team: Team, query: str):
    urls = [f"{LOG}?{query}"]
    if not query.startswith(("before", "limit")):  # the export has no pages
        urls.append(f"{EXPORT}?format=csv&{query}")
    for url in urls:
        response = client_for(team.supplier_admin).get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "invalid"
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


def test_an_unknown_export_format_is_a_400(team: Team):
    response = client_for(team.supplier_admin).get(f"{EXPORT}?format=xlsx")
    assert response.status_code == 400
    assert "format" in response.json()["error"]["detail"]


# --- exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(value: Any, cell: str):
    assert csv_cell(value) == cell


def test_the_csv_export_is_a_download_with_a_header_and_escaped_cells(team: Team):
    team.supplier_admin.display_name = "=cmd|' /C calc'!A0"
    team.supplier_admin.save(update_fields=["display_name"])
    audit.record(team.supplier_admin, "room.unarchived", team.supplier_internal, note="@evil")
    response = client_for(team.supplier_admin).get(f"{EXPORT}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-supplier-')
    assert response["Content-Disposition"].endswith('.csv"')
    table = list(csv.reader(io.StringIO(body_of(response).decode())))
    assert table[0] == [
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
    rows = table[1:]
    assert len(rows) == AuditEntry.objects.filter(organization=team.supplier).count()
    # Newest first: the export itself, then the entry above.
    assert rows[0][5] == "audit.exported"
    unarchived = rows[1]
    assert unarchived[2] == "'=cmd|' /C calc'!A0"
    assert unarchived[5:8] == ["room.unarchived", "Unarchived a room", "room"]
    assert json.loads(unarchived[9]) == {"note": "@evil"}
    assert all(
        not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row
    )


@pytest.mark.parametrize("format", ["json", "jsonl"])
def test_the_json_exports_carry_the_same_rows_as_the_api(team: Team, format: str):
    client = client_for(team.supplier_admin)
    response = client.get(f"{EXPORT}?format={format}&action=room.created")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{format}"')
    text = body_of(response).decode()
    rows = (
        json.loads(text) if format == "json" else [json.loads(line) for line in text.splitlines()]
    )
    assert rows == entries(team.supplier_admin, "action=room.created&limit=200")
    assert len(rows) == 2


def test_an_export_of_many_pages_holds_every_entry_once(team: Team, monkeypatch: Any):
    monkeypatch.setattr("hub.auditlog.EXPORT_PAGE", 4)
    for n in range(10):
        audit.record(team.supplier_admin, "room.unarchived", team.supplier_internal, n=n)
    body = body_of(
        client_for(team.supplier_admin).get(f"{EXPORT}?format=json&action=room.unarchived")
    )
    rows = json.loads(body)
    assert [row["data"]["n"] for row in rows] == list(range(9, -1, -1))
    empty = client_for(team.supplier_admin).get(f"{EXPORT}?format=json&action=room.archived")
    assert json.loads(body_of(empty)) == []


def test_every_export_is_itself_audited_with_its_format_and_filters(team: Team):
    client = client_for(team.supplier_admin)
    client.get(f"{EXPORT}?format=jsonl&action=room.created&since=2026-01-01")
    entry = AuditEntry.objects.get(action="audit.exported")
    assert entry.organization == team.supplier
    assert entry.actor == team.supplier_admin
    assert entry.data == {
        "format": "jsonl",
        "filters": {
            "action": "room.created",
            "person": None,
            "since": "2026-01-01T00:00:00+00:00",
            "until": None,
        },
    }
    # The client's admin never sees it.
    assert not entries(team.client_admin, "action=audit.exported")
    assert entries(team.supplier_admin, "action=audit.exported")[0]["label"] == (
        "Exported the audit log"
    )
