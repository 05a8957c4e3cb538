"""The interchange format: a folder of CSV files, or one JSON file, with the same columns.

One CSV file per record kind (``patients.csv``, ``labs.csv``...; see ``docs/interchange.md``).
Columns are the record's fields, except that each quantity field is written as a value
column and a unit column (``activity_gbq`` → ``activity``, ``activity_unit``); any unit of
the right dimension is accepted on import and converted to the canonical unit, and export
writes the canonical unit.  The JSON form is ``{"format": "lutetia-interchange",
"version": 1, "<kind>": [ {column: value, ...}, ... ]}``.

Reading validates every row and collects *every* problem (file, row, field, value, what is
accepted) before anything is written.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lutetia.errors import UnitError
from lutetia.records import KINDS, KindSpec, RecordModel
from lutetia.records.cells import neutralise
from lutetia.records.plausibility import record_findings
from lutetia.store.bulk_labs import LabColumns
from lutetia.store.interchange_checks import (
    ProtocolArms,
    cell_problems,
    key_problems,
    plain_number,
    protocol_problems,
)
from lutetia.units import to_unit

FORMAT_NAME = "lutetia-interchange"
FORMAT_VERSION = 1


def columns(spec: KindSpec) -> list[str]:
    """Interchange columns of a kind, in order."""
    out: list[str] = []
    for name in spec.model.model_fields:
        if name in spec.quantities:
            base = spec.column_base(name)
            out += [base, f"{base}_unit"]
        else:
            out.append(name)
    return out


@dataclass
class Parsed:
    """Records read from an interchange source, and every problem found."""

    records: list[RecordModel] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: soft plausibility findings (accepted; shown and recorded by the caller)
    warnings: list[str] = field(default_factory=list)
    bulk_labs: list[LabColumns] = field(default_factory=list)

    def all_records(self) -> list[RecordModel]:
        """Every record, the column-wise lab rows included (built on demand)."""
        return [*self.records, *(r for cols in self.bulk_labs for r in cols.records())]


def _accepted(err: Mapping[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return f"; accepted: {ctx['expected']}"
    kind = err.get("type", "")
    hints = {
        "date_from_datetime_parsing": "a date YYYY-MM-DD",
        "date_parsing": "a date YYYY-MM-DD",
        "datetime_from_date_parsing": "a date-time with offset, e.g. 2024-03-01T09:30:00+01:00",
        "timezone_aware": "a date-time with a UTC offset, e.g. 2024-03-01T09:30:00+01:00",
        "datetime_parsing": "a date-time with offset, e.g. 2024-03-01T09:30:00+01:00",
        "float_parsing": "a number",
        "int_parsing": "a whole number",
        "bool_parsing": "true/false",
        "missing": "a value (the field is required)",
        "extra_forbidden": "only the documented columns",
    }
    return f"; accepted: {hints[kind]}" if kind in hints else ""


def parse_rows(
    spec: KindSpec,
    rows: Iterable[Mapping[str, Any]],
    source: str,
    first_row: int = 2,
    *,
    header_checked: bool = False,
    protocols: ProtocolArms | None = None,
) -> Parsed:
    """Validate raw rows of one kind (CSV strings or JSON values); ``protocols`` (shipped
    protocol ids and arms) checks enrolments and criterion answers when given."""
    out = Parsed()
    known = set(columns(spec))
    validate = spec.model.model_validate
    qty_cols = {spec.column_base(f): (f, u) for f, u in spec.quantities.items()}
    skip = {f"{c}_unit" for c in qty_cols}
    records, problems = out.records, out.problems
    n = first_row - 1
    for n, raw in enumerate(rows, start=first_row):
        if not header_checked:
            unknown = [c for c in raw if c not in known and c]
            if unknown:
                problems.append(f"{source}: row {n}: unknown column(s) {unknown}; accepted: {sorted(known)}")
                continue
        data = {c: v for c, v in raw.items() if v is not None and v != "" and c not in skip}
        where = f"{source}: row {n}"
        if qty_cols and not _convert_quantities(data, raw, qty_cols, where, problems):
            continue
        bad = cell_problems(spec, data)
        if bad:
            problems.extend(f"{where}: {p}" for p in bad)
            continue
        try:
            record = validate(data)
        except ValidationError as exc:
            _report(spec, exc, data, where, problems)
            continue
        bad = key_problems(spec, record) + protocol_problems(record, protocols)
        findings = record_findings(record)
        bad += [f.text() for f in findings if f.severity == "hard"]
        if bad:
            problems.extend(f"{where}: {p}" for p in bad)
            continue
        out.warnings.extend(f"{where}: {f.text()}" for f in findings if f.severity == "soft")
        records.append(record)
    out.counts[spec.name] = max(0, n - first_row + 1)
    return out


def _convert_quantities(
    data: dict[str, Any],
    raw: Mapping[str, Any],
    qty_cols: Mapping[str, tuple[str, str]],
    where: str,
    problems: list[str],
) -> bool:
    """Replace ``<base>``/``<base>_unit`` pairs by the canonical field; False on a problem."""
    ok = True
    for col, (fname, canonical) in qty_cols.items():
        if col not in data:
            continue
        value = data.pop(col)
        unit = raw.get(f"{col}_unit")
        if unit in (None, ""):
            problems.append(f"{where}: field {col}_unit: missing unit for value {value!r}; "
                            f"accepted: a unit convertible to {canonical}")
            ok = False
            continue
        try:
            number = float(value) if not isinstance(value, str) else plain_number(value)
            if number is None or isinstance(value, bool) or not math.isfinite(number):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{where}: field {col}: value {value!r} is not a number")
            ok = False
            continue
        try:
            data[fname] = number if unit == canonical else to_unit(number, str(unit), canonical)
        except UnitError as exc:
            problems.append(f"{where}: field {col}_unit: value {unit!r}: {exc}; accepted: a unit "
                            f"convertible to {canonical}")
            ok = False
    return ok


def _report(spec: KindSpec, exc: ValidationError, data: Mapping[str, Any], where: str, problems: list[str]) -> None:
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(row)"
        col = spec.column_base(loc) if loc in spec.quantities else loc
        value = data.get(loc, err.get("input")) if loc != "(row)" else None
        msg = str(err["msg"]).removeprefix("Value error, ")
        shown = f" value {value!r}:" if loc != "(row)" and not isinstance(value, dict) else ""
        problems.append(f"{where}: field {col}:{shown} {msg}{_accepted(err)}")


def read_source(path: Path, *, protocols: ProtocolArms | None = None) -> Parsed:
    """Read a CSV folder or a JSON file; never raises for bad content (see ``problems``
    and :mod:`lutetia.store.interchange_files` for the file-level checks)."""
    from lutetia.store.interchange_files import read_folder, read_json

    if path.is_dir():
        return read_folder(path, protocols)
    if path.suffix.lower() == ".json" and path.is_file():
        return read_json(path, protocols)
    return Parsed(problems=[f"{path}: not a folder of CSV files nor a .json file"])


def merge(total: Parsed, part: Parsed) -> None:
    """Add ``part``'s records, column-wise labs, problems and counts to ``total``."""
    total.records.extend(part.records)
    total.bulk_labs.extend(part.bulk_labs)
    total.problems.extend(part.problems)
    total.warnings.extend(part.warnings)
    for k, v in part.counts.items():
        total.counts[k] = total.counts.get(k, 0) + v


# ---------------------------------------------------------------------- writing
def _cell(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_rows(spec: KindSpec, records: Iterable[RecordModel]) -> Iterator[dict[str, Any]]:
    """Interchange rows (JSON-ready values) of records of one kind."""
    for rec in records:
        row: dict[str, Any] = {}
        for name in spec.model.model_fields:
            value = getattr(rec, name)
            if name in spec.quantities:
                base = spec.column_base(name)
                row[base] = value
                row[f"{base}_unit"] = spec.quantities[name] if value is not None else None
            else:
                row[name] = _cell(value)
        yield row


def _csv_text(value: Any) -> str:
    """A cell of an exported CSV; text that a spreadsheet would run as a formula is
    neutralised (:mod:`lutetia.records.cells`; reversed on import)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return neutralise(str(value))


def write_folder(path: Path, by_kind: Mapping[str, Iterable[RecordModel]]) -> dict[str, int]:
    """Write one CSV per kind (every kind, header only when empty)."""
    path.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for kind, spec in KINDS.items():
        cols = columns(spec)
        with (path / f"{kind}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(cols)
            n = 0
            for row in export_rows(spec, by_kind.get(kind, [])):
                writer.writerow([_csv_text(row[c]) for c in cols])
                n += 1
        counts[kind] = n
    return counts


def write_json(path: Path, by_kind: Mapping[str, Iterable[RecordModel]]) -> dict[str, int]:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    counts: dict[str, int] = {}
    for kind, spec in KINDS.items():
        rows = [{k: v for k, v in r.items() if v is not None} for r in export_rows(spec, by_kind.get(kind, []))]
        doc[kind] = rows
        counts[kind] = len(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return counts
