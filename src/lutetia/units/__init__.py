"""The one pint unit registry of Lutetia, canonical units and analyte conversions.

Every quantity that crosses a boundary (import, CLI, store) is converted here to the
canonical unit of its field; a wrong dimension raises :class:`~lutetia.errors.UnitError`
(never a silent conversion).

Lutetia's own definitions
-------------------------
* ``Gy_BED`` and ``Gy_EQD2`` are *distinct dimensions*: pint alone cannot tell an absorbed
  dose from a biologically effective dose, so a BED can never be added to a Gy by mistake.
* ``cts`` (detector counts) is its own dimension: a count rate is not an activity until it
  is divided by a calibration factor in ``cps/MBq``.
* ``mL_min_1_73m2`` is a body-surface-normalised filtration rate (eGFR); it does not
  convert to plain ``mL/min`` (a CrCl) — the two are different clinical quantities.

Mass ↔ molar conversions need the analyte's molar mass (table ``MOLAR_MASS_G_PER_MOL``,
each entry with its source).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from lutetia.errors import UnitError
from lutetia.units import _factors
from lutetia.units._registry import (
    MASS_TO_SUBSTANCE,
    SAME_DIMENSION,
    pint_linear,
    pint_to_unit,
    registry,
    unit_identity,
)
from lutetia.units._registry import parse_unit as _parse_unit


def __getattr__(name: str) -> Any:
    """``ureg`` and ``Quantity``: the one pint registry, built on first use (PEP 562)."""
    if name == "ureg":
        return registry()
    if name == "Quantity":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Canonical unit per quantity kind.  Fields in records are named with this unit
#: (``activity_gbq``, ``creatinine_umol_l``...).
CANONICAL_UNITS: Final[dict[str, str]] = {
    "activity": "GBq",
    "absorbed_dose": "Gy",
    "bed": "Gy_BED",
    "eqd2": "Gy_EQD2",
    "clearance": "mL/min",
    "egfr": "mL_min_1_73m2",
    "mass": "g",
    "body_weight": "kg",
    "height": "cm",
    "volume": "mL",
    "length": "mm",
    "time": "h",
    "cell_count": "giga_per_L",
    "psa": "ng/mL",
    "testosterone": "nmol/L",
    "creatinine": "umol/L",
    "bilirubin": "umol/L",
    "haemoglobin": "g/L",
    "enzyme": "U/L",
    "albumin": "g/L",
}

#: Molar masses for mass ↔ substance conversions (g/mol) and their sources.
MOLAR_MASS_G_PER_MOL: Final[dict[str, tuple[float, str]]] = {
    # PubChem CID 588 (creatinine, C4H7N3O): 113.12 g/mol -> 1 mg/dL = 88.40 µmol/L.
    "creatinine": (113.12, "PubChem CID 588, molecular weight 113.12 g/mol"),
    # PubChem CID 5280352 (bilirubin, C33H36N4O6): 584.7 g/mol -> 1 mg/dL = 17.10 µmol/L.
    "bilirubin": (584.66, "PubChem CID 5280352, molecular weight 584.7 g/mol"),
    # PubChem CID 6013 (testosterone, C19H28O2): 288.4 g/mol -> 50 ng/dL = 1.73 nmol/L.
    "testosterone": (288.42, "PubChem CID 6013, molecular weight 288.4 g/mol"),
    # Haemoglobin in mmol/L is reported per haem-bearing monomer (Hb/4), 16 114.5 g/mol:
    # 1 g/dL = 0.6206 mmol/L (IFCC/ICSH convention; van Kampen & Zijlstra, Clin Chim Acta
    # 1961;6:538, tetramer 64 458 g/mol).
    "haemoglobin": (16114.5, "Hb monomer, van Kampen & Zijlstra 1961 (tetramer 64 458 / 4)"),
    # IUPAC standard atomic weights (Prohaska et al., Pure Appl Chem 2022;94:573, abridged):
    # 1 mg/dL calcium = 0.2495 mmol/L; 1 mg/dL magnesium = 0.4114 mmol/L.
    "calcium": (40.078, "IUPAC standard atomic weight of Ca, 40.078 g/mol"),
    "magnesium": (24.305, "IUPAC standard atomic weight of Mg, 24.305 g/mol (abridged)"),
}

_ANALYTE_ALIASES: Final[dict[str, str]] = {"hemoglobin": "haemoglobin", "hb": "haemoglobin"}


@dataclass(frozen=True)
class UnitSpec:
    """What a field accepts: its canonical unit and the analyte (for molar conversion)."""

    canonical: str
    analyte: str | None = None


def parse_unit(text: str) -> Any:
    """Parse a unit string as users write it (``µmol/L``, ``10^9/L``, ``mL/min/1.73m2``) into a
    pint unit (this loads pint).

    Raises
    ------
    UnitError
        If the unit is unknown.
    """
    return _parse_unit(text)


#: How people write Lutetia's unit names (never show pint names such as ``giga_per_L``).
DISPLAY_UNITS: Final[dict[str, str]] = {
    "giga_per_L": "10⁹/L", "kilo_per_uL": "10³/µL", "umol/L": "µmol/L", "nmol/L": "nmol/L",
    "mL_min_1_73m2": "mL/min/1.73 m²", "degC": "°C", "ug/L": "µg/L", "uL": "µL", "Gy_BED": "Gy (BED)",
    "Gy_EQD2": "Gy (EQD2)",
}


def display_unit(unit: str) -> str:
    """A unit as written in messages and tables (``giga_per_L`` → ``10⁹/L``, ``umol/L`` → ``µmol/L``)."""
    return DISPLAY_UNITS.get(unit, unit)


def quantity(value: float, unit: str) -> Any:
    """A pint quantity from a value and a unit string (unknown unit → ``UnitError``)."""
    return registry().Quantity(value, parse_unit(unit))


def _molar_mass(analyte: str | None) -> float | None:
    """The analyte's molar mass in g/mol (None: no analyte or none known)."""
    key = _ANALYTE_ALIASES.get((analyte or "").lower(), (analyte or "").lower())
    return MOLAR_MASS_G_PER_MOL[key][0] if key in MOLAR_MASS_G_PER_MOL else None


@lru_cache(maxsize=4096)
def linear_conversion(unit: str, target: str) -> tuple[int, float] | None:
    """How ``unit`` converts to ``target``: ``(kind, factor)`` from the generated table
    (:mod:`lutetia.units._factors`, made by ``tools/gen_unit_factors.py`` from pint), else from
    pint itself (then cached); None when no linear factor exists (offset units such as °C, or
    no conversion at all).  An unknown unit raises :class:`UnitError`."""
    hit = _factors.FACTORS.get((unit, target))
    if hit is not None:
        return hit
    if unit in _factors.UNIT_IDENTITY and target in _factors.UNIT_IDENTITY:
        return None  # both known to the table and no entry: they do not convert linearly
    return pint_linear(unit, target)


def to_unit(value: float, unit: str, target: str, *, analyte: str | None = None) -> float:
    """Convert ``value`` from ``unit`` to ``target``.

    Mass ↔ substance conversions (mg/dL ↔ µmol/L, g/dL ↔ mmol/L) use the analyte's molar
    mass; without ``analyte`` they are a :class:`UnitError`.  A wrong dimension is always a
    :class:`UnitError` naming both units.

    Notes
    -----
    The result is bit for bit pint's (:func:`lutetia.units._registry.pint_to_unit`): a cached
    linear factor applied with the operations pint performs (``v * f``, ``(v / M) * f``,
    ``(v * M) * f``); offset units and errors go through pint itself.
    """
    conv = linear_conversion(unit, target)
    if conv is not None:
        kind, factor = conv
        if kind == SAME_DIMENSION:
            return float(value * factor)
        mm = _molar_mass(analyte)
        if mm is not None:
            return float((value / mm) * factor) if kind == MASS_TO_SUBSTANCE else float((value * mm) * factor)
    return pint_to_unit(value, unit, target, analyte, _molar_mass(analyte))


def same_unit(unit: str, other: str) -> bool:
    """True when pint reads both strings as the same unit (``µmol/L`` and ``umol/L``); an
    unknown unit raises :class:`UnitError`."""
    known = _factors.UNIT_IDENTITY
    if unit in known and other in known:
        return known[unit] == known[other]
    return bool(unit_identity(unit) == unit_identity(other))


def to_canonical(value: float, unit: str, kind: str, *, analyte: str | None = None) -> float:
    """Convert to the canonical unit of quantity ``kind`` (a key of ``CANONICAL_UNITS``)."""
    try:
        target = CANONICAL_UNITS[kind]
    except KeyError as exc:
        raise UnitError(f"unknown quantity kind {kind!r}; known: {sorted(CANONICAL_UNITS)}") from exc
    return to_unit(value, unit, target, analyte=analyte)


@lru_cache(maxsize=4096)
def is_compatible(unit: str, target: str, *, analyte: str | None = None) -> bool:
    """True when ``unit`` converts to ``target`` (possibly through a molar mass); cached."""
    try:
        to_unit(1.0, unit, target, analyte=analyte)
    except UnitError:
        return False
    return True


# Convenience conversions users ask for by name ---------------------------------------

def gbq_to_mci(gbq: float) -> float:
    """GBq → mCi (1 Ci = 3.7e10 Bq exactly, by definition)."""
    return to_unit(gbq, "GBq", "mCi")


def mci_to_gbq(mci: float) -> float:
    """mCi → GBq (1 Ci = 3.7e10 Bq exactly, by definition)."""
    return to_unit(mci, "mCi", "GBq")
