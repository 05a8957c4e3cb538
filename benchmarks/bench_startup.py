"""Benchmark: wall time of one-off commands, each a fresh process, against the same commands of
the baseline revision (before issue 16) and a bare interpreter, interleaved, median of ``runs``.

Commands: ``lutetia --help``, ``protocols list``, ``patient list`` on an empty database and a
``next-cycle`` on the sample data.  Issue 16 goals: every command's start-up < 0.6 s and a
one-off ``next-cycle`` < 1.5 s wall.  On a shared machine the absolute figures swing; the
ratios to the baseline and to the bare interpreter (same run) are the figures to compare.

Run: ``.venv/bin/python benchmarks/bench_startup.py [runs] [baseline-rev]``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baseline import DEFAULT_BASELINE, ROOT, env_for, extract, run_timed

CLI = "import sys; from lutetia.cli.main import run; sys.argv[0] = 'lutetia'; run()"


def main(runs: int = 5, rev: str = DEFAULT_BASELINE) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base_src = extract(rev, tmp / "baseline")
        sample_db, empty_db = tmp / "sample.db", tmp / "empty.db"
        subprocess.run([sys.executable, "-c", CLI, "--db", str(sample_db), "--user", "bench", "import",
                        str(ROOT / "src" / "lutetia" / "data" / "sample")], env=env_for(None), check=True,
                       stdout=subprocess.DEVNULL)
        commands = {
            "--help": ["--help"],
            "protocols list": ["protocols", "list"],
            "patient list (empty db)": ["--db", str(empty_db), "patient", "list"],
            "next-cycle": ["--db", str(sample_db), "next-cycle", "SYN-001", "--date", "2025-04-14"],
        }
        bare = [run_timed([sys.executable, "-c", "pass"], env_for(None))[0] for _ in range(runs)]
        print(f"bare interpreter: median {statistics.median(bare):.3f} s wall")
        print(f"{'command':26} {'now wall/CPU (s)':>17} {'baseline wall/CPU (s)':>22} {'now/baseline wall, CPU':>23}")
        for name, args in commands.items():
            now, before = [], []
            for _ in range(runs):  # interleaved
                before.append(run_timed([sys.executable, "-c", CLI, *args], env_for(base_src)))
                now.append(run_timed([sys.executable, "-c", CLI, *args], env_for(None)))
            n_w, n_c = (statistics.median(x[k] for x in now) for k in (0, 1))
            b_w, b_c = (statistics.median(x[k] for x in before) for k in (0, 1))
            print(f"{name:26} {n_w:8.3f} /{n_c:7.3f} {b_w:12.3f} /{b_c:7.3f} {n_w / b_w:14.2f}x, {n_c / b_c:.2f}x")


if __name__ == "__main__":
    main(*(int(a) if a.isdigit() else a for a in sys.argv[1:]))  # type: ignore[arg-type]
