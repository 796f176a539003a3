from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from hub.models import AuditEntry, IdentityProvider, Organization, Partnership, User


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """What changes only through actions (which check, audit and publish): shown to the
    operators, never changed here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "slug", "verified_domains")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class PersonAdmin(UserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "display_name", "organization", "org_role", "is_active")
    list_filter = ("organization", "org_role", "is_active", "is_staff")
    search_fields = ("email", "display_name", "organization__name")
    list_select_related = ("organization",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("display_name", "title", "organization", "org_role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "organization", "org_role", "password1", "password2"),
            },
        ),
    )


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin[Partnership]):
    list_display = ("supplier", "client", "status", "proposed_by", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("supplier", "client", "proposed_by", "decided_by")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "organization", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    list_select_related = ("actor", "organization")


@admin.register(IdentityProvider)
class IdentityProviderAdmin(ReadOnlyAdmin):
    """Which organization signs in through which issuer (for support). Read-only: an
    organization's admins change it on their settings page, where it is checked (https
    issuer, one per organization) and audited; the secret is never shown here."""

    list_display = ("organization", "issuer", "client_id", "require_sso", "updated_at")
    list_filter = ("require_sso",)
    list_select_related = ("organization", "app")
    fields = ("organization", "issuer", "client_id", "require_sso", "updated_at")
    readonly_fields = fields

    @admin.display(description="issuer")
    def issuer(self, obj: IdentityProvider) -> str:
        return str(obj.app.settings.get("server_url", ""))

    @admin.display(description="client id")
    def client_id(self, obj: IdentityProvider) -> str:
        return str(obj.app.client_id)
