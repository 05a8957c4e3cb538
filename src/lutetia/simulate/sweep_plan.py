"""Design sweeps: a grid of protocol parameters × seeds × cohort chunks, planned (pure).

A *grid file* (TOML) names protocol parameters and the values to try::

    protocol = "prodigy-2"                        # optional: must be the swept protocol
    [parameters]
    "personalised.activity.kidney_limit" = [30, 40, 50]   # Gy_BED
    "personalised.activity.a_max" = [10.4, 12.0]          # GBq

Each key is ``ARM.PARAMETER`` with ``PARAMETER`` one of :data:`SWEEPABLE`: the named numbers a
protocol file gives an arm *and* that the cohort model's rules
(:func:`lutetia.simulate.rules.arm_rules`) read, so that every swept value changes the
simulated course.  Values are in the canonical unit of the field (GBq, Gy_BED or Gy as the
arm's ``kidney_quantity`` says, weeks, days, %).  The grid is the full factorial product of
the lists, in file order.  Every combination is applied to the loaded protocol and validated
again by the protocol schema (:class:`lutetia.protocols.Protocol`), so ``a_min`` above
``a_max`` is refused as it would be in a protocol file.

Each grid point is run for ``seeds`` seeds on ``n`` screened virtual patients cut into chunks
of ``chunk_size``; chunk ``j`` of seed ``s`` draws from ``SeedSequence(s).spawn(k)[j]``
(the child with spawn key ``(j,)``, whatever ``k``), so a chunk's result does not depend on
where or when it runs, and the same seed gives the same virtual patients at every grid point
(common random numbers: differences between designs are not cohort noise).
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from pydantic import ValidationError

from lutetia.errors import ProtocolError
from lutetia.protocols import Protocol
from lutetia.protocols.facts import Fact
from lutetia.simulate.rules import ArmRules, arm_rules

#: Patients per chunk when the caller gives none (project default: ~50 MB of pre-drawn
#: noise per chunk, small enough for two workers per 2-core node).
DEFAULT_CHUNK_SIZE: Final[int] = 5000


@dataclass(frozen=True)
class Sweepable:
    """A protocol number a grid may vary.

    ``path`` leads from the arm's ``treatment`` table of the protocol (as dumped by pydantic)
    to the number; ``rules_field`` is the :class:`ArmRules` field that reads it (its value is
    the current one); ``applies`` says whether an arm's rules use it at all.
    """

    name: str
    path: tuple[str, ...]
    rules_field: str
    unit: str
    integer: bool
    lower: float
    lower_inclusive: bool
    upper: float = math.inf
    upper_inclusive: bool = False
    applies: Callable[[ArmRules], bool] = lambda r: True

    def accepted(self, rules: ArmRules) -> str:
        """What a value may be, in words."""
        kind = "an integer" if self.integer else "a number"
        low = f"{'>=' if self.lower_inclusive else '>'} {self.lower:g}"
        high = "" if math.isinf(self.upper) else f" and {'<=' if self.upper_inclusive else '<'} {self.upper:g}"
        return f"{kind} {low}{high} ({self.unit_of(rules)})"

    def unit_of(self, rules: ArmRules) -> str:
        if self.unit == "kidney":
            return "Gy" if rules.kidney_quantity == "dose" else "Gy_BED"
        if self.unit == "cap":
            return "Gy" if rules.cap_quantity == "dose" else "Gy_BED"
        return self.unit

    def in_range(self, value: float) -> bool:
        above = value >= self.lower if self.lower_inclusive else value > self.lower
        below = value <= self.upper if self.upper_inclusive else value < self.upper
        return above and below and math.isfinite(value)


def _personalised(r: ArmRules) -> bool:
    return r.mode == "personalised"


#: Every parameter a grid may name (after ``ARM.``); ranges are the schema's domain of the
#: field (a count ≥ 1, a percentage in (0, 100)), not clinical limits.
SWEEPABLE: Final[dict[str, Sweepable]] = {s.name: s for s in (
    Sweepable("activity.nominal", ("activity", "nominal", "value"), "nominal_gbq", "GBq", False, 0.0, False,
              applies=lambda r: r.mode != "individualised" and math.isfinite(r.nominal_gbq)),
    Sweepable("activity.a_min", ("activity", "a_min", "value"), "a_min_gbq", "GBq", False, 0.0, False,
              applies=lambda r: r.mode in ("personalised", "individualised")),
    Sweepable("activity.a_max", ("activity", "a_max", "value"), "a_max_gbq", "GBq", False, 0.0, False,
              applies=lambda r: r.mode in ("personalised", "individualised")),
    Sweepable("activity.kidney_limit", ("activity", "kidney_limit", "value"), "kidney_limit", "kidney", False,
              0.0, False, applies=_personalised),
    Sweepable("cycles.max", ("cycles", "max"), "max_cycles", "cycles", True, 1.0, True),
    Sweepable("interval.weeks", ("interval", "weeks"), "interval_weeks", "weeks", False, 0.0, False),
    Sweepable("reduction.pct", ("reduction", "pct"), "reduction_pct", "%", False, 0.0, False, 100.0,
              applies=lambda r: r.max_reductions > 0 or r.reduction_pct > 0),
    Sweepable("reduction.max_reductions", ("reduction", "max_reductions"), "max_reductions", "reductions", True,
              0.0, True, applies=lambda r: r.max_reductions > 0 or r.reduction_pct > 0),
    Sweepable("kidney_cap.limit", ("kidney_cap", "limit", "value"), "cap_limit", "cap", False, 0.0, False,
              applies=lambda r: r.cap_quantity is not None),
    Sweepable("holiday.psa_decline_pct", ("holiday", "enter", Fact.PSA_DECLINE_FROM_BASELINE_PCT.value, "value"),
              "holiday_psa_decline_pct", "%", False, 0.0, False, 100.0, True,
              applies=lambda r: r.holiday and math.isfinite(r.holiday_psa_decline_pct)),
    Sweepable("holiday.spect_decline_pct",
              ("holiday", "enter", Fact.SPECT_TUMOUR_VOLUME_DECLINE_PCT.value, "value"),
              "holiday_spect_decline_pct", "%", False, 0.0, False, 100.0, True,
              applies=lambda r: r.holiday and math.isfinite(r.holiday_spect_decline_pct)),
    Sweepable("holiday.confirm_days",
              ("holiday", "enter", Fact.PSA_DECLINE_FROM_BASELINE_PCT.value, "confirm_days_min"),
              "holiday_confirm_days", "days", False, 0.0, True,
              applies=lambda r: r.holiday and math.isfinite(r.holiday_psa_decline_pct)),
)}


def sweepable(protocol: Protocol) -> dict[str, tuple[float, str]]:
    """``ARM.PARAMETER`` → (current value, unit) of every number ``protocol`` lets a grid vary."""
    out: dict[str, tuple[float, str]] = {}
    for arm in protocol.arms:
        rules = arm_rules(protocol, arm.id)
        for spec in SWEEPABLE.values():
            if spec.applies(rules):
                out[f"{arm.id}.{spec.name}"] = (float(getattr(rules, spec.rules_field)), spec.unit_of(rules))
    return out


def _find_leaf(cond: Any, fact: str) -> dict[str, Any] | None:
    if not isinstance(cond, dict):
        return None
    if cond.get("fact") == fact:
        return cond
    for child in (cond.get("all_of") or []) + (cond.get("any_of") or []):
        found = _find_leaf(child, fact)
        if found is not None:
            return found
    return None


def _set(treatment: dict[str, Any], path: tuple[str, ...], value: float) -> None:
    node: Any = treatment
    if path[0] == "holiday":  # a leaf of the holiday's entry condition, found by its fact
        node = _find_leaf(node["holiday"]["enter"], path[2])
        if node is None:
            raise KeyError(path)
        node[path[3]] = value
        return
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def apply_overrides(protocol: Protocol, overrides: Sequence[tuple[str, float]], source: str = "grid") -> Protocol:
    """``protocol`` with each ``(ARM.PARAMETER, value)`` set, validated again by the schema.

    Raises
    ------
    ProtocolError
        An unknown arm or parameter, or a combination the protocol schema refuses (the
        message names ``source``, the keys, the values and the schema's reason).
    """
    if not overrides:
        return protocol
    data = protocol.model_dump(mode="python")
    arms = {a["id"]: a for a in data["arms"]}
    for key, value in overrides:
        arm_id, _, name = key.partition(".")
        if arm_id not in arms or name not in SWEEPABLE:
            raise ProtocolError(f"{source}: key {key!r} is not a sweepable parameter of {protocol.id}; "
                                f"accepted: {', '.join(sweepable(protocol))}")
        treatment = arms[arm_id]["treatment"]
        part = treatment[SWEEPABLE[name].path[0]]
        shared = any(other is not arms[arm_id] and (other["treatment"].get(SWEEPABLE[name].path[0]) or {}).get("id")
                     == part["id"] for other in data["arms"])
        if shared:  # an inherited rule that another arm keeps unchanged: the changed one is another rule
            part["id"] = f"{part['id']}.sweep-{arm_id}"
        _set(treatment, SWEEPABLE[name].path, value)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        said = ", ".join(f"{k} = {v:g}" for k, v in overrides)
        reasons = "; ".join(e["msg"] for e in exc.errors())
        raise ProtocolError(f"{source}: the protocol schema refuses {said}: {reasons}") from exc


def parse_grid(text: str, source: str) -> tuple[str | None, dict[str, list[float]]]:
    """(protocol id named by the file or None, key → values) of a grid file's ``text``.

    Checks the file's shape only (see :func:`plan_sweep` for the values)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - {"protocol", "parameters"})
    if unknown:
        raise ProtocolError(f"{source}: unknown top-level key(s) {unknown}; accepted: 'protocol', '[parameters]'")
    pid = raw.get("protocol")
    if pid is not None and not isinstance(pid, str):
        raise ProtocolError(f"{source}: key 'protocol' = {pid!r} must be a protocol id (a string)")
    params = raw.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ProtocolError(f"{source}: a [parameters] table with at least one ARM.PARAMETER = [values] is required")
    grid: dict[str, list[float]] = {}
    for key, values in params.items():
        if isinstance(values, dict):
            raise ProtocolError(f"{source}: key {key!r} is a table; write the full dotted key in quotes: "
                                f'"{key}.PARAMETER" = [values]')
        ok = isinstance(values, list) and values and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if not ok:
            raise ProtocolError(f"{source}: key {key!r} = {values!r}: accepted: a non-empty list of numbers")
        if len(set(values)) != len(values):
            raise ProtocolError(f"{source}: key {key!r} = {values!r}: a value is repeated")
        grid[key] = [float(v) for v in values]
    return pid, grid


@dataclass(frozen=True)
class GridPoint:
    """One combination of the grid: ``(ARM.PARAMETER, value)`` in the grid file's key order."""

    index: int
    overrides: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ChunkTask:
    """One unit of work: chunk ``chunk`` of seed ``seed`` at grid point ``point`` (``n`` patients)."""

    protocol_id: str
    point: int
    overrides: tuple[tuple[str, float], ...]
    seed: int
    chunk: int
    n: int

    def seed_sequence(self) -> np.random.SeedSequence:
        """The chunk's own stream: the child ``(chunk,)`` of ``SeedSequence(seed)``."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.chunk,))


@dataclass(frozen=True)
class SweepPlan:
    """The whole sweep: grid points × seeds × chunks (``tasks``, in a fixed order)."""

    protocol_id: str
    keys: tuple[str, ...]
    points: tuple[GridPoint, ...]
    seeds: tuple[int, ...]
    n: int
    chunk_size: int
    tasks: tuple[ChunkTask, ...]

    def units(self, protocol: Protocol) -> dict[str, str]:
        """Unit of each grid key."""
        known = sweepable(protocol)
        return {k: known[k][1] for k in self.keys}


def chunk_sizes(n: int, chunk_size: int) -> list[int]:
    """Patients per chunk: full chunks of ``chunk_size`` and the remainder last."""
    if n < 1 or chunk_size < 1:
        raise ValueError(f"n ({n}) and chunk_size ({chunk_size}) must be at least 1")
    full, rest = divmod(n, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


def _check_values(protocol: Protocol, grid: dict[str, list[float]], source: str) -> None:
    known = sweepable(protocol)
    for key, values in grid.items():
        if key not in known:
            arm_id, _, name = key.partition(".")
            why = ("no arm " + repr(arm_id) if arm_id not in {a.id for a in protocol.arms}
                   else f"arm {arm_id!r} has no {name!r} that the model reads" if name in SWEEPABLE
                   else f"unknown parameter {name!r}")
            raise ProtocolError(f"{source}: key {key!r}: {protocol.id} has {why}; accepted keys: {', '.join(known)}")
        spec = SWEEPABLE[key.partition(".")[2]]
        rules = arm_rules(protocol, key.partition(".")[0])
        for v in values:
            if not spec.in_range(v) or (spec.integer and v != int(v)):
                raise ProtocolError(f"{source}: key {key!r} value {v:g}: out of range; accepted: "
                                    f"{spec.accepted(rules)}")


def plan_sweep(protocol: Protocol, grid: dict[str, list[float]], *, n: int, seeds: Sequence[int],
               chunk_size: int = DEFAULT_CHUNK_SIZE, source: str = "grid") -> SweepPlan:
    """Check ``grid`` against ``protocol`` and lay out every chunk of every seed and point.

    Parameters
    ----------
    protocol : Protocol
        The loaded protocol the grid varies.
    grid : dict
        ``ARM.PARAMETER`` → values (:func:`parse_grid`), full factorial in key order.
    n : int
        Virtual patients screened per grid point and seed.
    seeds : sequence of int
        The seeds (each ≥ 0), one replicate trial each.
    chunk_size : int
        Patients per chunk (the unit of work).
    source : str
        Name of the grid file, for error messages.

    Raises
    ------
    ProtocolError
        An unknown key, a value out of range or a combination the protocol schema refuses.
    """
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct non-negative integers, got {list(seeds)}")
    _check_values(protocol, grid, source)
    keys = tuple(grid)
    points = tuple(GridPoint(i, tuple(zip(keys, combo, strict=True)))
                   for i, combo in enumerate(itertools.product(*(grid[k] for k in keys))))
    for p in points:
        apply_overrides(protocol, p.overrides, source)
    sizes = chunk_sizes(n, chunk_size)
    tasks = tuple(ChunkTask(protocol.id, p.index, p.overrides, s, j, size)
                  for p in points for s in seeds for j, size in enumerate(sizes))
    return SweepPlan(protocol.id, keys, points, tuple(seeds), n, chunk_size, tasks)
