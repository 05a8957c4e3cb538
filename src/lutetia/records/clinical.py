"""Laboratory results (PSA included) and clinical events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, model_validator

from lutetia.errors import UnitError
from lutetia.records.base import Finite, LongText, PatientId, RecordModel, ShortText
from lutetia.units import is_compatible, to_unit


@dataclass(frozen=True)
class AnalyteSpec:
    """Canonical unit of an analyte, the name used for molar conversions, its LOINC code and,
    when that code is a [Mass/volume] one, LOINC's [Moles/volume] code of the same test
    (``loinc_molar``): a value reported in µmol/L is a different LOINC observation from one
    in mg/dL (property SCnc, not MCnc)."""

    canonical_unit: str
    molar_name: str | None = None
    loinc: str | None = None
    loinc_molar: str | None = None

    def loinc_for(self, unit: str | None) -> str | None:
        """The LOINC code of a value reported in ``unit``: the [Moles/volume] code for a
        substance concentration (mmol/L, µmol/L, nmol/L…) when the analyte has one, else
        :attr:`loinc`."""
        if self.loinc_molar and unit and is_compatible(unit, "mol/L"):
            return self.loinc_molar
        return self.loinc


class Analyte(StrEnum):
    haemoglobin = "haemoglobin"
    platelets = "platelets"
    neutrophils = "neutrophils"
    wbc = "wbc"
    lymphocytes = "lymphocytes"
    creatinine = "creatinine"
    egfr = "egfr"
    crcl = "crcl"
    bilirubin = "bilirubin"
    alt = "alt"
    ast = "ast"
    alp = "alp"
    ldh = "ldh"
    albumin = "albumin"
    potassium = "potassium"
    sodium = "sodium"
    calcium = "calcium"
    magnesium = "magnesium"
    psa = "psa"
    testosterone = "testosterone"
    body_weight = "body_weight"
    temperature = "temperature"


#: Canonical unit of each analyte (LOINC codes for the common ones, loinc.org; the long common
#: name of each code is in :data:`lutetia.interop.fhir_codes.LOINC_DISPLAY`).
ANALYTES: dict[Analyte, AnalyteSpec] = {
    Analyte.haemoglobin: AnalyteSpec("g/L", "haemoglobin", "718-7", "59260-0"),
    Analyte.platelets: AnalyteSpec("giga_per_L", None, "777-3"),
    Analyte.neutrophils: AnalyteSpec("giga_per_L", None, "751-8"),
    Analyte.wbc: AnalyteSpec("giga_per_L", None, "6690-2"),
    Analyte.lymphocytes: AnalyteSpec("giga_per_L", None, "731-0"),
    Analyte.creatinine: AnalyteSpec("umol/L", "creatinine", "2160-0", "14682-9"),
    Analyte.egfr: AnalyteSpec("mL_min_1_73m2", None, "98979-8"),
    Analyte.crcl: AnalyteSpec("mL/min", None, "2164-2"),
    Analyte.bilirubin: AnalyteSpec("umol/L", "bilirubin", "1975-2", "14631-6"),
    Analyte.alt: AnalyteSpec("U/L", None, "1742-6"),
    Analyte.ast: AnalyteSpec("U/L", None, "1920-8"),
    Analyte.alp: AnalyteSpec("U/L", None, "6768-6"),
    Analyte.ldh: AnalyteSpec("U/L", None, "2532-0"),
    Analyte.albumin: AnalyteSpec("g/L", None, "1751-7"),
    # Serum electrolytes, graded by CTCAE v5.0 in mmol/L.  Calcium is graded as reported (CTCAE
    # means albumin-corrected calcium; correcting is the site's call; ionized calcium is not an
    # analyte).  The Ca and Mg codes are LOINC's [Mass/volume] ones, like creatinine's 2160-0; the
    # fourth field is the [Moles/volume] code used for a value reported in mmol/L (AnalyteSpec.loinc_for).
    Analyte.potassium: AnalyteSpec("mmol/L", None, "2823-3"),
    Analyte.sodium: AnalyteSpec("mmol/L", None, "2951-2"),
    Analyte.calcium: AnalyteSpec("mmol/L", "calcium", "17861-6", "2000-8"),
    Analyte.magnesium: AnalyteSpec("mmol/L", "magnesium", "19123-9", "2601-3"),
    Analyte.psa: AnalyteSpec("ng/mL", None, "2857-1"),
    Analyte.testosterone: AnalyteSpec("nmol/L", "testosterone", "2986-8", "14913-8"),
    Analyte.body_weight: AnalyteSpec("kg", None, "29463-7"),
    Analyte.temperature: AnalyteSpec("degC", None, "8310-5"),
}


class LabResult(RecordModel):
    """One laboratory value *as reported* (value, unit and normal range in the same unit).

    The value is never rewritten; :meth:`canonical` converts on demand.  A unit that does
    not convert to the analyte's canonical unit is rejected (naming both).
    """

    patient_id: PatientId
    analyte: Analyte
    sampled_on: date
    sampled_at: AwareDatetime | None = None
    value: Finite
    unit: ShortText
    lln: Finite | None = None
    uln: Finite | None = None
    lab: ShortText | None = None

    @model_validator(mode="after")
    def _check(self) -> LabResult:
        spec = ANALYTES[self.analyte]
        if not is_compatible(self.unit, spec.canonical_unit, analyte=spec.molar_name):
            raise ValueError(
                f"unit {self.unit!r} is not a unit of {self.analyte.value} "
                f"(accepted: anything convertible to {spec.canonical_unit})"
            )
        if self.analyte is not Analyte.temperature and self.value < 0:
            raise ValueError(f"value {self.value} is negative")
        if self.lln is not None and self.uln is not None and self.lln > self.uln:
            raise ValueError(f"lln {self.lln} is above uln {self.uln}")
        if self.sampled_at is not None and self.sampled_at.date() != self.sampled_on:
            raise ValueError("sampled_at is not on sampled_on")
        return self

    def canonical(self) -> tuple[float, float | None, float | None]:
        """(value, lln, uln) in the analyte's canonical unit."""
        spec = ANALYTES[self.analyte]

        def conv(v: float | None) -> float | None:
            if v is None:
                return None
            return to_unit(v, self.unit, spec.canonical_unit, analyte=spec.molar_name)

        value = conv(self.value)
        if value is None:  # pragma: no cover - value is required
            raise UnitError("no value")
        return value, conv(self.lln), conv(self.uln)

    @property
    def canonical_unit(self) -> str:
        return ANALYTES[self.analyte].canonical_unit

    def normal_range_in(self, unit: str) -> tuple[float | None, float | None]:
        """(lln, uln) converted to ``unit`` (mass ↔ molar through the analyte's molar mass);
        :class:`UnitError` when ``unit`` is not a unit of this analyte."""
        spec = ANALYTES[self.analyte]

        def conv(v: float | None) -> float | None:
            return None if v is None else to_unit(v, self.unit, unit, analyte=spec.molar_name)

        return conv(self.lln), conv(self.uln)


class EventKind(StrEnum):
    death = "death"
    progression = "progression"
    symptomatic_skeletal_event = "symptomatic_skeletal_event"
    new_anticancer_therapy = "new_anticancer_therapy"
    last_contact = "last_contact"
    rbc_transfusion = "rbc_transfusion"


class ProgressionKind(StrEnum):
    psa = "psa"
    radiographic_soft_tissue = "radiographic_soft_tissue"
    radiographic_bone = "radiographic_bone"
    radiographic = "radiographic"
    clinical = "clinical"
    investigator = "investigator"


class SkeletalEventKind(StrEnum):
    pathological_fracture = "pathological_fracture"
    spinal_cord_compression = "spinal_cord_compression"
    orthopaedic_surgery = "orthopaedic_surgery"
    radiotherapy_for_bone_pain = "radiotherapy_for_bone_pain"


class ClinicalEvent(RecordModel):
    """Death, progression (by type), symptomatic skeletal event, start of another
    anticancer therapy, transfusion or last contact."""

    patient_id: PatientId
    event_id: ShortText
    kind: EventKind
    event_date: date
    progression_kind: ProgressionKind | None = None
    skeletal_event_kind: SkeletalEventKind | None = None
    therapy: ShortText | None = None
    cause: ShortText | None = None
    details: LongText | None = None

    @model_validator(mode="after")
    def _subtypes(self) -> ClinicalEvent:
        if self.kind is EventKind.progression and self.progression_kind is None:
            raise ValueError("progression_kind is required for a progression event")
        if self.kind is not EventKind.progression and self.progression_kind is not None:
            raise ValueError("progression_kind applies only to progression events")
        if self.kind is EventKind.symptomatic_skeletal_event and self.skeletal_event_kind is None:
            raise ValueError("skeletal_event_kind is required for a symptomatic skeletal event")
        if self.kind is EventKind.new_anticancer_therapy and not self.therapy:
            raise ValueError("therapy is required for new_anticancer_therapy")
        return self


def sort_key(value: date | datetime) -> datetime:
    """Sortable key for mixed dates and aware datetimes (dates sort at 00:00 UTC)."""
    from datetime import UTC, time

    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=UTC)
