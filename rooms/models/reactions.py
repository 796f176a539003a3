"""Emoji reactions to messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rooms.models.messages import Message

# The emoji a person may react with, in the order the picker shows them: a
# small fixed set, so every reaction reads the same to both organizations and
# nothing free-form rides on a reaction. The client gets this list from
# wire.gen.js (``export_client_types``).
REACTION_EMOJI: tuple[str, ...] = ("👍", "👎", "❤️", "🎉", "😄", "😮", "🙏", "👀", "✅", "🚀")


class Reaction(models.Model):
    """One person's emoji on one message: at most one of each emoji per person."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    # On a mirror copy: copied in by the bridge from the shared original (and
    # kept in step with it), not made in the internal room.
    relayed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="one_reaction_per_person_and_emoji"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"
