"""Rooms and who is in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, Partnership


class Room(models.Model):
    class Kind(models.TextChoices):
        SHARED = "shared", "Shared"
        INTERNAL = "internal", "Internal"
        # Two or three people, fixed when it starts: within one organization
        # (``organization``) or across a partnership (``partnership``).
        DIRECT = "direct", "Direct conversation"

    id = RandomIdField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    topic = models.CharField(max_length=500, blank=True)
    # Exactly one of these is set: a shared room's partnership, an internal
    # room's organization, either for a direct conversation.
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.PROTECT, related_name="rooms"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="internal_rooms"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    # The sequence number of the latest room event. Incremented under
    # SELECT ... FOR UPDATE in the same transaction as the event's write.
    last_seq = models.BigIntegerField(default=0)
    # A direct conversation's people, as their sorted ids ("3.9.12"): the
    # same people open the same conversation, and two starting it at once
    # make one (the unique key).
    direct_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="shared", partnership__isnull=False, organization__isnull=True)
                    | Q(kind="internal", partnership__isnull=True, organization__isnull=False)
                    | Q(kind="direct", partnership__isnull=False, organization__isnull=True)
                    | Q(kind="direct", partnership__isnull=True, organization__isnull=False)
                ),
                name="room_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        """Whether people of two organizations may be in it: a shared room, or a
        direct conversation across a partnership (the same rules hold in both)."""
        return self.partnership_id is not None

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT

    def allowed_organization_ids(self) -> set[int]:
        """The only organizations whose people may ever be members."""
        if self.is_shared:
            assert self.partnership is not None
            return {self.partnership.supplier_id, self.partnership.client_id}
        assert self.organization_id is not None
        return {self.organization_id}


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(left_at__isnull=True)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Everything up to this sequence number has been read.
    last_read_seq = models.BigIntegerField(default=0)

    class Notify(models.TextChoices):
        # Every new message in the room is announced (toast, browser); the bell
        # and e-mail still carry only what concerns you.
        ALL = "all", "All messages"
        MENTIONS = "mentions", "Mentions, replies and work for you"
        NONE = "none", "Nothing"

    # What this person is told of this room (rooms.actions.notifications).
    notify = models.CharField(max_length=10, choices=Notify.choices, default=Notify.MENTIONS)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="one_membership_per_person")
        ]
        indexes = [models.Index(fields=["user", "left_at"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None
