"""PSA progression: the one kernel, over a cohort of PSA series at once.

Every reading of PSA progression in Lutetia — the assessment (:func:`lutetia.assess.psa.psa_progression`),
the decision engine's ``psa_progression`` fact (:mod:`lutetia.decide.psa`), the endpoints
(:mod:`lutetia.analysis`) and the vectorised simulator (:mod:`lutetia.simulate.vector`) — calls
:func:`progression_kernel`; the scalar forms pass a single row.  The parameters are data: a
protocol's ``[psa_progression]`` (:meth:`lutetia.protocols.schema.PsaProgression.rule`) or a
PCWG3 parameter set of ``pcwg3.toml`` (:meth:`lutetia.assess.psa.PsaCriteria.progression_rule`).

Notes
-----
For each subject, with baseline B (the last value on or before the first administration)
and the post-baseline values v₁, v₂, … in time order (NaN = no value at that position):

* the reference R is the lowest value so far, baseline included (``reference = "nadir"``), or
  B (``"baseline"``); R is updated *after* testing each value;
* vᵢ qualifies when (vᵢ − R)/R·100 ``comparator`` ``rise_pct`` and vᵢ − R ``comparator``
  ``rise_ng_ml`` (R ≤ 0: the absolute rise only, and it must be > 0); with
  ``no_decline_min_days`` > 0 (PCWG3's "without a decline, not before 12 weeks") a value
  before that day counts only once R has fallen below B;
* a qualifying vᵢ is confirmed by the first later value at least ``confirm_days`` after it,
  when that value also qualifies against the same R (``confirm_days`` = 0: no confirmation);
  the event is the first confirmed vᵢ, dated at vᵢ;
* a qualifying value with no later value far enough yet is *pending* (not evaluable), unless
  an event was found.

Comparisons use :func:`lutetia.assess.criteria.compare_array` (12 significant digits), so a
rise of exactly 2 ng/mL from a nadir of 0.3 (2.3 − 0.3 = 1.9999999999999998 in floating
point) is at the cut-off, everywhere.

References
----------
1. Scher HI et al. Trial design and objectives for castration-resistant prostate cancer:
   updated recommendations from the PCWG3. J Clin Oncol 2016;34:1402. doi:10.1200/JCO.2015.64.2702
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from lutetia.assess.criteria import Comparator, compare_array

F = NDArray[np.float64]
B = NDArray[np.bool_]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class ProgressionRule:
    """The parameters of one PSA progression definition (see the module Notes).

    ``rise_ng_ml`` 0 with ``>=`` (or ``>``) adds nothing to the percentage test when R > 0.
    """

    rise_pct: float
    rise_ng_ml: float
    comparator: Comparator
    reference: Literal["nadir", "baseline"] = "nadir"
    confirm_days: float = 0.0
    no_decline_min_days: float = 0.0

    def describe(self) -> str:
        """The rule in words, as decisions and reports show it."""
        parts = [f"rise {self.comparator} {self.rise_pct:g} %"]
        if self.rise_ng_ml:
            parts.append(f"{self.comparator} {self.rise_ng_ml:g} ng/mL")
        text = " and ".join(parts) + f" above the {self.reference}"
        if self.confirm_days:
            text += f", confirmed ≥ {self.confirm_days:g} days later"
        if self.no_decline_min_days:
            text += f"; without a decline not before day {self.no_decline_min_days:g}"
        return text


@dataclass(frozen=True)
class KernelResult:
    """Per subject: event found, index of the qualifying and confirming values (−1 = none),
    the reference at the event (NaN = none), and a qualifying rise still awaiting confirmation."""

    met: B
    event_index: I64
    confirm_index: I64
    reference: F
    pending: B
    pending_index: I64


def qualifies(value: F, ref: F, rule: ProgressionRule) -> B:
    """Whether ``value`` rises enough above ``ref`` (element-wise; NaN → False)."""
    rise = value - ref
    positive = ref > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(positive, rise / np.where(positive, ref, 1.0) * 100.0, np.inf)
    ok_pct = np.where(positive, compare_array(pct, rule.comparator, rule.rise_pct), rise > 0)
    ok_abs = compare_array(rise, rule.comparator, rule.rise_ng_ml)
    return np.asarray(np.isfinite(value) & ok_pct & ok_abs, dtype=bool)


def progression_kernel(days: F, values: F, baseline: F, rule: ProgressionRule) -> KernelResult:
    """PSA progression of every row (see the module Notes).

    Parameters
    ----------
    days : array (n, m)
        Day of each post-baseline value, counted from the first administration (> 0), in
        increasing order along each row; NaN where there is no value.
    values : array (n, m)
        PSA, ng/mL, aligned with ``days`` (NaN = missing).
    baseline : array (n,)
        Baseline PSA, ng/mL (NaN = none: the row is never met nor pending).
    rule : ProgressionRule
    """
    days = np.asarray(days, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    base = np.asarray(baseline, dtype=np.float64)
    n, m = values.shape
    ref = base.copy()
    met = np.zeros(n, dtype=bool)
    event = np.full(n, -1, dtype=np.int64)
    confirm = np.full(n, -1, dtype=np.int64)
    ref_at = np.full(n, np.nan)
    pending_at = np.full(n, -1, dtype=np.int64)
    for i in range(m):
        v, t = values[:, i], days[:, i]
        ok = np.isfinite(v) & np.isfinite(base)
        q = ok & ~met & qualifies(v, ref, rule)
        if rule.no_decline_min_days > 0:
            declined = compare_array(ref, "<", base)
            q &= declined | ~compare_array(t, "<", rule.no_decline_min_days)
        if rule.confirm_days > 0:
            later_i = np.full(n, -1, dtype=np.int64)
            for j in range(i + 1, m):
                take = (later_i < 0) & np.isfinite(values[:, j]) & ((days[:, j] - t) >= rule.confirm_days)
                later_i = np.where(take, j, later_i)
            found = later_i >= 0
            later_v = values[np.arange(n), np.where(found, later_i, 0)]
            confirmed = q & found & qualifies(later_v, ref, rule)
            pending_at = np.where(q & ~found & (pending_at < 0), i, pending_at)
        else:
            later_i = np.full(n, i, dtype=np.int64)
            confirmed = q
        event = np.where(confirmed, i, event)
        confirm = np.where(confirmed, later_i, confirm)
        ref_at = np.where(confirmed, ref, ref_at)
        met |= confirmed
        if rule.reference == "nadir":
            ref = np.where(ok, np.fmin(ref, v), ref)
    pending = (pending_at >= 0) & ~met
    return KernelResult(met, event, confirm, ref_at, pending, np.where(pending, pending_at, -1))


__all__ = ["KernelResult", "ProgressionRule", "progression_kernel", "qualifies"]
