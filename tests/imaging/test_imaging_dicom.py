"""Quantitative SPECT DICOM reading, against the analytic truth of tools/make_spect_phantom.py.

Truth: activities A₀·2^(−t/T_eff) of the phantom's objects (the generator spreads them over
the voxelised objects, blurs and adds Poisson noise; blur conserves the total, the noise of
~10⁶ counts is < 0.3 %). Every header edge case is made by editing a copy of the files.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from phantom_tool import load_tool as _tool

from lutetia.errors import RecordError
from lutetia.imaging.series import find_series, one_series
from lutetia.imaging.spect import read_spect

CET = timezone(timedelta(hours=1))
T_HALF_H = 6.647 * 24.0  # ICRP-107



@pytest.fixture(scope="module")
def phantoms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    tool = _tool()
    out = {}
    for variant in tool.VARIANTS:
        root = tmp_path_factory.mktemp(variant)
        out[variant] = (root, tool.write_phantom(root, variant, seed=7, times_h=(4.0, 168.0)))
    return out


def _spect(folder: Path, tz: Any = None) -> Any:
    return read_spect(one_series(folder, ("NM", "PT")).files, tz=tz)


def _edited(src: Path, dst: Path, edit: Callable[[pydicom.Dataset, int], None]) -> Path:
    shutil.copytree(src, dst)
    spect = one_series(dst, ("NM", "PT"))
    for i, f in enumerate(sorted(spect.files)):
        ds = pydicom.dcmread(f)
        edit(ds, i)
        ds.save_as(f)
    return dst


def _total(truth: dict[str, Any], index: int) -> float:
    return sum(o["activity_MBq"][index] for o in truth["objects"])


@pytest.mark.parametrize("variant", ["nm-rwvm-start", "pt-slices-admin"])
def test_total_activity_and_times_match_truth(phantoms: dict[str, Any], variant: str) -> None:
    root, truth = phantoms[variant]
    for i, t in enumerate((4.0, 168.0)):
        im = _spect(root / f"{int(t)}h", tz=CET)
        assert im.hours_after_injection() == pytest.approx(t, abs=1e-9)
        assert float(im.activity_mbq().array.sum()) == pytest.approx(_total(truth, i), rel=0.005)
        assert im.administered_mbq == pytest.approx(7400.0)  # NM in MBq, PT stored in Bq
        assert im.frame_of_reference == one_series(root / f"{int(t)}h", ("CT",)).frame_of_reference


def test_pt_slices_each_have_their_own_rescale_slope(phantoms: dict[str, Any]) -> None:
    root, _ = phantoms["pt-slices-admin"]
    files = one_series(root / "4h", ("PT",)).files
    slopes = {str(pydicom.dcmread(f, stop_before_pixels=True).RescaleSlope) for f in files}
    assert len(slopes) > 10
    im = _spect(root / "4h", tz=CET)
    assert im.decay_correction == "ADMIN" and im.modality == "PT"


def test_counts_need_a_calibration(phantoms: dict[str, Any]) -> None:
    root, _ = phantoms["nm-cnts-none"]
    im = _spect(root / "4h")
    assert im.units == "CNTS" and im.volume.quantity == "counts"
    # 10 cps/MBq × 1200 s × 148.32 MBq = 1.7798e6 counts (Poisson noise 0.08 %)
    assert float(im.volume.array.sum()) == pytest.approx(1.7798e6, rel=0.005)
    with pytest.raises(RecordError, match="'Units'"):
        im.activity_mbq()


def test_decay_correction_datetime_is_the_reference(phantoms: dict[str, Any],
                                                    tmp_path: Path) -> None:
    # START with DecayCorrectionDateTime 2 h before the acquisition: stored values are at
    # that time, so the activity at acquisition is × 2^(−2/159.528) = 0.991347
    root, truth = phantoms["nm-rwvm-start"]

    def edit(ds: pydicom.Dataset, _: int) -> None:
        ds.DecayCorrectionDateTime = "20260302110000"

    im = _spect(_edited(root / "4h", tmp_path / "dc", edit))
    factor = 2.0 ** (-2.0 / T_HALF_H)
    assert factor == pytest.approx(0.991347, rel=1e-6)
    assert float(im.activity_mbq().array.sum()) == pytest.approx(_total(truth, 0) * factor,
                                                                 rel=0.005)


def test_injection_and_scan_across_midnight(phantoms: dict[str, Any], tmp_path: Path) -> None:
    # injected 23:50 on 1 March, scanned 03:50 on 2 March, series dated 1 March: 4.0 h, and
    # ADMIN values decayed over 4 h (not −20 h, not +28 h)
    root, truth = phantoms["pt-slices-admin"]

    def edit(ds: pydicom.Dataset, _: int) -> None:
        ds.RadiopharmaceuticalInformationSequence[0].RadiopharmaceuticalStartDateTime = \
            "20260301235000"
        ds.SeriesDate, ds.SeriesTime = "20260301", "235900"
        ds.AcquisitionDate, ds.AcquisitionTime = "20260302", "035000"

    im = _spect(_edited(root / "4h", tmp_path / "mid", edit), tz=CET)
    assert im.hours_after_injection() == pytest.approx(4.0, abs=1e-9)
    assert float(im.activity_mbq().array.sum()) == pytest.approx(_total(truth, 0), rel=0.005)


def test_utc_offset_inside_the_datetime_is_used(phantoms: dict[str, Any], tmp_path: Path) -> None:
    root, _ = phantoms["pt-slices-admin"]

    def edit(ds: pydicom.Dataset, _: int) -> None:
        ds.AcquisitionDateTime = "20260302120000+0100"
        ds.RadiopharmaceuticalInformationSequence[0].RadiopharmaceuticalStartDateTime = \
            "20260302080000+0000"

    im = _spect(_edited(root / "4h", tmp_path / "tz", edit), tz=UTC)
    assert im.hours_after_injection() == pytest.approx(3.0)  # 11:00 UTC − 08:00 UTC


def _delete(*keywords: str) -> Callable[[pydicom.Dataset, int], None]:
    def edit(ds: pydicom.Dataset, _: int) -> None:
        for kw in keywords:
            if kw in ds:
                delattr(ds, kw)
    return edit


def _set(keyword: str, value: object, only_first: bool = False) -> Callable[[pydicom.Dataset, int],
                                                                            None]:
    def edit(ds: pydicom.Dataset, i: int) -> None:
        if not only_first or i == 0:
            setattr(ds, keyword, value)
    return edit


def _injection(**kw: str) -> Callable[[pydicom.Dataset, int], None]:
    def edit(ds: pydicom.Dataset, _: int) -> None:
        rp = ds.RadiopharmaceuticalInformationSequence[0]
        for k, v in kw.items():
            if v == "":
                delattr(rp, k)
            else:
                setattr(rp, k, v)
    return edit


def _units_code(code: str) -> Callable[[pydicom.Dataset, int], None]:
    def edit(ds: pydicom.Dataset, _: int) -> None:
        ds.RealWorldValueMappingSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = code
    return edit


HEADER_CASES = [
    # (variant, edit, tz given, tag named in the error)
    ("pt-slices-admin", _delete("Units"), True, "Units"),
    ("pt-slices-admin", _set("Units", "SUVBW"), True, "Units"),
    ("pt-slices-admin", _delete("DecayCorrection"), True, "DecayCorrection"),
    ("pt-slices-admin", _set("DecayCorrection", "ADMINISTRATION"), True, "DecayCorrection"),
    ("pt-slices-admin", _injection(RadiopharmaceuticalStartDateTime=""), True,
     "RadiopharmaceuticalStartDateTime"),
    ("pt-slices-admin", _injection(RadiopharmaceuticalStartDateTime="",
                                   RadiopharmaceuticalStartTime="090000"), True,
     "RadiopharmaceuticalStartDateTime"),
    ("pt-slices-admin", _injection(RadionuclideTotalDose="7400"), True, "RadionuclideTotalDose"),
    ("pt-slices-admin", lambda ds, i: None, False, "TimezoneOffsetFromUTC"),
    ("pt-slices-admin", _set("FrameOfReferenceUID", "1.2.3.4", only_first=True), True,
     "FrameOfReferenceUID"),
    ("pt-slices-admin", _set("ImagePositionPatient", [0.0, 0.0, 0.0], only_first=True), True,
     "ImagePositionPatient"),
    ("pt-slices-admin", _set("ImageOrientationPatient", [0, 1, 0, 1, 0, 0]), True,
     "ImageOrientationPatient"),
    ("pt-slices-admin", _delete("AcquisitionDate", "AcquisitionDateTime"), True,
     "AcquisitionDateTime"),
    ("pt-slices-admin", _set("AcquisitionTime", "256100"), True, "AcquisitionTime"),
    ("nm-rwvm-start", _injection(RadionuclideTotalDose="7.4e9"), False, "RadionuclideTotalDose"),
    ("nm-rwvm-start", _set("TimezoneOffsetFromUTC", "CET"), False, "TimezoneOffsetFromUTC"),
    ("nm-rwvm-start", _units_code("{counts}"), False, "MeasurementUnitsCodeSequence"),
    ("nm-rwvm-start", _delete("RealWorldValueMappingSequence"), False, "Units"),
    ("nm-rwvm-start", _delete("RealWorldValueMappingSequence", "DecayCorrection"), False,
     "Units"),
    ("nm-rwvm-start", _set("Modality", "OT"), False, "Modality"),
]


@pytest.mark.filterwarnings("ignore:Invalid value for VR")
@pytest.mark.parametrize(("variant", "edit", "with_tz", "tag"), HEADER_CASES,
                         ids=[f"{c[0]}:{c[3]}:{n}" for n, c in enumerate(HEADER_CASES)])
def test_missing_or_inconsistent_header_is_an_error_naming_the_tag(
        phantoms: dict[str, Any], tmp_path: Path, variant: str,
        edit: Callable[[pydicom.Dataset, int], None], with_tz: bool, tag: str) -> None:
    root, _ = phantoms[variant]
    folder = _edited(root / "4h", tmp_path / "case", edit)
    with pytest.raises(RecordError) as err:
        _spect(folder, tz=CET if with_tz else None)
    assert err.value.field == tag
    assert tag in str(err.value)


def test_series_are_found_by_header_not_file_name(phantoms: dict[str, Any],
                                                  tmp_path: Path) -> None:
    root, _ = phantoms["nm-rwvm-start"]
    folder = tmp_path / "mixed"
    shutil.copytree(root / "4h", folder)
    (folder / "notes.txt").write_text("not DICOM")
    (folder / "spect.dcm").rename(folder / "zz_unnamed")
    found = {s.modality: s for s in find_series(folder)}
    assert set(found) == {"NM", "CT"} and len(found["CT"].files) == 40
    assert math.isfinite(float(np.asarray(_spect(folder).volume.array).sum()))
    shutil.copytree(root / "168h", folder / "second")
    with pytest.raises(RecordError, match="exactly one"):
        one_series(folder, ("NM", "PT"))


def test_truth_file_records_the_analytic_tia(phantoms: dict[str, Any]) -> None:
    # kidney_left: A₀ 60 MBq, T_eff 40 h -> Ã = 60·40/ln2 = 3462.47 MBq·h
    _, truth = phantoms["nm-rwvm-start"]
    k = next(o for o in truth["objects"] if o["name"] == "kidney_left")
    assert k["tia_MBq_h"] == pytest.approx(3462.47, rel=1e-6)
    assert json.dumps(truth)  # serialisable as written to truth.json
