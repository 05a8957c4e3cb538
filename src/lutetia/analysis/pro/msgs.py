"""MSGS (salivary-gland symptom questionnaire) — item answers stored, deliberately not scored.

No public, citable scoring rule (item key, direction, missing-data rule) for MSGS could be
found, so Lutetia keeps the answers verbatim for later scoring and reports them item by item.
Inventing a sum score would produce numbers no statistician could reproduce from a source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MsgsAnswers:
    """One completed MSGS questionnaire: item code → raw answer (``None`` = not answered)."""

    patient_id: str
    assessed_on: date
    answers: tuple[tuple[str, int | None], ...]

    @classmethod
    def from_mapping(cls, patient_id: str, assessed_on: date, answers: Mapping[str, int | None]) -> MsgsAnswers:
        """Store answers in item order; empty questionnaires are rejected."""
        if not answers:
            raise ValueError(f"{patient_id}: MSGS on {assessed_on} has no answers")
        return cls(patient_id, assessed_on, tuple(sorted(answers.items())))

    def answer(self, item: str) -> int | None:
        """Raw answer to ``item`` (KeyError when the item was not on the form)."""
        return dict(self.answers)[item]
