"""Scenario tests for the PSA-based and re-treatment endpoints (issue 12 §3 "Endpoints").

Expected dates are worked by hand from the seed texts, quoted beside each case:

* ECOG 3 (seed 004, Methods): "Progression-free survival (PFS) was measured from the
  initiation of RLT to the occurrence of either documented progression (PSA increase >25%),
  death, or the last study visit."  -> a rise of more than 25 % from the *baseline* PSA,
  no absolute rise, no confirmation, no nadir.
* PRODIGY-2 (seed 000, PSA-PFS): "an increase in PSA greater than 25%, and greater than
  2 ng/ml, above nadir, confirmed at least 3 weeks later."  -> no PCWG3 12-week rule.
* RE-LuPSMA (seed 003): "12-month OS measured from the start of re-challenge therapy."
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lutetia.analysis.endpoints import (
    landmark_alive,
    protocol_administrations,
    time_to_event,
    treatment_start,
)
from lutetia.assess import psa_criteria
from lutetia.decide.facts import compute_fact
from lutetia.decide.model import Context
from lutetia.protocols import Condition, load_protocol
from lutetia.records import (
    Administration,
    ClinicalEvent,
    Enrolment,
    LabResult,
    Patient,
    build_record,
)

P = Patient(patient_id="S-1", sex="male", birth_year=1950)
START = date(2025, 1, 6)


def _admin(day: date, cycle: int, protocol_id: str | None) -> Administration:
    return Administration(patient_id="S-1", cycle=cycle, protocol_id=protocol_id, activity_gbq=7.4,
                          administered_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def _psa(*pairs: tuple[date, float]) -> list[LabResult]:
    return [LabResult(patient_id="S-1", analyte="psa", sampled_on=d, value=v, unit="ng/mL") for d, v in pairs]


def _endpoint(protocol: str, endpoint_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in load_protocol(protocol).endpoints if e.id == endpoint_id)


def _record(protocol: str, labs: list[LabResult], **extra: list) -> object:  # type: ignore[type-arg]
    children = {"administrations": [_admin(START, 1, protocol)], "labs": labs,
                "enrolments": [Enrolment(patient_id="S-1", protocol_id=protocol, enrolled_on=date(2025, 1, 2))]}
    children.update(extra)
    return build_record(P, children)  # type: ignore[arg-type]


# ---------------------------------------------------------------- ECOG 3 PFS
ECOG3_SERIES = ((date(2025, 1, 3), 10.0), (date(2025, 2, 3), 7.0), (date(2025, 3, 3), 9.0),
                (date(2025, 3, 31), 12.5), (date(2025, 4, 28), 12.6))


def test_ecog3_pfs_is_a_rise_above_25_percent_of_baseline_not_pcwg3_nadir() -> None:
    # Baseline 10.0.  9.0 is +28.6 % and +2.0 ng/mL above the nadir 7.0 (PCWG3 progression on
    # 03 Mar, confirmed 31 Mar) but only -10 % from baseline: not an ECOG 3 progression.
    # 12.5 is exactly +25 % (at the cut-off, ">" fails); 12.6 is +26 % (above): event on
    # 28 Apr = 25 + 28 + 31 + 28 = 112 days after 06 Jan.
    rec = _record("ecog3-registry", _psa(*ECOG3_SERIES))
    tte = time_to_event(rec, _endpoint("ecog3-registry", "ecog3.ep.pfs"), protocol_id="ecog3-registry")
    assert tte is not None and (tte.event, tte.end, tte.days) == (True, date(2025, 4, 28), 112)
    pcwg3 = time_to_event(rec, _endpoint("ecog3-registry", "ecog3.ep.pfs"), protocol_id="ecog3-registry",
                          psa=psa_criteria("pcwg3").progression_rule())
    assert pcwg3 is not None and pcwg3.end == date(2025, 3, 3)  # the defect this test guards


@pytest.mark.parametrize(("value", "event"), [(12.49, False), (12.5, False), (12.51, True)])
def test_ecog3_pfs_boundary_at_25_percent(value: float, event: bool) -> None:
    # Baseline 10.0: below / at / just above the 25 % cut-off on 03 Feb (28 days, no 12-week wait).
    rec = _record("ecog3-registry", _psa((date(2025, 1, 3), 10.0), (date(2025, 2, 3), value)))
    tte = time_to_event(rec, _endpoint("ecog3-registry", "ecog3.ep.pfs"), protocol_id="ecog3-registry")
    assert tte is not None and tte.event is event
    assert tte.end == date(2025, 2, 3)  # event date, or censored at the last visit (the same day)


# ---------------------------------------------------------------- PRODIGY-2 PSA-PFS
def test_prodigy2_psa_pfs_has_no_pcwg3_12_week_rule() -> None:
    # No decline: baseline 10.0 is the nadir.  03 Feb (28 days) 12.6 is +26 % and +2.6 ng/mL
    # (> 25 % and > 2 ng/mL) and 03 Mar (28 days later, >= 21) 12.8 confirms it: event on
    # 03 Feb, 28 days.  PCWG3 ignores rises before week 12 without a decline.
    rec = _record("prodigy-2", _psa((date(2025, 1, 3), 10.0), (date(2025, 2, 3), 12.6), (date(2025, 3, 3), 12.8)))
    tte = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.psa-pfs"), protocol_id="prodigy-2")
    assert tte is not None and (tte.event, tte.end, tte.days) == (True, date(2025, 2, 3), 28)


@pytest.mark.parametrize(("second", "event"), [(12.49, False), (12.5, False), (12.51, True)])
def test_prodigy2_psa_pfs_boundary_at_25_percent_strict(second: float, event: bool) -> None:
    # 12.5 is exactly +25 % (and +2.5 ng/mL): "greater than 25%" fails at the cut-off.
    rec = _record("prodigy-2", _psa((date(2025, 1, 3), 10.0), (date(2025, 2, 3), second), (date(2025, 3, 3), 13.0)))
    tte = time_to_event(rec, _endpoint("prodigy-2", "prodigy2.ep.psa-pfs"), protocol_id="prodigy-2")
    assert tte is not None and tte.event is event
    assert tte.end == (date(2025, 2, 3) if event else date(2025, 3, 3))


HAND_SERIES = ((date(2025, 1, 3), 10.0), (date(2025, 2, 14), 4.0), (date(2025, 3, 7), 6.0),
               (date(2025, 4, 4), 6.1), (date(2025, 5, 2), 6.5))


@pytest.mark.parametrize("protocol_id", ["prodigy-2", "ecog3-registry", "re-lupsma", "flex-mrt", "realup"])
def test_engine_fact_and_analysis_give_the_same_psa_progression_date(protocol_id: str) -> None:
    # Hand series: nadir 4.0 on 14 Feb.  PRODIGY-2 (">25 % and >2 ng/mL, confirmed >=3 weeks"):
    # 6.0 is +2.0 ng/mL (not > 2), 6.1 on 04 Apr is +52.5 % and +2.1 ng/mL, 6.5 on 02 May
    # (28 days later) confirms -> 04 Apr.  The engine's psa_progression fact (evaluated on
    # 10 May) must give the same date as the analysis for every protocol.
    protocol = load_protocol(protocol_id)
    rec = _record(protocol_id, _psa(*HAND_SERIES))
    leaf = Condition(fact="psa_progression", op="is_true")
    ctx = Context(record=rec, protocol=protocol, on=date(2025, 5, 10), baseline_date=START)  # type: ignore[arg-type]
    fact = compute_fact(ctx, leaf)
    endpoint = next(e for e in protocol.endpoints if e.kind == "time_to_event" and "psa_progression" in e.events)
    tte = time_to_event(rec, endpoint, protocol_id=protocol_id, cutoff=date(2025, 5, 10))
    assert tte is not None
    assert (fact.value is True) is tte.event
    if tte.event:
        assert fact.on == tte.end
    if protocol_id == "prodigy-2":
        assert tte.end == date(2025, 4, 4)


@pytest.mark.parametrize(("protocol_id", "psa_set"), [("prodigy-2", "prodigy2"), ("ecog3-registry", "ecog3")])
def test_protocol_definition_matches_the_named_psa_set(protocol_id: str, psa_set: str) -> None:
    # The protocol file and assess/criteria/pcwg3.toml state the same seed definition.
    definition = load_protocol(protocol_id).psa_progression
    assert definition is not None
    assert definition.rule() == psa_criteria(psa_set).progression_rule()


# ---------------------------------------------------------------- re-treatment origin
def _retreatment_record(protocol_id: str, *, with_retreatment: bool = True) -> object:
    first = [_admin(date(2023, 1, 9), 1, None), _admin(date(2023, 2, 20), 2, None), _admin(date(2023, 4, 3), 3, None)]
    again = [_admin(date(2024, 9, 10), 4, None), _admin(date(2024, 10, 22), 5, None)] if with_retreatment else []
    death = ClinicalEvent(patient_id="S-1", event_id="D", kind="death", event_date=date(2025, 9, 5))
    return build_record(P, {
        "administrations": first + again, "events": [death],
        "enrolments": [Enrolment(patient_id="S-1", protocol_id=protocol_id, enrolled_on=date(2024, 9, 1))]})


def test_relupsma_12_month_os_origin_is_the_first_retreatment_administration() -> None:
    # Untagged administrations numbered on (cycles 4-5, course not recorded): the first course
    # (2023) precedes the enrolment (01 Sep 2024);
    # the re-challenge starts 10 Sep 2024.  Death 05 Sep 2025 = 360 days later (20 + 31 + 30
    # + 31 + 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 5), within 12 months (365.25 days):
    # not alive at 12 months.  From the 2023 course it would be 970 days.
    rec = _retreatment_record("re-lupsma")
    assert treatment_start(rec, "re-lupsma") == date(2024, 9, 10)  # type: ignore[arg-type]
    assert len(protocol_administrations(rec, "re-lupsma")) == 2  # type: ignore[arg-type]
    tte = time_to_event(rec, _endpoint("re-lupsma", "relu.ep.os-12-months"), protocol_id="re-lupsma")  # type: ignore[arg-type]
    assert tte is not None and (tte.origin, tte.days, tte.event) == (date(2024, 9, 10), 360, True)
    assert landmark_alive(tte, 12) is False


def test_enrolled_but_not_yet_retreated_has_no_origin() -> None:
    rec = _retreatment_record("re-lupsma", with_retreatment=False)
    assert treatment_start(rec, "re-lupsma") is None  # type: ignore[arg-type]
    assert time_to_event(rec, _endpoint("re-lupsma", "relu.ep.os-12-months"), protocol_id="re-lupsma") is None  # type: ignore[arg-type]


def test_realup_time_to_event_endpoints_start_at_the_retreatment() -> None:
    # ReaLuP's record lists no outcome measures; its PFS and OS (project defaults read from
    # the Brief Summary) start at the first re-treatment administration, 10 Sep 2024.
    # A radiographic progression on 10 Mar 2025 = 20 + 31 + 30 + 31 + 31 + 28 + 10 = 181 days.
    rec = _retreatment_record("realup")
    prog = ClinicalEvent(patient_id="S-1", event_id="P", kind="progression", progression_kind="radiographic",
                         event_date=date(2025, 3, 10))
    rec = build_record(P, {"administrations": list(rec.administrations), "enrolments": list(rec.enrolments),  # type: ignore[attr-defined]
                           "events": [*rec.events, prog]})  # type: ignore[attr-defined]
    protocol = load_protocol("realup")
    ids = [e.id for e in protocol.endpoints if e.kind == "time_to_event"]
    assert ids == ["realup.ep.pfs", "realup.ep.os"]
    pfs = time_to_event(rec, _endpoint("realup", "realup.ep.pfs"), protocol_id="realup")
    assert pfs is not None and (pfs.origin, pfs.days, pfs.event_kind) == (date(2024, 9, 10), 181,
                                                                         "radiological_progression")
    os_ = time_to_event(rec, _endpoint("realup", "realup.ep.os"), protocol_id="realup")
    assert os_ is not None and (os_.days, os_.event) == (360, True)


@pytest.mark.parametrize(("offset", "origin"), [(-1, date(2024, 9, 10)), (0, date(2024, 9, 1)),
                                                (1, date(2024, 9, 2))])
def test_untagged_administration_counts_from_the_enrolment_day(offset: int, origin: date) -> None:
    # Enrolled 01 Sep 2024: an untagged administration the day before belongs to the earlier
    # course, one on the enrolment day or later to the re-treatment.
    from datetime import timedelta

    extra = _admin(date(2024, 9, 1) + timedelta(days=offset), 9, None)
    rec = _retreatment_record("re-lupsma")
    rec = build_record(P, {"administrations": [*rec.administrations, extra],  # type: ignore[attr-defined]
                           "enrolments": list(rec.enrolments), "events": list(rec.events)})  # type: ignore[attr-defined]
    assert treatment_start(rec, "re-lupsma") == origin
