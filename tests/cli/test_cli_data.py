"""CLI data commands on a real SQLite store: import, export, patient, audit, edit, demo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "tester", *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_show_export_audit(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, out, err = _run(db, "import", str(sample_path), "--reason", "site upload")
    assert code == 0, err
    assert "labs" in out and "280" in out
    code, out, _ = _run(db, "import", str(sample_path))  # re-import: nothing new
    assert code == 0 and "unchanged" in out
    code, out, _ = _run(db, "patient", "list")
    assert code == 0 and "SYN-006" in out and "died" in out
    code, out, _ = _run(db, "patient", "show", "SYN-001")
    assert code == 0 and "cycle 1" in out and "PSA" in out and "Dry mouth grade 1" in out
    code, _, err = _run(db, "patient", "show", "NOPE")
    assert code == 2 and "no patient 'NOPE'" in err
    code, out, _ = _run(db, "audit", "SYN-001", "--json")
    assert code == 0 and '"user": "tester"' in out and '"reason": "site upload"' in out
    code, out, _ = _run(db, "export", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "labs.csv").read_text() == (sample_path / "labs.csv").read_text()


def test_bad_import_lists_every_problem_and_writes_nothing(sample_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(sample_path, folder)
    text = (folder / "administrations.csv").read_text().splitlines()
    text[1] = text[1].replace(",7.4,GBq,", ",abc,GBq,")
    text[2] = text[2].replace(",GBq,", ",Gy,", 1)
    (folder / "administrations.csv").write_text("\n".join(text) + "\n")
    db = tmp_path / "x.db"
    code, _, err = _run(db, "import", str(folder))
    assert code == 1
    assert "2 problem(s); nothing was written" in err
    assert "row 2: field activity: value 'abc' is not a number" in err
    assert "row 3: field activity_unit: value 'Gy'" in err
    _, out, _ = _run(db, "patient", "list", "--json")
    assert out.strip() == "[]"


def test_edit_with_reason_and_version(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    _run(db, "import", str(sample_path))
    code, out, err = _run(db, "edit", "ecog", "SYN-001", "2025-01-22", "--set", "ecog=1", "--version", "1",
                          "--reason", "source document re-read")
    assert code == 0, err
    assert "now version 2" in out
    code, _, err = _run(db, "edit", "ecog", "SYN-001", "2025-01-22", "--set", "ecog=2", "--version", "1",
                        "--reason", "stale")
    assert code == 1 and "you read version 1, the store has version 2" in err
    _, out, _ = _run(db, "audit", "SYN-001", "--json")
    assert '"old": {\n      "ecog": 0\n    }' in out or '"ecog": 0' in out


def _export(db: Path, folder: Path) -> dict[str, str]:
    assert _run(db, "export", str(folder))[0] == 0
    return {f.name: f.read_text() for f in sorted(folder.glob("*.csv"))}


def test_demo_twice_on_one_database_gives_the_same_content(tmp_path: Path) -> None:
    """Issue 17: a second `make demo` crashed at the allocation step and left decisions and audit
    rows doubled.  A small demo (5% of the planned sizes) twice on one database: identical exports,
    the same number of decisions, no partial file left behind."""
    db = tmp_path / "demo" / "demo.db"
    out = tmp_path / "demo"
    code, stdout, err = _run(db, "demo", "--out", str(out), "--scale", "0.05", "--seed", "7")
    assert code == 0, err
    assert "Reports:" in stdout and "flex" in stdout
    assert (out / "index.html").exists() and (out / "flex-mrt" / "index.html").exists()
    first = _export(db, tmp_path / "e1")
    decisions = _count(db, "decisions")
    code, stdout, err = _run(db, "demo", "--out", str(out), "--scale", "0.05", "--seed", "7")
    assert code == 0, err
    assert "holds an earlier demo: building a fresh database" in stdout
    assert _export(db, tmp_path / "e2") == first
    assert _count(db, "decisions") == decisions > 0
    assert first["administrations.csv"].count("\n") > 5
    assert [p.name for p in out.iterdir() if "partial" in p.name] == []
    # issue 12: every stored decision of the demo database re-derives from its stored record
    code, stdout, err = _run(db, "redecide")
    assert code == 0, stdout + err
    assert f"{_count(db, 'decisions') - _eligibility(db)} stored next-cycle decision(s) re-derived" in stdout
    assert stdout.rstrip().endswith("identical, 0 different")


def _eligibility(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from decisions where kind != 'next_cycle'").fetchone()[0])


def _count(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def test_demo_failing_midway_leaves_the_database_and_reports_as_they_were(
        sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lutetia.cli.commands import demo
    from lutetia.errors import AnalysisError

    db = tmp_path / "demo.db"
    code, _, err = _run(db, "demo", "--out", str(tmp_path), "--scale", "0.03", "--seed", "3")
    assert code == 0, err
    before = _export(db, tmp_path / "before")
    index = (tmp_path / "index.html").read_text()
    calls = []

    def failing_report(*args: object) -> list[dict[str, object]]:
        calls.append(args)
        if len(calls) == 3:
            raise AnalysisError("simulated failure in the third study")
        return []

    monkeypatch.setattr(demo, "_report", failing_report)
    code, _, err = _run(db, "demo", "--out", str(tmp_path), "--scale", "0.03", "--seed", "4")
    assert code == 2 and "simulated failure" in err
    assert _export(db, tmp_path / "after") == before
    assert (tmp_path / "index.html").read_text() == index
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_demo_refuses_a_database_with_other_data(sample_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    assert _run(db, "import", str(sample_path))[0] == 0
    before = _export(db, tmp_path / "before")
    code, _, err = _run(db, "demo", "--out", str(tmp_path / "r"), "--scale", "0.03")
    assert code == 2 and "holds data not written by the demo" in err
    assert _export(db, tmp_path / "after") == before


def test_simulate_store_twice_is_idempotent_and_another_seed_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    args = ("simulate", "--protocol", "flex-mrt", "--n", "4", "--seed", "3", "--store")
    code, out, err = _run(db, *args)
    assert code == 0, err
    assert "in one transaction" in out
    first, decisions, audit = _export(db, tmp_path / "e1"), _count(db, "decisions"), _count(db, "audit_log")
    code, out, err = _run(db, *args)
    assert code == 0, err
    assert "already stored" in out
    assert (_export(db, tmp_path / "e2"), _count(db, "decisions"), _count(db, "audit_log")) == (
        first, decisions, audit)
    code, _, err = _run(db, "simulate", "--protocol", "flex-mrt", "--n", "4", "--seed", "4", "--store")
    assert code == 2 and err.startswith("error: ")
    assert (_export(db, tmp_path / "e3"), _count(db, "decisions"), _count(db, "audit_log")) == (
        first, decisions, audit)


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, lutetia.cli.main as m; "
        "heavy = [x for x in ('numpy', 'scipy', 'sqlalchemy', 'pandas', 'lifelines', 'matplotlib', 'pydantic') "
        "if x in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
