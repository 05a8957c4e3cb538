"""Virtual patients as real records: the same kinds, units and checks as real patients.

:func:`patient_records` turns a stepped :class:`~lutetia.simulate.model.CohortSim` into one
validated :class:`~lutetia.records.PatientRecord` per patient: demographics, enrolment,
ECOG, prior therapies, labs as a lab reports them (value, unit, LLN/ULN; a panel may be
missing), PSA series, post-therapy SPECT/CT with kidney activities at hours after each
administration (four time points in cycle 1, one later), imaging time points (baseline
PSMA PET and CT with target lesions, SPECT/CT per cycle, PSMA PET at holiday
surveillance), administrations, CTCAE adverse events, EQ-5D-5L answers (baseline,
18 weeks, end of treatment), clinical events (progression, death, last contact) and the
recorded answers to the protocol's judgement criteria.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from lutetia.protocols import Protocol
from lutetia.records import (
    Administration,
    AdverseEvent,
    Analyte,
    Attribution,
    ClinicalEvent,
    CriterionAnswer,
    DosimetryMeasurement,
    DosimetryRegion,
    EcogAssessment,
    Enrolment,
    EventKind,
    ImagingStudy,
    Instrument,
    LabResult,
    Lesion,
    LesionType,
    Modality,
    Patient,
    PatientRecord,
    PriorTherapy,
    ProAnswer,
    ProgressionKind,
    ProgressionType,
    RecordModel,
    Sex,
    TherapyClass,
    build_record,
)
from lutetia.simulate.grading import MYELO_TERMS, term_grades
from lutetia.simulate.model import Action, CohortSim, Decision, Point

LAB_COLUMNS = (Analyte.haemoglobin, Analyte.platelets, Analyte.neutrophils, Analyte.wbc,
               Analyte.creatinine, Analyte.psa)
_UNITS = {Analyte.haemoglobin: "g/L", Analyte.platelets: "giga_per_L", Analyte.neutrophils: "giga_per_L",
          Analyte.wbc: "giga_per_L", Analyte.creatinine: "umol/L", Analyte.psa: "ng/mL",
          Analyte.alp: "U/L", Analyte.testosterone: "nmol/L", Analyte.alt: "U/L", Analyte.ast: "U/L",
          Analyte.bilirubin: "umol/L"}
_RANGES = {Analyte.haemoglobin: "haemoglobin_g_l", Analyte.platelets: "platelets_giga_l",
           Analyte.neutrophils: "neutrophils_giga_l", Analyte.wbc: "wbc_giga_l",
           Analyte.creatinine: "creatinine_umol_l", Analyte.psa: "psa_ng_ml", Analyte.alp: "alp_u_l",
           Analyte.testosterone: "testosterone_nmol_l", Analyte.alt: "alt_u_l", Analyte.ast: "ast_u_l",
           Analyte.bilirubin: "bilirubin_umol_l"}


def _volume(ml: float) -> float:
    """A tumour volume as a reader reports it: four significant figures (a fixed 0.1 mL would
    round a small responding tumour to 0 and lose the decline the rules read)."""
    return float(f"{ml:.4g}")


def _day(start: date, t_days: float) -> date:
    return start + timedelta(days=int(round(t_days)))


#: Nodal station of the virtual patients' lymph-node metastases (simulation assumption: the
#: retroperitoneal, extra-pelvic station, the commonest distant nodal site in mCRPC).
NODE_STATION = "retroperitoneal"

#: The screening visit (labs, ECOG, eligibility) is this many days before the first cycle.
SCREENING_DAYS = 7


class _Builder:
    """Collects the child records of one patient, dropping anything after death or ``as_of``."""

    def __init__(self, pid: str, death: date | None, as_of: date | None, protocol_id: str = "") -> None:
        self.pid, self.death, self.as_of, self.protocol_id = pid, death, as_of, protocol_id
        self.kids: dict[str, list[RecordModel]] = {}

    def add(self, kind: str, when: date, rec: RecordModel) -> None:
        if (self.death is None or when <= self.death) and (self.as_of is None or when <= self.as_of):
            self.kids.setdefault(kind, []).append(rec)


def patient_records(sim: CohortSim, protocol: Protocol, arm: str, start: date, *,
                    prefix: str = "SIM", randomised: bool = False) -> list[PatientRecord]:
    """One validated record per patient of ``sim`` (patient ids ``{prefix}-00001``...)."""
    return [patient_record(sim, i, protocol, arm, start, prefix=prefix, randomised=randomised)
            for i in range(sim.cohort.n)]


def patient_record(sim: CohortSim, i: int, protocol: Protocol, arm: str, start: date, *,
                   prefix: str = "SIM", randomised: bool = False, pid: str | None = None,
                   as_of: date | None = None, current: Point | None = None,
                   enrolment: bool = True) -> PatientRecord:
    """The record of patient ``i`` (see :func:`patient_records`).

    With ``as_of`` only what is known on that date is included (the record the decision
    engine sees during the trial); ``current`` adds the labs of a decision point not yet in
    ``sim.log``.  ``pid`` overrides the patient id (default ``{prefix}-{i + 1:05d}``);
    ``enrolment=False`` leaves out the enrolment (a screening record).
    """
    c = sim.cohort
    pid = pid or f"{prefix}-{i + 1:05d}"
    horizon = _day(start, sim.horizon_days())
    death = _day(start, float(sim.death_day[i])) if np.isfinite(sim.death_day[i]) else None
    death = death if death is not None and death <= horizon else None
    if as_of is not None and death is not None and death > as_of:
        death = None
    b = _Builder(pid, death, as_of, protocol.id)
    age = float(c.age_years[i])
    patient = Patient(patient_id=pid, sex=Sex.male, birth_year=start.year - int(age),
                      weight_kg=round(float(c.weight_kg[i]), 1), height_cm=round(float(c.height_cm[i]), 1),
                      site="virtual", histology="adenocarcinoma (acinar)",
                      notes="virtual patient (lutetia.simulate): not a real person")
    screen = start - timedelta(days=14)
    if enrolment:
        b.add("enrolments", screen, Enrolment(patient_id=pid, protocol_id=protocol.id, arm=arm, consent_date=screen,
                                              enrolled_on=screen, randomised_on=screen if randomised else None))
    b.add("ecog", start - timedelta(days=SCREENING_DAYS), EcogAssessment(
        patient_id=pid, assessed_on=start - timedelta(days=SCREENING_DAYS),
                                                            ecog=int(c.ecog[i])))
    _priors(b, sim, i, start)
    _criteria(b, protocol, arm, screen)
    _screening(b, sim, i, start)
    _course(b, sim, i, protocol, arm, start, horizon, current)
    _events(b, sim, i, start, horizon, death, final=as_of is None)
    return build_record(patient, b.kids)


def _priors(b: _Builder, sim: CohortSim, i: int, start: date) -> None:
    c = sim.cohort
    lines: list[tuple[TherapyClass, str, int]] = [(TherapyClass.adt, "leuprorelin", 1500)]
    if c.prior_arsi[i]:
        lines.append((TherapyClass.arsi, "enzalutamide", 900))
    if c.prior_taxane[i]:
        lines.append((TherapyClass.taxane, "docetaxel", 500))
    if c.second_taxane[i]:
        lines.append((TherapyClass.taxane, "cabazitaxel", 250))
    if c.prior_radium223[i]:
        lines.append((TherapyClass.radium223, "radium-223 dichloride", 350))
    # lines before any earlier 177Lu-PSMA course (whose first cycle is 6 weeks per cycle before its last)
    lu_days = int(c.prior_lu_last_injection_days[i]) + 42 * max(int(c.prior_lu_cycles[i]) - 1, 0)
    for j, (cls, agent, days) in enumerate(lines, start=1):
        first = start - timedelta(days=days + lu_days)
        end = None if cls is TherapyClass.adt else first + timedelta(days=min(days - 60, 180))
        b.add("prior_therapies", first, PriorTherapy(patient_id=b.pid, line_id=f"L{j}", therapy_class=cls,
                                                     agent=agent, start_date=first, end_date=end))
    cycles = int(c.prior_lu_cycles[i])
    if cycles > 0:
        last = start - timedelta(days=int(c.prior_lu_last_injection_days[i]))
        first = last - timedelta(weeks=6 * (cycles - 1))
        b.add("prior_therapies", first, PriorTherapy(
            patient_id=b.pid, line_id="LU1", therapy_class=TherapyClass.lu_psma, agent="177Lu-PSMA-617",
            start_date=first, end_date=last, cycles=cycles, cumulative_activity_gbq=round(7.4 * cycles, 1),
            last_injection_date=last, best_psa_change_pct=round(float(c.prior_lu_best_psa_pct[i]), 1),
            progression_during=False, progression_date=last + timedelta(days=int(c.prior_lu_progression_days[i])),
            progression_type=ProgressionType.psa, discontinued_for_toxicity=False, hemibody_radiotherapy=False))


def _criteria(b: _Builder, protocol: Protocol, arm: str, on: date) -> None:
    """Recorded answers: judgement criteria (consent, investigator opinion) as a compliant
    virtual patient, a reason to proceed for every flag (registry practice), and the reason
    for an individualised activity when the arm requires one."""
    activity = protocol.arm(arm).treatment.activity
    if activity.reason_required:
        b.add("criterion_answers", on, CriterionAnswer(
            patient_id=b.pid, protocol_id=protocol.id, criterion_id=activity.id, answer=True, answered_on=on,
            answered_by="simulated physician",
            note="activity chosen from tumour burden, marrow involvement, general condition and blood counts"))
    for crit in protocol.criteria:
        if crit.judgement or crit.kind == "flag":
            note = "reason to proceed: treated in registry practice (simulated)" if crit.kind == "flag" else (
                "virtual patient")
            b.add("criterion_answers", on, CriterionAnswer(
                patient_id=b.pid, protocol_id=protocol.id, criterion_id=crit.id, answer=crit.kind != "exclusion",
                answered_on=on, answered_by="simulated investigator", note=note))


def _lab(b: _Builder, analyte: Analyte, day: date, value: float, ranges: dict[str, Any]) -> None:
    lln, uln = ranges[_RANGES[analyte]]
    b.add("labs", day, LabResult(patient_id=b.pid, analyte=analyte, sampled_on=day, value=round(value, 3),
                                 unit=_UNITS[analyte], lln=float(lln), uln=float(uln), lab="virtual lab"))


def _liver_panel(b: _Builder, day: date, ranges: dict[str, Any]) -> None:
    """ALT, AST and total bilirubin at the midpoint of their normal range (the model has no
    hepatotoxicity; the engine's hepatic rule needs the values)."""
    for analyte in (Analyte.alt, Analyte.ast, Analyte.bilirubin):
        lln, uln = ranges[_RANGES[analyte]]
        _lab(b, analyte, day, (float(lln) + float(uln)) / 2.0, ranges)


def _screening(b: _Builder, sim: CohortSim, i: int, start: date) -> None:
    """Screening visit 7 days before the first cycle (labs, ECOG, a physician's answer on
    spinal cord compression); PSMA PET and CT 10 days before; PSA rising before it."""
    ranges = sim.params.entry("labs", "reference_ranges")
    visit = start - timedelta(days=SCREENING_DAYS)
    b.add("criterion_answers", visit, CriterionAnswer(
        patient_id=b.pid, protocol_id=b.protocol_id, criterion_id="spinal_cord_compression_untreated",
        answer=False, answered_on=visit, answered_by="simulated investigator",
        note="no imminent or established spinal cord compression (virtual patient)"))
    _screening_labs(b, sim, i, visit, ranges)
    _screening_imaging(b, sim, i, start - timedelta(days=10))


def _screening_labs(b: _Builder, sim: CohortSim, i: int, day: date, ranges: dict[str, Any]) -> None:
    c = sim.cohort
    _lab(b, Analyte.alp, day, float(c.alp_u_l[i]), ranges)
    _lab(b, Analyte.testosterone, day, float(c.testosterone_nmol_l[i]), ranges)
    _liver_panel(b, day, ranges)
    for j, analyte in enumerate(LAB_COLUMNS):
        _lab(b, analyte, day, float(sim.baseline_labs[i, j]), ranges)
    for weeks, factor in ((8, 0.64), (4, 0.8)):  # two consecutive rises 4 weeks apart (progressive mCRPC)
        _lab(b, Analyte.psa, day - timedelta(weeks=weeks), float(sim.baseline_labs[i, 5]) * factor, ranges)


def _screening_imaging(b: _Builder, sim: CohortSim, i: int, day: date) -> None:
    c = sim.cohort
    study = "PSMA-PET-0"
    ttv = float(c.psa_ng_ml[i] * c.ttv_ml_per_psa[i])
    b.add("imaging", day, ImagingStudy(patient_id=b.pid, study_id=study, modality=Modality.psma_pet,
                                       study_date=day, tracer="68Ga-PSMA-11", ttv_ml=_volume(ttv),
                                       vision_psma_positive=bool(c.psma_positive[i]),
                                       vision_psma_negative_lesion=not bool(c.psma_positive[i])))
    _ct(b, sim, i, "CT-0", day, 1.0, False)
    for name, kind, organ in _sites(sim, i):
        b.add("lesions", day, Lesion(patient_id=b.pid, study_id=study, lesion_id=f"{name}-1", organ=organ,
                                     site=NODE_STATION if kind is LesionType.lymph_node else None,
                                     lesion_type=kind, suv_max=12.0, psma_positive_vs_liver=True))


def _sites(sim: CohortSim, i: int) -> list[tuple[str, LesionType, str]]:
    c = sim.cohort
    sites = [("lymph_node", LesionType.lymph_node, "lymph node", c.lymph_node[i]),
             ("liver", LesionType.visceral, "liver", c.liver[i]), ("lung", LesionType.visceral, "lung", c.lung[i]),
             ("bone", LesionType.bone, "bone", c.bone[i])]
    out = [(name, kind, organ) for name, kind, organ, present in sites if present]
    return out or [("bone", LesionType.bone, "bone")]  # metastatic disease: at least one site


def _ct(b: _Builder, sim: CohortSim, i: int, study: str, day: date, scale: float, new_lesion: bool) -> None:
    """A CT time point: one lesion per involved site (soft-tissue ones are RECIST targets),
    diameters × ``scale`` (tumour burden^(1/3)); a new lymph node when the model progressed."""
    b.add("imaging", day, ImagingStudy(patient_id=b.pid, study_id=study, modality=Modality.ct, study_date=day,
                                       new_lesions=int(new_lesion)))
    size = 18.0 + 10.0 * float(np.log1p(sim.cohort.psa_ng_ml[i]) / 8.0)
    for name, kind, organ in _sites(sim, i):
        sa = round(size * scale, 1)
        b.add("lesions", day, Lesion(patient_id=b.pid, study_id=study, lesion_id=f"{name}-1", organ=organ,
                                     site=NODE_STATION if kind is LesionType.lymph_node else None,
                                     lesion_type=kind, longest_diameter_mm=round(size * 1.3 * scale, 1),
                                     short_axis_mm=sa, is_target=kind is not LesionType.bone, present=sa > 0))
    if new_lesion:
        b.add("lesions", day, Lesion(patient_id=b.pid, study_id=study, lesion_id="new-1", organ="lymph node",
                                     site=NODE_STATION,
                                     lesion_type=LesionType.lymph_node, longest_diameter_mm=20.0,
                                     short_axis_mm=16.0, is_new=True))


def _course(b: _Builder, sim: CohortSim, i: int, protocol: Protocol, arm: str, start: date,
            horizon: date, current: Point | None) -> None:
    ranges = sim.params.entry("labs", "reference_ranges")
    cycle, last_ct = 0, 0.0
    activity_id = protocol.arm(arm).treatment.activity.id
    reason_required = protocol.arm(arm).treatment.activity.reason_required
    series: list[list[tuple[date, int]]] = [[], [], [], []]
    steps: list[tuple[Point, Decision | None]] = [*sim.log, *([(current, None)] if current is not None else [])]
    for k, (pt, dec) in enumerate(steps):
        if not pt.active[i] or _day(start, float(pt.t_days[i])) > horizon:
            continue
        day = _day(start, float(pt.t_days[i]))
        lab_day = day - timedelta(days=int(pt.lab_offset_days[i]))
        if reason_required and k > 0:
            b.add("criterion_answers", day, CriterionAnswer(
                patient_id=b.pid, protocol_id=protocol.id, criterion_id=activity_id, answer=True, answered_on=day,
                answered_by="simulated physician", note="activity chosen from blood counts and general condition"))
        if not pt.lab_missing[i]:
            for j, analyte in enumerate(LAB_COLUMNS):
                _lab(b, analyte, lab_day, float(pt.labs[i, j]), ranges)
            _liver_panel(b, lab_day, ranges)
            for j in range(4):
                series[j].append((lab_day, _grade(sim, pt.labs[i, j], j)))
            if pt.phase[i] == 1:
                _surveillance_pet(b, sim, i, pt, k, lab_day)
            if pt.t_days[i] - last_ct >= 77.0:
                last_ct = float(pt.t_days[i])
                ratio = float(pt.labs[i, 5] / sim.first_labs[i, 5])
                _ct(b, sim, i, f"CT-{k}", lab_day, ratio ** (1.0 / 3.0), bool(pt.progressed[i]))
        if dec is None or dec.action[i] != Action.GIVE:
            continue
        cycle += 1
        d = sim.doses[k]
        given = datetime.combine(day, time(10, 0), tzinfo=UTC)
        b.add("administrations", day, Administration(
            patient_id=b.pid, cycle=cycle, administered_at=given, activity_gbq=round(float(dec.activity_gbq[i]), 3),
            arm=arm, protocol_id=protocol.id, reason=("dose reduction (protocol reduction rule)" if dec.reduce_now[i] else f"{protocol.id}/{arm} cycle {cycle}")))
        spect_day = day + timedelta(days=2)
        sid = f"SPECT-C{cycle}"
        b.add("imaging", spect_day, ImagingStudy(
            patient_id=b.pid, study_id=sid, modality=Modality.spect_ct, study_date=spect_day, cycle=cycle,
            time_after_administration_h=48.0, ttv_ml=_volume(float(d["spect_ttv_ml"][i]))))
        for t_h, mbq in zip(d["times_h"][i], d["kidney_mbq"][i], strict=True):
            if np.isfinite(t_h):
                b.add("dosimetry", day + timedelta(hours=float(t_h)), DosimetryMeasurement(
                    patient_id=b.pid, cycle=cycle, region=DosimetryRegion.kidneys, time_after_administration_h=float(t_h),
                    activity_mbq=round(float(mbq), 3), mass_g=round(float(sim.cohort.kidney_mass_g[i]), 1),
                    study_id=sid))
        for n_ae, (term, col) in enumerate((("Dry mouth", 3), ("Fatigue", 4))):
            prob = sim.params.value("toxicity", f"{'dry_mouth' if n_ae == 0 else 'fatigue'}_probability_per_cycle")
            if sim.noise.at(min(k, sim.noise.steps - 1), keep=True).uniform[i, col] < prob:
                b.add("adverse_events", day + timedelta(days=7), AdverseEvent(
                    patient_id=b.pid, ae_id=f"AE-{term[:3].upper()}-C{cycle}", term=term, grade=1,
                    onset_date=day + timedelta(days=7), attribution=Attribution.possible))
    _pros(b, sim, i, start, horizon, cycle)
    for t, labs, drawn in sim.follow_labs:  # quarterly labs after treatment (follow-up visits)
        if drawn[i]:
            day = _day(start, float(t[i]))
            for j, analyte in enumerate(LAB_COLUMNS):
                _lab(b, analyte, day, float(labs[i, j]), ranges)
            for j in range(4):
                series[j].append((day, _grade(sim, labs[i, j], j)))
    for j, term in enumerate(MYELO_TERMS):
        _lab_adverse_events(b, term, series[j])


#: Grades already computed, by (value, LLN, term): a patient's record is rebuilt at each
#: decision point with the same values (a memo of a pure function; cleared when large).
_GRADES: dict[tuple[float, float, str], int] = {}


def _grade(sim: CohortSim, value: float, j: int) -> int:
    """CTCAE grade of one value of myelosuppression column ``j`` (the cohort grading)."""
    key = (float(value), float(sim.myelo_lln[j]), MYELO_TERMS[j])
    hit = _GRADES.get(key)
    if hit is None:
        hit = _GRADES[key] = int(term_grades(np.array([[key[0]]]), (key[1],), (key[2],))[0, 0])
    return hit


def prime_grades(sim: CohortSim, labs: np.ndarray) -> None:
    """Grade the myelosuppression columns of ``labs`` (rows of patients) in one cohort call, so
    the records built next find their grades (the same elementwise grading, values unchanged)."""
    if len(_GRADES) > 1 << 20:
        _GRADES.clear()
    grades = term_grades(labs[:, :4], sim.myelo_lln)
    for j, term in enumerate(MYELO_TERMS):
        lln = float(sim.myelo_lln[j])
        for value, g in zip(labs[:, j].tolist(), grades[:, j].tolist(), strict=True):
            _GRADES[(value, lln, term)] = g


def _lab_adverse_events(b: _Builder, term: str, series: list[tuple[date, int]]) -> None:
    """One AE per episode of grade ≥ 2 (onset at the first such lab, resolved at the first
    later lab below grade 2, graded by its worst value)."""
    onset: date | None = None
    worst, n = 0, 0
    for day, g in [*series, (date.max, -1)]:
        if g >= 2:
            onset, worst = onset or day, max(worst, g)
            continue
        if onset is not None:
            n += 1
            b.add("adverse_events", onset, AdverseEvent(
                patient_id=b.pid, ae_id=f"AE-{term[:4].upper()}-{n}", term=term, grade=worst, onset_date=onset,
                resolution_date=None if day == date.max else day, attribution=Attribution.probable))
            onset, worst = None, 0


def _surveillance_pet(b: _Builder, sim: CohortSim, i: int, pt: Point, k: int, day: date) -> None:
    """PSMA PET at holiday surveillance: TTV follows PSA; new lesions when the model progressed."""
    c = sim.cohort
    ttv = float(c.psa_ng_ml[i] * c.ttv_ml_per_psa[i] * pt.labs[i, 5] / sim.first_labs[i, 5])
    prog = bool(pt.progressed[i])
    b.add("imaging", day, ImagingStudy(patient_id=b.pid, study_id=f"PSMA-PET-S{k}", modality=Modality.psma_pet,
                                       study_date=day, tracer="68Ga-PSMA-11", ttv_ml=_volume(ttv),
                                       new_lesions=1 if prog else 0))


def _pros(b: _Builder, sim: CohortSim, i: int, start: date, horizon: date, cycles: int) -> None:
    eot = _day(start, 42.0 * max(cycles, 1) + 28.0)
    points = [("baseline", start - timedelta(days=7)), ("week 18", start + timedelta(days=126)),
              ("end of treatment", eot)]
    items = ("mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression")
    base = 1 + int(sim.cohort.ecog[i])
    for label, day in points:
        if day > horizon:
            continue
        for j, item in enumerate(items):
            level = int(np.clip(base + (j % 2) + (1 if label != "baseline" and sim.burden[i] > 1 else 0), 1, 5))
            b.add("pro_answers", day, ProAnswer(patient_id=b.pid, instrument=Instrument.eq5d5l, item=item,
                                                value=str(level), answered_on=day, timepoint=label))


def _events(b: _Builder, sim: CohortSim, i: int, start: date, horizon: date, death: date | None, *,
            final: bool) -> None:
    # every progression the model had (one during a holiday that resumed treatment, then the
    # one that stopped it): the decisions that read them must find them in the stored record
    for k, prog in enumerate(sim.progression_days[i], start=1):
        day = _day(start, prog)
        if day <= horizon:
            b.add("events", day, ClinicalEvent(patient_id=b.pid, event_id=f"E-PROG-{k}", kind=EventKind.progression,
                                               event_date=day, progression_kind=ProgressionKind.radiographic))
    if death is not None:
        b.add("events", death, ClinicalEvent(patient_id=b.pid, event_id="E-DEATH", kind=EventKind.death,
                                             event_date=death, cause="prostate cancer (simulated)"))
    elif final:
        b.add("events", horizon, ClinicalEvent(patient_id=b.pid, event_id="E-LAST", kind=EventKind.last_contact,
                                               event_date=horizon))
