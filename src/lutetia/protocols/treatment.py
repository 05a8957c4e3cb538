"""Treatment, dose-modification, holiday, schedule and endpoint rules of a protocol.

Every numeric field that a protocol does not state is a :class:`Param` whose ``status``
is ``"project default"`` and whose ``note`` says where the number comes from — never an
invented clinical threshold presented as fact.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lutetia.assess.psa_kernel import ProgressionRule
from lutetia.errors import UnitError
from lutetia.protocols.conditions import Anchor, Condition, Status, Strict, days_from
from lutetia.units import to_unit

SourceKind = Literal["seed", "label", "guideline", "project"]


class Rule(Strict):
    """Common fields of every rule: stable id, verbatim source text and citation.

    ``seed`` names the study text in ``shared/seeds`` (``"001"``) that ``text`` is quoted
    from verbatim; rules from the label or a guideline cite it in ``citation`` instead.
    """

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    text: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    seed: str | None = Field(default=None, pattern=r"^\d{3}$")
    status: Status = "verified"
    note: str | None = None
    defined_in: str | None = Field(
        default=None, description="Protocol id whose file defines the rule (set by the loader).")


class Param(Strict):
    """A named numeric parameter with unit, converted to ``canonical`` at load.

    ``unit`` is converted to the canonical unit given by the field that holds the
    parameter (GBq for activity, Gy or Gy_BED for kidney limits).
    """

    value: float
    unit: str
    status: Status = "verified"
    note: str | None = None

    def to(self, unit: str) -> float:
        """The value in ``unit`` (``UnitError`` on a wrong dimension)."""
        return to_unit(self.value, self.unit, unit)


def _check_unit(param: Param | None, canonical: tuple[str, ...], name: str) -> None:
    if param is None:
        return
    for target in canonical:
        try:
            param.value = round(param.to(target), 9)
            param.unit = target
            return
        except UnitError:
            continue
    raise ValueError(f"{name}: unit {param.unit!r} is not one of {list(canonical)}")


class Activity(Rule):
    """How the activity of each cycle is set.

    ``mode``:
      * ``fixed`` — ``nominal`` ± ``tolerance_pct``;
      * ``personalised`` — solved by :mod:`lutetia.physics` so that the cumulative kidney
        ``kidney_quantity`` (``dose`` in Gy or ``bed`` in Gy_BED) reaches ``kidney_limit``
        over the remaining planned cycles, using the previous cycle's kidney Gy/GBq;
        clamped to [``a_min``, ``a_max``]; never below ``nominal`` unless a dose
        modification reduced it (``floor_at_nominal``);
      * ``individualised`` — the physician chooses within [``a_min``, ``a_max``]; a
        recorded reason is required when ``reason_required``.
    """

    mode: Literal["fixed", "personalised", "individualised"]
    nominal: Param | None = None
    tolerance_pct: float = Field(default=10.0, ge=0, le=100)
    kidney_quantity: Literal["dose", "bed"] | None = None
    kidney_limit: Param | None = None
    a_min: Param | None = None
    a_max: Param | None = None
    floor_at_nominal: bool = False
    reason_required: bool = False

    @model_validator(mode="after")
    def _check(self) -> Activity:
        for name in ("nominal", "a_min", "a_max"):
            _check_unit(getattr(self, name), ("GBq",), name)
        if self.mode == "fixed" and self.nominal is None:
            raise ValueError("mode 'fixed' needs 'nominal'")
        if self.mode == "personalised":
            missing = [n for n in ("nominal", "kidney_quantity", "kidney_limit", "a_min", "a_max")
                       if getattr(self, n) is None]
            if missing:
                raise ValueError(f"mode 'personalised' needs {missing}")
            target = "Gy" if self.kidney_quantity == "dose" else "Gy_BED"
            _check_unit(self.kidney_limit, (target,), "kidney_limit")
        if self.mode == "individualised" and (self.a_min is None or self.a_max is None):
            raise ValueError("mode 'individualised' needs 'a_min' and 'a_max'")
        if self.a_min and self.a_max and self.a_min.value > self.a_max.value:
            raise ValueError("a_min must not exceed a_max")
        return self


class Interval(Rule):
    """Time between cycles: ``weeks`` ± ``window_weeks``."""

    weeks: float = Field(gt=0)
    window_weeks: float = Field(default=0.0, ge=0)


class Cycles(Rule):
    """Number of cycles: at most ``max``, at least ``min`` planned (if given)."""

    max: int = Field(ge=1)
    min: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Cycles:
        if self.min is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Reduction(Rule):
    """A dose reduction: ``pct`` below the current activity, at most ``max_reductions``."""

    pct: float = Field(gt=0, lt=100)
    max_reductions: int = Field(ge=0)


class KidneyCap(Rule):
    """Cumulative kidney limit; ``curtail`` = plan fewer cycles so it is not exceeded."""

    quantity: Literal["dose", "bed"]
    limit: Param
    action: Literal["curtail", "stop"]

    @model_validator(mode="after")
    def _check(self) -> KidneyCap:
        _check_unit(self.limit, ("Gy" if self.quantity == "dose" else "Gy_BED",), "limit")
        return self


class Surveillance(Strict):
    """What is done during a holiday: imaging every ``every_weeks`` plus PSA."""

    every_weeks: float = Field(gt=0)
    imaging: str = Field(min_length=1)
    response_criteria: str = Field(min_length=1)
    psa: bool = True


class Holiday(Rule):
    """Treatment holidays for exceptional responders and resumption on progression.

    The engine starts a holiday after a cycle when ``enter`` is met, keeps surveillance,
    and resumes treatment when ``resume`` is met; on resumption the comparison baseline
    is ``resume_baseline`` (``cycle1_spect``).  Cycles given before and after the
    holiday count together against the arm's ``cycles.max`` and the kidney cap.
    """

    enter: Condition
    enter_status: Status
    enter_note: str
    surveillance: Surveillance
    resume: Condition
    resume_baseline: Literal["cycle1_spect", "last_spect"] = "cycle1_spect"
    resume_status: Status = "verified"
    resume_note: str | None = None


#: Progression kinds a record can carry (:class:`lutetia.records.ProgressionKind`).
ProgressionKindName = Literal["psa", "radiographic_soft_tissue", "radiographic_bone", "radiographic", "clinical",
                              "investigator"]


class ProgressionStop(Rule):
    """Treatment stops at a recorded progression of one of ``kinds`` after treatment start
    (outside treatment holidays, where the holiday's ``resume`` rule applies)."""

    kinds: list[ProgressionKindName] = Field(min_length=1)


class Treatment(Strict):
    """The treatment of one arm (merged over the inherited label at load)."""

    activity: Activity
    interval: Interval
    cycles: Cycles
    reduction: Reduction | None = None
    kidney_cap: KidneyCap | None = None
    holiday: Holiday | None = None
    progression_stop: ProgressionStop | None = None


class Action(Strict):
    """What a dose-modification rule does when its trigger is met."""

    withhold: bool = False
    until: Condition | None = None
    reduce: Literal["no", "yes", "consider"] = "no"
    discontinue: Literal["no", "yes", "consider"] = "no"

    @model_validator(mode="after")
    def _check(self) -> Action:
        if self.until is not None and not self.withhold:
            raise ValueError("'until' only applies when 'withhold' is true")
        if not (self.withhold or self.reduce != "no" or self.discontinue != "no"):
            raise ValueError("an action must withhold, reduce or discontinue")
        return self


class Modification(Rule):
    """A dose-modification row: trigger → action.

    ``applies`` is ``any`` (every occurrence), ``first`` (only before any reduction for
    this rule family), ``after_reduction`` (a recurrence after one reduction) or
    ``before_first_dose`` (read at cycle 1 only: the pre-treatment check; the others are read
    from cycle 2 on).
    ``family`` groups rows of the same toxicity (``myelosuppression``).
    """

    family: str = Field(min_length=1)
    trigger: Condition
    applies: Literal["any", "first", "after_reduction", "before_first_dose"] = "any"
    action: Action


class Visit(Rule):
    """A scheduled visit, assessment or follow-up period.

    A visit falls at ``anchor`` + ``offset`` and then every ``every`` until ``until``
    after the anchor (without ``every``: once).  It is due only while the patient is in
    ``phase``.  ``window`` is the tolerance either side (``window_before`` overrides the
    lower side, e.g. labs "before each cycle"); ``window_status`` says whether the
    tolerance is from the source or a project default.  ``period = true`` marks a
    follow-up *period* (from offset to until) rather than dated visits.  All times are
    normalised to days at load (``unit`` day, week or month; a month is 30.44 days).
    """

    phase: Literal["screening", "treatment", "holiday", "follow_up"]
    items: list[str] = Field(min_length=1)
    anchor: Anchor
    offset: float = 0.0
    every: float | None = Field(default=None, gt=0)
    until: float | None = Field(default=None, gt=0)
    window: float = Field(default=0.0, ge=0)
    window_before: float | None = Field(default=None, ge=0)
    window_status: Status = "verified"
    period: bool = False
    unit: str = "day"

    @model_validator(mode="after")
    def _to_days(self) -> Visit:
        if self.period and self.until is None:
            raise ValueError("a follow-up period needs 'until'")
        if self.unit != "day":
            for name in ("offset", "every", "until", "window", "window_before"):
                value = getattr(self, name)
                if value is not None:
                    setattr(self, name, round(days_from(value, self.unit), 6))
            self.unit = "day"
        return self


class PsaProgression(Strict):
    """PSA progression: rise ``op`` ``rise_pct`` **and** ``op`` ``rise_ng_ml`` above the
    ``reference``, confirmed by a value ≥ ``confirm_days_min`` later.  ``op`` is data
    because protocols differ (PRODIGY-2 ``>``, PCWG3 ``>=``)."""

    op: Literal[">", ">="]
    rise_pct: float = Field(ge=0)
    rise_ng_ml: float | None = Field(default=None, ge=0)
    reference: Literal["nadir", "baseline"]
    confirm_days_min: float | None = Field(default=None, ge=0)
    no_decline_min_days: float = Field(default=0.0, ge=0)
    status: Status = "verified"
    note: str | None = None

    def rule(self) -> ProgressionRule:
        """These parameters for the one PSA progression kernel (:mod:`lutetia.assess.psa_kernel`)."""
        return ProgressionRule(self.rise_pct, self.rise_ng_ml or 0.0, self.op, self.reference,
                               self.confirm_days_min or 0.0, self.no_decline_min_days)


class Endpoint(Rule):
    """An endpoint definition for :mod:`lutetia.analysis`.

    ``origin`` is where time starts; ``events`` and ``censoring`` name record events
    (``death``, ``psa_progression``, ``radiological_progression``,
    ``next_anticancer_treatment``, ``last_visit``...); ``horizon_weeks`` bounds the
    observation (best PSA within 52 weeks); ``stop_at`` lists events that end the
    observation window early.
    """

    kind: Literal["time_to_event", "best_change", "rate", "category", "count", "score_change"]
    origin: Anchor
    events: list[str] = Field(default_factory=list)
    censoring: list[str] = Field(default_factory=list)
    stop_at: list[str] = Field(default_factory=list)
    horizon_weeks: float | None = Field(default=None, gt=0)
    landmark_months: float | None = Field(default=None, gt=0)
    psa_progression: PsaProgression | None = None
    categories: dict[str, str] = Field(default_factory=dict)
    primary: bool = False
    name: str | None = Field(default=None, min_length=1, description="Short name shown in reports and datasets.")
    derive: Literal["subacute_aesi", "adverse_events", "laboratory_adverse_events", "delayed_aesi",
                    "fdg_response"] | None = Field(
        default=None, description="The analysis derivation (lutetia.analysis.safety, lutetia.analysis.responses).")
    window_days: float | None = Field(
        default=None, ge=0, description="Analysis tolerance (± days) around the endpoint's time point.")
    window_status: Status = "verified"
    window_note: str | None = None
    ae_terms: dict[str, list[str]] = Field(
        default_factory=dict, description="Category -> CTCAE terms of the recorded AEs that establish it.")
    ae_terms_status: Status = "verified"
    ae_terms_note: str | None = None

    @property
    def label(self) -> str:
        """The name reports and datasets show (``name``, else the id's last part in words)."""
        if self.name:
            return self.name
        return self.id.rsplit(".", 1)[-1].replace("-", " ").replace("_", " ")
