"""The virtual patients' course, stepped decision point by decision point for a whole cohort.

:class:`CohortSim` holds the state of every patient as arrays of shape (n,) and advances
all of them at once: at each *decision point* (before a cycle, at a repeat lab check after a
withheld cycle, at holiday surveillance) it produces the measurements (labs, PSA, the last
cycle's SPECT/CT dosimetry and tumour volume), asks a *policy* what to do, and applies the
answer (administer, withhold, holiday, stop).  The policy is either the vectorised rule model
(:mod:`lutetia.simulate.vector`) or the record-level decision engine
(:mod:`lutetia.simulate.trial`); both see the same noise
(:class:`~lutetia.simulate.cohort.Innovations`, drawn step by step), so the same actions give the same course.

Model (every parameter a simulation assumption, ``params/virtual_patients.toml``)
--------------------------------------------------------------------------------
* tumour burden B (1 at baseline): B ← B·exp(−α·D_tumour) at each administration and
  B ← B·exp(g·Δt) between; PSA = PSA₀·B, PSMA TTV ∝ B;
* kidney: true Gy/GBq of a cycle = patient value × exp(cv·z); the SPECT/CT time points are
  A(t) = Ã·λ·e^(−λt) with Ã = D/S(m) (S scaled by kidney mass) and measurement noise;
  measured Gy/GBq: cycle 1 log-linear mono-exponential fit, later cycles Madsen single time
  point with the cycle-1 effective half-life; BED with G = T_rep/(T_rep + T_eff);
* marrow damage M (Gy) ← M·2^(−Δt/T½) + D_marrow·reserve, plus a permanent fraction f of
  the cumulative marrow dose; counts = baseline·exp(−k·(M + f·ΣD));
* death when the Weibull cumulative hazard × B^β passes an Exp(1) threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from lutetia.physics.batch import fit_mono_batch
from lutetia.physics.mird import kidney_s_value
from lutetia.physics.radiobiology import bed_gy
from lutetia.physics.stp import madsen_tia_array
from lutetia.simulate.cohort import WEEKS_PER_MONTH, Cohort, Innovations
from lutetia.simulate.grading import MYELO_RANGES, beyond_baseline
from lutetia.simulate.parameters import Parameters, load_parameters
from lutetia.simulate.rules import ArmRules

F = NDArray[np.float64]
B = NDArray[np.bool_]
LN2 = math.log(2.0)
#: Decimals a virtual laboratory reports (simulation assumption).
REPORT_DECIMALS = 3


class Action(IntEnum):
    """What a decision point leads to (per patient)."""

    NONE = -1  # not at a decision point (off treatment or dead)
    GIVE = 0
    WITHHOLD = 1
    HOLIDAY = 2
    DISCONTINUE = 3
    CURTAIL = 4
    COMPLETED = 5
    PROGRESSION = 6


STOPS = (Action.DISCONTINUE, Action.CURTAIL, Action.COMPLETED, Action.PROGRESSION)


class Phase(IntEnum):
    TREATMENT = 0
    HOLIDAY = 1
    OFF = 2
    DEAD = 3


@dataclass
class Point:
    """Measurements at one decision point (arrays of shape (n,); NaN = missing)."""

    step: int
    t_days: F
    labs: F  # (n, 6): Hb g/L, platelets, neutrophils, WBC 10^9/L, creatinine umol/L, PSA ng/mL
    lab_missing: B
    active: B  # at a decision point (treatment or holiday phase, alive)
    phase: NDArray[np.int64]
    late: B
    lab_offset_days: F  # the panel was drawn this many days before the decision date
    lab_stale: B  # drawn, but before the protocol's pre-cycle lab window
    progressed: B  # the model's (radiographic) progression has happened by this point


@dataclass
class Decision:
    """A policy's answer at one point: action and activity (GBq, NaN unless GIVE)."""

    action: NDArray[np.int64]
    activity_gbq: F
    reduce_now: B


@dataclass
class CohortSim:
    """State of a cohort under one arm's rules (see the module docstring)."""

    cohort: Cohort
    rules: ArmRules
    noise: Innovations
    params: Parameters = field(default_factory=load_parameters)

    def __post_init__(self) -> None:
        n, c, p = self.cohort.n, self.cohort, self.params
        z = np.zeros(n)
        self.t = z.copy()
        self.t_decided = np.full(n, -np.inf)  # day of each patient's previous decision point
        self.phase = np.zeros(n, dtype=np.int64)
        self.burden, self.nadir = np.ones(n), np.ones(n)
        self.marrow, self.hazard, self.cum_marrow = z.copy(), z.copy(), z.copy()
        self.cycles = np.zeros(n, dtype=np.int64)
        self.reductions = np.zeros(n, dtype=np.int64)
        self.cum_gbq, self.cum_dose, self.cum_bed, self.cum_bed_measured = z.copy(), z.copy(), z.copy(), z.copy()
        self.cum_dose_measured = z.copy()
        self.last_gy_per_gbq = np.full(n, np.nan)
        self.t_eff_c1 = np.full(n, np.nan)
        self.spect_ttv_c1, self.spect_ttv_last = np.full(n, np.nan), np.full(n, np.nan)
        self.delay_days = z.copy()
        self.g3_since_admin = np.zeros(n, dtype=bool)
        self.holidays = np.zeros(n, dtype=np.int64)
        self.death_day = np.full(n, np.nan)
        self.progression_day = np.full(n, np.nan)
        self.progression_days: list[list[float]] = [[] for _ in range(n)]  # every progression, per patient
        self.psa_history: list[tuple[F, F]] = []  # (t_days, psa) per point
        self.first_step = np.full(n, -1, dtype=np.int64)  # psa_history index of the first administration
        self.step = 0
        # kidney S-value scaled to the patient's kidney mass: mGy/(MBq s) × 3600 s/h × 1e-3 Gy/mGy
        masses, where = np.unique(np.round(c.kidney_mass_g, 1), return_inverse=True)  # reported to 0.1 g
        self.s_kidney = np.array([kidney_s_value(float(m)) for m in masses])[where] * 3.6  # Gy/(MBq h)
        reserve = 1.0 + p.value("toxicity", "low_reserve_factor") * np.clip(
            1.0 - c.platelets_giga_l / 230.0, 0.0, None)
        self.reserve = reserve * np.where(c.prior_radium223 | c.second_taxane, 1.3, 1.0)
        self.baseline_labs = np.column_stack([c.haemoglobin_g_l, c.platelets_giga_l, c.neutrophils_giga_l,
                                              c.wbc_giga_l, c.creatinine_umol_l, c.psa_ng_ml])
        self.log: list[tuple[Point, Decision]] = []
        self.follow_labs: list[tuple[F, F, B]] = []  # (day, labs (n, 6), drawn) after treatment
        self.first_labs = self.baseline_labs.copy()  # replaced by the labs of the first administration
        ranges = p.entry("labs", "reference_ranges")
        self.myelo_lln = tuple(float(ranges[key][0]) for key in MYELO_RANGES)  # the virtual lab's LLN
        self.doses: list[dict[str, F]] = []  # per step: what was administered and measured

    # ----------------------------------------------------------------- measurements
    def current_labs(self, k: int) -> F:
        """Lab values now (n, 6) with the noise of step ``k``: Hb, platelets, neutrophils, WBC,
        creatinine, PSA."""
        p = self.params
        cv = p.value("labs", "measurement_cv")
        tox = p.entry("toxicity")
        m = self.marrow + p.value("toxicity", "marrow_permanent_fraction") * self.cum_marrow
        factors = np.column_stack([
            # disease anaemia eases as the tumour burden falls, at most to 1.07 × baseline (burden
            # 0.1): an unbounded burden^-0.03 gave 1,907 g/L for a near-complete responder
            np.exp(-float(tox["haemoglobin_sensitivity_per_gy"]["value"]) * m)
            * np.maximum(self.burden, 0.1) ** -0.03,
            np.exp(-float(tox["platelet_sensitivity_per_gy"]["value"]) * m),
            np.exp(-float(tox["neutrophil_sensitivity_per_gy"]["value"]) * m),
            np.exp(-float(tox["neutrophil_sensitivity_per_gy"]["value"]) * 0.8 * m),
            1.0 + p.value("toxicity", "creatinine_rise_per_gy_bed") * self.cum_bed,
            self.burden,
        ])
        cvs = np.array([cv, cv, cv, cv, cv, p.value("disease", "psa_cv")])
        labs = self.baseline_labs * factors * np.exp(cvs * self.noise.at(k).lab - cvs**2 / 2)
        # reported to REPORT_DECIMALS, as the stored lab record holds them: the vectorised
        # rules and the record-level engine read the very same numbers
        return np.asarray(np.round(labs, REPORT_DECIMALS))

    def point(self) -> Point:
        """The measurements at the current decision point of every patient."""
        p, k = self.params, min(self.step, self.noise.steps - 1)
        labs = self.current_labs(k)
        u = self.noise.at(k).uniform
        missing = (u[:, 0] < p.value("data", "lab_missing_probability")) & (self.step > 0)
        active = self.phase <= Phase.HOLIDAY
        late = (u[:, 1] < p.value("data", "visit_late_probability")) & (self.step > 0)
        lo, hi = p.entry("data", "visit_late_probability")["late_days"]
        within = 2.0 + np.minimum(np.round(np.abs(p.value("data", "visit_shift_sd_days") * self.noise.at(k).shift)),
                                  max(self.rules.lab_window_days - 2.0, 0.0))
        offset = np.where(late, float(lo) + np.floor(u[:, 5] * (float(hi) - float(lo) + 1.0)), within)
        offset = offset if self.step > 0 else np.full_like(offset, 2.0)  # cycle 1: labs 2 days before
        # a panel is drawn after the previous decision point (one drawn on or before it would have
        # been read by that decision): at most the day after it
        offset = np.minimum(offset, np.maximum(self.t - self.t_decided - 1.0, 0.0))
        stale = ~missing & (offset > self.rules.lab_window_days)
        progressed = np.isfinite(self.progression_day) & (self.progression_day <= self.t)
        return Point(self.step, self.t.copy(), labs, missing, active, self.phase.copy(), late, offset, stale,
                     progressed)

    # ----------------------------------------------------------------- applying a decision
    def apply(self, pt: Point, d: Decision) -> None:
        """Apply decision ``d`` taken at point ``pt`` and advance every patient's clock."""
        p, k = self.params, min(self.step, self.noise.steps - 1)
        self.log.append((pt, d))
        self.psa_history.append((pt.t_days - pt.lab_offset_days, np.where(pt.lab_missing, np.nan, pt.labs[:, 5])))
        act = d.action
        give = act == Action.GIVE
        # the treatment baseline is the point of the first administration (cycle 1 may be
        # withheld by the pre-treatment check): its labs and its PSA (index into psa_history)
        first_give = give & (self.cycles == 0)
        self.first_labs = np.where(first_give[:, None], pt.labs, self.first_labs)
        self.first_step = np.where(first_give, len(self.psa_history) - 1, self.first_step)
        # a progression before the first dose (cycle 1 withheld) is the disease treatment starts
        # from, not a progression on treatment: the model watches for the next one
        self.progression_day = np.where(first_give, np.nan, self.progression_day)
        self.nadir = np.where(first_give, self.burden, self.nadir)
        self.reductions += d.reduce_now.astype(np.int64)
        a = np.where(give, d.activity_gbq, 0.0)
        dose_row = self._administer(give, a, k)
        self.doses.append(dose_row)
        hold = act == Action.WITHHOLD
        hol = act == Action.HOLIDAY
        stop = np.isin(act, [int(s) for s in STOPS])
        self.holidays += (hol & (self.phase == Phase.TREATMENT)).astype(np.int64)
        resumed = give & (self.phase == Phase.HOLIDAY)
        self.progression_day = np.where(resumed, np.nan, self.progression_day)
        self.nadir = np.where(resumed, self.burden, self.nadir)
        # a holiday stays open until a cycle is given (a withheld resumption is still on holiday)
        self.phase = np.where(hol, Phase.HOLIDAY, np.where(give, Phase.TREATMENT, self.phase))
        self.phase = np.where(stop, Phase.OFF, self.phase)
        self.delay_days = np.where(give, 0.0, self.delay_days)
        g3 = beyond_baseline(pt.labs[:, :4], self.first_labs[:, :4], self.myelo_lln) >= 3
        self.g3_since_admin = np.where(give, False, self.g3_since_admin | (g3 & ~pt.lab_missing))
        weeks = np.where(give, self.rules.interval_weeks, np.where(
            hold, p.value("data", "withhold_recheck_weeks"),
            p.value("data", "surveillance_weeks")))
        self.delay_days += np.where(hold, weeks * 7.0, 0.0)
        self.t_decided = self.t.copy()
        self._advance(weeks * 7.0, k)
        self.step += 1

    def _administer(self, give: B, a: F, k: int) -> dict[str, F]:
        c, p = self.cohort, self.params
        kcv = p.value("dosimetry", "kidney_cycle_cv")
        gpg = c.kidney_gy_per_gbq * np.exp(kcv * self.noise.at(k).kidney_cycle - kcv**2 / 2)
        dose = a * gpg
        lam = LN2 / c.kidney_t_eff_h
        tia = dose / self.s_kidney  # MBq h
        first = give & (self.cycles == 0)
        scv = p.value("dosimetry", "spect_activity_cv")
        tps = np.asarray(p.entry("dosimetry", "time_points_cycle1_h")["value"], dtype=np.float64)
        t1 = p.value("dosimetry", "time_point_later_cycles_h")
        times = np.where(first[:, None], tps[None, :], np.array([t1, np.nan, np.nan, np.nan])[None, :])
        act_mbq = tia[:, None] * lam[:, None] * np.exp(-lam[:, None] * times)
        act_mbq = np.round(act_mbq * np.exp(scv * self.noise.at(k).spect[:, :4] - scv**2 / 2), 3)
        measured, t_eff = self.measure(times, act_mbq, np.where(give, a, np.nan))
        bed = bed_gy(dose, self.rules.g_factor(c.kidney_t_eff_h), self.rules.alpha_beta_gy)
        mdose = measured * a
        bed_meas = bed_gy(mdose, self.rules.g_factor(t_eff), self.rules.alpha_beta_gy)
        self.t_eff_c1 = np.where(first, t_eff, self.t_eff_c1)
        self.last_gy_per_gbq = np.where(give, measured, self.last_gy_per_gbq)
        self.cum_bed_measured += np.where(give, bed_meas, 0.0)
        self.cum_dose_measured += np.where(give, mdose, 0.0)
        self.cum_gbq += a
        self.cum_dose += np.where(give, dose, 0.0)
        self.cum_bed += np.where(give, bed, 0.0)
        self.cycles += give.astype(np.int64)
        d_tumour = a * c.tumour_gy_per_gbq
        self.burden = np.where(give, self.burden * np.exp(-c.radiosensitivity_per_gy * d_tumour), self.burden)
        self.marrow += a * c.marrow_gy_per_gbq * self.reserve
        self.cum_marrow += a * c.marrow_gy_per_gbq * self.reserve
        ttv = c.psa_ng_ml * c.ttv_ml_per_psa * self.burden * np.exp(0.05 * self.noise.at(k).spect[:, 5])
        self.spect_ttv_c1 = np.where(first, ttv, self.spect_ttv_c1)
        self.spect_ttv_last = np.where(give, ttv, self.spect_ttv_last)
        return {"give": give, "activity_gbq": a, "times_h": times, "kidney_mbq": act_mbq,
                "kidney_dose_gy": dose, "kidney_bed_gy": bed, "measured_gy_per_gbq": measured,
                "spect_ttv_ml": ttv, "t_days": self.t.copy()}

    def measure(self, times: F, act_mbq: F, activity_gbq: F) -> tuple[F, F]:
        """Measured kidney Gy/GBq and effective half-life (h) from SPECT/CT time points, by the
        engine's own methods (:mod:`lutetia.decide.dosimetry`): rows with several time points
        are fitted by :func:`lutetia.physics.batch.fit_mono_batch`, rows with one by Madsen's
        single time point (:func:`lutetia.physics.stp.madsen_tia_array`) with the patient's
        cycle-1 effective half-life.
        """
        ok = np.isfinite(times)
        multi = ok.sum(axis=1) >= 2
        tia, t_eff = np.full(times.shape[0], np.nan), np.full(times.shape[0], np.nan)
        for pattern in np.unique(ok[multi], axis=0):  # one schedule of time points per group
            cols = tuple(np.flatnonzero(pattern))
            rows = multi & np.all(ok[:, list(cols)], axis=1) & (ok.sum(axis=1) == len(cols))
            fit = fit_mono_batch(times[np.flatnonzero(rows)[0], list(cols)], act_mbq[rows][:, list(cols)])
            with np.errstate(divide="ignore"):
                tia[rows] = fit.tia
                t_eff[rows] = np.where(fit.ok, LN2 / np.where(fit.ok, fit.rate_per_h, 1.0), np.nan)
        single = ~multi
        tia[single] = madsen_tia_array(act_mbq[single, 0], times[single, 0], self.t_eff_c1[single])
        t_eff[single] = self.t_eff_c1[single]
        return tia * self.s_kidney / activity_gbq, t_eff

    def horizon_days(self) -> float:
        return self.params.value("data", "follow_up_months") * WEEKS_PER_MONTH * 7.0

    def follow_up(self, horizon: float) -> None:
        """Advance every living patient off treatment to the follow-up horizon (days) in
        surveillance steps, so that deaths and progressions after treatment are known, with a
        lab panel (haematology, creatinine, PSA) at each step (``follow_labs``)."""
        week = 7.0 * self.params.value("data", "surveillance_weeks")
        j = 0
        while True:
            todo = (self.phase != Phase.DEAD) & (self.t < horizon)
            if not todo.any():
                return
            k = min(self.step + j, self.noise.steps - 1)
            self._advance(np.where(todo, np.minimum(week, horizon - self.t), 0.0), k)
            alive = todo & (self.phase != Phase.DEAD) & (self.t <= horizon)
            missing = self.noise.at(k).uniform[:, 0] < self.params.value("data", "lab_missing_probability")
            self.follow_labs.append((self.t.copy(), self.current_labs(k), alive & ~missing))
            j += 1

    def _advance(self, days: F, k: int) -> None:
        c, p = self.cohort, self.params
        alive = self.phase != Phase.DEAD
        w0, w1 = self.t / 7.0, (self.t + days) / 7.0
        shape = p.value("survival", "weibull_shape")
        beta = p.value("survival", "burden_hazard_exponent")
        b_end = np.minimum(self.burden * np.exp(c.growth_rate_per_week * days / 7.0),
                           np.maximum(self.burden, p.value("disease", "max_burden")))
        b_mid = np.sqrt(self.burden * b_end)
        dh = ((w1 / c.weibull_scale_weeks) ** shape - (w0 / c.weibull_scale_weeks) ** shape) * b_mid**beta
        crossed = alive & (self.hazard + dh >= c.death_threshold)
        frac = np.clip((c.death_threshold - self.hazard) / np.where(dh > 0, dh, 1.0), 0.0, 1.0)
        # a death is dated at least the day after the decision point it follows: a record that
        # holds a death on the decision date would have stopped that decision
        self.death_day = np.where(crossed, np.maximum(np.ceil(self.t + frac * days), self.t + 1.0), self.death_day)
        self.hazard += np.where(alive, dh, 0.0)
        self.burden = np.where(alive, b_end, self.burden)
        half = p.value("toxicity", "marrow_recovery_half_time_weeks")
        self.marrow *= 2.0 ** (-days / 7.0 / half)
        rise = p.value("disease", "radiographic_progression_rise")
        self.nadir = np.minimum(self.nadir, self.burden)
        new_lesion = self.noise.at(k).uniform[:, 2] < 1 - np.exp(-c.new_lesion_hazard_per_week * days / 7.0)
        prog = alive & np.isnan(self.progression_day) & ((self.burden > (1 + rise) * self.nadir) | new_lesion)
        self.progression_day = np.where(prog & ~crossed, self.t + days, self.progression_day)
        for i in np.flatnonzero(prog & ~crossed):
            self.progression_days[i].append(float(self.t[i] + days[i]))
        self.t = self.t + days
        self.phase = np.where(crossed, Phase.DEAD, self.phase)


def run_model(sim: CohortSim, policy: Callable[[CohortSim, Point], Decision],
              on_step: Callable[[float], None] | None = None) -> CohortSim:
    """Step ``sim`` with ``policy`` until every patient is off treatment, dead or past the
    follow-up horizon (or the pre-drawn steps run out); returns ``sim``.

    ``on_step(fraction)`` is called after each decision point with the fraction of patients
    no longer under treatment (for a progress display; the core prints nothing).
    """
    horizon = sim.horizon_days()
    while sim.step < sim.noise.steps:
        pt = sim.point()
        pt.active &= pt.t_days < horizon
        if not pt.active.any():
            break
        sim.apply(pt, policy(sim, pt))
        if on_step is not None:
            on_step(1.0 - float(pt.active.mean()))
    sim.follow_up(horizon)
    return sim
