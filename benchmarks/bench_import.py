"""Import benchmark: 1,000,000 lab rows of 10,000 patients, against plain loads of the same rows.

Both sides start from a copy of the same database (schema migrated, the patients already
imported) and load the same ``labs.csv`` into the same table, with its indexes (the unique
key and the patient index) and its foreign key:

- SQLite — Lutetia's import (read, validate every row, cross-record checks, one audited
  transaction) against a plain load: ``pandas.read_csv(engine="pyarrow")``, the key column
  built with vectorised string operations, and ``sqlite3`` ``executemany`` in one transaction;
- PostgreSQL (when ``initdb``/``pg_ctl`` are installed) — Lutetia's import against a plain
  ``COPY``: Arrow parse, key column, Arrow CSV writer, psycopg ``cursor.copy``.

The two are interleaved (baseline, Lutetia, baseline, …) and each ratio is the median over
``--repeats`` (≥ 3) runs.  Goal (issue 16): ≤ 1.5× on both engines.  ``--rss`` also runs one
Lutetia import in a fresh process and reports its peak memory beyond the input file, in bytes
per row (goal < 300); ``--only-rss`` runs just that (the ten-million-row run).

Run: ``.venv/bin/python benchmarks/bench_import.py [--patients N] [--labs-per-patient M]
[--repeats R] [--engines sqlite,postgresql] [--rss] [--only-rss]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from itertools import repeat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from lutetia.records import KINDS
from lutetia.store.interchange import columns, read_source
from lutetia.store.repository import Store

ANALYTES = [("haemoglobin", "g/dL", 13.5, 17.5), ("platelets", "10^9/L", 150, 400),
            ("neutrophils", "10^9/L", 1.8, 7.5), ("creatinine", "umol/L", 62, 106), ("psa", "ng/mL", None, 4.0)]
LAB_COLUMNS = ["natural_key", "version", "audit_id", "patient_id", "analyte", "sampled_on", "value", "unit", "lln",
               "uln", "lab"]


def make_folders(root: Path, n_patients: int, labs_per_patient: int, seed: int = 1) -> int:
    """``root/patients/patients.csv`` and ``root/labs/labs.csv`` (plain CSV, no quotes)."""
    rng = np.random.default_rng(seed)
    (root / "patients").mkdir(parents=True, exist_ok=True)
    (root / "labs").mkdir(parents=True, exist_ok=True)
    with (root / "patients" / "patients.csv").open("w", newline="") as fh:
        fh.write(",".join(columns(KINDS["patients"])) + "\n")
        for i in range(n_patients):
            fh.write(f"B-{i:07d},male,,{1940 + i % 30},80,kg,175,cm,,,,false,,\n")
    assert columns(KINDS["labs"]) == ["patient_id", "analyte", "sampled_on", "sampled_at", "value", "unit", "lln",
                                      "uln", "lab"]
    per = labs_per_patient
    j = np.arange(per)
    kinds = j % len(ANALYTES)
    days = (np.datetime64("2024-01-01") + (j // len(ANALYTES)) * 7).astype("datetime64[D]")
    uln = np.array([a[3] or 10.0 for a in ANALYTES])[kinds]
    lln = pa.array([ANALYTES[k][2] for k in kinds], pa.float64())
    uln_cells = pa.array([ANALYTES[k][3] for k in kinds], pa.float64())
    patients_per_block = max(1, 200_000 // per)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with (root / "labs" / "labs.csv").open("wb") as fh:
        fh.write((",".join(columns(KINDS["labs"])) + "\n").encode())
        for start in range(0, n_patients, patients_per_block):
            stop = min(n_patients, start + patients_per_block)
            m = stop - start
            pid = pa.array(np.repeat([f"B-{i:07d}" for i in range(start, stop)], per))
            block = pa.table({
                "patient_id": pid,
                "analyte": pa.array(np.tile([ANALYTES[k][0] for k in kinds], m)),
                "sampled_on": pa.array(np.tile(days, m)).cast(pa.date32()),
                "sampled_at": pa.nulls(m * per, pa.string()),
                "value": pa.array(np.round(rng.uniform(0.6, 1.1, m * per) * np.tile(uln, m), 3)),
                "unit": pa.array(np.tile([ANALYTES[k][1] for k in kinds], m)),
                "lln": pa.concat_arrays([lln] * m),
                "uln": pa.concat_arrays([uln_cells] * m),
                "lab": pa.nulls(m * per, pa.string()),
            })
            pacsv.write_csv(block, fh, options)
    return n_patients * per


def _audit_entry(url: str) -> int:
    """An audit entry for the plain loads' rows to point at (the table's foreign key)."""
    from lutetia.store import chain
    from lutetia.store.database import write

    store = Store.open(url)
    audit_id = write(store.engine, lambda conn: chain.append(conn, "audit_log", {
        "user_name": "bench", "action": "import", "kind": "batch", "reason": "baseline", "row_count": 0})[0])
    store.engine.dispose()
    return audit_id


def baseline_sqlite(labs: Path, db: Path) -> float:
    import pandas as pd

    audit_id = _audit_entry(f"sqlite:///{db}")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    t0 = time.perf_counter()
    df = pd.read_csv(labs, engine="pyarrow", dtype={"patient_id": str, "analyte": str, "sampled_on": str,
                                                     "unit": str, "lab": str})
    key = '["' + df.patient_id + '","' + df.analyte + '","' + df.sampled_on + '",null]'
    none = {"lln": df.lln.astype(object).where(df.lln.notna(), None),
            "uln": df.uln.astype(object).where(df.uln.notna(), None),
            "lab": df.lab.astype(object).where(df.lab.notna(), None)}
    rows = zip(key, repeat(1), repeat(audit_id), df.patient_id, df.analyte, df.sampled_on, df.value.tolist(), df.unit,
               none["lln"], none["uln"], none["lab"])
    con.execute("BEGIN IMMEDIATE")
    con.executemany(f"INSERT INTO labs ({', '.join(LAB_COLUMNS)}) VALUES ({', '.join('?' * len(LAB_COLUMNS))})",
                    rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def baseline_copy(labs: Path, url: str) -> float:
    import psycopg

    audit_id = _audit_entry(url)
    t0 = time.perf_counter()
    t = pacsv.read_csv(labs, convert_options=pacsv.ConvertOptions(column_types={"sampled_on": pa.string()}))
    key = pc.binary_join_element_wise('["', t["patient_id"], '","', t["analyte"], '","', t["sampled_on"], '",null]',
                                      "")
    n = t.num_rows
    out = pa.table({"natural_key": key, "version": pa.array(np.ones(n, np.int32)),
                    "audit_id": pa.array(np.full(n, audit_id)), **{c: t[c] for c in LAB_COLUMNS[3:]}})
    sink = pa.BufferOutputStream()
    pacsv.write_csv(out, sink, pacsv.WriteOptions(include_header=False))
    sql = f"COPY labs ({', '.join(LAB_COLUMNS)}) FROM STDIN (FORMAT csv)"
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con, con.cursor() as cur, \
            cur.copy(sql) as copy:
        copy.write(memoryview(sink.getvalue()))
    return time.perf_counter() - t0


def lutetia_import(labs_folder: Path, url: str) -> float:
    store = Store.open(url)
    t0 = time.perf_counter()
    parsed = read_source(labs_folder)
    assert not parsed.problems, parsed.problems[:5]
    store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="bench", source=str(labs_folder))
    elapsed = time.perf_counter() - t0
    store.engine.dispose()
    return elapsed


def _interleave(runs: int, baseline: Callable[[int], float], lutetia: Callable[[int], float]) -> tuple[float, float]:
    base, lut = [], []
    for i in range(runs):
        base.append(baseline(i))
        lut.append(lutetia(i))
        print(f"  run {i + 1}: baseline {base[-1]:.2f} s, lutetia {lut[-1]:.2f} s, ratio {lut[-1] / base[-1]:.2f}x",
              flush=True)
    return statistics.median(base), statistics.median(lut)


def _report(engine: str, what: str, n: int, base: float, lut: float) -> None:
    print(f"{engine}: {what} {base:.2f} s ({n / base:,.0f} rows/s); lutetia import {lut:.2f} s "
          f"({n / lut:,.0f} rows/s); median ratio lutetia / baseline: {lut / base:.2f}x  (goal <= 1.5x)", flush=True)


def bench_sqlite(tmp: Path, n: int, repeats: int) -> None:
    template = tmp / "template.db"
    store = Store.open(f"sqlite:///{template}")
    parsed = read_source(tmp / "patients")
    store.add(parsed.records, user="bench")
    store.engine.dispose()

    def fresh(name: str) -> Path:
        db = tmp / name
        for f in tmp.glob(f"{name}*"):
            f.unlink()
        shutil.copy(template, db)
        return db

    base, lut = _interleave(repeats, lambda i: baseline_sqlite(tmp / "labs" / "labs.csv", fresh("base.db")),
                            lambda i: lutetia_import(tmp / "labs", f"sqlite:///{fresh('lutetia.db')}"))
    _report("sqlite", "pandas(pyarrow) parse + executemany", n, base, lut)


def bench_postgresql(tmp: Path, n: int, repeats: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import _pg_bin, _PgServer  # the store tests' throwaway server

    bindir = _pg_bin()
    if bindir is None:
        print("postgresql: skipped (initdb/pg_ctl not installed)")
        return
    import sqlalchemy as sa

    server = _PgServer(bindir)
    server.start()
    try:
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")

        def fresh() -> str:
            name = "b_" + uuid.uuid4().hex[:10]
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
            store = Store.open(server.url(name))
            store.add(read_source(tmp / "patients").records, user="bench")
            store.engine.dispose()
            return server.url(name)

        base, lut = _interleave(repeats, lambda i: baseline_copy(tmp / "labs" / "labs.csv", fresh()),
                                lambda i: lutetia_import(tmp / "labs", fresh()))
        admin.dispose()
        _report("postgresql", "Arrow parse + COPY", n, base, lut)
    finally:
        server.stop()


_RSS_CHILD = """
import json, sys, time
from pathlib import Path
from lutetia.store.interchange import read_source
from lutetia.store.repository import Store
import pyarrow, pandas, numpy  # imported before the reference point, like the import itself would


def status(field):  # kB in /proc/self/status; VmHWM is reset by exec, unlike getrusage's ru_maxrss
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024


tmp = Path(sys.argv[1])
store = Store.open(f"sqlite:///{tmp / 'rss.db'}")
store.add(read_source(tmp / "patients").records, user="bench")
before = status("VmRSS")
t0 = time.perf_counter()
parsed = read_source(tmp / "labs")
assert not parsed.problems, parsed.problems[:5]
store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="bench")
elapsed = time.perf_counter() - t0
print(json.dumps({"before": before, "peak": status("VmHWM"), "seconds": elapsed}))
"""


def bench_rss(tmp: Path, n: int) -> None:
    for f in tmp.glob("rss.db*"):
        f.unlink()
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(tmp)], check=True, capture_output=True, text=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    size = (tmp / "labs" / "labs.csv").stat().st_size
    extra = got["peak"] - got["before"]
    print(f"memory: {n:,} rows ({size / 1e6:,.0f} MB file) imported into SQLite in {got['seconds']:.1f} s "
          f"({n / got['seconds']:,.0f} rows/s); peak RSS {got['peak'] / 1e6:,.0f} MB, "
          f"{extra / 1e6:,.0f} MB beyond the process before the import = {extra / n:.0f} bytes/row "
          "(goal < 300)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--labs-per-patient", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--rss", action="store_true", help="also measure peak memory of one import")
    ap.add_argument("--only-rss", action="store_true", help="only measure one import's time and memory")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        t0 = time.perf_counter()
        n = make_folders(tmp, args.patients, args.labs_per_patient)
        print(f"rows: {n:,} labs for {args.patients:,} patients (written in {time.perf_counter() - t0:.1f} s)",
              flush=True)
        if not args.only_rss:
            engines = args.engines.split(",")
            if "sqlite" in engines:
                bench_sqlite(tmp, n, args.repeats)
            if "postgresql" in engines:
                bench_postgresql(tmp, n, args.repeats)
        if args.rss or args.only_rss:
            bench_rss(tmp, n)


if __name__ == "__main__":
    main()
