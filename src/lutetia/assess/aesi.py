"""PRODIGY-2 subacute adverse events of special interest (criteria in ``prodigy2_aesi.toml``).

Persistence: a run of qualifying values with no non-qualifying value in between; the AESI
is met when the last minus the first qualifying date of a run exceeds ``persist_days``
(84 days = 12 weeks).  A run still open at the last value and not yet long enough is not
evaluable.  Values that could not be graded neither extend nor break a run.
Treatment-relatedness is the investigator's attribution and is not computed here.

References
----------
1. PRODIGY-2 protocol summary, adverse events of special interest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lutetia.assess.criteria import Strict, compare, load_criteria, validate_section
from lutetia.assess.ctcae import Grade
from lutetia.assess.outcome import Evidence, Outcome


class AesiParams(Strict):
    persist_days: int
    min_grade: int
    max_grade: int
    creatinine_baseline_factor: float
    event_grade: int


def aesi_params() -> AesiParams:
    """The AESI parameters of ``prodigy2_aesi.toml``."""
    return validate_section(load_criteria("prodigy2_aesi"), "params", AesiParams)


@dataclass(frozen=True)
class AesiResult:
    """An AESI outcome with the dates that establish it (first and last qualifying value)."""

    outcome: Outcome
    start: date | None
    end: date | None
    evidence: Evidence


@dataclass(frozen=True)
class AdverseEvent:
    """An investigator-graded adverse event (CTCAE term and grade)."""

    term: str
    grade: int
    onset: date
    haematological: bool


def _persistence(points: Iterable[tuple[date, bool | None]], days: int, rule_id: str) -> AesiResult:
    rule = load_criteria("prodigy2_aesi").rule(rule_id)
    run_start: date | None = None
    run_end: date | None = None
    longest: tuple[date, date] | None = None
    for when, ok in sorted(points, key=lambda p: p[0]):
        if ok is None:
            continue
        if ok:
            run_start = run_start or when
            run_end = when
            if (run_end - run_start).days > days:
                return AesiResult(Outcome.MET, run_start, run_end,
                                  Evidence((rule,), (("first", run_start.isoformat()), ("last", run_end.isoformat()))))
        else:
            if run_start and run_end and (longest is None or (run_end - run_start) > (longest[1] - longest[0])):
                longest = (run_start, run_end)
            run_start = run_end = None
    if run_start is not None:
        return AesiResult(Outcome.NOT_EVALUABLE, run_start, run_end,
                          Evidence((rule,), (), "qualifying values still present at the last assessment"))
    return AesiResult(Outcome.NOT_MET, longest[0] if longest else None, longest[1] if longest else None,
                      Evidence((rule,), (), "no run longer than the persistence period"))


def persistent_cytopenia(grades: Iterable[Grade], kind: Literal["thrombocytopenia", "neutropenia"],
                         params: AesiParams | None = None) -> AesiResult:
    """Grade 3–4 thrombocytopenia or neutropenia persisting >12 weeks (lab grades with dates)."""
    p = params or aesi_params()
    pts = [(g.date, None if g.grade is None else p.min_grade <= g.grade <= p.max_grade)
           for g in grades if g.date is not None]
    return _persistence(pts, p.persist_days, f"prodigy2.aesi.{kind}")


def persistent_creatinine_rise(values: Iterable[tuple[date, float | None]], *, baseline: float | None,
                               uln: float | None, params: AesiParams | None = None) -> AesiResult:
    """Creatinine >2 × baseline **and** >ULN persisting >12 weeks (all values in one unit)."""
    p = params or aesi_params()
    if baseline is None or uln is None:
        rule = load_criteria("prodigy2_aesi").rule("prodigy2.aesi.creatinine")
        return AesiResult(Outcome.NOT_EVALUABLE, None, None, Evidence((rule,), (), "baseline or ULN missing"))
    check: Callable[[float], bool] = lambda v: compare(v, ">", p.creatinine_baseline_factor * baseline) and compare(v, ">", uln)  # noqa: E731
    pts = [(d, None if v is None else check(v)) for d, v in values]
    return _persistence(pts, p.persist_days, "prodigy2.aesi.creatinine")


def _event(aes: Iterable[AdverseEvent], pred: Callable[[AdverseEvent], bool], rule_id: str) -> AesiResult:
    rule = load_criteria("prodigy2_aesi").rule(rule_id)
    hits = sorted((a for a in aes if pred(a)), key=lambda a: a.onset)
    if hits:
        return AesiResult(Outcome.MET, hits[0].onset, hits[0].onset, Evidence((rule,), (("term", hits[0].term),)))
    return AesiResult(Outcome.NOT_MET, None, None, Evidence((rule,)))


def febrile_neutropenia_g4(aes: Iterable[AdverseEvent], params: AesiParams | None = None) -> AesiResult:
    """Grade 4 febrile neutropenia among the recorded AEs (first onset)."""
    p = params or aesi_params()
    return _event(aes, lambda a: a.term.strip().lower() == "febrile neutropenia" and a.grade == p.event_grade,
                  "prodigy2.aesi.febrile_neutropenia")


def non_haematological_g4(aes: Iterable[AdverseEvent], params: AesiParams | None = None) -> AesiResult:
    """Grade 4 non-haematological toxicity among the recorded AEs (first onset)."""
    p = params or aesi_params()
    return _event(aes, lambda a: not a.haematological and a.grade == p.event_grade, "prodigy2.aesi.nonhaem_g4")
