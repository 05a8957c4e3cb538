"""CTCAE v5.0 myelosuppression grades of simulated blood counts, over whole cohorts.

Graded by :func:`lutetia.assess.ctcae.ctcae_grade_array` — the same CTCAE data and comparator
as the record-level engine's :func:`lutetia.assess.ctcae.ctcae_grade`, cut-offs included —
with the virtual laboratory's LLN (``labs.reference_ranges`` of the simulation parameters), so
grade 1 is told apart from grade 0 exactly as on a stored record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lutetia.assess.ctcae import ctcae_grade_array

F = NDArray[np.float64]
I64 = NDArray[np.int64]

#: CTCAE terms of the label's myelosuppression family, in the order of the model's lab columns
#: (Hb g/L, platelets, neutrophils, WBC 10^9/L), and their reference-range keys.
MYELO_TERMS: tuple[str, ...] = ("Anemia", "Platelet count decreased", "Neutrophil count decreased",
                                "White blood cell decreased")
MYELO_RANGES: tuple[str, ...] = ("haemoglobin_g_l", "platelets_giga_l", "neutrophils_giga_l", "wbc_giga_l")


def term_grades(labs: F, lln: Sequence[float] | None = None, terms: Sequence[str] = MYELO_TERMS) -> I64:
    """Grade per patient and term, shape (n, len(terms)); −1 where a value is missing.

    ``labs`` columns follow ``terms``; ``lln`` gives each column's lower limit of normal.
    """
    out = np.empty((labs.shape[0], len(terms)), dtype=np.int64)
    for j, term in enumerate(terms):
        out[:, j] = ctcae_grade_array(term, labs[:, j], lln=None if lln is None else lln[j])
    return out


def grades(labs: F, lln: Sequence[float] | None = None, terms: Sequence[str] = MYELO_TERMS) -> I64:
    """Worst grade over the terms per patient (0 when none is gradable)."""
    return np.asarray(term_grades(labs, lln, terms).max(axis=1, initial=0), dtype=np.int64)


def beyond_baseline(labs: F, baseline: F, lln: Sequence[float] | None = None,
                    terms: Sequence[str] = MYELO_TERMS) -> I64:
    """Highest current grade among the terms worse than at baseline (0 if none) — the
    vectorised ``ctcae_grade_beyond_baseline`` fact of :mod:`lutetia.decide.facts_ctcae`."""
    now, base = term_grades(labs, lln, terms), term_grades(baseline, lln, terms)
    return np.asarray(np.where(now > base, now, 0).max(axis=1, initial=0), dtype=np.int64)


__all__ = ["MYELO_RANGES", "MYELO_TERMS", "beyond_baseline", "grades", "term_grades"]
