"""Patient list, patient page (timeline, graded labs, PSA chart, AEs, visit calendar) and audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lutetia.analysis.trial import graded_labs
from lutetia.errors import ProtocolError
from lutetia.records.clinical import ANALYTES, Analyte
from lutetia.store.decisions import decision_history, load_decisions
from lutetia.store.signatures import load_signatures
from lutetia.store.users import User
from lutetia.units import display_unit
from lutetia.web.deps import current_user, render, role_in, state, visible_record
from lutetia.web.permissions import AUDIT_TRAIL, ENROL, ENTER_DATA, REVIEW_DOSIMETRY, SIGN
from lutetia.web.views import STATUSES, filter_rows, latest_enrolment, patient_rows, psa_svg

router = APIRouter()

#: Patients listed on one page of the list: project default (narrow with search and filters).
LIST_LIMIT = 200


def today() -> datetime:
    return datetime.now(tz=UTC)


@router.get("/")
def home(user: User = Depends(current_user)) -> Response:
    return RedirectResponse("/dashboard" if user.role in ("statistician", "monitor") else "/patients", 303)


@router.get("/patients")
def patient_list(request: Request, q: str = "", protocol: str = "", arm: str = "", site: str = "",
                 status: str = "", user: User = Depends(current_user)) -> Response:
    rows = patient_rows(state(request).store, user)
    shown = filter_rows(rows, q=q, protocol=protocol, arm=arm, site=site, status=status)
    ctx = {"rows": shown[:LIST_LIMIT], "total": len(shown), "limit": LIST_LIMIT,
           "filters": {"q": q, "protocol": protocol, "arm": arm, "site": site, "status": status},
           "protocols": sorted({r.protocol for r in rows if r.protocol}), "arms": sorted({r.arm for r in rows if r.arm}),
           "sites": sorted({r.site for r in rows if r.site}), "statuses": STATUSES}
    if request.headers.get("hx-request"):
        return render(request, "_patient_rows.html", ctx)
    return render(request, "patients.html", ctx)


@router.get("/patients/{patient_id}")
def patient_page(request: Request, patient_id: str, saved: str | None = None,
                 user: User = Depends(current_user)) -> Response:
    from lutetia.decide import build_schedule

    st = state(request)
    record = visible_record(st, user, patient_id)
    enrolment = latest_enrolment(record)
    labs = graded_labs(record, enrolment.protocol_id if enrolment else None)
    graded = {(g.analyte, g.sampled_on, g.value) for g in labs}
    others = [lab for lab in record.labs if (lab.analyte.value, lab.sampled_on, lab.value) not in graded]
    day = today().date()
    visits = []
    if enrolment is not None and enrolment.arm:
        from lutetia.protocols import load_protocol

        try:
            protocol = load_protocol(enrolment.protocol_id)
            history = decision_history(st.store, patient_id, protocol.id, day + timedelta(days=1))
            from lutetia.decide import holidays_from_decisions
            from lutetia.decide.rederive import treatment_ended_from_decisions

            holidays = holidays_from_decisions(history)
            open_holiday = holidays[-1][0] if holidays and holidays[-1][1] is None else None
            stop = treatment_ended_from_decisions(history)
            off = enrolment.off_study_on if enrolment.off_study_on and enrolment.off_study_on <= day else None
            ended = [d for d in (stop[0] if stop else None, off) if d is not None]
            visits = build_schedule(record, protocol, enrolment.arm, day, planned_start=enrolment.enrolled_on,
                                    holiday_start=open_holiday, end_of_treatment=min(ended) if ended else None)
        except ProtocolError:
            visits = []
    return render(request, "patient.html", {
        "rec": record, "p": record.patient, "enrolment": enrolment, "labs": labs,
        "psa": psa_svg(record.psa_series()), "admins": record.administrations_sorted(),
        "aes": sorted(record.adverse_events, key=lambda a: a.onset_date),
        "ecog": sorted(record.ecog, key=lambda e: e.assessed_on), "events": record.events,
        "visits": visits, "signatures": load_signatures(st.store, patient_id),
        "decisions": load_decisions(st.store, patient_id), "saved": saved, "today": day,
        "can_enter": user.role in ENTER_DATA, "can_sign": user.role in SIGN, "can_enrol": user.role in ENROL,
        "can_review": user.role in REVIEW_DOSIMETRY, "can_audit": user.role in AUDIT_TRAIL,
        "saved_lab": _saved_lab(labs, saved), "other_labs": sorted(others, key=lambda x: x.sampled_on),
        "analytes": [(a.value, display_unit(ANALYTES[a].canonical_unit)) for a in Analyte],
    })


def _saved_lab(labs: list, saved: str | None) -> object:  # type: ignore[type-arg]
    """The graded lab just saved (``saved=lab:<analyte>:<date>``), to show its grade."""
    if not saved or not saved.startswith("lab:"):
        return None
    _, analyte, day = (saved.split(":", 2) + ["", ""])[:3]
    return next((g for g in labs if g.analyte == analyte and str(g.sampled_on) == day), None)


@router.get("/patients/{patient_id}/audit")
def audit_trail(request: Request, patient_id: str,
                user: User = Depends(role_in(AUDIT_TRAIL))) -> Response:
    st = state(request)
    visible_record(st, user, patient_id)
    entries = st.store.audit(patient_id)
    return render(request, "audit.html", {"patient_id": patient_id, "entries": entries})


@router.get("/patients/{patient_id}/screening")
def screening(request: Request, patient_id: str, protocol: str = "", on: str = "",
              user: User = Depends(current_user)) -> Response:
    from lutetia.decide import assess_eligibility
    from lutetia.protocols import load_protocol, protocol_ids

    st = state(request)
    record = visible_record(st, user, patient_id)
    day = _date(on) if on else today().date()
    ids = list(protocol_ids())
    result, proto = None, None
    if protocol:
        if protocol not in ids:
            raise HTTPException(422, f"protocol {protocol!r}; accepted: {', '.join(ids)}")
        proto = load_protocol(protocol)
        result = assess_eligibility(record, proto, day)
    return render(request, "screening.html", {"rec": record, "protocols": ids, "protocol": protocol, "on": day,
                                              "result": result, "proto": proto, "can_enrol": user.role in ENROL})


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"date {text!r}; accepted: YYYY-MM-DD") from exc
