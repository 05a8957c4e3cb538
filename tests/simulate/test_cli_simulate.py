"""``lutetia simulate``: table, JSON, interchange output and the store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()


def test_simulate_json_compares_arms() -> None:
    res = runner.invoke(app, ["simulate", "--protocol", "prodigy-2", "--n", "300", "--seed", "3", "--fast",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    arms = {a["arm"]: a for a in out["arms"]}
    assert set(arms) == {"personalised", "fixed"}
    assert arms["personalised"]["cumulative_gbq_mean"] > arms["fixed"]["cumulative_gbq_mean"]


def test_simulate_stores_records_and_decisions(tmp_path: Path) -> None:
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    db = tmp_path / "sim.db"
    res = runner.invoke(app, ["--db", str(db), "simulate", "--protocol", "flex-mrt", "--n", "8", "--seed", "2",
                              "--store", "--out", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    assert {a["arm"] for a in json.loads(res.output)["arms"]} == {"control", "flexible"}
    store = Store.open(f"sqlite:///{db}")
    assert store.patient_ids()
    kinds = {d.kind for d in load_decisions(store)}
    assert kinds == {"eligibility", "next_cycle"}
    assert (tmp_path / "out" / "patients.csv").exists()


def test_unknown_protocol_is_a_usage_error() -> None:
    res = runner.invoke(app, ["simulate", "--protocol", "nope", "--n", "5", "--fast"])
    assert res.exit_code != 0
