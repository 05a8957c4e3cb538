"""RECIST 1.1: measurability, baseline target selection, sum of diameters and the
time-point response of targets, non-targets and new lesions (Tables 1 and 2 in
``recist_1_1.toml``).

References
----------
1. Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria in solid
   tumours: revised RECIST guideline (version 1.1). Eur J Cancer 2009;45:228–247.
   doi:10.1016/j.ejca.2008.10.026
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import ValidationError

from lutetia.assess.criteria import Strict, compare, load_criteria, validate_section
from lutetia.assess.outcome import Evidence, RuleRef
from lutetia.errors import ProtocolError, RecordError

LesionKind = Literal["non_nodal", "node", "bone_blastic", "bone_lytic", "bone_mixed"]
NonTargetStatus = Literal["absent", "present", "progression", "not_evaluated"]
TargetResponse = Literal["CR", "PR", "SD", "PD", "NE"]
NonTargetResponse = Literal["CR", "NON-CR/NON-PD", "PD", "NE", "NONE"]
OverallResponse = Literal["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"]
LESION_KINDS: tuple[str, ...] = ("non_nodal", "node", "bone_blastic", "bone_lytic", "bone_mixed")


class Measurability(Strict):
    non_nodal_min_mm: float
    node_short_axis_min_mm: float
    node_normal_below_mm: float
    max_targets: int
    max_targets_per_organ: int


class TargetParams(Strict):
    pr_decrease_pct: float
    pd_increase_pct: float
    pd_increase_abs_mm: float


class TableRow(Strict):
    row: tuple[str, str, str, str]


@dataclass(frozen=True)
class Lesion:
    """A baseline lesion: ``diameter_mm`` is the longest diameter, or the short axis for a
    node; for lytic/mixed bone lesions, the soft-tissue component's longest diameter."""

    lesion_id: str
    organ: str
    kind: LesionKind
    diameter_mm: float | None


@dataclass(frozen=True)
class TimePointResponse:
    """Target, non-target, new-lesion and overall response at one assessment."""

    date: date | None
    target: TargetResponse | None
    non_target: NonTargetResponse
    new_lesions: bool
    overall: OverallResponse
    sum_mm: float | None
    baseline_sum_mm: float | None
    nadir_sum_mm: float | None
    evidence: Evidence


@lru_cache(maxsize=1)
def _params() -> tuple[Measurability, TargetParams, tuple[TableRow, ...], tuple[TableRow, ...]]:
    crit = load_criteria("recist_1_1")
    m = validate_section(crit, "measurability", Measurability)
    t = validate_section(crit, "target_response", TargetParams)

    class _Table(Strict):
        rows: list[TableRow]

    tables = []
    for name in ("table1", "table2"):
        try:
            parsed = _Table.model_validate({"rows": crit.section(name)})
        except ValidationError as exc:
            raise ProtocolError(f"recist_1_1 [{name}]: {exc}") from exc
        tables.append(tuple(parsed.rows))
    return m, t, tables[0], tables[1]


def _rule(rule_id: str) -> RuleRef:
    return load_criteria("recist_1_1").rule(rule_id)


def is_measurable(lesion: Lesion) -> bool:
    """RECIST 1.1 measurability at baseline (CT/MRI, slice ≤5 mm assumed).

    Non-nodal ≥10 mm longest diameter; node ≥15 mm short axis; blastic bone never; lytic or
    mixed bone when the soft-tissue component is ≥10 mm.
    """
    m = _params()[0]
    if lesion.diameter_mm is None or lesion.kind == "bone_blastic":
        return False
    if lesion.kind == "node":
        return compare(lesion.diameter_mm, ">=", m.node_short_axis_min_mm)
    return compare(lesion.diameter_mm, ">=", m.non_nodal_min_mm)


def select_targets(baseline: Iterable[Lesion]) -> tuple[list[Lesion], list[Lesion]]:
    """Choose baseline targets: the largest measurable lesions, ≤2 per organ, ≤5 in total.

    Returns ``(targets, non_targets)``; ties are broken by lesion id so the choice does not
    depend on input order.  Non-measurable lesions and pathological nodes of 10–<15 mm are
    non-targets; nodes <10 mm are normal and dropped.
    """
    m = _params()[0]
    lesions = sorted(baseline, key=lambda les: (-(les.diameter_mm or 0.0), les.lesion_id))
    targets: list[Lesion] = []
    per_organ: dict[str, int] = {}
    non_targets: list[Lesion] = []
    for les in lesions:
        organ = les.organ.strip().lower()
        if (is_measurable(les) and len(targets) < m.max_targets
                and per_organ.get(organ, 0) < m.max_targets_per_organ):
            targets.append(les)
            per_organ[organ] = per_organ.get(organ, 0) + 1
        elif les.kind == "node" and les.diameter_mm is not None and les.diameter_mm < m.node_normal_below_mm:
            continue
        else:
            non_targets.append(les)
    return targets, sorted(non_targets, key=lambda les: les.lesion_id)


def sum_of_diameters(diameters_mm: Iterable[float | None]) -> float | None:
    """Sum of target diameters (nodes: short axis); None if any target is not measured."""
    values = list(diameters_mm)
    if any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def target_response(baseline_sum_mm: float, nadir_sum_mm: float,
                    current: Sequence[tuple[LesionKind, float | None]]) -> TargetResponse:
    """Target-lesion response at one time point.

    Parameters
    ----------
    baseline_sum_mm
        Sum of diameters at baseline (mm).
    nadir_sum_mm
        Smallest sum on study before this time point, baseline included (mm).
    current
        ``(kind, diameter_mm)`` of every target now (None = not measured).

    Notes
    -----
    PD: sum ≥ nadir × 1.20 **and** sum − nadir ≥ 5 mm (also from the measured targets alone
    when some are missing); CR: non-nodal targets 0 and nodes <10 mm; PR: sum ≤ baseline ×
    0.70; NE when a target is missing and PD is not shown; SD otherwise.
    """
    m, t, _, _ = _params()
    partial = float(sum(d for _, d in current if d is not None))
    pd = (compare(partial, ">=", nadir_sum_mm * (1 + t.pd_increase_pct / 100))
          and compare(partial - nadir_sum_mm, ">=", t.pd_increase_abs_mm))
    if pd:
        return "PD"
    if any(d is None for _, d in current):
        return "NE"
    if all((d or 0.0) < m.node_normal_below_mm if k == "node" else d == 0 for k, d in current):
        return "CR"
    if compare(partial, "<=", baseline_sum_mm * (1 - t.pr_decrease_pct / 100)):
        return "PR"
    return "SD"


def non_target_response(statuses: Sequence[NonTargetStatus]) -> NonTargetResponse:
    """Non-target response: PD on unequivocal progression; CR when all absent (nodes <10 mm
    count as absent); NE when any is not evaluated; NONE without non-target lesions."""
    if not statuses:
        return "NONE"
    if "progression" in statuses:
        return "PD"
    if "not_evaluated" in statuses:
        return "NE"
    if all(s == "absent" for s in statuses):
        return "CR"
    return "NON-CR/NON-PD"


def _match(cell: str, value: str) -> bool:
    return cell == "*" or value in cell.split("|")


def overall_response(target: TargetResponse | None, non_target: NonTargetResponse,
                     new_lesions: bool) -> OverallResponse:
    """Overall time-point response from RECIST 1.1 Table 1 (targets) or Table 2 (no targets)."""
    _, _, table1, table2 = _params()
    table = table1 if target is not None else table2
    key = (target or "-", non_target, "yes" if new_lesions else "no")
    for r in table:
        if all(_match(cell, v) for cell, v in zip(r.row[:3], key, strict=True)):
            return _as_overall(r.row[3])
    raise ProtocolError(f"recist_1_1: no table row matches target={key[0]} non-target={key[1]} new={key[2]}")


def _as_overall(value: str) -> OverallResponse:
    for v in ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"):
        if value == v:
            return v
    raise ProtocolError(f"recist_1_1: unknown overall response {value!r}")


@dataclass(frozen=True)
class FollowUp:
    """One follow-up assessment: target diameters by lesion id, non-target statuses by id,
    and whether unequivocal new lesions were seen."""

    date: date
    target_mm: dict[str, float | None]
    non_target: dict[str, NonTargetStatus]
    new_lesions: bool


def time_point_responses(baseline: Sequence[Lesion], follow_ups: Iterable[FollowUp],
                         target_ids: Collection[str] | None = None) -> list[TimePointResponse]:
    """Responses at every follow-up (sorted by date), with the nadir carried forward.

    Targets are ``target_ids`` when the reader chose them, else :func:`select_targets`
    chooses; a target absent from a follow-up's ``target_mm`` counts as not measured.
    """
    if target_ids is None:
        targets, non_targets = select_targets(baseline)
    else:
        unknown = set(target_ids) - {b.lesion_id for b in baseline}
        if unknown:
            raise RecordError("target lesion(s) not in the baseline", field="target_ids",
                              value=sorted(unknown), accepted="ids of baseline lesions")
        targets = [b for b in baseline if b.lesion_id in target_ids]
        non_targets = [b for b in baseline if b.lesion_id not in target_ids]
    rules = tuple(_rule(r) for r in ("recist11.targets", "recist11.target_response",
                                     "recist11.nontarget_response", "recist11.overall"))
    base_sum = sum_of_diameters(t.diameter_mm for t in targets) if targets else None
    nadir = base_sum
    out: list[TimePointResponse] = []
    for fu in sorted(follow_ups, key=lambda f: f.date):
        current = [(t.kind, fu.target_mm.get(t.lesion_id)) for t in targets]
        tr: TargetResponse | None = None
        if targets and base_sum is not None and nadir is not None:
            tr = target_response(base_sum, nadir, current)
        statuses = [fu.non_target.get(n.lesion_id, "not_evaluated") for n in non_targets]
        ntr = non_target_response(statuses)
        overall = overall_response(tr, ntr, fu.new_lesions)
        now = sum_of_diameters(d for _, d in current) if targets else None
        inputs = (("targets", ",".join(t.lesion_id for t in targets)),
                  ("non_targets", ",".join(n.lesion_id for n in non_targets)))
        out.append(TimePointResponse(fu.date, tr, ntr, fu.new_lesions, overall, now, base_sum, nadir,
                                     Evidence(rules, inputs)))
        if now is not None and nadir is not None:
            nadir = min(nadir, now)
    return out
