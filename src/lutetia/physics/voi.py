"""Dosimetry of volumes of interest from registered activity maps: the organ/lesion table.

For each VOI (a boolean mask on the activity grid): activity per time point = Σ voxels,
divided by the VOI's recovery coefficient (partial-volume correction, from the camera
calibration); TIA by the AICc-selected sum of exponentials (:func:`lutetia.physics.tac.
select_model`) from two or more time points, or by a single-time-point method (Hänscheid;
Madsen when an effective half-life is given); mass = voxels × voxel volume × 1.04 g/mL;
absorbed dose by the mass-scaled kidney S-value for kidneys and local deposition otherwise
(:func:`lutetia.physics.mird.organ_dose`), with the fit, calibration and mass uncertainties;
BED where the organ has cited LQ parameters, with G from the fitted curve, and its first-order
uncertainty u(BED) = (1 + 2·G·D/(α/β))·u(D); and, when a dose map is given, the VOI's mean
voxel dose, D98/D2 and cumulative DVH (:func:`lutetia.physics.voxel.mask_dose`).

References
----------
1. Ljungberg M et al. MIRD Pamphlet No. 26. J Nucl Med 2016;57:151. doi:10.2967/jnumed.115.159012
2. Gear JI et al. EANM practical guidance on uncertainty analysis for molecular radiotherapy
   absorbed dose calculations. EJNMMI 2018;45:2456. doi:10.1007/s00259-018-4136-7
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import LutetiaError, RecordError
from lutetia.physics.mird import SOFT_TISSUE_DENSITY_G_CM3, organ_dose
from lutetia.physics.radiobiology import bed, g_factor_mono, g_factor_sum_exp, lq_parameters
from lutetia.physics.stp import haenscheid_tia, madsen_tia
from lutetia.physics.tac import select_model
from lutetia.physics.volume import ImageVolume
from lutetia.physics.voxel import mask_dose

#: Bins of the cumulative DVH of each VOI (dose from 0 to the VOI's maximum voxel dose).
DVH_BINS = 50


@dataclass(frozen=True)
class VoiResult:
    """One row of the organ/lesion table."""

    name: str
    voxels: int
    volume_ml: float
    mass_g: float
    times_h: tuple[float, ...]
    activity_mbq: tuple[float, ...]
    recovery_coefficient: float
    tia_method: str
    tia_mbq_h: float
    tia_sd_mbq_h: float
    t_eff_h: float | None
    dose_method: str
    dose_gy: float
    dose_sd_gy: float
    g_factor: float | None
    bed_gy: float | None
    mean_voxel_dose_gy: float | None
    d98_gy: float | None
    d2_gy: float | None
    calibration_relative_sigma: float = 0.0
    bed_sd_gy: float | None = None
    dvh_dose_gy: tuple[float, ...] = ()
    dvh_volume_fraction: tuple[float, ...] = ()
    fit_coeffs_mbq: tuple[float, ...] = ()
    fit_rates_per_h: tuple[float, ...] = ()

    def fitted_activity(self, times_h: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """The fitted time-activity curve A(t) = Σ cᵢ·e^(−λᵢ t), MBq (None for Hänscheid,
        which assumes no curve)."""
        if not self.fit_coeffs_mbq:
            return None
        t = np.asarray(times_h, dtype=np.float64)[:, None]
        c, lam = np.asarray(self.fit_coeffs_mbq), np.asarray(self.fit_rates_per_h)
        return np.asarray((c * np.exp(-lam * t)).sum(axis=1), dtype=np.float64)

    @property
    def fit_relative_sigma(self) -> float:
        """Relative standard uncertainty of the TIA from the fit (or STP method)."""
        return self.tia_sd_mbq_h / self.tia_mbq_h if self.tia_mbq_h > 0 else 0.0

    def tiac_h(self, administered_mbq: float) -> float:
        """Time-integrated activity coefficient, h."""
        return self.tia_mbq_h / administered_mbq

    def gy_per_gbq(self, administered_mbq: float) -> float:
        return self.dose_gy / (administered_mbq / 1000.0)


def _organ(name: str) -> str:
    return "kidneys" if name.lower().startswith("kidney") else name


_Tia = tuple[str, float, float, float | None, NDArray[np.float64] | None,
             NDArray[np.float64] | None]


def _tia(times: Sequence[float], acts: Sequence[float], t_eff_stp: float | None) -> _Tia:
    """(method, TIA, sd, T_eff, fitted coefficients, fitted rates)."""
    if len(times) >= 2:
        best, _ = select_model(times, acts)
        t_eff = best.terminal_half_life_h if np.any(best.coeffs > 0) else None
        return f"tac:{best.model}", best.tia, best.tia_sd, t_eff, best.coeffs, best.rates
    if t_eff_stp is not None:
        s = madsen_tia(acts[0], times[0], t_eff_stp)
        lam = math.log(2.0) / t_eff_stp  # Madsen's curve: mono-exponential through the point
        return ("stp:madsen", s.tia, s.tia_sd, t_eff_stp,
                np.array([acts[0] * math.exp(lam * times[0])]), np.array([lam]))
    s = haenscheid_tia(acts[0], times[0])
    return "stp:haenscheid", s.tia, s.tia_sd, times[0], None, None


def voi_dosimetry(activity_maps: Sequence[ImageVolume], times_h: Sequence[float],
                  masks: Mapping[str, NDArray[np.bool_]], *,
                  recovery: Mapping[str, float] | None = None,
                  calibration_relative_sigma: float = 0.0,
                  stp_t_eff_h: float | Mapping[str, float] | None = None,
                  dose: ImageVolume | None = None) -> list[VoiResult]:
    """The organ/lesion table of ``masks`` from activity maps (MBq per voxel) at ``times_h``.

    Parameters
    ----------
    activity_maps : sequence of ImageVolume
        Registered activity maps, MBq per voxel, one per time point.
    times_h : sequence of float
        Hours after administration of each map.
    masks : mapping name → bool array
        Non-overlapping VOIs on the maps' grid.
    recovery : mapping name → float, optional
        Recovery coefficient per VOI (default 1: no partial-volume correction).
    calibration_relative_sigma : float
        Relative standard uncertainty of the camera calibration (systematic).
    stp_t_eff_h : float or mapping name → float, optional
        With one time point: Madsen with this T_eff (h) instead of Hänscheid, for every VOI
        or for the VOIs named in the mapping (the others: Hänscheid).
    dose : ImageVolume, optional
        Voxel dose map (Gy) for the mean voxel dose and D98/D2 of each VOI.
    """
    if len(activity_maps) != len(times_h) or not activity_maps:
        raise RecordError("one activity map per time point", field="times_h",
                          value=list(times_h), accepted=f"{len(activity_maps)} times")
    ref = activity_maps[0]
    for v in activity_maps[1:]:
        if not ref.same_grid(v):
            raise RecordError("activity maps are not on one registered grid", field="frame",
                              value=(v.frame, v.array.shape), accepted="registered maps")
    order = np.argsort(np.asarray(times_h, dtype=np.float64))
    times = tuple(float(times_h[i]) for i in order)
    stack = [np.asarray(activity_maps[i].array, dtype=np.float64) for i in order]
    rows = []
    for name, mask in masks.items():
        if mask.shape != ref.array.shape or not mask.any():
            raise RecordError("VOI mask empty or not on the activity grid", field=name,
                              value=mask.shape, accepted=str(ref.array.shape))
        rc = (recovery or {}).get(name, 1.0)
        acts = tuple(float(a[mask].sum()) / rc for a in stack)
        voxels = int(mask.sum())
        volume = voxels * ref.voxel_volume_ml
        mass = volume * SOFT_TISSUE_DENSITY_G_CM3
        t_eff_stp = (stp_t_eff_h.get(name) if isinstance(stp_t_eff_h, Mapping)
                     else stp_t_eff_h)
        method, tia, tia_sd, t_eff, coeffs, rates = _tia(times, acts, t_eff_stp)
        od = organ_dose(tia, _organ(name), mass, tia_sd,
                        calibration_relative_sigma=calibration_relative_sigma)
        g = b = b_sd = None
        try:
            lq = lq_parameters(_organ(name))
        except LutetiaError:
            lq = None
        if lq is not None:
            if coeffs is not None and rates is not None and method.startswith("tac:"):
                g = g_factor_sum_exp(coeffs, rates, lq.repair_half_time_h)
            elif t_eff is not None and math.isfinite(t_eff):
                g = float(g_factor_mono(t_eff, lq.repair_half_time_h))
            if g is not None:
                b = bed(od.dose_gy, g, lq.alpha_beta_gy, lq.repair_half_time_h).bed_gy
                # u(BED) = |∂BED/∂D|·u(D) = (1 + 2·G·D/(α/β))·u(D), first order
                b_sd = (1.0 + 2.0 * g * od.dose_gy / lq.alpha_beta_gy) * od.dose_sd_gy
        md = mask_dose(dose, mask, name, bins=DVH_BINS) if dose is not None else None
        rows.append(VoiResult(name, voxels, volume, mass, times, acts, rc, method, tia, tia_sd,
                              t_eff, od.method, od.dose_gy, od.dose_sd_gy, g, b,
                              md.mean_gy if md else None, md.d98_gy if md else None,
                              md.d2_gy if md else None, calibration_relative_sigma, b_sd,
                              tuple(map(float, md.dvh_dose_gy)) if md else (),
                              tuple(map(float, md.dvh_volume_fraction)) if md else (),
                              tuple(map(float, coeffs)) if coeffs is not None else (),
                              tuple(map(float, rates)) if rates is not None else ()))
    return rows
