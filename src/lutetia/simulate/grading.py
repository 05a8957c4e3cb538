"""CTCAE v5.0 myelosuppression grades of simulated blood counts, over whole cohorts.

The cut-offs come from the protocol data (:attr:`lutetia.simulate.rules.ArmRules.myelo_cuts`,
CTCAE v5.0 anaemia, platelet, neutrophil and white-cell count decreased).  Grade 1 is not
told apart from grade 0: no rule the simulation applies acts on it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
I64 = NDArray[np.int64]
Cuts = tuple[tuple[float, float, float], ...]


def term_grades(labs: F, cuts: Cuts) -> I64:
    """Grade (0, 2, 3 or 4) per patient and term, shape (n, len(cuts)).

    ``labs`` columns are Hb (g/L), platelets, neutrophils, WBC (10^9/L) in the order of
    ``cuts``, which gives (grade-2, grade-3, grade-4) thresholds: a value below a cut has
    that grade.
    """
    out = np.zeros((labs.shape[0], len(cuts)), dtype=np.int64)
    for j, (g2, g3, g4) in enumerate(cuts):
        v = labs[:, j]
        out[:, j] = np.where(v < g4, 4, np.where(v < g3, 3, np.where(v < g2, 2, 0)))
    return out


def grades(labs: F, cuts: Cuts) -> I64:
    """Worst grade over the terms per patient."""
    return np.asarray(term_grades(labs, cuts).max(axis=1, initial=0), dtype=np.int64)


def beyond_baseline(labs: F, baseline: F, cuts: Cuts) -> I64:
    """Highest current grade among the terms worse than at baseline (0 if none) — the
    vectorised ``ctcae_grade_beyond_baseline`` fact of :mod:`lutetia.decide.facts_ctcae`."""
    now, base = term_grades(labs, cuts), term_grades(baseline, cuts)
    return np.asarray(np.where(now > base, now, 0).max(axis=1, initial=0), dtype=np.int64)


__all__ = ["beyond_baseline", "grades", "term_grades"]
