"""Kidney dose ledger of a patient's cycles from the recorded post-therapy measurements.

Per cycle, the kidney activities (region ``kidneys``, or ``kidney_left`` + ``kidney_right``
at the same time point) give the time-integrated activity: two or more time points → a
mono-exponential fit by weighted least squares on ln A (:func:`lutetia.physics.batch.fit_mono_batch`,
10 % relative uncertainty per point: the fit the cohort simulator applies to the same points); one time point → Madsen's
single-time-point method with the effective half-life of the patient's own earlier fitted
cycle, else Hänscheid's, whose approximation is exact when the scan time equals T_eff
(so T_eff = t is taken for the Lea–Catcheside factor, the method's own assumption).
A fitted effective half-life longer than the physical half-life of 177Lu (a curve that does
not clear) is refused: λ_eff = λ_phys + λ_bio with λ_bio ≥ 0.
Absorbed dose by the kidney S-value scaled to the recorded mass
(:func:`lutetia.physics.mird.organ_dose`); BED with G = T_rep/(T_rep + T_eff) and the
kidney α/β, T_rep of :func:`lutetia.physics.radiobiology.lq_parameters`.

References
----------
1. Hänscheid H et al. J Nucl Med 2018;59:75. doi:10.2967/jnumed.117.193706
2. Madsen MT et al. Med Phys 2018;45:2318. doi:10.1002/mp.12886
3. Dale RG. Br J Radiol 1985;58:515. doi:10.1259/0007-1285-58-690-515
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from lutetia.errors import LutetiaError, RecordError
from lutetia.physics.batch import fit_mono_batch
from lutetia.physics.decay import lu177
from lutetia.physics.ledger import LedgerEntry
from lutetia.physics.mird import organ_dose
from lutetia.physics.radiobiology import bed_gy, g_factor_mono, lq_parameters
from lutetia.physics.stp import haenscheid_tia, madsen_tia
from lutetia.records import Administration, DosimetryMeasurement, DosimetryRegion, PatientRecord

#: Relative tolerance on "T_eff cannot exceed the physical half-life" (fit round-off only).
_PHYS_TOL = 1e-3
_KIDNEY = (DosimetryRegion.kidneys, DosimetryRegion.kidney_left, DosimetryRegion.kidney_right)


@dataclass(frozen=True)
class KidneyCycle:
    """One cycle's kidney dosimetry: ledger entry, effective half-life and how it was computed."""

    entry: LedgerEntry
    t_eff_h: float
    alpha_beta_gy: float


def _points(measures: list[DosimetryMeasurement]) -> tuple[list[float], list[float], float | None]:
    """(times h, activities MBq, kidney mass g) combining left + right when needed."""
    whole = [m for m in measures if m.region is DosimetryRegion.kidneys]
    chosen = whole or [m for m in measures if m.region is not DosimetryRegion.kidneys]
    by_t: dict[float, list[DosimetryMeasurement]] = defaultdict(list)
    for m in chosen:
        by_t[m.time_after_administration_h].append(m)
    times = sorted(by_t)
    acts = [sum(m.activity_mbq for m in by_t[t]) for t in times]
    masses = [sum(m.mass_g or 0.0 for m in by_t[t]) for t in times if all(m.mass_g for m in by_t[t])]
    return times, acts, (masses[0] if masses else None)


def kidney_cycle(record: PatientRecord, admin: Administration,
                 earlier_t_eff_h: float | None = None) -> KidneyCycle | None:
    """Kidney dosimetry of ``admin``'s cycle, or None when nothing is recorded for it."""
    measures = [m for m in record.dosimetry if m.course == admin.course and m.cycle == admin.cycle
                and m.region in _KIDNEY]
    if not measures:
        return None
    times, acts, mass = _points(measures)
    if len(times) >= 2:
        fit = fit_mono_batch(np.array(times), np.array([acts]))
        rate = float(fit.rate_per_h[0])
        tia, method = float(fit.tia[0]), "tac:mono"
        t_eff = math.log(2.0) / rate if rate > 0 else math.inf
        if not (bool(fit.ok[0]) and math.isfinite(tia) and tia > 0
                and 0 < t_eff <= lu177().half_life_h * (1 + _PHYS_TOL)):
            raise RecordError(f"kidney curve of cycle {admin.cycle} does not clear (fitted T_eff {t_eff:.4g} h "
                              f"longer than the 177Lu half-life {lu177().half_life_h:.4g} h)",
                              record=record.patient_id, field="dosimetry", value=list(zip(times, acts, strict=True)))
        rel = float(fit.tia_sd[0]) / tia if math.isfinite(float(fit.tia_sd[0])) else 0.0
    elif earlier_t_eff_h is not None:
        stp = madsen_tia(acts[0], times[0], earlier_t_eff_h)
        tia, t_eff, method, rel = stp.tia, earlier_t_eff_h, "stp:madsen", 0.0
    else:
        stp = haenscheid_tia(acts[0], times[0])
        tia, t_eff, method, rel = stp.tia, times[0], "stp:haenscheid", 0.0
    dose = organ_dose(tia, "kidneys", mass)
    lq = lq_parameters("kidneys")
    g = g_factor_mono(t_eff, lq.repair_half_time_h)
    bed = bed_gy(dose.dose_gy, g, lq.alpha_beta_gy)
    entry = LedgerEntry(record.patient_id, "kidneys", admin.cycle, admin.net_activity_gbq, dose.dose_gy, bed,
                        "measured", method, rel, g)
    return KidneyCycle(entry, t_eff, lq.alpha_beta_gy)


def kidney_history(record: PatientRecord, admins: list[Administration]) -> tuple[list[KidneyCycle], dict[int, str]]:
    """Kidney dosimetry of each given cycle, and for the others what is missing (by cycle).

    A measurement that cannot be computed (a fit that does not converge, a rising curve)
    is reported as missing with the reason, never raised.
    """
    out: list[KidneyCycle] = []
    missing: dict[int, str] = {}
    t_eff: float | None = None
    for a in admins:
        try:
            kc = kidney_cycle(record, a, t_eff)
        except LutetiaError as exc:
            missing[a.cycle] = f"kidney dosimetry of cycle {a.cycle} cannot be computed: {exc}"
            continue
        if kc is None:
            missing[a.cycle] = f"no post-therapy SPECT/CT dosimetry of cycle {a.cycle}"
            continue
        if kc.entry.method == "tac:mono" and math.isfinite(kc.t_eff_h):
            t_eff = kc.t_eff_h
        out.append(kc)
    return out, missing


__all__ = ["KidneyCycle", "kidney_cycle", "kidney_history"]
