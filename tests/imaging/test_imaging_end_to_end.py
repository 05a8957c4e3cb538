"""End to end: a PRODIGY-2 personalised patient's cycle-1 SPECT/CT in, cycle-2 activity out.

The cycle-1 images are the synthetic phantom (tools/make_spect_phantom.py) with kidneys of
A₀ 150 and 140 MBq, T_eff 40 and 45 h, injected at the recorded administration time.
Expected kidney dose, by hand from the analytic truth: Ã = (150·40 + 140·45)/ln2 =
17745.3 MBq·h; kidney mass (voxelised truth) 2 × 1272 × 0.110592 mL × 1.04 g/mL = 292.6 g;
S(292.6 g) = 7.645e-5·(310/292.6) + 1.15e-6·(310/292.6)^(2/3) = 8.219e-5 mGy/(MBq·s)
(phantom S 7.76e-5 split into local deposition and photons, dosimetry.md) → 5.251 Gy,
0.7096 Gy/GBq for 7.4 GBq. The images recover it within the pipeline's stated 5 %.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from phantom_tool import load_tool as _tool
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.records import (
    Administration,
    Analyte,
    Enrolment,
    ImagingStudy,
    LabResult,
    Lesion,
    Patient,
)

PID = "IMG-001"
CET = timezone(timedelta(hours=1))
INJECTED = datetime(2026, 3, 2, 9, 0, tzinfo=CET)
LABS = {Analyte.neutrophils: (3.0, "10^9/L", 1.8, 7.5), Analyte.platelets: (220.0, "10^9/L", 150.0, 400.0),
        Analyte.wbc: (5.5, "10^9/L", 4.0, 10.0), Analyte.haemoglobin: (13.0, "g/dL", 13.0, 17.0),
        Analyte.creatinine: (80.0, "umol/L", 60.0, 110.0), Analyte.bilirubin: (10.0, "umol/L", 3.0, 21.0),
        Analyte.alt: (20.0, "U/L", 5.0, 40.0), Analyte.ast: (25.0, "U/L", 5.0, 40.0)}



def _patient_records() -> list[Any]:
    labs = [LabResult(patient_id=PID, analyte=a, sampled_on=day, value=v, unit=u, lln=lo, uln=hi)
            for day in (date(2026, 2, 27), date(2026, 4, 10)) for a, (v, u, lo, hi) in LABS.items()]
    return [Patient(patient_id=PID, sex="male", birth_date=date(1955, 1, 1), weight_kg=80.0,
                    histology="acinar adenocarcinoma"),
            Enrolment(patient_id=PID, protocol_id="prodigy-2", arm="personalised",
                      enrolled_on=date(2026, 2, 20)),
            Administration(patient_id=PID, cycle=1, administered_at=INJECTED, activity_gbq=7.4,
                           protocol_id="prodigy-2", arm="personalised"),
            ImagingStudy(patient_id=PID, study_id="PET0", modality="psma_pet",
                         study_date=date(2026, 2, 10), vision_psma_positive=True,
                         vision_psma_negative_lesion=False, ttv_ml=100.0, new_lesions=0),
            Lesion(patient_id=PID, study_id="PET0", lesion_id="L1", organ="bone",
                   lesion_type="bone"),
            *labs]


def test_prodigy2_cycle1_images_to_cycle2_activity(tmp_path: Path) -> None:
    from lutetia.store.repository import Store

    tool = _tool()
    objects = (tool.PhantomObject("kidney_left", (45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 150.0, 40.0),
               tool.PhantomObject("kidney_right", (-45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 140.0, 45.0),
               tool.PhantomObject("lesion_1", (0.0, -50.0, 20.0), (16.0, 16.0, 16.0), 30.0, 90.0))
    phantom = tool.Phantom(objects=objects, injection=INJECTED)
    root = tmp_path / "c1"
    truth = tool.write_phantom(root, "pt-slices-admin", seed=5, phantom=phantom, with_ct=False)
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    Store.open(db).add(_patient_records(), user="loader", reason="test data")

    folders = [str(root / f"{int(t)}h") for t in truth["times_h"]]
    res = CliRunner().invoke(app, [
        "--db", db, "--user", "physicist", "dose", "images", *folders,
        "--masks", str(root / "masks.nii.gz"), "--labels", str(root / "labels.json"),
        "--calibration", "synthetic-megp-208", "--tz", "+01:00", "--same-position",
        "--save", PID, "--cycle", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["administered_MBq"] == pytest.approx(7400.0)  # from the record
    stored = Store.open(db).record(PID).dosimetry
    assert len(stored) == 3 * 4  # three VOIs × four time points
    assert {m.study_id for m in stored} == {s["series_uid"] for s in out["provenance"]["series"]}
    assert {m.region.value for m in stored} == {"kidney_left", "kidney_right", "lesion"}

    res = CliRunner().invoke(app, ["--db", db, "next-cycle", PID, "--date", "2026-04-13", "--json"])
    assert res.exit_code == 0, res.output
    decision = json.loads(res.stdout)
    assert decision["kind"] == "administer", decision
    reason = next(r for r in decision["reasons"] if "Gy/GBq" in r)
    gy_per_gbq = float(re.search(r"= ([0-9.]+) Gy/GBq", reason).group(1))  # type: ignore[union-attr]
    assert gy_per_gbq == pytest.approx(0.7096, rel=0.05)
    # personalised: above the fixed 7.4 GBq, below the 10.4 GBq maximum for 0.71 Gy/GBq
    assert 7.4 < decision["activity_gbq"] < 10.4
