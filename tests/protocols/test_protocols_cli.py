"""``lutetia protocols list|show`` through Typer's CliRunner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def test_list_shows_every_protocol() -> None:
    result = runner.invoke(app, ["protocols", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [
        "ecog3-registry", "flex-mrt", "pluvicto-label", "prodigy-2", "re-lupsma", "realup"]
    assert {r["id"]: r["arms"] for r in rows}["flex-mrt"] == "control, flexible"
    table = runner.invoke(app, ["protocols", "list"])
    assert table.exit_code == 0 and "realup" in table.stdout and "status" in table.stdout


def test_show_prints_rules_with_sources() -> None:
    result = runner.invoke(app, ["protocols", "show", "realup"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "realup.inc.ecog" in out and "label.mod.myelo-g3" in out
    assert "assessed within 7 days of study treatment initiation" in out
    assert "NCT06866938" in out and "recorded answer (judgement)" in out
    assert "testosterone_nmol_l < 1.734 nmol/L" in out


def test_show_flex_holiday_marks_project_default() -> None:
    result = runner.invoke(app, ["protocols", "show", "flex-mrt"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "flex.holiday" in result.stdout and "project default" in result.stdout
    assert "39 Gy_BED: curtail" in result.stdout


def test_show_json_round_trips() -> None:
    result = runner.invoke(app, ["protocols", "show", "prodigy-2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "prodigy-2"
    assert [a["id"] for a in data["arms"]] == ["personalised", "fixed"]
    assert data["arms"][0]["treatment"]["activity"]["kidney_limit"]["unit"] == "Gy_BED"


def test_show_unknown_id_exits_2() -> None:
    result = runner.invoke(app, ["protocols", "show", "vision"])
    assert result.exit_code == 2
    assert "unknown protocol 'vision'" in result.output
