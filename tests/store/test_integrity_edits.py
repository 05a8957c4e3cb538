"""Edits that used to break the record (issue 18), on SQLite and PostgreSQL.

Expected values are the scenario's own inputs (ids, counts of the rows written here), not
recomputed by the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from lutetia.cli.common import randomised_protocol
from lutetia.cli.main import app
from lutetia.decide import allocate
from lutetia.errors import ConflictError, NotFoundError, RecordError
from lutetia.protocols import load_protocol
from lutetia.records import Administration, Enrolment, LabResult, Patient
from lutetia.store.decisions import (
    load_allocations,
    load_decisions,
    randomise,
    save_allocation,
    save_decision,
)
from lutetia.store.repository import Store

runner = CliRunner()
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def _patient(pid: str) -> Patient:
    return Patient(patient_id=pid, sex="male", birth_date=date(1950, 4, 2), weight_kg=80)


def _labs(pid: str, n: int) -> list[LabResult]:
    return [LabResult(patient_id=pid, analyte="creatinine", sampled_on=date(2025, 1, 1) + timedelta(days=i),
                      value=1.0, unit="mg/dL") for i in range(n)]


def _admin(pid: str, cycle: int) -> Administration:
    return Administration(patient_id=pid, cycle=cycle, administered_at=T0 + timedelta(weeks=6 * (cycle - 1)),
                          activity_gbq=7.4)


@pytest.fixture()
def store(db_url: str) -> Store:
    return Store.open(db_url, randomised=randomised_protocol)  # as the CLI opens it


def _flex_list(sequence_no: int, seed: int) -> tuple[str, int]:
    a = allocate(load_protocol("flex-mrt"), sequence_no, seed=seed, block_size=4)
    return a.arm, a.block


def test_rename_carries_every_record_in_one_transaction(store: Store) -> None:
    store.add([_patient("P2-00002"), *_labs("P2-00002", 5), _admin("P2-00002", 1), _admin("P2-00002", 2),
               _patient("P2-00003")], user="alice")
    save_decision(store, patient_id="P2-00002", protocol_id="pluvicto-label", kind="next_cycle",
                  decided_on=date(2025, 3, 1), outcome="administer", payload={}, user="dr.x")
    moved = store.rename_patient("P2-00002", "P2-99999", expected_version=1, user="bob", reason="typo")
    assert moved == 1 + 5 + 2  # the patient, its 5 labs, its 2 administrations
    with pytest.raises(NotFoundError):
        store.record("P2-00002")
    rec = store.record("P2-99999")
    assert len(rec.labs) == 5 and len(rec.administrations) == 2
    assert store.get("labs", ("P2-99999", "creatinine", "2025-01-01", "")).record.patient_id == "P2-99999"
    # the append-only decision stays as made and is found under the new id
    assert [d.patient_id for d in load_decisions(store, "P2-99999")] == ["P2-00002"]
    # audited once, shown under both ids
    for pid in ("P2-00002", "P2-99999"):
        renames = [e for e in store.audit(pid) if e.action == "rename"]
        assert [(e.old_values, e.new_values, e.reason) for e in renames] == [
            ({"patient_id": "P2-00002"}, {"patient_id": "P2-99999"}, "typo")]
    assert [e.action for e in store.audit("P2-99999")][0] == "import"  # the history before the rename too
    # an id that was used is never given again, and a stale version is refused
    with pytest.raises(ConflictError, match="never reused"):
        store.rename_patient("P2-00003", "P2-00002", expected_version=1, user="bob", reason="x")
    with pytest.raises(ConflictError, match="never reused"):
        store.add([_patient("P2-00002")], user="alice")
    with pytest.raises(ConflictError, match="you read version 1"):
        store.rename_patient("P2-99999", "P2-77777", expected_version=1, user="bob", reason="x")


def test_edit_refuses_a_patient_id_change_and_names_an_unknown_patient(store: Store) -> None:
    store.add([_patient("P-1"), _patient("P-2"), *_labs("P-1", 1)], user="alice")
    with pytest.raises(RecordError, match="lutetia rename"):
        store.update("patients", ("P-1",), {"patient_id": "P-9"}, expected_version=1, user="bob", reason="typo")
    with pytest.raises(RecordError, match="no patient 'NOBODY'"):
        store.update("labs", ("P-1", "creatinine", "2025-01-01", ""), {"patient_id": "NOBODY"}, expected_version=1,
                     user="bob", reason="wrong patient")
    moved = store.update("labs", ("P-1", "creatinine", "2025-01-01", ""), {"patient_id": "P-2"},
                         expected_version=1, user="bob", reason="wrong patient")
    assert moved.record.patient_id == "P-2"
    assert store.record("P-1").labs == () and len(store.record("P-2").labs) == 1


def test_cli_edit_and_rename(db_url: str) -> None:
    Store.open(db_url).add([_patient("P-1"), *_labs("P-1", 2)], user="alice")

    def run(*args: str) -> tuple[int, str]:
        res = runner.invoke(app, ["--db", db_url, "--user", "bob", *args])
        return res.exit_code, res.stdout + res.stderr

    code, out = run("edit", "labs", "P-1", "creatinine", "2025-01-01", "", "--set", "patient_id=NOBODY",
                    "--version", "1", "--reason", "typo")
    assert code == 1 and "no patient 'NOBODY'" in out and "Traceback" not in out
    code, out = run("edit", "patients", "P-1", "--set", "patient_id=P-9", "--version", "1", "--reason", "typo")
    assert code == 1 and "lutetia rename" in out
    code, out = run("rename", "P-1", "P-9", "--version", "1", "--reason", "typo")
    assert code == 0 and "3 record(s) moved" in out
    code, out = run("patient", "show", "P-9", "--json")
    assert code == 0 and out.count('"analyte": "creatinine"') == 2


def _enrol(store: Store, pid: str, **extra: object) -> None:
    store.add([_patient(pid), Enrolment(patient_id=pid, protocol_id="flex-mrt", enrolled_on=date(2025, 3, 10),
                                        **extra)], user="alice")


def test_randomise_is_one_transaction(store: Store) -> None:
    _enrol(store, "P-1")
    with pytest.raises(RecordError, match="randomised_on is before enrolled_on"):
        randomise(store, "flex-mrt", "P-1", _flex_list, on=date(2025, 3, 1), user="coord", seed=7)
    assert load_allocations(store, "flex-mrt") == []  # nothing left behind
    done = randomise(store, "flex-mrt", "P-1", _flex_list, on=date(2025, 3, 11), user="coord", seed=7)
    enrolment = store.get("enrolments", ("P-1", "flex-mrt")).record
    assert isinstance(enrolment, Enrolment)
    assert (enrolment.arm, enrolment.randomised_on) == (done.arm, date(2025, 3, 11))
    with pytest.raises(ConflictError, match="already randomised"):
        randomise(store, "flex-mrt", "P-1", _flex_list, on=date(2025, 3, 12), user="coord")


def test_cli_randomise_before_enrolment_leaves_nothing_and_a_retry_works(store: Store, db_url: str) -> None:
    _enrol(store, "P-1")

    def run(on: str) -> tuple[int, str]:
        res = runner.invoke(app, ["--db", db_url, "--user", "coord", "randomise", "P-1", "--protocol", "flex-mrt",
                                  "--seed", "7", "--on", on])
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        return res.exit_code, res.stdout + res.stderr

    code, out = run("2025-03-01")  # enrolled on 2025-03-10
    assert code == 1 and "randomised_on is before enrolled_on" in out
    assert load_allocations(store, "flex-mrt") == []
    code, out = run("2025-03-11")
    assert code == 0 and "allocated to" in out
    assert [a.patient_id for a in load_allocations(store, "flex-mrt")] == ["P-1"]


def test_a_randomised_arm_comes_only_from_the_allocation_list(store: Store) -> None:
    with pytest.raises(ConflictError, match="without an allocation"):
        _enrol(store, "P-1", arm="flexible", randomised_on=date(2025, 3, 10))
    _enrol(store, "P-1")
    with pytest.raises(ConflictError, match="without an allocation"):
        store.update("enrolments", ("P-1", "flex-mrt"), {"arm": "flexible"}, expected_version=1, user="bob",
                     reason="typo")
    done = randomise(store, "flex-mrt", "P-1", _flex_list, on=date(2025, 3, 11), user="coord", seed=7)
    other = "control" if done.arm == "flexible" else "flexible"
    version = store.get("enrolments", ("P-1", "flex-mrt")).version
    store.delete("enrolments", ("P-1", "flex-mrt"), expected_version=version, user="bob", reason="re-entry")
    with pytest.raises(ConflictError, match=f"allocation list gives '{done.arm}'"):
        store.add([Enrolment(patient_id="P-1", protocol_id="flex-mrt", enrolled_on=date(2025, 3, 10), arm=other,
                             randomised_on=date(2025, 3, 11))], user="bob")
    store.add([Enrolment(patient_id="P-1", protocol_id="flex-mrt", enrolled_on=date(2025, 3, 10),
                         arm=done.arm, randomised_on=date(2025, 3, 11))], user="bob")
    # a non-randomised protocol takes its arm from the enrolment
    store.add([Enrolment(patient_id="P-1", protocol_id="realup", enrolled_on=date(2025, 3, 10),
                         arm="retreatment")], user="bob")


def test_a_write_needs_a_named_user(store: Store, db_url: str) -> None:
    for user in ("", "  "):
        with pytest.raises(RecordError, match="--user"):
            store.add([_patient("P-1")], user=user)
        with pytest.raises(RecordError, match="--user"):
            save_allocation(store, protocol_id="flex-mrt", stratum="all", sequence_no=0, patient_id="P-1",
                            arm="control", seed=1, block_size=4, user=user)
    res = runner.invoke(app, ["--db", db_url, "rename", "P-1", "P-2", "--version", "1", "--reason", "x"],
                        env={"USER": "", "LUTETIA_USER": ""})
    assert res.exit_code == 2 and "pass --user" in res.stderr
    assert store.audit() == []
    res = runner.invoke(app, ["--db", db_url, "audit"], env={"USER": "", "LUTETIA_USER": ""})
    assert res.exit_code == 0  # reading needs no user


def test_database_passwords_are_masked() -> None:
    from lutetia.cli.common import mask_credentials, mask_url

    assert mask_url("postgresql+psycopg://app:s3cret@db.example:5432/trial") == \
        "postgresql+psycopg://app:***@db.example:5432/trial"
    assert mask_url("sqlite:///lutetia.db") == "sqlite:///lutetia.db"
    assert mask_credentials("cannot reach postgresql://u:p%40ss@h/d now") == "cannot reach postgresql://u:***@h/d now"
    res = runner.invoke(app, ["--db", "postgresql+psycopg://app:s3cret@127.0.0.1:1/none", "audit"])
    assert res.exit_code != 0 and "s3cret" not in res.stdout + res.stderr
