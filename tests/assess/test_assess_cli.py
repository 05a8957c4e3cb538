"""CLI: ``lutetia grade`` and ``lutetia response psa|recist|lesions`` on the files in
tests/data/assess (hand-written regression data; expectations read off the rule texts)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from lutetia.cli.main import app

DATA = Path(__file__).resolve().parents[1] / "data" / "assess"
runner = CliRunner()


def rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_grade_csv() -> None:
    res = runner.invoke(app, ["grade", str(DATA / "labs_example.csv")])
    assert res.exit_code == 0, res.output
    got = [(r["term"], r["grade"], r["direction"]) for r in rows(res.stdout)]
    assert got == [("Platelets", "2", "low"), ("Platelets", "1", "low"), ("ALT", "2", "high"),
                   ("Creatinine", "3", "high"), ("Hb", "2", "low"), ("Hb", "", "low"), ("Troponin", "", "")]
    reasons = [r["reason"] for r in rows(res.stdout)]
    assert "LLN" in reasons[5] and "not a gradable" in reasons[6]


def test_grade_json_and_out_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["grade", str(DATA / "labs_example.csv"), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)[0]["grade"] == 2
    out = tmp_path / "graded.csv"
    res = runner.invoke(app, ["grade", str(DATA / "labs_example.csv"), "--out", str(out), "--ctcae", "5.0"])
    assert res.exit_code == 0 and rows(out.read_text())[3]["grade"] == "3"


def test_grade_bad_input_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,date,term,value,unit,baseline_indicator\nP1,2026-01-01,ALT,abc,U/L,\n")
    res = runner.invoke(app, ["grade", str(bad)])
    assert res.exit_code == 2
    assert "bad.csv: row 2: field value: value 'abc' is not a number" in res.stderr  # the import's format
    bad.write_text("subject,date,term,value,unit,baseline_indicator\nP1,2026-01-01,ALT,100,U/L,ABNORMAL\n")
    res = runner.invoke(app, ["grade", str(bad)])
    assert res.exit_code == 2 and "LOW, NORMAL, HIGH" in res.stderr
    bad.write_text("subject,date,term,value\nP1,2026-01-01,ALT,100\n")
    res = runner.invoke(app, ["grade", str(bad)])
    assert res.exit_code == 2 and "unit" in res.stderr
    res = runner.invoke(app, ["grade", str(DATA / "labs_example.csv"), "--ctcae", "4.03"])
    assert res.exit_code == 2 and "5.0" in res.stderr


def test_response_psa() -> None:
    res = runner.invoke(app, ["response", "psa", str(DATA / "psa_example.csv")])
    assert res.exit_code == 0, res.output
    a, b = rows(res.stdout)
    assert (a["baseline_ng_ml"], a["nadir_ng_ml"], a["best_change_pct"]) == ("100", "30", "-70")
    assert (a["psa50"], a["psa50_date"], a["psa50_confirmed_on"]) == ("met", "2026-02-02", "2026-02-23")
    assert (a["progression"], a["progression_date"]) == ("met", "2026-05-04")
    assert (b["progression"], b["progression_date"]) == ("met", "2026-05-02")  # +25 % and +2 exactly, "≥"
    strict = runner.invoke(app, ["response", "psa", str(DATA / "psa_example.csv"), "--criteria", "prodigy2"])
    assert rows(strict.stdout)[1]["progression"] == "not met"  # PRODIGY-2 ">"
    override = runner.invoke(app, ["response", "psa", str(DATA / "psa_example.csv"), "--comparator", ">"])
    assert rows(override.stdout)[1]["progression"] == "not met"


def test_response_psa_bad_inputs(tmp_path: Path) -> None:
    res = runner.invoke(app, ["response", "psa", str(DATA / "psa_example.csv"), "--comparator", "=>"])
    assert res.exit_code == 2 and "accepted" in res.stderr
    bad = tmp_path / "p.csv"
    bad.write_text("subject,date,psa_ng_ml,first_dose_date\nA,2026-01-01,1,2026-01-05\nA,2026-02-01,1,2026-01-06\n")
    res = runner.invoke(app, ["response", "psa", str(bad)])
    assert res.exit_code == 2 and "first_dose_date" in res.stderr
    bad.write_text("subject,date,psa_ng_ml,first_dose_date\nA,01/02/2026,1,2026-01-05\n")
    res = runner.invoke(app, ["response", "psa", str(bad)])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.stderr
    res = runner.invoke(app, ["response", "psa", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_response_recist() -> None:
    res = runner.invoke(app, ["response", "recist", str(DATA / "recist_timepoints.csv")])
    assert res.exit_code == 0, res.output
    got = {r["subject"]: (r["bor_confirmed"], r["bor_unconfirmed"]) for r in rows(res.stdout)}
    assert got == {"S1": ("PR", "PR"), "S2": ("SD", "PR"), "S3": ("NE", "NE")}
    loose = runner.invoke(app, ["response", "recist", str(DATA / "recist_timepoints.csv"), "--confirmation-days", "21",
                                "--min-sd-days", "21", "--max-ne", "0"])
    got = {r["subject"]: r["bor_confirmed"] for r in rows(loose.stdout)}
    assert got == {"S1": "PR", "S2": "PR", "S3": "SD"}


def test_response_recist_bad_response(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("subject,date,response,first_dose_date\nS,2026-02-01,VGPR,2026-01-05\n")
    res = runner.invoke(app, ["response", "recist", str(bad)])
    assert res.exit_code == 2 and "VGPR" in res.stderr and "NON-CR/NON-PD" in res.stderr


def test_response_lesions() -> None:
    res = runner.invoke(app, ["response", "lesions", str(DATA / "lesions_example.csv")])
    assert res.exit_code == 0, res.output
    got = [(r["date"], r["target"], r["overall"], r["sum_mm"], r["nadir_sum_mm"]) for r in rows(res.stdout)]
    # baseline sum 80 (T1 50 + T2 30; N1 12 mm is a non-target node); PR at 50 (-37.5 %);
    # 40 mm nadir; 50 mm is +25 % / +10 mm vs nadir and a new lesion -> PD.
    assert got == [("2026-03-02", "PR", "PR", "50", "80"), ("2026-04-27", "PR", "PR", "40", "50"),
                   ("2026-06-22", "PD", "PD", "50", "40")]


def test_response_lesions_bad_kind(tmp_path: Path) -> None:
    bad = tmp_path / "l.csv"
    bad.write_text("subject,date,lesion_id,organ,kind,diameter_mm\nS,2026-01-01,T1,liver,tumour,20\n")
    res = runner.invoke(app, ["response", "lesions", str(bad)])
    assert res.exit_code == 2 and "non_nodal" in res.stderr and "'kind'" in res.stderr
