"""Plausibility limits: the data file loads, limits are inclusive, units convert before the
comparison, and messages use display units.

Expected numbers: the limits as written in ``plausibility.toml`` (haemoglobin hard 10–260 g/L,
soft 50–200 g/L; kidneys hard 30–1500 g) and unit factors by hand (1 g/dL = 10 g/L;
creatinine 1 mg/dL = 88.40 µmol/L, PubChem CID 588); the ¹⁷⁷Lu half-life 6.647 d (ICRP-107).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lutetia.records import Administration, DosimetryMeasurement, LabResult, Patient, build_record
from lutetia.records.plausibility import activity_balance, lab_findings, limits, record_findings


def _hb(value: float, unit: str = "g/L") -> LabResult:
    return LabResult(patient_id="P", analyte="haemoglobin", sampled_on=date(2025, 1, 1), value=value, unit=unit)


def test_every_analyte_limit_loads_with_a_source() -> None:
    table = limits()
    assert len(table.lab) == 18
    assert all(lim.source for lim in [*table.lab.values(), *table.patient.values(), *table.organ_mass.values()])
    assert table.half_life_h == pytest.approx(6.647 * 24)


@pytest.mark.parametrize(("value", "unit", "severity"), [
    (9.99, "g/L", "hard"), (10.0, "g/L", "soft"), (49.99, "g/L", "soft"), (50.0, "g/L", None),
    (200.0, "g/L", None), (200.01, "g/L", "soft"), (260.0, "g/L", "soft"), (260.01, "g/L", "hard"),
    (1906.974, "g/L", "hard"),            # the demo's haemoglobin graded G0 (issue 17)
    (13.1, "g/dL", None), (26.01, "g/dL", "hard"), (13.1, "g/L", "soft"),  # g/dL typed as g/L
])
def test_haemoglobin_boundaries_in_both_units(value: float, unit: str, severity: str | None) -> None:
    found = lab_findings(_hb(value, unit))
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_messages_use_display_units() -> None:
    lab = LabResult(patient_id="P", analyte="platelets", sampled_on=date(2025, 1, 1), value=235000, unit="10^9/L")
    (f,) = lab_findings(lab)
    assert "235000 10⁹/L is impossible; accepted: 0–5000 10⁹/L" in f.text()
    assert "giga_per_L" not in f.text()
    crea = LabResult(patient_id="P", analyte="creatinine", sampled_on=date(2025, 1, 1), value=0.9, unit="umol/L")
    assert "µmol/L" in lab_findings(crea)[0].text()


def test_kidney_mass_in_kg_typed_as_g_is_refused() -> None:
    d = DosimetryMeasurement(patient_id="P", cycle=1, region="kidneys", time_after_administration_h=24,
                             activity_mbq=100, mass_g=0.3)
    assert [(f.severity, f.field) for f in record_findings(d)] == [("hard", "mass (kidneys)")]
    lesion = DosimetryMeasurement(patient_id="P", cycle=1, region="lesion", lesion_id="L1",
                                  time_after_administration_h=24, activity_mbq=1, mass_g=0.3)
    assert record_findings(lesion) == []


def test_height_in_metres_is_refused() -> None:
    p = Patient(patient_id="P", sex="male", birth_year=1950, weight_kg=81, height_cm=1.8)
    assert [(f.severity, f.field) for f in record_findings(p)] == [("hard", "height")]


def test_activity_balance_is_decay_corrected() -> None:
    """7.4 GBq net at t = 0; after one half-life (159.528 h) 3700 MBq remain (by hand)."""
    patient = Patient(patient_id="P", sex="male", birth_year=1950)
    admin = Administration(patient_id="P", cycle=1, administered_at=datetime(2025, 1, 1, 9, tzinfo=UTC),
                           activity_gbq=7.4)

    def at(mbq: float) -> list[str]:
        d = DosimetryMeasurement(patient_id="P", cycle=1, region="whole_body", time_after_administration_h=159.528,
                                 activity_mbq=mbq)
        rec = build_record(patient, {"administrations": [admin], "dosimetry": [d]})
        return [f.severity for _d, f in activity_balance(rec)]

    assert at(3700.0) == []
    assert at(3700.5) == ["soft"]
    assert at(3700 * 1.25) == ["soft"]
    assert at(3700 * 1.25 + 1) == ["hard"]
    assert at(21.4e6) == ["hard"]  # 21.4 TBq after 7.4 GBq (issue 17)
