"""Trial figures (matplotlib, Agg backend): KM with numbers at risk, PSA waterfall, swimmer plot,
toxicity shift bars and cumulative kidney BED against the protocol limit.

Functions take plain data (already computed by :mod:`lutetia.analysis`) and return a
:class:`matplotlib.figure.Figure`; :func:`save` writes PNG or SVG.  Figures are created with
``Figure()`` directly (no pyplot state), so they are safe in servers and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from lutetia.analysis.survival import KMResult, numbers_at_risk
from lutetia.errors import AnalysisError

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def save(fig: Figure, path: Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG or SVG (by suffix)."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path}: figure format must be .png or .svg")
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def nice_times(horizon: float, *, max_ticks: int = 7) -> list[float]:
    """Round tick times from 0 to ``horizon`` (for the at-risk table), e.g. 0, 200, … 1000."""
    if horizon <= 0:
        return [0.0]
    ticks = MaxNLocator(nbins=max_ticks - 1, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, horizon)
    return [float(t) for t in ticks if 0.0 <= t <= horizon]


def km_figure(
    curves: Sequence[KMResult],
    *,
    at_risk_times: Sequence[float],
    title: str = "",
    xlabel: str = "Time (months)",
    ylabel: str = "Survival probability",
    show_ci: bool = True,
    annotation: str = "",
) -> Figure:
    """Kaplan–Meier step curves with censor ticks and a numbers-at-risk table underneath."""
    if not curves:
        raise AnalysisError("km_figure needs at least one curve")
    fig = Figure(figsize=(7.5, 5.0 + 0.25 * len(curves)))
    height = 0.04 + 0.045 * len(curves)
    ax = fig.add_axes((0.14, height + 0.14, 0.82, 0.80 - height))
    tab = fig.add_axes((0.14, 0.02, 0.82, height), sharex=ax)
    for i, km in enumerate(curves):
        colour = COLOURS[i % len(COLOURS)]
        ax.step(km.times, km.survival, where="post", color=colour, lw=1.8,
                label=f"{km.label} (n={km.n}, events={km.events})")
        if show_ci:
            ax.fill_between(km.times, km.lower, km.upper, step="post", color=colour, alpha=0.15, lw=0)
        cens = [t for t in km.censor_times if t <= km.times[-1]]
        ax.plot(cens, [_s_at(km, t) for t in cens], "|", color=colour, ms=8, mew=1.2)
        counts = numbers_at_risk(km, at_risk_times)
        for t, c in zip(at_risk_times, counts, strict=True):
            tab.text(t, len(curves) - 1 - i, str(c), ha="center", va="center", fontsize=9, color=colour)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(list(at_risk_times))
    ax.set_xlim(0, max(max(at_risk_times), max(k.times[-1] for k in curves)) * 1.02)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    if annotation:
        ax.text(0.02, 0.04, annotation, transform=ax.transAxes, fontsize=9)
    tab.set_ylim(-0.6, len(curves) - 0.4)
    tab.set_yticks(range(len(curves)), [k.label for k in reversed(curves)], fontsize=9)
    tab.tick_params(axis="x", labelbottom=False, length=0)
    tab.tick_params(axis="y", length=0, pad=18)
    for side in ("top", "right", "bottom", "left"):
        tab.spines[side].set_visible(False)
    tab.set_title("Number at risk", fontsize=9, loc="left")
    return fig


def _s_at(km: KMResult, t: float) -> float:
    s = 1.0
    for time, value in zip(km.times, km.survival, strict=True):
        if time > t:
            break
        s = value
    return s


def psa_waterfall(
    changes_percent: Mapping[str, float],
    *,
    title: str = "Best PSA change from baseline",
    response_threshold: float = -50.0,
    progression_threshold: float = 25.0,
    cap: float = 100.0,
) -> Figure:
    """Waterfall of best PSA change (%), sorted descending; bars ≤ threshold highlighted.

    Values above ``cap`` are drawn at ``cap`` and labelled with their true value.
    """
    if not changes_percent:
        raise AnalysisError("psa_waterfall needs at least one patient")
    items = sorted(changes_percent.items(), key=lambda kv: kv[1], reverse=True)
    fig = Figure(figsize=(max(6.0, 0.28 * len(items) + 2), 4.5))
    ax = fig.add_subplot()
    xs = range(len(items))
    heights = [min(v, cap) for _, v in items]
    colours = ["#2ca02c" if v <= response_threshold else "#d62728" if v >= progression_threshold
               else "#7f7f7f" for _, v in items]
    ax.bar(xs, heights, color=colours, width=0.8)
    for x, (_, v) in zip(xs, items, strict=True):
        if v > cap:
            ax.text(x, cap + 2, f"{v:.0f}", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.axhline(response_threshold, color="#2ca02c", ls="--", lw=1, label=f"response ({response_threshold:+.0f}%)")
    ax.axhline(progression_threshold, color="#d62728", ls=":", lw=1, label=f"progression ({progression_threshold:+.0f}%)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylim(-105, cap + 25)
    ax.set_xticks(list(xs), [k for k, _ in items], rotation=90, fontsize=7)
    ax.set_ylabel("PSA change from baseline (%)")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class SwimmerLane:
    """One patient: follow-up length, cycle times, holidays (start, end) and labelled events."""

    patient_id: str
    follow_up: float
    cycles: Sequence[float] = ()
    holidays: Sequence[tuple[float, float]] = ()
    events: Sequence[tuple[float, str]] = ()
    ongoing: bool = False
    group: str = ""


@dataclass(frozen=True)
class _Marker:
    marker: str
    colour: str
    names: list[str] = field(default_factory=list)


def swimmer_plot(lanes: Sequence[SwimmerLane], *, xlabel: str = "Weeks since first cycle",
                 title: str = "Treatment course") -> Figure:
    """Horizontal bars per patient with cycle ticks, holiday spans and event markers."""
    if not lanes:
        raise AnalysisError("swimmer_plot needs at least one patient")
    order = sorted(lanes, key=lambda lane: lane.follow_up)
    fig = Figure(figsize=(8, 1.2 + 0.38 * len(order)))
    ax = fig.add_subplot()
    event_styles = ("v", "s", "D", "*", "X", "P")
    styles: dict[str, _Marker] = {}
    for y, lane in enumerate(order):
        ax.barh(y, lane.follow_up, height=0.5, color="#c6dbef", edgecolor="#6baed6")
        for a, b in lane.holidays:
            ax.barh(y, b - a, left=a, height=0.5, color="#fdd0a2", edgecolor="#fd8d3c", hatch="//")
        ax.plot(lane.cycles, [y] * len(lane.cycles), "o", color="#08519c", ms=5)
        for t, label in lane.events:
            st = styles.setdefault(label, _Marker(event_styles[len(styles) % len(event_styles)],
                                                  COLOURS[(len(styles) + 1) % len(COLOURS)]))
            ax.plot([t], [y], st.marker, color=st.colour, ms=8)
        if lane.ongoing:
            ax.annotate("", xy=(lane.follow_up + 2, y), xytext=(lane.follow_up, y),
                        arrowprops={"arrowstyle": "->", "color": "#08519c"})
    ax.set_yticks(range(len(order)), [lane.patient_id for lane in order], fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    handles: list[Artist] = [
        Line2D([], [], ls="", marker="o", color="#08519c", ms=5, label="cycle"),
        Patch(facecolor="#fdd0a2", edgecolor="#fd8d3c", hatch="//", label="holiday"),
    ]
    handles += [Line2D([], [], ls="", marker=st.marker, color=st.colour, ms=8, label=name)
                for name, st in styles.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_xlim(0, max(lane.follow_up for lane in order) * 1.08 + 2)
    fig.tight_layout()
    return fig


def toxicity_shift_bars(shifts: Mapping[str, Mapping[tuple[int, int], int]], *,
                        title: str = "CTCAE grade shift (baseline → worst on treatment)") -> Figure:
    """Stacked bars per parameter: patients improved / unchanged / worsened by 1 / by ≥ 2 grades.

    ``shifts[param][(baseline_grade, worst_grade)] = number of patients``.
    """
    if not shifts:
        raise AnalysisError("toxicity_shift_bars needs at least one parameter")
    cats = (("improved", "#2ca02c"), ("unchanged", "#bdbdbd"), ("worse by 1", "#fdae6b"),
            ("worse by ≥2", "#d62728"))
    params = list(shifts)
    counts = {c: [0] * len(params) for c, _ in cats}
    for j, p in enumerate(params):
        for (base, worst), n in shifts[p].items():
            delta = worst - base
            key = "improved" if delta < 0 else "unchanged" if delta == 0 else "worse by 1" if delta == 1 else "worse by ≥2"
            counts[key][j] += n
    fig = Figure(figsize=(max(5.5, 1.3 * len(params) + 2.5), 4.5))
    ax = fig.add_subplot()
    bottom = [0] * len(params)
    for name, colour in cats:
        ax.bar(params, counts[name], bottom=bottom, color=colour, label=name, width=0.6)
        for j, n in enumerate(counts[name]):
            if n:
                ax.text(j, bottom[j] + n / 2, str(n), ha="center", va="center", fontsize=8)
        bottom = [b + n for b, n in zip(bottom, counts[name], strict=True)]
    ax.set_ylim(0, max(bottom) * 1.1 + 0.5)
    ax.set_ylabel("Patients")
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def kidney_bed_figure(cumulative_bed_gy: Mapping[str, Sequence[float]], *, limit_gy: float,
                      limit_label: str = "protocol limit",
                      title: str = "Cumulative kidney BED per cycle") -> Figure:
    """Per-patient cumulative kidney BED (Gy) after each cycle, with the protocol limit line."""
    if not cumulative_bed_gy:
        raise AnalysisError("kidney_bed_figure needs at least one patient")
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for i, (pid, series) in enumerate(cumulative_bed_gy.items()):
        cycles = list(range(1, len(series) + 1))
        over = any(v > limit_gy for v in series)
        ax.plot(cycles, list(series), "-o", color=COLOURS[i % len(COLOURS)], ms=4,
                lw=2.2 if over else 1.2, label=f"{pid}{' (over limit)' if over else ''}")
    ax.axhline(limit_gy, color="black", ls="--", lw=1.2)
    ax.text(1, limit_gy, f" {limit_label}: {limit_gy:g} Gy", va="bottom", fontsize=9)
    top = max(max(s) for s in cumulative_bed_gy.values() if len(s))
    ax.set_ylim(0, max(top, limit_gy) * 1.15)
    ax.set_xlabel("Cycle")
    ax.set_ylabel("Cumulative kidney BED (Gy)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(cumulative_bed_gy) <= 12:  # one legend entry per patient only while it stays legible
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        ax.text(0.99, 0.02, f"{len(cumulative_bed_gy)} patients", transform=ax.transAxes, ha="right",
                fontsize=8)
    fig.tight_layout()
    return fig
