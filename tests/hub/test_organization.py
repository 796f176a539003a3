"""The organization settings (hub/organization.py, GET/POST/PUT/DELETE /api/organization/...):
only the organization's own admins see or change them; domains never cross to another
organization; the organization always keeps an active admin."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from hub import organization
from hub.errors import Conflict, Forbidden
from hub.models import AuditEntry, Organization, User
from hub.organization import check_add_domain, check_set_org_role
from tests.conftest import Team, client_for, make_org, make_person

NOT_FOUND = {"error": {"code": "not_found", "detail": "Not found."}}


def add_domain(person: User | None, domain: Any) -> Any:
    return client_for(person).post(
        "/api/organization/domains/", {"domain": domain}, content_type="application/json"
    )


def set_role(actor: User, person: User, role: Any) -> Any:
    return client_for(actor).put(
        f"/api/organization/people/{person.pk}/", {"role": role}, content_type="application/json"
    )


def actions(org: Organization) -> list[str]:
    return list(
        AuditEntry.objects.filter(organization=org)
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )


# --- who may see the settings ---------------------------------------------------------


def test_an_admin_sees_the_domains_and_every_person_of_the_own_organization_only(team: Team):
    User.objects.filter(pk=team.client_member.pk).update(title="Buyer")
    response = client_for(team.client_admin).get("/api/organization/")
    assert response.status_code == 200
    shown = response.json()["organization"]
    assert shown["name"] == team.client.name
    assert shown["domains"] == team.client.verified_domains
    people = {p["email"]: p for p in shown["people"]}
    assert set(people) == {team.client_admin.email, team.client_member.email}
    assert people[team.client_member.email] | {"last_seen": None} == {
        "id": team.client_member.pk,
        "name": "Cleo Client",
        "email": team.client_member.email,
        "title": "Buyer",
        "role": "member",
        "active": True,
        "last_seen": None,
    }


@pytest.mark.parametrize("role", ["client_member", "supplier_member"])
def test_a_member_gets_not_found_for_the_settings_as_for_nothing(team: Team, role: str):
    response = client_for(getattr(team, role)).get("/api/organization/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_partners_admin_sees_only_their_own_organization(team: Team):
    shown = client_for(team.supplier_admin).get("/api/organization/").json()["organization"]
    assert shown["name"] == team.supplier.name
    emails = {p["email"] for p in shown["people"]}
    assert emails == {team.supplier_admin.email, team.supplier_member.email}


def test_signed_out_the_settings_answer_401_json(team: Team):
    response = client_for(None).get("/api/organization/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


# --- domains -------------------------------------------------------------------------


def test_an_admin_adds_a_domain_which_is_normalised_and_audited(team: Team):
    response = add_domain(team.client_admin, "  @Client-Corp.Example. ")
    assert response.status_code == 201
    assert response.json()["domains"][-1] == "client-corp.example"
    team.client.refresh_from_db()
    assert "client-corp.example" in team.client.verified_domains
    entry = AuditEntry.objects.get(action="organization.domain_added")
    assert (entry.actor, entry.organization, entry.data["domain"]) == (
        team.client_admin,
        team.client,
        "client-corp.example",
    )


def test_adding_a_domain_twice_changes_nothing(team: Team):
    add_domain(team.client_admin, "twice.example")
    again = add_domain(team.client_admin, "twice.example")
    assert again.status_code == 201
    assert again.json()["domains"].count("twice.example") == 1
    assert actions(team.client).count("organization.domain_added") == 1


def test_a_domain_another_organization_verified_is_refused_without_naming_it(team: Team):
    taken = team.supplier.verified_domains[0]
    response = add_domain(team.client_admin, taken)
    assert response.status_code == 409
    detail = response.json()["error"]["detail"]
    assert detail == "That domain is verified by another organization."
    assert team.supplier.name not in detail
    team.client.refresh_from_db()
    assert taken not in team.client.verified_domains


@pytest.mark.parametrize("bad", ["not a domain", "localhost", "", "a" * 300, 42, None, ["x.io"]])
def test_a_bad_domain_answers_a_json_400_and_changes_nothing(team: Team, bad: Any):
    before = list(team.client.verified_domains)
    response = add_domain(team.client_admin, bad)
    assert response.status_code in (400, 413)
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()
    team.client.refresh_from_db()
    assert team.client.verified_domains == before


def test_a_member_is_refused_changing_domains_and_a_partner_is_told_nothing_exists(team: Team):
    member = add_domain(team.client_member, "member.example")
    assert member.status_code == 403
    assert member.json()["error"]["code"] == "forbidden"
    team.client.refresh_from_db()
    assert "member.example" not in team.client.verified_domains


def test_an_admin_removes_a_domain_and_its_people_stay(team: Team):
    domain = team.client.verified_domains[0]
    response = client_for(team.client_admin).delete(f"/api/organization/domains/{domain}/")
    assert response.status_code == 200
    assert domain not in response.json()["domains"]
    team.client.refresh_from_db()
    assert domain not in team.client.verified_domains
    team.client_member.refresh_from_db()
    assert (team.client_member.organization, team.client_member.is_active) == (team.client, True)
    assert actions(team.client)[-1] == "organization.domain_removed"


def test_removing_a_domain_the_organization_has_not_verified_is_not_found(team: Team):
    other = team.supplier.verified_domains[0]
    response = client_for(team.client_admin).delete(f"/api/organization/domains/{other}/")
    assert response.status_code == 404
    team.supplier.refresh_from_db()
    assert other in team.supplier.verified_domains


def test_removing_a_malformed_domain_answers_400_json(team: Team):
    response = client_for(team.client_admin).delete("/api/organization/domains/no%20such/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


# --- people and roles -------------------------------------------------------------------


def test_an_admin_makes_a_member_an_admin_and_it_is_audited(team: Team):
    response = set_role(team.client_admin, team.client_member, "admin")
    assert response.status_code == 200
    assert response.json()["person"]["role"] == "admin"
    team.client_member.refresh_from_db()
    assert team.client_member.is_org_admin
    entry = AuditEntry.objects.get(action="person.role_changed")
    assert (entry.actor, entry.target_id, entry.data) == (
        team.client_admin,
        team.client_member.pk,
        {"before": "member", "after": "admin"},
    )


def test_the_last_admin_cannot_be_made_a_member(team: Team):
    response = set_role(team.client_admin, team.client_admin, "member")
    assert response.status_code == 409
    assert "last admin" in response.json()["error"]["detail"]
    team.client_admin.refresh_from_db()
    assert team.client_admin.is_org_admin
    assert "person.role_changed" not in actions(team.client)


def test_an_admin_steps_down_when_another_admin_remains(team: Team):
    set_role(team.client_admin, team.client_member, "admin")
    response = set_role(team.client_admin, team.client_admin, "member")
    assert response.status_code == 200
    team.client_admin.refresh_from_db()
    assert not team.client_admin.is_org_admin


def test_a_deactivated_admin_does_not_count_as_the_one_that_remains(team: Team):
    gone = make_person(team.client, admin=True)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    response = set_role(team.client_admin, team.client_admin, "member")
    assert response.status_code == 409


def test_the_last_admin_cannot_be_deactivated(team: Team):
    gone = make_person(team.client, admin=True)
    ok = client_for(team.client_admin).post(f"/api/people/{gone.pk}/deactivate/")
    assert ok.status_code == 200
    response = client_for(team.client_admin).post(f"/api/people/{team.client_admin.pk}/deactivate/")
    assert response.status_code == 409
    assert "last admin" in response.json()["error"]["detail"]
    team.client_admin.refresh_from_db()
    assert team.client_admin.is_active


def test_a_member_is_refused_and_a_partners_admin_is_told_nobody_is_there(team: Team):
    member = set_role(team.client_member, team.client_member, "admin")
    partner = set_role(team.supplier_admin, team.client_member, "member")
    assert member.status_code == 403
    assert partner.status_code == 404
    assert partner.json() == NOT_FOUND
    missing = client_for(team.supplier_admin).put(
        f"/api/organization/people/{2**62}/", {"role": "member"}, content_type="application/json"
    )
    assert missing.content == partner.content
    team.client_member.refresh_from_db()
    assert team.client_member.org_role == "member"


@pytest.mark.parametrize("bad", ["owner", "", None, 1, ["admin"]])
def test_an_unknown_role_answers_a_json_400(team: Team, bad: Any):
    response = set_role(team.client_admin, team.client_member, bad)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_body_that_is_not_json_answers_400_json(team: Team):
    response = client_for(team.client_admin).put(
        f"/api/organization/people/{team.client_member.pk}/", "{", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(monkeypatch: Any) -> None:
    org = make_org("Twin Admins")
    ada = make_person(org, admin=True, name="Ada")
    bob = make_person(org, admin=True, name="Bob")
    # Both pass the access check before either takes the locks.
    both_checked = threading.Barrier(2, timeout=10)
    real_access = organization.access_colleague

    def access_then_wait(actor: User, person_id: int) -> User:
        found = real_access(actor, person_id)
        both_checked.wait()
        return found

    monkeypatch.setattr(organization, "access_colleague", access_then_wait)
    outcomes: dict[str, str] = {}

    def demote(actor: User, person: User) -> None:
        try:
            check_set_org_role(actor, person_id=person.pk, role="member")
            outcomes[actor.name] = "ok"
        except (Conflict, Forbidden):
            # The second finds itself demoted, or the other the last admin.
            outcomes[actor.name] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((ada, bob), (bob, ada))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes.values()) == ["ok", "refused"]
    assert User.objects.filter(organization=org, org_role="admin").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_admin_demoted_a_moment_ago_can_no_longer_change_roles(monkeypatch: Any) -> None:
    org = make_org("Racing Admins")
    ada = make_person(org, admin=True, name="Ada")
    bob = make_person(org, admin=True, name="Bob")
    cy = make_person(org, name="Cy")
    # Bob passed the access check as an admin; Ada demotes him before he goes on.
    real_access = organization.access_colleague

    def access_then_demoted(actor: User, person_id: int) -> User:
        found = real_access(actor, person_id)
        if actor.pk == bob.pk:
            check_set_org_role(ada, person_id=bob.pk, role="member")
        return found

    monkeypatch.setattr(organization, "access_colleague", access_then_demoted)
    with pytest.raises(Forbidden):
        check_set_org_role(bob, person_id=cy.pk, role="admin")
    cy.refresh_from_db()
    assert cy.org_role == "member"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_organizations_adding_the_same_domain_at_once_only_one_gets_it(
    monkeypatch: Any,
) -> None:
    admins = [make_person(make_org(name), admin=True) for name in ("First Co", "Second Co")]
    # Both have checked the domain before either looks for it elsewhere.
    both_parsed = threading.Barrier(2, timeout=10)
    real_parse = organization.parse_domain

    def parse_then_wait(raw: str) -> str:
        domain = real_parse(raw)
        both_parsed.wait()
        return domain

    monkeypatch.setattr(organization, "parse_domain", parse_then_wait)
    outcomes: list[str] = []

    def add(admin: User) -> None:
        try:
            check_add_domain(admin, domain="contested.example")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(admin,)) for admin in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["conflict", "ok"]
    owners = [o for o in Organization.objects.all() if "contested.example" in o.verified_domains]
    assert len(owners) == 1
