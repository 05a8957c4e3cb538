"""Every fact of the vocabulary (:mod:`lutetia.protocols.facts`) from a record on a date.

:func:`compute_fact` returns a :class:`~lutetia.decide.model.FactValue`: the value in the
fact's canonical unit with the date and record that decided it, or "not evaluable" with
what is missing.  Measured facts (labs, ECOG) take the latest value inside the rule's
window, or inside the context's look-back (``DEFAULT_LOOKBACK_DAYS``, a project default)
when the rule has none; values after the evaluation date are never used.

References
----------
1. Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine.
   Nephron 1976;16:31. doi:10.1159/000180580 (through :func:`lutetia.assess.cockcroft_gault`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lutetia.assess import cockcroft_gault
from lutetia.decide.facts_ctcae import ctcae_fact
from lutetia.decide.facts_history import HISTORY_FACTS
from lutetia.decide.model import Context, FactValue
from lutetia.protocols import Anchor, Condition, Fact, Window
from lutetia.protocols.facts import fact_spec
from lutetia.records import Analyte, LabResult

LAB_LABELS: dict[Analyte, str] = {
    Analyte.neutrophils: "neutrophil count", Analyte.wbc: "white blood cell count",
    Analyte.platelets: "platelet count", Analyte.haemoglobin: "haemoglobin",
    Analyte.psa: "PSA", Analyte.testosterone: "testosterone", Analyte.creatinine: "serum creatinine",
    Analyte.bilirubin: "total bilirubin", Analyte.alt: "ALT", Analyte.ast: "AST",
    Analyte.crcl: "creatinine clearance",
}
_LAB_FACTS: dict[Fact, Analyte] = {
    Fact.ANC_GIGA_PER_L: Analyte.neutrophils, Fact.WBC_GIGA_PER_L: Analyte.wbc,
    Fact.PLATELETS_GIGA_PER_L: Analyte.platelets, Fact.HAEMOGLOBIN_G_L: Analyte.haemoglobin,
    Fact.PSA_NG_ML: Analyte.psa, Fact.TESTOSTERONE_NMOL_L: Analyte.testosterone,
}
_ULN_FACTS: dict[Fact, Analyte] = {
    Fact.BILIRUBIN_X_ULN: Analyte.bilirubin, Fact.ALT_X_ULN: Analyte.alt, Fact.AST_X_ULN: Analyte.ast,
}


def _unit(fact: Fact) -> str:
    return fact_spec(fact).unit


def missing_text(ctx: Context, what: str, window: Window | None) -> str:
    """``no platelet count within 14 days before 2025-03-10`` (or the missing anchor)."""
    bounds = ctx.bounds(window)
    if isinstance(bounds, str):
        return f"no {what}: {bounds}"
    start, end = bounds
    if end == ctx.on:
        return f"no {what} within {(end - start).days} days before {end.isoformat()}"
    return f"no {what} between {start.isoformat()} and {end.isoformat()}"


def labs_in(ctx: Context, analyte: Analyte, window: Window | None) -> list[LabResult]:
    """Values of ``analyte`` inside the window (oldest first); empty when the anchor is unknown."""
    bounds = ctx.bounds(window)
    if isinstance(bounds, str):
        return []
    start, end = bounds
    return [x for x in ctx.record.labs_of(analyte) if start <= x.sampled_on <= end]


def _lab_source(lab: LabResult) -> str:
    return f"labs {lab.analyte.value} {lab.sampled_on.isoformat()} = {lab.value:g} {lab.unit}"


def lab_fact(ctx: Context, fact: Fact, analyte: Analyte, window: Window | None) -> FactValue:
    """Latest value of ``analyte`` in the window, canonical unit."""
    labs = labs_in(ctx, analyte, window)
    if not labs:
        return FactValue(fact.value, None, _unit(fact), missing=missing_text(ctx, LAB_LABELS[analyte], window))
    series = tuple((x.sampled_on, x.canonical()[0]) for x in labs)
    last = labs[-1]
    return FactValue(fact.value, series[-1][1], _unit(fact), last.sampled_on, _lab_source(last), series=series)


def uln_fact(ctx: Context, fact: Fact, analyte: Analyte, window: Window | None) -> FactValue:
    """Latest value of ``analyte`` over its ULN (both as reported)."""
    labs = [x for x in labs_in(ctx, analyte, window) if x.uln]
    if not labs:
        what = f"{LAB_LABELS[analyte]} with its upper limit of normal"
        return FactValue(fact.value, None, "x_ULN", missing=missing_text(ctx, what, window))
    series = tuple((x.sampled_on, x.value / float(x.uln or 1.0)) for x in labs)
    last = labs[-1]
    return FactValue(fact.value, series[-1][1], "x_ULN", last.sampled_on,
                     f"{_lab_source(last)} (ULN {last.uln:g})", series=series)


def ecog_fact(ctx: Context, leaf: Condition) -> FactValue:
    bounds = ctx.bounds(leaf.window)
    found = [] if isinstance(bounds, str) else sorted(
        (e for e in ctx.record.ecog if bounds[0] <= e.assessed_on <= bounds[1]), key=lambda e: e.assessed_on)
    if not found:
        return FactValue("ecog", None, "score", missing=missing_text(ctx, "ECOG assessment", leaf.window))
    e = found[-1]
    return FactValue("ecog", e.ecog, "score", e.assessed_on, f"ecog {e.assessed_on.isoformat()} = {e.ecog}")


def _weight_on(ctx: Context, day: date) -> tuple[float, str] | None:
    weights = [x for x in ctx.record.labs_of(Analyte.body_weight) if x.sampled_on <= day]
    if weights:
        return weights[-1].canonical()[0], f"body weight {weights[-1].sampled_on.isoformat()}"
    w = ctx.record.patient.weight_kg
    return (w, "baseline weight") if w is not None else None


def crcl_series(ctx: Context, window: Window | None) -> tuple[list[tuple[date, float, str]], str]:
    """Creatinine clearance values (mL/min) in the window: measured, else Cockcroft–Gault."""
    measured = labs_in(ctx, Analyte.crcl, window)
    if measured:
        return [(x.sampled_on, x.canonical()[0], _lab_source(x)) for x in measured], ""
    creats = labs_in(ctx, Analyte.creatinine, window)
    if not creats:
        return [], missing_text(ctx, "serum creatinine (or measured clearance)", window)
    patient = ctx.record.patient
    out: list[tuple[date, float, str]] = []
    for c in creats:
        weight = _weight_on(ctx, c.sampled_on)
        if weight is None or patient.sex.value not in ("male", "female"):
            return [], "no body weight (or sex) for Cockcroft-Gault"
        value = cockcroft_gault(c.value, c.unit, age_years=patient.age_years(c.sampled_on),
                                weight_kg=weight[0], sex=patient.sex.value)  # type: ignore[arg-type]
        out.append((c.sampled_on, value, f"Cockcroft-Gault from {_lab_source(c)}, {weight[1]} {weight[0]:g} kg"))
    return out, ""


def crcl_fact(ctx: Context, leaf: Condition) -> FactValue:
    values, missing = crcl_series(ctx, leaf.window)
    if not values:
        return FactValue("crcl_ml_min", None, "mL/min", missing=missing)
    day, value, src = values[-1]
    return FactValue("crcl_ml_min", value, "mL/min", day, src, series=tuple((d, v) for d, v, _ in values))


def _change(ctx: Context, leaf: Condition, name: str, what: str,
            series: Callable[[Window | None], list[tuple[date, float, str]]]) -> FactValue:
    """Signed % change of the latest value from the value at the protocol baseline."""
    base_day = ctx.baseline_date or ctx.on
    before = [x for x in series(Window(anchor=Anchor.EVALUATION, before=3650)) if x[0] <= base_day]
    if not before:
        return FactValue(name, None, "%", missing=f"no baseline {what} on or before {base_day.isoformat()}")
    b_day, b_val, _ = before[-1]
    after = [x for x in series(leaf.window) if x[0] >= b_day]
    if not after or b_val == 0:
        return FactValue(name, None, "%", missing=missing_text(ctx, f"{what} after the baseline of {b_day}", leaf.window))
    pct = [(d, (v - b_val) / b_val * 100.0) for d, v, _ in after]
    return FactValue(name, pct[-1][1], "%", pct[-1][0], f"{after[-1][2]} vs baseline {b_day} = {b_val:.4g}",
                     series=tuple(pct))


def _creat_series(ctx: Context) -> Callable[[Window | None], list[tuple[date, float, str]]]:
    def f(w: Window | None) -> list[tuple[date, float, str]]:
        return [(x.sampled_on, x.canonical()[0], _lab_source(x)) for x in labs_in(ctx, Analyte.creatinine, w)]
    return f


def _crcl_only(ctx: Context) -> Callable[[Window | None], list[tuple[date, float, str]]]:
    return lambda w: crcl_series(ctx, w)[0]


def _simple(ctx: Context, leaf: Condition) -> FactValue:
    fact = leaf.fact
    assert fact is not None
    p = ctx.record.patient
    if fact is Fact.AGE_YEARS:
        return FactValue(fact.value, p.age_years(ctx.on), "year", ctx.on, "patients birth date/year")
    if fact is Fact.SEX:
        return FactValue(fact.value, p.sex.value, "category", None, "patients sex")
    if fact is Fact.GILBERT_SYNDROME:
        return FactValue(fact.value, p.gilbert_syndrome, "category", None, "patients gilbert_syndrome")
    raise KeyError(fact)


def compute_fact(ctx: Context, leaf: Condition) -> FactValue:
    """The value of the leaf's fact in ``ctx`` (see the module docstring)."""
    fact = leaf.fact
    if fact is None:
        raise ValueError("compute_fact needs a leaf condition")
    if fact in _LAB_FACTS:
        return lab_fact(ctx, fact, _LAB_FACTS[fact], leaf.window)
    if fact in _ULN_FACTS:
        return uln_fact(ctx, fact, _ULN_FACTS[fact], leaf.window)
    if fact in (Fact.AGE_YEARS, Fact.SEX, Fact.GILBERT_SYNDROME):
        return _simple(ctx, leaf)
    if fact is Fact.ECOG:
        return ecog_fact(ctx, leaf)
    if fact is Fact.CRCL_ML_MIN:
        return crcl_fact(ctx, leaf)
    if fact is Fact.CREATININE_CHANGE_FROM_BASELINE_PCT:
        return _change(ctx, leaf, fact.value, "serum creatinine", _creat_series(ctx))
    if fact is Fact.CRCL_CHANGE_FROM_BASELINE_PCT:
        return _change(ctx, leaf, fact.value, "creatinine clearance", _crcl_only(ctx))
    if fact in (Fact.CTCAE_GRADE, Fact.CTCAE_GRADE_BEYOND_BASELINE):
        return ctcae_fact(ctx, leaf)
    return HISTORY_FACTS[fact](ctx, leaf)


__all__ = ["LAB_LABELS", "compute_fact", "crcl_series", "lab_fact", "labs_in", "missing_text"]
