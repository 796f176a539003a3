"""The audit log's kinds: every kind an action records has the server's words for it."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.audit import LABELS

ROOT = Path(__file__).resolve().parents[2]


def recorded_kinds() -> set[str]:
    """Every kind passed to ``audit.record`` in the apps, as written in the source: a
    literal, each branch of a conditional, or an f-string's fixed part with ``*``."""
    kinds: set[str] = set()

    def read(node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            kinds.add(node.value)
        elif isinstance(node, ast.IfExp):
            read(node.body)
            read(node.orelse)
        elif isinstance(node, ast.JoinedStr):
            kinds.add("".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values))

    for app in ("hub", "rooms", "presence", "frontend"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                    and len(node.args) >= 2
                ):
                    read(node.args[1])
    return kinds


def test_every_kind_an_action_records_has_a_label():
    kinds = recorded_kinds()
    assert len(kinds) > 20  # the scan found the actions
    unlabelled = set()
    for kind in kinds:
        prefix = kind.split("*", 1)[0]
        if "*" in kind:
            if not any(label.startswith(prefix) for label in LABELS):
                unlabelled.add(kind)
        elif kind not in LABELS:
            unlabelled.add(kind)
    assert unlabelled == set()
