"""The patient record: validated models (pydantic v2) of every kind of clinical data.

Canonical unit per field, named in the field (``activity_gbq``, ``weight_kg``); lab values
are kept as reported with their unit and converted on demand.  Impossible records are
rejected with a message naming the field.
"""

from lutetia.records.base import RecordModel
from lutetia.records.clinical import (
    ANALYTES,
    Analyte,
    ClinicalEvent,
    EventKind,
    LabResult,
    ProgressionKind,
    SkeletalEventKind,
)
from lutetia.records.imaging import ImagingStudy, Lesion, LesionType, Modality
from lutetia.records.patient import (
    EcogAssessment,
    Patient,
    PriorTherapy,
    ProgressionType,
    Sex,
    TherapyClass,
)
from lutetia.records.record import PatientRecord, build_record, record_as_of, record_problems
from lutetia.records.registry import KINDS, KindSpec
from lutetia.records.safety import AdverseEvent, Attribution, CriterionAnswer, Instrument, ProAnswer
from lutetia.records.treatment import (
    Administration,
    DosimetryMeasurement,
    DosimetryRegion,
    Enrolment,
)

__all__ = [
    "ANALYTES", "KINDS", "Administration", "AdverseEvent", "Analyte", "Attribution", "ClinicalEvent", "CriterionAnswer",
    "DosimetryMeasurement", "DosimetryRegion", "EcogAssessment", "Enrolment", "EventKind",
    "ImagingStudy", "Instrument", "KindSpec", "LabResult", "Lesion", "LesionType", "Modality",
    "Patient", "PatientRecord", "PriorTherapy", "ProAnswer", "ProgressionKind", "ProgressionType",
    "RecordModel", "Sex", "SkeletalEventKind", "TherapyClass", "build_record", "record_as_of", "record_problems",
]
