"""The next-cycle decision page, the physician's signature and the printable prescription.

The decision is :func:`lutetia.decide.rederive.decide_with_history` on the stored record (the
same call as ``lutetia next-cycle``).  A signature stores SHA-256 of the decision with its
inputs (:func:`lutetia.store.signatures.digest`); each time a signature is shown the decision
is made again from the record as it is now, and a different digest shows it VOID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lutetia.errors import ProtocolError, RecordError
from lutetia.records import PatientRecord
from lutetia.store.decisions import decision_history
from lutetia.store.signatures import Signature, digest, load_signatures, sign_decision
from lutetia.store.users import User, authenticate
from lutetia.web.deps import (
    WebState,
    check_csrf,
    current_user,
    render,
    role_in,
    state,
    visible_record,
)
from lutetia.web.permissions import SIGN

router = APIRouter()


def _day(text: str | None) -> date:
    if not text:
        return datetime.now(tz=UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"date {text!r}; accepted: YYYY-MM-DD") from exc


def decide(st: WebState, record: PatientRecord, day: date) -> Any:
    """The engine's next-cycle decision on ``day`` with the stored history before it (or 422 why not)."""
    from lutetia.decide.rederive import decide_for_enrolment

    protocol_id = sorted(record.enrolments, key=lambda e: e.enrolled_on)[-1].protocol_id if record.enrolments else ""
    try:
        return decide_for_enrolment(record, day, decision_history(st.store, record.patient_id, protocol_id, day))
    except (ProtocolError, RecordError) as exc:
        raise HTTPException(422, str(exc)) from exc


@dataclass(frozen=True)
class ShownSignature:
    signature: Signature
    valid: bool


def signature_status(st: WebState, record: PatientRecord, signatures: list[Signature]) -> list[ShownSignature]:
    """Each signature with whether the decision re-made now still has the signed digest."""
    out = []
    for sig in signatures:
        try:
            now = digest(decide(st, record, sig.decided_on).to_json())
        except HTTPException:
            now = ""
        out.append(ShownSignature(sig, now == sig.digest))
    return out


def meaning_of(decision: Any, prescribed_gbq: float | None) -> str:
    """The sentence the physician signs ("prescribed 7.4 GBq for cycle 3")."""
    if prescribed_gbq is not None:
        return f"prescribed {prescribed_gbq:g} GBq" + (f" for cycle {decision.cycle}" if decision.cycle else "")
    return f"decided {decision.kind.replace('_', ' ')}" + (f" for cycle {decision.cycle}" if decision.cycle else "")


@router.get("/patients/{patient_id}/decision")
def decision_page(request: Request, patient_id: str, on: str | None = None,
                  user: User = Depends(current_user)) -> Response:
    st = state(request)
    record = visible_record(st, user, patient_id)
    day = _day(on)
    decision = decide(st, record, day)
    shown = signature_status(st, record, [s for s in load_signatures(st.store, patient_id) if s.decided_on == day])
    recommended = round(decision.activity_gbq, 2) if decision.activity_gbq is not None and decision.administer else None
    return render(request, "decision.html", {
        "rec": record, "d": decision, "on": day, "signatures": shown, "can_sign": user.role in SIGN,
        "recommended_gbq": recommended, "meaning": meaning_of(decision, recommended)})


@router.post("/patients/{patient_id}/decision/sign", dependencies=[Depends(check_csrf)])
def sign(request: Request, patient_id: str, on: str = Form(..., max_length=32),
         password: str = Form(..., max_length=1024), prescribed_gbq: str = Form("", max_length=32),
         override_reason: str = Form("", max_length=4096), user: User = Depends(role_in(SIGN))) -> Response:
    st = state(request)
    record = visible_record(st, user, patient_id)
    address = request.client.host if request.client else "unknown"
    if st.throttle.locked_for(user.username, address) > 0:
        raise HTTPException(429, "too many wrong passwords: signing is locked for a while")
    if authenticate(st.store.engine, user.username, password) is None:
        st.throttle.failed(user.username, address)
        raise HTTPException(403, "the password is wrong: the prescription was not signed")
    day = _day(on)
    decision = decide(st, record, day)
    recommended = round(decision.activity_gbq, 2) if decision.activity_gbq is not None and decision.administer else None
    try:
        prescribed = float(prescribed_gbq) if prescribed_gbq.strip() else recommended
    except ValueError as exc:
        raise HTTPException(422, f"prescribed activity {prescribed_gbq!r}; accepted: a number of GBq") from exc
    if prescribed is not None and not 0 < prescribed <= 30:
        raise HTTPException(422, f"prescribed activity {prescribed} GBq; accepted: more than 0, at most 30 GBq")
    override = prescribed != recommended
    reason = override_reason.strip() or None
    if override and reason is None:
        raise HTTPException(422, f"the engine recommends {recommended if recommended is not None else 'no'} GBq; "
                                 f"prescribing {prescribed} GBq is an override and needs a reason")
    if prescribed is not None and not decision.administer and reason is None:
        raise HTTPException(422, "the decision is not to administer: a prescription overrides it and needs a reason")
    sign_decision(st.store, patient_id=patient_id, protocol_id=decision.protocol_id, decided_on=day,
                  payload=decision.to_json(), meaning=meaning_of(decision, prescribed),
                  prescribed_gbq=prescribed, override_reason=reason if override else None,
                  signer=user.username, signer_name=user.display_name)
    return RedirectResponse(f"/patients/{quote(patient_id)}/decision?on={day}", status_code=303)


@router.get("/patients/{patient_id}/signatures/{signature_id}")
def prescription(request: Request, patient_id: str, signature_id: int,
                 user: User = Depends(current_user)) -> Response:
    st = state(request)
    record = visible_record(st, user, patient_id)
    sig = next((s for s in load_signatures(st.store, patient_id) if s.id == signature_id), None)
    if sig is None:
        raise HTTPException(404, f"no signature {signature_id} for {patient_id}")
    shown = signature_status(st, record, [sig])[0]
    return render(request, "prescription.html", {"rec": record, "shown": shown})
