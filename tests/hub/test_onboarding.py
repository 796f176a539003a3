"""``manage.py create_organization``: onboarding that is safe to run twice and never crosses."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from hub.models import AuditEntry, Organization, User
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_organization", *args, stdout=out)
    return out.getvalue()


def org(name: str, slug: str, domains: list[str]) -> Organization:
    return Organization.objects.create(name=name, slug=slug, verified_domains=domains)


ACME = ["--name", "Acme Pumps", "--domain", "acme.example", "--admin-email", "it@acme.example"]


def test_it_creates_the_organization_its_domains_and_a_verified_admin():
    out = create(*ACME, "--domain", "ACME-pumps.example", "--admin-name", "Ida Tanner")
    acme = Organization.objects.get(slug="acme-pumps")
    assert acme.name == "Acme Pumps"
    assert acme.verified_domains == ["acme.example", "acme-pumps.example"]
    admin = User.objects.get(email="it@acme.example")
    assert (admin.organization, admin.org_role, admin.name) == (acme, "admin", "Ida Tanner")
    assert not admin.has_usable_password()
    assert EmailAddress.objects.filter(user=admin, email=admin.email, verified=True).exists()
    assert "Created Acme Pumps" in out and "Forgot your password?" in out
    actions = set(AuditEntry.objects.filter(organization=acme).values_list("action", flat=True))
    assert {"organization.created", "organization.domain_added", "person.created"} <= actions


def test_running_it_again_changes_nothing():
    create(*ACME)
    before = (Organization.objects.count(), User.objects.count(), AuditEntry.objects.count())
    out = create(*ACME)
    assert (
        Organization.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    ) == before
    assert "Found Acme Pumps" in out and "already an admin" in out


def test_a_new_domain_is_added_and_none_is_removed():
    create(*ACME)
    create(*ACME[:2], "--domain", "acme.example.org", "--admin-email", "it@acme.example")
    assert Organization.objects.get(slug="acme-pumps").verified_domains == [
        "acme.example",
        "acme.example.org",
    ]


def test_an_existing_member_of_the_organization_becomes_its_admin():
    acme = org("Acme Pumps", "acme-pumps", ["acme.example"])
    member = make_person(acme, email="it@acme.example", name="Ida")
    assert "is now an admin" in create(*ACME)
    member.refresh_from_db()
    assert member.org_role == "admin"


def test_someone_of_another_organization_is_never_moved():
    northwind = org("Northwind", "northwind", ["northwind.example"])
    anna = make_person(northwind, email="anna@northwind.example", name="Anna")
    with pytest.raises(CommandError, match="belongs to another organization"):
        create("--name", "Acme Pumps", "--admin-email", anna.email)
    anna.refresh_from_db()
    assert anna.organization == northwind
    assert not Organization.objects.filter(slug="acme-pumps").exists()  # all or nothing


def test_a_new_admin_on_another_organizations_domain_is_refused():
    org("Northwind", "northwind", ["northwind.example"])
    with pytest.raises(CommandError, match="Northwind has verified"):
        create("--name", "Acme Pumps", "--admin-email", "someone@northwind.example")
    assert not User.objects.filter(email="someone@northwind.example").exists()


def test_a_domain_another_organization_verified_is_refused():
    org("Northwind", "northwind", ["northwind.example"])
    with pytest.raises(CommandError, match="already verified by Northwind"):
        create(
            "--name", "Acme Pumps", "--domain", "northwind.example", "--admin-email", "a@b.example"
        )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--name", "  ", "--admin-email", "it@acme.example"], "name must be"),
        (["--name", "!!!", "--admin-email", "it@acme.example"], "letter or digit"),
        (
            ["--name", "Acme", "--domain", "acme", "--admin-email", "it@acme.example"],
            "not a domain",
        ),
        (
            ["--name", "Acme", "--domain", "a@b.example", "--admin-email", "x@y.example"],
            "not a domain",
        ),
        (["--name", "Acme", "--admin-email", "not-an-address"], "not an e-mail address"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(args, error):
    with pytest.raises(CommandError, match=error):
        create(*args)
    assert not Organization.objects.exists() and not User.objects.exists()


def test_another_organization_of_the_same_slug_is_not_taken_over():
    org("ACME pumps", "acme-pumps", [])
    with pytest.raises(CommandError, match="belongs to 'ACME pumps'"):
        create(*ACME)


def test_the_new_admin_sets_a_password_through_the_reset_e_mail(settings):
    settings.ACCOUNT_RATE_LIMITS = False
    create(*ACME, "--admin-name", "Ida Tanner")
    Client().post("/accounts/password/reset/", {"email": "it@acme.example"})
    assert [m.to for m in mail.outbox] == [["it@acme.example"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
