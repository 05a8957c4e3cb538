"""What the pages show, gathered from the store and computed by the core (never here).

The only arithmetic in this module places points on the PSA chart (pixels, not clinical values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from lutetia.records import EventKind, PatientRecord
from lutetia.store.repository import Store
from lutetia.store.users import User


@dataclass(frozen=True)
class PatientRow:
    patient_id: str
    site: str
    protocol: str
    arm: str
    status: str
    cycles: int


STATUSES = ("screening", "on study", "off study", "died")


def patient_rows(store: Store, user: User) -> list[PatientRow]:
    """One row per patient the user may see (read kind by kind: three queries, not one per patient)."""
    patients = [s.record for s in store.rows("patients")]
    enrol: dict[str, Any] = {}
    for s in store.rows("enrolments"):
        rec: Any = s.record
        if rec.patient_id not in enrol or rec.enrolled_on >= enrol[rec.patient_id].enrolled_on:
            enrol[rec.patient_id] = rec
    died = {s.record.patient_id for s in store.rows("events")  # type: ignore[attr-defined]
            if s.record.kind is EventKind.death}  # type: ignore[attr-defined]
    cycles: dict[str, int] = {}
    for s in store.rows("administrations"):
        pid = s.record.patient_id  # type: ignore[attr-defined]
        cycles[pid] = cycles.get(pid, 0) + 1
    out = []
    for p in patients:
        pid, site = p.patient_id, p.site  # type: ignore[attr-defined]
        if not user.sees_site(site):
            continue
        e = enrol.get(pid)
        status = ("died" if pid in died else "off study" if e is not None and e.off_study_on is not None
                  else "on study" if e is not None else "screening")
        out.append(PatientRow(pid, site or "", e.protocol_id if e else "", (e.arm or "") if e else "", status,
                              cycles.get(pid, 0)))
    return out


def filter_rows(rows: Sequence[PatientRow], *, q: str = "", protocol: str = "", arm: str = "", site: str = "",
                status: str = "") -> list[PatientRow]:
    ql = q.strip().lower()
    return [r for r in rows if (not ql or ql in r.patient_id.lower())
            and (not protocol or r.protocol == protocol) and (not arm or r.arm == arm)
            and (not site or r.site == site) and (not status or r.status == status)]


def psa_svg(points: Sequence[tuple[date, float]], *, width: int = 560, height: int = 200) -> Markup:
    """An inline SVG line chart of PSA (ng/mL) over time; empty when there is no value."""
    if not points:
        return Markup("")
    pad, left = 40, 64
    d0, d1 = points[0][0], points[-1][0]
    span = max((d1 - d0).days, 1)
    top = max(v for _, v in points) or 1.0

    def xy(d: date, v: float) -> tuple[float, float]:
        return (left + (width - left - pad) * (d - d0).days / span, height - pad - (height - 2 * pad) * v / top)

    coords = [xy(d, v) for d, v in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(str(d))}: {v:g} ng/mL</title></circle>'
                   for (x, y), (d, v) in zip(coords, points, strict=True))
    axis = (f'<line x1="{left}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>'
            f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - pad}" stroke="#888"/>'
            f'<text x="{left}" y="{height - pad + 16}" font-size="11">{escape(str(d0))}</text>'
            f'<text x="{width - pad}" y="{height - pad + 16}" font-size="11" text-anchor="end">{escape(str(d1))}</text>'
            f'<text x="{left - 4}" y="{pad + 4}" font-size="11" text-anchor="end">{top:g} ng/mL</text>'
            f'<text x="{left - 4}" y="{height - pad}" font-size="11" text-anchor="end">0</text>')
    return Markup(f'<svg class="psa" role="img" aria-label="PSA over time" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}">{axis}<polyline fill="none" stroke="#1f77b4" stroke-width="2" '
                  f'points="{line}"/>{dots}</svg>')


def latest_enrolment(record: PatientRecord) -> Any:
    return sorted(record.enrolments, key=lambda e: e.enrolled_on)[-1] if record.enrolments else None

