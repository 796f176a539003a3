"""Search: full-text matching, ranking, filters, paging and scope.

Marked ``embedded``: ``make test`` runs this module on PostgreSQL (the whole
suite) and again on SQLite, the embedded default (FTS5), so both engines are
held to the same expectations.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hub.models import User
from rooms.actions.members import check_remove_member
from rooms.actions.messages import check_delete_message, check_edit_message
from rooms.models.messages import Message
from rooms.search.terms import Terms, fts5_match, parse_terms
from tests.conftest import PDF_BYTES, Team, make_upload, say, send_files

pytestmark = pytest.mark.embedded


def search(viewer: User, q: str = "", **filters: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(viewer)
    response = client.get("/api/search/", {"q": q, **filters})
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def found(viewer: User, q: str = "", **filters: Any) -> list[str]:
    return [hit["message"]["body"] for hit in search(viewer, q, **filters)["results"]]


# --- what a query means -------------------------------------------------------------------


def test_words_phrases_exclusions_and_the_word_being_typed_are_parsed_once() -> None:
    assert parse_terms('valve "purchase order" -leak -"old stock" purch') == Terms(
        words=("valve",),
        phrases=("purchase order",),
        excluded=("leak", "old stock"),
        prefix="purch",
    )
    # A finished word (a space after it) and a short one are whole words.
    assert parse_terms("purch ").prefix is None
    assert parse_terms("PO").words == ("PO",)
    # Punctuation alone is nothing; a word with punctuation inside stays one piece.
    assert parse_terms('ACME-42 " - OR').words == ("ACME-42",)


def test_every_piece_reaches_fts5_as_a_string_never_an_operator() -> None:
    terms = parse_terms('it\'s "a b" -c NEAR dee')
    assert fts5_match(terms) == '"it\'s" AND "NEAR" AND "a b" AND "dee"* NOT "c"'
    assert fts5_match(parse_terms('say "x""y" ')) == '"say" AND "x" AND "y"'


def test_a_word_with_punctuation_inside_is_found_as_the_engine_stored_it(team: Team) -> None:
    say(team.supplier_member, team.shared, "ref matrix-secret-9596e97fcb3744eb and ACME-42")
    say(team.supplier_member, team.shared, "secret matrix, ACME 41")
    assert found(team.client_member, "matrix-secret-9596e97fcb3744eb") == [
        "ref matrix-secret-9596e97fcb3744eb and ACME-42"
    ]
    assert found(team.client_member, "acme-42") == [
        "ref matrix-secret-9596e97fcb3744eb and ACME-42"
    ]


# --- matching and ranking ------------------------------------------------------------------


def test_results_are_ranked_by_how_well_they_match(team: Team) -> None:
    filler = " ".join(["the shipment paperwork is with customs"] * 8)
    say(team.supplier_member, team.shared, f"delivery {filler} delay")  # far apart, long
    say(team.supplier_member, team.shared, "The delivery delay is two days.")
    say(team.supplier_member, team.shared, "Delivery delay again: another delivery delay.")
    say(team.supplier_member, team.shared, "Delivery is on time.")  # one word only
    assert found(team.client_member, "delivery delay ") == [
        "Delivery delay again: another delivery delay.",
        "The delivery delay is two days.",
        f"delivery {filler} delay",
    ]


def test_words_are_found_in_their_other_forms(team: Team) -> None:
    say(team.supplier_member, team.shared, "We ordered the valves on Monday")
    say(team.supplier_member, team.shared, "Ordering opens next week")
    say(team.supplier_member, team.shared, "Unrelated news")
    assert sorted(found(team.client_member, "orders ")) == [
        "Ordering opens next week",
        "We ordered the valves on Monday",
    ]
    assert found(team.client_member, "valve ") == ["We ordered the valves on Monday"]


def test_a_short_word_is_a_whole_word_not_a_substring(team: Team) -> None:
    say(team.supplier_member, team.shared, "PO 4711 is approved")
    say(team.supplier_member, team.shared, "ping pong")
    say(team.supplier_member, team.shared, "the report is late")
    assert found(team.client_member, "PO") == ["PO 4711 is approved"]


def test_the_word_being_typed_finds_the_words_it_begins(team: Team) -> None:
    say(team.supplier_member, team.shared, "Purchase order 12 is signed")
    assert found(team.client_member, "purch") == ["Purchase order 12 is signed"]
    assert found(team.client_member, "purch ") == []


def test_a_quoted_phrase_needs_its_words_in_order(team: Team) -> None:
    say(team.supplier_member, team.shared, "The purchase order is signed")
    say(team.supplier_member, team.shared, "Order the purchase later")
    assert found(team.client_member, '"purchase order"') == ["The purchase order is signed"]


def test_a_minus_word_leaves_out_messages_with_it(team: Team) -> None:
    say(team.supplier_member, team.shared, "valve leak at station 3")
    say(team.supplier_member, team.shared, "valve replaced at station 4")
    assert found(team.client_member, "valve -leak") == ["valve replaced at station 4"]


def test_an_edited_message_is_found_by_its_new_words_and_a_deleted_one_not_at_all(
    team: Team,
) -> None:
    edited = say(team.supplier_member, team.shared, "shipping on Tuesday")
    deleted = say(team.supplier_member, team.shared, "shipping on Friday")
    check_edit_message(
        team.supplier_member,
        room_id=team.shared.pk,
        message_id=edited.pk,
        body="dispatch Wednesday",
    )
    check_delete_message(team.supplier_member, room_id=team.shared.pk, message_id=deleted.pk)
    assert found(team.client_member, "shipping ") == []
    assert found(team.client_member, "dispatch ") == ["dispatch Wednesday"]


def test_the_snippet_marks_what_matched_and_carries_text_not_markup(team: Team) -> None:
    say(team.supplier_member, team.shared, "Rev C <b>drawings</b> attached for the bracket")
    [hit] = search(team.client_member, "drawing ")["results"]
    hits = [part["text"] for part in hit["snippet"] if part["hit"]]
    assert hits == ["drawings"]
    assert "".join(part["text"] for part in hit["snippet"]).startswith("Rev C <b>")
    assert hit["room"] == {"id": team.shared.pk, "name": team.shared.name, "kind": "shared"}
    assert hit["message"]["author"]["org"]["id"] == team.supplier.pk


def test_a_message_is_also_found_by_its_files_name(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, PDF_BYTES, "Inspection report.pdf")
    message = send_files(team.client_member, team.shared, [upload], body="see attached")
    results = search(team.supplier_member, "inspection ")["results"]
    assert [hit["message"]["id"] for hit in results] == [message.pk]


# --- filters and paging ---------------------------------------------------------------------


def test_filters_narrow_by_room_person_organization_thread_files_and_time(team: Team) -> None:
    root = say(team.supplier_member, team.shared, "gasket spec in the room")
    say(team.client_member, team.shared, "gasket spec in a thread", thread=root)
    say(team.supplier_member, team.supplier_internal, "gasket spec internally")
    upload = make_upload(team.supplier_admin, team.shared)
    send_files(team.supplier_admin, team.shared, [upload], body="gasket spec photo")
    old = say(team.client_admin, team.shared, "gasket spec from last year")
    a_year_ago = timezone.now() - datetime.timedelta(days=400)
    Message.objects.filter(pk=old.pk).update(created_at=a_year_ago)
    me = team.supplier_member

    assert sorted(found(me, "gasket", room=team.supplier_internal.pk)) == ["gasket spec internally"]
    assert sorted(found(me, "gasket", person=team.client_member.pk)) == ["gasket spec in a thread"]
    assert sorted(found(me, "gasket", organization=team.client.pk)) == [
        "gasket spec from last year",
        "gasket spec in a thread",
    ]
    assert found(me, "gasket", in_thread="true") == ["gasket spec in a thread"]
    assert found(me, "gasket", has_files="true") == ["gasket spec photo"]
    a_month_ago = (timezone.now() - datetime.timedelta(days=30)).isoformat()
    assert found(me, "gasket", before=a_month_ago) == ["gasket spec from last year"]
    assert len(found(me, "gasket", after=a_month_ago)) == 4
    # A filter alone lists the newest first.
    assert found(me, "", person=team.client_admin.pk) == ["gasket spec from last year"]


def test_pages_follow_each_other_without_overlap(team: Team) -> None:
    for n in range(25):
        say(team.supplier_member, team.shared, f"status update {n}")
    first = search(team.client_member, "status")
    assert len(first["results"]) == 20 and first["next"] == 20
    second = search(team.client_member, "status", offset=first["next"])
    assert len(second["results"]) == 5 and second["next"] is None
    ids = [h["message"]["id"] for h in first["results"] + second["results"]]
    assert len(set(ids)) == 25


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"q": ""}, "Type a word"),
        ({"q": "-only"}, "Type a word"),
        ({"q": "x" * 201}, "at most 200"),
        ({"q": "valve", "offset": "9999"}, "narrow the search"),
        ({"q": "valve", "after": "yesterday"}, "`after` must be a date"),
        ({"q": "valve", "before": "2026-12-01T09:00:00"}, "with its offset"),
        ({"q": "valve", "in_thread": "maybe"}, "`in_thread` must be true or false"),
        ({"q": "valve", "room": "-3"}, "`room`"),
    ],
)
def test_a_bad_search_is_a_clear_400(team: Team, params: dict[str, str], error: str) -> None:
    client = Client()
    client.force_login(team.client_member)
    response = client.get("/api/search/", params)
    assert response.status_code == 400
    assert error in response.json()["error"]["detail"]


# --- scope ------------------------------------------------------------------------------------


def test_search_only_finds_messages_in_rooms_you_belong_to(team: Team) -> None:
    say(team.supplier_member, team.supplier_internal, "widget margin is thin")
    say(team.supplier_member, team.shared, "widget delivery on friday")
    assert found(team.client_member, "widget") == ["widget delivery on friday"]
    assert sorted(found(team.supplier_admin, "widget")) == [
        "widget delivery on friday",
        "widget margin is thin",
    ]
    # Naming the internal room as a filter finds nothing, as for a room that does not exist.
    assert search(team.client_member, "widget", room=team.supplier_internal.pk) == {
        "results": [],
        "next": None,
    }


def test_someone_removed_from_a_room_no_longer_finds_its_messages(team: Team) -> None:
    say(team.supplier_member, team.shared, "tooling budget approved")
    assert found(team.client_member, "tooling") == ["tooling budget approved"]
    check_remove_member(team.client_admin, room_id=team.shared.pk, person_id=team.client_member.pk)
    assert found(team.client_member, "tooling") == []
