"""The HTML trial report of one protocol (Jinja2), with its figures and datasets.

Renders a :class:`lutetia.analysis.trial.TrialAnalysis`; computes no clinical value
itself beyond formatting (means of already derived per-patient values).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lutetia import __version__
from lutetia.analysis.endpoints import DAYS_PER_MONTH, landmark_day
from lutetia.analysis.safety import CountSummary
from lutetia.analysis.survival import LandmarkEstimate
from lutetia.analysis.trial import TrialAnalysis, arm_of
from lutetia.records import PatientRecord
from lutetia.report.datasets_io import write_dataset
from lutetia.report.figures import (
    SwimmerLane,
    kidney_bed_figure,
    km_figure,
    psa_waterfall,
    save,
    swimmer_plot,
    toxicity_shift_bars,
)


@lru_cache(maxsize=1)
def _environment() -> Any:
    """The one Jinja2 environment of the reports: built once per process, so each template is
    compiled once (issue 16: a new environment per page recompiled it for each of 272 pages)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(str(resources.files("lutetia.report") / "templates"))
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html", "j2"]),
                       auto_reload=False)


def _template(name: str) -> Any:
    return _environment().get_template(name)


@lru_cache(maxsize=1)
def css() -> str:
    return (resources.files("lutetia.report") / "templates" / "base.css").read_text(encoding="utf-8")


def _fmt_median(m: float, lo: float, hi: float) -> str:
    """Median "NR" when the curve never falls to 0.5 (not reached); a confidence limit that
    does not exist prints "NA", as R's ``print.survfit`` does."""
    def f(x: float, missing: str) -> str:
        return missing if math.isinf(x) or math.isnan(x) else f"{x:.1f}"

    return f"{f(m, 'NR')} ({f(lo, 'NA')}–{f(hi, 'NA')})"


def _fmt_landmark(est: LandmarkEstimate | None) -> str:
    """S(t) with its band, or "not computed: <why>" — never "not reached"."""
    if est is None:
        return "not computed: no curve"
    if not est.computed or est.survival is None:
        return f"not computed: {est.reason}"

    def pct(x: float | None) -> str:
        return "NA" if x is None else f"{100 * x:.1f}"

    return f"{pct(est.survival)}% ({pct(est.lower)}–{pct(est.upper)}%)"


@dataclass(frozen=True)
class KidneyCourse:
    """Cumulative kidney BED per patient after each cycle, and the protocol limit."""

    cumulative_bed_gy: Mapping[str, Sequence[float]]
    limit_gy: float
    limit_label: str


def write_trial_report(
    analysis: TrialAnalysis,
    records: Sequence[PatientRecord],
    out: Path,
    *,
    kidney: KidneyCourse | None = None,
    swimmer: Sequence[SwimmerLane] = (),
    patient_pages: Mapping[str, str] | None = None,
    simulated: bool = False,
) -> Path:
    """Write ``out/index.html`` with figures under ``out/figures`` and datasets under
    ``out/datasets``; returns the HTML path."""
    fig_dir, data_dir = out / "figures", out / "datasets"
    fig_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    survival_ctx = []
    for s in analysis.survival:
        curves = list(s.km_by_arm.values())
        horizon = max((max(k.durations) for k in curves if k.durations), default=1.0)
        step = 3.0 if horizon <= 24 else 6.0
        ticks = [step * i for i in range(int(horizon // step) + 1)]
        fig = km_figure(curves, at_risk_times=ticks, title=s.endpoint.label, xlabel="Months since first administration")
        name = f"km_{s.endpoint.id.replace('.', '_')}.png"
        save(fig, fig_dir / name)
        rows = []
        for arm, km in s.km_by_arm.items():
            landmark = ""
            if s.endpoint.landmark_months is not None:
                landmark = _fmt_landmark(s.landmarks.get(arm))
            rows.append({"arm": arm, "n": km.n, "events": km.events,
                         "median": _fmt_median(km.median, km.median_lower, km.median_upper), "landmark": landmark})
        survival_ctx.append({
            "id": s.endpoint.id, "name": s.endpoint.label, "primary": s.endpoint.primary,
            "text": s.endpoint.text, "citation": s.endpoint.citation, "arms": rows,
            "logrank": s.logrank, "cox": s.cox, "figure": f"figures/{name}",
            "landmark": s.endpoint.landmark_months is not None,
            "landmark_label": (f"S({s.endpoint.landmark_months:g} months = day "
                               f"{landmark_day(s.endpoint.landmark_months)}), KM with 95% CI"
                               if s.endpoint.landmark_months is not None else ""),
        })
    changes = {p.patient_id: p.best_change_pct for p in analysis.psa if p.best_change_pct is not None}
    waterfall = ""
    if changes:  # no patient with a baseline and a post-baseline PSA: no waterfall
        save(psa_waterfall(changes), fig_dir / "psa_waterfall.png")
        waterfall = "figures/psa_waterfall.png"
    shift_figure = ""
    if analysis.shift_tables:
        save(toxicity_shift_bars(analysis.shift_tables), fig_dir / "toxicity_shifts.png")
        shift_figure = "figures/toxicity_shifts.png"
    kidney_figure = ""
    if kidney is not None and kidney.cumulative_bed_gy:
        save(kidney_bed_figure(kidney.cumulative_bed_gy, limit_gy=kidney.limit_gy, limit_label=kidney.limit_label),
             fig_dir / "kidney_bed.png")
        kidney_figure = "figures/kidney_bed.png"
    swimmer_file = ""
    if swimmer:
        save(swimmer_plot(swimmer), fig_dir / "swimmer.png")
        swimmer_file = "figures/swimmer.png"
    datasets = []
    for ds in analysis.datasets:
        paths = write_dataset(ds, data_dir)
        datasets.append({"name": ds.name, "label": ds.label, "rows": len(ds.rows),
                         **{k: f"datasets/{v.name}" for k, v in paths.items()}})
    html = _template("trial.html.j2").render(
        a=analysis, css=css(), version=__version__, simulated=simulated, conf_type="log(−log)",
        days_per_month=DAYS_PER_MONTH, survival=survival_ctx, activity=_activity_by_arm(analysis, records),
        categories=", ".join(f"{k} {v}" for k, v in sorted(Counter(p.category for p in analysis.psa).items())),
        waterfall=waterfall, shift_figure=shift_figure,
        shifts={t: sorted(v.items()) for t, v in analysis.shift_tables.items()},
        kidney_figure=kidney_figure, swimmer=swimmer_file, datasets=datasets,
        patients=[{"id": k, "href": v} for k, v in (patient_pages or {}).items()],
        fmt_counts=_fmt_counts, fmt_rate=_fmt_rate, fmt_p=format_p_value, p_clause=p_clause,
        counts=[_count_context(c) for c in analysis.counts], defaults=analysis.project_defaults,
    )
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def format_p_value(p: float) -> str:
    """A p-value as journals print it: four decimals, ``<0.0001`` below (never ``0.0000``)."""
    if math.isnan(p):
        return "NA"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def p_clause(p: float) -> str:
    """``"p = 0.0123"`` or ``"p < 0.0001"`` for running text."""
    text = format_p_value(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _count_context(c: CountSummary) -> dict[str, Any]:
    rows = [{"arm": arm, "rate": _fmt_rate(rate), "not_evaluable": c.not_evaluable.get(arm, 0),
             "treated": c.treated.get(arm, 0), "categories": _fmt_counts(c.category_counts.get(arm, {}))}
            for arm, rate in c.by_arm.items()]
    return {"name": c.endpoint.label, "text": c.endpoint.text, "citation": c.endpoint.citation,
            "primary": c.endpoint.primary, "rows": rows}


def _fmt_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "–"


def _fmt_rate(rate: Any) -> str:
    if rate is None:
        return "–"
    return f"{rate.successes}/{rate.n} ({100 * rate.proportion:.1f}%; {100 * rate.lower:.1f}–{100 * rate.upper:.1f}%)"


def _activity_by_arm(analysis: TrialAnalysis, records: Sequence[PatientRecord]) -> dict[str, dict[str, Any]]:
    arm = {r.patient_id: arm_of(r, analysis.protocol_id) for r in records}
    out: dict[str, dict[str, Any]] = {}
    for a in analysis.arms:
        mine = [s for s in analysis.activity if arm.get(s.patient_id) == a]
        cums = [s.cumulative_gbq for s in mine]
        cycles = sum(s.cycles for s in mine)
        out[a] = {
            "cycles": statistics.fmean(s.cycles for s in mine) if mine else 0.0,
            "cum_mean": statistics.fmean(cums) if cums else 0.0,
            "cum_sd": statistics.stdev(cums) if len(cums) > 1 else 0.0,
            "per_cycle": sum(cums) / cycles if cycles else None,
        }
    return out
