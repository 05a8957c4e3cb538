"""Sphere model: geometric factor by hand, limits, and agreement with the voxel kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lutetia.errors import RecordError
from lutetia.physics.kernel import dose_voxel_kernel
from lutetia.physics.sphere import (
    electron_absorbed_fraction,
    geometric_reduction_factor,
    sphere_dose,
    sphere_radius_mm,
)
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import dose_map


def test_geometric_reduction_factor_by_hand() -> None:
    assert geometric_reduction_factor(0.0) == 1.0
    assert geometric_reduction_factor(0.5) == pytest.approx(0.3125)  # 1 − 0.75 + 0.0625
    assert geometric_reduction_factor(1.0) == 0.0


def test_radius_by_hand() -> None:
    # 4.18879 mL = (4/3)π·1 cm³ -> R = 10 mm
    assert sphere_radius_mm(4.18879) == pytest.approx(10.0, rel=1e-5)


def test_absorbed_fraction_monotone_and_limits() -> None:
    phis = [electron_absorbed_fraction(r) for r in (0.5, 1.0, 3.0, 10.0, 30.0)]
    assert all(a < b for a, b in zip(phis, phis[1:], strict=False))
    assert 0.0 < phis[0] < 1.0 and phis[-1] > 0.99
    with pytest.raises(RecordError):
        electron_absorbed_fraction(0.0)


def test_large_sphere_tends_to_local_deposition() -> None:
    # 1000 mL, Ã 1000 MBq·h: LED = 3.6e9·0.14792·1.602177e-13 J/1.04 kg = 0.082037 Gy
    d = sphere_dose(1000.0, 1000.0)
    assert d.dose_gy == pytest.approx(0.082037, rel=0.01)
    assert d.dose_gy < 0.082037


def test_sphere_model_agrees_with_voxel_kernel_mean_dose() -> None:
    # voxelised sphere R = 8 mm on a 1 mm grid, uniform Ã per voxel; mean dose inside from the
    # FFT kernel vs the sphere model (two independent geometric integrations): within 2 %
    n, r = 31, 8.0
    g = np.indices((n, n, n)) - n // 2
    inside = (g**2).sum(axis=0) <= r**2
    tia = np.where(inside, 1.0, 0.0)
    dose = dose_map(ImageVolume(tia, (1.0, 1.0, 1.0))).array
    volume_ml = inside.sum() * 1e-3
    model = sphere_dose(float(inside.sum()), volume_ml).dose_gy
    assert float(np.asarray(dose)[inside].mean()) == pytest.approx(model, rel=0.02)
    assert dose_voxel_kernel((1.0, 1.0, 1.0)).sum() > 0
    assert math.isfinite(model)
