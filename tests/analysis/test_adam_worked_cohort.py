"""ADaM datasets of a two-patient FLEX-MRT cohort, every expected value worked by hand.

Cohort (hand-built):
- W-01, born 1950-03-15, CHU Lyon, consent 2025-01-02, enrolled 2025-01-03, randomised
  2025-01-04 to *control*; 7.4 GBq on 2025-01-06 (cycle 1) and 2025-02-17 (cycle 2, 0.047 GBq
  residual); off study
  2025-06-30 ("death"), death 2025-06-30.  Haemoglobin 13.2 g/dL (LLN 13.0, ULN 17.0) on
  2024-12-30, 11.9 g/dL on 2025-02-10.  PSA 12.0 (2024-12-01), 9.3 (2024-12-30), 8.0
  (2025-03-01), 8.0 (2025-05-01) ng/mL.  AEs: fatigue G2 from 2025-01-05 (unrelated), dry mouth
  G1 from 2025-01-20 (possible), nausea G1 from 2025-03-19 and dysgeusia G1 from 2025-03-20
  (no attribution recorded).
- W-02, born 1948 (year only), Kantonsspital Baden, enrolled 2025-02-01 to *flexible*, never
  treated; creatinine 90 µmol/L on 2025-01-28; last contact 2025-04-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lutetia.analysis.datasets import Dataset
from lutetia.analysis.trial import analyse_trial
from lutetia.protocols import load_protocol
from lutetia.records import (
    Administration,
    AdverseEvent,
    ClinicalEvent,
    Enrolment,
    LabResult,
    Patient,
    PatientRecord,
    build_record,
)

PID = "flex-mrt"


def _lab(pid: str, analyte: str, day: date, value: float, unit: str, lln: float | None = None,
         uln: float | None = None) -> LabResult:
    return LabResult(patient_id=pid, analyte=analyte, sampled_on=day, value=value, unit=unit, lln=lln, uln=uln)


def _w01() -> PatientRecord:
    pid = "W-01"
    admins = [Administration(patient_id=pid, cycle=c, protocol_id=PID, arm="control", activity_gbq=7.4,
                             residual_gbq=r, administered_at=datetime(d.year, d.month, d.day, 9, tzinfo=UTC))
              for c, d, r in ((1, date(2025, 1, 6), 0.0), (2, date(2025, 2, 17), 0.047))]
    labs = [_lab(pid, "haemoglobin", date(2024, 12, 30), 13.2, "g/dL", 13.0, 17.0),
            _lab(pid, "haemoglobin", date(2025, 2, 10), 11.9, "g/dL", 13.0, 17.0)]
    labs += [_lab(pid, "psa", d, v, "ng/mL") for d, v in ((date(2024, 12, 1), 12.0), (date(2024, 12, 30), 9.3),
                                                         (date(2025, 3, 1), 8.0), (date(2025, 5, 1), 8.0))]
    aes = [AdverseEvent(patient_id=pid, ae_id="AE-2", term="Dry mouth", grade=1, onset_date=date(2025, 1, 20),
                        attribution="possible"),
           AdverseEvent(patient_id=pid, ae_id="AE-1", term="Fatigue", grade=2, onset_date=date(2025, 1, 5),
                        resolution_date=date(2025, 1, 30), attribution="unrelated"),
           AdverseEvent(patient_id=pid, ae_id="AE-3", term="Nausea", grade=1, onset_date=date(2025, 3, 19)),
           AdverseEvent(patient_id=pid, ae_id="AE-4", term="Dysgeusia", grade=1, onset_date=date(2025, 3, 20))]
    return build_record(Patient(patient_id=pid, sex="male", birth_date=date(1950, 3, 15), site="CHU Lyon"), {
        "administrations": admins, "labs": labs, "adverse_events": aes,
        "events": [ClinicalEvent(patient_id=pid, event_id="D", kind="death", event_date=date(2025, 6, 30))],
        "enrolments": [Enrolment(patient_id=pid, protocol_id=PID, arm="control", consent_date=date(2025, 1, 2),
                                 enrolled_on=date(2025, 1, 3), randomised_on=date(2025, 1, 4),
                                 off_study_on=date(2025, 6, 30), off_study_reason="death")]})


def _w02() -> PatientRecord:
    pid = "W-02"
    return build_record(Patient(patient_id=pid, sex="male", birth_year=1948, site="Kantonsspital Baden"), {
        "labs": [_lab(pid, "creatinine", date(2025, 1, 28), 90.0, "umol/L")],
        "events": [ClinicalEvent(patient_id=pid, event_id="LC", kind="last_contact", event_date=date(2025, 4, 1))],
        "enrolments": [Enrolment(patient_id=pid, protocol_id=PID, arm="flexible", enrolled_on=date(2025, 2, 1))]})


@pytest.fixture(scope="module")
def adam() -> dict[str, Dataset]:
    analysis = analyse_trial(load_protocol(PID), [_w01(), _w02()])
    return {ds.name: ds for ds in analysis.datasets}


def test_adsl_by_hand(adam: dict[str, Dataset]) -> None:
    rows = {r["SUBJID"]: r for r in adam["ADSL"].rows}
    w1, w2 = rows["W-01"], rows["W-02"]
    assert w1["USUBJID"] == "flex-mrt-W-01" and w1["STUDYID"] == "flex-mrt"
    # 1950-03-15 → 2025-01-02: 74 completed years; W-02 born 1948 (taken as 1 July) on 2025-02-01: 76.
    assert (w1["AGE"], w1["AGEU"], w1["SEX"]) == (74, "YEARS", "M")
    assert w2["AGE"] == 76
    assert (w1["SITEID"], w2["SITEID"]) == ("001", "002")  # CHU Lyon < Kantonsspital Baden
    assert (w1["ARMCD"], w1["ACTARMCD"], w2["ARMCD"], w2["ACTARMCD"]) == ("CONTROL", "CONTROL", "FLEXIBLE", "NOTTRT")
    assert w1["TRT01P"] == w1["ARM"] == w1["TRT01A"] and w2["TRT01A"] == w2["ACTARM"] == "Not Treated"
    assert (w1["RANDDT"], w1["TRTSDT"], w1["TRTEDT"]) == (date(2025, 1, 4), date(2025, 1, 6), date(2025, 2, 17))
    assert (w2["RANDDT"], w2["TRTSDT"]) == (None, None)
    assert (w1["EOSSTT"], w1["EOSDT"], w1["DCSREAS"], w2["EOSSTT"]) == (
        "DISCONTINUED", date(2025, 6, 30), "death", "ONGOING")
    assert (w1["DTHFL"], w1["DTHDT"], w2["DTHFL"], w2["DTHDT"]) == ("Y", date(2025, 6, 30), "N", None)
    # last date known alive: W-01's last PSA (2025-05-01; the death is not a day known alive),
    # W-02's last contact.
    assert (w1["LSTALVDT"], w2["LSTALVDT"]) == (date(2025, 5, 1), date(2025, 4, 1))
    assert (w1["ITTFL"], w1["SAFFL"], w2["ITTFL"], w2["SAFFL"]) == ("Y", "Y", "Y", "N")
    # 7.4 + (7.4 − 0.047) = 14.753 GBq (7.4 − 0.047 alone is 7.353000000000001 in binary floating point)
    assert w1["NCYCLES"] == 2 and w1["CUMACT"] == 14.753


def test_adtte_by_hand(adam: dict[str, Dataset]) -> None:
    rows = {r["PARAMCD"]: r for r in adam["ADTTE"].rows}
    assert set(rows) == {"OS24M", "OS", "PFS"}  # W-02 was never treated: no origin, no row
    # 2025-01-06 → 2025-06-30: 25 + 28 + 31 + 30 + 31 + 30 = 175 days, death = event.
    for code, paramn, param in (("OS24M", 1, "Two-year survival"), ("OS", 2, "Overall survival"),
                                ("PFS", 3, "Progression-free survival")):
        r = rows[code]
        assert (r["PARAM"], r["PARAMN"], r["AVAL"], r["AVALU"], r["CNSR"]) == (param, paramn, 175, "DAYS", 0)
        assert (r["STARTDT"], r["ADT"], r["EVNTDESC"], r["CNSDTDSC"], r["SRCDOM"], r["SRCVAR"]) == (
            date(2025, 1, 6), date(2025, 6, 30), "death", "", "ADSL", "DTHDT")


def test_adlb_by_hand(adam: dict[str, Dataset]) -> None:
    rows = [r for r in adam["ADLB"].rows if r["USUBJID"] == "flex-mrt-W-01"]
    hgb = [r for r in rows if r["PARAMCD"] == "HGB"]
    assert [r["PARAM"] for r in hgb] == ["Hemoglobin (g/L)"] * 2
    # 13.2 g/dL = 132 g/L (LLN 130, ULN 170), baseline (on or before 2025-01-06); 11.9 g/dL = 119 g/L,
    # after dose 1 and before dose 2: CYCLE 1; CHG = 119 − 132 = −13; LOW; CTCAE anemia grade 1 (< LLN – 100 g/L).
    assert [(r["AVISIT"], r["AVISITN"], r["ABLFL"], r["AVAL"], r["BASE"], r["CHG"]) for r in hgb] == [
        ("BASELINE", 0, "Y", 132.0, 132.0, 0.0), ("CYCLE 1", 1, "", 119.0, 132.0, -13.0)]
    assert [(r["ANRIND"], r["BNRIND"], r["ANRLO"], r["ANRHI"]) for r in hgb] == [
        ("NORMAL", "NORMAL", 130.0, 170.0), ("LOW", "NORMAL", 130.0, 170.0)]
    # Anemia is a low-direction term: ATOXDSCL / ATOXGRL, and admiral's overall ATOXGR is negative
    # for a low grade ("-1"), "0" when gradable and normal (derive_var_atoxgr).
    assert [(r["ATOXDSCL"], r["ATOXDSCH"], r["ATOXGRL"], r["ATOXGRH"], r["ATOXGR"]) for r in hgb] == [
        ("Anemia", "", "0", "", "0"), ("Anemia", "", "1", "", "-1")]
    assert [(r["BTOXGRL"], r["BTOXGRH"], r["BTOXGR"]) for r in hgb] == [("0", "", "0")] * 2
    assert hgb[0]["LBLOINC"] == "718-7"
    psa = [r for r in rows if r["PARAMCD"] == "PSA"]
    # 12.0 before the baseline sample: SCREENING, CHG 12.0 − 9.3 = 2.7; 8.0 on 2025-03-01 (after dose 2 of 2025-02-17):
    # CYCLE 2; 2025-05-01 is after 2025-02-17 + 42 days = 2025-03-31: FOLLOW-UP.  CHG 8.0 − 9.3 = −1.3
    # exactly (binary floating point gives −1.3000000000000007).
    assert [(r["AVISIT"], r["AVISITN"], r["CHG"]) for r in psa] == [
        ("SCREENING", -1, 2.7), ("BASELINE", 0, 0.0), ("CYCLE 2", 2, -1.3), ("FOLLOW-UP", 99, -1.3)]
    assert all(r["ANRIND"] == "" and r["ATOXGR"] == r["ATOXDSCL"] == "" for r in psa)  # no range, not graded
    crea = next(r for r in adam["ADLB"].rows if r["USUBJID"] == "flex-mrt-W-02")
    assert (crea["PARAMCD"], crea["ABLFL"], crea["BASE"], crea["AVISIT"]) == ("CREAT", "", None, "SCREENING")
    # Creatinine increased is a high-direction term; 90 µmol/L without ULN or baseline is not gradable
    assert (crea["ATOXDSCL"], crea["ATOXDSCH"], crea["ATOXGRH"], crea["ATOXGR"]) == (
        "", "Creatinine increased", "", "")
    # AVAL in µmol/L: LOINC's [Moles/volume] creatinine test 14682-9, not the [Mass/volume] 2160-0
    assert (crea["PARAM"], crea["LBLOINC"]) == ("Creatinine (umol/L)", "14682-9")
    assert all(r["AVISIT"] for r in adam["ADLB"].rows)  # issue 15: no blank AVISIT


def test_adrs_psa_by_hand(adam: dict[str, Dataset]) -> None:
    rows = {r["PARAMCD"]: r for r in adam["ADRS"].rows if r["USUBJID"] == "flex-mrt-W-01"}
    # baseline 9.3, best 8.0: −14 %, no 50 % decline (PSA50C N) and neither ≥ 50 % fall nor ≥ 25 % rise: SD.
    assert (rows["PSA50C"]["AVALC"], rows["PSA50C"]["AVALN"], rows["PSA50C"]["PARCAT1"]) == ("N", 0, "PCWG3")
    assert (rows["PSABOR"]["AVALC"], rows["PSABOR"]["AVALN"]) == ("SD", 3)
    assert (rows["PSA50U"]["AVALC"], rows["PSA50U"]["AVALN"], rows["PSA50U"]["PARAMN"]) == ("N", 0, 6)


def test_adae_by_hand(adam: dict[str, Dataset]) -> None:
    rows = adam["ADAE"].rows
    # Onset order: fatigue (2025-01-05), dry mouth (2025-01-20), nausea (2025-03-19), dysgeusia
    # (2025-03-20).  Study day: no day 0, so the day before TRTSDT 2025-01-06 is −1 and 2025-01-20
    # is 14 + 1 = 15.  TRTEMFL: from TRTSDT to TRTEDT 2025-02-17 + 30 days = 2025-03-19 (admiral
    # end_window = 30): before it N, at 2025-03-19 Y, the day after N.
    assert [(r["AESEQ"], r["AETERM"], r["ASTDY"], r["TRTEMFL"]) for r in rows] == [
        (1, "Fatigue", -1, "N"), (2, "Dry mouth", 15, "Y"), (3, "Nausea", 73, "Y"), (4, "Dysgeusia", 74, "N")]
    assert [(r["AETOXGR"], r["ATOXGR"], r["ATOXGRN"], r["AEREL"], r["ARELFL"]) for r in rows[:2]] == [
        ("2", "2", 2, "UNRELATED", "N"), ("1", "1", 1, "POSSIBLE", "Y")]
