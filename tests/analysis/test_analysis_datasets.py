"""ADaM-like builders, metadata, and CSV / XPT v5 round trips (read back with pyreadstat)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lutetia.analysis.datasets import (
    AdverseEventRow,
    LabRow,
    ResponseRow,
    SubjectRow,
    TimeToEventRow,
    Variable,
    build_adae,
    build_adlb,
    build_adrs,
    build_adsl,
    build_adtte,
    cnsr_from_event,
    event_from_cnsr,
)
from lutetia.report.datasets_io import write_dataset


def _adtte():  # type: ignore[no-untyped-def]
    return build_adtte([
        TimeToEventRow("LU-001", "OS", "Overall survival", date(2024, 1, 10), date(2024, 7, 10), True, "DEATH", "A"),
        TimeToEventRow("LU-002", "OS", "Overall survival", date(2024, 2, 1), date(2024, 2, 29), False, "LAST CONTACT", "B"),
    ])


def test_adtte_aval_and_cnsr_by_hand() -> None:
    ds = _adtte()
    # 2024-01-10 → 2024-07-10: 21 + 29 + 31 + 30 + 31 + 30 + 10 = 182 days; Feb 2024 is a leap month: 28
    assert [(r["AVAL"], r["CNSR"]) for r in ds.rows] == [(182, 0), (28, 1)]
    plus_one = build_adtte([TimeToEventRow("X", "OS", "OS", date(2024, 1, 1), date(2024, 1, 1), True)],
                           aval_plus_one=True)
    assert plus_one.rows[0]["AVAL"] == 1


@given(st.booleans())
def test_cnsr_is_one_minus_event(event: bool) -> None:
    assert cnsr_from_event(event) == 1 - int(event)
    assert event_from_cnsr(cnsr_from_event(event)) == int(event)


def test_adtte_rejects_bad_rows() -> None:
    row = TimeToEventRow("X", "OS", "OS", date(2024, 2, 1), date(2024, 1, 1), True)
    with pytest.raises(ValueError, match="before STARTDT"):
        build_adtte([row])
    ok = TimeToEventRow("X", "OS", "OS", date(2024, 1, 1), date(2024, 2, 1), True)
    with pytest.raises(ValueError, match="duplicate"):
        build_adtte([ok, ok])


def test_adsl_one_row_per_subject_and_flags() -> None:
    s = SubjectRow("RE-LUPSMA", "LU-001", "Lu-PSMA", 71, date(2024, 1, 10), date(2024, 5, 1), True, True,
                   ecog_baseline=1, cycles=4, cumulative_activity_gbq=28.4, dthfl=True, dthdt=date(2024, 7, 10))
    ds = build_adsl([s])
    assert ds.rows[0]["SAFFL"] == "Y" and ds.rows[0]["DTHFL"] == "Y" and ds.rows[0]["CUMACT"] == 28.4
    with pytest.raises(ValueError, match="duplicate USUBJID"):
        build_adsl([s, s])


def test_adrs_adlb_adae() -> None:
    adrs = build_adrs([ResponseRow("LU-001", "OVR", "PR", date(2024, 3, 1), "WEEK 12"),
                       ResponseRow("LU-001", "BOR", "PR", None), ResponseRow("LU-001", "CBOR", "SD", None)])
    assert [r["PARAMCD"] for r in adrs.rows] == ["OVR", "BOR", "CBOR"]
    with pytest.raises(ValueError, match="AVALC"):
        build_adrs([ResponseRow("LU-001", "OVR", "GOOD", None)])
    adlb = build_adlb([LabRow("LU-001", "HGB", "Haemoglobin (g/dL)", date(2024, 3, 1), "CYCLE 2",
                              8.8, "g/dL", 9.3, 2, 2)])
    assert adlb.rows[0]["CHG"] == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="ATOXGR"):
        build_adlb([LabRow("X", "HGB", "Hb", date(2024, 1, 1), "V", 1.0, "g/dL", 1.0, 7, 0)])
    adae = build_adae([AdverseEventRow("LU-001", "Dry mouth", "Gastrointestinal disorders",
                                       date(2024, 2, 1), None, 1, False, True, True, "xerostomia")])
    assert adae.rows[0]["AEREL"] == "Y"
    with pytest.raises(ValueError, match="grade"):
        build_adae([AdverseEventRow("X", "t", "s", date(2024, 2, 1), None, 0, False, False, True)])


def test_variable_names_fit_xpt_v5() -> None:
    with pytest.raises(ValueError, match="8 characters"):
        Variable("TOOLONGNAME", "x", "Num")
    with pytest.raises(ValueError, match="40"):
        Variable("X", "x" * 41, "Num")


def test_xpt_and_csv_round_trip(tmp_path: Path) -> None:
    ds = _adtte()
    paths = write_dataset(ds, tmp_path)
    df, meta = pyreadstat.read_xport(str(paths["xpt"]))
    assert list(df.columns) == ds.columns
    assert meta.table_name == "ADTTE"
    assert meta.column_names_to_labels["CNSR"] == "Censor (0 = event, 1 = censored)"
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


def test_empty_and_missing_values_round_trip(tmp_path: Path) -> None:
    ds = build_adsl([SubjectRow("S", "LU-9", "A", None, None, None, False, True)])
    paths = write_dataset(ds, tmp_path)
    df, _ = pyreadstat.read_xport(str(paths["xpt"]))
    assert df["AGE"].isna().all() and df["SAFFL"].tolist() == ["N"]
