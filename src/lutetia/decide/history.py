"""Treatment history read from the record: this protocol's administrations, prior
177Lu-PSMA courses, progressions and later therapies.

Which administrations belong to a protocol: those whose ``protocol_id`` is the protocol;
when none carries it, those without a protocol id in the latest course (a record kept
without protocol ids).  This reading is Lutetia's, stated here because the record allows
both forms.
"""

from __future__ import annotations

from datetime import date

from lutetia.records import (
    Administration,
    EventKind,
    PatientRecord,
    PriorTherapy,
    TherapyClass,
)

#: Prior-therapy classes that are not "the next line of therapy" after a 177Lu course.
_NOT_NEXT_LINE = frozenset({TherapyClass.adt, TherapyClass.lu_psma})


def protocol_administrations(record: PatientRecord, protocol_id: str) -> list[Administration]:
    """Administrations of ``protocol_id`` in time order (see the module note)."""
    admins = record.administrations_sorted()
    own = [a for a in admins if a.protocol_id == protocol_id]
    if own:
        return own
    untagged = [a for a in admins if a.protocol_id is None]
    if not untagged:
        return []
    course = max(a.course for a in untagged)
    return [a for a in untagged if a.course == course]


def lu_courses(record: PatientRecord) -> list[PriorTherapy]:
    """Prior 177Lu-PSMA courses (``therapy_class = lu_psma``), oldest first."""
    return sorted((p for p in record.prior_therapies if p.therapy_class is TherapyClass.lu_psma),
                  key=lambda p: p.start_date)


def first_course(record: PatientRecord) -> PriorTherapy | None:
    """The first (prior) 177Lu-PSMA course, if any."""
    courses = lu_courses(record)
    return courses[0] if courses else None


def progression_dates(record: PatientRecord, after: date, on: date,
                      kinds: frozenset[str] | None = None) -> list[date]:
    """Dates of recorded progressions in ``(after, on]`` (events and prior-line progression)."""
    out = [e.event_date for e in record.events
           if e.kind is EventKind.progression and after < e.event_date <= on
           and (kinds is None or (e.progression_kind is not None and e.progression_kind.value in kinds))]
    if kinds is None:
        out += [p.progression_date for p in record.prior_therapies
                if p.progression_date is not None and after < p.progression_date <= on]
    return sorted(out)


def next_therapy_dates(record: PatientRecord, after: date, on: date) -> list[date]:
    """Starts of another line of therapy in ``(after, on]`` (prior lines and events)."""
    out = [p.start_date for p in record.prior_therapies
           if p.therapy_class not in _NOT_NEXT_LINE and after < p.start_date <= on]
    out += [e.event_date for e in record.events
            if e.kind is EventKind.new_anticancer_therapy and after < e.event_date <= on]
    return sorted(out)


def has_history(record: PatientRecord) -> bool:
    """Whether any prior therapy is recorded (else history facts are not evaluable)."""
    return bool(record.prior_therapies)
