"""Every stored decision can be re-derived from the stored record (issue: the demo's FLEX-MRT
``resume`` decisions cited a progression that no stored event held).

The in-silico trials run the record-level engine on the record each patient had on each date;
re-deriving each stored decision on the *final* stored record cut back to that date
(:func:`lutetia.records.record_as_of`) must give the same decision, for every protocol.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from lutetia.decide.rederive import compare_decisions, rederive
from lutetia.protocols import load_protocol
from lutetia.records import EventKind, record_as_of
from lutetia.simulate import run_trial

from .builders import ae, event, given, kidney_scan, panel, record


@lru_cache(maxsize=8)
def _trial(protocol: str, n: int, seed: int) -> Any:
    return run_trial(protocol, n, np.random.default_rng(seed))


@pytest.mark.parametrize(("protocol", "n", "seed"), [("pluvicto-label", 12, 3), ("prodigy-2", 16, 3),
                                                     ("flex-mrt", 40, 11), ("realup", 10, 3),
                                                     ("re-lupsma", 10, 3), ("ecog3-registry", 8, 3)])
def test_every_simulated_decision_rederives_identically(protocol: str, n: int, seed: int) -> None:
    res = _trial(protocol, n, seed)
    proto = load_protocol(protocol)
    records = {r.patient_id: r for r in res.records}
    kinds: Counter[str] = Counter()
    differ = []
    for pid, decisions in res.decisions.items():
        history = [d["payload"] for d in decisions if d["kind"] == "next_cycle"]
        for payload in history:
            kinds[payload["kind"]] += 1
            again = rederive(records[pid], proto, payload, history)
            if not again.identical:
                differ.append((pid, payload["on"], again.differences))
    assert sum(kinds.values()) > n and differ == []
    if protocol == "flex-mrt":  # the resumptions after a progression during a holiday are among them
        assert kinds["resume"] > 0 and kinds["start_holiday"] > 0


def test_a_resume_without_its_progression_event_is_found_different() -> None:
    res = _trial("flex-mrt", 40, 11)
    proto = load_protocol("flex-mrt")
    records = {r.patient_id: r for r in res.records}
    for pid, decisions in res.decisions.items():
        history = [d["payload"] for d in decisions if d["kind"] == "next_cycle"]
        resumed = [p for p in history if p["kind"] == "resume" and any("progression" in r for r in p["reasons"])]
        if not resumed:
            continue
        rec = records[pid]
        stripped = rec.model_copy(update={"events": tuple(e for e in rec.events if e.kind is not EventKind.progression)})
        again = rederive(stripped, proto, resumed[0], history)
        assert not again.identical and any(d.startswith("kind:") for d in again.differences)
        return
    pytest.fail("no resumption after a holiday progression in this cohort")


def test_record_as_of_leaves_out_what_came_later() -> None:
    day = date(2025, 2, 17)
    rec = record(labs=[*panel(date(2025, 1, 3)), *panel(date(2025, 2, 20))],
                 administrations=[given(1, date(2025, 1, 6)), given(2, day)],
                 dosimetry=[kidney_scan(1, 100.0), kidney_scan(2, 100.0)],
                 adverse_events=[ae("AE1", "Fatigue", 2, date(2025, 1, 20), resolved=date(2025, 3, 1))],
                 events=[event("E1", "progression", date(2025, 3, 1), progression_kind="radiographic")])
    cut = record_as_of(rec, day)
    assert [a.cycle for a in cut.administrations] == [1]  # that day's dose is after the decision
    assert [m.cycle for m in cut.dosimetry] == [1]
    assert {x.sampled_on for x in cut.labs} == {date(2025, 1, 3)}
    assert cut.adverse_events[0].resolution_date is None  # not yet resolved on that day
    assert cut.events == ()
    assert [a.cycle for a in record_as_of(rec, day, before_administration_on=False).administrations] == [1, 2]
    assert datetime(2025, 1, 6, tzinfo=UTC).date() <= day


def test_compare_names_the_differing_rules() -> None:
    a = {"kind": "administer", "rules": [{"rule_id": "r1", "outcome": "met"}]}
    b = {"kind": "withhold", "rules": [{"rule_id": "r2", "outcome": "met"}]}
    diffs = compare_decisions(a, b)
    assert diffs[0] == "kind: stored 'administer', now 'withhold'"
    assert "stored only r1=met; now only r2=met" in diffs[1]
