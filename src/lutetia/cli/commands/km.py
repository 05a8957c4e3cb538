"""``lutetia km``: Kaplan–Meier summary (n, events, median with CI) and log-rank test from a CSV."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, print_table, read_csv_columns


class ConfTypeOption(StrEnum):
    log_log = "log-log"
    log = "log"
    plain = "plain"


def _number(path: Path, row: int, column: str, raw: str) -> float:
    from lutetia.store.interchange_checks import plain_number

    value = plain_number(raw)  # the rule of every CSV Lutetia reads (ASCII digits, finite)
    if value is None:
        raise fail(f"{path}: row {row}, column {column!r}: value {raw!r} is not a finite number (accepted: "
                   "ASCII digits and a decimal point '.')", 2)
    return value


def _event(path: Path, row: int, column: str, raw: str) -> int:
    value = _number(path, row, column, raw)
    if value not in (0.0, 1.0):
        raise fail(f"{path}: row {row}, column {column!r}: value {raw!r} must be 1 (event) or 0 (censored)", 2)
    return int(value)


def _columns(path: Path, cols: dict[str, list[str]], time: str, event: str,
             group: str | None) -> tuple[Any, Any, list[str]]:
    """Durations, events and groups of every row; the first bad value is refused with its row.

    Whole columns are checked at once (:func:`~lutetia.store.interchange_checks.plain_numbers`);
    when any value is bad, the rows are walked in order so the message names the first one,
    exactly as a row-by-row read does."""
    import numpy as np

    from lutetia.store.interchange_checks import plain_numbers

    n = len(cols[time])
    times, flags = plain_numbers(cols[time]), plain_numbers(cols[event])
    groups = cols[group] if group else ["all"] * n
    if times is not None and flags is not None and all(groups):
        t_all, e_all = np.asarray(times, dtype=float), np.asarray(flags, dtype=float)
        if t_all.min() >= 0 and np.isin(e_all, (0.0, 1.0)).all():
            return t_all, e_all, groups
    durations: list[float] = []
    events: list[int] = []
    for i in range(n):
        row = i + 2  # row 1 is the header
        t = _number(path, row, time, cols[time][i])
        if t < 0:
            raise fail(f"{path}: row {row}, column {time!r}: value {cols[time][i]!r} is negative", 2)
        durations.append(t)
        events.append(_event(path, row, event, cols[event][i]))
        if group and not groups[i]:
            raise fail(f"{path}: row {row}, column {group!r}: empty group value", 2)
    return durations, events, groups


def _fmt(x: float) -> float | None:
    return None if math.isinf(x) else x


def km(
    file: Annotated[Path, typer.Argument(help="CSV file with one row per subject.")],
    time: Annotated[str, typer.Option("--time", help="Column with time to event or censoring.")],
    event: Annotated[str, typer.Option("--event", help="Column with 1 = event, 0 = censored.")],
    group: Annotated[str | None, typer.Option("--group", help="Column defining the groups to compare.")] = None,
    conf_type: Annotated[ConfTypeOption, typer.Option("--conf-type", help="Transform of the CI band.")] = ConfTypeOption.log_log,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the KM figure to this PNG/SVG file.")] = None,
) -> None:
    """Kaplan–Meier per group: n, events, median with CI; log-rank test when grouped."""
    required = [time, event] + ([group] if group else [])
    cols = read_csv_columns(file, required)
    if not cols[time]:
        raise fail(f"{file}: no data rows", 2)
    durations, events, groups = _columns(file, cols, time, event, group)
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise fail(f"--plot {plot}: the figure must be a .png or .svg file", 2)

    import numpy as np

    from lutetia.analysis.survival import kaplan_meier, logrank

    labels = sorted(set(groups))
    t, e, g = np.asarray(durations, dtype=float), np.asarray(events, dtype=float), np.asarray(groups)
    fits = [kaplan_meier(t[g == label], e[g == label], conf_type=conf_type.value, label=label) for label in labels]
    summary: list[dict[str, Any]] = [
        {"group": f.label, "n": f.n, "events": f.events, "median": _fmt(f.median),
         "ci_lower": _fmt(f.median_lower), "ci_upper": _fmt(f.median_upper)} for f in fits
    ]
    test = logrank(durations, events, groups) if len(labels) > 1 else None
    if plot is not None:
        from lutetia.report.figures import km_figure, nice_times, save

        note = f"log-rank p = {test.p_value:.4g}" if test else ""
        save(km_figure(fits, at_risk_times=nice_times(float(np.max(t))), xlabel=time, annotation=note), plot)
    if as_json:
        emit_json({"conf_type": conf_type.value, "confidence_level": 0.95, "groups": summary,
                   "logrank": None if test is None else
                   {"statistic": test.statistic, "df": test.df, "p_value": test.p_value}})
        return
    print_table(summary, ["group", "n", "events", "median", "ci_lower", "ci_upper"],
                title=f"Kaplan–Meier ({conf_type.value} 95% CI; empty = not reached)")
    if test is not None:
        typer.echo(f"log-rank: chi2 = {test.statistic:.4f} on {test.df} df, p = {test.p_value:.4g}")
    if plot is not None:
        typer.echo(f"figure written to {plot}")


def register(app: typer.Typer) -> None:
    app.command("km")(km)
