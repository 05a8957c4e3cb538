"""Benchmark: 100,000 virtual patients × up to 12 cycles (FLEX-MRT flexible arm) through the
vectorised decision model, against a per-patient Python loop of the same model (each patient
stepped alone; run on a subset and extrapolated), measured in the same run.  For scale, the
record-level engine (``lutetia.decide.next_cycle`` on each patient's records at every
decision point) is timed on a small subset as well.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [n] [loop_subset]``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from lutetia.simulate.cohort import draw_innovations, generate_cohort
from lutetia.simulate.model import CohortSim, run_model
from lutetia.simulate.rules import arm_rules
from lutetia.simulate.trial import MAX_STEPS, subset
from lutetia.simulate.vector import vector_policy


def main(n: int = 100_000, loop_n: int = 500) -> None:
    rng = np.random.default_rng(20261123)
    rules = arm_rules("flex-mrt", "flexible")
    cohort = generate_cohort(n, rng)
    noise = draw_innovations(n, MAX_STEPS, rng)
    t0 = time.perf_counter()
    sim = run_model(CohortSim(cohort, rules, noise), vector_policy)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    cycles = []
    for i in range(loop_n):
        idx = np.array([i])
        one = run_model(CohortSim(subset(cohort, idx), rules, subset(noise, idx)), vector_policy)
        cycles.append(int(one.cycles[0]))
    t_loop = time.perf_counter() - t0
    same = bool(np.array_equal(np.array(cycles), sim.cycles[:loop_n]))
    vec_rate, loop_rate = n / t_vec, loop_n / t_loop
    print(f"vectorised: {n} patients, max {rules.max_cycles} cycles, {sim.step} decision steps, "
          f"{t_vec:.2f} s -> {vec_rate:,.0f} patients/s (mean cycles {sim.cycles.mean():.2f})")
    print(f"per-patient loop: {loop_n} patients, {t_loop:.2f} s -> {loop_rate:,.0f} patients/s "
          f"(extrapolated to {n}: {n / loop_rate:.0f} s); same cycles as vectorised: {same}")
    print(f"ratio vectorised / loop: {vec_rate / loop_rate:,.0f}x")
    from datetime import date

    from lutetia.protocols import load_protocol
    from lutetia.simulate.engine import EnginePolicy

    eng_n = min(40, n)
    idx = np.arange(eng_n)
    policy = EnginePolicy(load_protocol("flex-mrt"), "flexible", date(2026, 1, 5), [f"B-{i}" for i in idx])
    t0 = time.perf_counter()
    eng = run_model(CohortSim(subset(cohort, idx), rules, subset(noise, idx)), policy)
    t_eng = time.perf_counter() - t0
    print(f"record-level engine: {eng_n} patients, {t_eng:.2f} s -> {eng_n / t_eng:,.1f} patients/s; "
          f"same cycles as vectorised: {bool(np.array_equal(eng.cycles, sim.cycles[:eng_n]))}; "
          f"ratio vectorised / engine: {vec_rate / (eng_n / t_eng):,.0f}x")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
