"""PCWG3 bone-scan progression (the "2+2" rule) with the flare window and confirmation.

Each scan carries the number of new lesions relative to the baseline scan.  Within the
flare window (first post-treatment scan on or before ``flare_window_days``), ≥2 new
lesions count only when a scan ≥ ``confirm_min_days`` later shows ≥2 *additional* new
lesions; the date is the first scan's.  Afterwards, the first post-treatment scan becomes
the reference: ≥2 new lesions relative to it, persisting on the next scan ≥
``confirm_min_days`` later.  Parameters in ``pcwg3.toml`` [bone.pcwg3].

References
----------
1. Scher HI et al. J Clin Oncol 2016;34:1402–1418 (PCWG3), Table 2, Bone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from pydantic import ValidationError

from lutetia.assess.criteria import Strict, load_criteria
from lutetia.assess.outcome import Evidence, Outcome
from lutetia.errors import ProtocolError


class BoneParams(Strict):
    rules: list[str]
    new_lesions: int
    confirm_additional_lesions: int
    confirm_min_days: int
    flare_window_days: int


@lru_cache(maxsize=4)
def bone_params(name: str = "pcwg3") -> BoneParams:
    """Bone-scan parameter set ``name`` from ``pcwg3.toml``."""
    sets = load_criteria("pcwg3").section("bone")
    if name not in sets:
        raise ProtocolError(f"pcwg3: no [bone.{name}]; known: {', '.join(sorted(sets))}")
    try:
        return BoneParams.model_validate(sets[name])
    except ValidationError as exc:
        raise ProtocolError(f"pcwg3 [bone.{name}]: {exc}") from exc


@dataclass(frozen=True)
class BoneScan:
    """A bone scan: date and number of new lesions compared with the baseline scan."""

    date: date
    new_vs_baseline: int


@dataclass(frozen=True)
class BoneResult:
    outcome: Outcome
    event_date: date | None
    confirmed_on: date | None
    evidence: Evidence


def pcwg3_bone_progression(scans: Iterable[BoneScan], first_dose: date,
                           params: BoneParams | None = None) -> BoneResult:
    """PCWG3 bone progression (met / not met / not evaluable) and its date."""
    p = params or bone_params()
    ev_rules = tuple(load_criteria("pcwg3").rule(r) for r in p.rules)
    post = sorted((s for s in scans if s.date > first_dose), key=lambda s: s.date)
    if not post:
        return BoneResult(Outcome.NOT_EVALUABLE, None, None, Evidence(ev_rules, (), "no post-treatment scan"))

    def confirmer(i: int) -> BoneScan | None:
        return next((s for s in post[i + 1:] if (s.date - post[i].date).days >= p.confirm_min_days), None)

    first = post[0]
    in_flare = first.date <= first_dose + timedelta(days=p.flare_window_days)
    reference = first.new_vs_baseline if in_flare else 0
    pending: BoneScan | None = None
    start = 0
    if in_flare:
        start = 1
        if first.new_vs_baseline >= p.new_lesions:
            conf = confirmer(0)
            if conf is None:
                pending = first
            elif conf.new_vs_baseline - first.new_vs_baseline >= p.confirm_additional_lesions:
                return BoneResult(Outcome.MET, first.date, conf.date,
                                  Evidence(ev_rules, (("flare_scan", first.date.isoformat()),), "2+2 confirmed"))
    for i in range(start, len(post)):
        scan = post[i]
        if scan.new_vs_baseline - reference >= p.new_lesions:
            conf = confirmer(i)
            if conf is None:
                pending = pending or scan
            elif conf.new_vs_baseline - reference >= p.new_lesions:
                return BoneResult(Outcome.MET, scan.date, conf.date,
                                  Evidence(ev_rules, (("reference_new_lesions", str(reference)),), "confirmed"))
    if pending is not None:
        return BoneResult(Outcome.NOT_EVALUABLE, pending.date, None,
                          Evidence(ev_rules, (), "new lesions awaiting a confirmatory scan"))
    return BoneResult(Outcome.NOT_MET, None, None, Evidence(ev_rules, (), "no confirmed bone progression"))
