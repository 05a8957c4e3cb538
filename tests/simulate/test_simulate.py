"""Virtual patients and in-silico trials (lutetia.simulate).

Expected values are the published figures the parameters were calibrated to (VISION,
Bastian 2025 Table 1, VISION dosimetry sub-study) or protocol limits; tolerances explicit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lutetia.protocols import load_protocol
from lutetia.records import build_record
from lutetia.simulate import (
    Action,
    CohortSim,
    arm_rules,
    draw_innovations,
    generate_cohort,
    load_parameters,
    run_model,
    run_trial,
    vector_policy,
)
from lutetia.simulate.parameters import LABEL, documented_entries
from lutetia.simulate.trial import MAX_STEPS, subset


def test_every_parameter_is_labelled_and_sourced() -> None:
    entries = documented_entries()
    assert len(entries) > 40
    assert load_parameters().raw["meta"]["label"] == LABEL
    assert all(src and status for _, src, status in entries)


def test_vision_baseline_near_parameters() -> None:
    c = generate_cohort(5000, np.random.default_rng(11))
    assert abs(float(np.median(c.age_years)) - 71.0) < 1.0  # VISION median age ~71
    assert abs(float(np.median(c.psa_ng_ml)) / 93.0 - 1) < 0.1
    assert abs(float(c.kidney_gy_per_gbq.mean()) - 0.43) < 0.01  # Herrmann 2024: 0.43 ± 0.16
    assert abs(float(c.kidney_gy_per_gbq.std()) - 0.16) < 0.01
    assert set(np.unique(c.ecog)) <= {0, 1, 2}


def test_ecog3_baseline_near_table1() -> None:
    c = generate_cohort(5000, np.random.default_rng(12), "ecog3")
    assert abs(float(np.median(c.age_years)) - 70.0) < 1.0  # Bastian 2025 Table 1
    assert abs(float(np.median(c.haemoglobin_g_l)) - 91.0) < 2.0
    assert abs(float(np.median(c.psa_ng_ml)) / 305.0 - 1) < 0.1
    assert c.age_years.min() >= 47 and c.age_years.max() <= 84
    assert (c.ecog == 3).all()


def test_trial_is_deterministic_for_a_seed() -> None:
    a = run_trial("prodigy-2", 16, np.random.default_rng(5))
    b = run_trial("prodigy-2", 16, np.random.default_rng(5))
    assert a.summaries == b.summaries
    assert [r.model_dump() for r in a.records] == [r.model_dump() for r in b.records]


def test_records_validate_and_round_trip(tmp_path: Path) -> None:
    from lutetia.records import KINDS
    from lutetia.store.interchange import read_source, write_folder

    res = run_trial("flex-mrt", 30, np.random.default_rng(3), engine="vector")
    assert res.records
    by_kind: dict[str, list[object]] = {k: [] for k in KINDS}
    for rec in res.records:
        build_record(rec.patient, {k: list(getattr(rec, k)) for k in KINDS if k != "patients"})
        by_kind["patients"].append(rec.patient)
        for kind, child in rec.children():
            by_kind[kind].append(child)
    write_folder(tmp_path, by_kind)  # type: ignore[arg-type]
    parsed = read_source(tmp_path)
    assert parsed.problems == []
    ids = {getattr(r, "patient_id", None) for r in parsed.records}
    assert {p.patient_id for p in by_kind["patients"]} <= ids  # type: ignore[attr-defined]
    first = res.records[0]
    assert first.dosimetry and {d.time_after_administration_h for d in first.dosimetry if d.cycle == 1} == {
        2.0, 24.0, 48.0, 168.0}
    assert all(d.time_after_administration_h == 48.0 for d in first.dosimetry if d.cycle > 1)


def test_personalised_gives_more_activity_than_fixed_on_same_cohort() -> None:
    rng = np.random.default_rng(21)
    n = 400
    c, nz = generate_cohort(n, rng), draw_innovations(n, MAX_STEPS, rng)
    pers = run_model(CohortSim(c, arm_rules("prodigy-2", "personalised"), nz), vector_policy)
    fixed = run_model(CohortSim(c, arm_rules("prodigy-2", "fixed"), nz), vector_policy)
    assert pers.cum_gbq.mean() > 1.05 * fixed.cum_gbq.mean()
    # the budget (protocol: 40 Gy_BED) acts on the predicted BED; the measured one may pass it by
    # the cycle-to-cycle variation of Gy/GBq (10 %, parameter kidney_cycle_cv)
    assert np.mean(pers.cum_bed_measured > 40.0) < 0.1
    assert (pers.cum_bed_measured <= 1.3 * 40.0).all()


def test_flex_mrt_holidays_cycles_and_bed_cap() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    sim = run_model(CohortSim(generate_cohort(n, rng), arm_rules("flex-mrt", "flexible"),
                              draw_innovations(n, MAX_STEPS, rng)), vector_policy)
    assert (sim.holidays > 0).sum() > 0
    assert sim.cycles.max() <= 12
    assert np.mean(sim.cum_bed_measured > 39.0) < 0.02  # cap on the predicted BED (see above)
    assert (sim.cum_bed_measured <= 1.3 * 39.0).all()


@pytest.mark.parametrize(("protocol", "arm"), [("prodigy-2", "personalised"), ("prodigy-2", "fixed"),
                                               ("flex-mrt", "flexible"), ("ecog3-registry", "individualised")])
def test_no_activity_outside_protocol_bounds(protocol: str, arm: str) -> None:
    rules = arm_rules(protocol, arm)
    rng = np.random.default_rng(99)
    pop = "ecog3" if protocol.startswith("ecog3") else "vision"
    n = 1500
    sim = run_model(CohortSim(generate_cohort(n, rng, pop), rules, draw_innovations(n, MAX_STEPS, rng)),
                    vector_policy)
    lo = min(rules.a_min_gbq, rules.nominal_gbq * (1 - rules.reduction_pct / 100)
             if np.isfinite(rules.nominal_gbq) else rules.a_min_gbq)
    for _, dec in sim.log:
        given = dec.activity_gbq[dec.action == Action.GIVE]
        assert ((given >= lo - 1e-9) & (given <= rules.a_max_gbq + 1e-9)).all()


def test_vectorised_equals_per_patient_loop() -> None:
    rng = np.random.default_rng(4)
    n = 150
    c, nz = generate_cohort(n, rng), draw_innovations(n, MAX_STEPS, rng)
    rules = arm_rules("flex-mrt", "flexible")
    whole = run_model(CohortSim(c, rules, nz), vector_policy)
    for i in range(n):
        idx = np.array([i])
        one = run_model(CohortSim(subset(c, idx), rules, subset(nz, idx)), vector_policy)
        assert one.cycles[0] == whole.cycles[i]
        assert one.cum_gbq[0] == pytest.approx(whole.cum_gbq[i])


def test_trial_summary_and_screening() -> None:
    res = run_trial("flex-mrt", 120, np.random.default_rng(2), with_records=False, engine="vector")
    assert res.screen_failures > 0
    assert {s.arm for s in res.summaries} == {"control", "flexible"}
    assert sum(s.n for s in res.summaries) == 120 - res.screen_failures
    control = next(s for s in res.summaries if s.arm == "control")
    assert control.holiday_patients == 0
    assert load_protocol("flex-mrt").arm("control").treatment.cycles.max == 6


class _OnTheCuts(CohortSim):
    """A cohort whose laboratory values are pulled exactly onto the rules' cut-offs whenever they
    come near one: CTCAE v5.0 LLN / grade 2 / 3 / 4 limits of the four myelosuppression terms
    (Hb 100, 80 g/L; platelets 75, 50, 25; neutrophils 1.5, 1.0, 0.5; WBC 3.0, 2.0, 1.0 x 10^9/L)
    and the PSA progression limits (nadir + 2 ng/mL, nadir x 1.25)."""

    CUTS = ((130.0, 100.0, 80.0), (150.0, 75.0, 50.0, 25.0), (1.8, 1.5, 1.0, 0.5), (4.0, 3.0, 2.0, 1.0))

    def current_labs(self, k: int) -> np.ndarray:
        labs = super().current_labs(k)
        for j, cuts in enumerate(self.CUTS):
            for cut in cuts:
                near = np.abs(labs[:, j] / cut - 1.0) < 0.06
                labs[:, j] = np.where(near, cut, labs[:, j])
        if self.psa_history:
            past = np.column_stack([v for _, v in self.psa_history])
            nadir = np.nanmin(np.where(np.isfinite(past), past, np.inf), axis=1)
            for target in (nadir + 2.0, np.round(nadir * 1.25, 3)):
                with np.errstate(invalid="ignore", divide="ignore"):
                    near = np.isfinite(target) & (np.abs(labs[:, 5] / target - 1.0) < 0.08)
                labs[:, 5] = np.where(near, target, labs[:, 5])
        return labs


#: Rule ids met and decision kinds taken by the engine in each agreement run of the former,
#: larger cohorts (n = 60, 80, 40, 80, 30, 30, seed 7; measured at commit 55cda46): the smaller
#: cohorts below (issue 16: the six runs took ~40 s) must reach every one of them again.
_EVIDENCE: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("pluvicto-label", "standard"): (
        {"label.activity", "label.cycles", "label.mod.myelo-g2", "label.mod.myelo-g3",
         "label.mod.myelo-g3-recurrent", "label.progression-stop", "label.reduction"},
        {"administer", "cannot_decide", "reduce", "stop", "withhold"}),
    ("prodigy-2", "personalised"): (
        {"label.mod.myelo-g2", "label.mod.myelo-g3", "label.mod.myelo-g3-recurrent", "label.pre.haemoglobin",
         "label.progression-stop", "label.reduction", "prodigy2.activity.personalised", "prodigy2.cycles"},
        {"administer", "cannot_decide", "reduce", "stop", "withhold"}),
    ("prodigy-2", "fixed"): (
        {"label.activity", "label.mod.myelo-g2", "label.mod.myelo-g3", "label.pre.haemoglobin",
         "label.progression-stop", "label.reduction", "prodigy2.cycles"},
        {"administer", "cannot_decide", "reduce", "stop", "withhold"}),
    ("flex-mrt", "flexible"): (
        {"flex.flexible.cycles", "flex.holiday", "flex.kidney-bed-cap", "label.activity",
         "label.mod.delay-over-4-weeks", "label.mod.myelo-g2", "label.mod.myelo-g3", "label.mod.myelo-g3-recurrent",
         "label.pre.haemoglobin", "label.progression-stop", "label.reduction"},
        {"administer", "cannot_decide", "curtail", "holiday", "reduce", "resume", "start_holiday", "stop",
         "withhold"}),
    ("ecog3-registry", "individualised"): (
        {"ecog3.activity", "label.mod.myelo-g2", "label.progression-stop"}, {"administer", "stop", "withhold"}),
    ("realup", "retreatment"): (
        {"label.mod.myelo-g2", "label.mod.myelo-g3", "label.pre.haemoglobin", "label.progression-stop",
         "realup.activity", "realup.cycles"}, {"administer", "stop", "withhold"}),
}


# Seeds chosen (issue 16 part D) when the noise became drawn step by step from streams of its
# own (cohort.Innovations): the same seeds give other virtual patients' noise, and these reach
# every rule of _EVIDENCE again with the same cohort sizes.
@pytest.mark.parametrize(("protocol", "arm", "n", "seed"), [("pluvicto-label", "standard", 30, 10),
                                                            ("prodigy-2", "personalised", 30, 4),
                                                            ("prodigy-2", "fixed", 30, 7),
                                                            ("flex-mrt", "flexible", 30, 35),
                                                            ("ecog3-registry", "individualised", 12, 11),
                                                            ("realup", "retreatment", 20, 10)])
def test_vectorised_rules_agree_with_the_record_level_engine(protocol: str, arm: str, n: int, seed: int) -> None:
    """Same cohort, same noise, values pulled onto every cut-off: the vectorised rules and
    decide.next_cycle on the records take the same action at every decision point (100 %), with
    the same activity (within 0.1 %: the cohort model rounds to 1 MBq, the engine to 0.1 MBq;
    measured ≤ 8.5e-5), and the engine fires no rule that the vectorised model does not mirror
    (``vector.TWINNED_RULE_KINDS``).  Every rule and decision kind that the former larger
    cohorts reached is reached again (``_EVIDENCE``)."""
    from datetime import date

    from lutetia.simulate.engine import EnginePolicy
    from lutetia.simulate.trial import population_of
    from lutetia.simulate.vector import TWINNED_RULE_KINDS

    rng = np.random.default_rng(seed)
    p = load_protocol(protocol)
    c, nz = generate_cohort(n, rng, population_of(p)), draw_innovations(n, MAX_STEPS, rng)
    rules = arm_rules(p, arm)
    vec = run_model(_OnTheCuts(c, rules, nz), vector_policy)
    policy = EnginePolicy(p, arm, date(2026, 1, 5), [f"S-{i}" for i in range(n)])
    eng = run_model(_OnTheCuts(c, rules, nz), policy)
    differ, total, on_cut = [], 0, 0
    for (pv, dv), (pe, de) in zip(vec.log, eng.log, strict=True):
        on_cut += int(np.isin(pv.labs[:, 1], (150.0, 75.0, 50.0, 25.0)).sum())
        for i in np.flatnonzero(pv.active | pe.active):
            total += 1
            a_ok = dv.action[i] != Action.GIVE or abs(dv.activity_gbq[i] - de.activity_gbq[i]) <= 1e-3 * de.activity_gbq[i]
            if not (dv.action[i] == de.action[i] and a_ok):
                differ.append((pv.step, int(i), Action(dv.action[i]).name, Action(de.action[i]).name))
    assert total > n and on_cut > 0
    assert differ == []
    assert np.array_equal(vec.cycles, eng.cycles)
    fired = {r.kind for ds in policy.decisions.values() for d in ds for r in d.rules if r.outcome.value == "met"}
    assert fired <= TWINNED_RULE_KINDS, fired - TWINNED_RULE_KINDS
    assert {"activity", "myelosuppression", "stop"} <= fired  # the rules are reached
    met = {r.rule_id for ds in policy.decisions.values() for d in ds for r in d.rules if r.outcome.value == "met"}
    kinds = {d.kind for ds in policy.decisions.values() for d in ds}
    rule_ids, decision_kinds = _EVIDENCE[(protocol, arm)]
    assert rule_ids <= met, rule_ids - met
    assert decision_kinds <= kinds, decision_kinds - kinds


def test_record_level_trial_screens_with_the_engine() -> None:
    res = run_trial("prodigy-2", 24, np.random.default_rng(13))
    kinds = {d["kind"] for ds in res.decisions.values() for d in ds}
    assert kinds == {"eligibility", "next_cycle"}
    assert res.screen_failures == 24 - sum(s.n for s in res.summaries)
    assert all(r.enrolments[0].arm in {"personalised", "fixed"} for r in res.records)


@pytest.mark.parametrize("protocol", ["prodigy-2", "flex-mrt", "realup", "re-lupsma", "ecog3-registry"])
def test_every_protocol_screens_virtual_patients_with_the_engine(protocol: str) -> None:
    """Each shipped protocol finds eligible virtual patients, and screen failures are counted."""
    from datetime import date

    from lutetia.simulate.cohort import generate_cohort as gen
    from lutetia.simulate.trial import population_of, screen

    p = load_protocol(protocol)
    mask, results = screen(gen(20, np.random.default_rng(1), population_of(p)), p, date(2026, 1, 5), "T")
    assert 0.5 <= mask.mean() <= 1.0
    assert {r.verdict for r in results} <= {"eligible", "not eligible"}  # nothing left undecidable


def test_retreatment_population_has_a_first_course() -> None:
    from lutetia.records import TherapyClass
    from lutetia.simulate.trial import population_of

    assert population_of(load_protocol("realup")) == "retreatment"
    assert population_of(load_protocol("prodigy-2")) == "vision"
    res = run_trial("re-lupsma", 12, np.random.default_rng(4), engine="vector")
    for rec in res.records:
        lu = [t for t in rec.prior_therapies if t.therapy_class is TherapyClass.lu_psma]
        assert len(lu) == 1 and lu[0].cycles is not None and 4 <= lu[0].cycles <= 6


@pytest.mark.parametrize(("protocol", "arm"), [("prodigy-2", "personalised"), ("flex-mrt", "flexible")])
def test_property_activities_within_bounds_and_cycles_within_max(protocol: str, arm: str) -> None:
    """Property over seeds (hypothesis): every administered activity lies in the protocol's
    bounds (a reduction may go to nominal × (1 − pct)) and no patient exceeds ``cycles.max``."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    rules = arm_rules(protocol, arm)
    lo = min(rules.a_min_gbq, rules.nominal_gbq * (1 - rules.reduction_pct / 100))

    @settings(max_examples=12, deadline=None)
    @given(seed=st.integers(min_value=0, max_value=2**32 - 1))
    def check(seed: int) -> None:
        rng = np.random.default_rng(seed)
        sim = run_model(CohortSim(generate_cohort(150, rng), rules, draw_innovations(150, MAX_STEPS, rng)),
                        vector_policy)
        assert sim.cycles.max() <= rules.max_cycles
        for _, dec in sim.log:
            given_gbq = dec.activity_gbq[dec.action == Action.GIVE]
            assert ((given_gbq >= lo - 1e-9) & (given_gbq <= rules.a_max_gbq + 1e-9)).all()

    check()


def test_recruitment_stops_at_the_planned_size() -> None:
    import numpy as np

    from lutetia.simulate import run_trial

    res = run_trial("flex-mrt", 40, np.random.default_rng(3), engine="vector", with_records=False, enrol=10)
    assert sum(s.n for s in res.summaries) == 10
    assert res.screened - res.screen_failures == 10 and res.screened <= 40


def test_treatment_emergent_grade_is_per_term_against_the_baseline() -> None:
    """Hand-graded with CTCAE v5.0: Hb (g/L) G1 <LLN, G2 <100, G3 <80; platelets (10^9/L) G1 <LLN,
    G2 <75, G3 <50, G4 <25 (LLN 130 g/L and 150 x 10^9/L here)."""
    from lutetia.simulate.grading import beyond_baseline, grades

    lln, terms = (130.0, 150.0), ("Anemia", "Platelet count decreased")
    now = np.array([[95.0, 200.0], [95.0, 70.0], [70.0, 200.0], [120.0, 40.0], [95.0, 20.0], [125.0, 140.0]])
    base = np.array([[95.0, 200.0], [95.0, 200.0], [95.0, 200.0], [120.0, 60.0], [120.0, 200.0], [140.0, 200.0]])
    assert grades(now, lln, terms).tolist() == [2, 2, 3, 3, 4, 1]
    # G2 anaemia at baseline: 0; new G2 platelets beside it: 2; anaemia G2→G3: 3; platelets G2→G3: 3;
    # new G1 in both terms: 1
    assert beyond_baseline(now, base, lln, terms).tolist() == [0, 2, 3, 3, 4, 1]


def test_cohort_grading_is_the_scalar_ctcae_grade_value_for_value() -> None:
    """Every cut-off of the four myelosuppression terms, just below / at / just above, graded by
    the vectorised form and by assess.ctcae.ctcae_grade: identical (CTCAE v5.0 cut-offs: Hb 100/80
    g/L; platelets 75/50/25; neutrophils 1.5/1.0/0.5; WBC 3.0/2.0/1.0 x 10^9/L)."""
    from lutetia.assess.ctcae import LabValue, ctcae_grade
    from lutetia.simulate.grading import MYELO_TERMS, term_grades

    cuts = {"Anemia": (130.0, 100.0, 80.0), "Platelet count decreased": (150.0, 75.0, 50.0, 25.0),
            "Neutrophil count decreased": (1.8, 1.5, 1.0, 0.5), "White blood cell decreased": (4.0, 3.0, 2.0, 1.0)}
    units = {"Anemia": "g/L"}
    for term in MYELO_TERMS:
        values = sorted({c * f for c in cuts[term] for f in (0.999, 1.0, 1.001)} | {3 * cuts[term][1] / 3})
        lln = cuts[term][0]
        vec = term_grades(np.array(values)[:, None], (lln,), (term,))[:, 0].tolist()
        want = [ctcae_grade(LabValue(term, v, units.get(term, "10^9/L"), lln=lln)).grade for v in values]
        assert vec == want, term


def test_noise_is_drawn_per_step_and_keeps_each_patients_numbers() -> None:
    """Innovations draw a step only when asked; a patient's numbers depend on neither the subset
    it is simulated in nor the cohort's size (blocks of NOISE_BLOCK patients, one stream per
    block and step); draws are standard normal / uniform (tolerances: 6 standard errors)."""
    from lutetia.simulate.cohort import NOISE_BLOCK, Innovations

    nz = draw_innovations(3000, MAX_STEPS, np.random.default_rng(5))
    assert nz._last == {} and nz._kept == {}  # nothing drawn up front
    s3 = nz.at(3)
    assert s3.lab.shape == (3000, 6) and s3.kidney_cycle.shape == (3000,) and s3.uniform.shape == (3000, 6)
    idx = np.array([2999, 0, 1500, NOISE_BLOCK, NOISE_BLOCK - 1])
    sub = subset(nz, idx)
    assert np.array_equal(sub.rows, idx)
    assert np.array_equal(sub.at(3).lab, s3.lab[idx]) and np.array_equal(sub.at(3).uniform, s3.uniform[idx])
    small = Innovations(entropy=nz.entropy, rows=np.arange(10), steps=MAX_STEPS)
    assert np.array_equal(small.at(3).spect, s3.spect[:10])  # independent of the cohort's size
    assert np.array_equal(nz.at(3).shift, s3.shift)  # a pure function of (entropy, step, row)
    assert not np.array_equal(nz.at(4).lab, s3.lab)
    z, u = s3.lab.ravel(), s3.uniform.ravel()  # 18,000 draws each
    se = 1.0 / np.sqrt(z.size)
    assert abs(z.mean()) < 6 * se and abs(z.std() - 1.0) < 6 * se / np.sqrt(2.0)
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 6 * se / np.sqrt(12.0)
    with pytest.raises(ValueError, match=r"noise step must be in \[0, 64\), got 64"):
        nz.at(MAX_STEPS)

