"""Tamper evidence of the audit log, decisions and allocations, on SQLite and PostgreSQL.

Each test tampers the way issue 18 reproduced (drop trigger + rewrite + recreate, a
back-dated insert, TRUNCATE, DISABLE TRIGGER) and expects ``lutetia audit --verify`` to
name the broken link and exit non-zero.  The expected hashes in
``test_link_is_sha256_of_previous_and_content`` come from ``hashlib``-independent
``sha256sum`` (coreutils 9.1) run on the byte string shown.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.records import Patient
from lutetia.store.chain import GENESIS, content, link, verify
from lutetia.store.decisions import save_allocation, save_decision
from lutetia.store.repository import Store

runner = CliRunner()


def test_link_is_sha256_of_previous_and_content() -> None:
    # printf '%s\n%s' 0000…0000 '{"a":1}' | sha256sum
    assert link(GENESIS, '{"a":1}') == "f21735afd2cd6af4fc5804b0045cebfd545aef8396d29d030c39cb8880b45b7f"


def _filled(db_url: str) -> Store:
    store = Store.open(db_url)
    store.add([Patient(patient_id="P-1", sex="male", birth_date=date(1950, 4, 2))], user="alice")
    save_decision(store, patient_id="P-1", protocol_id="pluvicto-label", kind="next_cycle",
                  decided_on=date(2025, 3, 1), outcome="administer", payload={"activity_gbq": 7.4}, user="dr.x")
    save_allocation(store, protocol_id="flex-mrt", stratum="all", sequence_no=0, patient_id="P-1", arm="control",
                    seed=7, block_size=4, user="coord")
    save_decision(store, patient_id="P-1", protocol_id="pluvicto-label", kind="next_cycle",
                  decided_on=date(2025, 4, 12), outcome="administer", payload={"activity_gbq": 7.4}, user="dr.x")
    assert verify(store.engine).ok
    return store


def _verify_cli(db_url: str) -> tuple[int, str]:
    res = runner.invoke(app, ["--db", db_url, "audit", "--verify"])
    return res.exit_code, res.stdout + res.stderr


def _raw(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def test_an_intact_trail_verifies(db_url: str) -> None:
    store = _filled(db_url)
    code, out = _verify_cli(db_url)
    assert code == 0 and "every link holds" in out and "audit_log: 4 rows" in out  # patient, decision, allocation, decision
    head = verify(store.engine).heads["audit_log"][1]
    res = runner.invoke(app, ["--db", db_url, "audit", "--verify", "--head", f"audit_log={head}"])
    assert res.exit_code == 0


def test_rewrite_behind_a_dropped_or_disabled_trigger_is_caught(db_url: str) -> None:
    store = _filled(db_url)
    if store.engine.dialect.name == "sqlite":
        _raw(store, "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET user_name = 'mallory' WHERE id = 2",
             "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
             "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        _raw(store, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
             "UPDATE audit_log SET user_name = 'mallory' WHERE id = 2",
             "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    code, out = _verify_cli(db_url)
    assert code == 1 and "audit_log row 2: broken link" in out


def test_rewritten_decision_is_caught_even_when_rehashed(db_url: str) -> None:
    store = _filled(db_url)
    with store.engine.connect() as conn:
        first = dict(conn.execute(sa.text("SELECT * FROM decisions WHERE id = 1")).mappings().one())
    forged = link(GENESIS, content("decisions", {**first, "outcome": "stop"}))
    trigger = "decisions_no_update" if store.engine.dialect.name == "sqlite" else "decisions_no_change"
    if store.engine.dialect.name == "sqlite":
        _raw(store, f"DROP TRIGGER {trigger}",
             f"UPDATE decisions SET outcome = 'stop', row_hash = '{forged}' WHERE id = 1")
    else:
        _raw(store, f"ALTER TABLE decisions DISABLE TRIGGER {trigger}",
             f"UPDATE decisions SET outcome = 'stop', row_hash = '{forged}' WHERE id = 1",
             f"ALTER TABLE decisions ENABLE TRIGGER {trigger}")
    code, out = _verify_cli(db_url)
    # row 1 now links; row 2 no longer follows it, and the audit entry kept the true hash
    assert code == 1 and "decisions row 2: broken link" in out
    assert "decisions row 1: its hash differs from the one audit entry" in out


def test_back_dated_insert_is_refused_then_caught(db_url: str) -> None:
    store = _filled(db_url)
    with store.engine.connect() as conn:
        last = conn.execute(sa.text("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar_one()
    row = {"at": "2020-01-01T00:00:00+00:00", "user_name": "mallory", "action": "insert", "kind": "labs",
           "patient_id": "P-1", "natural_key": None, "old_values": None, "new_values": None, "reason": None,
           "source": None, "row_count": 1}
    forged = link(last, content("audit_log", row))
    insert = ("INSERT INTO audit_log (at, user_name, action, kind, patient_id, row_count, row_hash) "
              f"VALUES ('2020-01-01T00:00:00+00:00', 'mallory', 'insert', 'labs', 'P-1', 1, '{forged}')")
    with pytest.raises(sa.exc.DBAPIError, match="back-dated"):
        _raw(store, insert)
    with pytest.raises(sa.exc.DBAPIError, match="chain hash"):
        _raw(store, "INSERT INTO audit_log (at, user_name, action, kind, row_count) "
                    "VALUES ('2999-01-01T00:00:00+00:00', 'mallory', 'insert', 'labs', 1)")
    if store.engine.dialect.name == "sqlite":
        _raw(store, "DROP TRIGGER audit_log_no_backdating", insert)
    else:
        _raw(store, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_chained", insert)
    code, out = _verify_cli(db_url)
    assert code == 1 and re.search(r"audit_log row \d+: back-dated — 2020-01-01T00:00:00\+00:00 is before", out)


def test_truncate_is_refused_then_caught(db_url: str) -> None:
    store = _filled(db_url)
    sqlite = store.engine.dialect.name == "sqlite"
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        _raw(store, "DELETE FROM decisions" if sqlite else "TRUNCATE decisions")
    if sqlite:
        _raw(store, "DROP TRIGGER decisions_no_delete", "DELETE FROM decisions")
    else:
        _raw(store, "ALTER TABLE decisions DISABLE TRIGGER decisions_no_truncate", "TRUNCATE decisions")
    code, out = _verify_cli(db_url)
    assert code == 1 and "audit_log row 2: records decision 1, which is missing" in out


def test_truncated_allocations_and_audit_log_are_caught(db_url: str) -> None:
    store = _filled(db_url)
    sqlite = store.engine.dialect.name == "sqlite"
    if sqlite:
        _raw(store, "DROP TRIGGER allocations_no_delete", "DELETE FROM allocations")
    else:
        _raw(store, "ALTER TABLE allocations DISABLE TRIGGER allocations_no_truncate", "TRUNCATE allocations")
    code, out = _verify_cli(db_url)
    assert code == 1 and "records allocation ('flex-mrt', 'all', 0), which is missing" in out
    head = verify(store.engine).heads["audit_log"][1]
    if sqlite:
        raw = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        for statement in ("PRAGMA foreign_keys=OFF", "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log"):
            raw.execute(statement)
        raw.close()
    else:
        _raw(store, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate", "TRUNCATE audit_log CASCADE")
    res = runner.invoke(app, ["--db", db_url, "audit", "--verify", "--head", f"audit_log={head}"])
    assert res.exit_code == 1 and f"the noted head {head} is not in the chain" in res.stdout + res.stderr


@pytest.fixture()
def pg_roles(pg_server: object) -> tuple[str, str]:
    """A PostgreSQL database migrated by its owner and an application role granted on it
    (roles are a PostgreSQL feature: on SQLite whoever can write the file owns everything)."""
    if pg_server is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are absent: application-role tests skipped, as in conftest")
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    db_url: str = pg_server.url(name)  # type: ignore[attr-defined]
    role = "app_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(db_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    admin.dispose()
    owner = runner.invoke(app, ["--db", db_url, "migrate", "--grant-to", role])
    assert owner.exit_code == 0, owner.stdout + owner.stderr
    return db_url, db_url.replace("postgres@", f"{role}@")


def test_the_application_role_owns_nothing_and_cannot_truncate_or_alter(pg_roles: tuple[str, str]) -> None:
    from lutetia.store.roles import owned_by

    owner_url, app_url = pg_roles
    store = _filled(app_url)  # the application writes through its role
    role = app_url.split("//")[1].split("@")[0]
    assert owned_by(store.engine, role) == []
    for statement in ("TRUNCATE decisions", "TRUNCATE audit_log CASCADE",
                      "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
                      "DROP TRIGGER audit_log_chained ON audit_log", "UPDATE audit_log SET user_name = 'x'",
                      "DELETE FROM allocations", "CREATE TABLE shadow (id int)", "DROP TABLE labs"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
            _raw(store, statement)
    # everything the application does works through its role: edit, delete, rename
    store.update("patients", ("P-1",), {"weight_kg": 80}, expected_version=1, user="bob", reason="weighed")
    store.add([Patient(patient_id="P-2", sex="female", birth_date=date(1960, 1, 1))], user="alice")
    store.delete("patients", ("P-2",), expected_version=1, user="bob", reason="entered twice")
    assert store.rename_patient("P-1", "P-9", expected_version=2, user="bob", reason="typo") == 1
    code, out = _verify_cli(app_url)
    assert code == 0, out


def test_the_application_role_cannot_migrate(pg_roles: tuple[str, str]) -> None:
    _, app_url = pg_roles
    admin = sa.create_engine(pg_roles[0])
    with admin.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0002'"))
    admin.dispose()
    res = runner.invoke(app, ["--db", app_url, "audit"])
    assert res.exit_code == 1 and "run `lutetia migrate` as the owning (migration) role" in res.stderr
