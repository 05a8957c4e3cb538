"""Next-cycle scenarios: label dose modifications, timing, stops, PRODIGY-2, ECOG 3.

Expected activities are computed by hand in the comments (not with the code under test).
Kidney Gy/GBq is set through a single 24 h kidney activity A: Hänscheid TIA = 2·A·t/ln2
and the phantom kidney S-value 7.76e-5 mGy/(MBq·s) give D = A × 69.2488 h × 2.7936e-4
Gy/(MBq·h) = A × 0.0193453 Gy/MBq, so A = (Gy/GBq × 7.4)/0.0193453 MBq.  Hänscheid is
exact for t = T_eff, so T_eff = 24 h and G = 2.8/(2.8 + 24) = 0.104478; kidney α/β 2.6 Gy,
k = G/(α/β) = 0.040184 /Gy.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lutetia.decide import next_cycle
from lutetia.protocols import load_protocol

from .builders import ae, answer, bone_lesion, ecog, event, given, kidney_scan, panel, pet, record

C1 = date(2025, 1, 6)
C2_DUE = date(2025, 2, 17)   # 6 weeks after cycle 1; window 2025-02-10 to 2025-02-24
GY_PER_MBQ_AT_24H = 0.0193453


def children(protocol: str = "pluvicto-label", arm: str | None = None, **extra: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {
        "labs": [*panel(date(2025, 1, 3))], "administrations": [given(1, C1, protocol=protocol, arm=arm)],
        "imaging": [pet("PET0", date(2024, 12, 20))], "lesions": [bone_lesion("PET0")]}
    for key, items in extra.items():
        out[key] = [*out.get(key, []), *items]
    return out


def label(on: date, **extra: list[Any]) -> Any:
    return next_cycle(record(**children(**extra)), load_protocol("pluvicto-label"), "standard", on)


def test_label_cycle_2_with_normal_labs_is_given_at_nominal() -> None:
    d = label(C2_DUE, labs=panel(date(2025, 2, 14)))
    assert d.kind == "administer" and d.cycle == 2
    assert d.activity_gbq == pytest.approx(7.4)
    assert d.range_gbq == pytest.approx((6.66, 8.14))  # 7.4 ± 10 %
    assert "label.activity" in [r.rule_id for r in d.rules]


def test_missing_platelets_is_cannot_decide_naming_the_window() -> None:
    labs = [x for x in panel(date(2025, 2, 14)) if x.analyte.value != "platelets"]
    d = label(date(2025, 3, 10), labs=labs)
    assert d.kind == "cannot_decide" and d.activity_gbq is None
    assert any(m.startswith("no platelet count within 14 days before 2025-03-10") for m in d.missing)


def test_before_the_interval_window_the_cycle_is_delayed() -> None:
    d = label(date(2025, 2, 3), labs=panel(date(2025, 2, 1)))
    assert d.kind == "not_due" and d.next_date == date(2025, 2, 10)


def test_grade_3_thrombocytopenia_withholds_then_reduces_20_percent_once() -> None:
    # platelets 40 ×10^9/L: CTCAE v5 grade 3 (<50); 110: grade 1 (<LLN 150, >=75)
    low = panel(date(2025, 2, 14), platelets=40.0)
    d = label(C2_DUE, labs=low)
    assert d.kind == "withhold"
    assert [r.rule_id for r in d.rules] == ["label.mod.myelo-g3"]
    recovered = label(date(2025, 2, 24), labs=[*low, *panel(date(2025, 2, 21), platelets=110.0)])
    assert recovered.kind == "reduce"
    assert recovered.activity_gbq == pytest.approx(5.92)   # 7.4 × 0.8
    assert {"label.mod.myelo-g3", "label.reduction"} <= {r.rule_id for r in recovered.rules}


def test_recurrent_grade_3_after_the_reduction_discontinues() -> None:
    d = next_cycle(record(**children(
        labs=[*panel(date(2025, 2, 14), platelets=40.0), *panel(date(2025, 2, 21), platelets=110.0),
              *panel(date(2025, 4, 4), platelets=45.0)],
        administrations=[given(2, date(2025, 2, 24), 5.92, "pluvicto-label",
                               reason="reduced 20% after grade 3 thrombocytopenia")])),
        load_protocol("pluvicto-label"), "standard", date(2025, 4, 7))
    assert d.kind == "stop"
    assert [r.rule_id for r in d.rules] == ["label.mod.myelo-g3-recurrent"]
    assert "Recurrent G≥3 after one reduction → discontinue." in d.rules[0].text


def test_grade_2_dry_mouth_withholds_with_consider_reduction() -> None:
    d = label(C2_DUE, labs=panel(date(2025, 2, 14)), adverse_events=[ae("AE1", "Dry mouth", 2, date(2025, 2, 1))])
    assert d.kind == "withhold" and d.rules[0].rule_id == "label.mod.dry-mouth-g2"


def test_renal_withhold_needs_the_physicians_recorded_decision_to_resume() -> None:
    # creatinine 190 µmol/L (ULN 110, baseline 80): 1.73 ×ULN and 2.4 ×baseline → CTCAE grade 2,
    # confirmed by a repeat value; +137.5 % creatinine and CLcr 36.2 vs 86.0 mL/min (−57.9 %),
    # so the "≥40 % rise and >40 % fall" row (withhold, then reduce) fires as well.
    labs = [*panel(date(2025, 2, 10), creatinine=190.0), *panel(date(2025, 2, 14), creatinine=190.0)]
    d = label(C2_DUE, labs=labs)
    assert d.kind == "withhold"
    assert {"label.mod.renal-withhold", "label.mod.renal-reduce"} == {r.rule_id for r in d.rules}
    improved = [*labs, *panel(date(2025, 3, 7))]
    assert label(date(2025, 3, 10), labs=improved).kind == "withhold"  # no recorded decision yet
    go = label(date(2025, 3, 10), labs=improved, criterion_answers=[
        answer("pluvicto-label", rule, True, date(2025, 3, 7), "creatinine back to 80 µmol/L")
        for rule in ("label.mod.renal-withhold", "label.mod.renal-reduce")])
    assert go.kind == "reduce" and go.activity_gbq == pytest.approx(5.92)


def test_maximum_cycles_and_progression_stop() -> None:
    admins = [given(n + 1, C1.replace(month=1 + n), protocol="pluvicto-label") for n in range(1, 6)]
    d = label(date(2025, 7, 20), administrations=admins, labs=panel(date(2025, 7, 18)))
    assert d.kind == "stop" and d.rules[0].rule_id == "label.cycles"
    prog = label(C2_DUE, labs=panel(date(2025, 2, 14)), events=[event(
        "P1", "progression", date(2025, 2, 10), progression_kind="radiographic")])
    assert prog.kind == "stop" and "progression" in prog.reasons[0]
    assert [r.rule_id for r in prog.rules] == ["label.progression-stop"]
    assert "until progression or unacceptable toxicity" in prog.rules[0].text
    psa_only = label(C2_DUE, labs=panel(date(2025, 2, 14)), events=[event(
        "P1", "progression", date(2025, 2, 10), progression_kind="psa")])
    assert psa_only.kind == "administer"  # PSA progression alone does not stop (project default, PCWG3)


def test_protocol_progression_kinds_are_the_record_kinds() -> None:
    from typing import get_args

    from lutetia.protocols.treatment import ProgressionKindName
    from lutetia.records import ProgressionKind

    assert set(get_args(ProgressionKindName)) == {k.value for k in ProgressionKind}


def _prodigy(gy_per_gbq: float, arm: str = "personalised", dosimetry: bool = True) -> Any:
    a24 = gy_per_gbq * 7.4 / GY_PER_MBQ_AT_24H
    rec = record(**children("prodigy-2", arm, labs=panel(date(2025, 2, 14)),
                            dosimetry=[kidney_scan(1, a24)] if dosimetry else []))
    return next_cycle(rec, load_protocol("prodigy-2"), arm, C2_DUE)


def test_prodigy2_low_kidney_dose_raises_activity_to_the_maximum() -> None:
    # 0.3 Gy/GBq: cycle-1 D = 2.22 Gy, BED = 2.22 × (1 + 0.040184 × 2.22) = 2.4180 Gy_BED.
    # Budget R = (40 − 2.4180)/5 = 7.5164 Gy_BED per remaining cycle; D = (−1 + √(1 + 4kR))/(2k)
    # = (−1 + √2.20816)/0.080368 = 6.047 Gy; A = 6.047/0.3 = 20.16 GBq → clamped to A_max 10.4.
    d = _prodigy(0.3)
    assert d.kind == "administer" and d.activity_gbq == pytest.approx(10.4)
    assert d.activity_gbq > 7.4


def test_prodigy2_intermediate_kidney_dose_is_solved_within_the_bounds() -> None:
    # 0.65 Gy/GBq: D1 = 4.81 Gy, BED1 = 4.81 × (1 + 0.040184 × 4.81) = 5.7397; R = (40 − 5.7397)/5
    # = 6.85206; 4kR = 1.10137; D = (√2.10137 − 1)/0.080368 = 5.5944 Gy; A = 5.5944/0.65 = 8.607 GBq.
    d = _prodigy(0.65)
    assert d.activity_gbq == pytest.approx(8.607, rel=1e-3)


def test_prodigy2_high_kidney_dose_is_not_raised() -> None:
    # 0.9 Gy/GBq: BED1 = 6.66 × (1 + 0.040184 × 6.66) = 8.4424; R = 6.3115; D = 5.2175 Gy;
    # A = 5.797 GBq < 7.4: never below nominal → 7.4 GBq.
    d = _prodigy(0.9)
    assert d.kind == "administer" and d.activity_gbq == pytest.approx(7.4)


def test_prodigy2_fixed_arm_ignores_dosimetry() -> None:
    assert _prodigy(0.3, arm="fixed").activity_gbq == pytest.approx(7.4)


def test_prodigy2_without_cycle_1_dosimetry_cannot_decide() -> None:
    d = _prodigy(0.3, dosimetry=False)
    assert d.kind == "cannot_decide"
    assert d.missing == ("no post-therapy SPECT/CT dosimetry of cycle 1",)


@pytest.mark.parametrize(("requested", "reason", "kind"), [
    (6.0, True, "administer"), (6.0, False, "cannot_decide"), (11.0, True, "cannot_decide"), (None, True, "cannot_decide")])
def test_ecog3_individualised_activity_within_bounds_with_reason(requested: float | None, reason: bool,
                                                                   kind: str) -> None:
    answers = [answer("ecog3-registry", "ecog3.activity", True, date(2025, 2, 14),
                      "bone marrow involvement: reduced activity")] if reason else []
    rec = record(**children("ecog3-registry", "individualised", labs=panel(date(2025, 2, 14)),
                            criterion_answers=answers))
    d = next_cycle(rec, load_protocol("ecog3-registry"), "individualised", C2_DUE, requested_activity_gbq=requested)
    assert d.kind == kind
    if kind == "administer":
        assert d.activity_gbq == 6.0 and "bone marrow involvement" in d.derivation


@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")
def test_a_kidney_curve_that_does_not_clear_is_cannot_decide_not_an_error() -> None:
    # 100 MBq at 24 h rising to 150 MBq at 96 h: T_eff cannot exceed the 177Lu half-life (159.5 h).
    rec = record(**children("prodigy-2", "personalised", labs=panel(date(2025, 2, 14)),
                            dosimetry=[kidney_scan(1, 100.0, 24.0), kidney_scan(1, 150.0, 96.0)]))
    d = next_cycle(rec, load_protocol("prodigy-2"), "personalised", C2_DUE)
    assert d.kind == "cannot_decide" and "does not clear" in d.missing[0]


def test_two_time_points_fit_a_mono_exponential() -> None:
    # A(t) = 200·2^(−t/40) MBq: T_eff 40 h, TIA = A0/λ = 200 MBq × 40 h/ln2 = 11541.7 MBq·h;
    # D = 11541.7 × 2.7936e-4 Gy/(MBq·h) = 3.2243 Gy → 3.2243/7.4 = 0.4357 Gy/GBq.
    a = [200.0 * 2 ** (-t / 40.0) for t in (24.0, 96.0)]
    rec = record(**children("prodigy-2", "personalised", labs=panel(date(2025, 2, 14)),
                            dosimetry=[kidney_scan(1, a[0], 24.0), kidney_scan(1, a[1], 96.0)]))
    d = next_cycle(rec, load_protocol("prodigy-2"), "personalised", C2_DUE)
    assert any("3.224 Gy / 7.400 GBq = 0.4357 Gy/GBq (tac:mono)" in r for r in d.reasons)


def test_reductions_known_to_the_caller_apply_to_a_personalised_arm() -> None:
    # A reduced personalised cycle (10.4 × 0.8 = 8.32 GBq) is above nominal, so the record alone does
    # not show the reduction; the caller passes reductions=1 and a recurrent grade 3 discontinues.
    rec = record(**children("prodigy-2", "personalised", labs=panel(date(2025, 2, 14), platelets=40.0),
                            dosimetry=[kidney_scan(1, 114.76)]))
    protocol = load_protocol("prodigy-2")
    assert next_cycle(rec, protocol, "personalised", C2_DUE).kind == "withhold"
    stop = next_cycle(rec, protocol, "personalised", C2_DUE, reductions=1)
    assert stop.kind == "stop" and stop.rules[0].rule_id == "label.mod.myelo-g3-recurrent"


def test_ecog3_reason_must_be_recorded_for_this_cycle() -> None:
    # A reason recorded before cycle 1 (2025-01-06) does not cover cycle 2.
    rec = record(**children("ecog3-registry", "individualised", labs=panel(date(2025, 2, 14)),
                            criterion_answers=[answer("ecog3-registry", "ecog3.activity", True, date(2025, 1, 2),
                                                      "cycle 1: general condition")]))
    d = next_cycle(rec, load_protocol("ecog3-registry"), "individualised", C2_DUE, requested_activity_gbq=6.0)
    assert d.kind == "cannot_decide"
    assert d.missing == ("no recorded reason for the individualised activity (ecog3.activity) since 2025-01-06",)


# --- treatment-emergent myelosuppression: the label's "until Grade 1 or baseline" (§2.4) ----------
# CTCAE v5.0 anaemia: G1 <LLN-10.0 g/dL, G2 <10.0-8.0, G3 <8.0; platelet count decreased: G1
# <LLN-75, G2 <75-50, G3 <50-25 (×10^9/L).  The baseline is the latest value on or before cycle 1.

def _label_with_baseline(on: date, baseline: list[Any], labs: list[Any], **extra: list[Any]) -> Any:
    kids = children(**extra)
    kids["labs"] = [*baseline, *labs]
    return next_cycle(record(**kids), load_protocol("pluvicto-label"), "standard", on)


def test_grade_2_anaemia_already_present_at_baseline_is_not_withheld() -> None:
    d = _label_with_baseline(C2_DUE, panel(date(2025, 1, 3), haemoglobin=9.2),
                             panel(date(2025, 2, 14), haemoglobin=9.4))
    assert d.kind == "administer" and d.activity_gbq == pytest.approx(7.4)
    assert not [r for r in d.rules if r.rule_id.startswith("label.mod.myelo")]


def test_grade_2_anaemia_new_since_baseline_is_withheld_until_grade_1() -> None:
    low = panel(date(2025, 2, 14), haemoglobin=9.0)
    d = _label_with_baseline(C2_DUE, panel(date(2025, 1, 3)), low)
    assert d.kind == "withhold" and [r.rule_id for r in d.rules] == ["label.mod.myelo-g2"]
    assert d.rules[0].evaluation is not None
    assert d.rules[0].evaluation.facts[0].source == ("Anemia grade 2 from labs haemoglobin 2025-02-14 = 9 g/dL "
                                                     "(baseline grade 0)")
    back = _label_with_baseline(date(2025, 2, 24), panel(date(2025, 1, 3)),
                                [*low, *panel(date(2025, 2, 21), haemoglobin=10.5)])
    assert back.kind == "administer"  # 10.5 g/dL: grade 1


def test_baseline_is_per_term_a_new_grade_2_thrombocytopenia_is_withheld() -> None:
    # Anaemia G2 at baseline and now (not treatment-emergent); platelets 70: a new G2 → withhold.
    base = panel(date(2025, 1, 3), haemoglobin=9.2)
    assert _label_with_baseline(C2_DUE, base, panel(date(2025, 2, 14), haemoglobin=9.0,
                                                     platelets=120.0)).kind == "administer"  # platelets G1
    d = _label_with_baseline(C2_DUE, base, panel(date(2025, 2, 14), haemoglobin=9.0, platelets=70.0))
    assert d.kind == "withhold" and [r.rule_id for r in d.rules] == ["label.mod.myelo-g2"]


def test_anaemia_worse_than_its_grade_2_baseline_follows_the_grade_3_row() -> None:
    d = _label_with_baseline(C2_DUE, panel(date(2025, 1, 3), haemoglobin=9.2),
                             panel(date(2025, 2, 14), haemoglobin=7.5))
    assert d.kind == "withhold" and [r.rule_id for r in d.rules] == ["label.mod.myelo-g3"]


def test_without_a_baseline_value_a_grade_2_cannot_be_called_treatment_emergent() -> None:
    # No haemoglobin in the label's 14-day pre-cycle window before cycle 1: the grade-2 value now
    # may or may not be new.
    base = [x for x in panel(date(2025, 1, 3)) if x.analyte.value != "haemoglobin"]
    d = _label_with_baseline(C2_DUE, base, panel(date(2025, 2, 14), haemoglobin=9.0))
    assert d.kind == "cannot_decide"
    assert any("baseline Anemia: no haemoglobin within 14 days before 2025-01-06" in m for m in d.missing)


def test_a_laboratory_term_is_graded_from_the_laboratory_not_from_its_adverse_event() -> None:
    # An open "Anemia" grade 3 AE (episode worst) does not stand for today's haemoglobin of 13 g/dL.
    d = label(C2_DUE, labs=panel(date(2025, 2, 14)), adverse_events=[ae("AE1", "Anemia", 3, date(2025, 1, 30))])
    assert d.kind == "administer"


def test_ecog3_reduction_scales_the_physicians_requested_activity() -> None:
    # Grade 3 thrombocytopenia after cycle 1, recovered to grade 1: reduce 20 % → 6.0 × 0.8 = 4.8 GBq.
    answers = [answer("ecog3-registry", "ecog3.activity", True, date(2025, 2, 21), "general condition")]
    rec = record(**children("ecog3-registry", "individualised",
                            labs=[*panel(date(2025, 2, 14), platelets=40.0), *panel(date(2025, 2, 21), platelets=110.0)],
                            criterion_answers=answers))
    d = next_cycle(rec, load_protocol("ecog3-registry"), "individualised", date(2025, 2, 24), requested_activity_gbq=6.0)
    assert d.kind == "reduce" and d.activity_gbq == pytest.approx(4.8)
    assert d.range_gbq == pytest.approx((2.7 * 0.8, 10.4 * 0.8))
    assert any("of the requested 6 GBq: 4.800 GBq" in r for r in d.reasons)


def test_ecog_3_is_flagged_with_every_cycle_decision_not_only_at_eligibility() -> None:
    # The ECOG 3 registry allows ECOG 3; the label's "ECOG > 2" flag (VISION excluded it) stays visible.
    answers = [answer("ecog3-registry", "ecog3.activity", True, date(2025, 2, 14), "general condition")]
    rec = record(**children("ecog3-registry", "individualised", labs=panel(date(2025, 2, 14)),
                            criterion_answers=answers, ecog=[ecog(date(2025, 2, 14), 3)]))
    d = next_cycle(rec, load_protocol("ecog3-registry"), "individualised", C2_DUE, requested_activity_gbq=6.0)
    assert d.kind == "administer"
    assert [f.rule_id for f in d.flags] == ["label.ecog-above-2"]
    assert d.flags[0].text == "Notably, the VISION trial excluded all patients with ECOG > 2."
    assert d.to_json()["flags"][0]["rule_id"] == "label.ecog-above-2"
    better = record(**children("ecog3-registry", "individualised", labs=panel(date(2025, 2, 14)),
                               criterion_answers=answers, ecog=[ecog(date(2025, 2, 14), 2)]))
    assert next_cycle(better, load_protocol("ecog3-registry"), "individualised", C2_DUE,
                      requested_activity_gbq=6.0).flags == ()
    # ECOG recorded only at screening (2025-01-02, before cycle 1): still flagged at cycle 2
    screening = record(**children("ecog3-registry", "individualised", labs=panel(date(2025, 2, 14)),
                                  criterion_answers=answers, ecog=[ecog(date(2025, 1, 2), 3)]))
    assert [f.rule_id for f in next_cycle(screening, load_protocol("ecog3-registry"), "individualised", C2_DUE,
                                          requested_activity_gbq=6.0).flags] == ["label.ecog-above-2"]


def test_a_cycle_past_its_window_is_given_with_a_warning() -> None:
    # cycle 2 planned 2025-02-17, window to 2025-02-24; decided on 2025-03-03: 7 days late
    d = label(date(2025, 3, 3), labs=panel(date(2025, 2, 28)))
    assert d.kind == "administer"
    assert "cycle 2 is 7 day(s) past its window 2025-02-10 to 2025-02-24 (planned 2025-02-17; label.interval)" in d.reasons


def test_after_a_decision_that_ended_treatment_later_dates_stop() -> None:
    rec = record(**children(labs=panel(date(2025, 2, 14))))
    d = next_cycle(rec, load_protocol("pluvicto-label"), "standard", C2_DUE,
                   treatment_ended=(date(2025, 2, 10), "stored curtail decision"))
    assert d.kind == "stop" and d.reasons == ("treatment ended on 2025-02-10 (stored curtail decision)",)


def test_the_decision_keeps_every_modification_rule_checked_with_the_values_it_read() -> None:
    d = label(C2_DUE, labs=panel(date(2025, 2, 14)))
    assert d.kind == "administer"
    checked = {r.rule_id: r for r in d.checked}
    assert {"label.mod.myelo-g2", "label.mod.myelo-g3", "label.mod.renal-withhold"} <= set(checked)
    g2 = checked["label.mod.myelo-g2"]
    assert g2.outcome.value == "not met" and g2.evaluation is not None
    assert g2.evaluation.facts[0].value == 0  # every count normal: no grade above baseline
    stored = d.to_json()["checked"]
    assert any(r["rule_id"] == "label.mod.renal-withhold" for r in stored)
