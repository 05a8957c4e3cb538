"""The next-cycle decision: administer, not yet due, reduce, withhold, holiday, resume, curtail,
stop — or "cannot decide" with exactly what is missing.

Order of the checks on the date ``on`` for a patient on ``protocol`` / ``arm``:

1. stop: death, off study, maximum cycles given (cycles before and after holidays count
   together), or progression (recorded progression events of
   the arm's ``progression_stop`` kinds after treatment start, outside holidays);
2. holiday (arms with a ``holiday`` rule): on holiday, resume when a progression of the
   ``progression_stop`` kinds is recorded since the holiday began or ``resume`` is met,
   else stay on holiday with the next surveillance date; after a cycle, start a holiday
   when ``enter`` is met;
3. timing: before the earliest day of the cycle's window → not_due (the cycle is not yet due: not a treatment delay, which is a withhold);
4. dose modifications (:mod:`lutetia.decide.modifications`): discontinue → stop;
   withhold → withhold; an unevaluable trigger → cannot decide;
5. activity (:mod:`lutetia.decide.activity`) and the kidney cap: curtail when the next
   cycle would take the cumulative kidney dose/BED over the cap.

Labs are read within ``lab_window_days`` before the date: the protocol's pre-cycle lab
visit (``window_before``) when it has one, else :data:`DEFAULT_LAB_WINDOW_DAYS`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from lutetia.decide.activity import (
    ActivityPlan,
    fixed_activity,
    individualised_activity,
    personalised_activity,
)
from lutetia.decide.dosimetry import KidneyCycle, kidney_history
from lutetia.decide.evaluate import evaluate, rule_result
from lutetia.decide.history import protocol_administrations
from lutetia.decide.model import (
    DEFAULT_LOOKBACK_DAYS,
    Context,
    Outcome,
    RuleResult,
    anchors_for,
    jsonable,
)
from lutetia.decide.modifications import apply_modifications
from lutetia.physics.radiobiology import bed_gy
from lutetia.protocols import Anchor, Arm, Protocol
from lutetia.records import Administration, EventKind, PatientRecord

#: Labs count for a cycle when sampled within this many days before it, if the protocol
#: has no pre-cycle lab visit.  Project default (the label gives no lab timing).
DEFAULT_LAB_WINDOW_DAYS: Final[float] = 14.0

Holiday = tuple[date, date | None]


class EndReason(Enum):
    """Why a decision ends treatment (``stop`` or ``curtail``): a structured field, never read
    back from the human-readable reasons."""

    DIED = "died"
    OFF_STUDY = "off_study"
    TREATMENT_ENDED = "treatment_ended"  # an earlier stored stop or curtail
    CYCLES_COMPLETED = "cycles_completed"
    PROGRESSION = "progression"
    DOSE_MODIFICATION = "dose_modification"  # a dose-modification rule discontinues
    KIDNEY_LIMIT = "kidney_limit"  # the cumulative kidney dose/BED cap or budget


@dataclass(frozen=True)
class CycleDecision:
    """One next-cycle decision, immutable; :meth:`to_json` is what the store keeps."""

    patient_id: str
    protocol_id: str
    arm: str
    on: date
    kind: str
    cycle: int | None
    activity_gbq: float | None = None
    range_gbq: tuple[float, float] | None = None
    derivation: str = ""
    reasons: tuple[str, ...] = ()
    rules: tuple[RuleResult, ...] = ()
    missing: tuple[str, ...] = ()
    next_date: date | None = None
    inputs: Mapping[str, Any] | None = None
    flags: tuple[RuleResult, ...] = ()
    checked: tuple[RuleResult, ...] = ()
    end_reason: EndReason | None = None

    @property
    def administer(self) -> bool:
        """Whether the decision is to give a cycle now."""
        return self.kind in ("administer", "reduce", "resume")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(self)
        return out


def _planned(last: Administration, arm: Arm) -> tuple[date, date, date]:
    iv = arm.treatment.interval
    planned = last.administered_at.date() + timedelta(weeks=iv.weeks)
    w = timedelta(weeks=iv.window_weeks)
    return planned - w, planned, planned + w


def lab_window(protocol: Protocol, arm: Arm) -> float:
    """Days before a cycle within which its labs count (see the module docstring)."""
    for v in [*protocol.schedule, *arm.schedule]:
        if v.anchor is Anchor.CYCLE and v.window_before is not None and v.phase == "treatment" and any(
                "haematology" in i or "labs" in i for i in v.items):
            return v.window_before
    return DEFAULT_LAB_WINDOW_DAYS


def _in_holiday(day: date, holidays: Sequence[Holiday]) -> bool:
    return any(s <= day and (e is None or day <= e) for s, e in holidays)


def _stop_rules(record: PatientRecord, arm: Arm, given: list[Administration], on: date,
                holidays: Sequence[Holiday]) -> tuple[RuleResult, str, EndReason] | None:
    cycles = arm.treatment.cycles
    if len(given) >= cycles.max:
        return (rule_result(cycles, None, Outcome.MET, "stop"), f"{len(given)} of at most {cycles.max} cycles given",
                EndReason.CYCLES_COMPLETED)
    stop = arm.treatment.progression_stop
    if stop is None:
        return None
    start = given[0].administered_at.date() if given else on
    progressed = [e for e in record.events if e.kind is EventKind.progression and start < e.event_date <= on
                  and e.progression_kind is not None and e.progression_kind.value in stop.kinds
                  and not _in_holiday(e.event_date, holidays)]
    if progressed:
        e = progressed[0]
        return (rule_result(stop, None, Outcome.MET, "stop"),
                f"progression ({e.progression_kind.value if e.progression_kind else ''}) on {e.event_date}",
                EndReason.PROGRESSION)
    return None


@dataclass
class _State:
    """Working state of one decision (private; the result is the frozen CycleDecision)."""

    record: PatientRecord
    protocol: Protocol
    arm: Arm
    on: date
    given: tuple[Administration, ...]
    ctx: Context
    holidays: tuple[Holiday, ...]
    requested_gbq: float | None
    reductions: int | None = None
    notes: list[str] = field(default_factory=list)
    checked: tuple[RuleResult, ...] = ()

    def decision(self, kind: str, **kw: Any) -> CycleDecision:
        cycle = len(self.given) + 1 if kind not in ("stop",) else None
        inputs = {"administrations": [{"cycle": a.cycle, "course": a.course, "date": a.administered_at.date(),
                                       "activity_gbq": a.activity_gbq} for a in self.given],
                  "holidays": [list(h) for h in self.holidays], "requested_activity_gbq": self.requested_gbq,
                  "lab_window_days": self.ctx.lookback_days, "reductions": self.reductions,
                  "protocol_version": self.protocol.version,
                  "record_sha256": hashlib.sha256(self.record.model_dump_json().encode()).hexdigest()}
        if self.notes:
            kw["reasons"] = (*kw.get("reasons", ()), *self.notes)
        flags = () if kind == "stop" else _flags(self.ctx, self.protocol)
        return CycleDecision(self.record.patient_id, self.protocol.id, self.arm.id, self.on, kind, cycle,
                             inputs=MappingProxyType(inputs), flags=flags, checked=self.checked, **kw)


def _flags(ctx: Context, protocol: Protocol) -> tuple[RuleResult, ...]:
    """The protocol's flag criteria met on the decision date (e.g. the label's ECOG > 2, which
    the ECOG 3 registry allows): shown with every decision that continues treatment.  A flag
    without its own window reads the latest value since screening (the eligibility look-back
    before treatment start), not only the pre-cycle window."""
    if ctx.baseline_date is not None:
        ctx = dataclasses.replace(ctx, lookback_days=max(ctx.lookback_days, (ctx.on - ctx.baseline_date).days
                                                         + DEFAULT_LOOKBACK_DAYS))
    out = []
    for c in protocol.criteria:
        if c.kind == "flag" and c.rule is not None:
            ev = evaluate(c.rule, ctx)
            if ev.outcome is Outcome.MET:
                out.append(rule_result(c, ev, Outcome.MET, "flag"))
    return tuple(out)


def _holiday_step(s: _State) -> CycleDecision | None:
    rule = s.arm.treatment.holiday
    if rule is None or not s.given:
        return None
    current = s.holidays[-1] if s.holidays and s.holidays[-1][1] is None else None
    if current is not None:
        seen = _progression_during(s, current[0])
        if seen is not None:
            s.notes.append(seen)
            return None  # progression detected: resume (the holiday's own text), continue to the dose checks
        ev = evaluate(rule.resume, s.ctx)
        if ev.outcome is Outcome.MET:
            return None  # resume: continue to the dose checks
        every = timedelta(weeks=rule.surveillance.every_weeks)
        nxt = current[0] + every
        while nxt <= s.on:
            nxt += every
        note = (f"resume not evaluable: {'; '.join(ev.missing)}" if ev.outcome is Outcome.NOT_EVALUABLE
                else "no progression: stay on holiday")
        return s.decision("holiday", rules=(rule_result(rule, ev, ev.outcome, "holiday"),), reasons=(
            note, f"surveillance: {rule.surveillance.imaging} ({rule.surveillance.response_criteria}) and PSA "
            f"every {rule.surveillance.every_weeks:g} weeks; next by {nxt}"), next_date=nxt)
    ev = evaluate(rule.enter, s.ctx)
    if ev.outcome is Outcome.NOT_EVALUABLE:
        s.notes.append("holiday criteria not evaluable: " + "; ".join(ev.missing))
    if ev.outcome is Outcome.MET:
        nxt = s.on + timedelta(weeks=rule.surveillance.every_weeks)
        return s.decision("start_holiday", rules=(rule_result(rule, ev, ev.outcome, "holiday"),), reasons=(
            f"exceptional response after cycle {len(s.given)} ({rule.enter_status}: {rule.enter_note})",
            f"first surveillance {rule.surveillance.imaging} + PSA by {nxt}"), next_date=nxt)
    return None


def _progression_during(s: _State, holiday_start: date) -> str | None:
    """A recorded progression of the arm's ``progression_stop`` kinds since the holiday began:
    "if progression is detected, treatment resumes" (the holiday rule) whatever the
    surveillance scan's RECIP read says."""
    stop = s.arm.treatment.progression_stop
    kinds = set(stop.kinds) if stop is not None else set()
    events = [e for e in s.record.events if e.kind is EventKind.progression and holiday_start <= e.event_date <= s.on
              and e.progression_kind is not None and e.progression_kind.value in kinds]
    if not events:
        return None
    e = min(events, key=lambda e: e.event_date)
    kind = e.progression_kind.value if e.progression_kind else ""
    return f"progression ({kind}) recorded on {e.event_date} during the holiday begun {holiday_start}: resume"


def _timing(s: _State) -> CycleDecision | None:
    if not s.given:
        return None
    last = s.given[-1]
    if s.holidays and s.holidays[-1][0] >= last.administered_at.date():
        return None  # resuming after a holiday: no interval to wait for
    earliest, planned, latest = _planned(last, s.arm)
    if s.on < earliest:
        iv = s.arm.treatment.interval
        return s.decision("not_due", rules=(rule_result(iv, None, Outcome.NOT_MET, "interval"),),
                          reasons=(f"cycle {len(s.given) + 1} window {earliest} to {latest} (planned {planned})",),
                          next_date=earliest)
    if s.on > latest:
        s.notes.append(f"cycle {len(s.given) + 1} is {(s.on - latest).days} day(s) past its window "
                       f"{earliest} to {latest} (planned {planned}; {s.arm.treatment.interval.id})")
    return None


def reductions_given(arm: Arm, given: Sequence[Administration]) -> int:
    """Reductions already applied: the last cycle below nominal × (1 − tolerance), in
    reduction steps, or an administration whose recorded reason mentions a reduction."""
    act, red = arm.treatment.activity, arm.treatment.reduction
    if red is None or not given:
        return 0
    by_reason = any("reduc" in (a.reason or "").lower() for a in given)
    if act.nominal is None:
        return int(by_reason)
    last = given[-1].activity_gbq
    if last < act.nominal.value * (1 - act.tolerance_pct / 100.0):
        import math

        steps = round(math.log(last / act.nominal.value) / math.log(1 - red.pct / 100.0))
        return max(1, min(steps, red.max_reductions))
    return int(by_reason)


def _activity(s: _State, reductions: int, history: list[KidneyCycle], problems: dict[int, str]) -> ActivityPlan:
    t = s.arm.treatment
    pct = t.reduction.pct if t.reduction else 0.0
    if t.activity.mode == "fixed":
        return fixed_activity(t.activity, reductions, pct)
    if t.activity.mode == "personalised":
        previous = s.given[-1].cycle if s.given else None
        return personalised_activity(t.activity, history, previous, t.cycles.max - len(s.given), reductions, pct,
                                     problems)
    last = s.given[-1].administered_at.date() if s.given else None
    return individualised_activity(t.activity, s.ctx, s.requested_gbq, last, reductions, pct)


def _kidney_cap(s: _State, plan: ActivityPlan, history: list[KidneyCycle]) -> tuple[RuleResult, list[str], bool] | None:
    cap = s.arm.treatment.kidney_cap
    if cap is None or not s.given or plan.activity_gbq is None or not history:
        return None
    last = history[-1]
    dose_next = last.entry.dose_per_gbq * plan.activity_gbq
    g = last.entry.g_factor or 0.0
    per_cycle = dose_next if cap.quantity == "dose" else bed_gy(dose_next, g, last.alpha_beta_gy)
    cum = sum((k.entry.dose_gy if cap.quantity == "dose" else (k.entry.bed_gy or 0.0)) for k in history)
    unit = cap.limit.unit
    allowed = int((cap.limit.value - cum) // per_cycle) if per_cycle > 0 else 10**6
    lines = [f"kidney cumulative {cap.quantity} after {len(history)} measured cycle(s) = {cum:.2f} {unit}",
             f"next cycle at {plan.activity_gbq:.2f} GBq × {last.entry.dose_per_gbq:.3f} Gy/GBq (cycle "
             f"{last.entry.cycle}) → {per_cycle:.2f} {unit}; cap {cap.limit.value:g} {unit}",
             f"the cap allows {max(allowed, 0)} more cycle(s) at this activity"]
    exceeds = cum + per_cycle > cap.limit.value
    return rule_result(cap, None, Outcome.MET if exceeds else Outcome.NOT_MET, "kidney_cap"), lines, exceeds


def _treat(s: _State, resumed: bool) -> CycleDecision:
    t = s.arm.treatment
    most = t.reduction.max_reductions if t.reduction else 0
    reduced = reductions_given(s.arm, s.given) if s.reductions is None else min(s.reductions, most)
    last_day = s.given[-1].administered_at.date() if s.given else None
    mods = apply_modifications(s.ctx, list(s.protocol.modifications), reduced > 0, last_day)
    s.checked = mods.checked
    rules = list(mods.fired)
    if mods.action == "discontinue":
        return s.decision("stop", rules=tuple(rules), reasons=("discontinued by a dose-modification rule",),
                          end_reason=EndReason.DOSE_MODIFICATION)
    if mods.action == "withhold":
        return s.decision("withhold", rules=tuple(rules), reasons=tuple(r.note for r in mods.fired),
                          missing=mods.missing)
    if mods.missing:
        return s.decision("cannot_decide", rules=tuple(rules), missing=mods.missing)
    reductions = reduced
    reduce_now = mods.reduce and t.reduction is not None and reduced < t.reduction.max_reductions
    if reduce_now:
        reductions += 1
        assert t.reduction is not None
        rules.append(rule_result(t.reduction, None, Outcome.MET, "reduction"))
    history, problems = kidney_history(s.record, list(s.given))
    ledger_rule = t.kidney_cap if t.kidney_cap is not None else (t.activity if t.activity.mode == "personalised" else None)
    if ledger_rule is not None and problems:
        # the cumulative kidney dose/BED is a sum over every cycle given: a missing cycle would
        # silently drop out of it and let the next dose pass the limit
        return s.decision("cannot_decide", rules=(*rules, rule_result(ledger_rule, None, Outcome.NOT_EVALUABLE)),
                          missing=tuple(problems[c] for c in sorted(problems)))
    plan = _activity(s, reductions, history, problems)
    reasons = [*plan.reasoning, *mods.advisory]
    if resumed:
        reasons.insert(0, _resume_baseline(s))
    if plan.missing:
        return s.decision("cannot_decide", rules=(*rules, rule_result(t.activity, None, Outcome.NOT_EVALUABLE)),
                          missing=plan.missing, derivation=plan.derivation)
    if plan.curtail:
        return s.decision("curtail", rules=(*rules, rule_result(t.activity, None, Outcome.MET, "activity")),
                          reasons=tuple(reasons), derivation=plan.derivation, end_reason=EndReason.KIDNEY_LIMIT)
    cap = _kidney_cap(s, plan, history)
    if cap is not None:
        rules.append(cap[0])
        reasons.extend(cap[1])
        if cap[2]:
            kind = "curtail" if t.kidney_cap and t.kidney_cap.action == "curtail" else "stop"
            return s.decision(kind, rules=tuple(rules), reasons=tuple(reasons), end_reason=EndReason.KIDNEY_LIMIT)
    rules.append(rule_result(t.activity, None, Outcome.MET, "activity"))
    kind = "resume" if resumed else ("reduce" if reduce_now else "administer")
    return s.decision(kind, activity_gbq=plan.activity_gbq, range_gbq=plan.range_gbq, derivation=plan.derivation,
                      rules=tuple(rules), reasons=tuple(reasons))


def _resume_baseline(s: _State) -> str:
    first = s.given[0].administered_at.date()
    spects = sorted((i for i in s.record.imaging if i.cycle == 1 and i.modality.value == "spect_ct"
                     and i.study_date >= first), key=lambda i: i.study_date)
    which = f"{spects[0].study_id} ({spects[0].study_date})" if spects else "not recorded"
    return f"resumed after the holiday: radiographic baseline for later comparisons is the cycle-1 SPECT/CT {which}"


def next_cycle(record: PatientRecord, protocol: Protocol, arm_id: str, on: date, *,
               holidays: Sequence[Holiday] = (), requested_activity_gbq: float | None = None,
               lab_window_days: float | None = None, reductions: int | None = None,
               treatment_ended: tuple[date, str] | None = None) -> CycleDecision:
    """Decide the next cycle of ``record`` on ``protocol`` / ``arm_id`` on the date ``on``.

    Parameters
    ----------
    record, protocol, arm_id
        The patient record, the loaded protocol and the arm.
    on : date
        The date of the decision (planned cycle date); nothing after it is read.
    holidays : sequence of (start, end or None)
        Treatment holidays so far (:func:`holidays_from_decisions` reads them from stored
        decisions); an open last holiday means the patient is on holiday.
    requested_activity_gbq : float, optional
        The physician's activity for an individualised arm, GBq.
    lab_window_days : float, optional
        Override of the pre-cycle lab window, days.
    reductions : int, optional
        Dose reductions already applied (a simulator or the store knows them); default: read
        from the record (:func:`reductions_given`).
    treatment_ended : (date, str), optional
        An earlier decision that ended treatment (a stored ``stop`` or ``curtail``: the
        regimen is over) and what it was; later dates give ``stop`` citing it.
    """
    arm = protocol.arm(arm_id)
    given = tuple(a for a in protocol_administrations(record, protocol.id) if a.administered_at.date() <= on)
    window = lab_window_days if lab_window_days is not None else lab_window(protocol, arm)
    anchors = anchors_for(record, protocol, on)
    planned = _planned(given[-1], arm)[1] if given else None
    ctx = Context(record, protocol, on, anchors, window, baseline_date=anchors[Anchor.TREATMENT_START],
                  planned_cycle=planned)
    s = _State(record, protocol, arm, on, given, ctx, tuple(holidays), requested_activity_gbq, reductions)
    ended = _ended(record, protocol, on)
    if ended is None and treatment_ended is not None and treatment_ended[0] <= on:
        ended = (f"treatment ended on {treatment_ended[0]} ({treatment_ended[1]})", EndReason.TREATMENT_ENDED)
    if ended is not None:
        return s.decision("stop", reasons=(ended[0],), end_reason=ended[1])
    stop = _stop_rules(record, arm, list(given), on, holidays)
    on_holiday = bool(holidays) and holidays[-1][1] is None
    if stop is not None and not on_holiday:
        return s.decision("stop", rules=(stop[0],), reasons=(stop[1],), end_reason=stop[2])
    step = _holiday_step(s) or _timing(s)
    if step is not None:
        return step
    return _treat(s, resumed=on_holiday)


def _ended(record: PatientRecord, protocol: Protocol, on: date) -> tuple[str, EndReason] | None:
    if record.death_date is not None and record.death_date <= on:
        return f"died on {record.death_date}", EndReason.DIED
    for e in record.enrolments:
        if e.protocol_id == protocol.id and e.off_study_on is not None and e.off_study_on <= on:
            return (f"off study on {e.off_study_on} ({e.off_study_reason or 'no reason recorded'})",
                    EndReason.OFF_STUDY)
    return None


def holidays_from_decisions(decisions: Sequence[Mapping[str, Any]]) -> list[Holiday]:
    """Holiday periods from stored decision payloads (``kind``, ``on``), in order:
    ``start_holiday`` opens one, ``resume`` closes it."""
    out: list[Holiday] = []
    for d in sorted(decisions, key=lambda d: str(d.get("on"))):
        day = date.fromisoformat(str(d.get("on")))
        if d.get("kind") == "start_holiday" and not (out and out[-1][1] is None):
            out.append((day, None))
        elif d.get("kind") == "resume" and out and out[-1][1] is None:
            out[-1] = (out[-1][0], day)
    return out


def reductions_from_decisions(decisions: Sequence[Mapping[str, Any]]) -> int | None:
    """Reductions decided so far (stored decisions of kind ``reduce``, one per cycle), None
    when none."""
    cycles = {d.get("cycle") for d in decisions if d.get("kind") == "reduce"}
    return len(cycles) or None


__all__ = ["DEFAULT_LAB_WINDOW_DAYS", "CycleDecision", "EndReason", "Holiday",
           "holidays_from_decisions", "lab_window", "next_cycle", "reductions_from_decisions", "reductions_given"]
