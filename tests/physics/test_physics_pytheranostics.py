"""Lutetia against PyTheranostics 0.1 on the same inputs (tests/data/physics/README.md).

PyTheranostics fits without weights, so Lutetia is run with uniform uncertainties here; the
TIAs and BEDs must agree to the stated tolerances (independent implementations).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from lutetia.physics import radiobiology as rb
from lutetia.physics.stp import haenscheid_tia
from lutetia.physics.tac import fit_tac

DATA = Path(__file__).parents[1] / "data" / "physics" / "pytheranostics_reference.json"
SHA256 = "8d384c45ead442e502d4cc73fab23f5db5ccb9d07b1d634152ccde4fd8bebdc1"


@pytest.fixture(scope="module")
def ref() -> dict[str, object]:
    raw = DATA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SHA256
    data: dict[str, object] = json.loads(raw)
    return data


@pytest.mark.parametrize(("case", "model"), [("vision_mono", "mono"),
                                             ("uptake_biexp", "mono_uptake"),
                                             ("bi_noisy", "bi")])
def test_unweighted_fit_tia_matches(ref: dict, case: str, model: str) -> None:
    inp = ref["inputs"][case]
    t, a = np.array(inp["time_h"]), np.array(inp["activity_MBq"])
    fit = fit_tac(t, a, model, sigma_mbq=np.ones_like(a))
    assert fit.tia == pytest.approx(ref["results"][case]["tia"], rel=1e-5)


def test_haenscheid_and_bed_match(ref: dict) -> None:
    res, b = ref["results"], ref["inputs"]["bed"]
    assert haenscheid_tia(100.0, 40.0).tia == pytest.approx(res["haenscheid_100MBq_40h"], rel=1e-12)
    mono = rb.bed_mono(b["dose_gy"], b["t_eff_h"], b["alpha_beta_gy"], b["repair_half_time_h"])
    assert mono.bed_gy == pytest.approx(res["bed_mono"], rel=1e-12)
    g = rb.g_factor_uptake_washout(b["t_uptake_h"], b["t_washout_h"], b["repair_half_time_h"])
    assert rb.bed(b["dose_gy"], g, b["alpha_beta_gy"]).bed_gy == pytest.approx(
        res["bed_uptake_washout"], rel=1e-9)
