"""CSRF on every state-changing endpoint, and a password change reaching open sockets.

Already covered elsewhere, so not repeated here: ``manage.py check --deploy``
with production settings (tests/config/test_settings.py), and removal and
deactivation cutting delivery at once (tests/rooms/test_consumers.py).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import URLPattern, reverse

from config.urls import api
from hub.identity import do_set_identity_provider
from hub.models import Partnership
from rooms.actions.archiving import check_archive_room
from rooms.actions.bots import check_create_bot_token, check_create_incoming_webhook
from rooms.actions.escalations import check_escalate
from rooms.actions.exports import check_request_room_export, run_next_export
from rooms.actions.invitations import do_create_invitation
from rooms.actions.messages import do_send_message
from rooms.actions.retention import do_place_hold
from rooms.actions.workitems import do_create_work_item
from rooms.bridge.mirrors import do_create_mirror
from rooms.connectors.actions import do_create_connector
from rooms.connectors.matrix.actions import do_create_matrix_bridge
from rooms.models.connectors import ConnectorDeadLetter
from rooms.models.matrix import MatrixLink
from tests.conftest import (
    Team,
    make_internal_room,
    make_org,
    make_person,
    make_upload,
    png_bytes,
    send_files,
)

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NEW_PASSWORD = "a-Fresh-passphrase-2026!"


class Ids:
    """Real ids for every /api/ route, from a team and a few objects around it."""

    def __init__(self, t: Team) -> None:
        self.team = t

        def say(body: str) -> int:
            message, _ = do_send_message(
                t.supplier_member, t.shared, client_id=uuid.uuid4().hex, body=body, thread_root=None
            )
            return message.pk

        def work_item() -> int:
            return do_create_work_item(
                t.supplier_member,
                t.shared,
                title="An item",
                description="",
                assignee=None,
                priority=3,
                due_date=None,
                labels=[],
                source_message=None,
            ).pk

        self.root = say("a thread")
        # The supplier's admin's own message, to edit and delete over HTTP.
        self.own = do_send_message(
            t.supplier_admin, t.shared, client_id=uuid.uuid4().hex, body="mine", thread_root=None
        )[0].pk
        self.bot_token = check_create_bot_token(
            t.supplier_admin, name="Deploy", rooms=[t.supplier_internal.id]
        ).credential.pk
        self.hook = check_create_incoming_webhook(
            t.supplier_admin, name="CI", room=t.supplier_internal.id
        ).credential.pk
        self.unmirrored_root = say("another thread")
        self.item = work_item()
        escalated = work_item()
        self.escalation = check_escalate(
            t.supplier_member, room_id=t.shared.id, item_id=escalated, severity="S2", reason="late"
        ).pk
        self.mirror = do_create_mirror(
            t.supplier_admin,
            t.shared.messages.get(pk=self.root),
            t.supplier_internal,
        ).pk
        self.invitation = do_create_invitation(
            t.supplier_admin,
            organization=t.supplier,
            email=f"invited@{t.supplier.verified_domains[0]}",
            room=t.shared,
        )[0].pk
        prospect = make_org("Prospect")
        self.proposal = Partnership.objects.create(
            supplier=t.supplier, client=prospect, proposed_by=make_person(prospect, admin=True)
        ).pk
        upload = make_upload(t.supplier_member, t.shared)
        send_files(t.supplier_member, t.shared, [upload])
        self.file = upload.key
        self.other_org = make_org("Another")
        # A room its owner archived, for "reopen".
        self.archived = make_internal_room(t.supplier_admin, t.supplier_member, name="Old")
        check_archive_room(t.supplier_admin, room_id=self.archived.id)
        self.newcomer = make_person(t.supplier, name="Newt Newcomer")
        self.hold = do_place_hold(
            t.supplier_admin, t.supplier.id, person=None, room=None, reason=""
        ).pk
        self.export = check_request_room_export(t.supplier_admin, room_id=t.shared.id).pk
        connector, _secret = do_create_connector(
            t.supplier_admin,
            organization=t.supplier,
            room=t.supplier_internal,
            kind="webhook_out",
            name="Hook",
            config={"url": "http://93.184.216.34/hook"},
        )
        self.connector = connector.pk
        # A Matrix bridge of the supplier's, for its settings and links.
        matrix, _ = do_create_connector(
            t.supplier_admin,
            organization=t.supplier,
            room=t.supplier_internal,
            kind="matrix",
            name="Matrix",
            config={"homeserver": "http://93.184.216.34", "matrix_room": "!ops:acme.test"},
        )
        bridge = do_create_matrix_bridge(matrix)
        MatrixLink.objects.create(
            bridge=bridge, matrix_user_id="@sue:acme.test", person=t.supplier_member
        )
        self.matrix = matrix.pk
        self.dead_letter = ConnectorDeadLetter.objects.create(
            connector=connector, seq=1, error="HTTP 500"
        ).pk
        run_next_export()
        # The supplier's single sign-on, for the DELETE to remove.
        do_set_identity_provider(
            None,
            t.supplier,
            None,
            server_url="https://login.supplier.example",
            client_id="causeway",
            client_secret="s3cret",
            require_sso=False,
        )

    def kwargs(self, name: str) -> dict[str, Any]:
        t = self.team
        return {
            "rooms": {},
            "room": {"room_id": t.shared.id},
            "history": {"room_id": t.shared.id},
            "message": {"room_id": t.shared.id, "message_id": self.own},
            "thread": {"room_id": t.shared.id, "root_id": self.root},
            "members": {"room_id": t.shared.id},
            "member-candidates": {"room_id": t.shared.id},
            "member": {"room_id": t.shared.id, "person_id": t.client_member.id},
            "work-items": {"room_id": t.shared.id},
            "work-item": {"room_id": t.shared.id, "item_id": self.item},
            "escalate": {"room_id": t.shared.id, "item_id": self.item},
            "escalation-action": {"escalation_id": self.escalation, "action": "acknowledge"},
            "my-work": {},
            "mirrors": {},
            "mirror": {"mirror_id": self.mirror},
            "share-back": {"mirror_id": self.mirror},
            "notifications": {},
            "escalation-contacts": {"partnership_id": t.partnership.id},
            "ack-targets": {"partnership_id": t.partnership.id},
            "search": {},
            "threads": {},
            "people": {},
            "partnerships": {},
            "partnership-decision": {"partnership_id": self.proposal, "decision": "accept"},
            "partnership-end": {"partnership_id": t.partnership.id},
            "me": {},
            "invitations": {},
            "invitation": {"invitation_id": self.invitation},
            "deactivate-person": {"person_id": t.supplier_member.id},
            "person": {"person_id": t.supplier_member.id},
            "avatar": {"person_id": t.supplier_member.id, "version": "v1"},
            "my-avatar": {},
            "room-files": {"room_id": t.shared.id},
            "file": {"key": self.file},
            "file-thumbnail": {"key": self.file},
            "file-policy": {},
            "organization": {},
            "organization-domains": {},
            "organization-domain": {"domain": t.supplier.verified_domains[0]},
            "organization-person": {"person_id": t.supplier_member.id},
            "organization-retention": {},
            "organization-holds": {},
            "organization-hold": {"hold_id": self.hold},
            "organization-connectors": {},
            "organization-connector": {"connector_id": self.connector},
            "matrix-bridges": {},
            "matrix-bridge": {"connector_id": self.matrix},
            "matrix-registration": {"connector_id": self.matrix},
            "matrix-links": {"connector_id": self.matrix},
            "organization-connector-dead-letter": {
                "connector_id": self.connector,
                "letter_id": self.dead_letter,
            },
            "organization-identity-provider": {},
            "audit-log": {},
            "audit-export": {},
            "room-exports": {"room_id": t.shared.id},
            "bot-tokens": {},
            "bot-token": {"token_id": self.bot_token},
            "incoming-webhooks": {},
            "incoming-webhook": {"hook_id": self.hook},
            "incoming-webhook-regenerate": {"hook_id": self.hook},
            "room-export": {"export_id": self.export},
            "room-export-download": {"export_id": self.export},
            "notification-settings": {},
            "room-notify": {"room_id": t.shared.id},
            "room-archive": {"room_id": t.shared.id},
            "room-unarchive": {"room_id": self.archived.id},
            "room-leave": {"room_id": t.supplier_internal.id},
            "direct": {},
            "direct-people": {},
            "markdown-preview": {},
            "open-escalations": {},
        }[name]

    def url(self, name: str) -> str:
        return reverse(f"api:{name}", kwargs=self.kwargs(name))


@dataclass(frozen=True)
class Write:
    """A state-changing request that succeeds for the supplier's admin when CSRF passes."""

    name: str
    method: str
    status: int
    body: Any = None  # a dict, or a function of Ids returning one

    def __str__(self) -> str:
        return f"{self.method} api:{self.name}"

    def data(self, ids: Ids) -> dict[str, Any]:
        return self.body(ids) if callable(self.body) else (self.body or {})


WRITES = [
    Write("rooms", "POST", 201, {"kind": "internal", "name": "Made over HTTP"}),
    Write("room", "PATCH", 200, {"name": "Renamed"}),
    Write("members", "POST", 201, lambda ids: {"person": ids.newcomer.id}),
    Write("member", "DELETE", 200),
    Write("member", "PATCH", 200, {"role": "owner"}),
    Write("room-archive", "POST", 200),
    Write("room-unarchive", "POST", 200),
    # The last owner of the room leaves, naming the next one.
    Write("room-leave", "POST", 200, lambda ids: {"new_owner": ids.team.supplier_member.id}),
    Write("direct", "POST", 200, lambda ids: {"people": [ids.team.client_member.id]}),
    Write("markdown-preview", "POST", 200, {"body": "**Ship** it: https://example.com"}),
    Write("work-items", "POST", 201, {"title": "Made over HTTP"}),
    Write("work-item", "PATCH", 200, {"changes": {"priority": 1}}),
    Write("escalate", "POST", 201, {"severity": "S3", "reason": "Needed by Monday"}),
    Write("escalation-action", "POST", 200),
    Write(
        "mirrors",
        "POST",
        201,
        lambda ids: {
            "source_room": ids.team.shared.id,
            "thread": ids.unmirrored_root,
            "target_room": ids.team.supplier_internal.id,
        },
    ),
    Write("mirror", "DELETE", 200),
    Write("share-back", "POST", 201, {"body": "From our side"}),
    Write("notifications", "POST", 200, {"ids": "all"}),
    Write("escalation-contacts", "POST", 200, lambda ids: {"people": [ids.team.supplier_admin.id]}),
    Write("ack-targets", "POST", 200, {"targets": {"S1": 10}}),
    Write(
        "partnerships",
        "POST",
        201,
        lambda ids: {"partner": ids.other_org.slug, "as_side": "client"},
    ),
    Write("partnership-decision", "POST", 200),
    Write("partnership-end", "POST", 200, {"reason": "Contract ended"}),
    Write(
        "invitations",
        "POST",
        201,
        lambda ids: {
            "room": ids.team.shared.id,
            "email": f"new@{ids.team.supplier.verified_domains[0]}",
        },
    ),
    Write("invitation", "DELETE", 200),
    Write("me", "PATCH", 200, {"title": "Account lead"}),
    Write("deactivate-person", "POST", 200),
    Write("my-avatar", "PUT", 200, {"picture": png_bytes(64, 64)}),
    Write("my-avatar", "DELETE", 200),
    Write("room-files", "POST", 201, {"file": b"part,qty\n1,2\n"}),
    Write("file-policy", "PUT", 200, {"uploads_allowed": True, "kinds": ["pdf"]}),
    Write("organization-domains", "POST", 201, {"domain": "supplier-new.test"}),
    Write("organization-domain", "DELETE", 200),
    Write("organization-person", "PUT", 200, {"role": "admin"}),
    Write("organization-retention", "PUT", 200, {"shared_days": 90, "internal_days": None}),
    Write("organization-holds", "POST", 201, {"reason": "case 12"}),
    Write("organization-hold", "DELETE", 200),
    Write(
        "organization-connectors",
        "POST",
        201,
        lambda ids: {
            "room": ids.team.supplier_internal.id,
            "name": "Hook",
            "url": "http://93.184.216.34/hook",
        },
    ),
    Write(
        "matrix-bridges",
        "POST",
        201,
        lambda ids: {
            "room": ids.team.supplier_internal.id,
            "homeserver": "http://93.184.216.34",
            "matrix_room": "#ops:acme.test",
        },
    ),
    Write(
        "matrix-links",
        "POST",
        200,
        lambda ids: {"matrix_user": "@new:acme.test", "person": ids.team.supplier_member.id},
    ),
    Write("matrix-links", "DELETE", 200, {"matrix_user": "@sue:acme.test"}),
    Write("organization-connector", "PUT", 200, {"paused": True}),
    Write("organization-connector", "DELETE", 200),
    Write("organization-connector-dead-letter", "POST", 200),
    Write("organization-connector-dead-letter", "DELETE", 200),
    Write(
        "organization-identity-provider",
        "PUT",
        200,
        {"issuer": "https://login.supplier.example", "client_id": "causeway-2"},
    ),
    Write("organization-identity-provider", "DELETE", 200),
    Write("notification-settings", "PUT", 200, {"email": {"reply": False}}),
    Write("room-notify", "PUT", 200, {"level": "none"}),
    Write("room-exports", "POST", 201),
    Write("history", "POST", 201, {"client_id": "http-1", "body": "Sent over HTTP"}),
    Write("message", "PATCH", 200, {"body": "Edited over HTTP"}),
    Write("message", "DELETE", 200),
    Write(
        "bot-tokens",
        "POST",
        201,
        lambda ids: {"name": "CI", "rooms": [ids.team.supplier_internal.id]},
    ),
    Write("bot-token", "DELETE", 200),
    Write(
        "incoming-webhooks",
        "POST",
        201,
        lambda ids: {"name": "CI", "room": ids.team.supplier_internal.id},
    ),
    Write("incoming-webhook", "DELETE", 200),
    Write("incoming-webhook-regenerate", "POST", 200),
]


def api_route_names() -> set[str]:
    return {p.name for p in api if isinstance(p, URLPattern) and p.name}


def signed_in(team: Team) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.supplier_admin)
    return client


def csrf_token(client: Client) -> str:
    client.get("/")  # a page with a form sets the CSRF cookie
    return client.cookies["csrftoken"].value


def send(client: Client, method: str, url: str, data: dict[str, Any], **headers: Any) -> Any:
    if isinstance(data.get("picture"), bytes):  # a picture: the body is the image
        return client.generic(method, url, data["picture"], content_type="image/png", **headers)
    if isinstance(data.get("file"), bytes):  # an upload: the body is the file
        return client.post(
            f"{url}?name=parts.csv", data["file"], content_type="text/csv", **headers
        )
    return client.generic(method, url, json.dumps(data), content_type="application/json", **headers)


def is_csrf_failure(response: Any) -> bool:
    return response.status_code == 403 and b"CSRF verification failed" in response.content


def test_every_api_route_is_in_the_table():
    named = {write.name for write in WRITES}
    get_only = {
        "thread",
        "threads",
        "people",
        "my-work",
        "search",
        "member-candidates",
        "file",
        "file-thumbnail",
        "person",
        "avatar",
        "direct-people",
        "open-escalations",
        "organization",
        "audit-log",
        "audit-export",
        "room-export",
        "room-export-download",
        "matrix-bridge",
        "matrix-registration",
    }
    assert named | get_only == api_route_names()


def test_no_route_accepts_an_unsafe_method_the_table_does_not_list(team):
    ids = Ids(team)
    client = signed_in(team)
    token = csrf_token(client)
    listed = {(write.name, write.method) for write in WRITES}
    for name in sorted(api_route_names()):
        for method in UNSAFE_METHODS:
            if (name, method) in listed:
                continue
            response = send(client, method, ids.url(name), {}, HTTP_X_CSRFTOKEN=token)
            assert response.status_code == 405, (name, method, response.content)


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_state_changing_requests_need_the_csrf_token_and_a_same_origin(team, write):
    ids = Ids(team)
    client = signed_in(team)
    url = ids.url(write.name)
    data = write.data(ids)

    without_token = send(client, write.method, url, data)
    token = csrf_token(client)
    cross_origin = send(
        client, write.method, url, data, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="https://evil.example"
    )
    with_token = send(
        client, write.method, url, data, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="http://testserver"
    )

    assert is_csrf_failure(without_token), without_token.content[:200]
    assert is_csrf_failure(cross_origin), cross_origin.content[:200]
    assert with_token.status_code == write.status, with_token.content


# --- a password change reaches the person's other sessions -------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_password_change_ends_the_other_sessions_sockets_within_a_second(
    live_team, connect
):
    person = live_team.client_member
    other_browser = await connect(person)  # its own session
    await other_browser.send({"type": "subscribe", "room": live_team.shared.id})
    await other_browser.expect("subscribed")
    browser = Client()
    await sync_to_async(browser.force_login)(person)
    form = await sync_to_async(browser.get)("/accounts/password/change/")
    assert b'name="oldpassword"' in form.content

    changed = await sync_to_async(browser.post)(
        "/accounts/password/change/",
        {"oldpassword": "pw-for-tests-123", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    started = time.monotonic()

    assert changed.status_code == 302, changed.content[:500]
    await other_browser.expect("session.ended", timeout=1)
    closed = await other_browser.comm.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}
    assert time.monotonic() - started < 1
    # The session that changed the password stays signed in.
    assert (await sync_to_async(browser.get)("/api/rooms/")).status_code == 200
