"""Input that no database column and no browser can take, refused at the door."""

from __future__ import annotations

import re
from typing import Any

from hub.errors import Invalid, TooLarge

# C0 control characters other than tab and newlines: PostgreSQL refuses NUL
# in text, and the rest only ever hide content. And the bidirectional
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they only
# ever reorder what is shown, so "file\u202egnp.exe" would read "fileexe.png".
# The plain marks (LRM, RLM, ALM) stay: right-to-left text needs them, and
# they cannot reverse a run.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def text_problem(value: Any) -> str | None:
    """Why ``value`` (parsed JSON) cannot be taken, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "NUL characters are not allowed."
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "Invalid Unicode (a lone surrogate) is not allowed."
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or text_problem(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = text_problem(item)
            if problem:
                return problem
    return None


def check_text(data: Any) -> None:
    """Raise ``Invalid`` if any string in parsed JSON holds NUL or a lone surrogate.

    PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded
    back to UTF-8: either would otherwise fail deep inside a write.
    """
    try:
        problem = text_problem(data)
    except RecursionError:
        raise Invalid("The JSON is nested too deeply.") from None
    if problem:
        raise Invalid(problem)


def clean_text(value: Any, what: str, *, max_chars: int, allow_empty: bool = False) -> str:
    """``value`` as stored text: a string of at most ``max_chars`` characters (else
    ``TooLarge``), control and bidirectional override characters removed, trimmed, and
    not empty unless allowed."""
    if not isinstance(value, str):
        raise Invalid(f"`{what}` must be a string.")
    if len(value) > max_chars:
        raise TooLarge(f"`{what}` is longer than {max_chars} characters.")
    text: str = _CONTROL_CHARS.sub("", value).strip()
    if not text and not allow_empty:
        raise Invalid(f"`{what}` must not be empty.")
    return text


def parse_id(value: Any, what: str = "id") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"`{what}` must be an integer.")
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"`{what}` must be an integer.") from None
    if not 0 < number < 2**63:
        raise Invalid(f"`{what}` is out of range.")
    return number
