"""Readable renderings of a patient record for the terminal."""

from __future__ import annotations

from datetime import date
from typing import Any

from lutetia.records import Analyte, EventKind, PatientRecord
from lutetia.records.base import day_of
from lutetia.units import display_unit


def patient_summary(rec: PatientRecord) -> dict[str, Any]:
    """One summary row: protocol, arm, cycles given, cumulative activity, status."""
    admins = rec.administrations_sorted()
    enrol = rec.enrolments[0] if rec.enrolments else None
    last = admins[-1].administered_at.date() if admins else None
    ref = last or (enrol.enrolled_on if enrol else None)
    status = "on study"
    if rec.death_date is not None:
        status = f"died {rec.death_date.isoformat()}"
    elif enrol is not None and enrol.off_study_on is not None:
        status = f"off study {enrol.off_study_on.isoformat()}"
    return {
        "patient_id": rec.patient_id,
        "age": rec.patient.age_years(ref) if ref else None,
        "protocol": enrol.protocol_id if enrol else "",
        "arm": (enrol.arm or "") if enrol else "",
        "cycles": len(admins),
        "cumulative_gbq": round(sum(a.net_activity_gbq for a in admins), 2),
        "last_administration": last,
        "status": status,
    }


def timeline_rows(rec: PatientRecord) -> list[tuple[date, str, str]]:
    """(date, what, details) for every dated item, in chronological order."""
    rows: list[tuple[date, str, str]] = []
    for e in rec.enrolments:
        rows.append((e.enrolled_on, "enrolment", f"{e.protocol_id} arm {e.arm or '-'}"))
    for t in rec.prior_therapies:
        extra = f" {t.cycles} cycles" if t.cycles else ""
        if t.best_psa_change_pct is not None:
            extra += f", best PSA {t.best_psa_change_pct:+.0f}%"
        rows.append((t.start_date, "prior therapy", f"{t.therapy_class.value} {t.agent or ''}{extra}".strip()))
    for ec in rec.ecog:
        rows.append((ec.assessed_on, "ECOG", str(ec.ecog)))
    for a in rec.administrations:
        rows.append((a.administered_at.date(), f"cycle {a.cycle}" + (f" (course {a.course})" if a.course > 1 else ""),
                     f"{a.activity_gbq:.2f} GBq (residual {a.residual_gbq:.3f}) at "
                     f"{a.administered_at.strftime('%H:%M %z')}" + (f" — {a.reason}" if a.reason else "")))
    by_day: dict[date, list[str]] = {}
    for lab in rec.labs:
        if lab.analyte is Analyte.psa:
            rows.append((lab.sampled_on, "PSA", f"{lab.value:g} {display_unit(lab.unit)}"))
        else:
            flag = ""
            if lab.lln is not None and lab.value < lab.lln:
                flag = " L"
            elif lab.uln is not None and lab.value > lab.uln:
                flag = " H"
            by_day.setdefault(lab.sampled_on, []).append(f"{lab.analyte.value} {lab.value:g} {display_unit(lab.unit)}{flag}")
    for day, items in by_day.items():
        rows.append((day, "labs", "; ".join(items)))
    lesion_count: dict[str, int] = {}
    for les in rec.lesions:
        lesion_count[les.study_id] = lesion_count.get(les.study_id, 0) + 1
    for s in rec.imaging:
        parts = [s.modality.value]
        if s.cycle:
            parts.append(f"cycle {s.cycle}")
        if s.ttv_ml is not None:
            parts.append(f"TTV {s.ttv_ml:g} mL")
        if s.vision_psma_positive is not None:
            parts.append("VISION PSMA+" if s.vision_psma_positive else "VISION PSMA−")
        if s.study_id in lesion_count:
            parts.append(f"{lesion_count[s.study_id]} lesions")
        rows.append((s.study_date, "imaging", ", ".join(parts)))
    for ae in rec.adverse_events:
        rows.append((ae.onset_date, "AE", f"{ae.term} grade {ae.grade}" + (" (serious)" if ae.serious else "")
                     + (f", {ae.attribution.value}" if ae.attribution else "")))
    for ev in rec.events:
        detail = ev.kind.value.replace("_", " ")
        if ev.progression_kind:
            detail += f" ({ev.progression_kind.value})"
        if ev.kind is EventKind.death and ev.cause:
            detail += f": {ev.cause}"
        rows.append((ev.event_date, "event", detail))
    dos: dict[tuple[int, int], int] = {}
    first: dict[tuple[int, int], date] = {}
    admin_day = {(a.course, a.cycle): day_of(a.administered_at) for a in rec.administrations}
    for d in rec.dosimetry:
        dos[(d.course, d.cycle)] = dos.get((d.course, d.cycle), 0) + 1
        if (d.course, d.cycle) in admin_day:
            first[(d.course, d.cycle)] = admin_day[(d.course, d.cycle)]
    for k, n in dos.items():
        if k in first:
            rows.append((first[k], "dosimetry", f"cycle {k[1]}: {n} region time point(s)"))
    return sorted(rows, key=lambda r: r[0])


def render_timeline(rec: PatientRecord, versions: dict[str, dict[str, int]] | None = None) -> None:
    """The header line and the timeline table (stored text shown literally)."""
    from lutetia.cli.output import render_table

    p = rec.patient
    born = p.birth_date.isoformat() if p.birth_date else str(p.birth_year)
    head = (f"{p.patient_id}  {p.sex.value}, born {born}"
            + (f", {p.weight_kg:g} kg" if p.weight_kg else "") + (f", {p.height_cm:g} cm" if p.height_cm else "")
            + (", Gilbert's syndrome" if p.gilbert_syndrome else "") + f" — {p.diagnosis}")
    rows = [{"date": day.isoformat(), "what": what, "details": detail} for day, what, detail in timeline_rows(rec)]
    render_table(rows, ["date", "what", "details"], str, title=head)
