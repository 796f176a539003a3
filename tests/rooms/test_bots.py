"""Bot tokens and incoming webhooks (rooms.actions.bots): made by an organization's admins,
hashed, scoped to internal rooms, revocable at once; never in a shared room or a people list."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from hub.errors import Forbidden, Invalid, NotFound
from hub.models import AuditEntry, User
from rooms.actions.bots import check_create_bot_token, check_create_incoming_webhook
from rooms.actions.direct import check_start_direct
from rooms.actions.invitations import (
    check_create_invitation,
    do_accept_invitation,
    do_create_invitation,
)
from rooms.actions.members import check_add_member, do_add_member
from rooms.actions.rooms import do_create_room
from rooms.models.bots import BotToken, IncomingWebhook
from rooms.models.messages import Mention, Message
from rooms.models.rooms import Membership, Room
from tests.conftest import client_for, make_internal_room, say

pytestmark = pytest.mark.django_db


def bearer(token: str, **extra: Any) -> Client:
    """A client that sends ``token`` as a bot's script would: no cookies, no CSRF token."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def new_token(admin: User, *rooms: Room, name: str = "Deploy") -> dict[str, Any]:
    response = client_for(admin).post(
        "/api/organization/bots/",
        {"name": name, "rooms": [r.pk for r in rooms]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def new_hook(admin: User, room: Room, name: str = "CI") -> dict[str, Any]:
    response = client_for(admin).post(
        "/api/organization/hooks/",
        {"name": name, "room": room.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def hook_path(url: str) -> str:
    return url[url.index("/hooks/in/") :]


def send(client: Client, room: Room | int, body: str, **extra: Any) -> Any:
    room_id = room if isinstance(room, int) else room.pk
    return client.post(
        f"/api/rooms/{room_id}/messages/",
        {"client_id": uuid.uuid4().hex, "body": body, **extra},
        content_type="application/json",
    )


# --- tokens: made once, stored hashed --------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_and_prefix_are_stored(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    secret = made["token"]
    assert secret.startswith("cw_bot_") and len(secret) > 40
    row = BotToken.objects.get(pk=made["id"])
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:12] and secret not in json.dumps(
        list(BotToken.objects.values()), default=str
    )
    listed = client_for(team.supplier_admin).get("/api/organization/bots/").json()
    assert secret not in json.dumps(listed)
    (token,) = listed["tokens"]
    assert token["prefix"] == secret[:12] and token["last_used_at"] is None
    assert token["rooms"] == [{"id": team.supplier_internal.pk, "name": "Supplier internal"}]
    entry = AuditEntry.objects.get(action="bot.token_created")
    assert entry.organization_id == team.supplier.pk and entry.actor_id == team.supplier_admin.pk


def test_a_bot_is_an_identity_that_cannot_sign_in(team):
    made = new_token(team.supplier_admin, team.supplier_internal, name="Deploy")
    bot = BotToken.objects.select_related("bot").get(pk=made["id"]).bot
    assert bot.is_bot and bot.name == "Deploy (bot)" and not bot.has_usable_password()
    assert bot.email.endswith("@bots.causeway.invalid")
    assert bot.handle.startswith("bot-")  # never a handle a person may want
    assert not Client().login(email=bot.email, password="")
    membership = Membership.objects.get(user=bot, room=team.supplier_internal)
    assert membership.notify == Membership.Notify.NONE and membership.role == "member"


def test_only_an_admin_makes_bots_and_only_for_internal_rooms_they_are_in(team):
    member = client_for(team.supplier_member).post(
        "/api/organization/bots/",
        {"name": "X", "rooms": [team.supplier_internal.pk]},
        content_type="application/json",
    )
    assert member.status_code == 403
    assert client_for(team.supplier_member).get("/api/organization/bots/").status_code == 404
    not_in_it = make_internal_room(team.supplier_member, name="Not Sam's")
    missing = 2**40
    answers = []
    for room_id in (team.shared.pk, team.client_internal.pk, not_in_it.pk, missing):
        response = client_for(team.supplier_admin).post(
            "/api/organization/bots/",
            {"name": "X", "rooms": [team.supplier_internal.pk, room_id]},
            content_type="application/json",
        )
        answers.append((response.status_code, response.json()))
    assert answers == [answers[-1]] * 4 and answers[0][0] == 404
    empty = client_for(team.supplier_admin).post(
        "/api/organization/bots/", {"name": "X", "rooms": []}, content_type="application/json"
    )
    assert empty.status_code == 400
    assert not User.objects.filter(is_bot=True).exists()


# --- the HTTP API with a bearer token --------------------------------------------------------


def test_a_bot_reads_sends_edits_and_deletes_in_its_room(team):
    token = new_token(team.supplier_admin, team.supplier_internal)["token"]
    bot = bearer(token)
    sent = send(bot, team.supplier_internal, "Deployed **v2**")
    assert sent.status_code == 201, sent.content
    message = Message.objects.select_related("author").get(pk=sent.json()["id"])
    assert message.author.is_bot and message.body_html.count("<strong>v2</strong>") == 1
    history = bot.get(f"/api/rooms/{team.supplier_internal.pk}/messages/").json()
    assert history["messages"][-1]["author"]["name"] == "Deploy (bot)"
    reply = send(bot, team.supplier_internal, "details", thread=message.pk)
    assert reply.status_code == 201
    thread = bot.get(f"/api/rooms/{team.supplier_internal.pk}/threads/{message.pk}/")
    assert [m["body"] for m in thread.json()["messages"]] == ["Deployed **v2**", "details"]
    path = f"/api/rooms/{team.supplier_internal.pk}/messages/{message.pk}/"
    edited = bot.patch(path, {"body": "Deployed v3"}, content_type="application/json")
    assert edited.status_code == 200
    assert bot.delete(path).status_code == 200
    assert Message.objects.get(pk=message.pk).is_deleted
    persons = say(team.supplier_member, team.supplier_internal, "mine")
    theirs = f"/api/rooms/{team.supplier_internal.pk}/messages/{persons.pk}/"
    assert bot.patch(theirs, {"body": "x"}, content_type="application/json").status_code == 403
    assert bot.delete(theirs).status_code == 403


def test_a_room_outside_the_scope_answers_exactly_like_a_missing_room(team):
    token = new_token(team.supplier_admin, team.supplier_internal)["token"]
    other = make_internal_room(team.supplier_admin, name="Other internal")
    bot = bearer(token)
    for method in ("get", "post"):
        answers = set()
        for room_id in (team.shared.pk, other.pk, team.client_internal.pk, 2**40):
            if method == "get":
                response = bot.get(f"/api/rooms/{room_id}/messages/")
            else:
                response = send(bot, room_id, "hello")
            answers.add((response.status_code, response.content))
        assert len(answers) == 1 and next(iter(answers))[0] == 404
    assert [r["id"] for r in bot.get("/api/rooms/").json()["rooms"]] == [team.supplier_internal.pk]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/organization/"),
        ("get", "/api/organization/bots/"),
        ("post", "/api/organization/bots/"),
        ("post", "/api/organization/hooks/"),
        ("get", "/api/partnerships/"),
        ("post", "/api/partnerships/"),
        ("get", "/api/mirrors/"),
        ("post", "/api/mirrors/"),
        ("post", "/api/mirrors/1/share-back/"),
        ("get", "/api/invitations/"),
        ("post", "/api/invitations/"),
        ("get", "/api/people/"),
        ("get", "/api/me/"),
        ("post", "/api/rooms/"),
        ("post", "/api/direct/"),
        ("post", "/api/rooms/{room}/files/"),
        ("post", "/api/rooms/{room}/members/"),
        ("get", "/api/rooms/{room}/members/"),
        ("patch", "/api/rooms/{room}/"),
        ("get", "/api/search/?q=x"),
        ("get", "/organization/"),
        ("get", "/"),
        ("get", "/api/no-such-route/"),
    ],
)
def test_a_bot_token_is_refused_outside_its_endpoints_as_not_found(team, method, path):
    token = new_token(team.supplier_admin, team.supplier_internal)["token"]
    response = getattr(bearer(token), method)(
        path.format(room=team.supplier_internal.pk), {}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "Not found."}}


def test_a_bad_bearer_is_refused_even_with_a_signed_in_session(team):
    """A cookie session plus a bogus bearer is neither the person nor a way around CSRF."""
    browser = client_for(team.supplier_member)
    browser.defaults["HTTP_AUTHORIZATION"] = "Bearer cw_bot_not-a-real-token"
    browser.handler.enforce_csrf_checks = True
    before = Message.objects.count()
    assert send(browser, team.supplier_internal, "forged").status_code == 401
    read = browser.get(f"/api/rooms/{team.supplier_internal.pk}/messages/")
    assert read.status_code == 401 and read["WWW-Authenticate"].startswith("Bearer")
    assert browser.get("/api/organization/bots/").status_code == 404
    assert Message.objects.count() == before
    # Without the header the same cookie session still needs its CSRF token.
    del browser.defaults["HTTP_AUTHORIZATION"]
    assert send(browser, team.supplier_internal, "no token").status_code == 403


def test_a_bearer_request_is_not_cookie_authenticated_so_needs_no_csrf_token(team):
    token = new_token(team.supplier_admin, team.supplier_internal)["token"]
    assert send(bearer(token), team.supplier_internal, "from CI").status_code == 201


def test_a_revoked_token_stops_at_once_and_its_bot_leaves_its_rooms(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    bot = bearer(made["token"])
    assert send(bot, team.supplier_internal, "before").status_code == 201
    admin = client_for(team.supplier_admin)
    assert admin.delete(f"/api/organization/bots/{made['id']}/").status_code == 200
    assert send(bot, team.supplier_internal, "after").status_code == 401
    assert bot.get(f"/api/rooms/{team.supplier_internal.pk}/messages/").status_code == 401
    row = BotToken.objects.select_related("bot").get(pk=made["id"])
    assert row.revoked_at is not None and not row.bot.is_active
    assert not Membership.objects.active().filter(user=row.bot).exists()
    assert admin.get("/api/organization/bots/").json()["tokens"] == []
    assert admin.delete(f"/api/organization/bots/{made['id']}/").status_code == 404
    assert AuditEntry.objects.filter(action="bot.token_revoked").count() == 1
    # The other organization's admin cannot revoke it: not found, as for nothing.
    again = new_token(team.supplier_admin, team.supplier_internal)
    other = client_for(team.client_admin).delete(f"/api/organization/bots/{again['id']}/")
    assert other.status_code == 404


def test_last_used_is_noted(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    bearer(made["token"]).get("/api/rooms/")
    assert BotToken.objects.get(pk=made["id"]).last_used_at is not None


# --- never a person: lists, pickers, mentions, shared rooms ------------------------------------


def test_bots_are_in_no_list_of_people_and_no_picker(team):
    made = new_token(team.supplier_admin, team.supplier_internal, name="Deploy")
    bot = BotToken.objects.get(pk=made["id"]).bot
    admin = client_for(team.supplier_admin)
    people = admin.get("/api/people/?q=").json()["people"]
    assert bot.pk not in {p["id"] for p in people}
    assert bot.pk not in {
        p["id"] for p in admin.get("/api/organization/").json()["organization"]["people"]
    }
    candidates = admin.get(f"/api/rooms/{team.shared.pk}/members/candidates/?q=Deploy").json()
    assert candidates["candidates"] == []
    assert admin.get("/api/direct/people/?q=Deploy").json()["people"] == []
    assert admin.get(f"/api/people/{bot.pk}/").status_code == 404
    page = admin.get("/organization/").content.decode()
    boot = json.loads(
        page.split('<script id="boot" type="application/json">')[1].split("</script>")[0]
    )
    assert bot.pk not in {p["id"] for p in boot["organization"]["people"]}


def test_no_path_adds_a_bot_to_a_shared_room_or_a_direct_conversation(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    bot = BotToken.objects.select_related("bot__organization").get(pk=made["id"]).bot
    with pytest.raises(NotFound):
        check_add_member(team.supplier_admin, room_id=team.shared.pk, person_id=bot.pk)
    with pytest.raises(NotFound):
        check_add_member(team.supplier_admin, room_id=team.supplier_internal.pk, person_id=bot.pk)
    with pytest.raises(Forbidden):
        do_add_member(team.supplier_admin, team.shared, bot)
    with pytest.raises(NotFound):
        check_start_direct(team.supplier_admin, people=[bot.pk])
    direct = do_create_room(
        team.supplier_admin, kind=Room.Kind.DIRECT, name="", organization=team.supplier
    )
    with pytest.raises(Forbidden):
        do_add_member(team.supplier_admin, direct, bot)
    response = client_for(team.supplier_admin).post(
        f"/api/rooms/{team.shared.pk}/members/", {"person": bot.pk}, content_type="application/json"
    )
    assert response.status_code == 404
    # An admin's other tools: a role, a deactivation, an escalation contact.
    admin = client_for(team.supplier_admin)
    role = admin.put(
        f"/api/organization/people/{bot.pk}/", {"role": "admin"}, content_type="application/json"
    )
    assert role.status_code == 404
    assert admin.post(f"/api/people/{bot.pk}/deactivate/").status_code == 404
    contacts = admin.post(
        f"/api/partnerships/{team.partnership.pk}/escalation-contacts/",
        {"people": [bot.pk]},
        content_type="application/json",
    )
    assert contacts.status_code == 400
    # Through the bot's own token, the shared room is not found.
    assert send(bearer(made["token"]), team.shared, "hi").status_code == 404
    assert not Membership.objects.filter(user=bot).exclude(room=team.supplier_internal).exists()


def test_a_bot_is_never_invited_and_an_invitation_cannot_bring_one_in(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    bot = BotToken.objects.select_related("bot__organization").get(pk=made["id"]).bot
    for room in (team.shared, team.supplier_internal):
        with pytest.raises(Invalid):
            check_create_invitation(
                team.supplier_admin,
                room_id=room.pk,
                email=bot.email,
                organization_slug=team.supplier.slug,
                confirm_outside_domain=True,
            )
    # Even an invitation made some other way (the admin's site, say) cannot add it.
    invitation, _ = do_create_invitation(
        team.supplier_admin, organization=team.supplier, email=bot.email, room=team.shared
    )
    with pytest.raises(Forbidden):
        do_accept_invitation(invitation, bot)
    assert not Membership.objects.filter(user=bot, room=team.shared).exists()


def test_a_bot_is_never_mentioned(team):
    made = new_token(team.supplier_admin, team.supplier_internal)
    bot = BotToken.objects.get(pk=made["id"]).bot
    message = say(team.supplier_member, team.supplier_internal, f"@{bot.handle} deploy")
    assert not Mention.objects.filter(message=message).exists()


# --- incoming webhooks -------------------------------------------------------------------------


def test_a_webhook_posts_json_and_slack_forms_as_its_bot(team):
    made = new_hook(team.supplier_admin, team.supplier_internal, name="CI")
    path = hook_path(made["url"])
    hook = IncomingWebhook.objects.get(pk=made["id"])
    secret = path.split("/")[3]
    assert hook.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(IncomingWebhook.objects.values()), default=str)
    posted = Client().post(path, {"text": "Build *green*"}, content_type="application/json")
    assert posted.status_code == 200 and posted.json()["ok"] is True
    form = Client().post(
        path,
        urlencode({"payload": json.dumps({"text": "From a form", "username": "Jenkins *admin*"})}),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 200, form.content
    first, second = Message.objects.filter(room=team.supplier_internal).order_by("seq")[
        Message.objects.filter(room=team.supplier_internal).count() - 2 :
    ]
    assert first.author.name == "CI (bot)" and first.body_html == "<p>Build <em>green</em></p>"
    # The sender's "username" is a label in the text, never the author.
    assert second.author_id == first.author_id
    assert second.body == "**Jenkins \\*admin\\*** (via CI): From a form"
    third = Client().post(
        path,
        {"text": "x", "username": "Eve\n\n# Admin"},
        content_type="application/json",
    )
    assert third.status_code == 200
    assert Message.objects.get(pk=third.json()["id"]).body == "**Eve \\# Admin** (via CI): x"
    assert IncomingWebhook.objects.get(pk=made["id"]).last_used_at is not None


@pytest.mark.parametrize(
    ("content_type", "data", "status"),
    [
        ("application/json", b"{not json", 400),
        ("application/json", b"[1, 2]", 400),
        ("application/json", b"{}", 400),
        ("application/json", b'{"text": 5}', 400),
        ("application/json", b'{"text": "   "}', 400),
        ("application/json", b'{"text": "x", "username": ["a"]}', 400),
        ("application/x-www-form-urlencoded", b"text=hello", 400),
        ("application/x-www-form-urlencoded", b"payload=%7Bnope", 400),
        ("application/x-www-form-urlencoded", b"payload=%5B%5D", 400),
        ("text/plain", b"hello", 400),
        ("multipart/form-data; boundary=x", b"--x\r\n", 400),
        ("application/json", b'{"text": "' + b"x" * 70_000 + b'"}', 413),
    ],
)
def test_a_bad_webhook_payload_gets_a_clear_json_error(team, content_type, data, status):
    path = hook_path(new_hook(team.supplier_admin, team.supplier_internal)["url"])
    before = Message.objects.count()
    response = Client().post(path, data, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["detail"]
    assert Message.objects.count() == before


def test_a_message_over_the_length_limit_is_refused(team, settings):
    settings.CAUSEWAY_MESSAGE_MAX_CHARS = 10
    path = hook_path(new_hook(team.supplier_admin, team.supplier_internal)["url"])
    response = Client().post(path, {"text": "x" * 11}, content_type="application/json")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_a_wrong_regenerated_or_removed_address_is_not_found(team):
    made = new_hook(team.supplier_admin, team.supplier_internal)
    path = hook_path(made["url"])
    ok = {"text": "hi"}
    wrong = Client().post("/hooks/in/" + "A" * 43 + "/", ok, content_type="application/json")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    admin = client_for(team.supplier_admin)
    again = admin.post(f"/api/organization/hooks/{made['id']}/regenerate/").json()
    assert Client().post(path, ok, content_type="application/json").status_code == 404
    new_path = hook_path(again["url"])
    assert Client().post(new_path, ok, content_type="application/json").status_code == 200
    assert admin.delete(f"/api/organization/hooks/{made['id']}/").status_code == 200
    gone = Client().post(new_path, ok, content_type="application/json")
    assert (gone.status_code, gone.content) == (wrong.status_code, wrong.content)
    assert Client().get(new_path).status_code == 405
    labels = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"bot.hook_created", "bot.hook_regenerated", "bot.hook_revoked"} <= labels


def test_a_webhook_is_rate_limited(team, settings):
    settings.CAUSEWAY_RATE_LIMIT_WRITES = (2, 60)
    path = hook_path(new_hook(team.supplier_admin, team.supplier_internal)["url"])
    answers = [
        Client().post(path, {"text": f"n{i}"}, content_type="application/json").status_code
        for i in range(3)
    ]
    assert answers == [200, 200, 429]


def test_a_webhook_only_ever_goes_to_an_internal_room_of_its_admins(team):
    for room in (team.shared, team.client_internal):
        response = client_for(team.supplier_admin).post(
            "/api/organization/hooks/",
            {"name": "x", "room": room.pk},
            content_type="application/json",
        )
        assert response.status_code == 404
    member = client_for(team.supplier_member).post(
        "/api/organization/hooks/",
        {"name": "x", "room": team.supplier_internal.pk},
        content_type="application/json",
    )
    assert member.status_code == 403


def test_actions_refuse_a_room_that_is_not_internal(team):
    with pytest.raises(NotFound):
        check_create_bot_token(team.supplier_admin, name="x", rooms=[team.shared.pk])
    with pytest.raises(NotFound):
        check_create_incoming_webhook(team.supplier_admin, name="x", room=team.shared.pk)
