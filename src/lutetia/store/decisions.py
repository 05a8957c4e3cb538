"""Append-only logs of engine decisions (with their inputs) and randomisation allocations.

A decision is stored with everything it used (``payload``: inputs, rules fired with their
texts, reasons) and the engine version, so it can be reproduced and checked later.  Both
tables refuse UPDATE and DELETE (triggers in migration 0002); every write also adds an
audit-trail entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from lutetia import __version__
from lutetia.errors import ConflictError
from lutetia.store.repository import Store
from lutetia.store.schema import allocations, audit_log, decisions


@dataclass(frozen=True)
class StoredDecision:
    id: int
    patient_id: str
    protocol_id: str
    kind: str
    decided_on: date
    made_at: datetime
    user: str
    outcome: str
    payload: dict[str, Any]
    engine_version: str


@dataclass(frozen=True)
class Allocation:
    id: int
    protocol_id: str
    stratum: str
    sequence_no: int
    patient_id: str
    arm: str
    seed: int
    block_size: int
    made_at: datetime
    user: str


def _dumps(payload: Mapping[str, Any]) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if hasattr(v, "model_dump"):
            return v.model_dump(mode="json")
        return str(v)

    return json.dumps(payload, default=default, ensure_ascii=False, sort_keys=True)


def save_decision(
    store: Store,
    *,
    patient_id: str,
    protocol_id: str,
    kind: str,
    decided_on: date,
    outcome: str,
    payload: Mapping[str, Any],
    user: str,
) -> int:
    """Append a decision (and an audit entry); returns its id."""
    now = store.clock()
    with store.engine.begin() as conn:
        new_id = conn.execute(
            decisions.insert().returning(decisions.c.id),
            {"patient_id": patient_id, "protocol_id": protocol_id, "kind": kind, "decided_on": decided_on,
             "made_at": now, "user_name": user, "outcome": outcome, "payload": _dumps(payload),
             "engine_version": __version__},
        ).scalar_one()
        conn.execute(audit_log.insert(), {
            "at": now, "user_name": user, "action": "decision", "kind": kind, "patient_id": patient_id,
            "natural_key": json.dumps([protocol_id, decided_on.isoformat(), int(new_id)]),
            "new_values": json.dumps({"outcome": outcome}), "reason": None, "row_count": 1,
        })
    return int(new_id)


def load_decisions(
    store: Store, patient_id: str | None = None, protocol_id: str | None = None, kind: str | None = None
) -> list[StoredDecision]:
    stmt = sa.select(decisions).order_by(decisions.c.id)
    if patient_id is not None:
        stmt = stmt.where(decisions.c.patient_id == patient_id)
    if protocol_id is not None:
        stmt = stmt.where(decisions.c.protocol_id == protocol_id)
    if kind is not None:
        stmt = stmt.where(decisions.c.kind == kind)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [StoredDecision(r["id"], r["patient_id"], r["protocol_id"], r["kind"], r["decided_on"], r["made_at"],
                           r["user_name"], r["outcome"], json.loads(r["payload"]), r["engine_version"])
            for r in rows]


def save_allocation(
    store: Store,
    *,
    protocol_id: str,
    stratum: str,
    sequence_no: int,
    patient_id: str,
    arm: str,
    seed: int,
    block_size: int,
    user: str,
) -> int:
    """Append one allocation; a patient is allocated once per protocol (else ConflictError)."""
    now = store.clock()
    try:
        with store.engine.begin() as conn:
            new_id = conn.execute(
                allocations.insert().returning(allocations.c.id),
                {"protocol_id": protocol_id, "stratum": stratum, "sequence_no": sequence_no,
                 "patient_id": patient_id, "arm": arm, "seed": seed, "block_size": block_size,
                 "made_at": now, "user_name": user},
            ).scalar_one()
            conn.execute(audit_log.insert(), {
                "at": now, "user_name": user, "action": "allocate", "kind": "allocations",
                "patient_id": patient_id, "natural_key": json.dumps([protocol_id, stratum, sequence_no]),
                "new_values": json.dumps({"arm": arm, "seed": seed, "block_size": block_size}),
                "reason": None, "row_count": 1,
            })
    except sa.exc.IntegrityError as exc:
        raise ConflictError(
            f"allocations: patient {patient_id!r} (or sequence {sequence_no} of stratum {stratum!r}) is already "
            f"allocated in {protocol_id!r}; an allocation is never changed"
        ) from exc
    return int(new_id)


def load_allocations(store: Store, protocol_id: str | None = None) -> list[Allocation]:
    stmt = sa.select(allocations).order_by(allocations.c.id)
    if protocol_id is not None:
        stmt = stmt.where(allocations.c.protocol_id == protocol_id)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [Allocation(r["id"], r["protocol_id"], r["stratum"], r["sequence_no"], r["patient_id"], r["arm"],
                       r["seed"], r["block_size"], r["made_at"], r["user_name"]) for r in rows]


@dataclass(frozen=True)
class NewDecision:
    """A decision to append (see :func:`save_decisions`)."""

    patient_id: str
    protocol_id: str
    kind: str
    decided_on: date
    outcome: str
    payload: Mapping[str, Any]


def save_decisions(store: Store, items: Sequence[NewDecision], *, user: str) -> int:
    """Append many decisions in one transaction (one audit entry per decision); returns the count."""
    if not items:
        return 0
    now = store.clock()
    with store.engine.begin() as conn:
        for d in items:
            new_id = conn.execute(
                decisions.insert().returning(decisions.c.id),
                {"patient_id": d.patient_id, "protocol_id": d.protocol_id, "kind": d.kind,
                 "decided_on": d.decided_on, "made_at": now, "user_name": user, "outcome": d.outcome,
                 "payload": _dumps(d.payload), "engine_version": __version__},
            ).scalar_one()
            conn.execute(audit_log.insert(), {
                "at": now, "user_name": user, "action": "decision", "kind": d.kind, "patient_id": d.patient_id,
                "natural_key": json.dumps([d.protocol_id, d.decided_on.isoformat(), int(new_id)]),
                "new_values": json.dumps({"outcome": d.outcome}), "reason": None, "row_count": 1,
            })
    return len(items)
