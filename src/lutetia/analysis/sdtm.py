"""SDTM tabulations (DM, DS, EX, AE, LB, TU, TR, RS and the sponsor-defined XD) from patient records.

Pure: records and protocol in, :class:`~lutetia.analysis.datasets.Dataset` out, every value
checked against :mod:`lutetia.analysis.sdtm_metadata` (lengths, codelists).  Dates are ISO 8601
text: a date as ``YYYY-MM-DD``; a time-stamped record (an administration) as
``YYYY-MM-DDThh:mm`` on the wall clock of its recorded offset (SDTMIG §4.4.2 keeps no offset).
``--SEQ`` numbers the rows of a subject in date order.  Laboratory values keep the reported
value and unit (``LBORRES``) beside the standard one (``LBSTRESN`` in the analyte's canonical
unit, the unit ADLB uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from lutetia.analysis.adam import SEX_CODES, planned_arm
from lutetia.analysis.adam_metadata import LB_PARAMS
from lutetia.analysis.datasets import (
    Dataset,
    Value,
    make_dataset,
    reference_range_indicator,
    site_codes,
    usubjid,
    yn,
)
from lutetia.analysis.endpoints import protocol_administrations, treatment_start
from lutetia.analysis.responses import RecistResult, recist
from lutetia.analysis.sdtm_metadata import (
    AE,
    AEACN_BY_ACTION,
    DM,
    DS,
    DSDECOD_BY_REASON,
    EX,
    EX_SUPPLEMENTAL,
    EXTRT,
    LB,
    RS,
    SUPPEX,
    TR,
    TU,
    XD,
)
from lutetia.protocols.schema import Protocol
from lutetia.records import ANALYTES, PatientRecord

Row = dict[str, Value]


def dtc(value: date | datetime | None) -> str:
    """ISO 8601 ``--DTC``: ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm`` (wall clock of the recorded offset)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def iso_duration_hours(hours: float) -> str:
    """ISO 8601 duration of a positive number of hours: ``PT24H``, ``PT2H30M``."""
    minutes = round(hours * 60)
    h, m = divmod(minutes, 60)
    return f"PT{h}H{m}M" if m else f"PT{h}H"


def _number(x: float) -> str:
    """A result as text without binary noise (``f'{x:.10g}'``)."""
    return f"{x:.10g}"


def _seq(domain: str, rows: list[Row], order: str) -> list[Row]:
    rows.sort(key=lambda r: (str(r["USUBJID"]), str(r[order])))
    counter: dict[str, int] = {}
    for r in rows:
        counter[str(r["USUBJID"])] = counter.get(str(r["USUBJID"]), 0) + 1
        r[f"{domain}SEQ"] = counter[str(r["USUBJID"])]
    return rows


def _base(protocol: Protocol, rec: PatientRecord, domain: str) -> Row:
    return {"STUDYID": protocol.id, "DOMAIN": domain, "USUBJID": usubjid(protocol.id, rec.patient_id)}


def build_dm(protocol: Protocol, records: Sequence[PatientRecord], site_ids: dict[str, str]) -> Dataset:
    rows: list[Row] = []
    for rec in records:
        enrol = next(e for e in rec.enrolments if e.protocol_id == protocol.id)
        admins = protocol_administrations(rec, protocol.id)
        armcd, arm = planned_arm(rec, protocol)
        first = admins[0].administered_at if admins else None
        last = admins[-1].administered_at if admins else None
        p = rec.patient
        rows.append({**_base(protocol, rec, "DM"), "SUBJID": rec.patient_id, "RFSTDTC": dtc(first),
                     "RFENDTC": dtc(enrol.off_study_on or (last.date() if last else None)),
                     "RFXSTDTC": dtc(first), "RFXENDTC": dtc(last), "RFICDTC": dtc(enrol.consent_date),
                     "DTHDTC": dtc(rec.death_date), "DTHFL": "Y" if rec.death_date else "",
                     "SITEID": site_ids.get(p.site or "", ""),
                     "BRTHDTC": dtc(p.birth_date) if p.birth_date else (str(p.birth_year) if p.birth_year else ""),
                     "AGE": p.age_years(enrol.consent_date or enrol.enrolled_on), "AGEU": "YEARS",
                     "SEX": SEX_CODES[p.sex], "ARMCD": armcd, "ARM": arm,
                     "ACTARMCD": armcd if admins else "NOTTRT", "ACTARM": arm if admins else "Not Treated"})
    return make_dataset(DM, rows)


def build_ds(protocol: Protocol, records: Sequence[PatientRecord]) -> Dataset:
    rows: list[Row] = []
    for rec in records:
        for e in (e for e in rec.enrolments if e.protocol_id == protocol.id):
            milestones = [("INFORMED CONSENT OBTAINED", e.consent_date), ("RANDOMIZED", e.randomised_on)]
            rows += [{**_base(protocol, rec, "DS"), "DSTERM": term, "DSDECOD": term, "DSCAT": "PROTOCOL MILESTONE",
                      "DSSTDTC": dtc(day)} for term, day in milestones if day is not None]
            if e.off_study_on is not None:
                term = (e.off_study_reason or "").strip()
                rows.append({**_base(protocol, rec, "DS"), "DSTERM": term or "OTHER",
                             "DSDECOD": DSDECOD_BY_REASON.get(term.lower(), "OTHER"), "DSCAT": "DISPOSITION EVENT",
                             "DSSTDTC": dtc(e.off_study_on)})
    return make_dataset(DS, _seq("DS", rows, "DSSTDTC"))


def build_ex(protocol: Protocol, records: Sequence[PatientRecord]) -> tuple[Dataset, Dataset]:
    """EX: one row per administration; EXDOSE is the net injected activity (syringe − residual)
    in GBq.  SUPPEX: its cycle and course numbers (no EX variable holds them), keyed by EXSEQ."""
    rows: list[Row] = []
    for rec in records:
        for a in protocol_administrations(rec, protocol.id):
            rows.append({**_base(protocol, rec, "EX"), "EXTRT": EXTRT, "EXDOSE": float(_number(a.net_activity_gbq)),
                         "EXDOSU": "GBq", "EXDOSFRM": "SOLUTION", "EXROUTE": "INTRAVENOUS", "EXCYCLE": a.cycle,
                         "EXCOURSE": a.course, "EXADJ": a.reason or "", "VISIT": f"CYCLE {a.cycle}",
                         "EXSTDTC": dtc(a.administered_at), "EXENDTC": dtc(a.administered_at)})
    supp: list[Row] = []
    for r in _seq("EX", rows, "EXSTDTC"):
        for qnam, qlabel in EX_SUPPLEMENTAL:
            supp.append({"STUDYID": r["STUDYID"], "RDOMAIN": "EX", "USUBJID": r["USUBJID"], "IDVAR": "EXSEQ",
                         "IDVARVAL": str(r["EXSEQ"]), "QNAM": qnam, "QLABEL": qlabel, "QVAL": str(r.pop(qnam)),
                         "QORIG": "Collected", "QEVAL": ""})
    return make_dataset(EX, rows), make_dataset(SUPPEX, supp)


def action_taken(text: str | None, led_to_discontinuation: bool) -> dict[str, str]:
    """AEACN from CDISC CT C66767 (:data:`AEACN_BY_ACTION`), else the recorded text in AEACNOTH."""
    words = (text or "").strip()
    if not words:
        return {"AEACN": "DRUG WITHDRAWN" if led_to_discontinuation else "", "AEACNOTH": ""}
    code = AEACN_BY_ACTION.get(words.lower())
    return {"AEACN": code, "AEACNOTH": ""} if code else {"AEACN": "", "AEACNOTH": words}


def build_ae(protocol: Protocol, records: Sequence[PatientRecord]) -> Dataset:
    rows: list[Row] = []
    for rec in records:
        for ae in rec.adverse_events:
            rows.append({**_base(protocol, rec, "AE"), "AESPID": ae.ae_id, "AETERM": ae.term, "AEDECOD": ae.term,
                         "AETOXGR": str(ae.grade), "AESER": yn(ae.serious),
                         "AEREL": ae.attribution.value.upper() if ae.attribution else "",
                         **action_taken(ae.action_taken, ae.led_to_discontinuation), "AESTDTC": dtc(ae.onset_date),
                         "AEENDTC": dtc(ae.resolution_date)})
    return make_dataset(AE, _seq("AE", rows, "AESTDTC"))


def build_lb(protocol: Protocol, records: Sequence[PatientRecord]) -> Dataset:
    """LB: laboratory values of the ADLB analytes (vital signs excluded); LBLOBXFL on the last
    value on or before the first administration."""
    rows: list[Row] = []
    for rec in records:
        start = treatment_start(rec, protocol.id)
        for analyte, p in LB_PARAMS.items():
            labs = rec.labs_of(analyte)
            before = [x for x in labs if start is not None and x.sampled_on <= start]
            for x in labs:
                value, lln, uln = (float(_number(v)) if v is not None else None for v in x.canonical())
                assert value is not None
                rows.append({**_base(protocol, rec, "LB"), "LBTESTCD": p.paramcd, "LBTEST": p.name,
                             "LBLOINC": ANALYTES[analyte].loinc_for(x.unit) or "", "LBORRES": _number(x.value),
                             "LBORRESU": x.unit, "LBORNRLO": _number(x.lln) if x.lln is not None else "",
                             "LBORNRHI": _number(x.uln) if x.uln is not None else "",
                             "LBSTRESC": _number(value), "LBSTRESN": value, "LBSTRESU": p.unit_label,
                             "LBSTNRLO": lln, "LBSTNRHI": uln, "LBNRIND": reference_range_indicator(value, lln, uln),
                             "LBLOBXFL": "Y" if before and x is before[-1] else "", "LBDTC": dtc(x.sampled_on)})
    return make_dataset(LB, _seq("LB", rows, "LBDTC"))


def build_tu_tr(protocol: Protocol, records: Sequence[PatientRecord]) -> tuple[Dataset, Dataset]:
    """TU: each lesion once, at the first study that shows it (TARGET / NON-TARGET / NEW);
    TR: every measured diameter (LDIAM longest, LPERP short axis of a node) in mm."""
    tu: list[Row] = []
    tr: list[Row] = []
    for rec in records:
        studies = {s.study_id: s for s in rec.imaging}
        seen: set[str] = set()
        for les in sorted(rec.lesions, key=lambda x: (studies[x.study_id].study_date if x.study_id in studies
                                                        else date.min, x.lesion_id)):
            study = studies.get(les.study_id)
            day = study.study_date if study else None
            method = study.modality.value.upper().replace("_", "-") if study else ""
            if les.lesion_id not in seen:
                seen.add(les.lesion_id)
                kind = "NEW" if les.is_new else ("TARGET" if les.is_target else "NON-TARGET")
                tu.append({**_base(protocol, rec, "TU"), "TULNKID": les.lesion_id, "TUTESTCD": "TUMIDENT",
                           "TUTEST": "Tumor Identification", "TUORRES": kind, "TUSTRESC": kind,
                           "TULOC": les.organ.upper(), "TUMETHOD": method, "TUDTC": dtc(day)})
            for code, name, mm in (("LDIAM", "Longest Diameter", les.longest_diameter_mm),
                                   ("LPERP", "Longest Perpendicular", les.short_axis_mm)):
                if mm is not None:
                    tr.append({**_base(protocol, rec, "TR"), "TRLNKID": les.lesion_id, "TRTESTCD": code,
                               "TRTEST": name, "TRORRES": _number(mm), "TRORRESU": "mm", "TRSTRESN": mm,
                               "TRSTRESU": "mm", "TRMETHOD": method, "TRDTC": dtc(day)})
    return make_dataset(TU, _seq("TU", tu, "TUDTC")), make_dataset(TR, _seq("TR", tr, "TRDTC"))


def build_rs(protocol: Protocol, recists: Sequence[RecistResult]) -> Dataset:
    """RS: RECIST 1.1 overall response per assessment, derived by Lutetia from TR (RSDRVFL = Y)."""
    rows: list[Row] = []
    for r in recists:
        for day, resp in r.visits:
            rows.append({"STUDYID": protocol.id, "DOMAIN": "RS", "USUBJID": usubjid(protocol.id, r.patient_id),
                         "RSTESTCD": "OVRLRESP", "RSTEST": "Overall Response", "RSCAT": "RECIST 1.1",
                         "RSORRES": resp, "RSSTRESC": resp, "RSDRVFL": "Y", "RSDTC": dtc(day)})
    return make_dataset(RS, _seq("RS", rows, "RSDTC"))


def build_xd(protocol: Protocol, records: Sequence[PatientRecord]) -> Dataset:
    """XD (sponsor-defined): activity (MBq), mass (g) and volume (mL) of each measured region,
    dated administration time + elapsed hours."""
    rows: list[Row] = []
    for rec in records:
        given = {(a.course, a.cycle): a.administered_at for a in rec.administrations}
        for m in rec.dosimetry:
            at = given.get((m.course, m.cycle))
            when = dtc(at + timedelta(hours=m.time_after_administration_h)) if at else ""
            tests = (("ACTIVITY", "Activity in Region", m.activity_mbq, "MBq"), ("MASS", "Mass of Region", m.mass_g, "g"),
                     ("VOLUME", "Volume of Region", m.volume_ml, "mL"))
            for code, name, value, unit in tests:
                if value is None:
                    continue
                rows.append({**_base(protocol, rec, "XD"), "XDTESTCD": code, "XDTEST": name,
                             "XDLOC": m.region.value.upper(), "XDLNKID": m.lesion_id or "",
                             "XDORRES": _number(value), "XDORRESU": unit, "XDSTRESN": value, "XDSTRESU": unit,
                             "XDMETHOD": m.method.upper(), "VISIT": f"CYCLE {m.cycle}",
                             "XDTPTREF": f"COURSE {m.course} CYCLE {m.cycle} ADMINISTRATION",
                             "XDELTM": iso_duration_hours(m.time_after_administration_h), "XDDTC": when})
    return make_dataset(XD, _seq("XD", rows, "XDDTC"))


def sdtm_datasets(protocol: Protocol, records: Sequence[PatientRecord]) -> tuple[Dataset, ...]:
    """DM, DS, EX, SUPPEX, AE, LB, TU, TR, RS, XD of the patients of ``records`` enrolled in ``protocol``."""
    mine = [r for r in records if any(e.protocol_id == protocol.id for e in r.enrolments)]
    site_ids = site_codes(r.patient.site or "" for r in mine)
    recists = [x for r in mine for x in [recist(r, protocol.id)] if x is not None]
    tu, tr = build_tu_tr(protocol, mine)
    ex, suppex = build_ex(protocol, mine)
    return (build_dm(protocol, mine, site_ids), build_ds(protocol, mine), ex, suppex,
            build_ae(protocol, mine), build_lb(protocol, mine), tu, tr, build_rs(protocol, recists),
            build_xd(protocol, mine))
