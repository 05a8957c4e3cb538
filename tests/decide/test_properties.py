"""Properties over generated records: no administration when a required input is missing,
no activity outside the protocol's bounds, the same inputs give the same decision."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lutetia.decide import next_cycle
from lutetia.protocols import load_protocol
from lutetia.records import Analyte

from .builders import NORMAL_LABS, answer, bone_lesion, kidney_scan, lab, pet, record
from .builders import given as administered

ARMS = [("pluvicto-label", "standard"), ("prodigy-2", "personalised"), ("prodigy-2", "fixed"),
        ("flex-mrt", "control"), ("flex-mrt", "flexible"), ("realup", "retreatment"),
        ("ecog3-registry", "individualised")]
REQUIRED = {Analyte.platelets, Analyte.neutrophils, Analyte.wbc, Analyte.haemoglobin, Analyte.creatinine,
            Analyte.alt, Analyte.ast}
C1 = date(2025, 1, 6)


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    protocol, arm = draw(st.sampled_from(ARMS))
    n = draw(st.integers(0, 7))
    days = [C1 + timedelta(weeks=6 * k) for k in range(n + 1)]
    on = days[n] + timedelta(days=draw(st.integers(-10, 10)))
    kept = draw(st.sets(st.sampled_from(sorted(NORMAL_LABS, key=str)), max_size=len(NORMAL_LABS)))
    platelets = draw(st.floats(20, 400))
    gy_per_gbq = [draw(st.one_of(st.none(), st.floats(0.1, 1.5))) for _ in range(n)]
    labs = [lab(a, on - timedelta(days=2), platelets if a is Analyte.platelets else None) for a in kept]
    labs += [lab(a, C1 - timedelta(days=20)) for a in NORMAL_LABS]
    rec = record(administrations=[administered(k + 1, days[k], 7.4, protocol, arm) for k in range(n)],
                 dosimetry=[kidney_scan(k + 1, g * 7.4 / 0.0193453) for k, g in enumerate(gy_per_gbq) if g],
                 labs=labs, imaging=[pet("PET0", date(2024, 12, 20))], lesions=[bone_lesion("PET0")],
                 criterion_answers=[answer("ecog3-registry", "ecog3.activity", True, C1, "general condition")])
    requested = draw(st.one_of(st.none(), st.floats(1.0, 12.0)))
    return {"record": rec, "protocol": protocol, "arm": arm, "on": on, "kept": kept,
            "dosimetry": gy_per_gbq, "requested": requested, "n": n}


def _decide(s: dict[str, Any]) -> Any:
    return next_cycle(s["record"], load_protocol(s["protocol"]), s["arm"], s["on"],
                      requested_activity_gbq=s["requested"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_never_administer_without_required_inputs_or_outside_bounds(s: dict[str, Any]) -> None:
    d = _decide(s)
    if not d.administer:
        assert d.activity_gbq is None
        return
    # required inputs were present
    assert s["n"] == 0 or set(s["kept"]) >= REQUIRED
    treatment = load_protocol(s["protocol"]).arm(s["arm"]).treatment
    needs_dosimetry = treatment.activity.mode == "personalised" or treatment.kidney_cap is not None
    if needs_dosimetry and s["n"] > 0:
        assert s["dosimetry"][-1] is not None
    # activity inside the allowed range, and the range inside the protocol's bounds
    act = treatment.activity
    lo, hi = d.range_gbq
    assert lo - 1e-9 <= d.activity_gbq <= hi + 1e-9
    cut = (1 - treatment.reduction.pct / 100) ** treatment.reduction.max_reductions if treatment.reduction else 1.0
    top = act.a_max.value if act.a_max else act.nominal.value * (1 + act.tolerance_pct / 100)
    bottom = (act.a_min.value if act.a_min else act.nominal.value * (1 - act.tolerance_pct / 100)) * cut
    assert bottom - 1e-9 <= lo and hi <= top + 1e-9


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_same_inputs_same_decision(s: dict[str, Any]) -> None:
    first = _decide(s).to_json()
    assert first == _decide(s).to_json()
    assert json.loads(json.dumps(first)) == first   # plain JSON, storable as a decision payload
