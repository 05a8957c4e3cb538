"""Voxel dosimetry: kernel energy conservation, uniform maps, TIA maps, DVH."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lutetia.errors import RecordError
from lutetia.physics.kernel import dose_voxel_kernel
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import dose_map, mask_dose, tia_map_region_scaled, tia_map_voxelwise


def test_kernel_sum_is_local_deposition_factor() -> None:
    # 4 mm voxel: m = 0.064 mL·1.04 g/mL = 0.06656 g; 3.6e9·0.14792 MeV·1.602177e-13 J/MeV
    # = 8.53178e-5 J per MBq·h; / 6.656e-5 kg = 1.28182 Gy per MBq·h
    k = dose_voxel_kernel((4.0, 4.0, 4.0))
    assert k.sum() == pytest.approx(1.28182, rel=1e-4)
    assert k.shape == (5, 5, 5)  # radius ceil(3 mm / 4 mm) + 1 voxels
    assert np.argmax(k) == 62  # the source voxel (centre) receives most


def test_kernel_symmetric_and_anisotropic_allowed() -> None:
    k = dose_voxel_kernel((2.0, 2.0, 3.0))
    np.testing.assert_allclose(k, k[::-1, ::-1, ::-1], rtol=1e-6, atol=1e-9 * k.max())
    with pytest.raises(RecordError):
        dose_voxel_kernel((0.0, 1.0, 1.0))


def test_uniform_activity_gives_tia_times_kernel_sum() -> None:
    tia = np.full((24, 24, 24), 50.0)
    d = dose_map(ImageVolume(tia, (3.0, 3.0, 3.0)))
    expected = 50.0 * dose_voxel_kernel((3.0, 3.0, 3.0)).sum()
    assert float(d.array[12, 12, 12]) == pytest.approx(expected, rel=1e-4)
    led = dose_map(ImageVolume(tia, (3.0, 3.0, 3.0)), "led")
    assert float(led.array[12, 12, 12]) == pytest.approx(expected, rel=1e-4)


def test_point_source_energy_conserved() -> None:
    tia = np.zeros((15, 15, 15))
    tia[7, 7, 7] = 1000.0
    d = dose_map(ImageVolume(tia, (2.0, 2.0, 2.0)))
    assert float(d.array.sum()) == pytest.approx(1000.0 * dose_voxel_kernel((2.0,) * 3).sum(), rel=1e-4)


def test_voxelwise_tia_map_recovers_mono_exponential() -> None:
    lam = math.log(2) / 40.0
    a0 = np.random.default_rng(3).random((6, 5, 4)) * 10 + 1
    times = [4.0, 24.0, 48.0, 168.0]
    maps = [ImageVolume(a0 * math.exp(-lam * t), (4.0,) * 3) for t in times]
    tia = tia_map_voxelwise(maps, times)
    np.testing.assert_allclose(tia.array, a0 * 40.0 / math.log(2), rtol=1e-6)  # A0·T/ln2


def test_region_scaled_tia_map() -> None:
    lam = math.log(2) / 40.0
    a0 = np.ones((4, 4, 4))
    times = [2.0, 24.0, 48.0, 96.0, 168.0]
    maps = [ImageVolume(a0 * math.exp(-lam * t), (4.0,) * 3) for t in times]
    mask = np.zeros((4, 4, 4), dtype=bool)
    mask[1:3, 1:3, 1:3] = True
    tia = tia_map_region_scaled(maps, times, mask)
    # each voxel: 1 MBq·40/ln2 = 57.708 MBq·h
    assert float(tia.array[1, 1, 1]) == pytest.approx(57.708, rel=1e-3)
    assert float(tia.array[0, 0, 0]) == 0.0


def test_unregistered_maps_rejected() -> None:
    a = ImageVolume(np.ones((3, 3, 3)), (4.0,) * 3)
    b = ImageVolume(np.ones((3, 3, 3)), (4.0,) * 3, origin_mm=(10.0, 0.0, 0.0))
    with pytest.raises(RecordError):
        tia_map_voxelwise([a, b], [24.0, 48.0])


def test_dvh_of_uniform_and_two_level_dose() -> None:
    d = np.ones((10, 10, 10))
    d[:5] = 3.0  # half at 3 Gy, half at 1 Gy
    m = mask_dose(ImageVolume(d, (2.0,) * 3, quantity="dose_Gy"), np.ones_like(d, dtype=bool))
    assert m.mean_gy == pytest.approx(2.0)
    assert (m.d98_gy, m.d2_gy) == (pytest.approx(1.0), pytest.approx(3.0))
    assert m.volume_ml == pytest.approx(8.0)  # 1000 voxels × 0.008 mL
    assert m.dvh_volume_fraction[0] == 1.0


def test_voxel_slower_than_physical_uses_trapezoid_fallback() -> None:
    # activity rising 10 -> 12 MBq: no clearance; trapezoid (0,0)-(24,10)-(48,12):
    # 120 + 264 = 384; physical tail 12·159.528/ln2 = 2761.8; total 3145.8 MBq·h
    maps = [ImageVolume(np.full((2, 2, 2), v), (4.0,) * 3) for v in (10.0, 12.0)]
    tia = tia_map_voxelwise(maps, [24.0, 48.0])
    assert float(tia.array[0, 0, 0]) == pytest.approx(3145.8, abs=0.2)


def test_photon_part_of_kernel_by_hand() -> None:
    # Energy absorbed within R = 50 mm, Σ Eᵢyᵢ(1 − e^−μᵢR), μ_en/ρ NIST water (log–log) × 1.04:
    # main lines 112.95 keV (0.0027140/mm) and 208.37 keV (0.0031086/mm):
    # 0.0072288·(1 − e^−0.13570) + 0.0229203·(1 − e^−0.15543) = 0.0042167 MeV;
    # the other 4 γ lines and the 60 X-ray lines of ICRP-107 (K X-rays 55–65 keV, L X-rays
    # 7–11 keV absorbed within a few mm) add 0.0010568 -> 0.0052735 MeV per decay
    # (vs 0.14792 MeV of electrons)
    for s in (2.0, 4.0):
        e = dose_voxel_kernel((s,) * 3).sum()
        p = dose_voxel_kernel((s,) * 3, photon_radius_mm=50.0).sum()
        assert (p - e) / e * 0.14792 == pytest.approx(0.0052735, rel=0.01)
    with pytest.raises(RecordError):
        dose_voxel_kernel((2.0,) * 3, photon_radius_mm=-1.0)


def test_dose_map_with_photons_exceeds_electrons_only() -> None:
    tia = np.zeros((21, 21, 21))
    tia[10, 10, 10] = 100.0
    vol = ImageVolume(tia, (4.0,) * 3)
    e = np.asarray(dose_map(vol).array)
    p = np.asarray(dose_map(vol, photon_radius_mm=30.0).array)
    assert float(p[10, 10, 10]) > float(e[10, 10, 10])
    # 24 mm away: electrons give only float32 FFT round-off (< 1e-7 of the centre), photons not
    assert abs(float(e[10, 10, 16])) < 1e-7 * float(e[10, 10, 10])
    # photon share there: 0.0301 MeV·μ·e^(−μr)·V/(4πr²) ≈ 7e-7 MeV vs 0.144 MeV at the centre
    assert float(p[10, 10, 16]) > 1e-6 * float(e[10, 10, 10])
