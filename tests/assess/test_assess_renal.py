"""Renal function.  Expected values are hand-computed from the published equations (the
arithmetic is written out) — Cockcroft & Gault, Nephron 1976; Inker et al., NEJM 2021 —
matching CRAN nephro ``CG`` / ``CKDEpi2021.creat`` conventions (Scr in mg/dL)."""

from __future__ import annotations

import pytest

from lutetia.assess.renal import ckd_epi_2021, cockcroft_gault
from lutetia.errors import RecordError, UnitError


def test_cockcroft_gault_hand_examples() -> None:
    # (140-60) x 72 / (72 x 1.0) = 80 mL/min
    assert cockcroft_gault(1.0, "mg/dL", age_years=60, weight_kg=72, sex="male") == pytest.approx(80.0, rel=1e-12)
    # (140-70) x 80 / (72 x 2.0) = 38.889; female x 0.85 = 33.056
    assert cockcroft_gault(2.0, "mg/dL", age_years=70, weight_kg=80, sex="female") == pytest.approx(33.0556, abs=1e-3)


def test_cockcroft_gault_in_umol_per_l() -> None:
    # 88.40 µmol/L = 1.000 mg/dL (PubChem molar mass 113.12 g/mol) -> 80 mL/min within 0.01 %.
    assert cockcroft_gault(88.40, "umol/L", age_years=60, weight_kg=72, sex="male") == pytest.approx(80.0, rel=1e-4)


def test_ckd_epi_2021_hand_examples() -> None:
    # Male, 60 y, Scr 1.0: 142 x (1/0.9)^-1.2 x 0.9938^60 = 142 x 0.881234 x 0.688556 = 86.16
    assert ckd_epi_2021(1.0, "mg/dL", age_years=60, sex="male") == pytest.approx(86.16, abs=0.01)
    # Female, 50 y, Scr 0.7 (= kappa): 142 x 1 x 0.9938^50 x 1.012 = 142 x 0.732740 x 1.012 = 105.30
    assert ckd_epi_2021(0.7, "mg/dL", age_years=50, sex="female") == pytest.approx(105.30, abs=0.01)
    # Female, 40 y, Scr 0.5: 142 x (0.5/0.7)^-0.241 x 0.9938^40 x 1.012
    #   = 142 x 1.084468 x 0.779758 x 1.012 = 121.52
    assert ckd_epi_2021(0.5, "mg/dL", age_years=40, sex="female") == pytest.approx(121.52, abs=0.01)


def test_ckd_epi_decreases_with_creatinine() -> None:
    values = [ckd_epi_2021(s, "mg/dL", age_years=65, sex="male") for s in (0.5, 0.8, 0.9, 1.2, 2.0, 4.0)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"creatinine": 0.0, "unit": "mg/dL", "age_years": 60, "sex": "male"}, RecordError),
        ({"creatinine": 1.0, "unit": "mg/dL", "age_years": 0, "sex": "male"}, RecordError),
        ({"creatinine": 1.0, "unit": "mg/dL", "age_years": 60, "sex": "x"}, RecordError),
        ({"creatinine": 1.0, "unit": "g", "age_years": 60, "sex": "male"}, UnitError),
    ],
)
def test_bad_inputs_raise(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        ckd_epi_2021(**kwargs)  # type: ignore[arg-type]


# pharmaverse admiral tests/testthat/test-compute_kidney.R (commit 5d32956): expected values
# from the National Kidney Foundation's CKD-EPI 2021 and Cockcroft-Gault calculators.
@pytest.mark.parametrize(
    ("creat", "unit", "age", "sex", "expected"),
    [(1.09, "mg/dL", 55, "male", 80), (85, "umol/L", 65, "female", 66)],
)
def test_ckd_epi_nkf_calculator(creat: float, unit: str, age: int, sex: str, expected: int) -> None:
    assert round(ckd_epi_2021(creat, unit, age_years=age, sex=sex)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("creat", "unit", "age", "sex", "weight", "expected"),
    [(1.09, "mg/dL", 55, "male", 90, 97), (85, "umol/L", 65, "female", 60, 55)],
)
def test_cockcroft_gault_nkf_calculator(creat: float, unit: str, age: int, sex: str, weight: float,
                                        expected: int) -> None:
    assert round(cockcroft_gault(creat, unit, age_years=age, weight_kg=weight, sex=sex)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("age", "sex", "creat_umol", "expected"),
    [(55, "male", 96.3, 80.2293), (52, "female", 70, 89.7175), (67, "male", 77, 94.5453), (76, "female", 65, 84.4646)],
)
def test_ckd_epi_admiral_table(age: int, sex: str, creat_umol: float, expected: float) -> None:
    # admiral converts µmol/L with 88.42 per mg/dL; Lutetia's registry uses the molar mass
    # 113.12 g/mol (88.40).  Same equation: exact to 1e-4 with admiral's factor, within
    # 0.03 mL/min/1.73 m² through the registry.
    assert ckd_epi_2021(creat_umol / 88.42, "mg/dL", age_years=age, sex=sex) == pytest.approx(expected, abs=1e-4)  # type: ignore[arg-type]
    assert ckd_epi_2021(creat_umol, "umol/L", age_years=age, sex=sex) == pytest.approx(expected, abs=0.03)  # type: ignore[arg-type]
