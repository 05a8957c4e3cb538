"""Benchmark of image dosimetry (run on demand: ``.venv/bin/python benchmarks/bench_imaging.py``).

Four time points of a 128×128×100 SPECT (4.8 mm) with a 256×256×100 CT each, written by
tools/make_spect_phantom.py with the patient moved at the later time points; the whole
``lutetia.imaging.pipeline.image_dosimetry`` (DICOM reading, rigid registration of three
time points, VOI resampling, TAC fits, voxel-wise TIA, kernel dose map) runs in a fresh
process whose wall time and peak resident memory are reported. The voxel dose step is then
timed against a bare ``scipy.fft`` rfftn/irfftn pair of the same padded size in the same run
(ratio; the issue's target is ≤ 1.2×). Nothing here asserts a time.
"""

from __future__ import annotations

import importlib.util
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import fft

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (128, 128, 100)
SHIFTS = {24.0: (12.0, -8.0, 6.0), 48.0: (-10.0, 5.0, -9.6), 168.0: (6.0, 10.0, 4.8)}


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("make_spect_phantom",
                                                  ROOT / "tools" / "make_spect_phantom.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_spect_phantom"] = module
    spec.loader.exec_module(module)
    return module


def _pipeline(root: str, queue: Any) -> None:
    from lutetia.imaging.calibration import get_calibration
    from lutetia.imaging.pipeline import image_dosimetry

    t0 = time.perf_counter()
    result = image_dosimetry([Path(root) / f"{h}h" for h in (4, 24, 48, 168)],
                             Path(root) / "masks.nii.gz", Path(root) / "labels.json",
                             calibration=get_calibration("synthetic-megp-208"), register=True)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    queue.put((wall, peak_mb, len(result.rows)))


def bench_voxel_dose_vs_fft(repeat: int = 7) -> tuple[float, float]:
    from lutetia.physics.kernel import dose_voxel_kernel
    from lutetia.physics.volume import ImageVolume
    from lutetia.physics.voxel import dose_map, padded_shape

    tia = np.random.default_rng(1).random(SHAPE, dtype=np.float32) * 100.0
    vol = ImageVolume(tia, (4.8, 4.8, 4.8))
    padded = padded_shape(SHAPE, dose_voxel_kernel((4.8,) * 3).shape)
    dose_map(vol)  # kernel and its transform are cached after the first call
    buf = np.zeros(padded, dtype=np.float32)
    buf[: SHAPE[0], : SHAPE[1], : SHAPE[2]] = tia

    def bare() -> None:
        fft.irfftn(fft.rfftn(buf, workers=-1), s=padded, workers=-1)

    pairs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bare()
        t1 = time.perf_counter()
        dose_map(vol)
        pairs.append((t1 - t0, time.perf_counter() - t1))
    b, d = min(p[0] for p in pairs), min(p[1] for p in pairs)
    return d, d / b


def main() -> None:
    tool = _tool()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        tool.write_phantom(Path(tmp), "nm-rwvm-start", seed=1, phantom=tool.Phantom(shape=SHAPE),
                           shifts_mm=SHIFTS)
        print(f"phantom written (4 × SPECT {SHAPE} + CT 256×256×100): "
              f"{time.perf_counter() - t0:.1f} s")
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_pipeline, args=(tmp, queue))
        proc.start()
        wall, peak_mb, n = queue.get()
        proc.join()
        print(f"image_dosimetry, 4 time points, registration + voxel dose, {n} VOIs: "
              f"{wall:.1f} s, peak RSS {peak_mb:.0f} MB (fresh process)")
    seconds, ratio = bench_voxel_dose_vs_fft()
    print(f"voxel dose {SHAPE}: {seconds * 1000:.0f} ms = {ratio:.2f}× a bare rfftn/irfftn pair "
          "of the same padded size (target ≤ 1.2×)")


if __name__ == "__main__":
    main()
