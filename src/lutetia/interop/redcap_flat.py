"""REDCap flat CSV ("records, raw, flat") in and out of Lutetia records, on the project that
:mod:`lutetia.interop.redcap_dictionary` generates for a protocol.

The export has REDCap's columns ``record_id``, ``redcap_event_name``,
``redcap_repeat_instrument``, ``redcap_repeat_instance``, then every field in dictionary
order (a checkbox as one ``field___code`` column per choice, 1/0), each form followed by its
``<form>_complete`` status (2 = complete).  Patient and enrolment are on the screening row;
every other record is an instance of its repeating instrument at the event it belongs to
(administrations and dosimetry at their cycle; dated records at screening before the first
administration, at cycle *k* from the *k*-th administration, at follow-up from 42 days after
the last one).

Import turns each row back into interchange rows (``docs/interchange.md``: a quantity's unit
is its canonical unit, a REDCap date-time is read in the project's time zone) and validates
them with :func:`lutetia.store.interchange.parse_rows` — the path ``lutetia import`` uses —
so every problem is listed with the CSV line, record, event and instrument, and nothing is
written unless there is none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from lutetia.interop.redcap_dictionary import (
    ELIGIBILITY_FORM,
    INSTRUMENTS,
    Field,
    dictionary,
    event_names,
)
from lutetia.protocols import list_protocols
from lutetia.protocols.schema import Protocol
from lutetia.records import KINDS, CriterionAnswer, PatientRecord, RecordModel
from lutetia.store.interchange import Parsed, export_rows, parse_rows
from lutetia.store.interchange_checks import ProtocolArms, protocol_arms

FIXED = ("record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")
FORM_KIND = {ins.form: ins.kind for ins in INSTRUMENTS}
FOLLOW_UP_AFTER_DAYS = 42
_DATE_OF = {"labs": "sampled_on", "ecog": "assessed_on", "imaging": "study_date", "adverse_events": "onset_date",
            "pro_answers": "answered_on", "events": "event_date", "prior_therapies": "start_date",
            "criterion_answers": "answered_on"}


def flat_columns(fields: Sequence[Field]) -> list[str]:
    """The export's header: fixed columns, fields (checkboxes expanded), ``<form>_complete``."""
    cols = list(FIXED)
    forms: list[str] = []
    for f in fields:
        if f.form not in forms:
            if forms:
                cols.append(f"{forms[-1]}_complete")
            forms.append(f.form)
        if f.type == "descriptive" or f.name == "record_id":
            continue
        cols += [f"{f.name}___{c}" for c, _ in f.choices] if f.type == "checkbox" else [f.name]
    cols.append(f"{forms[-1]}_complete")
    return cols


# ----------------------------------------------------------------------------- export
def _redcap_value(f: Field, value: Any, tz: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if f.validation == "datetime_seconds_ymd":
        return datetime.fromisoformat(str(value)).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _form_cells(form: str, fields: Sequence[Field], row: Mapping[str, Any], tz: tzinfo) -> dict[str, str]:
    cells: dict[str, str] = {}
    for f in fields:
        if f.form != form or f.name == "record_id" or f.type == "descriptive":
            continue
        if f.type == "checkbox":
            cells.update({f"{f.name}___{c}": "1" if row.get(col) else "0" for c, col in f.checkbox_columns.items()})
        elif f.column is not None:
            cells[f.name] = _redcap_value(f, row.get(f.column), tz)
    cells[f"{form}_complete"] = "2"
    return cells


def _event_of(kind: str, rec: RecordModel, doses: list[tuple[date, int]], studies: dict[str, date]) -> str:
    if kind in ("administrations", "dosimetry"):
        return f"cycle_{rec.cycle}_arm_1"  # type: ignore[attr-defined]
    if kind == "prior_therapies" or not doses:
        return "screening_arm_1"
    day = studies.get(rec.study_id, doses[0][0]) if kind == "lesions" else getattr(rec, _DATE_OF[kind])  # type: ignore[attr-defined]
    given = [c for d, c in doses if d <= day]
    if not given:
        return "screening_arm_1"
    if day > doses[-1][0] + timedelta(days=FOLLOW_UP_AFTER_DAYS):
        return "follow_up_arm_1"
    return f"cycle_{given[-1]}_arm_1"


def export_flat(protocol: Protocol, records: Iterable[PatientRecord], path: Path, *, tz: tzinfo) -> int:
    """Write the flat CSV of the patients enrolled in ``protocol``; returns the number of rows."""
    text, n = flat_csv(protocol, records, tz=tz)
    path.write_text(text, encoding="utf-8")
    return n


def flat_csv(protocol: Protocol, records: Iterable[PatientRecord], *, tz: tzinfo) -> tuple[str, int]:
    """The flat CSV text of the patients enrolled in ``protocol`` and its number of rows."""
    fields = dictionary(protocol)
    mine = [r for r in records if any(e.protocol_id == protocol.id for e in r.enrolments)]
    rows: list[dict[str, str]] = []
    known_events = {e for e, _ in event_names(protocol, max((a.cycle for r in mine for a in r.administrations),
                                                            default=0))}
    eligibility_ids = {f.annotation for f in fields if f.form == ELIGIBILITY_FORM and f.type == "yesno"}
    for rec in mine:
        pid = rec.patient_id
        screening = {"record_id": pid, "redcap_event_name": "screening_arm_1"}
        screening |= _form_cells("patient", fields, next(export_rows(KINDS["patients"], [rec.patient])), tz)
        enrol = [e for e in rec.enrolments if e.protocol_id == protocol.id]
        screening |= _form_cells("enrolment", fields, next(export_rows(KINDS["enrolments"], enrol)), tz)
        rows.append(screening)
        doses = sorted((a.administered_at.date(), a.cycle) for a in rec.administrations)
        studies = {s.study_id: s.study_date for s in rec.imaging}
        instance: dict[tuple[str, str], int] = {}
        for ins in INSTRUMENTS[2:]:
            children: list[RecordModel] = list(getattr(rec, ins.kind))
            if ins.kind == "criterion_answers":  # this protocol's, eligibility answers excepted
                children = [a for a in rec.criterion_answers
                            if a.protocol_id == protocol.id and a.criterion_id not in eligibility_ids]
            for child, row in zip(children, export_rows(KINDS[ins.kind], children), strict=True):
                event = _event_of(ins.kind, child, doses, studies)
                assert event in known_events, event
                instance[(event, ins.form)] = instance.get((event, ins.form), 0) + 1
                rows.append({"record_id": pid, "redcap_event_name": event, "redcap_repeat_instrument": ins.form,
                             "redcap_repeat_instance": str(instance[(event, ins.form)]),
                             **_form_cells(ins.form, fields, row, tz)})
        rows += _eligibility_rows(protocol, fields, rec)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, flat_columns(fields), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue(), len(rows)


def _eligibility_rows(protocol: Protocol, fields: Sequence[Field], rec: PatientRecord) -> list[dict[str, str]]:
    by_id = {f.annotation: f.name for f in fields if f.form == ELIGIBILITY_FORM and f.type == "yesno"}
    groups: dict[tuple[date, str], list[CriterionAnswer]] = {}
    for a in rec.criterion_answers:
        if a.protocol_id == protocol.id and a.criterion_id in by_id:  # the others: recorded_answer
            groups.setdefault((a.answered_on, a.answered_by), []).append(a)
    rows = []
    for i, ((day, by), answers) in enumerate(sorted(groups.items()), start=1):
        row = {"record_id": rec.patient_id, "redcap_event_name": "screening_arm_1",
               "redcap_repeat_instrument": ELIGIBILITY_FORM, "redcap_repeat_instance": str(i),
               "elig_answered_on": day.isoformat(), "elig_answered_by": by, f"{ELIGIBILITY_FORM}_complete": "2"}
        for a in answers:
            name = by_id[a.criterion_id]
            row[name] = "1" if a.answer else "0"
            row[f"{name}_note"] = a.note or ""
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- import
def _interchange_value(f: Field, text: str, tz: tzinfo) -> str:
    if f.type == "yesno":
        return {"1": "true", "0": "false"}.get(text, text)
    if f.validation == "datetime_seconds_ymd" and text:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=tz).isoformat()
        except ValueError:
            return text  # parse_rows reports it, naming the field and what is accepted
    return text


def _kind_row(form: str, fields: Sequence[Field], raw: Mapping[str, str], pid: str, tz: tzinfo) -> dict[str, str]:
    spec = KINDS[FORM_KIND[form]]
    row = {"patient_id": pid}
    for f in fields:
        if f.form != form or f.name == "record_id" or f.type == "descriptive":
            continue
        if f.type == "checkbox":
            row.update({col: "true" if raw.get(f"{f.name}___{c}") == "1" else "false"
                        for c, col in f.checkbox_columns.items()})
        elif f.column is not None and raw.get(f.name, "") != "":
            row[f.column] = _interchange_value(f, raw[f.name], tz)
    for name, unit in spec.quantities.items():
        base = spec.column_base(name)
        if row.get(base, "") != "":
            row[f"{base}_unit"] = unit
    return row


def _criterion_rows(protocol: Protocol, fields: Sequence[Field], raw: Mapping[str, str], pid: str) -> list[dict[str, str]]:
    rows = []
    for f in fields:
        if f.form == ELIGIBILITY_FORM and f.type == "yesno" and raw.get(f.name, "") != "":
            rows.append({"patient_id": pid, "protocol_id": protocol.id, "criterion_id": f.annotation,
                         "answer": {"1": "true", "0": "false"}.get(raw[f.name], raw[f.name]),
                         "answered_on": raw.get("elig_answered_on", ""),
                         "answered_by": raw.get("elig_answered_by", ""), "note": raw.get(f"{f.name}_note", "")})
    return rows


def read_flat(protocol: Protocol, path: Path, *, tz: tzinfo) -> Parsed:
    """Records of a flat CSV export file, every problem found (CSV line, record, event,
    instrument) and the soft plausibility warnings."""
    return read_flat_text(protocol, path.read_text(encoding="utf-8-sig"), tz=tz, name=path.name)


def read_flat_text(protocol: Protocol, text: str, *, tz: tzinfo, name: str = "export") -> Parsed:
    """As :func:`read_flat`, from the CSV text (what the REDCap API returns)."""
    fields = dictionary(protocol)
    out = Parsed()
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in set(flat_columns(fields))]
    if unknown or "record_id" not in header:
        out.problems.append(f"{name}: unknown column(s) {unknown or ['(record_id missing)']}; "
                            f"accepted: the columns of `lutetia redcap dictionary --protocol {protocol.id}`")
        return out
    known = protocol_arms(list_protocols())  # ids and arms must be shipped ones, as for `lutetia import`
    for line, raw in enumerate(reader, start=2):
        _read_row(protocol, fields, raw, line, name, tz, out, known)
    for kind in KINDS:
        out.counts[kind] = sum(1 for r in out.records if type(r) is KINDS[kind].model)
    return out


def _read_row(protocol: Protocol, fields: Sequence[Field], raw: Mapping[str, str], line: int, name: str,
              tz: tzinfo, out: Parsed, known: ProtocolArms) -> None:
    pid, event = raw.get("record_id", ""), raw.get("redcap_event_name", "")
    form = raw.get("redcap_repeat_instrument", "")
    where = f"{name}: line {line} (record {pid!r}, event {event!r}{', ' + form if form else ''})"
    events = {e for e, _ in event_names(protocol, 30)}
    if event not in events:
        out.problems.append(f"{where}: unknown event {event!r}; accepted: screening_arm_1, cycle_<n>_arm_1, "
                            "follow_up_arm_1")
        return
    forms = [form] if form else [f for f in ("patient", "enrolment")
                                 if any(raw.get(x.name) for x in fields if x.form == f and x.name != "record_id")]
    for f in forms:
        if f == ELIGIBILITY_FORM:
            rows, spec = _criterion_rows(protocol, fields, raw, pid), KINDS["criterion_answers"]
        elif f in FORM_KIND:
            rows, spec = [_kind_row(f, fields, raw, pid, tz)], KINDS[FORM_KIND[f]]
        else:
            out.problems.append(f"{where}: unknown repeat instrument {f!r}; accepted: {', '.join(FORM_KIND)}, "
                                f"{ELIGIBILITY_FORM}")
            continue
        if f in ("administration", "dosimetry") and rows[0].get("cycle") and event != f"cycle_{rows[0]['cycle']}_arm_1":
            out.problems.append(f"{where}: field {f[:3]}_cycle = {rows[0]['cycle']} is not the event's cycle; "
                                f"accepted: the cycle of event {event}")
            continue
        part = parse_rows(spec, rows, where, first_row=line, header_checked=True, protocols=known)
        out.records += part.records
        out.problems += [p.replace(f"{where}: row {line}: ", f"{where}: ") for p in part.problems]
        out.warnings += [w.replace(f"{where}: row {line}: ", f"{where}: ") for w in part.warnings]
