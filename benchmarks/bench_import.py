"""Import benchmark: 10,000 patients with 1,000,000 lab rows.

Times ``lutetia import`` (validate every row, cross-record checks, one transaction into
SQLite with the audit entry) against a bare ``sqlite3`` ``executemany`` insert of the same
rows into a table of the same columns, measured in the same run.  Goal: ≤ 3× the bare insert.

Run: ``.venv/bin/python benchmarks/bench_import.py [--patients N] [--labs-per-patient M]``
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from lutetia.records import KINDS
from lutetia.store.interchange import columns, read_source
from lutetia.store.repository import Store

ANALYTES = [("haemoglobin", "g/dL", 13.5, 17.5), ("platelets", "10^9/L", 150, 400),
            ("neutrophils", "10^9/L", 1.8, 7.5), ("creatinine", "umol/L", 62, 106), ("psa", "ng/mL", None, 4.0)]


def make_folder(folder: Path, n_patients: int, labs_per_patient: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "patients.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns(KINDS["patients"]))
        for i in range(n_patients):
            w.writerow([f"B-{i:06d}", "male", "", 1940 + i % 30, 80, "kg", 175, "cm", "", "", "", "false", "", ""])
    cols = columns(KINDS["labs"])
    n = 0
    with (folder / "labs.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        values = rng.uniform(0.6, 1.1, size=n_patients * labs_per_patient)
        for i in range(n_patients):
            for j in range(labs_per_patient):
                analyte, unit, lln, uln = ANALYTES[j % len(ANALYTES)]
                day = date(2024, 1, 1) + timedelta(days=j // len(ANALYTES) * 7)
                w.writerow([f"B-{i:06d}", analyte, day.isoformat(), "", f"{values[n] * (uln or 10):.3f}", unit,
                            "" if lln is None else lln, uln, ""])
                n += 1
    return n


def bare_insert(folder: Path, db: Path) -> float:
    with (folder / "labs.csv").open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE labs ({', '.join(h + ' TEXT' for h in header)})")
    t0 = time.perf_counter()
    with con:
        con.executemany(f"INSERT INTO labs VALUES ({', '.join('?' * len(header))})", rows)
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def lutetia_import(folder: Path, db: Path) -> tuple[float, float]:
    store = Store.open(f"sqlite:///{db}")
    t0 = time.perf_counter()
    parsed = read_source(folder)
    assert not parsed.problems, parsed.problems[:5]
    t1 = time.perf_counter()
    store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="bench", source=str(folder))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--labs-per-patient", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        n = make_folder(folder, args.patients, args.labs_per_patient)
        bare = bare_insert(folder, Path(tmp) / "bare.db")
        parse_s, write_s = lutetia_import(folder, Path(tmp) / "lutetia.db")
    total = parse_s + write_s
    print(f"rows: {n:,} labs for {args.patients:,} patients")
    print(f"bare sqlite3 executemany (rows already in memory): {bare:.2f} s  ({n / bare:,.0f} rows/s)")
    print(f"lutetia import: {total:.2f} s  ({n / total:,.0f} rows/s) = read+validate {parse_s:.2f} s "
          f"+ checks+write {write_s:.2f} s")
    print(f"ratio lutetia / bare: {total / bare:.2f}x  (goal ≤ 3x)")


if __name__ == "__main__":
    main()
