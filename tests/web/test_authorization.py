"""Authorization matrix: every route × every role × own site / other site (SQLite).

Expected answers are written out from the role table of issue 14 (docs/web.md), not read from
:mod:`lutetia.web.permissions`: read routes are open to every role on its own sites; writes
only to the roles named; a patient of another site is 404 like a missing one.  POSTs send an
empty form with a valid CSRF token: an allowed role gets past authorization and is refused
by validation (422), a forbidden role gets 403, and nothing is written.
"""

from __future__ import annotations

import pytest
from web_helpers import ACCOUNTS, Web, csrf

EVERYONE = set(ACCOUNTS)
# (method, path, usernames allowed; None = every account)
ROUTES: list[tuple[str, str, set[str]]] = [
    ("GET", "/patients", EVERYONE),
    ("GET", "/patients/{pid}", EVERYONE),
    ("GET", "/patients/{pid}/decision?on=2025-08-04", EVERYONE),
    ("GET", "/patients/{pid}/screening?protocol=prodigy-2&on=2025-01-10", EVERYONE),
    ("GET", "/patients/{pid}/dosimetry", EVERYONE),
    ("GET", "/patients/{pid}/audit", {"monitor", "dm.a", "stat", "admin"}),
    ("GET", "/dashboard", {"stat", "monitor", "dm.a", "admin", "dr.a"}),
    ("POST", "/patients/{pid}/labs", {"coord.a", "coord.b", "dm.a", "dr.a"}),
    ("POST", "/patients/{pid}/ecog", {"coord.a", "coord.b", "dm.a", "dr.a"}),
    ("POST", "/patients/{pid}/adverse-events", {"coord.a", "coord.b", "dm.a", "dr.a"}),
    ("POST", "/patients/{pid}/administrations", {"coord.a", "coord.b", "dm.a", "dr.a"}),
    ("POST", "/patients/{pid}/enrol", {"coord.a", "coord.b", "dr.a"}),
    ("POST", "/patients/{pid}/decision/sign", {"dr.a"}),
    ("POST", "/patients/{pid}/dosimetry/review", {"phys.a"}),
]
SITE_OF = {"SYN-002": "A", "SYN-004": "B"}


def _sees(username: str, site: str) -> bool:
    sites = ACCOUNTS[username][1]
    return "*" in sites or site in sites


def expected(method: str, path: str, allowed: set[str], username: str, pid: str) -> int:
    if username not in allowed:
        return 403
    if "{pid}" in path and method == "GET" and not _sees(username, SITE_OF[pid]):
        return 404
    return 200 if method == "GET" else 422


@pytest.fixture(scope="module")
def clients(web_sqlite: Web) -> dict[str, object]:
    return {name: web_sqlite.client(name) for name in ACCOUNTS}


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_every_route_answers_as_the_role_table_says(web_sqlite: Web, clients: dict, username: str) -> None:
    c = clients[username]
    token = csrf(c, "/login")
    before = len(web_sqlite.store.audit())
    wrong = []
    for method, template, allowed in ROUTES:
        for pid in ("SYN-002", "SYN-004"):
            if "{pid}" not in template and pid == "SYN-004":
                continue
            path = template.format(pid=pid)
            r = c.get(path) if method == "GET" else c.post(path, data={"csrf_token": token})
            want = expected(method, template, allowed, username, pid)
            if r.status_code != want:
                wrong.append(f"{method} {path} as {username}: {r.status_code}, expected {want}")
    assert wrong == []
    assert len(web_sqlite.store.audit()) == before  # nothing written


def test_a_write_to_another_sites_patient_is_404_even_for_an_allowed_role(web_sqlite: Web) -> None:
    c = web_sqlite.client("coord.b")
    r = c.post("/patients/SYN-002/ecog", data={"assessed_on": "2025-08-01", "ecog": "1",
                                               "csrf_token": csrf(c, "/login")})
    assert r.status_code == 404


def test_dashboard_kaplan_meier_figure_is_an_svg(web_sqlite: Web) -> None:
    c = web_sqlite.client("stat")
    r = c.get("/dashboard/km/prodigy-2.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert c.get("/dashboard/km/no-such.svg").status_code == 404
    assert web_sqlite.client("coord.a").get("/dashboard/km/prodigy-2.svg").status_code == 403
