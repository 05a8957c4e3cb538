"""Compare the virtual label-treated cohort with the published VISION figures.

The figures quoted in docs/simulate.md ("Calibration") come from this script: the
label arm (``pluvicto-label``/``standard``) on a VISION-like cohort, vectorised rules
(which agree with the record-level engine, tests/simulate), seed 5, 20,000 screened.

Run: ``.venv/bin/python tools/simulation_calibration.py [N] [SEED]``

Definitions (what is counted on the simulated course):

* median OS / rPFS: the day half the treated patients have died (rPFS: radiographic
  progression or death, progression seen on the 6-weekly decision grid or the
  surveillance steps after treatment); months of 30.44 days;
* PSA50: lowest PSA at a later decision point or follow-up visit ≤ 50 % of the first;
* grade ≥ 3 cytopenias: a treatment-emergent grade ≥ 3 laboratory value (worse than the
  patient's baseline grade) at a decision point or follow-up visit — laboratory-based,
  whereas VISION counted reported adverse events;
* withheld: at least one decision point withheld for toxicity (a missing or stale panel,
  which the engine also withholds, not counted); discontinued: stopped by a toxicity rule
  or the simulated physician's delay limit; reduced: at least one 20 % reduction.

VISION: Sartor O et al., N Engl J Med 2021;385:1091-1103 (OS, rPFS, PSA50, grade ≥ 3
events), as quoted in the Pluvicto EU SmPC §4.8 (median five doses); interruptions,
reductions and discontinuations for adverse events as quoted in the project's earlier
calibration notes (not re-verified against the paper's supplement).
"""

from __future__ import annotations

import sys

import numpy as np

from lutetia.simulate import run_trial
from lutetia.simulate.cohort import WEEKS_PER_MONTH
from lutetia.simulate.grading import term_grades
from lutetia.simulate.model import Action

VISION = {
    "median OS (months)": 15.3, "median rPFS (months)": 8.7, "PSA50 (%)": 46.0,
    "grade >=3 thrombocytopenia (%)": 7.9, "grade >=3 neutropenia (%)": 3.4, "grade >=3 anaemia (%)": 12.9,
    "grade >=3 leukopenia (%)": 2.5, "withheld for toxicity (%)": 16.1, "dose reduced (%)": 5.7,
    "discontinued for toxicity (%)": 11.9, "median cycles": 5.0,
}


def calibration(n: int = 20_000, seed: int = 5) -> dict[str, float]:
    """The figures of the module docstring for ``n`` screened virtual patients."""
    res = run_trial("pluvicto-label", n, np.random.default_rng(seed), engine="vector", with_records=False)
    sim = res.sims["standard"]
    month = WEEKS_PER_MONTH * 7.0
    death = np.where(np.isfinite(sim.death_day), sim.death_day, np.inf)
    prog = np.where(np.isfinite(sim.progression_day), sim.progression_day, np.inf)
    cuts = tuple((c.grade2, c.grade3, c.grade4) for c in sim.rules.myelo_cuts)
    base = term_grades(sim.first_labs[:, :4], cuts)
    g3 = np.zeros(base.shape, dtype=bool)
    psa_low = np.full(sim.cohort.n, np.inf)
    withheld = discontinued = np.zeros(sim.cohort.n, dtype=bool)
    panels = [(pt.active & ~pt.lab_missing, pt.labs) for pt, _ in sim.log]
    panels += [(drawn, labs) for _, labs, drawn in sim.follow_labs]
    for seen, labs in panels:
        g = term_grades(labs[:, :4], cuts)
        g3 |= seen[:, None] & (g >= 3) & (g > base)
    for seen, labs in panels[1:]:
        psa_low = np.where(seen, np.minimum(psa_low, labs[:, 5]), psa_low)
    for pt, d in sim.log:
        tox = pt.active & ~(pt.lab_missing | pt.lab_stale)
        withheld = withheld | (tox & (d.action == Action.WITHHOLD))
        discontinued = discontinued | (pt.active & (d.action == Action.DISCONTINUE))
    pct = 100.0
    return {
        "median OS (months)": float(np.median(death)) / month,
        "median rPFS (months)": float(np.median(np.fmin(prog, death))) / month,
        "PSA50 (%)": pct * float(np.mean(psa_low <= 0.5 * sim.first_labs[:, 5])),
        "grade >=3 thrombocytopenia (%)": pct * float(g3[:, 1].mean()),
        "grade >=3 neutropenia (%)": pct * float(g3[:, 2].mean()),
        "grade >=3 anaemia (%)": pct * float(g3[:, 0].mean()),
        "grade >=3 leukopenia (%)": pct * float(g3[:, 3].mean()),
        "withheld for toxicity (%)": pct * float(withheld.mean()),
        "dose reduced (%)": pct * float(np.mean(sim.reductions > 0)),
        "discontinued for toxicity (%)": pct * float(discontinued.mean()),
        "median cycles": float(np.median(sim.cycles)),
        "treated patients": float(sim.cohort.n),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    got = calibration(n, seed)
    print(f"{'figure':34s} {'simulated':>10s} {'VISION':>8s}")
    for name, value in got.items():
        ref = VISION.get(name)
        print(f"{name:34s} {value:10.1f} {'' if ref is None else f'{ref:8.1f}'}")


if __name__ == "__main__":
    main()
