from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from hub.models import AuditEntry, Organization, Partnership, User


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
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ("created_at", "actor", "organization", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    list_select_related = ("actor", "organization")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
