"""Web benchmark: p50/p95 latency of the patient page and the decision page with 20 concurrent
users on loopback against PostgreSQL (a throwaway server from the Debian binaries, like the
store tests; or ``--db URL``).

Baseline measured in the same run, interleaved: the login page (template rendering and the
middleware, no database work) under the same concurrency; the report gives each page's
p50/p95 and its ratio to the baseline's.  Bounded: ``--requests`` per client and page
(default 10), and a wall-clock cap (``--max-seconds``, default 300) after which clients stop.

Run: ``.venv/bin/python benchmarks/bench_web.py [--clients 20] [--requests 10] [--db URL]``
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path

import httpx

PASSWORD = "benchmark password"
PAGES = {"baseline (login page)": "/login", "patient page": "/patients/SYN-002",
         "decision page": "/patients/SYN-002/decision?on=2025-08-04"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """initdb + pg_ctl on a temporary folder, loopback only (as tests/conftest.py does)."""

    def __init__(self) -> None:
        found = shutil.which("initdb") or (sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [None])[-1]
        if found is None:
            raise SystemExit("no PostgreSQL binaries (initdb): install the Debian package 'postgresql' or pass --db")
        self.bindir = Path(found).resolve().parent
        self.dir = Path(tempfile.mkdtemp(prefix="lutetia-bench-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def __enter__(self) -> str:
        data = self.dir / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "-E", "UTF8", "--locale=C")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=100",
                  "-w", "-t", "60", "-l", str(self.dir / "log"), "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def load(url: str) -> None:
    from lutetia.store.interchange import read_source
    from lutetia.store.repository import Store
    from lutetia.store.users import add_user, get_user

    store = Store.open(url)
    if not store.patient_ids():
        store.add(read_source(Path(str(resources.files("lutetia") / "data" / "sample"))).all_records(), user="bench")
    if get_user(store.engine, "bench.dr") is None:
        add_user(store.engine, username="bench.dr", display_name="Bench physician", role="physician", sites=["*"],
                 password=PASSWORD, actor="bench")
    store.engine.dispose()


def login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    r = client.post("/login", data={"username": "bench.dr", "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text[:300]
    return client


def run(base: str, clients: int, requests: int, max_seconds: float) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in PAGES}
    lock = threading.Lock()
    sessions = [login(base) for _ in range(clients)]
    stop_at = time.monotonic() + max_seconds

    def worker(client: httpx.Client) -> None:
        for _ in range(requests):  # interleaved: baseline, patient, decision, in turn
            for name, path in PAGES.items():
                if time.monotonic() > stop_at:
                    return
                t0 = time.perf_counter()
                r = client.get(path)
                dt = time.perf_counter() - t0
                assert r.status_code == 200, (path, r.status_code)
                with lock:
                    times[name].append(dt)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in sessions:
        s.close()
    return times


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10, help="requests per client and page")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--db", help="database URL (default: a throwaway PostgreSQL server)")
    args = ap.parse_args()
    pg = None if args.db else ThrowawayPostgres()
    url = args.db or pg.__enter__()  # type: ignore[union-attr]
    try:
        load(url)
        port = _free_port()
        env = {**os.environ, "LUTETIA_DB": url, "LUTETIA_SECRET_KEY": "bench"}
        lutetia = Path(sys.executable).parent / "lutetia"
        server = subprocess.Popen([str(lutetia), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/login", timeout=2)
                    break
                except httpx.TransportError as exc:
                    if server.poll() is not None or time.monotonic() > deadline:
                        detail = server.stderr.read() if server.stderr else ""
                        raise SystemExit(f"lutetia serve did not start: {detail!r}") from exc
                    time.sleep(0.2)
            times = run(base, args.clients, args.requests, args.max_seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if pg is not None:
            pg.__exit__(None, None, None)
    base_p50 = _pct(times["baseline (login page)"], 50)
    base_p95 = _pct(times["baseline (login page)"], 95)
    print(f"{args.clients} concurrent clients, {args.requests} requests each per page, PostgreSQL on loopback")
    print(f"{'page':24} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'p50/baseline':>13} {'p95/baseline':>13}")
    for name, values in times.items():
        p50, p95 = _pct(values, 50), _pct(values, 95)
        print(f"{name:24} {len(values):5d} {p50 * 1000:9.1f} {p95 * 1000:9.1f} {p50 / base_p50:13.1f} "
              f"{p95 / base_p95:13.1f}")


if __name__ == "__main__":
    main()
