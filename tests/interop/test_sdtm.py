"""SDTM tabulations of one hand-built patient (values worked by hand) and of the bundled sample
(every domain written to XPT v5, read back with pyreadstat against the metadata, and described
by a Define-XML 2.1 document with the SDTMIG standard).

Patient S-01 (flex-mrt, control): born 1951-06-20, consent 2025-01-02; 7.4 GBq (0.05 GBq
residual) at 2025-01-06 09:00 +01:00; haemoglobin 13.2 g/dL (13.0–17.0) on 2025-01-03; kidneys
150 MBq in 300 g at 24 h and 2.5 h; lesion T1 (liver, target) 32 mm on CT 2024-12-20 and 25 mm on
2025-03-01; dry mouth G1 (possible) from 2025-01-20; off study 2025-04-01 for "Progression".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyreadstat
import pytest

from lutetia.analysis.datasets import Dataset
from lutetia.analysis.sdtm import dtc, iso_duration_hours, sdtm_datasets
from lutetia.analysis.sdtm_metadata import SDTM_SPECS
from lutetia.protocols import load_protocol
from lutetia.records import (
    Administration,
    AdverseEvent,
    DosimetryMeasurement,
    Enrolment,
    ImagingStudy,
    LabResult,
    Lesion,
    Patient,
    PatientRecord,
    build_record,
)
from lutetia.report.datasets_io import write_adam

CET = timezone(timedelta(hours=1))
PID = "flex-mrt"


def _patient() -> PatientRecord:
    p = "S-01"
    studies = [ImagingStudy(patient_id=p, study_id=s, modality="ct", study_date=d)
               for s, d in (("CT0", date(2024, 12, 20)), ("CT1", date(2025, 3, 1)))]
    lesions = [Lesion(patient_id=p, study_id=s, lesion_id="T1", organ="liver", lesion_type="visceral",
                      longest_diameter_mm=mm, is_target=True) for s, mm in (("CT0", 32.0), ("CT1", 25.0))]
    return build_record(Patient(patient_id=p, sex="male", birth_date=date(1951, 6, 20), site="CHU Lyon"), {
        "enrolments": [Enrolment(patient_id=p, protocol_id=PID, arm="control", consent_date=date(2025, 1, 2),
                                 enrolled_on=date(2025, 1, 2), off_study_on=date(2025, 4, 1),
                                 off_study_reason="Progression")],
        "administrations": [Administration(patient_id=p, cycle=1, protocol_id=PID, activity_gbq=7.4, residual_gbq=0.05,
                                           administered_at=datetime(2025, 1, 6, 9, 0, tzinfo=CET))],
        "labs": [LabResult(patient_id=p, analyte="haemoglobin", sampled_on=date(2025, 1, 3), value=13.2, unit="g/dL",
                           lln=13.0, uln=17.0),
                 LabResult(patient_id=p, analyte="creatinine", sampled_on=date(2025, 1, 3), value=1.0, unit="mg/dL"),
                 LabResult(patient_id=p, analyte="creatinine", sampled_on=date(2025, 2, 3), value=95.0, unit="umol/L")],
        "dosimetry": [DosimetryMeasurement(patient_id=p, cycle=1, region="kidneys", time_after_administration_h=h,
                                           activity_mbq=150.0, mass_g=300.0) for h in (24.0, 2.5)],
        "imaging": studies, "lesions": lesions,
        "adverse_events": [AdverseEvent(patient_id=p, ae_id="AE1", term="Dry mouth", grade=1,
                                        onset_date=date(2025, 1, 20), attribution="possible")]})


@pytest.fixture(scope="module")
def sdtm() -> dict[str, Dataset]:
    return {d.name: d for d in sdtm_datasets(load_protocol(PID), [_patient()])}


def test_dm_ds_ex_by_hand(sdtm: dict[str, Dataset]) -> None:
    dm = sdtm["DM"].rows[0]
    assert (dm["USUBJID"], dm["RFXSTDTC"], dm["RFICDTC"], dm["BRTHDTC"], dm["AGE"], dm["SEX"]) == (
        "flex-mrt-S-01", "2025-01-06T09:00", "2025-01-02", "1951-06-20", 73, "M")  # 2025-01-02: 73 years
    assert (dm["ARMCD"], dm["ACTARMCD"], dm["RFENDTC"], dm["DTHFL"]) == ("CONTROL", "CONTROL", "2025-04-01", "")
    ds = [(r["DSSEQ"], r["DSDECOD"], r["DSCAT"], r["DSSTDTC"]) for r in sdtm["DS"].rows]
    assert ds == [(1, "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", "2025-01-02"),
                  (2, "PROGRESSIVE DISEASE", "DISPOSITION EVENT", "2025-04-01")]
    ex = sdtm["EX"].rows[0]
    # net activity 7.4 − 0.05 = 7.35 GBq; the wall clock of the recorded +01:00 offset
    assert (ex["EXDOSE"], ex["EXDOSU"], ex["EXSTDTC"], ex["EXROUTE"], ex["VISIT"]) == (
        7.35, "GBq", "2025-01-06T09:00", "INTRAVENOUS", "CYCLE 1")
    # cycle and course are not SDTMIG EX variables: SUPPEX rows tied to EXSEQ 1
    assert [(r["RDOMAIN"], r["IDVAR"], r["IDVARVAL"], r["QNAM"], r["QVAL"]) for r in sdtm["SUPPEX"].rows] == [
        ("EX", "EXSEQ", "1", "EXCYCLE", "1"), ("EX", "EXSEQ", "1", "EXCOURSE", "1")]
    assert "EXCYCLE" not in sdtm["EX"].columns


def test_lb_ae_by_hand(sdtm: dict[str, Dataset]) -> None:
    lb = sdtm["LB"].rows[0]
    assert (lb["LBTESTCD"], lb["LBLOINC"], lb["LBORRES"], lb["LBORRESU"], lb["LBORNRLO"]) == (
        "HGB", "718-7", "13.2", "g/dL", "13")
    assert (lb["LBSTRESN"], lb["LBSTRESC"], lb["LBSTRESU"], lb["LBSTNRLO"], lb["LBNRIND"], lb["LBLOBXFL"]) == (
        132.0, "132", "g/L", 130.0, "NORMAL", "Y")
    # LBLOINC names the test as reported: creatinine in mg/dL is LOINC 2160-0 (MCnc), in µmol/L
    # 14682-9 (SCnc); LBSTRESN in µmol/L: 1.0 mg/dL × 88.42 (molar mass 113.12 g/mol) = 88.4 µmol/L.
    crea = [r for r in sdtm["LB"].rows if r["LBTESTCD"] == "CREAT"]
    assert [(r["LBLOINC"], r["LBORRES"], r["LBORRESU"]) for r in crea] == [
        ("2160-0", "1", "mg/dL"), ("14682-9", "95", "umol/L")]
    assert crea[0]["LBSTRESN"] == pytest.approx(88.4, abs=0.05) and crea[1]["LBSTRESN"] == 95.0
    ae = sdtm["AE"].rows[0]
    assert (ae["AEACN"], ae["AEACNOTH"]) == ("", "")  # nothing recorded
    assert (ae["AETOXGR"], ae["AEREL"], ae["AESTDTC"], ae["AEENDTC"]) == ("1", "POSSIBLE", "2025-01-20", "")


def test_tu_tr_rs_by_hand(sdtm: dict[str, Dataset]) -> None:
    assert [(r["TULNKID"], r["TUORRES"], r["TULOC"], r["TUDTC"]) for r in sdtm["TU"].rows] == [
        ("T1", "TARGET", "LIVER", "2024-12-20")]
    assert [(r["TRSEQ"], r["TRTESTCD"], r["TRSTRESN"], r["TRDTC"]) for r in sdtm["TR"].rows] == [
        (1, "LDIAM", 32.0, "2024-12-20"), (2, "LDIAM", 25.0, "2025-03-01")]
    # RECIST 1.1: 25 / 32 = −21.9 % sum of diameters, above −30 %, not +20 %: SD
    assert [(r["RSTESTCD"], r["RSSTRESC"], r["RSDTC"], r["RSDRVFL"]) for r in sdtm["RS"].rows] == [
        ("OVRLRESP", "SD", "2025-03-01", "Y")]


def test_xd_dosimetry_by_hand(sdtm: dict[str, Dataset]) -> None:
    rows = [(r["XDTESTCD"], r["XDSTRESN"], r["XDSTRESU"], r["XDELTM"], r["XDDTC"]) for r in sdtm["XD"].rows]
    # 09:00 + 2.5 h = 11:30; 09:00 + 24 h = next day 09:00
    assert rows == [("ACTIVITY", 150.0, "MBq", "PT2H30M", "2025-01-06T11:30"), ("MASS", 300.0, "g", "PT2H30M",
                    "2025-01-06T11:30"), ("ACTIVITY", 150.0, "MBq", "PT24H", "2025-01-07T09:00"),
                    ("MASS", 300.0, "g", "PT24H", "2025-01-07T09:00")]
    assert {r["XDLOC"] for r in sdtm["XD"].rows} == {"KIDNEYS"}


@pytest.mark.parametrize(("hours", "text"), [(24.0, "PT24H"), (2.5, "PT2H30M"), (0.25, "PT0H15M"), (168.0, "PT168H")])
def test_iso_durations(hours: float, text: str) -> None:
    assert iso_duration_hours(hours) == text


def test_dtc() -> None:
    assert dtc(date(2025, 2, 28)) == "2025-02-28" and dtc(None) == ""
    assert dtc(datetime(2025, 1, 6, 23, 59, tzinfo=CET)) == "2025-01-06T23:59"


def test_sample_sdtm_xpt_and_define(sample_records: list[PatientRecord], tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    datasets = sdtm_datasets(load_protocol("prodigy-2"), sample_records)
    assert {d.name for d in datasets} == set(SDTM_SPECS) and all(d.rows for d in datasets)
    write_adam(datasets, tmp_path, study_id="prodigy-2", study_title="PRODIGY-2",
               created=datetime(2026, 1, 5, 12, tzinfo=CET), standard="SDTMIG")
    for d in datasets:
        df, meta = pyreadstat.read_xport(str(tmp_path / f"{d.name.lower()}.xpt"))
        spec = SDTM_SPECS[d.name]
        assert list(df.columns) == [v.name for v in spec.variables]
        assert meta.column_names_to_labels == {v.name: v.label for v in spec.variables}
        assert all(meta.readstat_variable_types[v.name] == ("string" if v.type == "Char" else "double")
                   for v in spec.variables)
    odm = "{http://www.cdisc.org/ns/odm/v1.3}"
    root = ET.parse(tmp_path / "define.xml").getroot()
    groups = root.findall(f"{odm}Study/{odm}MetaDataVersion/{odm}ItemGroupDef")
    assert [(g.get("Domain"), g.get("Purpose")) for g in groups] == [(d.name, "Tabulation") for d in datasets]


@pytest.mark.parametrize(("text", "stopped", "expected"), [
    # CDISC CT C66767 submission values; text outside it kept in AEACNOTH (SDTMIG 3.4 AE)
    ("Dose reduced", False, ("DOSE REDUCED", "")), ("withheld", False, ("DRUG INTERRUPTED", "")),
    ("none", False, ("DOSE NOT CHANGED", "")), (None, True, ("DRUG WITHDRAWN", "")), (None, False, ("", "")),
    ("antiemetic given", False, ("", "antiemetic given")),
])
def test_aeacn_controlled_terminology(text: str | None, stopped: bool, expected: tuple[str, str]) -> None:
    from lutetia.analysis.sdtm import action_taken

    got = action_taken(text, stopped)
    assert (got["AEACN"], got["AEACNOTH"]) == expected


def test_lbtestcd_of_egfr_crcl_and_testosterone_follow_the_cdisc_ct_file() -> None:
    # NCI EVS "SDTM Terminology.txt" (CT 2023-12-15 and 2025-03-25), codelist C65047: GFRBSCRT C98735
    # "GFR from Creatinine Adjusted for BSA" (GFRBSA C98734 is a measured GFR), CREATCLR C25747,
    # TESTOS C74793; every code is a CT submission value now, none left "to verify"
    from lutetia.analysis.adam_metadata import LB_PARAMS
    from lutetia.records import Analyte

    assert [LB_PARAMS[a].paramcd for a in (Analyte.egfr, Analyte.crcl, Analyte.testosterone)] == [
        "GFRBSCRT", "CREATCLR", "TESTOS"]
    assert {p.status for p in LB_PARAMS.values()} == {"CT"}
