"""Ledger and activity solver: hand-computed budgets, clamping, curtailing, probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from lutetia.errors import RecordError
from lutetia.physics.ledger import Ledger, LedgerEntry
from lutetia.physics.prescribe import (
    Limit,
    next_activity,
    probability_exceed,
    probability_exceed_mc,
)


def _ledger(doses: list[float], act: float = 7.4, u: float = 0.2) -> Ledger:
    return Ledger.build([LedgerEntry("P1", "kidneys", i + 1, act, d, relative_sigma=u)
                         for i, d in enumerate(doses)])


def test_dose_budget_by_hand() -> None:
    # cum 3.7 + 2.3 = 6 Gy; last 2.3/4.6 = 0.5 Gy/GBq; (23 − 6)/4 = 4.25 Gy -> 8.5 GBq
    led = Ledger.build([LedgerEntry("P1", "kidneys", 1, 7.4, 3.7),
                        LedgerEntry("P1", "kidneys", 2, 4.6, 2.3)])
    p = next_activity(led, Limit(23.0, "dose"), 4, 3.7, 9.3, 0.2)
    assert p.decision == "give"
    assert p.activity_gbq == pytest.approx(8.5)
    assert p.predicted_cumulative == pytest.approx(23.0)
    assert p.probability_exceed == pytest.approx(0.5)  # exactly at the budget: median
    assert any("4.250 Gy" in r for r in p.reasons)


def test_clamp_and_curtail() -> None:
    led = _ledger([3.7])  # 0.5 Gy/GBq
    hi = next_activity(led, Limit(60.0, "dose"), 2, 3.7, 9.3)
    assert hi.activity_gbq == 9.3 and any("clamped" in r for r in hi.reasons)
    # (10 − 3.7)/4 = 1.575 Gy -> 3.15 GBq < 3.7 GBq minimum -> curtail
    lo = next_activity(led, Limit(10.0, "dose"), 4, 3.7, 9.3)
    assert lo.decision == "curtail" and lo.activity_gbq is None
    over = next_activity(_ledger([12.0]), Limit(10.0, "dose"), 1, 3.7, 9.3)
    assert over.decision == "curtail" and over.probability_exceed == 1.0


def test_bed_budget_by_hand() -> None:
    # one cycle 2 Gy with G 0.1, α/β 2.5: BED 2(1 + 0.2/2.5) = 2.16; R = (20 − 2.16)/2 = 8.92;
    # k = 0.04: D = (−1 + √2.4272)/0.08 = (−1 + 1.557947)/0.08 = 6.97434 Gy;
    # A = 6.97434/(2/7.4) = 25.805 GBq (inside the bounds 3.7–30)
    led = Ledger.build([LedgerEntry("P1", "kidneys", 1, 7.4, 2.0, g_factor=0.1)])
    p = next_activity(led, Limit(20.0, "bed", 2.5, 0.1), 2, 3.7, 30.0)
    assert p.per_cycle_dose_gy == pytest.approx(6.97434, abs=1e-4)
    assert p.activity_gbq == pytest.approx(25.805, abs=1e-2)


def test_probability_analytic_vs_monte_carlo() -> None:
    lim = Limit(23.0, "dose")
    analytic = probability_exceed(7.4, 0.5, 0.2, 6.0, 4, lim)
    mc = probability_exceed_mc(7.4, 0.5, 0.2, 6.0, 4, lim, np.random.default_rng(20261123))
    assert mc == pytest.approx(analytic, abs=0.01)


def test_ledger_rejects_mixed_and_duplicates() -> None:
    with pytest.raises(RecordError):
        Ledger.build([LedgerEntry("P1", "kidneys", 1, 7.4, 3.0), LedgerEntry("P1", "kidneys", 1, 7.4, 3.0)])
    with pytest.raises(RecordError):
        LedgerEntry("P1", "kidneys", 1, 7.4, 3.0, status="guessed")
