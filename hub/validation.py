"""Input that no database column and no browser can take, refused at the door."""

from __future__ import annotations

from typing import Any

from hub.errors import Invalid


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
