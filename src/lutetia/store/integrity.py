"""Rules that span records and the append-only logs: patient ids across renames, and
"a randomised arm comes only from the allocation list".

Used inside the repository's writing transactions (every function takes the transaction's
connection), so what they read is what the write is checked against.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from lutetia.errors import ConflictError
from lutetia.records import RecordModel
from lutetia.store.schema import allocations, audit_log, decisions


def _pid(record: RecordModel) -> str:
    return str(record.__dict__["patient_id"])


def _rename_graph(conn: sa.Connection) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    stmt = sa.select(audit_log.c.old_values, audit_log.c.new_values).where(audit_log.c.action == "rename")
    for old, new in conn.execute(stmt):
        a, b = json.loads(old)["patient_id"], json.loads(new)["patient_id"]
        edges[a].add(b)
        edges[b].add(a)
    return edges


def _component(edges: Mapping[str, set[str]], patient_id: str) -> set[str]:
    found, todo = {patient_id}, [patient_id]
    while todo:
        for other in edges.get(todo.pop(), set()) - found:
            found.add(other)
            todo.append(other)
    return found


def aliases(conn: sa.Connection, patient_id: str) -> set[str]:
    """Every id patient ``patient_id`` had or has, following the audited renames both ways."""
    return _component(_rename_graph(conn), patient_id)


def used_ids(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` the audit trail, the decisions or the allocations name (an id once
    used is never given again by a rename)."""
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = list(ids[i:i + 500])
        for table in (audit_log, decisions, allocations):
            out.update(r[0] for r in conn.execute(sa.select(table.c.patient_id).distinct().where(
                table.c.patient_id.in_(chunk))))
    return out


def reused_ids(conn: sa.Connection, patients: Sequence[RecordModel]) -> list[str]:
    """New patients whose id was renamed away earlier (it would merge two histories)."""
    stmt = sa.select(audit_log.c.old_values).where(audit_log.c.action == "rename")
    renamed = {json.loads(r[0])["patient_id"] for r in conn.execute(stmt)}
    return [f"patients {_pid(p)!r}: this id was renamed away (audit trail); patient ids are never reused"
            for p in patients if _pid(p) in renamed]


def allocation_problems(conn: sa.Connection, enrolments: Sequence[RecordModel],
                        randomised: Callable[[str], bool] | None = None) -> list[str]:
    """The rule "a randomised arm comes only from the allocation list", on enrolments about
    to be stored: on a randomised protocol (``randomised`` says so, or it has allocations),
    an enrolment with an arm or a randomisation date needs the patient's allocation (under
    any of its ids), and its arm and stratum must be the allocation's."""
    claimed = [e for e in enrolments if any(e.__dict__.get(f) is not None for f in ALLOCATION_FIELDS)]
    if not claimed:
        return []
    edges = _rename_graph(conn)
    by_protocol: dict[str, dict[str, sa.RowMapping]] = {}
    is_randomised: dict[str, bool] = {}
    for protocol_id in sorted({str(e.__dict__["protocol_id"]) for e in claimed}):
        rows = conn.execute(sa.select(allocations).where(allocations.c.protocol_id == protocol_id)).mappings()
        by_protocol[protocol_id] = {r["patient_id"]: r for r in rows}
        is_randomised[protocol_id] = bool(by_protocol[protocol_id]) or bool(randomised and randomised(protocol_id))
    problems: list[str] = []
    for enr in claimed:
        values = enr.__dict__
        arm, protocol_id, pid = values.get("arm"), str(values["protocol_id"]), _pid(enr)
        found = [by_protocol[protocol_id][p] for p in _component(edges, pid) if p in by_protocol[protocol_id]]
        if not found:
            if is_randomised[protocol_id]:
                problems.append(f"enrolments {pid}/{protocol_id}: arm {arm!r}, randomised_on "
                                f"{values.get('randomised_on')} without an allocation; on a randomised protocol "
                                "the arm comes only from the allocation list (lutetia randomise)")
            continue
        alloc = found[0]
        if arm != alloc["arm"] or values.get("stratum") not in (None, alloc["stratum"]):
            problems.append(f"enrolments {pid}/{protocol_id}: arm {arm!r} (stratum {values.get('stratum')!r}) but the "
                            f"allocation list gives {alloc['arm']!r} ({alloc['stratum']} #{alloc['sequence_no']}); "
                            "the arm comes only from the allocation list")
    return problems


#: Enrolment fields an allocation sets once (``lutetia randomise``); the allocations log keeps them.
ALLOCATION_FIELDS = ("arm", "randomised_on", "stratum")


def check_allocation_fixed(kind: str, record: Any, changes: Mapping[str, Any]) -> None:
    """A randomised enrolment's arm, date and stratum cannot change once allocated (the
    integrity of the randomisation); only the first allocation sets them."""
    if kind != "enrolments" or getattr(record, "randomised_on", None) is None:
        return
    touched = sorted(set(changes) & set(ALLOCATION_FIELDS))
    if touched:
        raise ConflictError(f"enrolments {record.patient_id}/{record.protocol_id}: {', '.join(touched)} cannot change: "
                            f"randomised to {record.arm!r} on {record.randomised_on} (the allocation log keeps it)")
