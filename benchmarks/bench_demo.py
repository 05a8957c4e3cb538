"""Benchmark: wall time of ``lutetia demo`` (simulate, store, analyse, report) against the same
command at the baseline revision (before issue 16), each a fresh process on a fresh database,
interleaved, median of ``runs``.  Issue 16 goal: the full demo (scale 1) ≤ 40 s on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_demo.py [runs] [scale] [baseline-rev]``
(default 3 runs at scale 1.0; a quick look: ``1 0.25``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baseline import DEFAULT_BASELINE, env_for, extract, run_timed

CLI = "import sys; from lutetia.cli.main import run; sys.argv[0] = 'lutetia'; run()"


def timed(folder: Path, scale: float, src: Path | None) -> tuple[float, float]:
    return run_timed([sys.executable, "-c", CLI, "--db", str(folder / "demo.db"), "demo", "--out", str(folder),
                      "--scale", str(scale)], env_for(src))


def main(runs: int = 3, scale: float = 1.0, rev: str = DEFAULT_BASELINE) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base_src = extract(rev, tmp / "baseline")
        now, before = [], []
        for k in range(runs):  # interleaved
            before.append(timed(tmp / f"before-{k}", scale, base_src))
            now.append(timed(tmp / f"now-{k}", scale, None))
    for k, what in ((0, "wall"), (1, "CPU")):
        m_now, m_before = statistics.median(x[k] for x in now), statistics.median(x[k] for x in before)
        print(f"{what}: lutetia demo --scale {scale}: now median {m_now:.1f} s of {[round(x[k], 1) for x in now]}; "
              f"baseline {rev} median {m_before:.1f} s of {[round(x[k], 1) for x in before]}; "
              f"ratio {m_now / m_before:.2f}x (goal at scale 1: <= 40 s wall on 2 cores)")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 3, float(args[1]) if len(args) > 1 else 1.0,
         args[2] if len(args) > 2 else DEFAULT_BASELINE)
