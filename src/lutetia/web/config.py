"""Settings of the web application; every number here is a project default, documented in docs/web.md."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

#: Session lifetime (hours): project default, one clinical working day.
SESSION_HOURS = 10.0
#: Largest request body accepted (bytes): project default; larger requests get 413.
MAX_BODY_BYTES = 1_000_000
#: Failed logins per (username, client address) within the window that lock that pair: project default
#: (OWASP Authentication Cheat Sheet, "Account lockout": a threshold and an observation window).
LOGIN_MAX_FAILURES = 5
#: Observation window and lockout duration (seconds): project defaults.
LOGIN_WINDOW_S = 900.0
LOGIN_LOCKOUT_S = 900.0


@dataclass(frozen=True)
class WebConfig:
    """What ``lutetia serve`` runs with."""

    db_url: str
    secret_key: str
    secure_cookies: bool = False
    session_hours: float = SESSION_HOURS
    max_body_bytes: int = MAX_BODY_BYTES
    login_max_failures: int = LOGIN_MAX_FAILURES
    login_window_s: float = LOGIN_WINDOW_S
    login_lockout_s: float = LOGIN_LOCKOUT_S

    @classmethod
    def from_environ(cls, db_url: str, *, secure_cookies: bool | None = None) -> WebConfig:
        """``LUTETIA_SECRET_KEY`` signs the cookies (every worker behind one proxy needs the same);
        without it a random key is made, and sessions end when the server stops.
        ``LUTETIA_SECURE_COOKIES=1`` marks cookies Secure (HTTPS behind the reverse proxy)."""
        key = os.environ.get("LUTETIA_SECRET_KEY") or secrets.token_urlsafe(32)
        if secure_cookies is None:
            secure_cookies = os.environ.get("LUTETIA_SECURE_COOKIES", "") in ("1", "true", "yes")
        return cls(db_url=db_url, secret_key=key, secure_cookies=secure_cookies)
