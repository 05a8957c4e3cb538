"""Imaging studies and lesions: PSMA PET, FDG PET, quantitative 177Lu SPECT/CT, CT/MRI,
bone scan."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from lutetia.records.base import NonNegative, PatientId, RecordModel, ShortText


class Modality(StrEnum):
    psma_pet = "psma_pet"
    fdg_pet = "fdg_pet"
    spect_ct = "spect_ct"
    ct = "ct"
    mri = "mri"
    bone_scan = "bone_scan"


class ImagingStudy(RecordModel):
    """One imaging time point with its whole-body measures.

    ``ttv_ml`` is the total PSMA-positive tumour volume (PSMA-VOL of RECIP 1.0) on PSMA PET
    or the SPECT molecular tumour volume; ``mtv_ml`` the FDG metabolic tumour volume.
    ``suv_peak_hottest`` is PERCIST's SULpeak of the hottest lesion.  For post-therapy
    SPECT/CT, ``cycle`` and ``time_after_administration_h`` tie the scan to an administration.
    """

    patient_id: PatientId
    study_id: ShortText
    modality: Modality
    study_date: date
    acquired_at: AwareDatetime | None = None
    tracer: ShortText | None = None
    cycle: int | None = Field(default=None, ge=1, le=30)
    time_after_administration_h: NonNegative | None = None
    ttv_ml: NonNegative | None = None
    mtv_ml: NonNegative | None = None
    suv_max_hottest: NonNegative | None = None
    suv_peak_hottest: NonNegative | None = None
    liver_suv_mean: NonNegative | None = None
    vision_psma_positive: bool | None = None
    vision_psma_negative_lesion: bool | None = None
    new_lesions: int | None = Field(default=None, ge=0)
    read_by: ShortText | None = None

    @model_validator(mode="after")
    def _check(self) -> ImagingStudy:
        if self.acquired_at is not None and self.acquired_at.date() != self.study_date:
            raise ValueError("acquired_at is not on study_date")
        if self.modality is not Modality.spect_ct and self.time_after_administration_h is not None:
            raise ValueError("time_after_administration_h applies only to post-therapy SPECT/CT")
        return self


class LesionType(StrEnum):
    lymph_node = "lymph_node"
    visceral = "visceral"
    soft_tissue = "soft_tissue"
    bone = "bone"
    bone_with_soft_tissue = "bone_with_soft_tissue"
    other = "other"


class Lesion(RecordModel):
    """A lesion seen on one study.  ``lesion_id`` is stable across studies (tracking)."""

    patient_id: PatientId
    study_id: ShortText
    lesion_id: ShortText
    organ: ShortText
    site: ShortText | None = None
    lesion_type: LesionType
    longest_diameter_mm: NonNegative | None = Field(default=None, le=1000)
    short_axis_mm: NonNegative | None = Field(default=None, le=1000)
    soft_tissue_component_mm: NonNegative | None = Field(default=None, le=1000)
    suv_max: NonNegative | None = None
    psma_positive_vs_liver: bool | None = None
    is_new: bool = False
    is_target: bool | None = None
    present: bool = True

    @model_validator(mode="after")
    def _check(self) -> Lesion:
        if (
            self.longest_diameter_mm is not None
            and self.short_axis_mm is not None
            and self.short_axis_mm > self.longest_diameter_mm
        ):
            raise ValueError(
                f"short_axis_mm {self.short_axis_mm} exceeds longest_diameter_mm {self.longest_diameter_mm}"
            )
        return self
