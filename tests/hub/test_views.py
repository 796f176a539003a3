"""Hub endpoints over HTTP: what answers look like to someone who may not see a thing."""

from __future__ import annotations

from django.test import Client

from hub.models import User
from rooms.actions.invitations import check_create_invitation
from tests.conftest import Team

MISSING = 2**52


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_revoking_an_invitation_you_cannot_see_answers_like_a_missing_one(team: Team):
    invitation, _token = check_create_invitation(
        team.supplier_admin,
        room_id=team.shared.id,
        email=f"newbie@{team.supplier.verified_domains[0]}",
    )
    for outsider in (team.supplier_member, team.client_member, team.client_admin):
        client = signed_in(outsider)
        assert invitation.pk not in [
            i["id"] for i in client.get("/api/invitations/").json()["invitations"]
        ]
        hidden = client.delete(f"/api/invitations/{invitation.pk}/")
        missing = client.delete(f"/api/invitations/{MISSING}/")
        assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
        assert hidden.status_code == 404
    # The inviter still can.
    assert (
        signed_in(team.supplier_admin).delete(f"/api/invitations/{invitation.pk}/").status_code
        == 200
    )
