"""Generate the bundled sample of clearly synthetic patients (src/lutetia/data/sample/).

Deterministic (seeded); every patient id starts with ``SYN-`` and the site is
"Synthetic".  Values are plausible for mCRPC patients on 177Lu-PSMA-617 (labs within the
ranges reported in VISION and the ECOG 3 paper's Table 1) but describe no real person.

Run: ``.venv/bin/python tools/make_sample.py``
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from lutetia.records import (
    Administration,
    AdverseEvent,
    ClinicalEvent,
    DosimetryMeasurement,
    EcogAssessment,
    Enrolment,
    ImagingStudy,
    LabResult,
    Lesion,
    Patient,
    PriorTherapy,
    ProAnswer,
)
from lutetia.store.interchange import write_folder

OUT = Path(__file__).resolve().parents[1] / "src" / "lutetia" / "data" / "sample"
rng = np.random.default_rng(20261123)

PROTOCOLS = ["prodigy-2", "prodigy-2", "realup", "re-lupsma", "flex-mrt", "ecog3-registry"]
ARMS = ["personalised", "fixed", "retreatment", "rechallenge", "flexible", "individualised"]


def main() -> None:
    kinds: dict[str, list] = {k: [] for k in (
        "patients", "enrolments", "ecog", "prior_therapies", "labs", "imaging", "lesions",
        "administrations", "dosimetry", "adverse_events", "pro_answers", "events")}
    for i, (protocol, arm) in enumerate(zip(PROTOCOLS, ARMS, strict=True), start=1):
        pid = f"SYN-{i:03d}"
        start = date(2025, 1, 6) + timedelta(days=21 * i)
        kinds["patients"].append(Patient(
            patient_id=pid, sex="male", birth_year=int(1945 + rng.integers(0, 20)),
            weight_kg=round(float(rng.normal(80, 10)), 1), height_cm=round(float(rng.normal(176, 6)), 1),
            diagnosis_date=date(2016 + i % 4, 3, 1), histology="adenocarcinoma",
            gilbert_syndrome=(i == 3), site="Synthetic"))
        kinds["enrolments"].append(Enrolment(patient_id=pid, protocol_id=protocol, arm=arm,
                                             consent_date=start - timedelta(days=20),
                                             enrolled_on=start - timedelta(days=14)))
        kinds["ecog"].append(EcogAssessment(patient_id=pid, assessed_on=start - timedelta(days=5),
                                            ecog=3 if protocol == "ecog3-registry" else int(rng.integers(0, 2))))
        kinds["prior_therapies"] += [
            PriorTherapy(patient_id=pid, line_id="L1", therapy_class="adt", agent="leuprorelin",
                         start_date=date(2017 + i % 3, 1, 15)),
            PriorTherapy(patient_id=pid, line_id="L2", therapy_class="arsi", agent="enzalutamide",
                         start_date=date(2020, 5, 1), end_date=date(2022, 6, 1), progression_date=date(2022, 5, 20),
                         progression_type="psa"),
            PriorTherapy(patient_id=pid, line_id="L3", therapy_class="taxane", agent="docetaxel",
                         start_date=date(2022, 7, 1), end_date=date(2022, 12, 1), cycles=6),
        ]
        if protocol in ("realup", "re-lupsma"):
            kinds["prior_therapies"].append(PriorTherapy(
                patient_id=pid, line_id="L4", therapy_class="lu_psma", agent="177Lu-PSMA-617",
                start_date=date(2023, 3, 1), end_date=date(2023, 10, 1), last_injection_date=date(2023, 9, 13),
                cycles=5, cumulative_activity_gbq=36.8, best_psa_change_pct=-72.0, progression_during=False,
                progression_date=date(2024, 6, 1), progression_type="psa", discontinued_for_toxicity=False))
        n_cycles = {"ecog3-registry": 2}.get(protocol, 4)
        psa = float(rng.lognormal(4.0, 0.8))
        for c in range(n_cycles + 1):
            day = start + timedelta(weeks=6 * c) - timedelta(days=3)
            kinds["labs"] += _labs(pid, day, c)
            kinds["labs"].append(LabResult(patient_id=pid, analyte="psa", sampled_on=day, value=round(psa, 2),
                                           unit="ng/mL"))
            psa *= float(rng.uniform(0.45, 0.95)) if i != 6 else 1.6
        for c in range(1, n_cycles + 1):
            at = datetime.combine(start + timedelta(weeks=6 * (c - 1)), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            act = 7.4 if arm != "personalised" or c == 1 else round(7.4 + 0.6 * c, 1)
            if protocol == "ecog3-registry":
                act = 6.0
            kinds["administrations"].append(Administration(
                patient_id=pid, course=2 if protocol in ("realup", "re-lupsma") else 1, cycle=c, administered_at=at,
                activity_gbq=act, residual_gbq=round(float(rng.uniform(0.02, 0.12)), 3), arm=arm, protocol_id=protocol,
                reason="individualised: blood counts and tumour burden" if protocol == "ecog3-registry" else None))
            course = 2 if protocol in ("realup", "re-lupsma") else 1
            times = (4, 24, 48, 168) if c == 1 else (24,)
            kidney_teff = float(rng.uniform(32, 48))
            for t in times:
                a_kid = act * 1000 * 0.02 * np.exp(-np.log(2) / kidney_teff * t) * (1 - np.exp(-t / 1.5))
                kinds["dosimetry"].append(DosimetryMeasurement(
                    patient_id=pid, course=course, cycle=c, region="kidneys", time_after_administration_h=float(t),
                    activity_mbq=round(float(a_kid), 2), mass_g=round(float(rng.normal(320, 30)), 1)))
            kinds["imaging"].append(ImagingStudy(
                patient_id=pid, study_id=f"SPECT-C{c}", modality="spect_ct", study_date=at.date() + timedelta(days=1),
                cycle=c, time_after_administration_h=24.0, ttv_ml=round(float(400 * 0.8 ** c), 1)))
        kinds["imaging"].append(ImagingStudy(
            patient_id=pid, study_id="PSMA-BL", modality="psma_pet", study_date=start - timedelta(days=21),
            tracer="68Ga-PSMA-11", ttv_ml=round(float(rng.uniform(150, 900)), 1), vision_psma_positive=True,
            vision_psma_negative_lesion=False, suv_max_hottest=round(float(rng.uniform(15, 60)), 1),
            liver_suv_mean=5.2))
        kinds["imaging"].append(ImagingStudy(
            patient_id=pid, study_id="CT-BL", modality="ct", study_date=start - timedelta(days=20)))
        kinds["imaging"].append(ImagingStudy(
            patient_id=pid, study_id="CT-W12", modality="ct", study_date=start + timedelta(weeks=12)))
        for sid, shrink in (("CT-BL", 1.0), ("CT-W12", 0.7 if i != 6 else 1.3)):
            kinds["lesions"] += [
                Lesion(patient_id=pid, study_id=sid, lesion_id="T1", organ="lymph node", site="para-aortic",
                       lesion_type="lymph_node", longest_diameter_mm=round(32 * shrink, 1),
                       short_axis_mm=round(21 * shrink, 1), is_target=True),
                Lesion(patient_id=pid, study_id=sid, lesion_id="T2", organ="liver", site="segment VII",
                       lesion_type="visceral", longest_diameter_mm=round(24 * shrink, 1), is_target=True),
                Lesion(patient_id=pid, study_id=sid, lesion_id="NT1", organ="bone", site="L3",
                       lesion_type="bone", is_target=False),
            ]
        kinds["adverse_events"] += [
            AdverseEvent(patient_id=pid, ae_id="AE1", term="Dry mouth", grade=1, onset_date=start + timedelta(days=10),
                         attribution="probable"),
            AdverseEvent(patient_id=pid, ae_id="AE2", term="Fatigue", grade=int(rng.integers(1, 3)),
                         onset_date=start + timedelta(days=4), resolution_date=start + timedelta(days=20),
                         attribution="possible"),
        ]
        for tp, day in (("baseline", start - timedelta(days=7)), ("week 18", start + timedelta(weeks=18))):
            for item, val in zip(("MO", "SC", "UA", "PD", "AD"), rng.integers(1, 4, 5), strict=True):
                kinds["pro_answers"].append(ProAnswer(patient_id=pid, instrument="eq5d5l", item=item, value=str(val),
                                                      answered_on=day, timepoint=tp))
        last = start + timedelta(weeks=6 * n_cycles + 10)
        if i == 6:
            kinds["events"].append(ClinicalEvent(patient_id=pid, event_id="EV1", kind="progression",
                                                 progression_kind="psa", event_date=start + timedelta(weeks=8)))
            kinds["events"].append(ClinicalEvent(patient_id=pid, event_id="EV2", kind="death", event_date=last,
                                                 cause="prostate cancer"))
        else:
            kinds["events"].append(ClinicalEvent(patient_id=pid, event_id="EV1", kind="last_contact", event_date=last))
    counts = write_folder(OUT, kinds)
    print(counts)


def _labs(pid: str, day: date, c: int) -> list[LabResult]:
    drop = 1 - 0.06 * c
    return [
        LabResult(patient_id=pid, analyte="haemoglobin", sampled_on=day, value=round(float(rng.normal(11.8, 1.0)) * drop, 1),
                  unit="g/dL", lln=13.5, uln=17.5),
        LabResult(patient_id=pid, analyte="platelets", sampled_on=day, value=round(float(rng.normal(230, 50)) * drop),
                  unit="10^9/L", lln=150, uln=400),
        LabResult(patient_id=pid, analyte="neutrophils", sampled_on=day, value=round(float(rng.normal(4.0, 0.8)) * drop, 2),
                  unit="10^9/L", lln=1.8, uln=7.5),
        LabResult(patient_id=pid, analyte="wbc", sampled_on=day, value=round(float(rng.normal(6.5, 1.2)) * drop, 1),
                  unit="10^9/L", lln=4.0, uln=10.0),
        LabResult(patient_id=pid, analyte="creatinine", sampled_on=day, value=round(float(rng.normal(85, 12)) / drop),
                  unit="umol/L", lln=62, uln=106),
        LabResult(patient_id=pid, analyte="bilirubin", sampled_on=day, value=round(float(rng.normal(9, 2)), 1),
                  unit="umol/L", lln=3, uln=21),
        LabResult(patient_id=pid, analyte="alt", sampled_on=day, value=round(float(rng.normal(25, 6))), unit="U/L",
                  lln=7, uln=56),
        LabResult(patient_id=pid, analyte="ast", sampled_on=day, value=round(float(rng.normal(28, 6))), unit="U/L",
                  lln=10, uln=40),
        LabResult(patient_id=pid, analyte="testosterone", sampled_on=day, value=0.4, unit="nmol/L", uln=1.7),
    ]


if __name__ == "__main__":
    main()
