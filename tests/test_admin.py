"""The operators' Django admin: every model it lists opens, and what an organization
governs (its identity provider, retention, holds, exports) is shown read-only, without
secrets: those change on the organization's own settings page, checked and audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from hub.identity import do_set_identity_provider
from hub.models import IdentityProvider, User
from rooms.actions.exports import check_request_room_export
from rooms.actions.retention import do_place_hold, do_set_retention
from rooms.models.retention import LegalHold, RetentionPolicy
from tests.conftest import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client: Any) -> Any:
    person = User.objects.create_superuser(email="ops@platform.example", password="x-ops-pw-123")
    client.force_login(person)
    return client


def test_every_admin_list_and_an_entry_of_each_governed_model_open(
    operator: Any, team: Team
) -> None:
    org = team.supplier
    do_set_identity_provider(
        None,
        org,
        None,
        server_url="https://login.supplier.example",
        client_id="causeway",
        client_secret="never-shown-secret",
        require_sso=False,
    )
    do_set_retention(team.supplier_admin, org.pk, shared_days=90, internal_days=None)
    do_place_hold(team.supplier_admin, org.pk, person=None, room=None, reason="case 12")
    check_request_room_export(team.supplier_admin, room_id=team.shared.pk)

    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = operator.get(url)
        assert response.status_code == 200, (url, response.status_code)

    for model in (IdentityProvider, RetentionPolicy, LegalHold):
        entry = model.objects.get(organization=org)
        meta = model._meta
        page = operator.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[entry.pk])
        )
        assert page.status_code == 200
        text = page.content.decode()
        assert "never-shown-secret" not in text
        # Read-only: no save button, and a POST changes nothing.
        assert 'name="_save"' not in text
    listed = operator.get(reverse("admin:hub_identityprovider_changelist")).content.decode()
    assert "https://login.supplier.example" in listed and "never-shown-secret" not in listed
