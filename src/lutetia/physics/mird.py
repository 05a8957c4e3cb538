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
small molecules that do not bind to marrow cells [3, verify] or the haematocrit form
RMBLR = 0.19/(1 − HCT) [4, verify], and m_RM the patient's red-marrow mass. The dose is
self + cross from the remainder of the body (RB = total body − marrow) [3]:
D_RM = Ã_RM·S(RM←RM)·m_RM,ph/m_RM + Ã_RB·S(RM←RB)·m_TB,ph/m_TB with the phantom
remainder S-value S(RM←RB) = S(RM←TB)·m_TB,ph/m_RB,ph − S(RM←RM)·m_RM,ph/m_RB,ph; self S
scaled with the marrow mass, cross S with the total-body mass. For 177Lu the phantom
S(RM←RM) = 1.15e-5 mGy/(MBq·s) is 1/1.76 of local deposition in 1170 g (half the β energy
escapes the marrow cavities into bone), so LED overestimated the self-dose by 76 %.

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


def rmblr_from_haematocrit(haematocrit: float) -> float:
    """RMBLR = RMECFF/(1 − HCT), RMECFF = 0.19 (``s_values.toml`` [rmblr]) [4, verify]."""
    if not 0.0 < haematocrit < 1.0:
        raise RecordError("haematocrit must be a fraction between 0 and 1", field="haematocrit",
                          value=haematocrit, accepted="0 < HCT < 1 (e.g. 0.42)")
    ecf = float(load_table("s_values")["rmblr"]["red_marrow_ecf_fraction"])
    return ecf / (1.0 - haematocrit)


def red_marrow_s_values(marrow_mass_g: float | None = None,
                        total_body_mass_g: float | None = None) -> tuple[float, float]:
    """(S(RM←RM), S(RM←RB)) in Gy per MBq·h, mass-scaled to the patient (EANM 2010)."""
    organs = load_table("s_values")["organs"]
    rm, tb = organs["red_marrow"], organs["total_body"]
    m_rm, m_tb = float(rm["phantom_mass_g"]), float(tb["phantom_mass_g"])
    s_self = float(rm["s_self_mgy_per_mbq_s"])
    s_tb = float(rm["s_from_total_body_mgy_per_mbq_s"])
    s_rb = s_tb * m_tb / (m_tb - m_rm) - s_self * m_rm / (m_tb - m_rm)
    self_scale = m_rm / _mass(marrow_mass_g) if marrow_mass_g is not None else 1.0
    cross_scale = m_tb / _mass(total_body_mass_g) if total_body_mass_g is not None else 1.0
    to_gy_h = SECONDS_PER_HOUR / 1e3
    return s_self * self_scale * to_gy_h, s_rb * cross_scale * to_gy_h


def red_marrow_dose_blood(blood_tia_mbq_h_per_ml: float, marrow_mass_g: float | None = None,
                          rmblr: float = RMBLR_SMALL_MOLECULE,
                          total_body_tia_mbq_h: float | None = None,
                          total_body_mass_g: float | None = None) -> OrganDose:
    """Red-marrow dose from the blood TIA concentration (EANM 2010 blood method).

    Parameters
    ----------
    blood_tia_mbq_h_per_ml : float
        Time-integrated blood activity concentration, MBq·h/mL.
    marrow_mass_g : float, optional
        Patient red-marrow mass, g (default ICRP-89 adult male 1170 g).
    rmblr : float
        Red-marrow-to-blood concentration ratio (1, or :func:`rmblr_from_haematocrit`).
    total_body_tia_mbq_h : float, optional
        Whole-body TIA, MBq·h (whole-body imaging or retention). With it the cross-dose from
        the remainder of the body is added (method ``blood_s_self_cross``); without it the
        dose is the self-dose only (method ``blood_s_self``: an underestimate for 177Lu).
    total_body_mass_g : float, optional
        Patient mass for the cross S-value, g (default 73 kg).

    Notes
    -----
    ``gy_per_mbq_h`` of the result is the self S-value, so dose/gy_per_mbq_h is the marrow TIA
    only when no cross-dose was added.
    """
    if not blood_tia_mbq_h_per_ml >= 0 or not rmblr > 0:
        raise RecordError("blood TIA must be >= 0 and RMBLR > 0", field="blood_tia_MBq_h_per_mL",
                          value=(blood_tia_mbq_h_per_ml, rmblr), accepted="TIA >= 0, RMBLR > 0")
    if marrow_mass_g is None:
        marrow_mass_g = float(load_table("s_values")["organs"]["red_marrow"]["phantom_mass_g"])
    tia_rm = blood_tia_mbq_h_per_ml * rmblr * marrow_mass_g
    s_self, s_rb = red_marrow_s_values(marrow_mass_g, total_body_mass_g)
    dose = tia_rm * s_self
    method = "blood_s_self"
    if total_body_tia_mbq_h is not None:
        if total_body_tia_mbq_h < tia_rm:
            raise RecordError("whole-body TIA is smaller than the marrow TIA",
                              field="total_body_tia_MBq_h", value=total_body_tia_mbq_h,
                              accepted=f">= marrow TIA {tia_rm:.6g} MBq·h")
        dose += (total_body_tia_mbq_h - tia_rm) * s_rb
        method = "blood_s_self_cross"
    return OrganDose("red_marrow", dose, 0.0, method, s_self)
