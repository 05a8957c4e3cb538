"""The whole patient record and the checks that span record kinds.

``PatientRecord`` gathers everything known about one patient.  :func:`check_record`
rejects impossible combinations (death before birth, an administration after death, a
child record of another patient, duplicate natural keys), naming the record and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from pydantic import Field, model_validator

from lutetia.errors import RecordError
from lutetia.records.base import RecordModel, day_of
from lutetia.records.clinical import Analyte, ClinicalEvent, EventKind, LabResult
from lutetia.records.imaging import ImagingStudy, Lesion
from lutetia.records.patient import EcogAssessment, Patient, PriorTherapy
from lutetia.records.registry import KINDS
from lutetia.records.safety import AdverseEvent, CriterionAnswer, ProAnswer
from lutetia.records.treatment import Administration, DosimetryMeasurement, Enrolment


class PatientRecord(RecordModel):
    """Everything known about one patient, each list in its natural order."""

    patient: Patient
    enrolments: tuple[Enrolment, ...] = ()
    ecog: tuple[EcogAssessment, ...] = ()
    prior_therapies: tuple[PriorTherapy, ...] = ()
    labs: tuple[LabResult, ...] = ()
    imaging: tuple[ImagingStudy, ...] = ()
    lesions: tuple[Lesion, ...] = ()
    administrations: tuple[Administration, ...] = ()
    dosimetry: tuple[DosimetryMeasurement, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    pro_answers: tuple[ProAnswer, ...] = ()
    events: tuple[ClinicalEvent, ...] = Field(default=())
    criterion_answers: tuple[CriterionAnswer, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> PatientRecord:
        problems = record_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def patient_id(self) -> str:
        return self.patient.patient_id

    def children(self) -> Iterator[tuple[str, RecordModel]]:
        """Every child record with its kind name."""
        for kind in KINDS:
            if kind == "patients":
                continue
            for rec in getattr(self, kind):
                yield kind, rec

    def flatten(self) -> list[RecordModel]:
        """The patient and every child record, as the store and interchange take them."""
        return [self.patient, *(rec for _, rec in self.children())]

    @property
    def death_date(self) -> date | None:
        deaths = [e.event_date for e in self.events if e.kind is EventKind.death]
        return deaths[0] if deaths else None

    def psa_series(self) -> list[tuple[date, float]]:
        """PSA values in ng/mL, sorted by date (the PCWG3 engines take this)."""
        out = [(lab.sampled_on, lab.canonical()[0]) for lab in self.labs if lab.analyte is Analyte.psa]
        return sorted(out)

    def labs_of(self, analyte: Analyte) -> list[LabResult]:
        """The analyte's results by sampling date (ties in record order)."""
        return list(_labs_index(self).get(analyte, ()))

    def administrations_sorted(self) -> list[Administration]:
        return sorted(self.administrations, key=lambda a: a.administered_at)


def _labs_index(record: PatientRecord) -> dict[Analyte, tuple[LabResult, ...]]:
    """Labs grouped by analyte and sorted by date, computed once per record (the engine asks
    per fact and per rule).  Kept beside the fields, keyed by the very ``labs`` tuple it was
    made from, so a copy with other labs (``model_copy(update=...)``) never reuses it."""
    cached = record.__dict__.get("_labs_index")
    if cached is not None and cached[0] is record.labs:
        return cached[1]  # type: ignore[no-any-return]
    groups: dict[Analyte, list[LabResult]] = {}
    for x in record.labs:
        groups.setdefault(x.analyte, []).append(x)
    index = {a: tuple(sorted(xs, key=lambda x: x.sampled_on)) for a, xs in groups.items()}
    record.__dict__["_labs_index"] = (record.labs, index)
    return index


#: The date each child record kind happens on (its first date field), for :func:`record_as_of`.
_OCCURS: dict[str, str] = {"enrolments": "enrolled_on", "ecog": "assessed_on", "prior_therapies": "start_date",
                           "labs": "sampled_on", "imaging": "study_date", "administrations": "administered_at",
                           "adverse_events": "onset_date", "pro_answers": "answered_on", "events": "event_date",
                           "criterion_answers": "answered_on"}
#: Later facts about a record that were not yet known on an earlier date (cleared by record_as_of).
_LATER: dict[str, tuple[tuple[str, ...], ...]] = {
    "enrolments": (("randomised_on",), ("off_study_on", "off_study_reason")),
    "prior_therapies": (("end_date",), ("last_injection_date",), ("progression_date", "progression_type")),
    "adverse_events": (("resolution_date",),),
}


def record_as_of(record: PatientRecord, on: date, *, before_administration_on: bool = True) -> PatientRecord:
    """The record as it stood on ``on``: nothing that happened later, later dates not yet known.

    Child records dated after ``on`` are left out (lesions with their study, dosimetry with its
    administration); a later end, resolution, progression or off-study date is cleared.  With
    ``before_administration_on`` (default) an administration on ``on`` itself is left out too:
    a decision for that day is taken before the dose is given.
    """
    kids: dict[str, list[RecordModel]] = {}
    for kind, rec in record.children():
        occurs = _OCCURS.get(kind)
        if occurs is not None:
            day = day_of(getattr(rec, occurs))
            if day > on or (kind == "administrations" and before_administration_on and day == on):
                continue
            clear = {f: None for group in _LATER.get(kind, ()) for f in group
                     if getattr(rec, group[0]) is not None and day_of(getattr(rec, group[0])) > on}
            if clear:
                rec = rec.model_copy(update=clear)
        kids.setdefault(kind, []).append(rec)
    studies = {getattr(i, "study_id", None) for i in kids.get("imaging", [])}
    kids["lesions"] = [x for x in kids.get("lesions", []) if getattr(x, "study_id", None) in studies]
    given = {(getattr(a, "course", None), getattr(a, "cycle", None)) for a in kids.get("administrations", [])}
    kids["dosimetry"] = [m for m in kids.get("dosimetry", [])
                         if (getattr(m, "course", None), getattr(m, "cycle", None)) in given]
    return PatientRecord.model_validate({"patient": record.patient, **{k: tuple(v) for k, v in kids.items()}})


_DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "enrolments": ("consent_date", "enrolled_on", "randomised_on"),
    "ecog": ("assessed_on",),
    "prior_therapies": ("start_date", "end_date", "progression_date"),
    "labs": ("sampled_on",),
    "imaging": ("study_date",),
    "administrations": ("administered_at",),
    "adverse_events": ("onset_date", "resolution_date"),
    "pro_answers": ("answered_on",),
    "events": ("event_date",),
    "criterion_answers": ("answered_on",),
}

# Records that may legitimately carry a date after death (e.g. an AE resolved by death,
# an off-study date): only these fields are exempt.
_AFTER_DEATH_ALLOWED = {("adverse_events", "resolution_date"), ("enrolments", "off_study_on")}


def record_problems(rec: PatientRecord) -> list[str]:
    """Every cross-record problem of ``rec`` as a message naming kind, key and field."""
    problems: list[str] = []
    pid = rec.patient.patient_id
    born = rec.patient.earliest_birth()
    deaths = [e for e in rec.events if e.kind is EventKind.death]
    if len(deaths) > 1:
        problems.append(f"events: patient {pid} has {len(deaths)} death events")
    died = min((d.event_date for d in deaths), default=None)
    for kind in KINDS:
        if kind == "patients":
            continue
        children: tuple[RecordModel, ...] = getattr(rec, kind)
        if not children:
            continue
        spec = KINDS[kind]
        key_fields = spec.key

        def label(child: RecordModel, kind: str = kind, key_fields: tuple[str, ...] = key_fields) -> str:
            return f"{kind} {dict((k, getattr(child, k)) for k in key_fields)}"

        keys = [tuple(c.__dict__[k] for k in key_fields) for c in children]
        if len(set(keys)) != len(keys):
            seen: set[tuple[object, ...]] = set()
            for child, key in zip(children, keys, strict=True):
                if key in seen:
                    problems.append(f"{label(child)}: duplicate record")
                seen.add(key)
        for child in children:
            if child.__dict__["patient_id"] != pid:
                problems.append(f"{label(child)}: patient_id {child.__dict__['patient_id']!r} is not {pid!r}")
        for name in _DATE_FIELDS.get(kind, ()):
            exempt = (kind, name) in _AFTER_DEATH_ALLOWED
            for child in children:
                value = child.__dict__[name]
                if value is None:
                    continue
                when = day_of(value)
                if when < born:
                    problems.append(f"{label(child)}: field {name} = {when} is before birth ({born})")
                if (
                    died is not None
                    and when > died
                    and not exempt
                    and not (kind == "events" and child.__dict__["kind"] is EventKind.death)
                ):
                    problems.append(f"{label(child)}: field {name} = {when} is after death ({died})")
    study_ids = {s.study_id for s in rec.imaging}
    for lesion in rec.lesions:
        if lesion.study_id not in study_ids:
            problems.append(f"lesions {lesion.lesion_id}: study_id {lesion.study_id!r} has no imaging study")
    return problems


def build_record(patient: Patient, children: dict[str, list[RecordModel]]) -> PatientRecord:
    """Assemble and validate a record; raises :class:`RecordError` naming every problem."""
    from pydantic import ValidationError

    try:
        return PatientRecord.model_validate(
            {"patient": patient, **{k: tuple(v) for k, v in children.items()}}
        )
    except ValidationError as exc:
        msgs = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise RecordError(msgs, record=f"patient {patient.patient_id}") from exc


__all__ = [
    "AdverseEvent", "ClinicalEvent", "CriterionAnswer", "DosimetryMeasurement", "EcogAssessment", "Enrolment",
    "ImagingStudy", "LabResult", "Lesion", "Patient", "PatientRecord", "PriorTherapy",
    "ProAnswer", "build_record", "record_as_of", "record_problems",
]
