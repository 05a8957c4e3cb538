"""Best overall response (RECIST 1.1) with and without confirmation, and PCWG3
radiographic progression combining soft tissue and bone.

Parameters follow admiralonco's ``derive_param_confirmed_bor``: confirmation interval,
minimum time from the reference start for SD, number of NE allowed between a response and
its confirmation, and whether SD between them is accepted.

References
----------
1. Eisenhauer EA et al. Eur J Cancer 2009;45:228–247, sections 4.4.2–4.4.3.
2. pharmaverse admiralonco, ``derive_param_confirmed_bor`` (documentation).
3. Scher HI et al. J Clin Oncol 2016;34:1402–1418 (PCWG3), Table 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from lutetia.assess.criteria import Strict, load_criteria, validate_section
from lutetia.assess.outcome import Evidence, Outcome
from lutetia.assess.recist import OverallResponse

RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
_RANK = {"CR": 0, "PR": 1, "SD": 2, "NON-CR/NON-PD": 3, "PD": 4, "NE": 5}


class BorParams(Strict):
    """Confirmation interval (days), minimum SD time from start (days), NE allowed, and
    whether one SD is accepted between a PR and its confirmation."""

    confirmation_days: int
    min_sd_days: int
    max_ne: int
    accept_sd: bool


def bor_params(**overrides: int | bool) -> BorParams:
    """The RECIST 1.1 defaults from ``recist_1_1.toml`` [bor], with overrides."""
    base = validate_section(load_criteria("recist_1_1"), "bor", BorParams)
    return base.model_copy(update=overrides)


@dataclass(frozen=True)
class Assessment:
    """An overall time-point response on a date."""

    date: date
    response: OverallResponse


@dataclass(frozen=True)
class BestResponse:
    """Best overall response and the date of its first qualifying assessment."""

    response: str
    date: date | None
    confirmed: bool
    evidence: Evidence


def _until_pd(assessments: Iterable[Assessment], start: date) -> list[Assessment]:
    seq = sorted((a for a in assessments if a.date >= start), key=lambda a: (a.date, _RANK[a.response]))
    out: list[Assessment] = []
    for a in seq:
        out.append(a)
        if a.response == "PD":
            break
    return out


def _sd_ok(a: Assessment, start: date, p: BorParams) -> bool:
    return (a.date - start).days >= p.min_sd_days


def _confirmed(seq: Sequence[Assessment], i: int, p: BorParams) -> bool:
    """Is the CR/PR at ``seq[i]`` confirmed?

    CR: a later CR at least ``confirmation_days`` after, only CR or NE in between (at most
    ``max_ne`` NE).  PR: a later CR or PR at least ``confirmation_days`` after, only CR, PR,
    SD or NE in the confirmation period, at most ``max_ne`` NE, at most one SD when
    ``accept_sd`` (else none), and no PR after a CR in the period (admiralonco's documented
    rules).
    """
    first = seq[i]
    is_cr = first.response == "CR"
    ne = sd = 0
    seen_cr = False
    for a in seq[i + 1:]:
        r = a.response
        if not is_cr and r == "PR" and seen_cr:
            return False
        if r in (("CR",) if is_cr else ("CR", "PR")) and (a.date - first.date).days >= p.confirmation_days:
            return ne <= p.max_ne
        if r == "NE":
            ne += 1
        elif r == "SD" and not is_cr:
            sd += 1
        elif r == "CR":
            seen_cr = True
        elif r != "PR" or is_cr:
            return False
        if ne > p.max_ne or sd > (1 if p.accept_sd else 0):
            return False
    return False


def best_overall_response(assessments: Iterable[Assessment], start: date, *, confirm: bool,
                          params: BorParams | None = None) -> BestResponse:
    """Best overall response from the time-point responses after ``start``.

    Parameters
    ----------
    assessments
        Post-baseline overall responses (any order); those on or after ``start`` up to
        and including the first PD count.
    start
        Reference start (first administration).
    confirm
        Require confirmation of CR/PR (``confirmation_days`` later, at most ``max_ne`` NE
        in between); an unconfirmed CR/PR then counts as SD if SD timing is met.
    params
        :func:`bor_params` (default RECIST 1.1 values from the criteria file).

    Returns
    -------
    BestResponse
        ``"CR"``, ``"PR"``, ``"SD"``, ``"NON-CR/NON-PD"``, ``"PD"``, ``"NE"`` or
        ``"MISSING"`` (no assessment after start), with the date of the first assessment
        that established it.
    """
    p = params or bor_params()
    crit = load_criteria("recist_1_1")
    ev = Evidence((crit.rule("recist11.bor"),), (
        ("confirmation_days", str(p.confirmation_days)), ("min_sd_days", str(p.min_sd_days)),
        ("max_ne", str(p.max_ne)), ("confirm", str(confirm))))
    seq = _until_pd(assessments, start)
    if not seq:
        return BestResponse("MISSING", None, confirm, ev)
    candidates: list[tuple[int, date]] = []
    for i, a in enumerate(seq):
        r = a.response
        if r in ("CR", "PR") and (not confirm or _confirmed(seq, i, p)):
            candidates.append((_RANK[r], a.date))
        elif r in ("CR", "PR", "SD", "NON-CR/NON-PD") and _sd_ok(a, start, p):
            candidates.append((_RANK["NON-CR/NON-PD" if r == "NON-CR/NON-PD" else "SD"], a.date))
        elif r == "PD":
            candidates.append((_RANK["PD"], a.date))
    if not candidates:
        return BestResponse("NE", seq[0].date, confirm, ev)
    rank, when = min(candidates)
    return BestResponse(RESPONSES[rank], when, confirm, ev)


@dataclass(frozen=True)
class RadiographicProgression:
    """PCWG3 radiographic progression: earliest of soft-tissue (RECIST) and bone PD."""

    outcome: Outcome
    event_date: date | None
    source: str | None
    evidence: Evidence


def radiographic_progression(assessments: Iterable[Assessment], start: date,
                             bone_outcome: Outcome, bone_date: date | None) -> RadiographicProgression:
    """Combine RECIST 1.1 time-point PD and PCWG3 bone progression (PD if either is PD).

    Not evaluable when neither shows PD and the bone assessment is not evaluable or there
    is no soft-tissue assessment after ``start``.
    """
    crit = load_criteria("pcwg3")
    ev = Evidence((crit.rule("pcwg3.bone.2plus2"), load_criteria("recist_1_1").rule("recist11.overall")))
    seq = [a for a in sorted(assessments, key=lambda a: a.date) if a.date > start]
    soft = next((a.date for a in seq if a.response == "PD"), None)
    events = [(d, s) for d, s in ((soft, "soft tissue"), (bone_date if bone_outcome == Outcome.MET else None, "bone"))
              if d is not None]
    if events:
        d, s = min(events)
        return RadiographicProgression(Outcome.MET, d, s, ev)
    if bone_outcome == Outcome.NOT_EVALUABLE or not seq:
        return RadiographicProgression(Outcome.NOT_EVALUABLE, None, None, ev)
    return RadiographicProgression(Outcome.NOT_MET, None, None, ev)
