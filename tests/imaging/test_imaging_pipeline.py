"""Images → organ/lesion table, against the phantom's analytic truth (tools/make_spect_phantom.py).

Truth: Ã = A₀·T_eff/ln2 per object (kidney_left 60 MBq, 40 h → 3462.47 MBq·h, ...). The
images are blurred (FWHM 12 mm) and noisy; stated tolerance on the recovered TIA: ±5 % with
the calibration's sphere recovery curve (the kidneys, ellipsoids, recover slightly less than
spheres of their volume), while without partial-volume correction the kidneys lose > 15 %.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from phantom_tool import load_tool as _tool

from lutetia.errors import RecordError
from lutetia.imaging.calibration import get_calibration, registry
from lutetia.imaging.masks import assign
from lutetia.imaging.pipeline import image_dosimetry, table
from lutetia.imaging.rtdose import read_rt_dose, write_rt_dose

CET = timezone(timedelta(hours=1))



@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("phantom")
    return root, _tool().write_phantom(root, "nm-rwvm-start", seed=11)


@pytest.fixture(scope="module")
def counts_phantom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("counts")
    return root, _tool().write_phantom(root, "nm-cnts-none", seed=11, times_h=(24.0, 168.0),
                                       with_ct=False)


def _folders(root: Path, truth: dict[str, Any]) -> list[Path]:
    return [root / f"{int(t)}h" for t in truth["times_h"]]


def _run(root: Path, truth: dict[str, Any], **kw: Any) -> Any:
    kw.setdefault("calibration", get_calibration("synthetic-megp-208"))
    kw.setdefault("same_position", True)
    return image_dosimetry(_folders(root, truth), root / "masks.nii.gz", root / "labels.json", **kw)


def test_recovered_tia_within_5_percent_of_truth(phantom: tuple[Path, dict[str, Any]]) -> None:
    root, truth = phantom
    result = _run(root, truth)
    rows = {r["voi"]: r for r in table(result)}
    for o in truth["objects"]:
        row = rows[o["name"]]
        assert row["tia_MBq_h"] == pytest.approx(o["tia_MBq_h"], rel=0.05), o["name"]
        assert row["t_eff_h"] == pytest.approx(o["t_eff_h"], rel=0.05)
        assert row["tiac_h"] == pytest.approx(row["tia_MBq_h"] / 7400.0)
    # kidneys: S-value dose and BED (cited kidney α/β); lesions: local deposition, no BED
    assert rows["kidney_left"]["dose_method"] == "s_value"
    assert rows["kidney_left"]["bed_Gy"] > rows["kidney_left"]["dose_Gy"]
    assert rows["lesion_1"]["dose_method"] == "led" and rows["lesion_1"]["bed_Gy"] is None
    # the voxel dose map exists and is lower than the recovery-corrected VOI dose (blur)
    assert 0 < rows["kidney_left"]["voxel_mean_Gy"] < rows["kidney_left"]["dose_Gy"]
    assert result.provenance["series"][0]["hours"] == pytest.approx(4.0)


def test_without_partial_volume_correction_the_kidneys_lose_over_15_percent(
        phantom: tuple[Path, dict[str, Any]]) -> None:
    root, truth = phantom
    rows = {r["voi"]: r for r in table(_run(root, truth, recovery_correction=False,
                                            voxel_dose=False))}
    k = next(o for o in truth["objects"] if o["name"] == "kidney_left")
    assert rows["kidney_left"]["tia_MBq_h"] < 0.85 * k["tia_MBq_h"]


def test_counts_images_through_the_calibration(counts_phantom: tuple[Path, dict[str, Any]]) -> None:
    root, truth = counts_phantom
    with pytest.raises(RecordError, match="'calibration'"):
        _run(root, truth, calibration=None)
    rows = {r["voi"]: r for r in table(_run(root, truth, voxel_dose=False))}
    lesion = next(o for o in truth["objects"] if o["name"] == "lesion_1")
    assert rows["lesion_1"]["tia_MBq_h"] == pytest.approx(lesion["tia_MBq_h"], rel=0.05)


def test_time_points_on_other_frames_need_registration_or_a_statement(
        phantom: tuple[Path, dict[str, Any]]) -> None:
    root, truth = phantom
    with pytest.raises(RecordError) as err:
        _run(root, truth, same_position=False, voxel_dose=False)
    assert err.value.field == "FrameOfReferenceUID"


def test_injection_time_from_the_record_is_checked_against_the_header(
        phantom: tuple[Path, dict[str, Any]]) -> None:
    root, truth = phantom
    ok = _run(root, truth, injection=datetime(2026, 3, 2, 9, 5, tzinfo=CET), voxel_dose=False,
              administered_mbq=7000.0)
    assert ok.time_points[0].hours == pytest.approx(4.0 - 5 / 60)
    assert ok.administered_mbq == 7000.0  # the record's value wins over RadionuclideTotalDose
    with pytest.raises(RecordError) as err:
        _run(root, truth, injection=datetime(2026, 3, 1, 9, 0, tzinfo=CET), voxel_dose=False)
    assert err.value.field == "RadiopharmaceuticalStartDateTime"


def test_lesion_inside_a_kidney_is_cut_from_the_kidney() -> None:
    kidney = np.zeros((6, 6, 6))
    kidney[1:5, 1:5, 1:5] = 1.0
    lesion = np.zeros((6, 6, 6))
    lesion[2:4, 2:4, 2:4] = 0.75
    masks = assign({"kidney_left": kidney, "lesion_a": lesion})
    assert masks["lesion_a"].sum() == 8 and masks["kidney_left"].sum() == 64 - 8
    assert not np.any(masks["lesion_a"] & masks["kidney_left"])
    with pytest.raises(RecordError, match="priority"):
        assign({"kidney_left": kidney, "lesion_a": lesion}, ["kidney_left"])


def test_rt_dose_round_trip(phantom: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, truth = phantom
    result = _run(root, truth)
    dose = result.dose_map
    write_rt_dose(tmp_path / "d.dcm", dose, patient_id="PHANTOM-001", study_uid=None,
                  series_description="test", software="lutetia test")
    back = read_rt_dose(tmp_path / "d.dcm")
    assert back.same_grid(dose) and back.frame == result.time_points[0].image.frame_of_reference
    peak = float(np.max(dose.array))
    np.testing.assert_allclose(back.array, np.maximum(dose.array, 0.0), atol=peak * 1e-8)


def test_calibration_registry_and_recovery_curve(tmp_path: Path) -> None:
    cal = get_calibration("synthetic-megp-208")
    assert cal.sensitivity_cps_per_mbq == 10.0 and "tools/make_spect_phantom.py" in cal.measured_by
    # RC interpolated in log V between 11.49 mL (0.5643) and 26.52 mL (0.6986)
    assert cal.recovery(11.49) == pytest.approx(0.5643)
    assert 0.5643 < cal.recovery(17.0) < 0.6986
    assert cal.recovery(1000.0) == pytest.approx(0.8681)  # constant above the largest sphere
    with pytest.raises(RecordError, match="volume_ml"):
        cal.recovery(0.5)
    site = tmp_path / "site.toml"
    site.write_text('[[calibration]]\nid = "synthetic-megp-208"\n', encoding="utf-8")
    with pytest.raises(RecordError, match="'camera'"):
        registry(site)
    text = (Path(__file__).resolve().parents[2] / "src/lutetia/data/imaging/calibrations.toml"
            ).read_text(encoding="utf-8")
    site.write_text(text[text.index("\n[[calibration]]"):], encoding="utf-8")
    with pytest.raises(RecordError, match="twice"):
        registry(site)
    with pytest.raises(RecordError, match="unknown calibration"):
        get_calibration("no-such-camera")
    site.write_text("[[calibration]\n", encoding="utf-8")
    with pytest.raises(RecordError, match="TOML"):
        registry(site)


def test_cli_dose_images_json(phantom: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lutetia.cli.main import app

    root, truth = phantom
    args = ["dose", "images", *map(str, _folders(root, truth)), "--masks",
            str(root / "masks.nii.gz"), "--labels", str(root / "labels.json"), "--calibration",
            "synthetic-megp-208", "--same-position", "--rtdose", str(tmp_path / "d.dcm"),
            "--seg", str(tmp_path / "vois.dcm"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {v["voi"] for v in out["vois"]} == {o["name"] for o in truth["objects"]}
    assert out["administered_MBq"] == 7400.0 and (tmp_path / "d.dcm").exists()
    assert out["written"]["seg"].startswith(str(tmp_path / "vois.dcm"))
    for voi in out["vois"]:  # cumulative DVH from the voxel dose; uncertainty components
        dvh = voi["dvh"]
        assert dvh["volume_fraction"][0] == 1.0 and len(dvh["dose_Gy"]) == len(dvh["volume_fraction"])
        assert voi["u_calibration_rel"] == 0.0 and voi["u_dose_rel"] == pytest.approx(voi["u_fit_rel"])
    bad = CliRunner().invoke(app, [a for a in args if a != "--same-position"])
    assert bad.exit_code == 2 and "FrameOfReferenceUID" in bad.output
