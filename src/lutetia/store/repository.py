"""The audited repository: every write of clinical data goes through here.

* Inserts, changes and deletions each write an ``audit_log`` entry: who, when, what
  (old → new values as JSON) and why.  Changes and deletions require a reason.  A bulk
  insert writes one audit entry for the batch and every row points at it (``audit_id``),
  so each inserted row still has its who/when/what.
* Nothing is overwritten silently: a record whose natural key exists with *different*
  values is a :class:`~lutetia.errors.ConflictError` on insert; identical re-inserts are
  counted as unchanged (re-imports do not duplicate).
* Optimistic concurrency: ``update``/``delete`` take the version the caller read; a
  version mismatch is a :class:`~lutetia.errors.ConflictError` naming both versions.
* Every write is one serialised transaction (:func:`lutetia.store.database.write`): the
  cross-record checks read inside it, so concurrent writers cannot together store what
  the validator refuses; a failure writes nothing.
* Every write names its user (an empty user is refused); audit entries are hash-chained
  with the database server's time (:mod:`lutetia.store.chain`).
* Keys: a record's ``patient_id`` moves only to an existing patient; a patient's id changes
  only through :meth:`Store.rename_patient`, which carries every dependent record in the
  same transaction and is audited under both ids.
* A randomised protocol's arm comes only from the allocation list (:func:`allocation_problems`).
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from pydantic import ValidationError

from lutetia.errors import ConflictError, NotFoundError, RecordError
from lutetia.records import (
    KINDS,
    ClinicalEvent,
    EventKind,
    KindSpec,
    Patient,
    PatientRecord,
    RecordModel,
    record_problems,
)
from lutetia.records.plausibility import plausibility_problems
from lutetia.store import chain
from lutetia.store.bulk_labs import (
    LabColumns,
    bulk_duplicates,
    insert_lab_columns,
    lab_date_problems,
)
from lutetia.store.database import make_engine, migrate, write
from lutetia.store.integrity import (
    aliases,
    allocation_problems,
    check_allocation_fixed,
    reused_ids,
    used_ids,
)
from lutetia.store.schema import (
    TABLES,
    audit_log,
    db_value,
    key_text,
    natural_key,
    row_values,
)

_MODEL_TO_KIND: dict[type[RecordModel], KindSpec] = {spec.model: spec for spec in KINDS.values()}


def _json(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None

    def default(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        return str(v)

    return json.dumps(values, default=default, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Stored:
    """A record as stored, with its row id and version."""

    kind: str
    record: RecordModel
    row_id: int
    version: int


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user: str
    action: str
    kind: str
    patient_id: str | None
    natural_key: str | None
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    reason: str | None
    source: str | None
    row_count: int | None


@dataclass
class WriteSummary:
    """Counts of a bulk write per kind."""

    inserted: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    audit_id: int | None = None

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())


def spec_of(record: RecordModel) -> KindSpec:
    try:
        return _MODEL_TO_KIND[type(record)]
    except KeyError as exc:
        raise TypeError(f"{type(record).__name__} is not a stored record kind") from exc


class Store:
    """Access to one Lutetia database (SQLite or PostgreSQL)."""

    def __init__(self, engine: sa.Engine, *, randomised: Callable[[str], bool] | None = None) -> None:
        """``randomised(protocol_id)`` says whether a protocol is randomised (the shell passes
        the protocol files' answer; the store alone knows it only from stored allocations)."""
        self.engine = engine
        self.randomised = randomised

    @classmethod
    def open(cls, url: str, *, create: bool = True, randomised: Callable[[str], bool] | None = None) -> Store:
        """Open ``url``; migrate the schema to the newest revision when ``create``."""
        engine = make_engine(url)
        if create:
            migrate(engine)
        return cls(engine, randomised=randomised)

    # ------------------------------------------------------------------ reading
    def _from_row(self, spec: KindSpec, row: Mapping[str, Any] | sa.RowMapping) -> RecordModel:
        data = {k: row[k] for k in spec.model.model_fields if row.get(k) is not None}
        return spec.model.model_validate(data)

    def rows(self, kind: str, patient_ids: Sequence[str] | None = None) -> list[Stored]:
        spec, table = KINDS[kind], TABLES[kind]
        stmt = sa.select(table).order_by(table.c.id)
        if patient_ids is not None:
            stmt = stmt.where(table.c.patient_id.in_(list(patient_ids)))
        with self.engine.connect() as conn:
            result = conn.execute(stmt).mappings().all()
        return [Stored(kind, self._from_row(spec, r), r["id"], r["version"]) for r in result]

    def get(self, kind: str, key: Sequence[Any]) -> Stored:
        spec, table = KINDS[kind], TABLES[kind]
        text = key_text(tuple(_coerce_key(spec, key)))
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.natural_key == text)).mappings().first()
        if row is None:
            raise NotFoundError(f"{kind}: no record with key {dict(zip(spec.key, key, strict=False))}")
        return Stored(kind, self._from_row(spec, row), row["id"], row["version"])

    def patient_ids(self) -> list[str]:
        t = TABLES["patients"]
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.select(t.c.patient_id).order_by(t.c.patient_id))]

    def record(self, patient_id: str) -> PatientRecord:
        """The whole record of one patient."""
        recs = list(self.records([patient_id]))
        if not recs:
            raise NotFoundError(f"patients: no patient {patient_id!r}")
        return recs[0]

    def records(self, patient_ids: Sequence[str] | None = None) -> Iterator[PatientRecord]:
        """Whole records, loaded kind by kind (one query per kind, not per patient)."""
        by_kind: dict[str, dict[str, list[RecordModel]]] = {}
        for kind in KINDS:
            grouped: dict[str, list[RecordModel]] = defaultdict(list)
            for stored in self.rows(kind, patient_ids):
                grouped[_pid(stored.record)].append(stored.record)
            by_kind[kind] = grouped
        for pid in sorted(by_kind["patients"]):
            patient = by_kind["patients"][pid][0]
            assert isinstance(patient, Patient)
            children = {k: tuple(v.get(pid, ())) for k, v in by_kind.items() if k != "patients"}
            yield _assemble(patient, children)

    def aliases(self, patient_id: str) -> set[str]:
        """Every id the patient ``patient_id`` had or has (following renames both ways)."""
        with self.engine.connect() as conn:
            return aliases(conn, patient_id)

    def audit(self, patient_id: str | None = None, kind: str | None = None) -> list[AuditEntry]:
        """Audit entries in order; for a patient, those under each of its ids (renames)."""
        stmt = sa.select(audit_log).order_by(audit_log.c.id)
        ids: set[str] = set()
        with self.engine.connect() as conn:
            if patient_id is not None:
                ids = aliases(conn, patient_id)
                stmt = stmt.where(sa.or_(audit_log.c.patient_id.in_(sorted(ids)), audit_log.c.patient_id.is_(None)))
            if kind is not None:
                stmt = stmt.where(audit_log.c.kind == kind)
            rows = conn.execute(stmt).mappings().all()
        out = []
        for r in rows:
            out.append(AuditEntry(
                r["id"], r["at"], r["user_name"], r["action"], r["kind"], r["patient_id"],
                r["natural_key"], json.loads(r["old_values"]) if r["old_values"] else None,
                json.loads(r["new_values"]) if r["new_values"] else None, r["reason"],
                r["source"], r["row_count"],
            ))
        if patient_id is not None:  # batch entries: keep those that touched this patient
            out = [e for e in out if e.patient_id in ids or any(self._batch_touches(e, p) for p in ids)]
        return out

    def _batch_touches(self, entry: AuditEntry, patient_id: str) -> bool:
        if entry.action != "import":
            return False
        with self.engine.connect() as conn:
            for table in TABLES.values():
                hit = conn.execute(
                    sa.select(table.c.id).where(table.c.audit_id == entry.id, table.c.patient_id == patient_id).limit(1)
                ).first()
                if hit is not None:
                    return True
        return False

    # ------------------------------------------------------------------ writing
    def _audit(self, conn: sa.Connection, **values: Any) -> int:
        """Append an audit entry to the chain (server time); returns its id."""
        return chain.append(conn, "audit_log", values)[0]

    def add(
        self,
        records: Iterable[RecordModel],
        *,
        user: str,
        source: str | None = None,
        reason: str | None = None,
        bulk_labs: Sequence[LabColumns] = (),
    ) -> WriteSummary:
        """Insert records in one transaction, checked against what is stored.

        Identical records already stored are counted as unchanged; a stored record with the
        same natural key but other values raises :class:`ConflictError` (use
        :meth:`update` with a reason).  Cross-record checks (death before birth,
        administration after death...) run on the merged record of every patient touched.
        ``bulk_labs`` are column-wise lab rows (:mod:`lutetia.store.bulk_labs`): checked
        and inserted without building a record per row when none of their patients has
        labs stored yet; otherwise they go through the row-by-row path.
        """
        _require_user(user)
        items = list(records)
        return write(self.engine, lambda conn: self.add_in(conn, items, user=user, source=source, reason=reason,
                                                           bulk_labs=bulk_labs))

    def add_in(
        self,
        conn: sa.Connection,
        records: Sequence[RecordModel],
        *,
        user: str,
        source: str | None = None,
        reason: str | None = None,
        bulk_labs: Sequence[LabColumns] = (),
    ) -> WriteSummary:
        """:meth:`add` inside the caller's writing transaction ``conn``."""
        by_kind: dict[str, list[RecordModel]] = defaultdict(list)
        for rec in records:
            by_kind[spec_of(rec).name].append(rec)
        summary = WriteSummary()
        bulk_pids = sorted(set().union(*(cols.patient_ids() for cols in bulk_labs)))
        touched = sorted({_pid(r) for rs in by_kind.values() for r in rs} | set(bulk_pids))
        if bulk_labs and self._has_labs(conn, bulk_pids):
            by_kind["labs"].extend(r for cols in bulk_labs for r in cols.records())
            bulk_labs = ()
        existing = self._existing_keys(conn, by_kind)
        fresh: dict[str, list[RecordModel]] = {}
        keys: dict[str, list[str]] = {}
        conflicts: list[str] = []
        for kind, recs in by_kind.items():
            spec = KINDS[kind]
            keep: list[RecordModel] = []
            keep_keys: list[str] = []
            seen: set[str] = set()
            stored_of_kind = existing.get(kind, {})
            for rec in recs:
                key = natural_key(spec, rec)
                if key in seen:
                    conflicts.append(f"{kind} {key}: appears twice in the input")
                    continue
                seen.add(key)
                stored = stored_of_kind.get(key)
                if stored is None:
                    keep.append(rec)
                    keep_keys.append(key)
                elif stored == rec:
                    summary.unchanged[kind] = summary.unchanged.get(kind, 0) + 1
                else:
                    conflicts.append(
                        f"{kind} {key}: differs from the stored record; change it with a reason "
                        "(lutetia never overwrites silently)"
                    )
            fresh[kind] = keep
            keys[kind] = keep_keys
        conflicts += bulk_duplicates(bulk_labs, set(keys.get("labs", [])))
        if conflicts:
            raise ConflictError("\n".join(conflicts))
        self._check_patients(conn, sorted(set(touched) - set(bulk_pids) | {
            _pid(r) for rs in fresh.values() for r in rs}), fresh)
        self._check_bulk_labs(conn, bulk_labs, fresh)
        problems = allocation_problems(conn, fresh.get("enrolments", []), self.randomised)
        problems += reused_ids(conn, fresh.get("patients", []))
        if problems:
            raise ConflictError("\n".join(problems))
        n = sum(len(v) for v in fresh.values()) + sum(len(c) for c in bulk_labs)
        if n == 0:
            return summary
        audit_id = self._audit(
            conn, user_name=user, action="import" if n > 1 or bulk_labs else "insert",
            kind="batch" if n > 1 or bulk_labs else next(k for k, v in fresh.items() if v),
            patient_id=touched[0] if len(touched) == 1 else None,
            natural_key=None if n > 1 or bulk_labs else natural_key(*_single(fresh)),
            new_values=None if n > 1 or bulk_labs else _json(row_values(_single(fresh)[1])),
            reason=reason, source=source, row_count=n,
        )
        for kind in KINDS:  # parents before children
            recs = fresh.get(kind, [])
            if not recs:
                continue
            _bulk_insert(conn, kind, recs, keys[kind], audit_id)
            summary.inserted[kind] = len(recs)
        for cols in bulk_labs:
            insert_lab_columns(conn, cols, audit_id)
            summary.inserted["labs"] = summary.inserted.get("labs", 0) + len(cols)
        summary.audit_id = audit_id
        return summary

    def _has_labs(self, conn: sa.Connection, pids: Sequence[str]) -> bool:
        t = TABLES["labs"]
        if conn.execute(sa.select(t.c.id).limit(1)).first() is None:
            return False
        for i in range(0, len(pids), 500):
            hit = conn.execute(sa.select(t.c.id).where(t.c.patient_id.in_(list(pids[i:i + 500]))).limit(1)).first()
            if hit is not None:
                return True
        return False

    def _check_bulk_labs(self, conn: sa.Connection, bulk: Sequence[LabColumns],
                         fresh: Mapping[str, list[RecordModel]]) -> None:
        """Birth/death checks of column-wise lab rows, vectorised over rows."""
        if not bulk:
            return
        pids = sorted(set().union(*(cols.patient_ids() for cols in bulk)))
        born: dict[str, date] = {}
        died: dict[str, date] = {}
        for rec in fresh.get("patients", []):
            assert isinstance(rec, Patient)
            born[rec.patient_id] = rec.earliest_birth()
        for rec in fresh.get("events", []):
            if isinstance(rec, ClinicalEvent) and rec.kind is EventKind.death:
                died[rec.patient_id] = min(rec.event_date, died.get(rec.patient_id, rec.event_date))
        stored = [p for p in pids if p not in born]
        for i in range(0, len(stored), 500):
            chunk = stored[i:i + 500]
            for row in conn.execute(sa.select(TABLES["patients"]).where(TABLES["patients"].c.patient_id.in_(chunk))
                                    ).mappings():
                patient = self._from_row(KINDS["patients"], row)
                assert isinstance(patient, Patient)
                born[patient.patient_id] = patient.earliest_birth()
            ev = TABLES["events"]
            for pid, day in conn.execute(sa.select(ev.c.patient_id, ev.c.event_date).where(
                    ev.c.patient_id.in_(chunk), ev.c.kind == EventKind.death.value)).tuples():
                died[pid] = min(day, died.get(pid, day))
        problems = [f"patients: no patient {p!r} (import the patient row first or with it)" for p in pids
                    if p not in born]
        if not problems:
            for cols in bulk:
                problems += lab_date_problems(cols, born, died)
        if problems:
            raise RecordError("\n".join(problems))

    def _existing_keys(
        self, conn: sa.Connection, by_kind: Mapping[str, list[RecordModel]]
    ) -> dict[str, dict[str, RecordModel]]:
        out: dict[str, dict[str, RecordModel]] = {}
        for kind, recs in by_kind.items():
            table, spec = TABLES[kind], KINDS[kind]
            if conn.execute(sa.select(table.c.id).limit(1)).first() is None:
                continue
            pids = sorted({_pid(r) for r in recs})
            found: dict[str, RecordModel] = {}
            for i in range(0, len(pids), 500):
                stmt = sa.select(table).where(table.c.patient_id.in_(pids[i : i + 500]))
                for row in conn.execute(stmt).mappings():
                    found[row["natural_key"]] = self._from_row(spec, row)
            out[kind] = found
        return out

    def _check_patients(
        self, conn: sa.Connection, patient_ids: Sequence[str], fresh: Mapping[str, list[RecordModel]]
    ) -> None:
        """Cross-record checks on each touched patient's merged record."""
        new_by_pid: dict[str, dict[str, list[RecordModel]]] = defaultdict(lambda: defaultdict(list))
        for kind, recs in fresh.items():
            for r in recs:
                new_by_pid[_pid(r)][kind].append(r)
        stored_pids = self._stored_patient_ids(conn, patient_ids)
        problems: list[str] = []
        for pid in patient_ids:
            merged: dict[str, list[RecordModel]] = defaultdict(list)
            if pid in stored_pids:
                for kind in KINDS:
                    stmt = sa.select(TABLES[kind]).where(TABLES[kind].c.patient_id == pid)
                    merged[kind].extend(self._from_row(KINDS[kind], r) for r in conn.execute(stmt).mappings())
            for kind, recs in new_by_pid[pid].items():
                merged[kind].extend(recs)
            patients = merged.pop("patients", [])
            if not patients:
                problems.append(f"patients: no patient {pid!r} (import the patient row first or with it)")
                continue
            patient = patients[0]
            assert isinstance(patient, Patient)
            rec = _assemble(patient, {k: tuple(v) for k, v in merged.items()})
            problems.extend(f"patient {pid}: {p}" for p in record_problems(rec))
            fresh_of_pid = [r for recs in new_by_pid[pid].values() for r in recs]
            # every write refuses what cannot be a measurement (hard limits), not only `import`
            problems.extend(f"patient {pid}: {p}" for p in plausibility_problems(rec, fresh_of_pid))
        if problems:
            raise RecordError("\n".join(problems))

    def _stored_patient_ids(self, conn: sa.Connection, patient_ids: Sequence[str]) -> set[str]:
        t = TABLES["patients"]
        found: set[str] = set()
        for i in range(0, len(patient_ids), 500):
            chunk = list(patient_ids[i : i + 500])
            found.update(r[0] for r in conn.execute(sa.select(t.c.patient_id).where(t.c.patient_id.in_(chunk))))
        return found

    def update(
        self,
        kind: str,
        key: Sequence[Any],
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        user: str,
        reason: str,
    ) -> Stored:
        """Change fields of one record; audited old → new; optimistic version check.

        A record's natural key may change (a lab's date, a lab moved to another *existing*
        patient); a patient's own id changes only with :meth:`rename_patient`.
        """
        _require_reason(reason, "change")
        _require_user(user)
        spec = KINDS[kind]
        unknown = sorted(set(changes) - set(spec.model.model_fields))
        if unknown:
            raise RecordError(f"{kind}: unknown field(s) {unknown}; accepted: {sorted(spec.model.model_fields)}")
        return write(self.engine, lambda conn: self.update_in(conn, kind, key, changes,
                                                              expected_version=expected_version, user=user,
                                                              reason=reason))

    def update_in(self, conn: sa.Connection, kind: str, key: Sequence[Any], changes: Mapping[str, Any], *,
                  expected_version: int, user: str, reason: str) -> Stored:
        """:meth:`update` inside the caller's writing transaction ``conn``."""
        spec, table = KINDS[kind], TABLES[kind]
        current = self._get_for_write(conn, kind, key, expected_version)
        old = row_values(current.record)
        try:
            new_rec = spec.model.model_validate({**current.record.model_dump(), **changes})
        except ValidationError as exc:
            raise RecordError(_validation_text(kind, exc)) from exc
        new = row_values(new_rec)
        diff_old = {k: old[k] for k in new if old[k] != new[k]}
        diff_new = {k: new[k] for k in new if old[k] != new[k]}
        if not diff_new:
            return current
        if kind == "patients" and "patient_id" in diff_new:
            raise RecordError(f"patients {old['patient_id']!r}: a patient's id changes with `lutetia rename`, which "
                              "carries every record of the patient", field="patient_id", value=new["patient_id"],
                              accepted=f"{old['patient_id']!r} (unchanged)")
        check_allocation_fixed(kind, current.record, diff_new)
        if kind == "enrolments":
            problems = allocation_problems(conn, [new_rec], self.randomised)
            if problems:
                raise ConflictError("\n".join(problems))
        pid, new_key = _pid(new_rec), natural_key(spec, new_rec)
        if new_key != natural_key(spec, current.record) and conn.execute(
                sa.select(table.c.id).where(table.c.natural_key == new_key)).first() is not None:
            raise ConflictError(f"{kind} {new_key}: another record already has this key; change that one instead")
        self._check_replaced(conn, kind, current.row_id, new_rec, pid)
        if pid != _pid(current.record):  # the record leaves a patient: check what remains of that one
            self._check_replaced(conn, kind, current.row_id, None, _pid(current.record))
        self._audit(
            conn, user_name=user, action="update", kind=kind, patient_id=pid,
            natural_key=natural_key(spec, current.record), old_values=_json(diff_old),
            new_values=_json(diff_new), reason=reason, row_count=1,
        )
        result = conn.execute(
            table.update()
            .where(table.c.id == current.row_id, table.c.version == expected_version)
            .values(**new, natural_key=new_key, version=expected_version + 1)
        )
        if result.rowcount != 1:
            raise ConflictError(f"{kind} {dict(zip(spec.key, key, strict=False))}: changed by someone else meanwhile")
        return Stored(kind, new_rec, current.row_id, expected_version + 1)

    def delete(self, kind: str, key: Sequence[Any], *, expected_version: int, user: str, reason: str) -> None:
        """Delete one record (audited with its old values; a reason is required)."""
        _require_reason(reason, "deletion")
        _require_user(user)
        write(self.engine, lambda conn: self._delete_in(conn, kind, key, expected_version, user, reason))

    def _delete_in(self, conn: sa.Connection, kind: str, key: Sequence[Any], expected_version: int, user: str,
                   reason: str) -> None:
        spec, table = KINDS[kind], TABLES[kind]
        current = self._get_for_write(conn, kind, key, expected_version)
        pid = _pid(current.record)
        if kind == "patients":
            children = [k for k in KINDS if k != "patients" and conn.execute(
                sa.select(TABLES[k].c.id).where(TABLES[k].c.patient_id == pid).limit(1)).first()]
            if children:
                raise ConflictError(f"patients {pid!r}: still has records in {children}; delete those first")
        self._audit(
            conn, user_name=user, action="delete", kind=kind, patient_id=pid,
            natural_key=natural_key(spec, current.record), old_values=_json(row_values(current.record)),
            reason=reason, row_count=1,
        )
        result = conn.execute(table.delete().where(table.c.id == current.row_id, table.c.version == expected_version))
        if result.rowcount != 1:
            raise ConflictError(f"{kind}: changed by someone else meanwhile")

    def rename_patient(self, old_id: str, new_id: str, *, expected_version: int, user: str, reason: str) -> int:
        """Give patient ``old_id`` the id ``new_id``, with every record of the patient, in one
        transaction; audited once, and shown in the audit trail of both ids.  Decisions and
        allocations stay as made (append-only) and are found under either id.  Returns the
        number of rows moved."""
        _require_reason(reason, "rename")
        _require_user(user)
        return write(self.engine, lambda conn: self._rename_in(conn, old_id, new_id, expected_version, user, reason))

    def _rename_in(self, conn: sa.Connection, old_id: str, new_id: str, expected_version: int, user: str,
                   reason: str) -> int:
        current = self._get_for_write(conn, "patients", (old_id,), expected_version)
        try:
            Patient.model_validate({**current.record.model_dump(), "patient_id": new_id})
        except ValidationError as exc:
            raise RecordError(_validation_text("patients", exc)) from exc
        if new_id == old_id:
            raise RecordError(f"patients {old_id!r}: the new id is the same", field="patient_id", value=new_id)
        if new_id in self._stored_patient_ids(conn, [new_id]) or used_ids(conn, [new_id]):
            raise ConflictError(f"patients {new_id!r}: this id is (or was) in use; patient ids are never reused")
        moved = 0
        for kind, table in TABLES.items():
            spec = KINDS[kind]
            rows = conn.execute(sa.select(table).where(table.c.patient_id == old_id)).mappings().all()
            for row in rows:
                rec = self._from_row(spec, {**row, "patient_id": new_id})
                conn.execute(table.update().where(table.c.id == row["id"]).values(
                    patient_id=new_id, natural_key=natural_key(spec, rec), version=row["version"] + 1))
            moved += len(rows)
        self._audit(conn, user_name=user, action="rename", kind="patients", patient_id=new_id,
                    natural_key=natural_key(KINDS["patients"], current.record),
                    old_values=_json({"patient_id": old_id}), new_values=_json({"patient_id": new_id}),
                    reason=reason, row_count=moved)
        return moved

    def _get_for_write(self, conn: sa.Connection, kind: str, key: Sequence[Any], expected_version: int) -> Stored:
        spec, table = KINDS[kind], TABLES[kind]
        text = key_text(tuple(_coerce_key(spec, key)))
        row = conn.execute(sa.select(table).where(table.c.natural_key == text)).mappings().first()
        if row is None:
            raise NotFoundError(f"{kind}: no record with key {dict(zip(spec.key, key, strict=False))}")
        if row["version"] != expected_version:
            raise ConflictError(
                f"{kind} {dict(zip(spec.key, key, strict=False))}: you read version {expected_version}, "
                f"the store has version {row['version']} (someone changed it); re-read and retry"
            )
        return Stored(kind, self._from_row(spec, row), row["id"], row["version"])

    def _check_replaced(self, conn: sa.Connection, kind: str, row_id: int, new_rec: RecordModel | None,
                        pid: str) -> None:
        """Cross-record checks of patient ``pid`` with row ``row_id`` replaced by ``new_rec``
        (or removed, when None)."""
        merged: dict[str, list[RecordModel]] = {}
        for k in KINDS:
            stmt = sa.select(TABLES[k]).where(TABLES[k].c.patient_id == pid)
            if k == kind:
                stmt = stmt.where(TABLES[k].c.id != row_id)
            merged[k] = [self._from_row(KINDS[k], r) for r in conn.execute(stmt).mappings()]
        if new_rec is not None:
            merged[kind].append(new_rec)
        patients = merged.pop("patients")
        if not patients:
            raise RecordError(f"{kind}: no patient {pid!r} (a record can move only to a stored patient)",
                              field="patient_id", value=pid, accepted="the id of a stored patient")
        patient = patients[0]
        assert isinstance(patient, Patient)
        rec = _assemble(patient, {k: tuple(v) for k, v in merged.items()})
        problems = record_problems(rec) + plausibility_problems(rec, [new_rec] if new_rec is not None else [])
        if problems:
            raise RecordError("\n".join(f"patient {pid}: {p}" for p in problems))


def _bulk_insert(conn: sa.Connection, kind: str, recs: Sequence[RecordModel], keys: Sequence[str],
                 audit_id: int) -> None:
    """Insert many rows through the driver's ``executemany`` (one statement, no per-row
    SQLAlchemy parameter processing: values are converted by :func:`db_value`)."""
    fields = list(KINDS[kind].model.model_fields)
    cols = ["natural_key", "version", "audit_id", *fields]
    dialect = conn.dialect.name
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {kind} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    getter = operator.itemgetter(*fields)
    # only columns whose Python type is not a driver type need converting
    special = [i for i, f in enumerate(fields) if _needs_conversion(KINDS[kind].model.model_fields[f].annotation)]
    rows: list[tuple[Any, ...]] = []
    for rec, key in zip(recs, keys, strict=True):
        values = getter(rec.__dict__)
        if special:
            values = list(values)
            for i in special:
                values[i] = db_value(values[i], dialect)
        rows.append((key, 1, audit_id, *values))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _pid(record: RecordModel) -> str:
    return str(record.__dict__["patient_id"])


def _assemble(patient: Patient, children: Mapping[str, tuple[RecordModel, ...]]) -> PatientRecord:
    """A record from already validated parts (cross-record checks are run separately)."""
    return PatientRecord.model_construct(patient=patient, **cast(dict[str, Any], children))


def _needs_conversion(annotation: Any) -> bool:
    """Enum, date and datetime fields are converted for the driver; the rest pass as is."""
    from lutetia.store.schema import IsoDateTime, _column_type

    sql_type, _ = _column_type(annotation)
    return isinstance(sql_type, sa.Date | IsoDateTime) or type(sql_type) is sa.String


def _single(fresh: Mapping[str, list[RecordModel]]) -> tuple[KindSpec, RecordModel]:
    for kind, recs in fresh.items():
        if recs:
            return KINDS[kind], recs[0]
    raise ValueError("empty")  # pragma: no cover


def _require_user(user: str | None) -> None:
    if user is None or not str(user).strip():
        raise RecordError("every write names the person (or the named system account) acting: pass --user, "
                          "or set LUTETIA_USER", field="user", value=user, accepted="a non-empty name")


def _require_reason(reason: str | None, what: str) -> None:
    if reason is None or not reason.strip():
        raise RecordError(f"a reason is required for every {what} of clinical data", field="reason", value=reason,
                          accepted="a non-empty text")


def _coerce_key(spec: KindSpec, key: Sequence[Any]) -> list[Any]:
    """Parse key parts given as text (from the CLI) into the key fields' types."""
    if len(key) != len(spec.key):
        raise RecordError(f"{spec.name}: a key has {len(spec.key)} part(s) {spec.key}, got {len(key)}")
    out: list[Any] = []
    for name, value in zip(spec.key, key, strict=True):
        if isinstance(value, str):
            info = spec.model.model_fields[name]
            from pydantic import TypeAdapter

            try:
                value = TypeAdapter(cast(Any, info.annotation)).validate_python(value if value != "" else None)
            except ValidationError:
                value = TypeAdapter(cast(Any, info.annotation)).validate_json(json.dumps(value))
        out.append(value)
    return out


def _validation_text(kind: str, exc: ValidationError) -> str:
    return "; ".join(
        f"{kind}: field {'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']} (value {e.get('input')!r})"
        for e in exc.errors()
    )
