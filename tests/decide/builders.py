"""Small builders of synthetic patient records for the decision-engine scenarios.

Every value is invented for the tests (no real patient); the numbers are chosen to sit
clearly inside or outside each protocol threshold unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from lutetia.records import (
    Administration,
    AdverseEvent,
    Analyte,
    ClinicalEvent,
    CriterionAnswer,
    DosimetryMeasurement,
    EcogAssessment,
    Enrolment,
    ImagingStudy,
    LabResult,
    Lesion,
    Patient,
    PatientRecord,
    PriorTherapy,
)

PID = "T-001"

#: Pre-cycle laboratory panel in the units a French site reports (all values normal).
NORMAL_LABS: dict[Analyte, tuple[float, str, float | None, float | None]] = {
    Analyte.neutrophils: (3.0, "10^9/L", 1.8, 7.5),
    Analyte.platelets: (220.0, "10^9/L", 150.0, 400.0),
    Analyte.wbc: (5.5, "10^9/L", 4.0, 10.0),
    Analyte.haemoglobin: (13.0, "g/dL", 13.0, 17.0),
    Analyte.creatinine: (80.0, "umol/L", 60.0, 110.0),
    Analyte.bilirubin: (10.0, "umol/L", 3.0, 21.0),
    Analyte.alt: (20.0, "U/L", 5.0, 40.0),
    Analyte.ast: (25.0, "U/L", 5.0, 40.0),
}


def lab(analyte: Analyte, day: date, value: float | None = None, unit: str | None = None) -> LabResult:
    v, u, lln, uln = NORMAL_LABS.get(analyte, (0.0, "ng/mL", None, None))
    return LabResult(patient_id=PID, analyte=analyte, sampled_on=day, value=v if value is None else value,
                     unit=u if unit is None else unit, lln=lln, uln=uln)


def panel(day: date, **overrides: float) -> list[LabResult]:
    """A full pre-cycle panel on ``day``; ``platelets=40`` overrides one value."""
    return [lab(a, day, overrides.get(a.value)) for a in NORMAL_LABS]


def psa(day: date, value: float) -> LabResult:
    return LabResult(patient_id=PID, analyte=Analyte.psa, sampled_on=day, value=value, unit="ng/mL")


def given(cycle: int, day: date, gbq: float = 7.4, protocol: str | None = None, arm: str | None = None,
          reason: str | None = None) -> Administration:
    return Administration(patient_id=PID, cycle=cycle, administered_at=datetime(day.year, day.month, day.day, 9,
                          tzinfo=UTC), activity_gbq=gbq, protocol_id=protocol, arm=arm, reason=reason)


def kidney_scan(cycle: int, activity_mbq: float, hours: float = 24.0) -> DosimetryMeasurement:
    return DosimetryMeasurement(patient_id=PID, cycle=cycle, region="kidneys", time_after_administration_h=hours,
                                activity_mbq=activity_mbq)


def answer(protocol: str, criterion: str, value: bool, day: date, note: str | None = None) -> CriterionAnswer:
    return CriterionAnswer(patient_id=PID, protocol_id=protocol, criterion_id=criterion, answer=value,
                           answered_on=day, answered_by="dr-test", note=note)


def ae(ae_id: str, term: str, grade: int, onset: date, resolved: date | None = None) -> AdverseEvent:
    return AdverseEvent(patient_id=PID, ae_id=ae_id, term=term, grade=grade, onset_date=onset,
                        resolution_date=resolved)


def pet(study_id: str, day: date, *, positive: bool = True, ttv: float | None = 100.0,
        new_lesions: int | None = 0) -> ImagingStudy:
    return ImagingStudy(patient_id=PID, study_id=study_id, modality="psma_pet", study_date=day,
                        vision_psma_positive=positive, vision_psma_negative_lesion=False, ttv_ml=ttv,
                        new_lesions=new_lesions)


def spect(study_id: str, day: date, cycle: int, ttv: float) -> ImagingStudy:
    return ImagingStudy(patient_id=PID, study_id=study_id, modality="spect_ct", study_date=day, cycle=cycle,
                        time_after_administration_h=48.0, ttv_ml=ttv)


def bone_lesion(study_id: str, organ: str = "bone", lesion_id: str = "L1") -> Lesion:
    return Lesion(patient_id=PID, study_id=study_id, lesion_id=lesion_id, organ=organ, lesion_type="bone")


def line(line_id: str, therapy_class: str, start: date, **kw: Any) -> PriorTherapy:
    return PriorTherapy(patient_id=PID, line_id=line_id, therapy_class=therapy_class, start_date=start, **kw)


def event(event_id: str, kind: str, day: date, **kw: Any) -> ClinicalEvent:
    return ClinicalEvent(patient_id=PID, event_id=event_id, kind=kind, event_date=day, **kw)


def record(**children: Any) -> PatientRecord:
    patient = Patient(patient_id=PID, sex="male", birth_date=date(1955, 1, 1), weight_kg=80.0,
                      histology="acinar adenocarcinoma")
    return PatientRecord(patient=patient, **{k: tuple(v) for k, v in children.items()})


def ecog(day: date, value: int) -> EcogAssessment:
    return EcogAssessment(patient_id=PID, assessed_on=day, ecog=value)


def enrolment(protocol: str, arm: str | None, day: date) -> Enrolment:
    return Enrolment(patient_id=PID, protocol_id=protocol, arm=arm, enrolled_on=day)


def weeks(day: date, n: float) -> date:
    return day + timedelta(weeks=n)
