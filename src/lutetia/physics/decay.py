"""177Lu physical decay and decay correction.

The decay data live in ``lutetia/data/physics/lu177.toml`` (ICRP-107); this module reads
them once and exposes them as typed constants.

References
----------
1. ICRP Publication 107: Nuclear decay data for dosimetric calculations. Ann ICRP
   2008;38(3). doi:10.1016/j.icrp.2008.10.004
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from lutetia.errors import UnitError
from lutetia.physics._data import load_table

#: Energy of 1 MeV in joules (CODATA 2018, exact since the 2019 SI redefinition).
MEV_TO_J: float = 1.602176634e-13
#: Seconds per hour.
SECONDS_PER_HOUR: float = 3600.0


@dataclass(frozen=True)
class DecayData:
    """Decay data of one radionuclide.

    Attributes
    ----------
    nuclide : str
    half_life_h : float
        Physical half-life, h.
    electrons_mev : float
        Mean non-penetrating (electron) energy emitted per decay, MeV.
    photons_mev : float
        Mean photon energy emitted per decay, MeV.
    edition : str
        Source edition of the data.
    """

    nuclide: str
    half_life_h: float
    electrons_mev: float
    photons_mev: float
    edition: str

    @property
    def decay_constant_per_h(self) -> float:
        """λ = ln2 / T½ in h⁻¹."""
        return math.log(2.0) / self.half_life_h


@lru_cache(maxsize=1)
def lu177() -> DecayData:
    """177Lu decay data from ``lu177.toml`` (ICRP-107: T½ 6.647 d; 0.14792 MeV electrons)."""
    table = load_table("lu177")
    hl = table["half_life"]
    if hl["unit"] != "d":
        raise UnitError(f"lu177.toml: half_life unit {hl['unit']!r}; accepted: 'd'")
    energy = table["energy_per_decay_mev"]
    return DecayData(
        nuclide="Lu-177",
        half_life_h=float(hl["value"]) * 24.0,
        electrons_mev=float(energy["electrons_total"]),
        photons_mev=float(energy["photons_total"]),
        edition=str(table["meta"]["edition"]),
    )


def decay_factor(elapsed_h: float, half_life_h: float | None = None) -> float:
    """Fraction of activity left after ``elapsed_h`` hours.

    Parameters
    ----------
    elapsed_h : float
        Elapsed time, h (may be negative: back-decay).
    half_life_h : float, optional
        Half-life, h; default the 177Lu physical half-life.

    Notes
    -----
    f = exp(−λ t), λ = ln2 / T½.
    """
    t_half = lu177().half_life_h if half_life_h is None else half_life_h
    if t_half <= 0:
        raise ValueError(f"half_life_h must be > 0 h, got {t_half}")
    return math.exp(-math.log(2.0) * elapsed_h / t_half)


def decay(activity: float, elapsed_h: float, half_life_h: float | None = None) -> float:
    """Activity after ``elapsed_h`` hours (same unit as ``activity``): A·exp(−λt)."""
    return activity * decay_factor(elapsed_h, half_life_h)


def decay_correct(activity: float, measured_at_h: float, reference_h: float = 0.0,
                  half_life_h: float | None = None) -> float:
    """Decay-correct an activity measured at ``measured_at_h`` to ``reference_h``.

    Notes
    -----
    A(t_ref) = A(t_meas) · exp(λ (t_meas − t_ref)).
    """
    return activity / decay_factor(measured_at_h - reference_h, half_life_h)


def effective_half_life_h(biological_half_life_h: float,
                          physical_half_life_h: float | None = None) -> float:
    """Effective half-life from a biological one: 1/T_eff = 1/T_phys + 1/T_bio (h)."""
    t_phys = lu177().half_life_h if physical_half_life_h is None else physical_half_life_h
    if biological_half_life_h <= 0:
        raise ValueError(f"biological_half_life_h must be > 0 h, got {biological_half_life_h}")
    return 1.0 / (1.0 / t_phys + 1.0 / biological_half_life_h)
