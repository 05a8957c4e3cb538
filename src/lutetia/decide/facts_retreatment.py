"""Facts of the re-treatment protocols (ReaLuP, RE-LuPSMA) about the first 177Lu-PSMA course.

Readings (stated so that reviewers can check them):

* The end of the first course is the later of the first ``lu_psma`` prior-therapy line's
  ``last_injection_date`` and the last course-1 administration that is not this
  protocol's (a record may keep the earlier course either way).
* PSA progression of the first course is the protocol's own ``[psa_progression]``
  definition applied to the PSA results by the one kernel,
  :func:`lutetia.assess.psa.psa_progression` (``PsaProgression.rule()``), with the first
  course's start as the first administration (its nadir runs through the course and after
  it); no PCWG3 12-week rule is added where the protocol states none.
* Radiological or clinical progression: progression events of a radiographic, clinical or
  investigator-assessed kind, and prior-line progression dates typed radiographic or
  clinical.  A prior-line progression date without a type may be either: before any typed
  one it makes the day count a lower bound.
* A concomitant ARSI (ReaLuP inclusion 8) is an ARSI line started inside the condition's
  window before its anchor (the re-treatment start) and not stopped before it, or started
  after the anchor: it is not a prior therapy.  Its conditions are read from the same
  lines: days from its start to the anchor, and whether its agent (recorded name,
  case-insensitive) is that of a prior ARSI line.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from lutetia.assess.outcome import Outcome
from lutetia.assess.psa import PsaResult, PsaSample, psa_progression
from lutetia.decide.history import first_course, has_history
from lutetia.decide.model import Context, FactValue
from lutetia.decide.psa import psa_rises_fact
from lutetia.protocols import Anchor, Condition
from lutetia.records import EventKind, PriorTherapy, ProgressionKind, ProgressionType, TherapyClass

_RAD_CLIN_EVENTS = frozenset({ProgressionKind.radiographic_soft_tissue, ProgressionKind.radiographic_bone,
                              ProgressionKind.radiographic, ProgressionKind.clinical, ProgressionKind.investigator})
_RAD_CLIN_LINES = frozenset({ProgressionType.radiographic, ProgressionType.clinical})


def _b(name: str, value: bool | None, source: str, on: date | None = None, missing: str = "") -> FactValue:
    if value is None:
        return FactValue(name, None, "category", missing=missing)
    return FactValue(name, value, "category", on, source)


def first_course_end(ctx: Context) -> tuple[date, str] | None:
    """Last injection of the first (earlier) 177Lu-PSMA course with its source, or None."""
    found: list[tuple[date, str]] = []
    course = first_course(ctx.record)
    if course is not None and course.last_injection_date is not None:
        found.append((course.last_injection_date, f"prior_therapies {course.line_id}.last_injection_date"))
    admins = [a for a in ctx.record.administrations_sorted() if a.course == 1 and a.protocol_id != ctx.protocol.id
              and a.administered_at.date() <= ctx.on]
    if admins:
        found.append((admins[-1].administered_at.date(), f"administrations course 1 cycle {admins[-1].cycle}"))
    return max(found) if found else None


def course_psa_progression(ctx: Context, course: PriorTherapy) -> PsaResult | str:
    """The protocol's PSA progression over the PSA results from the course start (or why not)."""
    definition = ctx.protocol.psa_progression
    if definition is None:
        return f"protocol {ctx.protocol.id} defines no PSA progression"
    samples = [PsaSample(d, v) for d, v in ctx.record.psa_series() if d <= ctx.on]
    return psa_progression(samples, course.start_date, rule=definition.rule())


def _psa_text(result: PsaResult | str) -> str:
    if isinstance(result, str):
        return result
    if result.outcome is Outcome.MET:
        return f"PSA progression {result.event_date} confirmed {result.confirmed_on}"
    return f"PSA series: {result.evidence.reason}"


def progression_after_course_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``progression_after_first_course``: a recorded progression or the protocol's PSA progression."""
    name = "progression_after_first_course"
    course, end = first_course(ctx.record), first_course_end(ctx)
    if course is None or end is None:
        return _b(name, None, "", missing="no last injection date of the first 177Lu-PSMA course")
    recorded = _recorded_progressions(ctx, end[0])
    if recorded:
        return _b(name, True, f"progression {recorded[0][0]} ({recorded[0][1]}) after {end[0]}", recorded[0][0])
    psa = course_psa_progression(ctx, course)
    if isinstance(psa, PsaResult) and psa.outcome is Outcome.MET:
        return _b(name, True, _psa_text(psa) + f" (first course ended {end[0]})", psa.event_date)
    if isinstance(psa, PsaResult) and psa.outcome is Outcome.NOT_MET:
        return _b(name, False, f"no recorded progression after {end[0]}; {_psa_text(psa)}")
    return _b(name, None, "", missing=f"no recorded progression after {end[0]} and no PSA progression "
              f"assessable ({_psa_text(psa)})")


def _recorded_progressions(ctx: Context, after: date, before: date | None = None) -> list[tuple[date, str]]:
    """Recorded progressions in ``(after, before or on]``: events and prior-line progression dates."""
    last = min(before or ctx.on, ctx.on)
    out = [(e.event_date, f"events {e.event_id} {e.progression_kind.value if e.progression_kind else ''}")
           for e in ctx.record.events if e.kind is EventKind.progression and after < e.event_date <= last]
    out += [(p.progression_date, f"prior_therapies {p.line_id}.progression_date") for p in ctx.record.prior_therapies
            if p.progression_date is not None and after < p.progression_date <= last]
    return sorted(out)


def progression_during_course_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``prior_lu_psma_progression_during_course``: recorded answer, events or the PSA series."""
    name = "prior_lu_psma_progression_during_course"
    course = first_course(ctx.record)
    if course is None:
        return _b(name, None, "", missing="no prior 177Lu-PSMA course recorded")
    end = course.last_injection_date or course.end_date
    if course.progression_during is True:
        return _b(name, True, f"prior_therapies {course.line_id}.progression_during", course.start_date)
    if end is None:
        return _b(name, None, "", missing=f"prior 177Lu-PSMA course {course.line_id}: last injection not recorded")
    events = [(e.event_date, f"events {e.event_id}") for e in ctx.record.events if e.kind is EventKind.progression
              and course.start_date <= e.event_date <= end]
    if course.progression_date is not None and course.progression_date <= end:
        events.append((course.progression_date, f"prior_therapies {course.line_id}.progression_date"))
    if events:
        first = min(events)
        return _b(name, True, f"{first[1]} {first[0]} on or before the last injection {end}", first[0])
    psa = course_psa_progression(ctx, course)
    if isinstance(psa, PsaResult) and psa.outcome is Outcome.MET and psa.event_date and psa.event_date <= end:
        return _b(name, True, _psa_text(psa) + f", on or before the last injection {end}", psa.event_date)
    if course.progression_during is False:
        return _b(name, False, f"prior_therapies {course.line_id}.progression_during = false; {_psa_text(psa)}",
                  course.start_date)
    return _b(name, None, "", missing=f"prior 177Lu-PSMA course {course.line_id}: progression_during not "
              f"recorded ({_psa_text(psa)})")


def days_to_radiological_or_clinical_fact(ctx: Context, leaf: Condition) -> FactValue:
    """Days from the first course's last injection to its first radiological/clinical progression."""
    name = "days_last_lu_injection_to_radiological_or_clinical_progression"
    end = first_course_end(ctx)
    if end is None:
        return FactValue(name, None, "day", missing="no last injection date of the first 177Lu-PSMA course")
    last = end[0]
    typed = [(e.event_date, f"events {e.event_id} {e.progression_kind.value}") for e in ctx.record.events
             if e.kind is EventKind.progression and e.progression_kind in _RAD_CLIN_EVENTS
             and last < e.event_date <= ctx.on]
    typed += [(p.progression_date, f"prior_therapies {p.line_id} {p.progression_type.value} progression")
              for p in ctx.record.prior_therapies if p.progression_date is not None
              and p.progression_type in _RAD_CLIN_LINES and last < p.progression_date <= ctx.on]
    first = min(typed) if typed else None
    untyped = sorted((p.progression_date, p.line_id) for p in ctx.record.prior_therapies
                     if p.progression_date is not None and p.progression_type is None
                     and last < p.progression_date <= ctx.on and (first is None or p.progression_date < first[0]))
    if untyped:
        day, line_id = untyped[0]
        gap = f"prior_therapies {line_id}: type of the progression of {day} not recorded (radiological, clinical or PSA)"
        return FactValue(name, float((day - last).days), "day", day, f"last injection {last} ({end[1]}) → {gap}",
                         partial=True, gaps=(gap,))
    if first is None:
        return FactValue(name, float("inf"), "day", None,
                         f"no radiological or clinical progression recorded between {last} and {ctx.on}")
    return FactValue(name, float((first[0] - last).days), "day", first[0],
                     f"last injection {last} ({end[1]}) → {first[1]} {first[0]}")


@dataclasses.dataclass(frozen=True)
class _ArsiLines:
    prior: list[PriorTherapy]
    together: list[PriorTherapy]
    anchor: date
    start: date


def _arsi_lines(ctx: Context, leaf: Condition) -> _ArsiLines | str:
    """ARSI lines split into prior ones and those given together with the treatment."""
    if not has_history(ctx.record):
        return "no prior therapies recorded"
    window = leaf.window
    anchor_kind = window.anchor if window is not None else Anchor.TREATMENT_START
    anchor = ctx.on if anchor_kind is Anchor.EVALUATION else ctx.anchors.get(anchor_kind)
    if anchor is None:
        return f"the {anchor_kind.value} date is not known"
    start = anchor - timedelta(days=window.before if window is not None else 0.0)
    lines = [p for p in ctx.record.prior_therapies if p.therapy_class is TherapyClass.arsi and p.start_date <= ctx.on]
    prior = [p for p in lines if p.start_date < start
             or (p.start_date <= anchor and p.end_date is not None and p.end_date < anchor)]
    return _ArsiLines(prior, [p for p in lines if p not in prior], anchor, start)


def _together_text(lines: _ArsiLines) -> str:
    if not lines.together:
        return f"no ARSI line started on or after {lines.start} and given with the treatment of {lines.anchor}"
    return (f"given with the treatment of {lines.anchor} (started on or after {lines.start}): "
            + ", ".join(f"{p.line_id} {p.agent or '(agent not recorded)'} from {p.start_date}" for p in lines.together))


def prior_arsi_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``prior_arsi_excluding_concomitant`` (see the module readings)."""
    name = "prior_arsi_excluding_concomitant"
    lines = _arsi_lines(ctx, leaf)
    if isinstance(lines, str):
        return _b(name, None, "", missing=lines)
    src = "prior_therapies " + (", ".join(p.line_id for p in lines.prior) or "no prior arsi line")
    if lines.together:
        src += "; not prior, " + _together_text(lines)
    return _b(name, bool(lines.prior), src)


def concomitant_arsi_days_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``concomitant_arsi_days_before_treatment``: the latest start of an ARSI given together."""
    name = "concomitant_arsi_days_before_treatment"
    lines = _arsi_lines(ctx, leaf)
    if isinstance(lines, str):
        return FactValue(name, None, "day", missing=lines)
    if not lines.together:
        return FactValue(name, float("inf"), "day", None, _together_text(lines))
    latest = max(p.start_date for p in lines.together)
    return FactValue(name, float((lines.anchor - latest).days), "day", latest, _together_text(lines))


def concomitant_arsi_repeat_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``concomitant_arsi_repeats_prior_agent``: an ARSI given together is one received before."""
    name = "concomitant_arsi_repeats_prior_agent"
    lines = _arsi_lines(ctx, leaf)
    if isinstance(lines, str):
        return _b(name, None, "", missing=lines)
    if not lines.together:
        return _b(name, False, _together_text(lines))
    unnamed = [p.line_id for p in [*lines.together, *lines.prior] if not p.agent]
    if unnamed:
        return _b(name, None, "", missing=f"ARSI agent not recorded for prior_therapies {', '.join(unnamed)}")
    before = {str(p.agent).strip().lower(): p for p in lines.prior}
    repeated = [f"{p.line_id} {p.agent} (also {before[str(p.agent).strip().lower()].line_id})"
                for p in lines.together if str(p.agent).strip().lower() in before]
    return _b(name, bool(repeated), "repeats " + ", ".join(repeated) if repeated else
              _together_text(lines) + "; no identical ARSI before")


def psa_rises_after_course_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``psa_rises_after_first_course``: consecutive rises to values after the first course."""
    name = "psa_rises_after_first_course"
    end = first_course_end(ctx)
    if end is None:
        return FactValue(name, None, "count", missing="no last injection of an earlier 177Lu-PSMA course recorded")
    got = psa_rises_fact(ctx, leaf, after=end[0])
    return dataclasses.replace(got, fact=name, source=f"{got.source} (first course ended {end[0]}, {end[1]})"
                               if got.source else "")


__all__ = ["concomitant_arsi_days_fact", "concomitant_arsi_repeat_fact", "course_psa_progression", "days_to_radiological_or_clinical_fact", "first_course_end",
           "prior_arsi_fact", "progression_after_course_fact", "progression_during_course_fact",
           "psa_rises_after_course_fact"]
