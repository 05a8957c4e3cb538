"""RTSTRUCT and DICOM SEG VOIs, against the phantom's analytic truth.

The phantom (tools/make_spect_phantom.py) writes its objects as an RT Structure Set of
analytic ellipse contours on the CT planes. Truth for the masks: the voxelised objects of
the phantom (a SPECT voxel belongs to an object when its centre lies inside the analytic
ellipsoid, ``Phantom.masks``); the rasterised contours must give the same voxels (Dice ≥
0.97) and the TIAs within the pipeline's stated 5 % of A₀·T_eff/ln2. The SEG written from
the VOIs used must read back to the same voxels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from phantom_tool import load_tool as _tool

from lutetia.errors import RecordError
from lutetia.imaging.calibration import get_calibration
from lutetia.imaging.pipeline import image_dosimetry, table
from lutetia.imaging.rtstruct import Roi, StructureSet, rtstruct_fractions
from lutetia.imaging.seg import write_seg
from lutetia.physics.volume import ImageVolume


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Any]:
    root = tmp_path_factory.mktemp("voi-files")
    tool = _tool()
    truth = tool.write_phantom(root, "nm-rwvm-start", seed=3, times_h=(24.0, 168.0),
                               with_ct=False)
    return root, truth, tool.Phantom().masks()


@pytest.fixture(scope="module")
def from_rtstruct(phantom: tuple[Path, dict[str, Any], Any]) -> Any:
    root, truth, _ = phantom
    return _run(root, truth, root / "rtstruct.dcm")


def _run(root: Path, truth: dict[str, Any], masks: Path, labels: Path | None = None,
         **kw: Any) -> Any:
    kw.setdefault("same_position", True)
    return image_dosimetry([root / f"{int(t)}h" for t in truth["times_h"]], masks, labels,
                           calibration=get_calibration("synthetic-megp-208"), voxel_dose=False,
                           **kw)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


def test_rtstruct_contours_give_the_phantom_voxels_and_tias(
        phantom: tuple[Path, dict[str, Any], Any], from_rtstruct: Any) -> None:
    _, truth, true_masks = phantom
    result = from_rtstruct
    assert result.provenance["mask_format"] == "rtstruct"
    for name, mask in result.masks.items():
        assert _dice(mask, true_masks[name]) >= 0.97, name
    rows = {r["voi"]: r for r in table(result)}
    for o in truth["objects"]:
        assert rows[o["name"]]["tia_MBq_h"] == pytest.approx(o["tia_MBq_h"], rel=0.05), o["name"]


def test_rtstruct_names_frame_and_class_are_checked(
        phantom: tuple[Path, dict[str, Any], Any], tmp_path: Path) -> None:
    root, truth, _ = phantom
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"kidney_left": "kidneys"}), encoding="utf-8")
    only = _run(root, truth, root / "rtstruct.dcm", names)
    assert list(only.masks) == ["kidneys"]
    names.write_text(json.dumps({"Kidney L": "kidney_left"}), encoding="utf-8")
    with pytest.raises(RecordError) as err:
        _run(root, truth, root / "rtstruct.dcm", names)
    assert err.value.field == "ROIName" and "Kidney L" in str(err.value)
    # the structure set is on the 24 h frame; the 168 h SPECT first in the list is another one
    with pytest.raises(RecordError) as err:
        image_dosimetry([root / "168h"], root / "rtstruct.dcm", None, voxel_dose=False)
    assert err.value.field == "ReferencedFrameOfReferenceUID"
    spect = next((root / "24h").iterdir())
    with pytest.raises(RecordError) as err:
        _run(root, truth, spect)
    assert err.value.field == "SOPClassUID"


def test_contour_inside_a_contour_is_a_hole() -> None:
    """A 10 mm square ring (outer 40 mm, inner 20 mm) on 2 mm voxels, contoured on planes
    z = 0 and 2 mm: by hand, 20×20 − 10×10 = 300 voxels per plane, 600 in all."""
    outer = np.array([[-20.0, -20.0], [20.0, -20.0], [20.0, 20.0], [-20.0, 20.0]])
    inner = outer / 2.0
    roi = Roi(1, "ring", tuple((z, p) for z in (0.0, 2.0) for p in (outer, inner)))
    grid = ImageVolume(np.zeros((30, 30, 4)), (2.0, 2.0, 2.0), (-29.0, -29.0, -2.0), "F")
    frac = rtstruct_fractions(StructureSet("ring.dcm", "F", (roi,)), None, grid)["ring"]
    assert int((frac >= 0.5).sum()) == 600
    assert frac[14, 14, 1] == 0.0 and frac[5, 14, 1] == 1.0  # in the hole; in the ring


def test_seg_written_from_the_vois_used_reads_back_identically(
        phantom: tuple[Path, dict[str, Any], Any], from_rtstruct: Any, tmp_path: Path) -> None:
    import pydicom

    root, truth, true_masks = phantom
    first = from_rtstruct
    tp = first.time_points[0]
    uid = write_seg(tmp_path / "vois.dcm", first.masks, tp.activity, tp.image.files,
                    software="lutetia test")
    ds = pydicom.dcmread(tmp_path / "vois.dcm")
    assert ds.Modality == "SEG" and ds.SeriesInstanceUID == uid
    assert ds.FrameOfReferenceUID == tp.image.frame_of_reference
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == tp.image.series_uid
    codes = {s.SegmentLabel: s.SegmentedPropertyTypeCodeSequence[0].CodeValue
             for s in ds.SegmentSequence}
    assert codes["kidney_left"] == "64033007" and codes["lesion_1"] == "108369006"  # SNOMED CT
    back = _run(root, truth, tmp_path / "vois.dcm")
    assert back.provenance["mask_format"] == "seg"
    for name, mask in first.masks.items():
        assert np.array_equal(back.masks[name], mask), name
        assert _dice(back.masks[name], true_masks[name]) >= 0.97
    assert not (tmp_path / "vois.dcm.part").exists()


def test_molecular_tumour_volume_on_the_day_3_scan(phantom: tuple[Path, dict[str, Any], Any],
                                                   tmp_path: Path) -> None:
    """Unblurred truth: the phantom's true activity map segmented at SUV 3 gives exactly the
    voxelised lesions (truth.json voxel counts); on the blurred 48 h image (day 3, the
    protocol's scan day) 40 % of max recovers the lesion volume within 10 % and SUV 3 over-
    estimates it (blur spreads activity outwards; measured +80 % on this phantom)."""
    from lutetia.physics.segment import segment_tumour, suv_concentration_bq_per_ml

    root, _, true_masks = phantom
    tool = _tool()
    ph = tool.Phantom()
    lesion_ml = sum(o["volume_mL"] for o in json.loads((root / "truth.json").read_text())
                    ["objects"] if o["name"].startswith("lesion"))
    exact = ImageVolume(ph.true_activity_map(48.0), (4.8, 4.8, 4.8))
    organs = true_masks["kidney_left"] | true_masks["kidney_right"]
    burden = segment_tumour(exact, suv_concentration_bq_per_ml(3.0, 7400.0, 80.0, 48.0),
                            exclude=organs, min_component_ml=0.5)
    assert burden.volume_ml == pytest.approx(lesion_ml, rel=1e-9) and burden.regions == 2
    folders = [root / "24h"]
    day3 = tmp_path / "48h"
    tool.write_spect(ph, 48.0, "nm-rwvm-start", day3, np.random.default_rng(4))
    kw: dict[str, Any] = {"calibration": get_calibration("synthetic-megp-208"),
                          "same_position": True, "voxel_dose": False}
    pct = image_dosimetry([*folders, day3], root / "rtstruct.dcm", None,
                          tumour_method="percent_of_max", **kw)
    assert pct.tumour is not None and pct.tumour.time_point.hours == 48.0
    assert pct.tumour.burden.volume_ml == pytest.approx(lesion_ml, rel=0.10)
    suv = image_dosimetry([day3], root / "rtstruct.dcm", None, tumour_method="suv",
                          weight_kg=80.0, **kw)
    assert suv.tumour is not None and suv.tumour.burden.threshold.value == 3.0
    assert 1.3 * lesion_ml < suv.tumour.burden.volume_ml < 2.2 * lesion_ml
    with pytest.raises(RecordError, match="weight"):
        image_dosimetry([day3], root / "rtstruct.dcm", None, tumour_method="suv", **kw)


def test_mask_files_of_other_kinds_are_refused(phantom: tuple[Path, dict[str, Any], Any],
                                                tmp_path: Path) -> None:
    root, truth, _ = phantom
    with pytest.raises(RecordError) as err:
        _run(root, truth, root / "masks.nii.gz")  # a label map needs its labels file
    assert err.value.field == "labels"
    text = tmp_path / "masks.txt"
    text.write_text("1,kidney_left\n", encoding="utf-8")
    with pytest.raises(RecordError, match="neither NIfTI nor DICOM"):
        _run(root, truth, text)
