"""Code systems used in Lutetia's FHIR resources: LOINC for laboratory tests, UCUM for units,
DICOM for imaging modalities, HL7 terminology for AE seriousness.

LOINC codes are those of :data:`lutetia.records.ANALYTES` (one table for the whole package);
:data:`LOINC_DISPLAY` gives each one's LOINC long common name, from the LOINC database (loinc.org,
version 2.77), and :func:`loinc_check_digit_ok` verifies the mod-10 check digit every LOINC code
carries (LOINC Users' Guide, "Calculating the LOINC check digit").
"""

from __future__ import annotations

from lutetia.records import ANALYTES, Analyte

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

#: LOINC long common names of the analytes' codes (LOINC 2.77).
LOINC_DISPLAY: dict[str, str] = {
    "718-7": "Hemoglobin [Mass/volume] in Blood",
    "777-3": "Platelets [#/volume] in Blood by Automated count",
    "751-8": "Neutrophils [#/volume] in Blood by Automated count",
    "6690-2": "Leukocytes [#/volume] in Blood by Automated count",
    "731-0": "Lymphocytes [#/volume] in Blood by Automated count",
    "2160-0": "Creatinine [Mass/volume] in Serum or Plasma",
    "98979-8": "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by "
               "Creatinine-based formula (CKD-EPI 2021)",
    "2164-2": "Creatinine renal clearance in 24 hour Urine and Serum or Plasma",
    "1975-2": "Bilirubin.total [Mass/volume] in Serum or Plasma",
    "1742-6": "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "1920-8": "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "6768-6": "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
    "2532-0": "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma",
    "1751-7": "Albumin [Mass/volume] in Serum or Plasma",
    "2823-3": "Potassium [Moles/volume] in Serum or Plasma",
    "2951-2": "Sodium [Moles/volume] in Serum or Plasma",
    "17861-6": "Calcium [Mass/volume] in Serum or Plasma",
    "19123-9": "Magnesium [Mass/volume] in Serum or Plasma",
    "2857-1": "Prostate specific Ag [Mass/volume] in Serum or Plasma",
    "2986-8": "Testosterone [Mass/volume] in Serum or Plasma",
    # [Moles/volume] codes of the same tests, for values reported in a substance concentration
    "59260-0": "Hemoglobin [Moles/volume] in Blood",
    "14682-9": "Creatinine [Moles/volume] in Serum or Plasma",
    "14631-6": "Bilirubin.total [Moles/volume] in Serum or Plasma",
    "2000-8": "Calcium [Moles/volume] in Serum or Plasma",
    "2601-3": "Magnesium [Moles/volume] in Serum or Plasma",
    "14913-8": "Testosterone [Moles/volume] in Serum or Plasma",
    "29463-7": "Body weight",
    "8310-5": "Body temperature",
}

#: Analyte of each LOINC code (the reverse of ANALYTES; a hospital may send any of these).
ANALYTE_BY_LOINC: dict[str, Analyte] = {
    **{s.loinc: a for a, s in ANALYTES.items() if s.loinc},
    **{s.loinc_molar: a for a, s in ANALYTES.items() if s.loinc_molar},
}

#: UCUM code of each unit text Lutetia accepts for labs and doses (export); the reverse map
#: (:data:`UNIT_BY_UCUM`) reads a hospital's UCUM code when its Quantity carries no unit text.
UCUM_BY_UNIT: dict[str, str] = {
    "g/L": "g/L", "g/dL": "g/dL", "mg/dL": "mg/dL", "mg/L": "mg/L", "umol/L": "umol/L", "µmol/L": "umol/L",
    "mmol/L": "mmol/L", "nmol/L": "nmol/L", "ng/mL": "ng/mL", "ug/L": "ug/L", "ng/dL": "ng/dL", "U/L": "U/L",
    "IU/L": "[IU]/L", "10^9/L": "10*9/L", "giga_per_L": "10*9/L", "G/L": "10*9/L", "10^3/uL": "10*3/uL",
    "kilo_per_uL": "10*3/uL", "mL/min": "mL/min", "mL_min_1_73m2": "mL/min/{1.73_m2}",
    "mL/min/1.73m2": "mL/min/{1.73_m2}", "kg": "kg", "degC": "Cel", "GBq": "GBq", "MBq": "MBq", "h": "h",
    "g": "g", "mL": "mL", "mm": "mm", "Gy": "Gy", "Gy/GBq": "Gy/GBq",
}
UNIT_BY_UCUM: dict[str, str] = {
    "10*9/L": "10^9/L", "10*3/uL": "10^3/uL", "mL/min/{1.73_m2}": "mL/min/1.73m2", "Cel": "degC", "[IU]/L": "IU/L",
}

#: DICOM modality code of each imaging modality of the records.
DICOM_MODALITY: dict[str, str] = {"psma_pet": "PT", "fdg_pet": "PT", "spect_ct": "NM", "ct": "CT", "mri": "MR",
                                  "bone_scan": "NM"}


def loinc_check_digit_ok(code: str) -> bool:
    """True when the digit after the hyphen is the mod-10 (Luhn) check digit of the number before it."""
    number, _, check = code.partition("-")
    if not number.isdigit() or not check.isdigit() or len(check) != 1:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(check)


def unit_from_ucum(code: str) -> str:
    """Lutetia's unit text for a UCUM code (the code itself when pint reads it as it is)."""
    return UNIT_BY_UCUM.get(code, code)
