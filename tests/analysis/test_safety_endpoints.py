"""PRODIGY-2 safety count endpoints, written from the registry text (seed 000), quoted:

* subacute AESIs: "treatment-related grade 3-4 thrombopenia persisting more than 12 weeks
  [...]", "From first administration to the end of treatment (each cycle is 6 weeks, up to
  6 cycles)" -> window = last administration + 6 weeks (protocol note, project reading);
* AEs: "from the first administration [...] until 6 weeks after the last administration
  [...] or prior to the initiation of subsequent anticancer treatment";
* laboratory AEs: "from the first administration [...] until progression or until the
  initiation of subsequent anticancer treatment if earlier";
* delayed AESIs: "renal impairment and secondary hematological malignancies [...] until death".

Dates are worked by hand: first administration 06 Jan 2025, last 17 Feb 2025, so the
6-week windows close on 31 Mar 2025 (17 Feb + 42 days = 11 + 31 days into March).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lutetia.analysis.safety import (
    adverse_events,
    count_endpoint,
    delayed_aesi,
    laboratory_adverse_events,
    observation_window,
    subacute_aesi,
)
from lutetia.assess.outcome import Outcome
from lutetia.protocols import load_protocol
from lutetia.records import (
    Administration,
    AdverseEvent,
    ClinicalEvent,
    Enrolment,
    LabResult,
    Patient,
    build_record,
)

P = Patient(patient_id="A-1", sex="male", birth_year=1950)
PID = "prodigy-2"
WINDOW_END = date(2025, 3, 31)


def _endpoint(endpoint_id: str):  # type: ignore[no-untyped-def]
    return next(e for e in load_protocol(PID).endpoints if e.id == endpoint_id)


def _record(labs: list[LabResult] = (), aes: list[AdverseEvent] = (), events: list[ClinicalEvent] = ()):  # type: ignore[no-untyped-def, assignment]
    admins = [Administration(patient_id="A-1", cycle=i + 1, protocol_id=PID, activity_gbq=7.4,
                             administered_at=datetime(d.year, d.month, d.day, 9, tzinfo=UTC))
              for i, d in enumerate((date(2025, 1, 6), date(2025, 2, 17)))]
    # Creatinine at baseline and after (normal): the creatinine AESI is evaluable and not met.
    creat = [LabResult(patient_id="A-1", analyte="creatinine", sampled_on=d, value=80, unit="umol/L", uln=110)
             for d in (date(2025, 1, 3), date(2025, 3, 3))]
    return build_record(P, {"administrations": admins, "labs": [*labs, *creat], "adverse_events": list(aes),
                            "events": list(events),
                            "enrolments": [Enrolment(patient_id="A-1", protocol_id=PID, enrolled_on=date(2025, 1, 2))]})


def _plt(day: date, value: float) -> LabResult:
    return LabResult(patient_id="A-1", analyte="platelets", sampled_on=day, value=value, unit="giga_per_L", lln=150)


def _ae(term: str, onset: date, attribution: str | None, grade: int = 3, ae_id: str = "AE1") -> AdverseEvent:
    return AdverseEvent(patient_id="A-1", ae_id=ae_id, term=term, grade=grade, onset_date=onset,
                        attribution=attribution)  # type: ignore[arg-type]


def _thrombocytopenia(first: date, days: int) -> list[LabResult]:
    # Baseline 200; grade 3 (40 < 50 x10^9/L) from `first` to `first + days`; 160 closes the run.
    last = first + timedelta(days=days)
    return [_plt(date(2025, 1, 3), 200), _plt(first, 40), _plt(first + timedelta(days=days // 2), 45),
            _plt(last, 42), _plt(last + timedelta(days=28), 160)]


def test_window_closes_six_weeks_after_the_last_administration() -> None:
    w = observation_window(_record(), _endpoint("prodigy2.ep.subacute-aesi"), PID)
    assert w is not None and (w.start, w.end) == (date(2025, 1, 6), WINDOW_END)


@pytest.mark.parametrize(("days", "outcome"), [(83, Outcome.NOT_MET), (84, Outcome.NOT_MET), (85, Outcome.MET)])
def test_thrombocytopenia_persisting_more_than_12_weeks(days: int, outcome: Outcome) -> None:
    # 84 days = exactly 12 weeks: not "more than 12 weeks"; 85 days is.
    rec = _record(_thrombocytopenia(date(2025, 2, 10), days), [_ae("Platelet count decreased", date(2025, 2, 10), "probable")])
    res = subacute_aesi(rec, _endpoint("prodigy2.ep.subacute-aesi"), PID)
    assert res.outcome is outcome and (("thrombocytopenia" in res.categories) is (outcome is Outcome.MET))


@pytest.mark.parametrize(("attribution", "outcome"), [("probable", Outcome.MET), ("unrelated", Outcome.NOT_MET),
                                                      (None, Outcome.NOT_EVALUABLE)])
def test_subacute_aesi_counts_treatment_related_only(attribution: str | None, outcome: Outcome) -> None:
    rec = _record(_thrombocytopenia(date(2025, 2, 10), 90), [_ae("Platelet count decreased", date(2025, 2, 10), attribution)])
    assert subacute_aesi(rec, _endpoint("prodigy2.ep.subacute-aesi"), PID).outcome is outcome


@pytest.mark.parametrize(("first", "outcome"), [(WINDOW_END - timedelta(days=1), Outcome.MET), (WINDOW_END, Outcome.MET),
                                               (WINDOW_END + timedelta(days=1), Outcome.NOT_MET)])
def test_subacute_aesi_must_start_within_the_window(first: date, outcome: Outcome) -> None:
    rec = _record(_thrombocytopenia(first, 90), [_ae("Platelet count decreased", first, "definite")])
    assert subacute_aesi(rec, _endpoint("prodigy2.ep.subacute-aesi"), PID).outcome is outcome


@pytest.mark.parametrize(("attribution", "outcome"), [("possible", Outcome.MET), ("unlikely", Outcome.NOT_MET)])
def test_grade4_non_haematological_needs_relatedness(attribution: str, outcome: Outcome) -> None:
    rec = _record(aes=[_ae("Pneumonitis", date(2025, 3, 1), attribution, grade=4)])
    res = subacute_aesi(rec, _endpoint("prodigy2.ep.subacute-aesi"), PID)
    assert res.outcome is outcome


@pytest.mark.parametrize(("onset", "counted"), [(WINDOW_END - timedelta(days=1), True), (WINDOW_END, True),
                                                (WINDOW_END + timedelta(days=1), False)])
def test_any_ae_until_six_weeks_after_the_last_administration(onset: date, counted: bool) -> None:
    rec = _record(aes=[_ae("Fatigue", onset, None, grade=1)])
    res = adverse_events(rec, _endpoint("prodigy2.ep.adverse-events"), PID)
    assert (res.outcome is Outcome.MET) is counted


@pytest.mark.parametrize(("onset", "counted"), [(date(2025, 3, 19), True), (date(2025, 3, 20), False),
                                                (date(2025, 3, 21), False)])
def test_any_ae_prior_to_subsequent_anticancer_treatment(onset: date, counted: bool) -> None:
    therapy = ClinicalEvent(patient_id="A-1", event_id="T", kind="new_anticancer_therapy", therapy="cabazitaxel",
                            event_date=date(2025, 3, 20))
    rec = _record(aes=[_ae("Nausea", onset, None, grade=1)], events=[therapy])
    res = adverse_events(rec, _endpoint("prodigy2.ep.adverse-events"), PID)
    assert (res.outcome is Outcome.MET) is counted


def _hb(day: date, value: float) -> LabResult:
    return LabResult(patient_id="A-1", analyte="haemoglobin", sampled_on=day, value=value, unit="g/L", lln=130)


@pytest.mark.parametrize(("value", "counted"), [(101.0, False), (100.0, False), (99.0, True)])
def test_laboratory_ae_is_a_grade_above_the_baseline_grade(value: float, counted: bool) -> None:
    # CTCAE v5.0 Anemia: grade 1 <LLN-100 g/L, grade 2 <100-80 g/L.  Baseline 105 g/L is grade 1:
    # 101 and 100 stay grade 1 (not a laboratory AE), 99 is grade 2.
    rec = _record([_hb(date(2025, 1, 3), 105.0), _hb(date(2025, 3, 3), value)])
    res = laboratory_adverse_events(rec, _endpoint("prodigy2.ep.laboratory-aes"), PID)
    assert (res.outcome is Outcome.MET) is counted


def test_laboratory_ae_window_ends_at_progression() -> None:
    prog = ClinicalEvent(patient_id="A-1", event_id="P", kind="progression", progression_kind="radiographic",
                         event_date=date(2025, 3, 1))
    rec = _record([_hb(date(2025, 1, 3), 105.0), _hb(date(2025, 3, 3), 90.0)], events=[prog])
    assert laboratory_adverse_events(rec, _endpoint("prodigy2.ep.laboratory-aes"), PID).outcome is Outcome.NOT_MET


def test_delayed_aesi_until_death() -> None:
    rec = _record(aes=[_ae("Myelodysplastic syndrome", date(2028, 1, 10), None), _ae("Fatigue", date(2028, 2, 1), None,
                                                                                    ae_id="AE2")])
    res = delayed_aesi(rec, _endpoint("prodigy2.ep.delayed-aesi"), PID)
    assert res.outcome is Outcome.MET and res.categories == ("secondary_haematological_malignancy",)


def test_count_endpoint_excludes_not_evaluable_from_the_denominator() -> None:
    related = _record(_thrombocytopenia(date(2025, 2, 10), 90), [_ae("Platelet count decreased", date(2025, 2, 10), "definite")])
    unknown = _record(_thrombocytopenia(date(2025, 2, 10), 90), [_ae("Platelet count decreased", date(2025, 2, 10), None)])
    summary = count_endpoint(_endpoint("prodigy2.ep.subacute-aesi"), [related, unknown], ["a", "a"], PID)
    rate = summary.by_arm["a"]
    assert rate is not None and (rate.successes, rate.n) == (1, 1) and summary.not_evaluable["a"] == 1


def test_adae_aesi_labels_name_the_aes_that_establish_an_aesi() -> None:
    from lutetia.analysis.safety import aesi_labels

    endpoints = [e for e in load_protocol(PID).endpoints if e.derive in ("subacute_aesi", "delayed_aesi")]
    rec = _record(_thrombocytopenia(date(2025, 2, 10), 90), [
        _ae("Platelet count decreased", date(2025, 2, 10), "probable", ae_id="AE1"),
        _ae("Pneumonitis", date(2025, 3, 1), "possible", grade=4, ae_id="AE2"),
        _ae("Fatigue", date(2025, 3, 2), "possible", grade=1, ae_id="AE3"),
        _ae("Myelodysplastic syndrome", date(2027, 5, 1), None, ae_id="AE4")])
    assert aesi_labels(rec, endpoints, PID) == {
        "AE1": "subacute thrombocytopenia", "AE2": "subacute non haematological",
        "AE4": "delayed secondary haematological malignancy"}
