"""FACT-G and FACT-P (version 4) scoring: subscales, totals and the Trial Outcome Index.

Rules (FACIT scoring guidelines as implemented in FACTscorer, raybaser/FACTscorer, MIT [1]_ [2]_):
items are 0–4; 8 or 9 (and ``None``) mean missing; reversed items score ``4 − response``;
a subscale = mean(answered items) × number of items, valid when > 50 % of its items are
answered; FACT-G (PWB+SWB+EWB+FWB, 0–108) and FACT-P total (FACT-G + PCS, 0–156) are sums
of the prorated subscales, valid when every component subscale is valid and > 80 % of the
total's items are answered; TOI (PWB+FWB+PCS, 0–104) only needs its three subscales valid
(as FACTscorer's ``scoreFACT_P``, which applies no 80 % rule to the TOI).  Scores are not
rounded (FACTscorer rounds subscales to 3 decimals).

FACT-RNT is not scored: no public item key could be verified.  FACIT instruments need a
licence from FACIT.org.

References
----------
.. [1] Cella DF, et al. The Functional Assessment of Cancer Therapy scale. J Clin Oncol
       1993;11:570–579. doi:10.1200/JCO.1993.11.3.570
.. [2] Esper P, et al. Measuring quality of life in men with prostate cancer using the FACT-P.
       Urology 1997;50:920–928. doi:10.1016/S0090-4295(97)00459-7
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SUBSCALE_ITEMS: dict[str, tuple[str, ...]] = {
    "PWB": ("GP1", "GP2", "GP3", "GP4", "GP5", "GP6", "GP7"),
    "SWB": ("GS1", "GS2", "GS3", "GS4", "GS5", "GS6", "GS7"),
    "EWB": ("GE1", "GE2", "GE3", "GE4", "GE5", "GE6"),
    "FWB": ("GF1", "GF2", "GF3", "GF4", "GF5", "GF6", "GF7"),
    "PCS": ("C2", "C6", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "BL2", "P8", "BL5"),
}
REVERSED: frozenset[str] = frozenset(
    {"GP1", "GP2", "GP3", "GP4", "GP5", "GP6", "GP7", "GE1", "GE3", "GE4", "GE5", "GE6",
     "C2", "P1", "P2", "P3", "P6", "P7", "BL2", "P8"}
)
ITEM_RATE_RULE: frozenset[str] = frozenset({"FACT_G", "FACT_P"})  # > 80 % of items answered
TOTALS: dict[str, tuple[str, ...]] = {
    "FACT_G": ("PWB", "SWB", "EWB", "FWB"),
    "FACT_P": ("PWB", "SWB", "EWB", "FWB", "PCS"),
    "TOI": ("PWB", "FWB", "PCS"),
}
MISSING_CODES: frozenset[int] = frozenset({8, 9})


@dataclass(frozen=True)
class FactPScores:
    """Prorated FACT-P scores; ``None`` when the validity rule is not met."""

    pwb: float | None
    swb: float | None
    ewb: float | None
    fwb: float | None
    pcs: float | None
    fact_g: float | None
    fact_p: float | None
    toi: float | None
    items_answered: int


def _item_value(item: str, raw: int | None) -> float | None:
    if raw is None or raw in MISSING_CODES:
        return None
    if isinstance(raw, bool) or not 0 <= raw <= 4:
        raise ValueError(f"FACT item {item}: response {raw!r} is not 0–4 (8/9 = missing)")
    return float(4 - raw if item in REVERSED else raw)


def _subscale(items: Sequence[str], responses: Mapping[str, int | None]) -> tuple[float | None, int]:
    values = [v for v in (_item_value(i, responses.get(i)) for i in items) if v is not None]
    if len(values) * 2 <= len(items):  # valid only when > 50 % answered
        return None, len(values)
    return sum(values) / len(values) * len(items), len(values)


def score_fact_p(responses: Mapping[str, int | None]) -> FactPScores:
    """Score FACT-G/FACT-P from item responses keyed by item code (``"GP1"`` … ``"BL5"``).

    Unknown item codes are rejected so that a mislabelled column cannot pass silently.
    """
    known = {i for items in SUBSCALE_ITEMS.values() for i in items}
    unknown = sorted(set(responses) - known)
    if unknown:
        raise ValueError(f"unknown FACT-P item code(s) {', '.join(unknown)}")
    sub: dict[str, float | None] = {}
    answered: dict[str, int] = {}
    for name, items in SUBSCALE_ITEMS.items():
        sub[name], answered[name] = _subscale(items, responses)
    totals: dict[str, float | None] = {}
    for name, parts in TOTALS.items():
        n_items = sum(len(SUBSCALE_ITEMS[p]) for p in parts)
        n_answered = sum(answered[p] for p in parts)
        values = [sub[p] for p in parts]
        ok = all(v is not None for v in values)
        if name in ITEM_RATE_RULE:
            ok = ok and n_answered * 5 > n_items * 4
        totals[name] = sum(v for v in values if v is not None) if ok else None
    return FactPScores(
        pwb=sub["PWB"], swb=sub["SWB"], ewb=sub["EWB"], fwb=sub["FWB"], pcs=sub["PCS"],
        fact_g=totals["FACT_G"], fact_p=totals["FACT_P"], toi=totals["TOI"],
        items_answered=sum(answered.values()),
    )
