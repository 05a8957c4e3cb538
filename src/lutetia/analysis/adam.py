"""Derive the ADaM datasets of one protocol from patient records.

Reads the records, the protocol and the endpoint results :func:`lutetia.analysis.trial.analyse_trial`
already computed, and fills the rows of :mod:`lutetia.analysis.datasets`.  No clinical rule is
re-written here: times to event come from :mod:`lutetia.analysis.endpoints`, grades from
:func:`lutetia.assess.ctcae_grade`, responses from :mod:`lutetia.analysis.responses`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date

from lutetia.analysis.adam_metadata import LB_PARAMS, SRCDOM_BY_EVENT, SRCVAR_BY_EVENT, tte_paramcd
from lutetia.analysis.datasets import (
    AdverseEventRow,
    Dataset,
    LabRow,
    ResponseRow,
    SubjectRow,
    TimeToEventRow,
    build_adae,
    build_adlb,
    build_adrs,
    build_adsl,
    build_adtte,
    site_codes,
    usubjid,
)
from lutetia.analysis.endpoints import (
    PsaEndpoints,
    TimeToEvent,
    event_description,
    event_words,
    protocol_administrations,
    treatment_start,
)
from lutetia.analysis.responses import RecistResult
from lutetia.analysis.safety import GRADED_ANALYTES
from lutetia.assess import LabValue, ctcae_grade
from lutetia.assess.outcome import Outcome
from lutetia.assess.psa import PSA50_DECLINE_PCT, psa_decline_reached
from lutetia.protocols.schema import Endpoint, Protocol
from lutetia.records import ANALYTES, EventKind, PatientRecord, Sex

SEX_CODES: dict[Sex, str] = {Sex.male: "M", Sex.female: "F", Sex.unknown: "U", Sex.other: "U"}
#: AVISITN of the visits that are not cycles.
SCREENING, BASELINE, FOLLOW_UP = -1, 0, 99


def planned_arm(rec: PatientRecord, protocol: Protocol) -> tuple[str, str]:
    """(ARMCD, ARM): the allocated arm; a one-arm protocol's arm; else NOTASSGN."""
    allocated = next((e.arm for e in rec.enrolments if e.protocol_id == protocol.id and e.arm), None)
    if allocated is None and len(protocol.arms) == 1:
        allocated = protocol.arms[0].id
    arm = next((a for a in protocol.arms if a.id == allocated), None)
    if arm is not None:
        return arm.id.upper(), arm.title
    if allocated is not None:
        return allocated.upper(), allocated
    return "NOTASSGN", "Not Assigned"


def last_known_alive(rec: PatientRecord, cutoff: date | None) -> date | None:
    """LSTALVDT: the latest date of any record up to the cut-off (admiral ``derive_vars_extreme_event``
    over visit, lab, dose, AE and event dates, the death itself excluded); never after the death."""
    dates: list[date] = [x.sampled_on for x in rec.labs] + [e.assessed_on for e in rec.ecog]
    dates += [a.administered_at.date() for a in rec.administrations] + [s.study_date for s in rec.imaging]
    dates += [a.onset_date for a in rec.adverse_events] + [a.resolution_date for a in rec.adverse_events
                                                           if a.resolution_date]
    dates += [e.event_date for e in rec.events if e.kind is not EventKind.death]
    dates += [p.answered_on for p in rec.pro_answers]
    dates += [e.enrolled_on for e in rec.enrolments]
    limit = min((d for d in (cutoff, rec.death_date) if d is not None), default=None)
    known = [d for d in dates if limit is None or d <= limit]
    return max(known) if known else None


def _subject(rec: PatientRecord, protocol: Protocol, codes: dict[str, str], cutoff: date | None,
             cumulative: float | None) -> SubjectRow:
    enrol = next(e for e in rec.enrolments if e.protocol_id == protocol.id)
    start = treatment_start(rec, protocol.id)
    admins = protocol_administrations(rec, protocol.id)
    armcd, arm = planned_arm(rec, protocol)
    ecog = sorted((e for e in rec.ecog if start is None or e.assessed_on <= start), key=lambda e: e.assessed_on)
    reason = (enrol.off_study_reason or "").strip()
    status = "ONGOING" if enrol.off_study_on is None else (
        "COMPLETED" if reason.lower() == "completed" else "DISCONTINUED")
    return SubjectRow(
        studyid=protocol.id, subjid=rec.patient_id, armcd=armcd, arm=arm,
        actarmcd=armcd if admins else "NOTTRT", actarm=arm if admins else "Not Treated",
        sex=SEX_CODES[rec.patient.sex], age=rec.patient.age_years(enrol.consent_date or enrol.enrolled_on),
        siteid=codes[rec.patient.site or ""], site=rec.patient.site or "", randdt=enrol.randomised_on,
        trtsdt=start, trtedt=admins[-1].administered_at.date() if admins else None, eosstt=status,
        eosdt=enrol.off_study_on, dcsreas=reason if status == "DISCONTINUED" else "", dthdt=rec.death_date,
        lstalvdt=last_known_alive(rec, cutoff), ittfl=armcd != "NOTASSGN", saffl=bool(admins),
        ecog_baseline=ecog[-1].ecog if ecog else None, cycles=len(admins), cumulative_activity_gbq=None if cumulative is None else float(f"{cumulative:.10g}"))


def _tte(protocol: Protocol, endpoint: Endpoint, r: TimeToEvent, arm: str) -> TimeToEventRow:
    paramn = [e.id for e in protocol.endpoints].index(endpoint.id) + 1
    name = (r.event_kind or "event") if r.event else (r.censor_reason or "last_contact")
    return TimeToEventRow(protocol.id, usubjid(protocol.id, r.patient_id), tte_paramcd(endpoint.id),
                          endpoint.label, paramn, r.origin, r.end, r.event, event_description(r),
                          "" if r.event else event_words(name), SRCDOM_BY_EVENT.get(name, ""), arm,
                          SRCVAR_BY_EVENT.get(name, ""))


def _visit(day: date, base_day: date | None, doses: list[date]) -> tuple[str, int]:
    """(AVISIT, AVISITN) of a sample: the baseline sample, screening before it, cycle n from the
    n-th dose up to the next, follow-up after the last dose's cycle."""
    if base_day is not None and day == base_day:
        return "BASELINE", BASELINE
    n = bisect_right(doses, day) if doses else 0
    if n == 0:
        return "SCREENING", SCREENING
    return f"CYCLE {n}", n


def _labs(rec: PatientRecord, protocol: Protocol, uid: str, start: date | None, doses: list[date],
          last_cycle_end: date | None) -> list[LabRow]:
    rows: list[LabRow] = []
    for paramn, (analyte, p) in enumerate(LB_PARAMS.items(), start=1):
        labs = rec.labs_of(analyte)
        baseline = [x for x in labs if start is not None and x.sampled_on <= start]
        base = baseline[-1] if baseline else None
        term = GRADED_ANALYTES.get(analyte)
        for x in labs:
            value, lln, uln = (float(f"{v:.10g}") if v is not None else None for v in x.canonical())
            assert value is not None
            grade, direction = None, None
            if term is not None:
                graded = ctcae_grade(LabValue(term, x.value, x.unit, x.lln, x.uln, base.value if base else None,
                                              None, x.sampled_on))
                grade, direction = graded.grade, graded.direction
            avisit, avisitn = _visit(x.sampled_on, base.sampled_on if base else None, doses)
            if x is not base and base is not None and x.sampled_on == base.sampled_on:
                avisit, avisitn = "BASELINE", BASELINE  # a second sample on the baseline day: not flagged
            if last_cycle_end is not None and x.sampled_on > last_cycle_end:
                avisit, avisitn = "FOLLOW-UP", FOLLOW_UP
            rows.append(LabRow(protocol.id, uid, p.paramcd, f"{p.name} ({p.unit_label})", paramn, x.sampled_on,
                               avisit, avisitn, value, p.unit_label, lln, uln, x is base, grade,
                               term or "", direction if term else None,
                               ANALYTES[analyte].loinc_for(p.unit_label) or ""))
    return rows


def adam_datasets(protocol: Protocol, records: Sequence[PatientRecord], tte: Sequence[tuple[Endpoint, TimeToEvent]],
                  cumulative_gbq: dict[str, float], recists: Sequence[RecistResult], psa: Sequence[PsaEndpoints],
                  *, cutoff: date | None = None, cycle_days: int = 42) -> tuple[Dataset, ...]:
    """ADSL, ADTTE, ADLB, ADRS, ADAE of the patients of ``records`` enrolled in ``protocol``.

    ``cycle_days`` closes the last dose's cycle: later samples are FOLLOW-UP (42 days, the
    6-weekly interval of the shipped protocols).
    """
    from datetime import timedelta

    codes = site_codes(rec.patient.site or "" for rec in records)
    subjects = [_subject(rec, protocol, codes, cutoff, cumulative_gbq.get(rec.patient_id)) for rec in records]
    arms = {s.subjid: s.arm for s in subjects}
    tte_rows = [_tte(protocol, e, r, arms.get(r.patient_id, "")) for e, r in tte]
    lab_rows: list[LabRow] = []
    ae_rows: list[AdverseEventRow] = []
    for rec in records:
        uid = usubjid(protocol.id, rec.patient_id)
        start = treatment_start(rec, protocol.id)
        doses = [a.administered_at.date() for a in protocol_administrations(rec, protocol.id)]
        end = doses[-1] + timedelta(days=cycle_days) if doses else None
        lab_rows += _labs(rec, protocol, uid, start, doses, end)
        for ae in rec.adverse_events:
            att = ae.attribution
            ae_rows.append(AdverseEventRow(protocol.id, uid, ae.ae_id, ae.term, ae.onset_date, ae.resolution_date,
                                           ae.grade, ae.serious, att.value.upper() if att else "",
                                           bool(att and att.related), start,
                                           trtedt=doses[-1] if doses else None))
    rs_rows: list[ResponseRow] = []
    for r in recists:
        uid = usubjid(protocol.id, r.patient_id)
        rs_rows += [ResponseRow(uid, "OVR", resp, d, f"ASSESSMENT {i + 1}", studyid=protocol.id)
                    for i, (d, resp) in enumerate(r.visits)]
        rs_rows.append(ResponseRow(uid, "BOR", r.bor, r.bor_date, studyid=protocol.id))
        rs_rows.append(ResponseRow(uid, "CBOR", r.confirmed_bor, None, studyid=protocol.id))
    for p in psa:
        uid = usubjid(protocol.id, p.patient_id)
        rs_rows.append(ResponseRow(uid, "PSABOR", p.category, p.best_change_date, criteria="PCWG3",
                                   studyid=protocol.id))
        flag = {Outcome.MET: "Y", Outcome.NOT_MET: "N"}.get(p.psa50, "NE")
        rs_rows.append(ResponseRow(uid, "PSA50C", flag, p.psa50_date, criteria="PCWG3", studyid=protocol.id))
        best = p.best_change_pct
        unconfirmed = "NE" if best is None else ("Y" if psa_decline_reached(best, PSA50_DECLINE_PCT) else "N")
        rs_rows.append(ResponseRow(uid, "PSA50U", unconfirmed, p.best_change_date, criteria="PCWG3",
                                   studyid=protocol.id))
    return (build_adsl(subjects), build_adtte(tte_rows), build_adlb(lab_rows), build_adrs(rs_rows),
            build_adae(ae_rows))
