"""Store tests, run on SQLite and on a throwaway PostgreSQL server (see conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from lutetia.errors import ConflictError, NotFoundError, RecordError
from lutetia.records import Administration, ClinicalEvent, LabResult, Patient
from lutetia.store.repository import Store

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def _patient(pid: str = "P-1") -> Patient:
    return Patient(patient_id=pid, sex="male", birth_date=date(1950, 4, 2), weight_kg=80)


def _admin(pid: str = "P-1", cycle: int = 1, gbq: float = 7.4) -> Administration:
    return Administration(patient_id=pid, cycle=cycle, administered_at=T0 + timedelta(weeks=6 * (cycle - 1)),
                          activity_gbq=gbq)


@pytest.fixture()
def store(db_url: str) -> Store:
    return Store.open(db_url)


def test_insert_and_read_back_exactly(store: Store) -> None:
    lab = LabResult(patient_id="P-1", analyte="creatinine", sampled_on=date(2025, 2, 27), value=1.1,
                    unit="mg/dL", uln=1.2)
    summary = store.add([_patient(), _admin(), lab], user="alice", source="test")
    assert summary.inserted == {"patients": 1, "administrations": 1, "labs": 1}
    rec = store.record("P-1")
    assert rec.patient == _patient()
    assert rec.administrations == (_admin(),)
    assert rec.administrations[0].administered_at.utcoffset() == timedelta(0)
    assert rec.labs == (lab,)  # kept as reported: 1.1 mg/dL, not converted


def test_reimport_is_idempotent_and_differences_are_conflicts(store: Store) -> None:
    store.add([_patient(), _admin()], user="alice")
    again = store.add([_patient(), _admin()], user="alice")
    assert again.total_inserted == 0
    assert again.unchanged == {"patients": 1, "administrations": 1}
    with pytest.raises(ConflictError, match="differs from the stored record"):
        store.add([_admin(gbq=7.0)], user="alice")
    assert store.record("P-1").administrations[0].activity_gbq == 7.4


def test_failed_write_writes_nothing(store: Store) -> None:
    store.add([_patient()], user="alice")
    death = ClinicalEvent(patient_id="P-1", event_id="D", kind="death", event_date=date(2025, 2, 1))
    with pytest.raises(RecordError, match="administered_at = 2025-03-01 is after death"):
        store.add([death, _admin()], user="alice")
    rec = store.record("P-1")
    assert rec.events == () and rec.administrations == ()
    assert [e.action for e in store.audit()] == ["insert"]


def test_update_requires_reason_and_is_audited(store: Store) -> None:
    store.add([_patient(), _admin()], user="alice")
    with pytest.raises(RecordError, match="reason is required"):
        store.update("administrations", ("P-1", 1, 1), {"activity_gbq": 7.2}, expected_version=1,
                     user="bob", reason=" ")
    stored = store.update("administrations", ("P-1", 1, 1), {"activity_gbq": 7.2}, expected_version=1,
                          user="bob", reason="dose calibrator re-read")
    assert stored.version == 2
    entry = store.audit("P-1")[-1]
    assert (entry.user, entry.action, entry.kind) == ("bob", "update", "administrations")
    assert entry.old_values == {"activity_gbq": 7.4}
    assert entry.new_values == {"activity_gbq": 7.2}
    assert entry.reason == "dose calibrator re-read"


def test_concurrent_edits_do_not_lose_an_update(store: Store) -> None:
    store.add([_patient(), _admin()], user="alice")
    seen_by_alice = store.get("administrations", ("P-1", 1, 1))
    seen_by_bob = store.get("administrations", ("P-1", 1, 1))
    store.update("administrations", ("P-1", 1, 1), {"activity_gbq": 7.3}, expected_version=seen_by_alice.version,
                 user="alice", reason="correction")
    with pytest.raises(ConflictError, match="you read version 1, the store has version 2"):
        store.update("administrations", ("P-1", 1, 1), {"residual_gbq": 0.1}, expected_version=seen_by_bob.version,
                     user="bob", reason="residual measured")
    assert store.get("administrations", ("P-1", 1, 1)).record.activity_gbq == 7.3


def test_update_cannot_create_an_impossible_record(store: Store) -> None:
    death = ClinicalEvent(patient_id="P-1", event_id="D", kind="death", event_date=date(2025, 6, 1))
    store.add([_patient(), _admin(), death], user="alice")
    with pytest.raises(RecordError, match="after death"):
        store.update("events", ("P-1", "D"), {"event_date": "2025-01-01"}, expected_version=1, user="bob",
                     reason="typo")
    with pytest.raises(RecordError, match="activity_gbq"):
        store.update("administrations", ("P-1", 1, 1), {"activity_gbq": -1}, expected_version=1, user="bob",
                     reason="typo")


def test_delete_keeps_old_values_in_audit(store: Store) -> None:
    store.add([_patient(), _admin()], user="alice")
    with pytest.raises(ConflictError, match="still has records"):
        store.delete("patients", ("P-1",), expected_version=1, user="bob", reason="withdrawn consent")
    store.delete("administrations", ("P-1", 1, 1), expected_version=1, user="bob", reason="entered twice")
    with pytest.raises(NotFoundError):
        store.get("administrations", ("P-1", 1, 1))
    entry = store.audit("P-1")[-1]
    assert entry.action == "delete" and entry.old_values is not None
    assert entry.old_values["activity_gbq"] == 7.4


def test_audit_log_is_append_only(store: Store) -> None:
    store.add([_patient()], user="alice")
    for statement in ("UPDATE audit_log SET user_name = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert store.audit()[0].user == "alice"


def test_batch_insert_audit_names_the_patients(store: Store) -> None:
    summary = store.add([_patient("A"), _patient("B"), _admin("A")], user="carol", source="batch.csv")
    entries = store.audit("A")
    assert [(e.action, e.row_count, e.source) for e in entries] == [("import", 3, "batch.csv")]
    assert entries[0].id == summary.audit_id
    assert store.audit("B")[0].id == summary.audit_id


def test_child_without_patient_is_refused(store: Store) -> None:
    with pytest.raises(RecordError, match="no patient 'P-9'"):
        store.add([_admin("P-9")], user="alice")
