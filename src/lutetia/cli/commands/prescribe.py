"""``lutetia prescribe LEDGER.csv``: next activity under a cumulative dose or BED limit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lutetia.cli.commands.dose import cell_float, cell_required
from lutetia.cli.common import emit_json, fail, read_csv

LEDGER_COLUMNS = ["patient_id", "organ", "cycle", "activity_gbq", "dose_gy"]


def prescribe(
    path: Annotated[Path, typer.Argument(help="CSV: patient_id,organ,cycle,activity_gbq,dose_gy"
                                        "[,bed_gy,status,method,relative_sigma,t_eff_h].")],
    limit: Annotated[float, typer.Option(help="Cumulative limit (Gy, or Gy_BED for --quantity bed).")],
    cycles_remaining: Annotated[int, typer.Option(help="Cycles still planned, this one included.")],
    quantity: Annotated[str, typer.Option(help="dose|bed")] = "bed",
    min_gbq: Annotated[float, typer.Option(help="Lowest activity the protocol allows, GBq.")] = 3.7,
    max_gbq: Annotated[float, typer.Option(help="Highest activity the protocol allows, GBq.")] = 9.3,
    organ: Annotated[str, typer.Option(help="Organ of the limit.")] = "kidneys",
    patient: Annotated[str | None, typer.Option(help="Patient id (needed if the file has several).")] = None,
    alpha_beta: Annotated[float | None, typer.Option("--alpha-beta", help="α/β, Gy (default: cited organ value).")] = None,
    repair_half_time_h: Annotated[float | None, typer.Option(help="Repair half-time, h (default: cited organ value).")] = None,
    t_eff_h: Annotated[float | None, typer.Option(help="Effective half-life for G, h (default: last measured row's t_eff_h).")] = None,
    relative_sigma: Annotated[float | None, typer.Option(help="Relative uncertainty of Gy/GBq (default: ledger's, else 0.2).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Solve the next cycle's activity from the ledger, with every step of the reasoning."""
    from lutetia.errors import LutetiaError
    from lutetia.physics.ledger import Ledger, LedgerEntry
    from lutetia.physics.prescribe import Limit, next_activity
    from lutetia.physics.radiobiology import bed_gy, g_factor_mono, lq_parameters

    if quantity not in ("dose", "bed"):
        raise fail(f"--quantity {quantity!r}; accepted: dose, bed", 2)
    rows = read_csv(path, LEDGER_COLUMNS)
    entries: list[LedgerEntry] = []
    t_effs: dict[int, float] = {}
    for i, row in enumerate(rows, start=2):
        if row["organ"].lower() != organ.lower() or (patient and row["patient_id"] != patient):
            continue
        cyc = cell_float(row, "cycle", path, i, "integer >= 1", positive=True)
        if cyc is None or cyc != int(cyc):
            raise fail(f"{path}: row {i}, column 'cycle': {row['cycle']!r}; accepted: integer >= 1", 2)
        status = row.get("status") or "measured"
        if status not in ("measured", "estimated"):
            raise fail(f"{path}: row {i}, column 'status': {status!r}; accepted: measured, estimated", 2)
        te = cell_float(row, "t_eff_h", path, i, "h > 0", required=False, positive=True)
        if te is not None:
            t_effs[int(cyc)] = te
        try:
            entries.append(LedgerEntry(
                row["patient_id"], organ, int(cyc),
                cell_required(row, "activity_gbq", path, i, "GBq > 0", positive=True),
                cell_required(row, "dose_gy", path, i, "Gy >= 0"),
                cell_float(row, "bed_gy", path, i, "Gy_BED >= 0", required=False), status,
                row.get("method", ""),
                cell_float(row, "relative_sigma", path, i, "0..1", required=False) or 0.0))
        except LutetiaError as exc:
            raise fail(f"{path}: row {i}: {exc}", 2) from exc
    if not entries:
        raise fail(f"{path}: no rows for organ {organ!r}" + (f" and patient {patient!r}" if patient else ""), 2)
    if len({e.patient_id for e in entries}) > 1:
        raise fail(f"{path}: several patients; accepted: one, or choose with --patient", 2)
    try:
        ledger = Ledger.build(entries)
        cited = lq_parameters(organ)
        ab = cited.alpha_beta_gy if alpha_beta is None else alpha_beta
        tr = cited.repair_half_time_h if repair_half_time_h is None else repair_half_time_h
        g = 0.0
        if quantity == "bed":
            last = ledger.last_measured()
            te = t_eff_h or t_effs.get(last.cycle)
            if te is None:
                raise fail(f"{path}: a BED limit needs the effective half-life: --t-eff-h or a "
                           "t_eff_h column on the last measured cycle", 2)
            g = g_factor_mono(te, tr)
        u = relative_sigma
        if u is None:
            u = ledger.last_measured().relative_sigma or 0.2
        result = next_activity(ledger, Limit(limit, quantity, ab, g), cycles_remaining,
                               min_gbq, max_gbq, u)
    except LutetiaError as exc:
        raise fail(f"{path}: {exc}", 2) from exc
    history = [{"cycle": e.cycle, "activity_gbq": e.activity_gbq, "dose_gy": e.dose_gy,
                "dose_gy_per_gbq": e.dose_per_gbq,
                "bed_gy": e.bed_gy if e.bed_gy is not None
                else bed_gy(e.dose_gy, g, ab) if quantity == "bed" else None,
                "status": e.status, "method": e.method} for e in ledger.entries]
    out = {"patient_id": ledger.patient_id, "organ": organ, "decision": result.decision,
           "activity_gbq": result.activity_gbq, "per_cycle_dose_gy": result.per_cycle_dose_gy,
           "predicted_cumulative": result.predicted_cumulative, "quantity": quantity,
           "limit": limit, "probability_exceed": result.probability_exceed,
           "reasons": list(result.reasons), "ledger": history}
    if as_json:
        emit_json(out)
        return
    from lutetia.cli.common import print_table

    print_table(history, ["cycle", "activity_gbq", "dose_gy", "dose_gy_per_gbq", "bed_gy",
                          "status", "method"], title=f"Ledger {ledger.patient_id} {organ}")
    act = f"{result.activity_gbq:.2f} GBq" if result.activity_gbq is not None else "none"
    typer.echo(f"{ledger.patient_id} {organ}: {result.decision.upper()} — next activity {act}")
    for line in result.reasons:
        typer.echo(f"  - {line}")


def register(app: typer.Typer) -> None:
    """Add the ``prescribe`` command."""
    app.command("prescribe")(prescribe)
