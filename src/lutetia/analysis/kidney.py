"""Per-patient kidney dose and BED ledger across cycles, and the protocol's kidney limit.

The per-cycle dosimetry is the decision engine's own
(:func:`lutetia.decide.dosimetry.kidney_history`), so the report shows exactly the doses
the decisions used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lutetia.analysis.endpoints import protocol_administrations
from lutetia.decide.dosimetry import kidney_history
from lutetia.protocols.schema import Protocol
from lutetia.records import PatientRecord


@dataclass(frozen=True)
class KidneyRow:
    cycle: int
    date: date
    activity_gbq: float
    gy_per_gbq: float | None
    dose_gy: float | None
    bed_gy: float | None
    cumulative_bed_gy: float | None
    method: str


@dataclass(frozen=True)
class KidneyLimit:
    quantity: str
    value: float
    label: str


def kidney_ledger(rec: PatientRecord, protocol_id: str | None = None) -> list[KidneyRow]:
    """One row per administration; kidney columns empty for a cycle without dosimetry."""
    admins = protocol_administrations(rec, protocol_id)
    cycles, _ = kidney_history(rec, admins)
    by_cycle = {(k.entry.cycle): k for k in cycles}
    rows: list[KidneyRow] = []
    cumulative = 0.0
    for a in admins:
        k = by_cycle.get(a.cycle)
        if k is None:
            rows.append(KidneyRow(a.cycle, a.administered_at.date(), a.net_activity_gbq, None, None, None,
                                  cumulative if rows else None, "no kidney dosimetry recorded"))
            continue
        bed = k.entry.bed_gy or 0.0
        cumulative += bed
        rows.append(KidneyRow(a.cycle, a.administered_at.date(), a.net_activity_gbq, k.entry.dose_per_gbq,
                              k.entry.dose_gy, k.entry.bed_gy, cumulative, k.entry.method))
    return rows


def kidney_limit(protocol: Protocol, arm_id: str) -> KidneyLimit | None:
    """The arm's kidney limit: the cap, else the personalised-activity budget."""
    try:
        treatment = protocol.arm(arm_id).treatment
    except KeyError:
        return None
    cap = treatment.kidney_cap
    if cap is not None:
        return KidneyLimit(cap.quantity, cap.limit.value, f"{cap.id}: {cap.limit.value:g} {cap.limit.unit}")
    act = treatment.activity
    if act is not None and act.kidney_limit is not None and act.kidney_quantity is not None:
        return KidneyLimit(act.kidney_quantity, act.kidney_limit.value,
                           f"{act.id}: {act.kidney_limit.value:g} {act.kidney_limit.unit} ({act.kidney_limit.status})")
    return None
