"""The activity of the next cycle: fixed, personalised (kidney dosimetry) or individualised.

* fixed — the nominal activity (× (1 − pct/100) per reduction), allowed range ± the
  tolerance;
* personalised — :func:`lutetia.physics.prescribe.next_activity` from the previous
  cycle's kidney Gy/GBq so that the cumulative kidney dose or BED reaches the limit over
  the remaining cycles, clamped to [A_min, A_max]; never below nominal (when
  ``floor_at_nominal``) unless a dose modification reduced it: a reduction scales the
  activity and both bounds by (1 − pct/100).  Missing dosimetry of the previous cycle →
  cannot decide;
* individualised — the physician's requested activity within [A_min, A_max] with the
  recorded reason for this cycle (criterion answer keyed by the activity rule id, dated
  after the previous administration) when required; a dose-modification reduction scales
  the requested activity and both bounds by (1 − pct/100) per reduction, as for the other
  modes (the protocol's reduction applies to whatever activity the physician chose).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lutetia.decide.dosimetry import KidneyCycle
from lutetia.decide.model import Context
from lutetia.physics.ledger import Ledger
from lutetia.physics.prescribe import Limit, next_activity
from lutetia.protocols import Activity


@dataclass(frozen=True)
class ActivityPlan:
    """Activity (GBq), allowed range, how it was derived, or what is missing."""

    activity_gbq: float | None
    range_gbq: tuple[float, float] | None
    derivation: str
    reasoning: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    curtail: bool = False
    probability_exceed: float | None = None


def _factor(pct: float, reductions: int) -> float:
    return (1.0 - pct / 100.0) ** reductions


def fixed_activity(rule: Activity, reductions: int, pct: float) -> ActivityPlan:
    assert rule.nominal is not None
    a = round(rule.nominal.value * _factor(pct, reductions), 4)
    tol = rule.tolerance_pct / 100.0
    how = f"fixed: nominal {rule.nominal.value:g} GBq ± {rule.tolerance_pct:g} %"
    if reductions:
        how += f", reduced {pct:g} % × {reductions}"
    return ActivityPlan(a, (a * (1 - tol), a * (1 + tol)), how)


def personalised_activity(rule: Activity, history: list[KidneyCycle], previous_cycle: int | None,
                          cycles_remaining: int, reductions: int, pct: float,
                          problems: dict[int, str] | None = None) -> ActivityPlan:
    """Solve the activity from the kidney ledger (see the module docstring)."""
    assert rule.nominal and rule.a_min and rule.a_max and rule.kidney_limit and rule.kidney_quantity
    f = _factor(pct, reductions)
    lo, hi = rule.a_min.value * f, rule.a_max.value * f
    if previous_cycle is None:
        a = rule.nominal.value * f
        return ActivityPlan(a, (lo, hi), f"personalised: first cycle at nominal {rule.nominal.value:g} GBq")
    if not history or history[-1].entry.cycle != previous_cycle:
        why = (problems or {}).get(previous_cycle, f"no post-therapy SPECT/CT dosimetry of cycle {previous_cycle}")
        return ActivityPlan(None, (lo, hi), "personalised", missing=(why,))
    ledger = Ledger.build([k.entry for k in history])
    last = history[-1]
    limit = Limit(rule.kidney_limit.value, rule.kidney_quantity, last.alpha_beta_gy, last.entry.g_factor or 0.0)
    p = next_activity(ledger, limit, cycles_remaining, rule.a_min.value, rule.a_max.value,
                      last.entry.relative_sigma)
    reasons = list(p.reasons)
    if p.decision == "curtail" or p.activity_gbq is None:
        if not rule.floor_at_nominal:
            return ActivityPlan(None, (lo, hi), "personalised", tuple(reasons), curtail=True,
                                probability_exceed=p.probability_exceed)
        reasons.append(f"floor_at_nominal: nominal {rule.nominal.value:g} GBq given (the arm has no kidney cap)")
        raw = rule.nominal.value
    else:
        raw = p.activity_gbq
    if rule.floor_at_nominal and raw < rule.nominal.value:
        reasons.append(f"raised to the nominal {rule.nominal.value:g} GBq (never below nominal)")
        raw = rule.nominal.value
    a = round(min(max(raw, rule.a_min.value), rule.a_max.value) * f, 4)
    if reductions:
        reasons.append(f"dose reduction {pct:g} % × {reductions}: {a:.3f} GBq")
    how = (f"personalised: kidney {rule.kidney_quantity} limit {rule.kidney_limit.value:g} "
           f"{rule.kidney_limit.unit} over {cycles_remaining} remaining cycle(s), "
           f"clamped to [{rule.a_min.value:g}, {rule.a_max.value:g}] GBq")
    return ActivityPlan(a, (lo, hi), how, tuple(reasons), probability_exceed=p.probability_exceed)


def individualised_activity(rule: Activity, ctx: Context, requested_gbq: float | None,
                            last_given: date | None = None, reductions: int = 0, pct: float = 0.0) -> ActivityPlan:
    """The physician's activity within the bounds, with a reason recorded for this cycle
    (an answer keyed by the activity rule id, dated after ``last_given``), reduced
    ``reductions`` times by ``pct`` %."""
    assert rule.a_min is not None and rule.a_max is not None
    bounds = (rule.a_min.value, rule.a_max.value)
    missing: list[str] = []
    if requested_gbq is None:
        missing.append(f"no physician-chosen activity (individualised within {bounds[0]:g}-{bounds[1]:g} GBq)")
    elif not bounds[0] <= requested_gbq <= bounds[1]:
        missing.append(f"requested {requested_gbq:g} GBq is outside the recorded bounds {bounds[0]:g}-{bounds[1]:g} GBq")
    answer = ctx.answer(rule.id, after=last_given)
    if rule.reason_required and (answer is None or not answer[0]):
        since = f" since {last_given}" if last_given else ""
        missing.append(f"no recorded reason for the individualised activity ({rule.id}){since}")
    if missing:
        return ActivityPlan(None, bounds, "individualised", missing=tuple(missing))
    assert requested_gbq is not None and (answer is not None or not rule.reason_required)
    reason = answer[1] if answer else "no reason required"
    how = f"individualised within {bounds[0]:g}-{bounds[1]:g} GBq: {reason}"
    if not reductions:
        return ActivityPlan(requested_gbq, bounds, how)
    f = _factor(pct, reductions)
    a = round(requested_gbq * f, 4)
    return ActivityPlan(a, (bounds[0] * f, bounds[1] * f), how,
                        (f"dose reduction {pct:g} % × {reductions} of the requested {requested_gbq:g} GBq: {a:.3f} GBq",))


__all__ = ["ActivityPlan", "fixed_activity", "individualised_activity", "personalised_activity"]
