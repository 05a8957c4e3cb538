"""Base model and shared validators of the patient record.

Every record kind is a pydantic v2 model with ``extra="forbid"`` (an unknown column is an
error, never silently dropped).  Quantities carry their canonical unit in the field name
(``activity_gbq``, ``weight_kg``); importers convert at the boundary with
:mod:`lutetia.units`.  Times that matter (administrations, image acquisitions) are
timezone-aware ``datetime``; dates without a time are ``date``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PatientId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"),
]
"""Pseudonymous patient identifier: letters, digits, ``_ . -`` (no names, no spaces)."""

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


# Constraints are declared to pydantic (checked in its Rust core, fast on bulk imports):
# NaN and ±inf are refused everywhere a number is expected.
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=-100.0, le=100000.0)]


class RecordModel(BaseModel):
    """Base of every record kind: strict about unknown fields, immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def day_of(value: date | datetime) -> date:
    """The calendar date of a date or (aware) datetime, in the datetime's own offset."""
    return value.date() if isinstance(value, datetime) else value
