"""ADaM datasets (ADSL, ADTTE, ADLB, ADRS, ADAE): builders over plain rows.

Builders are pure: they take plain rows (frozen dataclasses) and return a :class:`Dataset`
(its :class:`~lutetia.analysis.adam_metadata.DatasetSpec` and rows as dicts).  The variables,
labels, lengths and codelists are those of :mod:`lutetia.analysis.adam_metadata`; every value
is checked against them here (length, codelist), so what :mod:`lutetia.report.datasets_io`
writes and what :mod:`lutetia.report.define_xml` describes cannot disagree.  The derivation
from patient records is :mod:`lutetia.analysis.adam`.

ADTTE: ``AVAL`` is in days, ``ADT − STARTDT`` (elapsed days; ``aval_plus_one=True`` gives the
``ADT − STARTDT + 1`` convention some SAPs use) and **CNSR = 0 for an event, 1 for censoring**
— the complement of lifelines' ``event_observed``.

References
----------
.. [1] CDISC. Analysis Data Model Implementation Guide v1.3 and ADaM Basic Data Structure for
       Time-to-Event Analyses v1.0. https://www.cdisc.org/standards/foundational/adam
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from lutetia.analysis.adam_metadata import (
    ADAE,
    ADLB,
    ADRS,
    ADSL,
    ADTTE,
    CODELISTS,
    RESPONSE_AVALN,
    TRTEM_END_WINDOW_DAYS,
    DatasetSpec,
    Variable,
    VarType,
)
from lutetia.errors import AnalysisError

Value = str | float | int | date | None
RESPONSES: frozenset[str] = frozenset(RESPONSE_AVALN)


def _refusal(message: str, *, record: str, field: str | None = None, value: object = None,
             accepted: str | None = None) -> AnalysisError:
    """A data-dependent refusal (``lutetia analyze`` reports it as an error, not a traceback),
    naming the dataset row, the variable, its value and what is accepted."""
    text = f"{record}: {message}"
    if field is not None:
        text += f" (variable {field}, value {value!r}" + (f"; accepted: {accepted})" if accepted else ")")
    return AnalysisError(text)


@dataclass(frozen=True)
class Dataset:
    """A dataset: rows are dicts keyed by variable name, in ``variables`` order; ``spec`` is the
    dataset-level metadata (class, structure, keys) the builders attach."""

    name: str
    label: str
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, Value], ...]
    spec: DatasetSpec | None = None

    @property
    def columns(self) -> list[str]:
        return [v.name for v in self.variables]

    def metadata(self) -> DatasetSpec:
        """The dataset-level metadata (built from name, label and variables when none is attached)."""
        return self.spec or DatasetSpec(self.name, self.label, "", "", (), self.variables)


def _check(spec: DatasetSpec, v: Variable, val: Value, key: str) -> None:
    where = f"{spec.name} {key}"
    if val is None:
        return
    if v.type == "Char":
        if not isinstance(val, str):
            raise _refusal("not text", record=where, field=v.name, value=val, accepted="text")
        if len(val.encode("utf-8")) > v.length:
            raise _refusal(f"longer than {v.length} bytes", record=where, field=v.name, value=val,
                              accepted=f"≤ {v.length} bytes (XPT v5)")
    elif v.is_date != isinstance(val, date) or isinstance(val, str):
        raise _refusal("wrong type", record=where, field=v.name, value=val,
                          accepted="a date" if v.is_date else "a number")
    if v.codelist is not None and val != "":
        allowed = [c for c, _ in CODELISTS[v.codelist].values]
        if str(val) not in allowed:
            raise _refusal("not in its codelist", record=where, field=v.name, value=val,
                              accepted=f"{v.codelist}: {', '.join(allowed)}")


def make_dataset(spec: DatasetSpec, rows: Iterable[Mapping[str, Value]]) -> Dataset:
    out: list[dict[str, Value]] = []
    for row in rows:
        unknown = set(row) - {v.name for v in spec.variables}
        if unknown:
            raise _refusal("unknown variables", record=spec.name, field=sorted(unknown)[0], value=row,
                              accepted=", ".join(v.name for v in spec.variables))
        key = str(row.get("USUBJID", ""))
        for v in spec.variables:
            _check(spec, v, row.get(v.name), key)
        out.append({v.name: row.get(v.name) for v in spec.variables})
    return Dataset(spec.name, spec.label, spec.variables, tuple(out), spec)


def yn(flag: bool) -> str:
    return "Y" if flag else "N"


def usubjid(studyid: str, subjid: str) -> str:
    """USUBJID = STUDYID '-' SUBJID (SDTMIG 3.4 §5.2: unique across the submission)."""
    return f"{studyid}-{subjid}"


def decimal_difference(a: float, b: float) -> float:
    """``a − b`` computed on the decimal values as written (``8.8 − 9.3 = −0.5``, not −0.5000000000000018)."""
    return float(Decimal(repr(a)) - Decimal(repr(b)))


def site_codes(names: Iterable[str]) -> dict[str, str]:
    """SITEID codes for site names: ``"001"``, ``"002"``… in sorted name order ('' stays '').

    SITEID is a code (ADaM: "Study Site Identifier", ≤ 20 bytes in XPT v5); the site's name,
    which may be longer or non-ASCII ("Universitätsspital Zürich"), goes into SITE.
    """
    unique = sorted({n for n in names if n})
    return {"": "", **{name: f"{i + 1:03d}" for i, name in enumerate(unique)}}


# ---------------------------------------------------------------- ADSL
@dataclass(frozen=True)
class SubjectRow:
    """One subject of ADSL; ``None`` is a missing value."""

    studyid: str
    subjid: str
    armcd: str
    arm: str
    actarmcd: str
    actarm: str
    sex: str
    age: int | None = None
    siteid: str = ""
    site: str = ""
    randdt: date | None = None
    trtsdt: date | None = None
    trtedt: date | None = None
    eosstt: str = "ONGOING"
    eosdt: date | None = None
    dcsreas: str = ""
    dthdt: date | None = None
    lstalvdt: date | None = None
    ittfl: bool = True
    saffl: bool = False
    ecog_baseline: int | None = None
    cycles: int | None = None
    cumulative_activity_gbq: float | None = None


def build_adsl(subjects: Sequence[SubjectRow]) -> Dataset:
    """ADSL: one row per subject (duplicate USUBJID, or a death after LSTALVDT, is an error)."""
    seen: set[str] = set()
    rows: list[dict[str, Value]] = []
    for s in subjects:
        uid = usubjid(s.studyid, s.subjid)
        if uid in seen:
            raise _refusal("duplicate USUBJID (one row per subject)", record="ADSL", field="USUBJID", value=uid)
        seen.add(uid)
        if s.dthdt is not None and s.lstalvdt is not None and s.lstalvdt > s.dthdt:
            raise _refusal("last date known alive is after the death", record=f"ADSL {uid}", field="LSTALVDT",
                              value=s.lstalvdt, accepted=f"≤ DTHDT {s.dthdt}")
        rows.append({
            "STUDYID": s.studyid, "USUBJID": uid, "SUBJID": s.subjid, "SITEID": s.siteid, "SITE": s.site,
            "AGE": s.age, "AGEU": "YEARS" if s.age is not None else "", "SEX": s.sex,
            "ARMCD": s.armcd, "ARM": s.arm, "ACTARMCD": s.actarmcd, "ACTARM": s.actarm,
            "TRT01P": s.arm, "TRT01A": s.actarm, "RANDDT": s.randdt, "TRTSDT": s.trtsdt, "TRTEDT": s.trtedt,
            "EOSSTT": s.eosstt, "EOSDT": s.eosdt, "DCSREAS": s.dcsreas,
            "DTHFL": yn(s.dthdt is not None), "DTHDT": s.dthdt, "LSTALVDT": s.lstalvdt,
            "ITTFL": yn(s.ittfl), "SAFFL": yn(s.saffl), "ECOGBL": s.ecog_baseline, "NCYCLES": s.cycles,
            "CUMACT": s.cumulative_activity_gbq,
        })
    return make_dataset(ADSL, rows)


# ---------------------------------------------------------------- ADTTE
@dataclass(frozen=True)
class TimeToEventRow:
    """One subject's time-to-event parameter (event or censoring at ``adt``)."""

    studyid: str
    usubjid: str
    paramcd: str
    param: str
    paramn: int
    startdt: date
    adt: date
    event: bool
    evntdesc: str = ""
    cnsdtdsc: str = ""
    srcdom: str = ""
    arm: str = ""
    srcvar: str = ""


def build_adtte(rows: Sequence[TimeToEventRow], *, aval_plus_one: bool = False) -> Dataset:
    """ADTTE: one row per subject and parameter; CNSR = 0 for an event (1 − event flag).

    A PARAMCD must stand for one PARAM (and PARAMN) only: two endpoints truncated to the
    same code are an error.
    """
    seen: set[tuple[str, str]] = set()
    params: dict[str, tuple[str, int]] = {}
    out: list[dict[str, Value]] = []
    for r in rows:
        key = (r.usubjid, r.paramcd)
        if key in seen:
            raise _refusal("duplicate row", record=f"ADTTE {r.usubjid}", field="PARAMCD", value=r.paramcd)
        seen.add(key)
        if params.setdefault(r.paramcd, (r.param, r.paramn)) != (r.param, r.paramn):
            raise _refusal("one PARAMCD for two parameters", record="ADTTE", field="PARAMCD", value=r.paramcd,
                              accepted=f"only {params[r.paramcd][0]!r}, not also {r.param!r}")
        days = (r.adt - r.startdt).days + (1 if aval_plus_one else 0)
        if days < 0:
            raise _refusal(f"ADT {r.adt} is before STARTDT {r.startdt}", record=f"ADTTE {r.usubjid} {r.paramcd}",
                              field="ADT", value=r.adt, accepted=f"≥ STARTDT {r.startdt}")
        out.append({
            "STUDYID": r.studyid, "USUBJID": r.usubjid, "ARM": r.arm, "PARAMCD": r.paramcd, "PARAM": r.param,
            "PARAMN": r.paramn, "STARTDT": r.startdt, "ADT": r.adt, "AVAL": days, "AVALU": "DAYS",
            "CNSR": cnsr_from_event(r.event), "EVNTDESC": r.evntdesc, "CNSDTDSC": "" if r.event else r.cnsdtdsc,
            "SRCDOM": r.srcdom, "SRCVAR": r.srcvar,
        })
    return make_dataset(ADTTE, out)


def cnsr_from_event(event: bool | int) -> int:
    """ADaM CNSR from lifelines' event flag: event → 0, censored → 1."""
    return 0 if bool(event) else 1


def event_from_cnsr(cnsr: int) -> int:
    """lifelines' event flag from ADaM CNSR (0 → 1, 1 → 0)."""
    if cnsr not in (0, 1):
        raise _refusal("not a censoring flag", record="ADTTE", field="CNSR", value=cnsr, accepted="0, 1")
    return 1 - cnsr


# ---------------------------------------------------------------- ADRS
@dataclass(frozen=True)
class ResponseRow:
    usubjid: str
    paramcd: str
    avalc: str
    adt: date | None
    avisit: str = ""
    criteria: str = "RECIST 1.1"
    studyid: str = ""


#: ADRS parameters: PARAMCD → (PARAMN, PARAM, one row per subject?).
ADRS_PARAMS: dict[str, tuple[int, str, bool]] = {
    "OVR": (1, "Overall Response by Investigator", False),
    "BOR": (2, "Best Overall Response (unconfirmed)", True),
    "CBOR": (3, "Confirmed Best Overall Response", True),
    "PSABOR": (4, "Best PSA Response", True),
    "PSA50C": (5, "Confirmed PSA Decline >= 50%", True),
    "PSA50U": (6, "PSA Decline >= 50% (unconfirmed)", True),
}
_YN_PARAMS = frozenset({"PSA50C", "PSA50U"})
_YN_AVALN = {"Y": 1, "N": 0}


def build_adrs(rows: Sequence[ResponseRow]) -> Dataset:
    """ADRS: visit responses (OVR), best responses (BOR, CBOR) and PCWG3 PSA responses (PSABOR;
    PSA50C confirmed and PSA50U unconfirmed ≥ 50 % decline: Y/N, NE when not evaluable); one
    best response per subject and parameter."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Value]] = []
    for r in rows:
        if r.paramcd not in ADRS_PARAMS:
            raise _refusal("unknown parameter", record=f"ADRS {r.usubjid}", field="PARAMCD", value=r.paramcd,
                              accepted=", ".join(ADRS_PARAMS))
        paramn, param, single = ADRS_PARAMS[r.paramcd]
        accepted = ({"Y", "N", "NE"} if r.paramcd in _YN_PARAMS else RESPONSES)
        if r.avalc not in accepted:
            raise _refusal("not a response", record=f"ADRS {r.usubjid}", field="AVALC", value=r.avalc,
                              accepted=", ".join(sorted(accepted)))
        if single:
            if (r.usubjid, r.paramcd) in seen:
                raise _refusal("more than one row", record=f"ADRS {r.usubjid}", field="PARAMCD", value=r.paramcd)
            seen.add((r.usubjid, r.paramcd))
        avaln = _YN_AVALN.get(r.avalc) if r.paramcd in _YN_PARAMS else RESPONSE_AVALN[r.avalc]
        out.append({"STUDYID": r.studyid, "USUBJID": r.usubjid, "PARAMCD": r.paramcd, "PARAM": param,
                    "PARAMN": paramn, "AVISIT": r.avisit, "ADT": r.adt, "AVALC": r.avalc, "AVALN": avaln,
                    "PARCAT1": r.criteria})
    return make_dataset(ADRS, out)


# ---------------------------------------------------------------- ADLB
@dataclass(frozen=True)
class LabRow:
    """One laboratory value in its parameter's unit; BASE, CHG, BNRIND, BTOXGR come from the
    subject's ``ablfl`` row of the same parameter."""

    studyid: str
    usubjid: str
    paramcd: str
    param: str
    paramn: int
    adt: date
    avisit: str
    avisitn: int
    aval: float
    unit: str
    anrlo: float | None = None
    anrhi: float | None = None
    ablfl: bool = False
    atoxgr: int | None = None
    tox_term: str = ""
    tox_direction: Literal["low", "high"] | None = None
    loinc: str = ""


def toxicity_grades(grade: int | None, direction: Literal["low", "high"] | None) -> tuple[str, str, str]:
    """(ATOXGRL, ATOXGRH, ATOXGR) of a CTCAE grade of a term graded in one direction, as
    pharmaverse admiral writes them: the grade in its direction's variable, and the overall
    grade negative for a low-direction term (``derive_var_atoxgr``: "-2" for anemia grade 2,
    "0" when gradable and no criterion is met, blank when not gradable)."""
    if grade is None or direction is None:
        return "", "", ""
    overall = str(-grade if direction == "low" else grade)
    return (str(grade), "", overall) if direction == "low" else ("", str(grade), overall)


def reference_range_indicator(value: float, lln: float | None, uln: float | None) -> str:
    """ANRIND: LOW below the lower limit, HIGH above the upper, NORMAL between; '' without a range."""
    if lln is None and uln is None:
        return ""
    if lln is not None and value < lln:
        return "LOW"
    if uln is not None and value > uln:
        return "HIGH"
    return "NORMAL"


def build_adlb(rows: Sequence[LabRow]) -> Dataset:
    """ADLB: BASE/BNRIND/BTOXGR from the baseline row (ABLFL = Y, at most one per subject and
    parameter), CHG = AVAL − BASE in decimal arithmetic, ANRIND from the normal range."""
    base: dict[tuple[str, str], LabRow] = {}
    for r in rows:
        if r.ablfl:
            if (r.usubjid, r.paramcd) in base:
                raise _refusal("two baseline records", record=f"ADLB {r.usubjid}", field="ABLFL",
                                  value=r.paramcd, accepted="one per subject and parameter")
            base[(r.usubjid, r.paramcd)] = r
    out: list[dict[str, Value]] = []
    for r in rows:
        if r.atoxgr is not None and not 0 <= r.atoxgr <= 5:
            raise _refusal("not a CTCAE grade", record=f"ADLB {r.usubjid} {r.paramcd}", field="ATOXGR",
                              value=r.atoxgr, accepted="0–5")
        b = base.get((r.usubjid, r.paramcd))
        low, high, overall = toxicity_grades(r.atoxgr, r.tox_direction)
        b_low, b_high, b_overall = toxicity_grades(b.atoxgr, b.tox_direction) if b else ("", "", "")
        out.append({"STUDYID": r.studyid, "USUBJID": r.usubjid, "PARAMCD": r.paramcd, "PARAM": r.param,
                    "PARAMN": r.paramn, "LBLOINC": r.loinc, "ADT": r.adt, "AVISIT": r.avisit,
                    "AVISITN": r.avisitn, "AVAL": r.aval, "AVALU": r.unit, "ANRLO": r.anrlo, "ANRHI": r.anrhi,
                    "ABLFL": "Y" if r.ablfl else "", "BASE": b.aval if b else None,
                    "CHG": decimal_difference(r.aval, b.aval) if b else None,
                    "ANRIND": reference_range_indicator(r.aval, r.anrlo, r.anrhi),
                    "BNRIND": reference_range_indicator(b.aval, b.anrlo, b.anrhi) if b else "",
                    "ATOXDSCL": r.tox_term if r.tox_direction == "low" else "",
                    "ATOXDSCH": r.tox_term if r.tox_direction == "high" else "",
                    "ATOXGRL": low, "ATOXGRH": high, "ATOXGR": overall,
                    "BTOXGRL": b_low, "BTOXGRH": b_high, "BTOXGR": b_overall})
    return make_dataset(ADLB, out)


# ---------------------------------------------------------------- ADAE
@dataclass(frozen=True)
class AdverseEventRow:
    studyid: str
    usubjid: str
    aespid: str
    aeterm: str
    astdt: date
    aendt: date | None
    atoxgr: int
    serious: bool
    aerel: str
    related: bool
    trtsdt: date | None
    aesi: str = ""
    trtedt: date | None = None


def build_adae(rows: Sequence[AdverseEventRow], *, end_window_days: int = TRTEM_END_WINDOW_DAYS) -> Dataset:
    """ADAE: one row per adverse event, AESEQ in onset order within the subject; TRTEMFL = Y
    for onset from the first administration (TRTSDT) to ``end_window_days`` after the last
    (TRTEDT; admiral's ``derive_var_trtemfl`` with ``end_window``); ASTDY has no day 0
    (SDTMIG study day)."""
    out: list[dict[str, Value]] = []
    seq: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: (r.usubjid, r.astdt, r.aespid)):
        where = f"ADAE {r.usubjid} {r.aeterm}"
        if not 1 <= r.atoxgr <= 5:
            raise _refusal("not a CTCAE AE grade", record=where, field="ATOXGR", value=r.atoxgr, accepted="1–5")
        if r.aendt is not None and r.aendt < r.astdt:
            raise _refusal(f"end {r.aendt} before start {r.astdt}", record=where, field="AENDT", value=r.aendt)
        seq[r.usubjid] = seq.get(r.usubjid, 0) + 1
        day = None if r.trtsdt is None else (r.astdt - r.trtsdt).days + (1 if r.astdt >= r.trtsdt else 0)
        out.append({"STUDYID": r.studyid, "USUBJID": r.usubjid, "AESEQ": seq[r.usubjid], "AESPID": r.aespid,
                    "AETERM": r.aeterm, "AEDECOD": r.aeterm, "AEBODSYS": "", "ASTDT": r.astdt, "AENDT": r.aendt,
                    "ASTDY": day, "AETOXGR": str(r.atoxgr), "ATOXGR": str(r.atoxgr), "ATOXGRN": r.atoxgr,
                    "AESER": yn(r.serious), "AEREL": r.aerel, "ARELFL": yn(r.related),
                    "TRTEMFL": yn(treatment_emergent(r.astdt, r.trtsdt, r.trtedt, end_window_days)), "AESI": r.aesi})
    return make_dataset(ADAE, out)


def treatment_emergent(onset: date, trtsdt: date | None, trtedt: date | None, end_window_days: int) -> bool:
    """Onset on or after the first administration and at most ``end_window_days`` after the
    last (no last administration date: no upper limit)."""
    if trtsdt is None or onset < trtsdt:
        return False
    return trtedt is None or onset <= trtedt + timedelta(days=end_window_days)


__all__ = ["ADRS_PARAMS", "RESPONSES", "AdverseEventRow", "Dataset", "LabRow", "ResponseRow", "SubjectRow",
           "TimeToEventRow", "VarType", "Variable", "build_adae", "build_adlb", "build_adrs", "build_adsl",
           "build_adtte", "cnsr_from_event", "decimal_difference", "event_from_cnsr", "make_dataset",
           "reference_range_indicator", "site_codes", "toxicity_grades", "treatment_emergent", "usubjid", "yn"]
