"""``lutetia analyze``: a protocol's endpoints, statistics, datasets, figures and reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import print_table, settings
from lutetia.errors import UsageError


def analyze(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the report, figures and datasets.")],
    cutoff: Annotated[str | None, typer.Option(help="Data cut-off date YYYY-MM-DD (default: all data).")] = None,
    figures: Annotated[Path | None, typer.Option(
        "--figures", help="Folder of image-dosimetry figures (`dose images --figures`) to embed "
                          "in the cycle reports.")] = None,
) -> None:
    """Analyse every patient of a protocol in the store and write the HTML trial report,
    per-patient cycle reports, figures, and ADSL/ADTTE/ADLB/ADRS/ADAE as CSV and XPT v5 with
    their Define-XML 2.1 document (``datasets/define.xml``)."""
    from datetime import UTC, datetime

    from lutetia.analysis.trial import enrolled
    from lutetia.cli.output import staged_folder
    from lutetia.errors import AnalysisError
    from lutetia.protocols import load_protocol
    from lutetia.report.build import build_reports, decision_view
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    proto = load_protocol(protocol)  # ProtocolError names the known protocols
    cut = _parse_date(cutoff)
    store = Store.open(settings(ctx).db_url)
    records = enrolled(list(store.records()), proto.id)
    if not records:
        raise AnalysisError(f"no patient of the store is enrolled in {protocol!r}; nothing to analyse "
                            f"(nothing written to {out})")
    if not any(r.administrations for r in records):
        raise AnalysisError(f"{len(records)} patient(s) enrolled in {protocol!r} but none has an administration "
                            f"yet; nothing to analyse (nothing written to {out})")
    decisions: dict[str, list[Any]] = {}
    for d in load_decisions(store, protocol_id=proto.id):
        decisions.setdefault(d.patient_id, []).append(decision_view(d.decided_on, d.outcome, d.payload))
    with staged_folder(out) as tmp:  # the report appears whole, or not at all
        result = build_reports(records, proto, tmp, decisions=decisions, cutoff=cut,
                               created=datetime.now(UTC), figures=figures)
    index = out / result.index.relative_to(tmp)
    rows: list[dict[str, Any]] = []
    for s in result.analysis.survival:
        for arm, km in s.km_by_arm.items():
            rows.append({"endpoint": s.endpoint.id, "arm": arm, "n": km.n, "events": km.events,
                         "median_months": _nr(km.median), "lower": _nr(km.median_lower),
                         "upper": _nr(km.median_upper)})
    print_table(rows, ["endpoint", "arm", "n", "events", "median_months", "lower", "upper"],
                title=f"{proto.title}: {result.n_patients} patients")
    typer.echo(f"report: {index}")


def _nr(x: float) -> str:
    """Months with one decimal, or NR (not reached) for an infinite/undefined median."""
    return "NR" if x != x or x in (float("inf"), float("-inf")) else f"{x:.1f}"


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--cutoff {text!r}: expected a date YYYY-MM-DD") from exc


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
