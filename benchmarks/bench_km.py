"""Benchmark: ``lutetia km`` on a CSV of N subjects in two groups against lifelines used directly
on the same file (pandas ``read_csv``, ``KaplanMeierFitter`` per group with the median and its
confidence interval, ``logrank_test``), each as a fresh process, interleaved, median of ``runs``
(issue 16 goal: ``lutetia km`` ≤ 1.3× lifelines at 1M subjects).

Run: ``.venv/bin/python benchmarks/bench_km.py [n] [runs]`` (default 1,000,000 subjects, 3 runs).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baseline import run_timed

LIFELINES = """
import sys
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
df = pd.read_csv(sys.argv[1])
out = []
for g, part in df.groupby("arm"):
    kmf = KaplanMeierFitter().fit(part["months"], part["death"], label=str(g))
    ci = median_survival_times(kmf.confidence_interval_)
    out.append((g, len(part), int(part["death"].sum()), kmf.median_survival_time_, ci.values.tolist()))
a, b = (df[df["arm"] == g] for g in sorted(df["arm"].unique()))
test = logrank_test(a["months"], b["months"], a["death"], b["death"])
print(out, test.test_statistic, test.p_value)
"""


def write_csv(path: Path, n: int, seed: int = 16) -> None:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    months = np.round(rng.exponential(np.where(arm == 1, 14.0, 11.0)), 2)
    death = (rng.uniform(size=n) < 0.7).astype(int)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("subject,arm,months,death\n")
        fh.writelines(f"S{i},{'AB'[a]},{m},{d}\n" for i, (a, m, d) in enumerate(zip(arm, months, death, strict=True)))


def main(n: int = 1_000_000, runs: int = 3) -> None:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "km.csv"
        write_csv(csv, n)
        lutetia = [str(bin_dir / "lutetia"), "km", str(csv), "--time", "months", "--event", "death",
                   "--group", "arm", "--json"]
        lifelines = [sys.executable, "-c", LIFELINES, str(csv)]
        ours, theirs = [], []
        for _ in range(runs):  # interleaved: both see the same machine load
            theirs.append(run_timed(lifelines))
            ours.append(run_timed(lutetia))
    for k, what in ((0, "wall"), (1, "CPU")):
        m_ours, m_theirs = statistics.median(x[k] for x in ours), statistics.median(x[k] for x in theirs)
        print(f"{what}: lutetia km, {n:,} subjects: median {m_ours:.2f} s of {[round(x[k], 2) for x in ours]}; "
              f"lifelines directly: median {m_theirs:.2f} s of {[round(x[k], 2) for x in theirs]}; "
              f"ratio {m_ours / m_theirs:.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
