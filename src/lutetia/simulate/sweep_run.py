"""Design sweeps: one cohort chunk simulated, chunk summaries merged exactly, endpoints (pure).

:func:`run_chunk` runs one :class:`~lutetia.simulate.sweep_plan.ChunkTask` — the vectorised
in-silico trial of :func:`lutetia.simulate.run_trial` (``engine="vector"``: screening on the
generated facts, the protocol's allocation, every arm stepped by
:func:`lutetia.simulate.vector_policy`) on the chunk's own patients and generator, with the
grid point's parameters applied to the protocol — and returns per-arm *totals* that merge
exactly: patient counts, sums (added with :func:`math.fsum`, so exactly rounded whatever the
order), maxima and the overall-survival event table (deaths and censorings per day).
:func:`merge_chunks` adds the chunks of a trial in any order to the same totals, and
:func:`endpoints` turns totals into the reported numbers (means, percentages, the
Kaplan–Meier median OS by :func:`lutetia.analysis.survival.kaplan_meier`).  A randomised
protocol allocates each chunk by its own permuted blocks (a chunk is like a recruiting site).

Every number is a simulation result under simulation assumptions, not a clinical fact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from lutetia.analysis.endpoints import DAYS_PER_MONTH
from lutetia.analysis.survival import kaplan_meier
from lutetia.protocols import Protocol, load_protocol
from lutetia.simulate.cohort import Cohort, Innovations
from lutetia.simulate.model import CohortSim, run_model
from lutetia.simulate.rules import ArmRules, arm_rules
from lutetia.simulate.sweep_plan import ChunkTask, SweepPlan, apply_overrides
from lutetia.simulate.trial import (
    allocate,
    dead_and_curtailed,
    draw_trial,
    eligible_facts,
    persistent_cytopenia_patients,
    subset,
)
from lutetia.simulate.vector import vector_policy

F = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Sums kept per arm (per-patient quantity summed over patients).
SUMS: Final[tuple[str, ...]] = ("cycles", "cumulative_gbq", "kidney_bed_gy")
#: Patient counts kept per arm.
COUNTS: Final[tuple[str, ...]] = ("g3_cytopenia", "aesi", "holiday", "curtailed", "deaths")
#: Reported endpoints: name → (unit, meaning).
ENDPOINTS: Final[dict[str, tuple[str, str]]] = {
    "patients": ("patients", "patients treated in the arm"),
    "cycles_mean": ("cycles", "mean cycles given"),
    "cumulative_gbq_mean": ("GBq", "mean cumulative activity"),
    "kidney_bed_mean_gy": ("Gy_BED", "mean true cumulative kidney BED (the model's)"),
    "kidney_bed_measured_max_gy": ("Gy_BED", "highest measured cumulative kidney BED (what the rules see)"),
    "g3_cytopenia_pct": ("%", "patients with grade 3-4 platelets or neutrophils"),
    "aesi_pct": ("%", "patients with a subacute AESI (grade 3-4 cytopenia > 12 weeks)"),
    "holiday_pct": ("%", "patients with at least one treatment holiday"),
    "curtailed_pct": ("%", "patients whose treatment was curtailed by a kidney limit"),
    "alive_at_horizon_pct": ("%", "patients alive at the follow-up horizon"),
    "os_median_months": ("months", "Kaplan-Meier median overall survival (inf: not reached)"),
}


@dataclass(frozen=True)
class ArmTotals:
    """Mergeable totals of one arm over some patients (see the module docstring)."""

    patients: int
    sums: dict[str, float]
    counts: dict[str, int]
    kidney_bed_measured_max_gy: float
    os_days: F = field(default_factory=lambda: np.zeros(0))  # distinct times (days)
    os_deaths: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    os_censored: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class ChunkSummary:
    """What one chunk returns: its task's place in the plan and per-arm totals."""

    point: int
    seed: int
    chunk: int
    screened: int
    eligible: int
    arms: dict[str, ArmTotals]


@dataclass(frozen=True)
class TrialTotals:
    """The merged chunks of one grid point and seed."""

    point: int
    seed: int
    chunks: int
    screened: int
    eligible: int
    arms: dict[str, ArmTotals]


@lru_cache(maxsize=64)
def swept_protocol(protocol_id: str, overrides: tuple[tuple[str, float], ...]) -> Protocol:
    """The shipped protocol ``protocol_id`` with a grid point's parameters (cached per process)."""
    return apply_overrides(load_protocol(protocol_id), overrides)


def _event_table(days: F, dead: NDArray[np.bool_]) -> tuple[F, I64, I64]:
    times, where = np.unique(days, return_inverse=True)
    deaths = np.bincount(where, weights=dead.astype(np.float64), minlength=times.size)
    total = np.bincount(where, minlength=times.size)
    return times, deaths.astype(np.int64), (total - deaths).astype(np.int64)


def arm_totals(sim: CohortSim) -> ArmTotals:
    """Totals of one simulated arm (the quantities of :func:`lutetia.simulate.trial.run_trial`'s
    :class:`~lutetia.simulate.trial.ArmSummary`, kept as sums and counts)."""
    horizon = sim.horizon_days()
    dead, curtailed = dead_and_curtailed(sim)
    g3, aesi = persistent_cytopenia_patients(sim)
    days, deaths, censored = _event_table(np.where(dead, sim.death_day, horizon), dead)
    return ArmTotals(
        patients=sim.cohort.n,
        sums={"cycles": float(sim.cycles.sum()), "cumulative_gbq": math.fsum(sim.cum_gbq.tolist()),
              "kidney_bed_gy": math.fsum(sim.cum_bed.tolist())},
        counts={"g3_cytopenia": int(g3.sum()), "aesi": int(aesi.sum()), "holiday": int((sim.holidays > 0).sum()),
                "curtailed": int(curtailed.sum()), "deaths": int(dead.sum())},
        kidney_bed_measured_max_gy=float(sim.cum_bed_measured.max()) if sim.cohort.n else -math.inf,
        os_days=days, os_deaths=deaths, os_censored=censored)


#: Patients stepped at once by :func:`simulate_arm` (a project default: a block's per-step
#: history is ~9 KB per patient, so ~0.45 GB for 50,000, while numpy still works on long arrays).
STREAM_BLOCK = 50_000


def simulate_arm(cohort: Cohort, noise: Innovations, rules: ArmRules, block: int = STREAM_BLOCK) -> ArmTotals:
    """The vectorised model (:func:`lutetia.simulate.vector_policy`) on one arm's patients,
    stepped ``block`` patients at a time, keeping only the block's mergeable totals.

    Each patient's course is his own (his noise is his, by :class:`Innovations` rows; patients
    do not interact), so the totals are those of one :func:`run_model` on the whole arm (sums
    to rounding: a sum of block sums), while memory is the cohort (~300 bytes per patient) plus
    one block's history instead of every patient's history at once.
    """
    if cohort.n < 1 or block < 1:
        raise ValueError(f"simulate_arm needs >= 1 patient and block >= 1, got n={cohort.n}, block={block}")
    parts = []
    for s in range(0, cohort.n, block):
        idx = np.arange(s, min(s + block, cohort.n))
        whole = idx.size == cohort.n
        sim = CohortSim(cohort if whole else subset(cohort, idx), rules, noise if whole else subset(noise, idx))
        parts.append(arm_totals(run_model(sim, vector_policy)))
    return parts[0] if len(parts) == 1 else merge_arm(parts)


def run_chunk(task: ChunkTask) -> ChunkSummary:
    """Simulate one chunk: ``task.n`` screened patients from the chunk's own generator."""
    protocol = swept_protocol(task.protocol_id, task.overrides)
    rng = np.random.default_rng(task.seed_sequence())
    cohort, noise = draw_trial(protocol, task.n, rng)  # run_trial's own set-up, not a copy
    ok = np.flatnonzero(eligible_facts(cohort, protocol.id))
    arm_ids = [a.id for a in protocol.arms]
    alloc, _ = allocate(protocol, arm_ids, ok, rng)
    arms: dict[str, ArmTotals] = {}
    for a, arm in enumerate(arm_ids):
        idx = ok[alloc == a]
        if idx.size:
            arms[arm] = simulate_arm(subset(cohort, idx), subset(noise, idx), arm_rules(protocol, arm))
    return ChunkSummary(task.point, task.seed, task.chunk, task.n, int(ok.size), arms)


def merge_arm(parts: Sequence[ArmTotals]) -> ArmTotals:
    """Totals of several disjoint groups of patients of one arm (exact, order-independent)."""
    times = np.concatenate([p.os_days for p in parts])
    uniq, where = np.unique(times, return_inverse=True)

    def add(values: Iterable[I64]) -> I64:
        return np.bincount(where, weights=np.concatenate(list(values)).astype(np.float64),
                           minlength=uniq.size).astype(np.int64)

    return ArmTotals(
        patients=sum(p.patients for p in parts),
        sums={k: math.fsum(p.sums[k] for p in parts) for k in SUMS},
        counts={k: sum(p.counts[k] for p in parts) for k in COUNTS},
        kidney_bed_measured_max_gy=max(p.kidney_bed_measured_max_gy for p in parts),
        os_days=uniq, os_deaths=add(p.os_deaths for p in parts), os_censored=add(p.os_censored for p in parts))


def merge_chunks(chunks: Iterable[ChunkSummary]) -> dict[tuple[int, int], TrialTotals]:
    """(point, seed) → the merged chunks of that trial; any order of ``chunks`` gives the same."""
    groups: dict[tuple[int, int], list[ChunkSummary]] = {}
    for c in chunks:
        groups.setdefault((c.point, c.seed), []).append(c)
    out: dict[tuple[int, int], TrialTotals] = {}
    for key in sorted(groups):
        part = sorted(groups[key], key=lambda c: c.chunk)
        arm_ids = sorted({a for c in part for a in c.arms})
        out[key] = TrialTotals(key[0], key[1], len(part), sum(c.screened for c in part),
                               sum(c.eligible for c in part),
                               {a: merge_arm([c.arms[a] for c in part if a in c.arms]) for a in arm_ids})
    return out


def endpoints(t: ArmTotals) -> dict[str, float]:
    """The :data:`ENDPOINTS` of merged arm totals (NaN for an arm without patients)."""
    n = t.patients
    if n == 0:
        return {k: (0.0 if k == "patients" else math.nan) for k in ENDPOINTS}
    pct = {k: 100.0 * t.counts[k] / n for k in COUNTS}
    durations = np.concatenate([np.repeat(t.os_days, t.os_deaths), np.repeat(t.os_days, t.os_censored)])
    flags = np.concatenate([np.ones(int(t.os_deaths.sum())), np.zeros(int(t.os_censored.sum()))])
    km = kaplan_meier(durations.tolist(), flags.astype(int).tolist())
    return {
        "patients": float(n),
        "cycles_mean": t.sums["cycles"] / n,
        "cumulative_gbq_mean": t.sums["cumulative_gbq"] / n,
        "kidney_bed_mean_gy": t.sums["kidney_bed_gy"] / n,
        "kidney_bed_measured_max_gy": t.kidney_bed_measured_max_gy,
        "g3_cytopenia_pct": pct["g3_cytopenia"],
        "aesi_pct": pct["aesi"],
        "holiday_pct": pct["holiday"],
        "curtailed_pct": pct["curtailed"],
        "alive_at_horizon_pct": 100.0 - pct["deaths"],
        "os_median_months": km.median / DAYS_PER_MONTH,
    }


def tidy_rows(plan: SweepPlan, trials: dict[tuple[int, int], TrialTotals]) -> list[dict[str, Any]]:
    """One row per grid point × seed × arm × endpoint, with the grid's parameters as columns."""
    rows: list[dict[str, Any]] = []
    for point in plan.points:
        params = dict(point.overrides)
        for seed in plan.seeds:
            trial = trials[(point.index, seed)]
            for arm, totals in trial.arms.items():
                for name, value in endpoints(totals).items():
                    rows.append({"protocol": plan.protocol_id, "point": point.index, **params, "seed": seed,
                                 "arm": arm, "endpoint": name, "unit": ENDPOINTS[name][0], "value": value,
                                 "patients": totals.patients, "screened": trial.screened,
                                 "eligible": trial.eligible})
    return rows


def over_seeds(plan: SweepPlan, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per grid point × arm × endpoint: mean, min and max over the seeds (finite values only;
    ``seeds`` counts them)."""
    groups: dict[tuple[int, str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["point"], r["arm"], r["endpoint"]), []).append(float(r["value"]))
    params = {p.index: dict(p.overrides) for p in plan.points}
    out: list[dict[str, Any]] = []
    for (point, arm, name), values in groups.items():
        ok = [v for v in values if math.isfinite(v)]
        out.append({"point": point, **params[point], "arm": arm, "endpoint": name,
                    "mean": math.fsum(ok) / len(ok) if ok else math.nan,
                    "min": min(ok) if ok else math.nan, "max": max(ok) if ok else math.nan, "seeds": len(ok)})
    return out
