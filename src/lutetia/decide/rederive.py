"""Re-deriving a stored next-cycle decision from the record as it stood on its date.

A decision is reproducible when the same engine, given the record as it was on the decision
date (:func:`lutetia.records.record_as_of`: nothing recorded later, not that day's
administration) and the decision history before that date (holidays, reductions, an earlier
end of treatment — all stored decisions), reaches the same decision.  The physician's
requested activity of an individualised arm is an input of the decision itself
(``inputs.requested_activity_gbq`` of the stored payload).  Compared: kind, cycle, activity
and its range, the structured end reason, the rules with their outcomes, what was missing,
the flags and the next date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lutetia.decide.next_cycle import (
    CycleDecision,
    holidays_from_decisions,
    next_cycle,
    reductions_from_decisions,
)
from lutetia.protocols import Protocol
from lutetia.records import PatientRecord, record_as_of

#: Decision kinds that end treatment: later dates give ``stop`` citing the first of them.
ENDING_KINDS = ("stop", "curtail")


def treatment_ended_from_decisions(decisions: Sequence[Mapping[str, Any]]) -> tuple[date, str] | None:
    """(date, kind) of the first stored decision that ended treatment, or None."""
    ends = sorted((date.fromisoformat(str(d["on"])), str(d["kind"])) for d in decisions
                  if d.get("kind") in ENDING_KINDS)
    return ends[0] if ends else None


def decide_with_history(record: PatientRecord, protocol: Protocol, arm: str, on: date,
                        history: Sequence[Mapping[str, Any]], requested_activity_gbq: float | None = None,
                        ) -> CycleDecision:
    """:func:`next_cycle` on ``on`` with the holidays, reductions and end of treatment of the
    stored decisions ``history`` (payload dicts with ``kind``, ``on``, ``cycle``) before ``on``."""
    before = [d for d in history if date.fromisoformat(str(d["on"])) < on]
    ended = treatment_ended_from_decisions(before)
    return next_cycle(record, protocol, arm, on, holidays=holidays_from_decisions(before),
                      requested_activity_gbq=requested_activity_gbq, reductions=reductions_from_decisions(before),
                      treatment_ended=None if ended is None else (ended[0], f"stored {ended[1]} decision"))


@dataclass(frozen=True)
class Rederivation:
    """A stored decision (payload) beside the decision derived again, and how they differ."""

    stored: Mapping[str, Any]
    again: CycleDecision
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def decide_for_enrolment(record: PatientRecord, on: date, history: Sequence[Mapping[str, Any]]) -> CycleDecision:
    """The next-cycle decision on ``on`` for the patient's latest enrolment, as a physician sees it
    before signing (the web's decision page) and as a signature is re-checked (a signature holds
    while this decision, re-made, has the signed digest).  ``history``: the stored decisions before
    ``on`` (:func:`lutetia.store.decisions.decision_history`).  Not enrolled, or no arm yet in a
    multi-arm protocol → :class:`~lutetia.errors.RecordError` saying what to do."""
    from lutetia.errors import RecordError
    from lutetia.protocols import load_protocol

    if not record.enrolments:
        raise RecordError(f"patient {record.patient_id} is not enrolled; enrol first", field="enrolments")
    enrolment = sorted(record.enrolments, key=lambda e: e.enrolled_on)[-1]
    protocol = load_protocol(enrolment.protocol_id)
    arm = enrolment.arm or (protocol.arms[0].id if len(protocol.arms) == 1 else None)
    if arm is None:
        raise RecordError(f"patient {record.patient_id} has no arm in {protocol.id} yet; randomise first",
                          field="arm")
    return decide_with_history(record, protocol, arm, on, history, None)


def _rules(payload: Mapping[str, Any], key: str) -> list[tuple[str, str]]:
    return [(str(r["rule_id"]), str(r["outcome"])) for r in payload.get(key) or []]


def compare_decisions(stored: Mapping[str, Any], again: Mapping[str, Any]) -> tuple[str, ...]:
    """What differs between two decision payloads (empty when they are the same decision)."""
    out = []
    for key in ("kind", "cycle", "activity_gbq", "range_gbq", "end_reason", "missing", "next_date"):
        a, b = stored.get(key), again.get(key)
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            a, b = list(a), list(b)
        if a != b:
            out.append(f"{key}: stored {a!r}, now {b!r}")
    for key in ("rules", "flags"):
        a, b = _rules(stored, key), _rules(again, key)
        if a != b:
            gone = [f"{i}={o}" for i, o in a if (i, o) not in b]
            new = [f"{i}={o}" for i, o in b if (i, o) not in a]
            out.append(f"{key}: stored only {', '.join(gone) or '-'}; now only {', '.join(new) or '-'}")
    return tuple(out)


def rederive(record: PatientRecord, protocol: Protocol, stored: Mapping[str, Any],
             history: Sequence[Mapping[str, Any]]) -> Rederivation:
    """Decide ``stored`` (a next-cycle payload) again on the record as it stood on its date.

    ``history`` holds the patient's stored next-cycle decisions on this protocol (payload
    dicts with ``kind``, ``on``, ``cycle``); only those before the decision's date are read.
    """
    on = date.fromisoformat(str(stored["on"]))
    inputs = stored.get("inputs") or {}
    requested = inputs.get("requested_activity_gbq")
    again = decide_with_history(record_as_of(record, on), protocol, str(stored["arm"]), on, history,
                                None if requested is None else float(requested))
    return Rederivation(stored, again, compare_decisions(stored, again.to_json()))


__all__ = ["ENDING_KINDS", "Rederivation", "compare_decisions", "decide_with_history", "rederive",
           "treatment_ended_from_decisions"]
