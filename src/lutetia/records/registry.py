"""The record kinds: model, natural key and quantity fields of each.

The natural key identifies "the same record" across imports (re-importing the same data
does not duplicate it) and across edits.  ``quantities`` maps a field to its canonical
unit; interchange files carry such a field as two columns, ``<base>`` and
``<base>_unit`` (``activity_gbq`` → ``activity`` + ``activity_unit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from lutetia.records.base import RecordModel
from lutetia.records.clinical import ClinicalEvent, LabResult
from lutetia.records.imaging import ImagingStudy, Lesion
from lutetia.records.patient import EcogAssessment, Patient, PriorTherapy
from lutetia.records.safety import AdverseEvent, CriterionAnswer, ProAnswer
from lutetia.records.treatment import Administration, DosimetryMeasurement, Enrolment


@dataclass(frozen=True)
class KindSpec:
    """One record kind of the interchange format and the store."""

    name: str
    model: type[RecordModel]
    key: tuple[str, ...]
    quantities: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def key_of(self, record: RecordModel) -> tuple[Any, ...]:
        return tuple(getattr(record, k) for k in self.key)

    @staticmethod
    def column_base(field_name: str) -> str:
        """``activity_gbq`` → ``activity`` (drop the unit suffix)."""
        return field_name.rsplit("_", 1)[0]


KINDS: Final[dict[str, KindSpec]] = {
    k.name: k
    for k in (
        KindSpec("patients", Patient, ("patient_id",), {"weight_kg": "kg", "height_cm": "cm"},
                 "one row per patient: pseudonymous id, sex, birth date or year, baseline weight and height"),
        KindSpec("enrolments", Enrolment, ("patient_id", "protocol_id"), {},
                 "protocol, arm and dates of enrolment"),
        KindSpec("ecog", EcogAssessment, ("patient_id", "assessed_on"), {}, "ECOG performance status"),
        KindSpec("prior_therapies", PriorTherapy, ("patient_id", "line_id"),
                 {"cumulative_activity_gbq": "GBq"},
                 "prior lines: ARSI, taxane, radium-223, PARP inhibitor, earlier 177Lu-PSMA courses"),
        KindSpec("labs", LabResult, ("patient_id", "analyte", "sampled_on", "sampled_at"), {},
                 "laboratory values as reported (PSA included), with unit and normal range"),
        KindSpec("imaging", ImagingStudy, ("patient_id", "study_id"),
                 {"time_after_administration_h": "h", "ttv_ml": "mL", "mtv_ml": "mL"},
                 "imaging studies with whole-body measures"),
        KindSpec("lesions", Lesion, ("patient_id", "study_id", "lesion_id"),
                 {"longest_diameter_mm": "mm", "short_axis_mm": "mm", "soft_tissue_component_mm": "mm"},
                 "lesions per study"),
        KindSpec("administrations", Administration, ("patient_id", "course", "cycle"),
                 {"activity_gbq": "GBq", "residual_gbq": "GBq"}, "177Lu-PSMA-617 administrations"),
        KindSpec("dosimetry", DosimetryMeasurement,
                 ("patient_id", "course", "cycle", "region", "lesion_id", "time_after_administration_h"),
                 {"time_after_administration_h": "h", "activity_mbq": "MBq", "mass_g": "g", "volume_ml": "mL"},
                 "region activities at time points after an administration"),
        KindSpec("adverse_events", AdverseEvent, ("patient_id", "ae_id"), {}, "adverse events (CTCAE)"),
        KindSpec("pro_answers", ProAnswer, ("patient_id", "instrument", "item", "answered_on"), {},
                 "questionnaire item answers"),
        KindSpec("events", ClinicalEvent, ("patient_id", "event_id"), {},
                 "death, progression, skeletal events, new therapy, last contact"),
        KindSpec("criterion_answers", CriterionAnswer, ("patient_id", "protocol_id", "criterion_id", "answered_on"),
                 {}, "recorded answers to judgement criteria (consent, investigator opinion, reasons to proceed)"),
    )
}
