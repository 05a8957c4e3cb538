"""Per-patient response, safety and PRO endpoints from records, through the assess engines.

* RECIST 1.1 best overall response (confirmed and unconfirmed) from CT/MRI lesion reads,
* RECIP 1.0 on PSMA PET (baseline vs last on-treatment scan), PRODIGY-2 FDG categories
  (baseline vs ~12 weeks), best SPECT molecular tumour volume response,
* PRODIGY-2 subacute AESIs with the dates that establish persistence,
* PRO scores (EQ-5D-5L index, FACT-P, BPI-SF) at baseline / 18 weeks / end of treatment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lutetia.analysis.endpoints import treatment_start
from lutetia.analysis.pro.bpi import score_bpi_sf
from lutetia.analysis.pro.eq5d import eq5d5l_index
from lutetia.analysis.pro.fact import score_fact_p
from lutetia.assess import AdverseEvent as AssessAE
from lutetia.assess import (
    Assessment,
    FollowUp,
    LabValue,
    Lesion,
    SpectScan,
    best_overall_response,
    ctcae_grade,
    fdg_response_prodigy2,
    febrile_neutropenia_g4,
    non_haematological_g4,
    persistent_creatinine_rise,
    persistent_cytopenia,
    recip_response,
    spect_mtv_response,
    time_point_responses,
)
from lutetia.assess.aesi import AesiResult
from lutetia.assess.outcome import Outcome
from lutetia.assess.pet import scan_day
from lutetia.assess.recist import LesionKind
from lutetia.records import AdverseEvent as AdverseEventRecord
from lutetia.records import Analyte, Instrument, LesionType, Modality, PatientRecord
from lutetia.records import Lesion as RecordLesion

_KIND: dict[LesionType, LesionKind] = {LesionType.lymph_node: "node", LesionType.visceral: "non_nodal", LesionType.soft_tissue: "non_nodal",
         LesionType.bone: "bone_blastic", LesionType.bone_with_soft_tissue: "bone_mixed",
         LesionType.other: "non_nodal"}
_HAEM_TERMS = {"anemia", "anaemia", "platelet count decreased", "neutrophil count decreased",
               "white blood cell decreased", "lymphocyte count decreased", "febrile neutropenia",
               "thrombocytopenia", "neutropenia", "leukopenia", "pancytopenia"}


@dataclass(frozen=True)
class RecistResult:
    patient_id: str
    visits: tuple[tuple[date, str], ...]
    bor: str
    bor_date: date | None
    confirmed_bor: str


def _diameter(les: RecordLesion) -> float | None:
    if les.lesion_type is LesionType.lymph_node:
        return les.short_axis_mm
    if les.lesion_type is LesionType.bone_with_soft_tissue:
        return les.soft_tissue_component_mm
    return les.longest_diameter_mm


def recist(rec: PatientRecord, protocol_id: str | None = None) -> RecistResult | None:
    """RECIST 1.1 from CT/MRI lesion reads: baseline = last CT/MRI on or before the first
    administration; None without a baseline scan with lesions or without a follow-up."""
    start = treatment_start(rec, protocol_id)
    scans = sorted((s for s in rec.imaging if s.modality in (Modality.ct, Modality.mri)), key=lambda s: s.study_date)
    if start is None:
        return None
    by_study: dict[str, list[RecordLesion]] = {}
    for les in rec.lesions:
        by_study.setdefault(les.study_id, []).append(les)
    base_scans = [s for s in scans if s.study_date <= start and by_study.get(s.study_id)]
    follow = [s for s in scans if s.study_date > start]
    if not base_scans or not follow:
        return None
    base = by_study[base_scans[-1].study_id]
    baseline = [Lesion(x.lesion_id, x.organ, _KIND[x.lesion_type], _diameter(x)) for x in base if not x.is_new]
    reader_targets = [x.lesion_id for x in base if x.is_target]
    fus = []
    for s in follow:
        lesions = by_study.get(s.study_id, [])
        seen = {x.lesion_id: x for x in lesions}
        target_mm = {x.lesion_id: (_diameter(seen[x.lesion_id]) if x.lesion_id in seen and seen[x.lesion_id].present
                                   else (0.0 if x.lesion_id in seen else None)) for x in base}
        non_target = {x.lesion_id: ("present" if seen.get(x.lesion_id) and seen[x.lesion_id].present
                                    else "absent" if x.lesion_id in seen else "not_evaluated") for x in base}
        new = any(x.is_new for x in lesions) or bool(s.new_lesions)
        fus.append(FollowUp(s.study_date, target_mm, non_target, new))  # type: ignore[arg-type]
    tps = time_point_responses(baseline, fus, target_ids=reader_targets or None)
    assessments = [Assessment(tp.date, tp.overall) for tp in tps if tp.date is not None]
    unconfirmed = best_overall_response(assessments, start, confirm=False)
    confirmed = best_overall_response(assessments, start, confirm=True)
    return RecistResult(rec.patient_id, tuple((a.date, a.response) for a in assessments), unconfirmed.response,
                        unconfirmed.date, confirmed.response)


def recip(rec: PatientRecord, protocol_id: str | None = None) -> str | None:
    """RECIP 1.0 on PSMA PET: last scan on/before the first administration vs the last after."""
    start = treatment_start(rec, protocol_id)
    pets = sorted((s for s in rec.imaging if s.modality is Modality.psma_pet), key=lambda s: s.study_date)
    if start is None:
        return None
    before = [s for s in pets if s.study_date <= start]
    after = [s for s in pets if s.study_date > start]
    if not before or not after:
        return None
    new = after[-1].new_lesions
    response, _ = recip_response(before[-1].ttv_ml, after[-1].ttv_ml, None if new is None else new > 0)
    return response


def fdg(rec: PatientRecord, protocol_id: str | None = None, *, week: float, tolerance_days: float) -> str | None:
    """PRODIGY-2 FDG categories, baseline vs the scan nearest ``week`` weeks (±``tolerance_days``).

    Both come from the endpoint (``horizon_weeks``, ``window_days``): the tolerance is a
    project default in ``prodigy2.toml`` (the seed says only "at 12 weeks")."""
    start = treatment_start(rec, protocol_id)
    scans = sorted((s for s in rec.imaging if s.modality is Modality.fdg_pet), key=lambda s: s.study_date)
    if start is None:
        return None
    before = [s for s in scans if s.study_date <= start]
    target = start + timedelta(weeks=week)
    near = [s for s in scans if s.study_date > start and abs((s.study_date - target).days) <= tolerance_days]
    if not before or not near:
        return None
    follow = min(near, key=lambda s: abs((s.study_date - target).days))
    gone = follow.suv_max_hottest == 0 if follow.suv_max_hottest is not None else None
    response, _ = fdg_response_prodigy2(before[-1].suv_peak_hottest or before[-1].suv_max_hottest,
                                        follow.suv_peak_hottest or follow.suv_max_hottest, gone)
    return response


def spect_best_change(rec: PatientRecord, *, rebaseline_after_holiday: bool | None = None) -> float | None:
    """Best % change of the SPECT molecular tumour volume from the cycle-1 scan (assess engine)."""
    scans = [SpectScan(s.study_date, s.cycle, scan_day(s.time_after_administration_h or 0), s.ttv_ml)
             for s in rec.imaging if s.modality is Modality.spect_ct and s.cycle is not None]
    if not scans:
        return None
    return spect_mtv_response(scans, rebaseline_after_holiday=rebaseline_after_holiday).best_change_pct


@dataclass(frozen=True)
class AesiSummary:
    patient_id: str
    met: tuple[str, ...]
    first_dates: dict[str, date]
    not_evaluable: tuple[str, ...] = ()


def _relatedness(rec: PatientRecord, terms: list[str], start: date, until: date | None) -> Outcome:
    """MET when a recorded AE of ``terms`` (onset ``start``..``until``) is attributed as related,
    NOT_MET when every such AE is attributed unrelated, NOT_EVALUABLE otherwise."""
    wanted = {t.strip().lower() for t in terms}
    aes = [a for a in rec.adverse_events if a.term.strip().lower() in wanted
           and start <= a.onset_date and (until is None or a.onset_date <= until)]
    if any(a.attribution is not None and a.attribution.related for a in aes):
        return Outcome.MET
    if not aes or any(a.attribution is None for a in aes):
        return Outcome.NOT_EVALUABLE
    return Outcome.NOT_MET


def aesis(rec: PatientRecord, protocol_id: str | None = None, *, window_end: date | None,
          ae_terms: dict[str, list[str]]) -> AesiSummary:
    """PRODIGY-2 subacute AESIs: "treatment-related", starting from the first administration
    up to ``window_end`` (inclusive; None = open).

    Lab-defined AESIs (persistent cytopenia, creatinine rise) are established by the lab
    series; their relatedness is the investigator's attribution of a recorded AE of the
    category's ``ae_terms`` (the endpoint's data, ``prodigy2.toml``): related → met,
    unrelated → not met, none recorded → not evaluable.  AE-defined AESIs (grade 4 febrile neutropenia, grade 4 non-haematological)
    count only related AEs; a qualifying AE without attribution is not evaluable.
    """
    start = treatment_start(rec, protocol_id)
    terms = ae_terms
    if start is None:
        return AesiSummary(rec.patient_id, (), {}, ())

    def in_window(day: date | None) -> bool:
        return day is not None and start <= day and (window_end is None or day <= window_end)

    results: dict[str, tuple[Outcome, date | None]] = {}
    lab_based: dict[str, AesiResult] = {}
    for kind, analyte, term in (("thrombocytopenia", Analyte.platelets, "Platelet count decreased"),
                                ("neutropenia", Analyte.neutrophils, "Neutrophil count decreased")):
        grades = [ctcae_grade(LabValue(term, x.value, x.unit, x.lln, x.uln, None, None, x.sampled_on))
                  for x in rec.labs_of(analyte) if x.sampled_on >= start]
        lab_based[kind] = persistent_cytopenia(grades, kind)  # type: ignore[arg-type]
    creat = rec.labs_of(Analyte.creatinine)
    base = [x for x in creat if x.sampled_on <= start]
    values = [(x.sampled_on, x.canonical()[0]) for x in creat if x.sampled_on > start]
    lab_based["creatinine"] = persistent_creatinine_rise(
        values, baseline=base[-1].canonical()[0] if base else None, uln=base[-1].canonical()[2] if base else None)
    for kind, res in lab_based.items():
        if not in_window(res.start):
            results[kind] = (Outcome.NOT_EVALUABLE if res.outcome is Outcome.NOT_EVALUABLE and res.start is None
                             else Outcome.NOT_MET, None)
        elif res.outcome is Outcome.MET:
            results[kind] = (_relatedness(rec, terms.get(kind, []), start, res.end), res.start)
        else:
            results[kind] = (res.outcome, res.start)
    window_aes = [a for a in rec.adverse_events if in_window(a.onset_date)]

    def assess_aes(keep: list[AdverseEventRecord]) -> list[AssessAE]:
        return [AssessAE(a.term, a.grade, a.onset_date, a.term.strip().lower() in _HAEM_TERMS) for a in keep]

    related = assess_aes([a for a in window_aes if a.attribution is not None and a.attribution.related])
    unknown = assess_aes([a for a in window_aes if a.attribution is None])
    for kind, fn in (("febrile_neutropenia", febrile_neutropenia_g4), ("non_haematological", non_haematological_g4)):
        hit = fn(related)
        if hit.outcome is Outcome.MET:
            results[kind] = (Outcome.MET, hit.start)
        else:
            results[kind] = (Outcome.NOT_EVALUABLE if fn(unknown).outcome is Outcome.MET else Outcome.NOT_MET, None)
    met = tuple(k for k, (o, _) in results.items() if o is Outcome.MET)
    pending = tuple(k for k, (o, _) in results.items() if o is Outcome.NOT_EVALUABLE)
    return AesiSummary(rec.patient_id, met, {k: d for k, (o, d) in results.items() if o is Outcome.MET and d},
                       pending)


@dataclass(frozen=True)
class ProScore:
    patient_id: str
    instrument: str
    scale: str
    timepoint: str
    value: float | None


def pro_scores(rec: PatientRecord) -> list[ProScore]:
    """Scores per instrument and time point label (EQ-5D-5L England index, FACT-P totals, BPI-SF)."""
    groups: dict[tuple[Instrument, str], dict[str, str]] = {}
    for a in rec.pro_answers:
        groups.setdefault((a.instrument, a.timepoint or a.answered_on.isoformat()), {})[a.item] = a.value
    out: list[ProScore] = []
    for (instrument, tp), items in sorted(groups.items()):
        if instrument is Instrument.eq5d5l:
            dims = [items.get(k, "") for k in ("MO", "SC", "UA", "PD", "AD")]
            value = eq5d5l_index([int(d) for d in dims], "England") if all(d.isdigit() for d in dims) else None
            out.append(ProScore(rec.patient_id, "EQ-5D-5L", "index (England)", tp, value))
        elif instrument is Instrument.fact_p:
            fp = score_fact_p({k: int(v) if v.isdigit() else None for k, v in items.items()})
            out.append(ProScore(rec.patient_id, "FACT-P", "total", tp, fp.fact_p))
        elif instrument is Instrument.bpi_sf:
            bpi = score_bpi_sf({k: float(v) for k, v in items.items() if _is_number(v)})
            out.append(ProScore(rec.patient_id, "BPI-SF", "severity", tp, bpi.severity))
            out.append(ProScore(rec.patient_id, "BPI-SF", "interference", tp, bpi.interference))
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
