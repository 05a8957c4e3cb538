"""Adverse events (CTCAE) and patient-reported outcome answers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from lutetia.records.base import LongText, PatientId, RecordModel, ShortText


class Attribution(StrEnum):
    unrelated = "unrelated"
    unlikely = "unlikely"
    possible = "possible"
    probable = "probable"
    definite = "definite"

    @property
    def related(self) -> bool:
        """Treatment-related in the usual reading (possible, probable, definite)."""
        return self in (Attribution.possible, Attribution.probable, Attribution.definite)


class AdverseEvent(RecordModel):
    """An adverse event graded with CTCAE (version recorded)."""

    patient_id: PatientId
    ae_id: ShortText
    term: ShortText
    grade: int = Field(ge=1, le=5)
    onset_date: date
    resolution_date: date | None = None
    attribution: Attribution | None = None
    serious: bool = False
    ctcae_version: ShortText = "5.0"
    action_taken: ShortText | None = None
    led_to_discontinuation: bool = False
    notes: LongText | None = None

    @model_validator(mode="after")
    def _dates(self) -> AdverseEvent:
        if self.resolution_date is not None and self.resolution_date < self.onset_date:
            raise ValueError(f"resolution_date {self.resolution_date} is before onset_date {self.onset_date}")
        return self


class Instrument(StrEnum):
    eq5d5l = "eq5d5l"
    fact_p = "fact_p"
    fact_rnt = "fact_rnt"
    bpi_sf = "bpi_sf"
    msgs = "msgs"


class ProAnswer(RecordModel):
    """One item answer of a patient-reported outcome questionnaire, kept as answered."""

    patient_id: PatientId
    instrument: Instrument
    item: ShortText
    value: ShortText
    answered_on: date
    timepoint: ShortText | None = None


class CriterionAnswer(RecordModel):
    """A recorded answer to a rule that needs judgement (consent, investigator opinion, a
    physician's reason to proceed despite a flag), keyed by the protocol rule id."""

    patient_id: PatientId
    protocol_id: ShortText
    criterion_id: ShortText
    answer: bool
    answered_on: date
    answered_by: ShortText
    note: LongText | None = None
