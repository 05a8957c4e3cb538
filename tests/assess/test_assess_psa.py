"""PCWG3 PSA outcomes.  Cases are constructed by hand from the rule texts in
``pcwg3.toml`` (PCWG3 Table 2 as summarised; PRODIGY-2, ReaLuP, RE-LuPSMA and ECOG 3 seeds);
every expected value is read off the constructed series, not recomputed."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.assess.outcome import Outcome
from lutetia.assess.psa import (
    PsaSample,
    consecutive_rises,
    psa_baseline,
    psa_category,
    psa_change_at_week12,
    psa_criteria,
    psa_decline_reached,
    psa_max_decline,
    psa_nadir,
    psa_progression,
    psa_response,
    rise_criteria,
)
from lutetia.errors import ProtocolError

D0 = date(2026, 1, 5)  # first administration


def series(*pairs: tuple[int, float]) -> list[PsaSample]:
    """(day relative to first dose, PSA ng/mL)."""
    return [PsaSample(D0 + timedelta(days=d), v) for d, v in pairs]


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def test_baseline_is_last_value_on_or_before_first_dose() -> None:
    s = series((-30, 80), (-3, 100), (0, 90), (10, 50))
    assert psa_baseline(s, D0) == PsaSample(D0, 90)
    assert psa_baseline(series((1, 10)), D0) is None


def test_nadir_includes_baseline_and_respects_end() -> None:
    s = series((0, 100), (30, 40), (60, 20), (90, 35))
    assert psa_nadir(s, D0) == PsaSample(day(60), 20)
    assert psa_nadir(s, D0, end=day(45)) == PsaSample(day(30), 40)
    assert psa_nadir(series((0, 10), (30, 20)), D0) == PsaSample(D0, 10)


def test_week12_change_and_max_decline_window() -> None:
    s = series((0, 100), (42, 60), (85, 45), (200, 20), (400, 5))
    assert psa_change_at_week12(s, D0) == pytest.approx(-55.0)
    assert psa_change_at_week12(series((0, 100), (120, 10)), D0) is None  # nothing near week 12
    assert psa_max_decline(s, D0) == (pytest.approx(-95.0), day(400))  # PCWG3: any time
    # PRODIGY-2: until 52 weeks (364 days) or another treatment, whichever first.
    assert psa_max_decline(s, D0, psa_criteria("prodigy2")) == (pytest.approx(-80.0), day(200))
    assert psa_max_decline(s, D0, psa_criteria("prodigy2"), end=day(100)) == (pytest.approx(-55.0), day(85))


def test_psa50_confirmed_three_weeks_later() -> None:
    s = series((0, 100), (28, 50), (49, 45))  # 50 % exactly at day 28, still ≥50 % 21 days later
    r = psa_response(s, D0)
    assert r.outcome is Outcome.MET and r.event_date == day(28) and r.confirmed_on == day(49)
    assert r.evidence.rules[0].id.startswith("pcwg3")


def test_psa50_not_confirmed_when_confirmation_too_early_or_fails() -> None:
    too_early = series((0, 100), (28, 40), (48, 45))  # only 20 days later
    assert psa_response(too_early, D0).outcome is Outcome.NOT_EVALUABLE
    fails = series((0, 100), (28, 40), (49, 55))
    assert psa_response(fails, D0).outcome is Outcome.NOT_MET
    assert psa_response(series((0, 100), (28, 51), (60, 50.01)), D0).outcome is Outcome.NOT_MET


def test_psa90_and_no_baseline() -> None:
    s = series((0, 100), (30, 10), (60, 8))
    assert psa_response(s, D0, 90.0).outcome is Outcome.MET
    pending = psa_response(series((0, 100), (30, 10.1), (60, 8)), D0, 90.0)  # 89.9 % then 92 % unconfirmed
    assert pending.outcome is Outcome.NOT_EVALUABLE and pending.event_date == day(60)
    assert psa_response(series((5, 10)), D0).outcome is Outcome.NOT_EVALUABLE


def test_progression_after_decline_uses_nadir_and_first_rise_date() -> None:
    # nadir 8 at day 60; +25 % and +2 ng/mL -> 10 qualifies (both at the boundary, "≥").
    s = series((0, 20), (30, 12), (60, 8), (90, 10), (111, 11))
    r = psa_progression(s, D0)
    assert r.outcome is Outcome.MET and r.event_date == day(90) and r.confirmed_on == day(111)


def test_prodigy2_strict_comparator_at_the_boundary() -> None:
    s = series((0, 20), (30, 12), (60, 8), (90, 10), (111, 10))
    assert psa_progression(s, D0).outcome is Outcome.MET  # PCWG3: ≥25 % and ≥2 ng/mL
    assert psa_progression(s, D0, psa_criteria("prodigy2")).outcome is Outcome.NOT_MET  # ">"
    above = series((0, 20), (30, 12), (60, 8), (90, 10.1), (111, 10.2))
    assert psa_progression(above, D0, psa_criteria("prodigy2")).outcome is Outcome.MET


def test_progression_needs_both_relative_and_absolute_rise() -> None:
    # nadir 1.0: 1.5 is +50 % but only +0.5 ng/mL -> no progression
    s = series((0, 4), (30, 1.0), (60, 1.5), (90, 1.6))
    assert psa_progression(s, D0).outcome is Outcome.NOT_MET


def test_progression_without_decline_only_after_12_weeks() -> None:
    early = series((0, 10), (28, 14), (56, 15))  # rise before week 12 is ignored
    assert psa_progression(early, D0).outcome is Outcome.NOT_MET
    late = series((0, 10), (28, 14), (84, 15), (105, 16))
    r = psa_progression(late, D0)
    assert r.outcome is Outcome.MET and r.event_date == day(84)
    unconfirmed = series((0, 10), (84, 15), (95, 16))
    assert psa_progression(unconfirmed, D0).outcome is Outcome.NOT_EVALUABLE


def test_unconfirmed_rise_that_falls_back_is_not_progression() -> None:
    s = series((0, 20), (30, 8), (60, 11), (81, 9), (120, 9.5))
    assert psa_progression(s, D0).outcome is Outcome.NOT_MET


def test_ecog3_categories() -> None:
    assert psa_category(series((0, 100), (40, 50)), D0) == ("PR", pytest.approx(-50.0))
    assert psa_category(series((0, 100), (40, 125)), D0)[0] == "PD"
    assert psa_category(series((0, 100), (40, 124), (80, 51)), D0)[0] == "SD"
    assert psa_category(series((0, 100)), D0) == ("NE", None)


def test_consecutive_rises_realup_and_relupsma() -> None:
    realup, relupsma = rise_criteria("realup"), rise_criteria("relupsma")
    s = series((0, 1.0), (7, 1.5), (14, 2.0))  # two rises exactly 1 week apart
    r = consecutive_rises(s, realup)
    assert r.outcome is Outcome.MET and r.event_date == day(0) and r.confirmed_on == day(14)
    assert consecutive_rises(s, relupsma).outcome is Outcome.NOT_MET  # needs ≥3 weeks
    assert consecutive_rises(series((0, 1.0), (21, 1.5), (42, 2.0)), relupsma).outcome is Outcome.MET
    assert consecutive_rises(series((0, 1.0), (6, 1.5), (14, 2.0)), realup).outcome is Outcome.NOT_MET
    low = series((0, 0.2), (7, 0.5), (14, 0.9))  # ReaLuP: screening PSA must be ≥1 ng/mL
    assert consecutive_rises(low, realup).outcome is Outcome.NOT_MET
    assert consecutive_rises(series((0, 1), (7, 2)), realup).outcome is Outcome.NOT_EVALUABLE


def test_unknown_criteria_set() -> None:
    with pytest.raises(ProtocolError, match="known"):
        psa_criteria("vision")


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0.1, 500), min_size=2, max_size=12), seed=st.integers(0, 10_000))
def test_results_independent_of_row_order(values: list[float], seed: int) -> None:
    s = [PsaSample(day(i * 21), v) for i, v in enumerate(values)]
    shuffled = s[:]
    random.Random(seed).shuffle(shuffled)
    for crit in ("pcwg3", "prodigy2"):
        c = psa_criteria(crit)
        assert psa_progression(s, D0, c) == psa_progression(shuffled, D0, c)
        assert psa_response(s, D0, 50.0, c) == psa_response(shuffled, D0, 50.0, c)
        assert psa_max_decline(s, D0, c) == psa_max_decline(shuffled, D0, c)


@pytest.mark.parametrize(("change_pct", "met"), [(-49.99, False), (-50.0, True), (-50.01, True), (10.0, False)])
def test_psa50_single_value_boundary(change_pct: float, met: bool) -> None:
    """PCWG3 PSA50: a decline of at least 50 % (ADRS PSA50U, unconfirmed): below / at / above."""
    assert psa_decline_reached(change_pct) is met
