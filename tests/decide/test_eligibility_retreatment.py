"""ReaLuP and RE-LuPSMA eligibility defects (issue 12 §3), scenario by scenario.

Every expected outcome is read from the seed texts (ReaLuP: shared/seeds/001, NCT06866938
Inclusion 4-10 and Exclusion 3; RE-LuPSMA: shared/seeds/003, Methods), with values just
below, at and just above each cut-off.  Day counts and PSA arithmetic are done by hand in
the comments (never with the code under test).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from lutetia.decide import Outcome, assess_eligibility
from lutetia.protocols import load_protocol
from lutetia.records import Analyte, ImagingStudy, Lesion

from .builders import PID, event, given, line, pet, psa, record
from .test_eligibility import ON, QUALIFYING, _replace_course, realup_children

LAST = date(2023, 6, 1)  # last injection of the first course in realup_children()


def _outcome(children: dict[str, list[Any]], criterion: str, protocol: str = "realup") -> Outcome:
    result = assess_eligibility(record(**children), load_protocol(protocol), ON)
    return next(c for c in result.criteria if c.result.rule_id == criterion).result.outcome


def _fact(children: dict[str, list[Any]], criterion: str, fact: str, protocol: str = "realup") -> Any:
    result = assess_eligibility(record(**children), load_protocol(protocol), ON)
    crit = next(c for c in result.criteria if c.result.rule_id == criterion)
    assert crit.result.evaluation is not None
    return next(f for f in crit.result.evaluation.facts if f.fact == fact)


def _without_course_progression() -> dict[str, list[Any]]:
    return _replace_course(realup_children(), progression_date=None)


# ---------------------------------------------------------------- 1. the 120-day rule
# 2023-06-01 + 119 d = 2023-09-28 (June 29 d to 06-30, +31 July = 60 → 07-31, +31 Aug = 91 → 08-31, +28 → 09-28)
@pytest.mark.parametrize(("day", "kind", "excluded"), [
    (date(2023, 9, 28), "radiographic", True),     # 119 days: within the first 120 days
    (date(2023, 9, 29), "radiographic", False),    # 120 days: "at least 120 days after"
    (date(2023, 9, 30), "radiographic", False),    # 121 days
    (date(2023, 9, 28), "clinical", True),
    (date(2023, 9, 28), "radiographic_bone", True),
    (date(2023, 9, 28), "investigator", True),     # investigator-assessed: not PSA-only, counts
    (date(2023, 7, 31), "psa", False),             # 60 days, PSA-only: must not exclude
])
def test_only_radiological_or_clinical_progression_within_120_days_excludes(
        day: date, kind: str, excluded: bool) -> None:
    children = _without_course_progression()
    children["events"] = [event("P1", "progression", day, progression_kind=kind)]
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert ("realup.exc.under-120-days" in result.failed) is excluded
    assert ("realup.inc.progression-120-days" in result.failed) is excluded
    if not excluded:
        assert result.verdict == "eligible", (result.failed, result.missing)


def test_psa_only_early_progression_then_radiological_after_120_days_is_eligible() -> None:
    children = _without_course_progression()
    children["events"] = [event("P1", "progression", date(2023, 7, 31), progression_kind="psa"),
                          event("P2", "progression", date(2023, 12, 1), progression_kind="radiographic")]
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert result.verdict == "eligible", (result.failed, result.missing)
    days = _fact(children, "realup.exc.under-120-days",
                 "days_last_lu_injection_to_radiological_or_clinical_progression")
    assert days.value == 183.0  # 2023-06-01 → 2023-12-01: 29 + 31 + 31 + 30 + 31 + 30 + 1 = 183


@pytest.mark.parametrize(("progression_type", "outcome"), [
    ("psa", Outcome.NOT_MET), ("radiographic", Outcome.MET), ("clinical", Outcome.MET),
    (None, Outcome.NOT_EVALUABLE),   # 61 days, type not recorded: it may be radiological
])
def test_first_course_progression_date_counts_by_its_type(progression_type: str | None, outcome: Outcome) -> None:
    children = _replace_course(realup_children(), progression_date=date(2023, 8, 1),
                               progression_type=progression_type)
    assert _outcome(children, "realup.exc.under-120-days") is outcome


def test_no_progression_recorded_or_measured_is_not_a_pass() -> None:
    children = _without_course_progression()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.psa]
    assert _outcome(children, "realup.inc.progression-120-days") is Outcome.NOT_EVALUABLE


# ---------------------------------------------------------------- 2. PSA progression from the lab series
def _course_psa(*after_course: tuple[date, float]) -> dict[str, list[Any]]:
    """First course 2023-01-10 → 2023-06-01; baseline 40, nadir 4.0 ng/mL on 2023-06-01."""
    children = _without_course_progression()
    series = [psa(date(2023, 1, 5), 40.0), psa(date(2023, 3, 1), 20.0), psa(LAST, 4.0)]
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.psa] + series + [
        psa(d, v) for d, v in after_course]
    return children


# nadir 4.0: +2 ng/mL → 6.0 (50 %); +25 % → 5.0: the absolute rise decides at 6.0
@pytest.mark.parametrize(("rise", "confirm", "outcome"), [
    (5.99, 5.9, Outcome.NOT_MET),    # +1.99 ng/mL: below 2 ng/mL (and 5.9 after it)
    (6.0, 6.0, Outcome.MET),         # +2.00 ng/mL and +50 %, confirmed 21 days later
    (6.01, 6.5, Outcome.MET),
])
def test_realup_psa_progression_definition_is_applied_to_the_lab_series(
        rise: float, confirm: float, outcome: Outcome) -> None:
    # rise 2024-06-03 (368 days after the last injection), confirmation 2024-06-24 (+21 days)
    children = _course_psa((date(2024, 6, 3), rise), (date(2024, 6, 24), confirm))
    fact = _fact(children, "realup.inc.progression-120-days", "progression_after_first_course")
    assert fact.value is (outcome is Outcome.MET)
    assert _outcome(children, "realup.inc.progression-120-days") is outcome


# nadir 10.0: +25 % → 12.5 (+2.5 ng/mL); +2 ng/mL → 12.0: the percentage decides at 12.5
@pytest.mark.parametrize(("rise", "met"), [(12.49, False), (12.5, True), (12.51, True)])
def test_realup_psa_progression_25_percent_cut_off(rise: float, met: bool) -> None:
    children = _without_course_progression()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.psa] + [
        psa(date(2023, 1, 5), 40.0), psa(LAST, 10.0), psa(date(2024, 6, 3), rise), psa(date(2024, 6, 24), rise)]
    fact = _fact(children, "realup.inc.progression-120-days", "progression_after_first_course")
    assert fact.value is met


@pytest.mark.parametrize(("days_later", "outcome"), [
    (20, Outcome.NOT_EVALUABLE),   # "confirmed by a second consecutive value obtained 3 or more weeks later"
    (21, Outcome.MET),
    (22, Outcome.MET),
])
def test_realup_psa_progression_needs_confirmation_3_weeks_later(days_later: int, outcome: Outcome) -> None:
    children = _course_psa((date(2024, 6, 3), 7.0), (date(2024, 6, 3) + timedelta(days=days_later), 7.5))
    assert _outcome(children, "realup.inc.progression-120-days") is outcome


def test_psa_progression_during_the_first_course_fails_inclusion_7_despite_the_recorded_answer() -> None:
    # baseline 40 → nadir 10 (2023-02-20) → 13 on 2023-04-03 (+3 ng/mL, +30 %) confirmed 14 on 2023-04-24:
    # progression during the course (last injection 2023-06-01) although progression_during = False
    children = _without_course_progression()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.psa] + [
        psa(date(2023, 1, 5), 40.0), psa(date(2023, 2, 20), 10.0), psa(date(2023, 4, 3), 13.0),
        psa(date(2023, 4, 24), 14.0), *[x for x in realup_children()["labs"] if x.analyte is Analyte.psa]]
    assert _outcome(children, "realup.inc.first-course") is Outcome.NOT_MET
    children["labs"] = [x if x.sampled_on != date(2023, 4, 3) else psa(date(2023, 4, 3), 11.99)
                        for x in children["labs"]]   # +1.99 ng/mL: no progression; 14.0 alone is unconfirmed
    assert _outcome(children, "realup.inc.first-course") is Outcome.MET


# ---------------------------------------------------------------- 3. concomitant ARSI
# treatment start = ON = 2025-03-10; 2 months = 60.875 days; 2025-01-09 is 60 days before, 2025-01-08 61
@pytest.mark.parametrize(("start", "end", "outcome"), [
    (date(2025, 2, 20), None, Outcome.NOT_MET),             # started 18 days before, ongoing: given together
    (date(2025, 1, 9), None, Outcome.NOT_MET),              # 60 days < 2 months: given together
    (date(2025, 1, 8), None, Outcome.MET),                  # 61 days > 2 months: a prior ARSI
    (date(2025, 2, 20), date(2025, 3, 1), Outcome.MET),     # stopped before the re-treatment: prior
])
def test_arsi_started_with_the_retreatment_is_not_a_prior_arsi(start: date, end: date | None,
                                                               outcome: Outcome) -> None:
    children = realup_children()
    children["prior_therapies"] = [p for p in children["prior_therapies"] if p.line_id != "ARSI"] + [
        line("ARSI", "arsi", start, end_date=end)]
    assert _outcome(children, "realup.inc.prior-arsi") is outcome


def _with_concomitant(start: date, agent: str = "darolutamide", prior_agent: str | None = "enzalutamide") -> Any:
    children = realup_children()
    children["prior_therapies"] = [p for p in children["prior_therapies"] if p.line_id != "ARSI"] + [
        line("ARSI", "arsi", date(2020, 2, 1), end_date=date(2021, 1, 1), agent=prior_agent),
        line("ARSI2", "arsi", start, agent=agent)]
    return children


def test_an_earlier_arsi_still_counts_beside_a_concomitant_one() -> None:
    assert _outcome(_with_concomitant(date(2025, 2, 20)), "realup.inc.prior-arsi") is Outcome.MET


# "this ARSI was initiated at least 15 days before the first cycle": 2025-02-23 is 15 days before 2025-03-10
@pytest.mark.parametrize(("start", "outcome"), [
    (date(2025, 2, 24), Outcome.NOT_MET),   # 14 days before
    (date(2025, 2, 23), Outcome.MET),       # 15 days
    (date(2025, 2, 22), Outcome.MET),       # 16 days
])
def test_concomitant_arsi_must_start_at_least_15_days_before_the_first_cycle(start: date, outcome: Outcome) -> None:
    assert _outcome(_with_concomitant(start), "realup.inc.prior-arsi") is outcome


@pytest.mark.parametrize(("agent", "prior_agent", "outcome"), [
    ("darolutamide", "enzalutamide", Outcome.MET),
    ("Enzalutamide", "enzalutamide", Outcome.NOT_MET),   # "has not received an identical ARSI in the past"
    ("darolutamide", None, Outcome.NOT_EVALUABLE),        # the earlier agent is not recorded
])
def test_concomitant_arsi_must_not_repeat_an_earlier_agent(agent: str, prior_agent: str | None,
                                                          outcome: Outcome) -> None:
    children = _with_concomitant(date(2025, 2, 1), agent, prior_agent)
    assert _outcome(children, "realup.inc.prior-arsi") is outcome


def test_prior_arsi_without_any_history_is_not_evaluable() -> None:
    children = realup_children()
    children["prior_therapies"] = []
    assert _outcome(children, "realup.inc.prior-arsi") is Outcome.NOT_EVALUABLE


# ---------------------------------------------------------------- 4. extra-pelvic measurable nodes
def _ct_only(*lesions: Lesion) -> dict[str, list[Any]]:
    """No bone metastasis: the latest staging (CT 2025-02-26) shows only ``lesions``."""
    children = realup_children()
    children["imaging"] = [*children["imaging"], ImagingStudy(patient_id=PID, study_id="CT1", modality="ct",
                                                              study_date=date(2025, 2, 26))]
    children["lesions"] = [*children["lesions"], *lesions]
    return children


def _node(site: str | None, short_axis: float) -> Lesion:
    return Lesion(patient_id=PID, study_id="CT1", lesion_id="N1", organ="lymph node", site=site,
                  lesion_type="lymph_node", short_axis_mm=short_axis, longest_diameter_mm=short_axis + 5)


@pytest.mark.parametrize(("site", "short_axis", "outcome"), [
    ("para-aortic", 15.0, Outcome.MET),            # RECIST: node measurable at >= 15 mm short axis
    ("para-aortic", 14.9, Outcome.NOT_MET),        # not measurable
    ("retroperitoneal", 22.0, Outcome.MET),
    ("left external iliac", 22.0, Outcome.NOT_MET),  # pelvic (PROMISE miN): does not qualify
    ("obturator", 30.0, Outcome.NOT_MET),
    ("extra-pelvic", 16.0, Outcome.MET),
    (None, 22.0, Outcome.NOT_EVALUABLE),            # station not recorded: never a pass
])
def test_measurable_disease_without_bone_metastases_needs_extra_pelvic_nodes(
        site: str | None, short_axis: float, outcome: Outcome) -> None:
    assert _outcome(_ct_only(_node(site, short_axis)), "realup.inc.metastatic") is outcome


def test_soft_tissue_lesion_qualifies_beside_a_pelvic_node() -> None:
    liver = Lesion(patient_id=PID, study_id="CT1", lesion_id="H1", organ="liver", lesion_type="visceral",
                   longest_diameter_mm=10.0, short_axis_mm=8.0)   # RECIST: non-nodal measurable at >= 10 mm
    children = _ct_only(_node("obturator", 22.0), liver)
    assert _outcome(children, "realup.inc.metastatic") is Outcome.MET


# ---------------------------------------------------------------- 5. PSMA-negative lesions from lesion records
def _pet_lesion(lesion_id: str, kind: str, positive: bool | None, **size: float) -> Lesion:
    return Lesion(patient_id=PID, study_id="PET1", lesion_id=lesion_id, organ="bone" if "bone" in kind else "x",
                  lesion_type=kind, psma_positive_vs_liver=positive, **size)


def _with_pet_lesions(*lesions: Lesion, study_read: bool = True) -> dict[str, list[Any]]:
    children = realup_children()
    study = pet("PET1", date(2025, 2, 25))
    if not study_read:
        study = study.model_copy(update={"vision_psma_positive": None, "vision_psma_negative_lesion": None})
    children["imaging"] = [study]
    children["lesions"] = [_pet_lesion("B1", "bone", True), *lesions]
    return children


@pytest.mark.parametrize(("lesion", "outcome"), [
    (_pet_lesion("N1", "lymph_node", False, short_axis_mm=24.9), Outcome.MET),     # node < 2.5 cm
    (_pet_lesion("N1", "lymph_node", False, short_axis_mm=25.0), Outcome.NOT_MET),  # at 2.5 cm
    (_pet_lesion("N1", "lymph_node", False, short_axis_mm=25.1), Outcome.NOT_MET),
    (_pet_lesion("N1", "lymph_node", True, short_axis_mm=40.0), Outcome.MET),       # above liver uptake
    (_pet_lesion("V1", "visceral", False, short_axis_mm=9.9), Outcome.MET),         # solid organ < 1.0 cm
    (_pet_lesion("V1", "visceral", False, short_axis_mm=10.0), Outcome.NOT_MET),
    (_pet_lesion("S1", "bone_with_soft_tissue", False, soft_tissue_component_mm=9.9), Outcome.MET),
    (_pet_lesion("S1", "bone_with_soft_tissue", False, soft_tissue_component_mm=10.0), Outcome.NOT_MET),
    (_pet_lesion("B2", "bone", False), Outcome.MET),    # bone without soft tissue: not in the definition
])
def test_psma_negative_lesion_definition_is_applied_to_lesion_records(lesion: Lesion, outcome: Outcome) -> None:
    assert _outcome(_with_pet_lesions(lesion), "realup.inc.psma-pet") is outcome


def test_lesion_reads_missing_size_fall_back_to_the_physicians_read() -> None:
    unsure = _pet_lesion("N1", "lymph_node", False)   # uptake <= liver, short axis not recorded
    assert _outcome(_with_pet_lesions(unsure), "realup.inc.psma-pet") is Outcome.MET   # study read: positive
    assert _outcome(_with_pet_lesions(unsure, study_read=False), "realup.inc.psma-pet") is Outcome.NOT_EVALUABLE


def test_physicians_negative_read_wins_over_clean_lesion_records() -> None:
    children = _with_pet_lesions()
    children["imaging"] = [pet("PET1", date(2025, 2, 25)).model_copy(update={"vision_psma_negative_lesion": True})]
    assert _outcome(children, "realup.inc.psma-pet") is Outcome.NOT_MET


# ---------------------------------------------------------------- 6. screening PSA window
# ON - 28 days = 2025-02-10 (February: 10 → 28 is 18 days, + 10 days of March = 28)
@pytest.mark.parametrize(("last_psa_day", "outcome"), [
    (date(2025, 2, 9), Outcome.NOT_EVALUABLE),   # 29 days before: no current screening PSA
    (date(2025, 2, 10), Outcome.MET),             # 28 days before (project-default window)
    (date(2025, 3, 10), Outcome.MET),             # on the screening day
])
def test_screening_psa_may_precede_the_assessment_within_28_days(last_psa_day: date, outcome: Outcome) -> None:
    children = realup_children()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.psa] + [
        psa(date(2024, 12, 1), 5.0), psa(date(2025, 1, 1), 7.0), psa(last_psa_day, 9.0)]
    assert _outcome(children, "realup.inc.progression") is outcome


def test_screening_psa_window_is_marked_project_default() -> None:
    crit = next(c for c in load_protocol("realup").criteria if c.id == "realup.inc.progression")
    assert crit.rule is not None
    leaf = next(x for x in crit.rule.leaves() if x.fact is not None and x.fact.value == "psa_ng_ml")
    assert leaf.window is not None and leaf.window.before == 28 and leaf.window.status == "project default"


# ---------------------------------------------------------------- 7. RE-LuPSMA: rises after the first regimen
def _relu(*values: tuple[date, float], last_injection: date | None = date(2023, 7, 1),
          admins: bool = False) -> dict[str, list[Any]]:
    children = {k: list(v) for k, v in QUALIFYING["re-lupsma"].items()}
    course = line("LU1", "lu_psma", date(2023, 1, 10), cycles=6, last_injection_date=last_injection,
                  best_psa_change_pct=-60.0)
    children["prior_therapies"] = [p for p in children["prior_therapies"] if p.line_id != "LU1"] + [course]
    children["labs"] = [psa(d, v) for d, v in values]
    if admins:   # the earlier course kept as administrations of another protocol, every 6 weeks
        children["administrations"] = [given(k + 1, date(2023, 1, 10) + timedelta(weeks=6 * k),
                                             protocol="pluvicto-label") for k in range(6)]
    return children


def _rises(children: dict[str, list[Any]]) -> Any:
    return _fact(children, "relu.inc.progression", "psa_rises_after_first_course", "re-lupsma")


def test_re_lupsma_two_rises_after_the_first_regimen_qualify() -> None:
    children = _relu((date(2024, 11, 1), 4.0), (date(2024, 12, 1), 6.0), (date(2025, 1, 5), 9.0))
    assert _rises(children).value == 2
    assert _outcome(children, "relu.inc.progression", "re-lupsma") is Outcome.MET


def test_re_lupsma_a_rise_during_the_first_regimen_does_not_count() -> None:
    # 2.0 → 3.0 during the course (last injection 2023-07-01), then 4.0 after it: one rise after the regimen
    children = _relu((date(2023, 5, 1), 2.0), (date(2023, 6, 1), 3.0), (date(2024, 11, 1), 4.0))
    assert _rises(children).value == 1
    assert _outcome(children, "relu.inc.progression", "re-lupsma") is not Outcome.MET


def test_re_lupsma_value_on_the_last_injection_day_is_only_the_reference() -> None:
    children = _relu((date(2023, 6, 1), 2.0), (date(2023, 7, 1), 3.0), (date(2024, 11, 1), 4.0))
    assert _rises(children).value == 1
    children = _relu((date(2023, 7, 1), 3.0), (date(2024, 11, 1), 4.0), (date(2024, 12, 1), 6.0))
    assert _rises(children).value == 2


def test_re_lupsma_first_regimen_end_from_administrations() -> None:
    # no last_injection_date on the line: the 6th administration (2023-01-10 + 30 weeks = 2023-08-08) ends it
    children = _relu((date(2023, 7, 1), 2.0), (date(2023, 8, 1), 3.0), (date(2024, 11, 1), 4.0),
                     last_injection=None, admins=True)
    assert _rises(children).value == 1
    children = _relu((date(2023, 8, 1), 2.0), (date(2024, 11, 1), 3.0), (date(2024, 12, 1), 4.0),
                     last_injection=None, admins=True)
    assert _rises(children).value == 2


def test_re_lupsma_without_the_first_regimen_end_is_not_evaluable() -> None:
    children = _relu((date(2024, 11, 1), 4.0), (date(2024, 12, 1), 6.0), (date(2025, 1, 5), 9.0),
                     last_injection=None)
    assert _rises(children).missing


# the 6th administration is 2023-08-08; 2 months = 60.875 days → 2023-10-07 is 60 days later, 2023-10-08 61
@pytest.mark.parametrize(("therapy_start", "outcome"), [
    (date(2023, 10, 7), Outcome.MET),       # 60 days: "within two months of completing the first regimen"
    (date(2023, 10, 8), Outcome.NOT_MET),   # 61 days
])
def test_re_lupsma_two_month_rule_counts_from_the_last_administration(therapy_start: date, outcome: Outcome) -> None:
    children = _relu((date(2024, 11, 1), 4.0), (date(2024, 12, 1), 6.0), (date(2025, 1, 5), 9.0),
                     last_injection=None, admins=True)
    children["prior_therapies"] = [*children["prior_therapies"], line("ENZ", "arsi", therapy_start)]
    assert _outcome(children, "relu.exc.therapy-within-2-months", "re-lupsma") is outcome
