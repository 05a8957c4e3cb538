"""Typed dependencies of every route: the application state, the logged-in user, the CSRF check,
role checks and the site-scoped patient (a patient of another site is 404, like a missing one)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lutetia.errors import NotFoundError
from lutetia.records import PatientRecord
from lutetia.store.repository import Store
from lutetia.store.users import User, get_user
from lutetia.web.config import WebConfig
from lutetia.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    LoginThrottle,
    Signer,
    same_token,
)

TEMPLATES = Path(str(resources.files("lutetia.web") / "templates"))


@dataclass
class WebState:
    config: WebConfig
    store: Store
    signer: Signer
    throttle: LoginThrottle
    templates: Jinja2Templates


class NotLoggedIn(Exception):
    """Raised by :func:`current_user`; the app answers with a redirect to the login page."""


def state(request: Request) -> WebState:
    st: WebState = request.app.state.lutetia
    return st


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (a new one, set as cookie by :func:`render`, when absent)."""
    st = state(request)
    token = st.signer.csrf_token(request.cookies.get(CSRF_COOKIE))
    if token is None:
        token, cookie = st.signer.new_csrf()
        request.state.csrf_cookie = cookie
    return token


def current_user(request: Request) -> User:
    st = state(request)
    username = st.signer.session_user(request.cookies.get(SESSION_COOKIE))
    user = get_user(st.store.engine, username) if username else None
    if user is None or not user.active:
        raise NotLoggedIn
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Every POST carries the token of its CSRF cookie in the form (403 otherwise)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = state(request).signer.csrf_token(request.cookies.get(CSRF_COOKIE))
    if not same_token(sent if isinstance(sent, str) else None, cookie):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and submit again")


def role_in(roles: Iterable[str]) -> Callable[..., User]:
    allowed = frozenset(roles)

    def dependency(user: User = Depends(current_user)) -> User:
        if user.role not in allowed:
            raise HTTPException(403, f"your role ({user.role}) may not do this; allowed: {', '.join(sorted(allowed))}")
        return user

    return dependency


def visible_record(st: WebState, user: User, patient_id: str) -> PatientRecord:
    """The patient's record if the user's sites include the patient's site; 404 otherwise
    (the same answer as for a patient that does not exist: other sites' ids are not revealed)."""
    try:
        record = st.store.record(patient_id)
    except NotFoundError as exc:
        raise HTTPException(404, f"no patient {patient_id!r}") from exc
    if not user.sees_site(record.patient.site):
        raise HTTPException(404, f"no patient {patient_id!r}")
    return record


def randomised_protocol(protocol_id: str) -> bool:
    """Whether ``protocol_id`` is randomised (its data file; unknown ids are not) — the store asks."""
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        return load_protocol(protocol_id).randomisation is not None
    except ProtocolError:
        return False


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    st = state(request)
    ctx = {"request": request, "csrf_token": csrf_token(request), "user": getattr(request.state, "user", None),
           **context}
    response = st.templates.TemplateResponse(request, name, ctx, status_code=status_code)
    cookie = getattr(request.state, "csrf_cookie", None)
    if cookie is not None:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=st.config.secure_cookies,
                            path="/")
    return response
