"""Trial dashboard (statisticians, monitors, data managers, physicians): enrolment by site and
arm, and the Kaplan–Meier figure of each protocol from :func:`lutetia.analysis.analyse_trial`
drawn by :func:`lutetia.report.figures.km_figure` — over the patients of the user's sites."""

from __future__ import annotations

import io
from collections import Counter

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from lutetia.errors import LutetiaError
from lutetia.store.users import User
from lutetia.web.deps import render, role_in, state
from lutetia.web.permissions import DASHBOARD
from lutetia.web.views import patient_rows

router = APIRouter()


@router.get("/dashboard")
def dashboard(request: Request, user: User = Depends(role_in(DASHBOARD))) -> Response:
    rows = patient_rows(state(request).store, user)
    enrolled = [r for r in rows if r.protocol]
    by = Counter((r.protocol, r.site or "(no site)", r.arm or "(no arm)") for r in enrolled)
    protocols = sorted({r.protocol for r in enrolled})
    table = [{"protocol": p, "site": s, "arm": a, "n": n} for (p, s, a), n in sorted(by.items())]
    status = Counter(r.status for r in rows)
    return render(request, "dashboard.html", {"table": table, "protocols": protocols, "status": status,
                                              "total": len(rows)})


@router.get("/dashboard/km/{protocol_id}.svg")
def km_svg(request: Request, protocol_id: str, user: User = Depends(role_in(DASHBOARD))) -> Response:
    from lutetia.analysis.trial import analyse_trial
    from lutetia.protocols import load_protocol, protocol_ids
    from lutetia.report.figures import km_figure

    if protocol_id not in protocol_ids():
        raise HTTPException(404, f"no protocol {protocol_id!r}")
    st = state(request)
    ids = [r.patient_id for r in patient_rows(st.store, user) if r.protocol == protocol_id]
    if not ids:
        raise HTTPException(404, f"no patient of your sites is enrolled in {protocol_id}")
    try:
        analysis = analyse_trial(load_protocol(protocol_id), list(st.store.records(ids)))
    except LutetiaError as exc:
        raise HTTPException(422, str(exc)) from exc
    surv = next((s for s in analysis.survival if s.km_by_arm), None)
    if surv is None:
        raise HTTPException(404, f"{protocol_id}: no time-to-event endpoint to draw yet")
    curves = list(surv.km_by_arm.values())
    horizon = max((max(k.durations) for k in curves if k.durations), default=1.0)
    step = 3.0 if horizon <= 24 else 6.0
    fig = km_figure(curves, at_risk_times=[step * i for i in range(int(horizon // step) + 1)],
                    title=surv.endpoint.label, xlabel="Months since first administration")
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return Response(buf.getvalue(), media_type="image/svg+xml")
