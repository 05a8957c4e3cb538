"""The protocol's decision rules applied to a whole cohort at once (arrays of shape (n,)).

This is the vectorised twin of :func:`lutetia.decide` for the rules that shape a course of
treatment — the activity rule with its bounds, the personalised activity from the previous
cycle's measured kidney Gy/GBq through the BED budget, the kidney BED cap (curtail), the
label's myelosuppression withhold / reduce / discontinue rows (CTCAE v5.0 cut-offs) and
holiday entry and resumption — with every number read from the protocol data through
:func:`lutetia.simulate.rules.arm_rules`.  It makes 100,000 patients fast.

Order of the rules at a decision point (first that applies wins)
-----------------------------------------------------------------
0. the first cycle follows eligibility at the protocol's first-cycle activity;
1. dead or off treatment → no decision;
2. in treatment: ``cycles.max`` given → completed; radiographic progression → stop;
3. in a holiday: a recorded (the model's radiographic) progression, RECIP or PSA progression
   → resume (go on with 5–8), else stay on holiday;
4. holiday entry: PSA decline ≥ threshold confirmed ≥ ``confirm_days`` later and SPECT
   tumour-volume decline ≥ threshold (only arms with a holiday rule);
5. labs missing, or drawn before the protocol's pre-cycle lab window → withhold ("cannot
   decide": a missing input is never a pass; labs are repeated);
6. myelosuppression beyond the patient's baseline (per term, the current grade counts when
   it is worse than at the first decision point: ``ctcae_grade_beyond_baseline``): grade ≥ 3
   after the allowed reductions → discontinue; grade ≥ 3 → withhold and reduce; grade 2 →
   withhold; a delay beyond the simulated physician's limit → discontinue;
7. activity: fixed nominal, personalised BED budget clamped to [a_min, a_max] (curtail when
   even a_min exceeds the per-cycle budget), or individualised (simulated physician);
   each reduction multiplies by (1 − pct);
8. kidney cap: cumulative measured BED after this cycle above the cap → curtail.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lutetia.assess.criteria import compare_array
from lutetia.assess.psa_kernel import progression_kernel
from lutetia.physics.radiobiology import bed_gy, dose_for_bed
from lutetia.simulate.grading import beyond_baseline
from lutetia.simulate.model import Action, CohortSim, Decision, Phase, Point

F = NDArray[np.float64]
I64 = NDArray[np.int64]

#: The kinds and dose-modification families of engine rules that this module mirrors.  The
#: engine-agreement test fails when the engine fires a rule outside this set on a simulated
#: cohort: a rule added to the engine needs its vector twin here first.
TWINNED_RULE_KINDS: frozenset[str] = frozenset({
    "stop", "holiday", "interval", "activity", "reduction", "kidney_cap",  # treatment rules
    "myelosuppression",  # label dose-modification rows (steps 5-6 above)
    "delay",  # "consider discontinuation" after a delay: physician_stop
    "pretreatment",  # the cycle-1 blood-count check (first_cycle_gate)
})


def personalised_activity(sim: CohortSim) -> tuple[F, np.ndarray]:
    """Activity (GBq) from the BED budget and whether the cycle is curtailed."""
    r = sim.rules
    d = sim.last_gy_per_gbq
    n_rem = np.maximum(r.max_cycles - sim.cycles, 1)
    if r.kidney_quantity == "dose":
        per_cycle = (r.kidney_limit - sim.cum_dose_measured) / n_rem
    else:
        budget = (r.kidney_limit - sim.cum_bed_measured) / n_rem
        per_cycle = dose_for_bed(budget, r.g_factor(sim.t_eff_c1), r.alpha_beta_gy)
    raw = per_cycle / d
    curtail = (sim.cum_bed_measured >= r.kidney_limit) | (r.a_min_gbq * d > per_cycle)
    if r.floor_at_nominal:  # the engine gives the nominal activity instead of curtailing
        raw = np.where(curtail, r.nominal_gbq, np.maximum(raw, r.nominal_gbq))
        curtail = np.zeros_like(curtail)
    act = np.clip(raw, r.a_min_gbq, r.a_max_gbq)
    first = sim.cycles == 0
    return np.where(first, r.nominal_gbq, act), curtail & ~first


def individualised_activity(sim: CohortSim, pt: Point) -> F:
    """The simulated physician's choice within [a_min, a_max] (parameter ``physician``)."""
    e = sim.params.entry("physician", "individualised_activity_gbq")
    plt = np.where(np.isfinite(pt.labs[:, 1]), pt.labs[:, 1], 150.0)
    f = np.sqrt(np.clip(plt / 150.0, float(e["min_platelet_factor"]), 1.0))
    return np.asarray(np.clip(float(e["value"]) * f, sim.rules.a_min_gbq, sim.rules.a_max_gbq))


def _psa_matrix(sim: CohortSim, pt: Point) -> tuple[F, F, F]:
    """(sampling days (n, m), PSA (n, m), baseline (n,)) after the first administration: the
    baseline is the PSA of the point where cycle 1 was given (NaN before it), later points
    the post-baseline values (NaN where missing or not yet after the baseline)."""
    now = np.where(pt.lab_missing, np.nan, pt.labs[:, 5])
    series = [*sim.psa_history, (pt.t_days - pt.lab_offset_days, now)]
    days = np.column_stack([t for t, _ in series])
    values = np.column_stack([v for _, v in series])
    n = values.shape[0]
    first = sim.first_step
    base = np.where(first >= 0, values[np.arange(n), np.maximum(first, 0)], np.nan)
    after = np.arange(values.shape[1])[None, :] > first[:, None]
    return days, np.where(after & (first[:, None] >= 0), values, np.nan), base


def psa_confirmed_decline(sim: CohortSim, pt: Point, pct: float, days: float) -> np.ndarray:
    """Latest PSA decline from the baseline (first administration) ≥ ``pct``, confirmed by an
    earlier post-baseline value also ≥ ``pct`` at least ``days`` before (the engine's reading)."""
    t, v, base = _psa_matrix(sim, pt)
    n = base.shape[0]
    ok = np.isfinite(v)
    last = v.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)  # each row's latest value (if any)
    has, rows = ok.any(axis=1), np.arange(n)
    last_t, last_v = np.where(has, t[rows, last], np.nan), np.where(has, v[rows, last], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok_now = compare_array((1 - last_v / base) * 100, ">=", pct)
        declined = compare_array((1 - v / base[:, None]) * 100, ">=", pct)  # every earlier value at once
        earlier = np.any(((last_t[:, None] - t) >= days) & declined, axis=1)
    return np.asarray(ok_now & earlier, dtype=bool)


def psa_progression(sim: CohortSim, pt: Point, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(met, awaiting confirmation) of the protocol's PSA progression since the baseline (the
    PSA at the first administration), by the one kernel
    (:func:`lutetia.assess.psa_kernel.progression_kernel`) with the protocol's
    ``[psa_progression]`` parameters."""
    t, v, base = _psa_matrix(sim, pt)
    if rows is not None:  # only these patients
        t, v, base = t[rows], v[rows], base[rows]
    k = progression_kernel(t, v, base, sim.rules.psa_rule)
    return k.met, k.pending


def recip_progression(sim: CohortSim, pt: Point) -> np.ndarray:
    """RECIP 1.0 PD on the surveillance PSMA PET: TTV ≥ +20 % vs the pre-treatment PET and
    new lesions (the simulated new lesions: the model's progression)."""
    prog = np.isfinite(sim.progression_day) & (sim.progression_day <= pt.t_days)
    ratio = pt.labs[:, 5] / sim.first_labs[:, 5]
    return np.asarray(prog & ~pt.lab_missing & (ratio >= 1.2), dtype=bool)


def pretreatment_ok(sim: CohortSim, pt: Point) -> np.ndarray:
    """The protocol's first-dose blood-count check (``before_first_dose`` rows) passes."""
    fail = np.zeros(pt.t_days.shape[0], dtype=bool)
    for col, op, threshold in sim.rules.pretreatment:
        fail |= compare_array(pt.labs[:, col], op, threshold)
    return ~fail


def first_activity(sim: CohortSim, pt: Point) -> F:
    """Cycle-1 activity: nominal (fixed, personalised) or the simulated physician's choice."""
    if sim.rules.mode == "individualised":
        return np.round(individualised_activity(sim, pt), 3)
    return np.full(pt.t_days.shape[0], sim.rules.nominal_gbq)


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

    first = treat & (sim.cycles == 0)
    settle(first & (pt.lab_missing | pt.lab_stale | ~pretreatment_ok(sim, pt)), Action.WITHHOLD)
    act[first] = first_activity(sim, pt)[first]
    settle(first, Action.GIVE)
    settle(treat & (sim.cycles >= r.max_cycles), Action.COMPLETED)
    settle(treat & prog, Action.PROGRESSION)
    holiday = undecided & (pt.phase == Phase.HOLIDAY)
    if holiday.any():
        rows = np.flatnonzero(holiday)
        psa_met = np.zeros(n, dtype=bool)
        psa_met[rows] = psa_progression(sim, pt, rows)[0]
        # a recorded progression (the model's) resumes, as does RECIP or PSA progression at surveillance
        settle(holiday & ~(prog | recip_progression(sim, pt) | psa_met), Action.HOLIDAY)
    if r.holiday:
        spect = (1 - sim.spect_ttv_last / sim.spect_ttv_c1) * 100 >= r.holiday_spect_decline_pct
        psa = psa_confirmed_decline(sim, pt, r.holiday_psa_decline_pct, r.holiday_confirm_days)
        settle(treat & (sim.cycles >= 1) & spect & psa, Action.HOLIDAY)
    settle(pt.lab_missing | pt.lab_stale, Action.WITHHOLD)
    g_now = beyond_baseline(pt.labs[:, :4], sim.first_labs[:, :4], sim.myelo_lln)
    g3_past = sim.g3_since_admin | (g_now >= 3)
    reduced = sim.reductions >= 1
    settle(g3_past & (sim.reductions >= r.max_reductions) & reduced, Action.DISCONTINUE)
    reduce_now = undecided & g3_past & (sim.reductions < r.max_reductions) & (g_now <= 1)
    settle(g_now >= 2, Action.WITHHOLD)
    factor = (1.0 - r.reduction_pct / 100.0) ** (sim.reductions + reduce_now)
    if r.mode == "personalised":
        base, curtail = personalised_activity(sim)
        settle(curtail, Action.CURTAIL)
    elif r.mode == "individualised":
        base = individualised_activity(sim, pt)
    else:
        base = np.full(n, r.nominal_gbq)
    act = np.where(first, act, base * factor)
    if r.cap_quantity is not None:
        d = act * sim.last_gy_per_gbq
        pred = sim.cum_bed_measured + bed_gy(d, r.g_factor(sim.t_eff_c1), r.alpha_beta_gy)
        settle((sim.cycles >= 1) & (pred > r.cap_limit), Action.CURTAIL)
    settle(undecided, Action.GIVE)
    act = np.where(action == Action.GIVE, np.round(act, 3), np.nan)
    action[physician_stop(sim, action)] = int(Action.DISCONTINUE)
    return Decision(action, act, reduce_now & (action == Action.GIVE))


def physician_stop(sim: CohortSim, action: I64) -> np.ndarray:
    """The simulated physician discontinues a withheld cycle whose delay would pass the
    label's "consider discontinuation" limit (parameter ``physician.delay_discontinue_weeks``)."""
    limit = sim.params.value("physician", "delay_discontinue_weeks") * 7.0
    recheck = 7.0 * sim.params.value("data", "withhold_recheck_weeks")
    return np.asarray((action == Action.WITHHOLD) & (sim.delay_days + recheck > limit), dtype=bool)
