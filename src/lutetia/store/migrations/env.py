"""Alembic environment: runs on the connection Lutetia hands over (config.attributes)."""

from __future__ import annotations

from alembic import context

from lutetia.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - Lutetia always passes a connection
    raise RuntimeError("lutetia migrations run through lutetia.store.database.migrate()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
