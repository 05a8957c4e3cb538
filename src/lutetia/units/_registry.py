"""The one pint registry of Lutetia, built on first use, and the pint reference conversion.

Importing pint and building the registry costs about a second, which every command paid at
start-up (issue 16).  The registry is therefore built only when a unit is met that the
generated factor table (:mod:`lutetia.units._factors`) does not hold; :func:`pint_to_unit`
stays the reference that the table and the fast path are generated from and tested against.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from lutetia.errors import UnitError

#: Mass ↔ substance conversions (see :data:`lutetia.units.MOLAR_MASS_G_PER_MOL`).
SAME_DIMENSION: Final = 0
MASS_TO_SUBSTANCE: Final = 1
SUBSTANCE_TO_MASS: Final = 2

_REGISTRY: list[Any] = []


def registry() -> Any:
    """The pint ``UnitRegistry`` with Lutetia's own definitions (built once, on first use)."""
    if not _REGISTRY:
        import pint

        # pint already knows "cps" (cycles per second); in nuclear medicine it is counts per
        # second, so Lutetia redefines it on purpose (silently: on_redefinition="ignore").
        ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, on_redefinition="ignore")
        ureg.define("Gy_BED = [biologically_effective_dose]")
        ureg.define("Gy_EQD2 = [equieffective_dose_2gy]")
        ureg.define("cts = [detector_counts]")
        ureg.define("cps = cts / second")
        ureg.define("mL_min_1_73m2 = milliliter / minute / (1.73 * meter ** 2)")
        # The CTCAE writes cell counts as "10e9/L"; keep the spelling usable.
        ureg.define("giga_per_L = 1e9 / liter")
        ureg.define("kilo_per_uL = 1e3 / microliter")
        _REGISTRY.append(ureg)
    return _REGISTRY[0]


def normalise_unit_text(text: str) -> str:
    """A unit as users write it (``µmol/L``, ``10^9/L``, ``mL/min/1.73m2``) in pint's spelling."""
    t = text.strip()
    if not t:
        raise UnitError("empty unit")
    replacements = {
        "µ": "u", "μ": "u", "×": "*", "²": "**2", "³": "**3",
        "10^9/L": "giga_per_L", "10e9/L": "giga_per_L", "10**9/L": "giga_per_L",
        "x10^9/L": "giga_per_L", "G/L": "giga_per_L", "10^3/uL": "kilo_per_uL",
        "10e3/uL": "kilo_per_uL", "K/uL": "kilo_per_uL", "/uL": "1/uL", "/mm3": "1/mm**3",
        "mL/min/1.73m**2": "mL_min_1_73m2", "mL/min/1.73 m**2": "mL_min_1_73m2",
        "ml/min/1.73m**2": "mL_min_1_73m2", "mL/min/1.73m2": "mL_min_1_73m2",
        "ml/min/1.73m2": "mL_min_1_73m2", "IU/L": "U/L", "ml": "mL", "mL/mn": "mL/min",
        "ml/mn": "mL/min",
    }
    for old in sorted(replacements, key=len, reverse=True):
        if t == old or (old.startswith("/") is False and old in t and len(old) > 3):
            t = t.replace(old, replacements[old])
    if t.startswith("/"):
        t = "1" + t
    return t


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Any:
    """Parse a unit string as users write it into a pint ``Unit`` (unknown → ``UnitError``)."""
    import pint

    cleaned = normalise_unit_text(text)
    try:
        return registry().Unit(cleaned)
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError,
            AssertionError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitError(f"unknown unit {text!r}") from exc


def unit_identity(text: str) -> str:
    """A text that two unit strings share exactly when pint parses them to the same unit."""
    return repr(sorted(parse_unit(text)._units.items()))


def pint_to_unit(value: float, unit: str, target: str, analyte: str | None, molar_mass: float | None) -> float:
    """The reference conversion through pint (``molar_mass`` of the analyte in g/mol, or None).

    Every other path of :func:`lutetia.units.to_unit` is generated from this one and tested
    value for value against it."""
    src = parse_unit(unit)
    dst = parse_unit(target)
    ureg = registry()
    q = ureg.Quantity(value, src)
    if q.dimensionality == dst.dimensionality:
        return float(q.to(dst).magnitude)
    if molar_mass is not None:
        mm = ureg.Quantity(molar_mass, "g/mol")
        mass_dim = ureg.Unit("g/L").dimensionality
        subst_dim = ureg.Unit("mol/L").dimensionality
        if q.dimensionality == mass_dim and dst.dimensionality == subst_dim:
            return float((q / mm).to(dst).magnitude)
        if q.dimensionality == subst_dim and dst.dimensionality == mass_dim:
            return float((q * mm).to(dst).magnitude)
    what = f" for {analyte}" if analyte else ""
    raise UnitError(
        f"cannot convert {value} {unit} to {target}{what}: "
        f"{src.dimensionality} is not {dst.dimensionality}"
    )


def pint_linear(unit: str, target: str) -> tuple[int, float] | None:
    """``(kind, factor)`` such that pint converts ``v`` as ``v * factor`` (kind
    ``SAME_DIMENSION``), ``(v / molar_mass) * factor`` (``MASS_TO_SUBSTANCE``) or
    ``(v * molar_mass) * factor`` (``SUBSTANCE_TO_MASS``) — the very operations pint performs,
    so the result is bit for bit pint's.  None for offset units (°C) and for units that do not
    convert at all; ``UnitError`` for an unknown unit."""
    src, dst = parse_unit(unit), parse_unit(target)
    ureg = registry()
    one, per_mol = ureg.Quantity(1.0, src), ureg.Quantity(1.0, "g/mol")
    if not (one._is_multiplicative and ureg.Quantity(1.0, dst)._is_multiplicative):
        return None
    if one.dimensionality == dst.dimensionality:
        return SAME_DIMENSION, float(one.to(dst).magnitude)
    mass_dim, subst_dim = ureg.Unit("g/L").dimensionality, ureg.Unit("mol/L").dimensionality
    if one.dimensionality == mass_dim and dst.dimensionality == subst_dim:
        return MASS_TO_SUBSTANCE, float((one / per_mol).to(dst).magnitude)
    if one.dimensionality == subst_dim and dst.dimensionality == mass_dim:
        return SUBSTANCE_TO_MASS, float((one * per_mol).to(dst).magnitude)
    return None
