"""The cached linear factors of :mod:`lutetia.units` against pint (issue 16).

The reference is pint itself (:func:`lutetia.units._registry.pint_to_unit`, the conversion as
written before the cache): every table entry and the fast paths must give pint's float bit for
bit, exact cut-offs included, and the shipped table must be what the generator makes from the
installed pint.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lutetia.errors import UnitError
from lutetia.units import MOLAR_MASS_G_PER_MOL, _factors, same_unit, to_unit
from lutetia.units._registry import MASS_TO_SUBSTANCE, SAME_DIMENSION, parse_unit, pint_to_unit

ROOT = Path(__file__).resolve().parents[1]
PAIRS = sorted(_factors.FACTORS)
#: Cut-offs of the shipped rules and CTCAE (creatinine 1.5 × ULN, Hb 80 g/L, platelets 75,
#: 1.5 mg/dL, 7.4 GBq …) and awkward floats.
VALUES = (0.0, 1.0, -2.5, 0.1, 1.5, 7.4, 75.0, 80.0, 88.4, 113.12, 123.456789, 1e-9, 3.7e10, 50, 8)


def _gen_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_unit_factors", ROOT / "tools" / "gen_unit_factors.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_table_is_what_pint_gives_now() -> None:
    """Every shipped entry is what the generator makes from the installed pint (a unit added to
    the data later is converted through pint until the table is regenerated)."""
    identity, factors = _gen_module().table()
    assert {u: identity.get(u) for u in _factors.UNIT_IDENTITY} == _factors.UNIT_IDENTITY
    assert {k: factors.get(k) for k in _factors.FACTORS} == _factors.FACTORS, "rerun tools/gen_unit_factors.py"
    assert len(PAIRS) > 300 and ("GBq", "mCi") in _factors.FACTORS


def _reference(value: float, unit: str, target: str, analyte: str | None) -> float:
    mm = MOLAR_MASS_G_PER_MOL[analyte][0] if analyte else None
    return pint_to_unit(value, unit, target, analyte, mm)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_every_table_entry_converts_bit_for_bit_as_pint() -> None:
    checked = 0
    for unit, target in PAIRS:
        kind = _factors.FACTORS[(unit, target)][0]
        analytes = [None] if kind == SAME_DIMENSION else list(MOLAR_MASS_G_PER_MOL)
        for analyte in analytes:
            for v in VALUES:
                assert _same(to_unit(v, unit, target, analyte=analyte), _reference(v, unit, target, analyte)), \
                    (v, unit, target, analyte)
                checked += 1
    assert checked > 5000


def test_hand_values() -> None:
    """Independent figures: 1 Ci = 37 GBq by definition; creatinine 1 mg/dL = 88.40 µmol/L
    (PubChem CID 588, 113.12 g/mol: 10 000 / 113.12 = 88.4017); 1 g/dL = 10 g/L."""
    assert to_unit(1.0, "mCi", "GBq") == pytest.approx(0.037, rel=1e-15)
    assert to_unit(1.0, "mg/dL", "umol/L", analyte="creatinine") == pytest.approx(88.4017, abs=1e-4)
    assert to_unit(8.0, "g/dL", "g/L") == pytest.approx(80.0, rel=1e-15)
    assert to_unit(7, "day", "day") == 7.0 and isinstance(to_unit(7, "day", "day"), float)


@given(st.sampled_from(PAIRS), st.floats(allow_nan=True, allow_infinity=True, width=64))
def test_property_any_value_any_pair_equals_pint(pair: tuple[str, str], value: float) -> None:
    unit, target = pair
    analyte = None if _factors.FACTORS[pair][0] == SAME_DIMENSION else "creatinine"
    assert _same(to_unit(value, unit, target, analyte=analyte), _reference(value, unit, target, analyte))


def test_units_outside_the_table_and_errors_still_go_through_pint() -> None:
    assert "furlong" not in _factors.UNIT_IDENTITY
    assert to_unit(1.0, "furlong", "m") == pint_to_unit(1.0, "furlong", "m", None, None)
    assert to_unit(37.0, "degC", "K") == pytest.approx(310.15)  # offset unit: pint every time
    with pytest.raises(UnitError, match="unknown unit"):
        to_unit(1.0, "xyz", "xyz")
    with pytest.raises(UnitError, match="cannot convert 1.5 mg/dL to umol/L"):
        to_unit(1.5, "mg/dL", "umol/L")  # molar conversion without an analyte
    with pytest.raises(UnitError, match="for albumin"):
        to_unit(1.5, "mg/dL", "umol/L", analyte="albumin")  # no molar mass known
    assert _factors.FACTORS[("mg/dL", "umol/L")][0] == MASS_TO_SUBSTANCE


def test_same_unit_is_pint_unit_equality() -> None:
    known = sorted(_factors.UNIT_IDENTITY)
    for a in known:
        for b in known:
            assert same_unit(a, b) == (parse_unit(a) == parse_unit(b)), (a, b)
    assert same_unit("µmol/L", "umol/L") and not same_unit("g/L", "g/dL")
    assert same_unit("furlong", "furlong")
    with pytest.raises(UnitError):
        same_unit("xyz", "xyz")


def test_converting_known_units_does_not_load_pint() -> None:
    code = ("import sys, lutetia.units as u; u.to_unit(1.5, 'mg/dL', 'umol/L', analyte='creatinine'); "
            "u.same_unit('g/dL', 'g/L'); u.is_compatible('10^9/L', 'giga_per_L'); "
            "assert 'pint' not in sys.modules, 'pint loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)
