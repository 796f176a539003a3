"""The layout's promises that import-linter's layer contracts do not state by themselves."""

from __future__ import annotations

import grimp

APPS = ("config", "frontend", "rooms", "presence", "hub")


def strongly_connected(graph: grimp.ImportGraph, modules: set[str]) -> list[set[str]]:
    """Tarjan: the sets of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back_through_others():
    graph = grimp.build_graph(*APPS)
    modules = {m for m in graph.modules if ".migrations" not in m}
    assert strongly_connected(graph, modules) == []


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    assert strongly_connected(graph, {"a", "b", "c"}) == [{"a", "b", "c"}]


def test_the_kernels_migrations_depend_on_no_higher_app_since_the_move():
    """hub's models point at no room since 0006; only its old migrations did.

    Squashing those three away is impossible while deployments may still need
    them (Django re-points a squash at the replaced migrations' dependencies,
    which would make the two squashes depend on each other).
    """
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    upward = {
        name
        for (app, name), migration in loader.disk_migrations.items()
        if app == "hub"
        and any(dep[0] in {"rooms", "presence", "frontend"} for dep in migration.dependencies)
    }
    assert upward == {
        "0002_initial",
        "0003_partnership_ack_targets_escalationcontact_and_more",
        "0004_notification_work_item_and_more",
    }
