"""Run a sweep's chunks serially or on Dask distributed, and merge them (exactly).

Each chunk is :func:`lutetia.simulate.sweep_run.run_chunk` on a
:class:`~lutetia.simulate.sweep_plan.ChunkTask`; the chunk carries its own seed, so the merged
result (:func:`lutetia.simulate.sweep_run.merge_chunks`, order-independent) is the same
whether chunks run here one after another or on any number of workers in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lutetia.simulate.sweep_plan import ChunkTask, SweepPlan
from lutetia.simulate.sweep_run import ChunkSummary, TrialTotals, merge_chunks, run_chunk

Progress = Callable[[int, int], None]  # (chunks done, chunks in all)


def run_serial(tasks: Sequence[ChunkTask], progress: Progress | None = None) -> list[ChunkSummary]:
    """Every chunk in this process, in plan order."""
    out = []
    for k, task in enumerate(tasks):
        out.append(run_chunk(task))
        if progress is not None:
            progress(k + 1, len(tasks))
    return out


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int = 2, processes: bool = True) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``scheduler`` (``tcp://host:8786``),
    or of a :class:`distributed.LocalCluster` of ``workers`` single-threaded workers
    (``processes=False``: threads of this process) that is closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1,  # type: ignore[no-untyped-call]
                           processes=processes, dashboard_address=":0", silence_logs=50)
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def run_on_client(client: Any, tasks: Sequence[ChunkTask], progress: Progress | None = None) -> list[ChunkSummary]:
    """Every chunk as one Dask task on ``client``'s workers; results as they finish."""
    from distributed import as_completed

    keys = [f"lutetia-sweep-{t.protocol_id}-p{t.point}-s{t.seed}-c{t.chunk}-n{t.n}" for t in tasks]
    futures = client.map(run_chunk, list(tasks), key=keys, pure=False)
    out: list[ChunkSummary] = []
    try:
        for k, future in enumerate(as_completed(futures)):  # type: ignore[no-untyped-call]
            out.append(future.result())
            future.release()
            if progress is not None:
                progress(k + 1, len(tasks))
    finally:
        client.cancel(futures)
    return out


def run_sweep(plan: SweepPlan, *, scheduler: str | None = None, workers: int = 2, serial: bool = False,
              progress: Progress | None = None) -> dict[tuple[int, int], TrialTotals]:
    """Run every chunk of ``plan`` (here when ``serial``, else on Dask) and merge them per
    grid point and seed."""
    if serial:
        return merge_chunks(run_serial(plan.tasks, progress))
    with dask_client(scheduler, workers=workers) as client:
        return merge_chunks(run_on_client(client, plan.tasks, progress))
