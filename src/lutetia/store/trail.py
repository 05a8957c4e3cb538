"""The trial's trail in an export: the audit log, the decisions (eligibility assessments
included), the allocations, the physicians' signatures and the physicists' dosimetry reviews
(every table of :data:`lutetia.store.chain.CHAINED`), beside the interchange records.

An export writes them as ``trail.json`` in a CSV folder, or under the key ``trail`` of a
JSON export: every column of every row, ids and chain hashes included.  Importing an export
into an *empty* database restores them row for row (the append-only tables stay
append-only: rows are only inserted, each checked against its chain hash, see
:func:`lutetia.store.chain.restore`), then imports the records on top, in the same
transaction; the import itself is the next, audited, link of the chain.  Importing the same
export again is idempotent; importing a trail into a database with another trail is refused
(two chains cannot be merged without rewriting one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lutetia.errors import ConflictError, StoreError
from lutetia.records import RecordModel
from lutetia.store import chain
from lutetia.store.bulk_labs import LabColumns
from lutetia.store.database import write
from lutetia.store.repository import Store, WriteSummary, _require_user
from lutetia.store.schema import TABLES

TRAIL_FILE = "trail.json"
TRAIL_KEY = "trail"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def export_trail(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the chained tables, in id order, as JSON-ready dicts."""
    out: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as conn:
        for name, (table, _) in chain.CHAINED.items():
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
            out[name] = [{k: _jsonable(v) for k, v in r.items()} for r in rows]
    return out


def write_trail(path: Path, trail: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Add the trail to an export written at ``path`` (a folder, or a ``.json`` file)."""
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc[TRAIL_KEY] = trail
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        (path / TRAIL_FILE).write_text(json.dumps(trail, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return {name: len(rows) for name, rows in trail.items()}


def read_trail(path: Path) -> dict[str, list[dict[str, Any]]] | None:
    """The trail of an export at ``path``, or None when it has none."""
    try:
        if path.is_dir():
            file = path / TRAIL_FILE
            if not file.exists():
                return None
            doc: Any = json.loads(file.read_text(encoding="utf-8"))
        elif path.suffix.lower() == ".json" and path.exists():
            doc = json.loads(path.read_text(encoding="utf-8")).get(TRAIL_KEY)
            if doc is None:
                return None
        else:
            return None
    except (json.JSONDecodeError, AttributeError) as exc:
        raise StoreError(f"{path}: the trail is not a JSON object: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) - set(chain.CHAINED) or \
            not all(isinstance(v, list) for v in doc.values()):
        raise StoreError(f"{path}: the trail must map {sorted(chain.CHAINED)} to lists of rows")
    return {name: list(doc.get(name, [])) for name in chain.CHAINED}


def _stored_prefix(conn: sa.Connection, trail: Mapping[str, Sequence[Mapping[str, Any]]]) -> bool | None:
    """None when every chained table is empty; True when the trail is already stored (same
    ids, same hashes); False otherwise."""
    if all(conn.execute(sa.select(t.c.id).limit(1)).first() is None for t, _ in chain.CHAINED.values()):
        return None
    for name, rows in trail.items():
        table = chain.CHAINED[name][0]
        stored = {int(i): h for i, h in conn.execute(sa.select(table.c.id, table.c.row_hash))}
        if any(stored.get(int(r.get("id") or 0)) != r.get("row_hash") for r in rows):
            return False
    return True


def restore(store: Store, trail: Mapping[str, Sequence[Mapping[str, Any]]], records: Sequence[RecordModel], *,
            user: str, source: str | None = None, reason: str | None = None,
            bulk_labs: Sequence[LabColumns] = ()) -> WriteSummary:
    """Restore an export's trail into an empty database and import its records, in one
    transaction; an export already restored here only re-checks its records (idempotent)."""
    _require_user(user)

    def work(conn: sa.Connection) -> WriteSummary:
        state = _stored_prefix(conn, trail)
        if state is False:
            raise ConflictError("this database has its own audit trail, decisions or allocations: an export's trail "
                                "is restored only into an empty database (import the records alone with "
                                "--records-only)")
        if state is None:
            if any(conn.execute(sa.select(t.c.id).limit(1)).first() is not None for t in TABLES.values()):
                raise ConflictError("this database holds records but no trail; restore into an empty database")
            for name in chain.CHAINED:
                chain.restore(conn, name, [dict(r) for r in trail.get(name, [])])
        return store.add_in(conn, records, user=user, source=source, reason=reason, bulk_labs=bulk_labs)

    return write(store.engine, work)
