"""ADaM-like analysis datasets (ADSL, ADTTE, ADRS, ADLB, ADAE) with variable metadata.

Builders are pure: they take plain rows (frozen dataclasses) and return a :class:`Dataset`
(name, label, variable metadata and rows as dicts).  Writing CSV/XPT lives in
:mod:`lutetia.report.datasets_io`.  Variable names follow ADaM [1]_; names ≤ 8 characters and
labels ≤ 40 characters so the datasets fit SAS transport v5 [2]_.

ADTTE: ``AVAL`` is in days, ``ADT − STARTDT`` (elapsed days; ``aval_plus_one=True`` gives the
``ADT − STARTDT + 1`` convention some SAPs use) and **CNSR = 0 for an event, 1 for censoring**
— the complement of lifelines' ``event_observed``.

References
----------
.. [1] CDISC. Analysis Data Model Implementation Guide v1.3 and ADaM Basic Data Structure for
       Time-to-Event Analyses v1.0. https://www.cdisc.org/standards/foundational/adam
.. [2] SAS Institute. The record layout of a data set in SAS transport (XPORT) format (TS-140).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from lutetia.errors import AnalysisError

VarType = Literal["Char", "Num"]
Value = str | float | int | date | None
RESPONSES: frozenset[str] = frozenset({"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"})


@dataclass(frozen=True)
class Variable:
    """Metadata of one variable: name, label, SAS type, length (Char bytes; Num 8)."""

    name: str
    label: str
    type: VarType
    length: int = 8
    is_date: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or len(self.name) > 8 or self.name.upper() != self.name:
            raise ValueError(f"variable name {self.name!r}: upper case, ≤ 8 characters (XPT v5)")
        if len(self.label) > 40:
            raise ValueError(f"variable {self.name}: label longer than 40 characters")


@dataclass(frozen=True)
class Dataset:
    """An analysis dataset: rows are dicts keyed by variable name, in ``variables`` order."""

    name: str
    label: str
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, Value], ...]

    @property
    def columns(self) -> list[str]:
        return [v.name for v in self.variables]


def _c(name: str, label: str, length: int = 40) -> Variable:
    return Variable(name, label, "Char", length)


def _n(name: str, label: str) -> Variable:
    return Variable(name, label, "Num")


def _d(name: str, label: str) -> Variable:
    return Variable(name, label, "Num", 8, is_date=True)


def _make(name: str, label: str, variables: Sequence[Variable], rows: Iterable[Mapping[str, Value]]) -> Dataset:
    out: list[dict[str, Value]] = []
    for row in rows:
        for v in variables:
            val = row.get(v.name)
            if v.type == "Char" and isinstance(val, str) and len(val.encode("utf-8")) > v.length:
                raise AnalysisError(f"{name}.{v.name}: value {val!r} longer than {v.length} bytes")
        out.append({v.name: row.get(v.name) for v in variables})
    return Dataset(name, label, tuple(variables), tuple(out))


# ---------------------------------------------------------------- ADSL
@dataclass(frozen=True)
class SubjectRow:
    studyid: str
    usubjid: str
    arm: str
    age: int | None
    trtsdt: date | None
    trtedt: date | None
    saffl: bool
    ittfl: bool
    ecog_baseline: int | None = None
    cycles: int | None = None
    cumulative_activity_gbq: float | None = None
    dthfl: bool = False
    dthdt: date | None = None
    siteid: str = ""
    site: str = ""


ADSL_VARIABLES: tuple[Variable, ...] = (
    _c("STUDYID", "Study Identifier"), _c("USUBJID", "Unique Subject Identifier"),
    _c("SITEID", "Study Site Identifier", 20), _c("SITE", "Study Site Name", 200), _n("AGE", "Age"), _c("ARM", "Description of Planned Arm", 60),
    _d("TRTSDT", "Date of First Exposure to Treatment"), _d("TRTEDT", "Date of Last Exposure to Treatment"),
    _c("SAFFL", "Safety Population Flag", 1), _c("ITTFL", "Intent-To-Treat Population Flag", 1),
    _n("ECOGBL", "Baseline ECOG Performance Status"), _n("NCYCLES", "Number of Cycles Administered"),
    _n("CUMACT", "Cumulative Administered Activity (GBq)"),
    _c("DTHFL", "Subject Death Flag", 1), _d("DTHDT", "Date of Death"),
)


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def site_codes(names: Iterable[str]) -> dict[str, str]:
    """SITEID codes for site names: ``"001"``, ``"002"``… in sorted name order ('' stays '').

    SITEID is a code (ADaM: "Study Site Identifier", ≤ 20 bytes in XPT v5); the site's name,
    which may be longer or non-ASCII ("Universitätsspital Zürich"), goes into SITE.
    """
    unique = sorted({n for n in names if n})
    return {"": "", **{name: f"{i + 1:03d}" for i, name in enumerate(unique)}}


def build_adsl(subjects: Sequence[SubjectRow]) -> Dataset:
    """ADSL: one row per subject (duplicate USUBJID is an error)."""
    seen: set[str] = set()
    rows: list[dict[str, Value]] = []
    for s in subjects:
        if s.usubjid in seen:
            raise AnalysisError(f"ADSL: duplicate USUBJID {s.usubjid!r} (one row per subject)")
        seen.add(s.usubjid)
        if s.dthdt is not None and not s.dthfl:
            raise AnalysisError(f"ADSL {s.usubjid}: DTHDT {s.dthdt} given but DTHFL is not set")
        rows.append({
            "STUDYID": s.studyid, "USUBJID": s.usubjid, "SITEID": s.siteid, "SITE": s.site, "AGE": s.age,
            "ARM": s.arm,
            "TRTSDT": s.trtsdt, "TRTEDT": s.trtedt, "SAFFL": _yn(s.saffl), "ITTFL": _yn(s.ittfl),
            "ECOGBL": s.ecog_baseline, "NCYCLES": s.cycles, "CUMACT": s.cumulative_activity_gbq,
            "DTHFL": _yn(s.dthfl), "DTHDT": s.dthdt,
        })
    return _make("ADSL", "Subject-Level Analysis Dataset", ADSL_VARIABLES, rows)


# ---------------------------------------------------------------- ADTTE
@dataclass(frozen=True)
class TimeToEventRow:
    usubjid: str
    paramcd: str
    param: str
    startdt: date
    adt: date
    event: bool
    evntdesc: str = ""
    arm: str = ""


ADTTE_VARIABLES: tuple[Variable, ...] = (
    _c("USUBJID", "Unique Subject Identifier"), _c("ARM", "Description of Planned Arm", 60),
    _c("PARAMCD", "Parameter Code", 8), _c("PARAM", "Parameter", 60),
    _d("STARTDT", "Time-to-Event Origin Date"), _d("ADT", "Analysis Date"),
    _n("AVAL", "Analysis Value (days)"), _n("CNSR", "Censor (0 = event, 1 = censored)"),
    _c("EVNTDESC", "Event or Censoring Description", 100),
)


def build_adtte(rows: Sequence[TimeToEventRow], *, aval_plus_one: bool = False) -> Dataset:
    """ADTTE: one row per subject and parameter; CNSR = 0 for an event (1 − event flag)."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Value]] = []
    for r in rows:
        key = (r.usubjid, r.paramcd)
        if key in seen:
            raise AnalysisError(f"ADTTE: duplicate {r.paramcd} row for {r.usubjid}")
        seen.add(key)
        days = (r.adt - r.startdt).days + (1 if aval_plus_one else 0)
        if days < 0:
            raise AnalysisError(f"ADTTE {r.usubjid} {r.paramcd}: ADT {r.adt} is before STARTDT {r.startdt}")
        out.append({
            "USUBJID": r.usubjid, "ARM": r.arm, "PARAMCD": r.paramcd, "PARAM": r.param,
            "STARTDT": r.startdt, "ADT": r.adt, "AVAL": days, "CNSR": 0 if r.event else 1,
            "EVNTDESC": r.evntdesc,
        })
    return _make("ADTTE", "Time-to-Event Analysis Dataset", ADTTE_VARIABLES, out)


def cnsr_from_event(event: bool | int) -> int:
    """ADaM CNSR from lifelines' event flag: event → 0, censored → 1."""
    return 0 if bool(event) else 1


def event_from_cnsr(cnsr: int) -> int:
    """lifelines' event flag from ADaM CNSR (0 → 1, 1 → 0)."""
    if cnsr not in (0, 1):
        raise ValueError(f"CNSR must be 0 or 1, got {cnsr!r}")
    return 1 - cnsr


# ---------------------------------------------------------------- ADRS
@dataclass(frozen=True)
class ResponseRow:
    usubjid: str
    paramcd: Literal["OVR", "BOR", "CBOR"]
    avalc: str
    adt: date | None
    avisit: str = ""
    criteria: str = "RECIST 1.1"


ADRS_VARIABLES: tuple[Variable, ...] = (
    _c("USUBJID", "Unique Subject Identifier"), _c("PARAMCD", "Parameter Code", 8),
    _c("PARAM", "Parameter", 60), _c("AVISIT", "Analysis Visit", 40), _d("ADT", "Analysis Date"),
    _c("AVALC", "Analysis Value (C)", 20), _c("CRIT", "Response Criteria", 40),
)
_ADRS_PARAM = {"OVR": "Overall Response by Visit", "BOR": "Best Overall Response",
               "CBOR": "Confirmed Best Overall Response"}


def build_adrs(rows: Sequence[ResponseRow]) -> Dataset:
    """ADRS: visit responses (OVR) and best responses (BOR, CBOR; one per subject each)."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Value]] = []
    for r in rows:
        if r.paramcd not in _ADRS_PARAM:
            raise ValueError(f"ADRS {r.usubjid}: PARAMCD {r.paramcd!r} not in OVR/BOR/CBOR")
        if r.avalc not in RESPONSES:
            raise ValueError(f"ADRS {r.usubjid}: AVALC {r.avalc!r}; accepted: {', '.join(sorted(RESPONSES))}")
        if r.paramcd != "OVR":
            if (r.usubjid, r.paramcd) in seen:
                raise AnalysisError(f"ADRS: more than one {r.paramcd} for {r.usubjid}")
            seen.add((r.usubjid, r.paramcd))
        out.append({"USUBJID": r.usubjid, "PARAMCD": r.paramcd, "PARAM": _ADRS_PARAM[r.paramcd],
                    "AVISIT": r.avisit, "ADT": r.adt, "AVALC": r.avalc, "CRIT": r.criteria})
    return _make("ADRS", "Response Analysis Dataset", ADRS_VARIABLES, out)


# ---------------------------------------------------------------- ADLB
@dataclass(frozen=True)
class LabRow:
    usubjid: str
    paramcd: str
    param: str
    adt: date
    avisit: str
    aval: float | None
    unit: str
    base: float | None
    atoxgr: int | None
    btoxgr: int | None


ADLB_VARIABLES: tuple[Variable, ...] = (
    _c("USUBJID", "Unique Subject Identifier"), _c("PARAMCD", "Parameter Code", 8),
    _c("PARAM", "Parameter", 60), _c("AVALU", "Analysis Value Unit", 20), _c("AVISIT", "Analysis Visit"),
    _d("ADT", "Analysis Date"), _n("AVAL", "Analysis Value"), _n("BASE", "Baseline Value"),
    _n("CHG", "Change from Baseline"), _n("ATOXGR", "Analysis Toxicity Grade (CTCAE)"),
    _n("BTOXGR", "Baseline Toxicity Grade (CTCAE)"),
)


def build_adlb(rows: Sequence[LabRow]) -> Dataset:
    """ADLB with CHG = AVAL − BASE and CTCAE grades ATOXGR/BTOXGR (0–5)."""
    out: list[dict[str, Value]] = []
    for r in rows:
        for name, g in (("ATOXGR", r.atoxgr), ("BTOXGR", r.btoxgr)):
            if g is not None and not 0 <= g <= 5:
                raise ValueError(f"ADLB {r.usubjid} {r.paramcd}: {name} {g} not in 0–5")
        chg = r.aval - r.base if r.aval is not None and r.base is not None else None
        out.append({"USUBJID": r.usubjid, "PARAMCD": r.paramcd, "PARAM": r.param, "AVALU": r.unit,
                    "AVISIT": r.avisit, "ADT": r.adt, "AVAL": r.aval, "BASE": r.base, "CHG": chg,
                    "ATOXGR": r.atoxgr, "BTOXGR": r.btoxgr})
    return _make("ADLB", "Laboratory Analysis Dataset", ADLB_VARIABLES, out)


# ---------------------------------------------------------------- ADAE
@dataclass(frozen=True)
class AdverseEventRow:
    usubjid: str
    aedecod: str
    aebodsys: str
    astdt: date
    aendt: date | None
    atoxgr: int
    serious: bool
    related: bool
    trtemfl: bool
    aesi: str = ""


ADAE_VARIABLES: tuple[Variable, ...] = (
    _c("USUBJID", "Unique Subject Identifier"), _c("AEDECOD", "Dictionary-Derived Term", 100),
    _c("AEBODSYS", "Body System or Organ Class", 100), _d("ASTDT", "Analysis Start Date"),
    _d("AENDT", "Analysis End Date"), _n("ATOXGR", "Analysis Toxicity Grade (CTCAE)"),
    _c("AESER", "Serious Event", 1), _c("AEREL", "Related to Study Treatment", 1),
    _c("TRTEMFL", "Treatment Emergent Analysis Flag", 1), _c("AESI", "Adverse Event of Special Interest", 60),
)


def build_adae(rows: Sequence[AdverseEventRow]) -> Dataset:
    """ADAE: one row per adverse event."""
    out: list[dict[str, Value]] = []
    for r in rows:
        if not 1 <= r.atoxgr <= 5:
            raise AnalysisError(f"ADAE {r.usubjid} {r.aedecod}: grade {r.atoxgr} not in 1–5")
        if r.aendt is not None and r.aendt < r.astdt:
            raise AnalysisError(f"ADAE {r.usubjid} {r.aedecod}: end {r.aendt} before start {r.astdt}")
        out.append({"USUBJID": r.usubjid, "AEDECOD": r.aedecod, "AEBODSYS": r.aebodsys,
                    "ASTDT": r.astdt, "AENDT": r.aendt, "ATOXGR": r.atoxgr, "AESER": _yn(r.serious),
                    "AEREL": _yn(r.related), "TRTEMFL": _yn(r.trtemfl), "AESI": r.aesi})
    return _make("ADAE", "Adverse Events Analysis Dataset", ADAE_VARIABLES, out)
