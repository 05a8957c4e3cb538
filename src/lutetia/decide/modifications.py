"""Dose-modification rules: which fire on a date, and the strongest action.

A rule is considered when its ``applies`` matches the patient's history (``first``: no
reduction yet; ``after_reduction``: after one; ``any``).  It *fires* when its trigger is
met on the date, or — for rules that reduce or discontinue — on any laboratory or AE date
since the last administration (a grade 3 seen between cycles still leads to the reduction
after recovery).  The strongest action wins: discontinue > withhold > reduce > "consider"
(advisory, shown to the physician); every fired rule is reported, and every rule checked
and not met with the values it read (``checked``).  A withhold with
``until`` lasts while ``until`` is not met (one whose ``until`` already holds withholds
nothing); a withhold without ``until`` ("until improvement") ends only with the
physician's recorded decision to resume (a criterion answer ``True`` keyed by the rule id,
dated after the last administration).  A trigger that is
not evaluable makes the decision "cannot decide" with what is missing.

Reading: the record does not say which toxicity a reduction was for, so ``first`` /
``after_reduction`` use whether any reduction has been given (the label allows one).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from lutetia.decide.evaluate import evaluate, rule_result
from lutetia.decide.model import Context, Outcome, RuleResult
from lutetia.protocols import Modification

STRENGTH = {"discontinue": 4, "withhold": 3, "reduce": 2, "consider": 1, "none": 0}


@dataclass(frozen=True)
class ModificationOutcome:
    """Fired rules, the strongest action, pending reduction and what is missing."""

    action: str
    reduce: bool
    fired: tuple[RuleResult, ...]
    advisory: tuple[str, ...]
    missing: tuple[str, ...]
    checked: tuple[RuleResult, ...] = ()


def _event_dates(ctx: Context, since: date) -> list[date]:
    days = {x.sampled_on for x in ctx.record.labs if since < x.sampled_on < ctx.on}
    days |= {a.onset_date for a in ctx.record.adverse_events if since < a.onset_date < ctx.on}
    return sorted(days)


def _met_since(ctx: Context, rule: Modification, since: date | None) -> date | None:
    if since is None:
        return None
    for day in _event_dates(ctx, since):
        if evaluate(rule.trigger, dataclasses.replace(ctx, on=day)).outcome is Outcome.MET:
            return day
    return None


def _action_of(rule: Modification, ctx: Context, last_given: date | None) -> tuple[str, bool, str]:
    """(action, reduce pending, note) of a fired rule."""
    a = rule.action
    if a.discontinue == "yes":
        return "discontinue", False, "discontinue"
    reduce = a.reduce == "yes"
    if a.withhold:
        if a.until is not None:
            until = evaluate(a.until, ctx)
            if until.outcome is not Outcome.MET:
                return "withhold", reduce, f"withhold until {until.description} ({until.outcome.value})"
            return ("reduce" if reduce else "none"), reduce, f"until met: {until.description}"
        answer = ctx.answer(rule.id, after=last_given)
        if answer is None or not answer[0]:
            return "withhold", reduce, ("withhold until improvement: resumption is a recorded physician decision "
                                        f"(an answer to {rule.id} after the last administration)")
        return ("reduce" if reduce else "none"), reduce, f"physician decided to resume ({answer[1]})"
    if reduce:
        return "reduce", True, "reduce"
    return "consider", False, f"consider: reduce {a.reduce}, discontinue {a.discontinue}"


def apply_modifications(ctx: Context, rules: list[Modification], reduced: bool,
                        last_administration: date | None) -> ModificationOutcome:
    """Evaluate ``rules`` on ``ctx.on`` (see the module docstring).

    Before the first administration only the ``before_first_dose`` rules apply (the
    pre-treatment check); the others respond to adverse reactions to a dose given (label
    §2.4) and apply from the second cycle on.
    """
    first_dose = last_administration is None
    fired: list[RuleResult] = []
    checked: list[RuleResult] = []
    missing: dict[str, list[str]] = {}
    advisory: list[str] = []
    best, reduce = "none", False
    for rule in rules:
        if (rule.applies == "before_first_dose") != first_dose:
            continue
        if (rule.applies == "first" and reduced) or (rule.applies == "after_reduction" and not reduced):
            continue
        ev = evaluate(rule.trigger, ctx)
        past = None
        if ev.outcome is not Outcome.MET and (rule.action.reduce == "yes" or rule.action.discontinue == "yes"):
            past = _met_since(ctx, rule, last_administration)
        if ev.outcome is Outcome.NOT_EVALUABLE and past is None:
            for m in ev.missing:
                missing.setdefault(m, []).append(rule.id)
            continue
        if ev.outcome is not Outcome.MET and past is None:
            checked.append(rule_result(rule, ev, ev.outcome, rule.family))
            continue
        action, pending, note = _action_of(rule, ctx, last_administration)
        if past is not None:
            note = f"trigger met on {past}; " + note
        fired.append(rule_result(rule, ev, Outcome.MET, rule.family, note))
        if action == "consider":
            advisory.append(f"{rule.id}: {rule.text}")
        reduce = reduce or pending
        if STRENGTH[action] > STRENGTH[best]:
            best = action
    needs = tuple(f"{m} (needed by {', '.join(ids)})" for m, ids in missing.items())
    return ModificationOutcome(best, reduce, tuple(fired), tuple(advisory), needs, tuple(checked))


__all__ = ["ModificationOutcome", "STRENGTH", "apply_modifications"]
