"""Build every report of a protocol from the store: the shell around analysis and rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lutetia.analysis.defaults import label_for_id
from lutetia.analysis.kidney import kidney_ledger, kidney_limit
from lutetia.analysis.trial import TrialAnalysis, analyse_trial, arm_of, enrolled, graded_labs
from lutetia.protocols.schema import Protocol
from lutetia.records import PatientRecord
from lutetia.report.define_xml import write_define_xml
from lutetia.report.figures import SwimmerLane
from lutetia.report.patient_report import DecisionView, patient_figures, write_patient_report
from lutetia.report.trial_report import KidneyCourse, write_trial_report


@dataclass(frozen=True)
class BuiltReports:
    analysis: TrialAnalysis
    index: Path
    n_patients: int


def decision_view(decided_on: date, outcome: str, payload: dict[str, Any]) -> DecisionView:
    """Flatten a stored decision payload for display (keys the decision engine writes)."""
    activity = payload.get("activity_gbq")
    return DecisionView(
        date=decided_on, outcome=outcome,
        activity=f"{activity:.2f} GBq" if isinstance(activity, int | float) else "",
        reasons=[str(r) for r in payload.get("reasons", [])],
        rules=[{"id": rid, "label": label_for_id(rid), "text": str(r.get("text", "")),
                "citation": str(r.get("citation", ""))}
               for r in payload.get("rules", []) if isinstance(r, dict)
               for rid in [str(r.get("rule_id", r.get("id", "")))]],
        missing=[str(m) for m in payload.get("missing", [])],
    )


def holiday_weeks(views: Sequence[DecisionView], start: date, last: date) -> list[tuple[float, float]]:
    """Holiday spans (weeks since ``start``) from decisions: start_holiday … resume."""
    spans: list[tuple[float, float]] = []
    opened: date | None = None
    for v in sorted(views, key=lambda v: v.date):
        if v.outcome == "start_holiday" and opened is None:
            opened = v.date
        elif v.outcome == "resume" and opened is not None:
            spans.append(((opened - start).days / 7, (v.date - start).days / 7))
            opened = None
    if opened is not None:
        spans.append(((opened - start).days / 7, (last - start).days / 7))
    return spans


def swimmer_lanes(records: Sequence[PatientRecord], protocol_id: str, limit: int = 40,
                  decisions: Mapping[str, Sequence[DecisionView]] | None = None) -> list[SwimmerLane]:
    """Swimmer lanes: cycles and events in weeks since the first administration (first
    ``limit`` patients, to keep the figure legible)."""
    from lutetia.analysis.endpoints import last_known_date, protocol_administrations

    lanes: list[SwimmerLane] = []
    for rec in records[:limit]:
        admins = protocol_administrations(rec, protocol_id)
        if not admins:
            continue
        start = admins[0].administered_at.date()
        last = last_known_date(rec) or start
        events = [((e.event_date - start).days / 7, e.kind.value.replace("_", " "))
                  for e in rec.events if e.event_date >= start and e.kind.value != "last_contact"]
        holidays = holiday_weeks((decisions or {}).get(rec.patient_id, ()), start, last)
        lanes.append(SwimmerLane(rec.patient_id, (last - start).days / 7,
                                 [(a.administered_at.date() - start).days / 7 for a in admins], holidays, events,
                                 ongoing=rec.death_date is None, group=arm_of(rec, protocol_id)))
    return lanes


def build_reports(records: Sequence[PatientRecord], protocol: Protocol, out: Path, *,
                  decisions: Mapping[str, Sequence[DecisionView]] | None = None, cutoff: date | None = None,
                  simulated: bool = False, created: datetime | None = None,
                  figures: Path | None = None) -> BuiltReports:
    """Analyse the protocol's patients among ``records`` and write all reports under ``out``.

    With ``created`` (an aware time stamp, given by the caller: the report reads no clock), the
    Define-XML 2.1 document of the ADaM datasets is written beside their XPT files
    (``out/datasets/define.xml``). ``figures``: folder of image-dosimetry figures, embedded in
    each patient's cycle report."""
    records = enrolled(records, protocol.id)
    analysis = analyse_trial(protocol, records, cutoff=cutoff)
    pages: dict[str, str] = {}
    courses: dict[str, list[float]] = {}
    limits: set[tuple[float, str]] = set()
    for rec in records:
        views = list((decisions or {}).get(rec.patient_id, ()))
        ledger = kidney_ledger(rec, protocol.id)
        limit = kidney_limit(protocol, arm_of(rec, protocol.id))
        href = f"patients/{rec.patient_id}.html"
        write_patient_report(rec, out / href, protocol_title=protocol.title, arm=arm_of(rec, protocol.id),
                             labs=graded_labs(rec, protocol.id), decisions=views, simulated=simulated,
                             ledger=ledger, limit=limit.label if limit else "",
                             figures=patient_figures(figures, rec.patient_id))
        bed = [r.cumulative_bed_gy for r in ledger if r.cumulative_bed_gy is not None]
        if limit is not None and limit.quantity == "bed" and bed:
            courses[rec.patient_id] = bed
            limits.add((limit.value, limit.label))
        pages[rec.patient_id] = href
    kidney = None
    if courses and limits:
        value, label = min(limits)
        kidney = KidneyCourse(courses, value, label)
    index = write_trial_report(analysis, records, out, patient_pages=pages, simulated=simulated, kidney=kidney,
                               swimmer=swimmer_lanes(records, protocol.id, decisions=decisions))
    if created is not None:
        write_define_xml(analysis.datasets, out / "datasets" / "define.xml", study_id=protocol.id,
                         study_title=protocol.title, created=created)
    return BuiltReports(analysis, index, len(records))
