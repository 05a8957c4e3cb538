"""Threshold segmentation of the SPECT molecular tumour volume (lutetia.physics.segment).

Expected values by hand: SUV 3 with 7400 MBq and 80 kg is 3 × 7.4e9 Bq / 80 000 g =
277 500 Bq/mL at injection and half of it one 177Lu half-life (6.647 d = 159.528 h, ICRP-107)
later; volumes are voxel counts × voxel volume.
"""

from __future__ import annotations

import numpy as np
import pytest

from lutetia.errors import RecordError
from lutetia.physics._data import load_table
from lutetia.physics.segment import default_threshold, segment_tumour, suv_concentration_bq_per_ml
from lutetia.physics.volume import ImageVolume

VOXEL_ML = 0.008  # 2 mm cubes


def _volume(conc_bq_per_ml: np.ndarray) -> ImageVolume:
    return ImageVolume(conc_bq_per_ml * VOXEL_ML * 1e-6, (2.0, 2.0, 2.0))


def test_suv_threshold_by_hand() -> None:
    assert suv_concentration_bq_per_ml(3.0, 7400.0, 80.0, 0.0) == pytest.approx(277500.0)
    assert suv_concentration_bq_per_ml(3.0, 7400.0, 80.0, 159.528) == pytest.approx(138750.0,
                                                                                   rel=1e-6)
    with pytest.raises(RecordError, match="weight"):
        suv_concentration_bq_per_ml(3.0, 7400.0, 0.0, 24.0)


def test_the_data_file_names_its_sources() -> None:
    table = load_table("spect_tumour_threshold")
    assert table["meta"]["status"] == "to verify"
    value, min_ml, source = default_threshold("suv")
    assert value == 3.0 and min_ml == 0.5 and "Violet" in source
    assert "project default" in default_threshold("percent_of_max")[2]
    with pytest.raises(RecordError, match="method"):
        default_threshold("otsu")


def test_boundary_exclusion_and_small_regions() -> None:
    conc = np.zeros((20, 20, 20))
    conc[2:7, 2:7, 2:7] = 1000.0            # 125 voxels = 1.0 mL, exactly at the threshold
    conc[10:15, 2:7, 2:7] = 999.999         # just below: not tumour
    conc[2:7, 10:15, 2:7] = 5000.0          # inside an excluded organ
    conc[15, 15, 15] = 1e6                  # one hot voxel, 0.008 mL < 0.5 mL: noise
    organ = np.zeros(conc.shape, dtype=bool)
    organ[2:7, 10:15, 2:7] = True
    got = segment_tumour(_volume(conc), 1000.0, exclude=organ, min_component_ml=0.5)
    assert got.volume_ml == pytest.approx(1.0) and got.regions == 1
    assert got.activity_mbq == pytest.approx(125 * 1000.0 * VOXEL_ML * 1e-6)
    with_spot = segment_tumour(_volume(conc), 1000.0, exclude=organ)
    assert with_spot.volume_ml == pytest.approx(1.008) and with_spot.regions == 2
    # 40 % of the hottest voxel not excluded (1e6 Bq/mL) = 4e5: only the hot voxel
    pct = segment_tumour(_volume(conc), percent_of_max=40.0, exclude=organ)
    assert pct.threshold.concentration_bq_per_ml == pytest.approx(4e5)
    assert pct.threshold.method == "percent_of_max" and pct.volume_ml == pytest.approx(0.008)
    with pytest.raises(RecordError, match="either"):
        segment_tumour(_volume(conc))
