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
