"""Design-sweep chunks: one chunk is run_trial's vectorised trial; merges are exact."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.analysis.endpoints import DAYS_PER_MONTH
from lutetia.protocols import load_protocol
from lutetia.simulate import run_trial
from lutetia.simulate.sweep_plan import ChunkTask, plan_sweep
from lutetia.simulate.sweep_run import (
    ArmTotals,
    endpoints,
    merge_arm,
    merge_chunks,
    over_seeds,
    run_chunk,
    tidy_rows,
)


def _totals(patients: int, days: list[float], deaths: list[int], censored: list[int], gbq: float) -> ArmTotals:
    return ArmTotals(patients, {"cycles": 2.0 * patients, "cumulative_gbq": gbq, "kidney_bed_gy": 10.0 * patients},
                     {"g3_cytopenia": 1, "aesi": 0, "holiday": 0, "curtailed": 0, "deaths": sum(deaths)},
                     5.0 * patients, np.array(days), np.array(deaths, dtype=np.int64),
                     np.array(censored, dtype=np.int64))


def test_one_chunk_is_run_trials_vectorised_trial() -> None:
    """Without overrides, a single chunk gives run_trial(engine="vector")'s arm summaries
    (the existing trial runner is the independent reference)."""
    task = ChunkTask("prodigy-2", 0, (), 5, 0, 80)
    chunk = run_chunk(task)
    ref = run_trial("prodigy-2", 80, np.random.default_rng(task.seed_sequence()), engine="vector",
                    with_records=False)
    assert chunk.screened == ref.screened and chunk.screened - chunk.eligible == ref.screen_failures
    for s in ref.summaries:
        e = endpoints(chunk.arms[s.arm])
        assert e["patients"] == s.n
        assert e["cycles_mean"] == pytest.approx(s.cycles_mean, rel=1e-12)
        assert e["cumulative_gbq_mean"] == pytest.approx(s.cumulative_gbq_mean, rel=1e-12)
        assert e["kidney_bed_mean_gy"] == pytest.approx(s.kidney_bed_mean, rel=1e-12)
        assert e["kidney_bed_measured_max_gy"] == s.kidney_bed_max
        assert e["g3_cytopenia_pct"] == pytest.approx(100 * s.g3_cytopenia_patients / s.n)
        assert e["aesi_pct"] == pytest.approx(100 * s.aesi_patients / s.n)
        assert e["holiday_pct"] == pytest.approx(100 * s.holiday_patients / s.n)
        assert e["curtailed_pct"] == pytest.approx(100 * s.curtailed / s.n)
        assert e["alive_at_horizon_pct"] == pytest.approx(100 * s.survival_2y)


def test_merge_by_hand() -> None:
    a = _totals(3, [10.0, 20.0], [1, 1], [0, 1], 0.1)
    b = _totals(2, [20.0, 30.0], [1, 0], [0, 1], 0.2)
    m = merge_arm([a, b])
    assert m.patients == 5
    assert m.sums == {"cycles": 10.0, "cumulative_gbq": math.fsum([0.1, 0.2]), "kidney_bed_gy": 50.0}
    assert m.counts["deaths"] == 3 and m.counts["g3_cytopenia"] == 2
    assert m.kidney_bed_measured_max_gy == 15.0
    assert m.os_days.tolist() == [10.0, 20.0, 30.0]
    assert m.os_deaths.tolist() == [1, 2, 0]
    assert m.os_censored.tolist() == [0, 1, 1]
    r = merge_arm([b, a])
    assert (r.patients, r.sums, r.counts, r.kidney_bed_measured_max_gy) == (
        m.patients, m.sums, m.counts, m.kidney_bed_measured_max_gy)
    assert [x.tolist() for x in (r.os_days, r.os_deaths, r.os_censored)] == [
        x.tolist() for x in (m.os_days, m.os_deaths, m.os_censored)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.booleans(), st.floats(0.0, 50.0)), min_size=1, max_size=40),
       st.integers(1, 6), st.randoms())
def test_merge_is_independent_of_chunk_order(patients: list[tuple[int, bool, float]], k: int,
                                             rnd: random.Random) -> None:
    """Any order of the same chunks merges to the same totals, bit for bit."""
    parts = []
    for j in range(k):
        mine = patients[j::k]
        if not mine:
            continue
        days = sorted({float(d) for d, _, _ in mine})
        deaths = [sum(1 for d, e, _ in mine if d == t and e) for t in days]
        cens = [sum(1 for d, e, _ in mine if d == t and not e) for t in days]
        parts.append(_totals(len(mine), days, deaths, cens, math.fsum(g for _, _, g in mine)))
    ref = merge_arm(parts)
    rnd.shuffle(parts)
    got = merge_arm(parts)
    assert repr((got.sums, got.counts, got.os_days.tolist(), got.os_deaths.tolist(), got.os_censored.tolist())) \
        == repr((ref.sums, ref.counts, ref.os_days.tolist(), ref.os_deaths.tolist(), ref.os_censored.tolist()))
    assert got.patients == len(patients) and int(got.os_deaths.sum()) == sum(e for _, e, _ in patients)


def test_endpoints_by_hand() -> None:
    """5 patients: deaths at days 10, 20, 20, censored at 20 and 30.  Product-limit by hand:
    S(10) = 4/5 = 0.8, S(20) = 0.8 × (1 − 2/4) = 0.4 ≤ 0.5 → median 20 days."""
    e = endpoints(_totals(5, [10.0, 20.0, 30.0], [1, 2, 0], [0, 1, 1], 36.5))
    assert e["os_median_months"] == pytest.approx(20.0 / DAYS_PER_MONTH)
    assert e["alive_at_horizon_pct"] == pytest.approx(40.0)
    assert e["cumulative_gbq_mean"] == pytest.approx(7.3)
    assert e["cycles_mean"] == 2.0 and e["g3_cytopenia_pct"] == 20.0


def test_chunks_merge_the_same_in_any_order() -> None:
    plan = plan_sweep(load_protocol("flex-mrt"), {"flexible.holiday.psa_decline_pct": [50.0, 90.0]}, n=60,
                      seeds=[3], chunk_size=20)
    chunks = [run_chunk(t) for t in plan.tasks]
    shuffled = chunks[:]
    random.Random(4).shuffle(shuffled)
    assert repr(tidy_rows(plan, merge_chunks(shuffled))) == repr(tidy_rows(plan, merge_chunks(chunks)))
    # common random numbers: the control arm, which the swept parameter does not touch, is the same
    # at both grid points (same patients, same noise)
    rows = tidy_rows(plan, merge_chunks(chunks))
    control = {(r["point"], r["endpoint"]): r["value"] for r in rows if r["arm"] == "control"}
    assert all(repr(control[(0, k)]) == repr(control[(1, k)]) for k in {k for _, k in control})
    summary = over_seeds(plan, rows)
    assert {r["seeds"] for r in summary if r["endpoint"] == "patients"} == {1}


def test_an_arm_stepped_in_blocks_has_the_whole_arms_totals() -> None:
    """simulate_arm in blocks of 70 (and a last block of 20) = one run_model on all 300 patients
    (the whole-cohort run is the reference): counts, maxima and the OS event table exactly,
    sums to rounding (a sum of block sums)."""
    from lutetia.simulate import (
        CohortSim,
        arm_rules,
        draw_innovations,
        generate_cohort,
        run_model,
        vector_policy,
    )
    from lutetia.simulate.sweep_run import arm_totals, simulate_arm
    from lutetia.simulate.trial import MAX_STEPS

    rng = np.random.default_rng(31)
    cohort, noise = generate_cohort(300, rng), draw_innovations(300, MAX_STEPS, rng)
    rules = arm_rules("flex-mrt", "flexible")
    whole = arm_totals(run_model(CohortSim(cohort, rules, noise), vector_policy))
    blocks = simulate_arm(cohort, noise, rules, block=70)
    assert blocks.patients == whole.patients == 300
    assert blocks.counts == whole.counts and whole.counts["holiday"] > 0
    assert blocks.kidney_bed_measured_max_gy == whole.kidney_bed_measured_max_gy
    assert blocks.sums == pytest.approx(whole.sums, rel=1e-12)
    for f in ("os_days", "os_deaths", "os_censored"):
        assert np.array_equal(getattr(blocks, f), getattr(whole, f))
    assert simulate_arm(cohort, noise, rules).sums == whole.sums  # one block: the whole run itself
    with pytest.raises(ValueError, match="block >= 1"):
        simulate_arm(cohort, noise, rules, block=0)
