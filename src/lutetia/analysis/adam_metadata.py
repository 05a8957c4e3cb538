"""Variable metadata of Lutetia's ADaM datasets — the one place names, labels, types, lengths,
codelists and derivations are written.

The builders (:mod:`lutetia.analysis.datasets`), the XPT writer
(:mod:`lutetia.report.datasets_io`) and the Define-XML generator (:mod:`lutetia.report.define_xml`)
all read these tables.  Names are upper case and ≤ 8 characters, labels ≤ 40 characters, character
values ≤ 200 bytes: the limits of SAS transport v5 [1]_ that FDA submissions use.

Variable names and labels follow ADaMIG v1.3 and the ADaM BDS/TTE structures [2]_; where the
pharmaverse ``admiral`` / ``admiralonco`` templates derive a variable (ADSL LSTALVDT, ADTTE
SRCDOM/EVNTDESC/CNSDTDSC, ADRS AVALN) their reading was followed [3]_.  Codelists name their NCI
EVS code (``C66742`` …) only where CDISC Controlled Terminology has that list [4]_; the others are
sponsor-defined and say so.

References
----------
.. [1] SAS Institute. The record layout of a data set in SAS transport (XPORT) format (TS-140).
.. [2] CDISC. Analysis Data Model Implementation Guide v1.3 (2021); ADaM Basic Data Structure for
       Time-to-Event Analyses v1.0 (2012). https://www.cdisc.org/standards/foundational/adam
.. [3] pharmaverse admiral 1.x / admiralonco 1.x templates ``ad_adsl.R``, ``ad_adtte.R``,
       ``ad_adrs.R``, ``ad_adlb.R``, ``ad_adae.R``. https://pharmaverse.github.io/admiral/
.. [4] CDISC/NCI Controlled Terminology, SDTM and ADaM packages. https://evs.nci.nih.gov/ftp1/CDISC/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lutetia.errors import ProtocolError
from lutetia.records import Analyte

VarType = Literal["Char", "Num"]
Origin = Literal["Derived", "Assigned", "Predecessor", "Collected"]
#: XPT v5 limit on a character variable (bytes).
MAX_CHAR_LENGTH = 200


@dataclass(frozen=True)
class Variable:
    """Metadata of one variable.

    ``length`` is the largest allowed byte length of a Char value (Num: 8).  ``integer`` marks
    numeric variables that only hold whole numbers (Define-XML ``DataType="integer"``);
    ``is_date`` numeric SAS dates (days since 1960-01-01, format ``DATE9.``).  ``codelist``
    names an entry of :data:`CODELISTS`; ``method`` the derivation shown in Define-XML.
    """

    name: str
    label: str
    type: VarType
    length: int = 8
    is_date: bool = False
    integer: bool = False
    codelist: str | None = None
    origin: Origin = "Derived"
    method: str | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or len(self.name) > 8 or self.name.upper() != self.name:
            raise ValueError(f"variable name {self.name!r}: upper case, ≤ 8 characters (XPT v5)")
        if len(self.label) > 40:
            raise ValueError(f"variable {self.name}: label longer than 40 characters")
        if not 1 <= self.length <= MAX_CHAR_LENGTH:
            raise ValueError(f"variable {self.name}: length {self.length} not in 1–{MAX_CHAR_LENGTH}")

    @property
    def data_type(self) -> str:
        """Define-XML 2.1 ``DataType``: text, integer or float (dates are SAS date integers)."""
        if self.type == "Char":
            return "text"
        return "integer" if self.integer or self.is_date else "float"


@dataclass(frozen=True)
class Codelist:
    """A list of permitted values, with its NCI EVS code when CDISC CT has it (``None``: sponsor)."""

    id: str
    name: str
    values: tuple[tuple[str, str], ...]  # (coded value, decode)
    nci_code: str | None = None
    data_type: Literal["text", "integer"] = "text"


@dataclass(frozen=True)
class DatasetSpec:
    """Dataset-level metadata (Define-XML ``ItemGroupDef``): class, structure, keys, variables."""

    name: str
    label: str
    dataset_class: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]

    def __post_init__(self) -> None:
        if len(self.label) > 40:
            raise ValueError(f"dataset {self.name}: label longer than 40 characters")
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names) or not set(self.keys) <= set(names):
            raise ValueError(f"dataset {self.name}: duplicate variables or keys not among them")

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)


def _c(name: str, label: str, length: int = 40, *, codelist: str | None = None, origin: Origin = "Derived",
       method: str | None = None) -> Variable:
    return Variable(name, label, "Char", length, codelist=codelist, origin=origin, method=method)


def _n(name: str, label: str, *, integer: bool = False, codelist: str | None = None,
       origin: Origin = "Derived", method: str | None = None) -> Variable:
    return Variable(name, label, "Num", 8, integer=integer, codelist=codelist, origin=origin, method=method)


def _d(name: str, label: str, *, origin: Origin = "Derived", method: str | None = None) -> Variable:
    return Variable(name, label, "Num", 8, is_date=True, origin=origin, method=method)


_YN = "NY"
_STUDYID = _c("STUDYID", "Study Identifier", 40, origin="Assigned", method="The protocol id.")
_USUBJID = _c("USUBJID", "Unique Subject Identifier", 60, method="STUDYID, '-', SUBJID.")

#: The one registry of codelists (ADaM and SDTM variables name their entries).
CODELISTS: dict[str, Codelist] = {c.id: c for c in (
    Codelist("NY", "No Yes Response", (("N", "No"), ("Y", "Yes")), "C66742"),
    Codelist("SEX", "Sex", (("F", "Female"), ("M", "Male"), ("U", "Unknown"),
                            ("UNDIFFERENTIATED", "Undifferentiated")), "C66731"),
    Codelist("AGEU", "Age Unit", (("YEARS", "Years"),), "C66781"),
    Codelist("NRIND", "Reference Range Indicator", (("HIGH", "High"), ("LOW", "Low"), ("NORMAL", "Normal")),
             "C78736"),
    Codelist("RSRESP", "Oncology Response Assessment Result",
             (("CR", "Complete Response"), ("PR", "Partial Response"), ("SD", "Stable Disease"),
              ("NON-CR/NON-PD", "Non-CR/Non-PD"), ("PD", "Progressive Disease"), ("NE", "Not Evaluable")),
             "C96785"),
    Codelist("ADRSAVC", "ADRS Analysis Value (response or Y/N)",
             (("CR", "Complete Response"), ("PR", "Partial Response"), ("SD", "Stable Disease"),
              ("NON-CR/NON-PD", "Non-CR/Non-PD"), ("PD", "Progressive Disease"), ("NE", "Not Evaluable"),
              ("Y", "Yes"), ("N", "No"))),
    Codelist("ROUTE", "Route of Administration Response", (("INTRAVENOUS", "Intravenous"),), "C66729"),
    Codelist("ACN", "Action Taken with Study Treatment",
             tuple((v, v.title()) for v in ("DOSE INCREASED", "DOSE NOT CHANGED", "DOSE RATE REDUCED", "DOSE REDUCED",
                                             "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE", "UNKNOWN")),
             "C66767"),
    Codelist("NCOMPLT", "Completion/Reason for Non-Completion",
             (("ADVERSE EVENT", "Adverse Event"), ("COMPLETED", "Completed"), ("DEATH", "Death"),
              ("LOST TO FOLLOW-UP", "Lost to Follow-Up"), ("OTHER", "Other"),
              ("PHYSICIAN DECISION", "Physician Decision"), ("PROGRESSIVE DISEASE", "Progressive Disease"),
              ("WITHDRAWAL BY SUBJECT", "Withdrawal by Subject")), "C66727"),
    Codelist("AETOXGR", "CTCAE Grade (AE)", tuple((str(g), f"Grade {g}") for g in range(1, 6))),
    Codelist("EOSSTT", "Subject Trial Status", (("COMPLETED", "Completed"), ("DISCONTINUED", "Discontinued"),
                                                ("ONGOING", "Ongoing"))),
    Codelist("CNSR", "Censoring Indicator", (("0", "Event"), ("1", "Censored")), data_type="integer"),
    Codelist("TOXGR", "CTCAE Toxicity Grade", tuple((str(g), f"Grade {g}") for g in range(6)), data_type="integer"),
    Codelist("TOXGRDIR", "CTCAE Grade in One Direction", tuple((str(g), f"Grade {g}") for g in range(6))),
    Codelist("TOXGRSGN", "CTCAE Grade, Negative for Low Direction",
             tuple((str(g), f"Grade {abs(g)} ({'low' if g < 0 else 'high' if g > 0 else 'normal'})")
                   for g in range(-5, 6))),
    Codelist("AEREL", "Causality (CTCAE attribution)",
             (("UNRELATED", "Unrelated"), ("UNLIKELY", "Unlikely"), ("POSSIBLE", "Possible"),
              ("PROBABLE", "Probable"), ("DEFINITE", "Definite"))),
)}

#: admiralonco's numeric coding of an overall response (``aval_resp``): CR 1 … NE 6.
RESPONSE_AVALN: dict[str, int] = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6}


ADSL = DatasetSpec("ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET",
                   "One record per subject", ("STUDYID", "USUBJID"), (
    _STUDYID, _USUBJID,
    _c("SUBJID", "Subject Identifier for the Study", 40, origin="Predecessor", method="The patient id."),
    _c("SITEID", "Study Site Identifier", 20, method="001, 002… in sorted order of the site names."),
    _c("SITE", "Study Site Name", 200, origin="Predecessor"),
    _n("AGE", "Age", integer=True, method="Completed years on the consent date (else enrolment date)."),
    _c("AGEU", "Age Units", 5, codelist="AGEU", origin="Assigned"),
    _c("SEX", "Sex", 16, codelist="SEX", method="male M, female F, unknown or other U."),
    _c("ARMCD", "Planned Arm Code", 20, method="The allocated arm's id, upper case; NOTASSGN if none."),
    _c("ARM", "Description of Planned Arm", 200, method="The allocated arm's title in the protocol."),
    _c("ACTARMCD", "Actual Arm Code", 20, method="ARMCD if any administration, else NOTTRT."),
    _c("ACTARM", "Description of Actual Arm", 200, method="ARM if any administration, else Not Treated."),
    _c("TRT01P", "Planned Treatment for Period 01", 200, method="ARM."),
    _c("TRT01A", "Actual Treatment for Period 01", 200, method="ACTARM."),
    _d("RANDDT", "Date of Randomization", origin="Predecessor"),
    _d("TRTSDT", "Date of First Exposure to Treatment", method="Date of the protocol's first administration."),
    _d("TRTEDT", "Date of Last Exposure to Treatment", method="Date of the protocol's last administration."),
    _c("EOSSTT", "End of Study Status", 12, codelist="EOSSTT",
       method="ONGOING without an off-study date; COMPLETED if its reason is 'completed'; else DISCONTINUED."),
    _d("EOSDT", "End of Study Date", origin="Predecessor"),
    _c("DCSREAS", "Reason for Discontinuation from Study", 200, origin="Predecessor"),
    _c("DTHFL", "Subject Death Flag", 1, codelist=_YN, method="Y if a death event is recorded."),
    _d("DTHDT", "Date of Death", origin="Predecessor"),
    _d("LSTALVDT", "Last Date Known Alive",
       method="Latest date in the record (visits, labs, doses, AEs, events) up to the cut-off and death."),
    _c("ITTFL", "Intent-To-Treat Population Flag", 1, codelist=_YN, method="Y if enrolled with an arm."),
    _c("SAFFL", "Safety Population Flag", 1, codelist=_YN, method="Y if at least one administration."),
    _n("ECOGBL", "Baseline ECOG Performance Status", integer=True,
       method="Last ECOG on or before TRTSDT."),
    _n("NCYCLES", "Number of Cycles Administered", integer=True, method="Count of the protocol's administrations."),
    _n("CUMACT", "Cumulative Administered Activity (GBq)", method="Sum of net administered activities."),
))

ADTTE = DatasetSpec("ADTTE", "Time-to-Event Analysis Dataset", "BASIC DATA STRUCTURE",
                    "One record per subject per parameter", ("STUDYID", "USUBJID", "PARAMCD"), (
    _STUDYID, _USUBJID,
    _c("ARM", "Description of Planned Arm", 200, origin="Predecessor"),
    _c("PARAMCD", "Parameter Code", 8, method="See the endpoint code table (PARAMCD_BY_ENDPOINT)."),
    _c("PARAM", "Parameter", 200, method="The endpoint's name in the protocol."),
    _n("PARAMN", "Parameter (N)", integer=True, method="Order of the endpoint in the protocol."),
    _d("STARTDT", "Time-to-Event Origin Date for Subject", method="The endpoint's origin (protocol)."),
    _d("ADT", "Analysis Date", method="Date of the event, else of the censoring."),
    _n("AVAL", "Analysis Value", integer=True, method="ADT − STARTDT in days."),
    _c("AVALU", "Analysis Value Unit", 4, origin="Assigned"),
    _n("CNSR", "Censor", integer=True, codelist="CNSR", method="0 for an event, 1 for censoring."),
    _c("EVNTDESC", "Event or Censoring Description", 200, method="The event, or 'censored at' the censoring."),
    _c("CNSDTDSC", "Censor Date Description", 200, method="The censoring reason, on censored rows only."),
    _c("SRCDOM", "Source Data", 8, method="Dataset holding the event or censoring date."),
    _c("SRCVAR", "Source Variable", 8, method="Variable of SRCDOM holding the date (SRCVAR_BY_EVENT)."),
))

ADLB = DatasetSpec("ADLB", "Laboratory Analysis Dataset", "BASIC DATA STRUCTURE",
                   "One record per subject per parameter per analysis date",
                   ("STUDYID", "USUBJID", "PARAMCD", "ADT"), (
    _STUDYID, _USUBJID,
    _c("PARAMCD", "Parameter Code", 8, method="CDISC LBTESTCD of the analyte (LB_PARAMS)."),
    _c("PARAM", "Parameter", 200, method="Analyte name and canonical unit (LB_PARAMS)."),
    _n("PARAMN", "Parameter (N)", integer=True, method="Order of the analyte in LB_PARAMS."),
    _c("LBLOINC", "LOINC Code", 10, origin="Assigned"),
    _d("ADT", "Analysis Date", origin="Predecessor"),
    _c("AVISIT", "Analysis Visit", 40,
       method="BASELINE; SCREENING before it; CYCLE n between doses n and n+1; FOLLOW-UP after the last."),
    _n("AVISITN", "Analysis Visit (N)", integer=True, method="-1 screening, 0 baseline, n cycle n, 99 follow-up."),
    _n("AVAL", "Analysis Value", method="Value in the canonical unit, 10 significant digits."),
    _c("AVALU", "Analysis Value Unit", 20, origin="Assigned"),
    _n("ANRLO", "Analysis Normal Range Lower Limit", method="Reported LLN in the canonical unit."),
    _n("ANRHI", "Analysis Normal Range Upper Limit", method="Reported ULN in the canonical unit."),
    _c("ABLFL", "Baseline Record Flag", 1, codelist=_YN,
       method="Y on the last value on or before the first administration."),
    _n("BASE", "Baseline Value", method="AVAL of the ABLFL = Y record."),
    _n("CHG", "Change from Baseline", method="AVAL − BASE in decimal arithmetic (no binary noise)."),
    _c("ANRIND", "Analysis Reference Range Indicator", 6, codelist="NRIND", method="LOW < ANRLO, HIGH > ANRHI."),
    _c("BNRIND", "Baseline Reference Range Indicator", 6, codelist="NRIND", method="ANRIND of the baseline."),
    _c("ATOXDSCL", "Analysis Toxicity Description Low", 100,
       method="The CTCAE v5.0 term graded when it is a low-direction one (Anemia, … count decreased)."),
    _c("ATOXDSCH", "Analysis Toxicity Description High", 100,
       method="The CTCAE v5.0 term graded when it is a high-direction one (Creatinine increased)."),
    _c("ATOXGRL", "Analysis Toxicity Grade Low", 1, codelist="TOXGRDIR",
       method="CTCAE v5.0 grade of the ATOXDSCL term (0 = gradable, no criterion met)."),
    _c("ATOXGRH", "Analysis Toxicity Grade High", 1, codelist="TOXGRDIR",
       method="CTCAE v5.0 grade of the ATOXDSCH term (0 = gradable, no criterion met)."),
    _c("ATOXGR", "Analysis Toxicity Grade", 2, codelist="TOXGRSGN",
       method="admiral derive_var_atoxgr: -ATOXGRL if > 0, ATOXGRH if > 0, else 0; blank if not gradable."),
    _c("BTOXGRL", "Baseline Toxicity Grade Low", 1, codelist="TOXGRDIR", method="ATOXGRL of the baseline."),
    _c("BTOXGRH", "Baseline Toxicity Grade High", 1, codelist="TOXGRDIR", method="ATOXGRH of the baseline."),
    _c("BTOXGR", "Baseline Toxicity Grade", 2, codelist="TOXGRSGN", method="ATOXGR of the baseline."),
))

ADRS = DatasetSpec("ADRS", "Response Analysis Dataset", "BASIC DATA STRUCTURE",
                   "One record per subject per parameter per analysis date",
                   ("STUDYID", "USUBJID", "PARAMCD", "ADT"), (
    _STUDYID, _USUBJID,
    _c("PARAMCD", "Parameter Code", 8, method="OVR, BOR, CBOR (RECIST 1.1); PSABOR, PSA50C, PSA50U (PCWG3)."),
    _c("PARAM", "Parameter", 200, method="The name of the PARAMCD (ADRS_PARAMS)."),
    _n("PARAMN", "Parameter (N)", integer=True, method="1 OVR … 6 PSA50U."),
    _c("AVISIT", "Analysis Visit", 40, method="ASSESSMENT n in date order (OVR only)."),
    _d("ADT", "Analysis Date", method="Date of the assessment or of the best response."),
    _c("AVALC", "Analysis Value (C)", 20, codelist="ADRSAVC",
       method="RSRESP (C96785) responses; Y/N/NE for PSA50C and PSA50U."),
    _n("AVALN", "Analysis Value (N)", integer=True, method="admiralonco aval_resp: CR 1, PR 2 … NE 6."),
    _c("PARCAT1", "Parameter Category 1", 20, method="The criteria: RECIST 1.1 or PCWG3."),
))

ADAE = DatasetSpec("ADAE", "Adverse Events Analysis Dataset", "OCCURRENCE DATA STRUCTURE",
                   "One record per adverse event", ("STUDYID", "USUBJID", "AESEQ"), (
    _STUDYID, _USUBJID,
    _n("AESEQ", "Sequence Number", integer=True, method="Order of onset within the subject."),
    _c("AESPID", "Sponsor-Defined Identifier", 40, origin="Predecessor"),
    _c("AETERM", "Reported Term for the Adverse Event", 200, origin="Predecessor"),
    _c("AEDECOD", "Dictionary-Derived Term", 200, method="The CTCAE v5.0 term (no MedDRA coding)."),
    _c("AEBODSYS", "Body System or Organ Class", 200, method="Blank: the record holds no MedDRA coding."),
    _d("ASTDT", "Analysis Start Date", origin="Predecessor"),
    _d("AENDT", "Analysis End Date", origin="Predecessor"),
    _n("ASTDY", "Analysis Start Relative Day", integer=True, method="ASTDT − TRTSDT (+1 on or after)."),
    _c("AETOXGR", "Standard Toxicity Grade", 1, codelist="AETOXGR", origin="Predecessor"),
    _c("ATOXGR", "Analysis Toxicity Grade", 1, codelist="AETOXGR", method="AETOXGR."),
    _n("ATOXGRN", "Analysis Toxicity Grade (N)", integer=True, codelist="TOXGR", method="ATOXGR as a number."),
    _c("AESER", "Serious Event", 1, codelist=_YN, origin="Predecessor"),
    _c("AEREL", "Causality", 10, codelist="AEREL", origin="Predecessor"),
    _c("ARELFL", "Related Flag", 1, codelist=_YN, method="Y for possible, probable or definite."),
    _c("TRTEMFL", "Treatment Emergent Analysis Flag", 1, codelist=_YN,
       method="Y if TRTSDT ≤ ASTDT ≤ TRTEDT + 30 days (TRTEM_END_WINDOW_DAYS)."),
    _c("AESI", "Adverse Event of Special Interest", 60, method="The AESI category of the protocol's AESI endpoints."),
))

SPECS: dict[str, DatasetSpec] = {s.name: s for s in (ADSL, ADTTE, ADLB, ADRS, ADAE)}

#: ADAE TRTEMFL: an AE is treatment-emergent from the first administration to this many days
#: after the last (days).  Project default: the protocols do not define the window; 30 days is
#: the ``end_window`` of pharmaverse admiral's ADAE template (``ad_adae.R``,
#: ``derive_var_trtemfl(trt_start_date = TRTSDT, trt_end_date = TRTEDT, end_window = 30)``).
TRTEM_END_WINDOW_DAYS = 30


@dataclass(frozen=True)
class LabParam:
    """ADLB parameter of one analyte: LBTESTCD code, name, display unit, and whether the code is
    a CDISC CT submission value we know (``CT``) or still to check against the CT package."""

    paramcd: str
    name: str
    unit_label: str
    status: Literal["CT", "to verify"] = "CT"


#: PARAMCD from CDISC CT "Laboratory Test Code" (C65047); ADLB PARAM is the name with the canonical
#: unit of :data:`lutetia.records.ANALYTES`.  Checked against NCI EVS "SDTM Terminology.txt"
#: (releases 2023-12-15 and 2025-03-25): GFRBSCRT C98735 "GFR from Creatinine Adjusted for BSA"
#: (an estimate from creatinine at 1.73 m²; GFRBSA C98734 is a *measured* GFR, and EGFR is the
#: epidermal growth factor receptor), CREATCLR C25747 "Creatinine Clearance" (as LOINC 2164-2, a
#: measured clearance), TESTOS C74793 "Testosterone" (total).
LB_PARAMS: dict[Analyte, LabParam] = {
    Analyte.haemoglobin: LabParam("HGB", "Hemoglobin", "g/L"),
    Analyte.platelets: LabParam("PLAT", "Platelets", "10^9/L"),
    Analyte.neutrophils: LabParam("NEUT", "Neutrophils", "10^9/L"),
    Analyte.wbc: LabParam("WBC", "Leukocytes", "10^9/L"),
    Analyte.lymphocytes: LabParam("LYM", "Lymphocytes", "10^9/L"),
    Analyte.creatinine: LabParam("CREAT", "Creatinine", "umol/L"),
    Analyte.egfr: LabParam("GFRBSCRT", "GFR from Creatinine Adjusted for BSA", "mL/min/1.73m2"),
    Analyte.crcl: LabParam("CREATCLR", "Creatinine Clearance", "mL/min"),
    Analyte.bilirubin: LabParam("BILI", "Bilirubin", "umol/L"),
    Analyte.alt: LabParam("ALT", "Alanine Aminotransferase", "U/L"),
    Analyte.ast: LabParam("AST", "Aspartate Aminotransferase", "U/L"),
    Analyte.alp: LabParam("ALP", "Alkaline Phosphatase", "U/L"),
    Analyte.ldh: LabParam("LDH", "Lactate Dehydrogenase", "U/L"),
    Analyte.albumin: LabParam("ALB", "Albumin", "g/L"),
    Analyte.potassium: LabParam("K", "Potassium", "mmol/L"),
    Analyte.sodium: LabParam("SODIUM", "Sodium", "mmol/L"),
    Analyte.calcium: LabParam("CA", "Calcium", "mmol/L"),
    Analyte.magnesium: LabParam("MG", "Magnesium", "mmol/L"),
    Analyte.psa: LabParam("PSA", "Prostate Specific Antigen", "ng/mL"),
    Analyte.testosterone: LabParam("TESTOS", "Testosterone", "nmol/L"),
}

#: ADTTE PARAMCD of the shipped protocols' endpoints, keyed by the endpoint id's last part.
PARAMCD_BY_ENDPOINT: dict[str, str] = {
    "os": "OS", "pfs": "PFS", "rpfs": "RPFS", "psa-pfs": "PSAPFS", "biochemical-pfs": "BCPFS",
    "investigator-pfs": "INVPFS", "sse": "SSE", "survival-2-years": "OS24M", "os-12-months": "OS12M",
}

#: ADTTE SRCDOM of each event or censoring name of :mod:`lutetia.analysis.endpoints`.
SRCDOM_BY_EVENT: dict[str, str] = {
    "death": "ADSL", "last_contact": "ADSL", "last_visit": "ADSL", "data_cutoff": "ADSL",
    "psa_progression": "ADLB", "radiological_progression": "ADRS", "clinical_progression": "CE",
    "pathological_fracture": "CE", "spinal_cord_compression": "CE", "orthopaedic_surgery": "CE",
    "bone_pain_radiotherapy": "CE", "next_anticancer_treatment": "CM", "end_of_treatment": "ADSL",
    "six_weeks_after_last_administration": "ADSL",
}


#: ADTTE SRCVAR: the variable of SRCDOM that holds the date (admiral ``ad_adtte.R`` sets SRCDOM
#: and SRCVAR together); blank where the date is not a variable of a dataset (the cut-off).
SRCVAR_BY_EVENT: dict[str, str] = {
    "death": "DTHDT", "last_contact": "LSTALVDT", "last_visit": "LSTALVDT", "psa_progression": "ADT",
    "radiological_progression": "ADT", "clinical_progression": "CESTDTC", "pathological_fracture": "CESTDTC",
    "spinal_cord_compression": "CESTDTC", "orthopaedic_surgery": "CESTDTC", "bone_pain_radiotherapy": "CESTDTC",
    "next_anticancer_treatment": "CMSTDTC", "end_of_treatment": "TRTEDT", "six_weeks_after_last_administration": "TRTEDT",
}


def tte_paramcd(endpoint_id: str) -> str:
    """ADTTE PARAMCD of an endpoint: the table's code, else its letters and digits if ≤ 8."""
    short = endpoint_id.rsplit(".", 1)[-1]
    if short in PARAMCD_BY_ENDPOINT:
        return PARAMCD_BY_ENDPOINT[short]
    code = "".join(ch for ch in short.upper() if ch.isalnum())
    if not code or len(code) > 8 or not code[0].isalpha():
        raise ProtocolError(f"endpoint {endpoint_id!r}: no ADTTE PARAMCD (add it to PARAMCD_BY_ENDPOINT; "
                         "accepted: 1–8 letters or digits starting with a letter)")
    return code
