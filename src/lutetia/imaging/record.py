"""Image dosimetry into the patient record: one DosimetryMeasurement per VOI and time point.

The measurements carry what the record's kidney ledger and the decisions read (region,
time after administration, activity, mass, volume) and point back to their source image
(``study_id`` = SeriesInstanceUID); the calibration, masks, alignment and software version
go into the store's provenance (``source``) of the write.
"""

from __future__ import annotations

import json

from lutetia import __version__
from lutetia.errors import RecordError
from lutetia.imaging.pipeline import ImageDosimetry
from lutetia.records import (
    Administration,
    DosimetryMeasurement,
    DosimetryRegion,
    ImagingStudy,
    Modality,
    PatientRecord,
)

KIDNEY_REGIONS = (DosimetryRegion.kidneys, DosimetryRegion.kidney_left,
                  DosimetryRegion.kidney_right)


def administration(record: PatientRecord, cycle: int, course: int = 1) -> Administration:
    """The record's administration of ``cycle`` (injection time and activity come from it)."""
    found = [a for a in record.administrations if a.cycle == cycle and a.course == course]
    if len(found) != 1:
        raise RecordError("no single administration for this cycle", record=record.patient_id,
                          field="cycle", value=(course, cycle),
                          accepted=", ".join(f"{a.course}/{a.cycle}" for a in record.administrations)
                          or "an administration recorded first")
    return found[0]


def region_of(voi: str) -> tuple[DosimetryRegion, str | None]:
    """VOI name → (region, lesion id): ``lesion*``/``tumour*`` are lesions, else a region name."""
    if voi.lower().startswith(("lesion", "tumour", "tumor")):
        return DosimetryRegion.lesion, voi
    try:
        return DosimetryRegion(voi), None
    except ValueError as exc:
        raise RecordError("VOI name is not a dosimetry region", field="voi", value=voi,
                          accepted=", ".join(r.value for r in DosimetryRegion)
                          + " (or lesion…)") from exc


def measurements(result: ImageDosimetry, patient_id: str, cycle: int,
                 course: int = 1) -> list[DosimetryMeasurement]:
    """Recovery-corrected VOI activities of every time point as record measurements."""
    out = []
    for row in result.rows:
        region, lesion_id = region_of(row.name)
        for tp, activity in zip(result.time_points, row.activity_mbq, strict=True):
            out.append(DosimetryMeasurement(
                patient_id=patient_id, course=course, cycle=cycle, region=region,
                lesion_id=lesion_id, time_after_administration_h=round(tp.hours, 4),
                activity_mbq=activity, mass_g=row.mass_g, volume_ml=row.volume_ml,
                study_id=tp.image.series_uid, method="spect_ct"))
    return out


def provenance(result: ImageDosimetry) -> str:
    """The store's ``source`` for the write: software, series, calibration, masks."""
    return json.dumps({"software": f"lutetia {__version__} dose images", **result.provenance},
                      separators=(",", ":"))


def tumour_study(result: ImageDosimetry, patient_id: str, cycle: int) -> ImagingStudy | None:
    """The SPECT molecular tumour volume as a post-therapy SPECT/CT imaging study of the
    cycle (``ttv_ml``), which the SPECT tumour-volume response and decisions read."""
    if result.tumour is None:
        return None
    tp = result.tumour.time_point
    acquired = tp.image.acquisition
    return ImagingStudy(patient_id=patient_id, study_id=tp.image.series_uid,
                        modality=Modality.spect_ct, study_date=acquired.date(),
                        acquired_at=acquired, tracer="177Lu-PSMA-617", cycle=cycle,
                        time_after_administration_h=round(tp.hours, 4),
                        ttv_ml=round(result.tumour.burden.volume_ml, 3),
                        read_by=f"lutetia {__version__} threshold "
                                f"{result.tumour.burden.threshold.method}")


def earlier_kidney_t_eff(record: PatientRecord, cycle: int, course: int = 1
                         ) -> tuple[float, int] | None:
    """(kidney T_eff h, cycle) of the latest earlier cycle with multi-time-point kidney
    dosimetry in the record, as the kidney ledger computes it
    (:func:`lutetia.decide.dosimetry.kidney_history`), or None."""
    from lutetia.decide.dosimetry import kidney_history

    earlier = sorted((a for a in record.administrations if a.course == course and a.cycle < cycle),
                     key=lambda a: a.cycle)
    history, _ = kidney_history(record, earlier)
    fitted = [k for k in history if k.entry.method.startswith("tac:")]
    return (fitted[-1].t_eff_h, fitted[-1].entry.cycle) if fitted else None


def kidney_stp_t_eff(t_eff_h: float) -> dict[str, float]:
    """Madsen's T_eff for the kidney VOIs (``kidneys``, ``kidney_left``, ``kidney_right``);
    other VOIs keep Hänscheid (the record has no earlier T_eff rule for them)."""
    return {r.value: t_eff_h for r in KIDNEY_REGIONS}
