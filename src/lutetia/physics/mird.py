"""Organ absorbed doses (MIRD schema), local energy deposition and bone marrow.

Notes
-----
MIRD: D = Σₛ Ãₛ·S(target←source) [1]. Ã in MBq·h; S in mGy/(MBq·s) as tabulated, so
D[Gy] = Ã·3600·S/1000.
Local energy deposition (LED): D = Ã·Ē·k/m with Ē the non-penetrating energy per decay
(0.14792 MeV for 177Lu, ICRP-107), k = 3.6·10⁹ decays/(MBq·h) × 1.602176634·10⁻¹³ J/MeV.
An optional photon absorbed fraction φ adds φ·Ē_γ (default 0: photons escape).
Kidney mass scaling [2]: the phantom S-value is split into a non-penetrating part
S_np = Ē_e·k/m₀ and the remaining photon part S_p; S(m) = S_np·m₀/m + S_p·(m₀/m)^{2/3}
(electrons: mass scaling; photons: scaling with m^{2/3} as in OLINDA/EXM [verify]).
Red marrow, blood-based method (EANM 2010 [3], after Sgouros [4]): the marrow TIA is
Ã_RM = ã_blood · RMBLR · m_RM with ã_blood the blood TIA per mL (MBq·h/mL), RMBLR = 1 for
small molecules that do not bind to marrow cells [3, verify] and m_RM the red-marrow mass
(ICRP-89 adult male 1170 g); self-dose by LED, cross-dose from other organs neglected
(under-estimates the marrow dose; state it in any report).

References
----------
1. Bolch WE et al. MIRD Pamphlet No. 21: a generalized schema for radiopharmaceutical
   dosimetry. J Nucl Med 2009;50:477. doi:10.2967/jnumed.108.056036
2. Stabin MG, Sparks RB, Crowe E. OLINDA/EXM: the second-generation personal computer
   software for internal dose assessment. J Nucl Med 2005;46:1023.
3. Hindorf C et al. EANM Dosimetry Committee guidelines for bone marrow and whole-body
   dosimetry. Eur J Nucl Med Mol Imaging 2010;37:1238. doi:10.1007/s00259-010-1422-4
4. Sgouros G. Bone marrow dosimetry for radioimmunotherapy: theoretical considerations.
   J Nucl Med 1993;34:689.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from lutetia.errors import RecordError
from lutetia.physics._data import load_table
from lutetia.physics.decay import MEV_TO_J, SECONDS_PER_HOUR, lu177

#: Decays per MBq·h (1 MBq = 10⁶ s⁻¹, 3600 s/h).
DECAYS_PER_MBQ_H: Final[float] = 1e6 * SECONDS_PER_HOUR
#: Soft-tissue density, g/cm³ (ICRU Report 44 soft tissue 1.04 g/cm³ [verify]).
SOFT_TISSUE_DENSITY_G_CM3: Final[float] = 1.04
#: Red-marrow-to-blood activity concentration ratio for small molecules [3, verify].
RMBLR_SMALL_MOLECULE: Final[float] = 1.0


@dataclass(frozen=True)
class OrganDose:
    """An absorbed dose (Gy) with its uncertainty, method and the S-value or energy used."""

    organ: str
    dose_gy: float
    dose_sd_gy: float
    method: str
    gy_per_mbq_h: float

    def per_gbq(self, administered_gbq: float) -> float:
        """Dose per administered activity, Gy/GBq."""
        if administered_gbq <= 0:
            raise RecordError("administered activity must be > 0", field="administered_gbq",
                              value=administered_gbq, accepted="GBq > 0")
        return self.dose_gy / administered_gbq


def _mass(mass_g: float) -> float:
    if not mass_g > 0:
        raise RecordError("mass must be > 0", field="mass_g", value=mass_g, accepted="g > 0")
    return mass_g


def led_gy_per_mbq_h(mass_g: float, photon_absorbed_fraction: float = 0.0) -> float:
    """Local-deposition dose factor, Gy per MBq·h, for a mass in g."""
    d = lu177()
    energy = d.electrons_mev + photon_absorbed_fraction * d.photons_mev
    return DECAYS_PER_MBQ_H * energy * MEV_TO_J / (_mass(mass_g) * 1e-3)


def kidney_s_value(mass_g: float | None = None) -> float:
    """S(kidneys←kidneys) for 177Lu in mGy/(MBq·s), scaled to a kidney mass in g.

    Without ``mass_g`` the phantom value (7.76e-5 mGy/(MBq·s), 310 g) is returned.
    """
    k = load_table("s_values")["organs"]["kidneys"]
    s0, m0 = float(k["s_self_mgy_per_mbq_s"]), float(k["phantom_mass_g"])
    if mass_g is None:
        return s0
    s_np = led_gy_per_mbq_h(m0) * 1e3 / SECONDS_PER_HOUR
    s_p = max(s0 - s_np, 0.0)
    ratio = m0 / _mass(mass_g)
    return float(s_np * ratio + s_p * ratio ** (2.0 / 3.0))


def dose_sd(dose_gy: float, tia_mbq_h: float, tia_sd_mbq_h: float,
            calibration_relative_sigma: float = 0.0, mass_relative_sigma: float = 0.0) -> float:
    """Standard uncertainty of a dose D ∝ Ã·C/m (Gy), first order, independent terms.

    u(D)/D = √((σ_Ã/Ã)² + u_cal² + u_m²): the calibration factor C scales every time point
    (systematic, so it is not in the fit covariance) and ∂lnD/∂ln m = −1 [Gear et al. 2018].
    """
    rel_tia = tia_sd_mbq_h / tia_mbq_h if tia_mbq_h > 0 else 0.0
    return dose_gy * float(np.sqrt(rel_tia**2 + calibration_relative_sigma**2
                                   + mass_relative_sigma**2))


def organ_dose(tia_mbq_h: float, organ: str, mass_g: float | None = None,
               tia_sd_mbq_h: float = 0.0, method: str = "auto",
               photon_absorbed_fraction: float = 0.0, calibration_relative_sigma: float = 0.0,
               mass_relative_sigma: float = 0.0) -> OrganDose:
    """Self-dose of an organ or lesion from its TIA.

    Parameters
    ----------
    tia_mbq_h : float
        Time-integrated activity in the organ, MBq·h.
    organ : str
        Region name; ``kidneys`` (or ``kidney``) uses the S-value.
    mass_g : float, optional
        Patient organ mass, g (needed for LED; scales the kidney S-value).
    method : {"auto", "s_value", "led"}
        ``auto``: S-value for kidneys, LED otherwise (salivary glands, lesions).
    photon_absorbed_fraction : float
        Fraction of photon energy absorbed locally in LED (0 to 1).
    calibration_relative_sigma, mass_relative_sigma : float
        Relative standard uncertainties of the camera calibration and of the mass (see
        :func:`dose_sd`); the S-value scaling is treated as D ∝ 1/m.
    """
    if not tia_mbq_h >= 0:
        raise RecordError("TIA must be >= 0", field="tia_MBq_h", value=tia_mbq_h)
    kidney = organ.strip().lower() in ("kidney", "kidneys")
    chosen = ("s_value" if kidney else "led") if method == "auto" else method
    if chosen == "s_value":
        if not kidney:
            raise RecordError("S-values are tabulated for kidneys only", field="organ",
                              value=organ, accepted="kidneys (or method led)")
        factor = kidney_s_value(mass_g) * SECONDS_PER_HOUR / 1e3
    elif chosen == "led":
        if mass_g is None:
            raise RecordError("local deposition needs the mass", field="mass_g", value=None,
                              accepted="g > 0")
        factor = led_gy_per_mbq_h(mass_g, photon_absorbed_fraction)
    else:
        raise RecordError("unknown dose method", field="method", value=method,
                          accepted="auto, s_value, led")
    d = tia_mbq_h * factor
    sd = dose_sd(d, tia_mbq_h, tia_sd_mbq_h, calibration_relative_sigma,
                 mass_relative_sigma if mass_g is not None else 0.0)
    return OrganDose(organ, d, sd, chosen, factor)


def sphere_mass_g(volume_ml: float) -> float:
    """Mass (g) of a lesion or gland of ``volume_ml`` at soft-tissue density 1.04 g/cm³."""
    return volume_ml * SOFT_TISSUE_DENSITY_G_CM3


def red_marrow_dose_blood(blood_tia_mbq_h_per_ml: float, marrow_mass_g: float | None = None,
                          rmblr: float = RMBLR_SMALL_MOLECULE) -> OrganDose:
    """Red-marrow self-dose from the blood TIA concentration (EANM 2010 blood method).

    Parameters
    ----------
    blood_tia_mbq_h_per_ml : float
        Time-integrated blood activity concentration, MBq·h/mL.
    marrow_mass_g : float, optional
        Patient red-marrow mass, g (default ICRP-89 adult male 1170 g).
    rmblr : float
        Red-marrow-to-blood concentration ratio (default 1).
    """
    if marrow_mass_g is None:
        marrow_mass_g = float(load_table("s_values")["organs"]["red_marrow"]["phantom_mass_g"])
    tia = blood_tia_mbq_h_per_ml * rmblr * marrow_mass_g
    factor = led_gy_per_mbq_h(marrow_mass_g)
    return OrganDose("red_marrow", tia * factor, 0.0, "blood_led", factor)
