"""PostgreSQL roles: the application role owns nothing and may not TRUNCATE or change the schema.

The migration role owns the tables (it runs ``lutetia migrate``); the application role,
which ``lutetia`` uses day to day, gets exactly what the audited repository needs:

* ``SELECT, INSERT`` on every table, and ``UPDATE, DELETE`` on the record tables only —
  never on ``audit_log``, ``decisions``, ``allocations`` (append-only) or
  ``alembic_version`` (read only);
* ``USAGE`` on the schema; ``USAGE, SELECT, UPDATE`` on the id sequences (a restore sets them);
* no ownership, hence no ``ALTER TABLE … DISABLE TRIGGER``, ``DROP TRIGGER`` or ``TRUNCATE``
  (TRUNCATE is a separate privilege, never granted; the statement triggers of migration 0003
  refuse it even to the owner).

See ``docs/store.md``.  A superuser bypasses all of this: neither role may be one.

References
----------
1. PostgreSQL 15 documentation, 5.7 "Privileges" and GRANT:
   https://www.postgresql.org/docs/15/ddl-priv.html
"""

from __future__ import annotations

import sqlalchemy as sa

from lutetia.errors import StoreError
from lutetia.store.chain import CHAINED
from lutetia.store.schema import TABLES

#: Append-only tables of the web application (migration 0004).
WEB_APPEND_ONLY = ("signatures", "dosimetry_reviews")


def grant_application_role(engine: sa.Engine, role: str) -> None:
    """Grant ``role`` (an existing PostgreSQL role) the application's rights on the schema."""
    if engine.dialect.name != "postgresql":
        raise StoreError(f"application roles are a PostgreSQL feature; this database is {engine.dialect.name}")
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise StoreError(f"no PostgreSQL role {role!r}; create it first (CREATE ROLE {role} LOGIN PASSWORD …)")
        if exists[0]:
            raise StoreError(f"role {role!r} is a superuser: it would bypass every protection; use a plain role")
        quoted = conn.dialect.identifier_preparer.quote(role)
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        conn.execute(sa.text(f"GRANT SELECT ON alembic_version TO {quoted}"))
        for name in [*TABLES, *CHAINED]:
            conn.execute(sa.text(f"GRANT SELECT, INSERT ON {name} TO {quoted}"))
        for name in TABLES:
            conn.execute(sa.text(f"GRANT UPDATE, DELETE ON {name} TO {quoted}"))
        for name in WEB_APPEND_ONLY:  # web application (migration 0004): signatures and reviews append-only
            conn.execute(sa.text(f"GRANT SELECT, INSERT ON {name} TO {quoted}"))
        conn.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE ON users TO {quoted}"))
        conn.execute(sa.text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))


def owned_by(engine: sa.Engine, role: str) -> list[str]:
    """The relations ``role`` owns (the application role should own none)."""
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.rolname = :r AND n.nspname = 'public'"),
            {"r": role})]
