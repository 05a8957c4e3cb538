"""Threshold segmentation of PSMA-avid tumour burden on quantitative 177Lu SPECT: the
molecular tumour volume (MTV).

A voxel is tumour when its activity concentration is at or above the threshold and it lies
outside the excluded VOIs (kidneys, salivary glands, … whose physiological uptake is above
any tumour threshold); connected regions (26-neighbourhood) smaller than
``min_component_ml`` are dropped as noise. Thresholds (``spect_tumour_threshold.toml``):

* **SUV** (default 3, Violet et al. [1], John et al. [2]): C_thr = SUV · A(t)/W with the
  administered activity decayed to the scan time (177Lu physical decay) and the body weight
  W in g (1 g/mL);
* **percent of max**: C_thr = p/100 · max C over the voxels not excluded (project default 40 %).

Notes
-----
The volume is the number of tumour voxels × voxel volume; it is not corrected for partial
volume (a blurred lesion looks larger at low thresholds and smaller at high ones), which is
why a response compares volumes measured the same way on the same camera.

References
----------
1. Violet J et al. Long-term follow-up and outcomes of retreatment in an expanded 50-patient
   single-center phase II prospective trial of 177Lu-PSMA-617 theranostics in metastatic
   castrate-resistant prostate cancer. J Nucl Med 2020;61:857. doi:10.2967/jnumed.119.236414
2. John N et al. 177Lu-PSMA SPECT quantitation at 6 weeks (dose 2) predicts short
   progression-free survival for patients undergoing 177Lu-PSMA-I&T therapy. J Nucl Med
   2023;64:410.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics._data import load_table
from lutetia.physics.decay import decay_factor
from lutetia.physics.volume import ImageVolume

METHODS = ("suv", "percent_of_max")


@dataclass(frozen=True)
class TumourThreshold:
    """A threshold as used: method, value, its concentration (Bq/mL) and source."""

    method: str
    value: float
    concentration_bq_per_ml: float
    min_component_ml: float
    source: str


@dataclass(frozen=True)
class TumourBurden:
    """Molecular tumour volume (mL), its activity (MBq), regions and the mask on the grid."""

    mask: NDArray[np.bool_]
    volume_ml: float
    activity_mbq: float
    regions: int
    threshold: TumourThreshold


def default_threshold(method: str) -> tuple[float, float, str]:
    """(threshold value, min_component_ml, source) of ``method`` from the data file."""
    table = load_table("spect_tumour_threshold")
    if method not in METHODS:
        raise RecordError("unknown tumour threshold method", field="method", value=method,
                          accepted=", ".join(METHODS))
    comp = float(table["components"]["min_component_ml"])
    if method == "suv":
        return float(table["suv"]["threshold"]), comp, str(table["meta"]["source"])
    pm = table["percent_of_max"]
    return float(pm["threshold_pct"]), comp, str(pm["source"])


def suv_concentration_bq_per_ml(suv: float, administered_mbq: float, weight_kg: float,
                                hours_after_injection: float) -> float:
    """Activity concentration (Bq/mL) of ``suv``: SUV · A(t)/W, A decayed to the scan."""
    if not (suv > 0 and administered_mbq > 0 and weight_kg > 0):
        raise RecordError("SUV threshold needs positive SUV, activity and body weight",
                          field="suv", value=(suv, administered_mbq, weight_kg),
                          accepted="all > 0")
    a_bq = administered_mbq * 1e6 * decay_factor(hours_after_injection)
    return suv * a_bq / (weight_kg * 1000.0)


def segment_tumour(activity: ImageVolume, threshold_bq_per_ml: float | None = None, *,
                   percent_of_max: float | None = None,
                   exclude: NDArray[np.bool_] | None = None,
                   min_component_ml: float = 0.0, method: str = "concentration",
                   value: float | None = None, source: str = "") -> TumourBurden:
    """Tumour voxels of an activity map (MBq per voxel) at or above a concentration
    threshold (Bq/mL), or at or above ``percent_of_max`` % of the hottest voxel not excluded.
    ``method`` and ``value`` name the threshold as the user gave it (e.g. ``suv``, 3.0)."""
    from scipy.ndimage import label

    conc = np.asarray(activity.array, dtype=np.float64) * 1e6 / activity.voxel_volume_ml
    allowed = np.ones(conc.shape, dtype=np.bool_) if exclude is None else ~exclude
    if (threshold_bq_per_ml is None) == (percent_of_max is None):
        raise RecordError("give either a concentration threshold or a percent of max",
                          field="threshold", value=(threshold_bq_per_ml, percent_of_max),
                          accepted="exactly one of the two")
    if percent_of_max is not None:
        if not 0 < percent_of_max <= 100 or not allowed.any():
            raise RecordError("percent of max out of range or nothing left to segment",
                              field="percent_of_max", value=percent_of_max, accepted="(0, 100]")
        threshold_bq_per_ml = percent_of_max / 100.0 * float(conc[allowed].max())
        value, method = percent_of_max, "percent_of_max"
    assert threshold_bq_per_ml is not None
    if value is None:
        value = threshold_bq_per_ml
    mask = (conc >= threshold_bq_per_ml) & allowed
    labelled, n = label(mask, structure=np.ones((3, 3, 3)))
    sizes = np.bincount(labelled.ravel(), minlength=n + 1) * activity.voxel_volume_ml
    keep = sizes >= min_component_ml
    keep[0] = False
    mask = keep[labelled]
    thr = TumourThreshold(method, value, float(threshold_bq_per_ml), min_component_ml, source)
    return TumourBurden(mask, float(mask.sum()) * activity.voxel_volume_ml,
                        float(np.asarray(activity.array, dtype=np.float64)[mask].sum()),
                        int(keep.sum()), thr)
