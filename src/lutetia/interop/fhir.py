"""FHIR R4B out and in: a patient's record as a Bundle, a hospital's laboratory Observations
into the patient's labs.  Every resource is built and read with the R4B models of
``fhir.resources`` [1]_, which validate them.

Export (a ``collection`` Bundle, entries ``urn:uuid:`` with ids derived from the record keys, so
the same record always gives the same resource id):

- Patient (identifier = the pseudonymous patient id; gender; birth date or year);
  Condition for the diagnosis;
- ResearchStudy and ResearchSubject per enrolment (assigned arm, on/off study period);
- MedicationAdministration per administration: 177Lu-PSMA-617 (INN lutetium (177Lu)
  vipivotide tetraxetan, as text: no RxNorm/ATC code is verified here), dose = net injected
  activity (syringe − residual, in decimal arithmetic) in GBq (UCUM ``GBq``), syringe and
  residual activities in the note;
- Observation per laboratory value (LOINC code, value and unit as reported with its UCUM code,
  reference range, performing laboratory);
- AdverseEvent (term, CTCAE grade in an extension, seriousness, attribution);
- ImagingStudy (DICOM modality); DiagnosticReport per dosimetry cycle whose results are the
  region activity Observations (MBq, with time after administration, mass and volume as
  components; no LOINC code exists for them, so their code is text) and the kidney absorbed
  dose of the cycle (Gy; BED, cumulative BED and Gy/GBq as components) from the kidney ledger
  the decisions use;
- MedicationRequest per stored next-cycle decision that gives a cycle (administer, reduce,
  resume), with ``status = draft`` and ``intent = proposal``: the engine's activity is a
  decision-support proposal that no physician has signed (R4B: *draft* "not yet actionable …
  requires sign-off", *proposal* "a suggestion … without providing an authorization to act").
  The dose is the decision's activity in GBq, or its range for an individualised arm;
- MedicationRequest per physician's signature that prescribes an activity (``lutetia serve``),
  ``intent = order``, the signer as requester, the prescribed GBq, the signed meaning and any
  override reason; ``status = active`` while the signature holds (the decision re-made from the
  record has the signed digest) and ``on-hold`` once a later change of its inputs voided it (R4B
  *on-hold*: "actions implied by the prescription are to be temporarily halted"; the web shows
  it VOID until a physician signs again).

Import (:func:`read_lab_bundle`): each Observation with a LOINC code of an analyte becomes a
lab row of the interchange format and is validated by
:func:`lutetia.store.interchange.parse_rows` — the ``lutetia import`` path — so an
incompatible unit, a missing value or date, a code Lutetia does not keep or an Observation of
another patient is listed as a problem and nothing is written.

References
----------
.. [1] HL7 FHIR Release 4B (4.3.0). https://hl7.org/fhir/R4B/ ; fhir.resources
       https://pypi.org/project/fhir.resources/
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.imagingstudy import ImagingStudy as FhirImagingStudy
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.researchstudy import ResearchStudy
from fhir.resources.R4B.researchsubject import ResearchSubject
from fhir.resources.R4B.resource import Resource

from lutetia.analysis.datasets import decimal_difference
from lutetia.analysis.endpoints import protocol_administrations
from lutetia.analysis.kidney import kidney_ledger
from lutetia.analysis.sdtm_metadata import EXTRT
from lutetia.decide import CycleDecision
from lutetia.interop.fhir_codes import (
    ANALYTE_BY_LOINC,
    DICOM,
    DICOM_MODALITY,
    LOINC,
    LOINC_DISPLAY,
    OBSERVATION_CATEGORY,
    SERIOUSNESS,
    UCUM,
    UCUM_BY_UNIT,
    unit_from_ucum,
)
from lutetia.records import ANALYTES, KINDS, LabResult, PatientRecord
from lutetia.store.decisions import StoredDecision
from lutetia.store.interchange import Parsed, parse_rows
from lutetia.store.signatures import Signature

CTCAE_GRADE_EXTENSION = "urn:lutetia:fhir:ctcae-grade"
PATIENT_ID_SYSTEM = "urn:lutetia:patient-id"
DECISION_ID_SYSTEM = "urn:lutetia:decision-id"
MEDICATION_TEXT = f"177Lu-PSMA-617 ({EXTRT.lower()})"


def resource_id(patient_id: str, *key: object) -> str:
    """A stable UUID (v5) for a record: the same key always gives the same resource id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "lutetia:" + ":".join([patient_id, *map(str, key)])))


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    q: dict[str, Any] = {"value": Decimal(repr(value)), "unit": unit}
    if unit in UCUM_BY_UNIT:
        q |= {"system": UCUM, "code": UCUM_BY_UNIT[unit]}
    return q


def _when(d: date | datetime) -> str:
    return d.isoformat()


def lab_observation(lab: LabResult, subject: str) -> Observation:
    """One laboratory value as an R4B Observation (LOINC-coded, value as reported)."""
    loinc = ANALYTES[lab.analyte].loinc_for(lab.unit)  # µmol/L creatinine is 14682-9, mg/dL 2160-0
    code: dict[str, Any] = {"text": lab.analyte.value}
    if loinc:
        code["coding"] = [{"system": LOINC, "code": loinc, "display": LOINC_DISPLAY[loinc]}]
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": resource_id(lab.patient_id, "lab", lab.analyte.value, lab.sampled_on,
                                                        lab.sampled_at),
        "status": "final", "code": code, "subject": _ref(subject),
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "effectiveDateTime": _when(lab.sampled_at or lab.sampled_on),
        "valueQuantity": _quantity(lab.value, lab.unit),
    }
    if lab.lln is not None or lab.uln is not None:
        rng: dict[str, Any] = {}
        if lab.lln is not None:
            rng["low"] = _quantity(lab.lln, lab.unit)
        if lab.uln is not None:
            rng["high"] = _quantity(lab.uln, lab.unit)
        obs["referenceRange"] = [rng]
    if lab.lab:
        obs["performer"] = [{"display": lab.lab}]
    return Observation.model_validate(obs)


def _patient(rec: PatientRecord, pid: str) -> list[Resource]:
    p = rec.patient
    birth = p.birth_date.isoformat() if p.birth_date else str(p.birth_year)
    out: list[Resource] = [FhirPatient.model_validate({
        "resourceType": "Patient", "id": pid, "identifier": [{"system": PATIENT_ID_SYSTEM, "value": p.patient_id}],
        "gender": p.sex.value, "birthDate": birth})]
    cond: dict[str, Any] = {"resourceType": "Condition", "id": resource_id(p.patient_id, "diagnosis"),
                            "subject": _ref(pid), "code": {"text": p.diagnosis},
                            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                      "condition-category", "code": "problem-list-item"}]}]}
    if p.diagnosis_date:
        cond["onsetDateTime"] = p.diagnosis_date.isoformat()
    out.append(Condition.model_validate(cond))
    for e in rec.enrolments:
        sid = resource_id("study", e.protocol_id)
        out.append(ResearchStudy.model_validate({"resourceType": "ResearchStudy", "id": sid, "status": "active",
                                                 "identifier": [{"value": e.protocol_id}], "title": e.protocol_id}))
        period: dict[str, str] = {"start": e.enrolled_on.isoformat()}
        if e.off_study_on:
            period["end"] = e.off_study_on.isoformat()
        subj = {"resourceType": "ResearchSubject", "id": resource_id(p.patient_id, "subject", e.protocol_id),
                "status": "off-study" if e.off_study_on else "on-study", "period": period,
                "study": _ref(sid), "individual": _ref(pid)}
        if e.arm:
            subj["assignedArm"] = e.arm
        out.append(ResearchSubject.model_validate(subj))
    return out


def _treatment(rec: PatientRecord, pid: str) -> list[Resource]:
    out: list[Resource] = []
    for a in rec.administrations_sorted():
        out.append(MedicationAdministration.model_validate({
            "resourceType": "MedicationAdministration", "id": resource_id(rec.patient_id, "adm", a.course, a.cycle),
            "status": "completed", "subject": _ref(pid), "effectiveDateTime": a.administered_at.isoformat(),
            "medicationCodeableConcept": {"text": MEDICATION_TEXT},
            "dosage": {"route": {"text": "intravenous"}, "dose": _quantity(decimal_difference(a.activity_gbq, a.residual_gbq), "GBq")},
            "note": [{"text": f"course {a.course}, cycle {a.cycle}: syringe {a.activity_gbq!r} GBq, "
                              f"residual {a.residual_gbq!r} GBq"}]}))
    for ae in rec.adverse_events:
        res: dict[str, Any] = {
            "resourceType": "AdverseEvent", "id": resource_id(rec.patient_id, "ae", ae.ae_id), "actuality": "actual",
            "subject": _ref(pid), "event": {"text": ae.term}, "date": ae.onset_date.isoformat(),
            "extension": [{"url": CTCAE_GRADE_EXTENSION, "valueInteger": ae.grade}],
            "seriousness": {"coding": [{"system": SERIOUSNESS, "code": "serious" if ae.serious else "non-serious"}]}}
        if ae.attribution:
            res["suspectEntity"] = [{"instance": {"display": "177Lu-PSMA-617"},
                                     "causality": [{"assessment": {"text": ae.attribution.value}}]}]
        out.append(FhirAdverseEvent.model_validate(res))
    return out


def _imaging(rec: PatientRecord, pid: str) -> list[Resource]:
    out: list[Resource] = []
    for s in rec.imaging:
        out.append(FhirImagingStudy.model_validate({
            "resourceType": "ImagingStudy", "id": resource_id(rec.patient_id, "img", s.study_id), "status": "available",
            "subject": _ref(pid), "started": _when(s.acquired_at or s.study_date),
            "identifier": [{"value": s.study_id}], "description": s.modality.value,
            "modality": [{"system": DICOM, "code": DICOM_MODALITY[s.modality.value]}]}))
    kidney = _kidney_doses(rec, pid)
    out += [o for found in kidney.values() for o in found]
    cycles = sorted({(m.course, m.cycle) for m in rec.dosimetry} | set(kidney))
    for course, cycle in cycles:
        obs_ids: list[dict[str, str]] = [_ref(str(o.id)) for o in kidney.get((course, cycle), [])]
        for m in (m for m in rec.dosimetry if (m.course, m.cycle) == (course, cycle)):
            oid = resource_id(rec.patient_id, "dos", course, cycle, m.region.value, m.lesion_id,
                              m.time_after_administration_h)
            comps = [{"code": {"text": "time after administration"},
                      "valueQuantity": _quantity(m.time_after_administration_h, "h")}]
            comps += [{"code": {"text": name}, "valueQuantity": _quantity(v, unit)}
                      for name, v, unit in (("mass", m.mass_g, "g"), ("volume", m.volume_ml, "mL")) if v is not None]
            out.append(Observation.model_validate({
                "resourceType": "Observation", "id": oid, "status": "final", "subject": _ref(pid),
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging"}]}],
                "code": {"text": f"177Lu activity in {m.region.value}"}, "bodySite": {"text": m.lesion_id or m.region.value},
                "valueQuantity": _quantity(m.activity_mbq, "MBq"), "component": comps,
                "method": {"text": m.method}}))
            obs_ids.append(_ref(oid))
        out.append(DiagnosticReport.model_validate({
            "resourceType": "DiagnosticReport", "id": resource_id(rec.patient_id, "dosimetry", course, cycle),
            "status": "final", "subject": _ref(pid),
            "code": {"text": f"177Lu SPECT/CT dosimetry, course {course} cycle {cycle}"}, "result": obs_ids}))
    return out


def _kidney_doses(rec: PatientRecord, pid: str) -> dict[tuple[int, int], list[Resource]]:
    """Kidney absorbed dose Observations (Gy; BED, cumulative BED and Gy/GBq as components) of each
    (course, cycle) with kidney dosimetry: the ledger the decisions used
    (:func:`lutetia.analysis.kidney.kidney_ledger`), per enrolment's protocol."""
    out: dict[tuple[int, int], list[Resource]] = {}
    seen: set[str] = set()
    for e in rec.enrolments:
        admins = protocol_administrations(rec, e.protocol_id)
        for a, row in zip(admins, kidney_ledger(rec, e.protocol_id), strict=True):
            oid = resource_id(rec.patient_id, "kidney-dose", a.course, a.cycle)
            if row.dose_gy is None or oid in seen:
                continue
            seen.add(oid)
            comps = [{"code": {"text": name}, "valueQuantity": _quantity(v, unit)}
                     for name, v, unit in (("biologically effective dose", row.bed_gy, "Gy"),
                                           ("cumulative biologically effective dose", row.cumulative_bed_gy, "Gy"),
                                           ("absorbed dose per administered activity", row.gy_per_gbq, "Gy/GBq"))
                     if v is not None]
            out.setdefault((a.course, a.cycle), []).append(Observation.model_validate({
                "resourceType": "Observation", "id": oid, "status": "final", "subject": _ref(pid),
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging"}]}],
                "code": {"text": "177Lu absorbed dose to the kidneys"}, "bodySite": {"text": "kidneys"},
                "effectiveDateTime": a.administered_at.isoformat(), "valueQuantity": _quantity(row.dose_gy, "Gy"),
                "component": comps, "method": {"text": row.method}}))
    return out


def _gives_a_cycle(d: StoredDecision) -> bool:
    """A stored next-cycle decision to administer now (the engine's own test, CycleDecision.administer)."""
    return d.kind == "next_cycle" and CycleDecision(d.patient_id, d.protocol_id, "", d.decided_on, d.outcome,
                                                    None).administer


def medication_requests(decisions: Iterable[StoredDecision], pid: str) -> list[Resource]:
    """A draft proposal (MedicationRequest) per stored decision that gives a cycle with an activity
    or an activity range; decisions without either are left out."""
    out: list[Resource] = []
    for d in (d for d in decisions if _gives_a_cycle(d)):
        activity, span, cycle = d.payload.get("activity_gbq"), d.payload.get("range_gbq"), d.payload.get("cycle")
        if activity is not None:
            dose: dict[str, Any] = {"doseQuantity": _quantity(float(activity), "GBq")}
        elif span:
            dose = {"doseRange": {"low": _quantity(float(span[0]), "GBq"), "high": _quantity(float(span[1]), "GBq")}}
        else:
            continue
        dosage: dict[str, Any] = {"text": f"{d.protocol_id}: {d.outcome}" + (f", cycle {cycle}" if cycle else ""),
                                  "timing": {"event": [d.decided_on.isoformat()]}, "route": {"text": "intravenous"},
                                  "doseAndRate": [dose]}
        if cycle:
            dosage["sequence"] = int(cycle)
        reasons = "; ".join(str(r) for r in d.payload.get("reasons", []))
        out.append(MedicationRequest.model_validate({
            "resourceType": "MedicationRequest", "id": resource_id(d.patient_id, "proposal", d.id),
            "identifier": [{"system": DECISION_ID_SYSTEM, "value": str(d.id)}],
            "status": "draft", "intent": "proposal", "subject": _ref(pid),
            "medicationCodeableConcept": {"text": MEDICATION_TEXT}, "authoredOn": d.made_at.isoformat(),
            "dosageInstruction": [dosage],
            "note": [{"text": f"Lutetia decision engine {d.engine_version}, not signed"
                              + (f"; {reasons}" if reasons else "")}]}))
    return out


SIGNATURE_ID_SYSTEM = "urn:lutetia:signature-id"


def signed_requests(signatures: Iterable[tuple[Signature, bool]], pid: str) -> list[Resource]:
    """An order (MedicationRequest) per signature that prescribes an activity; ``signatures``
    pairs each with whether it still holds (active) or was voided by a later change (on-hold)."""
    out: list[Resource] = []
    for sig, holds in signatures:
        if sig.prescribed_gbq is None:  # a signed withhold or stop orders nothing
            continue
        dosage: dict[str, Any] = {"text": f"{sig.protocol_id}: {sig.meaning}",
                                  "timing": {"event": [sig.decided_on.isoformat()]},
                                  "route": {"text": "intravenous"},
                                  "doseAndRate": [{"doseQuantity": _quantity(float(sig.prescribed_gbq), "GBq")}]}
        if sig.cycle:
            dosage["sequence"] = int(sig.cycle)
        notes = [{"text": f"signed by {sig.signer_name} ({sig.signer}): {sig.meaning}; decision digest {sig.digest}"}]
        if sig.override_reason is not None:
            notes.append({"text": f"override of the recommendation ({sig.recommended}): {sig.override_reason}"})
        body: dict[str, Any] = {
            "resourceType": "MedicationRequest", "id": resource_id(sig.patient_id, "order", sig.id),
            "identifier": [{"system": SIGNATURE_ID_SYSTEM, "value": str(sig.id)},
                           {"system": DECISION_ID_SYSTEM, "value": str(sig.decision_id)}],
            "status": "active" if holds else "on-hold", "intent": "order", "subject": _ref(pid),
            "medicationCodeableConcept": {"text": MEDICATION_TEXT}, "authoredOn": sig.signed_at.isoformat(),
            "requester": {"display": sig.signer_name, "identifier": {"value": sig.signer}},
            "dosageInstruction": [dosage], "note": notes}
        if not holds:
            body["statusReason"] = {"text": "the decision's inputs changed after signing: signature void, "
                                            "to be signed again"}
        out.append(MedicationRequest.model_validate(body))
    return out


def patient_bundle(rec: PatientRecord, decisions: Iterable[StoredDecision] = (),
                   signatures: Iterable[tuple[Signature, bool]] = ()) -> Bundle:
    """The patient's record as a FHIR R4B ``collection`` Bundle; with the patient's stored
    ``decisions`` (:func:`lutetia.store.decisions.load_decisions` of the patient, under every id
    it had), a draft MedicationRequest per engine proposal to give a cycle; with its
    ``signatures`` (each with whether it holds), an order per signed prescription."""
    pid = resource_id(rec.patient_id, "patient")
    resources = [*_patient(rec, pid), *_treatment(rec, pid), *_imaging(rec, pid)]
    resources += medication_requests(decisions, pid)
    resources += signed_requests(signatures, pid)
    resources += [lab_observation(x, pid) for x in sorted(rec.labs, key=lambda x: (x.sampled_on, x.analyte.value))]
    entries = [{"fullUrl": f"urn:uuid:{r.id}", "resource": r} for r in resources]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})


# ----------------------------------------------------------------------------- import
def _lab_row(obs: Observation, patient_id: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    codes = [c.code for c in (obs.code.coding or []) if c.system == LOINC and c.code]
    if not codes:
        problems.append(f"{where}: field code: no LOINC code; accepted: a LOINC-coded laboratory test")
        return None
    known = [c for c in codes if c in ANALYTE_BY_LOINC]
    if not known:
        accepted = ", ".join(f"{c} ({a.value})" for c, a in ANALYTE_BY_LOINC.items())
        problems.append(f"{where}: field code: value {codes[0]!r}: not a test Lutetia keeps; accepted: {accepted}")
        return None
    q = obs.valueQuantity
    if q is None or q.value is None:
        problems.append(f"{where}: field valueQuantity: missing; accepted: a value with its unit")
        return None
    unit = q.unit or (unit_from_ucum(q.code) if q.code else None)
    when = obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod else None)
    row: dict[str, Any] = {"patient_id": patient_id, "analyte": ANALYTE_BY_LOINC[known[0]].value,
                           "value": float(q.value), "unit": unit}
    if isinstance(when, datetime):
        row |= {"sampled_on": when.date().isoformat(), "sampled_at": when.isoformat()}
    elif isinstance(when, date):
        row["sampled_on"] = when.isoformat()
    for rng in (obs.referenceRange or [])[:1]:
        if rng.low is not None and rng.low.value is not None:
            row["lln"] = float(rng.low.value)
        if rng.high is not None and rng.high.value is not None:
            row["uln"] = float(rng.high.value)
    lab = next((p.display for p in (obs.performer or []) if p.display), None)
    if lab:
        row["lab"] = lab
    return row


def _is_laboratory(obs: Observation) -> bool:
    """An Observation in the ``laboratory`` category, or one without a category."""
    codes = [c.code for cat in (obs.category or []) for c in (cat.coding or [])]
    return not codes or "laboratory" in codes


def read_lab_bundle(text: str, patient_id: str, *, source: str = "bundle") -> Parsed:
    """Lab rows of the laboratory Observations of a Bundle (JSON; an Observation without a
    category counts as one), validated; every problem listed.  Other resources are ignored."""
    out = Parsed()
    try:
        bundle = Bundle.model_validate_json(text)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        out.problems.append(f"{source}: not a valid FHIR R4B Bundle: {str(exc).splitlines()[0]}")
        return out
    observations = [(i, e.resource) for i, e in enumerate(bundle.entry or [])
                    if isinstance(e.resource, Observation) and _is_laboratory(e.resource)]
    subjects = {o.subject.reference for _, o in observations if o.subject is not None}
    if len(subjects) > 1:
        out.problems.append(f"{source}: Observations of {len(subjects)} subjects ({', '.join(sorted(map(str, subjects)))}); "
                            "accepted: one patient's Observations")
        return out
    for i, obs in observations:
        where = f"{source}: entry {i} (Observation {obs.id or '(no id)'})"
        row = _lab_row(obs, patient_id, where, out.problems)
        if row is not None:
            part = parse_rows(KINDS["labs"], [row], where, header_checked=True)
            out.records += part.records
            out.problems += [p.replace(f"{where}: row 2: ", f"{where}: ") for p in part.problems]
            out.warnings += [w.replace(f"{where}: row 2: ", f"{where}: ") for w in part.warnings]
    out.counts["labs"] = len(out.records)
    return out


def lab_bundle(labs: Iterable[LabResult], patient_id: str) -> Bundle:
    """A ``collection`` Bundle of lab Observations only (what :func:`read_lab_bundle` reads)."""
    pid = resource_id(patient_id, "patient")
    entries = [{"fullUrl": f"urn:uuid:{o.id}", "resource": o} for o in (lab_observation(x, pid) for x in labs)]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})
