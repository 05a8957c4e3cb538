"""Biologically effective dose (BED) and EQD2 in the linear–quadratic model.

Notes
-----
BED = D·(1 + G·D/(α/β)), EQD2 = BED/(1 + 2/(α/β)) [1, 2]. G is the Lea–Catcheside
dose-protraction factor, G = (2/D²) ∫₀^∞ Ḋ(t) ∫₀^t Ḋ(w) e^{−μ(t−w)} dw dt, μ = ln2/T_rep.
For a dose rate that is a sum of exponentials Ḋ(t) = Σ cᵢ e^{−λᵢ t} (uptake phases have
cᵢ < 0) the double integral is, term by term,
∫₀^∞ e^{−λᵢ t} ∫₀^t e^{−λⱼ w} e^{−μ(t−w)} dw dt = 1/((λᵢ + λⱼ)(λᵢ + μ)), so
G = 2 Σᵢⱼ cᵢcⱼ/((λᵢ+λⱼ)(λᵢ+μ)) / (Σ cᵢ/λᵢ)². For one exponential G = λ/(λ + μ)
= T_rep/(T_rep + T_eff) [1]. For any other tabulated dose rate, :func:`g_factor_numeric`
integrates q' = Ḋ − μq (q(0) = 0) and G = 2∫Ḋ q dt / D².
BEDs of cycles weeks apart add (complete repair between cycles).

References
----------
1. Dale RG. The application of the linear-quadratic dose-effect equation to fractionated
   and protracted radiotherapy. Br J Radiol 1985;58:515. doi:10.1259/0007-1285-58-690-515
2. Wessels BW et al. MIRD Pamphlet No. 20: the effect of model assumptions on kidney
   dosimetry and response. J Nucl Med 2008;49:1884. doi:10.2967/jnumed.108.053173
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics._data import load_table
from lutetia.units import quantity

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LqParameters:
    """α/β (Gy) and repair half-time (h) of a tissue, with their source and status."""

    alpha_beta_gy: float
    repair_half_time_h: float
    source: str = "user"
    status: str = "user"


def lq_parameters(organ: str) -> LqParameters:
    """Cited α/β and T_rep for ``organ`` from ``radiobiology.toml``.

    Raises
    ------
    RecordError
        If the organ has no entry.
    """
    organs = load_table("radiobiology")["organs"]
    key = organ.strip().lower()
    if key not in organs:
        raise RecordError("no radiobiology parameters", field="organ", value=organ,
                          accepted=", ".join(sorted(organs)))
    o = organs[key]
    return LqParameters(float(o["alpha_beta_gy"]), float(o["repair_half_time_h"]),
                        str(o["source"]), str(o["status"]))


@dataclass(frozen=True)
class BedResult:
    """BED and EQD2 of an absorbed dose. Floats are in Gy_BED / Gy_EQD2 / Gy."""

    dose_gy: float
    g_factor: float
    bed_gy: float
    eqd2_gy: float
    alpha_beta_gy: float
    repair_half_time_h: float

    @property
    def bed(self) -> Any:
        """BED as a pint quantity in the distinct ``Gy_BED`` dimension."""
        return quantity(self.bed_gy, "Gy_BED")

    @property
    def eqd2(self) -> Any:
        """EQD2 as a pint quantity in the distinct ``Gy_EQD2`` dimension."""
        return quantity(self.eqd2_gy, "Gy_EQD2")


def _check(alpha_beta_gy: float, repair_half_time_h: float) -> None:
    if not alpha_beta_gy > 0:
        raise RecordError("alpha/beta must be > 0", field="alpha_beta", value=alpha_beta_gy,
                          accepted="Gy > 0")
    if not repair_half_time_h > 0:
        raise RecordError("repair half-time must be > 0", field="repair_half_time",
                          value=repair_half_time_h, accepted="h > 0")


@overload
def g_factor_mono(t_eff_h: float, repair_half_time_h: float) -> float: ...
@overload
def g_factor_mono(t_eff_h: FloatArray, repair_half_time_h: float) -> FloatArray: ...
def g_factor_mono(t_eff_h: float | FloatArray, repair_half_time_h: float) -> float | FloatArray:
    """G = T_rep/(T_rep + T_eff) for instantaneous uptake then mono-exponential clearance [1].

    Array-capable: ``t_eff_h`` may be an array of effective half-lives (h).
    """
    return repair_half_time_h / (repair_half_time_h + t_eff_h)


@overload
def bed_gy(dose_gy: float, g_factor: float, alpha_beta_gy: float) -> float: ...
@overload
def bed_gy(dose_gy: FloatArray, g_factor: float | FloatArray, alpha_beta_gy: float) -> FloatArray: ...
@overload
def bed_gy(dose_gy: float | FloatArray, g_factor: FloatArray, alpha_beta_gy: float) -> FloatArray: ...
def bed_gy(dose_gy: float | FloatArray, g_factor: float | FloatArray,
           alpha_beta_gy: float) -> float | FloatArray:
    """BED = D·(1 + G·D/(α/β)) in Gy_BED [1, 2] — the one implementation every caller uses.

    Parameters
    ----------
    dose_gy : float or array
        Absorbed dose, Gy.
    g_factor : float or array
        Lea–Catcheside dose-protraction factor (dimensionless, 0–1).
    alpha_beta_gy : float
        α/β of the tissue, Gy.
    """
    return dose_gy * (1.0 + g_factor * dose_gy / alpha_beta_gy)


@overload
def bed_sd_gy(dose_gy: float, dose_sd_gy: float, g_factor: float, alpha_beta_gy: float) -> float: ...
@overload
def bed_sd_gy(dose_gy: FloatArray, dose_sd_gy: FloatArray | float, g_factor: FloatArray | float,
              alpha_beta_gy: float) -> FloatArray: ...
def bed_sd_gy(dose_gy: float | FloatArray, dose_sd_gy: float | FloatArray, g_factor: float | FloatArray,
              alpha_beta_gy: float) -> float | FloatArray:
    """Standard uncertainty of the BED from that of the dose (first-order propagation).

    Notes
    -----
    σ_BED = |∂BED/∂D|·σ_D = (1 + 2·G·D/(α/β))·σ_D, with G and α/β taken as exact (EANM
    uncertainty guidance, Gear et al. 2018 [3]).

    References
    ----------
    3. Gear JI et al. EANM practical guidance on uncertainty analysis for molecular
       radiotherapy absorbed dose calculations. EJNMMI 2018;45:2456. doi:10.1007/s00259-018-4136-7
    """
    return (1.0 + 2.0 * g_factor * dose_gy / alpha_beta_gy) * dose_sd_gy


def g_factor_sum_exp(coeffs: FloatArray, rates: FloatArray, repair_half_time_h: float) -> float:
    """Lea–Catcheside G for Ḋ(t) ∝ Σ cᵢ e^{−λᵢ t} (closed form; see module Notes)."""
    c = np.asarray(coeffs, dtype=np.float64)
    lam = np.asarray(rates, dtype=np.float64)
    mu = math.log(2.0) / repair_half_time_h
    dose = float(np.sum(c / lam))
    num = np.outer(c, c) / (np.add.outer(lam, lam) * (lam + mu)[:, None])
    return float(2.0 * num.sum() / dose**2)


def g_factor_uptake_washout(t_uptake_h: float, t_washout_h: float,
                            repair_half_time_h: float) -> float:
    """G for A(t) ∝ e^{−λw t} − e^{−λu t} (uptake then washout; effective half-times, h)."""
    lam_w, lam_u = math.log(2) / t_washout_h, math.log(2) / t_uptake_h
    return g_factor_sum_exp(np.array([1.0, -1.0]), np.array([lam_w, lam_u]),
                            repair_half_time_h)


def g_factor_numeric(t_h: FloatArray, dose_rate: FloatArray, repair_half_time_h: float) -> float:
    """G by numerical integration of a tabulated dose rate (any unit, linear between points).

    The grid must cover the curve until it is negligible (append a long tail first).
    """
    t = np.asarray(t_h, dtype=np.float64)
    r = np.asarray(dose_rate, dtype=np.float64)
    mu = math.log(2.0) / repair_half_time_h
    q = np.zeros_like(r)
    for i in range(1, len(t)):
        dt = t[i] - t[i - 1]
        e = math.exp(-mu * dt)
        # exact for a linear dose rate on [t_{i-1}, t_i]
        slope = (r[i] - r[i - 1]) / dt
        q[i] = q[i - 1] * e + (r[i - 1] * (1 - e) / mu
                               + slope * (dt / mu - (1 - e) / mu**2))
    dose = float(np.trapezoid(r, t))
    return float(2.0 * np.trapezoid(r * q, t) / dose**2)


def bed(dose_gy: float, g_factor: float, alpha_beta_gy: float,
        repair_half_time_h: float = math.nan) -> BedResult:
    """BED and EQD2 of an absorbed dose ``dose_gy`` (Gy) given G and α/β (Gy)."""
    if dose_gy < 0:
        raise RecordError("dose must be >= 0", field="dose_gy", value=dose_gy)
    if not alpha_beta_gy > 0:
        raise RecordError("alpha/beta must be > 0", field="alpha_beta", value=alpha_beta_gy,
                          accepted="Gy > 0")
    b = bed_gy(dose_gy, g_factor, alpha_beta_gy)
    return BedResult(dose_gy, g_factor, b, eqd2_from_bed(b, alpha_beta_gy), alpha_beta_gy,
                     repair_half_time_h)


def bed_mono(dose_gy: float, t_eff_h: float, alpha_beta_gy: float,
             repair_half_time_h: float) -> BedResult:
    """BED for instantaneous uptake and mono-exponential clearance with T_eff (h)."""
    _check(alpha_beta_gy, repair_half_time_h)
    g = g_factor_mono(t_eff_h, repair_half_time_h)
    return bed(dose_gy, g, alpha_beta_gy, repair_half_time_h)


def eqd2_from_bed(bed_gy: float, alpha_beta_gy: float) -> float:
    """EQD2 = BED / (1 + 2 Gy/(α/β))."""
    return bed_gy / (1.0 + 2.0 / alpha_beta_gy)


@overload
def dose_for_bed(bed_gy: float, g_factor: float, alpha_beta_gy: float) -> float: ...
@overload
def dose_for_bed(bed_gy: FloatArray, g_factor: float | FloatArray, alpha_beta_gy: float) -> FloatArray: ...
@overload
def dose_for_bed(bed_gy: float | FloatArray, g_factor: FloatArray, alpha_beta_gy: float) -> FloatArray: ...
def dose_for_bed(bed_gy: float | FloatArray, g_factor: float | FloatArray,
                 alpha_beta_gy: float) -> float | FloatArray:
    """Absorbed dose (Gy) giving ``bed_gy`` in one cycle — the inverse of :func:`bed_gy`.

    D = (−1 + √(1 + 4kB))/(2k) with k = G/(α/β); D = B when k = 0.  A negative BED budget
    gives 0 Gy.  Array-capable.
    """
    b = np.maximum(np.asarray(bed_gy, dtype=np.float64), 0.0)
    k = np.asarray(g_factor, dtype=np.float64) / alpha_beta_gy
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(k > 0, (-1.0 + np.sqrt(1.0 + 4.0 * np.where(k > 0, k, 1.0) * b)) / (2.0 * np.where(k > 0, k, 1.0)), b)
    if d.ndim == 0:
        return float(d)
    return np.asarray(d, dtype=np.float64)
