"""Design sweeps run on one process or a Dask distributed cluster (a shell over
:mod:`lutetia.simulate.sweep_plan` and :mod:`lutetia.simulate.sweep_run`).

:mod:`lutetia.sweep.execute` sends the plan's chunks to workers (or runs them here) and
merges what comes back; :mod:`lutetia.sweep.output` writes the tidy table (Parquet, CSV),
the per-seed summary and the figure.  See ``docs/sweep.md``.
"""
