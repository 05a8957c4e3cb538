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
    res = runner.invoke(app, ["--db", str(db), "--user", "tester", "simulate", "--protocol", "flex-mrt", "--n", "8",
                              "--seed", "2", "--store", "--out", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    assert {a["arm"] for a in json.loads(res.output)["arms"]} == {"control", "flexible"}
    store = Store.open(f"sqlite:///{db}")
    assert store.patient_ids()
    kinds = {d.kind for d in load_decisions(store)}
    assert kinds == {"eligibility", "next_cycle"}
    assert (tmp_path / "out" / "patients.csv").exists()
    # the randomisation list: permuted blocks of 4 from one seed, in sequence, matching the enrolments
    from lutetia.decide import allocation_sequence
    from lutetia.store.decisions import load_allocations

    allocs = sorted(load_allocations(store, "flex-mrt"), key=lambda a: a.sequence_no)
    assert [a.sequence_no for a in allocs] == list(range(len(allocs))) and len(allocs) >= 4
    assert {a.block_size for a in allocs} == {4} and len({a.seed for a in allocs}) == 1
    assert [a.arm for a in allocs] == allocation_sequence(["control", "flexible"], len(allocs), seed=allocs[0].seed,
                                                          block_size=4)
    for a in allocs:
        enrolment = store.get("enrolments", (a.patient_id, "flex-mrt")).record
        assert enrolment.arm == a.arm and enrolment.randomised_on is not None
    again = runner.invoke(app, ["--db", str(db), "--user", "tester", "randomise", allocs[0].patient_id, "--protocol",
                                "flex-mrt"])
    assert again.exit_code == 1 and "already randomised" in again.output


def test_unknown_protocol_is_a_usage_error() -> None:
    res = runner.invoke(app, ["simulate", "--protocol", "nope", "--n", "5", "--fast"])
    assert res.exit_code != 0
