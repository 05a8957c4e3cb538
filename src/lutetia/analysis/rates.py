"""Response rates (ORR, DCR, PSA50…) with Clopper–Pearson exact confidence intervals.

The interval is scipy's ``binomtest(k, n).proportion_ci(method="exact")`` [2]_, which is the
Clopper–Pearson interval [1]_ reported by R's ``binom.test``.

References
----------
.. [1] Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the
       case of the binomial. Biometrika 1934;26:404–413. doi:10.2307/2331986
.. [2] SciPy 1.x, ``scipy.stats.binomtest`` — ``BinomTestResult.proportion_ci``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateEstimate:
    """A proportion ``successes / n`` with its exact two-sided confidence interval."""

    successes: int
    n: int
    proportion: float
    lower: float
    upper: float
    confidence_level: float
    method: str = "Clopper-Pearson exact"


def clopper_pearson(successes: int, n: int, *, confidence_level: float = 0.95) -> RateEstimate:
    """Rate with Clopper–Pearson exact interval.

    Parameters
    ----------
    successes : int
        Responders (0 ≤ successes ≤ n).
    n : int
        Evaluable patients (> 0).
    confidence_level : float
        Two-sided confidence level, e.g. 0.95.

    Returns
    -------
    RateEstimate
    """
    from scipy.stats import binomtest

    if isinstance(successes, bool) or isinstance(n, bool):
        raise TypeError("successes and n must be integers, not booleans")
    if n <= 0:
        raise ValueError(f"n must be > 0, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, got {successes}")
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence_level, method="exact")
    return RateEstimate(
        successes=successes, n=n, proportion=successes / n,
        lower=float(ci.low), upper=float(ci.high), confidence_level=confidence_level,
    )


def rate_from_flags(flags: list[bool | None], *, confidence_level: float = 0.95) -> RateEstimate:
    """Rate from per-patient flags; ``None`` (not evaluable) is excluded from the denominator."""
    evaluable = [f for f in flags if f is not None]
    return clopper_pearson(sum(1 for f in evaluable if f), len(evaluable), confidence_level=confidence_level)
