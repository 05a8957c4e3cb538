"""Vectorised mono-exponential fitting of many time–activity curves at once.

Used for voxel-wise TIA maps and for cohorts: N curves sampled at the same T times are
fitted by weighted linear least squares on ln A in closed form, all curves at once.

Notes
-----
With yᵢ = ln Aᵢ and relative uncertainty σᵢ/Aᵢ, the first-order variance of yᵢ is
(σᵢ/Aᵢ)², so weights wᵢ = (Aᵢ/σᵢ)². The WLS line y = b₀ − λ t gives
λ = −Sₜᵧ/Sₜₜ with weighted centred sums, A₀ = exp(b₀), Ã = A₀/λ, and
var(Ã) = ∇ᵀ C ∇ with C the (b₀, λ) covariance (Sₜₜ-based) and ∇ = (Ã, −Ã/λ).

References
----------
1. Draper NR, Smith H. Applied Regression Analysis, 3rd ed. Wiley 1998, ch. 9 (weighted
   least squares). doi:10.1002/9781118625590
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics.tac import DEFAULT_RELATIVE_SIGMA

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class BatchMonoFit:
    """Per-curve results, each an array of shape (N,). ``ok`` is False where the curve
    could not be fitted (a non-positive activity or no clearance); its TIA is NaN."""

    a0_mbq: FloatArray
    rate_per_h: FloatArray
    tia: FloatArray
    tia_sd: FloatArray
    ok: NDArray[np.bool_]


def fit_mono_batch(t_h: FloatArray, activity_mbq: FloatArray,
                   relative_sigma: float | FloatArray = DEFAULT_RELATIVE_SIGMA) -> BatchMonoFit:
    """Fit A(t) = A₀·exp(−λt) to each row of ``activity_mbq`` (shape (N, T)), times (T,) in h.

    Parameters
    ----------
    relative_sigma : float or array broadcastable to (N, T)
        Relative standard uncertainty of each activity (default 10 %).
    """
    t = np.asarray(t_h, dtype=np.float64)
    a = np.asarray(activity_mbq, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != t.shape[0] or t.shape[0] < 2:
        raise RecordError("activity must have shape (N, T) with T = len(t) >= 2",
                          field="activity_mbq", value=a.shape)
    rel = np.broadcast_to(np.asarray(relative_sigma, dtype=np.float64), a.shape)
    positive = np.all(a > 0, axis=1)
    y = np.log(np.where(a > 0, a, 1.0))
    w = 1.0 / rel**2
    sw = w.sum(axis=1)
    t_bar = (w @ t) / sw if w.ndim == 2 else None
    assert t_bar is not None
    tc = t[None, :] - t_bar[:, None]
    y_bar = (w * y).sum(axis=1) / sw
    s_tt = (w * tc * tc).sum(axis=1)
    s_ty = (w * tc * (y - y_bar[:, None])).sum(axis=1)
    slope = s_ty / s_tt
    rate = -slope
    b0 = y_bar - slope * t_bar
    var_slope = 1.0 / s_tt
    var_b0 = 1.0 / sw + t_bar**2 / s_tt
    cov_b0_rate = t_bar / s_tt  # cov(b0, λ) = −cov(b0, slope) = t̄/Sₜₜ
    ok = positive & (rate > 0)
    safe_rate = np.where(ok, rate, 1.0)
    a0 = np.exp(b0)
    tia = np.where(ok, a0 / safe_rate, np.nan)
    g0 = tia
    g1 = -tia / safe_rate
    var = g0**2 * var_b0 + g1**2 * var_slope + 2 * g0 * g1 * cov_b0_rate
    return BatchMonoFit(a0, rate, tia, np.where(ok, np.sqrt(np.maximum(var, 0.0)), np.nan), ok)
