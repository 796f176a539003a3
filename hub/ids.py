"""Primary keys that tell nobody how many rows were made before them.

The other organization sees the ids of messages, rooms, people, work items
and notifications. Taken from one database-wide counter, the gap between two
of its own messages would count the messages the other side wrote in its
internal rooms meanwhile. These ids are random instead, below 2**53 so that a
browser's numbers hold them exactly.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

# Above 2**32 so that a random id never looks like a small counter value.
_LOW = 2**32
_HIGH = 2**53


def new_id() -> int:
    return _LOW + secrets.randbelow(_HIGH - _LOW)


# Subscripted for the type checker (django_stubs_ext.monkeypatch, in settings, makes
# it work at run time): the field is an int in and an int out.
class RandomIdField(models.BigIntegerField[int, int]):
    """A ``BigIntegerField`` primary key filled with ``new_id()`` on insert.

    A collision needs two of some millions of rows to draw the same of ~9e15
    values; the primary key's uniqueness refuses it rather than merging rows.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", new_id)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("serialize", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("primary_key", "default", "editable", "serialize"):
            kwargs.pop(key, None)
        return name, path, args, kwargs
