"""Concurrent writers on SQLite and PostgreSQL (loopback): bounded pools of forked processes,
each running the real ``lutetia`` command, started together at a barrier.

After every scenario: no stored state breaks a rule the validator enforces
(``record_problems`` is empty for every patient), the hash chains verify, and no process
ended in a traceback (an unexpected exception inside the command).  Expected outcomes are
the scenario's own (which of two conflicting imports may win is not fixed, that exactly one
does is).
"""

from __future__ import annotations

import multiprocessing as mp
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

import lutetia.decide  # noqa: F401 - imported once here, inherited by the forked workers
from lutetia.cli.main import app
from lutetia.protocols import load_protocol
from lutetia.records import ClinicalEvent, Enrolment, LabResult, Patient, record_problems
from lutetia.store.chain import verify
from lutetia.store.interchange import write_json
from lutetia.store.repository import Store

CTX = mp.get_context("fork")
load_protocol("flex-mrt")  # parsed once in the parent (cached), not in every worker
ROUNDS = 3  # per scenario and engine; 20 rounds each were run once by hand (see the commit), bounded here for 2 cores


def _cli(db_url: str, barrier: Any, queue: Any, args: list[str]) -> None:
    """Child process: wait for the others, run one command, report (exit code, output, traceback?)."""
    barrier.wait(timeout=60)
    res = CliRunner().invoke(app, ["--db", db_url, "--user", "worker", *args])
    crashed = res.exception is not None and not isinstance(res.exception, SystemExit)
    queue.put((res.exit_code, res.stdout + res.stderr, repr(res.exception) if crashed else None))


def _together(db_url: str, commands: list[list[str]]) -> list[tuple[int, str, str | None]]:
    barrier, queue = CTX.Barrier(len(commands)), CTX.Queue()
    procs = [CTX.Process(target=_cli, args=(db_url, barrier, queue, cmd)) for cmd in commands]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0, "a worker process died"
    for _, out, crash in results:
        assert crash is None, f"traceback in a worker: {crash}\n{out}"
    return results


def _file(tmp_path: Path, records: list[Any]) -> str:
    by_kind: dict[str, list[Any]] = {}
    for rec in records:
        kind = {Patient: "patients", ClinicalEvent: "events", LabResult: "labs", Enrolment: "enrolments"}[type(rec)]
        by_kind.setdefault(kind, []).append(rec)
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    write_json(path, by_kind)
    return str(path)


def _patient(pid: str) -> Patient:
    return Patient(patient_id=pid, sex="male", birth_date=date(1950, 4, 2))


def _no_rule_broken(db_url: str) -> None:
    store = Store.open(db_url)
    for rec in store.records():
        assert record_problems(rec) == [], rec.patient_id
    assert verify(store.engine).problems == []
    store.engine.dispose()


def _prepared(db_url: str, records: list[Any]) -> None:
    store = Store.open(db_url)
    store.add(records, user="setup")
    store.engine.dispose()


def test_two_imports_valid_alone_cannot_both_pass(db_url: str, tmp_path: Path) -> None:
    _prepared(db_url, [_patient(f"P-{i}") for i in range(ROUNDS)])
    for i in range(ROUNDS):
        pid = f"P-{i}"
        death = _file(tmp_path, [ClinicalEvent(patient_id=pid, event_id="D", kind="death",
                                               event_date=date(2025, 6, 1))])
        lab = _file(tmp_path, [LabResult(patient_id=pid, analyte="creatinine", sampled_on=date(2025, 6, 11),
                                         value=1.0, unit="mg/dL")])
        results = _together(db_url, [["import", death], ["import", lab]])
        assert sorted(code for code, _, _ in results) == [0, 1]
        refused = next(out for code, out, _ in results if code == 1)
        assert "after death" in refused and "nothing was written" in refused
    _no_rule_broken(db_url)


def test_same_data_imported_at_once_is_idempotent_and_quiet(db_url: str, tmp_path: Path) -> None:
    for i in range(ROUNDS):
        pid = f"S-{i}"
        same = _file(tmp_path, [_patient(pid), *(LabResult(patient_id=pid, analyte="creatinine",
                                                           sampled_on=date(2025, 1, 1 + d), value=1.0,
                                                           unit="mg/dL") for d in range(5))])
        results = _together(db_url, [["import", same]] * 3)
        assert [code for code, _, _ in results] == [0, 0, 0], [out for _, out, _ in results]
    store = Store.open(db_url)
    assert [len(r.labs) for r in store.records()] == [5] * ROUNDS
    assert sum(1 for e in store.audit() if e.action == "import") == ROUNDS  # one write per round, not three
    store.engine.dispose()
    _no_rule_broken(db_url)


def _fresh(db_url: str, i: int, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'fresh-{i}.db'}"
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return db_url.rsplit("/", 1)[0] + "/" + name


def test_two_processes_migrating_a_new_database(db_url: str, tmp_path: Path) -> None:
    data = _file(tmp_path, [_patient("M-1")])
    for i in range(ROUNDS):
        fresh = _fresh(db_url, i, tmp_path)
        results = _together(fresh, [["import", data], ["import", data]])
        assert [code for code, _, _ in results] == [0, 0], [out for _, out, _ in results]
        _no_rule_broken(fresh)


def test_concurrent_randomisations_take_distinct_places_in_the_list(db_url: str, tmp_path: Path) -> None:
    pids = [f"R-{i}" for i in range(3)]
    _prepared(db_url, [r for p in pids for r in (_patient(p), Enrolment(
        patient_id=p, protocol_id="flex-mrt", enrolled_on=date(2025, 3, 10)))])
    results = _together(db_url, [["randomise", p, "--protocol", "flex-mrt", "--seed", "7", "--on", "2025-03-11"]
                                 for p in pids])
    assert [code for code, _, _ in results] == [0, 0, 0], [out for _, out, _ in results]
    from lutetia.store.decisions import load_allocations

    store = Store.open(db_url)
    assert sorted(a.sequence_no for a in load_allocations(store, "flex-mrt")) == [0, 1, 2]
    store.engine.dispose()
    _no_rule_broken(db_url)
