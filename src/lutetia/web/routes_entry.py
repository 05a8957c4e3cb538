"""Coordinator data entry: labs (with units; the CTCAE grade is shown after saving), ECOG,
administrations, adverse events, and enrolment through the eligibility engine.

Each form validates into the record model (the same validation as an import) and is written
by the store with the logged-in user as actor; a refused form writes nothing and says why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from lutetia.errors import ConflictError, RecordError, UnitError
from lutetia.records import AdverseEvent, EcogAssessment, LabResult
from lutetia.records.treatment import Administration, Enrolment
from lutetia.store.users import User
from lutetia.web.deps import check_csrf, role_in, state, visible_record
from lutetia.web.permissions import ENROL, ENTER_DATA

router = APIRouter()
TEXT = 4096  # longest form field accepted before validation (the record model's own limits then apply)


def _build(model: Any, kind: str, values: dict[str, Any]) -> Any:
    clean = {k: v for k, v in values.items() if v not in (None, "")}
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        problems = "; ".join(f"{kind}: field {'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']} "
                             f"(value {e.get('input')!r})" for e in exc.errors())
        raise HTTPException(422, problems) from exc
    except UnitError as exc:
        raise HTTPException(422, f"{kind}: {exc}") from exc


def _save(request: Request, user: User, record: Any, reason: str | None = None) -> None:
    try:
        state(request).store.add([record], user=user.username, source="web", reason=reason)
    except (ConflictError, RecordError) as exc:
        raise HTTPException(422, str(exc)) from exc


def _back(patient_id: str, saved: str) -> Response:
    return RedirectResponse(f"/patients/{quote(patient_id)}?saved={quote(saved)}", status_code=303)


@router.post("/patients/{patient_id}/labs", dependencies=[Depends(check_csrf)])
def add_lab(request: Request, patient_id: str, analyte: str = Form(..., max_length=64),
            sampled_on: str = Form(..., max_length=32), value: str = Form(..., max_length=64),
            unit: str = Form(..., max_length=64), lln: str = Form("", max_length=64),
            uln: str = Form("", max_length=64), lab: str = Form("", max_length=TEXT),
            user: User = Depends(role_in(ENTER_DATA))) -> Response:
    visible_record(state(request), user, patient_id)
    rec = _build(LabResult, "labs", {"patient_id": patient_id, "analyte": analyte, "sampled_on": sampled_on,
                                     "value": value, "unit": unit, "lln": lln, "uln": uln, "lab": lab})
    _save(request, user, rec)
    return _back(patient_id, f"lab:{rec.analyte.value}:{rec.sampled_on}")


@router.post("/patients/{patient_id}/ecog", dependencies=[Depends(check_csrf)])
def add_ecog(request: Request, patient_id: str, assessed_on: str = Form(..., max_length=32),
             ecog: str = Form(..., max_length=8), user: User = Depends(role_in(ENTER_DATA))) -> Response:
    visible_record(state(request), user, patient_id)
    _save(request, user, _build(EcogAssessment, "ecog", {"patient_id": patient_id, "assessed_on": assessed_on,
                                                          "ecog": ecog}))
    return _back(patient_id, "ecog")


@router.post("/patients/{patient_id}/adverse-events", dependencies=[Depends(check_csrf)])
def add_ae(request: Request, patient_id: str, ae_id: str = Form(..., max_length=TEXT),
           term: str = Form(..., max_length=TEXT), grade: str = Form(..., max_length=8),
           onset_date: str = Form(..., max_length=32), resolution_date: str = Form("", max_length=32),
           attribution: str = Form("", max_length=64), serious: bool = Form(False),
           notes: str = Form("", max_length=TEXT), user: User = Depends(role_in(ENTER_DATA))) -> Response:
    visible_record(state(request), user, patient_id)
    _save(request, user, _build(AdverseEvent, "adverse_events", {
        "patient_id": patient_id, "ae_id": ae_id, "term": term, "grade": grade, "onset_date": onset_date,
        "resolution_date": resolution_date, "attribution": attribution, "serious": serious, "notes": notes}))
    return _back(patient_id, "ae")


@router.post("/patients/{patient_id}/administrations", dependencies=[Depends(check_csrf)])
def add_administration(request: Request, patient_id: str, cycle: str = Form(..., max_length=8),
                       course: str = Form("1", max_length=8), administered_at: str = Form(..., max_length=40),
                       activity: str = Form(..., max_length=32), activity_unit: str = Form("GBq", max_length=16),
                       residual: str = Form("0", max_length=32), residual_unit: str = Form("GBq", max_length=16),
                       reason: str = Form("", max_length=TEXT),
                       user: User = Depends(role_in(ENTER_DATA))) -> Response:
    from lutetia.units import to_unit

    record = visible_record(state(request), user, patient_id)
    try:
        at = datetime.fromisoformat(administered_at)
        activity_gbq = to_unit(float(activity), activity_unit, "GBq")
        residual_gbq = to_unit(float(residual or 0), residual_unit, "GBq")
    except (ValueError, UnitError) as exc:
        raise HTTPException(422, f"administrations: {exc}; accepted: time YYYY-MM-DDTHH:MM±HH:MM, a number and "
                                 "an activity unit (GBq, MBq, mCi)") from exc
    enrol = sorted(record.enrolments, key=lambda e: e.enrolled_on)[-1] if record.enrolments else None
    _save(request, user, _build(Administration, "administrations", {
        "patient_id": patient_id, "cycle": cycle, "course": course, "administered_at": at,
        "activity_gbq": activity_gbq, "residual_gbq": residual_gbq, "reason": reason,
        "protocol_id": enrol.protocol_id if enrol else None, "arm": enrol.arm if enrol else None}))
    return _back(patient_id, "administration")


@router.post("/patients/{patient_id}/enrol", dependencies=[Depends(check_csrf)])
def enrol(request: Request, patient_id: str, protocol: str = Form(..., max_length=64),
          on: str = Form(..., max_length=32), arm: str = Form("", max_length=64),
          override_reason: str = Form("", max_length=TEXT), user: User = Depends(role_in(ENROL))) -> Response:
    """Enrol after the eligibility engine's verdict (an override needs a reason); a randomised
    protocol's arm comes from the allocation list (``lutetia randomise``), never from the form."""
    from lutetia.decide import assess_eligibility, jsonable
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol
    from lutetia.store.database import write
    from lutetia.store.decisions import NewDecision, _append_decision

    st = state(request)
    record = visible_record(st, user, patient_id)
    try:
        proto = load_protocol(protocol)
        day = date.fromisoformat(on)
    except (ProtocolError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    arms = [a.id for a in proto.arms]
    if proto.randomisation is not None and arm:
        raise HTTPException(422, f"{protocol} is randomised: the arm comes from the allocation list, not the form")
    chosen = arm or (arms[0] if proto.randomisation is None and len(arms) == 1 else None)
    if proto.randomisation is None and chosen not in arms:
        raise HTTPException(422, f"arm {arm!r}; accepted: {', '.join(arms)}")
    result = assess_eligibility(record, proto, day)
    reason = override_reason.strip() or None
    if result.verdict != "eligible" and reason is None:
        raise HTTPException(422, f"{patient_id} is {result.verdict} for {protocol} on {day}; enrolling anyway "
                                 "needs an override reason")
    enrolment = _build(Enrolment, "enrolments", {"patient_id": patient_id, "protocol_id": protocol, "arm": chosen,
                                                 "enrolled_on": day})
    decision = NewDecision(patient_id, protocol, "enrolment", day, result.verdict,
                           {"eligibility": jsonable(result), "override_reason": reason})

    def enrol_in(conn: Any) -> int:
        st.store.add_in(conn, [enrolment], user=user.username, reason=reason or f"eligible on {day}", source="web")
        return _append_decision(conn, decision, user.username)

    try:
        write(st.store.engine, enrol_in)
    except (ConflictError, RecordError) as exc:
        raise HTTPException(422, str(exc)) from exc
    return _back(patient_id, "enrolment")
