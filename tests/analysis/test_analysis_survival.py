"""Kaplan–Meier, landmark, at-risk, log-rank and Cox against R survival and lifelines.

Reference data: R survival's ``lung`` as shipped inside lifelines (``lifelines.datasets.load_lung``,
status already recoded 1 = death, 0 = censored; no download).  Expected numbers are R output:

* ``survfit(Surv(time, status) ~ 1, data = lung)`` (conf.type "log", R's default):
  n 228, events 165, median 310, 0.95LCL 285, 0.95UCL 363 — printed R output found in several
  public R tutorials/notebooks (e.g. a Japanese R textbook chapter 34, survival exercises).
* ``survfit(Surv(time, status) ~ sex, data = lung)``: sex=1 138/112 median 270 (212, 310);
  sex=2 90/53 median 426 (348, 550) — printed R output in the same public sources.
* ``summary(survfit(Surv(time, status) ~ factor(sex), data = lung), times = c(365, 730))$surv``:
  0.33608783 0.07812409 0.52646303 0.18723250 (male 1 y, male 2 y, female 1 y, female 2 y) —
  printed R output in a public R Markdown course notebook.
* ``survdiff(Surv(time, status) ~ sex, data = lung)``: Chisq = 10.3267 on 1 df, p = 0.00131116
  (Packt "Machine Learning with R Cookbook", log-rank recipe, printed R output).
* ``summary(coxph(Surv(time, status) ~ sex, data = lung))``: coef −0.5310, exp(coef) 0.5880,
  se 0.1672, p 0.00149 (printed R output quoted on imathworks.com / Cross Validated q. 609091).
  R's CI 0.4237–0.816 follows from the printed coef and se.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_lung, load_waltons

from lutetia.analysis.survival import (
    cox_hazard_ratio,
    kaplan_meier,
    logrank,
    numbers_at_risk,
    survival_at,
)


@pytest.fixture(scope="module")
def lung():  # type: ignore[no-untyped-def]
    return load_lung()


def test_lung_overall_median_matches_r_log_ci(lung) -> None:  # type: ignore[no-untyped-def]
    km = kaplan_meier(lung["time"], lung["status"], conf_type="log")
    assert (km.n, km.events) == (228, 165)
    assert (km.median, km.median_lower, km.median_upper) == (310.0, 285.0, 363.0)


def test_lung_by_sex_medians_match_r(lung) -> None:  # type: ignore[no-untyped-def]
    expected = {1: (270.0, 212.0, 310.0), 2: (426.0, 348.0, 550.0)}
    for sex, (med, lo, hi) in expected.items():
        sub = lung[lung["sex"] == sex]
        km = kaplan_meier(sub["time"], sub["status"], conf_type="log")
        assert (km.median, km.median_lower, km.median_upper) == (med, lo, hi)


def test_log_log_band_is_lifelines_band(lung) -> None:  # type: ignore[no-untyped-def]
    km = kaplan_meier(lung["time"], lung["status"])
    ref = KaplanMeierFitter().fit(lung["time"], lung["status"]).confidence_interval_
    assert km.conf_type == "log-log"
    assert km.lower[10] == pytest.approx(ref.iloc[10, 0], abs=1e-12)
    assert km.upper[10] == pytest.approx(ref.iloc[10, 1], abs=1e-12)
    # lifelines' own median CI (utils.median_survival_times on its band): 284–361 days
    assert (km.median_lower, km.median_upper) == (284.0, 361.0)


def test_transforms_differ_and_plain_is_symmetric(lung) -> None:  # type: ignore[no-untyped-def]
    plain = kaplan_meier(lung["time"], lung["status"], conf_type="plain")
    i = 50
    s = plain.survival[i]
    assert s - plain.lower[i] == pytest.approx(plain.upper[i] - s, abs=1e-12)
    log = kaplan_meier(lung["time"], lung["status"], conf_type="log")
    assert log.lower[i] != pytest.approx(plain.lower[i], abs=1e-6)


def test_median_convention_first_time_at_or_below_half() -> None:
    # S = 0.75, 0.5, 0.25, 0 at t = 1..4: S == 0.5 on [2, 3).  R survfit reports the
    # midpoint 2.5; lifelines (and Lutetia) report the first t with S <= 0.5, i.e. 2.
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median == 2.0


def test_median_not_reached_is_inf() -> None:
    km = kaplan_meier([5, 6, 7, 8, 9], [1, 0, 0, 0, 0])
    assert math.isinf(km.median) and math.isinf(km.median_upper)


def test_landmark_and_numbers_at_risk(lung) -> None:  # type: ignore[no-untyped-def]
    km = kaplan_meier(lung["time"], lung["status"], conf_type="log")
    ref = KaplanMeierFitter().fit(lung["time"], lung["status"])
    est = survival_at(km, 365)
    assert est.survival == pytest.approx(float(ref.survival_function_at_times(365).iloc[0]), abs=1e-12)
    assert est.lower is not None and est.upper is not None and est.lower < est.survival < est.upper
    # counted by hand from the data: time >= t
    assert numbers_at_risk(km, [0, 365]) == [228, int((lung["time"] >= 365).sum())]
    assert est.at_risk == int((lung["time"] >= 365).sum())
    assert survival_at(km, 5000).survival is None


def test_landmark_beyond_follow_up() -> None:
    all_died = kaplan_meier([30, 60, 90], [1, 1, 1])
    est = survival_at(all_died, 365)
    # S = 0: the log-log band is undefined there (R: NA), not [0, 0].
    assert (est.survival, est.lower, est.upper, est.at_risk) == (0.0, None, None, 0)
    censored_last = kaplan_meier([30, 60, 90], [1, 1, 0])
    beyond = survival_at(censored_last, 365)
    assert beyond.survival is None and not beyond.computed
    assert beyond.reason == "follow-up 90.00 < landmark 365"
    assert survival_at(censored_last, 10).survival == 1.0


def test_landmark_just_beyond_follow_up_is_not_computed() -> None:
    # FLEX-MRT: 24 months = 24 x 30.4375 = 730.5 days; a follow-up of 730 days
    # (730 / 30.4375 = 23.9836 months) ends half a day before the landmark.
    from lutetia.analysis.endpoints import DAYS_PER_MONTH, landmark_day, landmark_days

    assert landmark_days(24) == 730.5 and landmark_day(24) == 730 and landmark_day(12) == 365
    km = kaplan_meier([100 / DAYS_PER_MONTH, 730 / DAYS_PER_MONTH], [1, 0])
    est = survival_at(km, 24)
    assert not est.computed and est.reason == "follow-up 23.98 < landmark 24"
    assert survival_at(kaplan_meier([100 / DAYS_PER_MONTH, 731 / DAYS_PER_MONTH], [1, 0]), 24).survival == 0.5


def test_median_upper_limit_is_na_where_the_curve_reaches_zero_as_in_r() -> None:
    """Five deaths at 1..5, no censoring, log transform.

    R (survival 3.x) — R is not installed here: the output below is derived by hand from
    R's documented algorithm (``survfit_confint``: ``xx <- ifelse(p == 0, NA, p)``, band
    ``exp(log(xx) -/+ z * se)``, upper ``pmin(., 1)``; Greenwood ``se = sqrt(sum d/(n(n-d)))``;
    ``quantile.survfit``: median limits = first time each band is <= 0.5, NA if never)::

        > fit <- survfit(Surv(c(1, 2, 3, 4, 5), rep(1, 5)) ~ 1, conf.type = "log")
        > summary(fit)
         time n.risk n.event survival std.err lower 95% CI upper 95% CI
            1      5       1      0.8   0.179       0.5161            1
            2      4       1      0.6   0.219       0.2933            1
            3      3       1      0.4   0.219       0.1367            1
            4      2       1      0.2   0.179       0.0347            1
            5      1       1      0.0     NaN           NA           NA
        > print(fit)
             n events median 0.95LCL 0.95UCL
        [1,] 5      5      3       2      NA

    By hand: V = 1/20, +1/12, +1/6, +1/2 -> 0.05, 0.13333, 0.3, 0.8 (infinite at t = 5);
    lower(t=1) = 0.8 exp(-1.959964 sqrt(0.05)) = 0.51613; lower(t=2) = 0.6 exp(-0.715677) = 0.29332;
    lower(t=3) = 0.4 exp(-1.073516) = 0.13672; lower(t=4) = 0.2 exp(-1.753045) = 0.03465.
    Lutetia reported the upper limit as 5 (the last time) before this fix.
    """
    km = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], conf_type="log")
    assert km.times == (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)  # lifelines' curve starts at t = 0, S = 1
    assert km.lower[1:5] == pytest.approx((0.51613, 0.29332, 0.13672, 0.03465), abs=5e-5)
    assert km.upper[1:5] == (1.0, 1.0, 1.0, 1.0)
    assert math.isnan(km.lower[5]) and math.isnan(km.upper[5])
    assert (km.median, km.median_lower) == (3.0, 2.0)
    assert math.isinf(km.median_upper)


def test_lung_landmark_12_months_and_2_years_match_r(lung) -> None:  # type: ignore[no-untyped-def]
    expected = {1: (0.33608783, 0.07812409), 2: (0.52646303, 0.18723250)}
    for sex, (one_year, two_years) in expected.items():
        sub = lung[lung["sex"] == sex]
        km = kaplan_meier(sub["time"], sub["status"], conf_type="log")
        assert survival_at(km, 365).survival == pytest.approx(one_year, abs=5e-9)
        assert survival_at(km, 730).survival == pytest.approx(two_years, abs=5e-9)


def test_waltons_groups_logrank_matches_lifelines() -> None:
    from lifelines.statistics import logrank_test

    w = load_waltons()
    res = logrank(w["T"], w["E"], w["group"])
    a, b = w[w["group"] == "control"], w[w["group"] == "miR-137"]
    ref = logrank_test(a["T"], b["T"], a["E"], b["E"])
    assert res.statistic == pytest.approx(ref.test_statistic, rel=1e-12)
    assert res.df == 1


def test_lung_logrank_matches_r_survdiff(lung) -> None:  # type: ignore[no-untyped-def]
    res = logrank(lung["time"], lung["status"], lung["sex"].astype(str))
    assert res.statistic == pytest.approx(10.3267, abs=5e-5)
    assert res.p_value == pytest.approx(0.00131116, rel=1e-4)


def test_lung_cox_matches_r_coxph(lung) -> None:  # type: ignore[no-untyped-def]
    res = cox_hazard_ratio(lung["time"], lung["status"], lung["sex"].astype(str), reference="1")
    assert res.coef == pytest.approx(-0.5310, abs=5e-5)
    assert res.hazard_ratio == pytest.approx(0.5880, abs=5e-5)
    assert res.se == pytest.approx(0.1672, abs=5e-5)
    assert res.p_value == pytest.approx(0.00149, abs=5e-6)
    assert (res.lower, res.upper) == (pytest.approx(0.4237, abs=5e-4), pytest.approx(0.816, abs=5e-4))


@pytest.mark.parametrize(
    ("durations", "events", "message"),
    [([], [], "empty"), ([1, -2], [1, 1], "≥ 0"), ([1, 2], [1, 2], "0/1"), ([1], [1, 0], "equal length")],
)
def test_bad_input_rejected(durations: list[float], events: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, events)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=40),
       st.sampled_from(["log-log", "log", "plain"]))
def test_km_properties(data: list[tuple[int, bool]], conf_type: str) -> None:
    km = kaplan_meier([d for d, _ in data], [int(e) for _, e in data], conf_type=conf_type)  # type: ignore[arg-type]
    s = km.survival
    assert all(0.0 <= x <= 1.0 for x in s)
    assert all(b <= a + 1e-12 for a, b in zip(s, s[1:], strict=False))
    for lo, x, hi in zip(km.lower, s, km.upper, strict=True):
        if x == 0.0 and conf_type != "plain":
            assert math.isnan(lo) and math.isnan(hi)  # R: NA where S = 0
        else:
            assert lo <= x + 1e-9 and x <= hi + 1e-9
    assert km.events == sum(e for _, e in data)
    risk = numbers_at_risk(km, sorted({d for d, _ in data}))
    assert all(b <= a for a, b in zip(risk, risk[1:], strict=False))
    if not math.isinf(km.median):
        assert survival_at(km, km.median).survival is not None
        assert survival_at(km, km.median).survival <= 0.5  # type: ignore[operator]
        assert km.median <= km.median_upper
        # inf = R's NA: the lower band is NA where S jumps from above 0.5 straight to 0.
        assert km.median_lower <= km.median or math.isinf(km.median_lower)
