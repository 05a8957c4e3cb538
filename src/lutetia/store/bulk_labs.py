"""Column-wise fast path for large laboratory imports.

Validating a million lab rows one pydantic model at a time costs ~10 µs a row.  This path
checks the ``labs.csv`` columns with NumPy and per-unique-value checks instead, and
*accepts only what the record model accepts with the same stored values*: a value that
is not in the plain canonical form (a date that is not ``YYYY-MM-DD``, a number with
``_`` or spaces, a time of sampling, surrounding white space…) makes it step aside, and
the row-by-row validator runs with its exact messages.  A property test checks that both
paths agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from lutetia.records import ANALYTES, Analyte, LabResult
from lutetia.records.plausibility import limits
from lutetia.store.interchange_checks import PLAIN_NUMBER
from lutetia.units import is_compatible, to_unit

# ASCII only: ``\d`` alone also matches Arabic-Indic and other Unicode digits, which
# ``float()`` reads but the row validator refuses (the two paths must agree).
_NUMBER = PLAIN_NUMBER
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_PID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\Z", re.ASCII)
_COLUMNS = ("patient_id", "analyte", "sampled_on", "sampled_at", "value", "unit", "lln", "uln", "lab")
_ANALYTES = {a.value for a in Analyte}


@dataclass(frozen=True)
class LabColumns:
    """Validated lab rows as columns (values as reported, like :class:`LabResult`)."""

    patient_id: list[str]
    analyte: list[str]
    sampled_on: list[str]
    value: npt.NDArray[np.float64]
    unit: list[str]
    lln: npt.NDArray[np.float64]
    uln: npt.NDArray[np.float64]
    lab: list[str | None]

    def __len__(self) -> int:
        return len(self.patient_id)

    def keys(self) -> list[str]:
        """Natural keys, the same text as :func:`lutetia.store.schema.natural_key` gives."""
        return [f'["{p}","{a}","{d}",null]' for p, a, d in zip(self.patient_id, self.analyte, self.sampled_on,
                                                              strict=True)]

    def days(self) -> npt.NDArray[np.datetime64]:
        return np.array(self.sampled_on, dtype="datetime64[D]")

    def record(self, i: int) -> LabResult:
        """Row ``i`` as a record (already validated: built without re-validation)."""
        return LabResult.model_construct(
            patient_id=self.patient_id[i], analyte=Analyte(self.analyte[i]),
            sampled_on=date.fromisoformat(self.sampled_on[i]), sampled_at=None, value=float(self.value[i]),
            unit=self.unit[i], lln=_opt(self.lln[i]), uln=_opt(self.uln[i]), lab=self.lab[i])

    def records(self) -> Iterator[LabResult]:
        for i in range(len(self)):
            yield self.record(i)


def _opt(x: np.float64) -> float | None:
    return None if np.isnan(x) else float(x)


def _numbers(cells: Sequence[str], optional: bool) -> npt.NDArray[np.float64] | None:
    uniq = set(cells)
    for c in uniq:
        if c == "" and optional:
            continue
        if not _NUMBER.match(c):
            return None
    arr = np.array([c if c else "nan" for c in cells], dtype=np.float64)
    if not np.all(np.isfinite(arr) | (np.isnan(arr) & optional)):
        return None
    return arr


def fast_labs(header: Sequence[str], rows: Sequence[Sequence[str]]) -> LabColumns | None:
    """Columns of ``rows`` when every cell is in the plain canonical form and valid; None to
    ask for the row-by-row validator (which then reports every problem precisely)."""
    if any(h not in _COLUMNS for h in header) or len(set(header)) != len(header):
        return None
    for required in ("patient_id", "analyte", "sampled_on", "value", "unit"):
        if required not in header:
            return None
    if not rows or any(len(r) != len(header) for r in rows):
        return None
    cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
    empty = [""] * len(rows)
    if any(cols.get("sampled_at", empty)):
        return None
    pids, analytes, days, units = cols["patient_id"], cols["analyte"], cols["sampled_on"], cols["unit"]
    if not all(_PID.match(p) for p in set(pids)) or not set(analytes) <= _ANALYTES:
        return None
    uniq_days = set(days)
    if not all(_DATE.match(d) for d in uniq_days):
        return None
    try:
        np.array(sorted(uniq_days), dtype="datetime64[D]")
        for d in uniq_days:
            date.fromisoformat(d)
    except ValueError:
        return None
    for analyte, unit in set(zip(analytes, units, strict=True)):
        spec = ANALYTES[Analyte(analyte)]
        if not unit or unit != unit.strip() or len(unit) > 200 or not is_compatible(
                unit, spec.canonical_unit, analyte=spec.molar_name):
            return None
    value = _numbers(cols["value"], optional=False)
    lln = _numbers(cols.get("lln", empty), optional=True)
    uln = _numbers(cols.get("uln", empty), optional=True)
    if value is None or lln is None or uln is None:
        return None
    non_temperature = np.array([a != "temperature" for a in analytes])
    if np.any((value < 0) & non_temperature) or np.any(lln > uln):
        return None
    if not _all_plausible(analytes, units, value):
        return None  # the row validator refuses (hard) or warns (soft) with the row number
    labs = cols.get("lab", empty)
    if any(x != x.strip() or len(x) > 200 for x in set(labs)):
        return None
    return LabColumns(pids, analytes, days, value, units, lln, uln, [x or None for x in labs])


def _all_plausible(analytes: Sequence[str], units: Sequence[str], value: npt.NDArray[np.float64]) -> bool:
    """True when every value lies within its analyte's soft plausibility range
    (:mod:`lutetia.records.plausibility`), compared in the canonical unit."""
    table = limits().lab
    pairs = np.array([f"{a}\x1f{u}" for a, u in zip(analytes, units, strict=True)])
    for pair in set(pairs.tolist()):
        analyte, unit = pair.split("\x1f")
        lim = table.get(Analyte(analyte))
        if lim is None:
            continue
        spec = ANALYTES[Analyte(analyte)]
        offset = to_unit(0.0, unit, spec.canonical_unit, analyte=spec.molar_name)
        scale = to_unit(1.0, unit, spec.canonical_unit, analyte=spec.molar_name) - offset
        canonical = offset + scale * value[pairs == pair]
        if np.any(canonical < lim.soft[0]) or np.any(canonical > lim.soft[1]):
            return False
    return True


def lab_date_problems(cols: LabColumns, born: dict[str, date], died: dict[str, date]) -> list[str]:
    """Rows sampled before birth or after death, as :func:`lutetia.records.record_problems`
    words them (vectorised over rows)."""
    days = cols.days()
    birth = np.array([born[p] for p in cols.patient_id], dtype="datetime64[D]")
    far = np.datetime64("9999-12-31")
    death = np.array([died.get(p, far) for p in cols.patient_id], dtype="datetime64[D]")
    out: list[str] = []
    for i in np.flatnonzero((days < birth) | (days > death)):
        label = f"labs {{'patient_id': {cols.patient_id[i]!r}, 'analyte': {cols.analyte[i]!r}, " \
                f"'sampled_on': {cols.sampled_on[i]!r}, 'sampled_at': None}}"
        when = cols.sampled_on[i]
        pid = cols.patient_id[i]
        if days[i] < birth[i]:
            out.append(f"patient {pid}: {label}: field sampled_on = {when} is before birth ({born[pid]})")
        else:
            out.append(f"patient {pid}: {label}: field sampled_on = {when} is after death ({died[pid]})")
    return out
