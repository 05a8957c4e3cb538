"""Web fixtures: the bundled sample split over two sites (A: SYN-001..003, B: SYN-004..006) and
one account per role, on SQLite and PostgreSQL (the store tests' throwaway server)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
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


def _url(kind: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'web.db'}"
    server = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are absent: PostgreSQL web tests skipped "
                    "(.ci/run installs the Debian package 'postgresql')")
    import sqlalchemy as sa

    name = "w_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return str(server.url(name))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The sample on two sites with one account per role, on each engine (one database per module)."""
    url = _url(request.param, request, tmp_path_factory.mktemp("web"))
    store = build_store(url, SAMPLE)
    yield Web(store, WebConfig(db_url=url, secret_key="test-secret"))
    store.engine.dispose()


@pytest.fixture(scope="module")
def web_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The same on SQLite only (tests that need no second engine)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    store = build_store(url, SAMPLE)
    yield Web(store, WebConfig(db_url=url, secret_key="test-secret"))
    store.engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> Iterator[None]:
    """Tests hash with argon2-cffi's CHEAPEST profile (the hash format and code path are the
    same; production keeps the RFC 9106 defaults)."""
    from argon2 import PasswordHasher, profiles

    from lutetia.store import users

    saved = users._hasher
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    users._hasher = lambda: cheap  # type: ignore[assignment]
    users._dummy_hash.cache_clear()
    yield
    users._hasher = saved
    users._dummy_hash.cache_clear()
