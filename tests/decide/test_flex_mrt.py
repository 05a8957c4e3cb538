"""FLEX-MRT flexible arm: holiday entry, surveillance, progression and resumption against
the cycle-1 SPECT/CT; the kidney BED cap of 39 Gy curtails the regimen.

Kidney dosimetry as in test_next_cycle: one 24 h kidney activity A gives D = A × 0.0193453
Gy/MBq (Hänscheid, phantom S-value) and G = 0.104478 (T_eff = 24 h, T_rep 2.8 h), α/β 2.6 Gy.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from lutetia.decide import compute_fact, holidays_from_decisions, next_cycle
from lutetia.decide.model import Context, anchors_for
from lutetia.protocols import Condition, load_protocol

from .builders import event, given, kidney_scan, panel, pet, psa, record, spect

P = "flex-mrt"
C1, C2 = date(2025, 1, 6), date(2025, 2, 17)
A24_LOW = 0.3 * 7.4 / 0.0193453   # 0.3 Gy/GBq


def responder(**extra: list[Any]) -> dict[str, list[Any]]:
    """Two cycles; PSA 100 → 5 ng/mL (95 % fall, ≥90 % confirmed 21 days apart); SPECT
    tumour volume 200 mL at cycle 1 → 30 mL at cycle 2 (85 % fall)."""
    out: dict[str, list[Any]] = {
        "administrations": [given(1, C1, protocol=P, arm="flexible"), given(2, C2, protocol=P, arm="flexible")],
        "dosimetry": [kidney_scan(1, A24_LOW), kidney_scan(2, A24_LOW)],
        "imaging": [pet("PET0", date(2024, 12, 20), ttv=100.0), spect("SPECT1", date(2025, 1, 8), 1, 200.0),
                    spect("SPECT2", date(2025, 2, 19), 2, 30.0)],
        "labs": [*panel(date(2025, 1, 3)), *panel(date(2025, 2, 14)), psa(date(2025, 1, 3), 100.0),
                 psa(date(2025, 2, 14), 8.0), psa(date(2025, 3, 7), 9.0), psa(date(2025, 3, 28), 5.0)],
    }
    for key, items in extra.items():
        out[key] = [*out.get(key, []), *items]
    return out


def decide(children: dict[str, list[Any]], on: date, holidays: list[Any] | None = None, arm: str = "flexible") -> Any:
    return next_cycle(record(**children), load_protocol(P), arm, on, holidays=holidays or [])


def test_exceptional_responder_starts_a_holiday_with_surveillance() -> None:
    d = decide(responder(), date(2025, 3, 31))
    assert d.kind == "start_holiday"
    assert d.rules[0].rule_id == "flex.holiday"
    assert d.next_date == date(2025, 3, 31) + timedelta(weeks=12)
    assert not d.administer and d.activity_gbq is None


def test_unconfirmed_psa90_does_not_start_a_holiday() -> None:
    children = responder()
    children["labs"] = [x for x in children["labs"] if x.analyte.value != "psa" or x.value in (100.0, 5.0)]
    children["labs"] += [*panel(date(2025, 3, 28))]
    d = decide(children, date(2025, 3, 31))
    assert d.kind == "administer" and d.cycle == 3


def test_holiday_without_progression_continues_and_names_the_next_scan() -> None:
    extra = {"imaging": [pet("PET1", date(2025, 6, 20), ttv=90.0)], "labs": [psa(date(2025, 6, 20), 6.0)]}
    d = decide(responder(**extra), date(2025, 6, 23), [(date(2025, 3, 31), None)])
    assert d.kind == "holiday"
    assert d.next_date == date(2025, 3, 31) + timedelta(weeks=24)


def test_progression_on_holiday_resumes_against_the_cycle_1_spect() -> None:
    # RECIP PD: PSMA-VOL 100 → 160 mL (+60 % ≥ +20 %) with new lesions.
    extra = {"imaging": [pet("PET1", date(2025, 6, 20), ttv=90.0),
                         pet("PET2", date(2025, 9, 12), ttv=160.0, new_lesions=2)],
             "labs": [psa(date(2025, 6, 20), 6.0), *panel(date(2025, 9, 12))]}
    d = decide(responder(**extra), date(2025, 9, 15), [(date(2025, 3, 31), None)])
    assert d.kind == "resume" and d.cycle == 3 and d.activity_gbq == pytest.approx(7.4)
    assert "cycle-1 SPECT/CT SPECT1" in d.reasons[0]
    holidays = holidays_from_decisions([{"kind": "start_holiday", "on": "2025-03-31"},
                                        {"kind": "resume", "on": "2025-09-15"}])
    assert holidays == [(date(2025, 3, 31), date(2025, 9, 15))]
    # After resumption the tumour-volume comparison still uses the cycle-1 SPECT/CT:
    later = record(**responder(administrations=[given(3, date(2025, 9, 15), protocol=P, arm="flexible")],
                               imaging=[spect("SPECT3", date(2025, 9, 17), 3, 60.0)]))
    protocol = load_protocol(P)
    on = date(2025, 10, 27)
    anchors = anchors_for(later, protocol, on)
    fv = compute_fact(Context(later, protocol, on, anchors, baseline_date=C1),
                      Condition(fact="spect_tumour_volume_decline_pct", op=">=", value=80, unit="%"))
    assert fv.value == pytest.approx(70.0)   # (200 − 60)/200
    assert "cycle-1 SPECT1" in fv.source


def test_a_progression_recorded_during_the_holiday_resumes_whatever_the_surveillance_scan_says() -> None:
    # "if progression is detected, treatment resumes": a radiographic progression recorded on
    # 2025-08-04 (e.g. a bone scan), while the surveillance PSMA PET reads no RECIP progression.
    extra = {"imaging": [pet("PET1", date(2025, 6, 20), ttv=90.0)],
             "labs": [psa(date(2025, 6, 20), 6.0), *panel(date(2025, 8, 8))],
             "events": [event("E1", "progression", date(2025, 8, 4), progression_kind="radiographic")]}
    d = decide(responder(**extra), date(2025, 8, 11), [(date(2025, 3, 31), None)])
    assert d.kind == "resume" and d.cycle == 3
    assert "progression (radiographic) recorded on 2025-08-04 during the holiday begun 2025-03-31: resume" in d.reasons
    # a PSA-only progression event does not (PSA is judged by the protocol's own PSA rule)
    extra["events"] = [event("E1", "progression", date(2025, 8, 4), progression_kind="psa")]
    assert decide(responder(**extra), date(2025, 8, 11), [(date(2025, 3, 31), None)]).kind == "holiday"


def test_kidney_bed_cap_of_39_gy_curtails_the_regimen() -> None:
    # 0.8 Gy/GBq × 7.4 GBq = 5.92 Gy per cycle; BED = 5.92 × (1 + 0.040184 × 5.92) = 7.3283 Gy_BED.
    # After 4 cycles 29.313; a 5th → 36.642 ≤ 39: given.  After 5 cycles 36.642; a 6th → 43.970 > 39:
    # curtailed (although the flexible arm allows 12 cycles).
    a24 = 0.8 * 7.4 / 0.0193453
    days = [C1 + timedelta(weeks=6 * k) for k in range(6)]

    def state(n: int) -> dict[str, list[Any]]:
        return {"administrations": [given(k + 1, days[k], protocol=P, arm="flexible") for k in range(n)],
                "dosimetry": [kidney_scan(k + 1, a24) for k in range(n)],
                "labs": [*panel(date(2025, 1, 3)), *panel(days[n] - timedelta(days=3))]}

    fifth = decide(state(4), days[4])
    assert fifth.kind == "administer"
    assert any("allows 1 more" in r for r in fifth.reasons)
    sixth = decide(state(5), days[5])
    assert sixth.kind == "curtail"
    assert "flex.kidney-bed-cap" in [r.rule_id for r in sixth.rules]
    assert any("36.64" in r for r in sixth.reasons)


def test_missing_dosimetry_of_the_last_cycle_cannot_decide_under_the_cap() -> None:
    children = responder(labs=panel(date(2025, 3, 28)))
    children["dosimetry"] = [kidney_scan(1, A24_LOW)]
    children["labs"] = [x for x in children["labs"] if x.analyte.value != "psa" or x.sampled_on < date(2025, 3, 1)]
    d = decide(children, date(2025, 3, 31), arm="control")
    assert d.kind == "cannot_decide"
    assert d.missing == ("no post-therapy SPECT/CT dosimetry of cycle 2",)


@pytest.mark.parametrize("arm", ["flexible", "control"])
def test_missing_dosimetry_of_an_earlier_cycle_cannot_decide_under_the_cap(arm: str) -> None:
    # Same ledger as the cap test: 5 cycles at 7.3283 Gy_BED each = 36.642 Gy_BED, a 6th → 43.970
    # > 39 (curtail).  Without cycle 2's SPECT/CT the sum of the four measured cycles is 29.313
    # and a 6th cycle "fits" (36.642 ≤ 39): before the fix the engine administered past the cap.
    # Now the missing cycle is named and nothing is given.
    a24 = 0.8 * 7.4 / 0.0193453
    days = [C1 + timedelta(weeks=6 * k) for k in range(6)]
    kids = {"administrations": [given(k + 1, days[k], protocol=P, arm=arm) for k in range(5)],
            "dosimetry": [kidney_scan(k + 1, a24) for k in range(5) if k != 1],
            "labs": [*panel(date(2025, 1, 3)), *panel(days[5] - timedelta(days=3))]}
    d = decide(kids, days[5], arm=arm)
    assert d.kind == "cannot_decide" and not d.administer
    assert d.missing == ("no post-therapy SPECT/CT dosimetry of cycle 2",)
    assert any(r.rule_id.endswith("kidney-bed-cap") for r in d.rules)
