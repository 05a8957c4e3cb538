"""Variable metadata of Lutetia's SDTM tabulations — names, labels, lengths, codelists in one place.

Domains DM, DS, EX, AE, LB, TU, TR, RS follow SDTMIG v3.4 [1]_ (variable names and labels as
in its domain tables; ``--DTC`` dates are ISO 8601 text).  Dosimetry goes into the
sponsor-defined Findings domain **XD** ("Dosimetry Measurements"; SDTMIG §2.6 reserves domain
codes beginning with X, Y or Z for sponsors): one row per region, time point and test
(ACTIVITY in MBq, MASS in g, VOLUME in mL), tied to its administration by ``XDTPTREF`` and the
actual elapsed time since it in ``XDELTM`` (ISO 8601 duration).

References
----------
.. [1] CDISC. Study Data Tabulation Model Implementation Guide: Human Clinical Trials v3.4
       (2021). https://www.cdisc.org/standards/foundational/sdtmig
"""

from __future__ import annotations

from lutetia.analysis.adam_metadata import DatasetSpec, Variable

SDTMIG_VERSION = "3.4"


def _c(name: str, label: str, length: int = 40, codelist: str | None = None) -> Variable:
    return Variable(name, label, "Char", length, codelist=codelist, origin="Collected")


def _n(name: str, label: str, *, integer: bool = False) -> Variable:
    return Variable(name, label, "Num", 8, integer=integer, origin="Collected")


def _common(domain: str) -> tuple[Variable, ...]:
    return (_c("STUDYID", "Study Identifier"), _c("DOMAIN", "Domain Abbreviation", 2),
            _c("USUBJID", "Unique Subject Identifier", 60), _n(f"{domain}SEQ", "Sequence Number", integer=True))



DM = DatasetSpec("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", ("STUDYID", "USUBJID"), (
    _c("STUDYID", "Study Identifier"), _c("DOMAIN", "Domain Abbreviation", 2),
    _c("USUBJID", "Unique Subject Identifier", 60), _c("SUBJID", "Subject Identifier for the Study"),
    _c("RFSTDTC", "Subject Reference Start Date/Time", 19), _c("RFENDTC", "Subject Reference End Date/Time", 19),
    _c("RFXSTDTC", "Date/Time of First Study Treatment", 19),
    _c("RFXENDTC", "Date/Time of Last Study Treatment", 19),
    _c("RFICDTC", "Date/Time of Informed Consent", 19), _c("DTHDTC", "Date/Time of Death", 19),
    _c("DTHFL", "Subject Death Flag", 1, "NY"), _c("SITEID", "Study Site Identifier", 20),
    _c("BRTHDTC", "Date/Time of Birth", 10), _n("AGE", "Age", integer=True), _c("AGEU", "Age Units", 5, "AGEU"),
    _c("SEX", "Sex", 16, "SEX"), _c("ARMCD", "Planned Arm Code", 20), _c("ARM", "Description of Planned Arm", 200),
    _c("ACTARMCD", "Actual Arm Code", 20), _c("ACTARM", "Description of Actual Arm", 200),
))

DS = DatasetSpec("DS", "Disposition", "EVENTS", "One record per disposition status or protocol milestone per subject",
                 ("STUDYID", "USUBJID", "DSSEQ"), (
    *_common("DS"), _c("DSTERM", "Reported Term for the Disposition Event", 200),
    _c("DSDECOD", "Standardized Disposition Term", 40), _c("DSCAT", "Category for Disposition Event", 40),
    _c("DSSTDTC", "Start Date/Time of Disposition Event", 19),
))

EX = DatasetSpec("EX", "Exposure", "INTERVENTIONS", "One record per administration per subject",
                 ("STUDYID", "USUBJID", "EXSEQ"), (
    *_common("EX"), _c("EXTRT", "Name of Treatment", 60), _n("EXDOSE", "Dose"), _c("EXDOSU", "Dose Units", 8),
    _c("EXDOSFRM", "Dose Form", 20), _c("EXROUTE", "Route of Administration", 20, "ROUTE"),
    _c("EXADJ", "Reason for Dose Adjustment", 200),
    _c("VISIT", "Visit Name", 40), _c("EXSTDTC", "Start Date/Time of Treatment", 19),
    _c("EXENDTC", "End Date/Time of Treatment", 19),
))

AE = DatasetSpec("AE", "Adverse Events", "EVENTS", "One record per adverse event per subject",
                 ("STUDYID", "USUBJID", "AESEQ"), (
    *_common("AE"), _c("AESPID", "Sponsor-Defined Identifier"), _c("AETERM", "Reported Term for the Adverse Event", 200),
    _c("AEDECOD", "Dictionary-Derived Term", 200), _c("AETOXGR", "Standard Toxicity Grade", 1, "AETOXGR"),
    _c("AESER", "Serious Event", 1, "NY"), _c("AEREL", "Causality", 10),
    _c("AEACN", "Action Taken with Study Treatment", 40, "ACN"), _c("AEACNOTH", "Other Action Taken", 200),
    _c("AESTDTC", "Start Date/Time of Adverse Event", 10), _c("AEENDTC", "End Date/Time of Adverse Event", 10),
))

LB = DatasetSpec("LB", "Laboratory Test Results", "FINDINGS", "One record per lab test per time point per subject",
                 ("STUDYID", "USUBJID", "LBTESTCD", "LBDTC"), (
    *_common("LB"), _c("LBTESTCD", "Lab Test or Examination Short Name", 8),
    _c("LBTEST", "Lab Test or Examination Name", 40), _c("LBLOINC", "LOINC Code", 10),
    _c("LBORRES", "Result or Finding in Original Units", 20), _c("LBORRESU", "Original Units", 20),
    _c("LBORNRLO", "Reference Range Lower Limit in Orig Unit", 20),
    _c("LBORNRHI", "Reference Range Upper Limit in Orig Unit", 20),
    _c("LBSTRESC", "Character Result/Finding in Std Format", 20), _n("LBSTRESN", "Numeric Result/Finding in Standard Units"),
    _c("LBSTRESU", "Standard Units", 20), _n("LBSTNRLO", "Reference Range Lower Limit-Std Units"),
    _n("LBSTNRHI", "Reference Range Upper Limit-Std Units"), _c("LBNRIND", "Reference Range Indicator", 6, "NRIND"),
    _c("LBLOBXFL", "Last Observation Before Exposure Flag", 1, "NY"), _c("LBDTC", "Date/Time of Specimen Collection", 19),
))

TU = DatasetSpec("TU", "Tumor/Lesion Identification", "FINDINGS", "One record per identified lesion per subject",
                 ("STUDYID", "USUBJID", "TULNKID"), (
    *_common("TU"), _c("TULNKID", "Link ID"), _c("TUTESTCD", "Tumor/Lesion ID Short Name", 8),
    _c("TUTEST", "Tumor/Lesion ID Test Name", 40), _c("TUORRES", "Tumor/Lesion ID Result", 20),
    _c("TUSTRESC", "Tumor/Lesion ID Result Std. Format", 20), _c("TULOC", "Location of the Tumor/Lesion", 60),
    _c("TUMETHOD", "Method of Identification", 20), _c("TUDTC", "Date/Time of Tumor/Lesion Identification", 10),
))

TR = DatasetSpec("TR", "Tumor/Lesion Results", "FINDINGS", "One record per lesion measurement per visit",
                 ("STUDYID", "USUBJID", "TRLNKID", "TRTESTCD", "TRDTC"), (
    *_common("TR"), _c("TRLNKID", "Link ID"), _c("TRTESTCD", "Tumor/Lesion Assessment Short Name", 8),
    _c("TRTEST", "Tumor/Lesion Assessment Test Name", 40), _c("TRORRES", "Result or Finding in Original Units", 20),
    _c("TRORRESU", "Original Units", 8), _n("TRSTRESN", "Numeric Result/Finding in Std Units"),
    _c("TRSTRESU", "Standard Units", 8), _c("TRMETHOD", "Method Used to Identify the Tumor/Lesion", 20),
    _c("TRDTC", "Date/Time of Tumor/Lesion Measurement", 10),
))

RS = DatasetSpec("RS", "Disease Response and Clin Classification", "FINDINGS",
                 "One record per response assessment per visit per subject", ("STUDYID", "USUBJID", "RSDTC"), (
    *_common("RS"), _c("RSTESTCD", "Assessment Short Name", 8), _c("RSTEST", "Assessment Name", 40),
    _c("RSCAT", "Category for Assessment", 20), _c("RSORRES", "Result or Finding in Original Units", 20, "RSRESP"),
    _c("RSSTRESC", "Character Result/Finding in Std Format", 20, "RSRESP"), _c("RSDRVFL", "Derived Flag", 1, "NY"),
    _c("RSDTC", "Date/Time of Assessment", 10),
))

XD = DatasetSpec("XD", "Dosimetry Measurements (sponsor-defined)", "FINDINGS",
                 "One record per region per time point per test per subject",
                 ("STUDYID", "USUBJID", "XDTESTCD", "XDLOC", "XDDTC"), (
    *_common("XD"), _c("XDTESTCD", "Dosimetry Test Short Name", 8), _c("XDTEST", "Dosimetry Test Name", 40),
    _c("XDLOC", "Region", 40), _c("XDLNKID", "Link ID (lesion)"), _c("XDORRES", "Result in Original Units", 20),
    _c("XDORRESU", "Original Units", 8), _n("XDSTRESN", "Numeric Result in Standard Units"),
    _c("XDSTRESU", "Standard Units", 8), _c("XDMETHOD", "Method of Measurement", 20),
    _c("VISIT", "Visit Name", 40), _c("XDTPTREF", "Time Point Reference", 40),
    _c("XDELTM", "Elapsed Time from Reference Point", 20), _c("XDDTC", "Date/Time of Measurement", 19),
))

#: EX qualifiers SDTMIG 3.4 has no variable for (QNAM, QLABEL): they go to SUPPEX (SDTMIG §8.4),
#: tied to their EX row by EXSEQ.
EX_SUPPLEMENTAL: tuple[tuple[str, str], ...] = (("EXCYCLE", "Cycle Number"), ("EXCOURSE", "Course Number"))

SUPPEX = DatasetSpec("SUPPEX", "Supplemental Qualifiers for EX", "RELATIONSHIP",
                     "One record per IDVAR, IDVARVAL, and QNAM value per subject",
                     ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"), (
    _c("STUDYID", "Study Identifier"), _c("RDOMAIN", "Related Domain Abbreviation", 2),
    _c("USUBJID", "Unique Subject Identifier", 60), _c("IDVAR", "Identifying Variable", 8),
    _c("IDVARVAL", "Identifying Variable Value", 40), _c("QNAM", "Qualifier Variable Name", 8),
    _c("QLABEL", "Qualifier Variable Label", 40), _c("QVAL", "Data Value", 200), _c("QORIG", "Origin", 20),
    _c("QEVAL", "Evaluator", 40),
))

SDTM_SPECS: dict[str, DatasetSpec] = {s.name: s for s in (DM, DS, EX, SUPPEX, AE, LB, TU, TR, RS, XD)}

#: EXTRT: the INN of 177Lu-PSMA-617 (WHO INN list 125, 2021).
EXTRT = "LUTETIUM (177LU) VIPIVOTIDE TETRAXETAN"

#: DSDECOD (C66727) of an off-study reason written as these words (lower case); else OTHER.
DSDECOD_BY_REASON: dict[str, str] = {
    "completed": "COMPLETED", "death": "DEATH", "died": "DEATH", "adverse event": "ADVERSE EVENT",
    "toxicity": "ADVERSE EVENT", "progression": "PROGRESSIVE DISEASE", "progressive disease": "PROGRESSIVE DISEASE",
    "withdrawal by subject": "WITHDRAWAL BY SUBJECT", "consent withdrawn": "WITHDRAWAL BY SUBJECT",
    "lost to follow-up": "LOST TO FOLLOW-UP", "physician decision": "PHYSICIAN DECISION",
}

#: AEACN (CDISC CT C66767 "Action Taken with Study Treatment") of an AE's recorded action, written
#: as these words (lower case).  Text outside the table goes to AEACNOTH with AEACN blank; no
#: action recorded but "led to discontinuation" is DRUG WITHDRAWN.
AEACN_BY_ACTION: dict[str, str] = {
    "none": "DOSE NOT CHANGED", "no change": "DOSE NOT CHANGED", "dose not changed": "DOSE NOT CHANGED",
    "dose reduced": "DOSE REDUCED", "reduced": "DOSE REDUCED", "reduction": "DOSE REDUCED",
    "dose increased": "DOSE INCREASED", "drug interrupted": "DRUG INTERRUPTED", "interrupted": "DRUG INTERRUPTED",
    "withheld": "DRUG INTERRUPTED", "delayed": "DRUG INTERRUPTED", "cycle delayed": "DRUG INTERRUPTED",
    "drug withdrawn": "DRUG WITHDRAWN", "withdrawn": "DRUG WITHDRAWN", "discontinued": "DRUG WITHDRAWN",
    "stopped": "DRUG WITHDRAWN", "not applicable": "NOT APPLICABLE", "unknown": "UNKNOWN",
}
