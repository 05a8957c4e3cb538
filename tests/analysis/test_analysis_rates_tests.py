"""Clopper–Pearson intervals vs R ``binom.test`` and paired tests vs scipy.

R outputs (printed, quoted on a public page on ``binom.test``):
* ``binom.test(9, 24, 1/6)``: 95 percent CI 0.1879929 0.5940636
* ``binom.test(1, 1497, 0.0033, conf.level = 0.9)``: 90 percent CI 3.426347e-05 3.164954e-03
* ``binom.test(5, 18)``: 95 percent CI 0.09694921 0.53480197 (printed R output in two public
  R exercise files).  5/18 is also the ECOG 3 paper's PSA responder rate (27.8 %).
"""

from __future__ import annotations

import pytest

from lutetia.analysis.rates import clopper_pearson, rate_from_flags
from lutetia.analysis.stat_tests import paired_comparison


def test_clopper_pearson_matches_r_binom_test() -> None:
    r = clopper_pearson(9, 24)
    assert (r.lower, r.upper) == (pytest.approx(0.1879929, abs=5e-8), pytest.approx(0.5940636, abs=5e-8))
    r = clopper_pearson(1, 1497, confidence_level=0.90)
    assert r.lower == pytest.approx(3.426347e-05, rel=1e-6)
    assert r.upper == pytest.approx(3.164954e-03, rel=1e-6)


def test_ecog3_psa_response_rate_in_the_paper_s_form() -> None:
    # Bastian et al. 2025: 5 of 18 patients responders (27.8 %); CI from R binom.test(5, 18).
    r = clopper_pearson(5, 18)
    assert round(100 * r.proportion, 1) == 27.8
    assert (r.lower, r.upper) == (pytest.approx(0.09694921, abs=5e-9), pytest.approx(0.53480197, abs=5e-9))


def test_clopper_pearson_edges() -> None:
    zero = clopper_pearson(0, 10)
    assert zero.lower == 0.0 and 0 < zero.upper < 1
    full = clopper_pearson(10, 10)
    assert full.upper == 1.0 and full.proportion == 1.0


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, 0)])
def test_clopper_pearson_rejects_impossible(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        clopper_pearson(k, n)


def test_rate_from_flags_excludes_not_evaluable() -> None:
    r = rate_from_flags([True, False, None, True, None])
    assert (r.successes, r.n) == (2, 3)


def test_paired_t_when_differences_normal() -> None:
    before = [9.1, 10.2, 8.4, 11.0, 7.9, 9.6, 10.8, 8.8, 9.9, 10.1]
    after = [8.7, 9.5, 8.3, 10.1, 7.7, 9.0, 10.4, 8.2, 9.7, 9.4]
    from scipy.stats import ttest_rel

    res = paired_comparison(before, after)
    assert res.test == "paired t-test"
    assert "not rejected" in res.reason
    assert res.p_value == pytest.approx(float(ttest_rel(after, before).pvalue), rel=1e-12)
    # by hand: differences −0.4 −0.7 −0.1 −0.9 −0.2 −0.6 −0.4 −0.6 −0.2 −0.7, sum −4.8 over 10
    assert res.mean_difference == pytest.approx(-0.48, abs=1e-9)
    # by hand: before mean 9.58; deviations² sum 9.316 → sample SD √(9.316 / 9) = 1.01740
    assert res.mean_before == pytest.approx(9.58, abs=1e-9)
    assert res.sd_before == pytest.approx(1.01740, abs=5e-6)



def test_wilcoxon_when_differences_not_normal() -> None:
    before = [10.0] * 12
    after = [10.1, 10.1, 10.2, 10.1, 10.2, 10.1, 10.1, 10.2, 10.1, 10.1, 10.2, 25.0]
    res = paired_comparison(before, after)
    assert res.test == "Wilcoxon signed-rank"
    assert res.shapiro_p_value is not None and res.shapiro_p_value < 0.05
    assert "rejected" in res.reason


def test_missing_pairs_dropped_and_force() -> None:
    res = paired_comparison([1.0, 2.0, None, 4.0, 5.0], [1.5, 2.1, 3.0, None, 5.9], force="Wilcoxon signed-rank")
    assert (res.n_pairs, res.n_dropped) == (3, 2)
    assert res.test == "Wilcoxon signed-rank" and "requested" in res.reason
    with pytest.raises(ValueError, match="at least 3"):
        paired_comparison([1.0, None], [2.0, 3.0])
