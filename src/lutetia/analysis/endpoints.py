"""Endpoint derivation from patient records, with the rules taken from protocol data.

Each protocol's ``[[endpoints]]`` (:class:`lutetia.protocols.schema.Endpoint`) names the
origin, the events, the censoring events and the window; this module turns one patient
record into the endpoint's value.  Time-to-event rows follow the CDISC convention that
statisticians expect (``CNSR = 0`` for an event) when written by
:mod:`lutetia.analysis.datasets`.

Event names (protocol data) and where they come from in the record
-------------------------------------------------------------------
``death``                      events of kind ``death``
``psa_progression``            the PSA series through :func:`lutetia.assess.psa_progression`
                               with the protocol's ``[psa_progression]`` (or the endpoint's own)
                               converted by :meth:`PsaProgression.rule` — the conversion the
                               decision engine uses; recorded events of kind ``psa`` only when
                               the series has no baseline PSA
``radiological_progression``   progression events ``radiographic*`` (RECIST 1.1 / PCWG3 reads)
``clinical_progression``       progression events ``clinical`` or ``investigator``
``pathological_fracture`` …    symptomatic skeletal events of that kind
``next_anticancer_treatment``  events of kind ``new_anticancer_therapy``
``last_contact``/``last_visit`` the last date the patient is known to be alive and followed
``end_of_treatment``           the last administration of the protocol
``six_weeks_after_last_administration``  the last administration + 42 days (PRODIGY-2: "until
                               6 weeks after the last administration"; "each cycle is 6 weeks")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from lutetia.assess import (
    PsaSample,
    psa_category,
    psa_criteria,
    psa_max_decline,
    psa_progression,
    psa_response,
)
from lutetia.assess.outcome import Outcome
from lutetia.assess.psa import PSA50_DECLINE_PCT
from lutetia.assess.psa_kernel import ProgressionRule
from lutetia.protocols.loader import load_protocol
from lutetia.protocols.schema import Endpoint, PsaProgression
from lutetia.records import Administration, EventKind, PatientRecord, ProgressionKind
from lutetia.records.base import day_of

DAYS_PER_MONTH = 365.25 / 12
"""Days per month for month-scale reporting (the usual 30.4375-day month)."""

_SSE: dict[str, str] = {
    "pathological_fracture": "pathological_fracture",
    "spinal_cord_compression": "spinal_cord_compression",
    "orthopaedic_surgery": "orthopaedic_surgery",
    "bone_pain_radiotherapy": "radiotherapy_for_bone_pain",
}
_RADIOLOGICAL = {ProgressionKind.radiographic, ProgressionKind.radiographic_bone,
                 ProgressionKind.radiographic_soft_tissue}
_CLINICAL = {ProgressionKind.clinical, ProgressionKind.investigator}


@dataclass(frozen=True)
class TimeToEvent:
    """One patient's time-to-event value for one endpoint."""

    patient_id: str
    endpoint_id: str
    origin: date
    end: date
    event: bool
    event_kind: str | None
    censor_reason: str | None

    @property
    def days(self) -> int:
        return (self.end - self.origin).days

    @property
    def months(self) -> float:
        return self.days / DAYS_PER_MONTH


#: Words for event and censoring names in reports and datasets (ADTTE EVNTDESC).
EVENT_WORDS: dict[str, str] = {
    "death": "death", "psa_progression": "PSA progression", "radiological_progression": "radiological progression",
    "clinical_progression": "clinical progression", "pathological_fracture": "pathological fracture",
    "spinal_cord_compression": "spinal cord compression", "orthopaedic_surgery": "orthopaedic surgery",
    "bone_pain_radiotherapy": "radiotherapy for bone pain", "next_anticancer_treatment": "next anticancer treatment",
    "last_contact": "last contact", "last_visit": "last visit", "data_cutoff": "data cut-off",
    "end_of_treatment": "end of treatment", "six_weeks_after_last_administration": "6 weeks after the last administration",
}


def event_words(name: str) -> str:
    """A readable name for an event or censoring name (the name itself if unknown)."""
    return EVENT_WORDS.get(name, name.replace("_", " "))


def event_description(tte: TimeToEvent) -> str:
    """ADTTE EVNTDESC: the event, or "censored at <reason>"."""
    if tte.event:
        return event_words(tte.event_kind or "event")
    return f"censored at {event_words(tte.censor_reason or 'last contact')}"


def protocol_administrations(rec: PatientRecord, protocol_id: str | None = None) -> list[Administration]:
    """Administrations of ``protocol_id`` (all when ``protocol_id`` is None).

    Administrations carrying the protocol id are the protocol's.  When none carries it
    (imported data often has no protocol id), the protocol's are the untagged ones given
    on or after the patient's enrolment in the protocol: an untagged administration before
    the enrolment belongs to an earlier course (the first course of a ReaLuP or RE-LuPSMA
    re-treatment patient), never to this protocol.  Without an enrolment record every
    untagged administration is taken.
    """
    admins = rec.administrations_sorted()
    if protocol_id is None:
        return admins
    mine = [a for a in admins if a.protocol_id == protocol_id]
    if mine:
        return mine
    untagged = [a for a in admins if a.protocol_id is None]
    enrolled = [e.enrolled_on for e in rec.enrolments if e.protocol_id == protocol_id]
    if not enrolled:
        return untagged
    return [a for a in untagged if a.administered_at.date() >= min(enrolled)]


def treatment_start(rec: PatientRecord, protocol_id: str | None = None) -> date | None:
    """First administration of the protocol (the origin of most endpoints)."""
    admins = protocol_administrations(rec, protocol_id)
    return admins[0].administered_at.date() if admins else None


def end_of_treatment(rec: PatientRecord, protocol_id: str | None = None) -> date | None:
    admins = protocol_administrations(rec, protocol_id)
    return admins[-1].administered_at.date() if admins else None


def last_known_date(rec: PatientRecord) -> date | None:
    """The last date the patient is known alive and followed (any dated record)."""
    days: list[date] = [e.event_date for e in rec.events]
    days += [lab.sampled_on for lab in rec.labs]
    days += [s.study_date for s in rec.imaging]
    days += [a.administered_at.date() for a in rec.administrations]
    days += [x.assessed_on for x in rec.ecog]
    days += [ae.onset_date for ae in rec.adverse_events]
    days += [p.answered_on for p in rec.pro_answers]
    return max(days) if days else None


def psa_samples(rec: PatientRecord) -> list[PsaSample]:
    return [PsaSample(d, v) for d, v in rec.psa_series()]


def criteria_for(definition: PsaProgression | None) -> ProgressionRule:
    """The PSA progression kernel's rule for a protocol's definition
    (:meth:`PsaProgression.rule`, the one the decision engine's fact uses); PCWG3's
    parameter set only when the protocol defines none."""
    return definition.rule() if definition is not None else psa_criteria("pcwg3").progression_rule()


def endpoint_psa_rule(endpoint: Endpoint, protocol_definition: PsaProgression | None) -> ProgressionRule:
    """The endpoint's own PSA progression definition, else the protocol's ``[psa_progression]``."""
    return criteria_for(endpoint.psa_progression or protocol_definition)


def event_dates(rec: PatientRecord, name: str, origin: date, psa: ProgressionRule,
                protocol_id: str | None = None) -> list[date]:
    """Dates on which event ``name`` occurred on or after ``origin`` (sorted)."""
    out: list[date] = []
    if name == "death":
        out = [e.event_date for e in rec.events if e.kind is EventKind.death]
    elif name == "psa_progression":
        res = psa_progression(psa_samples(rec), origin, rule=psa)
        if res.outcome is Outcome.MET and res.event_date is not None:
            out.append(res.event_date)
        elif res.outcome is Outcome.NOT_EVALUABLE and res.event_date is None:
            # No baseline PSA: the series cannot be read, a recorded PSA progression can.
            out += [e.event_date for e in rec.events
                    if e.kind is EventKind.progression and e.progression_kind is ProgressionKind.psa]
    elif name == "radiological_progression":
        out = [e.event_date for e in rec.events if e.kind is EventKind.progression and e.progression_kind in _RADIOLOGICAL]
    elif name == "clinical_progression":
        out = [e.event_date for e in rec.events if e.kind is EventKind.progression and e.progression_kind in _CLINICAL]
    elif name in _SSE:
        out = [e.event_date for e in rec.events if e.kind is EventKind.symptomatic_skeletal_event
               and e.skeletal_event_kind is not None and e.skeletal_event_kind.value == _SSE[name]]
    elif name == "next_anticancer_treatment":
        out = [e.event_date for e in rec.events if e.kind is EventKind.new_anticancer_therapy]
    elif name in ("last_contact", "last_visit"):
        last = last_known_date(rec)
        out = [last] if last is not None else []
    elif name == "end_of_treatment":
        eot = end_of_treatment(rec, protocol_id)
        out = [eot] if eot is not None else []
    elif name == "six_weeks_after_last_administration":
        eot = end_of_treatment(rec, protocol_id)
        out = [eot + timedelta(weeks=6)] if eot is not None else []
    else:
        raise ValueError(f"unknown endpoint event {name!r}")
    return sorted(d for d in out if d >= origin)


def time_to_event(rec: PatientRecord, endpoint: Endpoint, *, protocol_id: str | None = None,
                  cutoff: date | None = None, psa: ProgressionRule | None = None) -> TimeToEvent | None:
    """Derive a time-to-event endpoint; None when the patient has no origin (never treated).

    The event date is the earliest of the endpoint's events on or after the origin.
    Censoring: at the earliest censoring event that comes before any event (e.g. start of
    another anticancer treatment), else at the last known date; events after the data
    cut-off are censored at the cut-off.
    """
    origin = treatment_start(rec, protocol_id)
    if origin is None:
        return None
    if psa is None:
        definition = load_protocol(protocol_id).psa_progression if protocol_id is not None else None
        psa = endpoint_psa_rule(endpoint, definition)
    crit = psa
    events = [(d, name) for name in endpoint.events for d in event_dates(rec, name, origin, crit, protocol_id)[:1]]
    blocking = [(d, name) for name in endpoint.censoring if name not in ("last_contact", "last_visit")
                for d in event_dates(rec, name, origin, crit, protocol_id)[:1]]
    first_event = min(events) if events else None
    first_block = min(blocking) if blocking else None
    if cutoff is not None and first_event is not None and first_event[0] > cutoff:
        first_event = None
    if first_event is not None and (first_block is None or first_event[0] <= first_block[0]):
        return TimeToEvent(rec.patient_id, endpoint.id, origin, first_event[0], True, first_event[1], None)
    if first_block is not None and (cutoff is None or first_block[0] <= cutoff):
        return TimeToEvent(rec.patient_id, endpoint.id, origin, first_block[0], False, None, first_block[1])
    last = last_known_date(rec) or origin
    if cutoff is not None and last > cutoff:
        return TimeToEvent(rec.patient_id, endpoint.id, origin, cutoff, False, None, "data_cutoff")
    return TimeToEvent(rec.patient_id, endpoint.id, origin, max(last, origin), False, None, "last_contact")


@dataclass(frozen=True)
class PsaEndpoints:
    """PSA endpoints of one patient."""

    patient_id: str
    baseline_ng_ml: float | None
    best_change_pct: float | None
    best_change_date: date | None
    psa50: Outcome
    psa50_date: date | None
    category: Literal["PR", "SD", "PD", "NE"]


def psa_endpoints(rec: PatientRecord, *, protocol_id: str | None = None, horizon_weeks: float | None = 52,
                  stop_at: tuple[str, ...] = ("next_anticancer_treatment", "death"),
                  category_set: str = "ecog3") -> PsaEndpoints | None:
    """Best PSA change within the window (PRODIGY-2: 52 weeks or next therapy or death),
    confirmed PSA50, and the ECOG 3 paper's PR/SD/PD category."""
    origin = treatment_start(rec, protocol_id)
    if origin is None:
        return None
    samples = psa_samples(rec)
    crit = psa_criteria()
    stops = [d for name in stop_at for d in event_dates(rec, name, origin, crit.progression_rule(), protocol_id)[:1]]
    end = min(stops) if stops else None
    if horizon_weeks is not None:
        limit = origin + timedelta(weeks=horizon_weeks)
        end = limit if end is None else min(end, limit)
    best = psa_max_decline(samples, origin, crit, end)
    from lutetia.assess import psa_baseline

    base = psa_baseline(samples, origin)
    response = psa_response(samples, origin, PSA50_DECLINE_PCT, crit)
    category, _ = psa_category(samples, origin, psa_criteria(category_set))
    return PsaEndpoints(rec.patient_id, base.value_ng_ml if base else None, best[0] if best else None,
                        best[1] if best else None, response.outcome, response.event_date, category)


@dataclass(frozen=True)
class ActivitySummary:
    """Administered activity (PRODIGY-2's primary endpoint): cumulative and mean per cycle."""

    patient_id: str
    arm: str | None
    cycles: int
    cumulative_gbq: float
    mean_per_cycle_gbq: float | None


def activity_summary(rec: PatientRecord, protocol_id: str | None = None) -> ActivitySummary:
    """Net injected activity (syringe minus residual) over the protocol's administrations."""
    admins = protocol_administrations(rec, protocol_id)
    total = sum(a.net_activity_gbq for a in admins)
    arm = next((e.arm for e in rec.enrolments if protocol_id is None or e.protocol_id == protocol_id), None)
    return ActivitySummary(rec.patient_id, arm, len(admins), total, total / len(admins) if admins else None)


def landmark_days(months: float) -> float:
    """A landmark in months as days: ``months × DAYS_PER_MONTH`` (365.25 / 12 = 30.4375 d)."""
    return months * DAYS_PER_MONTH


def landmark_day(months: float) -> int:
    """The whole day on which a landmark in months is read: ``⌊months × 30.4375⌋``.

    Times are whole days (dates), so no event or censoring can fall strictly between day
    ⌊t⌋ and t: S(t) = S(⌊t⌋) exactly, and a follow-up of ⌊t⌋ days is long enough.  S(24
    months) = S(730.5 d) is read on day 730; with only 729 days of follow-up it is reported
    as "not computed: follow-up 729 days < landmark 730 days", never as "not reached".
    (R's ``summary(fit, times = 730.5)`` would give NA on 730 days of follow-up because it
    does not know the times are whole days.)
    """
    return math.floor(landmark_days(months) + 1e-9)


def landmark_alive(tte: TimeToEvent, months: float) -> bool | None:
    """Alive at ``months`` (True/False), or None when censored before the landmark."""
    landmark = tte.origin + timedelta(days=landmark_day(months))
    if tte.event and tte.end <= landmark:
        return False
    if tte.end >= landmark:
        return True
    return None


__all__ = [
    "DAYS_PER_MONTH", "EVENT_WORDS", "ActivitySummary", "PsaEndpoints", "TimeToEvent", "activity_summary", "criteria_for",
    "day_of", "end_of_treatment", "endpoint_psa_rule", "event_dates", "event_description", "event_words", "landmark_alive", "landmark_day", "landmark_days", "last_known_date", "protocol_administrations",
    "psa_endpoints", "psa_samples", "time_to_event", "treatment_start",
]
