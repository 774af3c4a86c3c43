"""Imports run one way: ``graphmem.graph`` (the index and the data built at refresh) never
imports ``graphmem.retrieve`` (the algorithms over it), not even lazily inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import graphmem.graph

GRAPH_DIR = Path(graphmem.graph.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_graph_package_does_not_import_retrieve() -> None:
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.startswith("graphmem.retrieve"))
        for path in sorted(GRAPH_DIR.glob("*.py"))
    }
    offenders = {name: mods for name, mods in offenders.items() if mods}
    assert offenders == {}
