"""VOI table: DVH and uncertainty carried through (lutetia.physics.voi, lutetia.physics.voxel).

Expected values by hand: a VOI half at 1 Gy and half at 3 Gy has a cumulative DVH of 1 up to
1 Gy, 0.5 from just above 1 Gy to 3 Gy (the maximum included: "at least") and D98 ≈ 1, D2 ≈ 3.
Noise-free mono-exponential activities (A₀ 80 MBq, T_eff 60 h at 4, 24, 72 and 168 h) give
Ã = 80·60/ln2 = 6924.7 MBq·h; a 5 % camera calibration uncertainty adds in quadrature to
the fit's. u(BED) is checked against a central finite difference of the
BED function (not its closed-form derivative).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lutetia.physics.radiobiology import bed, lq_parameters
from lutetia.physics.voi import voi_dosimetry
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import mask_dose

TIMES = (4.0, 24.0, 72.0, 168.0)


def test_cumulative_dvh_by_hand() -> None:
    dose = np.zeros((4, 4, 4))
    dose[:2, :2, :2] = 1.0
    dose[2:, :2, :2] = 3.0
    mask = dose > 0
    md = mask_dose(ImageVolume(dose, (10.0, 10.0, 10.0)), mask, "lesion", bins=30)
    frac = dict(zip(np.round(md.dvh_dose_gy, 6), md.dvh_volume_fraction, strict=True))
    assert frac[0.0] == 1.0 and frac[1.0] == 1.0 and frac[1.1] == 0.5 and frac[3.0] == 0.5
    assert md.dvh_volume_fraction[-1] == 0.5 and np.all(np.diff(md.dvh_volume_fraction) <= 0)
    assert md.d98_gy == pytest.approx(1.0) and md.d2_gy == pytest.approx(3.0)


def test_calibration_uncertainty_and_bed_uncertainty_carried_into_the_table() -> None:
    shape = (6, 6, 6)
    kidney = np.zeros(shape, dtype=bool)
    kidney[1:4, 1:4, 1:4] = True
    maps = []
    for t in TIMES:
        a = np.zeros(shape)
        a[kidney] = 80.0 * 2.0 ** (-t / 60.0) / kidney.sum()
        maps.append(ImageVolume(a, (10.0, 10.0, 10.0)))
    dose = ImageVolume(np.where(kidney, 2.0, 0.0), (10.0, 10.0, 10.0))
    (row,) = voi_dosimetry(maps, TIMES, {"kidney_left": kidney},
                           calibration_relative_sigma=0.05, dose=dose)
    assert row.tia_mbq_h == pytest.approx(80.0 * 60.0 / math.log(2.0), rel=1e-6)
    # the fit's own term (10 % per point assumed by the TAC fit) and the 5 % calibration add
    # in quadrature (independent terms, GUM): with the calibration the dose uncertainty grows
    fit = row.fit_relative_sigma
    assert 0.0 < fit < 0.10
    assert row.dose_sd_gy / row.dose_gy == pytest.approx(math.hypot(fit, 0.05), rel=1e-6)
    (plain,) = voi_dosimetry(maps, TIMES, {"kidney_left": kidney})
    assert plain.dose_sd_gy / plain.dose_gy == pytest.approx(fit, rel=1e-6)
    assert row.calibration_relative_sigma == 0.05
    lq = lq_parameters("kidneys")
    assert row.g_factor is not None and row.bed_sd_gy is not None
    h = 1e-4

    def f(d: float) -> float:
        return bed(d, row.g_factor, lq.alpha_beta_gy, lq.repair_half_time_h).bed_gy  # type: ignore[arg-type]

    slope = (f(row.dose_gy + h) - f(row.dose_gy - h)) / (2 * h)
    assert row.bed_sd_gy == pytest.approx(slope * row.dose_sd_gy, rel=1e-6)
    assert row.dvh_volume_fraction[0] == 1.0 and row.dvh_volume_fraction[-1] == 1.0
    assert row.dvh_dose_gy[-1] == pytest.approx(2.0)
