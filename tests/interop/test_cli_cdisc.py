"""``lutetia cdisc adam`` on the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pyreadstat
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def test_cdisc_adam_writes_xpt_and_define(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(sample_path)]).exit_code == 0
    out = tmp_path / "adam"
    result = runner.invoke(app, ["--db", str(db), "cdisc", "adam", str(out), "--protocol", "prodigy-2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    for name in ("adsl", "adtte", "adlb", "adrs", "adae"):
        assert (out / f"{name}.xpt").exists()
    assert "<def:Standard" in (out / "define.xml").read_text(encoding="utf-8")
    df, _ = pyreadstat.read_xport(str(out / "adsl.xpt"))
    assert sorted(df["SUBJID"]) == ["SYN-001", "SYN-002"]


def test_cdisc_adam_errors(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "x.db")]
    result = runner.invoke(app, [*db, "cdisc", "adam", str(tmp_path / "o"), "--protocol", "nope"])
    assert result.exit_code == 2 and "nope" in result.stderr
    result = runner.invoke(app, [*db, "cdisc", "adam", str(tmp_path / "o"), "--protocol", "prodigy-2"])
    assert result.exit_code == 1 and "no patient" in result.stderr


def test_cdisc_sdtm_writes_every_domain(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(sample_path)]).exit_code == 0
    out = tmp_path / "sdtm"
    result = runner.invoke(app, ["--db", str(db), "cdisc", "sdtm", str(out), "--protocol", "realup"])
    assert result.exit_code == 0, result.stdout + result.stderr
    for name in ("dm", "ds", "ex", "ae", "lb", "tu", "tr", "rs", "xd"):
        assert (out / f"{name}.xpt").exists(), name
    df, _ = pyreadstat.read_xport(str(out / "ex.xpt"))
    assert set(df["EXDOSU"]) == {"GBq"}
