"""Benchmark: design sweeps on Dask distributed — scaling from 1 to 2 workers and per-task overhead.

One small sweep (PRODIGY-2, ``points`` kidney-BED budgets × 2 seeds × ``n`` patients in chunks of
``chunk``) is timed, interleaved, ``repeats`` times each way: in this process (the baseline), on a
LocalCluster of 1 worker process and on one of 2 (clusters started and warmed up before timing).
The per-task overhead is the round trip of an empty task (submit → result, one at a time) and
the throughput of many empty tasks at once, against the time of one chunk.  Every figure is a
median; every result is checked equal to the serial one.  The closing lines extrapolate to a
100-node cluster from these figures.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [n] [chunk] [points] [repeats]``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from lutetia.protocols import load_protocol
from lutetia.simulate.sweep_plan import SweepPlan, plan_sweep
from lutetia.simulate.sweep_run import merge_chunks, tidy_rows
from lutetia.sweep.execute import dask_client, run_on_client, run_serial


def _noop(i: int) -> int:
    return i


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _round_trip(client: Any, count: int) -> float:
    """Median seconds of one empty task submitted and waited for, one at a time."""
    times = []
    for i in range(count):
        t0 = time.perf_counter()
        client.submit(_noop, i, pure=False).result()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _throughput(client: Any, count: int) -> float:
    """Seconds per empty task when ``count`` are submitted at once."""
    t0 = time.perf_counter()
    client.gather(client.map(_noop, range(count), pure=False))
    return (time.perf_counter() - t0) / count


def main(n: int = 2000, chunk: int = 1000, points: int = 2, repeats: int = 3) -> None:
    limits = [30.0 + 10.0 * i for i in range(points)]
    plan: SweepPlan = plan_sweep(load_protocol("prodigy-2"), {"personalised.activity.kidney_limit": limits}, n=n,
                                 seeds=[1, 2], chunk_size=chunk)
    tasks = len(plan.tasks)
    print(f"sweep: {points} points × 2 seeds × {n} patients, chunks of {chunk}: {tasks} tasks; {repeats} repeats")
    reference = repr(tidy_rows(plan, merge_chunks(run_serial(plan.tasks))))  # also warms this process
    times: dict[str, list[float]] = {"serial": [], "1 worker": [], "2 workers": []}
    with dask_client(workers=1) as one, dask_client(workers=2) as two:
        for client in (one, two):  # warm-up: imports and caches in every worker
            run_on_client(client, plan.tasks)
        same = True
        for _ in range(repeats):
            t, out = _timed(lambda: run_serial(plan.tasks))
            times["serial"].append(t)
            same &= repr(tidy_rows(plan, merge_chunks(out))) == reference
            for name, client in (("1 worker", one), ("2 workers", two)):
                t, out = _timed(lambda c=client: run_on_client(c, plan.tasks))
                times[name].append(t)
                same &= repr(tidy_rows(plan, merge_chunks(out))) == reference
        rtt = statistics.median([_round_trip(two, 30) for _ in range(repeats)])
        per_task = statistics.median([_throughput(two, 500) for _ in range(repeats)])
    med = {k: statistics.median(v) for k, v in times.items()}
    t_chunk = med["serial"] / tasks
    for k, v in times.items():
        print(f"  {k:>9}: median {med[k]:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in v)})")
    print(f"results identical to the serial run in every repeat: {same}")
    speedup = med["1 worker"] / med["2 workers"]
    print(f"scaling 1 -> 2 workers: {speedup:.2f}x (parallel efficiency {speedup / 2:.0%}); "
          f"1 worker / serial: {med['1 worker'] / med['serial']:.2f}x")
    print(f"one chunk of {chunk} patients: {t_chunk * 1e3:.0f} ms ({chunk / t_chunk:,.0f} patients/s per core)")
    print(f"empty task round trip: {rtt * 1e3:.2f} ms = {rtt / t_chunk:.2%} of a chunk; "
          f"empty tasks in bulk: {per_task * 1e3:.2f} ms each ({1 / per_task:,.0f} tasks/s through the scheduler)")
    # an efficiency above 1 is noise of a shared machine: the extrapolation takes at most 1
    _extrapolate(t_chunk / chunk, rtt, per_task, min(speedup / 2, 1.0))


def _extrapolate(s_per_patient: float, rtt: float, per_task: float, efficiency: float) -> None:
    """A 100-node sweep (2 workers per node) from the measured figures (a model, not a measurement):
    compute = chunks × chunk time / (workers × efficiency); the scheduler hands out chunks at the
    measured bulk rate; the two overlap, so the wall time is about the larger."""
    points, seeds, n, workers = 20, 10, 100_000, 200
    print(f"extrapolation to 100 nodes × 2 workers, {points} points × {seeds} seeds × {n:,} patients "
          f"(one core: {points * seeds * n * s_per_patient / 3600:.1f} h; efficiency {efficiency:.0%}):")
    for chunk in (5000, 20000):
        tasks = points * seeds * n // chunk
        compute = tasks * chunk * s_per_patient / (workers * efficiency)
        scheduling = tasks * per_task
        print(f"  chunks of {chunk:>6,}: {tasks:>5} chunks, compute ≈ {compute:.0f} s, scheduler ≈ {scheduling:.1f} s, "
              f"wall ≈ {max(compute, scheduling):.0f} s; round trip = {rtt / (chunk * s_per_patient):.2%} of a chunk")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
