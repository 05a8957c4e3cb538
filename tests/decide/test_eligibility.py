"""Eligibility scenarios: ReaLuP (every exclusion), missing data, flags, alternatives."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lutetia.decide import Outcome, assess_eligibility
from lutetia.protocols import load_protocol
from lutetia.records import Analyte

from .builders import answer, bone_lesion, ecog, event, lab, line, panel, pet, psa, record

ON = date(2025, 3, 10)
REALUP_JUDGED_TRUE = ["realup.inc.contraception", "realup.inc.consent", "realup.inc.compliance",
                      "realup.inc.social-security"]
REALUP_JUDGED_FALSE = ["realup.exc.hypersensitivity", "realup.exc.other-malignancy", "realup.exc.paget",
                       "realup.exc.other-trial", "realup.exc.serious-conditions", "realup.exc.cardiac",
                       "realup.exc.somatic-psychiatric", "realup.exc.guardianship",
                       "spinal_cord_compression_untreated"]


def realup_children() -> dict[str, list[Any]]:
    """A ReaLuP candidate who meets every criterion on 2025-03-10."""
    first = line("LU1", "lu_psma", date(2023, 1, 10), cycles=5, last_injection_date=date(2023, 6, 1),
                 best_psa_change_pct=-70.0, progression_during=False, discontinued_for_toxicity=False,
                 progression_date=date(2024, 1, 15))  # 228 days after the last injection
    return {
        "ecog": [ecog(date(2025, 3, 5), 1)],
        "prior_therapies": [line("ADT", "adt", date(2018, 5, 1)), line("ARSI", "arsi", date(2020, 2, 1)),
                            line("DOC", "taxane", date(2021, 3, 1)), first],
        "labs": [*panel(date(2025, 3, 3)), lab(Analyte.testosterone, date(2025, 2, 20), 0.5, "nmol/L"),
                 psa(date(2024, 12, 1), 5.0), psa(date(2025, 1, 1), 7.0), psa(date(2025, 2, 1), 9.0),
                 psa(ON, 12.0)],
        "imaging": [pet("PET1", date(2025, 2, 25))],
        "lesions": [bone_lesion("PET1")],
        "criterion_answers": [answer("realup", c, True, date(2025, 3, 1)) for c in REALUP_JUDGED_TRUE]
        + [answer("realup", c, False, date(2025, 3, 1)) for c in REALUP_JUDGED_FALSE],
    }


def test_realup_candidate_qualifies_with_values_dates_and_windows() -> None:
    result = assess_eligibility(record(**realup_children()), load_protocol("realup"), ON)
    assert result.verdict == "eligible", (result.failed, result.missing)
    by_id = {c.result.rule_id: c for c in result.criteria}
    ecog_fact = by_id["realup.inc.ecog"].result.evaluation
    assert ecog_fact is not None and ecog_fact.facts[0].value == 1
    assert ecog_fact.facts[0].on == date(2025, 3, 5)
    assert "within treatment_start -7 d" in ecog_fact.description
    # 50 ng/dL converted at load to 1.7335 nmol/L (testosterone 288.42 g/mol)
    assert by_id["realup.inc.castrate"].result.outcome is Outcome.MET
    days = by_id["realup.inc.progression-120-days"].result.evaluation
    # 2023-06-01 → 2024-01-15 = 228 days (counted by hand); the progression's type is not recorded,
    # so 228 is a lower bound of the days to a radiological or clinical progression
    assert days is not None and days.facts[1].value == 228.0 and days.facts[1].partial


def _add(children: dict[str, list[Any]], kind: str, *items: Any) -> dict[str, list[Any]]:
    children[kind] = [*children.get(kind, []), *items]
    return children


def _replace_course(children: dict[str, list[Any]], **kw: Any) -> dict[str, list[Any]]:
    base = dict(cycles=5, last_injection_date=date(2023, 6, 1), best_psa_change_pct=-70.0,
                progression_during=False, discontinued_for_toxicity=False, progression_date=date(2024, 1, 15))
    base.update(kw)
    children["prior_therapies"] = [p for p in children["prior_therapies"] if p.line_id != "LU1"] + [
        line("LU1", "lu_psma", date(2023, 1, 10), **base)]
    return children


def _answer_true(criterion: str) -> Any:
    def change(c: dict[str, list[Any]]) -> dict[str, list[Any]]:
        c["criterion_answers"] = [a for a in c["criterion_answers"] if a.criterion_id != criterion] + [
            answer("realup", criterion, True, date(2025, 3, 2))]
        return c
    return change


EXCLUSIONS = {
    "realup.exc.first-course-toxicity": lambda c: _replace_course(c, discontinued_for_toxicity=True),
    "realup.exc.more-than-one-course": lambda c: _add(c, "prior_therapies", line(
        "LU2", "lu_psma", date(2024, 3, 1), cycles=2, last_injection_date=date(2024, 4, 12))),
    "realup.exc.under-120-days": lambda c: _replace_course(c, progression_date=date(2023, 8, 1),
                                                           progression_type="radiographic"),
    "realup.exc.radium-systemic-rt": lambda c: _add(c, "prior_therapies", line("RA", "radium223", date(2019, 1, 1))),
    "realup.exc.rbc-transfusion": lambda c: _add(c, "events", event("TX", "rbc_transfusion", date(2025, 3, 1))),
    "realup.exc.cns-metastases": lambda c: _add(c, "lesions", bone_lesion("PET1", "brain", "L2")),
    "realup.exc.hemibody-ebrt": lambda c: _add(c, "prior_therapies", line(
        "EBRT", "external_radiotherapy", date(2019, 6, 1), hemibody_radiotherapy=True)),
    "realup.exc.spinal-cord-compression": _answer_true("spinal_cord_compression_untreated"),
    **{c: _answer_true(c) for c in REALUP_JUDGED_FALSE if c.startswith("realup.exc.")},
}


def test_every_realup_exclusion_is_covered() -> None:
    ids = {c.id for c in load_protocol("realup").criteria if c.kind == "exclusion"}
    assert ids == set(EXCLUSIONS)


@pytest.mark.parametrize("exclusion", sorted(EXCLUSIONS))
def test_each_realup_exclusion_excludes(exclusion: str) -> None:
    children = EXCLUSIONS[exclusion](realup_children())
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert result.verdict == "not eligible"
    assert exclusion in result.failed


def test_missing_platelets_and_consent_give_cannot_decide_listing_them() -> None:
    children = realup_children()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.platelets]
    children["criterion_answers"] = [a for a in children["criterion_answers"]
                                     if a.criterion_id != "realup.inc.consent"]
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert result.verdict == "cannot decide"
    assert "no platelet count within 28 days before 2025-03-10" in result.missing
    assert "no recorded answer to realup.inc.consent" in result.missing


def test_old_ecog_is_outside_the_7_day_window() -> None:
    children = realup_children()
    children["ecog"] = [ecog(date(2025, 2, 20), 1)]
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert result.verdict == "cannot decide"
    assert "no ECOG assessment within 7 days before 2025-03-10" in result.missing


def test_not_met_wins_over_missing() -> None:
    children = realup_children()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.platelets]
    children["ecog"] = [ecog(date(2025, 3, 5), 3)]
    result = assess_eligibility(record(**children), load_protocol("realup"), ON)
    assert result.verdict == "not eligible" and result.failed == ("realup.inc.ecog",)


@pytest.mark.parametrize(("bilirubin", "gilbert", "outcome"), [
    (2.0 * 21, False, Outcome.MET),        # at 2×ULN
    (2.01 * 21, False, Outcome.NOT_MET),   # just above 2×ULN
    (2.01 * 21, True, Outcome.MET),        # Gilbert: 3×ULN applies
    (3.01 * 21, True, Outcome.NOT_MET),
])
def test_bilirubin_alternative_threshold_for_gilbert(bilirubin: float, gilbert: bool, outcome: Outcome) -> None:
    children = realup_children()
    children["labs"] = [x for x in children["labs"] if x.analyte is not Analyte.bilirubin] + [
        lab(Analyte.bilirubin, date(2025, 3, 3), bilirubin)]
    rec = record(**children)
    if gilbert:
        rec = rec.model_copy(update={"patient": rec.patient.model_copy(update={"gilbert_syndrome": True})})
    result = assess_eligibility(rec, load_protocol("realup"), ON)
    crit = next(c for c in result.criteria if c.result.rule_id == "realup.inc.bilirubin")
    assert crit.result.outcome is outcome


def _ecog3(reason: bool) -> Any:
    children: dict[str, list[Any]] = {
        "ecog": [ecog(date(2025, 3, 5), 3)], "imaging": [pet("PET1", date(2025, 2, 25))]}
    if reason:
        children["criterion_answers"] = [answer("ecog3-registry", "label.ecog-above-2", True, date(2025, 3, 6),
                                                "high tumour burden, symptomatic; patient wishes treatment")]
    return record(**children)


def test_ecog3_registry_flag_needs_and_shows_the_recorded_reason() -> None:
    protocol = load_protocol("ecog3-registry")
    without = assess_eligibility(_ecog3(False), protocol, ON)
    assert without.verdict == "cannot decide"
    assert [f.result.rule_id for f in without.flags] == ["label.ecog-above-2"]
    assert any("reason to proceed" in m for m in without.missing)
    with_reason = assess_eligibility(_ecog3(True), protocol, ON)
    assert with_reason.verdict == "eligible"
    assert "high tumour burden" in with_reason.flags[0].reason


def _history() -> list[Any]:
    return [line("ADT", "adt", date(2018, 5, 1)), line("ARSI", "arsi", date(2020, 2, 1)),
            line("DOC", "taxane", date(2021, 3, 1))]


QUALIFYING: dict[str, dict[str, list[Any]]] = {
    "pluvicto-label": {"ecog": [ecog(date(2025, 3, 1), 1)], "imaging": [pet("PET1", date(2025, 2, 25))]},
    "prodigy-2": {"ecog": [ecog(date(2025, 3, 1), 1)], "imaging": [pet("PET1", date(2025, 2, 25))],
                  "criterion_answers": [answer("prodigy-2", "prodigy2.inc.mcrpc", True, date(2025, 3, 1))]},
    "flex-mrt": {"ecog": [ecog(date(2025, 3, 1), 2)], "imaging": [pet("PET1", date(2025, 2, 25))],
                 "prior_therapies": _history(),
                 "criterion_answers": [answer("flex-mrt", "flex.inc.marrow-renal", True, date(2025, 3, 1)),
                                       answer("flex-mrt", "flex.exc.recent-myelosuppressive", False, date(2025, 3, 1))]},
    "re-lupsma": {"ecog": [ecog(date(2025, 3, 1), 1)], "imaging": [pet("PET1", date(2025, 1, 20))],
                  "prior_therapies": [*_history(), line("LU1", "lu_psma", date(2023, 1, 10), cycles=6,
                                                        last_injection_date=date(2023, 7, 1),
                                                        best_psa_change_pct=-60.0)],
                  "labs": [psa(date(2024, 11, 1), 4.0), psa(date(2024, 12, 1), 6.0), psa(date(2025, 1, 5), 9.0)]},
}


@pytest.mark.parametrize("protocol_id", sorted(QUALIFYING))
def test_a_patient_who_qualifies_for_each_protocol(protocol_id: str) -> None:
    result = assess_eligibility(record(**QUALIFYING[protocol_id]), load_protocol(protocol_id), ON)
    assert result.verdict == "eligible", (result.failed, result.missing)


def test_re_lupsma_psma_pet_must_be_within_8_weeks_of_treatment_start() -> None:
    children = dict(QUALIFYING["re-lupsma"])
    children["imaging"] = [pet("PET1", date(2025, 1, 6))]   # 63 days before: outside 8 weeks (56 days)
    result = assess_eligibility(record(**children), load_protocol("re-lupsma"), ON)
    assert result.verdict == "cannot decide"
    assert "no PSMA PET between 2025-01-13 and 2025-03-10" in result.missing
