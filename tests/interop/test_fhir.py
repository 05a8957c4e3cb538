"""FHIR R4B: every exported resource validated by the fhir.resources models, LOINC codes checked,
the lab round trip exact, and a hand-written hospital Bundle imported with its problems listed.

LOINC check digits: the mod-10 algorithm of the LOINC Users' Guide, checked by hand on 718-7
(digits 7 1 8: 8×2 = 16 → 1+6 = 7, 1, 7×2 = 14 → 1+4 = 5; 7 + 1 + 5 = 13; 20 − 13 = 7).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.interop.fhir import CTCAE_GRADE_EXTENSION, lab_bundle, patient_bundle, read_lab_bundle
from lutetia.interop.fhir_codes import ANALYTE_BY_LOINC, LOINC_DISPLAY, loinc_check_digit_ok
from lutetia.records import ANALYTES, LabResult, PatientRecord
from lutetia.store.repository import Store

runner = CliRunner()


@pytest.mark.parametrize(("code", "ok"), [("718-7", True), ("718-3", False), ("2857-1", True), ("2857-2", False),
                                          ("98979-8", True), ("x-1", False), ("718", False)])
def test_loinc_check_digit(code: str, ok: bool) -> None:
    assert loinc_check_digit_ok(code) is ok


def test_every_analyte_loinc_code_is_well_formed_and_listed() -> None:
    codes = {s.loinc for s in ANALYTES.values() if s.loinc} | {s.loinc_molar for s in ANALYTES.values() if s.loinc_molar}
    assert all(loinc_check_digit_ok(c) for c in codes), [c for c in codes if not loinc_check_digit_ok(c)]
    assert set(LOINC_DISPLAY) == codes and len(ANALYTE_BY_LOINC) == len(codes)
    # a [Moles/volume] code beside each [Mass/volume] code whose analyte converts through a molar mass
    for spec in ANALYTES.values():
        if spec.loinc_molar:
            assert "[Mass/volume]" in LOINC_DISPLAY[spec.loinc or ""] and spec.molar_name
            assert "[Moles/volume]" in LOINC_DISPLAY[spec.loinc_molar]


@pytest.mark.parametrize(("analyte", "value", "unit", "code"), [
    # LOINC property: MCnc for mass concentrations, SCnc for substance concentrations
    ("creatinine", 1.0, "mg/dL", "2160-0"), ("creatinine", 88.0, "umol/L", "14682-9"),
    ("creatinine", 88.0, "µmol/L", "14682-9"), ("haemoglobin", 13.0, "g/dL", "718-7"),
    ("haemoglobin", 8.1, "mmol/L", "59260-0"), ("calcium", 9.5, "mg/dL", "17861-6"),
    ("calcium", 2.4, "mmol/L", "2000-8"), ("bilirubin", 10.0, "umol/L", "14631-6"),
    ("magnesium", 0.85, "mmol/L", "2601-3"), ("testosterone", 0.5, "nmol/L", "14913-8"),
    ("testosterone", 20.0, "ng/dL", "2986-8"), ("potassium", 4.2, "mmol/L", "2823-3"), ("psa", 5.0, "ng/mL", "2857-1"),
])
def test_loinc_code_follows_the_reported_unit(analyte: str, value: float, unit: str, code: str) -> None:
    lab = LabResult(patient_id="P-1", analyte=analyte, sampled_on=date(2025, 1, 3), value=value, unit=unit)
    bundle = lab_bundle([lab], "P-1")
    obs = bundle.entry[0].resource  # type: ignore[index]
    assert [c.code for c in obs.code.coding] == [code]  # type: ignore[union-attr]
    parsed = read_lab_bundle(bundle.model_dump_json(exclude_none=True), "P-1")
    assert parsed.problems == [] and parsed.records == [lab]


def test_patient_bundle_validates_with_every_resource_type(sample_records: list[PatientRecord]) -> None:
    rec = next(r for r in sample_records if r.patient_id == "SYN-001")
    text = patient_bundle(rec).model_dump_json(exclude_none=True)
    again = Bundle.model_validate_json(text)  # the R4B models validate every resource
    kinds = Counter(e.resource.get_resource_type() for e in again.entry or [])  # type: ignore[union-attr]
    assert kinds["Patient"] == 1 and kinds["Condition"] == 1 and kinds["ResearchSubject"] == 1
    assert kinds["MedicationAdministration"] == len(rec.administrations) == 4
    assert kinds["AdverseEvent"] == len(rec.adverse_events) and kinds["ImagingStudy"] == len(rec.imaging)
    # labs, dosimetry measurements and one kidney absorbed dose per administered cycle with dosimetry (4)
    assert kinds["Observation"] == len(rec.labs) + len(rec.dosimetry) + 4
    assert kinds["DiagnosticReport"] == len({(m.course, m.cycle) for m in rec.dosimetry})
    doc = json.loads(text)
    ids = [e["resource"]["id"] for e in doc["entry"]]
    assert len(set(ids)) == len(ids)
    adm = next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "MedicationAdministration")
    # the sample's first dose: 7.4 GBq syringe, 0.047 GBq residual → 7.353 GBq injected
    assert adm["dosage"]["dose"] == {"value": 7.353, "unit": "GBq", "system": "http://unitsofmeasure.org",
                                     "code": "GBq"}
    ae = next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "AdverseEvent")
    assert ae["extension"][0]["url"] == CTCAE_GRADE_EXTENSION and ae["extension"][0]["valueInteger"] in range(1, 6)
    hgb = next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Observation"
               and e["resource"]["code"].get("coding", [{}])[0].get("code") == "718-7")
    assert hgb["code"]["coding"][0]["display"] == "Hemoglobin [Mass/volume] in Blood"
    # the same record always gives the same ids
    assert patient_bundle(rec).model_dump_json(exclude_none=True) == text


def test_lab_round_trip_is_exact() -> None:
    labs = [LabResult(patient_id="P-1", analyte="haemoglobin", sampled_on=date(2025, 1, 3), value=13.2, unit="g/dL",
                      lln=13.0, uln=17.0, lab="CHU Lyon"),
            LabResult(patient_id="P-1", analyte="platelets", sampled_on=date(2025, 1, 3), value=0.1 + 0.2,
                      unit="10^9/L", sampled_at=datetime(2025, 1, 3, 7, 45, 12, tzinfo=UTC)),
            LabResult(patient_id="P-1", analyte="egfr", sampled_on=date(2025, 1, 3), value=61.0, unit="mL_min_1_73m2"),
            LabResult(patient_id="P-1", analyte="psa", sampled_on=date(2025, 1, 4), value=1234.5678901234, unit="ug/L",
                      uln=4.0)]
    parsed = read_lab_bundle(lab_bundle(labs, "P-1").model_dump_json(exclude_none=True), "P-1")
    assert parsed.problems == []
    assert parsed.records == labs  # values (0.30000000000000004 included), units, ranges, times, lab


HOSPITAL = {
    "resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "id": "hb", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "laboratory"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                      "effectiveDateTime": "2025-02-03T08:15:00+01:00",
                      "valueQuantity": {"value": 12.9, "unit": "g/dL", "system": "http://unitsofmeasure.org",
                                        "code": "g/dL"},
                      "referenceRange": [{"low": {"value": 13.5}, "high": {"value": 17.5}}]}},
        {"resource": {"resourceType": "Observation", "id": "plt", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
                      "effectiveDateTime": "2025-02-03",
                      "valueQuantity": {"value": 180, "system": "http://unitsofmeasure.org", "code": "10*9/L"}}},
        {"resource": {"resourceType": "Observation", "id": "glu", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
                      "effectiveDateTime": "2025-02-03", "valueQuantity": {"value": 5.4, "unit": "mmol/L"}}},
        {"resource": {"resourceType": "Observation", "id": "crea", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                      "effectiveDateTime": "2025-02-03", "valueQuantity": {"value": 88, "unit": "kg"}}},
        {"resource": {"resourceType": "Observation", "id": "psa", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "2857-1"}]},
                      "effectiveDateTime": "2025-02-03", "valueString": "pending"}},
        {"resource": {"resourceType": "Observation", "id": "bp", "status": "final",
                      "subject": {"reference": "Patient/123"},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "vital-signs"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                      "effectiveDateTime": "2025-02-03", "valueQuantity": {"value": 130, "unit": "mm[Hg]"}}},
    ]}


def test_hospital_bundle_problems_are_listed() -> None:
    parsed = read_lab_bundle(json.dumps(HOSPITAL), "P-9", source="hospital.json")
    assert [p.split(": field ")[0] for p in parsed.problems] == [
        "hospital.json: entry 2 (Observation glu)", "hospital.json: entry 3 (Observation crea)",
        "hospital.json: entry 4 (Observation psa)"]  # the vital-signs Observation is not a lab: ignored
    assert "value '2345-7': not a test Lutetia keeps" in parsed.problems[0]
    assert "unit 'kg' is not a unit of creatinine" in parsed.problems[1]
    assert "valueQuantity: missing" in parsed.problems[2]


def test_hospital_bundle_labs_import(tmp_path: Path, sample_path: Path) -> None:
    good = {**HOSPITAL, "entry": HOSPITAL["entry"][:2]}  # type: ignore[index]
    parsed = read_lab_bundle(json.dumps(good), "SYN-001")
    hb, plt = parsed.records
    assert isinstance(hb, LabResult) and isinstance(plt, LabResult)
    # time and date kept in the hospital's offset; UCUM 10*9/L read as 10^9/L; value as reported
    assert (hb.sampled_on, hb.sampled_at, hb.value, hb.unit, hb.lln, hb.uln) == (
        date(2025, 2, 3), datetime.fromisoformat("2025-02-03T08:15:00+01:00"), 12.9, "g/dL", 13.5, 17.5)
    assert (plt.value, plt.unit, plt.canonical()[0]) == (180.0, "10^9/L", 180.0)
    bundle = tmp_path / "hospital.json"
    bundle.write_text(json.dumps(good), encoding="utf-8")
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(sample_path)]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "--user", "t", "fhir", "import-labs", str(bundle), "--patient",
                                 "SYN-001"])
    assert result.exit_code == 0, result.stderr
    assert "labs: 2 inserted" in result.stdout
    labs = Store.open(f"sqlite:///{db}").record("SYN-001").labs
    assert sum(1 for x in labs if x.sampled_on == date(2025, 2, 3)) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(HOSPITAL), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "--user", "t", "fhir", "import-labs", str(bad), "--patient",
                                 "SYN-001"])
    assert result.exit_code == 1 and "3 problem(s); nothing was written" in result.stderr


def test_fhir_export_cli(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(sample_path)]).exit_code == 0
    out = tmp_path / "syn6.json"
    result = runner.invoke(app, ["--db", str(db), "fhir", "export", "SYN-006", str(out)])
    assert result.exit_code == 0, result.stderr
    Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    result = runner.invoke(app, ["--db", str(db), "fhir", "export", "NOPE", str(out)])
    assert result.exit_code == 1 and "NOPE" in result.stderr


def test_dosimetry_reports_carry_the_kidney_ledger_doses(sample_records: list[PatientRecord]) -> None:
    """Each cycle's DiagnosticReport lists the kidney absorbed dose Observation (Gy, with BED,
    cumulative BED and Gy/GBq), carried exactly from the ledger the decisions use (the values
    themselves are tested in tests/analysis and tests/physics)."""
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport
    from fhir.resources.R4B.observation import Observation

    from lutetia.analysis.kidney import kidney_ledger

    rec = next(r for r in sample_records if r.patient_id == "SYN-001")
    entries = [e.resource for e in patient_bundle(rec).entry or []]
    doses = {o.id: o for o in entries if isinstance(o, Observation) and o.code.text == "177Lu absorbed dose to the kidneys"}
    ledger = [row for row in kidney_ledger(rec, "prodigy-2") if row.dose_gy is not None]
    assert len(doses) == len(ledger) >= 2
    by_date = {o.effectiveDateTime.date(): o for o in doses.values()}  # type: ignore[union-attr]
    for row in ledger:
        obs = by_date[row.date]
        assert (float(obs.valueQuantity.value), obs.valueQuantity.code) == (row.dose_gy, "Gy")  # type: ignore[union-attr]
        parts = {c.code.text: float(c.valueQuantity.value) for c in obs.component or []}  # type: ignore[union-attr]
        assert parts["biologically effective dose"] == row.bed_gy
        assert parts["cumulative biologically effective dose"] == row.cumulative_bed_gy
    reports = [r for r in entries if isinstance(r, DiagnosticReport)]
    linked = {ref.reference.removeprefix("urn:uuid:") for r in reports for ref in r.result or []}  # type: ignore[union-attr]
    assert set(doses) <= linked
