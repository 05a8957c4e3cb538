"""Rows of a ``grade`` CSV validated like an import: every problem of every row, in the
import's message format (``<file>: row N: field F: value V …; accepted: …``), numbers and
dates by the same rules (:mod:`lutetia.store.interchange_checks`), plausibility by the same
limits (:mod:`lutetia.records.plausibility`), units shown as people write them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lutetia.assess.ctcae import LabValue, Term, ctcae_terms, find_term
from lutetia.errors import UnitError
from lutetia.records.clinical import ANALYTES, Analyte
from lutetia.records.plausibility import Finding, limits
from lutetia.store.interchange_checks import iso_date, plain_number
from lutetia.units import display_unit, to_unit

_INDICATORS = ("LOW", "NORMAL", "HIGH")


def lab_value_from_row(path: Path, n: int, rec: dict[str, str], ctcae: str
                       ) -> tuple[LabValue | None, list[str], list[str]]:
    """(value to grade, problems that refuse the file, notes on rows that cannot be graded)."""
    where = f"{path}: row {n}"
    problems: list[str] = []
    nums: dict[str, float | None] = {}
    for col in ("value", "lln", "uln", "baseline"):
        raw = rec.get(col, "")
        if raw == "":
            nums[col] = None
            if col == "value":
                problems.append(f"{where}: field value: missing; accepted: a number")
            continue
        nums[col] = plain_number(raw)
        if nums[col] is None:
            problems.append(f"{where}: field {col}: value {raw!r} is not a number; accepted: a finite number "
                            "written with ASCII digits and a decimal point '.'")
        elif nums[col] < 0 and col != "baseline":  # type: ignore[operator]
            problems.append(f"{where}: field {col}: value {raw!r} is negative; accepted: a value ≥ 0")
    day = iso_date(rec.get("date", ""))
    if day is None:
        problems.append(f"{where}: field date: value {rec.get('date', '')!r} is not a date; accepted: a date "
                        "YYYY-MM-DD")
    indicator = rec.get("baseline_indicator", "").upper() or None
    if indicator is not None and indicator not in _INDICATORS:
        problems.append(f"{where}: field baseline_indicator: value {rec['baseline_indicator']!r}; accepted: "
                        f"{', '.join(_INDICATORS)}")
    notes: list[str] = []
    term = find_term(rec.get("term", ""), ctcae)
    unit = rec.get("unit") or None
    if term is None:
        names = ", ".join(t.term for t in ctcae_terms(ctcae))
        notes.append(f"{where}: field term: value {rec.get('term', '')!r} is not a gradable CTCAE {ctcae} "
                     f"laboratory term (not graded); accepted: {names}")
    elif unit is not None and nums.get("value") is not None and nums["value"] >= 0:  # type: ignore[operator]
        finding = _plausibility(term, float(nums["value"]), unit)  # type: ignore[arg-type]
        if isinstance(finding, str):
            notes.append(f"{where}: field unit: value {unit!r} {finding} (not graded)")
        elif finding is not None and finding.severity == "hard":
            problems.append(f"{where}: {finding.text()}")
        elif finding is not None:
            notes.append(f"{where}: {finding.text()}")
    if problems:
        return None, problems, notes
    lab = LabValue(term=rec.get("term", ""), value=nums["value"], unit=unit, lln=nums["lln"], uln=nums["uln"],
                   baseline=nums["baseline"], baseline_indicator=indicator, date=day)  # type: ignore[arg-type]
    return lab, [], notes


def _plausibility(term: Term, value: float, unit: str) -> Finding | str | None:
    """The value against its analyte's limits; a text when the unit fits none of them."""
    for analyte in _analytes(term):
        spec = ANALYTES[analyte]
        try:
            canonical = to_unit(value, unit, spec.canonical_unit, analyte=spec.molar_name)
        except UnitError:
            continue
        lim = limits().lab.get(analyte)
        if lim is None:
            return None
        sev = lim.severity(canonical)
        if sev is None:
            return None
        return Finding(sev, f"value ({analyte.value})", canonical, lim.unit,
                       lim.hard if sev == "hard" else lim.soft, lim.source)
    accepted = " or ".join(display_unit(u) for u in term.units)
    return f"does not convert to {accepted}; accepted: a unit of {accepted}"


def _analytes(term: Term) -> list[Analyte]:
    """Analytes a CTCAE term grades (``ctcae5.ckd`` grades eGFR or creatinine clearance)."""
    names: list[Any] = [term.analyte] if term.analyte else [term.id.rsplit(".", 1)[-1]]
    if names == ["ckd"]:
        names = ["egfr", "crcl"]
    if names == ["anemia"]:
        names = ["haemoglobin"]
    known = {a.value: a for a in Analyte}
    return [known[n] for n in names if n in known]
