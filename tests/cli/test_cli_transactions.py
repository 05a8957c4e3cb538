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


def test_a_failure_after_records_and_decisions_rolls_everything_back(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_trial("flex-mrt", 4, np.random.default_rng(3), prefix="TX")
    assert result.allocations, "flex-mrt is randomised: the trial has allocations to write last"
    store = Store.open(db_url)

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise ConflictError("allocation refused (simulated)")

    monkeypatch.setattr(decisions_module, "save_allocation", refuse)
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
