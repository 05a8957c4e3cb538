"""Eligibility: every criterion met / not met / not evaluable, and the overall verdict.

* inclusion — passes when met;
* exclusion — excludes when its condition is met, passes when not met;
* flag — never excludes: when met the physician records a reason to proceed (a
  criterion answer ``True`` keyed by the flag's id); until then the verdict is "cannot
  decide" with the missing reason listed;
* judgement criteria read the recorded answer (``criterion_answers``, keyed by protocol
  id and criterion id); the answer says whether the criterion's statement holds (for an
  exclusion, ``True`` = the excluding condition is present).  No answer → not evaluable.

Overall: *not eligible* if any criterion fails; else *cannot decide* if any is not
evaluable (listing exactly what is missing); else *eligible*.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from lutetia.decide.evaluate import evaluate, rule_result
from lutetia.decide.model import (
    DEFAULT_LOOKBACK_DAYS,
    Context,
    Evaluation,
    Outcome,
    RuleResult,
    anchors_for,
)
from lutetia.protocols import Anchor, Criterion, Protocol
from lutetia.records import PatientRecord

Verdict = Literal["eligible", "not eligible", "cannot decide"]


@dataclass(frozen=True)
class CriterionResult:
    """One criterion: the rule result, whether it passes, and a flag's recorded reason."""

    result: RuleResult
    passes: bool | None
    reason: str = ""


@dataclass(frozen=True)
class Eligibility:
    """The verdict with every criterion, the flags and what is missing."""

    patient_id: str
    protocol_id: str
    on: date
    treatment_start: date
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]
    failed: tuple[str, ...]
    flags: tuple[CriterionResult, ...]
    inputs: Mapping[str, Any] | None = None


def _judgement(ctx: Context, c: Criterion) -> tuple[Outcome, Evaluation]:
    got = ctx.answer(c.id)
    if got is None:
        msg = f"no recorded answer to {c.id}"
        return Outcome.NOT_EVALUABLE, Evaluation(Outcome.NOT_EVALUABLE, "recorded answer", (), (msg,))
    outcome = Outcome.MET if got[0] else Outcome.NOT_MET
    return outcome, Evaluation(outcome, "recorded answer", (), (), got[1])


def _criterion(ctx: Context, c: Criterion) -> CriterionResult:
    if c.judgement:
        outcome, ev = _judgement(ctx, c)
    else:
        assert c.rule is not None
        ev = evaluate(c.rule, ctx)
        outcome = ev.outcome
    result = rule_result(c, ev, outcome, c.kind)
    if outcome is Outcome.NOT_EVALUABLE:
        return CriterionResult(result, None if c.kind != "flag" else True)
    if c.kind == "inclusion":
        return CriterionResult(result, outcome is Outcome.MET)
    if c.kind == "exclusion":
        return CriterionResult(result, outcome is Outcome.NOT_MET)
    if outcome is Outcome.NOT_MET:
        return CriterionResult(result, True)
    got = ctx.answer(c.id)
    if got is None or not got[0]:
        return CriterionResult(result, None, "")
    return CriterionResult(result, True, got[1])


def assess_eligibility(record: PatientRecord, protocol: Protocol, on: date, *,
                       treatment_start: date | None = None,
                       lookback_days: float = DEFAULT_LOOKBACK_DAYS) -> Eligibility:
    """Evaluate every criterion of ``protocol`` for ``record`` on ``on``.

    Parameters
    ----------
    record, protocol
        The patient record and the loaded protocol.
    on : date
        Evaluation (screening) date; nothing after it is read.
    treatment_start : date, optional
        Planned first administration (windows anchored on ``treatment_start``); default ``on``.
    lookback_days : float
        Look-back of measured facts when a rule has no window (project default 28 days).
    """
    start = treatment_start or on
    anchors = anchors_for(record, protocol, on, {Anchor.TREATMENT_START: start})
    ctx = Context(record, protocol, on, anchors, lookback_days, baseline_date=start)
    results = tuple(_criterion(ctx, c) for c in protocol.criteria)
    failed = tuple(r.result.rule_id for r in results if r.passes is False)
    missing: list[str] = []
    for r in results:
        if r.passes is None:
            missing.extend(r.result.missing or (f"{r.result.rule_id}: physician's recorded reason to proceed "
                                                "despite the flag",))
    verdict: Verdict = "not eligible" if failed else ("cannot decide" if missing else "eligible")
    flags = tuple(r for r in results if r.result.kind == "flag" and r.result.outcome is Outcome.MET)
    inputs = {"protocol_version": protocol.version, "lookback_days": lookback_days,
              "record_sha256": hashlib.sha256(record.model_dump_json().encode()).hexdigest()}
    return Eligibility(record.patient_id, protocol.id, on, start, verdict, results,
                       tuple(dict.fromkeys(missing)), failed, flags, MappingProxyType(inputs))


__all__ = ["CriterionResult", "Eligibility", "Verdict", "assess_eligibility"]
