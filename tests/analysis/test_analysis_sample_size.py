"""Sample size and power.

Expected values: RE-LuPSMA protocol n = 40 with critical value 26 (Lutetia shared/domain
statistics.md, from the protocol's stated design); normal approximation 33 (one-sided) and
43 (two-sided) worked by hand below; Schoenfeld events worked by hand below.
"""

from __future__ import annotations

import pytest

from lutetia.analysis.sample_size import (
    events_to_patients,
    exact_binomial_power,
    exact_binomial_sample_size,
    normal_sample_size,
    schoenfeld_events,
)


def test_re_lupsma_exact_design() -> None:
    d = exact_binomial_sample_size(0.50, 0.71, alpha=0.05, power=0.80)
    assert (d.n, d.critical_value) == (40, 26)
    assert d.actual_alpha <= 0.05 and d.power >= 0.80


def test_power_is_sawtoothed_so_first_crossing_is_not_enough() -> None:
    # n = 35 already reaches 0.80 but n = 36 drops below: 40 is the first n that stays above.
    assert exact_binomial_power(35, 0.5, 0.71).power >= 0.80
    assert exact_binomial_power(36, 0.5, 0.71).power < 0.80
    assert all(exact_binomial_power(n, 0.5, 0.71).power >= 0.80 for n in range(40, 120))
    assert exact_binomial_power(39, 0.5, 0.71).power < 0.80


def test_normal_approximation_by_hand() -> None:
    # one-sided: (1.6449·√0.25 + 0.8416·√(0.71·0.29)) / 0.21 = (0.8224 + 0.3819)/0.21 = 5.735 → 32.9 → 33
    assert normal_sample_size(0.50, 0.71) == 33
    # two-sided: (1.9600·0.5 + 0.3819)/0.21 = 6.485 → 42.06 → 43
    assert normal_sample_size(0.50, 0.71, sidedness="two-sided") == 43


def test_schoenfeld_by_hand() -> None:
    # (1.95996 + 0.84162)² = 7.8489; HR 0.75: ln² = 0.082761; /(0.25·0.082761) = 379.4 → 380
    assert schoenfeld_events(0.75) == 380
    # HR 0.5: ln² = 0.480453; 7.8489 / (0.25·0.480453) = 65.35 → 66
    assert schoenfeld_events(0.5) == 66
    assert schoenfeld_events(0.5) == schoenfeld_events(2.0)
    assert events_to_patients(66, 0.6) == 110


def test_invalid_design_inputs() -> None:
    with pytest.raises(ValueError):
        exact_binomial_sample_size(0.7, 0.5)
    with pytest.raises(ValueError):
        schoenfeld_events(1.0)


def test_two_sided_exact_design_is_larger_and_keeps_size() -> None:
    one = exact_binomial_sample_size(0.50, 0.71)
    two = exact_binomial_sample_size(0.50, 0.71, sidedness="two-sided")
    assert two.n > one.n and two.actual_alpha <= 0.05 and two.lower_critical_value is not None
    with pytest.raises(ValueError, match="sidedness"):
        exact_binomial_power(40, 0.5, 0.71, sidedness="both")  # type: ignore[arg-type]
