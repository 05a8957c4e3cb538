"""Visit calendars: PRODIGY-2 cycles, day-3 SPECT, week-12 FDG, PROs; FLEX-MRT holiday
surveillance every 12 weeks; ReaLuP follow-up periods."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lutetia.decide import build_schedule
from lutetia.protocols import load_protocol
from lutetia.records import ProAnswer

from .builders import PID, enrolment, given, kidney_scan, panel, record, spect

C1, C2 = date(2025, 1, 6), date(2025, 2, 17)


def _prodigy(on: date) -> dict[str, object]:
    rec = record(administrations=[given(1, C1, protocol="prodigy-2"), given(2, C2, protocol="prodigy-2")],
                 labs=[*panel(date(2024, 12, 31)), *panel(date(2025, 2, 14))],
                 imaging=[spect("S1", date(2025, 1, 8), 1, 100.0)])
    return {(v.label, v.due): v for v in build_schedule(rec, load_protocol("prodigy-2"), "personalised", on)}


def test_prodigy2_cycles_follow_the_actual_administrations() -> None:
    visits = _prodigy(date(2025, 3, 31))
    assert visits[("cycle 1", C1)].status == "done"
    assert visits[("cycle 2", C2)].status == "done"
    c3 = visits[("cycle 3", C2 + timedelta(weeks=6))]
    assert c3.status == "due" and (c3.earliest, c3.latest) == (date(2025, 3, 24), date(2025, 4, 7))
    assert len([k for k in visits if k[0].startswith("cycle")]) == 6


def test_prodigy2_assessments_with_status() -> None:
    visits = _prodigy(date(2025, 3, 31))
    spect1 = visits[("prodigy2.post-therapy-spect", date(2025, 1, 8))]  # SPECT recorded, no kidney dosimetry
    assert spect1.status == "overdue" and spect1.missing_items == ("renal dosimetry",)
    assert visits[("prodigy2.post-therapy-spect", date(2025, 2, 19))].status == "overdue"
    assert visits[("prodigy2.labs-before-cycle", C2)].done_on == date(2025, 2, 14)
    assert visits[("prodigy2.fdg-pet", C1 + timedelta(weeks=12))].status == "due"
    assert visits[("prodigy2.pro-baseline", C1)].status == "overdue"
    assert visits[("prodigy2.pro-18-weeks", C1 + timedelta(weeks=18))].status == "upcoming"
    assert not any(k[0] == "prodigy2.pro-end-of-treatment" for k in visits)  # treatment not ended


def test_flex_holiday_surveillance_every_12_weeks_and_no_cycles_while_on_holiday() -> None:
    rec = record(administrations=[given(1, C1, protocol="flex-mrt"), given(2, C2, protocol="flex-mrt")])
    start = date(2025, 3, 31)
    visits = build_schedule(rec, load_protocol("flex-mrt"), "flexible", date(2025, 6, 30), holiday_start=start)
    surveillance = [v for v in visits if v.rule_id == "flex.holiday-surveillance"]
    assert [v.due for v in surveillance][:2] == [start + timedelta(weeks=12), start + timedelta(weeks=24)]
    assert surveillance[0].status == "due"
    assert [v.label for v in visits if v.label.startswith("cycle")] == ["cycle 1", "cycle 2"]
    assert not any(v.rule_id == "flex.labs-on-treatment" and v.due > start for v in visits)
    assert any(v.rule_id == "flex.labs-after-treatment" and v.due > start for v in visits)


def test_realup_follow_up_periods_after_the_last_dose() -> None:
    admins = [given(n + 1, C1 + timedelta(weeks=6 * n), protocol="realup") for n in range(6)]
    rec = record(administrations=admins, enrolments=[enrolment("realup", "retreatment", date(2024, 12, 20))])
    last = admins[-1].administered_at.date()
    visits = {v.rule_id: v for v in build_schedule(rec, load_protocol("realup"), "retreatment", date(2026, 1, 5))}
    assert visits["realup.follow-up"].status == "in period"
    assert visits["realup.long-term-follow-up"].earliest == last + timedelta(days=round(9 * 30.436875, 6))



def test_the_calendar_on_a_past_date_ignores_later_administrations() -> None:
    visits = _prodigy(C2 - timedelta(days=1))  # cycle 2 (given 2025-02-17) is not known yet
    assert visits[("cycle 1", C1)].status == "done"
    c2 = visits[("cycle 2", C2)]
    assert c2.status == "due" and c2.done_on is None


def test_a_cycle_given_outside_its_window_is_marked() -> None:
    # cycle 2 due 2025-02-17 ± 1 week; given 2025-03-03 (2 weeks late)
    late = date(2025, 3, 3)
    rec = record(administrations=[given(1, C1, protocol="prodigy-2"), given(2, late, protocol="prodigy-2")],
                 labs=[*panel(date(2024, 12, 31))])
    visits = {v.label: v for v in build_schedule(rec, load_protocol("prodigy-2"), "personalised", date(2025, 3, 10))}
    assert visits["cycle 2"].status == "done outside window" and visits["cycle 2"].done_on == late


def test_a_visit_is_done_only_when_each_of_its_items_is_recorded() -> None:
    rec = record(administrations=[given(1, C1, protocol="prodigy-2")], labs=[*panel(date(2024, 12, 31))],
                 imaging=[spect("S1", date(2025, 1, 8), 1, 100.0)], dosimetry=[kidney_scan(1, 100.0, 48.0)],
                 pro_answers=[ProAnswer(patient_id=PID, instrument="eq5d5l", item="mobility", answered_on=C1,
                                        value="1")])
    def on(day: date) -> dict[tuple[str, date], Any]:
        return {(v.label, v.due): v for v in build_schedule(rec, load_protocol("prodigy-2"), "personalised", day)}

    assert on(date(2025, 1, 10))[("prodigy2.post-therapy-spect", date(2025, 1, 8))].status == "done"
    pro = on(C1)[("prodigy2.pro-baseline", C1)]  # EQ-5D-5L alone, window C1 − 14 d to C1
    assert pro.status == "partly done" and pro.missing_items == ("FACT-P", "BPI-SF", "MSGS")
    late = on(date(2025, 1, 10))[("prodigy2.pro-baseline", C1)]
    assert late.status == "overdue" and late.missing_items == ("FACT-P", "BPI-SF", "MSGS")
