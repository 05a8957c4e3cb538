"""EQ-5D-5L index values from cited country value sets.

Each value set lives in ``pro/data/eq5d5l_<country>_<source>.toml`` with its citation; the
index is ``1 − Σ decrement(dimension, level)`` (level 1 = 0; these two sets have no constant
and no interaction term).  England: Devlin et al. 2018 [1]_ (55555 = −0.285); United States:
Pickard et al. 2019 [2]_ (55555 = −0.573).  Coefficients transcribed from the R package eq5d
(fragla/eq5d, MIT, data-raw/VT.csv).  NICE's current position for England is to map 5L to 3L
rather than use Devlin 2018 — choose the value set the SAP names.

References
----------
.. [1] Devlin NJ, et al. Valuing health-related quality of life: an EQ-5D-5L value set for
       England. Health Econ 2018;27:7–22. doi:10.1002/hec.3564
.. [2] Pickard AS, et al. United States valuation of EQ-5D-5L health states using an
       international protocol. Value Health 2019;22:931–941. doi:10.1016/j.jval.2019.02.009
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

DIMENSIONS: tuple[str, ...] = ("MO", "SC", "UA", "PD", "AD")
VALUE_SETS: dict[str, str] = {
    "England": "eq5d5l_england_devlin2018.toml",
    "US": "eq5d5l_us_pickard2019.toml",
}


@dataclass(frozen=True)
class ValueSet:
    """One country's EQ-5D-5L decrements (levels 2–5 per dimension) and its citation."""

    key: str
    country: str
    source: str
    doi: str
    decrements: dict[str, tuple[float, float, float, float]]
    reference_worst: float


@cache
def load_value_set(key: str) -> ValueSet:
    """Load and validate a shipped value set (``"England"`` or ``"US"``)."""
    if key not in VALUE_SETS:
        raise ValueError(f"unknown EQ-5D-5L value set {key!r}; available: {', '.join(VALUE_SETS)}")
    text = (resources.files("lutetia.analysis.pro") / "data" / VALUE_SETS[key]).read_text("utf-8")
    raw = tomllib.loads(text)
    meta, dec = raw["meta"], raw["decrements"]
    table: dict[str, tuple[float, float, float, float]] = {}
    for dim in DIMENSIONS:
        values = [float(v) for v in dec[dim]]
        if len(values) != 4 or values != sorted(values) or values[0] < 0:
            raise ValueError(f"{VALUE_SETS[key]}: {dim} must list 4 non-decreasing decrements ≥ 0")
        table[dim] = (values[0], values[1], values[2], values[3])
    return ValueSet(key, str(meta["country"]), str(meta["source"]), str(meta["doi"]), table,
                    float(meta["reference_worst_state_55555"]))


def parse_profile(profile: str | Sequence[int]) -> tuple[int, int, int, int, int]:
    """``"12345"`` or ``[1, 2, 3, 4, 5]`` → levels (MO, SC, UA, PD, AD), each 1–5."""
    levels = [int(c) for c in profile] if isinstance(profile, str) else [int(x) for x in profile]
    if len(levels) != 5 or any(not 1 <= x <= 5 for x in levels):
        raise ValueError(f"EQ-5D-5L profile {profile!r} must be five levels 1–5 (MO SC UA PD AD)")
    return (levels[0], levels[1], levels[2], levels[3], levels[4])


def eq5d5l_index(profile: str | Sequence[int], value_set: str = "England") -> float:
    """EQ-5D-5L index of a health profile (1 = full health; < 0 = worse than dead).

    Parameters
    ----------
    profile : str or sequence of int
        Five levels in the order MO, SC, UA, PD, AD, e.g. ``"21312"``.
    value_set : {"England", "US"}
        Country value set.
    """
    vs = load_value_set(value_set)
    levels = parse_profile(profile)
    total = sum(vs.decrements[d][lvl - 2] for d, lvl in zip(DIMENSIONS, levels, strict=True) if lvl > 1)
    return round(1.0 - total, 6)
