"""One transaction around several store writes (records, decisions, allocations).

:class:`~lutetia.store.repository.Store` and :mod:`lutetia.store.decisions` open one
transaction per call.  A command that writes several of them (``simulate --store``,
``demo``) must write all or nothing, so :func:`one_transaction` gives a ``Store`` whose
every ``begin()``/``connect()`` is the same connection inside one outer transaction: an
exception anywhere rolls back everything written through it, and reads see the writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa

from lutetia.store.repository import Store


class _SharedConnection:
    """The part of :class:`sqlalchemy.Engine` a Store uses, bound to one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        yield self._conn

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        yield self._conn

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"{name!r}: not available inside one_transaction()")


@contextmanager
def one_transaction(store: Store) -> Iterator[Store]:
    """A Store whose writes all commit together when the block ends without an exception,
    and are all rolled back when it raises."""
    with store.engine.begin() as conn:
        yield Store(cast(sa.Engine, _SharedConnection(conn)), clock=store.clock)
