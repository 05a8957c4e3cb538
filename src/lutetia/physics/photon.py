"""Photon part of the 177Lu dose-voxel kernel (energy-absorption point-kernel approximation).

Notes
-----
Each main photon line i (ICRP-107: 112.95 keV, 6.40 %; 208.37 keV, 11.0 %) deposits its
energy Eᵢyᵢ around a point source with the density
εᵢ(r) = μ_en,i e^{−μ_en,i r}/(4πr²) (fraction per unit volume), which integrates to 1 over
infinite water: the energy-absorption-coefficient approximation of the photon point kernel,
where the attenuation coefficient μ is replaced by μ_en to account approximately for
scattered photons [1, 2]. μ_en/ρ is interpolated log–log in the NIST water table
(``photon_water.toml``), ρ = 1.04 g/cm³. The fraction of the source voxel is the energy
within the equal-volume sphere, 1 − e^{−μ_en r_eq}; other voxels use a 3³ sub-voxel average.
Only the two main lines are included (30.15 of the 35.10 keV/decay emitted as photons).

References
----------
1. Attix FH. Introduction to Radiological Physics and Radiation Dosimetry. Wiley 1986,
   ch. 2–3 (energy-absorption coefficient and charged-particle equilibrium).
   doi:10.1002/9783527617135
2. Hubbell JH, Seltzer SM. Tables of X-ray mass attenuation coefficients and mass energy-
   absorption coefficients. NIST SRD 126 (NISTIR 5632), 1995/2004.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from lutetia.physics._data import load_table

FloatArray = NDArray[np.float64]


def mu_en_per_mm(energy_mev: float, density_g_cm3: float) -> float:
    """Linear energy-absorption coefficient of water at ``energy_mev``, mm⁻¹ (log–log)."""
    table = np.asarray(load_table("photon_water")["coefficients"]["table"], dtype=np.float64)
    mu_rho = math.exp(float(np.interp(math.log(energy_mev), np.log(table[:, 0]),
                                      np.log(table[:, 2]))))
    return mu_rho * density_g_cm3 * 0.1


def photon_lines() -> list[tuple[float, float]]:
    """Main 177Lu photon lines as (energy MeV, yield per decay) from ``lu177.toml``."""
    return [(float(p["energy_kev"]) / 1000.0, float(p["yield"]))
            for p in load_table("lu177")["photon_lines"]]


def photon_energy_fractions(spacing_mm: FloatArray, half: NDArray[np.int_],
                            density_g_cm3: float) -> tuple[FloatArray, float]:
    """Photon energy fraction per voxel (grid 2·half+1) and the total photon energy (MeV).

    Returns the array F with Σᵢ Eᵢyᵢ·Fᵢ[k] already combined: the energy (MeV per decay)
    absorbed in voxel k, and Σ Eᵢyᵢ.
    """
    axes = [np.arange(-h, h + 1) * s for h, s in zip(half, spacing_mm, strict=True)]
    sub = (np.arange(3) - 1) / 3.0
    vol = float(np.prod(spacing_mm))
    r_eq = (3.0 * vol / (4.0 * math.pi)) ** (1.0 / 3.0)
    total = np.zeros([len(a) for a in axes])
    e_sum = 0.0
    for energy, yld in photon_lines():
        mu = mu_en_per_mm(energy, density_g_cm3)
        acc = np.zeros_like(total)
        for dx in sub:
            for dy in sub:
                for dz in sub:
                    gx, gy, gz = np.meshgrid(axes[0] + dx * spacing_mm[0],
                                             axes[1] + dy * spacing_mm[1],
                                             axes[2] + dz * spacing_mm[2], indexing="ij")
                    r = np.maximum(np.sqrt(gx**2 + gy**2 + gz**2), 1e-9)
                    acc += mu * np.exp(-mu * r) / (4.0 * math.pi * r**2) * vol / 27.0
        centre = tuple(int(h) for h in half)
        acc[centre] = 1.0 - math.exp(-mu * r_eq)
        total += energy * yld * acc
        e_sum += energy * yld
    return total, e_sum
