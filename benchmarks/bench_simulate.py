"""Benchmark: the vectorised simulator (FLEX-MRT flexible arm, up to 12 cycles and the follow-up).

1. Throughput and memory (issue 16: >= 20k patients/s, <= 2 KB per patient at 1M patients):
   ``n`` patients drawn (cohort and noise) and stepped by :func:`lutetia.simulate.run_model` in
   a child process, once with the working tree and once with the package before noise was
   drawn step by step (revision :data:`PRE_CHANGE`, extracted by ``benchmarks/_baseline.py``),
   interleaved, ``reps`` times each, and the working tree again streaming the arm in blocks
   (:func:`lutetia.simulate.sweep_run.simulate_arm`); reported: median patients/s (wall and
   CPU) and bytes per patient (the child's peak RSS above its RSS before drawing the cohort,
   over ``n``).
2. The vectorised model against a per-patient Python loop of the same model (each patient
   stepped alone; a subset, extrapolated), and the record-level engine on a few patients
   (skipped with ``--no-loop``).

Run: ``.venv/bin/python benchmarks/bench_simulate.py [n] [loop_subset] [--reps 3] [--no-loop]``;
1M patients (opt-in; the pre-change path needs ~19 GB, so leave it out):
``... 1000000 --reps 1 --no-loop --paths after-whole,after-stream``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: The revision before noise was drawn step by step (pre-drawn innovations, ~10 KB/patient).
PRE_CHANGE = "b8a4fdb"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        import os

        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(n: int, mode: str) -> None:
    """Draw and step ``n`` patients; print wall s, CPU s, peak RSS above the start (bytes).

    ``whole``: one :func:`run_model` on the whole cohort (every patient's history kept);
    ``stream``: :func:`lutetia.simulate.sweep_run.simulate_arm` (blocks, totals kept).
    """
    import resource

    from lutetia.simulate.cohort import draw_innovations, generate_cohort
    from lutetia.simulate.model import CohortSim, run_model
    from lutetia.simulate.rules import arm_rules
    from lutetia.simulate.trial import MAX_STEPS
    from lutetia.simulate.vector import vector_policy

    if mode == "stream":
        from lutetia.simulate.sweep_run import simulate_arm
    rules = arm_rules("flex-mrt", "flexible")
    generate_cohort(10, np.random.default_rng(0))  # parameters loaded, caches warm
    before = _rss_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(20261123)
    cohort = generate_cohort(n, rng)
    noise = draw_innovations(n, MAX_STEPS, rng)
    if mode == "stream":
        cycles_mean = simulate_arm(cohort, noise, rules).sums["cycles"] / n
    else:
        cycles_mean = float(run_model(CohortSim(cohort, rules, noise), vector_policy).cycles.mean())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_bytes": peak - before, "cycles_mean": cycles_mean}))


#: The measured paths: label → (working tree?, child mode).
PATHS = {"before": (False, "whole"), "after-whole": (True, "whole"), "after-stream": (True, "stream")}


def throughput(n: int, reps: int, paths: list[str]) -> None:
    from benchmarks._baseline import env_for, extract

    with tempfile.TemporaryDirectory() as tmp:
        old = extract(PRE_CHANGE, Path(tmp)) if "before" in paths else None
        runs: dict[str, list[dict[str, float]]] = {p: [] for p in paths}
        for _ in range(reps):  # interleaved
            for label in paths:
                tree, mode = PATHS[label]
                out = subprocess.run([sys.executable, __file__, "--child", str(n), "--mode", mode],
                                     env=env_for(None if tree else old), check=True, capture_output=True,
                                     text=True).stdout
                runs[label].append(json.loads(out.strip().splitlines()[-1]))
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall", "cpu", "peak_bytes", "cycles_mean")}
           for k, v in runs.items()}
    for label in paths:
        m = med[label]
        print(f"{label:12} ({PRE_CHANGE if label == 'before' else 'working tree'}): {n:,} patients, "
              f"median of {reps}: {n / m['wall']:,.0f} patients/s wall, {n / m['cpu']:,.0f} patients/s CPU, "
              f"{m['peak_bytes'] / n:,.0f} bytes/patient peak (mean cycles {m['cycles_mean']:.3f})")
    if "before" in med:
        for label in paths[1:]:
            print(f"{label} / before: throughput wall {med['before']['wall'] / med[label]['wall']:.2f}x, "
                  f"CPU {med['before']['cpu'] / med[label]['cpu']:.2f}x; bytes per patient "
                  f"{med[label]['peak_bytes'] / med['before']['peak_bytes']:.2f}x")


def loop_comparison(n: int, loop_n: int) -> None:
    from lutetia.simulate.cohort import draw_innovations, generate_cohort
    from lutetia.simulate.model import CohortSim, run_model
    from lutetia.simulate.rules import arm_rules
    from lutetia.simulate.trial import MAX_STEPS, subset
    from lutetia.simulate.vector import vector_policy

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("loop_n", nargs="?", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-loop", action="store_true")
    ap.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated subset of {', '.join(PATHS)}")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="whole", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.mode)
        return
    throughput(a.n, a.reps, [p for p in a.paths.split(",") if p])
    if not a.no_loop:
        loop_comparison(a.n, a.loop_n)


if __name__ == "__main__":
    if str(Path(__file__).resolve().parents[1]) not in sys.path:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
