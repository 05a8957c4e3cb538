"""``lutetia demo``: build a database from the bundled synthetic sample and show it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lutetia.cli.common import print_table, settings


def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder for the demonstration's outputs.")] = Path("lutetia-demo"),
) -> None:
    """Load the bundled synthetic patients into the database and show them."""
    from importlib import resources

    from rich.console import Console

    from lutetia.cli.timeline import patient_summary, render_timeline
    from lutetia.store.interchange import read_source
    from lutetia.store.repository import Store

    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    cfg = settings(ctx)
    sample = Path(str(resources.files("lutetia") / "data" / "sample"))
    parsed = read_source(sample)
    if parsed.problems:  # the bundled sample is validated by the test suite
        raise typer.Exit(1)
    store = Store.open(cfg.db_url)
    summary = store.add(parsed.records, bulk_labs=parsed.bulk_labs, user=cfg.user, source="bundled synthetic sample",
                        reason="lutetia demo")
    console.print(f"[bold]Lutetia demo[/bold] — database {cfg.db_url}: "
                  f"{summary.total_inserted} records inserted, {sum(summary.unchanged.values())} already present")
    records = list(store.records())
    print_table([patient_summary(r) for r in records],
                ["patient_id", "age", "protocol", "arm", "cycles", "cumulative_gbq", "last_administration", "status"],
                title="Synthetic patients (clearly not real people)")
    render_timeline(records[0])
    console.print(f"Try: lutetia --db {cfg.db_url.removeprefix('sqlite:///')} patient show {records[-1].patient_id}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
