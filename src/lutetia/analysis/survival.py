"""Kaplan–Meier estimates, landmark survival, numbers at risk, log-rank and Cox hazard ratios.

Every estimate is computed by lifelines [1]_ (``KaplanMeierFitter``, ``logrank_test``,
``multivariate_logrank_test``, ``CoxPHFitter``); this module only chooses conventions, adds
the confidence-interval transforms lifelines lacks and returns plain frozen results.

Conventions
-----------
* Confidence band of S(t): ``conf_type`` is ``"log-log"`` (default; lifelines' exponential
  Greenwood band, as in SAS and Stata), ``"log"`` (R ``survfit``'s default) or ``"plain"``.
  lifelines only implements log-log, so for ``"log"`` and ``"plain"`` the pointwise band is
  computed here from the Greenwood variance read from lifelines' event table [2]_:
  ``V(t) = Σ d_i / (n_i (n_i − d_i))`` over event times ``t_i ≤ t`` (``V`` is var(log S)),
  log: ``exp(log S ± z √V)``; plain: ``S ± z S √V``; both clipped to [0, 1].  Where S = 0 the
  log and log-log bands are undefined (V is infinite) and are NaN, as R's
  ``survfit_confint`` gives NA there (``xx <- ifelse(p == 0, NA, p)``); the plain band is
  [0, 0].
* Median: lifelines' convention, the first time with S(t) ≤ 0.5.  R ``survfit`` takes the
  midpoint when S equals 0.5 exactly over an interval; we do **not** (pinned by a test).
* Median confidence interval (Brookmeyer–Crowley [3]_ as in R): lower limit = first time the
  *lower* band is ≤ 0.5, upper limit = first time the *upper* band is ≤ 0.5, so it inherits
  ``conf_type``.  ``math.inf`` means "not reached" (R: NA).  Where the curve reaches 0 with
  the upper band still above 0.5, the band is NA at that time, so the upper limit is NA
  in R and ``inf`` here (it used to be the last time).
* Numbers at risk at t: subjects with time ≥ t (R's "at risk at t − 0").
* SPSS (used by the ECOG 3 paper: median PFS 1.3 (0.9–1.7), OS 2.8 (1.8–3.7) months)
  reports a symmetric median ± 1.96·SE interval; Lutetia does not, so such published
  intervals are reproduced in form (median with 95 % CI), not digit for digit.

References
----------
.. [1] Davidson-Pilon C. lifelines: survival analysis in Python. JOSS 2019;4(40):1317.
       doi:10.21105/joss.01317
.. [2] Greenwood M. The natural duration of cancer. Rep Public Health Med Subj 1926;33:1–26.
.. [3] Brookmeyer R, Crowley J. A confidence interval for the median survival time.
       Biometrics 1982;38:29–41. doi:10.2307/2530286
.. [4] Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187–220.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from lutetia.errors import AnalysisError

ConfType = Literal["log-log", "log", "plain"]
CONF_TYPES: tuple[ConfType, ...] = ("log-log", "log", "plain")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class KMResult:
    """A fitted Kaplan–Meier curve (times in the caller's unit, e.g. days)."""

    label: str
    n: int
    events: int
    conf_type: ConfType
    alpha: float
    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    censor_times: tuple[float, ...]
    durations: tuple[float, ...]
    median: float
    median_lower: float
    median_upper: float


@dataclass(frozen=True)
class LandmarkEstimate:
    """S(t) at one landmark time with its pointwise band.

    ``survival`` is ``None`` when not computed (``reason`` says why: the follow-up ends
    before the landmark); ``lower``/``upper`` are ``None`` where the band is undefined (R: NA).
    """

    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    at_risk: int
    conf_type: ConfType
    reason: str | None = None
    follow_up: float | None = None

    @property
    def computed(self) -> bool:
        return self.survival is not None


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank (Mantel–Haenszel) test between two or more groups."""

    groups: tuple[str, ...]
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class CoxResult:
    """Cox proportional-hazards hazard ratio of ``group`` versus ``reference`` (Efron ties)."""

    group: str
    reference: str
    coef: float
    se: float
    hazard_ratio: float
    lower: float
    upper: float
    p_value: float
    alpha: float


def _check_inputs(durations: Sequence[float], events: Sequence[bool | int]) -> tuple[FloatArray, FloatArray]:
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=float)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError(f"durations ({t.shape}) and events ({e.shape}) must be 1-D of equal length")
    if t.size == 0:
        raise AnalysisError("no observations: durations is empty")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("durations must be finite and ≥ 0")
    if not np.all(np.isin(e, (0.0, 1.0))):
        raise ValueError("events must be 0/1 (1 = event observed, 0 = censored)")
    return t, e


def _band(s: FloatArray, var: FloatArray, z: float, conf_type: ConfType,
          ll_lower: FloatArray, ll_upper: FloatArray) -> tuple[FloatArray, FloatArray]:
    if conf_type == "log-log":
        lo, hi = ll_lower.copy(), ll_upper.copy()
    elif conf_type == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            lo = np.exp(np.log(s) - z * np.sqrt(var))
            hi = np.exp(np.log(s) + z * np.sqrt(var))
    elif conf_type == "plain":
        lo = s - z * s * np.sqrt(var)
        hi = s + z * s * np.sqrt(var)
    else:
        raise ValueError(f"conf_type {conf_type!r} is not one of {', '.join(CONF_TYPES)}")
    zero = s <= 0.0
    undefined = np.nan if conf_type in ("log", "log-log") else 0.0  # R: NA for log and log-log
    lo[zero], hi[zero] = undefined, undefined
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def _first_at_or_below(times: FloatArray, values: FloatArray, q: float) -> float:
    hit = np.nonzero(values <= q + 1e-12)[0]
    return float(times[hit[0]]) if hit.size else math.inf


def kaplan_meier(
    durations: Sequence[float],
    events: Sequence[bool | int],
    *,
    conf_type: ConfType = "log-log",
    alpha: float = 0.05,
    label: str = "all",
) -> KMResult:
    """Fit a Kaplan–Meier curve with lifelines and return it with its band and median.

    Parameters
    ----------
    durations : sequence of float
        Time from origin to event or censoring (any unit, ≥ 0).
    events : sequence of bool or int
        1/True when the event was observed, 0/False when censored (lifelines' flag; the
        ADaM ``CNSR`` is its complement).
    conf_type : {"log-log", "log", "plain"}
        Transform of the pointwise band (see module notes).
    alpha : float
        1 − confidence level (0.05 → 95 % band).
    label : str
        Name of the curve (group).

    Returns
    -------
    KMResult

    Notes
    -----
    S(t) = Π_{t_i ≤ t} (1 − d_i / n_i) [1]_; var(log S) by Greenwood [2]_.
    """
    from lifelines import KaplanMeierFitter

    t, e = _check_inputs(durations, events)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type {conf_type!r} is not one of {', '.join(CONF_TYPES)}")
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e, label=label)
    table = kmf.event_table
    d = table["observed"].to_numpy(dtype=float)
    n = table["at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > d, d / (n * (n - d)), 0.0)
    var = np.cumsum(terms)
    times = kmf.survival_function_.index.to_numpy(dtype=float)
    s = kmf.survival_function_.iloc[:, 0].to_numpy(dtype=float)
    ci = kmf.confidence_interval_survival_function_
    z = float(norm.ppf(1.0 - alpha / 2.0))
    lo, hi = _band(s, var, z, conf_type, ci.iloc[:, 0].to_numpy(dtype=float), ci.iloc[:, 1].to_numpy(dtype=float))
    return KMResult(
        label=label, n=int(t.size), events=int(e.sum()), conf_type=conf_type, alpha=alpha,
        times=tuple(times.tolist()), survival=tuple(s.tolist()),
        lower=tuple(lo.tolist()), upper=tuple(hi.tolist()),
        censor_times=tuple(sorted(t[e == 0].tolist())), durations=tuple(t.tolist()),
        median=float(kmf.median_survival_time_),
        median_lower=_first_at_or_below(times, lo, 0.5),
        median_upper=_first_at_or_below(times, hi, 0.5),
    )


def numbers_at_risk(km: KMResult, times: Sequence[float]) -> list[int]:
    """Subjects still under observation (time ≥ t) at each of ``times``."""
    d = np.asarray(km.durations, dtype=float)
    return [int(np.count_nonzero(d >= float(x))) for x in times]


def survival_at(km: KMResult, time: float) -> LandmarkEstimate:
    """Landmark survival S(t) with its pointwise band (e.g. 12-month OS, 2-year survival).

    The step function is read at the last curve time ≤ ``time``.  Beyond the longest
    follow-up the estimate is undefined and returned as ``None`` (R: NA with extend=FALSE),
    unless the curve has already reached 0 (everyone had the event), when it stays 0.
    """
    if time < 0:
        raise ValueError(f"landmark time must be ≥ 0, got {time}")
    at_risk = numbers_at_risk(km, [time])[0]
    longest = max(km.durations)
    if time > longest and km.survival[-1] > 0.0:
        return LandmarkEstimate(time, None, None, None, at_risk, km.conf_type,
                                f"follow-up {longest:.2f} < landmark {time:g}", longest)
    idx = int(np.searchsorted(np.asarray(km.times), time, side="right")) - 1
    if idx < 0:
        return LandmarkEstimate(time, 1.0, 1.0, 1.0, at_risk, km.conf_type, follow_up=longest)
    lo, hi = km.lower[idx], km.upper[idx]
    return LandmarkEstimate(time, km.survival[idx], None if math.isnan(lo) else lo, None if math.isnan(hi) else hi,
                            at_risk, km.conf_type, follow_up=longest)


def _group_arrays(durations: Sequence[float], events: Sequence[bool | int],
                  groups: Sequence[str]) -> tuple[FloatArray, FloatArray, npt.NDArray[np.str_]]:
    t, e = _check_inputs(durations, events)
    g = np.asarray(list(map(str, groups)))
    if g.shape != t.shape:
        raise ValueError(f"groups has {g.size} values for {t.size} observations")
    if np.unique(g).size < 2:
        raise ValueError("a between-group comparison needs at least two groups")
    return t, e, g


def logrank(durations: Sequence[float], events: Sequence[bool | int], groups: Sequence[str]) -> LogRankResult:
    """Log-rank test of equal survival across ``groups`` (lifelines' multivariate test).

    With two groups this is R's ``survdiff(Surv(time, status) ~ group)`` (rho = 0).
    """
    from lifelines.statistics import multivariate_logrank_test

    t, e, g = _group_arrays(durations, events, groups)
    res = multivariate_logrank_test(t, g, e)
    return LogRankResult(
        groups=tuple(sorted(set(g.tolist()))),
        statistic=float(res.test_statistic),
        df=int(res.degrees_of_freedom),
        p_value=float(res.p_value),
    )


def cox_hazard_ratio(
    durations: Sequence[float],
    events: Sequence[bool | int],
    groups: Sequence[str],
    *,
    reference: str,
    alpha: float = 0.05,
) -> CoxResult:
    """Hazard ratio (Wald CI, Efron ties as R's ``coxph``) of the other group vs ``reference``.

    Exactly two groups are accepted; the model is ``h(t) = h0(t) exp(β·[group ≠ reference])`` [4]_.
    """
    import pandas as pd
    from lifelines import CoxPHFitter

    t, e, g = _group_arrays(durations, events, groups)
    levels = sorted(set(g.tolist()))
    if len(levels) != 2 or reference not in levels:
        raise ValueError(f"need exactly two groups including reference {reference!r}; got {levels}")
    other = next(x for x in levels if x != reference)
    frame = pd.DataFrame({"T": t, "E": e, "x": (g == other).astype(float)})
    cph = CoxPHFitter(alpha=alpha).fit(frame, duration_col="T", event_col="E")
    row = cph.summary.loc["x"]
    coef, se = float(row["coef"]), float(row["se(coef)"])
    z = float(norm.ppf(1.0 - alpha / 2.0))
    return CoxResult(
        group=other, reference=reference, coef=coef, se=se, hazard_ratio=math.exp(coef),
        lower=math.exp(coef - z * se), upper=math.exp(coef + z * se),
        p_value=float(row["p"]), alpha=alpha,
    )
