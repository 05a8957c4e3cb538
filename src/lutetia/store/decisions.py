"""Append-only logs of engine decisions (with their inputs) and randomisation allocations.

A decision is stored with everything it used (``payload``: inputs, rules fired with their
texts, reasons) and the engine version, so it can be reproduced and checked later.  Both
tables refuse UPDATE, DELETE and TRUNCATE (triggers in migrations 0002, 0003) and are
hash-chained (:mod:`lutetia.store.chain`); every write also adds an audit-trail entry that
records the new row's hash.  Rows made under an id a patient was later renamed from stay as
made and are found under either id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from lutetia import __version__
from lutetia.errors import ConflictError
from lutetia.store import chain
from lutetia.store.database import write
from lutetia.store.integrity import aliases
from lutetia.store.repository import Store, _require_user
from lutetia.store.schema import allocations, decisions


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


@dataclass(frozen=True)
class NewDecision:
    """A decision to append (see :func:`save_decisions`)."""

    patient_id: str
    protocol_id: str
    kind: str
    decided_on: date
    outcome: str
    payload: Mapping[str, Any]


def _append_decision(conn: sa.Connection, d: NewDecision, user: str) -> int:
    """Append one decision and its audit entry (which records the decision's chain hash)."""
    new_id, row_hash = chain.append(conn, "decisions", {
        "patient_id": d.patient_id, "protocol_id": d.protocol_id, "kind": d.kind, "decided_on": d.decided_on,
        "user_name": user, "outcome": d.outcome, "payload": _dumps(d.payload), "engine_version": __version__})
    chain.append(conn, "audit_log", {
        "user_name": user, "action": "decision", "kind": d.kind, "patient_id": d.patient_id,
        "natural_key": json.dumps([d.protocol_id, d.decided_on.isoformat(), new_id]),
        "new_values": json.dumps({"outcome": d.outcome, "row_hash": row_hash}), "reason": None, "row_count": 1})
    return new_id


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
    _require_user(user)
    item = NewDecision(patient_id, protocol_id, kind, decided_on, outcome, payload)
    return write(store.engine, lambda conn: _append_decision(conn, item, user))


def load_decisions(
    store: Store, patient_id: str | None = None, protocol_id: str | None = None, kind: str | None = None
) -> list[StoredDecision]:
    """Stored decisions in order; a patient's under each of its ids (renames)."""
    stmt = sa.select(decisions).order_by(decisions.c.id)
    if protocol_id is not None:
        stmt = stmt.where(decisions.c.protocol_id == protocol_id)
    if kind is not None:
        stmt = stmt.where(decisions.c.kind == kind)
    with store.engine.connect() as conn:
        if patient_id is not None:
            stmt = stmt.where(decisions.c.patient_id.in_(sorted(aliases(conn, patient_id))))
        rows = conn.execute(stmt).mappings().all()
    return [StoredDecision(r["id"], r["patient_id"], r["protocol_id"], r["kind"], r["decided_on"], r["made_at"],
                           r["user_name"], r["outcome"], json.loads(r["payload"]), r["engine_version"])
            for r in rows]


def append_allocation(conn: sa.Connection, *, protocol_id: str, stratum: str, sequence_no: int, patient_id: str,
                      arm: str, seed: int, block_size: int, user: str) -> int:
    """Append one allocation and its audit entry inside the caller's writing transaction."""
    taken = conn.execute(sa.select(allocations.c.patient_id, allocations.c.sequence_no).where(
        allocations.c.protocol_id == protocol_id,
        sa.or_(allocations.c.patient_id.in_(sorted(aliases(conn, patient_id))),
               sa.and_(allocations.c.stratum == stratum, allocations.c.sequence_no == sequence_no)))).first()
    if taken is not None:
        raise ConflictError(
            f"allocations: patient {patient_id!r} (or sequence {sequence_no} of stratum {stratum!r}) is already "
            f"allocated in {protocol_id!r}; an allocation is never changed")
    new_id, row_hash = chain.append(conn, "allocations", {
        "protocol_id": protocol_id, "stratum": stratum, "sequence_no": sequence_no, "patient_id": patient_id,
        "arm": arm, "seed": seed, "block_size": block_size, "user_name": user})
    chain.append(conn, "audit_log", {
        "user_name": user, "action": "allocate", "kind": "allocations", "patient_id": patient_id,
        "natural_key": json.dumps([protocol_id, stratum, sequence_no]),
        "new_values": json.dumps({"arm": arm, "seed": seed, "block_size": block_size, "row_hash": row_hash}),
        "reason": None, "row_count": 1})
    return new_id


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
    _require_user(user)
    return write(store.engine, lambda conn: append_allocation(
        conn, protocol_id=protocol_id, stratum=stratum, sequence_no=sequence_no, patient_id=patient_id, arm=arm,
        seed=seed, block_size=block_size, user=user))


def load_allocations(store: Store, protocol_id: str | None = None) -> list[Allocation]:
    stmt = sa.select(allocations).order_by(allocations.c.id)
    if protocol_id is not None:
        stmt = stmt.where(allocations.c.protocol_id == protocol_id)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [Allocation(r["id"], r["protocol_id"], r["stratum"], r["sequence_no"], r["patient_id"], r["arm"],
                       r["seed"], r["block_size"], r["made_at"], r["user_name"]) for r in rows]


def save_decisions(store: Store, items: Sequence[NewDecision], *, user: str) -> int:
    """Append many decisions in one transaction (one audit entry per decision); returns the count."""
    if not items:
        return 0
    _require_user(user)
    return write(store.engine, lambda conn: sum(1 for d in items if _append_decision(conn, d, user)))


#: ``next_allocation(sequence_no, seed)`` → (arm, block): entry ``sequence_no`` (0-based) of the
#: stratum's list (the shell passes :func:`lutetia.decide.allocate` bound to the protocol).
NextAllocation = Callable[[int, int], tuple[str, int]]


@dataclass(frozen=True)
class Randomised:
    """What :func:`randomise` stored."""

    arm: str
    sequence_no: int
    block: int
    seed: int
    block_size: int


def randomise(store: Store, protocol_id: str, patient_id: str, next_allocation: NextAllocation, *, on: date,
              user: str, stratum: str = "all", seed: int | None = None, block_size: int = 4) -> Randomised:
    """Allocate the next entry of ``stratum``'s permuted-block list to an enrolled patient and
    set the enrolment's arm, date and stratum — in ONE transaction, so that a refused
    enrolment change (randomised before enrolment, after death) leaves no allocation behind.

    Raises ConflictError (already randomised), RecordError (dead, impossible dates),
    NotFoundError (not enrolled) or ProtocolError (the stratum's seed or block size differs,
    or no seed yet).
    """
    _require_user(user)
    return write(store.engine, lambda conn: _randomise_in(conn, store, protocol_id, patient_id, next_allocation, on,
                                                          user, stratum, seed, block_size))


def _randomise_in(conn: sa.Connection, store: Store, protocol_id: str, patient_id: str,
                  next_allocation: NextAllocation, on: date, user: str, stratum: str, seed: int | None,
                  block_size: int) -> Randomised:
    from lutetia.errors import NotFoundError, ProtocolError, RecordError
    from lutetia.records import EventKind
    from lutetia.store.schema import TABLES

    enr_t, ev_t = TABLES["enrolments"], TABLES["events"]
    row = conn.execute(sa.select(enr_t).where(enr_t.c.patient_id == patient_id,
                                              enr_t.c.protocol_id == protocol_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"patient {patient_id} is not enrolled in {protocol_id!r}; enrol first (lutetia enrol)")
    earlier = conn.execute(sa.select(allocations).where(
        allocations.c.protocol_id == protocol_id,
        allocations.c.patient_id.in_(sorted(aliases(conn, patient_id))))).mappings().first()
    if row["randomised_on"] is not None or earlier is not None:
        what = f"{earlier['arm']} ({earlier['stratum']} #{earlier['sequence_no']})" if earlier else repr(row["arm"])
        raise ConflictError(f"{patient_id} is already randomised in {protocol_id}: {what}"
                            + (f" on {row['randomised_on']}" if row["randomised_on"] else "")
                            + "; an allocation cannot be repeated or changed")
    died = conn.execute(sa.select(sa.func.min(ev_t.c.event_date)).where(
        ev_t.c.patient_id == patient_id, ev_t.c.kind == EventKind.death.value)).scalar()
    if died is not None and date.fromisoformat(str(died)) <= on:
        raise RecordError(f"{patient_id} died on {died}: cannot be randomised on {on}")
    done = conn.execute(sa.select(allocations.c.seed, allocations.c.block_size).where(
        allocations.c.protocol_id == protocol_id, allocations.c.stratum == stratum)
        .order_by(allocations.c.sequence_no)).all()
    if done:
        if (seed is not None and seed != done[0][0]) or block_size != done[0][1]:
            raise ProtocolError(f"stratum {stratum!r} of {protocol_id} uses seed {done[0][0]} and block size "
                                f"{done[0][1]}; the allocation list cannot change")
        seed = int(done[0][0])
    if seed is None:
        raise ProtocolError("the first allocation of a stratum needs --seed")
    sequence_no = len(done)
    arm, block = next_allocation(sequence_no, seed)
    append_allocation(conn, protocol_id=protocol_id, stratum=stratum, sequence_no=sequence_no,
                      patient_id=patient_id, arm=arm, seed=seed, block_size=block_size, user=user)
    store.update_in(conn, "enrolments", (patient_id, protocol_id),
                    {"arm": arm, "randomised_on": on, "stratum": stratum}, expected_version=row["version"],
                    user=user, reason=f"randomised: {stratum} #{sequence_no} (block {block}, "
                    f"size {block_size}, seed {seed})")
    return Randomised(arm, sequence_no, block, seed, block_size)


def decision_history(store: Store, patient_id: str, protocol_id: str, before: date) -> list[dict[str, Any]]:
    """Stored next-cycle decisions made before ``before`` as the engine reads its history
    (``kind``, ``on``, ``cycle``): a decision looked at on a past date reads the history as it
    was then, never a later holiday or reduction."""
    stored = load_decisions(store, patient_id, protocol_id, "next_cycle")
    return [{"kind": d.outcome, "on": d.decided_on.isoformat(), "cycle": d.payload.get("cycle")}
            for d in stored if d.decided_on < before]
