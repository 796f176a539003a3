"""An exception that escapes every view and middleware (config/errors.py, handler500)."""

from __future__ import annotations

import pytest
from django.test import Client

from rooms.api import rooms as rooms_api


@pytest.fixture
def broken_room_list(monkeypatch):
    """A bug in a view: the room list raises something no handler expects."""

    def fail(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr(rooms_api, "room_list", fail)


def test_an_unexpected_api_failure_answers_json_500_with_a_reference(team, broken_room_list):
    client = Client(raise_request_exception=False)
    client.force_login(team.supplier_member)

    response = client.get("/api/rooms/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "internal"
    assert error["detail"].startswith("Something went wrong (ref ")


def test_an_unexpected_page_failure_keeps_djangos_500_page(team, monkeypatch):
    from frontend import views as page_views

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(page_views, "render", fail)
    client = Client(raise_request_exception=False)
    client.force_login(team.supplier_member)

    response = client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
