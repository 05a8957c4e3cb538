"""Molecular imaging response: RECIP 1.0 (PSMA PET), FDG PET (PRODIGY-2 categories and
PERCIST 1.0) and molecular tumour volume on post-therapy 177Lu SPECT/CT.

References
----------
1. Gafita A, Rauscher I, Weber M, et al. Novel framework for treatment response evaluation
   using PSMA PET/CT in patients with metastatic castration-resistant prostate cancer
   (RECIP 1.0). J Nucl Med 2022;63:1651–1658. doi:10.2967/jnumed.121.263072
2. Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST. J Nucl Med
   2009;50 Suppl 1:122S–150S. doi:10.2967/jnumed.108.057307
3. PRODIGY-2 and FLEX-MRT (NCT06216249) protocol summaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lutetia.assess.criteria import Strict, compare, load_criteria, validate_section
from lutetia.assess.outcome import Evidence

RecipResponse = Literal["CR", "PR", "SD", "PD", "NE"]
MetabolicResponse = Literal["CMR", "PMR", "SMD", "PMD", "NE"]


class RecipParams(Strict):
    pr_change_pct: float
    pd_change_pct: float


class Prodigy2Fdg(Strict):
    decrease_pct: float
    increase_pct: float


class PercistParams(Strict):
    decrease_pct: float
    decrease_abs_sul: float
    increase_pct: float
    increase_abs_sul: float
    liver_factor: float
    liver_sd_factor: float


class SpectParams(Strict):
    baseline_cycle: int
    scan_day: int
    rebaseline_after_holiday: bool


def scan_day(hours_after_administration: float) -> int:
    """Day of a post-therapy scan: the administration day is day 1 (0–24 h), 48–72 h day 3."""
    return int(hours_after_administration // 24) + 1


def spect_scan_day() -> int:
    """The protocol day of the SPECT molecular tumour volume scan (``spect_mtv`` params)."""
    return validate_section(load_criteria("spect_mtv"), "params", SpectParams).scan_day


def percent_change(baseline: float, value: float) -> float | None:
    """(value − baseline) / baseline × 100; None when baseline ≤ 0."""
    return None if baseline <= 0 else (value - baseline) / baseline * 100.0


def recip_response(baseline_ttv_ml: float | None, followup_ttv_ml: float | None,
                   new_lesions: bool | None, *, any_uptake: bool | None = None) -> tuple[RecipResponse, Evidence]:
    """RECIP 1.0 from total PSMA-positive tumour volume (PSMA-VOL) and new lesions.

    CR when no PSMA uptake remains (``any_uptake is False``); PR: change ≤ −30 % and no new
    lesions; PD: change ≥ +20 % and new lesions; SD otherwise; NE when volumes or the
    new-lesion read are missing.
    """
    crit = load_criteria("recip_1_0")
    p = validate_section(crit, "params", RecipParams)
    ev = Evidence((crit.rule("recip10.response"),), (
        ("baseline_ttv_ml", str(baseline_ttv_ml)), ("followup_ttv_ml", str(followup_ttv_ml)),
        ("new_lesions", str(new_lesions))))
    if any_uptake is False:
        return "CR", ev
    if baseline_ttv_ml is None or followup_ttv_ml is None or new_lesions is None:
        return "NE", ev
    change = percent_change(baseline_ttv_ml, followup_ttv_ml)
    if change is None:
        return "NE", ev
    if compare(change, "<=", p.pr_change_pct) and not new_lesions:
        return "PR", ev
    if compare(change, ">=", p.pd_change_pct) and new_lesions:
        return "PD", ev
    return "SD", ev


def fdg_response_prodigy2(baseline_uptake: float | None, followup_uptake: float | None,
                          all_lesions_gone: bool | None) -> tuple[MetabolicResponse, Evidence]:
    """PRODIGY-2 FDG categories: CMR (all lesions gone), PMR (≥30 % decrease), PMD (≥30 %
    increase), SMD (change <30 %).  No 0.8 SUL floor — these are protocol categories, not
    PERCIST."""
    crit = load_criteria("fdg")
    p = validate_section(crit, "prodigy2", Prodigy2Fdg)
    ev = Evidence((crit.rule("prodigy2.fdg"),), (("baseline", str(baseline_uptake)), ("followup", str(followup_uptake))))
    if all_lesions_gone:
        return "CMR", ev
    if baseline_uptake is None or followup_uptake is None:
        return "NE", ev
    change = percent_change(baseline_uptake, followup_uptake)
    if change is None:
        return "NE", ev
    if compare(-change, ">=", p.decrease_pct):
        return "PMR", ev
    if compare(change, ">=", p.increase_pct):
        return "PMD", ev
    return "SMD", ev


def percist_response(baseline_sulpeak: float | None, followup_sulpeak: float | None, *,
                     new_lesions: bool | None, complete_resolution: bool | None = False,
                     unequivocal_progression: bool = False, liver_mean_sul: float | None = None,
                     liver_sd_sul: float | None = None) -> tuple[MetabolicResponse, Evidence]:
    """PERCIST 1.0 on the hottest lesion of each scan (SULpeak, SUL units).

    PMD: new FDG-avid lesions, unequivocal progression, or SULpeak +>30 % **and** >0.8 SUL;
    CMR: complete resolution read (``complete_resolution``) and no new lesions; PMR: −≥30 %
    **and** a drop ≥0.8 SUL; SMD otherwise.  When liver mean and SD are given, a baseline
    SULpeak below 1.5 × liver mean + 2 SD is not measurable (NE unless PMD).
    """
    crit = load_criteria("fdg")
    p = validate_section(crit, "percist", PercistParams)
    ev = Evidence((crit.rule("percist10"),), (("baseline_sulpeak", str(baseline_sulpeak)),
                                              ("followup_sulpeak", str(followup_sulpeak))))
    if new_lesions or unequivocal_progression:
        return "PMD", ev
    if new_lesions is None or baseline_sulpeak is None or followup_sulpeak is None:
        return ("CMR", ev) if complete_resolution and new_lesions is False else ("NE", ev)
    delta = followup_sulpeak - baseline_sulpeak
    change = percent_change(baseline_sulpeak, followup_sulpeak)
    if change is not None and compare(change, ">", p.increase_pct) and compare(delta, ">", p.increase_abs_sul):
        return "PMD", ev
    if complete_resolution:
        return "CMR", ev
    if liver_mean_sul is not None and liver_sd_sul is not None and compare(
            baseline_sulpeak, "<", p.liver_factor * liver_mean_sul + p.liver_sd_factor * liver_sd_sul):
        return "NE", ev
    if change is not None and compare(-change, ">=", p.decrease_pct) and compare(-delta, ">=", p.decrease_abs_sul):
        return "PMR", ev
    return "SMD", ev


@dataclass(frozen=True)
class SpectScan:
    """A post-therapy SPECT/CT: cycle, day after administration, MTV (mL); ``resumed`` marks
    the first cycle after a treatment holiday."""

    date: date
    cycle: int
    day: int
    mtv_ml: float | None
    resumed: bool = False


@dataclass(frozen=True)
class SpectResponse:
    baseline: SpectScan | None
    changes: tuple[tuple[date, float], ...]
    best_change_pct: float | None
    best_date: date | None
    evidence: Evidence


def spect_mtv_response(scans: Iterable[SpectScan], *, rebaseline_after_holiday: bool | None = None) -> SpectResponse:
    """% MTV change of each day-3 scan from the cycle-1 day-3 baseline, and the best (most
    negative) change up to the last cycle's day-3 scan.

    With ``rebaseline_after_holiday`` False (FLEX-MRT, the file's default) the cycle-1 scan
    stays the baseline after a holiday; True re-baselines on the first resumed scan.
    """
    crit = load_criteria("spect_mtv")
    p = validate_section(crit, "params", SpectParams)
    rebase = p.rebaseline_after_holiday if rebaseline_after_holiday is None else rebaseline_after_holiday
    ev = Evidence((crit.rule("prodigy2.spect.best"), crit.rule("flexmrt.spect.baseline")),
                  (("rebaseline_after_holiday", str(rebase)),))
    day3 = sorted((s for s in scans if s.day == p.scan_day and s.mtv_ml is not None), key=lambda s: s.date)
    base = next((s for s in day3 if s.cycle == p.baseline_cycle), None)
    if base is None or base.mtv_ml is None or base.mtv_ml <= 0:
        return SpectResponse(None, (), None, None, ev)
    changes: list[tuple[date, float]] = []
    ref = base
    for s in day3:
        if s.date <= base.date:
            continue
        if rebase and s.resumed:
            ref = s
            continue
        assert s.mtv_ml is not None and ref.mtv_ml is not None
        ch = percent_change(ref.mtv_ml, s.mtv_ml)
        if ch is not None:
            changes.append((s.date, ch))
    if not changes:
        return SpectResponse(base, (), None, None, ev)
    best = min(changes, key=lambda c: (c[1], c[0]))
    return SpectResponse(base, tuple(changes), best[1], best[0], ev)
