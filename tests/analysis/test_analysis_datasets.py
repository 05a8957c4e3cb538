"""ADaM builders, the metadata they follow, and CSV / XPT v5 round trips (read back with pyreadstat)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Literal

import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lutetia.analysis.adam_metadata import (
    CODELISTS,
    LB_PARAMS,
    PARAMCD_BY_ENDPOINT,
    SPECS,
    Variable,
    tte_paramcd,
)
from lutetia.analysis.datasets import (
    AdverseEventRow,
    LabRow,
    ResponseRow,
    SubjectRow,
    TimeToEventRow,
    build_adae,
    build_adlb,
    build_adrs,
    build_adsl,
    build_adtte,
    cnsr_from_event,
    decimal_difference,
    event_from_cnsr,
    reference_range_indicator,
    toxicity_grades,
    treatment_emergent,
)
from lutetia.errors import AnalysisError, LutetiaError, ProtocolError
from lutetia.protocols import list_protocols
from lutetia.report.datasets_io import write_dataset


def _tte(pid: str, start: date, end: date, event: bool, code: str = "OS", param: str = "Overall survival",
         paramn: int = 1) -> TimeToEventRow:
    return TimeToEventRow("S", pid, code, param, paramn, start, end, event, "death" if event else "censored",
                          "" if event else "last contact", "ADSL", "A")


def _adtte():  # type: ignore[no-untyped-def]
    return build_adtte([_tte("LU-001", date(2024, 1, 10), date(2024, 7, 10), True),
                        _tte("LU-002", date(2024, 2, 1), date(2024, 2, 29), False)])


def test_adtte_aval_and_cnsr_by_hand() -> None:
    ds = _adtte()
    # 2024-01-10 → 2024-07-10: 21 + 29 + 31 + 30 + 31 + 30 + 10 = 182 days; Feb 2024 is a leap month: 28
    assert [(r["AVAL"], r["CNSR"], r["CNSDTDSC"]) for r in ds.rows] == [(182, 0, ""), (28, 1, "last contact")]
    plus_one = build_adtte([_tte("X", date(2024, 1, 1), date(2024, 1, 1), True)], aval_plus_one=True)
    assert plus_one.rows[0]["AVAL"] == 1


@given(st.booleans())
def test_cnsr_is_one_minus_event(event: bool) -> None:
    assert cnsr_from_event(event) == 1 - int(event)
    assert event_from_cnsr(cnsr_from_event(event)) == int(event)


def test_adtte_rejects_bad_rows() -> None:
    with pytest.raises(AnalysisError, match="before STARTDT"):
        build_adtte([_tte("X", date(2024, 2, 1), date(2024, 1, 1), True)])
    ok = _tte("X", date(2024, 1, 1), date(2024, 2, 1), True)
    with pytest.raises(AnalysisError, match="duplicate"):
        build_adtte([ok, ok])
    # Issue 15: two endpoints may not share one PARAMCD (``INVESTIG`` was a truncation).
    with pytest.raises(AnalysisError, match="one PARAMCD for two parameters"):
        build_adtte([ok, _tte("Y", date(2024, 1, 1), date(2024, 2, 1), True, param="Investigator PFS")])


def test_paramcd_of_every_shipped_endpoint_is_short_and_unique() -> None:
    for proto in list_protocols():
        pid = proto.id
        tte = [e for e in proto.endpoints if e.kind == "time_to_event"]
        codes = [tte_paramcd(e.id) for e in tte]
        assert len(set(codes)) == len(codes), pid
        assert all(1 <= len(c) <= 8 and c.isalnum() and c.isupper() for c in codes), codes
    assert tte_paramcd("prodigy2.ep.investigator-pfs") == "INVPFS"
    assert tte_paramcd("x.ep.ttp") == "TTP"
    with pytest.raises(ProtocolError, match="PARAMCD_BY_ENDPOINT"):
        tte_paramcd("x.ep.time-to-something-long")
    assert all(len(c) <= 8 for c in PARAMCD_BY_ENDPOINT.values())


def test_adsl_one_row_per_subject_and_flags() -> None:
    s = SubjectRow("RE-LUPSMA", "LU-001", "RECHALL", "Re-challenge", "RECHALL", "Re-challenge", "M", age=71,
                   trtsdt=date(2024, 1, 10), trtedt=date(2024, 5, 1), saffl=True, ecog_baseline=1, cycles=4,
                   cumulative_activity_gbq=28.4, dthdt=date(2024, 7, 10), lstalvdt=date(2024, 7, 1))
    ds = build_adsl([s])
    row = ds.rows[0]
    assert (row["USUBJID"], row["SAFFL"], row["DTHFL"], row["CUMACT"], row["AGEU"]) == (
        "RE-LUPSMA-LU-001", "Y", "Y", 28.4, "YEARS")
    with pytest.raises(AnalysisError, match="duplicate USUBJID"):
        build_adsl([s, s])
    late = SubjectRow("S", "X", "A", "A", "A", "A", "M", dthdt=date(2024, 1, 1), lstalvdt=date(2024, 1, 2))
    with pytest.raises(AnalysisError, match="LSTALVDT"):
        build_adsl([late])
    with pytest.raises(AnalysisError, match="codelist"):
        build_adsl([SubjectRow("S", "X", "A", "A", "A", "A", "male")])


def test_adrs_adlb_adae() -> None:
    adrs = build_adrs([ResponseRow("LU-001", "OVR", "PR", date(2024, 3, 1), "WEEK 12"),
                       ResponseRow("LU-001", "BOR", "PR", None), ResponseRow("LU-001", "CBOR", "SD", None),
                       ResponseRow("LU-001", "PSA50C", "Y", date(2024, 4, 1), criteria="PCWG3")])
    assert [(r["PARAMCD"], r["AVALN"]) for r in adrs.rows] == [("OVR", 2), ("BOR", 2), ("CBOR", 3), ("PSA50C", 1)]
    with pytest.raises(AnalysisError, match="AVALC"):
        build_adrs([ResponseRow("LU-001", "OVR", "GOOD", None)])
    with pytest.raises(AnalysisError, match="AVALC"):
        build_adrs([ResponseRow("LU-001", "OVR", "Y", None)])
    with pytest.raises(AnalysisError, match="more than one"):
        build_adrs([ResponseRow("A", "BOR", "PR", None), ResponseRow("A", "BOR", "SD", None)])
    base = LabRow("S", "LU-001", "HGB", "Hemoglobin (g/L)", 1, date(2024, 1, 1), "BASELINE", 0, 93.0, "g/L",
                  130.0, 170.0, ablfl=True, atoxgr=2, tox_term="Anemia", tox_direction="low")
    later = LabRow("S", "LU-001", "HGB", "Hemoglobin (g/L)", 1, date(2024, 3, 1), "CYCLE 2", 2, 88.0, "g/L",
                   130.0, 170.0, atoxgr=2, tox_term="Anemia", tox_direction="low")
    adlb = build_adlb([base, later])
    assert [(r["BASE"], r["CHG"], r["BTOXGRL"], r["BTOXGR"], r["ANRIND"], r["BNRIND"]) for r in adlb.rows] == [
        (93.0, 0.0, "2", "-2", "LOW", "LOW"), (93.0, -5.0, "2", "-2", "LOW", "LOW")]
    with pytest.raises(AnalysisError, match="ATOXGR"):
        build_adlb([LabRow("S", "X", "HGB", "Hb", 1, date(2024, 1, 1), "V", 1, 1.0, "g/L", atoxgr=7)])
    with pytest.raises(AnalysisError, match="two baseline"):
        build_adlb([base, base])
    adae = build_adae([AdverseEventRow("S", "LU-001", "AE1", "Dry mouth", date(2024, 2, 1), None, 1, False,
                                       "POSSIBLE", True, date(2024, 1, 1), "xerostomia")])
    assert (adae.rows[0]["ARELFL"], adae.rows[0]["AEREL"], adae.rows[0]["ASTDY"]) == ("Y", "POSSIBLE", 32)
    with pytest.raises(AnalysisError, match="grade"):
        build_adae([AdverseEventRow("S", "X", "1", "t", date(2024, 2, 1), None, 0, False, "", False, None)])


@pytest.mark.parametrize(("aval", "base", "expected"), [(8.8, 9.3, -0.5), (8.0, 9.3, -1.3), (2.0, 2.3, -0.3),
                                                         (0.1, 0.3, -0.2), (132.0, 132.0, 0.0)])
def test_chg_has_no_binary_noise(aval: float, base: float, expected: float) -> None:
    # expected: the decimal difference written by hand; 2.0 − 2.3 is −0.2999999999999998 in binary.
    assert decimal_difference(aval, base) == expected


@pytest.mark.parametrize(("value", "expected"), [(129.9, "LOW"), (130.0, "NORMAL"), (170.0, "NORMAL"),
                                                  (170.1, "HIGH")])
def test_reference_range_indicator_boundaries(value: float, expected: str) -> None:
    assert reference_range_indicator(value, 130.0, 170.0) == expected
    assert reference_range_indicator(value, None, None) == ""


def test_variable_names_fit_xpt_v5() -> None:
    with pytest.raises(ValueError, match="8 characters"):
        Variable("TOOLONGNAME", "x", "Num")
    with pytest.raises(ValueError, match="40"):
        Variable("X", "x" * 41, "Num")
    with pytest.raises(ValueError, match="length"):
        Variable("X", "x", "Char", 201)


def test_metadata_is_complete() -> None:
    """Every variable the issue lists is present; codelists exist; lab parameter codes unique."""
    required = {
        "ADSL": "STUDYID USUBJID SUBJID SITEID AGE AGEU SEX ARM ARMCD ACTARM ACTARMCD TRT01P TRT01A RANDDT "
                "TRTSDT TRTEDT EOSSTT DTHDT DTHFL LSTALVDT ITTFL SAFFL",
        "ADTTE": "STUDYID USUBJID PARAMCD PARAM PARAMN STARTDT ADT AVAL CNSR EVNTDESC CNSDTDSC SRCDOM",
        "ADLB": "PARAM PARAMCD AVISIT AVISITN ABLFL BASE CHG ANRIND BNRIND ATOXGR BTOXGR LBLOINC "
                "ATOXDSCL ATOXDSCH ATOXGRL ATOXGRH BTOXGRL BTOXGRH",
        "ADRS": "PARAMCD PARAM AVALC AVALN ADT",
        "ADAE": "TRTEMFL AETOXGR ATOXGR ATOXGRN AEREL",
    }
    for name, names in required.items():
        assert set(names.split()) <= {v.name for v in SPECS[name].variables}, name
    for spec in SPECS.values():
        assert {v.codelist for v in spec.variables if v.codelist} <= set(CODELISTS)
    # XPT v5 headers are ASCII (SAS TS-140): names and labels of every ADaM and SDTM dataset
    from lutetia.analysis.sdtm_metadata import SDTM_SPECS

    for spec in (*SPECS.values(), *SDTM_SPECS.values()):
        assert spec.label.isascii() and all(v.label.isascii() and v.name.isascii() for v in spec.variables)
    codes = [p.paramcd for p in LB_PARAMS.values()]
    assert len(set(codes)) == len(codes) and all(len(c) <= 8 for c in codes)


def test_xpt_and_csv_round_trip(tmp_path: Path) -> None:
    ds = _adtte()
    paths = write_dataset(ds, tmp_path)
    df, meta = pyreadstat.read_xport(str(paths["xpt"]))
    assert list(df.columns) == ds.columns
    assert meta.table_name == "ADTTE"
    assert meta.column_names_to_labels["CNSR"] == "Censor"
    assert df["AVAL"].tolist() == [182.0, 28.0] and df["CNSR"].tolist() == [0.0, 1.0]
    assert df["ADT"].tolist() == [date(2024, 7, 10), date(2024, 2, 29)]
    assert df["USUBJID"].tolist() == ["LU-001", "LU-002"]
    with paths["csv"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[1]["ADT"] == "2024-02-29" and rows[1]["CNSR"] == "1"
    with paths["metadata"].open(encoding="utf-8") as fh:
        meta_rows = list(csv.DictReader(fh))
    assert {r["VARIABLE"] for r in meta_rows} == set(ds.columns)
    assert next(r for r in meta_rows if r["VARIABLE"] == "ADT")["FORMAT"] == "DATE9."
    assert next(r for r in meta_rows if r["VARIABLE"] == "CNSR")["CODELIST"] == "CNSR"


def test_empty_and_missing_values_round_trip(tmp_path: Path) -> None:
    ds = build_adsl([SubjectRow("S", "LU-9", "A", "Arm A", "NOTTRT", "Not Treated", "U")])
    paths = write_dataset(ds, tmp_path)
    df, _ = pyreadstat.read_xport(str(paths["xpt"]))
    assert df["AGE"].isna().all() and df["SAFFL"].tolist() == ["N"] and df["AGEU"].tolist() == [""]


def test_errors_are_lutetia_errors() -> None:
    assert issubclass(AnalysisError, LutetiaError) and issubclass(AnalysisError, ValueError)


@pytest.mark.parametrize(("grade", "direction", "expected"), [
    # pharmaverse admiral derive_var_atoxgr (tests/testthat/test-derive_var_atoxgr.R): low grades
    # negative in ATOXGR, high grades positive, "0" gradable and normal, blank not gradable.
    (2, "low", ("2", "", "-2")), (0, "low", ("0", "", "0")), (3, "high", ("", "3", "3")),
    (0, "high", ("", "0", "0")), (None, "low", ("", "", "")), (None, None, ("", "", "")),
])
def test_toxicity_grades_as_admiral_writes_them(grade: int | None, direction: Literal["low", "high"] | None,
                                                expected: tuple[str, str, str]) -> None:
    assert toxicity_grades(grade, direction) == expected


@pytest.mark.parametrize(("onset", "expected"), [
    # TRTSDT 2025-01-06, TRTEDT 2025-02-17, 30-day window: last emergent day 2025-03-19 (by hand)
    (date(2025, 1, 5), False), (date(2025, 1, 6), True), (date(2025, 3, 18), True), (date(2025, 3, 19), True),
    (date(2025, 3, 20), False),
])
def test_treatment_emergent_window_boundaries(onset: date, expected: bool) -> None:
    assert treatment_emergent(onset, date(2025, 1, 6), date(2025, 2, 17), 30) is expected
    assert treatment_emergent(onset, None, None, 30) is False


def test_every_source_domain_names_its_variable() -> None:
    """SRCDOM and SRCVAR go together (admiral ad_adtte.R); only the data cut-off has no variable."""
    from lutetia.analysis.adam_metadata import SRCDOM_BY_EVENT, SRCVAR_BY_EVENT

    assert set(SRCDOM_BY_EVENT) - set(SRCVAR_BY_EVENT) == {"data_cutoff"}
    assert set(SRCVAR_BY_EVENT) <= set(SRCDOM_BY_EVENT)
    assert all(len(v) <= 8 for v in SRCVAR_BY_EVENT.values())
