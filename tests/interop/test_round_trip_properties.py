"""Properties: any lab value survives FHIR and REDCap flat CSV exactly (value, unit, range, date),
and any administration time survives REDCap in any project time zone."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.interop.fhir import lab_bundle, read_lab_bundle
from lutetia.interop.redcap_flat import export_flat, read_flat
from lutetia.protocols import load_protocol
from lutetia.records import Administration, Enrolment, LabResult, Patient, build_record

#: (analyte, unit, lowest, highest): values inside the hard plausibility limits of
#: lutetia/records/plausibility.toml (an implausible value is refused on import, by design).
ANALYTES = [("haemoglobin", "g/dL", 1.0, 26.0), ("platelets", "10^9/L", 0.0, 5000.0), ("psa", "ng/mL", 0.0, 1e4),
            ("creatinine", "mg/dL", 0.2, 20.0), ("alt", "U/L", 0.0, 5000.0)]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def labs(draw: st.DrawFn) -> LabResult:
    analyte, unit, lo, hi = draw(st.sampled_from(ANALYTES))
    value = draw(st.floats(min_value=lo, max_value=hi, allow_nan=False))
    lln = draw(st.none() | st.floats(min_value=0.0, max_value=value, allow_nan=False))
    uln = draw(st.none() | st.floats(min_value=value, max_value=2 * hi, allow_nan=False))
    return LabResult(patient_id="P-1", analyte=analyte, sampled_on=draw(days), value=value, unit=unit, lln=lln, uln=uln)


@settings(max_examples=60, deadline=None)
@given(st.lists(labs(), min_size=1, max_size=5, unique_by=lambda x: (x.analyte, x.sampled_on)))
def test_labs_through_fhir_are_exact(items: list[LabResult]) -> None:
    parsed = read_lab_bundle(lab_bundle(items, "P-1").model_dump_json(exclude_none=True), "P-1")
    assert parsed.problems == [] and parsed.records == items


@settings(max_examples=25, deadline=None)
@given(st.lists(labs(), min_size=1, max_size=4, unique_by=lambda x: (x.analyte, x.sampled_on)),
       st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2039, 1, 1)).map(
           lambda d: d.replace(microsecond=0, tzinfo=UTC)),
       st.sampled_from(["UTC", "Europe/Zurich", "America/New_York", "Asia/Kolkata"]))
def test_labs_and_dose_times_through_redcap_are_exact(items: list[LabResult], at: datetime, tz: str) -> None:
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    if local.replace(tzinfo=None).replace(tzinfo=zone).astimezone(UTC) != at:  # a time in a DST fold or gap
        at += timedelta(hours=3)
    proto = load_protocol("prodigy-2")
    rec = build_record(Patient(patient_id="P-1", sex="male", birth_year=1950), {
        "labs": items, "enrolments": [Enrolment(patient_id="P-1", protocol_id=proto.id, arm="fixed",
                                                enrolled_on=date(2000, 1, 1))],
        "administrations": [Administration(patient_id="P-1", cycle=1, administered_at=at, activity_gbq=7.4)]})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flat.csv"
        export_flat(proto, [rec], path, tz=zone)
        parsed = read_flat(proto, path, tz=zone)
    assert parsed.problems == []
    back = [r for r in parsed.records if isinstance(r, LabResult)]
    assert sorted(back, key=repr) == sorted(items, key=repr)
    assert [r.administered_at for r in parsed.records if isinstance(r, Administration)] == [at]
