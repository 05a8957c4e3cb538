"""Export is the whole trial (issue 17): records, decisions (eligibility assessments
included), allocations, the audit trail, and the web's signatures and dosimetry reviews; an import into an empty database restores them,
on SQLite and PostgreSQL.  Expected rows are those read from the source database."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.records import Enrolment, LabResult, Patient
from lutetia.store.chain import verify
from lutetia.store.decisions import load_allocations, load_decisions, randomise, save_decision
from lutetia.store.repository import Store
from lutetia.store.signatures import load_reviews, load_signatures, review_dosimetry, sign_decision
from lutetia.store.trail import export_trail

runner = CliRunner()


def _run(db: str, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["--db", db, "--user", "archivist", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, res.stdout + res.stderr


def _trial(db_url: str) -> Store:
    from lutetia.decide import allocate
    from lutetia.protocols import load_protocol

    store = Store.open(db_url)
    store.add([Patient(patient_id="P-1", sex="male", birth_date=date(1950, 4, 2)),
               Enrolment(patient_id="P-1", protocol_id="flex-mrt", enrolled_on=date(2025, 3, 10)),
               LabResult(patient_id="P-1", analyte="creatinine", sampled_on=date(2025, 3, 3), value=1.0,
                         unit="mg/dL")], user="alice", reason="site upload")
    save_decision(store, patient_id="P-1", protocol_id="flex-mrt", kind="eligibility", decided_on=date(2025, 3, 10),
                  outcome="eligible", payload={"inputs": {"record_sha256": "ab"}}, user="dr.x")
    flex = load_protocol("flex-mrt")
    randomise(store, "flex-mrt", "P-1", lambda n, seed: (allocate(flex, n, seed=seed).arm, 0), on=date(2025, 3, 11),
              user="coord", seed=7)
    sign_decision(store, patient_id="P-1", protocol_id="flex-mrt", decided_on=date(2025, 4, 1),
                  payload={"kind": "administer", "cycle": 1, "activity_gbq": 7.4}, meaning="prescribed 7.4 GBq for "
                  "cycle 1", prescribed_gbq=7.4, override_reason=None, signer="dr.x", signer_name="Dr X")
    review_dosimetry(store, patient_id="P-1", course=1, cycle=1, verdict="confirmed", reason="fits checked",
                     inputs={"kidney_gy": 3.1}, reviewer="phys.y")
    return store


def _other(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = "r_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return db_url.rsplit("/", 1)[0] + "/" + name


@pytest.mark.parametrize("target", ["folder", "trial.json"])
def test_export_import_round_trip_of_the_whole_trial(db_url: str, tmp_path: Path, target: str) -> None:
    source = _trial(db_url)
    out = tmp_path / target
    code, text = _run(db_url, "export", str(out))
    assert code == 0, text
    restored_url = _other(db_url, tmp_path)
    code, text = _run(restored_url, "import", str(out), "--reason", "restore")
    assert code == 0, text
    restored = Store.open(restored_url)
    before, after = export_trail(source), export_trail(restored)
    assert after["decisions"] == before["decisions"] and after["allocations"] == before["allocations"]
    # the signature and the dosimetry review come back row for row (ids, times, digests, hashes)
    assert after["signatures"] == before["signatures"] and len(before["signatures"]) == 1
    assert after["dosimetry_reviews"] == before["dosimetry_reviews"] and len(before["dosimetry_reviews"]) == 1
    assert load_signatures(restored, "P-1") == load_signatures(source, "P-1")
    assert load_reviews(restored, "P-1") == load_reviews(source, "P-1")
    assert after["audit_log"][:-1] == before["audit_log"]  # row for row, ids and hashes included
    assert after["audit_log"][-1]["action"] == "import" and after["audit_log"][-1]["reason"] == "restore"
    assert [d.kind for d in load_decisions(restored, "P-1")] == ["eligibility", "next_cycle"]
    assert [a.arm for a in load_allocations(restored, "flex-mrt")] == [a.arm for a in load_allocations(source)]
    assert restored.record("P-1") == source.record("P-1")
    assert verify(restored.engine).ok
    # the append-only tables stay append-only after the restore
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), restored.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM allocations"))
    # importing the same export again changes nothing; a new decision continues the chain
    code, text = _run(restored_url, "import", str(out))
    assert code == 0 and "unchanged" in text
    assert export_trail(restored)["audit_log"] == after["audit_log"]
    save_decision(restored, patient_id="P-1", protocol_id="flex-mrt", kind="eligibility",
                  decided_on=date(2025, 4, 1), outcome="eligible", payload={}, user="dr.x")
    assert verify(restored.engine).ok


def test_a_trail_is_restored_only_into_an_empty_database_and_only_untampered(db_url: str, tmp_path: Path) -> None:
    _trial(db_url)
    out = tmp_path / "export"
    assert _run(db_url, "export", str(out))[0] == 0
    other = _other(db_url, tmp_path)
    Store.open(other).add([Patient(patient_id="Q-1", sex="female", birth_date=date(1960, 1, 1))], user="bob")
    code, text = _run(other, "import", str(out))
    assert code == 1 and "restored only into an empty database" in text
    code, text = _run(other, "import", str(out), "--records-only")
    assert code == 1 and "without an allocation" in text  # the records alone lack the randomised arm's allocation
    trail = json.loads((out / "trail.json").read_text())
    trail["decisions"][0]["outcome"] = "not_eligible"
    (out / "trail.json").write_text(json.dumps(trail))
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code, text = _run(empty, "import", str(out))
    assert code == 1 and "decisions row 1: its hash does not follow" in text
    assert Store.open(empty).patient_ids() == []
