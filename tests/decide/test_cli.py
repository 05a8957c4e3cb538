"""CLI decision commands on a temporary SQLite store: eligibility, enrol, randomise,
schedule, next-cycle (with the decision stored and audited)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from lutetia.cli.main import app

from .builders import PID, enrolment, given, panel, record
from .test_eligibility import realup_children

runner = CliRunner()


def _run(db: Path | str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "dr-test", *args])
    return result.exit_code, result.stdout, result.stderr


def _store(tmp_path: Path, children: dict[str, list[Any]], url: str | None = None) -> str:
    from lutetia.store.repository import Store

    db = url or f"sqlite:///{tmp_path / 'x.db'}"
    rec = record(**children)
    store = Store.open(db)
    store.add([rec.patient, *(r for _, r in rec.children())], user="loader", reason="test data")
    return db


def test_eligibility_enrol_schedule_next_cycle(tmp_path: Path) -> None:
    db = _store(tmp_path, realup_children())
    code, out, err = _run(db, "eligibility", PID, "--protocol", "realup", "--on", "2025-03-10", "--json")
    assert code == 0, err
    assert json.loads(out)["verdict"] == "eligible"
    code, out, _ = _run(db, "eligibility", PID, "--protocol", "realup", "--on", "2025-03-10")
    assert code == 0 and "realup.inc.ecog" in out and "ELIGIBLE" in out
    code, out, err = _run(db, "enrol", PID, "--protocol", "realup", "--on", "2025-03-10")
    assert code == 0, err
    assert "enrolled in realup (retreatment)" in out
    code, out, err = _run(db, "schedule", PID, "--on", "2025-03-10", "--json")
    assert code == 0, err
    visits = json.loads(out)
    assert visits[0]["label"] == "cycle 1" and visits[0]["status"] == "due"
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-03-10", "--save", "--json")
    assert code == 0, err
    decision = json.loads(out)
    assert decision["kind"] == "administer" and decision["activity_gbq"] == 7.4
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    stored = load_decisions(Store.open(db), PID, "realup", "next_cycle")
    assert len(stored) == 1 and stored[0].payload["inputs"]["record_sha256"] == decision["inputs"]["record_sha256"]
    code, out, _ = _run(db, "audit", PID, "--json")
    assert '"reason": "eligible on 2025-03-10"' in out


def test_enrol_refuses_an_ineligible_patient_unless_overridden(tmp_path: Path) -> None:
    children = realup_children()
    children["ecog"] = []
    db = _store(tmp_path, children)
    code, _, err = _run(db, "enrol", PID, "--protocol", "realup", "--on", "2025-03-10")
    assert code == 1 and "cannot decide" in err and "no ECOG assessment within 7 days" in err
    code, out, err = _run(db, "enrol", PID, "--protocol", "realup", "--on", "2025-03-10",
                          "--override-reason", "ECOG 1 documented in the referral letter")
    assert code == 0, err


def test_randomise_is_stored_once_and_sets_the_arm(tmp_path: Path, db_url: str) -> None:
    db = _store(tmp_path, {"labs": panel(date(2025, 3, 3))}, db_url)
    assert _run(db, "enrol", PID, "--protocol", "flex-mrt", "--on", "2025-03-10",
                "--override-reason", "test")[0] == 0
    code, _, err = _run(db, "randomise", PID, "--protocol", "flex-mrt")
    assert code == 2 and "needs --seed" in err
    code, out, err = _run(db, "randomise", PID, "--protocol", "flex-mrt", "--seed", "2025", "--on", "2025-03-11")
    assert code == 0, err
    from lutetia.decide import allocation_sequence

    expected = allocation_sequence(["control", "flexible"], 1, seed=2025, block_size=4)[0]
    assert f"allocated to {expected}" in out
    code, _, err = _run(db, "randomise", PID, "--protocol", "flex-mrt", "--seed", "2025")
    assert code == 1 and "already" in err.lower()
    code, out, _ = _run(db, "patient", "show", PID, "--json")
    enrolment = json.loads(out)["enrolments"][0]
    assert enrolment["arm"] == expected and enrolment["randomised_on"] == "2025-03-11"


def test_next_cycle_cannot_decide_lists_missing_inputs(tmp_path: Path) -> None:
    db = _store(tmp_path, {"labs": panel(date(2025, 1, 3)),
                           "administrations": [given(1, date(2025, 1, 6), protocol="pluvicto-label")],
                           "enrolments": []})
    assert _run(db, "enrol", PID, "--protocol", "pluvicto-label", "--on", "2025-01-05",
                "--override-reason", "label use")[0] == 0
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-02-17")
    assert code == 0, err
    assert "CANNOT DECIDE" in out and "no platelet count within 14 days before 2025-02-17" in out


def test_holiday_state_is_read_back_from_stored_decisions(tmp_path: Path) -> None:
    from .test_flex_mrt import responder

    children = responder()
    children["enrolments"] = [enrolment("flex-mrt", "flexible", date(2024, 12, 30))]
    db = _store(tmp_path, children)
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-03-31", "--save")
    assert code == 0, err
    assert "START HOLIDAY" in out and "flex.holiday" in out and "stored as decision" in out
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-04-21", "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "holiday"
    code, out, err = _run(db, "schedule", PID, "--on", "2025-06-23")
    assert code == 0, err
    assert "flex.holiday-surveillance" in out and "due" in out


def test_eligibility_is_stored_with_its_inputs_when_asked(tmp_path: Path) -> None:
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    db = _store(tmp_path, realup_children())
    code, out, err = _run(db, "eligibility", PID, "--protocol", "realup", "--on", "2025-03-10")
    assert code == 0, err
    assert "ELIGIBLE" in out and "stored as decision" not in out
    assert load_decisions(Store.open(db), PID, "realup", "eligibility") == []
    code, out, err = _run(db, "eligibility", PID, "--protocol", "realup", "--on", "2025-03-10", "--save", "--json")
    assert code == 0, err
    shown = json.loads(out)
    stored = load_decisions(Store.open(db), PID, "realup", "eligibility")
    assert len(stored) == 1 and stored[0].outcome == "eligible" and stored[0].user == "dr-test"
    assert stored[0].payload["inputs"]["record_sha256"] == shown["inputs"]["record_sha256"]
    assert stored[0].payload["inputs"]["lookback_days"] == 28.0
    assert {c["result"]["rule_id"] for c in stored[0].payload["criteria"]} >= {"realup.inc.ecog"}
    code, out, _ = _run(db, "audit", PID, "--json")
    assert '"kind": "eligibility"' in out


def test_a_randomised_arm_cannot_be_chosen_repeated_or_edited(tmp_path: Path) -> None:
    db = _store(tmp_path, {"labs": panel(date(2025, 3, 3))})
    code, _, err = _run(db, "enrol", PID, "--protocol", "flex-mrt", "--arm", "flexible", "--on", "2025-03-10",
                        "--override-reason", "test")
    assert code == 2 and "the arm comes from `lutetia randomise`" in err
    assert _run(db, "enrol", PID, "--protocol", "flex-mrt", "--on", "2025-03-10", "--override-reason", "test")[0] == 0
    code, out, err = _run(db, "randomise", PID, "--protocol", "flex-mrt", "--seed", "7", "--on", "2025-03-11", "--json")
    assert code == 0, err
    arm = json.loads(out)["arm"]
    other = "control" if arm == "flexible" else "flexible"
    from lutetia.store.repository import Store

    version = Store.open(db).get("enrolments", (PID, "flex-mrt")).version
    code, _, err = _run(db, "edit", "enrolments", PID, "flex-mrt", "--set", f"arm={other}", "--version", str(version),
                        "--reason", "typo")
    assert code == 1 and f"arm cannot change: randomised to {arm!r} on 2025-03-11" in err


def test_an_enrolment_randomised_elsewhere_is_not_randomised_again(tmp_path: Path) -> None:
    # Randomised outside this store's allocation list (e.g. an imported enrolment with its arm).
    db = _store(tmp_path, {"labs": panel(date(2025, 3, 3)), "enrolments": [
        enrolment("flex-mrt", "control", date(2025, 3, 10)).model_copy(update={"randomised_on": date(2025, 3, 10)})]})
    code, _, err = _run(db, "randomise", PID, "--protocol", "flex-mrt", "--seed", "7")
    assert code == 1 and "already randomised in flex-mrt: 'control' on 2025-03-10" in err


def test_a_past_date_reads_the_stored_history_as_it_was_then(tmp_path: Path) -> None:
    from .test_flex_mrt import responder

    children = responder()
    children["enrolments"] = [enrolment("flex-mrt", "flexible", date(2024, 12, 30))]
    db = _store(tmp_path, children)
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-03-31", "--save", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["kind"] == "start_holiday"
    # the same decision again is not stored twice
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-03-31", "--save")
    assert code == 0, err
    assert f"already stored as decision {first['decision_id']}" in out
    # re-made on its own date, the holiday that decision started is not yet in force
    code, out, err = _run(db, "next-cycle", PID, "--date", "2025-03-31", "--json")
    assert json.loads(out)["kind"] == "start_holiday"
    code, out, err = _run(db, "schedule", PID, "--on", "2025-03-30", "--json")
    assert code == 0, err
    assert "flex.holiday-surveillance" not in out


def test_redecide_and_next_cycle_as_decided_on_a_stored_trial(tmp_path: Path) -> None:
    """A stored in-silico FLEX-MRT trial: every stored decision re-derives identically from the
    stored record (``redecide``), one by one (``next-cycle --as-decided``); a date without a
    stored decision is an error naming the stored dates."""
    import json as _json

    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    db = tmp_path / "sim.db"
    res = runner.invoke(app, ["--db", str(db), "--user", "tester", "simulate", "--protocol", "flex-mrt", "--n", "10",
                              "--seed", "2", "--store", "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--db", str(db), "redecide", "--json"])
    assert res.exit_code == 0, res.output
    out = _json.loads(res.stdout)
    assert out["decisions"] > 10 and out["different"] == []
    stored = [d for d in load_decisions(Store.open(f"sqlite:///{db}"), kind="next_cycle") if d.outcome == "administer"]
    d = stored[-1]
    res = runner.invoke(app, ["--db", str(db), "next-cycle", d.patient_id, "--date", str(d.decided_on), "--as-decided"])
    assert res.exit_code == 0 and "identical" in res.output, res.output
    res = runner.invoke(app, ["--db", str(db), "next-cycle", d.patient_id, "--date", "1999-01-01", "--as-decided"])
    assert res.exit_code == 2 and "no stored next-cycle decision on 1999-01-01" in res.output
