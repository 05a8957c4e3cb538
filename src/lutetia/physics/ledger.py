"""Per-patient, per-organ dose ledger across cycles.

Each entry records one cycle's absorbed dose and BED in one organ, whether it was measured
or estimated, and how. BEDs of cycles weeks apart add (full repair between cycles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lutetia.errors import RecordError
from lutetia.physics.radiobiology import bed_gy

STATUSES: Final[tuple[str, ...]] = ("measured", "estimated")


@dataclass(frozen=True)
class LedgerEntry:
    """One organ in one cycle.

    Attributes
    ----------
    patient_id, organ : str
    cycle : int
        Cycle number (1-based).
    activity_gbq : float
        Administered activity, GBq.
    dose_gy : float
        Absorbed dose in the organ this cycle, Gy.
    bed_gy : float or None
        BED this cycle, Gy_BED (None if not computed).
    status : {"measured", "estimated"}
    method : str
        How the dose was obtained (``tac:bi``, ``stp:madsen``, ``voxel``, ``predicted``...).
    relative_sigma : float
        Relative standard uncertainty of ``dose_gy``.
    g_factor : float or None
        Lea–Catcheside factor of this cycle's time course, if known.
    """

    patient_id: str
    organ: str
    cycle: int
    activity_gbq: float
    dose_gy: float
    bed_gy: float | None = None
    status: str = "measured"
    method: str = ""
    relative_sigma: float = 0.0
    g_factor: float | None = None

    def __post_init__(self) -> None:
        if self.cycle < 1:
            raise RecordError("cycle must be >= 1", record=self.patient_id, field="cycle",
                              value=self.cycle)
        if not self.activity_gbq > 0:
            raise RecordError("activity must be > 0", record=self.patient_id,
                              field="activity_gbq", value=self.activity_gbq, accepted="GBq > 0")
        if not self.dose_gy >= 0:
            raise RecordError("dose must be >= 0", record=self.patient_id, field="dose_gy",
                              value=self.dose_gy, accepted="Gy >= 0")
        if self.status not in STATUSES:
            raise RecordError("unknown status", record=self.patient_id, field="status",
                              value=self.status, accepted=", ".join(STATUSES))

    @property
    def dose_per_gbq(self) -> float:
        """Absorbed dose per administered activity, Gy/GBq."""
        return self.dose_gy / self.activity_gbq


@dataclass(frozen=True)
class Ledger:
    """All entries of one patient and organ, in cycle order."""

    patient_id: str
    organ: str
    entries: tuple[LedgerEntry, ...]

    @classmethod
    def build(cls, entries: Sequence[LedgerEntry]) -> Ledger:
        """Check that entries share patient and organ and have distinct cycles; sort them."""
        if not entries:
            raise RecordError("ledger is empty", field="entries", value=0)
        pid, organ = entries[0].patient_id, entries[0].organ
        for e in entries:
            if (e.patient_id, e.organ) != (pid, organ):
                raise RecordError("ledger mixes patients or organs", record=e.patient_id,
                                  field="organ", value=e.organ, accepted=f"{pid}/{organ}")
        cycles = [e.cycle for e in entries]
        if len(set(cycles)) != len(cycles):
            raise RecordError("duplicate cycle in ledger", record=pid, field="cycle",
                              value=sorted(cycles))
        return cls(pid, organ, tuple(sorted(entries, key=lambda e: e.cycle)))

    @property
    def cumulative_dose_gy(self) -> float:
        """Σ absorbed dose over the recorded cycles, Gy."""
        return sum(e.dose_gy for e in self.entries)

    def cumulative_bed_gy(self, alpha_beta_gy: float, g_default: float | None = None) -> float:
        """Σ BED over cycles, Gy_BED; a missing BED is computed from D and G."""
        total = 0.0
        for e in self.entries:
            if e.bed_gy is not None:
                total += e.bed_gy
                continue
            g = e.g_factor if e.g_factor is not None else g_default
            if g is None:
                raise RecordError("BED missing and no G factor to compute it",
                                  record=self.patient_id, field="bed_gy", value=None,
                                  accepted="bed_gy, g_factor or t_eff_h")
            total += bed_gy(e.dose_gy, g, alpha_beta_gy)
        return total

    def last_measured(self) -> LedgerEntry:
        """The most recent measured entry (its Gy/GBq predicts the next cycle)."""
        measured = [e for e in self.entries if e.status == "measured"]
        if not measured:
            raise RecordError("no measured cycle in ledger", record=self.patient_id,
                              field="status", value=[e.status for e in self.entries],
                              accepted="at least one 'measured'")
        return measured[-1]
