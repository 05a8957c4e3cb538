"""The Alembic migrations build exactly the schema the code expects, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lutetia.store.database import current_revision, make_engine, migrate
from lutetia.store.schema import metadata


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # IsoDateTime is stored as String(40): type comparison is off by default in alembic.
    assert diff == []


def test_migrate_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    first = current_revision(engine)
    migrate(engine)
    assert current_revision(engine) == first


def test_existing_trails_are_chained_by_the_upgrade(db_url: str) -> None:
    """A database written before the hash chains (revision 0002) verifies after upgrading."""
    import sqlalchemy as sa

    from lutetia.store.chain import verify

    engine = make_engine(db_url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(sa.text(
                "INSERT INTO audit_log (at, user_name, action, kind, row_count) "
                f"VALUES ('2026-01-0{i + 1}T00:00:00+00:00', 'alice', 'insert', 'patients', 1)"))
        conn.execute(sa.text(
            "INSERT INTO decisions (patient_id, protocol_id, kind, decided_on, made_at, user_name, outcome, payload, "
            "engine_version) VALUES ('P-1', 'realup', 'next_cycle', '2025-03-01', '2026-01-02T00:00:00+00:00', "
            "'dr.x', 'administer', '{}', '0.1')"))
        conn.execute(sa.text(
            "INSERT INTO audit_log (at, user_name, action, kind, patient_id, natural_key, new_values, row_count) "
            "VALUES ('2026-01-04T00:00:00+00:00', 'dr.x', 'decision', 'next_cycle', 'P-1', "
            "'[\"realup\", \"2025-03-01\", 1]', '{\"outcome\": \"administer\"}', 1)"))
    migrate(engine)
    result = verify(engine)
    assert result.problems == [] and result.heads["audit_log"][0] == 4 and result.heads["decisions"][0] == 1
