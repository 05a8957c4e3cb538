"""Safety count endpoints: participants with AEs, laboratory AEs and AESIs, each within the
observation window its protocol text states.

An endpoint's ``derive`` (protocol data) names the derivation; ``stop_at`` names the events
that close the window (the earliest one; "prior to the initiation of subsequent anticancer
treatment" closes it the day before); ``ae_terms`` lists the CTCAE terms of the recorded AEs
that establish each category.  Outcomes are three-valued per patient: a patient with an
undecidable category (e.g. a persistent cytopenia whose relatedness is not recorded) and no
met category is not evaluable, never counted as free of the event.

PRODIGY-2 (seed 000) windows, quoted:

* subacute AESIs — "From first administration to the end of treatment (each cycle is 6
  weeks, up to 6 cycles)": read as the last administration + 6 weeks (the end of the last
  cycle); every subacute AESI is "treatment-related".
* AEs — "from the first administration … until 6 weeks after the last administration … or
  prior to the initiation of subsequent anticancer treatment".
* laboratory AEs — "from the first administration … until progression or until the
  initiation of subsequent anticancer treatment if earlier".
* delayed AESIs — "renal impairment and secondary hematological malignancies that occur
  from the first administration … until death (or study termination)".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from lutetia.analysis.endpoints import endpoint_psa_rule, event_dates, treatment_start
from lutetia.analysis.rates import RateEstimate, clopper_pearson
from lutetia.analysis.responses import aesis
from lutetia.assess import LabValue, ctcae_grade
from lutetia.assess.outcome import Outcome
from lutetia.protocols.loader import load_protocol
from lutetia.protocols.schema import Endpoint
from lutetia.records import Analyte, PatientRecord

#: Laboratory analytes graded (shift tables, laboratory AEs), with their CTCAE v5.0 term.
GRADED_ANALYTES: dict[Analyte, str] = {
    Analyte.haemoglobin: "Anemia",
    Analyte.platelets: "Platelet count decreased",
    Analyte.neutrophils: "Neutrophil count decreased",
    Analyte.wbc: "White blood cell decreased",
    Analyte.lymphocytes: "Lymphocyte count decreased",
    Analyte.creatinine: "Creatinine increased",
}


@dataclass(frozen=True)
class ObservationWindow:
    """``start`` (first administration) to ``end`` inclusive (None = open), and what closed it."""

    start: date
    end: date | None
    closed_by: str | None

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class PatientCount:
    """One patient's count endpoint: met / not met / not evaluable, with the categories."""

    patient_id: str
    outcome: Outcome
    categories: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    window: ObservationWindow | None = None


def observation_window(rec: PatientRecord, endpoint: Endpoint, protocol_id: str | None) -> ObservationWindow | None:
    """The endpoint's window for this patient; None when never treated."""
    origin = treatment_start(rec, protocol_id)
    if origin is None:
        return None
    definition = load_protocol(protocol_id).psa_progression if protocol_id is not None else None
    crit = endpoint_psa_rule(endpoint, definition)
    ends: list[tuple[date, str]] = []
    for name in endpoint.stop_at:
        for d in event_dates(rec, name, origin, crit, protocol_id)[:1]:
            ends.append((d - timedelta(days=1) if name == "next_anticancer_treatment" else d, name))
    end = min(ends) if ends else None
    return ObservationWindow(origin, end[0] if end else None, end[1] if end else None)


def _terms(endpoint: Endpoint, category: str) -> set[str]:
    return {t.strip().lower() for t in endpoint.ae_terms.get(category, [])}


def _result(rec: PatientRecord, met: Sequence[str], undecided: Sequence[str],
            window: ObservationWindow | None) -> PatientCount:
    if window is None:
        return PatientCount(rec.patient_id, Outcome.NOT_EVALUABLE, window=None)
    outcome = Outcome.MET if met else Outcome.NOT_EVALUABLE if undecided else Outcome.NOT_MET
    return PatientCount(rec.patient_id, outcome, tuple(met), tuple(undecided), window)


def adverse_events(rec: PatientRecord, endpoint: Endpoint, protocol_id: str | None) -> PatientCount:
    """Any recorded AE with onset in the window (category = its CTCAE term)."""
    window = observation_window(rec, endpoint, protocol_id)
    terms = sorted({a.term for a in rec.adverse_events if window is not None and window.contains(a.onset_date)})
    return _result(rec, terms, (), window)


def laboratory_adverse_events(rec: PatientRecord, endpoint: Endpoint, protocol_id: str | None) -> PatientCount:
    """Laboratory values in the window graded CTCAE ≥1 and above the baseline grade.

    Baseline = last value on or before the first administration (creatinine's ×baseline
    branches use it); a value without a baseline grade counts from grade 1.  "Above the
    baseline grade" (treatment-emergent) is a project reading of "adverse events seen on
    laboratory"; ungradable values are ignored.
    """
    window = observation_window(rec, endpoint, protocol_id)
    met: list[str] = []
    for analyte, term in GRADED_ANALYTES.items():
        labs = rec.labs_of(analyte)
        if window is None or not labs:
            continue
        base = [x for x in labs if x.sampled_on <= window.start]
        base_v = base[-1].value if base else None
        base_g = _grade(term, base[-1], base_v) if base else None
        for x in labs:
            if x.sampled_on <= window.start or not window.contains(x.sampled_on):
                continue
            g = _grade(term, x, base_v)
            if g is not None and g >= 1 and g > (base_g or 0):
                met.append(term)
                break
    return _result(rec, met, (), window)


def _grade(term: str, lab: object, baseline: float | None) -> int | None:
    from lutetia.records import LabResult

    assert isinstance(lab, LabResult)
    return ctcae_grade(LabValue(term, lab.value, lab.unit, lab.lln, lab.uln, baseline, None, lab.sampled_on)).grade


def delayed_aesi(rec: PatientRecord, endpoint: Endpoint, protocol_id: str | None) -> PatientCount:
    """Recorded AEs whose term is one of a category's ``ae_terms``, onset in the window."""
    window = observation_window(rec, endpoint, protocol_id)
    met = [cat for cat in endpoint.ae_terms
           if window is not None and any(a.term.strip().lower() in _terms(endpoint, cat) and window.contains(a.onset_date)
                                         for a in rec.adverse_events)]
    return _result(rec, met, (), window)


def subacute_aesi(rec: PatientRecord, endpoint: Endpoint, protocol_id: str | None) -> PatientCount:
    """PRODIGY-2 subacute AESIs, treatment-related, starting within the window."""
    window = observation_window(rec, endpoint, protocol_id)
    if window is None:
        return _result(rec, (), (), None)
    summary = aesis(rec, protocol_id, window_end=window.end, ae_terms=endpoint.ae_terms)
    return _result(rec, summary.met, summary.not_evaluable, window)


def aesi_labels(rec: PatientRecord, endpoints: Sequence[Endpoint], protocol_id: str | None) -> dict[str, str]:
    """ADAE ``AESI``: ae_id → "subacute <category>" / "delayed <category>" for the recorded
    AEs that establish a met AESI of the protocol's ``subacute_aesi``/``delayed_aesi``
    endpoints (the related AE of a lab-defined AESI, the first related grade-4 AE of an
    AE-defined one, every AE of a delayed category in its window)."""
    out: dict[str, str] = {}
    for endpoint in endpoints:
        window = observation_window(rec, endpoint, protocol_id) if endpoint.derive else None
        if window is None:
            continue
        in_window = [a for a in sorted(rec.adverse_events, key=lambda a: a.onset_date) if window.contains(a.onset_date)]
        if endpoint.derive == "delayed_aesi":
            for a in in_window:
                for cat in endpoint.ae_terms:
                    if a.term.strip().lower() in _terms(endpoint, cat):
                        out.setdefault(a.ae_id, f"delayed {cat.replace('_', ' ')}")
        elif endpoint.derive == "subacute_aesi":
            summary = aesis(rec, protocol_id, window_end=window.end, ae_terms=endpoint.ae_terms)
            related = [a for a in rec.adverse_events if a.attribution is not None and a.attribution.related
                       and a.onset_date >= window.start]
            for kind in summary.met:
                first = summary.first_dates.get(kind)
                if kind in endpoint.ae_terms:
                    hits = [a for a in related if a.term.strip().lower() in _terms(endpoint, kind)]
                else:  # febrile neutropenia / non-haematological grade 4: the AE that established it
                    hits = [a for a in related if a.onset_date == first and a.grade == 4]
                for a in hits[:1] if kind not in endpoint.ae_terms else hits:
                    out.setdefault(a.ae_id, f"subacute {kind.replace('_', ' ')}")
    return out


DERIVATIONS: dict[str, Callable[[PatientRecord, Endpoint, str | None], PatientCount]] = {
    "adverse_events": adverse_events,
    "laboratory_adverse_events": laboratory_adverse_events,
    "delayed_aesi": delayed_aesi,
    "subacute_aesi": subacute_aesi,
}


@dataclass(frozen=True)
class CountSummary:
    """Participants with ≥1 event per arm (exact CI among evaluable), and per category."""

    endpoint: Endpoint
    rows: tuple[PatientCount, ...]
    by_arm: dict[str, RateEstimate | None]
    category_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    not_evaluable: dict[str, int] = field(default_factory=dict)
    treated: dict[str, int] = field(default_factory=dict)


def count_endpoint(endpoint: Endpoint, records: Sequence[PatientRecord], arms: Sequence[str],
                   protocol_id: str) -> CountSummary:
    """Derive ``endpoint`` (its ``derive``) for every record; ``arms[i]`` is record i's arm."""
    if endpoint.derive is None:
        raise ValueError(f"endpoint {endpoint.id!r} has no 'derive'; accepted: {', '.join(sorted(DERIVATIONS))}")
    derive = DERIVATIONS[endpoint.derive]
    rows = [derive(rec, endpoint, protocol_id) for rec in records]
    by_arm: dict[str, RateEstimate | None] = {}
    cats: dict[str, dict[str, int]] = {}
    ne: dict[str, int] = {}
    treated: dict[str, int] = {}
    for arm in sorted(set(arms)):
        mine = [r for r, a in zip(rows, arms, strict=True) if a == arm and r.window is not None]
        known = [r for r in mine if r.outcome is not Outcome.NOT_EVALUABLE]
        hits = sum(1 for r in known if r.outcome is Outcome.MET)
        by_arm[arm] = clopper_pearson(hits, len(known)) if known else None
        ne[arm] = len(mine) - len(known)
        treated[arm] = len(mine)
        counts: dict[str, int] = {}
        for r in mine:
            for c in r.categories:
                counts[c] = counts.get(c, 0) + 1
        cats[arm] = counts
    return CountSummary(endpoint, tuple(rows), by_arm, cats, ne, treated)


__all__ = [
    "DERIVATIONS", "GRADED_ANALYTES", "CountSummary", "ObservationWindow", "PatientCount", "adverse_events", "aesi_labels",
    "count_endpoint", "delayed_aesi", "laboratory_adverse_events", "observation_window", "subacute_aesi",
]
