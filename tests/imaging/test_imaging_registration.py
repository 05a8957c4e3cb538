"""Rigid registration of later time points (SimpleITK, mutual information) on a moved patient.

The phantom patient lies (12, −8, 6) mm, (−10, 5, −9.6) mm and (6, 10, 4.8) mm away at 24,
48 and 168 h (tools/make_spect_phantom.py ``shifts_mm``): the registration must find those
translations (the transform maps first-time-point points to later ones) and the VOI TIAs
must come back near the analytic truth, which they do not without registration.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lutetia.imaging.calibration import get_calibration
from lutetia.imaging.pipeline import image_dosimetry, table

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_spect_phantom.py"
SHIFTS = {24.0: (12.0, -8.0, 6.0), 48.0: (-10.0, 5.0, -9.6), 168.0: (6.0, 10.0, 4.8)}


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("make_spect_phantom", TOOL)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    sys.modules["make_spect_phantom"] = tool
    spec.loader.exec_module(tool)
    root = tmp_path_factory.mktemp("moved")
    return root, tool.write_phantom(root, "nm-rwvm-start", seed=3, with_ct=False,
                                    shifts_mm=SHIFTS)


def _run(root: Path, truth: dict[str, Any], register: bool) -> Any:
    return image_dosimetry([root / f"{int(t)}h" for t in truth["times_h"]],
                           root / "masks.nii.gz", root / "labels.json",
                           calibration=get_calibration("synthetic-megp-208"),
                           same_position=not register, register=register, voxel_dose=False)


def test_registration_finds_the_shifts_and_recovers_the_tia(
        moved: tuple[Path, dict[str, Any]]) -> None:
    root, truth = moved
    result = _run(root, truth, register=True)
    for quality, t in zip(result.provenance["registration"], (24.0, 48.0, 168.0), strict=True):
        found = np.array(quality["euler_rad_mm"][3:])
        assert np.abs(found - np.array(SHIFTS[t])).max() < 1.5, (t, found)
        assert np.abs(quality["euler_rad_mm"][:3]).max() < 0.05  # none applied; < 3° found
        assert quality["ncc_after"] > quality["ncc_before"] + 0.2
    rows = {r["voi"]: r for r in table(result)}
    # linear resampling smooths a little more: kidneys within 5 %, lesions within 10 %
    for o in truth["objects"]:
        tol = 0.05 if o["name"].startswith("kidney") else 0.10
        assert rows[o["name"]]["tia_MBq_h"] == pytest.approx(o["tia_MBq_h"], rel=tol), o["name"]


def test_without_registration_the_moved_patient_is_wrong(
        moved: tuple[Path, dict[str, Any]]) -> None:
    root, truth = moved
    rows = {r["voi"]: r for r in table(_run(root, truth, register=False))}
    k = next(o for o in truth["objects"] if o["name"] == "kidney_left")
    assert rows["kidney_left"]["tia_MBq_h"] < 0.85 * k["tia_MBq_h"]
