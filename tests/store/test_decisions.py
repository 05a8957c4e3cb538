"""Decisions and allocations are append-only, audited, and reproducible from their payload."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from lutetia.errors import ConflictError
from lutetia.store.decisions import load_allocations, load_decisions, save_allocation, save_decision
from lutetia.store.repository import Store


def test_decision_round_trip_and_append_only(db_url: str) -> None:
    store = Store.open(db_url)
    payload = {"inputs": {"platelets_giga_per_l": 140.0}, "rules": ["label.activity"], "activity_gbq": 7.4}
    did = save_decision(store, patient_id="P-1", protocol_id="pluvicto-label", kind="next_cycle",
                        decided_on=date(2025, 3, 1), outcome="administer", payload=payload, user="dr.x")
    got = load_decisions(store, "P-1")
    assert [(d.id, d.outcome, d.payload) for d in got] == [(did, "administer", payload)]
    assert store.audit("P-1")[-1].action == "decision"
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE decisions SET outcome = 'stop'"))


def test_allocation_cannot_be_changed(db_url: str) -> None:
    store = Store.open(db_url)
    save_allocation(store, protocol_id="flex-mrt", stratum="all", sequence_no=1, patient_id="P-1", arm="control",
                    seed=7, block_size=4, user="coord")
    with pytest.raises(ConflictError, match="never changed"):
        save_allocation(store, protocol_id="flex-mrt", stratum="all", sequence_no=2, patient_id="P-1",
                        arm="flexible", seed=7, block_size=4, user="coord")
    assert [a.arm for a in load_allocations(store, "flex-mrt")] == ["control"]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM allocations"))


def test_save_many_decisions_in_one_transaction(db_url: str) -> None:
    from lutetia.store.decisions import NewDecision, save_decisions

    store = Store.open(db_url)
    items = [NewDecision(f"P-{i}", "flex-mrt", "next_cycle", date(2025, 1, 1 + i), "administer",
                         {"activity_gbq": 7.4, "rules": [{"rule_id": "label.activity"}]}) for i in range(5)]
    assert save_decisions(store, items, user="sim") == 5
    got = load_decisions(store, protocol_id="flex-mrt")
    assert [d.patient_id for d in got] == [f"P-{i}" for i in range(5)]
    assert sum(1 for e in store.audit() if e.action == "decision") == 5
