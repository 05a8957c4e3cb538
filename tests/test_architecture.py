"""The dependency direction and the purity of the core (style guide, "Layout").

units ← records ← physics, assess ← protocols ← decide ← analysis, simulate ← store, imaging, report ← cli.
The core does no I/O, no printing, no clock reads and no global randomness.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lutetia"
CORE = ["units", "errors", "records", "physics", "assess", "protocols", "decide", "analysis", "simulate"]
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "units": {"errors"},
    "records": {"errors", "units"},
    "physics": {"errors", "units", "records"},
    "assess": {"errors", "units", "records"},
    "protocols": {"errors", "units", "records", "physics", "assess"},
    "decide": {"errors", "units", "records", "physics", "assess", "protocols"},
    "analysis": {"errors", "units", "records", "physics", "assess", "protocols", "decide"},
    "simulate": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis"},
    "store": {"errors", "units", "records"},
    "imaging": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis", "simulate"},
    "interop": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis", "store"},
    "report": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis", "simulate"},
    # design sweeps on Dask: a shell over simulate (no store, no report, no cli)
    "sweep": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis", "simulate"},
    # the web shell: the same core and store as the CLI, never the CLI itself
    "web": {"errors", "units", "records", "physics", "assess", "protocols", "decide", "analysis", "simulate",
            "store", "report"},
}
SHELL_LIBRARIES = {"sqlalchemy", "alembic", "typer", "rich", "matplotlib", "jinja2", "psycopg", "nibabel", "pydicom",
                   "SimpleITK", "highdicom", "rt_utils", "fastapi", "starlette", "uvicorn", "argon2", "itsdangerous",
                   "dask", "distributed", "pyarrow"}
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "today"), ("date", "today"), ("datetime", "utcnow"),
                   ("time", "time"), ("random", "random"), ("random", "seed"), ("np.random", "seed")}


def _modules(layer: str) -> list[Path]:
    path = SRC / layer
    return sorted(path.rglob("*.py")) if path.is_dir() else [SRC / f"{layer}.py"]


def _imports(tree: ast.AST) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


@pytest.mark.parametrize("layer", list(ALLOWED))
def test_dependency_direction(layer: str) -> None:
    bad = []
    for file in _modules(layer):
        if not file.exists():
            continue
        for name in _imports(ast.parse(file.read_text(encoding="utf-8"))):
            parts = name.split(".")
            if parts[0] == "lutetia" and len(parts) > 1 and parts[1] != layer and parts[1] not in ALLOWED[layer]:
                bad.append(f"{file.relative_to(SRC)} imports {name}")
            if layer in CORE and parts[0] in SHELL_LIBRARIES:
                bad.append(f"{file.relative_to(SRC)} (core) imports {name}")
    assert bad == []


@pytest.mark.parametrize("layer", CORE)
def test_core_is_pure(layer: str) -> None:
    bad = []
    for file in _modules(layer):
        if not file.exists():
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in {"print", "open", "input"}:
                    bad.append(f"{file.relative_to(SRC)}:{node.lineno} calls {func.id}()")
                if isinstance(func, ast.Attribute):
                    owner = ast.unparse(func.value)
                    if (owner, func.attr) in FORBIDDEN_CALLS:
                        bad.append(f"{file.relative_to(SRC)}:{node.lineno} calls {owner}.{func.attr}()")
                    seeded = func.attr == "SeedSequence" and bool(node.args)  # explicit entropy: deterministic
                    if owner in {"np.random", "numpy.random"} and func.attr not in {"default_rng", "Generator"} \
                            and not seeded:
                        bad.append(f"{file.relative_to(SRC)}:{node.lineno} uses global randomness {owner}.{func.attr}")
                    if func.attr in {"write_text", "write_bytes", "unlink", "mkdir"}:
                        bad.append(f"{file.relative_to(SRC)}:{node.lineno} writes files ({func.attr})")
    assert bad == []


def test_bed_formula_written_once() -> None:
    """BED = D(1 + G·D/(α/β)) and its inverse exist only in physics/radiobiology.py: a re-typed
    copy elsewhere drifts (issue: eight copies, one with hard-coded α/β)."""
    import re

    pattern = re.compile(r"\(\s*1(\.0)?\s*\+\s*[\w.]*g[\w.]*\s*\*\s*[\w.]+\s*/\s*[\w.]*(alpha_beta|ab)\w*")
    inverse = re.compile(r"sqrt\(\s*1(\.0)?\s*\+\s*4(\.0)?\s*\*")
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p.name != "radiobiology.py"
                 and (pattern.search(p.read_text()) or inverse.search(p.read_text()))]
    assert offenders == []
