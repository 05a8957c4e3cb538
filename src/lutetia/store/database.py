"""Engines, writing transactions and migrations: SQLite by default, the same code on PostgreSQL.

Writing transactions (:func:`write`) serialise every check a write makes with the write
itself, so that no stored state can break a rule the validator enforces:

* SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock *before* the first read
  (the driver's own transaction handling is switched off: it used to read outside the
  transaction and BEGIN only at the first INSERT).
* PostgreSQL: ``SERIALIZABLE`` isolation; a serialisation failure (SQLSTATE 40001) or a
  unique violation caused by a concurrent writer is retried, a bounded number of times
  (:data:`MAX_ATTEMPTS`), re-running the whole unit of work — its checks included.

Migrations take a lock too (SQLite: the same immediate write lock; PostgreSQL: a
transaction-level advisory lock), so that two processes opening a brand-new database do
not both create it.

References
----------
1. SQLAlchemy 2.0 documentation, "Serializable isolation / Savepoints / Transactional DDL"
   (pysqlite): https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#pysqlite-serializable
2. PostgreSQL 15 documentation, 13.2.3 "Serializable Isolation Level" (retry on 40001):
   https://www.postgresql.org/docs/15/transaction-iso.html#XACT-SERIALIZABLE
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from lutetia.errors import StoreError
from lutetia.store.chain import HEADS_KEY

MIGRATIONS = "lutetia.store:migrations"

#: Attempts of one writing transaction on PostgreSQL before giving up (serialisation failures).
MAX_ATTEMPTS = 12
#: Advisory-lock key of the migrations (any constant bigint; "lutetia" in ASCII, truncated).
MIGRATION_LOCK = 0x6C75746574696101
_RETRY_SQLSTATES = frozenset({"40001", "40P01", "23505"})  # serialization, deadlock, unique violation

T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``; SQLite gets foreign keys on, a busy timeout, WAL, and explicit
    BEGIN (IMMEDIATE for writing transactions, see :func:`write`)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragma(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (reference 1)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("lutetia_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _writer(engine: sa.Engine) -> sa.Engine:
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="SERIALIZABLE", lutetia_write=True)
    return engine.execution_options(lutetia_write=True)


def _retryable(exc: Exception) -> bool:
    """A serialisation failure, deadlock or concurrent unique violation, whether SQLAlchemy
    wrapped it or the driver raised it (bulk inserts use the driver's executemany)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    return getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES


def write(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    """Run ``work(conn)`` in one serialised writing transaction and return its result.

    ``work`` must do all of its reading and checking through ``conn`` and may be called more
    than once (PostgreSQL retries); it must not have side effects outside the database.
    """
    writer = _writer(engine)
    attempts = MAX_ATTEMPTS if engine.dialect.name == "postgresql" else 1
    for attempt in range(1, attempts + 1):
        try:
            with writer.begin() as conn:
                conn.info[HEADS_KEY] = {}  # chain heads of this transaction (lutetia.store.chain)
                try:
                    return work(conn)
                finally:
                    conn.info.pop(HEADS_KEY, None)
        except Exception as exc:
            if not isinstance(exc, sa.exc.DBAPIError) and getattr(exc, "sqlstate", None) is None:
                raise  # not a database error
            if attempt == attempts or not _retryable(exc):
                if _retryable(exc):
                    raise StoreError(f"the database stayed busy with concurrent writes ({attempts} attempts); "
                                     "nothing was written, try again") from exc
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("lutetia.store") / "migrations"
    cfg.set_main_option("script_location", str(Path(str(location))))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (creating it when empty), under a lock.

    A role without DDL rights (the PostgreSQL application role, see ``docs/store.md``) can
    open a database that is already at the newest revision; if it is not, the error says
    to migrate as the owning role.
    """
    from alembic import command

    if revision == "head" and current_revision(engine) == head_revision():
        return
    with engine.execution_options(lutetia_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(conn), revision)
        except sa.exc.ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
                raise StoreError(
                    f"the database schema is at revision {current_revision(engine)!r}, this version of Lutetia "
                    f"needs {head_revision()!r}, and this role may not change the schema: run "
                    "`lutetia migrate` as the owning (migration) role") from exc
            raise


def current_revision_of(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision_of(conn)
