"""CTCAE facts: highest current grade among a rule's terms (or system organ class).

``ctcae_grade`` is the highest grade now; ``ctcae_grade_beyond_baseline`` the highest
grade now among the terms that are worse than at the treatment baseline (the
treatment-emergent grade the label's "until Grade 1 or baseline" compares with).

Laboratory terms are graded from the latest value of their analyte in the window by
:func:`lutetia.assess.ctcae_grade` (CTCAE v5.0) — never from an adverse-event record of
the same term, which carries its episode's worst grade, except the electrolyte terms of
:data:`RECORDED_LAB_TERMS`, read from both; other terms come from adverse events
active on the evaluation date (onset on or before it, not resolved before it).  A
recorded adverse-event list is complete by design, so a term without an active AE is
grade 0; a laboratory term without a value in the window is missing.  When some terms
are missing the maximum of the others is a lower bound (``partial``).

The system organ class of an AE term is read from :data:`SOC_TERMS`, the CTCAE v5.0
assignment of the terms Lutetia's protocols use (CTCAE v5.0, NCI 2017, SOC column).

References
----------
1. National Cancer Institute. Common Terminology Criteria for Adverse Events v5.0, 2017.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Literal

from lutetia.assess import LabValue, ctcae_grade
from lutetia.decide.model import Context, FactValue
from lutetia.protocols import Condition, Fact
from lutetia.records import Analyte, LabResult

#: Laboratory CTCAE terms and the analyte that grades them.
LAB_TERMS: Final[dict[str, Analyte]] = {
    "Anemia": Analyte.haemoglobin, "Platelet count decreased": Analyte.platelets,
    "Neutrophil count decreased": Analyte.neutrophils, "White blood cell decreased": Analyte.wbc,
    "Lymphocyte count decreased": Analyte.lymphocytes, "Creatinine increased": Analyte.creatinine,
    "Blood bilirubin increased": Analyte.bilirubin, "Alanine aminotransferase increased": Analyte.alt,
    "Aspartate aminotransferase increased": Analyte.ast, "Alkaline phosphatase increased": Analyte.alp,
    "Hypokalemia": Analyte.potassium, "Hyperkalemia": Analyte.potassium,
    "Hyponatremia": Analyte.sodium, "Hypernatremia": Analyte.sodium,
    "Hypocalcemia": Analyte.calcium, "Hypercalcemia": Analyte.calcium,
    "Hypomagnesemia": Analyte.magnesium, "Hypermagnesemia": Analyte.magnesium,
}

#: Laboratory terms also read from the adverse-event list: the electrolyte terms, whose analytes
#: the label does not ask for before a cycle and whose grades 2-3 may rest on symptoms the value
#: cannot show.  Each is two entries: the latest value of its analyte in the window (none: grade
#: 0, no value is no known abnormality) and the investigator's active AE (``"<term> (adverse event)"``).
RECORDED_LAB_TERMS: Final[frozenset[str]] = frozenset({
    "Hypokalemia", "Hyperkalemia", "Hyponatremia", "Hypernatremia",
    "Hypocalcemia", "Hypercalcemia", "Hypomagnesemia", "Hypermagnesemia"})

#: How a missing laboratory value is named in "cannot decide" messages.
LAB_NAMES: Final[dict[Analyte, str]] = {
    Analyte.haemoglobin: "haemoglobin", Analyte.platelets: "platelet count",
    Analyte.neutrophils: "neutrophil count", Analyte.wbc: "white blood cell count",
    Analyte.lymphocytes: "lymphocyte count", Analyte.creatinine: "serum creatinine",
    Analyte.bilirubin: "total bilirubin", Analyte.alt: "ALT", Analyte.ast: "AST", Analyte.alp: "alkaline phosphatase",
    Analyte.potassium: "serum potassium", Analyte.sodium: "serum sodium", Analyte.calcium: "serum calcium",
    Analyte.magnesium: "serum magnesium",
}

#: CTCAE v5.0 system organ class of the AE terms named by the shipped protocols' SOC rules.
SOC_TERMS: Final[dict[str, frozenset[str]]] = {
    "Gastrointestinal disorders": frozenset({
        "Abdominal pain", "Constipation", "Diarrhea", "Dry mouth", "Dyspepsia", "Dysphagia",
        "Gastritis", "Mucositis oral", "Nausea", "Vomiting", "Esophagitis", "Colitis",
        "Gastrointestinal hemorrhage", "Small intestinal obstruction", "Bloating", "Flatulence"}),
    "Metabolism and nutrition disorders": frozenset({
        "Anorexia", "Dehydration", "Hypercalcemia", "Hyperglycemia", "Hyperkalemia",
        "Hypermagnesemia", "Hypernatremia", "Hypoalbuminemia", "Hypocalcemia", "Hypoglycemia",
        "Hypokalemia", "Hypomagnesemia", "Hyponatremia", "Hypophosphatemia", "Tumor lysis syndrome",
        "Acidosis", "Alkalosis"}),
}


def _indicator(lab: LabResult) -> Literal["LOW", "NORMAL", "HIGH"] | None:
    if lab.uln is not None and lab.value > lab.uln:
        return "HIGH"
    if lab.lln is not None and lab.value < lab.lln:
        return "LOW"
    return "NORMAL" if (lab.uln is not None or lab.lln is not None) else None


def _lab_grade(ctx: Context, term: str, analyte: Analyte, start: date, end: date) -> tuple[int | None, str]:
    labs = [x for x in ctx.record.labs_of(analyte) if start <= x.sampled_on <= end]
    if not labs:
        return None, f"no {LAB_NAMES[analyte]} within {(end - start).days} days before {end}"
    lab = labs[-1]
    base_day = ctx.baseline_date or ctx.on
    base = [x for x in ctx.record.labs_of(analyte) if x.sampled_on <= base_day and x.unit == lab.unit]
    b = base[-1] if base else None
    grade = ctcae_grade(LabValue(term, lab.value, lab.unit, lab.lln, lab.uln,
                                 b.value if b else None, _indicator(b) if b else None, lab.sampled_on))
    if grade.grade is None:
        return None, f"{term} on {lab.sampled_on}: not gradable ({grade.reason})"
    return grade.grade, f"{term} grade {grade.grade} from labs {analyte.value} {lab.sampled_on} = {lab.value:g} {lab.unit}"


def _ae_grade(ctx: Context, term: str, day: date) -> tuple[int, str]:
    active = [a for a in ctx.record.adverse_events
              if a.term == term and a.onset_date <= day
              and (a.resolution_date is None or a.resolution_date >= day)]
    if not active:
        return 0, ""
    worst = max(active, key=lambda a: a.grade)
    return worst.grade, f"adverse_events {worst.ae_id} {worst.term} grade {worst.grade} (onset {worst.onset_date})"


def _terms(leaf: Condition) -> tuple[set[str], set[str]]:
    """(laboratory terms, other terms) the leaf reads.

    A laboratory-defined term is graded from its analyte only: an adverse-event record of
    such a term is graded by the worst value of its episode, not by the value now.
    """
    names = set(leaf.terms)
    if leaf.soc:
        names |= set(SOC_TERMS.get(leaf.soc, frozenset()))
    return {n for n in names if n in LAB_TERMS}, {n for n in names if n not in LAB_TERMS}


def term_grades(ctx: Context, leaf: Condition, on: date, start: date) -> dict[str, tuple[int | None, str]]:
    """Grade (None: missing) and its source, per term of the leaf, on ``on``.

    Laboratory terms: the latest value of the analyte in [start, on]; other terms: the
    worst adverse event active on ``on`` (grade 0 and no source when none is); the terms of
    :data:`RECORDED_LAB_TERMS`: both, as two entries.
    """
    lab_terms, ae_terms = _terms(leaf)
    out: dict[str, tuple[int | None, str]] = {}
    for term in sorted(lab_terms):
        analyte = LAB_TERMS[term]
        if term in RECORDED_LAB_TERMS:
            out[f"{term} (adverse event)"] = _ae_grade(ctx, term, on)
            if not any(start <= x.sampled_on <= on for x in ctx.record.labs_of(analyte)):
                out[term] = (0, "")
                continue
        out[term] = _lab_grade(ctx, term, analyte, start, on)
    for term in sorted(ae_terms):
        out[term] = _ae_grade(ctx, term, on)
    return out


def grade_now(ctx: Context, leaf: Condition, on: date, start: date) -> tuple[int, list[str], list[str]]:
    """(highest grade, sources, missing) over the leaf's terms on ``on``."""
    best, sources, missing = 0, [], []
    for g, text in term_grades(ctx, leaf, on, start).values():
        if g is None:
            missing.append(text)
            continue
        if text:
            sources.append(text)
        best = max(best, g)
    return best, sources, missing


def _beyond_baseline(ctx: Context, leaf: Condition, start: date, end: date) -> FactValue:
    """Highest current grade among the terms worse than at the treatment baseline.

    Reading of the label's "until Grade 1 or baseline" (Pluvicto US PI §2.4): a term at or
    below its own baseline grade is not a treatment toxicity, so per term the current grade
    counts only when it exceeds that term's grade on the baseline date (the latest value in
    the lookback window before it; for other terms, the adverse events active then).  A term
    whose baseline is unknown could count or not: when its grade is above the maximum of the
    others it is a gap (that maximum is then a lower bound, ``partial``).
    """
    name = Fact.CTCAE_GRADE_BEYOND_BASELINE.value
    base_day = ctx.baseline_date or ctx.on
    now = term_grades(ctx, leaf, end, start)
    base = term_grades(ctx, leaf, base_day, base_day - timedelta(days=ctx.lookback_days))
    best, sources, gaps = 0, [], []
    unknown: list[tuple[int, str]] = []
    for term, (g, text) in now.items():
        b, b_text = base[term]
        if g is None:
            gaps.append(text)
        elif b is None:
            unknown.append((g, f"baseline {term}: {b_text}"))
        elif g > b:
            best = max(best, g)
            sources.append(f"{text} (baseline grade {b})")
        elif g > 0:
            sources.append(f"{text} is not above its baseline grade {b}")
    gaps += [text for g, text in unknown if g > best]  # could raise the maximum
    if gaps and not sources and best == 0:
        return FactValue(name, None, "grade", missing="; ".join(gaps), gaps=tuple(gaps))
    return FactValue(name, best, "grade", end, "; ".join(sources) or "no term above its baseline grade",
                     partial=bool(gaps), gaps=tuple(gaps))


def ctcae_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``ctcae_grade`` or ``ctcae_grade_beyond_baseline`` of the leaf's terms."""
    assert leaf.fact is not None
    name = leaf.fact.value
    bounds = ctx.bounds(leaf.window)
    if isinstance(bounds, str):
        return FactValue(name, None, "grade", missing=bounds)
    start, end = bounds
    if leaf.fact is Fact.CTCAE_GRADE_BEYOND_BASELINE:
        return _beyond_baseline(ctx, leaf, start, end)
    grade, sources, missing = grade_now(ctx, leaf, end, start)
    if missing and not sources and grade == 0:
        return FactValue(name, None, "grade", missing="; ".join(missing), gaps=tuple(missing))
    return FactValue(name, grade, "grade", end, "; ".join(sources) or "no active adverse event",
                     partial=bool(missing), gaps=tuple(missing), series=_series(ctx, leaf, start, end))


def _series(ctx: Context, leaf: Condition, start: date, end: date) -> tuple[tuple[date, float], ...]:
    """Grade on each laboratory date of the leaf's terms in [start, end] (for confirmation)."""
    lab_terms, _ = _terms(leaf)
    analytes = {LAB_TERMS[t] for t in lab_terms}
    days = sorted({x.sampled_on for x in ctx.record.labs if x.analyte in analytes and start <= x.sampled_on <= end})
    return tuple((d, float(grade_now(ctx, leaf, d, start)[0])) for d in days)
