"""Quantitative SPECT (NM, or PT as some vendors store it) from DICOM into an ImageVolume.

What is read, and from where (every missing or inconsistent item is an error naming the tag):

- **Values.** Real World Value Mapping (0040,9096) with units ``Bq/ml`` when present (slope
  and intercept of the mapping), else Units (0054,1001) ``BQML`` or ``CNTS`` with Rescale
  Slope/Intercept — per slice for single-frame series (each PT slice has its own slope).
  ``CNTS`` needs a camera calibration (:mod:`lutetia.imaging.calibration`).
- **Decay-correction reference** (0054,1102): ``START`` (to DecayCorrectionDateTime when
  given, else the acquisition start), ``ADMIN`` (to the injection), ``NONE``. The volume
  returned always holds the activity *at the acquisition start* (177Lu, ICRP-107 T½): values
  corrected to another time are decayed to it; ``NONE`` values (decay during a ≤ 30 min
  acquisition: < 0.2 %) are taken as they are.
- **Times**: acquisition and injection date-times (:mod:`lutetia.imaging.dicom_time`).
- **RadionuclideTotalDose** (0018,1074): MBq in NM, Bq in PET (DICOM PS3.3 C.8.4.10 and
  C.8.9.4). A value implausible for its modality's unit (NM > 10⁵, PT < 10⁵) is refused.
- **Geometry**: axial acquisitions only (ImageOrientationPatient 1\\0\\0\\0\\1\\0); slices
  sorted along the normal with uniform spacing; one FrameOfReferenceUID per series.

References
----------
1. DICOM PS3.3 2024: C.8.4 (NM), C.8.9.1 (PET Series: Units, Decay Correction), C.7.6.16.2.11
   (Real World Value Mapping). https://dicom.nema.org/medical/dicom/current/output/html/part03.html
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.imaging.dicom_time import acquisition_datetime, dataset_timezone, injection_datetime
from lutetia.physics.decay import lu177
from lutetia.physics.volume import ImageVolume

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
#: Largest RadionuclideTotalDose accepted as MBq in an NM header (values above are Bq).
NM_DOSE_MAX_MBQ = 1e5
UNITS_ACCEPTED = ("BQML", "CNTS")
DECAY_ACCEPTED = ("START", "ADMIN", "NONE")


@dataclass(frozen=True)
class SpectImage:
    """A SPECT reconstruction with what quantification needs from its header.

    ``volume.array`` is the activity concentration at ``acquisition`` (``quantity``
    ``activity_Bq_per_mL``) or counts per voxel (``counts``; :attr:`units` ``CNTS``).
    """

    volume: ImageVolume
    units: str
    modality: str
    acquisition: datetime
    injection: datetime | None
    administered_mbq: float | None
    decay_correction: str
    series_uid: str
    frame_of_reference: str
    frame_duration_s: float | None
    manufacturer: str
    files: tuple[str, ...]

    def activity_mbq(self) -> ImageVolume:
        """Activity per voxel, MBq, at the acquisition time (BQML images only)."""
        if self.units != "BQML":
            raise RecordError("counts become activity only through a camera calibration",
                              record=self.series_uid, field="Units", value=self.units,
                              accepted="BQML, or apply lutetia.imaging.calibration first")
        v = self.volume
        arr = np.asarray(v.array, dtype=np.float64) * v.voxel_volume_ml * 1e-6
        return ImageVolume(arr, v.spacing_mm, v.origin_mm, v.frame, "activity_MBq")

    def hours_after_injection(self) -> float:
        """Time from injection to the acquisition start, h (needs the injection time)."""
        if self.injection is None:
            raise RecordError("no injection date-time in the header", record=self.series_uid,
                              field="RadiopharmaceuticalStartDateTime", value=None,
                              accepted="the tag, or the administration time from the record")
        return (self.acquisition - self.injection).total_seconds() / 3600.0


def _get(ds: Any, keyword: str, record: str, accepted: str) -> Any:
    value = getattr(ds, keyword, None)
    if value is None or value == "":
        raise RecordError("required DICOM attribute missing", record=record, field=keyword,
                          value=None, accepted=accepted)
    return value


def _radiopharmaceutical(ds: Any) -> Any:
    seq = getattr(ds, "RadiopharmaceuticalInformationSequence", None)
    return seq[0] if seq else None


def _administered_mbq(ds: Any, modality: str, record: str) -> float | None:
    rp = _radiopharmaceutical(ds)
    raw = getattr(rp, "RadionuclideTotalDose", None) if rp is not None else None
    if raw is None or raw == "":
        return None
    value = float(raw)
    if modality == "NM":
        if not 0 < value <= NM_DOSE_MAX_MBQ:
            raise RecordError("NM RadionuclideTotalDose is in MBq; this looks like Bq",
                              record=record, field="RadionuclideTotalDose", value=value,
                              accepted=f"0 < MBq <= {NM_DOSE_MAX_MBQ:g}")
        return value
    if not value > NM_DOSE_MAX_MBQ:
        raise RecordError("PET RadionuclideTotalDose is in Bq; this looks like MBq",
                          record=record, field="RadionuclideTotalDose", value=value,
                          accepted=f"Bq > {NM_DOSE_MAX_MBQ:g}")
    return value / 1e6


def _value_mapping(ds: Any, record: str) -> tuple[str, float, float] | None:
    """(units, slope, intercept) from a Bq/ml Real World Value Mapping, else None."""
    seq = getattr(ds, "RealWorldValueMappingSequence", None)
    if not seq:
        return None
    item = seq[0]
    codes = getattr(item, "MeasurementUnitsCodeSequence", None)
    code = str(codes[0].CodeValue) if codes else ""
    if code.lower() != "bq/ml":
        raise RecordError("Real World Value Mapping is not an activity concentration",
                          record=record, field="MeasurementUnitsCodeSequence", value=code,
                          accepted="UCUM Bq/ml")
    slope = float(_get(item, "RealWorldValueSlope", record, "a number"))
    return "BQML", slope, float(getattr(item, "RealWorldValueIntercept", 0.0) or 0.0)


def _units(ds: Any, record: str) -> str:
    units = str(getattr(ds, "Units", "") or "").strip().upper()
    if units not in UNITS_ACCEPTED:
        raise RecordError("image units missing or not quantitative", record=record,
                          field="Units", value=units or None,
                          accepted="BQML or CNTS (or a Real World Value Mapping in Bq/ml)")
    return units


def _orientation(ds: Any, record: str) -> None:
    iop = tuple(float(x) for x in _get(ds, "ImageOrientationPatient", record, "1\\0\\0\\0\\1\\0"))
    if not np.allclose(iop, AXIAL, atol=1e-4):
        raise RecordError("only axial images are read", record=record,
                          field="ImageOrientationPatient", value=iop, accepted="1\\0\\0\\0\\1\\0")


def _decay_factor(ds: Any, record: str, acquisition: datetime, injection: datetime | None,
                  tz: tzinfo) -> tuple[str, float]:
    """(DecayCorrection, factor) with value_at_acquisition = stored_value × factor."""
    from lutetia.imaging.dicom_time import parse_dt

    ref = str(getattr(ds, "DecayCorrection", "") or "").strip().upper()
    if ref not in DECAY_ACCEPTED:
        raise RecordError("decay-correction reference missing or unknown", record=record,
                          field="DecayCorrection", value=ref or None,
                          accepted=", ".join(DECAY_ACCEPTED))
    lam = lu177().decay_constant_per_h
    if ref == "NONE":
        return ref, 1.0
    if ref == "ADMIN":
        if injection is None:
            raise RecordError("values are decay-corrected to the injection, whose time is "
                              "missing", record=record, field="RadiopharmaceuticalStartDateTime",
                              value=None, accepted="the injection date-time")
        t_ref = injection
    else:
        text = str(getattr(ds, "DecayCorrectionDateTime", "") or "")
        t_ref = parse_dt(text, record, "DecayCorrectionDateTime", tz) if text else acquisition
    hours = (acquisition - t_ref).total_seconds() / 3600.0
    return ref, math.exp(-lam * hours)


def _frames(paths: Sequence[Path]) -> list[Any]:
    import pydicom

    out = []
    for p in paths:
        try:
            out.append(pydicom.dcmread(p))
        except Exception as exc:  # pydicom raises several types for a non-DICOM file
            raise RecordError("not a readable DICOM file", record=str(p), field="file",
                              value=type(exc).__name__, accepted="DICOM Part 10") from exc
    return out


def _same(datasets: Sequence[Any], keyword: str, record: str) -> str:
    values = {str(getattr(d, keyword, "") or "") for d in datasets}
    if len(values) != 1:
        raise RecordError("slices of one series disagree", record=record, field=keyword,
                          value=sorted(values), accepted="one value for the whole series")
    return values.pop()


def _multiframe_geometry(ds: Any, record: str) -> tuple[NDArray[np.float64], tuple[float, ...],
                                                        tuple[float, float, float]]:
    det = getattr(ds, "DetectorInformationSequence", None)
    item = det[0] if det else ds
    _orientation(item, record)
    ipp = tuple(float(x) for x in _get(item, "ImagePositionPatient", record, "x\\y\\z mm"))
    arr = np.asarray(ds.pixel_array, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    dz = float(getattr(ds, "SpacingBetweenSlices", None) or _get(
        ds, "SliceThickness", record, "SpacingBetweenSlices or SliceThickness (mm)"))
    row, col = (float(x) for x in _get(ds, "PixelSpacing", record, "row\\column mm"))
    # pixel_array is (frame, row=y, column=x); ImageVolume is (x, y, z)
    return np.transpose(arr, (2, 1, 0)), (col, row, abs(dz)), (ipp[0], ipp[1], ipp[2])


def _stack_slices(datasets: Sequence[Any], record: str, scaled: bool
                  ) -> tuple[NDArray[np.float64], tuple[float, ...], tuple[float, float, float]]:
    for d in datasets:
        _orientation(d, record)
    z = np.array([float(_get(d, "ImagePositionPatient", record, "x\\y\\z mm")[2])
                  for d in datasets])
    order = np.argsort(z)
    z = z[order]
    gaps = np.diff(z)
    if len(z) > 1 and (np.any(gaps <= 0) or not np.allclose(gaps, gaps[0], rtol=1e-3, atol=1e-3)):
        raise RecordError("slice positions are not uniformly spaced", record=record,
                          field="ImagePositionPatient", value=[round(float(g), 3) for g in gaps],
                          accepted="one slice per position, constant spacing")
    planes = []
    for i in order:
        d = datasets[int(i)]
        px = np.asarray(d.pixel_array, dtype=np.float64)
        if scaled:
            px = px * float(getattr(d, "RescaleSlope", 1.0) or 1.0) + float(
                getattr(d, "RescaleIntercept", 0.0) or 0.0)
        planes.append(px.T)
    first = datasets[int(order[0])]
    row, col = (float(x) for x in _get(first, "PixelSpacing", record, "row\\column mm"))
    dz = float(gaps[0]) if len(z) > 1 else float(_get(first, "SliceThickness", record, "mm"))
    ipp = [float(x) for x in first.ImagePositionPatient]
    return np.stack(planes, axis=2), (col, row, dz), (ipp[0], ipp[1], ipp[2])


def read_spect(paths: Sequence[Path | str], tz: tzinfo | None = None) -> SpectImage:
    """Read one SPECT series (a multi-frame NM file, or single-frame slices) from ``paths``.

    Parameters
    ----------
    paths : sequence of path
        The files of one series (see :func:`lutetia.imaging.series.find_series`).
    tz : tzinfo, optional
        UTC offset of the header's local times when TimezoneOffsetFromUTC is absent.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise RecordError("no files given for the SPECT series", field="paths", value=[])
    datasets = _frames(files)
    record = str(getattr(datasets[0], "SeriesInstanceUID", files[0].name))
    for kw in ("SeriesInstanceUID", "FrameOfReferenceUID", "Modality", "Units", "DecayCorrection"):
        _same(datasets, kw, record)
    ds = datasets[0]
    modality = str(_get(ds, "Modality", record, "NM or PT")).upper()
    if modality not in ("NM", "PT"):
        raise RecordError("not a SPECT/PET series", record=record, field="Modality",
                          value=modality, accepted="NM, PT")
    frame = str(_get(ds, "FrameOfReferenceUID", record, "a UID shared with the CT"))
    zone = dataset_timezone(ds, record, tz)
    acquisition = min(acquisition_datetime(d, record, zone) for d in datasets)
    injection = injection_datetime(_radiopharmaceutical(ds), record, zone)
    mapping = _value_mapping(ds, record)
    units = mapping[0] if mapping else _units(ds, record)
    multiframe = len(datasets) == 1 and int(getattr(ds, "NumberOfFrames", 1) or 1) > 1
    if multiframe:
        arr, spacing, origin = _multiframe_geometry(ds, record)
        if mapping is None:
            arr = arr * float(getattr(ds, "RescaleSlope", 1.0) or 1.0) + float(
                getattr(ds, "RescaleIntercept", 0.0) or 0.0)
    else:
        if mapping is not None and len(datasets) > 1:
            _same(datasets, "RealWorldValueMappingSequence", record)
        arr, spacing, origin = _stack_slices(datasets, record, scaled=mapping is None)
    if mapping is not None:
        arr = arr * mapping[1] + mapping[2]
    decay, factor = _decay_factor(ds, record, acquisition, injection, zone)
    if units == "BQML":
        arr = arr * factor
    quantity = "activity_Bq_per_mL" if units == "BQML" else "counts"
    duration = getattr(ds, "ActualFrameDuration", None)
    volume = ImageVolume(arr, (spacing[0], spacing[1], spacing[2]), origin, frame, quantity)
    return SpectImage(volume, units, modality, acquisition, injection,
                      _administered_mbq(ds, modality, record), decay, record, frame,
                      float(duration) / 1000.0 if duration not in (None, "") else None,
                      str(getattr(ds, "Manufacturer", "") or ""), tuple(str(f) for f in files))


def read_ct(paths: Sequence[Path | str]) -> ImageVolume:
    """Read a CT series (single-frame slices) as Hounsfield units, rescaled per slice."""
    files = [Path(p) for p in paths]
    datasets = _frames(files)
    record = str(getattr(datasets[0], "SeriesInstanceUID", files[0].name))
    _same(datasets, "FrameOfReferenceUID", record)
    if str(_same(datasets, "Modality", record)).upper() != "CT":
        raise RecordError("not a CT series", record=record, field="Modality",
                          value=datasets[0].Modality, accepted="CT")
    arr, spacing, origin = _stack_slices(datasets, record, scaled=True)
    return ImageVolume(arr, (spacing[0], spacing[1], spacing[2]), origin,
                       str(datasets[0].FrameOfReferenceUID), "HU")
