"""Result types and the evaluation context of the decision engine.

Outcomes are three-valued (:class:`~lutetia.assess.outcome.Outcome`): met / not met /
not evaluable; a missing input is never a pass.  Every result is immutable and turns into
plain JSON (:func:`jsonable`) so that a decision can be stored with its inputs and
reproduced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any, Final

from lutetia.assess.outcome import Outcome
from lutetia.protocols import Anchor, Protocol, Window
from lutetia.records import PatientRecord

#: Look-back for measured facts (labs, ECOG) when the rule gives no window, in days.
#: Project default (no protocol states one): a value older than 28 days is not current.
DEFAULT_LOOKBACK_DAYS: Final[float] = 28.0

Scalar = float | int | str | bool


@dataclass(frozen=True)
class FactValue:
    """One fact derived from the record on a date.

    Attributes
    ----------
    fact : str
        Fact name (:class:`lutetia.protocols.Fact` value).
    value : float, int, str, bool or None
        In the fact's canonical unit; None when not evaluable.
    unit : str
        Canonical unit.
    on : date or None
        Date of the measurement that decided the value.
    source : str
        The record(s) that decided it (``labs platelets 2025-03-01 = 120 10^9/L``).
    missing : str
        Non-empty when not evaluable: what is missing.
    partial : bool
        ``value`` is a lower bound (some inputs of a maximum are missing).
    series : tuple of (date, float)
        Dated values in the window, oldest first (for confirmation).
    gaps : tuple of str
        What is missing when ``partial``.
    """

    fact: str
    value: Scalar | None
    unit: str
    on: date | None = None
    source: str = ""
    missing: str = ""
    partial: bool = False
    series: tuple[tuple[date, float], ...] = ()
    gaps: tuple[str, ...] = ()

    @property
    def evaluable(self) -> bool:
        return not self.missing and self.value is not None


@dataclass(frozen=True)
class Evaluation:
    """Three-valued result of a condition tree, with the facts it read."""

    outcome: Outcome
    description: str
    facts: tuple[FactValue, ...] = ()
    missing: tuple[str, ...] = ()
    note: str = ""
    children: tuple[Evaluation, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    """A protocol rule applied: id, verbatim text, citation and the evaluation."""

    rule_id: str
    text: str
    citation: str
    status: str
    outcome: Outcome
    kind: str = ""
    evaluation: Evaluation | None = None
    note: str = ""

    @property
    def missing(self) -> tuple[str, ...]:
        return self.evaluation.missing if self.evaluation is not None else ()


@dataclass(frozen=True)
class Context:
    """What facts are computed against: the record, the protocol, the date and anchors.

    ``anchors`` gives the date of each :class:`~lutetia.protocols.Anchor` that is known;
    a window on an unknown anchor makes its facts not evaluable.  ``baseline_date`` is the
    treatment baseline (first administration of the protocol); ``planned_cycle`` the
    planned date of the cycle being decided (for ``treatment_delay_days``).
    """

    record: PatientRecord
    protocol: Protocol
    on: date
    anchors: Mapping[Anchor, date] = field(default_factory=dict)
    lookback_days: float = DEFAULT_LOOKBACK_DAYS
    baseline_date: date | None = None
    planned_cycle: date | None = None

    def bounds(self, window: Window | None) -> tuple[date, date] | str:
        """``[start, end]`` of ``window`` (end never after ``on``), or what is missing."""
        if window is None:
            return self.on - timedelta(days=self.lookback_days), self.on
        anchor = self.on if window.anchor is Anchor.EVALUATION else self.anchors.get(window.anchor)
        if anchor is None:
            return f"the {window.anchor.value} date is not known"
        start = anchor - timedelta(days=window.before)
        end = min(anchor + timedelta(days=window.after), self.on)
        return start, end

    def answer(self, criterion_id: str, after: date | None = None) -> tuple[bool, str] | None:
        """The latest recorded answer to ``criterion_id`` on or before ``on`` (and, with
        ``after``, dated after that day), with its source."""
        answers = sorted((a for a in self.record.criterion_answers
                          if a.protocol_id == self.protocol.id and a.criterion_id == criterion_id
                          and a.answered_on <= self.on and (after is None or a.answered_on > after)),
                         key=lambda a: a.answered_on)
        if not answers:
            return None
        a = answers[-1]
        src = f"criterion_answers {criterion_id} {a.answered_on} by {a.answered_by}"
        return a.answer, src + (f": {a.note}" if a.note else "")


def anchors_for(record: PatientRecord, protocol: Protocol, on: date,
                extra: Mapping[Anchor, date] | None = None) -> dict[Anchor, date]:
    """Anchor dates known on ``on`` (treatment start = first administration, else ``on``)."""
    from lutetia.decide.history import protocol_administrations

    out: dict[Anchor, date] = {Anchor.EVALUATION: on, Anchor.SCREENING: on, Anchor.CYCLE: on}
    given = [a for a in protocol_administrations(record, protocol.id) if a.administered_at.date() <= on]
    out[Anchor.TREATMENT_START] = given[0].administered_at.date() if given else on
    if given:
        out[Anchor.LAST_ADMINISTRATION] = given[-1].administered_at.date()
    enrol = [e for e in record.enrolments if e.protocol_id == protocol.id]
    if enrol and enrol[0].randomised_on is not None:
        out[Anchor.RANDOMISATION] = enrol[0].randomised_on
    from lutetia.decide.history import first_course

    course = first_course(record)
    if course is not None and course.last_injection_date is not None:
        out[Anchor.FIRST_COURSE_LAST_INJECTION] = course.last_injection_date
    out.update(extra or {})
    return out


_PLAIN = (str, int, bool, type(None))


@lru_cache(maxsize=256)
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type, in order (None: not a dataclass)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def jsonable(value: Any) -> Any:
    """Plain JSON data of a result (dataclasses, enums, dates, tuples)."""
    if type(value) in _PLAIN:  # the common leaves first (exact types: an enum is not plain)
        return value
    if type(value) is float:
        return "inf" if value == float("inf") else value
    names = _field_names(type(value))  # type: ignore[arg-type]
    if names is not None:
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and value == float("inf"):
        return "inf"
    return value


__all__ = ["DEFAULT_LOOKBACK_DAYS", "Context", "Evaluation", "FactValue", "Outcome", "RuleResult",
           "anchors_for", "jsonable"]
