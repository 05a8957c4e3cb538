"""Plausibility on import and edit, the unit edit of a lab, record versions in `patient show`,
and enrolment without dead ends (issue 17).  Limits as written in plausibility.toml."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "tester", *args])
    return result.exit_code, result.stdout, result.stderr


def _patch(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_import_refuses_impossible_values_with_field_value_and_range(sample_path: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(sample_path, tmp_path / "in")
    _patch(folder, "labs.csv", "SYN-001,haemoglobin,2025-01-24,,13.1,g/dL", "SYN-001,haemoglobin,2025-01-24,,1906.974,g/L")
    _patch(folder, "dosimetry.csv", "SYN-001,1,1,kidneys,,4.0,h,127.56,MBq,363.7,g",
           "SYN-001,1,1,kidneys,,4.0,h,127.56,MBq,0.3,g")
    db = tmp_path / "x.db"
    code, _, err = _run(db, "import", str(folder))
    assert code == 1 and "2 problem(s); nothing was written" in err
    assert "labs.csv: row 2: field value (haemoglobin): value 1906.974 g/L is impossible; accepted: 10–260 g/L" in err
    assert "dosimetry.csv: row 2: field mass (kidneys): value 0.3 g is impossible; accepted: 30–1500 g" in err
    assert json.loads(_run(db, "patient", "list", "--json")[1]) == []


def test_import_refuses_a_region_holding_more_than_given(sample_path: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(sample_path, tmp_path / "in")
    _patch(folder, "dosimetry.csv", "SYN-001,1,1,kidneys,,4.0,h,127.56,MBq", "SYN-001,1,1,kidneys,,4.0,h,21.4,TBq")
    code, _, err = _run(tmp_path / "x.db", "import", str(folder))
    assert code == 1
    assert "field activity (kidneys): value 21400000 MBq is impossible; accepted: 0–" in err


def test_soft_limits_warn_and_are_recorded(sample_path: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(sample_path, tmp_path / "in")
    _patch(folder, "labs.csv", "SYN-001,haemoglobin,2025-01-24,,13.1,g/dL", "SYN-001,haemoglobin,2025-01-24,,13.1,g/L")
    db = tmp_path / "x.db"
    code, _, err = _run(db, "import", str(folder), "--reason", "site upload")
    assert code == 0, err
    assert "warning: " in err and "value 13.1 g/L is implausible (accepted; please check); accepted: 50–200 g/L" in err
    with sqlite3.connect(db) as conn:
        (reason,) = conn.execute("select reason from audit_log where action = 'import'").fetchone()
    assert reason.startswith("site upload; 1 plausibility warning(s): ") and "13.1 g/L" in reason


def test_edit_refuses_an_impossible_value(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, _, err = _run(db, "edit", "labs", "SYN-001", "haemoglobin", "2025-01-24", "", "--set", "value=1906.974",
                        "--set", "unit=g/L", "--set", "lln=135", "--set", "uln=175", "--version", "1",
                        "--reason", "typo")
    assert code == 1 and "value 1906.974 g/L is impossible" in err


def test_edit_of_a_lab_unit_converts_its_normal_range(sample_path: Path, tmp_path: Path) -> None:
    """0.8 mg/dL with 62–106 µmol/L was flagged low (issue 17); 62 µmol/L = 0.7013 mg/dL and
    106 µmol/L = 1.199 mg/dL (creatinine 113.12 g/mol, PubChem CID 588)."""
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, _, err = _run(db, "edit", "labs", "SYN-001", "creatinine", "2025-01-24", "", "--set", "value=0.8",
                        "--set", "unit=mg/dL", "--version", "1", "--reason", "unit was wrong")
    assert code == 0, err
    assert "62.0–106.0 umol/L → 0.701344–1.19907 mg/dL" in err
    _, out, _ = _run(db, "patient", "show", "SYN-001")
    assert "creatinine 0.8 mg/dL;" in out  # no L flag
    code, _, err = _run(db, "edit", "labs", "SYN-001", "creatinine", "2025-03-07", "", "--set", "unit=Gy",
                        "--version", "1", "--reason", "x")
    assert code != 0 and "cannot follow the unit change" in err


def test_patient_show_gives_the_versions_edit_needs(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    _run(db, "edit", "ecog", "SYN-001", "2025-01-22", "--set", "ecog=1", "--version", "1", "--reason", "re-read")
    code, out, _ = _run(db, "patient", "show", "SYN-001")
    assert code == 0
    assert "ecog\tSYN-001 2025-01-22\t2" in out
    data = json.loads(_run(db, "patient", "show", "SYN-001", "--json")[1])
    assert {"kind": "ecog", "key": ["SYN-001", "2025-01-22"], "version": 2} in data["versions"]
    assert {"kind": "patients", "key": ["SYN-001"], "version": 1} in data["versions"]


def test_enrol_in_a_multi_arm_protocol_needs_an_arm(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    (tmp_path / "p.json").write_text('{"format": "lutetia-interchange", "version": 1, "patients": '
                                     '[{"patient_id": "NEW-001", "sex": "male", "birth_year": 1950}]}')
    assert _run(db, "import", str(tmp_path / "p.json"))[0] == 0
    code, _, err = _run(db, "enrol", "NEW-001", "--protocol", "prodigy-2", "--override-reason", "test")
    assert code == 2 and "give --arm; accepted: personalised, fixed" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from enrolments").fetchone()[0] == 0


def test_dose_tac_refuses_a_kidney_mass_in_kg_and_an_impossible_activity(tmp_path: Path) -> None:
    """Issue 17: mass_g = 0.3 (kg typed into a g column) gave a kidney dose of 3,632 Gy with status 0."""
    tac = tmp_path / "tac.csv"
    tac.write_text("region,time_h,activity_MBq,mass_g\nkidneys,4,127.56,0.3\nkidneys,24,93.45,0.3\n"
                   "kidneys,96,21400000,302\n")
    res = runner.invoke(app, ["dose", "tac", str(tac), "--administered-gbq", "7.4"])
    assert res.exit_code == 2 and res.stdout == ""
    assert f"{tac}: row 2: field mass (kidneys): value 0.3 g is impossible; accepted: 30–1500 g" in res.stderr
    assert f"{tac}: row 4: field activity (kidneys): value 21400000 MBq is impossible" in res.stderr


def test_edit_to_an_implausible_value_warns_and_records_it(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, _, err = _run(db, "edit", "labs", "SYN-001", "haemoglobin", "2025-01-24", "", "--set", "value=4.5",
                        "--version", "1", "--reason", "re-read")
    assert code == 0, err
    assert "warning: " in err and "value 45 g/L is implausible" in err  # 4.5 g/dL = 45 g/L, below 50
    audit = json.loads(_run(db, "audit", "SYN-001", "--json")[1])
    assert any(e["reason"].startswith("re-read; 1 plausibility warning(s): ") for e in audit)


def test_randomised_protocol_path_is_enrol_randomise_treat(tmp_path: Path) -> None:
    """Issue 17: enrol without --arm, then next-cycle said "randomise first" and randomise said
    "not randomised".  On a randomised protocol (FLEX-MRT) the path is coherent."""
    db = tmp_path / "x.db"
    (tmp_path / "p.json").write_text('{"format": "lutetia-interchange", "version": 1, "patients": '
                                     '[{"patient_id": "NEW-001", "sex": "male", "birth_year": 1950}]}')
    assert _run(db, "import", str(tmp_path / "p.json"))[0] == 0
    code, _, err = _run(db, "enrol", "NEW-001", "--protocol", "flex-mrt", "--override-reason", "test",
                        "--on", "2025-01-01")
    assert code == 0, err
    code, _, err = _run(db, "next-cycle", "NEW-001", "--protocol", "flex-mrt", "--date", "2025-01-05")
    assert code == 2 and "randomise first" in err
    code, out, err = _run(db, "randomise", "NEW-001", "--protocol", "flex-mrt", "--seed", "1", "--on", "2025-01-02")
    assert code == 0 and "allocated to" in out, err
    code, out, err = _run(db, "next-cycle", "NEW-001", "--protocol", "flex-mrt", "--date", "2025-01-05")
    assert code == 0, err
