"""The visit calendar of a patient on a protocol / arm, and what is due on a date.

Cycles: cycle 1 at the first administration (or the planned start), each next cycle one
interval after the previous *actual* administration (± the interval window), up to the
arm's maximum; cycles are ``done`` when given.  Visits (:class:`lutetia.protocols.Visit`)
fall at anchor + offset, repeating ``every`` until ``until`` (or the end of the phase);
anchors: ``cycle`` (each cycle), ``treatment_start``, ``last_administration``,
``end_of_treatment`` (once treatment has ended: off study, or the maximum given),
``holiday_start``.  A visit is ``done`` when a matching record lies in its window
(labs for laboratory items, PSMA PET / FDG PET / SPECT/CT studies, PRO answers), else
``due`` inside the window, ``overdue`` after it, ``upcoming`` before it; a cycle or visit
done outside its window is ``done outside window``.  Only what is recorded up to the
evaluation date counts (the calendar as it stood on that date).  Follow-up
*periods* are shown as one row (``in period`` / ``upcoming`` / ``ended``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from lutetia.decide.history import protocol_administrations
from lutetia.protocols import Anchor, Protocol, Visit
from lutetia.records import Administration, Modality, PatientRecord

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


def _status(due_window: tuple[date, date], done: date | None, on: date) -> str:
    if done is not None:
        return "done" if due_window[0] <= done <= due_window[1] else "done outside window"
    if on < due_window[0]:
        return "upcoming"
    return "due" if on <= due_window[1] else "overdue"


def _done(record: PatientRecord, items: tuple[str, ...], start: date, end: date) -> date | None:
    """The date of a record matching the visit's items inside [start, end], if any."""
    text = " ".join(items).lower()
    days: list[date] = []
    mods = {"spect": Modality.spect_ct, "psma pet": Modality.psma_pet, "fdg": Modality.fdg_pet}
    for word, mod in mods.items():
        if word in text:
            days += [s.study_date for s in record.imaging if s.modality is mod and start <= s.study_date <= end]
    if any(w in text for w in ("eq-5d", "fact-p", "bpi", "msgs")):
        days += [p.answered_on for p in record.pro_answers if start <= p.answered_on <= end]
    if any(w in text for w in ("haematology", "biochemistry", "renal function", "liver function", "psa")):
        days += [x.sampled_on for x in record.labs if start <= x.sampled_on <= end]
    if "follow-up" in text:
        days += [e.event_date for e in record.events if start <= e.event_date <= end]
    return min(days) if days else None


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
            done = _done(record, tuple(visit.items), lo, min(hi, on))
            out.append(ScheduledVisit(visit.id, visit.id, tuple(visit.items), visit.phase, due, lo, hi,
                                      _status((lo, hi), done, on), done, visit.text))
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
