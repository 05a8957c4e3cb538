"""Hash chains and insert guards on the append-only tables (audit_log, decisions, allocations).

* ``row_hash`` on each row (see :mod:`lutetia.store.chain`), filled for existing rows in id
  order;
* an insert guard: a row needs its hash and may not be dated before the previous row;
* PostgreSQL: a statement-level trigger refuses TRUNCATE (row triggers do not fire on it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_CHAINED = {"audit_log": "at", "decisions": "made_at", "allocations": "made_at"}

_PG_GUARD = """
CREATE FUNCTION lutetia_chain_guard() RETURNS trigger AS $$
DECLARE last_at text; new_at text;
BEGIN
  IF NEW.row_hash IS NULL OR length(NEW.row_hash) <> 64 THEN
    RAISE EXCEPTION '% rows need their chain hash (lutetia.store.chain)', TG_TABLE_NAME;
  END IF;
  new_at := to_jsonb(NEW) ->> TG_ARGV[0];
  EXECUTE format('SELECT %I FROM %I ORDER BY id DESC LIMIT 1', TG_ARGV[0], TG_TABLE_NAME) INTO last_at;
  IF last_at IS NOT NULL AND new_at::timestamptz < last_at::timestamptz THEN
    RAISE EXCEPTION '%: a back-dated row is refused (% is before the previous row''s %)',
      TG_TABLE_NAME, new_at, last_at;
  END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql
"""


def _backfill(table: str) -> None:
    from lutetia.store.chain import GENESIS, content, link

    bind = op.get_bind()
    previous = GENESIS
    rows = list(bind.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings())
    for row in rows:
        previous = link(previous, content(table, row))
        bind.execute(sa.text(f"UPDATE {table} SET row_hash = :h WHERE id = :i"), {"h": previous, "i": row["id"]})


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, at in _CHAINED.items():
        op.add_column(table, sa.Column('row_hash', sa.String(length=64), nullable=True))
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER {table}_no_update")
            _backfill(table)
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
            op.execute(f"CREATE TRIGGER {table}_chained BEFORE INSERT ON {table} "
                       "WHEN NEW.row_hash IS NULL OR length(NEW.row_hash) <> 64 "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows need their chain hash (lutetia.store.chain)'); END")
            op.execute(f"CREATE TRIGGER {table}_no_backdating BEFORE INSERT ON {table} "
                       f"WHEN julianday(NEW.{at}) IS NULL OR julianday(NEW.{at}) < "
                       f"(SELECT julianday({at}) FROM {table} ORDER BY id DESC LIMIT 1) "
                       f"BEGIN SELECT RAISE(ABORT, '{table}: a back-dated row is refused'); END")
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change")
            _backfill(table)
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_change")
    if dialect == "postgresql":
        op.execute(_PG_GUARD)
        for table, at in _CHAINED.items():
            op.execute(f"CREATE TRIGGER {table}_chained BEFORE INSERT ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION lutetia_chain_guard('{at}')")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in _CHAINED:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_chained")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_backdating")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_chained ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.drop_column(table, 'row_hash')
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lutetia_chain_guard()")
