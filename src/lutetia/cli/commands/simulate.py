"""``lutetia simulate``: an in-silico trial of a protocol on virtual patients."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import print_table, settings


def store_trial(store: Any, result: Any, user: str, source: str) -> str:
    """Write an in-silico trial to the store in one transaction (see :func:`store_trial_in`)."""
    from lutetia.store.database import write

    return str(write(store.engine, lambda conn: store_trial_in(conn, store, result, user, source)))


def store_trial_in(conn: Any, store: Any, result: Any, user: str, source: str) -> str:
    """Write an in-silico trial inside the caller's writing transaction ``conn``: the
    randomisation list first (a randomised arm comes only from it), then the records, then
    the decisions, all audited; returns what was done, in words.

    A re-run with the same protocol and seed finds everything already stored and writes
    nothing; anything else already stored for these patients (an earlier run with another
    seed, a partial write) is refused with nothing written."""
    from collections import Counter
    from datetime import date

    import sqlalchemy as sa

    from lutetia.errors import ConflictError
    from lutetia.store.decisions import NewDecision, _append_decision, append_allocation
    from lutetia.store.schema import allocations, decisions

    items = []
    for payloads in result.decisions.values():
        for p in payloads:  # save_decision keyword arguments, as run_trial gives them
            day = p["decided_on"]
            items.append(NewDecision(p["patient_id"], p["protocol_id"], p["kind"],
                                     day if isinstance(day, date) else date.fromisoformat(str(day)),
                                     str(p["outcome"]), p["payload"]))
    pids = sorted({r.patient_id for r in result.records})
    records = [rec for r in result.records for rec in r.flatten()]
    old_dec = Counter((r.patient_id, r.kind, r.decided_on, r.outcome) for r in conn.execute(
        sa.select(decisions).where(decisions.c.protocol_id == result.protocol_id,
                                   decisions.c.patient_id.in_(pids))).mappings())
    old_alloc = {(r.patient_id, r.arm, r.stratum, r.sequence_no) for r in conn.execute(
        sa.select(allocations).where(allocations.c.protocol_id == result.protocol_id,
                                     allocations.c.patient_id.in_(pids))).mappings()}
    if old_dec or old_alloc:
        summary = store.add_in(conn, records, user=user, source=source, reason="in-silico trial (virtual patients)")
        new_dec = Counter((d.patient_id, d.kind, d.decided_on, d.outcome) for d in items)
        new_alloc = {(a.patient_id, a.arm, a.stratum, a.sequence_no) for a in result.allocations}
        if summary.total_inserted == 0 and old_dec == new_dec and old_alloc == new_alloc:
            return (f"{result.protocol_id}: already stored (the same {len(pids)} patients, decisions and "
                    "allocations); nothing written")
        raise ConflictError(
            f"{result.protocol_id}: {sum(old_dec.values()) + len(old_alloc)} decision(s)/allocation(s) of these "
            "virtual patients are already stored and differ from this run (another seed or size?); nothing was "
            "written; use a fresh --db")
    for a in result.allocations:
        append_allocation(conn, protocol_id=result.protocol_id, stratum=a.stratum, sequence_no=a.sequence_no,
                          patient_id=a.patient_id, arm=a.arm, seed=a.seed, block_size=a.block_size, user=user)
    summary = store.add_in(conn, records, user=user, source=source, reason="in-silico trial (virtual patients)")
    for d in items:
        _append_decision(conn, d, user)
    return (f"{result.protocol_id}: stored {summary.total_inserted} record(s), {len(items)} decision(s), "
            f"{len(result.allocations)} allocation(s) in one transaction")


def simulate(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols`).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Virtual patients screened.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same trial).")] = 1,
    arm: Annotated[list[str] | None, typer.Option("--arm", help="Run only this arm (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the records (interchange CSV) here.")] = None,
    store: Annotated[bool, typer.Option("--store", help="Write records and decisions to the --db store.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="Vectorised rules instead of the record-level engine "
                                                     "(thousands of patients per second).")] = False,
) -> None:
    """Run PROTOCOL's arms cycle by cycle on N virtual patients and compare the arms.

    Eligibility and every cycle are decided by the decision engine on the patients' records
    (about 10 patients/s); --fast uses the vectorised twin of its rules.

    Every model number is a simulation assumption, not a clinical fact
    (lutetia/simulate/params/virtual_patients.toml).
    """
    import dataclasses
    import json

    import numpy as np
    from rich.progress import Progress, TaskID

    from lutetia.errors import ProtocolError
    from lutetia.simulate import run_trial

    want_records = out is not None or store
    with Progress(transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def show(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{protocol}: {stage}", total=1.0)
            bar.update(tasks[stage], completed=fraction)

        try:
            result = run_trial(protocol, n, np.random.default_rng(seed), arms=arm or None,
                               with_records=want_records, engine="vector" if fast else "record",
                               progress=show)
        except (ProtocolError, KeyError) as exc:
            raise typer.BadParameter(str(exc)) from exc
    rows = [{k: round(v, 2) if isinstance(v, float) else v for k, v in dataclasses.asdict(s).items()}
            for s in result.summaries]
    if out is not None:
        from lutetia.records import KINDS
        from lutetia.store.interchange import write_folder

        by_kind: dict[str, list[object]] = {k: [] for k in KINDS}
        for rec in result.records:
            by_kind["patients"].append(rec.patient)
            for kind, child in rec.children():
                by_kind[kind].append(child)
        write_folder(out, by_kind)  # type: ignore[arg-type]
    if store:
        from lutetia.store.repository import Store

        cfg = settings(ctx)
        said = store_trial(Store.open(cfg.db_url), result, cfg.user, f"lutetia simulate {protocol} seed {seed}")
        if not as_json:
            typer.echo(said)
    if as_json:
        typer.echo(json.dumps({"protocol": result.protocol_id, "screened": result.screened,
                               "screen_failures": result.screen_failures, "arms": rows}, indent=2))
        return
    typer.echo(f"{result.protocol_id}: {result.screened} screened, {result.screen_failures} screen failures "
               f"(seed {seed}; simulation assumptions, not clinical facts)")
    short = {"cycles_mean": "cycles", "cumulative_gbq_mean": "GBq", "kidney_bed_mean": "kid BED",
             "kidney_bed_max": "BED max", "g3_cytopenia_patients": "G3-4 cyto", "aesi_patients": "AESI", "holiday_patients": "holiday",
             "curtailed": "curtail", "deaths": "deaths", "survival_2y": "OS 2y"}
    rows = [{short.get(k, k): v for k, v in r.items()} for r in rows]
    print_table(rows, ["arm", "n", *short.values()],
                title=f"In-silico trial {result.protocol_id}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
