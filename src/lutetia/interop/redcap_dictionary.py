"""A REDCap project for a protocol: data dictionary (the 18-column CSV), events and instrument
designations, generated from the protocol and the record models.

Every record kind of :data:`lutetia.records.KINDS` becomes an instrument whose fields are the
interchange columns of the kind (``docs/interchange.md``), prefixed so that names are unique
in the project (``adm_activity``…).  Field types and validations follow the model: a date is
``text`` validated ``date_ymd``, an aware date-time ``datetime_seconds_ymd`` (wall clock of the
project's time zone), a whole number ``integer`` with the model's bounds, a number ``number``
with its bounds, an enumeration a ``dropdown`` of its values, a long text ``notes``, a yes/no
``yesno``; the non-optional yes/no fields of a kind with two or more of them are one
``checkbox`` field (``ae_flags___serious``…).  A quantity is entered in its canonical unit,
named in the field note.  The protocol adds an *eligibility* instrument: each criterion that
needs judgement is a required yes/no field (with a note field), each criterion Lutetia decides
from the data is a ``descriptive`` field showing its verbatim text.

Column names and field types are those of REDCap's data dictionary template [1]_.

References
----------
.. [1] REDCap (Vanderbilt University). Data Dictionary template and "Help & FAQ: Data
       Dictionary", REDCap 13/14. https://projectredcap.org/
"""

from __future__ import annotations

import csv
import io
import types
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen
from pydantic import AwareDatetime

from lutetia.protocols.schema import Protocol
from lutetia.records import ANALYTES, KINDS, KindSpec

#: The 18 columns of a REDCap data dictionary, in order.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)


@dataclass(frozen=True)
class Instrument:
    """One REDCap instrument holding one record kind; ``prefix`` makes field names unique."""

    form: str
    kind: str
    prefix: str
    repeating: bool
    events: tuple[str, ...]  # "screening", "cycle", "follow_up"


_ALL = ("screening", "cycle", "follow_up")
#: Instruments in form order, with the events they are designated for.
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("patient", "patients", "", False, ("screening",)),
    Instrument("enrolment", "enrolments", "enr_", False, ("screening",)),
    Instrument("ecog", "ecog", "ecog_", True, _ALL),
    Instrument("prior_therapy", "prior_therapies", "ther_", True, ("screening",)),
    Instrument("laboratory", "labs", "lab_", True, _ALL),
    Instrument("imaging", "imaging", "img_", True, _ALL),
    Instrument("lesion", "lesions", "les_", True, _ALL),
    Instrument("administration", "administrations", "adm_", True, ("cycle",)),
    Instrument("dosimetry", "dosimetry", "dos_", True, ("cycle",)),
    Instrument("adverse_event", "adverse_events", "ae_", True, _ALL),
    Instrument("questionnaire", "pro_answers", "pro_", True, _ALL),
    Instrument("clinical_event", "events", "evt_", True, _ALL),
    # answers to rules other than eligibility criteria (a physician's resumption after a withheld
    # cycle, the reason for an individualised activity, an answered fact): rule id as text
    Instrument("recorded_answer", "criterion_answers", "ans_", True, _ALL),
)
ELIGIBILITY_FORM = "eligibility"


@dataclass(frozen=True)
class Field:
    """One dictionary row, and how it maps to an interchange column."""

    name: str
    form: str
    type: str
    label: str
    column: str | None = None  # interchange column (None: eligibility or descriptive)
    choices: tuple[tuple[str, str], ...] = ()
    note: str = ""
    validation: str = ""
    vmin: str = ""
    vmax: str = ""
    required: bool = False
    annotation: str = ""
    checkbox_columns: dict[str, str] = field(default_factory=dict)  # code → interchange column

    def row(self) -> dict[str, str]:
        choices = " | ".join(f"{c}, {label}" for c, label in self.choices)
        values = (self.name, self.form, "", self.type, self.label, choices, self.note, self.validation, self.vmin,
                  self.vmax, "", "", "y" if self.required else "", "", "", "", "", self.annotation)
        return dict(zip(DICTIONARY_COLUMNS, values, strict=True))


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(base type, constraint metadata, optional?) of a model field annotation."""
    meta: list[Any] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            for e in extra:
                meta += list(getattr(e, "metadata", [])) or [e]
            annotation = base
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0]
        else:
            return annotation, meta, optional


def _bounds(meta: list[Any]) -> tuple[str, str, str]:
    """(min, max, note on strict bounds) of a field: REDCap's min/max are inclusive."""
    lo = next((f"{m.ge:g}" for m in meta if isinstance(m, Ge)), next((f"{m.gt:g}" for m in meta if isinstance(m, Gt)), ""))
    hi = next((f"{m.le:g}" for m in meta if isinstance(m, Le)), next((f"{m.lt:g}" for m in meta if isinstance(m, Lt)), ""))
    strict = [f"> {m.gt:g}" for m in meta if isinstance(m, Gt)] + [f"< {m.lt:g}" for m in meta if isinstance(m, Lt)]
    return lo, hi, ", ".join(strict)


#: Field and choice labels a data manager reads, where the column name alone is an abbreviation.
_LABELS: dict[str, str] = {
    "lln": "Lower limit of normal (LLN)", "uln": "Upper limit of normal (ULN)", "egfr": "eGFR",
    "crcl": "Creatinine clearance", "wbc": "White blood cells", "alt": "ALT", "ast": "AST", "alp": "ALP",
    "ldh": "LDH", "psa": "PSA", "ecog": "ECOG",
}
#: Canonical units as printed on a form (the registry's names for the others are already readable).
_UNIT_TEXT: dict[str, str] = {"giga_per_L": "10^9/L", "mL_min_1_73m2": "mL/min/1.73 m2", "degC": "°C"}


def _label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").capitalize()


def kind_fields(ins: Instrument) -> list[Field]:
    """The dictionary fields of one instrument (its kind's interchange columns, patient id excepted)."""
    spec: KindSpec = KINDS[ins.kind]
    out: list[Field] = []
    flags: list[str] = []
    for name, info in spec.model.model_fields.items():
        if name == "patient_id":
            continue
        base, meta, optional = _unwrap(info.annotation)
        meta += list(info.metadata)
        required = info.is_required()
        column = spec.column_base(name) if name in spec.quantities else name
        fname = ins.prefix + column
        if base is bool and not optional:
            flags.append(name)
            continue
        common: dict[str, Any] = {"name": fname, "form": ins.form, "label": _label(name), "column": column,
                                  "required": required}
        if name in spec.quantities:
            lo, hi, strict = _bounds(meta)
            note = f"in {spec.quantities[name]}" + (f"; {strict}" if strict else "")
            out.append(Field(type="text", validation="number", vmin=lo, vmax=hi, note=note, **common))
        elif ins.kind == "labs" and name == "analyte":
            choices = tuple((a.value, f"{_label(a.value)} ({_UNIT_TEXT.get(u.canonical_unit, u.canonical_unit)})")
                            for a, u in ANALYTES.items())
            out.append(Field(type="dropdown", choices=choices, **common))
        elif ins.kind == "labs" and name == "unit":
            out.append(Field(type="text", note="as reported: any unit of the analyte (its canonical unit in brackets)",
                             **common))
        elif isinstance(base, type) and issubclass(base, Enum):
            out.append(Field(type="dropdown", choices=tuple((m.value, _label(m.value)) for m in base), **common))
        elif base is bool:
            out.append(Field(type="yesno", **common))
        elif base is AwareDatetime:
            out.append(Field(type="text", validation="datetime_seconds_ymd", note="local time of the project", **common))
        elif base is date:
            out.append(Field(type="text", validation="date_ymd", **common))
        elif base is int or base is float:
            lo, hi, strict = _bounds(meta)
            out.append(Field(type="text", validation="integer" if base is int else "number", vmin=lo, vmax=hi,
                             note=strict, **common))
        else:
            long = any(isinstance(m, MaxLen) and m.max_length > 200 for m in meta) or any(
                getattr(m, "max_length", 0) and m.max_length > 200 for m in meta)
            out.append(Field(type="notes" if long else "text", **common))
    if len(flags) == 1:
        name = flags[0]
        out.append(Field(ins.prefix + name, ins.form, "yesno", _label(name), column=name))
    elif flags:
        out.append(Field(f"{ins.prefix}flags", ins.form, "checkbox", "Tick what applies",
                         choices=tuple((f, _label(f)) for f in flags), checkbox_columns={f: f for f in flags}))
    return out


def eligibility_fields(protocol: Protocol) -> list[Field]:
    """The eligibility instrument: date and assessor; a yes/no (and note) per criterion that needs
    judgement and per flag (the physician's reason to proceed); a descriptive field showing each
    criterion Lutetia decides from the data."""
    form = ELIGIBILITY_FORM
    out = [Field("elig_answered_on", form, "text", "Date of the answers", column="answered_on",
                 validation="date_ymd", required=True),
           Field("elig_answered_by", form, "text", "Answered by", column="answered_by", required=True)]
    for i, c in enumerate(protocol.criteria, start=1):
        if c.judgement or c.kind == "flag":
            label = f"[{c.kind}] {c.text}" + ("" if c.judgement else " — proceed despite this flag?")
            out.append(Field(f"elig_{i:02d}", form, "yesno", label, required=c.judgement, annotation=c.id))
            out.append(Field(f"elig_{i:02d}_note", form, "notes", f"Note on {c.id}", annotation=c.id))
        if not c.judgement:
            out.append(Field(f"elig_{i:02d}_info", form, "descriptive",
                             f"[{c.kind}] {c.text} (decided by Lutetia from the record: {c.id})", annotation=c.id))
    return out


def _protocol_field(f: Field, protocol: Protocol) -> Field:
    """The protocol's own choices: its id as default, its arms as a dropdown."""
    if f.column == "protocol_id":
        return replace(f, annotation=f'@DEFAULT="{protocol.id}"', note=f"{protocol.id} for this project")
    if f.column == "arm":
        return replace(f, type="dropdown", choices=tuple((a.id, a.title[:60]) for a in protocol.arms))
    return f


def dictionary(protocol: Protocol) -> list[Field]:
    """Every field of the protocol's project, ``record_id`` (the patient id) first."""
    fields = [Field("record_id", "patient", "text", "Patient id (pseudonymous)", column="patient_id", required=True)]
    for ins in INSTRUMENTS:
        fields += [_protocol_field(f, protocol) for f in kind_fields(ins)]
        if ins.form == "enrolment":
            fields += eligibility_fields(protocol)
    return fields


def max_cycles(protocol: Protocol) -> int:
    """The most cycles an arm of the protocol allows (its events are cycle 1 … this)."""
    return max(a.treatment.cycles.max for a in protocol.arms)


def event_names(protocol: Protocol, extra_cycles: int = 0) -> list[tuple[str, str]]:
    """(unique event name, label) of the longitudinal project, arm 1.  REDCap derives the unique
    name from the label (lower case, spaces to ``_``, other signs dropped, ``_arm_1``): the labels
    are chosen so that it gives these names."""
    n = max(max_cycles(protocol), extra_cycles)
    return ([("screening_arm_1", "Screening")] + [(f"cycle_{k}_arm_1", f"Cycle {k}") for k in range(1, n + 1)]
            + [("follow_up_arm_1", "Follow up")])


def designations(protocol: Protocol) -> list[tuple[str, str]]:
    """(unique event name, form) pairs: which instrument is collected at which event."""
    out: list[tuple[str, str]] = []
    for event, _ in event_names(protocol):
        group = event.removesuffix("_arm_1")
        group = "cycle" if group.startswith("cycle_") else group
        out += [(event, ins.form) for ins in INSTRUMENTS if group in ins.events]
        if group == "screening":
            out.append((event, ELIGIBILITY_FORM))
    return out


def repeating_forms() -> list[str]:
    return [ins.form for ins in INSTRUMENTS if ins.repeating] + [ELIGIBILITY_FORM]


def dictionary_csv(protocol: Protocol) -> str:
    """The 18-column data dictionary CSV of the protocol's project, as text (what
    ``data_dictionary.csv`` of :func:`write_project` holds)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DICTIONARY_COLUMNS)
    writer.writerows(list(f.row().values()) for f in dictionary(protocol))
    return buffer.getvalue()


def write_project(protocol: Protocol, out_dir: Path) -> dict[str, Path]:
    """Write the project's CSV files: ``data_dictionary.csv`` (18 columns), ``events.csv``
    (event_name, arm_num, unique_event_name), ``instrument_designation.csv`` (arm_num,
    unique_event_name, form) and ``repeating_instruments.csv`` (event_name, form_name,
    custom_form_label) — the layouts REDCap's project setup and API import."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events = event_names(protocol)
    tables: dict[str, tuple[Sequence[str], list[Sequence[str]]]] = {
        "data_dictionary": (DICTIONARY_COLUMNS, [list(f.row().values()) for f in dictionary(protocol)]),
        "events": (("event_name", "arm_num", "unique_event_name"), [(label, "1", e) for e, label in events]),
        "instrument_designation": (("arm_num", "unique_event_name", "form"),
                                   [("1", e, form) for e, form in designations(protocol)]),
        "repeating_instruments": (("event_name", "form_name", "custom_form_label"),
                                  [(e, form, "") for e, form in designations(protocol) if form in repeating_forms()]),
    }
    paths: dict[str, Path] = {}
    for name, (header, rows) in tables.items():
        path = paths[name] = out_dir / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return paths
