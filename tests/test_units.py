"""Units: conversions against definitions and published conversion factors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lutetia.errors import UnitError
from lutetia.units import gbq_to_mci, mci_to_gbq, to_canonical, to_unit


@pytest.mark.parametrize(
    ("value", "unit", "target", "analyte", "expected", "source"),
    [
        (200, "mCi", "GBq", None, 7.4, "1 Ci = 3.7e10 Bq (definition); Pluvicto label 7.4 GBq (200 mCi)"),
        (7400, "MBq", "GBq", None, 7.4, "SI prefixes"),
        (1500, "mGy", "Gy", None, 1.5, "SI prefixes"),
        (1.0, "mg/dL", "umol/L", "creatinine", 88.40, "creatinine 113.12 g/mol: the usual factor 88.4"),
        (1.0, "mg/dL", "umol/L", "bilirubin", 17.10, "bilirubin 584.7 g/mol: the usual factor 17.1"),
        (12.0, "g/dL", "g/L", None, 120.0, "1 g/dL = 10 g/L"),
        (1.0, "g/dL", "mmol/L", "haemoglobin", 0.6206, "Hb monomer 16 114.5 g/mol: 0.6206 mmol/L per g/dL"),
        (50, "ng/dL", "nmol/L", "testosterone", 1.734, "testosterone 288.4 g/mol; VISION: 50 ng/dL ≈ 1.7 nmol/L"),
        (150, "10^9/L", "/uL", None, 150000, "10^9/L = 10^3/µL"),
        (150, "10^9/L", "10^3/uL", None, 150, "10^9/L = 10^3/µL"),
        (4.2, "ng/mL", "ug/L", None, 4.2, "1 ng/mL = 1 µg/L"),
        (60, "mL/min/1.73m2", "mL_min_1_73m2", None, 60, "eGFR unit spelled as labs print it"),
        (1.0, "mL/min", "mL/min", None, 1.0, "identity"),
    ],
)
def test_reference_conversions(value: float, unit: str, target: str, analyte: str | None, expected: float,
                               source: str) -> None:
    assert to_unit(value, unit, target, analyte=analyte) == pytest.approx(expected, rel=2e-3), source


@pytest.mark.parametrize(
    ("unit", "target", "analyte"),
    [("Gy", "GBq", None), ("Gy_BED", "Gy", None), ("Gy", "Gy_EQD2", None), ("mL/min", "mL/min/1.73m2", None),
     ("mg/dL", "umol/L", None), ("mg/dL", "umol/L", "psa"), ("cps", "MBq", None), ("10^9/L", "g/L", None)],
)
def test_wrong_dimension_is_an_error(unit: str, target: str, analyte: str | None) -> None:
    with pytest.raises(UnitError, match="cannot convert"):
        to_unit(1.0, unit, target, analyte=analyte)
    with pytest.raises(TypeError):  # UnitError is also a TypeError (pint's pattern)
        to_unit(1.0, unit, target, analyte=analyte)


def test_unknown_unit_and_kind() -> None:
    with pytest.raises(UnitError, match="unknown unit 'blorps'"):
        to_unit(1, "blorps", "GBq")
    with pytest.raises(UnitError, match="unknown quantity kind"):
        to_canonical(1, "GBq", "radioactivity")


def test_canonical_units() -> None:
    assert to_canonical(7400, "MBq", "activity") == pytest.approx(7.4)
    assert to_canonical(1.2, "mg/dL", "creatinine", analyte="creatinine") == pytest.approx(106.08, rel=1e-3)
    assert to_canonical(11, "g/dL", "haemoglobin") == pytest.approx(110)


@given(st.floats(min_value=1e-3, max_value=1e4, allow_nan=False))
def test_round_trips(x: float) -> None:
    assert mci_to_gbq(gbq_to_mci(x)) == pytest.approx(x, rel=1e-12)
    there = to_unit(x, "mg/dL", "umol/L", analyte="creatinine")
    assert to_unit(there, "umol/L", "mg/dL", analyte="creatinine") == pytest.approx(x, rel=1e-12)
    assert to_unit(to_unit(x, "g/dL", "mmol/L", analyte="hb"), "mmol/L", "g/dL", analyte="hb") == pytest.approx(x)
