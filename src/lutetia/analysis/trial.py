"""A protocol's trial analysis from patient records: endpoints per arm, statistics, datasets.

:func:`analyse_trial` takes the protocol (its endpoint definitions are data) and the
records of the patients enrolled in it, and returns every number the trial report shows,
together with the CDISC-style datasets (ADSL, ADTTE, ADRS, ADLB, ADAE) from which a
statistician can reproduce them.  Pure: no I/O (writing is :mod:`lutetia.report`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from lutetia.analysis.adam import adam_datasets
from lutetia.analysis.datasets import Dataset
from lutetia.analysis.defaults import ProjectDefault, project_defaults
from lutetia.analysis.endpoints import (
    DAYS_PER_MONTH,
    ActivitySummary,
    PsaEndpoints,
    TimeToEvent,
    activity_summary,
    endpoint_psa_rule,
    landmark_alive,
    landmark_day,
    psa_endpoints,
    time_to_event,
    treatment_start,
)
from lutetia.analysis.rates import RateEstimate, clopper_pearson
from lutetia.analysis.safety import (
    DERIVATIONS,
    GRADED_ANALYTES,
    CountSummary,
    count_endpoint,
)
from lutetia.analysis.summaries import (
    ArmResponses,
    LabComparison,
    ProChange,
    arm_responses,
    pre_post_labs,
    pro_changes,
)
from lutetia.analysis.survival import (
    CoxResult,
    KMResult,
    LandmarkEstimate,
    LogRankResult,
    cox_hazard_ratio,
    kaplan_meier,
    logrank,
    survival_at,
)
from lutetia.assess import LabValue, ctcae_grade
from lutetia.assess.outcome import Outcome
from lutetia.protocols.schema import Endpoint, Protocol
from lutetia.records import EventKind, PatientRecord


@dataclass(frozen=True)
class EndpointSurvival:
    """Kaplan–Meier per arm (and log-rank between arms) for one time-to-event endpoint."""

    endpoint: Endpoint
    rows: tuple[TimeToEvent, ...]
    km_by_arm: dict[str, KMResult]
    logrank: LogRankResult | None
    landmark_alive: dict[str, RateEstimate] = field(default_factory=dict)
    cox: CoxResult | None = None
    landmarks: dict[str, LandmarkEstimate] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialAnalysis:
    """Everything the trial report shows, per arm."""

    protocol_id: str
    title: str
    cutoff: date | None
    arms: tuple[str, ...]
    n_by_arm: dict[str, int]
    survival: tuple[EndpointSurvival, ...]
    activity: tuple[ActivitySummary, ...]
    psa: tuple[PsaEndpoints, ...]
    psa50_by_arm: dict[str, RateEstimate]
    shift_tables: dict[str, dict[tuple[int, int], int]]
    datasets: tuple[Dataset, ...]
    responses: tuple[ArmResponses, ...] = ()
    pro_changes: tuple[ProChange, ...] = ()
    lab_comparisons: tuple[LabComparison, ...] = ()
    counts: tuple[CountSummary, ...] = ()
    project_defaults: tuple[ProjectDefault, ...] = ()


def arm_of(rec: PatientRecord, protocol_id: str) -> str:
    for e in rec.enrolments:
        if e.protocol_id == protocol_id:
            return e.arm or "all"
    return "all"


def enrolled(records: Sequence[PatientRecord], protocol_id: str) -> list[PatientRecord]:
    """Records of patients enrolled in ``protocol_id``."""
    return [r for r in records if any(e.protocol_id == protocol_id for e in r.enrolments)]


def _survival(protocol: Protocol, records: Sequence[PatientRecord], endpoint: Endpoint,
              cutoff: date | None) -> EndpointSurvival | None:
    rows: list[TimeToEvent] = []
    arms: list[str] = []
    psa = endpoint_psa_rule(endpoint, protocol.psa_progression)
    for rec in records:
        tte = time_to_event(rec, endpoint, protocol_id=protocol.id, cutoff=cutoff, psa=psa)
        if tte is not None:
            rows.append(tte)
            arms.append(arm_of(rec, protocol.id))
    if not rows:
        return None
    km: dict[str, KMResult] = {}
    alive: dict[str, RateEstimate] = {}
    landmarks: dict[str, LandmarkEstimate] = {}
    for arm in sorted(set(arms)):
        mine = [r for r, a in zip(rows, arms, strict=True) if a == arm]
        km[arm] = kaplan_meier([r.months for r in mine], [r.event for r in mine], label=arm)
        if endpoint.landmark_months is not None:
            day = landmark_day(endpoint.landmark_months)
            est = survival_at(km[arm], day / DAYS_PER_MONTH)  # the KM time scale: days / DAYS_PER_MONTH
            if not est.computed:
                est = replace(est, reason=f"follow-up {max(r.days for r in mine)} days < landmark {day} days")
            landmarks[arm] = est
            flags = [landmark_alive(r, endpoint.landmark_months) for r in mine]
            known = [f for f in flags if f is not None]
            if known:
                alive[arm] = clopper_pearson(sum(known), len(known))
    test, cox = None, None
    if len(km) > 1:
        test = logrank([r.months for r in rows], [r.event for r in rows], arms)
    if len(km) == 2 and sum(r.event for r in rows) > 0:
        reference = _reference_arm(protocol, sorted(km))
        try:
            cox = cox_hazard_ratio([r.months for r in rows], [r.event for r in rows], arms, reference=reference)
        except (ValueError, ArithmeticError):  # e.g. no events in one arm: no finite estimate
            cox = None
    return EndpointSurvival(endpoint, tuple(rows), km, test, alive, cox, landmarks)


def _reference_arm(protocol: Protocol, arms: list[str]) -> str:
    """The control arm (the protocol's arm listed last is its comparator: fixed, control)."""
    order = [a.id for a in protocol.arms]
    for candidate in ("control", "fixed", "standard"):
        if candidate in arms:
            return candidate
    return max(arms, key=lambda a: order.index(a) if a in order else -1)


def _shift_tables(records: Sequence[PatientRecord], protocol_id: str) -> dict[str, dict[tuple[int, int], int]]:
    """Baseline (last on or before first administration) vs worst post-baseline CTCAE grade."""
    out: dict[str, dict[tuple[int, int], int]] = {}
    for analyte, term in GRADED_ANALYTES.items():
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for rec in records:
            start = treatment_start(rec, protocol_id)
            labs = rec.labs_of(analyte)
            if start is None or not labs:
                continue
            base_labs = [x for x in labs if x.sampled_on <= start]
            base_value = base_labs[-1].value if base_labs else None
            grades = [_grade(term, x, base_value) for x in labs]
            before = [g for x, g in zip(labs, grades, strict=True) if x.sampled_on <= start and g is not None]
            after = [g for x, g in zip(labs, grades, strict=True) if x.sampled_on > start and g is not None]
            if before and after:
                counts[(before[-1], max(after))] += 1
        if counts:
            out[term] = dict(counts)
    return out


def _grade(term: str, lab: object, baseline: float | None) -> int | None:
    from lutetia.records import LabResult

    assert isinstance(lab, LabResult)
    g = ctcae_grade(LabValue(term, lab.value, lab.unit, lab.lln, lab.uln, baseline, None, lab.sampled_on))
    return g.grade


def _by_id(records: Sequence[PatientRecord], pid: str) -> PatientRecord:
    return next(r for r in records if r.patient_id == pid)


def analyse_trial(protocol: Protocol, records: Sequence[PatientRecord], *, cutoff: date | None = None) -> TrialAnalysis:
    """Analyse the patients of ``records`` enrolled in ``protocol``."""
    mine = enrolled(records, protocol.id)
    arms = tuple(sorted({arm_of(r, protocol.id) for r in mine})) or ("all",)
    n_by_arm = {a: sum(1 for r in mine if arm_of(r, protocol.id) == a) for a in arms}
    survival = tuple(s for e in protocol.endpoints if e.kind == "time_to_event"
                     for s in [_survival(protocol, mine, e, cutoff)] if s is not None)
    activity = tuple(activity_summary(r, protocol.id) for r in mine)
    best = next((e for e in protocol.endpoints if e.kind == "best_change"), None)
    horizon = best.horizon_weeks if best is not None else 52.0
    psa = tuple(p for r in mine for p in [psa_endpoints(r, protocol_id=protocol.id, horizon_weeks=horizon)]
                if p is not None)
    psa50: dict[str, RateEstimate] = {}
    for arm in arms:
        flags = [p.psa50 for p, r in zip(psa, [_by_id(mine, p.patient_id) for p in psa], strict=True)
                 if arm_of(r, protocol.id) == arm]
        known = [f for f in flags if f is not Outcome.NOT_EVALUABLE]
        if known:
            psa50[arm] = clopper_pearson(sum(1 for f in known if f is Outcome.MET), len(known))
    shifts = _shift_tables(mine, protocol.id)
    by_arm = {a: [r for r in mine if arm_of(r, protocol.id) == a] for a in arms}
    responses, recists = [], []
    for arm in arms:
        summary, results, _ = arm_responses(arm, by_arm[arm], protocol.id)
        responses.append(summary)
        recists += results
    mine_arms = [arm_of(r, protocol.id) for r in mine]
    counts = tuple(count_endpoint(e, mine, mine_arms, protocol.id) for e in protocol.endpoints
                   if e.derive in DERIVATIONS)
    datasets = adam_datasets(protocol, mine, [(s.endpoint, r) for s in survival for r in s.rows],
                             {a.patient_id: a.cumulative_gbq for a in activity}, recists, psa, cutoff=cutoff)
    return TrialAnalysis(protocol.id, protocol.title, cutoff, arms, n_by_arm, survival, activity, psa, psa50,
                         shifts, datasets, tuple(responses), tuple(pro_changes(by_arm)),
                         tuple(pre_post_labs(mine, protocol.id)), counts, tuple(project_defaults(protocol)))


def deaths(records: Sequence[PatientRecord]) -> int:
    return sum(1 for r in records for e in r.events if e.kind is EventKind.death)


@dataclass(frozen=True)
class GradedLab:
    """One laboratory value with its CTCAE v5.0 grade (None = not gradable, with reason)."""

    sampled_on: date
    analyte: str
    value: float
    unit: str
    lln: float | None
    uln: float | None
    term: str
    grade: int | None
    reason: str


def graded_labs(rec: PatientRecord, protocol_id: str | None = None) -> list[GradedLab]:
    """The patient's graded laboratory values, baseline = last value on or before the first
    administration of the protocol (CTCAE creatinine ×baseline branches use it)."""
    start = treatment_start(rec, protocol_id)
    out: list[GradedLab] = []
    for analyte, term in GRADED_ANALYTES.items():
        labs = rec.labs_of(analyte)
        base = [x for x in labs if start is not None and x.sampled_on <= start]
        base_v = base[-1].value if base else None
        for x in labs:
            g = ctcae_grade(LabValue(term, x.value, x.unit, x.lln, x.uln, base_v, None, x.sampled_on))
            out.append(GradedLab(x.sampled_on, analyte.value, x.value, x.unit, x.lln, x.uln, term, g.grade, g.reason))
    return sorted(out, key=lambda g: (g.sampled_on, g.analyte))


__all__ = ["DAYS_PER_MONTH", "GRADED_ANALYTES", "EndpointSurvival", "GradedLab", "TrialAnalysis", "analyse_trial", "arm_of",
           "deaths", "enrolled", "graded_labs"]
