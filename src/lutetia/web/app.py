"""The FastAPI application: state, middleware, error pages and the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from lutetia.errors import LutetiaError
from lutetia.store.repository import Store
from lutetia.units import display_unit
from lutetia.web.config import WebConfig
from lutetia.web.deps import TEMPLATES, NotLoggedIn, WebState, randomised_protocol, render
from lutetia.web.security import LimitsAndHeaders, LoginThrottle, Signer

STATIC = Path(str(resources.files("lutetia.web") / "static"))


def _when(value: object) -> str:
    """A stored server timestamp as people read it: ``2026-12-02 10:59:50 UTC``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def create_app(config: WebConfig, *, store: Store | None = None) -> FastAPI:
    """The application over ``config.db_url`` (migrated to the newest schema on start)."""
    from lutetia.web import (
        routes_auth,
        routes_dashboard,
        routes_decision,
        routes_dosimetry,
        routes_entry,
        routes_patients,
    )

    app = FastAPI(title="Lutetia", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    templates.env.filters["when"] = _when
    templates.env.filters["unit"] = display_unit  # giga_per_L -> 10⁹/L, as the CLI prints units
    app.state.lutetia = WebState(
        config=config,
        store=store or Store.open(config.db_url, randomised=randomised_protocol),
        signer=Signer(config.secret_key, config.session_hours * 3600),
        throttle=LoginThrottle(config.login_max_failures, config.login_window_s, config.login_lockout_s),
        templates=templates,
    )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (routes_auth, routes_patients, routes_entry, routes_decision, routes_dosimetry, routes_dashboard):
        app.include_router(module.router)

    @app.exception_handler(NotLoggedIn)
    async def _login(request: Request, exc: NotLoggedIn) -> Response:
        if request.method == "GET":
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return HTMLResponse("401 Not logged in", status_code=401)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        return render(request, "error.html", {"status": 422, "detail": "; ".join(problems)}, status_code=422)

    @app.exception_handler(LutetiaError)
    async def _refused(request: Request, exc: LutetiaError) -> Response:
        return render(request, "error.html", {"status": 422, "detail": str(exc)}, status_code=422)

    return LimitsAndHeaders(app, config.max_body_bytes)  # type: ignore[return-value]
