"""CTCAE v5.0 grading: boundary tables written from the CTCAE v5.0 grade text (as
transcribed in pharmaverse admiral ``ncictcaev5.json``), SI and US units, below / at / above
every cut-off; missing-data cases; hypothesis properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.assess.ctcae import LabValue, ctcae_grade, shift_table, worst_grade


def g(term: str, value: float | None, unit: str | None, *, lln: float | None = None, uln: float | None = None,
      baseline: float | None = None, ind: str | None = None) -> int | None:
    return ctcae_grade(LabValue(term, value, unit, lln, uln, baseline, ind)).grade  # type: ignore[arg-type]


# (term, unit, lln, [(value, expected grade)]) — "<75.0 - 50.0 x 10e9/L" means 75 is grade 1, 74.9 grade 2.
LOW_TABLE = [
    ("platelets", "10^9/L", 150, [(24.9, 4), (25, 3), (49.9, 3), (50, 2), (74.9, 2), (75, 1), (149.9, 1), (150, 0)]),
    ("platelets", "/mm3", 150000, [(24999, 4), (25000, 3), (49999, 3), (50000, 2), (74999, 2), (75000, 1),
                                   (149999, 1), (150000, 0)]),
    ("platelets", "10^3/uL", 150, [(24.9, 4), (25, 3), (50, 2), (75, 1), (150, 0)]),
    ("neutrophils", "10^9/L", 2.0, [(0.49, 4), (0.5, 3), (0.99, 3), (1.0, 2), (1.49, 2), (1.5, 1), (1.99, 1), (2.0, 0)]),
    ("neutrophils", "/mm3", 2000, [(499, 4), (500, 3), (999, 3), (1000, 2), (1499, 2), (1500, 1), (2000, 0)]),
    ("wbc", "10^9/L", 4.0, [(0.99, 4), (1.0, 3), (1.99, 3), (2.0, 2), (2.99, 2), (3.0, 1), (3.99, 1), (4.0, 0)]),
    ("wbc", "/mm3", 4000, [(999, 4), (1000, 3), (2000, 2), (3000, 1), (4000, 0)]),
    ("lymphocytes", "10^9/L", 1.0, [(0.19, 4), (0.2, 3), (0.49, 3), (0.5, 2), (0.79, 2), (0.8, 1), (0.99, 1), (1.0, 0)]),
    ("lymphocytes", "/mm3", 1000, [(199, 4), (200, 3), (500, 2), (800, 1), (1000, 0)]),
    # Anemia: no grade 4 from the value ("life-threatening consequences" is clinical).
    ("anemia", "g/L", 130, [(79, 3), (80, 2), (99, 2), (100, 1), (129, 1), (130, 0), (5, 3)]),
    ("anemia", "g/dL", 13.0, [(7.9, 3), (8.0, 2), (9.9, 2), (10.0, 1), (12.9, 1), (13.0, 0)]),
    # CTCAE's own mmol/L cut-offs ("<6.2 - 4.9 mmol/L"), not the converted g/L ones: 6.2 mmol/L is 99.9 g/L.
    ("anemia", "mmol/L", 8.0, [(4.89, 3), (4.9, 2), (6.19, 2), (6.2, 1), (7.99, 1), (8.0, 0)]),
    ("ckd", "mL/min/1.73m2", 90, [(14.9, 4), (15, 3), (29.9, 3), (30, 2), (59.9, 2), (60, 1), (89, 1), (90, 0)]),
    ("crcl", "mL/min", 90, [(14.9, 4), (15, 3), (30, 2), (60, 1), (90, 0)]),
]


@pytest.mark.parametrize(("term", "unit", "lln", "cases"), LOW_TABLE)
def test_low_direction_boundaries(term: str, unit: str, lln: float, cases: list[tuple[float, int]]) -> None:
    for value, expected in cases:
        assert g(term, value, unit, lln=lln) == expected, (term, unit, value)


# Creatinine increased: ">ULN - 1.5 x ULN; >1.5 - 3.0 x ULN; >3.0 - 6.0 x ULN; >6.0 x ULN".
@pytest.mark.parametrize(
    ("unit", "uln", "cases"),
    [
        ("umol/L", 100, [(601, 4), (600, 3), (301, 3), (300, 2), (151, 2), (150, 1), (101, 1), (100, 0)]),
        ("mg/dL", 1.2, [(7.21, 4), (7.2, 3), (3.61, 3), (3.6, 2), (1.81, 2), (1.8, 1), (1.21, 1), (1.2, 0)]),
    ],
)
def test_creatinine_uln_branches(unit: str, uln: float, cases: list[tuple[float, int]]) -> None:
    for value, expected in cases:
        assert g("creatinine", value, unit, uln=uln) == expected, (unit, value)


def test_creatinine_baseline_branches_apply_whenever_baseline_present() -> None:
    # ">1.5 - 3.0 x baseline" (grade 2), ">3.0 baseline" (grade 3); ULN 100, baseline 80 µmol/L.
    assert g("creatinine", 241, "umol/L", uln=100, baseline=80) == 3
    assert g("creatinine", 240, "umol/L", uln=100, baseline=80) == 2
    assert g("creatinine", 121, "umol/L", uln=100, baseline=80) == 2
    assert g("creatinine", 120, "umol/L", uln=100, baseline=80) == 1
    # Without ULN the baseline branch still grades 2-3, but 0/1 cannot be assigned.
    r = ctcae_grade(LabValue("creatinine", 241, "umol/L", None, None, 80))
    assert r.grade == 3 and "ULN" in r.reason
    assert g("creatinine", 100, "umol/L", baseline=80) is None


HIGH_TABLE = [
    # term, unit, uln, baseline, indicator, [(value, grade)]
    ("bilirubin", "umol/L", 20, 10, "NORMAL", [(201, 4), (200, 3), (61, 3), (60, 2), (31, 2), (30, 1), (21, 1), (20, 0)]),
    ("bilirubin", "mg/dL", 1.2, 0.6, "NORMAL", [(12.01, 4), (12.0, 3), (3.61, 3), (3.6, 2), (1.81, 2), (1.8, 1), (1.2, 0)]),
    ("bilirubin", "umol/L", 20, 30, "HIGH", [(301, 4), (300, 3), (91, 3), (90, 2), (46, 2), (45, 1), (31, 1), (30, 0)]),
    ("alt", "U/L", 40, 30, "NORMAL", [(801, 4), (800, 3), (201, 3), (200, 2), (121, 2), (120, 1), (41, 1), (40, 0)]),
    ("alt", "U/L", 40, 30, "LOW", [(801, 4), (41, 1), (40, 0)]),
    # "1.5 - 3.0 x baseline if baseline was abnormal": 1.5 x baseline itself is grade 1.
    ("alt", "U/L", 40, 60, "HIGH", [(1201, 4), (1200, 3), (301, 3), (300, 2), (181, 2), (180, 1), (90, 1), (89, 0)]),
    ("ast", "U/L", 40, 30, "NORMAL", [(801, 4), (800, 3), (201, 3), (200, 2), (121, 2), (120, 1), (41, 1), (40, 0)]),
    ("ast", "U/L", 40, 60, "HIGH", [(1201, 4), (300, 2), (90, 1), (89, 0)]),
    ("alp", "U/L", 120, 80, "NORMAL", [(2401, 4), (2400, 3), (601, 3), (600, 2), (301, 2), (300, 1), (121, 1), (120, 0)]),
    # "2.0 - 2.5 x baseline if baseline was abnormal".
    ("alp", "U/L", 120, 200, "HIGH", [(4001, 4), (4000, 3), (1001, 3), (1000, 2), (501, 2), (500, 1), (400, 1), (399, 0)]),
]


@pytest.mark.parametrize(("term", "unit", "uln", "base", "ind", "cases"), HIGH_TABLE)
def test_high_direction_boundaries(term: str, unit: str, uln: float, base: float, ind: str,
                                   cases: list[tuple[float, int]]) -> None:
    for value, expected in cases:
        assert g(term, value, unit, uln=uln, baseline=base, ind=ind) == expected, (term, ind, value)


@pytest.mark.parametrize(
    ("lab", "reason"),
    [
        (LabValue("platelets", 100, "10^9/L"), "LLN"),  # grade 1 vs 0 needs LLN
        (LabValue("platelets", 100, None, 150), "unit missing"),
        (LabValue("platelets", 100, "mg/dL", 150), "does not convert"),
        (LabValue("platelets", 100, "furlongs", 150), "does not convert"),
        (LabValue("platelets", None, "10^9/L", 150), "value missing"),
        (LabValue("alt", 100, "U/L", None, None, 30, "NORMAL"), "ULN missing"),
        (LabValue("alt", 100, "U/L", None, 40, 30, None), "baseline indicator"),
        (LabValue("alt", 100, "U/L", None, 40, None, "HIGH"), "baseline value missing"),
        (LabValue("creatinine", 150, "umol/L"), "ULN"),
        (LabValue("troponin", 1.0, "ng/L"), "not a gradable"),
    ],
)
def test_not_gradable_with_reason(lab: LabValue, reason: str) -> None:
    r = ctcae_grade(lab)
    assert r.grade is None and not r.gradable
    assert reason in r.reason


def test_low_value_grades_without_lln_when_below_grade2_cutoff() -> None:
    assert g("platelets", 40, "10^9/L") == 3


def test_grade_carries_rule_text_and_citation() -> None:
    r = ctcae_grade(LabValue("platelets", 40, "10^9/L", 150))
    assert r.rule is not None and r.rule.id == "ctcae5.platelets"
    assert "<50.0 - 25.0 x 10e9 /L" in r.rule.text and "CTCAE v5.0" in r.rule.citation


def test_worst_grade_and_shift_table() -> None:
    labs = [LabValue("platelets", v, "10^9/L", 150, date=date(2026, 1, d)) for v, d in
            [(160, 1), (60, 10), (40, 20), (40, 25), (120, 30)]]
    grades = [ctcae_grade(x) for x in labs]
    w = worst_grade(grades, start=date(2026, 1, 2))
    assert w is not None and w.grade == 3 and w.date == date(2026, 1, 20)
    assert worst_grade(grades, end=date(2026, 1, 5)).grade == 0  # type: ignore[union-attr]
    assert worst_grade([ctcae_grade(LabValue("platelets", 100, None))]) is None
    assert shift_table([(0, 3), (0, 3), (1, None), (None, 2)]) == {("0", "3"): 2, ("1", "NG"): 1, ("NG", "2"): 1}


@settings(max_examples=150, deadline=None)
@given(a=st.floats(0, 500), b=st.floats(0, 500))
def test_low_grade_monotone_in_value(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert g("platelets", lo, "10^9/L", lln=150) >= g("platelets", hi, "10^9/L", lln=150)  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(a=st.integers(1, 3000), b=st.integers(1, 3000), base=st.integers(10, 200), ind=st.sampled_from(["NORMAL", "HIGH"]))
def test_high_grade_monotone_in_value(a: int, b: int, base: int, ind: str) -> None:
    lo, hi = sorted((a, b))
    assert g("alt", lo, "U/L", uln=40, baseline=base, ind=ind) <= g("alt", hi, "U/L", uln=40, baseline=base, ind=ind)  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(value=st.integers(0, 600_000), lln=st.integers(100_000, 200_000))
def test_platelet_unit_systems_give_same_grade(value: int, lln: int) -> None:
    # 1 /mm3 = 1 /µL = 1e-3 x 10^9/L (definition of the units).
    assert g("platelets", value, "/mm3", lln=lln) == g("platelets", value / 1000, "10^9/L", lln=lln / 1000)


@settings(max_examples=150, deadline=None)
@given(value=st.integers(20, 2000), uln=st.integers(60, 130), base=st.integers(40, 130))
def test_creatinine_unit_systems_give_same_grade(value: int, uln: int, base: int) -> None:
    # 1 mg/dL creatinine = 88.4 µmol/L (molar mass 113.12 g/mol, PubChem CID 588).
    k = 10_000 / 113.12
    si = g("creatinine", value, "umol/L", uln=uln, baseline=base)
    us = g("creatinine", value / k, "mg/dL", uln=uln / k, baseline=base / k)
    assert si == us


@settings(max_examples=100, deadline=None)
@given(value=st.integers(30, 200), lln=st.integers(110, 140))
def test_haemoglobin_g_per_dl_and_g_per_l_same_grade(value: int, lln: int) -> None:
    assert g("hb", value, "g/L", lln=lln) == g("hb", value / 10, "g/dL", lln=lln / 10)


def _admiral_rows() -> list[dict[str, str]]:
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "assess" / "admiral_ctcae_v5_expected.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _opt(text: str) -> float | None:
    return float(text) if text else None


@pytest.mark.parametrize("row", _admiral_rows(), ids=lambda r: f"{r['source'][:32]}#{r['testnum']}")
def test_admiral_reference_grades(row: dict[str, str]) -> None:
    """Expected grades from admiral's own test tables (reference data, see the data README)."""
    lab = LabValue(row["term"], _opt(row["value"]), row["unit"] or None, _opt(row["lln"]), _opt(row["uln"]),
                   _opt(row["baseline"]), row["baseline_indicator"] or None)  # type: ignore[arg-type]
    expected = int(row["expected_grade"]) if row["expected_grade"] else None
    assert ctcae_grade(lab).grade == expected
