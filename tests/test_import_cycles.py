"""No module of spendtui imports itself back, not even through a function-level import.

``lint-imports`` (``.ci/run``, the contracts in ``pyproject.toml``) holds the layers; a
layers contract cannot see a cycle inside one layer (``sources/db/source.py`` and its
``load``/``poll``/``daily`` helpers once were one). This test builds the import graph with
grimp (import-linter's engine) and looks for strongly connected groups. Imports under
``TYPE_CHECKING`` are left out: a collaborator naming ``SpendApp`` in an annotation is not
a cycle at run time.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import grimp


def import_cycles(package: str) -> list[list[str]]:
    """Each group of modules that import one another (directly or round a loop), sorted."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in order:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(groups)


def test_spendtui_has_no_import_cycles() -> None:
    assert import_cycles("spendtui") == []


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path: Path, monkeypatch) -> None:
    """A package whose two modules import each other, one of them only inside a function
    (the way a cycle is usually hidden); and two that would loop only through an import
    under ``TYPE_CHECKING``, which is not reported."""
    package = tmp_path / "cyclic_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic_probe import b\n")
    (package / "b.py").write_text("def late():\n    from cyclic_probe import a\n    return a\n")
    (package / "c.py").write_text(
        textwrap.dedent(
            """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from cyclic_probe import d
            """
        )
    )
    (package / "d.py").write_text("import cyclic_probe.c\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_probe") == [["cyclic_probe.a", "cyclic_probe.b"]]
