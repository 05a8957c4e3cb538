"""PSA outcomes after PCWG3 and the protocols that restate it (criteria in ``pcwg3.toml``).

Every function takes the PSA samples of one subject (any order) and the date of the first
administration; thresholds, comparators and windows come from a :class:`PsaCriteria` set
loaded with :func:`psa_criteria` (``"pcwg3"``, ``"prodigy2"``, ``"ecog3"``).

References
----------
1. Scher HI, Morris MJ, Stadler WM, et al. Trial design and objectives for castration-
   resistant prostate cancer: updated recommendations from the Prostate Cancer Clinical
   Trials Working Group 3. J Clin Oncol 2016;34:1402–1418. doi:10.1200/JCO.2015.64.2702
2. Scher HI, Halabi S, Tannock I, et al. (PCWG2). J Clin Oncol 2008;26:1148–1159.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal, TypeVar

import numpy as np
from pydantic import ValidationError

from lutetia.assess.criteria import Comparator, Strict, compare, load_criteria
from lutetia.assess.outcome import Evidence, Outcome, RuleRef
from lutetia.assess.psa_kernel import ProgressionRule, progression_kernel
from lutetia.errors import ProtocolError

#: PSA50 response: a decline of at least 50 % from baseline (%; PCWG2, reference 2, kept by PCWG3).  The
#: comparator ("at least") comes from the criteria set.
PSA50_DECLINE_PCT = 50.0


@dataclass(frozen=True)
class PsaSample:
    """One PSA value (ng/mL) on a date."""

    date: date
    value_ng_ml: float


class PsaCriteria(Strict):
    """A PSA parameter set (``0`` days = no limit / no confirmation)."""

    rules: list[str]
    response_comparator: Comparator
    response_confirm_days: int
    progression_rise_pct: float
    progression_rise_abs_ng_ml: float
    progression_comparator: Comparator
    progression_confirm_days: int
    no_decline_min_days: int
    week12_days: int
    week12_tolerance_days: int
    max_decline_window_days: int
    category_pr_pct: float = 50.0
    category_pd_pct: float = 25.0
    progression_reference: Literal["nadir", "baseline"] = "nadir"

    def progression_rule(self) -> ProgressionRule:
        """This set's PSA progression parameters for :func:`progression_kernel`."""
        return ProgressionRule(self.progression_rise_pct, self.progression_rise_abs_ng_ml,
                               self.progression_comparator, self.progression_reference,
                               float(self.progression_confirm_days), float(self.no_decline_min_days))


class RiseCriteria(Strict):
    """Consecutive-rises parameter set (ReaLuP ≥1 week, RE-LuPSMA ≥3 weeks)."""

    rules: list[str]
    rises: int
    min_interval_days: int
    min_last_ng_ml: float


@lru_cache(maxsize=16)
def psa_criteria(name: str = "pcwg3") -> PsaCriteria:
    """The PSA parameter set ``name`` from ``pcwg3.toml`` (``ProtocolError`` if unknown)."""
    return _load_set("psa_sets", name, PsaCriteria)


@lru_cache(maxsize=16)
def rise_criteria(name: str) -> RiseCriteria:
    """The consecutive-rises parameter set ``name`` (``"realup"``, ``"relupsma"``)."""
    return _load_set("rise_sets", name, RiseCriteria)


_S = TypeVar("_S", PsaCriteria, RiseCriteria)


def _load_set(section: str, name: str, model: type[_S]) -> _S:
    crit = load_criteria("pcwg3")
    sets = crit.section(section)
    if name not in sets:
        raise ProtocolError(f"pcwg3: no [{section}.{name}]; known: {', '.join(sorted(sets))}")
    try:
        parsed = model.model_validate(sets[name])
    except ValidationError as exc:
        raise ProtocolError(f"pcwg3 [{section}.{name}]: {exc}") from exc
    for rid in parsed.rules:
        crit.rule(rid)
    return parsed


def _refs(rule_ids: Iterable[str]) -> tuple[RuleRef, ...]:
    crit = load_criteria("pcwg3")
    return tuple(crit.rule(r) for r in rule_ids)


def _sorted(samples: Iterable[PsaSample]) -> list[PsaSample]:
    return sorted(samples, key=lambda s: (s.date, s.value_ng_ml))


def psa_baseline(samples: Iterable[PsaSample], first_dose: date) -> PsaSample | None:
    """The last PSA on or before the first administration (None if there is none)."""
    before = [s for s in _sorted(samples) if s.date <= first_dose]
    return before[-1] if before else None


def _post(samples: Iterable[PsaSample], first_dose: date, end: date | None = None) -> list[PsaSample]:
    return [s for s in _sorted(samples) if s.date > first_dose and (end is None or s.date <= end)]


def psa_percent_change(baseline_ng_ml: float, value_ng_ml: float) -> float:
    """Percentage change from baseline (negative = decline)."""
    if baseline_ng_ml <= 0:
        raise ValueError(f"baseline PSA must be > 0 ng/mL, got {baseline_ng_ml}")
    return (value_ng_ml - baseline_ng_ml) / baseline_ng_ml * 100.0


def psa_nadir(samples: Iterable[PsaSample], first_dose: date, end: date | None = None) -> PsaSample | None:
    """Lowest PSA from baseline (included) to ``end``; ties → earliest. None without baseline."""
    items = list(samples)
    base = psa_baseline(items, first_dose)
    if base is None:
        return None
    return min([base, *_post(items, first_dose, end)], key=lambda s: (s.value_ng_ml, s.date))


def psa_change_at_week12(samples: Iterable[PsaSample], first_dose: date,
                         criteria: PsaCriteria | None = None) -> float | None:
    """% change from baseline of the sample nearest to week 12 (within the tolerance).

    None when there is no baseline or no sample within ``week12_days ± week12_tolerance_days``.
    """
    c = criteria or psa_criteria()
    items = list(samples)
    base = psa_baseline(items, first_dose)
    target = first_dose + timedelta(days=c.week12_days)
    near = [s for s in _post(items, first_dose)
            if abs((s.date - target).days) <= c.week12_tolerance_days]
    if base is None or base.value_ng_ml <= 0 or not near:
        return None
    best = min(near, key=lambda s: (abs((s.date - target).days), s.date))
    return psa_percent_change(base.value_ng_ml, best.value_ng_ml)


def psa_max_decline(samples: Iterable[PsaSample], first_dose: date, criteria: PsaCriteria | None = None,
                    end: date | None = None) -> tuple[float, date] | None:
    """Best (most negative) % change from baseline after the first administration.

    The window ends at ``first_dose + max_decline_window_days`` (if non-zero) or ``end``
    (another anticancer treatment, death), whichever comes first.  Returns
    ``(percent_change, date)``, or None without baseline or post-baseline values.
    """
    c = criteria or psa_criteria()
    items = list(samples)
    base = psa_baseline(items, first_dose)
    stop = end
    if c.max_decline_window_days:
        limit = first_dose + timedelta(days=c.max_decline_window_days)
        stop = limit if stop is None else min(stop, limit)
    post = _post(items, first_dose, stop)
    if base is None or base.value_ng_ml <= 0 or not post:
        return None
    best = min(post, key=lambda s: (s.value_ng_ml, s.date))
    return psa_percent_change(base.value_ng_ml, best.value_ng_ml), best.date


@dataclass(frozen=True)
class PsaResult:
    """A three-valued PSA outcome with its date(s) and evidence."""

    outcome: Outcome
    event_date: date | None
    confirmed_on: date | None
    evidence: Evidence


def psa_decline_reached(change_pct: float, decline_pct: float = PSA50_DECLINE_PCT,
                        criteria: PsaCriteria | None = None) -> bool:
    """True when a % change from baseline is a decline of ``decline_pct`` % under the set's
    response comparator (one value: what an unconfirmed response asks; −50 % meets PSA50)."""
    c = criteria or psa_criteria()
    return compare(-change_pct, c.response_comparator, decline_pct)


def psa_response(samples: Iterable[PsaSample], first_dose: date, decline_pct: float = PSA50_DECLINE_PCT,
                 criteria: PsaCriteria | None = None) -> PsaResult:
    """PSA50 (``decline_pct=50``) or PSA90 response with confirmation.

    Met when a post-baseline value is at least ``decline_pct`` % below baseline and the
    first value ``response_confirm_days`` or more later is too; the date is that of the
    first qualifying value.  Not evaluable without baseline, or when the only qualifying
    value has no later value to confirm it.
    """
    c = criteria or psa_criteria()
    items = list(samples)
    rules = _refs(r for r in c.rules if r.endswith("response") or r.endswith("baseline"))
    base = psa_baseline(items, first_dose)
    if base is None or base.value_ng_ml <= 0:
        return PsaResult(Outcome.NOT_EVALUABLE, None, None, Evidence(rules, (), "no baseline PSA"))
    inputs = (("baseline_ng_ml", str(base.value_ng_ml)), ("baseline_date", base.date.isoformat()))
    post = _post(items, first_dose)

    def qualifies(s: PsaSample) -> bool:
        return psa_decline_reached(psa_percent_change(base.value_ng_ml, s.value_ng_ml), decline_pct, c)

    pending: PsaSample | None = None
    for i, s in enumerate(post):
        if not qualifies(s):
            continue
        later = [t for t in post[i + 1:] if (t.date - s.date).days >= c.response_confirm_days]
        if c.response_confirm_days == 0:
            return PsaResult(Outcome.MET, s.date, s.date, Evidence(rules, inputs, f"decline ≥{decline_pct}%"))
        if later and qualifies(later[0]):
            return PsaResult(Outcome.MET, s.date, later[0].date,
                             Evidence(rules, inputs, f"decline ≥{decline_pct}% confirmed"))
        if not later and pending is None:
            pending = s
    if pending is not None:
        return PsaResult(Outcome.NOT_EVALUABLE, pending.date, None,
                         Evidence(rules, inputs, "qualifying decline not yet confirmed"))
    return PsaResult(Outcome.NOT_MET, None, None, Evidence(rules, inputs, f"no confirmed decline ≥{decline_pct}%"))


def psa_progression(samples: Iterable[PsaSample], first_dose: date,
                    criteria: PsaCriteria | None = None, *, rule: ProgressionRule | None = None) -> PsaResult:
    """PSA progression by :func:`lutetia.assess.psa_kernel.progression_kernel` (one subject).

    The parameters are ``rule`` (a protocol's own definition,
    :meth:`lutetia.protocols.schema.PsaProgression.rule`) or else the progression parameters
    of ``criteria`` (default PCWG3): a rise ``comparator`` ``rise_pct`` % **and**
    ``rise_ng_ml`` above the reference (nadir so far, or baseline), confirmed by the first
    value ``confirm_days`` or more later that still qualifies; date = first qualifying rise.
    Not evaluable without baseline, or when the last qualifying rise awaits confirmation.
    """
    c = criteria or psa_criteria()
    r = rule or c.progression_rule()
    items = list(samples)
    rules = _refs(x for x in c.rules if "progression" in x or "pfs" in x or x.endswith("baseline"))
    base = psa_baseline(items, first_dose)
    if base is None:
        return PsaResult(Outcome.NOT_EVALUABLE, None, None, Evidence(rules, (), "no baseline PSA"))
    post = _post(items, first_dose)
    days = np.array([[float((s.date - first_dose).days) for s in post]], dtype=np.float64).reshape(1, len(post))
    values = np.array([[s.value_ng_ml for s in post]], dtype=np.float64).reshape(1, len(post))
    k = progression_kernel(days, values, np.array([base.value_ng_ml]), r)
    if k.met[0]:
        s, later = post[int(k.event_index[0])], post[int(k.confirm_index[0])]
        ref = float(k.reference[0])
        inputs = (("baseline_ng_ml", str(base.value_ng_ml)), ("reference_ng_ml", str(ref)),
                  ("reference", r.reference if ref < base.value_ng_ml else "baseline"),
                  ("rise_ng_ml", str(s.value_ng_ml)), ("rule", r.describe()))
        return PsaResult(Outcome.MET, s.date, later.date, Evidence(rules, inputs, "confirmed rise"))
    if k.pending[0]:
        return PsaResult(Outcome.NOT_EVALUABLE, post[int(k.pending_index[0])].date, None,
                         Evidence(rules, (("rule", r.describe()),), "qualifying rise not yet confirmed"))
    return PsaResult(Outcome.NOT_MET, None, None,
                     Evidence(rules, (("rule", r.describe()),), "no confirmed PSA progression"))


PsaCategory = Literal["PR", "SD", "PD", "NE"]


def psa_category(samples: Iterable[PsaSample], first_dose: date,
                 criteria: PsaCriteria | None = None) -> tuple[PsaCategory, float | None]:
    """ECOG 3 cohort categories from the best % change: PR ≤ −50 %, PD ≥ +25 %, else SD.

    Returns the category and the best % change (``"NE"``, None without baseline or follow-up).
    """
    c = criteria or psa_criteria("ecog3")
    best = psa_max_decline(samples, first_dose, c)
    if best is None:
        return "NE", None
    pct = best[0]
    if compare(-pct, ">=", c.category_pr_pct):
        return "PR", pct
    if compare(pct, ">=", c.category_pd_pct):
        return "PD", pct
    return "SD", pct


def consecutive_rises(samples: Iterable[PsaSample], criteria: RiseCriteria,
                      on_or_before: date | None = None) -> PsaResult:
    """``criteria.rises`` consecutive PSA rises, each ≥ ``min_interval_days`` after the last.

    Consecutive samples closer than the interval are skipped (the rise is measured to the
    next sample far enough).  Met when the latest qualifying chain ends with a value ≥
    ``min_last_ng_ml``; ``date`` is the reference value's date and ``confirmed_on`` the last
    rise.  Not evaluable with fewer than ``rises + 1`` values.
    """
    rules = _refs(criteria.rules)
    pts = [s for s in _sorted(samples) if on_or_before is None or s.date <= on_or_before]
    if len(pts) < criteria.rises + 1:
        return PsaResult(Outcome.NOT_EVALUABLE, None, None,
                         Evidence(rules, (), f"fewer than {criteria.rises + 1} PSA values"))
    for end in range(len(pts) - 1, -1, -1):
        chain = [pts[end]]
        j = end - 1
        while j >= 0 and len(chain) < criteria.rises + 1:
            if (chain[-1].date - pts[j].date).days >= criteria.min_interval_days:
                if pts[j].value_ng_ml < chain[-1].value_ng_ml:
                    chain.append(pts[j])
                else:
                    break
            j -= 1
        if len(chain) == criteria.rises + 1 and chain[0].value_ng_ml >= criteria.min_last_ng_ml:
            dates = tuple((f"value_{k}", f"{s.date.isoformat()}={s.value_ng_ml}") for k, s in enumerate(reversed(chain)))
            return PsaResult(Outcome.MET, chain[-1].date, chain[0].date, Evidence(rules, dates, "consecutive rises"))
    return PsaResult(Outcome.NOT_MET, None, None, Evidence(rules, (), "no qualifying consecutive rises"))
