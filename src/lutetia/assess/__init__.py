"""Clinical assessments: CTCAE grading, renal function, PCWG3 PSA and bone, RECIST 1.1,
RECIP 1.0, FDG and SPECT response, AESIs.

Criteria live as data in ``lutetia/assess/criteria/*.toml`` (verbatim source text beside a
small declarative machine form, validated at load); one engine per family reads them.
Engines are pure functions over the simple typed inputs defined here (no I/O, no clock).
Outcomes are three-valued (:class:`Outcome`) and carry the rules and inputs they used.
"""

from lutetia.assess.aesi import (
    AdverseEvent,
    AesiResult,
    febrile_neutropenia_g4,
    non_haematological_g4,
    persistent_creatinine_rise,
    persistent_cytopenia,
)
from lutetia.assess.bone import BoneScan, pcwg3_bone_progression
from lutetia.assess.bor import (
    Assessment,
    BestResponse,
    best_overall_response,
    bor_params,
    radiographic_progression,
)
from lutetia.assess.criteria import SHIPPED, load_criteria
from lutetia.assess.ctcae import (
    Grade,
    LabValue,
    ctcae_grade,
    ctcae_terms,
    find_term,
    shift_table,
    worst_grade,
)
from lutetia.assess.outcome import Evidence, Outcome, RuleRef
from lutetia.assess.pet import (
    SpectScan,
    fdg_response_prodigy2,
    percist_response,
    recip_response,
    spect_mtv_response,
)
from lutetia.assess.psa import (
    PsaResult,
    PsaSample,
    consecutive_rises,
    psa_baseline,
    psa_category,
    psa_change_at_week12,
    psa_criteria,
    psa_max_decline,
    psa_nadir,
    psa_percent_change,
    psa_progression,
    psa_response,
    rise_criteria,
)
from lutetia.assess.recist import (
    FollowUp,
    Lesion,
    is_measurable,
    overall_response,
    select_targets,
    sum_of_diameters,
    time_point_responses,
)
from lutetia.assess.renal import ckd_epi_2021, cockcroft_gault

__all__ = [
    "SHIPPED", "AdverseEvent", "AesiResult", "Assessment", "BestResponse", "BoneScan", "Evidence", "FollowUp",
    "Grade", "LabValue", "Lesion", "Outcome", "PsaResult", "PsaSample", "RuleRef", "SpectScan",
    "best_overall_response", "bor_params", "ckd_epi_2021", "cockcroft_gault", "consecutive_rises",
    "ctcae_grade", "ctcae_terms", "febrile_neutropenia_g4", "fdg_response_prodigy2", "find_term",
    "is_measurable", "load_criteria", "non_haematological_g4", "overall_response", "pcwg3_bone_progression",
    "percist_response", "persistent_creatinine_rise", "persistent_cytopenia", "psa_baseline", "psa_category",
    "psa_change_at_week12", "psa_criteria", "psa_max_decline", "psa_nadir", "psa_percent_change",
    "psa_progression", "psa_response", "radiographic_progression", "recip_response", "rise_criteria",
    "select_targets", "shift_table", "spect_mtv_response", "sum_of_diameters", "time_point_responses",
    "worst_grade",
]
