"""Three-valued evaluation of protocol conditions (Kleene logic, alternatives, confirmation).

Notes
-----
Leaf: the fact is computed (:func:`lutetia.decide.facts.compute_fact`); a missing fact is
*not evaluable*.  A partial value is a lower bound (a maximum with some terms missing): it
decides ``>``/``>=`` only when it already meets the threshold, ``<``/``<=`` only when it
already fails it.  ``all_of``: not met if any child is not met, else not
evaluable if any is, else met; ``any_of``: met if any child is met, else not evaluable if
any is, else not met (Kleene's strong three-valued logic [1]).
Alternatives: the leaf's own threshold first; when not met and the alternative's
``when`` is met, the alternative threshold is tested; ``when`` not evaluable → not
evaluable.  Confirmation (``confirm_days_min``): the latest value meets the threshold and
an earlier value at least that many days before it also does; a qualifying value without
such a partner is not evaluable ("awaits confirmation").

References
----------
1. Kleene SC. Introduction to Metamathematics. North-Holland 1952, §64.
"""

from __future__ import annotations

from collections.abc import Sequence

from lutetia.decide.facts import compute_fact
from lutetia.decide.model import Context, Evaluation, FactValue, Outcome, RuleResult
from lutetia.protocols import Condition
from lutetia.protocols.conditions import describe
from lutetia.protocols.schema import Rule

MET, NOT_MET, NE = Outcome.MET, Outcome.NOT_MET, Outcome.NOT_EVALUABLE


def compare(value: object, op: str, threshold: object) -> bool:
    """``value op threshold`` for the protocol comparators."""
    if op == "is_true":
        return value is True
    if op == "is_false":
        return value is False
    if op == "in":
        return value in threshold  # type: ignore[operator]
    if op == "==":
        return value == threshold
    if op == "!=":
        return value != threshold
    v, t = float(value), float(threshold)  # type: ignore[arg-type]
    return {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t}[op]


def kleene_all(outcomes: Sequence[Outcome]) -> Outcome:
    if NOT_MET in outcomes:
        return NOT_MET
    return NE if NE in outcomes else MET


def kleene_any(outcomes: Sequence[Outcome]) -> Outcome:
    if MET in outcomes:
        return MET
    return NE if NE in outcomes else NOT_MET


def _test(fv: FactValue, op: str, threshold: object) -> tuple[Outcome, tuple[str, ...]]:
    ok = compare(fv.value, op, threshold)
    # a partial value is a lower bound: it decides ">"/">=" when met and "<"/"<=" when not met
    decided = (ok and op in (">", ">=")) or (not ok and op in ("<", "<="))
    if fv.partial and not decided:
        return NE, fv.gaps
    return (MET if ok else NOT_MET), ()


def _confirmed(fv: FactValue, op: str, threshold: object, days: float) -> tuple[Outcome, str]:
    if len(fv.series) < 2:
        return NE, f"{fv.fact} {fv.value} on {fv.on} awaits a confirming measurement"
    last_day = fv.series[-1][0]
    for day, value in reversed(fv.series[:-1]):
        if (last_day - day).days >= days and compare(value, op, threshold):
            return MET, f"confirmed by {day} = {value:.4g}"
    return NE, f"{fv.fact} {fv.value:.4g} on {last_day} awaits confirmation" if isinstance(fv.value, float) \
        else f"{fv.fact} on {last_day} awaits confirmation"


def _leaf(cond: Condition, ctx: Context) -> Evaluation:
    assert cond.op is not None
    text = describe(cond)
    fv = compute_fact(ctx, cond)
    if not fv.evaluable:
        return Evaluation(NE, text, (fv,), fv.gaps or (fv.missing,))
    outcome, missing = _test(fv, cond.op, cond.value)
    note = ""
    if outcome is MET and cond.confirm_days_min is not None:
        outcome, note = _confirmed(fv, cond.op, cond.value, cond.confirm_days_min)
        missing = (note,) if outcome is NE else ()
    if outcome is NOT_MET:
        for alt in cond.alternatives:
            when = evaluate(alt.when, ctx)
            if when.outcome is NE:
                return Evaluation(NE, text, (fv, *when.facts), when.missing, "alternative condition not evaluable",
                                  (when,))
            if when.outcome is MET:
                alt_outcome, alt_missing = _test(fv, cond.op, alt.value)
                return Evaluation(alt_outcome, text, (fv, *when.facts), alt_missing,
                                  f"alternative threshold {alt.value} applies", (when,))
    return Evaluation(outcome, text, (fv,), missing, note)


def evaluate(cond: Condition, ctx: Context) -> Evaluation:
    """Evaluate ``cond`` in ``ctx`` (see the module Notes)."""
    if cond.fact is not None:
        return _leaf(cond, ctx)
    children = tuple(evaluate(c, ctx) for c in (cond.any_of or cond.all_of or []))
    combine = kleene_any if cond.any_of is not None else kleene_all
    outcome = combine([c.outcome for c in children])
    facts = tuple(f for c in children for f in c.facts)
    missing = tuple(dict.fromkeys(m for c in children if c.outcome is NE for m in c.missing)) if outcome is NE else ()
    return Evaluation(outcome, describe(cond), facts, missing, "", children)


def rule_result(rule: Rule, evaluation: Evaluation | None, outcome: Outcome, kind: str = "",
                note: str = "") -> RuleResult:
    """A :class:`RuleResult` carrying the rule's id, verbatim text, citation and status."""
    return RuleResult(rule.id, rule.text, rule.citation, rule.status, outcome, kind, evaluation, note)


__all__ = ["compare", "evaluate", "kleene_all", "kleene_any", "rule_result"]
