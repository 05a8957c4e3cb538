"""``lutetia km``: output, JSON, plot, and clear errors (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lifelines.datasets import load_lung
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


@pytest.fixture()
def lung_csv(tmp_path: Path) -> Path:
    path = tmp_path / "lung.csv"
    load_lung()[["time", "status", "sex"]].to_csv(path, index=False)
    return path


def test_km_json_grouped_log_matches_r(lung_csv: Path) -> None:
    res = runner.invoke(app, ["km", str(lung_csv), "--time", "time", "--event", "status",
                              "--group", "sex", "--conf-type", "log", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # R: survfit(Surv(time, status) ~ sex, data = lung) → 270 (212, 310) and 426 (348, 550)
    assert [(g["group"], g["median"], g["ci_lower"], g["ci_upper"]) for g in out["groups"]] == [
        ("1", 270.0, 212.0, 310.0), ("2", 426.0, 348.0, 550.0)]
    assert out["logrank"]["statistic"] == pytest.approx(10.3267, abs=5e-5)  # R survdiff


def test_km_table_and_plot(lung_csv: Path, tmp_path: Path) -> None:
    png = tmp_path / "km.png"
    res = runner.invoke(app, ["km", str(lung_csv), "--time", "time", "--event", "status",
                              "--group", "sex", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "log-rank" in res.stdout and "log-log" in res.stdout
    assert png.stat().st_size > 10_000


def test_km_missing_column(lung_csv: Path) -> None:
    res = runner.invoke(app, ["km", str(lung_csv), "--time", "days", "--event", "status"])
    assert res.exit_code == 2
    assert "missing column(s) days" in res.output


@pytest.mark.parametrize(("content", "message"), [
    ("time,status\n10,1\nten,0\n", "row 3, column 'time': value 'ten' is not a finite number"),
    ("time,status\n10,1\n12,2\n", "row 3, column 'status': value '2' must be 1 (event) or 0"),
    ("time,status\n-1,1\n", "row 2, column 'time': value '-1' is negative"),
    ("time,status\n10,\n", "row 2, column 'status': value '' is not a finite number"),
])
def test_km_bad_values_name_file_row_column_value(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    res = runner.invoke(app, ["km", str(path), "--time", "time", "--event", "status"])
    assert res.exit_code == 2
    assert str(path) in res.output and message in res.output


def test_km_empty_group_value(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("t,e,arm\n1,1,A\n2,0,\n", encoding="utf-8")
    res = runner.invoke(app, ["km", str(path), "--time", "t", "--event", "e", "--group", "arm"])
    assert res.exit_code == 2 and "row 3, column 'arm': empty group value" in res.output


def test_km_bad_conf_type(lung_csv: Path) -> None:
    res = runner.invoke(app, ["km", str(lung_csv), "--time", "time", "--event", "status", "--conf-type", "arcsin"])
    assert res.exit_code == 2


def test_km_command_module_imports_no_heavy_library() -> None:
    import subprocess
    import sys

    code = ("import sys, lutetia.cli.commands.km; "
            "print(sorted(m for m in ('lifelines', 'pandas', 'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
