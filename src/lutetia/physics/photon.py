"""Photon part of the 177Lu dose-voxel kernel (energy-absorption point-kernel approximation).

Notes
-----
Every ICRP-107 photon emission of 177Lu (6 γ lines and 60 X-ray lines, ``lu177.toml``
``[photon_spectrum]``; 0.03510 MeV per decay) deposits its energy Eᵢyᵢ around a point
source with the density εᵢ(r) = μ_en,i e^{−μ_en,i r}/(4πr²) (fraction per unit volume),
which integrates to 1 over infinite water: the energy-absorption-coefficient approximation
of the photon point kernel, in which the attenuation coefficient μ is replaced by μ_en to
account approximately for scattered photons [1, 2]. μ_en/ρ is interpolated log–log in the
NIST water table (``photon_water.toml``, 1–500 keV), ρ = 1.04 g/cm³. Lines below 1 keV
(0.025 keV per decay in all) are absorbed in the source voxel. The radial density
Σᵢ Eᵢyᵢ μᵢ e^{−μᵢ r} is tabulated once on a fine radial grid; the source voxel receives the
energy within its equal-volume sphere, Σᵢ Eᵢyᵢ (1 − e^{−μᵢ r_eq}); other voxels use a 3³
sub-voxel average.

No build-up factor is applied: against Lanconelli et al.'s Monte Carlo voxel S-values [3]
the far field (2–5 voxels out) is 10–30 % low, the known bias of the μ_en approximation
beyond a few cm (``docs/imaging.md``).

References
----------
1. Attix FH. Introduction to Radiological Physics and Radiation Dosimetry. Wiley 1986,
   ch. 2–3 (energy-absorption coefficient and charged-particle equilibrium).
   doi:10.1002/9783527617135
2. Hubbell JH, Seltzer SM. Tables of X-ray mass attenuation coefficients and mass energy-
   absorption coefficients. NIST SRD 126 (NISTIR 5632), 1995/2004.
3. Lanconelli N et al. A free database of radionuclide voxel S values for the dosimetry of
   nonuniform activity distributions. Phys Med Biol 2012;57:517. doi:10.1088/0031-9155/57/2/517
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from lutetia.physics._data import load_table

FloatArray = NDArray[np.float64]
#: Lowest energy of the μ_en table, MeV; photons below are absorbed where they are emitted.
LOCAL_BELOW_MEV = 0.001


def mu_en_per_mm(energy_mev: float, density_g_cm3: float) -> float:
    """Linear energy-absorption coefficient of water at ``energy_mev``, mm⁻¹ (log–log)."""
    table = np.asarray(load_table("photon_water")["coefficients"]["table"], dtype=np.float64)
    mu_rho = math.exp(float(np.interp(math.log(energy_mev), np.log(table[:, 0]),
                                      np.log(table[:, 2]))))
    return mu_rho * density_g_cm3 * 0.1


def photon_lines() -> list[tuple[float, float]]:
    """Main 177Lu photon lines (yield ≥ 5 %) as (energy MeV, yield) from ``lu177.toml``."""
    return [(float(p["energy_kev"]) / 1000.0, float(p["yield"]))
            for p in load_table("lu177")["photon_lines"]]


def photon_spectrum() -> list[tuple[float, float]]:
    """Every ICRP-107 177Lu photon emission (γ and X) as (energy MeV, yield per decay)."""
    spec = load_table("lu177")["photon_spectrum"]
    return [(float(e) / 1000.0, float(y)) for key in ("gamma", "x_ray") for e, y in spec[key]]


def _radial_density(density_g_cm3: float, r_max_mm: float
                    ) -> tuple[FloatArray, FloatArray, list[tuple[float, float]], float]:
    """r grid, Σ Eᵢyᵢμᵢe^{−μᵢr} on it, the (E·y, μ) pairs, and the locally absorbed energy."""
    pairs: list[tuple[float, float]] = []
    local = 0.0
    for energy, yld in photon_spectrum():
        if energy < LOCAL_BELOW_MEV:
            local += energy * yld
        else:
            pairs.append((energy * yld, mu_en_per_mm(energy, density_g_cm3)))
    r = np.linspace(0.0, r_max_mm, 40001)
    dens = np.zeros_like(r)
    for ey, mu in pairs:
        dens += ey * mu * np.exp(-mu * r)
    return r, dens, pairs, local


def photon_energy_fractions(spacing_mm: FloatArray, half: NDArray[np.int_],
                            density_g_cm3: float) -> tuple[FloatArray, float]:
    """Photon energy per voxel (MeV per decay, grid 2·half+1) and the total photon energy.

    Returns the array F with F[k] = Σᵢ Eᵢyᵢ·fᵢ[k], the energy absorbed in voxel k, and Σ Eᵢyᵢ.
    """
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    axes = [np.arange(-h, h + 1) * s for h, s in zip(half, spacing, strict=True)]
    r_max = float(np.sqrt(sum(((h + 1) * s) ** 2 for h, s in zip(half, spacing, strict=True))))
    r_grid, dens, pairs, local = _radial_density(density_g_cm3, r_max)
    sub = (np.arange(3) - 1) / 3.0
    vol = float(np.prod(spacing))
    acc = np.zeros([len(a) for a in axes])
    for dx in sub:
        for dy in sub:
            for dz in sub:
                gx, gy, gz = np.meshgrid(axes[0] + dx * spacing[0], axes[1] + dy * spacing[1],
                                         axes[2] + dz * spacing[2], indexing="ij")
                r = np.maximum(np.sqrt(gx**2 + gy**2 + gz**2), 1e-9)
                acc += np.interp(r, r_grid, dens) / (4.0 * math.pi * r**2) * vol / 27.0
    r_eq = (3.0 * vol / (4.0 * math.pi)) ** (1.0 / 3.0)
    acc[tuple(int(h) for h in half)] = local + sum(ey * (1.0 - math.exp(-mu * r_eq))
                                                   for ey, mu in pairs)
    return acc, local + sum(ey for ey, _ in pairs)
