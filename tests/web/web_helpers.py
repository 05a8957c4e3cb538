"""Web test helpers: the bundled sample split over two sites (A: SYN-001..003, B: SYN-004..006) and
one account per role, on SQLite and PostgreSQL (the store tests' throwaway server)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi.testclient import TestClient

from lutetia.records import Patient
from lutetia.store.interchange import read_source
from lutetia.store.repository import Store
from lutetia.store.users import add_user
from lutetia.web import WebConfig, create_app
from lutetia.web.deps import randomised_protocol

SAMPLE = Path(str(resources.files("lutetia") / "data" / "sample"))
PASSWORD = "correct horse battery"
SITE_A = ("SYN-001", "SYN-002", "SYN-003")
#: username → (role, sites)
ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "coord.a": ("coordinator", ("A",)),
    "coord.b": ("coordinator", ("B",)),
    "dr.a": ("physician", ("A",)),
    "phys.a": ("physicist", ("A",)),
    "dm.a": ("data_manager", ("A",)),
    "monitor": ("monitor", ("*",)),
    "stat": ("statistician", ("*",)),
    "admin": ("admin", ("*",)),
}


def _site(rec: object) -> object:
    if isinstance(rec, Patient):
        return rec.model_copy(update={"site": "A" if rec.patient_id in SITE_A else "B"})
    return rec


def build_store(url: str, sample: object) -> Store:
    store = Store.open(url, randomised=randomised_protocol)
    store.add([_site(r) for r in read_source(sample).all_records()], user="test")  # type: ignore[arg-type]
    for name, (role, sites) in ACCOUNTS.items():
        add_user(store.engine, username=name, display_name=f"Test {name}", role=role, sites=sites,
                 password=PASSWORD, actor="test")
    return store


@dataclass
class Web:
    store: Store
    config: WebConfig

    def client(self, username: str | None = None) -> TestClient:
        c = TestClient(create_app(self.config, store=self.store), follow_redirects=False)
        if username is not None:
            login(c, username)
        return c


def csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client),
                                    "next": "/patients"})
    assert r.status_code == 303, r.text[:500]


