"""Module-wide data committed to the test database, for suites whose sockets
read it from other threads (no transaction may wrap the tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.core.management import call_command
from django.db import connection

T = TypeVar("T")


def committed(build: Callable[[], T], django_db_blocker: Any) -> Iterator[T]:
    """Yield ``build()`` committed for a module, then empty the database."""
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        # Never build this world in a developer's database.
        assert name.startswith("test_") or "memory" in name, name
        built = build()
    yield built
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Replaces pytest-django's ``db``: the test database, with no transaction around the test.

    Its name is also what tells pytest-django that the session needs the test
    database when only the importing module runs.
    """
    with django_db_blocker.unblock():
        yield
