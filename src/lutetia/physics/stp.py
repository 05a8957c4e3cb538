"""Single-time-point (STP) estimates of the time-integrated activity.

Notes
-----
Hänscheid [1]: Ã ≈ 2·A(t)·t/ln2, exact for mono-exponential clearance when t = T_eff or
t = 2·T_eff; for x = t/T_eff the ratio to the exact Ã is r(x) = 2x·2^(−x).
Madsen [2]: Ã = A(t)·e^{λt}/λ with λ = ln2/T_eff from a population or from the patient's
own earlier cycle (the FLEX-MRT pattern; far more accurate than a population value [3]).
Uncertainty (Madsen): with relative uncertainties u_A of A(t) and u_T of T_eff,
∂lnÃ/∂lnT = 1 + λt, so u_Ã² = u_A² + ((1 + λt)·u_T)².

References
----------
1. Hänscheid H et al. Dose mapping after endoradiotherapy with 177Lu-DOTATATE/DOTATOC by a
   single measurement after 4 days. J Nucl Med 2018;59:75. doi:10.2967/jnumed.117.193706
2. Madsen MT et al. A single time-point method for estimating kidney dosimetry in
   177Lu-DOTATATE therapy. Med Phys 2018;45:2318. doi:10.1002/mp.12886
3. Feasibility and accuracy of single time point imaging for renal dosimetry following
   177Lu-DOTATATE ('Lutate') therapy. EJNMMI Phys 2018;5:33 (cycle-1 patient T½ with a 24 h
   scan in later cycles: 2 % mean deviation vs 30 % with a population T½).
   doi:10.1186/s40658-018-0232-9
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StpTia:
    """A single-time-point TIA (MBq·h) with its standard uncertainty and method."""

    tia: float
    tia_sd: float
    method: str
    t_eff_h: float | None


def _check(activity_mbq: float, t_h: float) -> None:
    if not (activity_mbq >= 0 and math.isfinite(activity_mbq)):
        raise RecordError("activity must be finite and >= 0", field="activity_MBq",
                          value=activity_mbq, accepted="MBq >= 0")
    if not (t_h > 0 and math.isfinite(t_h)):
        raise RecordError("time must be > 0", field="time_h", value=t_h, accepted="h > 0")


def haenscheid_tia(activity_mbq: float, t_h: float, relative_sigma: float = 0.0) -> StpTia:
    """Hänscheid STP TIA, Ã = 2·A(t)·t/ln2 (MBq·h) from A(t) in MBq at t in h.

    ``relative_sigma`` is the relative uncertainty of A(t); the method's own model error
    (up to about ±12 % for 0.75 ≤ t/T_eff ≤ 2.5) is not included.
    """
    _check(activity_mbq, t_h)
    tia = 2.0 * activity_mbq * t_h / math.log(2.0)
    return StpTia(tia, tia * relative_sigma, "haenscheid", None)


def haenscheid_ratio(t_over_t_eff: float) -> float:
    """Ratio of the Hänscheid TIA to the exact mono-exponential TIA: r(x) = 2x·2^(−x)."""
    return float(2.0 * t_over_t_eff * 2.0 ** (-t_over_t_eff))


def madsen_tia_array(activity_mbq: FloatArray, t_h: FloatArray, t_eff_h: FloatArray) -> FloatArray:
    """Madsen STP TIA over arrays, Ã = A(t)·e^{λt}/λ, λ = ln2/T_eff (MBq·h) — the formula of
    :func:`madsen_tia`, which calls it; NaN where an input is missing or T_eff ≤ 0."""
    a, t, te = (np.asarray(x, dtype=np.float64) for x in (activity_mbq, t_h, t_eff_h))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lam = np.where(te > 0, math.log(2.0) / te, np.nan)
        return np.asarray(a * np.exp(lam * t) / lam, dtype=np.float64)


def madsen_tia(activity_mbq: float, t_h: float, t_eff_h: float, relative_sigma: float = 0.0,
               t_eff_relative_sigma: float = 0.0) -> StpTia:
    """Madsen STP TIA, Ã = A(t)·e^{λt}/λ with λ = ln2/T_eff (MBq·h).

    Parameters
    ----------
    activity_mbq : float
        A(t), MBq.
    t_h : float
        Scan time after administration, h.
    t_eff_h : float
        Effective half-life (population, or the patient's earlier cycle), h.
    relative_sigma, t_eff_relative_sigma : float
        Relative standard uncertainties of A(t) and T_eff.
    """
    _check(activity_mbq, t_h)
    if not (t_eff_h > 0 and math.isfinite(t_eff_h)):
        raise RecordError("effective half-life must be > 0", field="t_eff_h", value=t_eff_h,
                          accepted="h > 0")
    lam = math.log(2.0) / t_eff_h
    tia = float(madsen_tia_array(np.array(activity_mbq), np.array(t_h), np.array(t_eff_h)))
    u = math.hypot(relative_sigma, (1.0 + lam * t_h) * t_eff_relative_sigma)
    return StpTia(tia, tia * u, "madsen", t_eff_h)
