"""Sphere model for lesions and small organs (salivary glands, lacrimal glands).

Notes
-----
Electron absorbed fraction of a uniformly loaded sphere of radius R, by point-kernel
integration with the geometric reduction factor of the sphere [1, 2]:

φₑ(R) = ∫₀^{2R} 4πr² j(r) G(r/2R) dr / ∫₀^∞ 4πr² j(r) dr,  G(x) = 1 − 3x/2 + x³/2,

where j is the 177Lu beta point kernel of :mod:`lutetia.physics.kernel` (Loevinger's
point-source function [3], water) and G(x) is the probability that a point at distance r, in
a random direction from a random point of the sphere, is still inside it. Absorbed dose:
D = Ã·k·(Ēₑφₑ + Ē_γφ_γ)/m, m = ρ·(4/3)πR³, ρ = 1.04 g/cm³. The photon absorbed fraction
φ_γ is an input (default 0: photons escape; their share of the emitted energy is 19 %).

References
----------
1. Berger MJ. Distribution of absorbed dose around point sources of electrons and beta
   particles in water and other media. MIRD Pamphlet No. 7. J Nucl Med 1971;12(suppl 5):5.
2. Stabin MG, Konijnenberg MW. Re-evaluation of absorbed fractions for photons and electrons
   in spheres of various sizes. J Nucl Med 2000;41:149.
3. Loevinger R. The dosimetry of beta sources in tissue: the point-source function.
   Radiology 1956;66:55. doi:10.1148/66.1.55
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from lutetia.errors import RecordError
from lutetia.physics.decay import MEV_TO_J, lu177
from lutetia.physics.kernel import KERNEL_RADIUS_MM, point_kernel
from lutetia.physics.mird import (
    DECAYS_PER_MBQ_H,
    SOFT_TISSUE_DENSITY_G_CM3,
    OrganDose,
    dose_sd,
)


def geometric_reduction_factor(x: float) -> float:
    """G(x) = 1 − 3x/2 + x³/2 for x = r/(2R) in [0, 1]; 0 beyond."""
    if x >= 1.0:
        return 0.0
    return 1.0 - 1.5 * x + 0.5 * x**3


@lru_cache(maxsize=256)
def electron_absorbed_fraction(radius_mm: float) -> float:
    """Electron self-absorbed fraction φₑ of a uniformly loaded sphere of ``radius_mm``."""
    if not radius_mm > 0:
        raise RecordError("sphere radius must be > 0", field="radius_mm", value=radius_mm,
                          accepted="mm > 0")
    r = np.linspace(0.0, 4.0 * KERNEL_RADIUS_MM, 200001)[1:]
    dens = point_kernel(r) * r**2
    x = r / (2.0 * radius_mm)
    g = np.where(x < 1.0, 1.0 - 1.5 * x + 0.5 * x**3, 0.0)
    return float(np.trapezoid(dens * g, r) / np.trapezoid(dens, r))


def sphere_radius_mm(volume_ml: float) -> float:
    """Radius (mm) of a sphere of ``volume_ml`` (mL = cm³)."""
    if not volume_ml > 0:
        raise RecordError("volume must be > 0", field="volume_ml", value=volume_ml,
                          accepted="mL > 0")
    return float(10.0 * (3.0 * volume_ml / (4.0 * math.pi)) ** (1.0 / 3.0))


def sphere_dose(tia_mbq_h: float, volume_ml: float, region: str = "lesion",
                tia_sd_mbq_h: float = 0.0, photon_absorbed_fraction: float = 0.0,
                calibration_relative_sigma: float = 0.0,
                volume_relative_sigma: float = 0.0) -> OrganDose:
    """Self-dose (Gy) of a uniformly loaded soft-tissue sphere of ``volume_ml`` from Ã (MBq·h)."""
    if not tia_mbq_h >= 0:
        raise RecordError("TIA must be >= 0", field="tia_MBq_h", value=tia_mbq_h)
    if not 0.0 <= photon_absorbed_fraction <= 1.0:
        raise RecordError("photon absorbed fraction must be in [0, 1]",
                          field="photon_absorbed_fraction", value=photon_absorbed_fraction)
    d = lu177()
    phi_e = electron_absorbed_fraction(round(sphere_radius_mm(volume_ml), 6))
    energy = d.electrons_mev * phi_e + d.photons_mev * photon_absorbed_fraction
    mass_kg = volume_ml * SOFT_TISSUE_DENSITY_G_CM3 * 1e-3
    factor = DECAYS_PER_MBQ_H * energy * MEV_TO_J / mass_kg
    dose = tia_mbq_h * factor
    sd = dose_sd(dose, tia_mbq_h, tia_sd_mbq_h, calibration_relative_sigma, volume_relative_sigma)
    return OrganDose(region, dose, sd, "sphere", factor)
