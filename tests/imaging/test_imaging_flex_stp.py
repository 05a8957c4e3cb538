"""End to end, FLEX-MRT: cycle-1 SPECT/CT at four time points, cycle-2 SPECT/CT at one
(48 h, Madsen with the patient's own cycle-1 kidney T_eff from the record), the kidney ledger
and the 39 Gy BED cap in the cycle-3 decision; the SPECT molecular tumour volume of both
cycles into the record.

Phantom (tools/make_spect_phantom.py): both kidneys T_eff 42 h, A₀ 330 + 300 MBq (a patient
with high kidney uptake), so the kidney sum is exactly mono-exponential. Expected by hand:
Ã = 630 × 42/ln2 = 38 173.6 MBq·h; mass 292.6 g and S(292.6 g) = 8.219e-5 mGy/(MBq·s) as in
test_imaging_end_to_end → D = 38 173.6 × 3600 × 8.219e-5 mGy = 11.295 Gy per cycle;
G = T_rep/(T_rep + T_eff) = 2.8/44.8 = 0.0625, α/β 2.6 Gy → BED = 11.295 × (1 + 0.0625 ×
11.295/2.6) = 14.362 Gy per cycle. After two cycles 28.72 Gy; a third at 7.4 GBq adds 14.36
→ 43.1 Gy > 39 Gy: FLEX-MRT curtails the regimen. Tolerance 5 % (the pipeline's).
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

PID = "IMG-FLEX"
CET = timezone(timedelta(hours=1))
C1 = datetime(2026, 3, 2, 9, 0, tzinfo=CET)
C2 = C1 + timedelta(weeks=6)
LABS = {Analyte.neutrophils: (3.0, "10^9/L", 1.8, 7.5), Analyte.platelets: (220.0, "10^9/L", 150.0, 400.0),
        Analyte.wbc: (5.5, "10^9/L", 4.0, 10.0), Analyte.haemoglobin: (13.0, "g/dL", 13.0, 17.0),
        Analyte.creatinine: (80.0, "umol/L", 60.0, 110.0), Analyte.bilirubin: (10.0, "umol/L", 3.0, 21.0),
        Analyte.alt: (20.0, "U/L", 5.0, 40.0), Analyte.ast: (25.0, "U/L", 5.0, 40.0)}
BED_PER_CYCLE = 14.362



def _records() -> list[Any]:
    days = (date(2026, 2, 27), date(2026, 4, 10), date(2026, 5, 22))
    labs = [LabResult(patient_id=PID, analyte=a, sampled_on=d, value=v, unit=u, lln=lo, uln=hi)
            for d in days for a, (v, u, lo, hi) in LABS.items()]
    psa = [LabResult(patient_id=PID, analyte=Analyte.psa, sampled_on=d, value=v, unit="ng/mL")
           for d, v in zip(days, (100.0, 80.0, 75.0), strict=True)]
    return [Patient(patient_id=PID, sex="male", birth_date=date(1955, 1, 1), weight_kg=80.0,
                    histology="acinar adenocarcinoma"),
            Enrolment(patient_id=PID, protocol_id="flex-mrt", arm="flexible",
                      enrolled_on=date(2026, 2, 20)),
            *(Administration(patient_id=PID, cycle=c, administered_at=t, activity_gbq=7.4,
                             protocol_id="flex-mrt", arm="flexible")
              for c, t in ((1, C1), (2, C2))),
            ImagingStudy(patient_id=PID, study_id="PET0", modality="psma_pet",
                         study_date=date(2026, 2, 10), vision_psma_positive=True,
                         vision_psma_negative_lesion=False, ttv_ml=100.0, new_lesions=0),
            Lesion(patient_id=PID, study_id="PET0", lesion_id="L1", organ="bone",
                   lesion_type="bone"),
            *labs, *psa]


def _phantom(tool: Any, injection: datetime, lesion_radius_mm: float) -> Any:
    objects = (tool.PhantomObject("kidney_left", (45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 330.0, 42.0),
               tool.PhantomObject("kidney_right", (-45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 300.0, 42.0),
               tool.PhantomObject("lesion_1", (0.0, -50.0, 20.0), (lesion_radius_mm,) * 3, 30.0, 90.0))
    return tool.Phantom(shape=(40, 40, 28), objects=objects, injection=injection)  # small, fast


def _images(db: str, root: Path, times: tuple[float, ...], cycle: int, *extra: str) -> Any:
    res = CliRunner().invoke(app, [
        "--db", db, "--user", "physicist", "dose", "images",
        *(str(root / f"{int(t)}h") for t in times), "--masks", str(root / "rtstruct.dcm"),
        "--calibration", "synthetic-megp-208", "--same-position",
        "--tumour", "percent_of_max", "--save", PID, "--cycle", str(cycle), "--json",
        "--figures", str(root.parent / "figures"), *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_flex_mrt_cycle2_single_time_point_feeds_the_39_gy_cap(tmp_path: Path) -> None:
    from lutetia.decide.dosimetry import kidney_history
    from lutetia.store.repository import Store

    tool = _tool()
    db = f"sqlite:///{tmp_path / 'trial.db'}"
    Store.open(db).add(_records(), user="loader", reason="test data")
    c1 = tmp_path / "c1"
    tool.write_phantom(c1, "nm-rwvm-start", seed=7, phantom=_phantom(tool, C1, 16.0),
                       with_ct=False)
    out1 = _images(db, c1, (4.0, 24.0, 48.0, 168.0), 1)
    c2 = tmp_path / "c2"
    tool.write_phantom(c2, "nm-rwvm-start", seed=8, phantom=_phantom(tool, C2, 11.0),
                       times_h=(48.0,), with_ct=False)
    # without the earlier cycle in the record there is nothing to take T_eff from
    bad = CliRunner().invoke(app, ["--db", db, "dose", "images", str(c2 / "48h"), "--masks",
                                   str(c2 / "rtstruct.dcm"), "--stp", "--save", PID,
                                   "--cycle", "1"])
    assert bad.exit_code == 2 and "no earlier multi-time-point kidney dosimetry" in bad.output
    out2 = _images(db, c2, (48.0,), 2, "--stp")

    record = Store.open(db).record(PID)
    history, missing = kidney_history(record, list(record.administrations))
    assert not missing
    assert [k.entry.method for k in history] == ["tac:mono", "stp:madsen"]
    assert history[0].t_eff_h == pytest.approx(42.0, rel=0.05)
    kidneys2 = {v["voi"]: v for v in out2["vois"]}["kidney_left"]
    assert kidneys2["tia_method"] == "stp:madsen"
    assert kidneys2["t_eff_h"] == pytest.approx(history[0].t_eff_h)  # the ledger's, not re-fitted
    assert "cycle 1" in out2["provenance"]["stp_t_eff_source"]
    for k in history:
        assert k.entry.bed_gy == pytest.approx(BED_PER_CYCLE, rel=0.05)

    # molecular tumour volume of both cycles (48 h = day 3) into the record
    spects = sorted((s for s in record.imaging if s.modality.value == "spect_ct"),
                    key=lambda s: s.cycle or 0)
    assert [s.cycle for s in spects] == [1, 2]
    assert spects[0].ttv_ml == pytest.approx(out1["tumour"]["mtv_mL"], abs=1e-3)
    assert spects[1].ttv_ml < 0.5 * spects[0].ttv_ml  # r 16 → 11 mm: volume × 0.32

    res = CliRunner().invoke(app, ["--db", db, "next-cycle", PID, "--date", "2026-05-25",
                                   "--json"])
    assert res.exit_code == 0, res.output
    decision = json.loads(res.stdout)
    assert decision["kind"] == "curtail", decision
    cum = next(r for r in decision["reasons"] if r.startswith("kidney cumulative bed"))
    value = float(re.search(r"= ([0-9.]+) Gy", cum).group(1))  # type: ignore[union-attr]
    assert value == pytest.approx(2 * BED_PER_CYCLE, rel=0.05)

    # the per-patient figures (MIP + VOI outlines, TACs), one per cycle
    figures = tmp_path / "figures" / PID
    assert sorted(p.name for p in figures.iterdir()) == ["cycle-1-dosimetry.png",
                                                          "cycle-2-dosimetry.png"]
    assert (figures / "cycle-1-dosimetry.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # (the cycle report embeds them: tests/report/test_trial_report.py, analyze --figures)
