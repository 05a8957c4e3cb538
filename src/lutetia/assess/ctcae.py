"""CTCAE laboratory grading: one generic engine over the criteria data (``ctcae_v5.toml``).

The engine converts the value (and LLN, ULN, baseline, which share its unit) to the term's
unit through :func:`lutetia.units.to_unit`, then tests the grades from the highest down;
the first grade with a condition that holds wins.  A condition whose reference (LLN, ULN,
baseline, baseline indicator) is missing is *unknown*: the grade found is still reported
when a lower grade's condition holds (e.g. creatinine grade 3 from baseline without ULN,
admiral's reading), but grade 0 or a grade resting on missing data is never assigned —
the result is "not gradable" with the reason.

References
----------
1. NCI. Common Terminology Criteria for Adverse Events v5.0, 2017.
2. pharmaverse admiral, ``derive_var_atoxgr_dir`` and ``data-raw/adlb_grading/ncictcaev5.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lutetia.assess.criteria import (
    Comparator,
    CriteriaFile,
    Status,
    Strict,
    compare,
    compare_array,
    load_criteria,
)
from lutetia.assess.outcome import RuleRef
from lutetia.errors import ProtocolError, UnitError
from lutetia.units import display_unit, same_unit, to_unit

BaselineIndicator = Literal["LOW", "NORMAL", "HIGH"]
Direction = Literal["low", "high"]


class Condition(Strict):
    """``value <comparator> threshold`` or ``value <comparator> factor × of``."""

    comparator: Comparator
    threshold: float | None = None
    factor: float | None = None
    of: Literal["lln", "uln", "baseline"] | None = None
    when_baseline: Literal["normal", "abnormal"] | None = None
    if_available: bool = False
    thresholds_by_unit: dict[str, float] = {}


class GradeRule(Strict):
    grade: int
    any: list[Condition]


class TermText(Strict):
    grade1: str
    grade2: str
    grade3: str
    grade4: str


class Term(Strict):
    """One CTCAE term: verbatim text, unit(s) and the machine form of each grade."""

    id: str
    term: str
    aliases: list[str]
    direction: Direction
    units: list[str]
    analyte: str | None = None
    requires: list[Literal["lln", "uln", "baseline"]]
    citation: str
    status: Status
    text: TermText
    grades: list[GradeRule]


@dataclass(frozen=True)
class LabValue:
    """A laboratory value to grade; ``lln``, ``uln`` and ``baseline`` share ``unit``."""

    term: str
    value: float | None
    unit: str | None
    lln: float | None = None
    uln: float | None = None
    baseline: float | None = None
    baseline_indicator: BaselineIndicator | None = None
    date: date | None = None


@dataclass(frozen=True)
class Grade:
    """A CTCAE grade (``None`` = not gradable, with ``reason``)."""

    term: str
    grade: int | None
    direction: Direction | None
    reason: str
    rule: RuleRef | None
    value: float | None = None
    unit: str | None = None
    date: date | None = None

    @property
    def gradable(self) -> bool:
        return self.grade is not None


@lru_cache(maxsize=4)
def _terms(version: str) -> tuple[CriteriaFile, tuple[Term, ...]]:
    if version not in ("5.0", "5"):
        raise ProtocolError(f"CTCAE version {version!r} is not shipped; accepted: 5.0")
    crit = load_criteria("ctcae_v5")
    raw = crit.section("terms")
    if not isinstance(raw, list):
        raise ProtocolError("ctcae_v5: [[terms]] must be a list")
    terms = tuple(_validate_term(crit, item) for item in raw)
    for t in terms:
        if any(g.grade not in (1, 2, 3, 4) for g in t.grades):
            raise ProtocolError(f"ctcae_v5: {t.id}: grades must be 1-4 (grade 5 is never computed)")
    return crit, terms


def _validate_term(crit: CriteriaFile, item: object) -> Term:
    from pydantic import ValidationError

    try:
        term = Term.model_validate(item)
    except ValidationError as exc:
        raise ProtocolError(f"{crit.meta.id}: invalid term: {exc}") from exc
    for g in term.grades:
        for c in g.any:
            if (c.threshold is None) == (c.of is None):
                raise ProtocolError(f"{term.id}: grade {g.grade}: give either threshold or factor/of")
    return term


def ctcae_terms(ctcae_version: str = "5.0") -> tuple[Term, ...]:
    """The gradable laboratory terms of a CTCAE version."""
    return _terms(ctcae_version)[1]


def find_term(name: str, ctcae_version: str = "5.0") -> Term | None:
    """The term whose name, id or alias matches ``name`` (case-insensitive), else None."""
    key = name.strip().lower()
    for t in ctcae_terms(ctcae_version):
        if key in (t.term.lower(), t.id.lower(), t.id.split(".")[-1]) or key in t.aliases:
            return t
    return None


def _not_gradable(lab: LabValue, reason: str, term: Term | None = None) -> Grade:
    return Grade(
        term=term.term if term else lab.term, grade=None,
        direction=term.direction if term else None, reason=reason,
        rule=_ref(term) if term else None, value=lab.value, unit=lab.unit, date=lab.date,
    )


def _ref(term: Term) -> RuleRef:
    text = "; ".join(f"Grade {i}: {getattr(term.text, f'grade{i}')}" for i in (1, 2, 3, 4))
    return RuleRef(id=term.id, text=f"{term.term}. {text}", citation=term.citation, status=term.status)


def _convert(lab: LabValue, term: Term) -> tuple[str, dict[str, float | None]] | str:
    """Convert value and references to the first of the term's units that fits."""
    assert lab.unit is not None and lab.value is not None
    for target in term.units:
        try:
            conv = {
                name: None if v is None else to_unit(v, lab.unit, target, analyte=term.analyte)
                for name, v in (("value", lab.value), ("lln", lab.lln), ("uln", lab.uln),
                                ("baseline", lab.baseline))
            }
        except UnitError:
            continue
        return target, conv
    return f"unit {lab.unit!r} does not convert to {' or '.join(display_unit(u) for u in term.units)}"


def _own_unit_threshold(c: Condition, unit: str) -> float | None:
    """CTCAE's cut-off written in the reporting unit itself, if the term gives one."""
    for name, value in c.thresholds_by_unit.items():
        try:
            if same_unit(name, unit):
                return value
        except UnitError:
            continue
    return None


def _holds(c: Condition, vals: dict[str, float | None], ind: BaselineIndicator | None,
           raw: tuple[float, str] | None = None) -> bool | None:
    """True/False, or None when an input the condition needs is missing."""
    if c.when_baseline is not None:
        if ind is None:
            return None
        abnormal = ind == "HIGH"
        if (c.when_baseline == "abnormal") != abnormal:
            return False
    value = vals["value"]
    assert value is not None
    if c.threshold is not None:
        own = _own_unit_threshold(c, raw[1]) if raw is not None else None
        if own is not None and raw is not None:
            return compare(raw[0], c.comparator, own)
        return compare(value, c.comparator, c.threshold)
    assert c.of is not None and c.factor is not None
    ref = vals[c.of]
    if ref is None:
        return False if c.if_available else None
    return compare(value, c.comparator, c.factor * ref)


def ctcae_grade(lab: LabValue, ctcae_version: str = "5.0") -> Grade:
    """Grade one laboratory value with CTCAE.

    Parameters
    ----------
    lab
        The value with its unit; LLN, ULN and baseline in the same unit; baseline
        indicator LOW/NORMAL/HIGH (needed by terms with "if baseline was abnormal").
    ctcae_version
        Only ``"5.0"`` is shipped.

    Returns
    -------
    Grade
        Grade 0–4, or ``grade=None`` with the reason (unknown term, missing value, unit,
        LLN/ULN/baseline/indicator).  Grade 5 is never computed from a lab value.
    """
    return _ctcae_grade(lab, ctcae_version)


@lru_cache(maxsize=1 << 16)
def _ctcae_grade(lab: LabValue, ctcae_version: str) -> Grade:
    """:func:`ctcae_grade`, memoised: a pure function of a frozen input (the record-level
    engine grades the same stored value again at every later decision point)."""
    term = find_term(lab.term, ctcae_version)
    if term is None:
        names = ", ".join(t.term for t in ctcae_terms(ctcae_version))
        return _not_gradable(lab, f"term {lab.term!r} is not a gradable CTCAE laboratory term; accepted: {names}")
    if lab.value is None:
        return _not_gradable(lab, "value missing", term)
    if not lab.unit:
        return _not_gradable(lab, f"unit missing; accepted: {', '.join(display_unit(u) for u in term.units)}", term)
    converted = _convert(lab, term)
    if isinstance(converted, str):
        return _not_gradable(lab, converted, term)
    unit, vals = converted
    missing_required = [r.upper() for r in term.requires if vals[r] is None]
    if missing_required:
        return _not_gradable(lab, f"{', '.join(missing_required)} missing", term)
    uses_indicator = any(c.when_baseline for g in term.grades for c in g.any)
    if uses_indicator and lab.baseline_indicator is None:
        return _not_gradable(
            lab, "baseline indicator missing (LOW/NORMAL/HIGH): needed to choose the ×ULN "
            "(baseline normal) or ×baseline (baseline abnormal) branch", term)
    if uses_indicator and lab.baseline_indicator == "HIGH" and vals["baseline"] is None:
        return _not_gradable(lab, "baseline value missing while baseline indicator is HIGH", term)
    unknown: list[str] = []
    for rule in sorted(term.grades, key=lambda g: -g.grade):
        raw = (lab.value, lab.unit)
        results = [_holds(c, vals, lab.baseline_indicator, raw) for c in rule.any]
        if any(r is True for r in results):
            note = f"; not assessable: {', '.join(unknown)}" if unknown else ""
            return Grade(term.term, rule.grade, term.direction, f"grade {rule.grade}{note}",
                         _ref(term), vals["value"], unit, lab.date)
        for c, r in zip(rule.any, results, strict=True):
            if r is None and f"grade {rule.grade} needs {_needs(c)}" not in unknown:
                unknown.append(f"grade {rule.grade} needs {_needs(c)}")
    if unknown:
        return _not_gradable(lab, "; ".join(unknown), term)
    return Grade(term.term, 0, term.direction, "no grade criterion met", _ref(term),
                 vals["value"], unit, lab.date)


def ctcae_grade_array(term: str, values: ArrayLike, *, lln: ArrayLike | None = None,
                      uln: ArrayLike | None = None, ctcae_version: str = "5.0") -> NDArray[np.int64]:
    """:func:`ctcae_grade` over a cohort: grades of ``values`` already in the term's first unit.

    The same data (``ctcae_v5.toml``) and comparator (:func:`~lutetia.assess.criteria.compare_array`,
    identical to the scalar one) walked in the same order: the highest grade whose condition
    holds; ``-1`` where the value is missing (NaN) or no grade holds while a condition lacked
    its LLN/ULN (not gradable, as the scalar form says).  Terms that need a baseline value or
    indicator are not offered here (:class:`ProtocolError`).
    """
    t = find_term(term, ctcae_version)
    if t is None:
        raise ProtocolError(f"CTCAE term {term!r} is not gradable; accepted: "
                            + ", ".join(x.term for x in ctcae_terms(ctcae_version)))
    v = np.asarray(values, dtype=np.float64)
    refs = {"lln": None if lln is None else np.broadcast_to(np.asarray(lln, dtype=np.float64), v.shape),
            "uln": None if uln is None else np.broadcast_to(np.asarray(uln, dtype=np.float64), v.shape)}
    grade = np.full(v.shape, -1, dtype=np.int64)
    unknown = np.zeros(v.shape, dtype=bool)
    for rule in sorted(t.grades, key=lambda g: -g.grade):
        holds = np.zeros(v.shape, dtype=bool)
        for c in rule.any:
            if c.when_baseline is not None or c.of == "baseline":
                raise ProtocolError(f"{t.id}: grade {rule.grade} needs a baseline: grade it with ctcae_grade")
            if c.threshold is not None:
                holds |= compare_array(v, c.comparator, c.threshold)
                continue
            assert c.of is not None and c.factor is not None
            ref = refs[c.of]
            if ref is None:
                unknown |= not c.if_available
                continue
            ok = np.isfinite(ref)
            holds |= ok & compare_array(v, c.comparator, c.factor * np.where(ok, ref, 0.0))
            unknown |= ~ok & (not c.if_available)
        grade = np.where((grade < 0) & holds, rule.grade, grade)
    grade = np.where((grade < 0) & ~unknown, 0, grade)
    return np.where(np.isfinite(v), grade, -1)


def _needs(c: Condition) -> str:
    return (c.of or "value").upper()


def worst_grade(grades: Iterable[Grade], start: date | None = None, end: date | None = None) -> Grade | None:
    """The worst gradable grade within ``[start, end]`` (dates inclusive); ties → earliest.

    Returns None when no value in the period was gradable.
    """
    best: Grade | None = None
    for g in grades:
        if g.grade is None:
            continue
        if g.date is not None and ((start and g.date < start) or (end and g.date > end)):
            continue
        if best is None or best.grade is None or g.grade > best.grade or (
            g.grade == best.grade and g.date is not None and best.date is not None and g.date < best.date
        ):
            best = g
    return best


def shift_table(pairs: Sequence[tuple[int | None, int | None]]) -> dict[tuple[str, str], int]:
    """Baseline grade × worst post-baseline grade counts (``"NG"`` = not gradable/missing).

    Parameters
    ----------
    pairs
        One ``(baseline_grade, worst_post_baseline_grade)`` per subject.
    """
    table: dict[tuple[str, str], int] = {}
    for base, post in pairs:
        key = ("NG" if base is None else str(base), "NG" if post is None else str(post))
        table[key] = table.get(key, 0) + 1
    return table
