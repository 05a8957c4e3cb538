"""PSA facts: consecutive rises, decline from the treatment baseline, and the protocol's
own PSA progression definition (:class:`lutetia.protocols.schema.PsaProgression`).

Notes
-----
Consecutive rises follow :func:`lutetia.assess.consecutive_rises`: walking back from the
latest value, samples closer than ``interval_days_min`` to the next kept one are skipped;
the run ends at the first value that is not lower.  Progression: a value rising ``op``
``rise_pct`` % **and** ``op`` ``rise_ng_ml`` above the reference (the lowest value so
far, baseline included, for ``nadir``; the baseline for ``baseline``), confirmed by the
first value at least ``confirm_days_min`` later that still qualifies (PCWG3 [1]).

References
----------
1. Scher HI et al. Trial design and objectives for castration-resistant prostate cancer:
   updated recommendations from the PCWG3. J Clin Oncol 2016;34:1402.
   doi:10.1200/JCO.2015.64.2702
"""

from __future__ import annotations

from datetime import date

from lutetia.assess.outcome import Outcome
from lutetia.assess.psa import PsaSample, psa_progression
from lutetia.decide.model import Context, FactValue
from lutetia.protocols import Condition


def _series(ctx: Context) -> list[tuple[date, float]]:
    return [(d, v) for d, v in ctx.record.psa_series() if d <= ctx.on]


def psa_rises_fact(ctx: Context, leaf: Condition, *, after: date | None = None) -> FactValue:
    """Length of the latest run of consecutive rises (``interval_days_min`` apart).

    With ``after``, only rises to values sampled after that date count: the run stops at
    the first value on or before it (the value the first counted rise is measured from).
    """
    pts = _series(ctx)
    if after is not None and not any(d > after for d, _ in pts):
        return FactValue("psa_rises_consecutive", None, "count", missing=f"no PSA after {after} by {ctx.on}")
    if len(pts) < 2:
        return FactValue("psa_rises_consecutive", None, "count", missing=f"fewer than two PSA values by {ctx.on}")
    gap = leaf.interval_days_min or 0.0
    chain = [pts[-1]]
    for d, v in reversed(pts[:-1]):
        if (chain[-1][0] - d).days < gap:
            continue
        if v < chain[-1][1]:
            chain.append((d, v))
            if after is not None and d <= after:
                break
        else:
            break
    rises = len(chain) - 1
    src = "PSA " + " → ".join(f"{d} {v:g}" for d, v in reversed(chain))
    return FactValue("psa_rises_consecutive", rises, "count", chain[0][0], src)


def _baseline(ctx: Context) -> tuple[date, float] | None:
    start = ctx.baseline_date or ctx.on
    before = [p for p in _series(ctx) if p[0] <= start]
    return before[-1] if before else None


def psa_decline_fact(ctx: Context, leaf: Condition) -> FactValue:
    """% decline of PSA from the treatment baseline (positive = fall), latest value."""
    base = _baseline(ctx)
    if base is None or base[1] <= 0:
        return FactValue("psa_decline_from_baseline_pct", None, "%", missing="no baseline PSA before treatment start")
    after = [p for p in _series(ctx) if p[0] > base[0]]
    if not after:
        return FactValue("psa_decline_from_baseline_pct", None, "%", missing=f"no PSA after the baseline of {base[0]}")
    series = tuple((d, (base[1] - v) / base[1] * 100.0) for d, v in after)
    last = after[-1]
    return FactValue("psa_decline_from_baseline_pct", series[-1][1], "%", last[0],
                     f"PSA {last[0]} {last[1]:g} vs baseline {base[0]} {base[1]:g} ng/mL", series=series)


def psa_progression_fact(ctx: Context, leaf: Condition) -> FactValue:
    """The protocol's PSA progression since the treatment baseline, read by the one kernel
    (:func:`lutetia.assess.psa.psa_progression` with the protocol's ``[psa_progression]``)."""
    definition = ctx.protocol.psa_progression
    if definition is None:
        return FactValue("psa_progression", None, "category",
                         missing=f"protocol {ctx.protocol.id} defines no PSA progression")
    start = ctx.baseline_date or ctx.on
    samples = [PsaSample(d, v) for d, v in _series(ctx)]
    rule = definition.rule()
    res = psa_progression(samples, start, rule=rule)
    if res.outcome is Outcome.NOT_EVALUABLE and res.event_date is None:
        return FactValue("psa_progression", None, "category", missing="no baseline PSA before treatment start")
    if res.outcome is Outcome.NOT_EVALUABLE:
        return FactValue("psa_progression", None, "category",
                         missing=f"PSA rise of {res.event_date} awaits confirmation {rule.confirm_days:g} days later")
    inputs = dict(res.evidence.inputs)
    if res.outcome is Outcome.MET:
        assert res.event_date is not None
        return FactValue("psa_progression", True, "category", res.event_date,
                         f"PSA {res.event_date} {inputs.get('rise_ng_ml')} vs reference "
                         f"{inputs.get('reference_ng_ml')} ng/mL ({rule.describe()})")
    post = [s.date for s in samples if s.date > start]
    base = [s.date for s in samples if s.date <= start]
    return FactValue("psa_progression", False, "category", post[-1] if post else base[-1],
                     f"no confirmed PSA progression since {base[-1]} ({rule.describe()})")
