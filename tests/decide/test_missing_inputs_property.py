"""Property: no "administer" when any input a rule needs is missing — every protocol and arm,
the pre-cycle laboratory panel and the kidney ledger.

Which inputs a rule needs is read from the protocol data itself (the laboratory analytes behind
the facts and CTCAE terms of its dose-modification triggers; the kidney dosimetry of every given
cycle for an arm with a kidney cap or a personalised activity), not typed here.  Hypothesis
removes random subsets of the inputs from a record that is otherwise given its cycle 2.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given as hgiven
from hypothesis import settings
from hypothesis import strategies as st

from lutetia.decide import next_cycle
from lutetia.decide.facts_ctcae import LAB_TERMS, RECORDED_LAB_TERMS
from lutetia.protocols import Condition, Protocol, load_protocol
from lutetia.records import Analyte

from .builders import (
    NORMAL_LABS,
    answer,
    bone_lesion,
    given,
    kidney_scan,
    panel,
    pet,
    psa,
    record,
    spect,
)

C1, C2 = date(2025, 1, 6), date(2025, 2, 17)
A24 = 0.3 * 7.4 / 0.0193453  # 0.3 Gy/GBq (see test_next_cycle)
ARMS = [("pluvicto-label", "standard"), ("prodigy-2", "personalised"), ("prodigy-2", "fixed"),
        ("flex-mrt", "flexible"), ("flex-mrt", "control"), ("realup", "retreatment"), ("re-lupsma", "rechallenge"),
        ("ecog3-registry", "individualised")]
#: Laboratory analyte read by each non-CTCAE fact of the label's rows.
FACT_ANALYTES = {"alt_x_uln": Analyte.alt, "ast_x_uln": Analyte.ast,
                 "creatinine_change_from_baseline_pct": Analyte.creatinine, "crcl_ml_min": Analyte.creatinine,
                 "crcl_change_from_baseline_pct": Analyte.creatinine}
SCAN = "kidney dosimetry of cycle 1"
REMOVABLE = [a.value for a in NORMAL_LABS] + [SCAN]


def _leaves(c: Condition | None) -> list[Condition]:
    if c is None:
        return []
    return [c] if c.fact is not None else [x for ch in (c.all_of or []) + (c.any_of or []) for x in _leaves(ch)]


def needed(protocol: Protocol, arm: str) -> set[str]:
    out: set[str] = set()
    for m in protocol.modifications:
        if m.applies == "before_first_dose":
            continue
        for leaf in _leaves(m.trigger):
            fact = leaf.fact.value if leaf.fact else ""
            if fact in FACT_ANALYTES:
                out.add(FACT_ANALYTES[fact].value)
            out |= {LAB_TERMS[t].value for t in leaf.terms if t in LAB_TERMS and t not in RECORDED_LAB_TERMS}
    t = protocol.arm(arm).treatment
    if t.kidney_cap is not None or t.activity.mode == "personalised":
        out.add(SCAN)
    return out


def _decide(protocol: str, arm: str, removed: frozenset[str]) -> Any:
    p = load_protocol(protocol)
    labs = [x for x in [*panel(date(2025, 1, 3)), *panel(date(2025, 2, 14))]
            if not (x.analyte.value in removed and x.sampled_on == date(2025, 2, 14))]
    kids = {"labs": [*labs, psa(date(2025, 1, 3), 50.0), psa(date(2025, 2, 14), 40.0)],
            "administrations": [given(1, C1, protocol=protocol, arm=arm)],
            "dosimetry": [] if SCAN in removed else [kidney_scan(1, A24)],
            "imaging": [pet("PET0", date(2024, 12, 20)), spect("SPECT1", date(2025, 1, 8), 1, 100.0)],
            "lesions": [bone_lesion("PET0")],
            "criterion_answers": [answer(protocol, p.arm(arm).treatment.activity.id, True, date(2025, 2, 16), "reason")]}
    requested = 6.0 if p.arm(arm).treatment.activity.mode == "individualised" else None
    return next_cycle(record(**kids), p, arm, C2, requested_activity_gbq=requested)


@pytest.mark.parametrize(("protocol", "arm"), ARMS)
def test_the_complete_record_is_given_its_cycle(protocol: str, arm: str) -> None:
    d = _decide(protocol, arm, frozenset())
    assert d.kind == "administer", (d.kind, d.missing)
    need = needed(load_protocol(protocol), arm)
    assert {"platelets", "neutrophils", "haemoglobin", "creatinine"} <= need


@pytest.mark.parametrize(("protocol", "arm"), ARMS)
@settings(max_examples=25, deadline=None)
@hgiven(removed=st.frozensets(st.sampled_from(REMOVABLE), min_size=1))
def test_no_administer_when_a_needed_input_is_missing(protocol: str, arm: str, removed: frozenset[str]) -> None:
    d = _decide(protocol, arm, removed)
    missing_needed = removed & needed(load_protocol(protocol), arm)
    if missing_needed:
        assert not d.administer and d.kind == "cannot_decide", (sorted(missing_needed), d.kind)
        assert d.missing
    else:  # only inputs no rule reads were removed: the decision stands
        assert d.kind == "administer", (sorted(removed), d.kind, d.missing)
