"""Activity solver: the next cycle's activity under a cumulative absorbed-dose or BED limit.

Notes
-----
Let d be the last measured dose per activity (Gy/GBq), n the cycles remaining (this one
included), D_cum/BED_cum the recorded cumulative values and L the limit.
Dose budget: A = (L − D_cum)/(n·d). BED budget: R = (L − BED_cum)/n per cycle, solve
D(1 + kD) = R with k = G/(α/β): D = (−1 + √(1 + 4kR))/(2k), A = D/d. A is clamped to
[A_min, A_max]; the cycle is curtailed when even A_min exceeds the per-cycle budget [1, 2].
Probability of exceeding: the future per-cycle dose is A·d·ε with ε lognormal, median 1,
σ_ln = √(ln(1 + u²)) for the relative uncertainty u of d (the same ε in every remaining
cycle: the prediction error is systematic). The limit is exceeded when ε > ε* where ε* is
the factor that uses up the budget exactly; P = 1 − Φ(ln ε*/σ_ln) [3]. A Monte Carlo
variant with an explicit ``numpy.random.Generator`` is provided for checking.

References
----------
1. Garske-Román U et al. Prospective observational study of 177Lu-DOTA-octreotate therapy
   in 200 patients ... (dosimetry-guided cycles to a kidney limit). Eur J Nucl Med Mol
   Imaging 2018;45:970. doi:10.1007/s00259-018-3945-z
2. Bodei L et al. Long-term evaluation of renal toxicity after PRRT with 90Y-DOTATOC and
   177Lu-DOTATATE: the role of associated risk factors. Eur J Nucl Med Mol Imaging
   2008;35:1847. doi:10.1007/s00259-008-0778-1
3. Gear JI et al. EANM practical guidance on uncertainty analysis for molecular radiotherapy
   absorbed dose calculations. EJNMMI 2018;45:2456. doi:10.1007/s00259-018-4136-7
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lutetia.errors import RecordError
from lutetia.physics.ledger import Ledger
from lutetia.physics.radiobiology import bed_gy, dose_for_bed, lq_parameters


@dataclass(frozen=True)
class Limit:
    """A protocol limit on the cumulative dose (``quantity='dose'``, Gy) or BED (Gy_BED)."""

    value: float
    quantity: str = "bed"
    alpha_beta_gy: float = field(default_factory=lambda: lq_parameters("kidneys").alpha_beta_gy)
    g_factor: float = 0.0

    def __post_init__(self) -> None:
        if self.quantity not in ("dose", "bed"):
            raise RecordError("unknown limit quantity", field="quantity", value=self.quantity,
                              accepted="dose, bed")
        if not self.value > 0:
            raise RecordError("limit must be > 0", field="limit", value=self.value)
        if not self.alpha_beta_gy > 0:
            raise RecordError("alpha/beta must be > 0", field="alpha_beta", value=self.alpha_beta_gy,
                              accepted="Gy > 0")


@dataclass(frozen=True)
class Prescription:
    """The solver's answer with every step of its reasoning."""

    decision: str  # "give" or "curtail"
    activity_gbq: float | None
    per_cycle_dose_gy: float | None
    predicted_cumulative: float | None
    probability_exceed: float | None
    reasons: tuple[str, ...]


def _cumulative(total_per_cycle: float, cum: float, n: int, limit: Limit) -> float:
    if limit.quantity == "dose":
        return cum + n * total_per_cycle
    return cum + n * bed_gy(total_per_cycle, limit.g_factor, limit.alpha_beta_gy)


def _budget_dose(cum: float, n: int, limit: Limit) -> float:
    """Per-cycle absorbed dose (Gy) that reaches the limit exactly after n cycles."""
    if limit.quantity == "dose":
        return (limit.value - cum) / n
    return dose_for_bed((limit.value - cum) / n, limit.g_factor, limit.alpha_beta_gy)


def probability_exceed(activity_gbq: float, gy_per_gbq: float, relative_sigma: float,
                       cum: float, n: int, limit: Limit) -> float:
    """P(cumulative dose or BED after n cycles of ``activity_gbq`` > limit), lognormal model."""
    if cum >= limit.value:
        return 1.0
    if relative_sigma <= 0:
        return float(_cumulative(activity_gbq * gy_per_gbq, cum, n, limit) > limit.value)
    eps_star = _budget_dose(cum, n, limit) / (activity_gbq * gy_per_gbq)
    from scipy.stats import norm  # lazily: scipy.stats costs ~0.5 s at start-up

    s = math.sqrt(math.log1p(relative_sigma**2))
    return float(norm.sf(math.log(eps_star) / s))


def probability_exceed_mc(activity_gbq: float, gy_per_gbq: float, relative_sigma: float,
                          cum: float, n: int, limit: Limit, rng: np.random.Generator,
                          draws: int = 100_000) -> float:
    """Monte Carlo estimate of :func:`probability_exceed` with the generator ``rng``."""
    s = math.sqrt(math.log1p(relative_sigma**2))
    eps = rng.lognormal(0.0, s, size=draws)
    d = activity_gbq * gy_per_gbq * eps
    total = cum + n * (d if limit.quantity == "dose" else bed_gy(d, limit.g_factor, limit.alpha_beta_gy))
    return float(np.mean(total > limit.value))


def next_activity(ledger: Ledger, limit: Limit, cycles_remaining: int, min_gbq: float,
                  max_gbq: float, relative_sigma: float | None = None) -> Prescription:
    """Next cycle's activity (GBq) under ``limit``, clamped to [min_gbq, max_gbq].

    ``relative_sigma`` defaults to the last measured entry's uncertainty.
    """
    if cycles_remaining < 1:
        raise RecordError("cycles remaining must be >= 1", record=ledger.patient_id,
                          field="cycles_remaining", value=cycles_remaining)
    if not 0 < min_gbq <= max_gbq:
        raise RecordError("bounds must satisfy 0 < min <= max", record=ledger.patient_id,
                          field="min_gbq/max_gbq", value=(min_gbq, max_gbq))
    last = ledger.last_measured()
    d = last.dose_per_gbq
    u = last.relative_sigma if relative_sigma is None else relative_sigma
    unit = "Gy" if limit.quantity == "dose" else "Gy_BED"
    if limit.quantity == "dose":
        cum = ledger.cumulative_dose_gy
    else:
        cum = ledger.cumulative_bed_gy(limit.alpha_beta_gy, limit.g_factor)
    n = cycles_remaining
    r = [f"{ledger.organ}: cumulative {limit.quantity} after {len(ledger.entries)} cycle(s) "
         f"= {cum:.3f} {unit}; limit {limit.value:.3f} {unit}",
         f"last measured cycle {last.cycle}: {last.dose_gy:.3f} Gy / {last.activity_gbq:.3f} "
         f"GBq = {d:.4f} Gy/GBq ({last.method or 'method not stated'})"]
    missing = [e.cycle for e in ledger.entries if e.bed_gy is None]
    if limit.quantity == "bed" and missing:
        r.insert(1, f"BED of cycle(s) {', '.join(map(str, missing))} computed as D(1 + G·D/(α/β)) "
                    f"with G = {limit.g_factor:.5f} (or the cycle's own G), α/β = "
                    f"{limit.alpha_beta_gy:.3g} Gy")
    if cum >= limit.value:
        r.append("limit already reached: curtail")
        return Prescription("curtail", None, None, cum, 1.0, tuple(r))
    per_cycle = _budget_dose(cum, n, limit)
    if limit.quantity == "dose":
        r.append(f"budget per remaining cycle = ({limit.value:.3f} − {cum:.3f}) / {n} = "
                 f"{per_cycle:.3f} Gy")
    else:
        k = limit.g_factor / limit.alpha_beta_gy
        per_bed = (limit.value - cum) / n
        r.append(f"BED budget per remaining cycle R = ({limit.value:.3f} − {cum:.3f}) / {n} = "
                 f"{per_bed:.3f} Gy_BED; k = G/(α/β) = {limit.g_factor:.5f}/"
                 f"{limit.alpha_beta_gy:.3g} = {k:.5f} /Gy")
        r.append(f"absorbed dose per cycle D = (−1 + √(1 + 4kR))/(2k) = {per_cycle:.3f} Gy")
    raw = per_cycle / d
    r.append(f"activity = {per_cycle:.3f} Gy / {d:.4f} Gy/GBq = {raw:.3f} GBq")
    if min_gbq * d > per_cycle:
        r.append(f"even the minimum {min_gbq:.3f} GBq gives {min_gbq * d:.3f} Gy > "
                 f"{per_cycle:.3f} Gy per cycle: curtail")
        return Prescription("curtail", None, per_cycle, None,
                            probability_exceed(min_gbq, d, u, cum, n, limit), tuple(r))
    act = min(raw, max_gbq)
    if act < raw:
        r.append(f"clamped to the maximum {max_gbq:.3f} GBq")
    predicted = _cumulative(act * d, cum, n, limit)
    p = probability_exceed(act, d, u, cum, n, limit)
    r.append(f"predicted cumulative {limit.quantity} after {n} more cycle(s) at {act:.3f} GBq "
             f"= {predicted:.3f} {unit}")
    r.append(f"probability of exceeding the limit (lognormal, u = {u:.0%}) = {p:.3f}")
    return Prescription("give", act, act * d, predicted, p, tuple(r))
