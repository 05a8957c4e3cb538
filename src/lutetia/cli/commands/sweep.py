"""``lutetia sweep``: a design sweep of in-silico trials (grid × seeds × cohort chunks) on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lutetia.cli.common import print_table

if TYPE_CHECKING:
    from lutetia.protocols import Protocol
    from lutetia.simulate.sweep_plan import SweepPlan


def sweep(
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder for sweep.parquet/.csv/.png/.json.")] = None,
    grid: Annotated[Path | None, typer.Option("--grid", help="Grid file (TOML): [parameters] "
                                                            "\"ARM.PARAMETER\" = [values].")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Virtual patients screened per trial.")] = 1000,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Replicate trials (seeds) per grid point.")] = 3,
    first_seed: Annotated[int, typer.Option("--first-seed", min=0, help="Seeds are FIRST, FIRST+1, ...")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address "
                                                  "(tcp://host:8786); default: a LocalCluster here.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="LocalCluster worker processes.")] = 2,
    chunk_size: Annotated[int | None, typer.Option("--chunk-size", min=1, help="Patients per chunk "
                                                   "(the unit of work; part of the design: keep it to "
                                                   "reproduce a sweep).")] = None,
    serial: Annotated[bool, typer.Option("--serial", help="Run every chunk in this process, without Dask.")] = False,
    list_parameters: Annotated[bool, typer.Option("--list-parameters", help="Show the protocol's sweepable "
                                                  "parameters and their values, then stop.")] = False,
) -> None:
    """Run PROTOCOL's in-silico trial over a grid of protocol parameters × seeds.

    Every trial is N screened virtual patients run by the vectorised rules, cut into chunks
    that each draw from their own seed stream, so the result is the same on one process or
    any cluster.  Writes one row per grid point × seed × arm × endpoint (Parquet and CSV),
    the mean/min/max over seeds and a figure of each endpoint against each parameter.
    Every model number is a simulation assumption, not a clinical fact.
    """
    from lutetia.errors import UsageError
    from lutetia.protocols import load_protocol
    from lutetia.simulate.sweep_plan import DEFAULT_CHUNK_SIZE, parse_grid, plan_sweep, sweepable

    proto = load_protocol(protocol)
    if list_parameters:
        rows = [{"key": k, "value": f"{v:g}", "unit": u} for k, (v, u) in sweepable(proto).items()]
        print_table(rows, ["key", "value", "unit"], title=f"Sweepable parameters of {proto.id}")
        return
    if grid is None or out is None:
        raise UsageError("--grid and --out are required (or --list-parameters); accepted: a grid TOML file "
                         "and an output folder")
    if out.exists() and not out.is_dir():  # refused before any computation
        from lutetia.errors import OutputError

        raise OutputError(f"--out {out}: exists and is not a folder; accepted: a folder path")
    try:
        text = grid.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--grid {grid}: cannot be read ({exc}); accepted: a readable UTF-8 TOML file") from exc
    named, values = parse_grid(text, grid.name)
    if named is not None and named != proto.id:
        raise UsageError(f"{grid.name}: key 'protocol' = {named!r} but --protocol is {proto.id!r}; "
                         "accepted: the same protocol id, or no 'protocol' key")
    plan = plan_sweep(proto, values, n=n, seeds=list(range(first_seed, first_seed + seeds)),
                      chunk_size=chunk_size or DEFAULT_CHUNK_SIZE, source=grid.name)
    _run_and_write(plan, proto, out, grid.name, scheduler=scheduler, workers=workers, serial=serial)


def _run_and_write(plan: SweepPlan, proto: Protocol, out: Path, grid_name: str, *, scheduler: str | None,
                   workers: int, serial: bool) -> None:
    from rich.progress import Progress

    from lutetia.cli.output import staged_folder
    from lutetia.simulate.sweep_run import over_seeds, tidy_rows
    from lutetia.sweep.execute import run_sweep
    from lutetia.sweep.output import plan_record, write_results

    where = "this process" if serial else (scheduler or f"a LocalCluster of {workers} workers")
    typer.echo(f"{plan.protocol_id}: {len(plan.points)} grid point(s) × {len(plan.seeds)} seed(s), "
               f"{plan.n} patients each in chunks of {plan.chunk_size}: {len(plan.tasks)} chunk(s) on {where}")
    with Progress(transient=True) as bar:
        task = bar.add_task("chunks", total=len(plan.tasks))
        trials = run_sweep(plan, scheduler=scheduler, workers=workers, serial=serial,
                           progress=lambda done, _total: bar.update(task, completed=done))
    rows = tidy_rows(plan, trials)
    summary = over_seeds(plan, rows)
    record = plan_record(plan, plan.units(proto), grid_name)
    with staged_folder(out) as tmp:
        write_results(tmp, plan, rows, summary, record)
    typer.echo(f"wrote {len(rows)} rows to {out}/sweep.parquet and sweep.csv, sweep_over_seeds.csv, sweep.png, "
               "sweep.json (simulation assumptions, not clinical facts)")
    keys = list(plan.keys)
    show = ("cumulative_gbq_mean", "kidney_bed_mean_gy", "g3_cytopenia_pct", "os_median_months")
    table: dict[tuple[int, str], dict[str, object]] = {}
    for r in summary:
        if r["endpoint"] in show:
            row = table.setdefault((r["point"], r["arm"]), {**{k: f"{r[k]:g}" for k in keys}, "arm": r["arm"]})
            row[r["endpoint"]] = f"{r['mean']:.2f} [{r['min']:.2f}, {r['max']:.2f}]"
    print_table(list(table.values()), [*keys, "arm", *show],
                title=f"Mean [lowest, highest] over {len(plan.seeds)} seeds")


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
