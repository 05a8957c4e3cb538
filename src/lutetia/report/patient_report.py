"""The per-patient cycle report for the physician: the decision with its reasons and rule
texts, the kidney dose and BED ledger, labs with CTCAE grades, PSA, AEs and events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lutetia import __version__
from lutetia.analysis.kidney import KidneyRow
from lutetia.analysis.trial import GradedLab
from lutetia.records import PatientRecord
from lutetia.report.trial_report import _template, css


@dataclass(frozen=True)
class DecisionView:
    """A stored decision, flattened for display."""

    date: date
    outcome: str
    activity: str
    reasons: Sequence[str]
    rules: Sequence[Mapping[str, str]]
    missing: Sequence[str]


def _grid(labs: Sequence[GradedLab]) -> list[tuple[date, dict[str, GradedLab]]]:
    rows: dict[date, dict[str, GradedLab]] = {}
    for g in labs:
        rows.setdefault(g.sampled_on, {})[g.analyte] = g
    return sorted(rows.items())


def _data_uri(path: Path) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def patient_figures(folder: Path | None, patient_id: str) -> list[Path]:
    """The patient's image-dosimetry figures in ``folder`` (``<patient>/cycle-<N>-dosimetry.png``,
    :func:`lutetia.report.dosimetry_figure.figure_path`), by cycle."""
    if folder is None or not (Path(folder) / patient_id).is_dir():
        return []

    def cycle(p: Path) -> int:
        part = p.name.split("-")[1]
        return int(part) if part.isdigit() else 0

    return sorted((Path(folder) / patient_id).glob("cycle-*-dosimetry.png"), key=cycle)


def write_patient_report(
    rec: PatientRecord,
    path: Path,
    *,
    protocol_title: str,
    arm: str,
    labs: Sequence[GradedLab],
    ledger: Sequence[KidneyRow] = (),
    decisions: Sequence[DecisionView] = (),
    limit: str = "",
    simulated: bool = False,
    figures: Sequence[Path] = (),
) -> Path:
    """Write the cycle report; ``figures`` (PNG, e.g. the image-dosimetry figure of each
    cycle) are embedded so that the page stays one self-contained file."""
    p = rec.patient
    context: dict[str, Any] = {
        "p": p, "born": p.birth_date.isoformat() if p.birth_date else str(p.birth_year), "arm": arm,
        "protocol_title": protocol_title, "version": __version__, "css": css(), "simulated": simulated,
        "decisions": list(decisions), "ledger": list(ledger), "limit": limit,
        "lab_analytes": sorted({g.analyte for g in labs}), "lab_grid": _grid(labs),
        "psa": rec.psa_series(), "p_aes": sorted(rec.adverse_events, key=lambda a: a.onset_date),
        "events": sorted(rec.events, key=lambda e: e.event_date),
        "figures": [(f.stem.replace("-", " "), _data_uri(f)) for f in figures],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_template("patient.html.j2").render(**context), encoding="utf-8")
    return path
