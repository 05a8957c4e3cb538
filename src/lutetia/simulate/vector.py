"""The protocol's decision rules applied to a whole cohort at once (arrays of shape (n,)).

This is the vectorised twin of :func:`lutetia.decide` for the rules that shape a course of
treatment — the activity rule with its bounds, the personalised activity from the previous
cycle's measured kidney Gy/GBq through the BED budget, the kidney BED cap (curtail), the
label's myelosuppression withhold / reduce / discontinue rows (CTCAE v5.0 cut-offs) and
holiday entry and resumption — with every number read from the protocol data through
:func:`lutetia.simulate.rules.arm_rules`.  It makes 100,000 patients fast.

Order of the rules at a decision point (first that applies wins)
-----------------------------------------------------------------
1. dead or off treatment → no decision;
2. in treatment: radiographic progression → stop; ``cycles.max`` given → completed;
3. in a holiday: RECIP or PSA progression → resume (go on with 5–8), else stay on holiday;
4. holiday entry: PSA decline ≥ threshold confirmed ≥ ``confirm_days`` later and SPECT
   tumour-volume decline ≥ threshold (only arms with a holiday rule);
5. labs missing → withhold (a missing input is never a pass);
6. myelosuppression above the patient's baseline grade: grade ≥ 3 after the allowed
   reductions → discontinue; grade ≥ 3 → withhold and reduce; grade 2 → withhold; a delay
   beyond the simulated physician's limit → discontinue;
7. activity: fixed nominal, personalised BED budget clamped to [a_min, a_max] (curtail when
   even a_min exceeds the per-cycle budget), or individualised (simulated physician);
   each reduction multiplies by (1 − pct);
8. kidney cap: cumulative measured BED after this cycle above the cap → curtail.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lutetia.simulate.model import Action, CohortSim, Decision, Phase, Point

F = NDArray[np.float64]
I64 = NDArray[np.int64]


def grades(labs: F, cuts: tuple[tuple[float, float, float], ...]) -> I64:
    """Worst CTCAE grade (0, 2, 3 or 4; grade 1 is not used by the rules) per patient.

    ``labs`` columns are Hb (g/L), platelets, neutrophils, WBC (10^9/L); ``cuts`` gives
    (grade-2, grade-3, grade-4) thresholds per column, a value below a cut has that grade.
    """
    worst = np.zeros(labs.shape[0], dtype=np.int64)
    for j, (g2, g3, g4) in enumerate(cuts):
        v = labs[:, j]
        g = np.where(v < g4, 4, np.where(v < g3, 3, np.where(v < g2, 2, 0)))
        worst = np.maximum(worst, g)
    return worst


def _cuts(sim: CohortSim) -> tuple[tuple[float, float, float], ...]:
    return tuple((c.grade2, c.grade3, c.grade4) for c in sim.rules.myelo_cuts)


def personalised_activity(sim: CohortSim) -> tuple[F, np.ndarray]:
    """Activity (GBq) from the BED budget and whether the cycle is curtailed."""
    r = sim.rules
    d = sim.last_gy_per_gbq
    n_rem = np.maximum(r.max_cycles - sim.cycles, 1)
    g = r.repair_half_time_h / (r.repair_half_time_h + sim.t_eff_c1)
    if r.kidney_quantity == "dose":
        per_cycle = (r.kidney_limit - sim.cum_dose_measured) / n_rem
    else:
        k = g / r.alpha_beta_gy
        budget = (r.kidney_limit - sim.cum_bed_measured) / n_rem
        per_cycle = (-1.0 + np.sqrt(1.0 + 4.0 * k * np.maximum(budget, 0.0))) / (2.0 * k)
    raw = per_cycle / d
    curtail = (sim.cum_bed_measured >= r.kidney_limit) | (r.a_min_gbq * d > per_cycle)
    act = np.clip(raw, r.a_min_gbq, r.a_max_gbq)
    first = sim.cycles == 0
    return np.where(first, r.nominal_gbq, act), curtail & ~first


def individualised_activity(sim: CohortSim, pt: Point) -> F:
    """The simulated physician's choice within [a_min, a_max] (parameter ``physician``)."""
    e = sim.params.entry("physician", "individualised_activity_gbq")
    plt = np.where(np.isfinite(pt.labs[:, 1]), pt.labs[:, 1], 150.0)
    f = np.sqrt(np.clip(plt / 150.0, float(e["min_platelet_factor"]), 1.0))
    return np.asarray(np.clip(float(e["value"]) * f, sim.rules.a_min_gbq, sim.rules.a_max_gbq))


def psa_confirmed_decline(sim: CohortSim, pt: Point, pct: float, days: float) -> np.ndarray:
    """PSA decline from baseline ≥ pct now and at an earlier point ≥ ``days`` before."""
    base = sim.baseline_labs[:, 5]
    now = np.where(pt.lab_missing, np.nan, pt.labs[:, 5])
    ok_now = (1 - now / base) * 100 >= pct
    earlier = np.zeros_like(ok_now)
    for t, psa in sim.psa_history[1:]:
        earlier |= ((pt.t_days - t) >= days) & ((1 - psa / base) * 100 >= pct)
    return ok_now & earlier


def psa_progression(sim: CohortSim, pt: Point) -> np.ndarray:
    """PSA ≥ 25 % and ≥ 2 ng/mL above the nadir of the recorded values (PCWG3 form)."""
    if not sim.psa_history:
        return np.zeros(pt.t_days.shape[0], dtype=bool)
    nadir = np.nanmin(np.column_stack([p for _, p in sim.psa_history]), axis=1)
    now = np.where(pt.lab_missing, np.nan, pt.labs[:, 5])
    return (now >= 1.25 * nadir) & (now - nadir >= 2.0)


def vector_policy(sim: CohortSim, pt: Point) -> Decision:
    """The rules of the module docstring for every patient at point ``pt``."""
    r, n = sim.rules, pt.t_days.shape[0]
    action = np.full(n, int(Action.NONE), dtype=np.int64)
    act = np.full(n, np.nan)
    reduce_now = np.zeros(n, dtype=bool)
    undecided = pt.active.copy()
    treat = undecided & (pt.phase == Phase.TREATMENT)
    prog = np.isfinite(sim.progression_day) & (sim.progression_day <= pt.t_days)

    def settle(mask: np.ndarray, a: Action) -> None:
        nonlocal undecided
        m = mask & undecided
        action[m] = int(a)
        undecided = undecided & ~m

    settle(treat & prog, Action.PROGRESSION)
    settle(treat & (sim.cycles >= r.max_cycles), Action.COMPLETED)
    holiday = undecided & (pt.phase == Phase.HOLIDAY)
    resume = holiday & (prog | psa_progression(sim, pt))
    settle(holiday & ~resume, Action.HOLIDAY)
    if r.holiday:
        spect = (1 - sim.spect_ttv_last / sim.spect_ttv_c1) * 100 >= r.holiday_spect_decline_pct
        psa = psa_confirmed_decline(sim, pt, r.holiday_psa_decline_pct, r.holiday_confirm_days)
        settle(treat & (sim.cycles >= 1) & spect & psa, Action.HOLIDAY)
    settle(pt.lab_missing, Action.WITHHOLD)
    cuts = _cuts(sim)
    g_now = grades(pt.labs[:, :4], cuts)
    g_base = grades(sim.baseline_labs[:, :4], cuts)
    g = np.where(g_now > g_base, g_now, 0)
    settle((g >= 3) & (sim.reductions >= r.max_reductions), Action.DISCONTINUE)
    limit = sim.params.value("physician", "delay_discontinue_weeks") * 7.0
    settle((g >= 2) & (sim.delay_days + 7.0 * sim.params.value("data", "withhold_recheck_weeks") > limit),
           Action.DISCONTINUE)
    reduce_now = undecided & (g >= 3)
    settle(g >= 2, Action.WITHHOLD)
    factor = (1.0 - r.reduction_pct / 100.0) ** sim.reductions
    if r.mode == "personalised":
        base, curtail = personalised_activity(sim)
        settle(curtail, Action.CURTAIL)
    elif r.mode == "individualised":
        base = individualised_activity(sim, pt)
    else:
        base = np.full(n, r.nominal_gbq)
    act = base * factor
    if r.cap_quantity is not None:
        d = act * sim.last_gy_per_gbq
        gf = r.repair_half_time_h / (r.repair_half_time_h + sim.t_eff_c1)
        pred = sim.cum_bed_measured + d * (1 + gf * d / r.alpha_beta_gy)
        settle((sim.cycles >= 1) & (pred > r.cap_limit), Action.CURTAIL)
    settle(undecided, Action.GIVE)
    act = np.where(action == Action.GIVE, act, np.nan)
    return Decision(action, act, reduce_now)
