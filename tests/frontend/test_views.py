"""Server-rendered pages, the JSON API's guards and the demo seed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.management import call_command
from django.test import Client

from config.asgi import application
from hub.models import Organization, Partnership, User
from rooms.actions.members import check_remove_member
from rooms.actions.messages import do_send_message
from rooms.actions.reading import check_mark_read
from rooms.actions.rooms import check_update_room
from rooms.models.messages import Message
from rooms.models.reactions import Reaction
from rooms.models.rooms import Membership, Room
from tests.conftest import Team, make_org, make_person


def signed_in(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def say(author: User, room: Room, body: str) -> Message:
    message, _created = do_send_message(
        author, room, client_id=f"{author.pk}-{body}", body=body, thread_root=None
    )
    return message


def heading_of(html: str, room_id: int) -> str:
    """The <h2> heading the room's link is listed under on the home page."""
    position = html.index(f'data-room="{room_id}"')
    headings = re.findall(r"<h2>(.*?)</h2>", html[:position])
    return headings[-1]


async def asgi_get(path: str) -> dict[str, Any]:
    """GET ``path`` through the project's ASGI application, as Daphne would."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = b""
    more = True
    while more:
        chunk = await communicator.receive_output(5)
        body += chunk.get("body", b"")
        more = chunk.get("more_body", False)
    await communicator.wait(5)
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return {"status": start["status"], "headers": headers, "body": body}


# --- pages ----------------------------------------------------------------------


def test_sign_in_page_is_served(db):
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="login"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db(transaction=True)
async def test_sign_in_page_is_served_through_asgi_application():
    response = await asgi_get("/accounts/login/")

    assert response["status"] == 200
    assert b'name="password"' in response["body"]


@pytest.mark.django_db(transaction=True)
# WhiteNoise hands Django a synchronous file iterator; Django streams it from a thread.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_stylesheet_is_served_without_collectstatic_through_asgi_application():
    response = await asgi_get("/static/frontend/app.css")

    assert response["status"] == 200
    assert response["headers"]["content-type"].startswith("text/css")
    assert len(response["body"]) > 0


def test_anonymous_home_redirects_to_sign_in(db):
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_home_groups_rooms_by_partner_and_internal(team: Team):
    response = signed_in(team.supplier_member).get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert heading_of(html, team.shared.id) == "Shared with Client"
    assert heading_of(html, team.supplier_internal.id) == "Internal (Supplier)"


def test_home_of_partner_shows_same_shared_room_under_other_name(team: Team):
    html = signed_in(team.client_member).get("/").content.decode()

    assert heading_of(html, team.shared.id) == "Shared with Supplier"
    assert heading_of(html, team.client_internal.id) == "Internal (Client)"


def test_home_hides_other_orgs_internal_room(team: Team):
    html = signed_in(team.supplier_member).get("/").content.decode()

    assert team.client_internal.name not in html
    assert f'data-room="{team.client_internal.id}"' not in html


def test_home_hides_rooms_of_own_org_person_is_not_in(team: Team):
    newcomer = make_person(team.supplier)

    html = signed_in(newcomer).get("/").content.decode()

    assert team.supplier_internal.name not in html
    assert team.shared.name not in html
    assert "No internal rooms yet." in html


def test_home_hides_room_after_person_is_removed(team: Team):
    check_remove_member(
        team.supplier_admin, room_id=team.shared.id, person_id=team.client_member.pk
    )

    html = signed_in(team.client_member).get("/").content.decode()

    assert f'data-room="{team.shared.id}"' not in html
    assert "Shared with Supplier" not in html


def test_my_work_page_is_served_with_the_persons_own_rooms_only(team: Team):
    response = signed_in(team.client_member).get("/work/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="assigned"' in html and 'id="raised"' in html
    assert team.shared.name in html
    assert team.supplier_internal.name not in html


def test_my_work_page_signed_out_redirects_to_sign_in(db):
    response = Client().get("/work/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_room_page_is_served_to_member(team: Team):
    response = signed_in(team.client_member).get(f"/rooms/{team.shared.id}/")

    assert response.status_code == 200
    assert team.shared.name.encode() in response.content


def test_room_page_of_other_orgs_internal_room_is_not_found(team: Team):
    response = signed_in(team.client_member).get(f"/rooms/{team.supplier_internal.id}/")

    assert response.status_code == 404


def test_room_page_for_missing_room_is_not_found(team: Team):
    response = signed_in(team.client_member).get("/rooms/999999/")

    assert response.status_code == 404


def test_room_page_forbidden_and_missing_look_alike(team: Team):
    client = signed_in(team.client_member)

    forbidden = client.get(f"/rooms/{team.supplier_internal.id}/")
    missing = client.get("/rooms/999999/")

    assert (forbidden.status_code, forbidden.content) == (missing.status_code, missing.content)


def test_room_page_signed_out_redirects_to_sign_in(team: Team):
    response = Client().get(f"/rooms/{team.shared.id}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- JSON API ---------------------------------------------------------------------


def test_api_rooms_signed_out_is_401_json(db):
    response = Client().get("/api/rooms/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_rooms_lists_only_own_rooms(team: Team):
    response = signed_in(team.supplier_member).get("/api/rooms/")

    assert response.status_code == 200
    rooms = {room["id"]: room for room in response.json()["rooms"]}
    assert set(rooms) == {team.shared.id, team.supplier_internal.id}
    assert rooms[team.shared.id]["kind"] == "shared"
    assert rooms[team.shared.id]["partner"]["name"] == "Client"
    assert rooms[team.supplier_internal.id]["kind"] == "internal"


def test_api_rooms_counts_unread_messages_of_others(team: Team):
    say(team.client_member, team.shared, "first")
    say(team.client_admin, team.shared, "second")
    say(team.supplier_admin, team.supplier_internal, "internal note")

    reader = signed_in(team.supplier_member).get("/api/rooms/").json()["rooms"]
    author = signed_in(team.client_member).get("/api/rooms/").json()["rooms"]

    assert {room["id"]: room["unread"] for room in reader} == {
        team.shared.id: 2,
        team.supplier_internal.id: 1,
    }
    # Your own message is never unread for you.
    assert {room["id"]: room["unread"] for room in author} == {
        team.shared.id: 1,
        team.client_internal.id: 0,
    }


def test_api_rooms_unread_drops_after_mark_read(team: Team):
    say(team.client_member, team.shared, "first")
    say(team.client_member, team.shared, "second")
    team.shared.refresh_from_db()
    check_mark_read(team.supplier_member, room_id=team.shared.id, seq=team.shared.last_seq)

    rooms = signed_in(team.supplier_member).get("/api/rooms/").json()["rooms"]

    assert {room["id"]: room["unread"] for room in rooms}[team.shared.id] == 0


def test_api_post_without_csrf_token_is_forbidden(team: Team):
    partner = make_org()
    client = signed_in(team.client_admin, enforce_csrf_checks=True)

    response = client.post(
        "/api/partnerships/",
        json.dumps({"partner": partner.slug, "as_side": "client"}),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not Partnership.objects.filter(supplier=partner).exists()


def test_api_post_with_csrf_token_is_accepted(team: Team):
    partner = make_org()
    client = signed_in(team.client_admin, enforce_csrf_checks=True)
    client.get("/")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/partnerships/",
        json.dumps({"partner": partner.slug, "as_side": "client"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201
    assert Partnership.objects.filter(supplier=partner, client=team.client).exists()


def test_api_room_create_without_csrf_token_is_forbidden(team: Team):
    client = signed_in(team.client_admin, enforce_csrf_checks=True)

    response = client.post(
        "/api/rooms/",
        json.dumps({"kind": "internal", "name": "Sneaky"}),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not Room.objects.filter(name="Sneaky").exists()


def test_api_delete_without_csrf_token_is_forbidden(team: Team):
    client = signed_in(team.supplier_admin, enforce_csrf_checks=True)

    response = client.delete(f"/api/rooms/{team.shared.id}/members/{team.client_member.pk}/")

    assert response.status_code == 403
    assert Membership.objects.active().filter(room=team.shared, user=team.client_member).exists()


# --- demo seed ------------------------------------------------------------------------


def demo_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "people": User.objects.count(),
        "partnerships": Partnership.objects.count(),
        "rooms": Room.objects.count(),
        "memberships": Membership.objects.count(),
        "messages": Message.objects.count(),
        "reactions": Reaction.objects.count(),
    }


def test_seed_demo_creates_demo_data(db, capsys):
    call_command("seed_demo")

    assert demo_counts() == {
        "organizations": 2,
        "people": 4,
        "partnerships": 1,
        "rooms": 3,
        "memberships": 8,
        "messages": 6,  # history, a thread reply and the work item's thread root
        "reactions": 3,  # both sides on the thread reply
    }
    assert Partnership.objects.get().status == Partnership.Status.ACTIVE


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = demo_counts()

    call_command("seed_demo")

    assert demo_counts() == first


def test_seed_demo_people_can_sign_in(db, capsys):
    call_command("seed_demo")
    client = Client()

    response = client.post(
        "/accounts/login/",
        {"login": "carla@acme.example", "password": "causeway-demo-2026"},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="carla@acme.example").pk)


# --- the web app's pages ------------------------------------------------------------


def boot_data(html: str) -> dict[str, Any]:
    """The JSON a page hands its ES module (``json_script``)."""
    match = re.search(r'<script id="boot" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no boot data"
    return json.loads(match.group(1))


def test_room_page_boots_with_the_room_its_partner_and_the_persons_rooms(team: Team):
    html = signed_in(team.supplier_member).get(f"/rooms/{team.shared.id}/").content.decode()

    boot = boot_data(html)
    assert boot["me"]["id"] == team.supplier_member.pk
    assert boot["me"]["org"]["name"] == "Supplier"
    assert boot["room"]["id"] == team.shared.id
    assert boot["room"]["partner"]["name"] == "Client"
    assert {r["id"] for r in boot["rooms"]} == {team.shared.id, team.supplier_internal.id}
    assert "Shared with Client" in html


def test_internal_room_page_says_who_can_see_it(team: Team):
    html = signed_in(team.client_member).get(f"/rooms/{team.client_internal.id}/").content.decode()

    assert "Internal · Client only" in html
    assert boot_data(html)["room"]["kind"] == "internal"


def test_hostile_names_are_escaped_in_the_page_and_its_boot_data(team: Team):
    check_update_room(team.supplier_admin, room_id=team.shared.id, name="<script>alert(1)</script>")
    team.supplier_member.display_name = "<img src=x onerror=alert(2)>"
    team.supplier_member.save(update_fields=["display_name"])

    html = signed_in(team.supplier_member).get(f"/rooms/{team.shared.id}/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert boot_data(html)["room"]["name"] == "<script>alert(1)</script>"


def test_the_organization_page_boots_an_admin_with_the_own_organizations_settings(team: Team):
    response = signed_in(team.client_admin).get("/organization/")
    assert response.status_code == 200
    boot = boot_data(response.content.decode())
    assert boot["organization"]["name"] == "Client"
    assert {p["id"] for p in boot["organization"]["people"]} == {
        team.client_admin.pk,
        team.client_member.pk,
    }


@pytest.mark.parametrize("role", ["client_member", "supplier_member"])
def test_the_organization_page_does_not_exist_for_a_member(team: Team, role: str):
    assert signed_in(getattr(team, role)).get("/organization/").status_code == 404


def test_the_organization_page_sends_the_signed_out_to_sign_in(db):
    response = Client().get("/organization/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_admins_see_the_organization_link(team: Team):
    assert 'href="/organization/"' in signed_in(team.client_admin).get("/").content.decode()
    assert 'href="/organization/"' not in signed_in(team.client_member).get("/").content.decode()


def test_every_module_in_the_import_map_exists():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "frontend"
    importmap = (root / "templates/frontend/includes/importmap.html").read_text()
    mapped = set(re.findall(r'"/static/frontend/([\w.]+\.js)"', importmap))
    modules = {p.name for p in (root / "static/frontend").glob("*.js")}
    assert mapped == modules


# allauth's pages in the app's frame (frontend/templates/allauth/). Django finds
# app templates in INSTALLED_APPS order, and config/settings.py lists "allauth"
# before "frontend", so allauth's own templates win there. These tests put the
# app's templates first, as the settings need to.
AUTH_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",  # "verification sent"
]


@pytest.fixture
def app_templates_first(settings):
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "frontend" / "templates"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]


@pytest.mark.parametrize("path", AUTH_PAGES)
def test_allauth_pages_render_in_the_app_frame(db, app_templates_first, path):
    html = Client().get(path).content.decode()

    assert 'class="topbar"' in html
    assert 'class="card auth' in html
    assert "frontend/app.css" in html
    assert "Menu:" not in html  # allauth's bare default layout


def test_mfa_page_renders_in_the_app_frame(team: Team, app_templates_first):
    response = signed_in(team.supplier_member).get("/accounts/2fa/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="manage-nav' in html
    assert "Two-Factor Authentication" in html
    assert 'id="conn"' not in html  # no live socket on account pages


def test_allauth_sign_in_page_renders_in_the_app_frame_with_the_project_settings(db):
    html = Client().get("/accounts/login/").content.decode()

    assert 'class="topbar"' in html


def test_people_change_their_name_title_and_handle_on_their_profile(team):
    client = Client()
    client.force_login(team.client_member)
    page = client.get("/profile/")
    assert page.status_code == 200
    assert f'value="{team.client_member.handle}"' in page.content.decode()
    assert team.client_member.email not in page.content.decode()
    saved = client.post(
        "/profile/", {"display_name": "Cleo Diaz", "title": "Buyer", "handle": "Cleo"}, follow=True
    )
    assert "Your profile is saved." in saved.content.decode()
    team.client_member.refresh_from_db()
    assert (team.client_member.name, team.client_member.handle) == ("Cleo Diaz", "cleo")
    taken = client.post(
        "/profile/",
        {"display_name": "Cleo Diaz", "title": "", "handle": team.supplier_member.handle},
    )
    assert taken.status_code == 400
    assert "is taken" in taken.content.decode()
    team.client_member.refresh_from_db()
    assert team.client_member.handle == "cleo"
