"""Three-valued outcomes and the evidence every assessment carries.

"Cannot decide" is a result, never an exception: an assessment whose inputs are missing
returns :attr:`Outcome.NOT_EVALUABLE` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """Met / not met / not evaluable (missing input is never a pass)."""

    MET = "met"
    NOT_MET = "not met"
    NOT_EVALUABLE = "not evaluable"


@dataclass(frozen=True)
class RuleRef:
    """A rule applied: its stable id, verbatim source text and citation."""

    id: str
    text: str
    citation: str
    status: str = "verified"


@dataclass(frozen=True)
class Evidence:
    """What an assessment used: the rules and the input values (by name)."""

    rules: tuple[RuleRef, ...] = ()
    inputs: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    reason: str = ""
