"""Per-arm summaries of response, safety and PRO endpoints (rates with exact CIs, counts,
mean changes), and the ECOG 3 paper's pre/post laboratory comparison."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lutetia.analysis.datasets import Dataset, ResponseRow, build_adrs
from lutetia.analysis.endpoints import treatment_start
from lutetia.analysis.rates import RateEstimate, clopper_pearson
from lutetia.analysis.responses import (
    AesiSummary,
    ProScore,
    RecistResult,
    aesis,
    fdg,
    pro_scores,
    recip,
    recist,
    spect_best_change,
)
from lutetia.analysis.safety import observation_window
from lutetia.analysis.stat_tests import PairedTestResult, paired_comparison
from lutetia.errors import ProtocolError
from lutetia.protocols.loader import load_protocol
from lutetia.protocols.schema import Endpoint
from lutetia.records import Analyte, PatientRecord

#: ORR counts CR+PR, DCR counts CR+PR+SD (PRODIGY-2 registry record, secondary outcome
#: "Best radiological response rates").
ORR = frozenset({"CR", "PR"})
DCR = frozenset({"CR", "PR", "SD", "NON-CR/NON-PD"})


@dataclass(frozen=True)
class ArmResponses:
    arm: str
    bor_counts: dict[str, int]
    orr: RateEstimate | None
    dcr: RateEstimate | None
    recip_counts: dict[str, int]
    fdg_counts: dict[str, int]
    spect_best_change_median: float | None
    aesi_patients: int
    aesi_counts: dict[str, int]
    n: int


@dataclass(frozen=True)
class ProChange:
    arm: str
    instrument: str
    scale: str
    timepoint: str
    n: int
    mean_change: float | None


@dataclass(frozen=True)
class LabComparison:
    """Before vs after treatment for one analyte (ECOG 3 paper: paired t-test after Shapiro–Wilk)."""

    analyte: str
    unit: str
    result: PairedTestResult


def _rate(hits: int, n: int) -> RateEstimate | None:
    return clopper_pearson(hits, n) if n else None


def arm_responses(arm: str, records: Sequence[PatientRecord], protocol_id: str) -> tuple[ArmResponses,
                                                                                        list[RecistResult],
                                                                                        list[AesiSummary]]:
    rec_results = [r for r in (recist(x, protocol_id) for x in records) if r is not None]
    bor = Counter(r.confirmed_bor for r in rec_results)
    n_eval = len(rec_results)
    recips = Counter(v for v in (recip(x, protocol_id) for x in records) if v is not None)
    fdg_endpoint = _endpoint_by_derive(protocol_id, "fdg_response")
    week, tolerance = fdg_endpoint.horizon_weeks or 12.0, fdg_endpoint.window_days or 0.0
    fdgs = Counter(v for v in (fdg(x, protocol_id, week=week, tolerance_days=tolerance) for x in records)
                   if v is not None)
    spect = [v for v in (spect_best_change(x) for x in records) if v is not None]
    aesi_endpoint = _endpoint_by_derive(protocol_id, "subacute_aesi")
    safety = [aesis(x, protocol_id, window_end=w.end if w else None, ae_terms=aesi_endpoint.ae_terms)
              for x in records for w in [observation_window(x, aesi_endpoint, protocol_id)]]
    counts = Counter(k for s in safety for k in s.met)
    summary = ArmResponses(arm, dict(bor), _rate(sum(bor[k] for k in ORR), n_eval),
                           _rate(sum(bor[k] for k in DCR), n_eval), dict(recips), dict(fdgs),
                           statistics.median(spect) if spect else None,
                           sum(1 for s in safety if s.met), dict(counts), len(records))
    return summary, rec_results, safety


def _endpoint_by_derive(protocol_id: str, derive: str) -> Endpoint:
    """The protocol's endpoint with this ``derive``, else PRODIGY-2's (whose definitions the
    report's AESI and FDG columns use for every protocol)."""
    for pid in (protocol_id, "prodigy-2"):
        try:
            protocol = load_protocol(pid)
        except ProtocolError:
            continue
        found = next((e for e in protocol.endpoints if e.derive == derive), None)
        if found is not None:
            return found
    raise ProtocolError(f"no protocol defines a {derive!r} endpoint (PRODIGY-2's is expected)")


def adrs(results: Sequence[RecistResult]) -> Dataset:
    rows: list[ResponseRow] = []
    for r in results:
        rows += [ResponseRow(r.patient_id, "OVR", resp, d, avisit=f"ASSESSMENT {i + 1}")
                 for i, (d, resp) in enumerate(r.visits)]
        rows.append(ResponseRow(r.patient_id, "BOR", r.bor, r.bor_date))
        rows.append(ResponseRow(r.patient_id, "CBOR", r.confirmed_bor, None))
    return build_adrs(rows)


def pro_changes(by_arm: Mapping[str, Sequence[PatientRecord]], baseline: str = "baseline") -> list[ProChange]:
    """Mean change from the baseline score at every other time point label, per arm and scale."""
    out: list[ProChange] = []
    for arm, records in by_arm.items():
        scores: list[ProScore] = [s for r in records for s in pro_scores(r)]
        keyed: dict[tuple[str, str, str], dict[str, float]] = {}
        for s in scores:
            if s.value is not None:
                keyed.setdefault((s.instrument, s.scale, s.timepoint), {})[s.patient_id] = s.value
        for (instrument, scale, tp), values in sorted(keyed.items()):
            if tp == baseline:
                continue
            base = keyed.get((instrument, scale, baseline), {})
            diffs = [v - base[p] for p, v in values.items() if p in base]
            out.append(ProChange(arm, instrument, scale, tp, len(diffs), statistics.fmean(diffs) if diffs else None))
    return out


_PRE_POST = ((Analyte.haemoglobin, "g/L"), (Analyte.wbc, "giga_per_L"), (Analyte.platelets, "giga_per_L"),
             (Analyte.egfr, "mL_min_1_73m2"))


def pre_post_labs(records: Sequence[PatientRecord], protocol_id: str) -> list[LabComparison]:
    """Last value before the first administration vs the last value after it, per analyte
    (the ECOG 3 paper's comparison; canonical units)."""
    out: list[LabComparison] = []
    for analyte, unit in _PRE_POST:
        before: list[float | None] = []
        after: list[float | None] = []
        for rec in records:
            start = treatment_start(rec, protocol_id)
            labs = rec.labs_of(analyte)
            pre = [x for x in labs if start is not None and x.sampled_on <= start]
            post = [x for x in labs if start is not None and x.sampled_on > start]
            before.append(pre[-1].canonical()[0] if pre else None)
            after.append(post[-1].canonical()[0] if post else None)
        pairs = sum(1 for b, a in zip(before, after, strict=True) if b is not None and a is not None)
        if pairs >= 3:
            out.append(LabComparison(analyte.value, unit, paired_comparison(before, after)))
    return out
