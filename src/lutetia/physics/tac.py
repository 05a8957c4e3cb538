"""Time–activity curves: exponential fits, model choice by AICc, trapezoid, TIA.

All times are in h and activities in MBq; a time-integrated activity (TIA, Ã) is in MBq·h.
Every exponential model is expressed as a sum A(t) = Σ cᵢ·exp(−λᵢ t) (an uptake phase is a
term with a negative coefficient), so TIA, BED and uncertainty share one representation.

Notes
-----
Weighted least squares minimises Σ ((f(tᵢ) − Aᵢ)/σᵢ)²; the default σᵢ = 10 % of Aᵢ
(relative weighting, treated as an absolute standard uncertainty). The parameter covariance
is (JᵀJ)⁻¹ of the weighted Jacobian. TIA = Σ cᵢ/λᵢ; its variance is ∇Ãᵀ Σ ∇Ã (first order).
Model choice: AICc = n ln(RSS/n) + 2k + 2k(k+1)/(n−k−1), defined only when n > k + 1 [1].

References
----------
1. Burnham KP, Anderson DR. Model Selection and Multimodel Inference, 2nd ed. Springer 2002.
   doi:10.1007/b97636
2. Glatting G et al. Choosing the optimal fit function: comparison of the Akaike information
   criterion and the F-test. Med Phys 2007;34:4285. doi:10.1118/1.2794176
3. Gear JI et al. EANM practical guidance on uncertainty analysis for molecular radiotherapy
   absorbed dose calculations. EJNMMI 2018;45:2456. doi:10.1007/s00259-018-4136-7
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import ConvergenceError, RecordError
from lutetia.physics.decay import lu177

FloatArray = NDArray[np.float64]
#: Default relative standard uncertainty of each measured activity (dimensionless); an
#: assumption of Lutetia within the 5–15 % range discussed in the EANM guidance [3].
DEFAULT_RELATIVE_SIGMA: Final[float] = 0.10
_MAX_RATE_PER_H: Final[float] = 10.0


@dataclass(frozen=True)
class ExpModel:
    """A sum-of-exponentials model: ``terms(p)`` maps parameters to (coefficients, rates)."""

    name: str
    n_params: int
    terms: Callable[[FloatArray], tuple[FloatArray, FloatArray]]


def _mono(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.array([p[0]]), np.array([p[1]])


def _mono_uptake(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    # p = (A, λ_washout, δ) with λ_uptake = λ_washout + δ > λ_washout.
    return np.array([p[0], -p[0]]), np.array([p[1], p[1] + p[2]])


def _bi(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.array([p[0], p[2]]), np.array([p[1], p[3]])


def _bi_uptake(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    lam_u = max(p[1], p[3]) + p[4]
    return np.array([p[0], p[2], -(p[0] + p[2])]), np.array([p[1], p[3], lam_u])


def _tri(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.array([p[0], p[2], p[4]]), np.array([p[1], p[3], p[5]])


MODELS: Final[dict[str, ExpModel]] = {
    m.name: m
    for m in (
        ExpModel("mono", 2, _mono),
        ExpModel("mono_uptake", 3, _mono_uptake),
        ExpModel("bi", 4, _bi),
        ExpModel("bi_uptake", 5, _bi_uptake),
        ExpModel("tri", 6, _tri),
    )
}


def sum_exp(coeffs: FloatArray, rates: FloatArray, t_h: FloatArray) -> FloatArray:
    """Evaluate Σ cᵢ·exp(−λᵢ t) at times ``t_h`` (h)."""
    t = np.asarray(t_h, dtype=np.float64)
    return np.asarray(np.exp(-np.outer(t, rates)) @ coeffs, dtype=np.float64)


def tia_sum_exp(coeffs: FloatArray, rates: FloatArray) -> float:
    """TIA of a sum of exponentials, Ã = Σ cᵢ/λᵢ (MBq·h for c in MBq and λ in h⁻¹)."""
    if np.any(rates <= 0):
        return math.inf
    return float(np.sum(coeffs / rates))


@dataclass(frozen=True)
class TacFit:
    """A fitted time–activity curve and its TIA with standard uncertainty."""

    model: str
    params: FloatArray
    covariance: FloatArray
    coeffs: FloatArray
    rates: FloatArray
    tia: float
    tia_sd: float
    rss: float
    aicc: float
    n_points: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def terminal_half_life_h(self) -> float:
        """Half-life of the slowest positive clearance term, h."""
        positive = self.rates[self.coeffs > 0]
        return math.log(2.0) / float(np.min(positive))


def _validate(t_h: Sequence[float], activity: Sequence[float],
              sigma: Sequence[float] | None) -> tuple[FloatArray, FloatArray, FloatArray]:
    t = np.asarray(t_h, dtype=np.float64)
    a = np.asarray(activity, dtype=np.float64)
    if t.shape != a.shape or t.ndim != 1:
        raise RecordError("times and activities differ in length", field="time_h", value=t.shape)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise RecordError("time must be finite and >= 0", field="time_h", value=t.tolist(),
                          accepted="hours after administration >= 0")
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise RecordError("activity must be finite and >= 0", field="activity_MBq",
                          value=a.tolist(), accepted="MBq >= 0")
    if len(np.unique(t)) != len(t):
        raise RecordError("duplicate time points", field="time_h", value=t.tolist())
    order = np.argsort(t)
    t, a = t[order], a[order]
    if sigma is None:
        s = DEFAULT_RELATIVE_SIGMA * np.maximum(a, 1e-3 * float(np.max(a, initial=1.0)))
    else:
        s = np.asarray(sigma, dtype=np.float64)[order]
        if np.any(s <= 0):
            raise RecordError("uncertainties must be > 0", field="sigma", value=s.tolist())
    return t, a, s


def aicc(rss: float, n: int, k: int) -> float:
    """Corrected Akaike criterion; ``inf`` when n ≤ k + 1 (the model is not eligible)."""
    if n <= k + 1:
        return math.inf
    return n * math.log(max(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def _starts(model: ExpModel, t: FloatArray, a: FloatArray) -> list[FloatArray]:
    lam_p = lu177().decay_constant_per_h
    peak = int(np.argmax(a))
    tail_t, tail_a = t[peak:], np.maximum(a[peak:], 1e-9)
    if len(tail_t) >= 2 and tail_a[-1] < tail_a[0]:
        lam = max(float(-np.polyfit(tail_t, np.log(tail_a), 1)[0]), 1e-4)
    else:
        lam = lam_p
    a0 = float(tail_a[0] * math.exp(lam * tail_t[0]))
    starts: list[FloatArray] = []
    for fast in (5.0, 20.0):
        if model.name == "mono":
            starts.append(np.array([a0, lam]))
        elif model.name == "mono_uptake":
            starts.append(np.array([a0, lam, lam * fast]))
        elif model.name == "bi":
            starts.append(np.array([a0 / 2, lam * fast, a0 / 2, lam / 2]))
        elif model.name == "bi_uptake":
            starts.append(np.array([a0 / 2, lam * fast, a0 / 2, lam / 2, lam * fast]))
        else:
            starts.append(np.array([a0 / 3, lam * fast * 4, a0 / 3, lam * 2, a0 / 3, lam / 2]))
    return starts


def fit_tac(t_h: Sequence[float], activity_mbq: Sequence[float], model: str = "mono",
            sigma_mbq: Sequence[float] | None = None) -> TacFit:
    """Fit one exponential model by weighted least squares.

    Parameters
    ----------
    t_h : sequence of float
        Times after administration, h.
    activity_mbq : sequence of float
        Activities, MBq.
    model : {"mono", "mono_uptake", "bi", "bi_uptake", "tri"}
    sigma_mbq : sequence of float, optional
        Standard uncertainty of each activity, MBq (default 10 % of the value).

    Returns
    -------
    TacFit

    Raises
    ------
    RecordError
        Bad input or fewer points than parameters.
    ConvergenceError
        If no start converges.
    """
    if model not in MODELS:
        raise RecordError("unknown model", field="model", value=model, accepted=", ".join(MODELS))
    m = MODELS[model]
    t, a, s = _validate(t_h, activity_mbq, sigma_mbq)
    if len(t) < m.n_params:
        raise RecordError(f"{model} needs at least {m.n_params} time points", field="time_h",
                          value=len(t))

    from scipy.optimize import least_squares  # lazily: scipy.optimize costs ~0.4 s at start-up

    def residual(p: FloatArray) -> FloatArray:
        c, r = m.terms(p)
        return (sum_exp(c, r, t) - a) / s

    best = None
    upper = np.full(m.n_params, np.inf)
    upper[1::2] = _MAX_RATE_PER_H
    if model in ("mono_uptake", "bi_uptake"):
        upper[-1] = _MAX_RATE_PER_H
    for p0 in _starts(m, t, a):
        p0 = np.clip(p0, 1e-9, np.where(np.isfinite(upper), upper * 0.99, np.inf))
        res = least_squares(residual, p0, bounds=(np.zeros(m.n_params), upper), method="trf",
                            x_scale="jac", max_nfev=2000)
        if res.status > 0 and (best is None or res.cost < best.cost):
            best = res
    if best is None:
        raise ConvergenceError(f"{model} fit did not converge for {len(t)} points")
    return _finish(m, best.x, np.asarray(best.jac), float(2 * best.cost), len(t))


#: Smallest clearance rate (1/h) a fit may end at: a rate at the lower bound 0 means the
#: data do not clear (rising or flat curve) and the TIA would be unbounded.  1e-6/h is a
#: half-life of ~79 years, far beyond any biological or physical (6.6 d) clearance.
MIN_FITTED_RATE_PER_H = 1e-6


def _finish(m: ExpModel, p: FloatArray, jac: FloatArray, rss: float, n: int) -> TacFit:
    cov = np.asarray(np.linalg.pinv(jac.T @ jac), dtype=np.float64)
    c, r = m.terms(p)
    if np.any((np.asarray(r) < MIN_FITTED_RATE_PER_H) & (np.asarray(c) > 0)):
        raise ConvergenceError(
            f"{m.name} fit: a clearance rate ended at {float(np.min(r)):.3g}/h (the curve does not clear), "
            "so the TIA is unbounded; use the trapezoid with a physical-decay tail"
        )
    tia = tia_sum_exp(c, r)
    grad = np.zeros(m.n_params)
    for i in range(m.n_params):
        h = 1e-6 * max(abs(p[i]), 1e-8)
        up, dn = p.copy(), p.copy()
        up[i] += h
        dn[i] = max(dn[i] - h, 0.0)
        grad[i] = (tia_sum_exp(*m.terms(up)) - tia_sum_exp(*m.terms(dn))) / (up[i] - dn[i])
    tia_sd = float(math.sqrt(max(float(grad @ cov @ grad), 0.0)))
    warnings: list[str] = []
    lam_p = lu177().decay_constant_per_h
    slow = [float(x) for x, ci in zip(r, c, strict=True) if ci > 0 and x < lam_p * (1 - 1e-9)]
    if slow:
        t_slow = math.log(2) / min(slow) if min(slow) > 0 else math.inf
        warnings.append(f"fitted clearance half-life {t_slow:.1f} h is slower than physical "
                        f"decay ({math.log(2) / lam_p:.1f} h): check the late time points")
    return TacFit(m.name, p, cov, c, r, tia, tia_sd, rss, aicc(rss, n, m.n_params), n,
                  tuple(warnings))


def select_model(t_h: Sequence[float], activity_mbq: Sequence[float],
                 candidates: Sequence[str] = ("mono", "mono_uptake", "bi", "bi_uptake", "tri"),
                 sigma_mbq: Sequence[float] | None = None) -> tuple[TacFit, list[TacFit]]:
    """Fit every eligible candidate and return (best by AICc, all fits).

    A model is eligible when n > k + 1. If none is, the mono-exponential fit is returned.
    Models that do not converge or give an infinite TIA are skipped.
    """
    n = len(t_h)
    fits: list[TacFit] = []
    for name in candidates:
        if n <= MODELS[name].n_params + 1:
            continue
        try:
            f = fit_tac(t_h, activity_mbq, name, sigma_mbq)
        except ConvergenceError:
            continue
        if math.isfinite(f.tia):
            fits.append(f)
    if not fits:
        only = fit_tac(t_h, activity_mbq, "mono", sigma_mbq)
        return only, [only]
    return min(fits, key=lambda f: f.aicc), fits


@dataclass(frozen=True)
class TrapezoidTia:
    """TIA by the trapezoid rule plus an exponential tail (MBq·h), with uncertainty."""

    tia: float
    tia_sd: float
    tail_rate_per_h: float
    tail: str


def trapezoid_tia(t_h: Sequence[float], activity_mbq: Sequence[float], tail: str = "physical",
                  sigma_mbq: Sequence[float] | None = None) -> TrapezoidTia:
    """Trapezoid from (0, 0) through the points, then the tail A_last/λ.

    Parameters
    ----------
    tail : {"physical", "fitted"}
        Physical decay (conservative) or λ_eff from the last two points (physical decay if
        the last two points do not decrease faster than it).

    Notes
    -----
    Ã = Σ (tᵢ₊₁ − tᵢ)(Aᵢ + Aᵢ₊₁)/2 + A_last/λ. Ã is linear in the activities, so its
    variance is Σ wᵢ² σᵢ² with wᵢ the weight of Aᵢ (the tail rate is held fixed).
    """
    if tail not in ("physical", "fitted"):
        raise RecordError("unknown tail", field="tail", value=tail, accepted="physical, fitted")
    t, a, s = _validate(t_h, activity_mbq, sigma_mbq)
    tt = np.concatenate(([0.0], t)) if t[0] > 0 else t
    aa = np.concatenate(([0.0], a)) if t[0] > 0 else a
    ss = np.concatenate(([0.0], s)) if t[0] > 0 else s
    lam = lu177().decay_constant_per_h
    if tail == "fitted" and len(t) >= 2 and a[-1] > 0 and a[-2] > a[-1]:
        lam = max(lam, float(math.log(a[-2] / a[-1]) / (t[-1] - t[-2])))
    dt = np.diff(tt)
    w = np.zeros_like(aa)
    w[:-1] += dt / 2
    w[1:] += dt / 2
    w[-1] += 1.0 / lam
    return TrapezoidTia(float(w @ aa), float(math.sqrt(float((w * ss) @ (w * ss)))), lam, tail)
