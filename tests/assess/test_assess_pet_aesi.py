"""RECIP 1.0 (Gafita 2022 definition as on recip-criteria.com), PRODIGY-2 FDG categories
(seed 000), PERCIST 1.0 (Wahl 2009, as tabulated in J Cancer 2010;1:80 Table 3), SPECT MTV
(PRODIGY-2 / FLEX-MRT seeds) and PRODIGY-2 AESIs.  Cases hand-built from the rule texts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lutetia.assess.aesi import (
    AdverseEvent,
    febrile_neutropenia_g4,
    non_haematological_g4,
    persistent_creatinine_rise,
    persistent_cytopenia,
)
from lutetia.assess.ctcae import LabValue, ctcae_grade
from lutetia.assess.outcome import Outcome
from lutetia.assess.pet import (
    SpectScan,
    fdg_response_prodigy2,
    percist_response,
    recip_response,
    spect_mtv_response,
)

D0 = date(2026, 1, 5)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


@pytest.mark.parametrize(
    ("base", "follow", "new", "uptake", "expected"),
    [
        (100, 70, False, True, "PR"),   # -30 % exactly, no new lesions
        (100, 70.1, False, True, "SD"),
        (100, 50, True, True, "SD"),    # ≥30 % decline with new lesions
        (100, 120, True, True, "PD"),   # +20 % exactly and new lesions
        (100, 119.9, True, True, "SD"),
        (100, 200, False, True, "SD"),  # ≥20 % rise without new lesions
        (100, 0, False, False, "CR"),   # no PSMA uptake at all
        (None, 50, False, True, "NE"),
        (100, 50, None, True, "NE"),
    ],
)
def test_recip(base: float | None, follow: float | None, new: bool | None, uptake: bool, expected: str) -> None:
    assert recip_response(base, follow, new, any_uptake=uptake)[0] == expected


@pytest.mark.parametrize(
    ("base", "follow", "gone", "expected"),
    [(10, 7, False, "PMR"), (10, 7.01, False, "SMD"), (10, 13, False, "PMD"), (10, 12.99, False, "SMD"),
     (10, 5, True, "CMR"), (None, 5, False, "NE")],
)
def test_fdg_prodigy2(base: float | None, follow: float | None, gone: bool, expected: str) -> None:
    assert fdg_response_prodigy2(base, follow, gone)[0] == expected


def test_percist_needs_absolute_sul_change() -> None:
    # -40 % but only 0.4 SUL lower: not PMR under PERCIST (PRODIGY-2 categories would say PMR).
    assert percist_response(1.0, 0.6, new_lesions=False)[0] == "SMD"
    assert fdg_response_prodigy2(1.0, 0.6, False)[0] == "PMR"
    assert percist_response(10.0, 7.0, new_lesions=False)[0] == "PMR"   # -30 %, -3.0 SUL
    assert percist_response(10.0, 7.1, new_lesions=False)[0] == "SMD"
    assert percist_response(10.0, 13.0, new_lesions=False)[0] == "SMD"  # PMD needs >30 %
    assert percist_response(10.0, 13.1, new_lesions=False)[0] == "PMD"
    assert percist_response(10.0, 5.0, new_lesions=True)[0] == "PMD"
    assert percist_response(10.0, 0.5, new_lesions=False, complete_resolution=True)[0] == "CMR"
    # not measurable at baseline: 2.0 < 1.5 x 1.2 + 2 x 0.3 = 2.4
    assert percist_response(2.0, 1.0, new_lesions=False, liver_mean_sul=1.2, liver_sd_sul=0.3)[0] == "NE"


def test_spect_mtv_best_response_and_holiday_baseline() -> None:
    scans = [SpectScan(day(3), 1, 3, 200.0), SpectScan(day(45), 2, 3, 150.0), SpectScan(day(87), 3, 3, 100.0),
             SpectScan(day(300), 4, 3, 160.0, resumed=True), SpectScan(day(342), 5, 3, 120.0),
             SpectScan(day(4), 1, 1, 999.0)]  # day-1 scan ignored
    r = spect_mtv_response(scans)  # FLEX-MRT default: cycle-1 stays the baseline
    assert r.baseline is not None and r.baseline.mtv_ml == 200.0
    assert r.best_change_pct == pytest.approx(-50.0) and r.best_date == day(87)
    assert r.changes[-1] == (day(342), pytest.approx(-40.0))
    rb = spect_mtv_response(scans, rebaseline_after_holiday=True)
    assert rb.changes[-1] == (day(342), pytest.approx(-25.0))  # 120 vs 160 at resumption
    assert spect_mtv_response([SpectScan(day(45), 2, 3, 150.0)]).best_change_pct is None


def plt(d: int, v: float):  # type: ignore[no-untyped-def]
    return ctcae_grade(LabValue("platelets", v, "10^9/L", 150, date=day(d)))


def test_persistent_thrombocytopenia_more_than_12_weeks() -> None:
    exactly = [plt(0, 200), plt(21, 40), plt(63, 30), plt(105, 45), plt(126, 120)]  # 21 -> 105 = 84 days
    assert persistent_cytopenia(exactly, "thrombocytopenia").outcome is Outcome.NOT_MET
    longer = [plt(0, 200), plt(21, 40), plt(63, 30), plt(106, 45), plt(126, 120)]  # 85 days
    r = persistent_cytopenia(longer, "thrombocytopenia")
    assert r.outcome is Outcome.MET and (r.start, r.end) == (day(21), day(106))
    broken = [plt(21, 40), plt(50, 80), plt(106, 45), plt(130, 140)]  # grade 2 in between breaks the run
    assert persistent_cytopenia(broken, "thrombocytopenia").outcome is Outcome.NOT_MET
    ongoing = [plt(21, 40), plt(60, 30)]
    assert persistent_cytopenia(ongoing, "thrombocytopenia").outcome is Outcome.NOT_EVALUABLE


def test_persistent_creatinine_rise() -> None:
    vals = [(day(0), 80.0), (day(30), 170.0), (day(80), 180.0), (day(120), 175.0)]  # 30 -> 120 = 90 days
    r = persistent_creatinine_rise(vals, baseline=80.0, uln=110.0)
    assert r.outcome is Outcome.MET and r.start == day(30)
    # >2x baseline but not >ULN: no AESI
    assert persistent_creatinine_rise(vals, baseline=80.0, uln=200.0).outcome is Outcome.NOT_MET
    assert persistent_creatinine_rise(vals, baseline=None, uln=110.0).outcome is Outcome.NOT_EVALUABLE
    at_2x = [(day(30), 160.0), (day(120), 160.0)]  # exactly 2x baseline is not ">2x"
    assert persistent_creatinine_rise(at_2x, baseline=80.0, uln=110.0).outcome is Outcome.NOT_MET


def test_event_aesis() -> None:
    aes = [AdverseEvent("Febrile neutropenia", 3, day(10), True), AdverseEvent("Fatigue", 3, day(12), False),
           AdverseEvent("Febrile neutropenia", 4, day(40), True), AdverseEvent("Sepsis", 4, day(41), False),
           AdverseEvent("Platelet count decreased", 4, day(5), True)]
    fn = febrile_neutropenia_g4(aes)
    assert fn.outcome is Outcome.MET and fn.start == day(40)
    nh = non_haematological_g4(aes)
    assert nh.outcome is Outcome.MET and nh.start == day(41)
    assert non_haematological_g4(aes[:2]).outcome is Outcome.NOT_MET
