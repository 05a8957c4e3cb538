"""Brief Pain Inventory – Short Form: pain severity and pain interference scores.

Severity = mean of items 3–6 (worst, least, average, now; each 0–10); interference = mean of
the seven items 9A–9G, computed when ≥ 4 of 7 are answered [1]_ [2]_.  The guide gives no
proration rule for severity, so severity is computed only when all four items are answered.
BPI is copyright C. S. Cleeland; use needs permission.

References
----------
.. [1] Cleeland CS. The Brief Pain Inventory User Guide. MD Anderson Cancer Center, 2009.
.. [2] Cleeland CS, Ryan KM. Pain assessment: global use of the Brief Pain Inventory.
       Ann Acad Med Singapore 1994;23:129–138.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SEVERITY_ITEMS: tuple[str, ...] = ("worst", "least", "average", "now")
INTERFERENCE_ITEMS: tuple[str, ...] = (
    "general_activity", "mood", "walking", "normal_work", "relations", "sleep", "enjoyment",
)  # 9A … 9G in the order printed on the form
MIN_INTERFERENCE_ITEMS = 4


@dataclass(frozen=True)
class BpiScores:
    """BPI-SF scores (0–10); ``None`` when too few items were answered."""

    severity: float | None
    interference: float | None
    worst_pain: float | None
    interference_items_answered: int


def _value(name: str, raw: float | None) -> float | None:
    if raw is None:
        return None
    if not 0 <= raw <= 10:
        raise ValueError(f"BPI item {name}: {raw!r} is outside 0–10")
    return float(raw)


def score_bpi_sf(responses: Mapping[str, float | None]) -> BpiScores:
    """Score BPI-SF from responses keyed by the names in SEVERITY_ITEMS / INTERFERENCE_ITEMS."""
    known = set(SEVERITY_ITEMS) | set(INTERFERENCE_ITEMS)
    unknown = sorted(set(responses) - known)
    if unknown:
        raise ValueError(f"unknown BPI-SF item(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
    sev = [_value(i, responses.get(i)) for i in SEVERITY_ITEMS]
    intf = [v for v in (_value(i, responses.get(i)) for i in INTERFERENCE_ITEMS) if v is not None]
    severity = sum(v for v in sev if v is not None) / 4 if all(v is not None for v in sev) else None
    interference = sum(intf) / len(intf) if len(intf) >= MIN_INTERFERENCE_ITEMS else None
    return BpiScores(severity, interference, sev[0], len(intf))
