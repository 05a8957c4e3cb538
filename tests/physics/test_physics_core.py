"""Physics core: hand-computed cases (arithmetic in comments) and the dosimetry.md example.

Expected values come from ../shared/domain/dosimetry.md (the steering repository beside this one) (worked example, cross-checks)
or from arithmetic written beside them; none is recomputed with the function under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lutetia.errors import RecordError
from lutetia.physics import mird, radiobiology, stp
from lutetia.physics._data import load_table
from lutetia.physics.batch import fit_mono_batch
from lutetia.physics.decay import decay_correct, decay_factor, effective_half_life_h, lu177
from lutetia.physics.tac import fit_tac, select_model, trapezoid_tia


def test_every_physics_data_file_loads_with_its_edition() -> None:
    assert load_table("lu177")["meta"]["edition"] == "ICRP Publication 107"
    assert load_table("radiobiology")["organs"]["kidneys"]["status"] == "verify"
    assert load_table("s_values")["organs"]["kidneys"]["s_self_mgy_per_mbq_s"] == 7.76e-5


def test_lu177_constants_from_icrp107() -> None:
    d = lu177()
    assert d.half_life_h == pytest.approx(6.647 * 24)  # 159.528 h
    assert d.electrons_mev == 0.14792
    assert d.decay_constant_per_h == pytest.approx(0.00434499, rel=1e-5)  # 0.693147/159.528


def test_decay_and_decay_correction_by_hand() -> None:
    assert decay_factor(159.528) == pytest.approx(0.5)
    assert decay_factor(2 * 159.528) == pytest.approx(0.25)
    # 50 MBq measured one half-life after the reference -> 100 MBq at the reference
    assert decay_correct(50.0, measured_at_h=159.528) == pytest.approx(100.0)
    # 1/T = 1/159.528 + 1/40 -> T = 31.981 h
    assert effective_half_life_h(40.0) == pytest.approx(31.9814, rel=1e-4)


def test_worked_example_dosimetry_md() -> None:
    # A(24 h) = 100 MBq, T_eff 40 h: Ã = 8746.9 MBq·h; D = 2.444 Gy; 0.330 Gy/GBq; BED 2.594
    s = stp.madsen_tia(100.0, 24.0, 40.0)
    assert s.tia == pytest.approx(8746.9, abs=0.1)
    d = mird.organ_dose(s.tia, "kidneys")
    assert d.dose_gy == pytest.approx(2.444, abs=5e-4)
    assert d.per_gbq(7.4) == pytest.approx(0.330, abs=5e-4)
    b = radiobiology.bed_mono(d.dose_gy, 40.0, 2.6, 2.8)
    assert b.g_factor == pytest.approx(0.065421, abs=1e-6)
    assert b.bed_gy == pytest.approx(2.594, abs=5e-4)
    assert str(b.bed.units) == "Gy_BED"


def test_worked_example_by_fitting_noise_free_points() -> None:
    lam = math.log(2) / 40.0
    t = np.array([2.0, 24.0, 48.0, 96.0, 168.0])
    a = 151.572 * np.exp(-lam * t)  # A0 = 151.572 MBq (dosimetry.md)
    fit = fit_tac(t, a, "mono")
    assert fit.tia == pytest.approx(8746.9, rel=2e-4)
    assert fit.terminal_half_life_h == pytest.approx(40.0, rel=1e-4)
    assert fit.warnings == ()


def test_bi_exponential_tia_and_aicc_choice() -> None:
    # 80·2^(−t/5) + 40·2^(−t/60): Ã = (80·5 + 40·60)/ln2 = 2800/0.693147 = 4039.5 MBq·h
    t = np.array([1.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0, 168.0])
    a = 80 * 2 ** (-t / 5) + 40 * 2 ** (-t / 60)
    best, fits = select_model(t, a, candidates=("mono", "bi"))
    assert best.model == "bi"
    assert best.tia == pytest.approx(4039.5, rel=1e-3)
    assert {f.model for f in fits} == {"mono", "bi"}


def test_uptake_model_fit() -> None:
    # 100(2^(−t/50) − 2^(−t/2)): Ã = 100(50 − 2)/ln2 = 6924.9 MBq·h
    t = np.array([0.5, 1, 2, 4, 8, 24, 48, 96, 168.0])
    a = 100 * (2 ** (-t / 50) - 2 ** (-t / 2))
    fit = fit_tac(t, a, "mono_uptake")
    assert fit.tia == pytest.approx(6924.9, rel=1e-3)


def test_warning_when_clearance_slower_than_physical() -> None:
    t = np.array([4.0, 24.0, 72.0, 168.0])
    fit = fit_tac(t, 100 * np.exp(-0.001 * t), "mono")  # T = 693 h > 159.5 h
    assert fit.warnings and "slower than physical" in fit.warnings[0]


def test_trapezoid_by_hand() -> None:
    # (0,0)-(24,100)-(48,50): 1200 + 1800 = 3000; physical tail 50·159.528/ln2 = 11507.6
    assert trapezoid_tia([24, 48], [100, 50]).tia == pytest.approx(14507.6, abs=0.2)
    # fitted tail λ = ln2/24: 50·24/ln2 = 1731.2
    assert trapezoid_tia([24, 48], [100, 50], "fitted").tia == pytest.approx(4731.2, abs=0.2)


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(RecordError):
        fit_tac([1, 2], [10, -1], "mono")
    with pytest.raises(RecordError):
        fit_tac([1, 2, 3], [10, 9, 8], "bi")


def test_batch_fit_matches_noise_free_truth() -> None:
    t = np.array([2.0, 24.0, 48.0, 168.0])
    lam = np.array([math.log(2) / 40, math.log(2) / 60])
    a = np.array([[150.0], [80.0]]) * np.exp(-lam[:, None] * t)
    fit = fit_mono_batch(t, a)
    # 150·40/ln2 = 8656.2; 80·60/ln2 = 6924.9
    assert fit.tia == pytest.approx([8656.2, 6924.9], rel=1e-4)
    bad = fit_mono_batch(t, np.array([[1.0, 2.0, 3.0, 4.0]]))
    assert not bad.ok[0] and np.isnan(bad.tia[0])


def test_haenscheid_exact_at_t_eff_and_its_error_band() -> None:
    # t = T_eff = 40 h: exact Ã = A(t)·e^{ln2}·T/ln2 = 200·40/ln2 = 11541.6 = Hänscheid
    assert stp.haenscheid_tia(100.0, 40.0).tia == pytest.approx(11541.6, abs=0.1)
    assert stp.haenscheid_ratio(1 / math.log(2)) == pytest.approx(1.061, abs=1e-3)
    assert stp.haenscheid_ratio(0.75) == pytest.approx(0.892, abs=1e-3)
    assert stp.haenscheid_ratio(2.5) == pytest.approx(0.884, abs=1e-3)


def test_local_deposition_cross_check() -> None:
    # dosimetry.md: 0.14792 MeV in 310 g -> 7.645e-5 mGy/(MBq·s)
    assert mird.led_gy_per_mbq_h(310.0) * 1e3 / 3600 == pytest.approx(7.645e-5, rel=1e-3)


def test_kidney_s_value_scaling_against_opendose() -> None:
    # OpenDose ICRP-110 AM right kidney self 1.5283e-4 mGy/(MBq·s) at 157.011 g (independent MC)
    assert mird.kidney_s_value(157.011) == pytest.approx(1.5283e-4, rel=0.02)
    assert mird.kidney_s_value() == 7.76e-5


def test_organ_dose_methods() -> None:
    # parotid 25 g, Ã 1000 MBq·h: 3.6e9·0.14792·1.602177e-13 J / 0.025 kg = 3.4127 Gy
    assert mird.organ_dose(1000.0, "parotid", 25.0).dose_gy == pytest.approx(3.4127, rel=1e-4)
    with pytest.raises(RecordError):
        mird.organ_dose(1000.0, "parotid")
    # marrow: 1 MBq·h/mL × 1 × 1170 g = 1170 MBq·h in 1170 g -> 8.5318e-5 J·1000/1170... =
    # 1170·3.6e9·0.14792·1.602177e-13/1.170 = 0.085318 Gy
    assert mird.red_marrow_dose_blood(1.0).dose_gy == pytest.approx(0.085318, rel=1e-4)


def test_bed_by_hand_and_inverse() -> None:
    # D 10 Gy, G 0.1, α/β 2.5: BED = 10(1 + 0.1·10/2.5) = 14; EQD2 = 14/1.8 = 7.7778
    b = radiobiology.bed(10.0, 0.1, 2.5)
    assert (b.bed_gy, b.eqd2_gy) == (pytest.approx(14.0), pytest.approx(7.7778, abs=1e-4))
    assert radiobiology.dose_for_bed(14.0, 0.1, 2.5) == pytest.approx(10.0)


def test_g_factor_closed_forms_against_numeric_integral() -> None:
    t = np.linspace(0.0, 3000.0, 300001)
    lw, lu = math.log(2) / 40, math.log(2) / 1.5
    numeric = radiobiology.g_factor_numeric(t, np.exp(-lw * t) - np.exp(-lu * t), 2.8)
    assert radiobiology.g_factor_uptake_washout(1.5, 40.0, 2.8) == pytest.approx(numeric, rel=1e-4)
    numeric_mono = radiobiology.g_factor_numeric(t, np.exp(-lw * t), 2.8)
    assert numeric_mono == pytest.approx(2.8 / 42.8, rel=1e-4)  # T_rep/(T_rep+T_eff)


def test_lq_parameters_cited() -> None:
    p = radiobiology.lq_parameters("Kidneys")
    assert (p.alpha_beta_gy, p.repair_half_time_h) == (2.6, 2.8)
    with pytest.raises(RecordError):
        radiobiology.lq_parameters("spleen")


def test_lu177_file_is_generated_with_icrp107_sums() -> None:
    # ICRP-107 Lu-177: β⁻ 0.13327 + IC 0.01352 + Auger 0.00113 = 0.14792 MeV (dosimetry.md);
    # photons 0.03156 + 0.00354 = 0.03510 MeV; b-spectra endpoint 497.8 keV
    t = load_table("lu177")
    e = t["energy_per_decay_mev"]
    assert t["meta"]["generated_from"].startswith("icrp107-database 0.0.3")
    assert (e["beta_minus"], e["internal_conversion_electrons"], e["auger_electrons"]) == (
        0.13327, 0.01352, 0.00113)
    assert e["photons_total"] == 0.03510
    assert [(p["energy_kev"], p["yield"]) for p in t["photon_lines"]] == [(112.95, 0.064),
                                                                        (208.366, 0.11)]
    assert lu177().beta_endpoint_mev == pytest.approx(0.4978)


T12 = np.array([0.25, 0.5, 1, 2, 4, 8, 16, 24, 48, 72, 96, 168.0])


def test_tri_exponential_tia() -> None:
    # 60·2^(−t/1) + 40·2^(−t/10) + 30·2^(−t/80): Ã = (60 + 400 + 2400)/ln2 = 4126.11 MBq·h
    a = 60 * 2 ** (-T12 / 1) + 40 * 2 ** (-T12 / 10) + 30 * 2 ** (-T12 / 80)
    assert fit_tac(T12, a, "tri").tia == pytest.approx(4126.11, rel=1e-4)


def test_bi_exponential_with_uptake_chosen_by_aicc() -> None:
    # 50·2^(−t/4) + 50·2^(−t/60) − 100·2^(−t/0.5): Ã = (200 + 3000 − 50)/ln2 = 4544.49 MBq·h
    a = 50 * 2 ** (-T12 / 4) + 50 * 2 ** (-T12 / 60) - 100 * 2 ** (-T12 / 0.5)
    best, _ = select_model(T12, a)
    assert best.model == "bi_uptake"
    assert best.tia == pytest.approx(4544.49, rel=1e-4)


def test_uncertainty_grows_with_measurement_uncertainty() -> None:
    t = np.array([2.0, 24.0, 48.0, 168.0])
    a = 151.572 * np.exp(-np.log(2) / 40 * t)
    small = fit_tac(t, a, "mono", 0.05 * a)
    large = fit_tac(t, a, "mono", 0.10 * a)
    # σ scales linearly with the assumed measurement σ for a noise-free curve (cov ∝ σ²)
    assert large.tia_sd == pytest.approx(2 * small.tia_sd, rel=1e-3)


def test_dose_uncertainty_adds_calibration_and_mass_in_quadrature() -> None:
    # Ã 1000 ± 30 MBq·h (3 %), calibration 4 %, mass 0 %: u = √(9 + 16) % = 5 %
    d = mird.organ_dose(1000.0, "parotid", 25.0, 30.0, calibration_relative_sigma=0.04)
    assert d.dose_sd_gy / d.dose_gy == pytest.approx(0.05)
    # + mass 12 %: √(9 + 16 + 144) % = 13 %
    d = mird.organ_dose(1000.0, "parotid", 25.0, 30.0, calibration_relative_sigma=0.04,
                        mass_relative_sigma=0.12)
    assert d.dose_sd_gy / d.dose_gy == pytest.approx(0.13)


def test_photon_water_table_edition() -> None:
    t = load_table("photon_water")
    assert t["meta"]["edition"].startswith("NIST SRD 126")
    # NIST water: 100 keV μ/ρ 0.1707, μen/ρ 0.02546 cm²/g
    assert [0.1, 0.1707, 0.02546] in t["coefficients"]["table"]


def test_rising_curve_is_a_convergence_error_not_an_absurd_tia() -> None:
    """A kidney curve that keeps rising has no finite TIA under an exponential model: the fit
    must say so (the mono-exponential rate ends at its lower bound 0)."""
    import pytest

    from lutetia.errors import ConvergenceError
    from lutetia.physics.tac import fit_tac

    with pytest.raises(ConvergenceError, match="does not clear"):
        fit_tac([4.0, 24.0, 48.0, 168.0], [10.0, 20.0, 30.0, 40.0], "mono")


def test_bed_api_scalar_and_array_by_hand() -> None:
    # Kidney, T_eff 40 h, T_rep 2.8 h: G = 2.8/42.8 = 0.0654206 (Dale 1985, mono-exponential);
    # D 4 Gy, α/β 2.6 Gy: BED = 4(1 + 0.0654206·4/2.6) = 4.402586 Gy_BED (hand computation).
    g = radiobiology.g_factor_mono(40.0, 2.8)
    assert g == pytest.approx(0.0654206, rel=1e-6)
    assert radiobiology.bed_gy(4.0, g, 2.6) == pytest.approx(4.402586, rel=1e-6)
    # the array form gives the scalar values element by element, exactly
    doses = np.array([0.0, 4.0, 10.0])
    gs = radiobiology.g_factor_mono(np.array([40.0, 40.0, 2.8]), 2.8)
    assert gs[2] == pytest.approx(0.5)
    arr = radiobiology.bed_gy(doses, gs, 2.6)
    assert list(arr) == [radiobiology.bed_gy(float(d), float(x), 2.6) for d, x in zip(doses, gs, strict=True)]
    # D 10, G 0.5, α/β 2.6: 10(1 + 5/2.6) = 29.230769
    assert arr[2] == pytest.approx(29.230769, rel=1e-7)
    back = radiobiology.dose_for_bed(arr, gs, 2.6)
    assert back == pytest.approx(doses)
    # a negative budget gives no dose; G = 0 gives D = BED
    assert radiobiology.dose_for_bed(-3.0, 0.1, 2.6) == 0.0
    assert radiobiology.dose_for_bed(5.0, 0.0, 2.6) == 5.0


def test_bed_uncertainty_first_order_by_hand() -> None:
    # σ_BED = (1 + 2GD/(α/β))σ_D: D 10, σ 1, G 0.1, α/β 2.5 → 1.8 (hand)
    assert radiobiology.bed_sd_gy(10.0, 1.0, 0.1, 2.5) == pytest.approx(1.8)
    # against a finite difference of the BED itself
    h = 1e-6
    fd = (radiobiology.bed_gy(10.0 + h, 0.1, 2.5) - radiobiology.bed_gy(10.0 - h, 0.1, 2.5)) / (2 * h)
    assert fd == pytest.approx(1.8, rel=1e-6)
