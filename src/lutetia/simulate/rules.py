"""The decision rules of one protocol arm as plain numbers, read from the protocol data.

The vectorised cohort model (:mod:`lutetia.simulate.vector`) must apply the *same* rules as
the record-level engine (:mod:`lutetia.decide`).  Nothing here is re-typed: activity bounds,
cycles, interval, reduction, kidney limits and holiday thresholds come from
:func:`lutetia.protocols.load_protocol`; myelosuppression is graded by
:mod:`lutetia.simulate.grading` on the CTCAE v5.0 data of :mod:`lutetia.assess.ctcae`; the pre-cycle lab window from
:func:`lutetia.decide.next_cycle.lab_window`; kidney α/β and repair half-time from
:func:`lutetia.physics.radiobiology.lq_parameters`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lutetia.assess.criteria import Comparator
from lutetia.assess.psa import psa_criteria
from lutetia.assess.psa_kernel import ProgressionRule
from lutetia.decide.next_cycle import lab_window
from lutetia.errors import ProtocolError
from lutetia.physics.radiobiology import g_factor_mono, lq_parameters
from lutetia.protocols import Condition, Protocol, load_protocol
from lutetia.protocols.facts import Fact
from lutetia.units import to_unit

F = NDArray[np.float64]
#: PCWG3's progression parameters (``pcwg3.toml``) for a protocol that defines none.
PCWG3_PROGRESSION = psa_criteria("pcwg3").progression_rule()

@dataclass(frozen=True)
class ArmRules:
    """One arm's treatment rules as numbers (activities GBq, limits Gy or Gy_BED)."""

    protocol_id: str
    arm_id: str
    mode: str
    nominal_gbq: float
    a_min_gbq: float
    a_max_gbq: float
    floor_at_nominal: bool
    kidney_quantity: str | None
    kidney_limit: float
    max_cycles: int
    interval_weeks: float
    reduction_pct: float
    max_reductions: int
    cap_quantity: str | None
    cap_limit: float
    alpha_beta_gy: float
    repair_half_time_h: float
    holiday: bool
    holiday_psa_decline_pct: float
    holiday_spect_decline_pct: float
    holiday_confirm_days: float
    surveillance_weeks: float
    psa_rule: ProgressionRule = PCWG3_PROGRESSION
    pretreatment: tuple[tuple[int, Comparator, float], ...] = ()
    lab_window_days: float = 14.0

    def g_factor(self, t_eff_h: F) -> F:
        """Lea–Catcheside G of mono-exponential kidney time courses (array of T_eff, h)."""
        return g_factor_mono(np.asarray(t_eff_h, dtype=np.float64), self.repair_half_time_h)


def _leaf_value(cond: Condition | None, fact: Fact) -> tuple[float, float]:
    """(threshold, confirm_days) of the leaf testing ``fact`` inside ``cond`` (nan if absent)."""
    if cond is None:
        return math.nan, 0.0
    if cond.fact is fact and isinstance(cond.value, int | float):
        return float(cond.value), float(cond.confirm_days_min or 0.0)
    for child in (cond.all_of or []) + (cond.any_of or []):
        v = _leaf_value(child, fact)
        if not math.isnan(v[0]):
            return v
    return math.nan, 0.0


#: The model's laboratory column of each blood-count fact, and the column's unit.
LAB_COLUMN: dict[Fact, tuple[int, str]] = {Fact.HAEMOGLOBIN_G_L: (0, "g/L"), Fact.PLATELETS_GIGA_PER_L: (1, "giga_per_L"),
                                           Fact.ANC_GIGA_PER_L: (2, "giga_per_L"), Fact.WBC_GIGA_PER_L: (3, "giga_per_L")}


def pretreatment_checks(proto: Protocol) -> tuple[tuple[int, Comparator, float], ...]:
    """(lab column, comparator, threshold in the column's unit) of each ``before_first_dose``
    trigger of the protocol: a blood count that withholds the first dose."""
    out = []
    for m in proto.modifications:
        if m.applies != "before_first_dose":
            continue
        leaf = m.trigger
        if leaf.fact not in LAB_COLUMN or leaf.op not in ("<", "<=", ">", ">=") or not isinstance(leaf.value, int | float):
            raise ProtocolError(f"{proto.id}: {m.id}: the cohort model mirrors blood-count thresholds only")
        col, unit = LAB_COLUMN[leaf.fact]
        value = to_unit(float(leaf.value), leaf.unit or unit, unit, analyte="haemoglobin" if col == 0 else None)
        out.append((col, leaf.op, float(value)))
    return tuple(out)


def arm_rules(protocol: Protocol | str, arm_id: str) -> ArmRules:
    """The rules of arm ``arm_id`` of ``protocol`` (an id or a loaded protocol)."""
    proto = load_protocol(protocol) if isinstance(protocol, str) else protocol
    t = proto.arm(arm_id).treatment
    act = t.activity
    nominal = act.nominal.value if act.nominal else math.nan
    a_min = act.a_min.value if act.a_min else nominal * (1 - act.tolerance_pct / 100)
    a_max = act.a_max.value if act.a_max else nominal * (1 + act.tolerance_pct / 100)
    lq = lq_parameters("kidneys")
    hol = t.holiday
    pp = proto.psa_progression  # PCWG3 when the protocol has none
    psa_cut, confirm = _leaf_value(hol.enter if hol else None, Fact.PSA_DECLINE_FROM_BASELINE_PCT)
    spect_cut, _ = _leaf_value(hol.enter if hol else None, Fact.SPECT_TUMOUR_VOLUME_DECLINE_PCT)
    return ArmRules(
        protocol_id=proto.id, arm_id=arm_id, mode=act.mode, nominal_gbq=nominal,
        a_min_gbq=a_min, a_max_gbq=a_max, floor_at_nominal=act.floor_at_nominal,
        kidney_quantity=act.kidney_quantity,
        kidney_limit=act.kidney_limit.value if act.kidney_limit else math.nan,
        max_cycles=t.cycles.max, interval_weeks=t.interval.weeks,
        reduction_pct=t.reduction.pct if t.reduction else 0.0,
        max_reductions=t.reduction.max_reductions if t.reduction else 0,
        cap_quantity=t.kidney_cap.quantity if t.kidney_cap else None,
        cap_limit=t.kidney_cap.limit.value if t.kidney_cap else math.inf,
        alpha_beta_gy=lq.alpha_beta_gy, repair_half_time_h=lq.repair_half_time_h,
        holiday=hol is not None, holiday_psa_decline_pct=psa_cut,
        holiday_spect_decline_pct=spect_cut, holiday_confirm_days=confirm,
        surveillance_weeks=hol.surveillance.every_weeks if hol else math.nan,
        psa_rule=pp.rule() if pp else PCWG3_PROGRESSION,
        pretreatment=pretreatment_checks(proto),
        lab_window_days=lab_window(proto, proto.arm(arm_id)),
    )
