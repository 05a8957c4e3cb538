"""177Lu dose-voxel kernel for any voxel size, generated from a beta dose-point kernel.

Provenance: generated here (no tabulated kernel is shipped). The electron energy of 177Lu
(0.14792 MeV/decay, ICRP-107) is spread around a point source with Loevinger's empirical
beta point-source function [1] (E₀ = 0.4978 MeV, ICRP-107 b-spectra endpoint ⇒
ν = 18.6/(E₀ − 0.036)^1.37 cm²/g, c = 2
for 0.17 < E₀ < 0.5 MeV [verify: recalled from [1, 2], primary text not read]), in water
of density 1 g/cm³, normalised numerically so that the point kernel integrates to 1. The
point kernel is averaged over a uniform source in the central voxel and integrated over
every target voxel on a sub-voxel grid (``oversample`` points per axis), then multiplied by
Ē/m_voxel. Photons (0.0351 MeV/decay) are optional (``photon_radius_mm``, see
:mod:`lutetia.physics.photon`); without them, like local deposition, the kernel omits the
photon dose (about 1.5 % of the kidney self-dose). Licence: part of Lutetia (Apache-2.0).

Notes
-----
j(x) ∝ (νx)⁻² {c[1 − (νx/c)e^{1−νx/c}] + νx e^{1−νx}} for νx < c, and (νx)⁻² νx e^{1−νx}
otherwise (x in g/cm²). Kernel value K[k] (Gy per MBq·h in the central voxel) is
Ē·3.6·10⁹·1.602·10⁻¹³ J · F[k] / m_vox with F[k] the fraction of energy absorbed in voxel k.

References
----------
1. Loevinger R. The dosimetry of beta sources in tissue: the point-source function.
   Radiology 1956;66:55. doi:10.1148/66.1.55
2. Cross WG. The distribution of absorbed energy from a point beta source. Can J Phys
   1967;45:2021. doi:10.1139/p67-161
3. Bolch WE et al. MIRD Pamphlet No. 17: the dosimetry of nonuniform activity
   distributions — radionuclide S values at the voxel level. J Nucl Med 1999;40:11S.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.signal import fftconvolve

from lutetia.errors import RecordError
from lutetia.physics.decay import MEV_TO_J, lu177
from lutetia.physics.mird import DECAYS_PER_MBQ_H, SOFT_TISSUE_DENSITY_G_CM3
from lutetia.physics.photon import photon_energy_fractions

FloatArray = NDArray[np.float64]
#: β⁻ endpoint energy of 177Lu, MeV (ICRP-107 b-spectra maximum, lu177.toml).
BETA_ENDPOINT_MEV: Final[float] = lu177().beta_endpoint_mev
#: Largest radius considered for the electron kernel, mm (CSDA range of a 0.5 MeV electron
#: in water is about 1.8 mm; ESTAR [verify]); beyond, the Loevinger function is < 1e-4.
KERNEL_RADIUS_MM: Final[float] = 3.0


def loevinger_nu_cm2_g(e0_mev: float = BETA_ENDPOINT_MEV) -> float:
    """Apparent absorption coefficient ν = 18.6 (E₀ − 0.036)^−1.37 cm²/g (E₀ in MeV)."""
    return float(18.6 * (e0_mev - 0.036) ** -1.37)


def point_kernel(r_mm: FloatArray, e0_mev: float = BETA_ENDPOINT_MEV) -> FloatArray:
    """Unnormalised Loevinger point-source function at radii ``r_mm`` (water)."""
    c = 2.0 if e0_mev < 0.5 else 1.5
    nux = loevinger_nu_cm2_g(e0_mev) * np.maximum(np.asarray(r_mm, dtype=np.float64), 1e-6) * 0.1
    inner = c * (1.0 - (nux / c) * np.exp(1.0 - nux / c)) + nux * np.exp(1.0 - nux)
    outer = nux * np.exp(1.0 - nux)
    return np.asarray(np.where(nux < c, inner, outer) / nux**2, dtype=np.float64)


def _radial_cdf(edges_mm: FloatArray) -> FloatArray:
    """Fraction of energy absorbed within each radius (fine radial quadrature)."""
    r = np.linspace(0.0, 4.0 * KERNEL_RADIUS_MM, 400001)[1:]
    dens = point_kernel(r) * r**2
    cdf = np.concatenate(([0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(r))))
    cdf /= cdf[-1]
    return np.interp(edges_mm, r, cdf)


@lru_cache(maxsize=16)
def _kernel_cached(sx: float, sy: float, sz: float, oversample: int,
                   photon_radius_mm: float) -> FloatArray:
    spacing = np.array([sx, sy, sz])
    electrons = _electron_kernel(spacing, oversample)
    if photon_radius_mm <= 0:
        return electrons
    half = np.maximum(np.ceil(photon_radius_mm / spacing).astype(int),
                      np.array(electrons.shape) // 2)
    photons, _ = photon_energy_fractions(spacing, half, SOFT_TISSUE_DENSITY_G_CM3)
    axes = [np.arange(-h, h + 1) * s for h, s in zip(half, spacing, strict=True)]
    gx, gy, gz = np.meshgrid(*axes, indexing="ij")
    photons[np.sqrt(gx**2 + gy**2 + gz**2) > photon_radius_mm] = 0.0
    mass_kg = float(np.prod(spacing)) * 1e-3 * SOFT_TISSUE_DENSITY_G_CM3 * 1e-3
    out = photons * MEV_TO_J * DECAYS_PER_MBQ_H / mass_kg
    ex, ey, ez = (np.array(electrons.shape) // 2)
    cx, cy, cz = half
    out[cx - ex:cx + ex + 1, cy - ey:cy + ey + 1, cz - ez:cz + ez + 1] += electrons
    return np.asarray(out, dtype=np.float64)


def _electron_kernel(spacing: FloatArray, oversample: int) -> FloatArray:
    half = np.ceil(KERNEL_RADIUS_MM / spacing).astype(int) + 1
    n = oversample
    fine = spacing / n
    # fine-grid point kernel (energy fraction per fine cell) over the kernel extent
    ext = [np.arange(-(h * n + n // 2 + n), h * n + n // 2 + n + 1) * f
           for h, f in zip(half, fine, strict=True)]
    gx, gy, gz = np.meshgrid(*ext, indexing="ij")
    r = np.sqrt(gx**2 + gy**2 + gz**2)
    cell = float(np.prod(fine))
    frac = point_kernel(r) * cell
    # centre cell: exact energy fraction within the equal-volume sphere
    r_eq = (3 * cell / (4 * math.pi)) ** (1 / 3)
    inside = float(_radial_cdf(np.array([r_eq]))[0])
    frac[r == 0] = 0.0
    frac *= (1.0 - inside) / frac.sum()
    frac[r == 0] = inside
    # uniform source over the n³ sub-points of the central voxel, then sum targets per voxel
    box = np.ones((n, n, n)) / n**3
    deposited = fftconvolve(frac, box, mode="same")
    # voxel k covers fine indices centre + (k − h)·n − n//2 ... + n; the first starts at n
    sx_, sy_, sz_ = (2 * h + 1 for h in half)
    block = deposited[n:n + sx_ * n, n:n + sy_ * n, n:n + sz_ * n]
    out = block.reshape(sx_, n, sy_, n, sz_, n).sum(axis=(1, 3, 5))
    out = np.where(out > 1e-12 * out.max(), out, 0.0)
    out /= out.sum()
    mass_kg = float(np.prod(spacing)) * 1e-3 * SOFT_TISSUE_DENSITY_G_CM3 * 1e-3
    energy_j = lu177().electrons_mev * MEV_TO_J * DECAYS_PER_MBQ_H
    return np.asarray(out * energy_j / mass_kg, dtype=np.float64)


def dose_voxel_kernel(spacing_mm: tuple[float, float, float],
                      oversample: int = 5, photon_radius_mm: float = 0.0) -> FloatArray:
    """177Lu dose-voxel kernel, Gy per MBq·h of TIA in the central voxel.

    Parameters
    ----------
    spacing_mm : (float, float, float)
        Voxel size along each axis, mm (any size; anisotropic allowed).
    oversample : int
        Sub-voxel points per axis for the integration (odd, ≥ 3).
    photon_radius_mm : float
        Include the photon dose (:mod:`lutetia.physics.photon`) out to this radius, mm;
        0 (default) gives the electron (non-penetrating) kernel only.

    Returns
    -------
    ndarray
        Odd-shaped kernel centred on the source voxel. Without photons its sum equals the
        local-deposition factor Ēₑ/m_voxel (energy conservation).
    """
    if len(spacing_mm) != 3 or any(not (s > 0) for s in spacing_mm):
        raise RecordError("voxel spacing must be three positive sizes", field="spacing_mm",
                          value=spacing_mm, accepted="mm > 0")
    if oversample < 3 or oversample % 2 == 0:
        raise RecordError("oversample must be odd and >= 3", field="oversample", value=oversample)
    if photon_radius_mm < 0:
        raise RecordError("photon radius must be >= 0", field="photon_radius_mm",
                          value=photon_radius_mm, accepted="mm >= 0")
    sx, sy, sz = (round(float(s), 6) for s in spacing_mm)
    return _kernel_cached(sx, sy, sz, oversample, round(float(photon_radius_mm), 3)).copy()
