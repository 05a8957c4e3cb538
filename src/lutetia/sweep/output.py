"""Write a sweep's results: the tidy table (Parquet and CSV), the over-seeds summary, the
plan (JSON) and a figure of every endpoint against every swept parameter.

The numbers come from :mod:`lutetia.simulate.sweep_run` (``tidy_rows``, ``over_seeds``); this
module only writes and draws them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lutetia.simulate.sweep_plan import SweepPlan
from lutetia.simulate.sweep_run import ENDPOINTS

TABLE = "sweep"  # sweep.parquet, sweep.csv
SUMMARY = "sweep_over_seeds.csv"
FIGURE = "sweep.png"
PLAN = "sweep.json"
LABEL = "simulation assumptions, not clinical facts"


def _table(rows: Sequence[Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> Any:
    import pyarrow as pa

    table = pa.Table.from_pylist(list(rows))
    if meta is not None:
        table = table.replace_schema_metadata({b"lutetia.sweep": json.dumps(meta).encode("utf-8")})
    return table


def plan_record(plan: SweepPlan, units: Mapping[str, str], grid_source: str) -> dict[str, Any]:
    """What the sweep was: protocol, grid (keys, units, points), seeds, sizes."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        lutetia = version("lutetia")
    except PackageNotFoundError:  # a source tree that is not installed
        lutetia = "unknown"
    return {"protocol": plan.protocol_id, "lutetia_version": lutetia, "grid_file": grid_source, "parameters": list(plan.keys),
            "units": dict(units), "points": [dict(p.overrides) for p in plan.points], "seeds": list(plan.seeds),
            "n": plan.n, "chunk_size": plan.chunk_size, "chunks": len(plan.tasks),
            "endpoints": {k: {"unit": u, "meaning": m} for k, (u, m) in ENDPOINTS.items()},
            "chunk_seed": "numpy SeedSequence(seed, spawn_key=(chunk,))", "label": LABEL}


def write_results(folder: Path, plan: SweepPlan, rows: Sequence[Mapping[str, Any]],
                  summary: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> list[Path]:
    """Write ``sweep.parquet``, ``sweep.csv``, ``sweep_over_seeds.csv``, ``sweep.json`` and
    ``sweep.png`` into ``folder``; returns the paths."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = _table(rows, record)
    paths = [folder / f"{TABLE}.parquet", folder / f"{TABLE}.csv", folder / SUMMARY, folder / PLAN, folder / FIGURE]
    pq.write_table(table, paths[0])
    pcsv.write_csv(table, paths[1])
    pcsv.write_csv(_table(summary), paths[2])
    paths[3].write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    figure(plan, summary, record["units"]).savefig(paths[4], dpi=100)
    return paths


def figure(plan: SweepPlan, summary: Sequence[Mapping[str, Any]], units: Mapping[str, str]) -> Any:
    """One panel per endpoint (rows) and swept parameter (columns): the mean over seeds
    against the parameter, a line per arm (and per value of the other parameters), bars from
    the lowest to the highest seed."""
    from matplotlib.figure import Figure

    flat = [e for e in ENDPOINTS if e != "patients"
            and all(r["mean"] == 0 or not math.isfinite(r["mean"]) for r in summary if r["endpoint"] == e)]
    names = [e for e in ENDPOINTS if e != "patients" and e not in flat] or ["patients"]
    keys = list(plan.keys)
    width, height = 4.2 * len(keys) + 1.0, 2.1 * len(names) + 1.2
    fig = Figure(figsize=(width, height))
    # fixed margins in inches (a constrained layout costs seconds per figure)
    fig.subplots_adjust(left=1.0 / width, right=1 - 0.2 / width, top=1 - 0.95 / height, bottom=0.5 / height,
                        wspace=0.3, hspace=0.12)
    axes = fig.subplots(len(names), len(keys), squeeze=False, sharex="col")
    arms = sorted({str(r["arm"]) for r in summary})
    colours = {a: f"C{i}" for i, a in enumerate(arms)}
    for c, key in enumerate(keys):
        others = [k for k in keys if k != key]
        for r_, name in enumerate(names):
            ax = axes[r_][c]
            _panel(ax, summary, key, others, name, colours)
            unit = ENDPOINTS[name][0]
            ax.set_ylabel(f"{name}\n({unit})", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            if r_ == 0:
                ax.legend(fontsize=6, loc="best")
            if r_ == len(names) - 1:
                ax.set_xlabel(f"{key} ({units.get(key, '')})", fontsize=8)
    zero = f"\nzero at every point (not drawn): {', '.join(flat)}" if flat else ""
    fig.suptitle(f"Design sweep of {plan.protocol_id}: {plan.n} screened per trial, {len(plan.seeds)} seeds\n"
                 f"mean over seeds; bars: lowest to highest seed; {LABEL}{zero}", fontsize=9, y=1 - 0.1 / height,
                 va="top")
    return fig


def _panel(ax: Any, summary: Sequence[Mapping[str, Any]], key: str, others: list[str], name: str,
           colours: Mapping[str, str]) -> None:
    """Endpoint ``name`` against parameter ``key``: a line per arm and per combination of the
    other parameters (one line for an arm they do not change)."""
    styles = ["-", "--", ":", "-."]
    lines: dict[tuple[str, tuple[float, ...]], list[Mapping[str, Any]]] = {}
    for row in summary:
        if row["endpoint"] == name:
            lines.setdefault((str(row["arm"]), tuple(row[k] for k in others)), []).append(row)
    combos = sorted({o for _, o in lines})
    series = {k: sorted((p for p in pts if math.isfinite(p["mean"])), key=lambda p: p[key])
              for k, pts in sorted(lines.items())}
    shapes = {k: tuple((p[key], p["mean"], p["min"], p["max"]) for p in pts) for k, pts in series.items()}
    same: dict[tuple[str, Any], list[tuple[float, ...]]] = {}  # identical lines of an arm, drawn once
    for (arm, other), shape in shapes.items():
        same.setdefault((arm, shape), []).append(other)
    for (arm, other), pts in series.items():
        group = same[(arm, shapes[(arm, other)])]
        if not pts or group[0] != other:
            continue
        varies = len(group) < sum(1 for a, _ in shapes if a == arm)
        x = [p[key] for p in pts]
        y = [p["mean"] for p in pts]
        err = [[p["mean"] - p["min"] for p in pts], [p["max"] - p["mean"] for p in pts]]
        extra = " | ".join(", ".join(f"{k.split('.', 1)[1]}={v:g}" for k, v in zip(others, o, strict=True))
                           for o in group)
        ax.errorbar(x, y, yerr=err, color=colours[arm], linestyle=styles[combos.index(other) % len(styles)],
                    marker="o", markersize=3, capsize=3,
                    label=arm + (f" ({extra})" if extra and varies else ""))
