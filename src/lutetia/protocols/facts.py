"""The fixed vocabulary of FACTS that protocol rules are written over.

A *fact* is one named value that the decision engine (:mod:`lutetia.decide`) derives from
the patient record on a given date: a lab value, a count, a yes/no, a category.  Every
fact has one canonical unit; thresholds written in a protocol file in another unit are
converted to it at load time through :mod:`lutetia.units` (``10 g/dL`` → ``100 g/L``,
``50 ng/dL`` → ``1.73 nmol/L``), so the engine compares numbers in one unit only.

Non-pint units
--------------
``x_ULN`` (multiple of the upper limit of normal), ``%`` (percent), ``count``, ``grade``
(CTCAE), ``score`` (ECOG) and ``category`` are Lutetia's dimensionless labels: a threshold
must be written in exactly that label (``%`` also accepts ``percent``).

Sign conventions
----------------
``*_decline_pct`` facts are positive for a fall (a 60 % fall is ``60``);
``*_change_from_baseline_pct`` facts are signed (a 40 % fall is ``-40``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

ValueType = Literal["number", "integer", "bool", "category"]

#: Unit labels that are not pint units: a threshold must use the label itself.
DIMENSIONLESS_UNITS: Final[frozenset[str]] = frozenset(
    {"x_ULN", "%", "count", "grade", "score", "category"}
)


class Fact(StrEnum):
    """Named facts a rule may test.  See :data:`FACT_SPECS` for unit and meaning."""

    AGE_YEARS = "age_years"
    SEX = "sex"
    ECOG = "ecog"
    ADENOCARCINOMA_CONFIRMED = "adenocarcinoma_confirmed"
    SMALL_CELL_CARCINOMA = "small_cell_carcinoma"
    METASTATIC_DISEASE = "metastatic_disease"
    BONE_METASTASES = "bone_metastases"
    RECIST_MEASURABLE_DISEASE = "recist_measurable_disease"
    LIVER_METASTASES = "liver_metastases"
    CNS_METASTASES = "cns_metastases"
    SPINAL_CORD_COMPRESSION_UNTREATED = "spinal_cord_compression_untreated"
    ADT_ONGOING = "adt_ongoing"
    TESTOSTERONE_NMOL_L = "testosterone_nmol_l"
    PSA_NG_ML = "psa_ng_ml"
    PSA_RISES_CONSECUTIVE = "psa_rises_consecutive"
    PCWG3_BONE_PROGRESSION = "pcwg3_bone_progression"
    RECIST_PROGRESSION = "recist_progression"
    PSMA_PET_VISION_POSITIVE = "psma_pet_vision_positive"
    PRIOR_ARSI = "prior_arsi"
    PRIOR_TAXANE = "prior_taxane"
    PRIOR_LU_PSMA_CYCLES = "prior_lu_psma_cycles"
    PRIOR_LU_PSMA_COURSES = "prior_lu_psma_courses"
    PRIOR_LU_PSMA_PROGRESSION_DURING_COURSE = "prior_lu_psma_progression_during_course"
    PRIOR_LU_PSMA_TOXICITY_DISCONTINUATION = "prior_lu_psma_toxicity_discontinuation"
    FIRST_COURSE_PSA_DECLINE_PCT = "first_course_psa_decline_pct"
    DAYS_LAST_LU_INJECTION_TO_PROGRESSION = "days_last_lu_injection_to_progression"
    DAYS_LAST_LU_INJECTION_TO_NEXT_THERAPY = "days_last_lu_injection_to_next_therapy"
    PROGRESSION_AFTER_FIRST_COURSE = "progression_after_first_course"
    RADIUM223_OR_SYSTEMIC_RT = "radium223_or_systemic_rt"
    PRIOR_HEMIBODY_EBRT = "prior_hemibody_ebrt"
    RBC_TRANSFUSION = "rbc_transfusion"
    ANC_GIGA_PER_L = "anc_giga_per_l"
    WBC_GIGA_PER_L = "wbc_giga_per_l"
    PLATELETS_GIGA_PER_L = "platelets_giga_per_l"
    HAEMOGLOBIN_G_L = "haemoglobin_g_l"
    BILIRUBIN_X_ULN = "bilirubin_x_uln"
    GILBERT_SYNDROME = "gilbert_syndrome"
    ALT_X_ULN = "alt_x_uln"
    AST_X_ULN = "ast_x_uln"
    CRCL_ML_MIN = "crcl_ml_min"
    CREATININE_CHANGE_FROM_BASELINE_PCT = "creatinine_change_from_baseline_pct"
    CRCL_CHANGE_FROM_BASELINE_PCT = "crcl_change_from_baseline_pct"
    CTCAE_GRADE = "ctcae_grade"
    CTCAE_GRADE_BEYOND_BASELINE = "ctcae_grade_beyond_baseline"
    NOT_AMENABLE_TO_MEDICAL_INTERVENTION = "not_amenable_to_medical_intervention"
    TREATMENT_DELAY_DAYS = "treatment_delay_days"
    PSA_DECLINE_FROM_BASELINE_PCT = "psa_decline_from_baseline_pct"
    SPECT_TUMOUR_VOLUME_DECLINE_PCT = "spect_tumour_volume_decline_pct"
    RECIP_PROGRESSION = "recip_progression"
    PSA_PROGRESSION = "psa_progression"
    RECIST_MEASURABLE_EXTRAPELVIC_DISEASE = "recist_measurable_extrapelvic_disease"
    PRIOR_ARSI_EXCLUDING_CONCOMITANT = "prior_arsi_excluding_concomitant"
    DAYS_LAST_LU_INJECTION_TO_RADIOLOGICAL_OR_CLINICAL_PROGRESSION = (
        "days_last_lu_injection_to_radiological_or_clinical_progression")
    PSA_RISES_AFTER_FIRST_COURSE = "psa_rises_after_first_course"
    CONCOMITANT_ARSI_DAYS_BEFORE_TREATMENT = "concomitant_arsi_days_before_treatment"
    CONCOMITANT_ARSI_REPEATS_PRIOR_AGENT = "concomitant_arsi_repeats_prior_agent"


@dataclass(frozen=True)
class FactSpec:
    """Canonical unit, value type and meaning of one fact.

    Attributes
    ----------
    unit
        Canonical unit (a pint unit string or a label of :data:`DIMENSIONLESS_UNITS`).
    type
        ``number``, ``integer``, ``bool`` or ``category``.
    meaning
        What the engine computes, in one sentence.
    analyte
        Analyte for mass ↔ molar conversion (``testosterone``), if any.
    categories
        Accepted values of a ``category`` fact.
    """

    unit: str
    type: ValueType
    meaning: str
    analyte: str | None = None
    categories: tuple[str, ...] = ()


def _b(meaning: str) -> FactSpec:
    return FactSpec("category", "bool", meaning)


F = Fact
#: Unit, type and meaning of every fact (the documented vocabulary).
FACT_SPECS: Final[dict[Fact, FactSpec]] = {
    F.AGE_YEARS: FactSpec("year", "number", "Age on the evaluation date."),
    F.SEX: FactSpec("category", "category", "Sex as recorded.", categories=("male", "female")),
    F.ECOG: FactSpec("score", "integer", "ECOG performance status (0-5), latest in window."),
    F.ADENOCARCINOMA_CONFIRMED: _b("Histologically or cytologically confirmed prostate adenocarcinoma."),
    F.SMALL_CELL_CARCINOMA: _b("Small cell carcinoma of the prostate on histology or cytology."),
    F.METASTATIC_DISEASE: _b("At least one metastatic lesion on bone scan, CT or MRI."),
    F.BONE_METASTASES: _b("Bone metastases present on the latest staging."),
    F.RECIST_MEASURABLE_DISEASE: _b("At least one RECIST 1.1 measurable nodal or soft-tissue lesion."),
    F.LIVER_METASTASES: _b("Liver metastases present."),
    F.CNS_METASTASES: _b("Current central nervous system metastases."),
    F.SPINAL_CORD_COMPRESSION_UNTREATED: _b("Imminent or established, not yet treated, spinal cord compression."),
    F.ADT_ONGOING: _b("Androgen deprivation ongoing on the evaluation date."),
    F.TESTOSTERONE_NMOL_L: FactSpec("nmol/L", "number", "Serum testosterone, latest in window.",
                                    analyte="testosterone"),
    F.PSA_NG_ML: FactSpec("ng/mL", "number", "Serum PSA, latest in window."),
    F.PSA_RISES_CONSECUTIVE: FactSpec(
        "count", "integer",
        "Length of the latest run of consecutive rising PSA values whose successive "
        "measurements are at least the condition's interval_days_min apart."),
    F.PCWG3_BONE_PROGRESSION: _b("Bone progression by PCWG3 (2+2 rule) from lutetia.assess."),
    F.RECIST_PROGRESSION: _b("Nodal or soft-tissue progression by RECIST 1.1 from lutetia.assess."),
    F.PSMA_PET_VISION_POSITIVE: _b(
        "PSMA PET read by the VISION criteria: >=1 PSMA-positive lesion and no PSMA-negative lesion."),
    F.PRIOR_ARSI: _b("At least one prior androgen receptor signalling inhibitor."),
    F.PRIOR_TAXANE: _b("At least one prior taxane chemotherapy (docetaxel or cabazitaxel)."),
    F.PRIOR_LU_PSMA_CYCLES: FactSpec("count", "integer",
                                     "Consecutive 177Lu-PSMA cycles in the first (prior) course."),
    F.PRIOR_LU_PSMA_COURSES: FactSpec("count", "integer", "Number of prior 177Lu-PSMA courses."),
    F.PRIOR_LU_PSMA_PROGRESSION_DURING_COURSE: _b(
        "Radiological, clinical or PSA progression during the prior 177Lu-PSMA course: the course's "
        "recorded answer, progression events up to its last injection, or the protocol's "
        "psa_progression applied to the PSA results from the course start."),
    F.PRIOR_LU_PSMA_TOXICITY_DISCONTINUATION: _b(
        "An SAE or CTCAE grade 3-4 AE in the prior course led to discontinuation."),
    F.FIRST_COURSE_PSA_DECLINE_PCT: FactSpec("%", "number",
                                             "Maximal PSA decline from baseline in the first course."),
    F.DAYS_LAST_LU_INJECTION_TO_PROGRESSION: FactSpec(
        "day", "number", "Days from the last injection of the first course to the first radiological, clinical "
        "or PSA progression after it; not evaluable when no progression is recorded."),
    F.DAYS_LAST_LU_INJECTION_TO_NEXT_THERAPY: FactSpec(
        "day", "number", "Days from the last injection of the first course to the start of the next line of "
        "therapy; infinite (no such therapy) when none is recorded by the evaluation date."),
    F.PROGRESSION_AFTER_FIRST_COURSE: _b(
        "Progression after the last injection of the first course: a recorded progression (any type) "
        "or the protocol's psa_progression applied to the PSA results from the course start."),
    F.RADIUM223_OR_SYSTEMIC_RT: _b("Any prior radium-223 or other systemic radiotherapy."),
    F.PRIOR_HEMIBODY_EBRT: _b("Prior external radiotherapy to more than a hemibody."),
    F.RBC_TRANSFUSION: _b("A red blood cell transfusion within the condition's window."),
    F.ANC_GIGA_PER_L: FactSpec("giga_per_L", "number", "Absolute neutrophil count, latest in window."),
    F.WBC_GIGA_PER_L: FactSpec("giga_per_L", "number", "White blood cell count, latest in window."),
    F.PLATELETS_GIGA_PER_L: FactSpec("giga_per_L", "number", "Platelet count, latest in window."),
    F.HAEMOGLOBIN_G_L: FactSpec("g/L", "number", "Haemoglobin, latest in window.",
                                analyte="haemoglobin"),
    F.BILIRUBIN_X_ULN: FactSpec("x_ULN", "number", "Total bilirubin over its ULN."),
    F.GILBERT_SYNDROME: _b("Known Gilbert's syndrome."),
    F.ALT_X_ULN: FactSpec("x_ULN", "number", "ALT over its ULN."),
    F.AST_X_ULN: FactSpec("x_ULN", "number", "AST over its ULN."),
    F.CRCL_ML_MIN: FactSpec("mL/min", "number",
                            "Creatinine clearance, Cockcroft-Gault with actual body weight."),
    F.CREATININE_CHANGE_FROM_BASELINE_PCT: FactSpec(
        "%", "number", "Signed % change of serum creatinine from the protocol baseline."),
    F.CRCL_CHANGE_FROM_BASELINE_PCT: FactSpec(
        "%", "number", "Signed % change of creatinine clearance from the protocol baseline."),
    F.CTCAE_GRADE: FactSpec("grade", "integer",
                            "Highest CTCAE grade among the condition's terms (or SOC) in window."),
    F.CTCAE_GRADE_BEYOND_BASELINE: FactSpec(
        "grade", "integer",
        "Highest current grade among the terms worse than at the treatment baseline (0 if none)."),
    F.NOT_AMENABLE_TO_MEDICAL_INTERVENTION: _b(
        "Recorded physician answer: the toxicity is not amenable to medical intervention."),
    F.TREATMENT_DELAY_DAYS: FactSpec("day", "number",
                                     "Days the next cycle is overdue beyond its planned date."),
    F.PSA_DECLINE_FROM_BASELINE_PCT: FactSpec("%", "number",
                                              "PSA decline from the treatment baseline, latest value."),
    F.SPECT_TUMOUR_VOLUME_DECLINE_PCT: FactSpec(
        "%", "number", "Decline of PSMA-avid tumour volume on quantitative SPECT/CT vs cycle 1."),
    F.RECIP_PROGRESSION: _b("Progression by RECIP 1.0 on PSMA PET/CT."),
    F.PSA_PROGRESSION: _b("PSA progression by the protocol's own psa_progression definition."),
    F.RECIST_MEASURABLE_EXTRAPELVIC_DISEASE: _b(
        "At least one RECIST 1.1 measurable soft-tissue lesion or measurable lymph node outside the "
        "pelvis (pelvic nodal stations: lutetia/decide/data/imaging_reads.toml); a measurable node "
        "whose station is not recorded makes it not evaluable unless another lesion qualifies."),
    F.PRIOR_ARSI_EXCLUDING_CONCOMITANT: _b(
        "At least one prior ARSI line, not counting an ARSI given together with this protocol's "
        "treatment: a line started on or after the condition's window start (window anchor minus "
        "'before') and still ongoing at the anchor, or started after the anchor."),
    F.DAYS_LAST_LU_INJECTION_TO_RADIOLOGICAL_OR_CLINICAL_PROGRESSION: FactSpec(
        "day", "number", "Days from the last injection of the first 177Lu-PSMA course to the first "
        "radiological, clinical or investigator-assessed progression after it (PSA-only progression "
        "does not count); infinite when none is recorded by the evaluation date; a lower bound when an "
        "earlier progression of unrecorded type exists."),
    F.PSA_RISES_AFTER_FIRST_COURSE: FactSpec(
        "count", "integer",
        "As psa_rises_consecutive, counting only rises to values sampled after the last injection of "
        "the first (earlier) 177Lu-PSMA course; the value the first rise is measured from may precede it."),
    F.CONCOMITANT_ARSI_DAYS_BEFORE_TREATMENT: FactSpec(
        "day", "number", "Days from the start of the latest ARSI given together with the treatment (as in "
        "prior_arsi_excluding_concomitant, same window) to the window's anchor; infinite when there is none."),
    F.CONCOMITANT_ARSI_REPEATS_PRIOR_AGENT: _b(
        "An ARSI given together with the treatment (as in prior_arsi_excluding_concomitant, same window) "
        "is the same agent as a prior ARSI line; not evaluable when an ARSI line has no agent."),
}

#: Facts whose value depends on CTCAE terms or an SOC given in the condition.
CTCAE_FACTS: Final[frozenset[Fact]] = frozenset({Fact.CTCAE_GRADE, Fact.CTCAE_GRADE_BEYOND_BASELINE})

#: Facts that accept ``interval_days_min`` (sequence facts).
SEQUENCE_FACTS: Final[frozenset[Fact]] = frozenset({Fact.PSA_RISES_CONSECUTIVE, Fact.PSA_RISES_AFTER_FIRST_COURSE})


def fact_spec(fact: Fact) -> FactSpec:
    """The :class:`FactSpec` of ``fact``."""
    return FACT_SPECS[fact]
