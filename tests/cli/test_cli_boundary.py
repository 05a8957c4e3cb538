"""The CLI's one error boundary, output folders written whole, and output people can pipe.

Expected texts are the issue-17 wording (``error: …`` on stderr, exit status 2); every
case is a defect reproduced by hand on main before the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "tester", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_lutetia_error_is_one_line_on_stderr_with_exit_2(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path / "x.db", "analyze", "--protocol", "prodigy2", "--out", str(tmp_path / "r"))
    assert code == 2
    assert err.startswith("error: unknown protocol 'prodigy2'; known: ")
    assert "Traceback" not in err and out == ""


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "--debug", "analyze", "--protocol", "prodigy2",
                                 "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr and "ProtocolError" in result.stderr


def test_analyze_on_an_empty_store_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, _, err = _run(tmp_path / "x.db", "analyze", "--protocol", "realup", "--out", str(out))
    assert code == 2 and "no patient of the store is enrolled in 'realup'" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_analyze_with_enrolled_untreated_patients_only(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    (tmp_path / "new.json").write_text(
        '{"format": "lutetia-interchange", "version": 1,'
        ' "patients": [{"patient_id": "NEW-001", "sex": "male", "birth_year": 1950, "diagnosis": "mCRPC"}],'
        ' "enrolments": [{"patient_id": "NEW-001", "protocol_id": "pluvicto-label", "enrolled_on": "2025-03-01"}]}')
    code, _, err = _run(db, "import", str(tmp_path / "new.json"))
    assert code == 0, err
    out = tmp_path / "report"
    code, _, err = _run(db, "analyze", "--protocol", "pluvicto-label", "--out", str(out))
    assert code == 2 and "none has an administration yet" in err
    assert not out.exists()


def test_analyze_replaces_its_own_files_and_keeps_others(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert _run(db, "import", str(sample_path))[0] == 0
    out = tmp_path / "report"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    (out / "index.html").write_text("old")
    code, stdout, err = _run(db, "analyze", "--protocol", "prodigy-2", "--out", str(out))
    assert code == 0, err
    assert (out / "mine.txt").read_text() == "keep"
    assert (out / "index.html").read_text() != "old"
    assert f"report: {out / 'index.html'}" in stdout


def test_audit_of_an_unknown_patient_exits_2(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, _, err = _run(db, "audit", "UNKNOWN-ID")
    assert code == 2 and "no patient 'UNKNOWN-ID'" in err


def test_dose_voxel_checks_out_before_computing(tmp_path: Path) -> None:
    # the TIA file does not exist: the --out check must come first, so its message is shown
    code, _, err = _run(tmp_path / "x.db", "dose", "voxel", "--tia", str(tmp_path / "none.npy"),
                        "--spacing-mm", "1,1,1", "--out", str(tmp_path / "dose.txt"))
    assert code == 2 and "--out" in err and ".nii.gz, .nii or .npy" in err
    code, _, err = _run(tmp_path / "x.db", "dose", "voxel", "--tia", str(tmp_path / "none.npy"),
                        "--spacing-mm", "1,1,1", "--out", str(tmp_path / "no" / "such" / "dose.npy"))
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize("plain", ["1", "0"])
def test_stored_markup_is_shown_literally(sample_path: Path, tmp_path: Path, plain: str) -> None:
    """A reason ``[/]`` made ``lutetia audit`` crash with a Rich MarkupError (issue 17)."""
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, _, err = _run(db, "edit", "ecog", "SYN-001", "2025-01-22", "--set", "ecog=1", "--version", "1",
                        "--reason", "[/] [bold]not bold[/bold]")
    assert code == 0, err
    code, out, err = _run(db, "audit", "SYN-001", env={"LUTETIA_PLAIN": plain, "COLUMNS": "400"})
    assert code == 0, err
    assert "[/] [bold]not bold[/bold]" in out


def test_piped_tables_are_plain_and_keep_full_ids(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, out, _ = _run(db, "patient", "list", env={"COLUMNS": "20"})
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Patients"
    assert lines[1].split("\t")[:3] == ["patient_id", "age", "protocol"]
    assert any(line.startswith("SYN-006\t") and line.endswith("\tdied 2025-10-13") for line in lines)


def test_terminal_tables_fold_instead_of_truncating(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, out, _ = _run(db, "patient", "list", env={"LUTETIA_PLAIN": "0", "COLUMNS": "60"})
    assert code == 0
    assert "…" not in out


def test_stored_html_is_escaped_in_reports(sample_path: Path, tmp_path: Path) -> None:
    """The HTML side of "stored text is shown literally" (issue 17 keeps a test for both)."""
    import shutil

    folder = shutil.copytree(sample_path, tmp_path / "in")
    ae = folder / "adverse_events.csv"
    ae.write_text(ae.read_text().replace("SYN-001,AE1,Dry mouth,", "SYN-001,AE1,<script>alert(1)</script>,", 1))
    db = tmp_path / "x.db"
    assert _run(db, "import", str(folder))[0] == 0
    code, _, err = _run(db, "analyze", "--protocol", "prodigy-2", "--out", str(tmp_path / "r"))
    assert code == 0, err
    page = (tmp_path / "r" / "patients" / "SYN-001.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    code, out, _ = _run(db, "patient", "show", "SYN-001", env={"LUTETIA_PLAIN": "0", "COLUMNS": "300"})
    assert code == 0 and "<script>alert(1)</script> grade 1" in out
