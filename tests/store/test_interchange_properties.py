"""Properties of the interchange format: any valid record survives export → import unchanged."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.records import Administration, LabResult, Patient
from lutetia.store.interchange import read_source, write_folder, write_json

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,15}", fullmatch=True)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def records(draw: st.DrawFn) -> list[object]:
    pid = draw(ids)
    patient = Patient(patient_id=pid, sex=draw(st.sampled_from(["male", "female", "unknown"])),
                      birth_year=draw(st.integers(1920, 1999)),
                      weight_kg=draw(st.none() | st.floats(30, 200, allow_nan=False)))
    labs = []
    for i, day in enumerate(draw(st.lists(days, min_size=0, max_size=5, unique=True))):
        # values within each analyte's plausible range (hand-picked, in the reported unit)
        analyte, unit, lo, hi = draw(st.sampled_from([
            ("psa", "ng/mL", 0.0, 1e4), ("creatinine", "mg/dL", 0.3, 15.0), ("platelets", "10^9/L", 1.0, 1000.0),
            ("haemoglobin", "g/dL", 5.0, 20.0), ("alt", "U/L", 1.0, 3000.0)]))
        value = draw(st.floats(lo, hi, allow_nan=False))
        labs.append(LabResult(patient_id=pid, analyte=analyte, sampled_on=day, value=value, unit=unit,
                              uln=draw(st.none() | st.floats(1, 1e6, allow_nan=False)), lab=f"lab {i}"))
    admins = []
    for cycle in range(1, draw(st.integers(0, 3)) + 1):
        at = datetime(2024, 1, 1, 9, tzinfo=UTC).astimezone(draw(offsets)) + timedelta(weeks=6 * cycle,
                                                                                        seconds=draw(st.integers(0, 86399)))
        activity = draw(st.floats(0.5, 12, allow_nan=False))
        admins.append(Administration(patient_id=pid, cycle=cycle, administered_at=at, activity_gbq=activity,
                                     residual_gbq=draw(st.floats(0, 0.4, allow_nan=False))))
    return [patient, *labs, *admins]


def _by_kind(recs: list[object]) -> dict[str, list[object]]:
    kinds = {Patient: "patients", LabResult: "labs", Administration: "administrations"}
    out: dict[str, list[object]] = {}
    for r in recs:
        out.setdefault(kinds[type(r)], []).append(r)
    return out


def _canonical(rec: object) -> str:
    """Type name + JSON dump: equal values, offsets and floats (tz classes may differ)."""
    return type(rec).__name__ + rec.model_dump_json()  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None)
@given(records())
def test_export_import_round_trip(recs: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(Path(tmp) / "csv", _by_kind(recs))  # type: ignore[arg-type]
        write_json(Path(tmp) / "x.json", _by_kind(recs))  # type: ignore[arg-type]
        for source in (Path(tmp) / "csv", Path(tmp) / "x.json"):
            parsed = read_source(source)
            assert parsed.problems == []
            assert sorted(map(_canonical, parsed.all_records())) == sorted(map(_canonical, recs))
