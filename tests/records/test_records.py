"""Impossible records are rejected with a message naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from lutetia.errors import RecordError
from lutetia.records import (
    Administration,
    AdverseEvent,
    ClinicalEvent,
    DosimetryMeasurement,
    Enrolment,
    LabResult,
    Lesion,
    Patient,
    PriorTherapy,
    build_record,
)

P = Patient(patient_id="R-1", sex="male", birth_date=date(1950, 6, 15))
AT = datetime(2025, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=1)))


def _err(exc: pytest.ExceptionInfo[BaseException]) -> str:
    return str(exc.value)


@pytest.mark.parametrize(
    ("factory", "field", "fragment"),
    [
        (lambda: Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=-7.4),
         "activity_gbq", "greater than 0"),
        (lambda: Administration(patient_id="R-1", cycle=1, administered_at=datetime(2025, 1, 6, 9), activity_gbq=7.4),
         "administered_at", "timezone"),
        (lambda: Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=7.4, residual_gbq=8),
         "residual_gbq", "exceeds activity_gbq"),
        (lambda: LabResult(patient_id="R-1", analyte="platelets", sampled_on=date(2025, 1, 1), value=150),
         "unit", "Field required"),
        (lambda: LabResult(patient_id="R-1", analyte="haemoglobin", sampled_on=date(2025, 1, 1), value=11, unit="U/L"),
         "unit", "is not a unit of haemoglobin"),
        (lambda: LabResult(patient_id="R-1", analyte="psa", sampled_on=date(2025, 1, 1), value=-1, unit="ng/mL"),
         "value", "negative"),
        (lambda: LabResult(patient_id="R-1", analyte="alt", sampled_on=date(2025, 1, 1), value=30, unit="U/L",
                           lln=60, uln=40), "lln", "above uln"),
        (lambda: Patient(patient_id="R 1", sex="male", birth_year=1950), "patient_id", "pattern"),
        (lambda: Patient(patient_id="R-1", sex="male"), "birth", "birth_date or birth_year is required"),
        (lambda: Patient(patient_id="R-1", sex="male", birth_date=date(1950, 1, 1), birth_year=1951),
         "birth_year", "disagrees"),
        (lambda: AdverseEvent(patient_id="R-1", ae_id="A", term="Anemia", grade=6, onset_date=date(2025, 1, 1)),
         "grade", "less than or equal to 5"),
        (lambda: AdverseEvent(patient_id="R-1", ae_id="A", term="Anemia", grade=3, onset_date=date(2025, 2, 1),
                              resolution_date=date(2025, 1, 1)), "resolution_date", "before onset_date"),
        (lambda: ClinicalEvent(patient_id="R-1", event_id="E", kind="progression", event_date=date(2025, 1, 1)),
         "progression_kind", "required"),
        (lambda: Enrolment(patient_id="R-1", protocol_id="x", enrolled_on=date(2025, 1, 1),
                           consent_date=date(2025, 2, 1)), "enrolled_on", "before consent_date"),
        (lambda: PriorTherapy(patient_id="R-1", line_id="L", therapy_class="arsi", start_date=date(2020, 1, 1),
                              cumulative_activity_gbq=3), "cumulative_activity_gbq", "only to therapy_class"),
        (lambda: Lesion(patient_id="R-1", study_id="S", lesion_id="L", organ="node", lesion_type="lymph_node",
                        longest_diameter_mm=10, short_axis_mm=20), "short_axis_mm", "exceeds"),
        (lambda: DosimetryMeasurement(patient_id="R-1", cycle=1, region="lesion", time_after_administration_h=24,
                                      activity_mbq=3), "lesion_id", "required"),
    ],
)
def test_impossible_single_records(factory: object, field: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        factory()  # type: ignore[operator]
    assert field in _err(info) and fragment in _err(info)


def test_unknown_field_is_rejected_not_dropped() -> None:
    with pytest.raises(ValidationError, match="activty_gbq"):
        Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=7.4, activty_gbq=7.4)  # type: ignore[call-arg]


def test_death_before_birth_and_administration_after_death() -> None:
    death = ClinicalEvent(patient_id="R-1", event_id="D", kind="death", event_date=date(1949, 1, 1))
    with pytest.raises(RecordError, match=r"field event_date = 1949-01-01 is before birth \(1950-06-15\)"):
        build_record(P, {"events": [death]})
    death = ClinicalEvent(patient_id="R-1", event_id="D", kind="death", event_date=date(2025, 1, 1))
    admin = Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=7.4)
    with pytest.raises(RecordError, match=r"administrations .*field administered_at = 2025-01-06 is after death"):
        build_record(P, {"events": [death], "administrations": [admin]})


def test_other_patients_rows_and_duplicates() -> None:
    a1 = Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=7.4)
    a2 = Administration(patient_id="R-2", cycle=1, administered_at=AT, activity_gbq=7.4)
    with pytest.raises(RecordError, match="patient_id 'R-2' is not 'R-1'"):
        build_record(P, {"administrations": [a2]})
    with pytest.raises(RecordError, match="duplicate record"):
        build_record(P, {"administrations": [a1, a1.model_copy(update={"activity_gbq": 7.0})]})


def test_a_valid_record_and_its_views() -> None:
    labs = [LabResult(patient_id="R-1", analyte="psa", sampled_on=date(2025, 1, d), value=v, unit="ug/L")
            for d, v in ((20, 12.0), (3, 10.0))]
    rec = build_record(P, {"labs": labs, "administrations": [
        Administration(patient_id="R-1", cycle=1, administered_at=AT, activity_gbq=7.4, residual_gbq=0.1)]})
    assert rec.psa_series() == [(date(2025, 1, 3), pytest.approx(10.0)), (date(2025, 1, 20), pytest.approx(12.0))]
    assert rec.administrations[0].net_activity_gbq == pytest.approx(7.3)
    assert P.age_years(date(2025, 6, 14)) == 74 and P.age_years(date(2025, 6, 15)) == 75
    assert rec.death_date is None
    assert AT.astimezone(UTC).hour == 8
