"""SQLAlchemy table definitions, derived from the record models.

Each record kind gets one table whose columns are the model's fields (canonical units in
the names), plus ``id``, ``natural_key`` (a canonical JSON of the kind's key — unique, so
re-imports never duplicate, and NULL-safe where a key part is optional), ``version`` (the
optimistic-concurrency counter) and ``audit_id`` (the audit entry that created the row).

``audit_log``, ``decisions`` and ``allocations`` are append-only and hash-chained
(``row_hash``, see :mod:`lutetia.store.chain`): triggers created by the migrations refuse
UPDATE, DELETE, TRUNCATE (PostgreSQL) and back-dated or unhashed inserts on both engines
(``row_hash`` is nullable in the schema only because SQLite cannot add a NOT NULL column to
a filled table; the insert triggers require it).
"""

from __future__ import annotations

import json
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from pydantic import AwareDatetime
from sqlalchemy.types import TypeDecorator

from lutetia.records import KINDS, KindSpec, RecordModel

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class IsoDateTime(TypeDecorator[datetime]):
    """An aware datetime kept as its ISO 8601 text, offset included.

    Stored as text so that the original UTC offset survives on every engine (SQLite has no
    time zones; PostgreSQL's ``timestamptz`` keeps the instant but not the offset), which
    makes import ∘ export an exact round trip.
    """

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: a time zone is required")
        return value.isoformat()

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


def _column_type(annotation: Any) -> tuple[Any, bool]:
    """SQL type and nullability for a pydantic field annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is AwareDatetime:
        return IsoDateTime(), nullable
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return sa.String(40), nullable
        if issubclass(annotation, bool):
            return sa.Boolean(), nullable
        if issubclass(annotation, int):
            return sa.Integer(), nullable
        if issubclass(annotation, float):
            return sa.Float(precision=53), nullable
        if issubclass(annotation, datetime):
            return IsoDateTime(), nullable
        if issubclass(annotation, date):
            return sa.Date(), nullable
        if issubclass(annotation, str):
            return sa.Text(), nullable
    raise TypeError(f"no column type for {annotation!r}")


def _table_for(spec: KindSpec) -> sa.Table:
    cols: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("natural_key", sa.String(400), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audit_log.id"), nullable=False),
    ]
    for name, info in spec.model.model_fields.items():
        sql_type, nullable = _column_type(info.annotation)
        cols.append(sa.Column(name, sql_type, nullable=nullable or not info.is_required()))
    table = sa.Table(spec.name, metadata, *cols)
    if "patient_id" in spec.model.model_fields:
        sa.Index(f"ix_{spec.name}_patient_id", table.c.patient_id)
    return table


audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", IsoDateTime(), nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=True, index=True),
    sa.Column("natural_key", sa.String(400), nullable=True),
    sa.Column("old_values", sa.Text, nullable=True),
    sa.Column("new_values", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("row_count", sa.Integer, nullable=True),
    sa.Column("row_hash", sa.String(64), nullable=True),
)

TABLES: dict[str, sa.Table] = {name: _table_for(spec) for name, spec in KINDS.items()}


def natural_key(spec: KindSpec, record: RecordModel) -> str:
    """Canonical JSON text of a record's natural key."""
    fields = record.__dict__
    return _encode_key([v if type(v) in _PLAIN else _norm(v) for v in (fields[k] for k in spec.key)])


_PLAIN = frozenset({str, int, float, type(None), bool})


def _norm(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


_encode_key = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def key_text(values: tuple[Any, ...]) -> str:
    return _encode_key([_norm(v) for v in values])


def row_values(record: RecordModel) -> dict[str, Any]:
    """Column values of a record (enums as their text)."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in record.__dict__.items()}


def db_value(value: Any, dialect: str) -> Any:
    """A field value as the DB-API driver takes it (what SQLAlchemy's types would bind)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()  # IsoDateTime: text with offset on every engine
    if isinstance(value, date) and dialect == "sqlite":
        return value.isoformat()  # SQLAlchemy's SQLite Date storage format
    return value


# Derived, append-only tables (not interchange record kinds): the decisions the engine made,
# with their inputs so they can be reproduced, and randomisation allocations.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.String(64), nullable=False, index=True),
    sa.Column("protocol_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("made_at", IsoDateTime(), nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("engine_version", sa.String(40), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=True),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("protocol_id", sa.String(64), nullable=False),
    sa.Column("stratum", sa.String(200), nullable=False),
    sa.Column("sequence_no", sa.Integer, nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("arm", sa.String(64), nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("block_size", sa.Integer, nullable=False),
    sa.Column("made_at", IsoDateTime(), nullable=False),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("protocol_id", "patient_id", name="uq_allocations_protocol_patient"),
    sa.UniqueConstraint("protocol_id", "stratum", "sequence_no", name="uq_allocations_protocol_stratum_seq"),
)

# Web application (``lutetia serve``, migration 0004): the people who log in, the physicians'
# signatures of next-cycle decisions (append-only, bound to a SHA-256 of the decision and its
# inputs) and the physicists' dosimetry reviews (append-only).
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("sites", sa.Text, nullable=False),  # JSON list of site codes; ["*"] = every site
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("demo", sa.Boolean, nullable=False),
)

signatures = sa.Table(
    "signatures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.String(64), nullable=False, index=True),
    sa.Column("protocol_id", sa.String(64), nullable=False),
    # the decision's id in ``decisions`` (no foreign key: a key would let TRUNCATE of decisions fail
    # on the key before the append-only trigger could refuse it)
    sa.Column("decision_id", sa.Integer, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=True),
    sa.Column("recommended", sa.String(40), nullable=False),
    sa.Column("prescribed_gbq", sa.Float, nullable=True),
    sa.Column("override_reason", sa.Text, nullable=True),
    sa.Column("meaning", sa.Text, nullable=False),
    sa.Column("signer", sa.String(64), nullable=False),
    sa.Column("signer_name", sa.String(200), nullable=False),
    sa.Column("signed_at", IsoDateTime(), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=True),  # hash chain (lutetia.store.chain)
)

dosimetry_reviews = sa.Table(
    "dosimetry_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.String(64), nullable=False, index=True),
    sa.Column("course", sa.Integer, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("verdict", sa.String(20), nullable=False),  # confirmed / corrected
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(64), nullable=False),
    sa.Column("reviewed_at", IsoDateTime(), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=True),  # hash chain (lutetia.store.chain)
)
