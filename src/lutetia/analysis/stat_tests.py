"""Paired comparison of pre/post values, as in the ECOG 3 registry paper.

Bastian et al. [1]_ tested normality with Shapiro–Wilk and compared pre/post laboratory
values with a paired t-test.  Here Shapiro–Wilk [2]_ is applied to the paired *differences*
(the t-test's assumption); when it rejects normality at ``normality_alpha`` the Wilcoxon
signed-rank test [3]_ is used instead.  The result records which test ran and why.

References
----------
.. [1] Bastian MB, et al. [177Lu]Lu-PSMA-617 radioligand therapy in mCRPC patients with
       ECOG performance status 3. EJNMMI 2025 (seed 004 in Lutetia's shared material).
.. [2] Shapiro SS, Wilk MB. An analysis of variance test for normality. Biometrika
       1965;52:591–611. doi:10.1093/biomet/52.3-4.591
.. [3] Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bull 1945;1:80–83.
       doi:10.2307/3001968
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TestName = Literal["paired t-test", "Wilcoxon signed-rank"]


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of :func:`paired_comparison`."""

    test: TestName
    reason: str
    n_pairs: int
    n_dropped: int
    mean_before: float
    sd_before: float
    mean_after: float
    sd_after: float
    mean_difference: float
    statistic: float
    p_value: float
    shapiro_statistic: float | None
    shapiro_p_value: float | None


def paired_comparison(
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    normality_alpha: float = 0.05,
    force: TestName | None = None,
) -> PairedTestResult:
    """Compare paired values with a paired t-test, or Wilcoxon when differences are not normal.

    Parameters
    ----------
    before, after : sequence of float or None
        Paired values (same unit); pairs with a missing/non-finite member are dropped.
    normality_alpha : float
        Shapiro–Wilk p-value below which normality of the differences is rejected.
    force : {"paired t-test", "Wilcoxon signed-rank"}, optional
        Run this test regardless of Shapiro–Wilk (still reported).

    Returns
    -------
    PairedTestResult
        Difference is ``after − before``; two-sided p-values; means with sample SDs
        (n − 1), the "mean ± SD" form of the ECOG 3 paper.
    """
    from scipy.stats import shapiro, ttest_rel, wilcoxon

    if len(before) != len(after):
        raise ValueError(f"before has {len(before)} values, after has {len(after)}")
    pairs = [(b, a) for b, a in zip(before, after, strict=True)
             if b is not None and a is not None and math.isfinite(b) and math.isfinite(a)]
    n = len(pairs)
    if n < 3:
        raise ValueError(f"need at least 3 complete pairs, got {n}")
    b = [p[0] for p in pairs]
    a = [p[1] for p in pairs]
    diffs = [y - x for x, y in pairs]
    sw_stat: float | None = None
    sw_p: float | None = None
    if len(set(diffs)) > 1:
        sw = shapiro(diffs)
        sw_stat, sw_p = float(sw.statistic), float(sw.pvalue)
    if force is not None:
        test: TestName = force
        reason = f"{force} requested by the caller"
    elif sw_p is None:
        test, reason = "Wilcoxon signed-rank", "all differences equal: Shapiro–Wilk undefined"
    elif sw_p < normality_alpha:
        test = "Wilcoxon signed-rank"
        reason = f"Shapiro–Wilk on differences p = {sw_p:.4g} < {normality_alpha}: normality rejected"
    else:
        test = "paired t-test"
        reason = f"Shapiro–Wilk on differences p = {sw_p:.4g} ≥ {normality_alpha}: normality not rejected"
    if test == "paired t-test":
        res = ttest_rel(a, b)
        stat, p = float(res.statistic), float(res.pvalue)
    else:
        if all(d == 0 for d in diffs):
            stat, p = 0.0, 1.0
        else:
            wres = wilcoxon(a, b)
            stat, p = float(wres.statistic), float(wres.pvalue)
    return PairedTestResult(
        test=test, reason=reason, n_pairs=n, n_dropped=len(before) - n,
        mean_before=statistics.fmean(b), sd_before=statistics.stdev(b),
        mean_after=statistics.fmean(a), sd_after=statistics.stdev(a),
        mean_difference=statistics.fmean(diffs),
        statistic=stat, p_value=p, shapiro_statistic=sw_stat, shapiro_p_value=sw_p,
    )
