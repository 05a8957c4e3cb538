"""Column-wise fast path for large laboratory imports.

Validating a million lab rows one pydantic model at a time costs ~10 µs a row.  This path
checks the ``labs.csv`` columns as Arrow arrays (vectorised regular expressions, casts and
per-unique-value checks) instead, and *accepts only what the record model accepts with the
same stored values*: a value that is not in the plain canonical form (a date that is not
``YYYY-MM-DD``, a number with ``_`` or spaces, a time of sampling, surrounding white
space…) makes it step aside, and the row-by-row validator runs with its exact messages.
A property test checks that both paths agree.

Validated rows are kept as a compact Arrow table (typed columns, ~70 bytes a row instead of
~500 for Python strings and records), so that ten million rows fit in memory while every
row is checked before the first one is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lutetia.records import ANALYTES, Analyte, LabResult
from lutetia.records.plausibility import limits
from lutetia.units import is_compatible, to_unit

# ASCII only: ``\d`` alone also matches Arabic-Indic and other Unicode digits, which
# ``float()`` reads but the row validator refuses (the two paths must agree).
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_PID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\Z", re.ASCII)
#: :data:`lutetia.store.interchange_checks.PLAIN_NUMBER` in RE2 syntax (Arrow's regex engine;
#: ``$`` is the end of the text there, not before a final newline).
_NUMBER_RE2 = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
COLUMNS = ("patient_id", "analyte", "sampled_on", "sampled_at", "value", "unit", "lln", "uln", "lab")
REQUIRED = ("patient_id", "analyte", "sampled_on", "value", "unit")
_ANALYTES = {a.value for a in Analyte}
#: Arrow schema of validated lab rows (values as reported, like :class:`LabResult`).
SCHEMA = pa.schema([("patient_id", pa.string()), ("analyte", pa.string()), ("sampled_on", pa.date32()),
                    ("value", pa.float64()), ("unit", pa.string()), ("lln", pa.float64()),
                    ("uln", pa.float64()), ("lab", pa.string())])


@dataclass(frozen=True)
class LabColumns:
    """Validated lab rows as an Arrow table of :data:`SCHEMA` (``sampled_at`` is always empty)."""

    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def patient_ids(self) -> set[str]:
        """The distinct patient ids."""
        return {str(p) for p in pc.unique(self.table.column("patient_id")).to_pylist()}

    def key_array(self, table: pa.Table | pa.RecordBatch | None = None) -> pa.Array | pa.ChunkedArray:
        """Natural keys as Arrow strings, the same text as :func:`lutetia.store.schema.natural_key`
        gives (patient ids, analytes and ISO dates need no JSON escaping)."""
        t = self.table if table is None else table
        return pc.binary_join_element_wise('["', t.column("patient_id"), '","', t.column("analyte"), '","',
                                           pc.cast(t.column("sampled_on"), pa.string()), '",null]', "")

    def keys(self) -> list[str]:
        """Natural keys, the same text as :func:`lutetia.store.schema.natural_key` gives."""
        return [str(k) for k in self.key_array().to_pylist()]

    def records(self) -> Iterator[LabResult]:
        """Every row as a record (already validated: built without re-validation)."""
        for batch in self.table.to_batches(max_chunksize=65_536):
            for row in batch.to_pylist():
                yield LabResult.model_construct(
                    patient_id=row["patient_id"], analyte=Analyte(row["analyte"]), sampled_on=row["sampled_on"],
                    sampled_at=None, value=row["value"], unit=row["unit"], lln=row["lln"], uln=row["uln"],
                    lab=row["lab"])

    def record(self, i: int) -> LabResult:
        """Row ``i`` as a record."""
        return next(LabColumns(self.table.slice(i, 1)).records())

    @staticmethod
    def concat(parts: Sequence[LabColumns]) -> LabColumns:
        return LabColumns(pa.concat_tables([p.table for p in parts]) if parts else SCHEMA.empty_table())


def header_fits(header: Sequence[str]) -> bool:
    """Whether a ``labs.csv`` header can take the column-wise path."""
    return (all(h in COLUMNS for h in header) and len(set(header)) == len(header)
            and all(r in header for r in REQUIRED))


def fast_labs(header: Sequence[str], rows: Sequence[Sequence[str]]) -> LabColumns | None:
    """Columns of ``rows`` when every cell is in the plain canonical form and valid; None to
    ask for the row-by-row validator (which then reports every problem precisely)."""
    if not header_fits(header) or not rows or any(len(r) != len(header) for r in rows):
        return None
    raw = pa.table({h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(header)})
    return fast_chunk(raw)


def _uniques(col: pa.Array | pa.ChunkedArray) -> list[str]:
    return [str(x) for x in pc.unique(col).to_pylist()]


def _numbers(col: pa.ChunkedArray | pa.Array, optional: bool) -> pa.Array | pa.ChunkedArray | None:
    """``col`` (text) as finite float64 (empty → null when ``optional``), or None."""
    empty = pc.equal(col, "")
    if optional:
        plain = pc.or_(empty, pc.match_substring_regex(col, _NUMBER_RE2))
    else:
        plain = pc.match_substring_regex(col, _NUMBER_RE2)
    if not pc.all(plain).as_py():
        return None
    numbers = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), col), pa.float64())
    if not pc.all(pc.fill_null(pc.is_finite(numbers), True)).as_py():
        return None  # 1e999 reads as inf
    return numbers


def fast_chunk(raw: pa.Table) -> LabColumns | None:
    """Validate a table of text cells (columns named by a ``labs.csv`` header); the rows as
    :class:`LabColumns` when every one takes the fast path, else None."""
    n = raw.num_rows
    cols = {h: raw.column(h) for h in raw.column_names}
    if n == 0 or not header_fits(raw.column_names):
        return None
    if "sampled_at" in cols and _uniques(cols["sampled_at"]) != [""]:
        return None
    if not all(_PID.match(p) for p in _uniques(cols["patient_id"])):
        return None
    if not set(_uniques(cols["analyte"])) <= _ANALYTES:
        return None
    days = _uniques(cols["sampled_on"])
    try:
        if not all(_DATE.match(d) for d in days) or not all(date.fromisoformat(d) for d in days):
            return None
    except ValueError:
        return None
    pairs = pc.binary_join_element_wise(cols["analyte"], cols["unit"], "\x1f")
    for pair in _uniques(pairs):
        analyte, unit = pair.split("\x1f")
        spec = ANALYTES[Analyte(analyte)]
        if not unit or unit != unit.strip() or len(unit) > 200 or not is_compatible(
                unit, spec.canonical_unit, analyte=spec.molar_name):
            return None
    empty = pa.array([""] * n, pa.string())
    value = _numbers(cols["value"], optional=False)
    lln = _numbers(cols.get("lln", empty), optional=True)
    uln = _numbers(cols.get("uln", empty), optional=True)
    if value is None or lln is None or uln is None:
        return None
    negative = pc.and_(pc.less(value, 0.0), pc.not_equal(cols["analyte"], "temperature"))
    if pc.any(negative).as_py() or pc.any(pc.fill_null(pc.greater(lln, uln), False)).as_py():
        return None
    if not _all_plausible(pairs, np.asarray(value.to_numpy())):
        return None  # the row validator refuses (hard) or warns (soft) with the row number
    labs = cols.get("lab", empty)
    if any(x != x.strip() or len(x) > 200 or "\x00" in x or x[:1] == "'" for x in _uniques(labs)):
        return None
    table = pa.table([cols["patient_id"], cols["analyte"], pc.cast(cols["sampled_on"], pa.date32()), value,
                      cols["unit"], lln, uln, pc.if_else(pc.equal(labs, ""), pa.scalar(None, pa.string()), labs)],
                     schema=SCHEMA)
    return LabColumns(table)


def _all_plausible(pairs: pa.Array | pa.ChunkedArray, value: npt.NDArray[np.float64]) -> bool:
    """True when every value lies within its analyte's soft plausibility range
    (:mod:`lutetia.records.plausibility`), compared in the canonical unit."""
    table = limits().lab
    uniq = _uniques(pairs)
    codes = np.asarray(pc.index_in(pairs, value_set=pa.array(uniq, pa.string())).to_numpy())
    for code, pair in enumerate(uniq):
        analyte, unit = pair.split("\x1f")
        lim = table.get(Analyte(analyte))
        if lim is None:
            continue
        spec = ANALYTES[Analyte(analyte)]
        offset = to_unit(0.0, unit, spec.canonical_unit, analyte=spec.molar_name)
        scale = to_unit(1.0, unit, spec.canonical_unit, analyte=spec.molar_name) - offset
        canonical = offset + scale * value[codes == code]
        if np.any(canonical < lim.soft[0]) or np.any(canonical > lim.soft[1]):
            return False
    return True


def lab_date_problems(cols: LabColumns, born: dict[str, date], died: dict[str, date]) -> list[str]:
    """Rows sampled before birth or after death, as :func:`lutetia.records.record_problems`
    words them (vectorised over rows)."""
    pids = sorted(born)
    far = np.datetime64("9999-12-31")
    birth_of = np.array([born[p] for p in pids], dtype="datetime64[D]").astype(np.int64)  # days since 1970
    death_of = np.array([died.get(p, far) for p in pids], dtype="datetime64[D]").astype(np.int64)
    out: list[str] = []
    for batch in cols.table.to_batches(max_chunksize=1 << 20):
        idx = np.asarray(pc.index_in(batch.column("patient_id"), value_set=pa.array(pids, pa.string()))
                         .to_numpy(zero_copy_only=False))
        days = np.asarray(pc.cast(batch.column("sampled_on"), pa.int32()).to_numpy()).astype(np.int64)
        birth, death = birth_of[idx], death_of[idx]
        for i in np.flatnonzero((days < birth) | (days > death)):
            pid, analyte, when = (str(batch.column(c)[i].as_py()) for c in ("patient_id", "analyte", "sampled_on"))
            label = f"labs {{'patient_id': {pid!r}, 'analyte': {analyte!r}, 'sampled_on': {when!r}, 'sampled_at': None}}"
            if days[i] < birth[i]:
                out.append(f"patient {pid}: {label}: field sampled_on = {when} is before birth ({born[pid]})")
            else:
                out.append(f"patient {pid}: {label}: field sampled_on = {when} is after death ({died[pid]})")
    return out


_NAMES = ("natural_key", "version", "audit_id", "patient_id", "analyte", "sampled_on", "value", "unit", "lln", "uln",
          "lab")
#: Rows handed to the driver at a time (bounds the Python objects alive during the insert).
INSERT_CHUNK = 50_000


def insert_lab_columns(conn: Any, cols: LabColumns, audit_id: int) -> None:
    """Insert validated lab rows in chunks: SQLite through the driver's ``executemany``,
    PostgreSQL with ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``), in the caller's
    transaction ``conn`` (a SQLAlchemy connection)."""
    from pyarrow import csv as pacsv

    dialect = conn.dialect.name
    cursor = conn.connection.driver_connection.cursor()
    try:
        if dialect == "postgresql":
            options = pacsv.WriteOptions(include_header=False, batch_size=INSERT_CHUNK)
            with cursor.copy(f"COPY labs ({', '.join(_NAMES)}) FROM STDIN (FORMAT csv)") as copy:
                for batch in cols.table.to_batches(max_chunksize=INSERT_CHUNK):
                    sink = pa.BufferOutputStream()
                    pacsv.write_csv(_with_keys(cols, batch, audit_id), sink, options)
                    copy.write(memoryview(sink.getvalue()))
            return
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO labs ({', '.join(_NAMES)}) VALUES ({', '.join([mark] * len(_NAMES))})"
        for batch in cols.table.to_batches(max_chunksize=INSERT_CHUNK):
            t = _with_keys(cols, batch, audit_id, days_as_text=dialect == "sqlite")
            cursor.executemany(sql, zip(*(t.column(c).to_pylist() for c in _NAMES), strict=True))
    finally:
        cursor.close()


def _with_keys(cols: LabColumns, batch: pa.RecordBatch, audit_id: int, days_as_text: bool = False) -> pa.Table:
    n = batch.num_rows
    days = pc.cast(batch.column("sampled_on"), pa.string()) if days_as_text else batch.column("sampled_on")
    return pa.table({"natural_key": cols.key_array(batch), "version": pa.array(np.ones(n, np.int32)),
                     "audit_id": pa.array(np.full(n, audit_id, np.int64)), "patient_id": batch.column("patient_id"),
                     "analyte": batch.column("analyte"), "sampled_on": days, "value": batch.column("value"),
                     "unit": batch.column("unit"), "lln": batch.column("lln"), "uln": batch.column("uln"),
                     "lab": batch.column("lab")})


def _key_codes(cols: LabColumns) -> npt.NDArray[np.int64]:
    """Each row's natural key as one integer: (patient index << 29) | (analyte index << 23) |
    (days since 1970 + 2**22) — injective for every date of years 1..9999."""
    pids = pc.unique(cols.table.column("patient_id"))
    analytes = pa.array(sorted(_ANALYTES), pa.string())
    out = np.empty(len(cols), np.int64)
    start = 0
    for batch in cols.table.to_batches(max_chunksize=1 << 20):
        p = np.asarray(pc.index_in(batch.column("patient_id"), value_set=pids).to_numpy(), np.int64)
        a = np.asarray(pc.index_in(batch.column("analyte"), value_set=analytes).to_numpy(), np.int64)
        d = np.asarray(pc.cast(batch.column("sampled_on"), pa.int32()).to_numpy(), np.int64) + (1 << 22)
        out[start:start + batch.num_rows] = (p << 29) | (a << 23) | d
        start += batch.num_rows
    return out


def bulk_duplicates(bulk: Sequence[LabColumns], other: set[str]) -> list[str]:
    """Keys of column-wise lab rows that occur twice in the input (among themselves or with
    the row-by-row lab keys ``other``), one line per extra occurrence.  Keys are compared as
    integers (:func:`_key_codes`, 8 bytes a row) rather than as text."""
    if not bulk:
        return []
    cols = LabColumns.concat(bulk)
    codes = _key_codes(cols)
    ordered = np.sort(codes)
    repeated, extra = np.unique(ordered[1:][ordered[1:] == ordered[:-1]], return_counts=True)
    out: list[str] = []
    if len(repeated):
        rows = np.flatnonzero(np.isin(codes, repeated))
        text = dict(zip(codes[rows].tolist(), cols.key_array(cols.table.take(pa.array(rows))).to_pylist(),
                        strict=True))
        out += [f"labs {text[c]}: appears twice in the input" for c, k in zip(repeated.tolist(), extra.tolist(),
                                                                               strict=True) for _ in range(k)]
    if other:
        known = pa.array(sorted(other), pa.string())
        for batch in cols.table.to_batches(max_chunksize=1 << 20):
            keys = cols.key_array(batch)
            out += [f"labs {k}: appears twice in the input"
                    for k in keys.filter(pc.is_in(keys, value_set=known)).to_pylist()]
    return out
