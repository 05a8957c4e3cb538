"""Benchmark: the record-level decision engine on the demo cohorts (the five studies of
``lutetia demo``, screened, enrolled and treated cycle by cycle through ``decide.next_cycle``)
against the same code at the baseline revision (before issue 16), each in a fresh process,
interleaved, median of ``runs``.  Both print a digest of every decision: equal digests mean
identical decisions (issue 16 goal: ≥ 150 patients/s, ≥ 10× the baseline, same decisions).

Run: ``.venv/bin/python benchmarks/bench_engine.py [runs] [scale] [baseline-rev]``
(``scale``: fraction of the planned study sizes, default 0.25; the demo itself is 1.0).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baseline import DEFAULT_BASELINE, env_for, extract

WORKER = """
import hashlib, json, math, sys, time
import numpy as np
from lutetia.cli.commands.demo import STUDIES, _simulate
import lutetia.simulate.engine, lutetia.decide.next_cycle  # imports outside the timing
scale = float(sys.argv[1])
patients = decisions = 0
digest = hashlib.sha256()
t0 = time.perf_counter()
for i, study in enumerate(STUDIES):
    r = _simulate(study.protocol_id, max(2, math.ceil(study.planned * scale)), np.random.default_rng([2026, i]))
    patients += sum(1 for r_ in r.records if r_.enrolments)
    decisions += sum(len(v) for v in r.decisions.values())
    digest.update(json.dumps(r.decisions, sort_keys=True, default=str).encode())
print(json.dumps({"seconds": time.perf_counter() - t0, "patients": patients, "decisions": decisions,
                  "digest": digest.hexdigest()}))
"""


def run(scale: float, src: Path | None) -> dict[str, float | str]:
    out = subprocess.run([sys.executable, "-c", WORKER, str(scale)], env=env_for(src), check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(runs: int = 3, scale: float = 0.25, rev: str = DEFAULT_BASELINE) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base_src = extract(rev, Path(tmp))
        now, before = [], []
        for _ in range(runs):  # interleaved
            before.append(run(scale, base_src))
            now.append(run(scale, None))
    n, d = now[0]["patients"], now[0]["decisions"]
    t_now = statistics.median(float(r["seconds"]) for r in now)
    t_before = statistics.median(float(r["seconds"]) for r in before)
    same = {r["digest"] for r in now} == {r["digest"] for r in before} and len({r["digest"] for r in now}) == 1
    print(f"demo cohorts at scale {scale}: {n} patients treated, {d} decisions (screening included)")
    print(f"baseline {rev}: median {t_before:.2f} s -> {float(n) / t_before:.1f} patients/s")
    print(f"now:              median {t_now:.2f} s -> {float(n) / t_now:.1f} patients/s")
    print(f"speed-up now / baseline: {t_before / t_now:.2f}x; identical decisions: {same}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 3, float(args[1]) if len(args) > 1 else 0.25,
         args[2] if len(args) > 2 else DEFAULT_BASELINE)
