"""Physicist's dosimetry review of a patient's cycles: the kidney ledger as the decision engine
computes it (:func:`lutetia.decide.dosimetry.kidney_history`), cumulative dose and BED
(:class:`lutetia.physics.ledger.Ledger`) against the arm's kidney cap, and confirm / correct
with a reason (append-only, audited, bound to a digest of the cycle's measurements)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lutetia.errors import LutetiaError
from lutetia.store.signatures import VERDICTS, digest, load_reviews, review_dosimetry
from lutetia.store.users import User
from lutetia.web.deps import check_csrf, current_user, render, role_in, state, visible_record
from lutetia.web.permissions import REVIEW_DOSIMETRY

router = APIRouter()


def _cycle_inputs(record: Any, course: int, cycle: int) -> dict[str, Any]:
    rows = [m.model_dump(mode="json") for m in record.dosimetry if m.course == course and m.cycle == cycle]
    admin = [a.model_dump(mode="json") for a in record.administrations if a.course == course and a.cycle == cycle]
    return {"dosimetry": sorted(rows, key=lambda r: (r["region"], r["time_after_administration_h"])),
            "administration": admin}


@dataclass(frozen=True)
class KidneyLimit:
    """The arm's cumulative kidney limit as its protocol file states it (cap, or personalised budget)."""

    quantity: str
    value: float
    unit: str
    rule_id: str
    citation: str


def _limit(arm: Any) -> KidneyLimit | None:
    """The kidney limit the decision engine applies to this arm (the cap, else a personalised
    activity rule's budget: the same choice as :mod:`lutetia.decide.next_cycle`)."""
    t = arm.treatment
    if t.kidney_cap is not None:
        c = t.kidney_cap
        return KidneyLimit(c.quantity, c.limit.value, c.limit.unit, c.id, c.citation)
    a = t.activity
    if a.mode == "personalised" and a.kidney_limit is not None and a.kidney_quantity is not None:
        return KidneyLimit(a.kidney_quantity, a.kidney_limit.value, a.kidney_limit.unit, a.id, a.citation)
    return None


@router.get("/patients/{patient_id}/dosimetry")
def dosimetry_page(request: Request, patient_id: str, user: User = Depends(current_user)) -> Response:
    from lutetia.decide.dosimetry import kidney_history
    from lutetia.physics.ledger import Ledger
    from lutetia.protocols import load_protocol

    st = state(request)
    record = visible_record(st, user, patient_id)
    admins = record.administrations_sorted()
    history, missing = kidney_history(record, admins)
    ledger = Ledger.build([k.entry for k in history]) if history else None
    cap = None
    enrol = sorted(record.enrolments, key=lambda e: e.enrolled_on)[-1] if record.enrolments else None
    if enrol is not None and enrol.arm:
        try:
            arm = next((a for a in load_protocol(enrol.protocol_id).arms if a.id == enrol.arm), None)
            cap = _limit(arm) if arm is not None else None
        except LutetiaError:
            cap = None
    reviews = load_reviews(st.store, patient_id)
    current = {(a.course, a.cycle): digest(_cycle_inputs(record, a.course, a.cycle)) for a in admins}
    return render(request, "dosimetry.html", {
        "rec": record, "history": history, "missing": missing, "ledger": ledger, "cap": cap,
        "alpha_beta": history[-1].alpha_beta_gy if history else None,
        "reviews": [(r, current.get((r.course, r.cycle)) == r.digest) for r in reviews],
        "admins": admins, "verdicts": VERDICTS, "can_review": user.role in REVIEW_DOSIMETRY})


@router.post("/patients/{patient_id}/dosimetry/review", dependencies=[Depends(check_csrf)])
def review(request: Request, patient_id: str, cycle: int = Form(..., ge=1, le=30), course: int = Form(1, ge=1, le=10),
           verdict: str = Form(..., max_length=20), reason: str = Form(..., max_length=4096),
           user: User = Depends(role_in(REVIEW_DOSIMETRY))) -> Response:
    st = state(request)
    record = visible_record(st, user, patient_id)
    if not any(a.course == course and a.cycle == cycle for a in record.administrations):
        raise HTTPException(422, f"{patient_id}: no administration of course {course} cycle {cycle}")
    review_dosimetry(st.store, patient_id=patient_id, course=course, cycle=cycle, verdict=verdict, reason=reason,
                     inputs=_cycle_inputs(record, course, cycle), reviewer=user.username)
    return RedirectResponse(f"/patients/{quote(patient_id)}/dosimetry", status_code=303)
