"""The visit calendar of a patient on a protocol / arm, and what is due on a date.

Cycles: cycle 1 at the first administration (or the planned start), each next cycle one
interval after the previous *actual* administration (± the interval window), up to the
arm's maximum; cycles are ``done`` when given.  Visits (:class:`lutetia.protocols.Visit`)
fall at anchor + offset, repeating ``every`` until ``until`` (or the end of the phase);
anchors: ``cycle`` (each cycle), ``treatment_start``, ``last_administration``,
``end_of_treatment`` (once treatment has ended: off study, or the maximum given),
``holiday_start``.  A visit is ``done`` when every item has its own matching record in
the window (:data:`ITEM_RECORDS`: haematology counts, renal / liver chemistry, PSA, PSMA PET /
FDG PET / SPECT/CT studies, dosimetry on a SPECT/CT, each PRO instrument's answers), else
``due`` inside the window, ``overdue`` after it, ``upcoming`` before it; a cycle or visit
done outside its window is ``done outside window``; a visit with some of its items recorded
is ``partly done`` while its window is open (``missing_items`` names the rest).  Only what is recorded up to the
evaluation date counts (the calendar as it stood on that date).  Follow-up
*periods* are shown as one row (``in period`` / ``upcoming`` / ``ended``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from lutetia.decide.history import protocol_administrations
from lutetia.protocols import Anchor, Protocol, Visit
from lutetia.records import Administration, Analyte, Instrument, Modality, PatientRecord

#: How far past the evaluation date open-ended repeating visits are listed, in days.
#: A display choice, not a clinical parameter.
HORIZON_DAYS: Final[int] = 183


@dataclass(frozen=True)
class ScheduledVisit:
    """One visit occurrence with its window and status."""

    rule_id: str
    label: str
    items: tuple[str, ...]
    phase: str
    due: date
    earliest: date
    latest: date
    status: str
    done_on: date | None = None
    text: str = ""
    missing_items: tuple[str, ...] = ()


def _status(due_window: tuple[date, date], done: date | None, on: date) -> str:
    if done is not None:
        return "done" if due_window[0] <= done <= due_window[1] else "done outside window"
    if on < due_window[0]:
        return "upcoming"
    return "due" if on <= due_window[1] else "overdue"


_HAEMATOLOGY = frozenset({Analyte.haemoglobin, Analyte.platelets, Analyte.neutrophils, Analyte.wbc})
_RENAL = frozenset({Analyte.creatinine})
_LIVER = frozenset({Analyte.alt, Analyte.ast, Analyte.bilirubin})
_CHEMISTRY = _RENAL | _LIVER | {Analyte.alp}


def _labs(analytes: frozenset[Analyte]) -> Callable[[PatientRecord, date, date], list[date]]:
    return lambda r, a, b: [x.sampled_on for x in r.labs if x.analyte in analytes and a <= x.sampled_on <= b]


def _studies(modality: Modality) -> Callable[[PatientRecord, date, date], list[date]]:
    return lambda r, a, b: [s.study_date for s in r.imaging if s.modality is modality and a <= s.study_date <= b]


def _pro(instrument: Instrument) -> Callable[[PatientRecord, date, date], list[date]]:
    return lambda r, a, b: [x.answered_on for x in r.pro_answers if x.instrument is instrument and a <= x.answered_on <= b]


def _dosimetry(r: PatientRecord, a: date, b: date) -> list[date]:
    """SPECT/CT studies in the window with dosimetry measurements (naming the study, or of
    the study's cycle)."""
    ids = {d.study_id for d in r.dosimetry if d.study_id}
    cycles = {d.cycle for d in r.dosimetry}
    return [s.study_date for s in r.imaging if s.modality is Modality.spect_ct and a <= s.study_date <= b
            and (s.study_id in ids or s.cycle in cycles)]


#: What record completes a visit item, by a keyword of the item's text (first match wins).
ITEM_RECORDS: Final[tuple[tuple[str, Callable[[PatientRecord, date, date], list[date]]], ...]] = (
    ("dosimetry", _dosimetry), ("spect", _studies(Modality.spect_ct)), ("psma pet", _studies(Modality.psma_pet)),
    ("fdg", _studies(Modality.fdg_pet)), ("eq-5d", _pro(Instrument.eq5d5l)), ("fact-p", _pro(Instrument.fact_p)),
    ("fact-rnt", _pro(Instrument.fact_rnt)), ("bpi", _pro(Instrument.bpi_sf)), ("msgs", _pro(Instrument.msgs)),
    ("haematology", _labs(_HAEMATOLOGY)), ("renal function", _labs(_RENAL)), ("liver function", _labs(_LIVER)),
    ("biochemistry", _labs(_CHEMISTRY)), ("psa", _labs(frozenset({Analyte.psa}))),
    ("follow-up", lambda r, a, b: [e.event_date for e in r.events if a <= e.event_date <= b]),
)


def _done(record: PatientRecord, items: tuple[str, ...], start: date,
          end: date) -> tuple[date | None, tuple[str, ...], bool]:
    """(date the visit was complete, items still missing, anything recorded) in [start, end].

    Each item needs its own record (EQ-5D-5L answers do not complete FACT-P; a PSA alone is
    not haematology); the visit is complete on the date its last item was done.  Items with
    no matching record kind (e.g. an administration) are not checked.
    """
    got: dict[str, date] = {}
    missing: list[str] = []
    for item in items:
        text = item.lower()
        find = next((f for word, f in ITEM_RECORDS if word in text), None)
        if find is None:
            continue
        days = find(record, start, end)
        if days:
            got[item] = min(days)
        else:
            missing.append(item)
    if not got:
        return None, tuple(missing), False
    return (None if missing else max(got.values())), tuple(missing), True


def _given(record: PatientRecord, protocol: Protocol, on: date) -> list[Administration]:
    """The protocol's administrations up to ``on`` (the calendar as it stood on that date)."""
    return [a for a in protocol_administrations(record, protocol.id) if a.administered_at.date() <= on]


def _cycles(record: PatientRecord, protocol: Protocol, arm_id: str, on: date,
            start: date) -> list[ScheduledVisit]:
    arm = protocol.arm(arm_id)
    given = _given(record, protocol, on)
    iv = arm.treatment.interval
    out: list[ScheduledVisit] = []
    prev: date | None = None
    for n in range(1, arm.treatment.cycles.max + 1):
        due = start if prev is None else prev + timedelta(weeks=iv.weeks)
        w = timedelta(weeks=iv.window_weeks if prev is not None else 0)
        done = given[n - 1].administered_at.date() if n <= len(given) else None
        out.append(ScheduledVisit(iv.id, f"cycle {n}", ("177Lu-PSMA-617 administration",), "treatment",
                                  due, due - w, due + w, _status((due - w, due + w), done, on), done, iv.text))
        prev = done or due
    return out


def _anchor_dates(visit: Visit, cycles: list[ScheduledVisit], anchors: dict[Anchor, date]) -> list[date]:
    if visit.anchor is Anchor.CYCLE:
        return [c.done_on or c.due for c in cycles]
    day = anchors.get(visit.anchor)
    return [day] if day is not None else []


def _occurrences(visit: Visit, anchor: date, phase_end: date) -> list[date]:
    first = anchor + timedelta(days=visit.offset)
    if visit.every is None:
        return [first]
    stop = anchor + timedelta(days=visit.until) if visit.until is not None else phase_end
    out, k = [], 0
    while first + timedelta(days=k * visit.every) <= stop:
        out.append(first + timedelta(days=k * visit.every))
        k += 1
    return out


def _phase(visit: Visit, anchors: dict[Anchor, date], planned_end: date,
           horizon: date) -> tuple[date, date] | None:
    """Dates during which the visit's phase lasts (None: not reached yet)."""
    start = anchors[Anchor.TREATMENT_START]
    stop = anchors.get(Anchor.HOLIDAY_START) or anchors.get(Anchor.END_OF_TREATMENT)
    if visit.phase == "treatment":
        return start, stop or planned_end
    if visit.phase == "holiday":
        hs = anchors.get(Anchor.HOLIDAY_START)
        return (hs, horizon) if hs else None
    if visit.phase == "follow_up":
        if stop is not None:
            return stop, horizon
        return (start, horizon) if visit.anchor in (Anchor.LAST_ADMINISTRATION, Anchor.END_OF_TREATMENT) else None
    return date.min, horizon


def _visits(record: PatientRecord, visit: Visit, cycles: list[ScheduledVisit], anchors: dict[Anchor, date],
            on: date, planned_end: date) -> list[ScheduledVisit]:
    out: list[ScheduledVisit] = []
    horizon = on + timedelta(days=HORIZON_DAYS)
    phase = _phase(visit, anchors, planned_end, horizon)
    if phase is None:
        return out
    for anchor in _anchor_dates(visit, cycles, anchors):
        if visit.period:
            begin, end = anchor + timedelta(days=visit.offset), anchor + timedelta(days=visit.until or 0)
            status = "upcoming" if on < begin else ("in period" if on <= end else "ended")
            out.append(ScheduledVisit(visit.id, visit.id, tuple(visit.items), visit.phase, begin, begin, end,
                                      status, None, visit.text))
            continue
        for due in _occurrences(visit, anchor, min(phase[1], horizon)):
            if not phase[0] <= due <= phase[1] and visit.phase != "screening":
                continue
            lo = due - timedelta(days=visit.window if visit.window_before is None else visit.window_before)
            hi = due + timedelta(days=visit.window)
            done, missing, some = _done(record, tuple(visit.items), lo, min(hi, on))
            status = _status((lo, hi), done, on)
            if done is None and some and status != "overdue":
                status = "partly done"
            out.append(ScheduledVisit(visit.id, visit.id, tuple(visit.items), visit.phase, due, lo, hi,
                                      status, done, visit.text, missing if some else ()))
    return out


def build_schedule(record: PatientRecord, protocol: Protocol, arm_id: str, on: date, *,
                   planned_start: date | None = None, holiday_start: date | None = None,
                   end_of_treatment: date | None = None) -> list[ScheduledVisit]:
    """Every cycle and visit of ``record`` on ``protocol`` / ``arm_id`` with its status on ``on``.

    Parameters
    ----------
    planned_start : date, optional
        Planned first administration when none is recorded yet (default ``on``).
    holiday_start : date, optional
        Start of the current treatment holiday (surveillance visits).
    end_of_treatment : date, optional
        When treatment ended; default the off-study date, or the last administration once
        the maximum number of cycles has been given.
    """
    given = _given(record, protocol, on)
    start = given[0].administered_at.date() if given else (planned_start or on)
    cycles = _cycles(record, protocol, arm_id, on, start)
    anchors: dict[Anchor, date] = {Anchor.TREATMENT_START: start}
    if given:
        anchors[Anchor.LAST_ADMINISTRATION] = given[-1].administered_at.date()
    off = [e.off_study_on for e in record.enrolments if e.protocol_id == protocol.id and e.off_study_on]
    arm = protocol.arm(arm_id)
    eot = end_of_treatment or (off[0] if off else None) or (
        given[-1].administered_at.date() if len(given) >= arm.treatment.cycles.max else None)
    if eot is not None:
        anchors[Anchor.END_OF_TREATMENT] = eot
        cycles = [c for c in cycles if c.done_on is not None]
    if holiday_start is not None:
        anchors[Anchor.HOLIDAY_START] = holiday_start
        cycles = [c for c in cycles if c.done_on is not None]
    out = list(cycles)
    last = cycles[-1].done_on or cycles[-1].due if cycles else start
    planned_end = last + timedelta(weeks=arm.treatment.interval.weeks)
    for visit in [*protocol.schedule, *arm.schedule]:
        out.extend(_visits(record, visit, cycles, anchors, on, planned_end))
    return sorted(out, key=lambda v: (v.due, v.label))


__all__ = ["HORIZON_DAYS", "ScheduledVisit", "build_schedule"]
