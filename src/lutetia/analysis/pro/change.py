"""Change of a PRO score from baseline at 18 weeks and at end of treatment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_VISITS: tuple[str, ...] = ("week 18", "end of treatment")


@dataclass(frozen=True)
class ScoreChange:
    """``value − baseline`` at one visit; ``None`` when either is missing."""

    visit: str
    baseline: float | None
    value: float | None
    change: float | None


def changes_from_baseline(
    scores: Mapping[str, float | None],
    *,
    baseline: str = "baseline",
    visits: Sequence[str] = DEFAULT_VISITS,
) -> list[ScoreChange]:
    """Changes from ``scores[baseline]`` at each visit (missing visits give ``None``)."""
    base = scores.get(baseline)
    out = []
    for visit in visits:
        value = scores.get(visit)
        change = value - base if value is not None and base is not None else None
        out.append(ScoreChange(visit, base, value, change))
    return out
