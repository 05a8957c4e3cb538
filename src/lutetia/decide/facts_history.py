"""Facts about disease, imaging, prior therapies and progression.

Readings (where the record needs interpreting, stated so that reviewers can check them):

* History facts (prior ARSI, taxane, radium-223, hemibody EBRT...) are *not evaluable*
  when no prior therapy at all is recorded; otherwise absence of a line means "no".
* Disease facts (metastases, CNS, liver, measurable disease) read the lesions of the
  latest staging study (CT, MRI, bone scan or PSMA PET) on or before the date; no study →
  not evaluable.
* RECIST and clinical progression are read from recorded progression events
  (``lutetia assess`` writes them); PCWG3 bone progression is computed from bone scans by
  :func:`lutetia.assess.pcwg3_bone_progression`; RECIP by
  :func:`lutetia.assess.recip_response` against the PSMA PET before treatment start.
* Re-treatment facts about the first 177Lu-PSMA course are read in
  :mod:`lutetia.decide.facts_retreatment`; the VISION PSMA-PET read and extra-pelvic
  measurable disease in :mod:`lutetia.decide.facts_imaging`.
* Facts without a record field (untreated spinal cord compression, "not amenable to
  medical intervention") are recorded answers keyed by the fact name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lutetia.assess import BoneScan, Outcome, pcwg3_bone_progression, recip_response
from lutetia.decide.facts_imaging import (
    latest_staging,
    measurable,
    measurable_extrapelvic_fact,
    vision_fact,
)
from lutetia.decide.facts_retreatment import (
    concomitant_arsi_days_fact,
    concomitant_arsi_repeat_fact,
    days_to_radiological_or_clinical_fact,
    first_course_end,
    prior_arsi_fact,
    progression_after_course_fact,
    progression_during_course_fact,
    psa_rises_after_course_fact,
)
from lutetia.decide.history import (
    first_course,
    has_history,
    lu_courses,
    next_therapy_dates,
    progression_dates,
)
from lutetia.decide.model import Context, FactValue
from lutetia.decide.psa import psa_progression_fact, psa_rises_fact
from lutetia.protocols import Condition, Fact
from lutetia.records import EventKind, Lesion, LesionType, Modality, TherapyClass

FactFn = Callable[[Context, Condition], FactValue]
_CNS_ORGANS = frozenset({"brain", "cns", "central nervous system", "meninges", "leptomeninges", "spinal cord"})


def _b(name: str, value: bool | None, source: str, on: date | None = None, missing: str = "") -> FactValue:
    if value is None:
        return FactValue(name, None, "category", missing=missing or f"{name}: not recorded")
    return FactValue(name, value, "category", on, source)


def _lesion_fact(test: Callable[[Lesion], bool]) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        study = latest_staging(ctx)
        if study is None:
            return _b(name, None, "", missing=f"no staging imaging on or before {ctx.on}")
        found = [x for x in ctx.record.lesions if x.study_id == study.study_id and x.present and test(x)]
        src = f"imaging {study.study_id} {study.modality.value} {study.study_date}: " + (
            ", ".join(x.lesion_id for x in found) or "no such lesion")
        return _b(name, bool(found), src, study.study_date)
    return f


def _therapy(classes: set[TherapyClass], extra: Callable[[object], bool] | None = None) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        if not has_history(ctx.record):
            return _b(name, None, "", missing="no prior therapies recorded")
        lines = [p for p in ctx.record.prior_therapies if p.therapy_class in classes and p.start_date <= ctx.on
                 and (extra is None or extra(p))]
        return _b(name, bool(lines), "prior_therapies " + (", ".join(p.line_id for p in lines) or "none of "
                  + "/".join(sorted(c.value for c in classes))))
    return f


def _hemibody(line: object) -> bool:
    return bool(getattr(line, "hemibody_radiotherapy", False))


def _course_field(attr: str) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        course = first_course(ctx.record)
        if course is None:
            return _b(name, None, "", missing="no prior 177Lu-PSMA course recorded")
        value = getattr(course, attr)
        if value is None:
            return _b(name, None, "", missing=f"prior 177Lu-PSMA course {course.line_id}: {attr} not recorded")
        if attr == "cycles":
            return FactValue(name, int(value), "count", course.start_date, f"prior_therapies {course.line_id}.cycles")
        if attr == "best_psa_change_pct":
            return FactValue(name, -float(value), "%", course.start_date,
                             f"prior_therapies {course.line_id}.best_psa_change_pct = {value:g}")
        return _b(name, bool(value), f"prior_therapies {course.line_id}.{attr}", course.start_date)
    return f


def _courses(ctx: Context, leaf: Condition) -> FactValue:
    courses = [c for c in lu_courses(ctx.record) if c.start_date <= ctx.on]
    if not has_history(ctx.record):
        return FactValue("prior_lu_psma_courses", None, "count", missing="no prior therapies recorded")
    return FactValue("prior_lu_psma_courses", len(courses), "count", None,
                     "prior_therapies " + (", ".join(c.line_id for c in courses) or "no lu_psma line"))


def _days_from_last_injection(kind: str) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        end = first_course_end(ctx)
        if end is None:
            return FactValue(name, None, "day", missing="no last injection date of the first 177Lu-PSMA course")
        last = end[0]
        dates = (progression_dates(ctx.record, last, ctx.on) if kind == "progression"
                 else next_therapy_dates(ctx.record, last, ctx.on))
        if not dates:
            if kind == "progression":
                return FactValue(name, None, "day", missing=f"no progression recorded after {last}")
            return FactValue(name, float("inf"), "day", None, f"no next therapy after {last} by {ctx.on}")
        return FactValue(name, float((dates[0] - last).days), "day", dates[0],
                         f"last injection {last} → {kind} {dates[0]}")
    return f


def _events(kinds: frozenset[str]) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        origin = ctx.baseline_date if ctx.baseline_date and ctx.baseline_date < ctx.on else date.min
        course = first_course(ctx.record)
        if course is not None and course.last_injection_date is not None and origin == date.min:
            origin = course.last_injection_date
        found = progression_dates(ctx.record, origin, ctx.on, kinds)
        return _b(name, bool(found), f"progression event {found[-1]}" if found else f"no such progression after {origin}")
    return f


def _bone(ctx: Context, leaf: Condition) -> FactValue:
    scans = sorted((s for s in ctx.record.imaging if s.modality is Modality.bone_scan and s.study_date <= ctx.on),
                   key=lambda s: s.study_date)
    if len(scans) < 2 or any(s.new_lesions is None for s in scans[1:]):
        return _b("pcwg3_bone_progression", None, "", missing="fewer than two bone scans with new-lesion counts")
    result = pcwg3_bone_progression([BoneScan(s.study_date, s.new_lesions or 0) for s in scans[1:]],
                                    scans[0].study_date)
    if result.outcome is Outcome.NOT_EVALUABLE:
        return _b("pcwg3_bone_progression", None, "", missing=f"PCWG3 bone: {result.evidence.reason}")
    return _b("pcwg3_bone_progression", result.outcome is Outcome.MET, f"bone scans: {result.evidence.reason}")


def _recip(ctx: Context, leaf: Condition) -> FactValue:
    start = ctx.baseline_date or ctx.on
    pets = sorted((s for s in ctx.record.imaging if s.modality is Modality.psma_pet and s.study_date <= ctx.on),
                  key=lambda s: s.study_date)
    base = [s for s in pets if s.study_date <= start]
    after = [s for s in pets if s.study_date > start]
    if not base or not after:
        return _b("recip_progression", None, "", missing=f"no PSMA PET before and after {start}")
    b, f = base[-1], after[-1]
    resp, ev = recip_response(b.ttv_ml, f.ttv_ml, None if f.new_lesions is None else f.new_lesions > 0)
    if resp == "NE":
        return _b("recip_progression", None, "", missing=f"RECIP not evaluable ({b.study_id} vs {f.study_id})")
    return _b("recip_progression", resp == "PD", f"RECIP {resp}: {b.study_id} vs {f.study_id}", f.study_date)


def _spect_decline(ctx: Context, leaf: Condition) -> FactValue:
    start = ctx.baseline_date or date.min
    spects = sorted((s for s in ctx.record.imaging if s.modality is Modality.spect_ct and s.ttv_ml is not None
                     and start <= s.study_date <= ctx.on), key=lambda s: s.study_date)
    base = [s for s in spects if s.cycle == 1]
    if not base or base[-1].ttv_ml == 0 or spects[-1] is base[-1]:
        return FactValue("spect_tumour_volume_decline_pct", None, "%",
                         missing="no cycle-1 SPECT/CT tumour volume and a later SPECT/CT")
    b, f = base[0], spects[-1]
    assert b.ttv_ml is not None and f.ttv_ml is not None
    pct = (b.ttv_ml - f.ttv_ml) / b.ttv_ml * 100.0
    return FactValue("spect_tumour_volume_decline_pct", pct, "%", f.study_date,
                     f"SPECT {f.study_id} {f.ttv_ml:g} mL vs cycle-1 {b.study_id} {b.ttv_ml:g} mL")


def _answer_fact(ctx: Context, leaf: Condition) -> FactValue:
    name = leaf.fact.value if leaf.fact else ""
    got = ctx.answer(name)
    if got is None:
        return _b(name, None, "", missing=f"no recorded answer for {name}")
    return _b(name, got[0], got[1])


def _transfusion(ctx: Context, leaf: Condition) -> FactValue:
    bounds = ctx.bounds(leaf.window)
    if isinstance(bounds, str):
        return _b("rbc_transfusion", None, "", missing=bounds)
    found = [e for e in ctx.record.events if e.kind is EventKind.rbc_transfusion
             and bounds[0] <= e.event_date <= bounds[1]]
    return _b("rbc_transfusion", bool(found), f"events rbc_transfusion {found[-1].event_date}" if found
              else f"no transfusion between {bounds[0]} and {bounds[1]}")


def _adt(ctx: Context, leaf: Condition) -> FactValue:
    if not has_history(ctx.record):
        return _b("adt_ongoing", None, "", missing="no prior therapies recorded")
    lines = [p for p in ctx.record.prior_therapies if p.therapy_class is TherapyClass.adt
             and p.start_date <= ctx.on and (p.end_date is None or p.end_date >= ctx.on)]
    return _b("adt_ongoing", bool(lines), "prior_therapies " + (", ".join(p.line_id for p in lines) or "no ongoing ADT"))


def _delay(ctx: Context, leaf: Condition) -> FactValue:
    planned = ctx.planned_cycle
    if planned is None:
        return FactValue("treatment_delay_days", 0.0, "day", None, "no cycle planned yet")
    return FactValue("treatment_delay_days", float(max((ctx.on - planned).days, 0)), "day", planned,
                     f"planned cycle date {planned}")


def _histology(word: str) -> FactFn:
    def f(ctx: Context, leaf: Condition) -> FactValue:
        name = leaf.fact.value if leaf.fact else ""
        h = ctx.record.patient.histology
        if h is None:
            return _b(name, None, "", missing="histology not recorded")
        return _b(name, word in h.lower(), f"patients histology = {h}")
    return f


def _psa_decline(ctx: Context, leaf: Condition) -> FactValue:
    from lutetia.decide.psa import psa_decline_fact

    return psa_decline_fact(ctx, leaf)


F = Fact
HISTORY_FACTS: dict[Fact, FactFn] = {
    F.ADENOCARCINOMA_CONFIRMED: _histology("adenocarcinoma"),
    F.SMALL_CELL_CARCINOMA: _histology("small cell"),
    F.METASTATIC_DISEASE: _lesion_fact(lambda x: True),
    F.BONE_METASTASES: _lesion_fact(lambda x: getattr(x, "lesion_type", None)
                                    in (LesionType.bone, LesionType.bone_with_soft_tissue)),
    F.RECIST_MEASURABLE_DISEASE: _lesion_fact(measurable),
    F.LIVER_METASTASES: _lesion_fact(lambda x: str(getattr(x, "organ", "")).lower() == "liver"),
    F.CNS_METASTASES: _lesion_fact(lambda x: str(getattr(x, "organ", "")).lower() in _CNS_ORGANS),
    F.SPINAL_CORD_COMPRESSION_UNTREATED: _answer_fact,
    F.NOT_AMENABLE_TO_MEDICAL_INTERVENTION: _answer_fact,
    F.ADT_ONGOING: _adt,
    F.PSA_RISES_CONSECUTIVE: psa_rises_fact,
    F.PCWG3_BONE_PROGRESSION: _bone,
    F.RECIST_PROGRESSION: _events(frozenset({"radiographic_soft_tissue", "radiographic"})),
    F.PSMA_PET_VISION_POSITIVE: vision_fact,
    F.PRIOR_ARSI: _therapy({TherapyClass.arsi}),
    F.PRIOR_TAXANE: _therapy({TherapyClass.taxane}),
    F.PRIOR_LU_PSMA_CYCLES: _course_field("cycles"),
    F.PRIOR_LU_PSMA_COURSES: _courses,
    F.PRIOR_LU_PSMA_PROGRESSION_DURING_COURSE: progression_during_course_fact,
    F.PRIOR_LU_PSMA_TOXICITY_DISCONTINUATION: _course_field("discontinued_for_toxicity"),
    F.FIRST_COURSE_PSA_DECLINE_PCT: _course_field("best_psa_change_pct"),
    F.DAYS_LAST_LU_INJECTION_TO_PROGRESSION: _days_from_last_injection("progression"),
    F.DAYS_LAST_LU_INJECTION_TO_NEXT_THERAPY: _days_from_last_injection("next therapy"),
    F.PROGRESSION_AFTER_FIRST_COURSE: progression_after_course_fact,
    F.RADIUM223_OR_SYSTEMIC_RT: _therapy({TherapyClass.radium223, TherapyClass.other_systemic_radiotherapy}),
    F.PRIOR_HEMIBODY_EBRT: _therapy({TherapyClass.external_radiotherapy}, _hemibody),
    F.RBC_TRANSFUSION: _transfusion,
    F.TREATMENT_DELAY_DAYS: _delay,
    F.PSA_DECLINE_FROM_BASELINE_PCT: _psa_decline,
    F.SPECT_TUMOUR_VOLUME_DECLINE_PCT: _spect_decline,
    F.RECIP_PROGRESSION: _recip,
    F.PSA_PROGRESSION: psa_progression_fact,
    F.RECIST_MEASURABLE_EXTRAPELVIC_DISEASE: measurable_extrapelvic_fact,
    F.PRIOR_ARSI_EXCLUDING_CONCOMITANT: prior_arsi_fact,
    F.DAYS_LAST_LU_INJECTION_TO_RADIOLOGICAL_OR_CLINICAL_PROGRESSION: days_to_radiological_or_clinical_fact,
    F.PSA_RISES_AFTER_FIRST_COURSE: psa_rises_after_course_fact,
    F.CONCOMITANT_ARSI_DAYS_BEFORE_TREATMENT: concomitant_arsi_days_fact,
    F.CONCOMITANT_ARSI_REPEATS_PRIOR_AGENT: concomitant_arsi_repeat_fact,
}
