"""The virtual-patient model's parameters, read from ``params/virtual_patients.toml``.

Every number is a *simulation assumption, not a clinical fact*: each entry of the file
names its source and carries that label; :func:`load_parameters` refuses an entry without
them.  The file is read through :mod:`importlib.resources` (package data, no other I/O).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from lutetia.errors import ProtocolError

LABEL: Final[str] = "simulation assumption, not a clinical fact"
POPULATIONS: Final[tuple[str, ...]] = ("vision", "ecog3", "retreatment")


@dataclass(frozen=True)
class Parameters:
    """The parsed parameter file; ``entry(section, name)`` returns one table."""

    raw: dict[str, Any]

    def entry(self, *path: str) -> dict[str, Any]:
        """The table at ``path`` (``entry("dosimetry", "kidney_gy_per_gbq")``)."""
        node: Any = self.raw
        for key in path:
            node = node[key]
        if not isinstance(node, dict):
            raise ProtocolError(f"virtual_patients.toml: {'.'.join(path)} is not a table")
        return node

    def value(self, *path: str, key: str = "value") -> float:
        """A scalar field (``value`` unless ``key`` says otherwise) as float."""
        return float(self.entry(*path)[key])

    def population(self, name: str) -> dict[str, Any]:
        """The baseline tables of population ``name`` (``vision``, ``ecog3`` or ``retreatment``);
        a population with ``base`` takes that population's tables it does not redefine."""
        if name not in POPULATIONS:
            raise ProtocolError(f"unknown population {name!r}; known: {', '.join(POPULATIONS)}")
        pop = self.entry("populations", name)
        if "base" in pop:
            return {**self.population(str(pop["base"])), **{k: v for k, v in pop.items() if k != "base"}}
        return pop


def _check(node: dict[str, Any], where: str) -> None:
    for key, sub in node.items():
        if key == "meta" or not isinstance(sub, dict):
            continue
        if "source" in sub or "label" in sub:
            missing = [f for f in ("source", "source_status", "label") if f not in sub]
            if missing:
                raise ProtocolError(f"virtual_patients.toml: {where}{key} lacks {missing}")
            if sub["label"] != LABEL:
                raise ProtocolError(f"virtual_patients.toml: {where}{key} label must be {LABEL!r}")
        else:
            _check(sub, f"{where}{key}.")


@lru_cache(maxsize=1)
def load_parameters() -> Parameters:
    """Load and check the shipped parameter file (cached).

    Raises
    ------
    ProtocolError
        An entry without ``source``, ``source_status`` or the simulation-assumption label.
    """
    text = resources.files("lutetia.simulate.params").joinpath("virtual_patients.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    _check(raw, "")
    return Parameters(raw)


def documented_entries() -> list[tuple[str, str, str]]:
    """(dotted name, source, source_status) of every parameter, for documentation."""
    out: list[tuple[str, str, str]] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, sub in node.items():
            if not isinstance(sub, dict) or key == "meta":
                continue
            if "source" in sub:
                out.append((prefix + key, str(sub["source"]), str(sub["source_status"])))
            else:
                walk(sub, f"{prefix}{key}.")

    walk(load_parameters().raw, "")
    return out
