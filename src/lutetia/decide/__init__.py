"""The decision engine: applies a protocol (:mod:`lutetia.protocols`) to a patient record.

Pure functions (no I/O, no clock: the date is a parameter; randomisation takes a seed):

>>> from lutetia.decide import assess_eligibility, next_cycle, build_schedule, allocate  # doctest: +SKIP

* :func:`compute_fact` / :func:`evaluate` — facts of the vocabulary and three-valued
  evaluation of condition trees (met / not met / not evaluable; missing is never a pass);
* :func:`assess_eligibility` — every criterion, and eligible / not eligible / cannot decide;
* :func:`allocate`, :func:`allocation_sequence` — permuted-block randomisation;
* :func:`build_schedule` — the visit calendar and what is due / overdue / done;
* :func:`next_cycle` — administer, delay, reduce, withhold, holiday, resume, curtail, stop
  or cannot decide, with every rule that fired and its text.
"""

from lutetia.decide.activity import ActivityPlan
from lutetia.decide.eligibility import CriterionResult, Eligibility, assess_eligibility
from lutetia.decide.evaluate import evaluate
from lutetia.decide.facts import compute_fact
from lutetia.decide.model import (
    DEFAULT_LOOKBACK_DAYS,
    Context,
    Evaluation,
    FactValue,
    Outcome,
    RuleResult,
    anchors_for,
    jsonable,
)
from lutetia.decide.next_cycle import (
    DEFAULT_LAB_WINDOW_DAYS,
    CycleDecision,
    EndReason,
    Holiday,
    holidays_from_decisions,
    next_cycle,
    reductions_from_decisions,
)
from lutetia.decide.randomise import Allocation, allocate, allocation_sequence
from lutetia.decide.schedule import ScheduledVisit, build_schedule

__all__ = [
    "DEFAULT_LAB_WINDOW_DAYS", "DEFAULT_LOOKBACK_DAYS", "ActivityPlan", "Allocation",
    "Context", "CriterionResult", "CycleDecision", "EndReason", "Eligibility", "Evaluation", "FactValue", "Holiday",
    "Outcome", "RuleResult", "ScheduledVisit", "allocate", "allocation_sequence", "anchors_for", "assess_eligibility",
    "build_schedule", "compute_fact", "evaluate", "holidays_from_decisions", "jsonable", "next_cycle",
    "reductions_from_decisions",
]
