"""A writing command writes everything in one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from lutetia.cli.commands.simulate import store_trial
from lutetia.errors import ConflictError
from lutetia.simulate import run_trial
from lutetia.store import decisions as decisions_module
from lutetia.store.decisions import load_allocations, load_decisions
from lutetia.store.repository import Store


def test_a_failure_at_the_last_decision_rolls_everything_back(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_trial("flex-mrt", 4, np.random.default_rng(3), prefix="TX")
    assert result.allocations, "flex-mrt is randomised: the trial has allocations to write last"
    store = Store.open(db_url)

    real = decisions_module._append_decision
    total = sum(len(v) for v in result.decisions.values())
    calls: list[int] = []

    def refuse_last(*args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == total:  # allocations, records and all other decisions are written by now
            raise ConflictError("decision refused (simulated)")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(decisions_module, "_append_decision", refuse_last)
    with pytest.raises(ConflictError):
        store_trial(store, result, "tester", "test")
    assert store.patient_ids() == []
    assert load_decisions(store) == [] and load_allocations(store) == []
    assert store.audit() == []
    monkeypatch.undo()
    said = store_trial(store, result, "tester", "test")
    assert "in one transaction" in said
    assert len(store.patient_ids()) == len(result.records)
    assert len(load_allocations(store)) == len(result.allocations)


def test_enrol_writes_enrolment_and_decision_together(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from lutetia.cli.main import app

    folder = Path(str(tmp_path))
    db = folder / "x.db"
    (folder / "p.json").write_text('{"format": "lutetia-interchange", "version": 1, "patients": '
                                   '[{"patient_id": "NEW-001", "sex": "male", "birth_year": 1950}]}')
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(folder / "p.json")]).exit_code == 0

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise ConflictError("decision refused (simulated)")

    monkeypatch.setattr(decisions_module, "_append_decision", refuse)
    res = runner.invoke(app, ["--db", str(db), "--user", "t", "enrol", "NEW-001", "--protocol", "flex-mrt",
                              "--override-reason", "test", "--on", "2025-01-01"])
    assert res.exit_code != 0
    assert Store.open(f"sqlite:///{db}").rows("enrolments") == []
