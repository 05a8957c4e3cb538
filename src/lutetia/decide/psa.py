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

from lutetia.decide.model import Context, FactValue
from lutetia.protocols import Condition
from lutetia.protocols.schema import PsaProgression


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


def _qualifies(value: float, ref: float, rule: PsaProgression) -> bool:
    rise = value - ref
    pct = rise / ref * 100.0 if ref > 0 else float("inf")
    ok_pct = pct >= rule.rise_pct if rule.op == ">=" else pct > rule.rise_pct
    if rule.rise_ng_ml is None:
        return ok_pct
    return ok_pct and (rise >= rule.rise_ng_ml if rule.op == ">=" else rise > rule.rise_ng_ml)


def psa_progression_fact(ctx: Context, leaf: Condition) -> FactValue:
    """The protocol's PSA progression since the treatment baseline (see Notes)."""
    rule = ctx.protocol.psa_progression
    if rule is None:
        return FactValue("psa_progression", None, "category",
                         missing=f"protocol {ctx.protocol.id} defines no PSA progression")
    base = _baseline(ctx)
    if base is None:
        return FactValue("psa_progression", None, "category", missing="no baseline PSA before treatment start")
    post = [p for p in _series(ctx) if p[0] > base[0]]
    ref, pending = base[1], None
    for i, (d, v) in enumerate(post):
        if _qualifies(v, ref, rule):
            confirm = rule.confirm_days_min or 0.0
            later = [p for p in post[i + 1:] if (p[0] - d).days >= confirm]
            if confirm == 0 or (later and _qualifies(later[0][1], ref, rule)):
                return FactValue("psa_progression", True, "category", d,
                                 f"PSA {d} {v:g} vs reference {ref:g} ng/mL ({rule.reference})")
            if not later:
                pending = d
        if rule.reference == "nadir":
            ref = min(ref, v)
    if pending is not None:
        return FactValue("psa_progression", None, "category",
                         missing=f"PSA rise of {pending} awaits confirmation {rule.confirm_days_min:g} days later")
    return FactValue("psa_progression", False, "category", post[-1][0] if post else base[0],
                     f"no confirmed PSA progression since {base[0]}")
