"""The declarative condition language of protocol rules (no eval, no code in strings).

A :class:`Condition` is either a *leaf* — ``fact op value [unit]`` with an optional time
window, confirmation and conditional alternative thresholds — or a composition
(``any_of`` / ``all_of``) of conditions.  Thresholds are converted to the fact's canonical
unit when the file is loaded (see :mod:`lutetia.protocols.facts`).

Evaluation (by :mod:`lutetia.decide`) is three-valued: met / not met / not evaluable.
A missing input is never a pass.  ``all_of``: not met if any child is not met, else not
evaluable if any child is, else met.  ``any_of``: met if any child is met, else not
evaluable if any child is, else not met (Kleene logic).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lutetia.errors import UnitError
from lutetia.protocols.facts import (
    CTCAE_FACTS,
    DIMENSIONLESS_UNITS,
    SEQUENCE_FACTS,
    Fact,
    fact_spec,
)
from lutetia.units import to_unit

Comparator = Literal["<", "<=", ">", ">=", "==", "!=", "in", "is_true", "is_false"]
Scalar = float | int | str | bool
Status = Literal["verified", "to verify", "secondary", "project default"]


class Anchor(StrEnum):
    """Dates a window or schedule is measured from."""

    EVALUATION = "evaluation"  # the date the engine is asked about
    SCREENING = "screening"
    RANDOMISATION = "randomisation"
    TREATMENT_START = "treatment_start"  # (planned) first administration of this protocol
    CYCLE = "cycle"  # (planned) date of the cycle being decided
    LAST_ADMINISTRATION = "last_administration"
    END_OF_TREATMENT = "end_of_treatment"
    HOLIDAY_START = "holiday_start"
    FIRST_COURSE_LAST_INJECTION = "first_course_last_injection"


class Strict(BaseModel):
    """Base model: unknown keys are errors (a typo must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


def days_from(value: float, unit: str) -> float:
    """``value`` in ``unit`` (day, week, month...) as days; ``ValueError`` otherwise."""
    if unit in ("day", "days", "d"):
        return float(value)
    try:
        return to_unit(value, unit, "day")
    except UnitError as exc:
        raise ValueError(f"{unit!r} is not a time unit (use day, week or month)") from exc


class Window(Strict):
    """A time window ``[anchor - before, anchor + after]``; normalised to days at load.

    The engine uses the latest measurement of the fact inside the window; a fact with no
    measurement in the window is not evaluable.  ``month`` is the pint month
    (30.44 days).  A window the source does not state has ``status = "project default"``
    and a ``note`` saying where it comes from.
    """

    anchor: Anchor
    before: float = Field(default=0.0, ge=0)
    after: float = Field(default=0.0, ge=0)
    unit: str = "day"
    status: Status = Field(default="verified", description="'project default' where the source gives no window.")
    note: str | None = None

    @model_validator(mode="after")
    def _to_days(self) -> Window:
        if self.unit != "day":
            self.before = days_from(self.before, self.unit)
            self.after = days_from(self.after, self.unit)
            self.unit = "day"
        return self


class Alternative(Strict):
    """A replacement threshold that applies when ``when`` is met.

    Example: bilirubin ≤ 2×ULN, but ≤ 3×ULN ``when`` Gilbert's syndrome is true.  The
    engine first evaluates the leaf with its own threshold; if that is not met it
    evaluates ``when``: met → re-evaluate with this threshold; not evaluable → the
    criterion is not evaluable; not met → not met.
    """

    when: Condition
    value: Scalar | list[Scalar]
    unit: str | None = None


class Condition(Strict):
    """A leaf test over one fact, or an ``any_of`` / ``all_of`` composition."""

    fact: Fact | None = None
    op: Comparator | None = None
    value: Scalar | list[Scalar] | None = None
    unit: str | None = None
    terms: list[str] = Field(default_factory=list, description="CTCAE terms (ctcae facts)")
    soc: str | None = Field(default=None, description="CTCAE system organ class (ctcae facts)")
    window: Window | None = None
    interval_days_min: float | None = Field(default=None, ge=0)
    confirm_days_min: float | None = Field(
        default=None, ge=0,
        description="A later measurement at least this many days after must also satisfy it.")
    alternatives: list[Alternative] = Field(default_factory=list)
    any_of: list[Condition] | None = None
    all_of: list[Condition] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Condition:
        composed = [x for x in (self.any_of, self.all_of) if x is not None]
        if composed:
            if self.fact is not None or len(composed) > 1:
                raise ValueError("a condition is either a leaf (fact, op) or one of any_of / all_of")
            if not composed[0]:
                raise ValueError("any_of / all_of needs at least one condition")
            return self
        if self.fact is None or self.op is None:
            raise ValueError("a leaf condition needs 'fact' and 'op' (or use any_of / all_of)")
        self._check_leaf()
        self.value, self.unit = _normalise(self.fact, self.op, self.value, self.unit)
        for alt in self.alternatives:
            value, alt.unit = _normalise(self.fact, self.op, alt.value, alt.unit)
            if value is None:
                raise ValueError("an alternative needs a value")
            alt.value = value
        return self

    def _check_leaf(self) -> None:
        assert self.fact is not None
        if self.fact in CTCAE_FACTS and not (self.terms or self.soc):
            raise ValueError(f"fact {self.fact.value!r} needs 'terms' or 'soc'")
        if self.fact not in CTCAE_FACTS and (self.terms or self.soc):
            raise ValueError(f"'terms'/'soc' only apply to {sorted(f.value for f in CTCAE_FACTS)}")
        if self.interval_days_min is not None and self.fact not in SEQUENCE_FACTS:
            raise ValueError(
                f"'interval_days_min' only applies to {sorted(f.value for f in SEQUENCE_FACTS)}")

    def leaves(self) -> list[Condition]:
        """All leaf conditions (depth first), including those of alternatives."""
        if self.fact is not None:
            out = [self]
            for alt in self.alternatives:
                out.extend(alt.when.leaves())
            return out
        children = self.any_of or self.all_of or []
        return [leaf for child in children for leaf in child.leaves()]

    def facts(self) -> set[Fact]:
        """Every fact the condition reads."""
        return {leaf.fact for leaf in self.leaves() if leaf.fact is not None}


def _normalise(
    fact: Fact, op: str, value: Any, unit: str | None
) -> tuple[Scalar | list[Scalar] | None, str | None]:
    """Check ``value`` against the fact's type and convert it to the canonical unit."""
    spec = fact_spec(fact)
    if spec.type == "bool":
        if op not in ("is_true", "is_false"):
            raise ValueError(f"fact {fact.value!r} is yes/no: op must be 'is_true' or 'is_false'")
        if value is not None:
            raise ValueError("'is_true' / 'is_false' take no value")
        return None, None
    if op in ("is_true", "is_false"):
        raise ValueError(f"op {op!r} only applies to yes/no facts; {fact.value!r} is {spec.type}")
    if value is None:
        raise ValueError(f"op {op!r} needs a value")
    if op == "in" and not isinstance(value, list):
        raise ValueError("op 'in' needs a list value")
    if op != "in" and isinstance(value, list):
        raise ValueError(f"op {op!r} needs a single value, not a list")
    if spec.type == "category":
        for v in value if isinstance(value, list) else [value]:
            if v not in spec.categories:
                raise ValueError(f"{v!r} is not a value of {fact.value!r}; accepted: {list(spec.categories)}")
        return value, None
    if op in ("<", "<=", ">", ">=") and isinstance(value, list | str | bool):
        raise ValueError(f"op {op!r} needs a number")
    given = unit or spec.unit
    if isinstance(value, list):
        return [_convert(fact, v, given) for v in value], spec.unit
    return _convert(fact, value, given), spec.unit


def _convert(fact: Fact, value: Scalar, unit: str) -> float | int:
    spec = fact_spec(fact)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"fact {fact.value!r} needs a number, got {value!r}")
    if spec.type == "integer" and float(value) != int(value):
        raise ValueError(f"fact {fact.value!r} takes whole numbers, got {value!r}")
    if spec.unit in DIMENSIONLESS_UNITS:
        if unit not in (spec.unit, "percent" if spec.unit == "%" else spec.unit):
            raise ValueError(f"fact {fact.value!r} is in {spec.unit!r}; got unit {unit!r}")
        return value
    try:
        converted = to_unit(float(value), unit, spec.unit, analyte=spec.analyte)
    except UnitError as exc:
        raise ValueError(f"fact {fact.value!r} (canonical {spec.unit!r}): {exc}") from exc
    return round(converted, 9)


Alternative.model_rebuild()
Condition.model_rebuild()


def describe(condition: Condition) -> str:
    """A one-line human reading of ``condition`` (``ecog <= 2 [treatment_start -7 d]``)."""
    if condition.fact is None:
        joiner = " OR " if condition.any_of is not None else " AND "
        children = condition.any_of or condition.all_of or []
        return "(" + joiner.join(describe(c) for c in children) + ")"
    name = condition.fact.value
    if condition.terms or condition.soc:
        name += "[" + (", ".join(condition.terms) or f"SOC {condition.soc}") + "]"
    if condition.op in ("is_true", "is_false"):
        text = f"{name} is {'true' if condition.op == 'is_true' else 'false'}"
    else:
        hidden = ("category", "score", "count", "grade")
        unit = f" {condition.unit}" if condition.unit and condition.unit not in hidden else ""
        text = f"{name} {condition.op} {_fmt(condition.value)}{unit}"
    extras = []
    if condition.window is not None:
        w = condition.window
        default = " (project default)" if w.status == "project default" else ""
        if w.before == 0 and w.after == 0:
            extras.append(f"on the {w.anchor.value} date{default}")
        else:
            extras.append(f"within {w.anchor.value} -{_fmt(w.before)} d/+{_fmt(w.after)} d{default}")
    if condition.interval_days_min is not None:
        extras.append(f"rises >= {_fmt(condition.interval_days_min)} d apart")
    if condition.confirm_days_min is not None:
        extras.append(f"confirmed >= {_fmt(condition.confirm_days_min)} d later")
    for alt in condition.alternatives:
        extras.append(f"threshold {_fmt(alt.value)} when {describe(alt.when)}")
    return text + (" [" + "; ".join(extras) + "]" if extras else "")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)
