"""Dosimetry from images: time-point folders + masks + calibration → organ/lesion table.

Shell code: reads the files, checks that they belong together, and calls the physics core
(:func:`lutetia.physics.voi.voi_dosimetry`, :mod:`lutetia.physics.voxel`) for every number.

Alignment of time points: with ``register`` each later SPECT is registered rigidly to the
first (:mod:`lutetia.imaging.registration`) and its activity resampled onto the first SPECT
grid; transform and quality go into the provenance. Without
it, the VOIs drawn on one time point are applied in the physical coordinates of the others,
valid only when the patient lay in the same position in the same scanner frame: time points
on different frames of reference are refused unless the caller states ``same_position``
(recorded in the provenance), and different voxel grids are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.imaging.calibration import Calibration, counts_to_activity
from lutetia.imaging.masks import assign, default_priority
from lutetia.imaging.series import one_series
from lutetia.imaging.spect import SpectImage, read_spect
from lutetia.imaging.vois import voi_fractions
from lutetia.physics.segment import TumourBurden
from lutetia.physics.voi import VoiResult, voi_dosimetry
from lutetia.physics.volume import ImageVolume

#: Largest accepted difference between the header's and the record's injection time, h.
INJECTION_TOLERANCE_H = 0.25


@dataclass(frozen=True)
class TimePoint:
    folder: str
    image: SpectImage
    activity: ImageVolume
    hours: float


@dataclass(frozen=True)
class ImageDosimetry:
    """The organ/lesion table with the inputs and the provenance that produced it."""

    rows: list[VoiResult]
    time_points: list[TimePoint]
    masks: dict[str, NDArray[np.bool_]]
    administered_mbq: float
    calibration: Calibration | None
    dose_map: ImageVolume | None
    provenance: dict[str, Any] = field(default_factory=dict)
    tumour: TumourScan | None = None


@dataclass(frozen=True)
class TumourScan:
    """The SPECT molecular tumour volume of one time point (threshold segmentation)."""

    time_point: TimePoint
    burden: TumourBurden

    def as_dict(self) -> dict[str, Any]:
        t = self.burden.threshold
        return {"folder": self.time_point.folder, "series_uid": self.time_point.image.series_uid,
                "hours": self.time_point.hours, "mtv_mL": self.burden.volume_ml,
                "activity_MBq": self.burden.activity_mbq, "regions": self.burden.regions,
                "method": t.method, "threshold": t.value,
                "threshold_Bq_per_mL": t.concentration_bq_per_ml,
                "min_component_mL": t.min_component_ml, "source": t.source}


def tumour_scan(tps: Sequence[TimePoint], maps: Sequence[ImageVolume],
                masks: dict[str, NDArray[np.bool_]], administered_mbq: float, method: str,
                weight_kg: float | None, threshold: float | None = None) -> TumourScan:
    """Threshold segmentation on the time point of the protocol's SPECT scan day
    (:func:`lutetia.assess.pet.spect_scan_day`; none on that day: the one nearest its middle),
    organ VOIs excluded; the threshold from ``spect_tumour_threshold.toml`` unless given."""
    from lutetia.assess.pet import scan_day, spect_scan_day
    from lutetia.physics.segment import (
        default_threshold,
        segment_tumour,
        suv_concentration_bq_per_ml,
    )

    day = spect_scan_day()
    on_day = [i for i, tp in enumerate(tps) if scan_day(tp.hours) == day]
    i = on_day[0] if on_day else min(range(len(tps)),
                                     key=lambda j: abs(tps[j].hours - (day - 0.5) * 24.0))
    value, min_ml, source = default_threshold(method)
    if threshold is not None:
        value, source = threshold, "given by the user"
    organs = [m for n, m in masks.items() if default_priority(n) == 1]
    exclude = np.logical_or.reduce(organs) if organs else None
    if method == "percent_of_max":
        burden = segment_tumour(maps[i], percent_of_max=value, exclude=exclude,
                                min_component_ml=min_ml, source=source)
    else:
        if weight_kg is None:
            raise RecordError("an SUV threshold needs the body weight", field="weight_kg",
                              value=None, accepted="the record's weight (--save) or --weight")
        conc = suv_concentration_bq_per_ml(value, administered_mbq, weight_kg, tps[i].hours)
        burden = segment_tumour(maps[i], conc, exclude=exclude, min_component_ml=min_ml,
                                method="suv", value=value, source=source)
    return TumourScan(tps[i], burden)


def load_time_point(folder: Path, calibration: Calibration | None, tz: tzinfo | None,
                    injection: datetime | None) -> TimePoint:
    """Read the folder's SPECT series as activity (MBq per voxel) and its time after injection."""
    image = read_spect(one_series(folder, ("NM", "PT")).files, tz=tz)
    if image.units == "CNTS":
        if calibration is None:
            raise RecordError("a counts image needs a camera calibration", record=str(folder),
                              field="calibration", value=None,
                              accepted="a calibration id of the registry")
        image = counts_to_activity(image, calibration)
    if injection is not None and image.injection is not None:
        gap = abs((image.injection - injection).total_seconds()) / 3600.0
        if gap > INJECTION_TOLERANCE_H:
            raise RecordError("header injection time disagrees with the record",
                              record=str(folder), field="RadiopharmaceuticalStartDateTime",
                              value=image.injection.isoformat(),
                              accepted=f"within {INJECTION_TOLERANCE_H} h of {injection.isoformat()}")
    start = injection or image.injection
    if start is None:
        raise RecordError("no injection time: neither in the header nor given", record=str(folder),
                          field="RadiopharmaceuticalStartDateTime", value=None,
                          accepted="the tag, or --injection / the record's administration")
    hours = (image.acquisition - start).total_seconds() / 3600.0
    if not hours > 0:
        raise RecordError("acquisition before injection", record=str(folder),
                          field="AcquisitionDateTime", value=image.acquisition.isoformat(),
                          accepted=f"after {start.isoformat()}")
    return TimePoint(str(folder), image, image.activity_mbq(), hours)


def _aligned(tps: Sequence[TimePoint], same_position: bool) -> list[ImageVolume]:
    ref = tps[0].activity
    out = []
    for tp in tps:
        v = tp.activity
        if v.frame != ref.frame and not same_position:
            raise RecordError("time points on different frames of reference need registration",
                              record=tp.folder, field="FrameOfReferenceUID", value=v.frame,
                              accepted=f"{ref.frame}, or state same_position")
        relabelled = ImageVolume(v.array, v.spacing_mm, v.origin_mm, ref.frame, v.quantity)
        if not ref.same_grid(relabelled):
            raise RecordError("time points on different voxel grids", record=tp.folder,
                              field="grid", value=(v.array.shape, v.spacing_mm, v.origin_mm),
                              accepted=str((ref.array.shape, ref.spacing_mm, ref.origin_mm)))
        out.append(relabelled)
    return out


def _registered(tps: Sequence[TimePoint]) -> tuple[list[ImageVolume], list[dict[str, Any]]]:
    from lutetia.imaging.registration import register_rigid, resample_activity

    ref = tps[0].activity
    maps, quality = [ref], []
    for tp in tps[1:]:
        reg, transform = register_rigid(ref, tp.activity, "SPECT")
        maps.append(resample_activity(tp.activity, ref, transform))
        quality.append({"folder": tp.folder, **reg.as_dict()})
    return maps, quality


def image_dosimetry(folders: Sequence[Path], mask_path: Path, labels_path: Path | None, *,
                    calibration: Calibration | None = None, tz: tzinfo | None = None,
                    injection: datetime | None = None, administered_mbq: float | None = None,
                    same_position: bool = False, register: bool = False,
                    recovery_correction: bool = True,
                    stp_t_eff_h: float | Mapping[str, float] | None = None,
                    voxel_dose: bool = True,
                    tumour_method: str | None = None, tumour_threshold: float | None = None,
                    weight_kg: float | None = None) -> ImageDosimetry:
    """Organ/lesion dosimetry of one cycle from its SPECT time-point folders.

    Parameters
    ----------
    folders : sequence of Path
        One folder per time point, each with one NM or PT series (found by its headers).
    mask_path, labels_path : Path
        NIfTI label map (any grid, physical coordinates) and its ``{"1": "kidney_left"}``
        file, or an RTSTRUCT / SEG file with an optional ``{"ROI name": "voi"}`` file
        (:func:`lutetia.imaging.vois.voi_fractions`).
    calibration : Calibration, optional
        Needed for counts images; its recovery curve corrects small VOIs.
    injection : datetime, optional
        Administration time from the record (checked against the headers).
    administered_mbq : float, optional
        From the record; else RadionuclideTotalDose of the headers (which must agree).
    tumour_method : {"suv", "percent_of_max"}, optional
        Also segment the SPECT tumour burden (:func:`tumour_scan`); ``tumour_threshold``
        overrides the data file's value, ``weight_kg`` (kg) is needed for SUV.
    """
    tps = sorted((load_time_point(Path(f), calibration, tz, injection) for f in folders),
                 key=lambda tp: tp.hours)
    registration: list[dict[str, Any]] = []
    if register and len(tps) > 1:
        maps, registration = _registered(tps)
    else:
        maps = _aligned(tps, same_position)
    fractions, mask_kind = voi_fractions(mask_path, labels_path, maps[0],
                                         same_position=same_position)
    masks = assign(fractions)
    header_doses = {tp.image.administered_mbq for tp in tps
                    if tp.image.administered_mbq is not None}
    if administered_mbq is None:
        if len(header_doses) != 1:
            raise RecordError("administered activity missing or inconsistent in the headers",
                              field="RadionuclideTotalDose", value=sorted(header_doses),
                              accepted="one value in every header, or given from the record")
        administered_mbq = header_doses.pop()
    recovery = None
    if recovery_correction and calibration is not None:
        recovery = {n: calibration.recovery(float(m.sum()) * maps[0].voxel_volume_ml)
                    for n, m in masks.items()}
    dose = None
    if voxel_dose and len(maps) >= 2:
        from lutetia.physics.voxel import dose_map, tia_map_voxelwise

        dose = dose_map(tia_map_voxelwise(maps, [tp.hours for tp in tps]), "kernel")
    rows = voi_dosimetry(maps, [tp.hours for tp in tps], masks, recovery=recovery,
                         calibration_relative_sigma=(calibration.sensitivity_relative_sigma
                                                     if calibration else 0.0),
                         stp_t_eff_h=stp_t_eff_h, dose=dose)
    provenance: dict[str, Any] = {
        "series": [{"folder": tp.folder, "series_uid": tp.image.series_uid,
                    "frame_of_reference": tp.image.frame_of_reference,
                    "acquisition": tp.image.acquisition.isoformat(), "hours": tp.hours,
                    "units": tp.image.units, "decay_correction": tp.image.decay_correction}
                   for tp in tps],
        "calibration": calibration.provenance() if calibration else None,
        "masks": str(mask_path), "mask_format": mask_kind, "same_position": same_position,
        "registration": registration,
        "recovery_correction": recovery is not None,
        "stp_t_eff_h": (dict(stp_t_eff_h) if isinstance(stp_t_eff_h, Mapping) else stp_t_eff_h)
        if len(tps) == 1 else None,
    }
    tumour = None
    if tumour_method is not None:
        tumour = tumour_scan(tps, maps, masks, administered_mbq, tumour_method, weight_kg,
                             tumour_threshold)
        provenance["tumour"] = tumour.as_dict()
    return ImageDosimetry(rows, tps, masks, administered_mbq, calibration, dose, provenance,
                          tumour)


def table(result: ImageDosimetry) -> list[dict[str, Any]]:
    """The organ/lesion table as physicists read it (one row per VOI)."""
    adm = result.administered_mbq
    out = []
    for r in result.rows:
        out.append({
            "voi": r.name, "volume_mL": r.volume_ml, "mass_g": r.mass_g,
            "recovery": r.recovery_coefficient, "tia_method": r.tia_method,
            "tia_MBq_h": r.tia_mbq_h, "tia_sd_MBq_h": r.tia_sd_mbq_h,
            "tiac_h": r.tiac_h(adm), "t_eff_h": r.t_eff_h, "dose_method": r.dose_method,
            "dose_Gy": r.dose_gy, "dose_sd_Gy": r.dose_sd_gy,
            "dose_Gy_per_GBq": r.gy_per_gbq(adm), "bed_Gy": r.bed_gy, "bed_sd_Gy": r.bed_sd_gy,
            "u_fit_rel": r.fit_relative_sigma,
            "u_calibration_rel": r.calibration_relative_sigma,
            "u_dose_rel": r.dose_sd_gy / r.dose_gy if r.dose_gy > 0 else 0.0,
            "voxel_mean_Gy": r.mean_voxel_dose_gy, "voxel_d98_Gy": r.d98_gy,
            "voxel_d2_Gy": r.d2_gy,
            "activity_MBq": list(r.activity_mbq), "times_h": list(r.times_h),
            "dvh": {"dose_Gy": list(r.dvh_dose_gy),
                    "volume_fraction": list(r.dvh_volume_fraction)} if r.dvh_dose_gy else None})
    return out
