"""Hash chains over the append-only tables: ``audit_log``, ``decisions``, ``allocations``, and the
web application's ``signatures`` and ``dosimetry_reviews``.

Each row carries ``row_hash = sha256(previous row's hash + "\\n" + canonical content)``,
the previous row being the one with the next lower id (the first row links to
:data:`GENESIS`).  The canonical content is the JSON text (sorted keys, no whitespace) of
every column but ``id`` and ``row_hash``, dates and datetimes as their ISO 8601 text.
Changing, inserting or deleting a row anywhere breaks the link of that row or of the next
one, which :func:`verify` names.  Rows are appended only through :func:`append`, inside a
serialised writing transaction (:func:`lutetia.store.database.write`), with the timestamp
read from the database server's clock (never earlier than the previous row's: the
database refuses back-dated rows with a trigger, see migration 0003).

A chain that is rewritten *and re-hashed* from some row on verifies again; what it cannot
hide is a change before a head hash that was written down elsewhere: ``lutetia audit
--verify --head HASH`` checks that a noted head is still a row of the chain.

References
----------
1. Crosby SA, Wallach DS. Efficient data structures for tamper-evident logging.
   USENIX Security 2009. https://www.usenix.org/legacy/event/sec09/tech/full_papers/crosby.pdf
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from lutetia.store.schema import (
    TABLES,
    allocations,
    audit_log,
    decisions,
    dosimetry_reviews,
    signatures,
)

GENESIS = "0" * 64
#: ``conn.info`` key of the chain heads appended in the current writing transaction (set and
#: cleared by :func:`lutetia.store.database.write`, so a retried transaction starts afresh).
HEADS_KEY = "lutetia_chain_heads"
#: The chained tables and the column holding each row's server timestamp.
CHAINED: dict[str, tuple[sa.Table, str]] = {
    "audit_log": (audit_log, "at"),
    "decisions": (decisions, "made_at"),
    "allocations": (allocations, "made_at"),
    "signatures": (signatures, "signed_at"),
    "dosimetry_reviews": (dosimetry_reviews, "reviewed_at"),
}


def _canon(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def content(table: str, row: Mapping[str, Any] | sa.RowMapping) -> str:
    """Canonical JSON text of a row's content (every column but ``id`` and ``row_hash``)."""
    cols = [c.name for c in CHAINED[table][0].columns if c.name not in ("id", "row_hash")]
    return json.dumps({c: _canon(row.get(c)) for c in cols}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def link(previous: str, text: str) -> str:
    """The hash of a row whose predecessor has hash ``previous`` and whose content is ``text``."""
    return hashlib.sha256((previous + "\n" + text).encode("utf-8")).hexdigest()


def server_now(conn: sa.Connection) -> datetime:
    """The database server's current time (UTC), not the client's."""
    if conn.dialect.name == "postgresql":
        value = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    text = conn.execute(sa.text("SELECT strftime('%Y-%m-%dT%H:%M:%f', 'now')")).scalar_one()
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)


def _last(conn: sa.Connection, table: str) -> tuple[str, datetime | None]:
    t, at = CHAINED[table]
    row = conn.execute(sa.select(t.c.row_hash, t.c[at]).order_by(t.c.id.desc()).limit(1)).first()
    if row is None:
        return GENESIS, None
    return str(row[0] or GENESIS), row[1]


def append(conn: sa.Connection, table: str, values: Mapping[str, Any]) -> tuple[int, str]:
    """Append one row to a chained table (timestamp from the server); returns (id, row hash).

    ``values`` holds every column but ``id``, ``row_hash`` and the timestamp column.
    """
    t, at = CHAINED[table]
    heads: dict[str, tuple[str, datetime | None]] | None = conn.info.get(HEADS_KEY)
    previous, last_at = heads[table] if heads is not None and table in heads else _last(conn, table)
    now = server_now(conn)
    if last_at is not None and last_at > now:  # the server clock stepped back: keep the chain monotonic
        now = last_at
    row = {**values, at: now}
    row_hash = link(previous, content(table, row))
    new_id = conn.execute(t.insert().returning(t.c.id), {**row, "row_hash": row_hash}).scalar_one()
    if heads is not None:
        heads[table] = (row_hash, now)
    return int(new_id), row_hash


def restore(conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Re-insert exported rows (ids, timestamps and hashes as exported) into an empty chain,
    refusing any row whose hash does not follow from its content and predecessor."""
    t, at = CHAINED[table]
    previous = GENESIS
    for row in rows:
        values = {c.name: row.get(c.name) for c in t.columns}
        values[at] = datetime.fromisoformat(str(values[at]))
        if isinstance(t.c.get("decided_on"), sa.Column) and values.get("decided_on") is not None:
            values["decided_on"] = date.fromisoformat(str(values["decided_on"]))
        expected = link(previous, content(table, values))
        if values["row_hash"] != expected:
            from lutetia.errors import StoreError

            raise StoreError(f"{table} row {values['id']}: its hash does not follow from its content and the "
                             "previous row's; the exported trail was changed, nothing was restored")
        conn.execute(t.insert(), values)
        previous = expected
    if rows and conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))"))


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify`: the problems found (first broken link per chain first) and
    each chain's length and head hash."""

    problems: list[str]
    heads: dict[str, tuple[int, str]]

    @property
    def ok(self) -> bool:
        return not self.problems


def _raw_rows(conn: sa.Connection, table: str) -> Iterator[sa.RowMapping]:
    yield from conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings()


def _walk(conn: sa.Connection, table: str, head: str | None) -> tuple[list[str], int, str, bool]:
    _, at = CHAINED[table]
    previous, last_at, count, broken, head_seen = GENESIS, None, 0, False, head is None
    problems: list[str] = []
    for row in _raw_rows(conn, table):
        count += 1
        if broken:
            continue
        stamp = datetime.fromisoformat(str(row[at])) if row[at] is not None else None
        expected = link(previous, content(table, row))
        if row["row_hash"] != expected:
            problems.append(f"{table} row {row['id']}: broken link — its hash does not follow from its content and "
                            "the previous row's hash (the row was changed or inserted, or a row before it deleted)")
            broken = True
        elif stamp is None or (last_at is not None and stamp < last_at):
            problems.append(f"{table} row {row['id']}: back-dated — {row[at]} is before the previous row's {last_at}")
            broken = True
        previous, last_at = str(row["row_hash"]), stamp
        head_seen = head_seen or row["row_hash"] == head
    if not head_seen and not broken:
        problems.append(f"{table}: the noted head {head} is not in the chain (rows were removed or the chain "
                        "was re-hashed)")
    return problems, count, previous, broken


def verify(engine: sa.Engine, heads: Mapping[str, str] | None = None) -> Verification:
    """Check every chain link and the cross-references between the audit trail, the
    decisions, the allocations and the record tables; ``heads`` are noted head hashes."""
    problems: list[str] = []
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in CHAINED:
            found, count, last, _ = _walk(conn, table, (heads or {}).get(table))
            problems += found
            out[table] = (count, last)
        problems += _cross_references(conn)
    return Verification(problems, out)


def _cross_references(conn: sa.Connection) -> list[str]:
    """Decisions and allocations each have their audit entry (and the reverse); every record
    row points at an existing audit entry.  Catches a truncated or emptied table."""
    problems: list[str] = []
    for kind, table in TABLES.items():
        orphan = conn.execute(
            sa.select(table.c.id, table.c.audit_id)
            .select_from(table.outerjoin(audit_log, audit_log.c.id == table.c.audit_id))
            .where(audit_log.c.id.is_(None)).limit(1)).first()
        if orphan is not None:
            problems.append(f"{kind} row {orphan[0]}: its audit entry {orphan[1]} is missing from audit_log")
    entries = conn.execute(sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.natural_key,
                                     audit_log.c.new_values).where(audit_log.c.action.in_(("decision", "allocate"))))
    decided: dict[int, tuple[int, str | None]] = {}
    allocated: dict[tuple[str, str, int], tuple[int, str | None]] = {}
    for entry_id, action, key, new in entries:
        parts = json.loads(key)
        stated = json.loads(new).get("row_hash") if new else None
        if action == "decision":
            decided[int(parts[2])] = (entry_id, stated)
        else:
            allocated[(parts[0], parts[1], int(parts[2]))] = (entry_id, stated)
    for did, row_hash in conn.execute(sa.select(decisions.c.id, decisions.c.row_hash)):
        entry = decided.pop(int(did), None)
        if entry is None:
            problems.append(f"decisions row {did}: no audit entry records it")
        elif entry[1] is not None and entry[1] != row_hash:
            problems.append(f"decisions row {did}: its hash differs from the one audit entry {entry[0]} recorded")
    for aid, protocol, stratum, seq, row_hash in conn.execute(sa.select(
            allocations.c.id, allocations.c.protocol_id, allocations.c.stratum, allocations.c.sequence_no,
            allocations.c.row_hash)):
        entry = allocated.pop((protocol, stratum, int(seq)), None)
        if entry is None:
            problems.append(f"allocations row {aid}: no audit entry records it")
        elif entry[1] is not None and entry[1] != row_hash:
            problems.append(f"allocations row {aid}: its hash differs from the one audit entry {entry[0]} recorded")
    problems += [f"audit_log row {e[0]}: records decision {d}, which is missing" for d, e in sorted(decided.items())]
    problems += [f"audit_log row {e[0]}: records allocation {k}, which is missing" for k, e in allocated.items()]
    return problems
