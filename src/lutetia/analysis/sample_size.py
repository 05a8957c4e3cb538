"""Sample size and power: exact one-sample binomial designs, normal approximation, Schoenfeld.

RE-LuPSMA's n = 40 is reproduced by the exact one-sided binomial test at α = 0.05 of 12-month
survival H0 p = 0.50 against H1 p = 0.71: reject when ≥ 26 of 40 are alive, and 40 is the
smallest n from which the power stays ≥ 0.80 for every larger n (exact binomial power is
saw-toothed in n, so the first n reaching 0.80 is not enough) [1]_.  The protocol states
neither α nor sidedness, so both are parameters.

Notes
-----
Exact one-sided ("greater") design at size n: critical value c = min{k : P(X ≥ k | p0) ≤ α},
power = P(X ≥ c | p1).  Two-sided: equal tails, each ≤ α/2.

Normal approximation [2]_: n = ⌈((z_α √(p0 q0) + z_β √(p1 q1)) / (p1 − p0))²⌉ with z_α for
α (one-sided) or α/2 (two-sided).

Schoenfeld [3]_: required events D = (z_α + z_β)² / (π (1 − π) (ln HR)²), π the allocation
fraction of one arm.

References
----------
.. [1] A'Hern RP. Sample size tables for exact single-stage phase II designs. Stat Med
       2001;20:859–866. doi:10.1002/sim.721
.. [2] Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions, 3rd ed.
       Wiley 2003, ch. 2.
.. [3] Schoenfeld DA. Sample-size formula for the proportional-hazards regression model.
       Biometrics 1983;39:499–503. doi:10.2307/2531021
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Sidedness = Literal["one-sided", "two-sided"]


@dataclass(frozen=True)
class BinomialDesign:
    """An exact single-stage binomial design (successes = e.g. patients alive at 12 months)."""

    n: int
    critical_value: int
    lower_critical_value: int | None
    p0: float
    p1: float
    alpha: float
    sidedness: Sidedness
    actual_alpha: float
    power: float


def _check_p(p0: float, p1: float, alpha: float, power: float) -> None:
    if not (0.0 < p0 < 1.0 and 0.0 < p1 < 1.0) or p1 <= p0:
        raise ValueError(f"need 0 < p0 < p1 < 1, got p0={p0}, p1={p1}")
    if not 0.0 < alpha < 0.5 or not 0.5 <= power < 1.0:
        raise ValueError(f"need 0 < alpha < 0.5 and 0.5 ≤ power < 1, got {alpha}, {power}")


def exact_binomial_power(
    n: int, p0: float, p1: float, *, alpha: float = 0.05, sidedness: Sidedness = "one-sided"
) -> BinomialDesign:
    """Critical value(s), attained size and power of the exact binomial test at sample size n."""
    from scipy.stats import binom

    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    if sidedness not in ("one-sided", "two-sided"):
        raise ValueError(f"sidedness must be 'one-sided' or 'two-sided', got {sidedness!r}")
    tail = alpha if sidedness == "one-sided" else alpha / 2.0
    k = np.arange(n + 1)
    upper_tail = binom.sf(k - 1, n, p0)  # P(X ≥ k | p0), non-increasing in k
    hits = np.nonzero(upper_tail <= tail)[0]
    c = int(hits[0]) if hits.size else n + 1
    size = float(upper_tail[c]) if c <= n else 0.0
    power = float(binom.sf(c - 1, n, p1)) if c <= n else 0.0
    low: int | None = None
    if sidedness == "two-sided":
        lower_tail = binom.cdf(k, n, p0)  # P(X ≤ k | p0), non-decreasing in k
        lows = np.nonzero(lower_tail <= tail)[0]
        if lows.size:
            low = int(lows[-1])
            size += float(lower_tail[low])
            power += float(binom.cdf(low, n, p1))
    return BinomialDesign(n, c, low, p0, p1, alpha, sidedness, size, power)


def exact_binomial_sample_size(
    p0: float,
    p1: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sidedness: Sidedness = "one-sided",
    n_max: int = 1000,
) -> BinomialDesign:
    """Smallest n whose exact power is ≥ ``power`` for that n and every larger n up to ``n_max``.

    Examples
    --------
    RE-LuPSMA: ``exact_binomial_sample_size(0.50, 0.71)`` → n = 40, critical value 26.
    """
    _check_p(p0, p1, alpha, power)
    designs = [exact_binomial_power(n, p0, p1, alpha=alpha, sidedness=sidedness) for n in range(1, n_max + 1)]
    if designs[-1].power < power:
        raise ValueError(f"power {power} not reached by n_max = {n_max}")
    best = designs[-1]
    for d in reversed(designs):
        if d.power < power:
            break
        best = d
    return best


def normal_sample_size(
    p0: float,
    p1: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sidedness: Sidedness = "one-sided",
) -> int:
    """One-sample proportion sample size by the normal approximation (see module Notes)."""
    from scipy.stats import norm

    _check_p(p0, p1, alpha, power)
    za = float(norm.ppf(1 - (alpha if sidedness == "one-sided" else alpha / 2)))
    zb = float(norm.ppf(power))
    root = (za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))) / (p1 - p0)
    return math.ceil(root * root - 1e-9)


def schoenfeld_events(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sidedness: Sidedness = "two-sided",
    allocation: float = 0.5,
) -> int:
    """Events needed to detect ``hazard_ratio`` with a log-rank test (Schoenfeld 1983).

    Parameters
    ----------
    hazard_ratio : float
        Hypothesised HR (≠ 1, > 0).
    allocation : float
        Fraction of patients in the experimental arm (0.5 for 1:1).

    Returns
    -------
    int
        Required number of events (rounded up).
    """
    from scipy.stats import norm

    if hazard_ratio <= 0 or hazard_ratio == 1:
        raise ValueError(f"hazard_ratio must be > 0 and ≠ 1, got {hazard_ratio}")
    if not 0 < allocation < 1:
        raise ValueError(f"allocation must be in (0, 1), got {allocation}")
    za = float(norm.ppf(1 - (alpha if sidedness == "one-sided" else alpha / 2)))
    zb = float(norm.ppf(power))
    d = (za + zb) ** 2 / (allocation * (1 - allocation) * math.log(hazard_ratio) ** 2)
    return math.ceil(d - 1e-9)


def events_to_patients(events: int, event_probability: float) -> int:
    """Patients to enrol so that ``events`` are expected when each has ``event_probability``."""
    if not 0 < event_probability <= 1:
        raise ValueError(f"event_probability must be in (0, 1], got {event_probability}")
    return math.ceil(events / event_probability - 1e-9)
