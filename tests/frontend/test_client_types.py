"""The client's generated wire types (frontend/static/frontend/wire.gen.js).

The file is committed, so the browser loads it as it is; these tests fail
when it no longer says what the server's schemas and rules say.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, get_args, get_type_hints

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from frontend.management.commands import export_client_types as command
from frontend.management.commands.export_client_types import js_type, render
from rooms.models import Room, WorkItem
from rooms.selectors.reading import UNREAD_RULE
from rooms.wire.types import RoomEventFrame, RoomKind


def test_committed_wire_module_is_what_the_server_generates_now() -> None:
    committed = command.OUTPUT.read_text()

    assert committed == render(), (
        "frontend/static/frontend/wire.gen.js is out of date: "
        "run `python manage.py export_client_types` and commit it"
    )


def test_check_fails_on_a_stale_file_and_passes_on_a_fresh_one(tmp_path: Path) -> None:
    output = tmp_path / "wire.gen.js"
    call_command("export_client_types", "--output", str(output))
    call_command("export_client_types", "--output", str(output), "--check")

    output.write_text(output.read_text().replace('"open"', '"opened"'))

    with pytest.raises(CommandError, match="out of date"):
        call_command("export_client_types", "--output", str(output), "--check")


def _exported(name: str) -> str:
    """The value of ``export const <name> = ...;`` in the generated module."""
    found = re.search(rf"^export const {name} = (.*?);$", render(), re.MULTILINE | re.DOTALL)
    assert found is not None, name
    return found.group(1)


def test_room_event_types_are_the_members_of_the_server_union() -> None:
    server = [get_args(get_type_hints(member)["type"])[0] for member in get_args(RoomEventFrame)]

    assert re.findall(r'"([\w.]+)"', _exported("ROOM_EVENT_TYPES")) == server


def test_transitions_are_the_models_in_status_order() -> None:
    lines = dict(re.findall(r"^  (\w+): (\[.*\]),$", _exported("TRANSITIONS"), re.MULTILINE))
    order = list(WorkItem.Status.values)

    assert list(lines) == order
    for status, targets in WorkItem.TRANSITIONS.items():
        shown = re.findall(r'"(\w+)"', lines[status])
        assert shown == [s for s in order if s in targets]


def test_the_unread_rule_is_the_servers() -> None:
    assert json.loads(_exported("UNREAD_RULE").removeprefix("Object.freeze(")[:-1]) == UNREAD_RULE


class Inner(TypedDict):
    id: int


class Shape(TypedDict):
    kind: Literal["a", "b"]
    inner: Inner | None
    many: list[int | str]
    table: dict[str, Any]
    later: NotRequired[float]


def test_annotations_map_to_typescript_types() -> None:
    seen: set[type] = set()

    assert js_type(Literal["a", "b"], seen) == '"a" | "b"'
    assert js_type(Inner | None, seen) == "Inner | null"
    assert js_type(list[int | str], seen) == "(number | string)[]"
    assert js_type(dict[str, Any], seen) == "Record<string, unknown>"
    assert js_type(bool, seen) == "boolean"
    assert seen == {Inner}


def test_not_required_keys_are_optional_properties() -> None:
    typedef = command._typedef(Shape, set())

    assert " * @property {number} [later]" in typedef
    assert " * @property {Inner | null} inner" in typedef


def test_a_type_the_generator_cannot_map_is_an_error_not_a_guess() -> None:
    with pytest.raises(CommandError, match="No client type"):
        js_type(tuple[int, int], set())
    with pytest.raises(CommandError, match="str keys"):
        js_type(dict[int, str], set())


def test_shapes_a_wire_package_re_exports_are_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # rooms/events.py is moving into a package; its __init__ may gather the
    # submodules' shapes, and a shape may be reached only through a field.
    package = types.ModuleType("wire_package")
    package.__dict__.update(Shape=Shape, Either=Shape | Inner)
    monkeypatch.setitem(sys.modules, "wire_package", package)
    monkeypatch.setattr(command, "WIRE_MODULES", ("wire_package",))

    generated = render()

    assert " * @typedef {object} Shape" in generated
    assert " * @typedef {object} Inner" in generated
    assert " * @typedef {Shape | Inner} Either" in generated


def test_the_wire_literals_name_the_models_values() -> None:
    """Literal types the client is checked against are the stored values, no more or less."""
    assert set(get_args(RoomKind)) == set(Room.Kind.values)
