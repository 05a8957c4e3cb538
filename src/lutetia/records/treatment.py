"""Enrolment, administrations and dosimetry measurements."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from lutetia.records.base import LongText, NonNegative, PatientId, Positive, RecordModel, ShortText


class Enrolment(RecordModel):
    """A patient's enrolment in a protocol (and arm, once allocated)."""

    patient_id: PatientId
    protocol_id: ShortText
    arm: ShortText | None = None
    consent_date: date | None = None
    enrolled_on: date
    randomised_on: date | None = None
    stratum: ShortText | None = None
    off_study_on: date | None = None
    off_study_reason: ShortText | None = None

    @model_validator(mode="after")
    def _dates(self) -> Enrolment:
        if self.consent_date is not None and self.enrolled_on < self.consent_date:
            raise ValueError(f"enrolled_on {self.enrolled_on} is before consent_date {self.consent_date}")
        if self.randomised_on is not None and self.randomised_on < self.enrolled_on:
            raise ValueError("randomised_on is before enrolled_on")
        if self.off_study_on is not None and self.off_study_on < self.enrolled_on:
            raise ValueError("off_study_on is before enrolled_on")
        return self


class Administration(RecordModel):
    """One 177Lu-PSMA-617 administration.

    ``course`` 1 is the first course, 2 a re-treatment (ReaLuP, RE-LuPSMA) or a second
    series.  ``activity_gbq`` is the activity in the syringe at ``administered_at`` and
    ``residual_gbq`` what remained after injection, both decay-corrected to that time.
    """

    patient_id: PatientId
    course: int = Field(default=1, ge=1, le=10)
    cycle: int = Field(ge=1, le=30)
    administered_at: AwareDatetime
    activity_gbq: Positive = Field(le=30.0)
    residual_gbq: NonNegative = 0.0
    arm: ShortText | None = None
    protocol_id: ShortText | None = None
    reason: LongText | None = None

    @model_validator(mode="after")
    def _residual(self) -> Administration:
        if self.residual_gbq > self.activity_gbq:
            raise ValueError(f"residual_gbq {self.residual_gbq} exceeds activity_gbq {self.activity_gbq}")
        return self

    @property
    def net_activity_gbq(self) -> float:
        """Activity actually injected: syringe minus residual (GBq)."""
        return self.activity_gbq - self.residual_gbq


class DosimetryRegion(StrEnum):
    kidneys = "kidneys"
    kidney_left = "kidney_left"
    kidney_right = "kidney_right"
    parotid_glands = "parotid_glands"
    submandibular_glands = "submandibular_glands"
    salivary_glands = "salivary_glands"
    lacrimal_glands = "lacrimal_glands"
    liver = "liver"
    spleen = "spleen"
    bone_marrow = "bone_marrow"
    whole_body = "whole_body"
    tumour_total = "tumour_total"
    lesion = "lesion"
    blood = "blood"


class DosimetryMeasurement(RecordModel):
    """Activity in a region at a time after an administration (one SPECT/CT or planar
    time point, or a blood sample), with the region's mass or volume."""

    patient_id: PatientId
    course: int = Field(default=1, ge=1, le=10)
    cycle: int = Field(ge=1, le=30)
    region: DosimetryRegion
    lesion_id: ShortText | None = None
    time_after_administration_h: Positive = Field(le=2000)
    activity_mbq: NonNegative
    mass_g: Positive | None = None
    volume_ml: Positive | None = None
    study_id: ShortText | None = None
    method: ShortText = "spect_ct"

    @model_validator(mode="after")
    def _lesion(self) -> DosimetryMeasurement:
        if (self.region is DosimetryRegion.lesion) != (self.lesion_id is not None):
            raise ValueError("lesion_id is required for region 'lesion' and only for it")
        return self
