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
from rich.markup import escape

from lutetia.cli.common import settings
from lutetia.errors import StoreError

#: Audit ``source`` prefix of everything the demo imports (a re-run replaces only such data).
DEMO_SOURCE = "lutetia demo:"


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
    scale: Annotated[float, typer.Option(min=0.001, help="Fraction of each study's planned size (quick looks).")]
    = 1.0,
) -> None:
    """Simulate all five studies at their planned sizes through the real engines, store
    them, analyse them and write the HTML reports.

    Safe to re-run, never a partial write: the five studies are stored in one transaction.
    On a SQLite file the demo builds a fresh database beside it and puts it in place only
    when complete (a database holding data imported by anything else than the demo is
    refused); a server database must be empty."""
    from rich.console import Console

    from lutetia.cli.output import plain_output, staged_folder
    from lutetia.store.repository import Store

    console = Console(highlight=False, soft_wrap=plain_output())
    cfg = settings(ctx)
    user = cfg.acting_user or DEMO_USER
    target = _sqlite_file(cfg.db_url)
    console.print(f"[bold]Lutetia demo[/bold] — database {escape(cfg.shown_url)}, seed {seed}, writing as "
                  f"{escape(user)}. Virtual patients: simulation assumptions, not clinical facts.")
    if target is None:
        store = Store.open(cfg.db_url)
        if store.patient_ids():
            raise StoreError(f"demo: {cfg.shown_url} already holds patients; the demo needs an empty server "
                             "database (or a SQLite file, which it replaces whole); nothing was written")
        with staged_folder(out) as tmp_out:
            rows = _run_studies(console, store, user, seed, scale, tmp_out)
        accounts = _demo_accounts(store, user)
    else:
        if _holds_data(target):
            _check_only_demo_data(target)
            console.print(f"{escape(str(target))} holds an earlier demo: building a fresh database; it replaces "
                          "the old one only when complete.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        _remove_sqlite(partial)
        try:
            store = Store.open(f"sqlite:///{partial}")
            with staged_folder(out) as tmp_out:
                rows = _run_studies(console, store, user, seed, scale, tmp_out)
                accounts = _demo_accounts(store, user)
                store.engine.dispose()
                _remove_sqlite(target)
                partial.replace(target)
        finally:
            _remove_sqlite(partial)
    _print_summary(console, rows)
    console.print(f"Reports: {escape(str(out / 'index.html'))}")
    console.print(f"Explore: lutetia --db {escape(cfg.shown_url.removeprefix('sqlite:///'))} patient list")
    _print_web(console, cfg.shown_url.removeprefix("sqlite:///"), accounts)


#: The demo's web accounts: one per role; site roles see the virtual patients' site, the others all sites.
DEMO_SITE = "virtual"


def _demo_accounts(store: Any, user: str) -> list[tuple[str, str, str]]:
    """Create one clearly marked demo account per role (random passwords, printed once)."""
    import secrets

    from lutetia.store.users import ALL_SITES, ROLES, add_user

    out = []
    for role in ROLES:
        password = secrets.token_urlsafe(9)
        sites = [ALL_SITES] if role in ("monitor", "statistician", "admin", "data_manager") else [DEMO_SITE]
        add_user(store.engine, username=f"demo-{role.replace('_', '-')}", display_name=f"Demo {role.replace('_', ' ')}",
                 role=role, sites=sites, password=password, actor=user, demo=True, source=f"{DEMO_SOURCE} web accounts")
        out.append((f"demo-{role.replace('_', '-')}", role, password))
    return out


def _print_web(console: Any, db: str, accounts: list[tuple[str, str, str]]) -> None:
    from rich.table import Table

    console.print(f"Web application: .venv/bin/lutetia --db {escape(db)} serve   then open http://127.0.0.1:8000/")
    table = Table(title="DEMO ACCOUNTS (demonstration only, created by this demo; passwords shown once)")
    for col in ("username", "role", "password"):
        table.add_column(col, overflow="fold")
    for row in accounts:
        table.add_row(*(escape(c) for c in row))
    console.print(table)


def _run_studies(console: Any, store: Any, user: str, seed: int, scale: float, out: Path) -> list[dict[str, Any]]:
    """Simulate the five studies, store them in one transaction, then analyse and report."""
    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lutetia.cli.commands.simulate import store_trial_in
    from lutetia.store.database import write

    rows: list[dict[str, Any]] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("studies", total=len(STUDIES) * 2 + 1)
        results = []
        for i, study in enumerate(STUDIES):
            size = max(2, math.ceil(study.planned * scale))
            progress.update(task, description=f"{study.protocol_id}: simulating {size} patients")
            results.append(_simulate(study.protocol_id, size, np.random.default_rng([seed, i])))
            progress.advance(task)
        progress.update(task, description="storing the five studies (one transaction)")
        write(store.engine, lambda conn: [
            store_trial_in(conn, store, r, user, f"{DEMO_SOURCE} simulate {r.protocol_id} seed {seed}")
            for r in results])
        progress.advance(task)
        for study, result in zip(STUDIES, results, strict=True):
            progress.update(task, description=f"{study.protocol_id}: analysis and reports")
            rows += _report(store, study, result, out / study.protocol_id)
            progress.advance(task)
    _write_index(out, rows)
    return rows


def _print_summary(console: Any, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="In-silico trials (virtual patients); means per arm, kidney BED mean/max in Gy")
    columns = ["study", "arm", "screened", "n", "cycles", "GBq", "kidney BED", "AESI", "holidays",
               "median OS (mo)"]
    for col in columns:
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(escape(str(r[c])) for c in columns))
    console.print(table)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for a server or an in-memory database."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):] in ("", ":memory:"):
        return None
    return Path(url[len(prefix):])


def _holds_data(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _check_only_demo_data(path: Path) -> None:
    """Refuse to replace a database holding data imported by anything but the demo."""
    from lutetia.store.repository import Store

    store = Store.open(f"sqlite:///{path}", create=False)
    try:
        foreign = [e for e in store.audit() if e.action in ("import", "insert")
                   and not (e.source or "").startswith(DEMO_SOURCE)]
    except Exception as exc:  # not a Lutetia database at all
        raise StoreError(f"demo: {path} exists and is not a Lutetia demo database ({type(exc).__name__}); "
                         "nothing was written; choose another --db") from exc
    finally:
        store.engine.dispose()
    if foreign:
        raise StoreError(f"demo: {path} holds data not written by the demo ({len(foreign)} import(s), first from "
                         f"{foreign[0].source or 'an unnamed source'!r}); nothing was written; choose another --db")


def _remove_sqlite(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
              path.with_name(path.name + "-journal")):
        p.unlink(missing_ok=True)


def _simulate(protocol_id: str, n: int, rng: Any) -> Any:
    from lutetia.simulate import run_trial

    # screen up to 1.6× the planned size and stop recruiting at the planned size
    return run_trial(protocol_id, math.ceil(1.6 * n), rng, engine="record", prefix=_prefix(protocol_id), enrol=n)


def _prefix(protocol_id: str) -> str:
    return {"prodigy-2": "P2", "realup": "RLP", "re-lupsma": "RLU", "flex-mrt": "FLX",
            "ecog3-registry": "EC3"}[protocol_id]


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
