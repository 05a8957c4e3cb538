"""The record-level decision engine as a simulation policy.

The first cycle follows the eligibility decision (:func:`lutetia.decide.eligibility.assess_eligibility`
at screening, in :func:`lutetia.simulate.trial.run_trial`) at the protocol's first-cycle
activity: dose *modifications* apply from the second cycle on (the label's modification
rules compare with the treatment baseline, which has no later value before cycle 1).

:func:`engine_policy` asks :func:`lutetia.decide.next_cycle.next_cycle` about every patient
at every decision point, on the record that patient has *on that date* (built by
:func:`lutetia.simulate.records.patient_record` with ``as_of``), and turns its answer into
the cohort stepper's actions.  The simulated physician adds only what the engine leaves to
a physician: the individualised activity (ECOG 3 registry arm), and discontinuation when a
delay passes the label's "consider discontinuation" limit (parameter ``physician``).
Engine decisions are kept (``decisions``) with their JSON payloads for the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from lutetia.decide.next_cycle import CycleDecision, EndReason, Holiday, next_cycle
from lutetia.protocols import Protocol
from lutetia.simulate.model import Action, CohortSim, Decision, Point
from lutetia.simulate.records import patient_record, prime_grades
from lutetia.simulate.vector import individualised_activity, physician_stop

_GIVE = {"administer", "reduce", "resume"}
_HOLD = {"withhold", "cannot_decide", "not_due"}
#: The stepper's action for each structured reason a decision ends treatment.
_END_ACTIONS = {EndReason.CYCLES_COMPLETED: Action.COMPLETED, EndReason.PROGRESSION: Action.PROGRESSION,
                EndReason.KIDNEY_LIMIT: Action.CURTAIL}


def action_of(d: CycleDecision) -> Action:
    """The stepper's action for an engine decision kind (stops split by their reason)."""
    if d.kind in _GIVE:
        return Action.GIVE
    if d.kind in _HOLD:
        return Action.WITHHOLD
    if d.kind in ("holiday", "start_holiday"):
        return Action.HOLIDAY
    if d.kind == "curtail":
        return Action.CURTAIL
    return _END_ACTIONS.get(d.end_reason, Action.DISCONTINUE) if d.end_reason else Action.DISCONTINUE


@dataclass
class EnginePolicy:
    """Callable policy (``policy(sim, point) -> Decision``) backed by ``next_cycle``."""

    protocol: Protocol
    arm: str
    start: date
    patient_ids: list[str]
    randomised: bool = False
    holidays: dict[int, list[Holiday]] = field(default_factory=dict)
    decisions: dict[int, list[CycleDecision]] = field(default_factory=dict)

    def __call__(self, sim: CohortSim, pt: Point) -> Decision:
        n = pt.t_days.shape[0]
        action = np.full(n, int(Action.NONE), dtype=np.int64)
        act = np.full(n, np.nan)
        reduce_now = np.zeros(n, dtype=bool)
        requested = individualised_activity(sim, pt) if sim.rules.mode == "individualised" else None
        prime_grades(sim, pt.labs[pt.active])
        for i in np.flatnonzero(pt.active):
            day = self.start + timedelta(days=int(round(pt.t_days[i])))
            rec = patient_record(sim, int(i), self.protocol, self.arm, self.start, pid=self.patient_ids[i],
                                 randomised=self.randomised, as_of=day, current=pt)
            hol = self.holidays.setdefault(int(i), [])
            d = next_cycle(rec, self.protocol, self.arm, day, holidays=tuple(hol),
                           requested_activity_gbq=None if requested is None else float(requested[i]),
                           reductions=int(sim.reductions[i]))
            self.decisions.setdefault(int(i), []).append(d)
            if d.kind == "start_holiday":
                hol.append((day, None))
            elif d.kind == "resume" and hol and hol[-1][1] is None:
                hol[-1] = (hol[-1][0], day)
            a = action_of(d)
            action[i] = int(a)
            if a is Action.GIVE and d.activity_gbq is not None:
                act[i] = d.activity_gbq
                reduce_now[i] = d.kind == "reduce"
        stop = physician_stop(sim, action)
        action[stop] = int(Action.DISCONTINUE)
        return Decision(action, act, reduce_now)

    def payloads(self, i: int) -> list[dict[str, Any]]:
        """Patient ``i``'s decisions as ``save_decision`` keyword arguments (minus ``user``)."""
        return [{"patient_id": self.patient_ids[i], "protocol_id": self.protocol.id, "kind": "next_cycle",
                 "decided_on": d.on, "outcome": d.kind, "payload": d.to_json()}
                for d in self.decisions.get(i, [])]
