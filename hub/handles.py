"""Handles: what people type after @ to mention someone.

A handle is derived from the display name when the person is created
("Anna Berg" -> "anna.berg", then "anna.berg2", ...), stays when the name
changes, and can be changed by its owner. It never comes from the e-mail
address: handles travel to the other organization in every person
reference, and an address's local part would tell the partner the address.
"""

from __future__ import annotations

import re

from django.utils.text import slugify

from hub.errors import Invalid

MIN_LENGTH = 2
MAX_LENGTH = 32
# Lower-case letters, digits, dot, dash and underscore; starting and ending
# with a letter or digit, so "@anna.berg." at the end of a sentence still
# mentions anna.berg. The mention pattern in rooms accepts exactly these.
PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,30}[a-z0-9])?")
# Words a future "@all" or "@here" would use, and words that read as a role.
RESERVED = frozenset(
    {"all", "here", "everyone", "channel", "room", "admin", "admins", "causeway", "system"}
)
FALLBACK = "person"


def normalize(value: str) -> str:
    return value.strip().lower()


def problem(handle: str) -> str | None:
    """Why ``handle`` (already normalized) cannot be used, or None."""
    if not MIN_LENGTH <= len(handle) <= MAX_LENGTH:
        return f"A handle has {MIN_LENGTH} to {MAX_LENGTH} characters."
    if not PATTERN.fullmatch(handle):
        return (
            "A handle uses a-z, 0-9, dots, dashes and underscores, "
            "and starts and ends with a letter or digit."
        )
    if handle in RESERVED:
        return f"@{handle} is reserved."
    return None


def check_handle(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid("`handle` must be a string.")
    handle = normalize(value)
    reason = problem(handle)
    if reason:
        raise Invalid(reason)
    return handle


def base_for(display_name: str) -> str:
    """A handle-shaped base from a display name ("Zoë Müller" -> "zoe.muller")."""
    words = slugify(display_name).replace("_", "-").split("-")
    base = ".".join(w for w in words if w)[: MAX_LENGTH - 4].strip(".-_")
    if len(base) < MIN_LENGTH or base in RESERVED or not PATTERN.fullmatch(base):
        return FALLBACK
    return base


def candidates(display_name: str) -> list[str]:
    """Handles to try in order: the base, then base2, base3, ..."""
    base = base_for(display_name)
    return [base] + [f"{base}{n}" for n in range(2, 10_000)]
