"""Endpoint derivation scenarios with hand-worked event and censoring dates.

Expected values are worked by hand from the protocol texts (seeds 000 PRODIGY-2, 003
RE-LuPSMA) and PCWG3 (Scher 2016): the dates and day counts are written beside each case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lutetia.analysis.endpoints import (
    activity_summary,
    landmark_alive,
    psa_endpoints,
    time_to_event,
)
from lutetia.assess.outcome import Outcome
from lutetia.protocols import load_protocol
from lutetia.records import (
    Administration,
    ClinicalEvent,
    Enrolment,
    LabResult,
    Patient,
    build_record,
)

P = Patient(patient_id="E-1", sex="male", birth_year=1950)
START = date(2025, 1, 6)


def _admins(n: int = 2) -> list[Administration]:
    days = [datetime(2025, 1, 6, 9, tzinfo=UTC), datetime(2025, 2, 17, 9, tzinfo=UTC)]  # 6 weeks apart
    return [Administration(patient_id="E-1", cycle=i + 1, protocol_id="prodigy-2", activity_gbq=7.4,
                           residual_gbq=0.1, administered_at=days[i]) for i in range(n)]


def _psa(*pairs: tuple[date, float]) -> list[LabResult]:
    return [LabResult(patient_id="E-1", analyte="psa", sampled_on=d, value=v, unit="ng/mL") for d, v in pairs]


def _endpoint(protocol: str, endpoint_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in load_protocol(protocol).endpoints if e.id == endpoint_id)


def test_os_event_days() -> None:
    death = ClinicalEvent(patient_id="E-1", event_id="D", kind="death", event_date=date(2025, 7, 6))
    rec = build_record(P, {"administrations": _admins(), "events": [death]})
    tte = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.os"), protocol_id="prodigy-2")
    assert tte is not None
    # 2025-01-06 → 2025-07-06 = 25 + 28 + 31 + 30 + 31 + 30 + 6 = 181 days
    assert (tte.event, tte.event_kind, tte.days) == (True, "death", 181)
    assert landmark_alive(tte, 12) is False and landmark_alive(tte, 3) is True


def test_prodigy2_strict_comparator_versus_pcwg3() -> None:
    # baseline 10 (03 Jan), nadir 4.0 (14 Feb), then 6.0 twice, 28 days apart.
    # 6.0 is +50 % and +2.0 ng/mL above nadir: PCWG3 "≥2 ng/mL" qualifies; PRODIGY-2's
    # "greater than 2 ng/ml" does not -> no PSA progression under PRODIGY-2.
    labs = _psa((date(2025, 1, 3), 10.0), (date(2025, 2, 14), 4.0), (date(2025, 4, 4), 6.0), (date(2025, 5, 2), 6.0))
    rec = build_record(P, {"administrations": _admins(), "labs": labs})
    prodigy = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.psa-pfs"), protocol_id="prodigy-2")
    assert prodigy is not None and not prodigy.event
    assert prodigy.censor_reason == "last_contact" and prodigy.end == date(2025, 5, 2)
    relu = _endpoint("re-lupsma", "relu.ep.biochemical-pfs")
    from lutetia.analysis.endpoints import criteria_for

    pcwg3 = time_to_event(rec, relu, psa=criteria_for(None))
    assert pcwg3 is not None and pcwg3.event and pcwg3.end == date(2025, 4, 4)  # 88 days after 06 Jan
    assert pcwg3.days == 88


def test_censored_at_next_anticancer_treatment() -> None:
    labs = _psa((date(2025, 1, 3), 10.0), (date(2025, 2, 14), 4.0), (date(2025, 4, 4), 9.0), (date(2025, 5, 2), 9.5))
    therapy = ClinicalEvent(patient_id="E-1", event_id="T", kind="new_anticancer_therapy", therapy="cabazitaxel",
                            event_date=date(2025, 3, 20))
    rec = build_record(P, {"administrations": _admins(), "labs": labs, "events": [therapy]})
    tte = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.psa-pfs"), protocol_id="prodigy-2")
    # the qualifying rise (04 Apr) comes after cabazitaxel started (20 Mar): censored on 20 Mar, day 73
    assert tte is not None and (tte.event, tte.censor_reason, tte.days) == (False, "next_anticancer_treatment", 73)


def test_data_cutoff_censors_later_events() -> None:
    death = ClinicalEvent(patient_id="E-1", event_id="D", kind="death", event_date=date(2026, 3, 1))
    rec = build_record(P, {"administrations": _admins(), "events": [death]})
    tte = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.os"), protocol_id="prodigy-2",
                        cutoff=date(2025, 12, 31))
    assert tte is not None and (tte.event, tte.end, tte.censor_reason) == (False, date(2025, 12, 31), "data_cutoff")


def test_best_psa_window_and_psa50() -> None:
    # baseline 20 → 8 (−60 %, 14 Feb) → 9 (21 Mar, confirms ≥50 % decline 35 days later) → 2 after new therapy
    labs = _psa((date(2025, 1, 3), 20.0), (date(2025, 2, 14), 8.0), (date(2025, 3, 21), 9.0), (date(2025, 6, 1), 2.0))
    therapy = ClinicalEvent(patient_id="E-1", event_id="T", kind="new_anticancer_therapy", therapy="olaparib",
                            event_date=date(2025, 5, 1))
    rec = build_record(P, {"administrations": _admins(), "labs": labs, "events": [therapy]})
    res = psa_endpoints(rec, protocol_id="prodigy-2")
    assert res is not None
    assert res.best_change_pct == pytest.approx(-60.0) and res.best_change_date == date(2025, 2, 14)
    assert res.psa50 is Outcome.MET and res.psa50_date == date(2025, 2, 14)
    assert res.category == "PR"


def test_activity_summary_uses_net_activity() -> None:
    enrol = Enrolment(patient_id="E-1", protocol_id="prodigy-2", arm="personalised", enrolled_on=date(2025, 1, 1))
    rec = build_record(P, {"administrations": _admins(), "enrolments": [enrol]})
    s = activity_summary(rec, "prodigy-2")
    assert (s.arm, s.cycles) == ("personalised", 2)
    assert s.cumulative_gbq == pytest.approx(14.6)  # 2 × (7.4 − 0.1)
    assert s.mean_per_cycle_gbq == pytest.approx(7.3)
