"""Organizations, the people who belong to them, and the partnerships between them."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub import handles
from hub.ids import RandomIdField


class Organization(models.Model):
    """A company. Whether it supplies or buys is a property of each partnership."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # People signing up with an e-mail on one of these domains join this
    # organization without an invitation. Stored lower-case, without "@".
    verified_domains = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person. Everyone but platform operators has exactly one home organization."""

    class OrgRole(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    id = RandomIdField()
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    # Unique, lower-case; see hub.handles. Filled on first save.
    handle = models.CharField(max_length=handles.MAX_LENGTH, unique=True)
    title = models.CharField(max_length=150, blank=True)
    # The person's one time zone (IANA, checked against zoneinfo at the edge):
    # the local time on their card, their quiet hours, their digests' times.
    time_zone = models.CharField(max_length=64, default="UTC")
    # The avatar's name in the ``files`` storage, ``avatars/<version>.jpg`` (a square
    # JPEG the server made; rooms.actions.people), or "" for initials.
    avatar = models.CharField(max_length=100, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    org_role = models.CharField(max_length=10, choices=OrgRole.choices, default=OrgRole.MEMBER)
    # When the person's last socket closed: the e-mail digest waits until they
    # have been away a while (rooms.actions.digests).
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # A bot: an identity of its organization that acts only through a bot token or an
    # incoming webhook, in the internal rooms it was given (rooms.actions.bots). No
    # password, no sign-in, no deliverable e-mail; never listed among people, never in a
    # shared room or a direct conversation.
    is_bot = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            # Only platform operators (superusers) may live outside an organization.
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(is_superuser=True),
                name="person_has_home_organization",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        # Never a part of the e-mail address: names reach the other organization.
        name = self.display_name or self.handle
        # A bot says so wherever its name shows, so it never passes for a person.
        return f"{name} (bot)" if self.is_bot else name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.handle:
            self.handle = self.free_handle(self.display_name)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "handle"}
        super().save(*args, **kwargs)

    @classmethod
    def free_handle(cls, display_name: str) -> str:
        """The first handle derived from ``display_name`` that nobody has."""
        options = handles.candidates(display_name)
        for start in range(0, len(options), 50):
            batch = options[start : start + 50]
            taken = set(cls.objects.filter(handle__in=batch).values_list("handle", flat=True))
            for option in batch:
                if option not in taken:
                    return option
        raise ValueError("No free handle.")  # 10,000 people of one name

    # Served only to those who may know of the person (rooms.api.people.avatar); a new
    # picture has a new version, so a browser may keep each one as long as it likes.
    AVATAR_URL: ClassVar[str] = "/api/people/{id}/avatar/{version}/"

    @property
    def avatar_version(self) -> str:
        return self.avatar.rsplit("/", 1)[-1].split(".", 1)[0] if self.avatar else ""

    @property
    def avatar_url(self) -> str | None:
        if not self.avatar:
            return None
        return self.AVATAR_URL.format(id=self.pk, version=self.avatar_version)

    @property
    def is_org_admin(self) -> bool:
        return self.org_role == self.OrgRole.ADMIN


class IdentityProvider(models.Model):
    """An organization's single sign-on: an OpenID Connect provider its admins registered.

    allauth reads the ``SocialApp`` (issuer, client id and secret); this row ties
    it to exactly one organization, which is all it may sign anyone into
    (frontend.adapters.CausewaySocialAccountAdapter).
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="identity_provider"
    )
    app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="identity_provider"
    )
    # People on the organization's verified domains sign in only through it.
    require_sso = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organization} single sign-on"


class Partnership(models.Model):
    """A bilateral link: one organization supplies the other.

    Proposed by an admin of one side, it becomes usable (shared rooms may
    exist) only once an admin of the other side accepts.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        ENDED = "ended", "Ended"

    supplier = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="partnerships_as_supplier"
    )
    client = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="partnerships_as_client"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Ended by an admin of either side; its shared rooms are then archived.
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    # Minutes to acknowledge an escalation, per severity; see ack_target().
    ack_targets = models.JSONField(default=dict, blank=True)

    DEFAULT_ACK_MINUTES: ClassVar[dict[str, int]] = {"S1": 30, "S2": 240, "S3": 1440}

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(supplier=models.F("client")), name="partnership_two_sides"
            ),
            # At most one live partnership per ordered pair.
            models.UniqueConstraint(
                fields=["supplier", "client"],
                condition=Q(status__in=["proposed", "active"]),
                name="one_live_partnership_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} supplies {self.client} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def side_ids(self) -> tuple[int, int]:
        return (self.supplier_id, self.client_id)

    def proposing_org_id(self) -> int:
        return self.proposed_by.organization_id  # type: ignore[return-value]

    def other_side_id(self, organization_id: int) -> int:
        return self.client_id if organization_id == self.supplier_id else self.supplier_id

    def ack_minutes(self, severity: str) -> int:
        return int(self.ack_targets.get(severity, self.DEFAULT_ACK_MINUTES[severity]))


class AuditEntry(models.Model):
    """Append-only record of who did what to memberships, partnerships and invitations."""

    # Random, as the other ids an organization sees (hub.ids): its admins read their log's
    # ids, and counted ones would count every other organization's entries in between.
    id = RandomIdField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        # An organization's log, newest first, a page at a time (hub.auditlog).
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_newest")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Not ``pk is not None``: a random id is drawn when the entry is made, not saved.
        if not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit entries are append-only.")
