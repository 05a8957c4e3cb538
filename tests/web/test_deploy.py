"""The deployment recipe of docs/web.md, run for real: a throwaway PostgreSQL server (the store
tests' fixture), ``lutetia user add`` (which creates the schema; in-process) and ``lutetia serve``
as a separate process, then a login through HTTP on loopback (what nginx forwards to)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

LUTETIA = [sys.executable, "-m", "lutetia.cli.main"] if not (Path(sys.executable).parent / "lutetia").exists() \
    else [str(Path(sys.executable).parent / "lutetia")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_postgresql_migrate_user_add_serve_and_log_in(pg_server: object) -> None:
    if pg_server is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are absent: deployment check skipped "
                    "(.ci/run installs the Debian package 'postgresql')")
    import sqlalchemy as sa

    name = "deploy_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = pg_server.url(name)  # type: ignore[attr-defined]
    env = {**os.environ, "LUTETIA_SECRET_KEY": "deploy-check-secret", "LUTETIA_DB": url}
    from typer.testing import CliRunner

    from lutetia.cli.main import app

    added = CliRunner().invoke(app, ["--db", url, "--user", "site-admin", "user", "add", "dr.house", "--role",
                                     "physician", "--site", "PAR", "--name", "Dr House", "--password-stdin"],
                               input="a long enough password\n")
    assert added.exit_code == 0, added.output
    port = _free_port()
    server = subprocess.Popen([*LUTETIA, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "lutetia serve did not answer within 60 s"
                time.sleep(0.2)
        assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY"
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        with httpx.Client(base_url=base, cookies=page.cookies) as client:
            r = client.post("/login", data={"username": "dr.house", "password": "a long enough password",
                                            "csrf_token": token.group(1), "next": "/patients"})
            assert r.status_code == 303
            listing = client.get("/patients")
            assert listing.status_code == 200 and "Dr House" in listing.text
    finally:
        server.terminate()
        server.wait(timeout=30)
