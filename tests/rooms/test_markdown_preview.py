"""POST /api/markdown/preview/: the composer's preview is the message's own rendering."""

from __future__ import annotations

import pytest
from django.test import Client

from hub.schemas import parse
from rooms.schemas import MessageSendFrame
from tests.conftest import say

LIST_AND_TABLE = (
    "Plan:\n\n- cut\n- weld\n\n| lot | qty |\n|:---|---:|\n| 7 | 40 |\n\nhttps://a.example/lot-7"
)


def sent_as_a_frame(person, room, body):
    """The message stored from a ``message.send`` with ``body``: cleaned at the edge."""
    frame = {"type": "message.send", "room": room.id, "client_id": "c", "body": body}
    return say(person, room, parse(MessageSendFrame, frame).body)


def preview(client, body, **extra):
    return client.post(
        "/api/markdown/preview/", {"body": body, **extra}, content_type="application/json"
    )


@pytest.fixture
def signed_in(team):
    client = Client()
    client.force_login(team.client_member)
    return client


@pytest.mark.parametrize(
    "body",
    [LIST_AND_TABLE, "1. one\n2. two\n   - nested", "**bold** _em_ ~~gone~~ `code`", "Plain line"],
)
def test_the_preview_is_exactly_the_html_the_sent_message_shows(team, signed_in, body):
    shown = preview(signed_in, body)
    assert shown.status_code == 200
    sent = sent_as_a_frame(team.client_member, team.shared, body)
    assert shown.json() == {"html": sent.body_html}


def test_the_preview_cleans_the_text_as_a_message_is_cleaned(team, signed_in):
    body = "file\u202egnp.exe <script>alert(1)</script>"
    html = preview(signed_in, body).json()["html"]
    assert "\u202e" not in html and "<script" not in html
    assert html == sent_as_a_frame(team.client_member, team.shared, body).body_html


def test_an_empty_preview_is_empty(signed_in):
    assert preview(signed_in, "").json() == {"html": ""}


def test_a_preview_longer_than_a_message_is_refused(signed_in, settings):
    refused = preview(signed_in, "x" * (settings.CAUSEWAY_MESSAGE_MAX_CHARS + 1))
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "too_large"


def test_a_body_that_is_not_text_is_a_clear_error(signed_in):
    refused = preview(signed_in, 12)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"


def test_only_signed_in_people_get_a_preview_and_only_by_post(db, signed_in):
    assert preview(Client(), "hi").status_code == 401
    assert signed_in.get("/api/markdown/preview/").status_code == 405
