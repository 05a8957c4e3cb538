"""Benchmarks of lutetia.physics (run on demand: ``.venv/bin/python benchmarks/bench_physics.py``).

(a) Voxel dose of a 256³ TIA map with the 177Lu kernel (FFT convolution) against a bare
    ``scipy.fft`` rfftn/irfftn pair of the same padded size, float32, in the same run.
(b) Fitting 10,000 mono-exponential TACs vectorised against a per-curve
    ``scipy.optimize.curve_fit`` loop (run on a subset and extrapolated).
Ratios are against baselines measured in the same run; nothing here asserts a time.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import fft
from scipy.optimize import curve_fit

from lutetia.physics.batch import fit_mono_batch
from lutetia.physics.kernel import dose_voxel_kernel
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import dose_map, padded_shape


def _median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    return _times(fn, repeat)[1]


def _times(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
    """(min, median) wall time in s; the min is least disturbed by other load."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def bench_voxel(n: int = 256, spacing: float = 4.8, photon_radius_mm: float = 0.0) -> None:
    rng = np.random.default_rng(1)
    tia = rng.random((n, n, n), dtype=np.float32) * 100.0
    vol = ImageVolume(tia, (spacing,) * 3)
    kshape = dose_voxel_kernel((spacing,) * 3, photon_radius_mm=photon_radius_mm).shape
    padded = padded_shape(tia.shape, kshape)
    t0 = time.perf_counter()
    dose_map(vol, photon_radius_mm=photon_radius_mm)  # first call: kernel + its FFT (cached)
    cold = time.perf_counter() - t0
    buf = np.zeros(padded, dtype=np.float32)
    buf[:n, :n, :n] = tia  # same data as the dose computation (not untouched zero pages)

    def bare() -> None:
        spec = fft.rfftn(buf, workers=-1)
        fft.irfftn(spec, s=padded, workers=-1)

    # interleaved pairs, so that both see the same background load of a shared machine
    pairs = []
    for _ in range(9):
        t_b = _times(bare, 1)[0]
        t_d = _times(lambda: dose_map(vol, photon_radius_mm=photon_radius_mm), 1)[0]
        pairs.append((t_b, t_d))
    bare_min, dose_min = min(p[0] for p in pairs), min(p[1] for p in pairs)
    ratio_med = statistics.median(p[1] / p[0] for p in pairs)
    t_bare = bare_min
    print(f"(a) voxel dose {n}^3, {spacing} mm voxels, photons to {photon_radius_mm} mm, "
          f"kernel {kshape}, padded {padded}")
    print(f"    bare rfftn+irfftn pair : min {bare_min * 1e3:7.1f} ms "
          f"(median {statistics.median(p[0] for p in pairs) * 1e3:.1f} ms)")
    print(f"    dose_map (warm)        : min {dose_min * 1e3:7.1f} ms "
          f"(median {statistics.median(p[1] for p in pairs) * 1e3:.1f} ms)")
    print(f"    ratio dose/bare        : {dose_min / bare_min:.2f}x (min/min), "
          f"{ratio_med:.2f}x (median of 9 interleaved pairs)")
    print(f"    dose_map (cold, incl. kernel generation and its FFT): {cold * 1e3:.1f} ms "
          f"ratio {cold / t_bare:.2f}x")


def bench_fits(n_curves: int = 10_000, subset: int = 500) -> None:
    rng = np.random.default_rng(2)
    t = np.array([2.0, 24.0, 48.0, 96.0, 168.0])
    a0 = rng.uniform(50, 200, n_curves)
    t_eff = rng.uniform(20, 120, n_curves)
    clean = a0[:, None] * np.exp(-np.log(2) / t_eff[:, None] * t)
    noisy = clean * (1 + 0.05 * rng.standard_normal(clean.shape))
    t_vec = _median_time(lambda: fit_mono_batch(t, noisy), repeat=5)
    batch = fit_mono_batch(t, noisy)

    def f(x: np.ndarray, a: float, lam: float) -> np.ndarray:
        return a * np.exp(-lam * x)

    t0 = time.perf_counter()
    loop_tia = []
    for i in range(subset):
        p, _ = curve_fit(f, t, noisy[i], p0=(noisy[i, 0], 0.02), sigma=0.05 * noisy[i],
                         absolute_sigma=True, maxfev=5000)
        loop_tia.append(p[0] / p[1])
    t_loop = (time.perf_counter() - t0) * n_curves / subset
    rel = np.abs(np.array(loop_tia) / batch.tia[:subset] - 1)
    exact = a0 * t_eff / math.log(2)
    print(f"(b) {n_curves} mono-exponential TACs x {len(t)} points")
    print(f"    vectorised log-linear WLS : {t_vec * 1e3:8.2f} ms (median of 5)")
    print(f"    curve_fit loop            : {t_loop * 1e3:8.1f} ms (extrapolated from {subset})  "
          f"speed-up {t_loop / t_vec:.0f}x")
    print(f"    TIA agreement vectorised vs curve_fit: median {np.median(rel):.2%}, "
          f"95th pct {np.percentile(rel, 95):.2%}; vs truth median "
          f"{np.median(np.abs(batch.tia / exact - 1)):.2%}")


if __name__ == "__main__":
    print(f"scipy.fft workers=-1; numpy {np.__version__}")
    bench_voxel(256, 4.8)
    bench_voxel(256, 2.0)
    bench_voxel(256, 4.8, photon_radius_mm=100.0)
    bench_fits()
