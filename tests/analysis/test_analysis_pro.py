"""PRO scoring: EQ-5D-5L (published worst-state values), FACT-P (hand-computed), BPI-SF, MSGS.

FACT-P rules follow FACTscorer (raybaser/FACTscorer, MIT) R/ca-scoreFACT_P.R: subscale valid
when > 50 % answered; FACT-P total when > 80 % of 39 items answered; TOI without an item-rate rule.
"""

from __future__ import annotations

from datetime import date

import pytest

from lutetia.analysis.pro.bpi import score_bpi_sf
from lutetia.analysis.pro.change import changes_from_baseline
from lutetia.analysis.pro.eq5d import eq5d5l_index, load_value_set
from lutetia.analysis.pro.fact import SUBSCALE_ITEMS, score_fact_p
from lutetia.analysis.pro.msgs import MsgsAnswers


def test_eq5d_published_reference_states() -> None:
    # 55555: Devlin 2018 (England) −0.285, Pickard 2019 (US) −0.573; 11111 = 1 by definition.
    assert eq5d5l_index("55555", "England") == pytest.approx(-0.285, abs=1e-9)
    assert eq5d5l_index("55555", "US") == pytest.approx(-0.573, abs=1e-9)
    assert eq5d5l_index("11111") == 1.0
    for key in ("England", "US"):
        assert load_value_set(key).reference_worst == eq5d5l_index("55555", key)


def test_eq5d_value_set_editions_are_pinned() -> None:
    england, us = load_value_set("England"), load_value_set("US")
    assert (england.doi, us.doi) == ("10.1002/hec.3564", "10.1016/j.jval.2019.02.009")
    assert "Devlin" in england.source and "2018" in england.source
    assert "Pickard" in us.source and "2019" in us.source


def test_eq5d_single_state_by_hand() -> None:
    # 21312 England: 1 − (MO2 0.058 + UA3 0.063 + AD2 0.078) = 0.801
    assert eq5d5l_index([2, 1, 3, 1, 2]) == pytest.approx(0.801, abs=1e-9)


@pytest.mark.parametrize("bad", ["1234", "123456", "12306", [1, 2, 3, 4, 9]])
def test_eq5d_rejects_bad_profiles(bad: object) -> None:
    with pytest.raises(ValueError):
        eq5d5l_index(bad)  # type: ignore[arg-type]


def test_eq5d_unknown_value_set() -> None:
    with pytest.raises(ValueError, match="available"):
        eq5d5l_index("11111", "Mars")


def _all(value: int) -> dict[str, int | None]:
    return {i: value for items in SUBSCALE_ITEMS.values() for i in items}


def test_fact_p_hand_example() -> None:
    # Every item answered 2: reversed items give 4 − 2 = 2 as well, so each subscale = 2 × items.
    s = score_fact_p(_all(2))
    assert (s.pwb, s.swb, s.ewb, s.fwb, s.pcs) == (14, 14, 12, 14, 24)
    assert (s.fact_g, s.fact_p, s.toi) == (54, 78, 52)


def test_fact_p_reverse_and_prorate_hand_example() -> None:
    r = _all(4)  # PWB all-reversed → 0 each; SWB 28; EWB: GE2 4 + five reversed 0 = 4; FWB 28
    r["GS1"] = 9  # missing code: SWB = mean(4 × 6 items) × 7 = 28 (prorated)
    r["GE2"] = 8  # EWB: five reversed items at 0, GE2 missing → mean 0 × 6 = 0
    s = score_fact_p(r)
    assert s.pwb == 0 and s.swb == 28 and s.ewb == 0 and s.fwb == 28
    # PCS: 8 reversed items → 0, 4 non-reversed (C6, P4, P5, BL5) → 4 each = 16
    assert s.pcs == 16
    assert s.fact_g == 56 and s.fact_p == 72 and s.toi == 44


def test_fact_validity_rules() -> None:
    r = _all(2)
    for item in ("GP1", "GP2", "GP3", "GP4"):  # 3 of 7 answered: ≤ 50 % → PWB invalid
        r[item] = None
    s = score_fact_p(r)
    assert s.pwb is None and s.fact_g is None and s.toi is None and s.swb == 14
    # Subscales all just valid (> 50 %) but 23/39 items answered: totals invalid, TOI valid.
    r = _all(2)
    for item in ("GP1", "GP2", "GP3", "GS1", "GS2", "GS3", "GE1", "GE2", "GF1", "GF2", "GF3",
                 "C2", "C6", "P1", "P2", "P3"):
        r[item] = None
    s = score_fact_p(r)
    assert s.items_answered == 23
    assert s.fact_g is None and s.fact_p is None
    assert s.toi == 52  # 14 + 14 + 24: prorated means of 2 × items
    r = _all(2)
    for item in ("GP1", "GP2", "GP3", "GS1", "GS2", "GS3"):  # subscales valid, 21/27 = 77.8 % ≤ 80 %
        r[item] = None
    s = score_fact_p(r)
    assert s.pwb is not None and s.fact_g is None
    with pytest.raises(ValueError, match="unknown"):
        score_fact_p({"XX1": 1})
    with pytest.raises(ValueError, match="0–4"):
        score_fact_p({"GP1": 5})


def test_bpi_scores() -> None:
    s = score_bpi_sf({"worst": 8, "least": 2, "average": 5, "now": 4, "general_activity": 6,
                      "mood": 4, "walking": 5, "normal_work": None, "relations": None, "sleep": None,
                      "enjoyment": None})
    assert s.severity == pytest.approx(4.75)  # (8+2+5+4)/4
    assert s.interference is None  # only 3 of 7 interference items answered (rule: ≥ 4)
    assert s.worst_pain == 8 and s.interference_items_answered == 3


def test_bpi_interference_needs_four_items() -> None:
    three = score_bpi_sf({"general_activity": 6, "mood": 4, "walking": 5})
    assert three.interference is None and three.severity is None
    four = score_bpi_sf({"general_activity": 6, "mood": 4, "walking": 5, "sleep": 1})
    assert four.interference == pytest.approx(4.0)  # (6+4+5+1)/4
    with pytest.raises(ValueError):
        score_bpi_sf({"worst": 11})


def test_msgs_answers_stored_not_scored() -> None:
    m = MsgsAnswers.from_mapping("P01", date(2025, 1, 1), {"Q2": 3, "Q1": None})
    assert m.answers == (("Q1", None), ("Q2", 3)) and m.answer("Q2") == 3
    assert not hasattr(m, "score")


def test_changes_at_week18_and_end_of_treatment() -> None:
    out = changes_from_baseline({"baseline": 100.0, "week 18": 92.5})
    assert [(c.visit, c.change) for c in out] == [("week 18", -7.5), ("end of treatment", None)]
