"""Renal function: Cockcroft–Gault creatinine clearance and CKD-EPI 2021 eGFR.

Serum creatinine may be given in any unit that :func:`lutetia.units.to_unit` converts to
mg/dL for the analyte creatinine (µmol/L, mg/dL...).

References
----------
1. Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine.
   Nephron 1976;16:31–41. doi:10.1159/000180580
2. Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations
   to estimate GFR without race. N Engl J Med 2021;385:1737–1749. doi:10.1056/NEJMoa2102953
3. CRAN package nephro, ``CG`` and ``CKDEpi2021.creat`` (cran/nephro R/nephro.R).
"""

from __future__ import annotations

from typing import Literal

from lutetia.errors import RecordError
from lutetia.units import to_unit

Sex = Literal["male", "female"]

#: Cockcroft–Gault constant 72 (mL/min per mg/dL per kg-year), female factor 0.85 [1].
CG_CONSTANT = 72.0
CG_FEMALE_FACTOR = 0.85
#: CKD-EPI 2021 coefficients [2]: 142, kappa 0.7 F / 0.9 M, alpha -0.241 F / -0.302 M,
#: -1.200 above kappa, age factor 0.9938 per year, female factor 1.012.
CKD_EPI_2021 = {"a": 142.0, "kappa_f": 0.7, "kappa_m": 0.9, "alpha_f": -0.241,
                "alpha_m": -0.302, "beta": -1.200, "age": 0.9938, "female": 1.012}


def _scr_mg_dl(creatinine: float, unit: str) -> float:
    scr = to_unit(creatinine, unit, "mg/dL", analyte="creatinine")
    if not scr > 0:
        raise RecordError("serum creatinine must be > 0", field="creatinine", value=creatinine,
                          accepted="a positive concentration")
    return scr


def _check(age_years: float, sex: str) -> None:
    if not 0 < age_years < 130:
        raise RecordError("age out of range", field="age_years", value=age_years, accepted="0 < age < 130")
    if sex not in ("male", "female"):
        raise RecordError("unknown sex", field="sex", value=sex, accepted="male, female")


def cockcroft_gault(creatinine: float, unit: str, *, age_years: float, weight_kg: float, sex: Sex) -> float:
    """Creatinine clearance (mL/min) by Cockcroft–Gault with **actual** body weight.

    Parameters
    ----------
    creatinine, unit
        Serum creatinine and its unit.
    age_years
        Age in years.
    weight_kg
        Actual body weight in kg (the Pluvicto label's choice).
    sex
        ``"male"`` or ``"female"``.

    Notes
    -----
    CrCl = (140 − age) × weight / (72 × Scr[mg/dL]), × 0.85 if female [1]_.
    """
    _check(age_years, sex)
    if not weight_kg > 0:
        raise RecordError("weight must be > 0", field="weight_kg", value=weight_kg, accepted="> 0 kg")
    scr = _scr_mg_dl(creatinine, unit)
    crcl = (140.0 - age_years) * weight_kg / (CG_CONSTANT * scr)
    return crcl * (CG_FEMALE_FACTOR if sex == "female" else 1.0)


def ckd_epi_2021(creatinine: float, unit: str, *, age_years: float, sex: Sex) -> float:
    """eGFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine equation.

    Notes
    -----
    eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female];
    κ = 0.7 (F) / 0.9 (M); α = −0.241 (F) / −0.302 (M); Scr in mg/dL [2]_.
    """
    _check(age_years, sex)
    scr = _scr_mg_dl(creatinine, unit)
    c = CKD_EPI_2021
    female = sex == "female"
    kappa = c["kappa_f"] if female else c["kappa_m"]
    alpha = c["alpha_f"] if female else c["alpha_m"]
    ratio = scr / kappa
    egfr = c["a"] * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** c["beta"] * c["age"] ** age_years
    return float(egfr * (c["female"] if female else 1.0))
