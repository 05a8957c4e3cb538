"""Cycle 1 is gated by the pre-treatment blood counts; grade ≥3 laboratory values are flagged.

Thresholds from VISION's bone-marrow reserve (Sartor et al., N Engl J Med 2021;385:1091):
ANC ≥1.5 × 10⁹/L, platelets ≥100 × 10⁹/L, haemoglobin ≥9 g/dL.  Before the fix, grade-4
platelets and neutrophils at cycle 1 gave "administer 7.4 GBq" on the label, PRODIGY-2 fixed
and RE-LuPSMA (the label's rows read "beyond baseline", and at cycle 1 the baseline is today).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lutetia.decide import next_cycle
from lutetia.protocols import load_protocol

from .builders import bone_lesion, lab, panel, pet, record

C1 = date(2025, 1, 6)


def _first(protocol: str, arm: str, labs: list[Any]) -> Any:
    kids = {"labs": labs, "imaging": [pet("PET0", date(2024, 12, 20))], "lesions": [bone_lesion("PET0")]}
    return next_cycle(record(**kids), load_protocol(protocol), arm, C1)


@pytest.mark.parametrize(("protocol", "arm"), [("pluvicto-label", "standard"), ("prodigy-2", "fixed"),
                                               ("re-lupsma", "rechallenge"), ("flex-mrt", "flexible")])
def test_grade_4_counts_withhold_the_first_dose(protocol: str, arm: str) -> None:
    # platelets 20 (CTCAE G4 <25) and neutrophils 0.4 (G4 <0.5) two days before cycle 1
    d = _first(protocol, arm, panel(date(2025, 1, 4), platelets=20.0, neutrophils=0.4))
    assert d.kind == "withhold" and not d.administer and d.activity_gbq is None
    assert {r.rule_id for r in d.rules} == {"label.pre.platelets", "label.pre.neutrophils"}
    assert "label.flag.ctcae-g3" in [f.rule_id for f in d.flags]


@pytest.mark.parametrize(("analyte", "value", "unit", "kind"), [
    ("platelets", 99.9, None, "withhold"), ("platelets", 100.0, None, "administer"), ("platelets", 100.1, None, "administer"),
    ("neutrophils", 1.49, None, "withhold"), ("neutrophils", 1.5, None, "administer"), ("neutrophils", 1.51, None, "administer"),
    ("haemoglobin", 8.9, "g/dL", "withhold"), ("haemoglobin", 9.0, "g/dL", "administer"),
    ("haemoglobin", 90.0, "g/L", "administer"), ("haemoglobin", 89.9, "g/L", "withhold"),
    ("haemoglobin", 5.586, "mmol/L", "administer"),  # 9 g/dL Hb monomer (16.114 g/mol): 9/1.6114 = 5.5852 mmol/L
])
def test_first_dose_thresholds_below_at_above(analyte: str, value: float, unit: str | None, kind: str) -> None:
    labs = [x for x in panel(date(2025, 1, 4)) if x.analyte.value != analyte]
    from lutetia.records import Analyte

    labs.append(lab(Analyte(analyte), date(2025, 1, 4), value, unit))
    d = _first("pluvicto-label", "standard", labs)
    assert d.kind == kind, (d.kind, d.rules, d.missing)
    if kind == "administer":
        assert d.activity_gbq == pytest.approx(7.4)


def test_missing_pretreatment_count_cannot_decide() -> None:
    labs = [x for x in panel(date(2025, 1, 4)) if x.analyte.value != "neutrophils"]
    d = _first("pluvicto-label", "standard", labs)
    assert d.kind == "cannot_decide" and any("neutrophil" in m for m in d.missing)


def test_grade_3_value_is_flagged_at_the_first_dose() -> None:
    # creatinine 3.5 × ULN (110 µmol/L → 385) is CTCAE G3 (>3.0-6.0 × ULN): flagged, not withheld
    labs = [x for x in panel(date(2025, 1, 4)) if x.analyte.value != "creatinine"]
    from lutetia.records import Analyte

    labs.append(lab(Analyte.creatinine, date(2025, 1, 4), 385.0))
    d = _first("pluvicto-label", "standard", labs)
    assert d.kind == "administer"
    assert [f.rule_id for f in d.flags] == ["label.flag.ctcae-g3"]


def test_ecog3_registry_treats_grade_4_platelets_with_the_flag_shown() -> None:
    # Bastian 2025 (seed 004): "two grade 3 and one grade 4" thrombocytopenia before therapy,
    # treated with an individualised activity: no first-dose gate, the G≥3 value is flagged.
    from lutetia.protocols import load_protocol as lp

    p = lp("ecog3-registry")
    assert not [m.id for m in p.modifications if m.family == "pretreatment"]
    d = next_cycle(record(labs=panel(date(2025, 1, 4), platelets=20.0),
                          imaging=[pet("PET0", date(2024, 12, 20))], lesions=[bone_lesion("PET0")]),
                   p, "individualised", C1, requested_activity_gbq=5.0)
    assert d.kind != "withhold"
    assert "label.flag.ctcae-g3" in [f.rule_id for f in d.flags]
