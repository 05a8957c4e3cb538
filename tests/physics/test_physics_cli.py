"""CLI: ``lutetia dose tac|stp|voxel`` and ``lutetia prescribe`` via Typer's CliRunner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def _worked_example_csv(tmp_path: Path) -> Path:
    # A(t) = 151.572·2^(−t/40) MBq: the dosimetry.md worked example (A(24 h) = 100 MBq)
    lam = math.log(2) / 40
    rows = ["region,time_h,activity_MBq"]
    rows += [f"kidneys,{t},{151.572 * math.exp(-lam * t):.6f}" for t in (2, 24, 48, 96, 168)]
    p = tmp_path / "tac.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_dose_tac_worked_example(tmp_path: Path) -> None:
    res = runner.invoke(app, ["dose", "tac", str(_worked_example_csv(tmp_path)),
                              "--administered-gbq", "7.4", "--model", "mono", "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    assert row["tia_MBq_h"] == pytest.approx(8746.9, rel=2e-4)
    assert row["dose_Gy"] == pytest.approx(2.444, abs=1e-3)
    assert row["dose_Gy_per_GBq"] == pytest.approx(0.330, abs=1e-3)
    assert row["bed_Gy"] == pytest.approx(2.594, abs=1e-3)  # kidney α/β 2.6, T_rep 2.8 cited
    assert row["t_eff_h"] == pytest.approx(40.0, rel=1e-3)
    assert row["tiac_h"] == pytest.approx(8746.9 / 7400, rel=2e-4)


def test_dose_tac_auto_and_trapezoid_table(tmp_path: Path) -> None:
    p = _worked_example_csv(tmp_path)
    assert runner.invoke(app, ["dose", "tac", str(p), "--model", "auto"]).exit_code == 0
    res = runner.invoke(app, ["dose", "tac", str(p), "--model", "trapezoid", "--json"])
    assert json.loads(res.stdout)[0]["model"] == "trapezoid+physical"


def test_dose_tac_bad_value_names_file_row_column(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("region,time_h,activity_MBq\nkidneys,24,100\nkidneys,48,-3\n")
    res = runner.invoke(app, ["dose", "tac", str(p)])
    assert res.exit_code == 2
    assert "bad.csv" in res.output and "row 3" in res.output and "activity_MBq" in res.output
    res = runner.invoke(app, ["dose", "tac", str(p), "--model", "quad"])
    assert res.exit_code == 2 and "accepted" in res.output


def test_dose_stp_madsen_worked_example(tmp_path: Path) -> None:
    p = tmp_path / "stp.csv"
    p.write_text("region,time_h,activity_MBq\nkidneys,24,100\n")
    res = runner.invoke(app, ["dose", "stp", str(p), "--method", "madsen", "--t-eff-h", "40",
                              "--administered-gbq", "7.4", "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    assert row["tia_MBq_h"] == pytest.approx(8746.9, abs=0.1)
    assert row["bed_Gy"] == pytest.approx(2.594, abs=5e-4)
    res = runner.invoke(app, ["dose", "stp", str(p), "--method", "madsen"])
    assert res.exit_code == 2 and "t-eff-h" in res.output


def test_dose_voxel_npy_with_mask(tmp_path: Path) -> None:
    tia = np.full((10, 10, 10), 10.0)
    np.save(tmp_path / "tia.npy", tia)
    mask = np.zeros((10, 10, 10))
    mask[3:7, 3:7, 3:7] = 1
    np.save(tmp_path / "kid.npy", mask)
    out = tmp_path / "dose.npy"
    res = runner.invoke(app, ["dose", "voxel", "--tia", str(tmp_path / "tia.npy"),
                              "--spacing-mm", "4,4,4", "--mask", f"kidney={tmp_path / 'kid.npy'}",
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    # uniform 10 MBq·h per 4 mm voxel: 10 × 1.28182 Gy/(MBq·h) (see test_physics_voxel)
    assert row["mean_Gy"] == pytest.approx(12.8182, rel=1e-3)
    assert np.load(out).shape == (10, 10, 10)
    res = runner.invoke(app, ["dose", "voxel", "--tia", str(tmp_path / "tia.npy")])
    assert res.exit_code == 2 and "spacing" in res.output


def test_dose_voxel_nifti_activity_maps(tmp_path: Path) -> None:
    import nibabel as nib

    lam = math.log(2) / 40
    paths = []
    for t in (24, 48, 168):
        p = tmp_path / f"a{t}.nii.gz"
        nib.save(nib.Nifti1Image(np.full((6, 6, 6), 5.0 * math.exp(-lam * t), dtype=np.float32),
                                 np.diag([4.0, 4.0, 4.0, 1.0])), str(p))
        paths.append(p)
    args = ["dose", "voxel", "--method", "led", "--out", str(tmp_path / "d.nii.gz")]
    for p, t in zip(paths, (24, 48, 168), strict=True):
        args += ["--activity", str(p), "--time-h", str(t)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = np.asarray(nib.load(str(tmp_path / "d.nii.gz")).dataobj)
    # 5·40/ln2 = 288.54 MBq·h × 1.28182 Gy/(MBq·h) = 369.86 Gy
    assert float(d[3, 3, 3]) == pytest.approx(369.86, rel=1e-3)


def _ledger(tmp_path: Path) -> Path:
    p = tmp_path / "ledger.csv"
    p.write_text("patient_id,organ,cycle,activity_gbq,dose_gy,status,method,relative_sigma,t_eff_h\n"
                 "P1,kidneys,1,7.4,3.7,measured,tac:mono,0.2,40\n"
                 "P1,kidneys,2,4.6,2.3,measured,stp:madsen,0.2,\n")
    return p


def test_prescribe_dose_limit_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["prescribe", str(_ledger(tmp_path)), "--limit", "23",
                              "--quantity", "dose", "--cycles-remaining", "4", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # (23 − 6)/4 = 4.25 Gy at 0.5 Gy/GBq -> 8.5 GBq
    assert out["decision"] == "give" and out["activity_gbq"] == pytest.approx(8.5)
    assert len(out["reasons"]) >= 4


def test_prescribe_bed_needs_t_eff_and_curtails(tmp_path: Path) -> None:
    p = _ledger(tmp_path)
    res = runner.invoke(app, ["prescribe", str(p), "--limit", "39", "--cycles-remaining", "4"])
    assert res.exit_code == 2 and "effective half-life" in res.output
    res = runner.invoke(app, ["prescribe", str(p), "--limit", "8", "--cycles-remaining", "4",
                              "--t-eff-h", "40", "--quantity", "bed"])
    assert res.exit_code == 0 and "CURTAIL" in res.output


def test_prescribe_bad_row(tmp_path: Path) -> None:
    p = tmp_path / "l.csv"
    p.write_text("patient_id,organ,cycle,activity_gbq,dose_gy\nP1,kidneys,one,7.4,3\n")
    res = runner.invoke(app, ["prescribe", str(p), "--limit", "23", "--cycles-remaining", "2"])
    assert res.exit_code == 2 and "row 2" in res.output and "'cycle'" in res.output


def test_dose_stp_sphere_method_for_lesion(tmp_path: Path) -> None:
    p = tmp_path / "stp.csv"
    p.write_text("region,time_h,activity_MBq,mass_g\nlesion1,24,10,4.356\n")
    res = runner.invoke(app, ["dose", "stp", str(p), "--method", "madsen", "--t-eff-h", "40",
                              "--dose-method", "sphere", "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    assert row["dose_method"] == "sphere"
    # 4.356 g / 1.04 = 4.18846 mL (R ≈ 10 mm); LED would be 874.69·8.53178e-5/4.356e-3
    # = 17.132 Gy; the sphere model loses a few % of the electron energy at the surface
    assert 0.95 * 17.132 < row["dose_Gy"] < 17.132
    res = runner.invoke(app, ["dose", "stp", str(p), "--dose-method", "bogus"])
    assert res.exit_code == 2 and "accepted" in res.output


def test_dose_tac_csv_output(tmp_path: Path) -> None:
    res = runner.invoke(app, ["dose", "tac", str(_worked_example_csv(tmp_path)), "--model", "mono",
                              "--csv"])
    assert res.exit_code == 0, res.output
    header, row = res.stdout.strip().splitlines()
    assert header.startswith("region,model,n_points,tia_MBq_h")
    assert row.startswith("kidneys,mono,5,")
    res = runner.invoke(app, ["dose", "tac", str(_worked_example_csv(tmp_path)),
                              "--relative-sigma", "2"])
    assert res.exit_code == 2


def test_dose_voxel_region_scaled_and_dvh(tmp_path: Path) -> None:
    lam = math.log(2) / 40
    mask = np.zeros((8, 8, 8))
    mask[2:6, 2:6, 2:6] = 1
    np.save(tmp_path / "m.npy", mask)
    args = ["dose", "voxel", "--spacing-mm", "4,4,4", "--mask", f"kid={tmp_path / 'm.npy'}",
            "--scale-mask", "kid", "--method", "led", "--dvh", str(tmp_path / "dvh.csv"), "--json"]
    for t in (2, 24, 48, 96, 168):
        np.save(tmp_path / f"a{t}.npy", mask * 2.0 * math.exp(-lam * t))
        args += ["--activity", str(tmp_path / f"a{t}.npy"), "--time-h", str(t)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    # 64 voxels × 2 MBq·40 h/ln2 = 64 × 115.416 = 7386.6 MBq·h; dose 115.416 × 1.28182 = 147.94 Gy
    assert row["tia_MBq_h"] == pytest.approx(7386.6, rel=2e-3)
    assert row["mean_Gy"] == pytest.approx(147.94, rel=2e-3)
    lines = (tmp_path / "dvh.csv").read_text().splitlines()
    assert lines[0] == "mask,dose_Gy,volume_fraction" and len(lines) > 100
    bad = runner.invoke(app, [*args[:-1], "--scale-mask", "nope"])
    assert bad.exit_code == 2


def test_dose_stp_madsen_with_own_earlier_cycle(tmp_path: Path) -> None:
    # cycle 1: full TAC with T_eff 40 h; cycle 2: one scan A(24 h) = 100 MBq -> Ã 8746.9 MBq·h
    p = tmp_path / "c2.csv"
    p.write_text("region,time_h,activity_MBq\nkidneys,24,100\n")
    res = runner.invoke(app, ["dose", "stp", str(p), "--method", "madsen", "--t-eff-from",
                              str(_worked_example_csv(tmp_path)), "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    assert row["t_eff_h"] == pytest.approx(40.0, rel=1e-3)
    assert row["tia_MBq_h"] == pytest.approx(8746.9, rel=1e-3)


def test_dose_tac_blood_region_gives_marrow_dose(tmp_path: Path) -> None:
    # blood concentration 0.01·2^(−t/20) MBq/mL: ã = 0.01·20/ln2 = 0.288539 MBq·h/mL;
    # marrow Ã = 0.288539 × 1170 g = 337.59 MBq·h; D = 0.288539 × 0.085318 Gy = 0.024618 Gy
    lam = math.log(2) / 20
    rows = ["region,time_h,activity_MBq"] + [f"blood,{t},{0.01 * math.exp(-lam * t):.8f}"
                                             for t in (1, 4, 24, 48, 96)]
    p = tmp_path / "blood.csv"
    p.write_text("\n".join(rows) + "\n")
    res = runner.invoke(app, ["dose", "tac", str(p), "--model", "mono", "--blood-region", "blood",
                              "--administered-gbq", "7.4", "--json"])
    assert res.exit_code == 0, res.output
    marrow = json.loads(res.stdout)[-1]
    assert marrow["region"] == "red_marrow"
    assert marrow["tia_MBq_h"] == pytest.approx(337.59, rel=1e-3)
    assert marrow["dose_Gy"] == pytest.approx(0.024618, rel=1e-3)
    assert marrow["dose_Gy_per_GBq"] == pytest.approx(0.024618 / 7.4, rel=1e-3)
    bad = runner.invoke(app, ["dose", "tac", str(p), "--blood-region", "plasma"])
    assert bad.exit_code == 2 and "plasma" in bad.output


def test_prescribe_uses_cited_or_given_lq_parameters(tmp_path: Path) -> None:
    p = _ledger(tmp_path)
    base = ["prescribe", str(p), "--limit", "40", "--cycles-remaining", "2", "--t-eff-h", "40", "--json"]
    res = runner.invoke(app, base)
    assert res.exit_code == 0, res.output
    cyc1 = json.loads(res.stdout)["ledger"][0]
    # cited kidney α/β 2.6 Gy, T_rep 2.8 h (radiobiology.toml): G = 2.8/42.8;
    # BED = 3.7(1 + 0.0654206·3.7/2.6) = 4.044467 (hand)
    assert cyc1["bed_gy"] == pytest.approx(4.044467, rel=1e-6)
    res = runner.invoke(app, [*base, "--alpha-beta", "5", "--repair-half-time-h", "1.5"])
    assert res.exit_code == 0, res.output
    cyc1 = json.loads(res.stdout)["ledger"][0]
    # G = 1.5/41.5 = 0.0361446; BED = 3.7(1 + 0.0361446·3.7/5) = 3.798964 (hand)
    assert cyc1["bed_gy"] == pytest.approx(3.798964, rel=1e-6)
    res = runner.invoke(app, [*base, "--alpha-beta", "0"])
    assert res.exit_code == 2 and "alpha" in res.output
