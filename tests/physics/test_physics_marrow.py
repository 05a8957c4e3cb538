"""Red marrow, EANM 2010 blood method: mass-scaled self S-value, cross-dose, RMBLR forms.

Expected values by hand from the OLINDA-style adult-male 177Lu table (S(RM←RM) 1.15e-5,
S(RM←TB) 2.74e-7 mGy/(MBq·s); ICRP-89 masses 1170 g marrow, 73000 g total body) and
Hindorf et al. EJNMMI 2010;37:1238 (remainder-of-body S-value).
"""

from __future__ import annotations

import pytest

from lutetia.errors import RecordError
from lutetia.physics import mird


def test_self_dose_uses_phantom_s_value_not_local_deposition() -> None:
    # 1170 MBq·h × 1.15e-5 × 3.6 = 0.048438 Gy; LED would give 0.085318 Gy (1.76×)
    d = mird.red_marrow_dose_blood(1.0)
    assert d.dose_gy == pytest.approx(0.048438, rel=1e-4)
    assert d.method == "blood_s_self"
    assert 0.085318 / d.dose_gy == pytest.approx(1.7614, rel=1e-3)


def test_cross_dose_from_remainder_of_body() -> None:
    # S(RM←RB) = 2.74e-7·73000/71830 − 1.15e-5·1170/71830 = 9.1140e-8 mGy/(MBq·s);
    # Ã_RB = 50000 − 1170 = 48830 MBq·h -> 48830 × 9.1140e-8 × 3.6 = 0.016021 Gy
    d = mird.red_marrow_dose_blood(1.0, total_body_tia_mbq_h=50000.0)
    assert d.dose_gy == pytest.approx(0.048438 + 0.016021, rel=1e-4)
    assert d.method == "blood_s_self_cross"
    with pytest.raises(RecordError, match="total_body_tia"):
        mird.red_marrow_dose_blood(1.0, total_body_tia_mbq_h=100.0)


def test_mass_scaling_self_and_cross() -> None:
    # self: Ã_RM ∝ m and S ∝ 1/m, so the self-dose from a concentration does not depend on m
    assert mird.red_marrow_dose_blood(1.0, 1000.0).dose_gy == pytest.approx(0.048438, rel=1e-4)
    # cross scaled with the total-body mass: 80 kg -> × 73/80
    s_self, s_rb = mird.red_marrow_s_values(1170.0, 80000.0)
    assert s_self == pytest.approx(4.14e-5, rel=1e-6)
    assert s_rb == pytest.approx(9.1140e-8 * 3.6 * 73.0 / 80.0, rel=1e-4)


def test_rmblr_haematocrit_form() -> None:
    # 0.19/(1 − 0.45) = 0.345455 (Sgouros 1993)
    assert mird.rmblr_from_haematocrit(0.45) == pytest.approx(0.345455, rel=1e-5)
    d = mird.red_marrow_dose_blood(1.0, rmblr=mird.rmblr_from_haematocrit(0.45))
    assert d.dose_gy == pytest.approx(0.048438 * 0.345455, rel=1e-4)
    for bad in (0.0, 1.0, 45.0):
        with pytest.raises(RecordError, match="haematocrit"):
            mird.rmblr_from_haematocrit(bad)
