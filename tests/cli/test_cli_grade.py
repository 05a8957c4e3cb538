"""`grade` lists every bad row in the import's format with display units, and `grade`,
`response psa` and `km` read CSV through the one validation path (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def test_grade_lists_every_bad_row(tmp_path: Path) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text("subject,date,term,value,unit\n"
                    "P1,2026-01-01,ALT,abc,U/L\n"
                    "P1,2026-01-01,Hb,1906.974,g/L\n"          # the demo's Hb graded G0 (issue 17)
                    "P1,2026-01-01,Platelets,-3,10^9/L\n"
                    "P1,2026-01-01,Platelets,١٢,10^9/L\n"      # Arabic-Indic digits
                    "P1,2026-01-01,Platelets,100,Gy\n"
                    "P1,2026-01-01,Troponin,5,ng/L\n")
    res = runner.invoke(app, ["grade", str(labs)])
    assert res.exit_code == 2
    err = res.stderr
    assert "error: 4 problem(s); nothing was computed" in err
    assert f"{labs}: row 2: field value: value 'abc' is not a number" in err
    assert f"{labs}: row 3: field value (haemoglobin): value 1906.974 g/L is impossible; accepted: 10–260 g/L" in err
    assert f"{labs}: row 4: field value: value '-3' is negative; accepted: a value ≥ 0" in err
    assert f"{labs}: row 5: field value: value '١٢' is not a number" in err
    assert f"warning: {labs}: row 6: field unit: value 'Gy' does not convert to 10⁹/L" in err
    assert f"warning: {labs}: row 7: field term: value 'Troponin' is not a gradable CTCAE 5.0" in err
    assert "giga_per_L" not in err and res.stdout == ""


def test_grade_reasons_use_display_units(tmp_path: Path) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text("subject,date,term,value,unit\nP1,2026-01-01,Platelets,100,Gy\n")
    res = runner.invoke(app, ["grade", str(labs), "--json"])
    assert res.exit_code == 0
    assert "does not convert to 10⁹/L" in res.stdout and "giga_per_L" not in res.stdout


@pytest.mark.parametrize("command", [["grade"], ["response", "psa"], ["km", "--time", "t", "--event", "e"]])
def test_one_csv_path_for_every_command(command: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "in.csv"
    bad.write_bytes(b'subject,date,term,value,unit\nP1,"2026-01-01,ALT,5,U/L\n')
    res = runner.invoke(app, [*command, str(bad)])
    assert res.exit_code == 2
    assert f"{bad}: row 2 (line 2): unexpected end of data: a quote opened here is never closed" in res.stderr
    bad.write_bytes("subject,date\nP1,2026-01-01\n".encode("latin-1") + "é\n".encode("latin-1"))
    res = runner.invoke(app, [*command, str(bad)])
    assert res.exit_code == 2 and "is not UTF-8 text" in res.stderr


def test_grade_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    """Issue 18: CSV meant for spreadsheets never carries a live formula (OWASP CSV Injection)."""
    labs = tmp_path / "labs.csv"
    labs.write_text('subject,date,term,value,unit\n"=HYPERLINK(""x"")",2026-01-01,ALT,100,U/L\n')
    res = runner.invoke(app, ["grade", str(labs)])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[1].startswith("\"'=HYPERLINK(\"\"x\"\")\",2026-01-01,ALT,100,")
