"""The label's electrolyte/metabolic row (issue 12 §3): electrolytes only, from labs and AEs.

Pluvicto US PI §2.4 Table 1 (secondary transcription, shared/domain/standards.md): "Electrolyte or
metabolic abnormalities: G≥2 → withhold until G≤1 or baseline."  Expected grades are read off the
CTCAE v5.0 text as pharmaverse admiral grades it (ncictcaev5.json, commit 6eb5125): potassium
"<3.0 - 2.5 mmol/L" is grade 3, "<LLN - 3.0 mmol/L" grade 2 (admiral assumes symptomatic); an
anorexia AE is a Metabolism and nutrition disorder but not an electrolyte term.  Values invented.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lutetia.decide import next_cycle
from lutetia.protocols import load_protocol
from lutetia.records import Analyte, LabResult

from .builders import PID, ae, bone_lesion, given, panel, pet, record

C1 = date(2025, 1, 6)
C2_DUE = date(2025, 2, 17)
BASE, PRE_C2 = date(2025, 1, 3), date(2025, 2, 14)
ROW = "label.mod.electrolyte-g2"


def potassium(day: date, value: float) -> LabResult:
    return LabResult(patient_id=PID, analyte=Analyte.potassium, sampled_on=day, value=value, unit="mmol/L",
                     lln=3.5, uln=5.1)


def decide(on: date = C2_DUE, labs: list[Any] | None = None, adverse_events: list[Any] | None = None) -> Any:
    rec = record(labs=[*panel(BASE), *panel(PRE_C2), *(labs or [])], administrations=[given(1, C1)],
                 imaging=[pet("PET0", date(2024, 12, 20))], lesions=[bone_lesion("PET0")],
                 adverse_events=adverse_events or [])
    return next_cycle(rec, load_protocol("pluvicto-label"), "standard", on)


def fired(d: Any) -> list[str]:
    return [r.rule_id for r in d.rules if r.rule_id.startswith("label.mod.")]


def test_grade_2_anorexia_no_longer_withholds() -> None:
    # Anorexia (CTCAE v5.0 Metabolism and nutrition disorders) grade 2, new since cycle 1: not an
    # electrolyte abnormality, and no other label row names it.
    d = decide(adverse_events=[ae("AE1", "Anorexia", 2, date(2025, 1, 25))])
    assert d.kind == "administer" and fired(d) == []
    assert {r.rule_id: r for r in d.checked}[ROW].outcome.value == "not met"


def test_new_hypokalaemia_by_lab_withholds_until_grade_1() -> None:
    # Baseline 4.0 mmol/L (grade 0); 2.9 mmol/L before cycle 2 is "<3.0 - 2.5": grade 3 (≥2).
    d = decide(labs=[potassium(BASE, 4.0), potassium(PRE_C2, 2.9)])
    assert d.kind == "withhold" and fired(d) == [ROW]
    assert d.rules[0].evaluation is not None
    assert d.rules[0].evaluation.facts[0].source == ("Hypokalemia grade 3 from labs potassium 2025-02-14 = 2.9 mmol/L "
                                                     "(baseline grade 0)")
    # 3.2 mmol/L with LLN 3.5 is "<LLN - 3.0": grade 2 as admiral reads it (symptomatic assumed) — still withheld.
    still = decide(date(2025, 2, 24), labs=[potassium(BASE, 4.0), potassium(PRE_C2, 2.9),
                                             potassium(date(2025, 2, 21), 3.2)])
    assert still.kind == "withhold" and fired(still) == [ROW]
    back = decide(date(2025, 2, 24), labs=[potassium(BASE, 4.0), potassium(PRE_C2, 2.9),
                                            potassium(date(2025, 2, 21), 3.6)])
    assert back.kind == "administer"  # 3.6 ≥ LLN: grade 0


def test_hypokalaemia_already_present_at_baseline_is_not_withheld() -> None:
    # 3.2 mmol/L at baseline and 3.3 now: grade 2 both times, not worse than its baseline ("or baseline").
    d = decide(labs=[potassium(BASE, 3.2), potassium(PRE_C2, 3.3)])
    assert d.kind == "administer" and fired(d) == []


def test_an_electrolyte_adverse_event_recorded_by_the_investigator_still_triggers() -> None:
    # Grade-2 hyponatraemia recorded as an AE (e.g. 125-129 mmol/L, asymptomatic); no sodium in the record.
    hypo = ae("AE2", "Hyponatremia", 2, date(2025, 2, 10))
    d = decide(adverse_events=[hypo])
    assert d.kind == "withhold" and fired(d) == [ROW]
    assert "adverse_events AE2 Hyponatremia grade 2" in d.rules[0].evaluation.facts[0].source
    # A normal sodium does not close the investigator's open AE: the withhold lasts until it is resolved.
    na = LabResult(patient_id=PID, analyte=Analyte.sodium, sampled_on=PRE_C2, value=138, unit="mmol/L",
                   lln=135, uln=145)
    assert decide(labs=[na], adverse_events=[hypo]).kind == "withhold"
    # Resolved before the cycle date: no active grade ≥2 AE, the cycle is given.
    resolved = ae("AE2", "Hyponatremia", 2, date(2025, 2, 10), resolved=date(2025, 2, 14))
    assert decide(date(2025, 2, 18), adverse_events=[resolved]).kind == "administer"


def test_electrolyte_adverse_event_present_at_baseline_is_not_treatment_emergent() -> None:
    # A grade-2 hypomagnesaemia AE open since before cycle 1: its grade now is its baseline grade.
    d = decide(adverse_events=[ae("AE3", "Hypomagnesemia", 2, date(2024, 12, 1))])
    assert d.kind == "administer" and fired(d) == []


def test_without_electrolyte_values_the_row_reads_the_adverse_events_only() -> None:
    # The label asks for no electrolyte panel: no value in the window is no known abnormality,
    # never a "cannot decide" for every patient.
    d = decide()
    assert d.kind == "administer"
    row = {r.rule_id: r for r in d.checked}[ROW]
    assert row.evaluation is not None and row.evaluation.facts[0].value == 0


def test_an_electrolyte_value_without_its_reference_range_is_named_not_passed() -> None:
    # Potassium 3.3 with no LLN/ULN: grade 2 (<LLN) vs 0 cannot be told; the row cannot decide.
    k = LabResult(patient_id=PID, analyte=Analyte.potassium, sampled_on=PRE_C2, value=3.3, unit="mmol/L")
    d = decide(labs=[potassium(BASE, 4.0), k])
    assert d.kind == "cannot_decide"
    assert any("Hypokalemia on 2025-02-14: not gradable" in m for m in d.missing)


def test_calcium_reported_in_mg_dl_is_graded_with_ctcae_own_cut_offs() -> None:
    # 11.6 mg/dL is ">11.5 - 12.5 mg/dL": grade 2 hypercalcaemia, new since a 9.5 mg/dL baseline (ULN 10.5).
    def ca(day: date, value: float) -> LabResult:
        return LabResult(patient_id=PID, analyte=Analyte.calcium, sampled_on=day, value=value, unit="mg/dL",
                         lln=8.5, uln=10.5)
    assert decide(labs=[ca(BASE, 9.5), ca(PRE_C2, 11.6)]).kind == "withhold"
    assert decide(labs=[ca(BASE, 9.5), ca(PRE_C2, 11.5)]).kind == "administer"  # grade 1


def test_without_a_baseline_potassium_an_abnormal_value_counts_as_new() -> None:
    # No potassium before cycle 1 is no known abnormality then (grade 0): 2.9 mmol/L now (grade 3) withholds.
    d = decide(labs=[potassium(PRE_C2, 2.9)])
    assert d.kind == "withhold" and fired(d) == [ROW]


def test_the_row_names_the_eight_electrolyte_terms_not_the_soc() -> None:
    from lutetia.decide.facts_ctcae import LAB_TERMS, RECORDED_LAB_TERMS

    row = next(m for m in load_protocol("pluvicto-label").modifications if m.id == ROW)
    eight = {"Hypokalemia", "Hyperkalemia", "Hyponatremia", "Hypernatremia",
             "Hypocalcemia", "Hypercalcemia", "Hypomagnesemia", "Hypermagnesemia"}
    assert row.trigger.soc is None and set(row.trigger.terms) == eight == RECORDED_LAB_TERMS
    assert {LAB_TERMS[t] for t in eight} == {Analyte.potassium, Analyte.sodium, Analyte.calcium, Analyte.magnesium}
