"""Every shipped protocol file loads, quotes its seed verbatim and encodes what the seed says.

Expected values come from the study texts in ``shared/seeds`` (read by eye) and, for unit
conversions, from independent arithmetic stated beside each assert.
"""

from __future__ import annotations

import re

import pytest
from seedcheck import missing_fragments, normalise

from lutetia.protocols import list_protocols, load_protocol, protocol_ids
from lutetia.protocols.conditions import Condition
from lutetia.protocols.treatment import Param

EXPECTED_IDS = ["ecog3-registry", "flex-mrt", "pluvicto-label", "prodigy-2", "re-lupsma", "realup"]


def test_shipped_ids() -> None:
    assert protocol_ids() == EXPECTED_IDS


@pytest.mark.parametrize("pid", EXPECTED_IDS)
def test_every_file_loads_and_every_rule_is_sourced(pid: str) -> None:
    protocol = load_protocol(pid)
    assert protocol.arms
    for rule in protocol.rules():
        assert rule.text.strip(), rule.id
        assert rule.citation.strip(), rule.id
        assert rule.defined_in in (pid, protocol.inherits), rule.id


@pytest.mark.parametrize("pid", EXPECTED_IDS)
def test_seed_cited_rules_quote_the_seed_verbatim(pid: str) -> None:
    protocol = load_protocol(pid)
    cited = [r for r in protocol.rules() if r.seed]
    if pid != "pluvicto-label":
        assert cited, "a study protocol must cite its seed"
    for rule in cited:
        missing = missing_fragments(rule.text, rule.seed or "")
        if missing is None:
            pytest.skip(f"seed {rule.seed} not available (set LUTETIA_SEEDS)")
        assert missing == [], f"{rule.id}: not found in seed {rule.seed}: {missing}"


@pytest.mark.parametrize("pid", EXPECTED_IDS)
def test_project_defaults_are_explained(pid: str) -> None:
    protocol = load_protocol(pid)
    for arm in protocol.arms:
        activity = arm.treatment.activity
        for name in ("nominal", "kidney_limit", "a_min", "a_max"):
            param = getattr(activity, name)
            if isinstance(param, Param) and param.status == "project default":
                assert param.note, f"{pid}/{arm.id}: {name} is a project default without a note"
        if arm.treatment.holiday is not None:
            assert arm.treatment.holiday.enter_status == "project default"
            assert "not in the source" in arm.treatment.holiday.enter_note
    for rule in protocol.rules():
        if rule.status == "project default":
            assert rule.note, rule.id


def _bullets(section_start: str, section_end: str) -> list[str]:
    from seedcheck import SEEDS

    files = sorted(SEEDS.glob("001_*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip("seed 001 not available (set LUTETIA_SEEDS)")
    raw = files[0].read_text(encoding="utf-8")
    section = raw[raw.index(section_start):raw.index(section_end)]
    return [normalise(m) for m in re.findall(r"^\s*\* (.+)$", section, flags=re.M)]


@pytest.mark.parametrize(("start", "end", "kind", "count"), [
    ("Inclusion Criteria", "Exclusion Criteria", "inclusion", 21),
    ("Exclusion Criteria", "Minimum Eligible Age", "exclusion", 16),
])
def test_realup_encodes_every_criterion_of_the_seed(start: str, end: str, kind: str, count: int) -> None:
    criteria = [c for c in load_protocol("realup").criteria if c.kind == kind]
    assert len(criteria) == count
    quoted = " ".join(normalise(c.text) for c in criteria)
    bullets = [b for b in _bullets(start, end) if not b.endswith(":")]
    assert bullets
    for bullet in bullets:
        assert bullet[:40] in quoted, f"seed bullet not encoded: {bullet[:80]}"


def _leaf(condition: Condition | None, fact: str) -> Condition:
    assert condition is not None
    for leaf in condition.leaves():
        if leaf.fact is not None and leaf.fact.value == fact:
            return leaf
    raise AssertionError(f"no leaf on {fact}")


def test_realup_thresholds_in_canonical_units() -> None:
    crit = {c.id: c for c in load_protocol("realup").criteria}
    # 10 g/dL = 100 g/L (1 dL = 0.1 L).
    assert _leaf(crit["realup.inc.haemoglobin"].rule, "haemoglobin_g_l").value == pytest.approx(100)
    # 50 ng/dL = 500 ng/L / 288.42 g/mol (PubChem CID 6013) = 1.7336 nmol/L; the seed says 1.7 nM.
    testo = _leaf(crit["realup.inc.castrate"].rule, "testosterone_nmol_l")
    assert testo.value == pytest.approx(1.7336, abs=1e-4)
    assert testo.unit == "nmol/L"
    assert testo.window is not None and testo.window.before == pytest.approx(91.3125)  # 3 x 30.4375 d
    ecog = _leaf(crit["realup.inc.ecog"].rule, "ecog")
    assert (ecog.op, ecog.value, ecog.window and ecog.window.before) == ("<=", 2, 7)
    bili = _leaf(crit["realup.inc.bilirubin"].rule, "bilirubin_x_uln")
    assert (bili.op, bili.value, bili.alternatives[0].value) == ("<=", 2, 3)
    assert _leaf(bili.alternatives[0].when, "gilbert_syndrome").op == "is_true"
    assert _leaf(crit["realup.inc.clearance"].rule, "crcl_ml_min").value == pytest.approx(40)
    rises = _leaf(crit["realup.inc.progression"].rule, "psa_rises_consecutive")
    assert (rises.value, rises.interval_days_min) == (2, 7)
    transfusion = _leaf(crit["realup.exc.rbc-transfusion"].rule, "rbc_transfusion")
    assert transfusion.window is not None and transfusion.window.before == 30
    judged = {c.id for c in crit.values() if c.judgement}
    assert {"realup.inc.consent", "realup.exc.serious-conditions"} <= judged
    assert all(c.rule is None for c in crit.values() if c.judgement)


def test_realup_treatment_and_follow_up() -> None:
    p = load_protocol("realup")
    t = p.arm("retreatment").treatment
    assert (t.cycles.min, t.cycles.max) == (4, 6)
    assert t.activity.nominal is not None and t.activity.nominal.value == 7.4
    assert t.interval.id == "label.interval"  # inherited
    follow = {v.id: v for v in p.schedule}
    assert follow["realup.follow-up"].until == pytest.approx(9 * 30.4375)
    assert "label.psma-pet-vision" not in {c.id for c in p.criteria}  # dropped


def test_label_baseline() -> None:
    p = load_protocol("pluvicto-label")
    t = p.arm("standard").treatment
    assert t.activity.mode == "fixed" and t.activity.tolerance_pct == 10
    assert t.activity.nominal is not None and t.activity.nominal.value == 7.4
    assert (t.interval.weeks, t.interval.window_weeks, t.cycles.max) == (6, 1, 6)
    assert t.reduction is not None and (t.reduction.pct, t.reduction.max_reductions) == (20, 1)
    mods = {m.id: m for m in p.modifications}
    g3 = mods["label.mod.myelo-g3"]
    assert (g3.applies, g3.action.withhold, g3.action.reduce) == ("first", True, "yes")
    assert "Platelet count decreased" in _leaf(g3.trigger, "ctcae_grade_beyond_baseline").terms
    assert mods["label.mod.myelo-g3-recurrent"].action.discontinue == "yes"
    assert mods["label.mod.myelo-g3-recurrent"].applies == "after_reduction"
    assert _leaf(mods["label.mod.delay-over-4-weeks"].trigger, "treatment_delay_days").value == 28
    assert mods["label.mod.transaminases-5x"].status == "to verify"
    assert all(m.status in ("secondary", "to verify", "verified") for m in mods.values())


def test_inheritance_of_label_rules() -> None:
    label_mods = {m.id for m in load_protocol("pluvicto-label").modifications}
    dropped = {"ecog3-registry": {"label.pre.neutrophils", "label.pre.platelets", "label.pre.haemoglobin"}}
    for pid in EXPECTED_IDS:
        p = load_protocol(pid)
        assert label_mods - dropped.get(pid, set()) <= {m.id for m in p.modifications}, pid
    # RE-LuPSMA does not state ECOG: the label's ECOG > 2 flag stays.
    assert "label.ecog-above-2" in {c.id for c in load_protocol("re-lupsma").criteria}


def test_prodigy2_arms() -> None:
    p = load_protocol("prodigy-2")
    pers = p.arm("personalised").treatment.activity
    assert pers.mode == "personalised" and pers.kidney_quantity == "bed" and pers.floor_at_nominal
    assert pers.kidney_limit is not None and pers.kidney_limit.unit == "Gy_BED"
    assert pers.kidney_limit.status == "project default"
    assert pers.a_min is not None and pers.a_max is not None
    assert pers.a_min.value <= 7.4 <= pers.a_max.value
    assert p.arm("fixed").treatment.activity.mode == "fixed"
    assert p.psa_progression is not None and p.psa_progression.op == ">"
    # PSA-PFS reads the protocol's [psa_progression] (one definition for engine and analysis).
    assert {e.id: e for e in p.endpoints}["prodigy2.ep.psa-pfs"].psa_progression is None
    assert p.psa_progression.confirm_days_min == 21
    best = {e.id: e for e in p.endpoints}["prodigy2.ep.best-psa-response"]
    assert best.horizon_weeks == 52 and "next_anticancer_treatment" in best.stop_at
    pro_days = sorted(v.offset for v in p.schedule if "EQ-5D-5L" in v.items)
    assert pro_days == [0, 0, 126]  # baseline, end of treatment (own anchor), 18 weeks


def test_flex_mrt_arms() -> None:
    p = load_protocol("flex-mrt")
    assert p.randomisation == "1:1"
    control, flexible = p.arm("control").treatment, p.arm("flexible").treatment
    assert (control.cycles.max, flexible.cycles.max) == (6, 12)
    assert control.holiday is None and flexible.holiday is not None
    for t in (control, flexible):
        assert t.kidney_cap is not None
        assert (t.kidney_cap.limit.value, t.kidney_cap.limit.unit, t.kidney_cap.action) == (
            39, "Gy_BED", "curtail")
    holiday = flexible.holiday
    assert holiday.surveillance.every_weeks == 12 and holiday.resume_baseline == "cycle1_spect"
    assert _leaf(holiday.enter, "psa_decline_from_baseline_pct").value == 90
    labs = {v.id: v for v in p.schedule}["flex.labs-on-treatment"]
    assert labs.every == 21
    assert {v.id for v in p.arm("flexible").schedule} == {"flex.holiday-surveillance"}


def test_re_lupsma_and_registry() -> None:
    relu = {c.id: c for c in load_protocol("re-lupsma").criteria}
    pet = _leaf(relu["relu.inc.psma-pet"].rule, "psma_pet_vision_positive")
    assert pet.window is not None and pet.window.before == 56  # 8 weeks
    rises = _leaf(relu["relu.inc.progression"].rule, "psa_rises_after_first_course")
    assert rises.interval_days_min == 21
    months2 = _leaf(relu["relu.exc.therapy-within-2-months"].rule, "days_last_lu_injection_to_next_therapy")
    assert months2.value == pytest.approx(60.875)
    reg = load_protocol("ecog3-registry").arm("individualised").treatment.activity
    assert reg.mode == "individualised" and reg.reason_required
    assert reg.a_min is not None and reg.a_max is not None
    assert (reg.a_min.value, reg.a_max.value) == (2.7, 10.4)


def test_list_protocols_is_sorted_and_complete() -> None:
    assert [p.id for p in list_protocols()] == EXPECTED_IDS


def test_docs_list_every_fact() -> None:
    from pathlib import Path

    from lutetia.protocols.facts import FACT_SPECS

    doc = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"
    if not doc.exists():
        pytest.skip("docs not present in this installation")
    text = doc.read_text(encoding="utf-8")
    missing = [f.value for f in FACT_SPECS if f"`{f.value}`" not in text]
    assert missing == []
