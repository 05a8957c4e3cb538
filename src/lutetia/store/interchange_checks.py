"""Checks of interchange cells and rows beyond the record models, shared by CSV and JSON.

The record models accept what pydantic's lax mode accepts; a data file must be stricter so
that a value is never *bent* on its way in:

- a date or date-time is ISO 8601 text (``1700000000`` is not read as Unix time);
- a number is finite (``inf`` is not a percentage) and an integer fits the 32-bit columns
  of every engine;
- text holds no NUL character nor lone surrogate (PostgreSQL refuses them, SQLite keeps
  them: the same file must give the same answer on both);
- a natural key fits the store's key column (400 characters);
- a protocol id and an arm are those of a shipped protocol.

Every function returns problem texts (``field X: value V …; accepted: …``) without raising.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from lutetia.records import KindSpec, RecordModel

#: Length of the store's ``natural_key`` column (``lutetia.store.schema``).
KEY_MAX_CHARS = 400
INT32 = (-(2**31), 2**31 - 1)

#: A number as Lutetia reads it everywhere (ASCII digits, optional sign, point and exponent):
#: no Arabic-Indic digits, no ``1_000``, no ``inf``/``nan``, no surrounding space.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}", re.ASCII)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _base_type(annotation: Any) -> Any:
    """``float | None`` / ``Annotated[float, …]`` → ``float``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def field_types(spec: KindSpec) -> dict[str, Any]:
    """Base Python type of every field of a kind."""
    return _field_types(spec.model)


@cache
def _field_types(model: type[RecordModel]) -> dict[str, Any]:
    return {name: _base_type(info.annotation) for name, info in model.model_fields.items()}


def cell_problems(spec: KindSpec, data: Mapping[str, Any]) -> list[str]:
    """Problems of single cells (already mapped to field names, quantities excepted)."""
    out: list[str] = []
    types = field_types(spec)
    for name, value in data.items():
        if isinstance(value, str) and _BAD_TEXT.search(value):
            out.append(f"field {name}: value {value!r} holds a NUL character or a lone surrogate; accepted: "
                       "printable text")
            continue
        kind = types.get(name)
        if kind is None:
            continue
        if isinstance(kind, type) and issubclass(kind, datetime):
            if not (isinstance(value, str) and _ISO_DATETIME.match(value)):
                out.append(f"field {name}: value {value!r} is not an ISO date-time; accepted: a date-time with "
                           "offset, e.g. 2024-03-01T09:30:00+01:00")
        elif isinstance(kind, type) and issubclass(kind, date):
            if not (isinstance(value, str) and _ISO_DATE.match(value)):
                out.append(f"field {name}: value {value!r} is not an ISO date; accepted: a date YYYY-MM-DD")
        elif kind in (float, int) and isinstance(value, str) and not PLAIN_NUMBER.match(value.strip()):
            out.append(f"field {name}: value {value!r} is not a number; accepted: "
                       + ("a whole number" if kind is int else "a finite number")
                       + " written with ASCII digits (no '_', no thousands separator) and a decimal point '.'")
        elif kind is float and not isinstance(value, bool):
            number = _number(value)
            if number is not None and not math.isfinite(number):
                out.append(f"field {name}: value {value!r} is not a finite number; accepted: a finite number")
        elif kind is int and not isinstance(value, bool):
            number = _number(value)
            if number is not None and math.isfinite(number) and not INT32[0] <= number <= INT32[1]:
                out.append(f"field {name}: value {value!r} is out of range; accepted: a whole number within "
                           f"{INT32[0]}..{INT32[1]}")
    return out


def plain_number(text: str) -> float | None:
    """``text`` (surrounding spaces allowed) as a finite number when it is written as
    :data:`PLAIN_NUMBER`, else None — the one number rule of every CSV Lutetia reads."""
    text = text.strip()
    return float(text) if PLAIN_NUMBER.match(text) else None


def plain_numbers(texts: Sequence[str]) -> list[float] | None:
    """:func:`plain_number` over a column: every value as a float, or None when any value is
    not a plain number (then ask :func:`plain_number` row by row for the first one)."""
    match = PLAIN_NUMBER.match
    if all(map(match, texts)):  # a match has no surrounding space: nothing to strip
        return list(map(float, texts))
    stripped = [t.strip() for t in texts]
    if not all(map(match, stripped)):
        return None
    return list(map(float, stripped))


def iso_date(text: str) -> date | None:
    """``text`` as a date when it is ``YYYY-MM-DD`` (ASCII) and a real day, else None."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def key_problems(spec: KindSpec, record: RecordModel) -> list[str]:
    """A natural key longer than the store's key column."""
    from lutetia.store.schema import natural_key

    key = natural_key(spec, record)
    if len(key) <= KEY_MAX_CHARS:
        return []
    return [f"field {'/'.join(spec.key)}: the record's key is {len(key)} characters; accepted: at most "
            f"{KEY_MAX_CHARS} characters for {', '.join(spec.key)} together"]


#: Shipped protocols as the store sees them: id → (arm ids, randomised).  The store may not
#: import :mod:`lutetia.protocols` (dependency direction); the shell builds this mapping with
#: :func:`protocol_arms` and passes it in.
ProtocolArms = Mapping[str, tuple[tuple[str, ...], bool]]


def protocol_arms(protocols: Iterable[Any]) -> dict[str, tuple[tuple[str, ...], bool]]:
    """The mapping :func:`protocol_problems` checks against, from loaded protocols."""
    return {p.id: (tuple(a.id for a in p.arms), p.randomisation is not None) for p in protocols}


def protocol_problems(record: RecordModel, known: ProtocolArms | None) -> list[str]:
    """Unknown protocol ids and arms (enrolments, criterion answers); nothing to check
    when ``known`` is None."""
    protocol_id = getattr(record, "protocol_id", None)
    if protocol_id is None or known is None:
        return []
    if protocol_id not in known:
        return [f"field protocol_id: value {protocol_id!r} is not a shipped protocol; accepted: "
                f"{', '.join(sorted(known))}"]
    if not hasattr(record, "arm"):
        return []
    arms, randomised = known[protocol_id]
    arm = getattr(record, "arm", None)
    if arm is None and not randomised and len(arms) > 1:
        return [f"field arm: value None: {protocol_id} is not randomised and has {len(arms)} arms; accepted: "
                f"{', '.join(arms)}"]
    if arm is not None and arm not in arms:
        return [f"field arm: value {arm!r} is not an arm of {protocol_id}; accepted: {', '.join(arms)}"
                + (" (or empty until randomised)" if randomised else "")]
    return []
