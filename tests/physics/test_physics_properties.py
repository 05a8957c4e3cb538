"""Hypothesis properties of the physics core (issue 4)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.physics import radiobiology
from lutetia.physics.decay import decay, decay_factor
from lutetia.physics.tac import tia_sum_exp
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import dose_map

times = st.floats(0.0, 2000.0)
pos = st.floats(0.01, 1e4)


@given(times, times)
def test_decay_composes(t1: float, t2: float) -> None:
    assert math.isclose(decay_factor(t1 + t2), decay_factor(t1) * decay_factor(t2), rel_tol=1e-9)


@given(pos, st.floats(0.0, 500.0))
def test_decay_then_correct_round_trip(a: float, t: float) -> None:
    assert math.isclose(decay(a, t) / decay_factor(t), a, rel_tol=1e-9)


@given(st.floats(0.0, 100.0), st.floats(1.0, 500.0), st.floats(0.1, 20.0), st.floats(0.1, 20.0))
def test_bed_at_least_dose(d: float, t_eff: float, ab: float, t_rep: float) -> None:
    b = radiobiology.bed_mono(d, t_eff, ab, t_rep)
    assert b.bed_gy >= d


@given(st.floats(0.1, 50.0), st.floats(1.0, 500.0))
def test_bed_tends_to_dose_when_alpha_beta_large(d: float, t_eff: float) -> None:
    b = radiobiology.bed_mono(d, t_eff, 1e9, 2.8)
    assert math.isclose(b.bed_gy, d, rel_tol=1e-6)


@given(st.lists(st.tuples(pos, st.floats(1e-3, 1.0)), min_size=1, max_size=4),
       st.lists(st.tuples(pos, st.floats(1e-3, 1.0)), min_size=1, max_size=4))
def test_tia_additive_over_components(c1: list[tuple[float, float]],
                                      c2: list[tuple[float, float]]) -> None:
    a1, r1 = (np.array(x) for x in zip(*c1, strict=True))
    a2, r2 = (np.array(x) for x in zip(*c2, strict=True))
    both = tia_sum_exp(np.concatenate((a1, a2)), np.concatenate((r1, r2)))
    assert math.isclose(both, tia_sum_exp(a1, r1) + tia_sum_exp(a2, r2), rel_tol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.1, 1e4), st.sampled_from([2.0, 3.0, 4.8]))
def test_dose_linear_in_activity(scale: float, spacing: float) -> None:
    rng = np.random.default_rng(7)
    tia = rng.random((12, 10, 8)) * 100.0
    d1 = dose_map(ImageVolume(tia, (spacing,) * 3)).array
    d2 = dose_map(ImageVolume(tia * scale, (spacing,) * 3)).array
    np.testing.assert_allclose(d2, np.asarray(d1) * scale, rtol=2e-4, atol=1e-5 * scale * float(np.max(d1)))


@given(st.floats(0.75, 2.5), st.floats(5.0, 300.0), st.floats(1.0, 1e4))
def test_haenscheid_within_its_band_for_mono_exponential(x: float, t_eff: float, a0: float) -> None:
    # exact Ã = A0·T_eff/ln2; dosimetry.md: r(x) = 2x·2^(−x) in [0.8839, 1.0615] for x in [0.75, 2.5]
    from lutetia.physics.stp import haenscheid_tia

    t = x * t_eff
    exact = a0 * t_eff / math.log(2)
    ratio = haenscheid_tia(a0 * 2 ** (-x), t).tia / exact
    assert 0.88388 - 1e-9 <= ratio <= 1.06151  # r(2.5) = 5·2^(−2.5) = 0.883883; max at 1/ln2


@settings(max_examples=20, deadline=None)
@given(st.permutations(list(range(5))))
def test_fit_invariant_to_input_order(order: list[int]) -> None:
    from lutetia.physics.tac import fit_tac

    t = np.array([2.0, 24.0, 48.0, 96.0, 168.0])
    a = np.array([118.0, 101.0, 69.0, 36.0, 14.0])
    ref = fit_tac(t, a, "mono").tia
    assert math.isclose(fit_tac(t[order], a[order], "mono").tia, ref, rel_tol=1e-6)
