"""Login and logout."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from lutetia.store.users import authenticate
from lutetia.web.deps import check_csrf, render, state
from lutetia.web.security import SESSION_COOKIE

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a local path (no scheme, no host): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/patients"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "problem": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, username: str = Form(..., max_length=64), password: str = Form(..., max_length=1024),
          next: str | None = Form(None)) -> Response:
    st = state(request)
    address = request.client.host if request.client else "unknown"
    wait = st.throttle.locked_for(username, address)
    if wait > 0:
        return render(request, "login.html", {"next": _safe_next(next), "problem":
                      f"Too many failed logins for {username} from this address: try again in {int(wait // 60) + 1} "
                      "minute(s)."}, status_code=429)
    user = authenticate(st.store.engine, username, password)
    if user is None:
        st.throttle.failed(username, address)
        return render(request, "login.html", {"next": _safe_next(next),
                                              "problem": "Unknown user, wrong password or inactive account."},
                      status_code=401)
    st.throttle.succeeded(username, address)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, st.signer.session(user.username), httponly=True, samesite="strict",
                        secure=st.config.secure_cookies, max_age=int(st.config.session_hours * 3600), path="/")
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
