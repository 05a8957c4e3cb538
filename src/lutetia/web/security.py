"""Sessions (signed cookies), CSRF tokens, login throttling and the request-size limit.

* The session cookie holds the username and the CSRF token, signed and time-stamped with
  itsdangerous; HttpOnly, SameSite=Strict, Secure when configured.  The user is re-read from
  the database on every request: a deactivated user is out at once.
* CSRF: a random token in a signed, HttpOnly cookie; every form repeats it in a hidden field
  and every POST compares both (double submit, reference 1), before any other work.
* Login throttling: failures per (username, client address) within a window; at the
  threshold that pair is refused for the lockout time, even with the right password.

References
----------
1. OWASP Cross-Site Request Forgery Prevention Cheat Sheet, "Signed double-submit cookie".
   https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "lutetia_session"
CSRF_COOKIE = "lutetia_csrf"
CSRF_FIELD = "csrf_token"


class Signer:
    def __init__(self, secret: str, max_age_s: float) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="lutetia-session")
        self._csrf = URLSafeTimedSerializer(secret, salt="lutetia-csrf")
        self.max_age_s = int(max_age_s)

    def session(self, username: str) -> str:
        return self._session.dumps({"u": username, "n": secrets.token_urlsafe(8)})

    def session_user(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=self.max_age_s)
        except BadSignature:
            return None
        user = data.get("u") if isinstance(data, dict) else None
        return user if isinstance(user, str) else None

    def new_csrf(self) -> tuple[str, str]:
        """(token for the forms, signed cookie value)."""
        token = secrets.token_urlsafe(24)
        return token, self._csrf.dumps(token)

    def csrf_token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._csrf.loads(cookie, max_age=self.max_age_s)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def same_token(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


class LoginThrottle:
    """Failed logins per (username, address); thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, max_failures: int, window_s: float, lockout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window_s, self.lockout_s, self.clock = max_failures, window_s, lockout_s, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._locked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def locked_for(self, username: str, address: str) -> float:
        """Seconds the pair stays locked (0 when not locked)."""
        with self._lock:
            until = self._locked.get((username, address))
            left = (until - self.clock()) if until is not None else 0.0
            if until is not None and left <= 0:
                del self._locked[(username, address)]
            return max(left, 0.0)

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            q = self._failures.setdefault((username, address), deque())
            q.append(now)
            while q and q[0] < now - self.window_s:
                q.popleft()
            if len(q) >= self.max_failures:
                self._locked[(username, address)] = now + self.lockout_s
                q.clear()

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username, address), None)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'"),
]


class LimitsAndHeaders:
    """ASGI middleware: refuses bodies above ``max_body`` bytes with 413 (by Content-Length, or
    while streaming when none is given) and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send, self.max_body)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except _TooLarge:
            if not started:
                await _too_large(send, self.max_body)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (f"413 Request body too large: the limit is {limit} bytes (lutetia serve, project default; "
            "see docs/web.md)").encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *_HEADERS]})
    await send({"type": "http.response.body", "body": body})
