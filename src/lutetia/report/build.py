"""Build every report of a protocol from the store: the shell around analysis and rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lutetia.analysis.trial import TrialAnalysis, analyse_trial, arm_of, enrolled, graded_labs
from lutetia.protocols.schema import Protocol
from lutetia.records import PatientRecord
from lutetia.report.patient_report import DecisionView, LedgerRow, write_patient_report
from lutetia.report.trial_report import write_trial_report


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
        rules=[{"id": str(r.get("id", "")), "text": str(r.get("text", "")), "citation": str(r.get("citation", ""))}
               for r in payload.get("rules", []) if isinstance(r, dict)],
        missing=[str(m) for m in payload.get("missing", [])],
    )


def administration_rows(rec: PatientRecord, protocol_id: str) -> list[LedgerRow]:
    """Ledger rows of the administrations (kidney columns empty where no dosimetry exists)."""
    admins = [a for a in rec.administrations_sorted() if a.protocol_id in (protocol_id, None)]
    return [LedgerRow(a.cycle, a.administered_at.date(), a.net_activity_gbq, None, None, None, None,
                      "administered (net of residual); no kidney dosimetry computed")
            for a in admins]


def build_reports(records: Sequence[PatientRecord], protocol: Protocol, out: Path, *,
                  decisions: Mapping[str, Sequence[DecisionView]] | None = None, cutoff: date | None = None,
                  simulated: bool = False) -> BuiltReports:
    """Analyse the protocol's patients among ``records`` and write all reports under ``out``."""
    records = enrolled(records, protocol.id)
    analysis = analyse_trial(protocol, records, cutoff=cutoff)
    pages: dict[str, str] = {}
    for rec in records:
        views = list((decisions or {}).get(rec.patient_id, ()))
        href = f"patients/{rec.patient_id}.html"
        write_patient_report(rec, out / href, protocol_title=protocol.title, arm=arm_of(rec, protocol.id),
                             labs=graded_labs(rec, protocol.id), decisions=views, simulated=simulated,
                             ledger=administration_rows(rec, protocol.id))
        pages[rec.patient_id] = href
    index = write_trial_report(analysis, records, out, patient_pages=pages, simulated=simulated)
    return BuiltReports(analysis, index, len(records))
