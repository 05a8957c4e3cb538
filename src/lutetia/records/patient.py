"""Patient demographics, performance status and prior therapies."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from lutetia.records.base import LongText, NonNegative, PatientId, Positive, RecordModel, ShortText


class Sex(StrEnum):
    male = "male"
    female = "female"
    other = "other"
    unknown = "unknown"


class Patient(RecordModel):
    """One patient, pseudonymous.

    Either ``birth_date`` or ``birth_year`` is required (registries often keep only the
    year).  ``weight_kg`` and ``height_cm`` are the baseline values; later weights are
    lab-like observations (analyte ``body_weight``).
    """

    patient_id: PatientId
    sex: Sex
    birth_date: date | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    weight_kg: Positive | None = Field(default=None, le=400)
    height_cm: Positive | None = Field(default=None, le=260)
    diagnosis: ShortText = "metastatic castration-resistant prostate cancer"
    diagnosis_date: date | None = None
    histology: ShortText | None = None
    gilbert_syndrome: bool = False
    site: ShortText | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _birth(self) -> Patient:
        if self.birth_date is None and self.birth_year is None:
            raise ValueError("birth_date or birth_year is required")
        if self.birth_date is not None and self.birth_year is not None and self.birth_date.year != self.birth_year:
            raise ValueError(f"birth_year {self.birth_year} disagrees with birth_date {self.birth_date}")
        if self.diagnosis_date is not None and self.diagnosis_date < self.earliest_birth():
            raise ValueError("diagnosis_date is before birth")
        return self

    def earliest_birth(self) -> date:
        """Earliest possible birth date (1 January of the birth year when only the year is known)."""
        if self.birth_date is not None:
            return self.birth_date
        assert self.birth_year is not None
        return date(self.birth_year, 1, 1)

    def age_years(self, on: date) -> int:
        """Completed years of age on ``on`` (with only a birth year: age reached on 1 July)."""
        born = self.birth_date or date(self.earliest_birth().year, 7, 1)
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return years


class EcogAssessment(RecordModel):
    """ECOG performance status (Oken et al., Am J Clin Oncol 1982;5:649): 0–5."""

    patient_id: PatientId
    assessed_on: date
    ecog: int = Field(ge=0, le=5)


class TherapyClass(StrEnum):
    adt = "adt"
    arsi = "arsi"
    taxane = "taxane"
    other_chemotherapy = "other_chemotherapy"
    radium223 = "radium223"
    other_systemic_radiotherapy = "other_systemic_radiotherapy"
    parp_inhibitor = "parp_inhibitor"
    lu_psma = "lu_psma"
    external_radiotherapy = "external_radiotherapy"
    immunotherapy = "immunotherapy"
    other = "other"


class ProgressionType(StrEnum):
    psa = "psa"
    radiographic = "radiographic"
    clinical = "clinical"
    none = "none"


class PriorTherapy(RecordModel):
    """A line of prior therapy.  Earlier 177Lu-PSMA courses (``therapy_class = lu_psma``)
    also carry their cycles, activity, best PSA response and progression."""

    patient_id: PatientId
    line_id: ShortText
    therapy_class: TherapyClass
    agent: ShortText | None = None
    start_date: date
    end_date: date | None = None
    setting: ShortText | None = None
    cycles: int | None = Field(default=None, ge=0, le=100)
    cumulative_activity_gbq: NonNegative | None = Field(default=None, le=200)
    last_injection_date: date | None = None
    best_psa_change_pct: float | None = Field(default=None, ge=-100.0)
    progression_during: bool | None = None
    progression_date: date | None = None
    progression_type: ProgressionType | None = None
    discontinued_for_toxicity: bool | None = None
    hemibody_radiotherapy: bool | None = None

    @model_validator(mode="after")
    def _dates(self) -> PriorTherapy:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        if self.last_injection_date is not None and self.last_injection_date < self.start_date:
            raise ValueError("last_injection_date is before start_date")
        if self.progression_date is not None and self.progression_date < self.start_date:
            raise ValueError("progression_date is before start_date")
        lu_only = ("cumulative_activity_gbq", "last_injection_date")
        if self.therapy_class is not TherapyClass.lu_psma:
            for name in lu_only:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to therapy_class 'lu_psma'")
        return self
