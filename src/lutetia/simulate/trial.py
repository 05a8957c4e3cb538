"""In-silico trials: a protocol's arms run cycle by cycle on a virtual cohort.

:func:`run_trial` draws the cohort, screens every patient with the decision engine
(:func:`lutetia.decide.eligibility.assess_eligibility` on the screening record; screen
failures counted), allocates arms (randomised protocols: the permuted blocks of
:mod:`lutetia.decide.randomise`; otherwise a random permutation), steps every arm's
patients decision point by decision point — with the record-level engine
(:func:`lutetia.decide.next_cycle.next_cycle`, ``engine="record"``, default) or the
vectorised twin of its rules (``engine="vector"``, fast) — converts the course into real
records and summarises each arm.  Deterministic for a given generator state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.decide.randomise import allocation_sequence
from lutetia.protocols import Protocol, load_protocol
from lutetia.records import PatientRecord
from lutetia.simulate.cohort import Cohort, Innovations, draw_innovations, generate_cohort
from lutetia.simulate.engine import EnginePolicy
from lutetia.simulate.model import Action, CohortSim, Decision, Point, run_model
from lutetia.simulate.records import SCREENING_DAYS, patient_record
from lutetia.simulate.rules import arm_rules
from lutetia.simulate.vector import vector_policy

Policy = Callable[[CohortSim, Point], Decision]
MAX_STEPS = 64
#: Permuted-block size of simulated randomisations (the CLI's default; a project default).
RANDOMISATION_BLOCK_SIZE = 4


@dataclass(frozen=True)
class ArmSummary:
    """Per-arm results (means over treated patients; BED in Gy_BED, activity GBq).

    ``kidney_bed_mean`` is the true cumulative kidney BED of the model, ``kidney_bed_max`` the
    highest *measured* one (what the rules see); ``g3_cytopenia_patients`` had grade 3–4
    platelets or neutrophils, ``aesi_patients`` a PRODIGY-2 subacute AESI (persisting > 12
    weeks, :func:`persistent_cytopenia_patients`).
    """

    arm: str
    n: int
    cycles_mean: float
    cumulative_gbq_mean: float
    kidney_bed_mean: float
    kidney_bed_max: float
    g3_cytopenia_patients: int
    aesi_patients: int
    holiday_patients: int
    curtailed: int
    deaths: int
    survival_2y: float


@dataclass(frozen=True)
class SimAllocation:
    """One randomised allocation of the trial (``save_allocation`` keyword arguments)."""

    patient_id: str
    arm: str
    sequence_no: int
    seed: int
    block_size: int
    stratum: str = "all"


@dataclass(frozen=True)
class TrialResult:
    """Records, decisions (per patient), allocations (randomised protocols, in sequence) and
    per-arm summaries of one in-silico trial."""

    protocol_id: str
    screened: int
    screen_failures: int
    records: list[PatientRecord]
    decisions: dict[str, list[dict[str, Any]]]
    summaries: list[ArmSummary]
    sims: dict[str, CohortSim]
    allocations: list[SimAllocation] = dataclasses.field(default_factory=list)


def subset(obj: Any, idx: np.ndarray) -> Any:
    """A :class:`Cohort` or :class:`Innovations` restricted to rows ``idx``."""
    vals = {f.name: (getattr(obj, f.name)[idx] if isinstance(getattr(obj, f.name), np.ndarray)
                     else getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    return type(obj)(**vals)


def screen(cohort: Cohort, protocol: Protocol, start: date, prefix: str,
           on_patient: Callable[[int], None] | None = None) -> tuple[np.ndarray, list[Any]]:
    """Eligibility of every patient by the decision engine on the screening record (known
    at the screening visit, 7 days before the first cycle); returns (eligible mask, the engine's results)."""
    from lutetia.decide.eligibility import assess_eligibility

    sim = CohortSim(cohort, arm_rules(protocol, protocol.arms[0].id), draw_innovations(cohort.n, 1,
                                                                                       np.random.default_rng(0)))
    on = start - timedelta(days=SCREENING_DAYS)
    results = []
    for i in range(cohort.n):
        rec = patient_record(sim, i, protocol, protocol.arms[0].id, start, pid=f"{prefix}-{i + 1:05d}",
                             as_of=on, enrolment=False)
        results.append(assess_eligibility(rec, protocol, on, treatment_start=start))
        if on_patient is not None:
            on_patient(i + 1)
    return np.array([r.verdict == "eligible" for r in results], dtype=bool), results


def _vector_decisions(sim: CohortSim, i: int, pid: str, protocol_id: str, start: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for pt, dec in sim.log:
        if not pt.active[i]:
            continue
        action = Action(int(dec.action[i]))
        out.append({"patient_id": pid, "protocol_id": protocol_id, "kind": "next_cycle",
                    "decided_on": start + timedelta(days=int(round(pt.t_days[i]))), "outcome": action.name.lower(),
                    "payload": {"step": pt.step, "activity_gbq": None if action is not Action.GIVE
                                else round(float(dec.activity_gbq[i]), 3),
                                "reduce": bool(dec.reduce_now[i]), "labs_missing": bool(pt.lab_missing[i]),
                                "psa_ng_ml": float(pt.labs[i, 5]), "platelets_giga_l": float(pt.labs[i, 1]),
                                "engine": "lutetia.simulate.vector (protocol rules as data)"}})
    return out


def persistent_cytopenia_patients(sim: CohortSim) -> tuple[np.ndarray, np.ndarray]:
    """(grade 3–4 platelets or neutrophils ever, PRODIGY-2 subacute AESI) per patient.

    The AESI is grade 3–4 thrombocytopenia or neutropenia persisting more than
    ``persist_days`` (:func:`lutetia.assess.aesi.aesi_params`, 84 days) on the recorded
    labs: a run of qualifying values whose first and last sampling dates are further apart.
    """
    from lutetia.assess.aesi import aesi_params

    ap = aesi_params()
    from lutetia.simulate.grading import MYELO_TERMS, term_grades

    n = sim.cohort.n
    ever, met = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for j in (1, 2):  # platelets, neutrophils
        start = np.full(n, np.nan)
        for pt, _ in sim.log:
            seen = pt.active & ~pt.lab_missing
            g = term_grades(pt.labs[:, j:j + 1], sim.myelo_lln[j:j + 1], MYELO_TERMS[j:j + 1])[:, 0]
            q = seen & (g >= ap.min_grade) & (g <= ap.max_grade)
            day = pt.t_days - pt.lab_offset_days
            start = np.where(q, np.where(np.isnan(start), day, start), np.where(seen, np.nan, start))
            ever |= q
            met |= q & (day - start > ap.persist_days)
        for day, labs, drawn in sim.follow_labs:
            g = term_grades(labs[:, j:j + 1], sim.myelo_lln[j:j + 1], MYELO_TERMS[j:j + 1])[:, 0]
            q = drawn & (g >= ap.min_grade) & (g <= ap.max_grade)
            start = np.where(q, np.where(np.isnan(start), day, start), np.where(drawn, np.nan, start))
            ever |= q
            met |= q & (day - start > ap.persist_days)
    return ever, met


def dead_and_curtailed(sim: CohortSim) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per patient: died within the simulated horizon, and had treatment curtailed at some cycle
    (the one definition the arm summary and the sweep's exact totals share)."""
    dead = np.isfinite(sim.death_day) & (sim.death_day <= sim.horizon_days())
    curtailed = np.zeros(sim.cohort.n, dtype=bool)
    for _, dec in sim.log:
        curtailed |= dec.action == Action.CURTAIL
    return dead, curtailed


def _summary(arm: str, sim: CohortSim) -> ArmSummary:
    dead, curtailed = dead_and_curtailed(sim)
    g3, aesi = persistent_cytopenia_patients(sim)
    return ArmSummary(arm=arm, n=sim.cohort.n, cycles_mean=float(sim.cycles.mean()),
                      cumulative_gbq_mean=float(sim.cum_gbq.mean()), kidney_bed_mean=float(sim.cum_bed.mean()),
                      kidney_bed_max=float(sim.cum_bed_measured.max()), g3_cytopenia_patients=int(g3.sum()),
                      aesi_patients=int(aesi.sum()),
                      holiday_patients=int((sim.holidays > 0).sum()), curtailed=int(curtailed.sum()),
                      deaths=int(dead.sum()), survival_2y=float(1.0 - dead.mean()))


def run_trial(protocol_id: str, n: int, rng: np.random.Generator, *, arms: list[str] | None = None,
              start: date = date(2026, 1, 5), engine: str = "record",
              with_records: bool = True, prefix: str = "SIM",
              progress: Callable[[str, float], None] | None = None,
              enrol: int | None = None) -> TrialResult:
    """Run protocol ``protocol_id`` on ``n`` screened virtual patients.

    Parameters
    ----------
    protocol_id : str
        A shipped protocol (``prodigy-2``, ``flex-mrt``, ``realup``, ``re-lupsma``, ``ecog3-registry``).
    n : int
        Patients screened.
    rng : numpy.random.Generator
        The only source of randomness (same state, same trial).
    arms : list of str, optional
        Arms to run (default: all: a randomised protocol allocates by permuted blocks of
        :data:`RANDOMISATION_BLOCK_SIZE`, kept in ``allocations``; chosen arms by random permutation);
        ``run_trial(..., arms=[a])`` gives every eligible patient arm ``a``.
    start : date
        Date of the first administration (records are dated from it; no clock is read).
    engine : {"record", "vector"}
        ``record``: eligibility and every decision by :mod:`lutetia.decide` on the records
        (about 10 patients/s); ``vector``: screening on the generated facts (VISION PSMA-PET
        read, ECOG range) and the vectorised rules (thousands of patients/s).
    with_records : bool
        Build the :class:`PatientRecord` objects (slower; off for large cohorts).
    prefix : str
        Patient ids are ``{prefix}-00001``...
    progress : callable, optional
        ``progress(stage, fraction)`` with stage ``"screening"`` or ``"arm <id>"`` and the
        fraction done, for a progress display (nothing is printed here).
    enrol : int, optional
        Stop recruitment at this many eligible patients (a study's planned size); the
        patients after the last one enrolled count as never screened.
    """
    if engine not in ("record", "vector"):
        raise ValueError(f"engine must be 'record' or 'vector', got {engine!r}")
    protocol = load_protocol(protocol_id)
    arm_ids = arms or [a.id for a in protocol.arms]
    cohort, noise = draw_trial(protocol, n, rng)
    if engine == "record":
        mask, screening = screen(cohort, protocol, start, prefix,
                                 None if progress is None else lambda k: progress("screening", k / n))
    else:
        mask, screening = eligible_facts(cohort, protocol_id), []
    ok = np.flatnonzero(mask)
    screened = n
    if enrol is not None and ok.size > enrol:
        # recruitment stops at the planned size: patients after the last one enrolled
        # were never screened
        ok = ok[:enrol]
        screened = int(ok[-1]) + 1 if ok.size else n
    alloc, allocations = allocate(protocol, arm_ids, ok, rng, randomise=arms is None, prefix=prefix)
    records: list[PatientRecord] = []
    decisions: dict[str, list[dict[str, Any]]] = {}
    summaries: list[ArmSummary] = []
    sims: dict[str, CohortSim] = {}
    for a, arm in enumerate(arm_ids):
        idx = ok[alloc == a]
        if idx.size == 0:
            continue
        pids = [f"{prefix}-{i + 1:05d}" for i in idx]
        policy: Policy = vector_policy
        if engine == "record":
            policy = EnginePolicy(protocol, arm, start, pids, randomised=len(arm_ids) > 1)
        step = None if progress is None else (lambda f, arm=arm: progress(f"arm {arm}", f))
        sim = run_model(CohortSim(subset(cohort, idx), arm_rules(protocol, arm), subset(noise, idx)), policy,
                        step)
        sims[arm] = sim
        summaries.append(_summary(arm, sim))
        for j, i in enumerate(idx):
            pid = pids[j]
            decisions[pid] = [*(_screening_payload(screening[i], start) if screening else []),
                              *(policy.payloads(j) if isinstance(policy, EnginePolicy)
                                else _vector_decisions(sim, j, pid, protocol.id, start))]
            if with_records:
                records.append(patient_record(sim, j, protocol, arm, start, pid=pid,
                                              randomised=len(arm_ids) > 1))
    return TrialResult(protocol.id, screened, screened - ok.size, records, decisions, summaries, sims, allocations)


def draw_trial(protocol: Protocol, n: int, rng: np.random.Generator) -> tuple[Cohort, Innovations]:
    """The virtual cohort of ``n`` screened patients and their noise, drawn from ``rng`` in
    :func:`run_trial`'s order (the one set-up that the sweep's chunk runner shares)."""
    return generate_cohort(n, rng, population_of(protocol)), draw_innovations(n, MAX_STEPS, rng)


def allocate(protocol: Protocol, arm_ids: list[str], ok: np.ndarray, rng: np.random.Generator, *,
             randomise: bool = True, prefix: str = "SIM") -> tuple[np.ndarray, list[SimAllocation]]:
    """Arm index of each eligible patient ``ok`` (cohort rows) and, for a randomised protocol
    with several arms (and ``randomise``), its allocations: the protocol's permuted blocks of
    :data:`RANDOMISATION_BLOCK_SIZE` (:func:`lutetia.decide.randomise.allocation_sequence`, one
    stratum); otherwise a random permutation of the arms in turn."""
    if len(arm_ids) > 1 and protocol.randomisation is not None and randomise:
        seed, block = int(rng.integers(2**31)), RANDOMISATION_BLOCK_SIZE
        order = allocation_sequence(arm_ids, ok.size, seed=seed, block_size=block)
        alloc = np.array([arm_ids.index(a) for a in order], dtype=np.int64)
        return alloc, [SimAllocation(f"{prefix}-{i + 1:05d}", a, k, seed, block)
                       for k, (i, a) in enumerate(zip(ok, order, strict=True))]
    return rng.permutation(np.arange(ok.size) % len(arm_ids)), []


def population_of(protocol: Protocol) -> str:
    """The virtual population a protocol recruits from: ``ecog3`` (the ECOG 3 registry),
    ``retreatment`` (protocols that require a prior 177Lu-PSMA course), else ``vision``."""
    if protocol.id.startswith("ecog3"):
        return "ecog3"
    facts = {"prior_lu_psma_cycles", "first_course_psa_decline_pct"}
    if any(c.rule is not None and facts & _facts_of(c.rule) for c in protocol.criteria):
        return "retreatment"
    return "vision"


def _facts_of(cond: Any) -> set[str]:
    out = {cond.fact.value} if cond.fact is not None else set()
    for child in (cond.all_of or []) + (cond.any_of or []):
        out |= _facts_of(child)
    return out


def eligible_facts(cohort: Cohort, protocol_id: str) -> np.ndarray:
    """Fast screening on the generated facts (``engine="vector"``): the VISION PSMA-PET read
    and the protocol's ECOG range (3 for the ECOG 3 registry, else 0-2)."""
    ecog_ok = cohort.ecog == 3 if protocol_id.startswith("ecog3") else cohort.ecog <= 2
    return np.asarray(cohort.psma_positive & ecog_ok)


def _screening_payload(result: Any, start: date) -> list[dict[str, Any]]:
    from lutetia.decide.model import jsonable

    return [{"patient_id": result.patient_id, "protocol_id": result.protocol_id, "kind": "eligibility",
             "decided_on": result.on, "outcome": result.verdict, "payload": jsonable(result)}]

