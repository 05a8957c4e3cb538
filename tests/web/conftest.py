"""Web fixtures (see web_helpers): one database per module and engine, and cheap argon2 for tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import SAMPLE, Web, build_store

from lutetia.web import WebConfig


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
