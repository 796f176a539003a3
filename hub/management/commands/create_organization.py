"""``manage.py create_organization``: an organization, its domains and its first admin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hub.errors import ActionError
from hub.onboarding import check_create_organization


class Command(BaseCommand):
    help = (
        "Create an organization with its verified domains and its first admin. "
        "Idempotent: run again, it changes nothing (domains are only added)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the company's name, as people see it")
        parser.add_argument(
            "--domain",
            action="append",
            default=[],
            dest="domains",
            help="a verified e-mail domain (repeat for several): addresses on it sign up "
            "into this organization",
        )
        parser.add_argument("--admin-email", required=True, help="its first admin's address")
        parser.add_argument(
            "--admin-name", default="", help="the admin's display name, if the account is new"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = check_create_organization(
                name=options["name"],
                domains=options["domains"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
            )
        except ActionError as error:
            raise CommandError(error.detail) from None
        org, admin = done.organization, done.admin
        self.stdout.write(
            f"{'Created' if done.created_organization else 'Found'} {org.name} ({org.slug}); "
            f"verified domains: {', '.join(org.verified_domains) or 'none'}"
            + (f" (added {', '.join(done.added_domains)})" if done.added_domains else "")
        )
        if done.created_admin:
            self.stdout.write(
                f"Created the admin {admin.email}. They set a password with 'Forgot your "
                "password?' on the sign-in page (the address is verified)."
            )
        elif done.made_admin:
            self.stdout.write(f"{admin.email} is now an admin of {org.name}.")
        else:
            self.stdout.write(f"{admin.email} is already an admin of {org.name}.")
