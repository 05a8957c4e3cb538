"""``lutetia demo``: the five studies simulated end to end on an embedded SQLite database.

For each study: virtual patients (simulation assumptions, not clinical facts) are screened
by the real eligibility engine, enrolled and allocated, treated cycle by cycle through the
real next-cycle decisions (dosimetry, dose modifications, holidays, kidney limits), then
stored with every decision, analysed like real data and reported in HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import settings


@dataclass(frozen=True)
class Study:
    protocol_id: str
    planned: int
    source: str


#: Planned sizes: ReaLuP 58 (seed 001, "Total Enrollment 58"), RE-LuPSMA 40 (seed 003),
#: FLEX-MRT 90 (seed 002), ECOG 3 cohort 18 (seed 004).  The PRODIGY-2 seed gives no size:
#: 60 is a project default for the demonstration only.
STUDIES: tuple[Study, ...] = (
    Study("prodigy-2", 60, "project default (the seed gives no planned size)"),
    Study("realup", 58, "seed 001: total enrollment 58"),
    Study("re-lupsma", 40, "seed 003: n = 40"),
    Study("flex-mrt", 90, "seed 002: 90 randomised 1:1"),
    Study("ecog3-registry", 18, "seed 004: 18 patients"),
)


#: The named system account the demo writes as when no --user is given (never "unknown").
DEMO_USER = "system:lutetia-demo"


def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder for the reports.")] = Path("lutetia-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the simulation (same seed, same demo).")] = 2026,
    scale: Annotated[float, typer.Option(help="Fraction of each study's planned size (quick looks).")] = 1.0,
) -> None:
    """Simulate all five studies at their planned sizes through the real engines, store
    them, analyse them and write the HTML reports."""
    import numpy as np
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lutetia.store.repository import Store

    console = Console()
    cfg = settings(ctx)
    out.mkdir(parents=True, exist_ok=True)
    store = Store.open(cfg.db_url)
    console.print(f"[bold]Lutetia demo[/bold] — database {cfg.shown_url}, seed {seed}, writing as "
                  f"{cfg.acting_user or DEMO_USER}. "
                  "Virtual patients: simulation assumptions, not clinical facts.")
    rows: list[dict[str, Any]] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("studies", total=len(STUDIES) * 3)
        for i, study in enumerate(STUDIES):
            size = max(2, math.ceil(study.planned * scale))
            progress.update(task, description=f"{study.protocol_id}: simulating {size} patients")
            result = _simulate(study.protocol_id, size, np.random.default_rng([seed, i]))
            progress.advance(task)
            progress.update(task, description=f"{study.protocol_id}: storing records and decisions")
            _store(store, result, cfg.acting_user or DEMO_USER, seed)
            progress.advance(task)
            progress.update(task, description=f"{study.protocol_id}: analysis and reports")
            rows += _report(store, study, result, out / study.protocol_id)
            progress.advance(task)
    table = Table(title="In-silico trials (virtual patients); means per arm, kidney BED mean/max in Gy")
    columns = ["study", "arm", "screened", "n", "cycles", "GBq", "kidney BED", "AESI", "holidays",
               "median OS (mo)"]
    for col in columns:
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) for c in columns))
    console.print(table)
    index = _write_index(out, rows)
    console.print(f"Reports: {index}")
    console.print(f"Explore: lutetia --db {cfg.shown_url.removeprefix('sqlite:///')} patient list")


def _simulate(protocol_id: str, n: int, rng: Any) -> Any:
    from lutetia.simulate import run_trial

    # screen up to 1.6× the planned size and stop recruiting at the planned size
    return run_trial(protocol_id, math.ceil(1.6 * n), rng, engine="record", prefix=_prefix(protocol_id), enrol=n)


def _prefix(protocol_id: str) -> str:
    return {"prodigy-2": "P2", "realup": "RLP", "re-lupsma": "RLU", "flex-mrt": "FLX",
            "ecog3-registry": "EC3"}[protocol_id]


def _store(store: Any, result: Any, user: str, seed: int) -> None:
    from lutetia.cli.commands.simulate import store_trial

    store_trial(store, result, user, f"lutetia demo: simulate {result.protocol_id} seed {seed}")


def _report(store: Any, study: Study, result: Any, folder: Path) -> list[dict[str, Any]]:
    from lutetia.protocols import load_protocol
    from lutetia.report.build import build_reports, decision_view
    from lutetia.store.decisions import load_decisions

    protocol = load_protocol(study.protocol_id)
    views: dict[str, list[Any]] = {}
    for d in load_decisions(store, protocol_id=protocol.id):
        views.setdefault(d.patient_id, []).append(decision_view(d.decided_on, d.outcome, d.payload))
    ids = {r.patient_id for r in result.records}
    records = [r for r in store.records(sorted(ids))]
    built = build_reports(records, protocol, folder, decisions=views, simulated=True)
    os_km = next((s.km_by_arm for s in built.analysis.survival if s.endpoint.id.endswith(".os")), {})
    out = []
    for s in result.summaries:
        km = os_km.get(s.arm)
        out.append({
            "study": study.protocol_id, "arm": s.arm, "screened": result.screened, "n": s.n,
            "cycles": f"{s.cycles_mean:.1f}", "GBq": f"{s.cumulative_gbq_mean:.1f}",
            "kidney BED": f"{s.kidney_bed_mean:.1f}/{s.kidney_bed_max:.1f}", "AESI": s.aesi_patients,
            "holidays": s.holiday_patients,
            "median OS (mo)": "NR" if km is None or not math.isfinite(km.median) else f"{km.median:.1f}",
            "report": str(built.index),
        })
    return out


def _write_index(out: Path, rows: list[dict[str, Any]]) -> Path:
    from lutetia.report.trial_report import css

    seen: dict[str, list[str]] = {}
    for r in rows:
        seen.setdefault(r["study"], []).append(f"{r['arm']} n = {r['n']}")
    links = "".join(f"<li><a href='{study}/index.html'>{study}</a> — {', '.join(arms)}</li>"
                    for study, arms in seen.items())
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>Lutetia demo</title><style>{css()}</style>"
            "</head><body><h1>Lutetia demo — five in-silico trials</h1><p class='warn'>Virtual patients: every "
            "number comes from documented simulation assumptions run through the real decision engine and "
            f"the same analysis as real data.</p><ul>{links}</ul></body></html>")
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
