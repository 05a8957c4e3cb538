"""The physics core does no I/O, printing, clock reads or global randomness, and depends only
on units/errors/records (style.md: dependency direction)."""

from __future__ import annotations

import ast
from pathlib import Path

import lutetia.physics

CORE = Path(lutetia.physics.__file__).parent
FORBIDDEN_CALLS = {"print", "open", "input"}
FORBIDDEN_MODULES = {"time", "datetime", "random", "os", "pathlib", "sys", "nibabel",
                     "lutetia.cli", "lutetia.store", "lutetia.report", "lutetia.decide",
                     "lutetia.protocols", "lutetia.analysis", "lutetia.simulate"}


def _modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_core_is_pure() -> None:
    files = sorted(CORE.glob("*.py"))
    assert len(files) >= 10
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{f.name}: {node.func.id}()"
            # np.random.<anything> other than the Generator type annotation
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "random" and node.attr != "Generator"):
                raise AssertionError(f"{f.name}: global numpy.random.{node.attr}")
        for mod in _modules(tree):
            assert not any(mod == m or mod.startswith(m + ".") for m in FORBIDDEN_MODULES), \
                f"{f.name} imports {mod}"
