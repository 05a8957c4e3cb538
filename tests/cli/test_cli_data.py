"""CLI data commands on a real SQLite store: import, export, patient, audit, edit, demo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    """A small demo (10% of the planned sizes) twice with one seed: identical exports."""
    exports = []
    for run in ("a", "b"):
        db = tmp_path / run / "demo.db"
        code, out, err = _run(db, "demo", "--out", str(tmp_path / run), "--scale", "0.1", "--seed", "7")
        assert code == 0, err
        assert "Reports:" in out and "flex" in out
        assert (tmp_path / run / "index.html").exists()
        assert (tmp_path / run / "flex-mrt" / "index.html").exists()
        assert _run(db, "export", str(tmp_path / run / "export"))[0] == 0
        exports.append({f.name: f.read_text() for f in sorted((tmp_path / run / "export").glob("*.csv"))})
    assert exports[0] == exports[1]
    assert exports[0]["administrations.csv"].count("\n") > 10


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, lutetia.cli.main as m; "
        "heavy = [x for x in ('numpy', 'scipy', 'sqlalchemy', 'pandas', 'lifelines', 'matplotlib', 'pydantic') "
        "if x in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
