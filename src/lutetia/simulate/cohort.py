"""Virtual mCRPC patients: baseline characteristics and latent kinetics, vectorised.

:func:`generate_cohort` draws ``n`` patients at once from the distributions of
``params/virtual_patients.toml`` (every one a simulation assumption, not a clinical fact)
for a population (``vision``: label-eligible, VISION-like [1]; ``ecog3``: the REALITY
registry ECOG 3 cohort, Bastian et al. Table 1 [2]).  :func:`draw_innovations` fixes
every random number the patients will need later (lab noise, cycle-to-cycle dosimetry
variation, missing data, visit shifts) without drawing them up front: each step's numbers
are drawn when the step is reached, from a stream of their own, so that two decision
policies run on the same cohort see the same noise.  The generator is always passed in.

References
----------
1. Sartor O et al. Lutetium-177-PSMA-617 for metastatic castration-resistant prostate
   cancer. N Engl J Med 2021;385:1091. doi:10.1056/NEJMoa2107322
2. Bastian MB et al. Expanding the scope of PSMA-RLT ... (ECOG 3). Eur J Nucl Med Mol
   Imaging 2025. (seed 004)
3. Herrmann K et al. VISION dosimetry sub-study. J Nucl Med 2024;65:71.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.analysis.endpoints import DAYS_PER_MONTH
from lutetia.simulate.parameters import Parameters, load_parameters

F = NDArray[np.float64]
B = NDArray[np.bool_]
I64 = NDArray[np.int64]
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7.0  # the analysis's month (365.25/12 days)


def _lognormal_median(rng: np.random.Generator, e: dict[str, Any], n: int) -> F:
    x = float(e["median"]) * np.exp(float(e["sd_log"]) * rng.standard_normal(n))
    return np.clip(x, e.get("min", 0.0), e.get("max", np.inf))


def _lognormal_mean(rng: np.random.Generator, mean: float, sd: float, n: int) -> F:
    s2 = np.log1p((sd / mean) ** 2)
    return np.asarray(mean * np.exp(np.sqrt(s2) * rng.standard_normal(n) - s2 / 2.0), dtype=np.float64)


def _normal(rng: np.random.Generator, e: dict[str, Any], n: int) -> F:
    x = float(e["median"]) + float(e["sd"]) * rng.standard_normal(n)
    return np.clip(x, e.get("min", -np.inf), e.get("max", np.inf))


@dataclass(frozen=True)
class Cohort:
    """Baseline and latent characteristics of ``n`` virtual patients (arrays of shape (n,)).

    Units are in the names.  ``weibull_scale_weeks`` and ``death_threshold`` define death:
    a patient dies when the accumulated hazard exceeds ``death_threshold`` (Exp(1)).
    """

    population: str
    age_years: F
    ecog: I64
    weight_kg: F
    height_cm: F
    psa_ng_ml: F
    alp_u_l: F
    haemoglobin_g_l: F
    platelets_giga_l: F
    neutrophils_giga_l: F
    creatinine_umol_l: F
    testosterone_nmol_l: F
    bone: B
    diffuse_bone: B
    lymph_node: B
    liver: B
    lung: B
    prior_arsi: B
    prior_taxane: B
    second_taxane: B
    prior_radium223: B
    prior_parp: B
    psma_positive: B
    kidney_gy_per_gbq: F
    kidney_t_eff_h: F
    kidney_mass_g: F
    parotid_gy_per_gbq: F
    marrow_gy_per_gbq: F
    tumour_gy_per_gbq: F
    radiosensitivity_per_gy: F
    growth_rate_per_week: F
    ttv_ml_per_psa: F
    weibull_scale_weeks: F
    death_threshold: F
    new_lesion_hazard_per_week: F
    prior_lu_cycles: I64
    prior_lu_best_psa_pct: F
    prior_lu_last_injection_days: F
    prior_lu_progression_days: F

    @property
    def n(self) -> int:
        return int(self.age_years.shape[0])

    @property
    def wbc_giga_l(self) -> F:
        """Baseline WBC from neutrophils (neutrophils ≈ 67 % of WBC, modelling choice)."""
        frac = 1.0 - load_parameters().value("labs", "lymphocytes_fraction_of_wbc") - 0.08
        return self.neutrophils_giga_l / frac


def generate_cohort(n: int, rng: np.random.Generator, population: str = "vision",
                    params: Parameters | None = None) -> Cohort:
    """Draw ``n`` virtual patients of ``population`` with the generator ``rng``.

    Parameters
    ----------
    n : int
        Number of patients (≥ 1).
    rng : numpy.random.Generator
        The only source of randomness.
    population : {"vision", "ecog3"}
        Baseline distributions to draw from.
    params : Parameters, optional
        Parameter set (default: the shipped file).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    p = params or load_parameters()
    pop = p.population(population)
    sites, prior = pop["metastatic_sites"], pop["prior_therapies"]
    ecog_p = np.asarray(pop["ecog_probabilities"]["value"], dtype=np.float64)
    ecog = rng.choice(4, size=n, p=ecog_p / ecog_p.sum()).astype(np.int64)
    u = rng.random((n, 11))
    diffuse = u[:, 1] < float(sites["diffuse_bone"])
    dz = p.entry("dosimetry")
    marrow = _lognormal_mean(rng, float(dz["marrow_gy_per_gbq"]["mean"]), float(dz["marrow_gy_per_gbq"]["sd"]), n)
    marrow = marrow * np.where(diffuse, p.value("dosimetry", "marrow_diffuse_bone_factor"), 1.0)
    growth = _lognormal_median(rng, p.entry("disease", "growth_rate_per_week"), n)
    if population == "ecog3":
        growth = growth * p.value("disease", "ecog3_growth_factor")
    prior_course = _prior_course(rng, pop.get("prior_course"), n)
    surv = p.entry("survival", "median_os_months")
    shape = p.value("survival", "weibull_shape")
    median_weeks = float(surv.get(population, surv["vision"])) * WEEKS_PER_MONTH * np.where(
        ecog == 2, float(surv["ecog2_factor"]), 1.0)
    scale = median_weeks / np.log(2.0) ** (1.0 / shape)
    labs = p.entry("labs")
    age = _lognormal_median(rng, pop["age_years"], n)
    weight = _normal(rng, labs["weight_kg"], n)
    creat = _lognormal_median(rng, labs["creatinine_umol_l"], n)
    # adequate renal function (VISION): Cockcroft-Gault CrCl >= crcl_min (creatinine capped)
    crcl_min = float(labs["creatinine_umol_l"]["crcl_min_ml_min"])
    creat = np.minimum(creat, (140.0 - age) * weight / (0.8136 * crcl_min))
    return Cohort(
        population=population,
        age_years=age,
        ecog=ecog,
        weight_kg=weight,
        height_cm=np.clip(176.0 + 7.0 * rng.standard_normal(n), 150.0, 205.0),
        psa_ng_ml=_lognormal_median(rng, pop["psa_ng_ml"], n),
        alp_u_l=_lognormal_median(rng, pop["alp_u_l"], n),
        haemoglobin_g_l=_normal(rng, pop["haemoglobin_g_l"], n),
        platelets_giga_l=_lognormal_median(rng, labs["platelets_giga_l"], n),
        neutrophils_giga_l=_lognormal_median(rng, labs["neutrophils_giga_l"], n),
        creatinine_umol_l=creat,
        testosterone_nmol_l=_lognormal_median(rng, labs["testosterone_nmol_l"], n),
        bone=(u[:, 0] < float(sites["bone"])) | diffuse,
        diffuse_bone=diffuse,
        lymph_node=u[:, 2] < float(sites["lymph_node"]),
        liver=u[:, 3] < float(sites["liver"]),
        lung=u[:, 4] < float(sites["lung"]),
        prior_arsi=u[:, 5] < float(prior["arsi"]),
        prior_taxane=u[:, 6] < float(prior["taxane"]),
        second_taxane=(u[:, 6] < float(prior["taxane"])) & (u[:, 7] < float(prior["second_taxane"])),
        prior_radium223=u[:, 8] < float(prior["radium223"]),
        prior_parp=u[:, 9] < float(prior["parp_inhibitor"]),
        psma_positive=u[:, 10] < float(pop["psma_pet_vision_positive"]["value"]),
        kidney_gy_per_gbq=_lognormal_mean(rng, float(dz["kidney_gy_per_gbq"]["mean"]),
                                          float(dz["kidney_gy_per_gbq"]["sd"]), n),
        kidney_t_eff_h=_lognormal_median(rng, dz["kidney_t_eff_h"], n),
        kidney_mass_g=np.round(_lognormal_median(rng, dz["kidney_mass_g"], n), 1),
        parotid_gy_per_gbq=_lognormal_mean(rng, float(dz["parotid_gy_per_gbq"]["mean"]),
                                           float(dz["parotid_gy_per_gbq"]["sd"]), n),
        marrow_gy_per_gbq=marrow,
        tumour_gy_per_gbq=_lognormal_median(rng, dz["tumour_gy_per_gbq"], n),
        radiosensitivity_per_gy=_lognormal_median(rng, p.entry("disease", "radiosensitivity_per_gy"), n),
        growth_rate_per_week=growth,
        ttv_ml_per_psa=_lognormal_median(rng, p.entry("disease", "ttv_ml_per_psa"), n),
        weibull_scale_weeks=scale,
        death_threshold=rng.exponential(1.0, n),
        new_lesion_hazard_per_week=np.full(
            n, float(p.entry("disease", "new_lesion_hazard_per_week").get(population, p.value(
                "disease", "new_lesion_hazard_per_week", key="vision")))),
        **prior_course,
    )


def _prior_course(rng: np.random.Generator, e: dict[str, Any] | None, n: int) -> dict[str, Any]:
    """The first 177Lu-PSMA course of a re-treatment population (zeros for the others)."""
    if e is None:
        z = np.zeros(n)
        return {"prior_lu_cycles": np.zeros(n, dtype=np.int64), "prior_lu_best_psa_pct": z,
                "prior_lu_last_injection_days": z.copy(), "prior_lu_progression_days": z.copy()}
    cycles = rng.choice(np.asarray(e["cycles"], dtype=np.int64), size=n, p=np.asarray(e["cycle_probabilities"]))
    best = np.clip(float(e["best_psa_change_pct_median"]) + float(e["best_psa_change_pct_sd"])
                   * rng.standard_normal(n), -99.0, 20.0)
    months = float(e["months_since_last_injection_median"]) * np.exp(
        float(e["months_since_last_injection_sd_log"]) * rng.standard_normal(n))
    last = np.round(months * WEEKS_PER_MONTH * 7.0)
    prog = np.maximum(last - float(e["progression_months_before_screening"]) * WEEKS_PER_MONTH * 7.0, 30.0)
    return {"prior_lu_cycles": cycles.astype(np.int64), "prior_lu_best_psa_pct": best,
            "prior_lu_last_injection_days": last, "prior_lu_progression_days": np.round(prog)}


#: Patients per noise block: each block of patients (rows ``b*NOISE_BLOCK ...``) and step has
#: its own random stream, so a patient's noise depends on neither the cohort's size nor the
#: subset (arm) it is simulated in, and a step's noise is drawn only when it is reached.
#: A project default (a trade-off: larger blocks waste draws on small subsets, smaller ones
#: cost more generator set-ups per step).
NOISE_BLOCK = 1024


@dataclass(frozen=True)
class StepNoise:
    """The random numbers of one decision step (first axis: the patients).

    ``lab`` has a last axis of 6 (Hb, platelets, neutrophils, WBC, creatinine, PSA);
    ``spect`` a last axis of 6 (four cycle-1 time points, one later time point, tumour);
    ``uniform`` a last axis of 6 (lab panel missing, visit late, new lesion, dry mouth,
    fatigue, late-days fraction).
    """

    lab: F
    kidney_cycle: F
    spect: F
    uniform: F
    shift: F


def _block_noise(entropy: int, step: int, block: int) -> StepNoise:
    g = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(step, block)))
    m = NOISE_BLOCK
    return StepNoise(lab=g.standard_normal((m, 6)), kidney_cycle=g.standard_normal(m),
                     spect=g.standard_normal((m, 6)), uniform=g.random((m, 6)), shift=g.standard_normal(m))


@dataclass(frozen=True)
class Innovations:
    """The noise of a cohort over ``steps`` decision steps, drawn step by step when needed.

    Patient ``rows[j]`` of the original cohort is row ``j`` here (``subset`` keeps a patient's
    noise); :meth:`at` gives the :class:`StepNoise` of step ``k`` for these rows, a pure
    function of (``entropy``, ``k``, row) by blocks of :data:`NOISE_BLOCK` patients.  Memory
    is one step's draws instead of ``steps`` of them (about 160 bytes per patient and step).
    """

    entropy: int
    rows: I64
    steps: int
    _last: dict[int, StepNoise] = field(default_factory=dict, init=False, repr=False, compare=False)
    _kept: dict[int, StepNoise] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n(self) -> int:
        return int(self.rows.shape[0])

    def at(self, k: int, keep: bool = False) -> StepNoise:
        """Noise of step ``k`` (0 ≤ k < ``steps``).  The latest step is cached; ``keep`` keeps
        every step asked for so (for building records of small cohorts after a run)."""
        if not 0 <= k < self.steps:
            raise ValueError(f"noise step must be in [0, {self.steps}), got {k}")
        hit = self._last.get(k, self._kept.get(k))
        if hit is None:
            blocks, where = np.unique(self.rows // NOISE_BLOCK, return_inverse=True)
            parts = [_block_noise(self.entropy, k, int(b)) for b in blocks]
            pos = where.reshape(-1) * NOISE_BLOCK + self.rows % NOISE_BLOCK
            if len(parts) == 1:
                hit = StepNoise(*(getattr(parts[0], f.name)[pos] for f in fields(StepNoise)))
            else:
                hit = StepNoise(*(np.concatenate([getattr(p, f.name) for p in parts])[pos]
                                  for f in fields(StepNoise)))
            self._last.clear()
            self._last[k] = hit
        if keep:
            self._kept[k] = hit
        return hit


def draw_innovations(n: int, steps: int, rng: np.random.Generator) -> Innovations:
    """The noise of ``n`` patients over ``steps`` decision steps: one 63-bit entropy is drawn
    from ``rng`` here; the numbers themselves are drawn step by step (:meth:`Innovations.at`).
    """
    return Innovations(entropy=int(rng.integers(2**63)), rows=np.arange(n, dtype=np.int64), steps=steps)
