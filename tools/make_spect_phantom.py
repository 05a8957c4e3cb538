"""Write synthetic quantitative 177Lu SPECT/CT DICOM phantoms with analytic truth.

Two kidneys (ellipsoids) and two lesions (spheres) in a water cylinder, each with a known
activity A(t) = A₀·2^(−t/T_eff), imaged at 4, 24, 48 and 168 h after injection: the activity
is spread uniformly over each object's voxels (so the voxelised total is exact), blurred with
a Gaussian of the camera's resolution (FWHM 12 mm, typical of MEGP 177Lu SPECT with resolution
recovery), Poisson noise is drawn on the counts (sensitivity × frame duration) and the image
is written in one of several vendor header styles:

``nm-rwvm-start``  NM multi-frame, Real World Value Mapping in Bq/ml, DecayCorrection START,
                   TimezoneOffsetFromUTC present, RadionuclideTotalDose in MBq
``pt-slices-admin`` PT single-frame slices, Units BQML, a different RescaleSlope per slice,
                   values decay-corrected to the injection (ADMIN), RadionuclideTotalDose in Bq
``nm-cnts-none``   NM multi-frame, Units CNTS (counts: needs a camera calibration), NONE

A CT series (single-frame, HU with RescaleIntercept −1024) on the same frame of reference
goes with each time point. Truth (activities, TIA = A₀·T_eff/ln2, voxel counts) is written as
``truth.json``; the VOIs as a NIfTI label map (``masks.nii.gz`` + ``labels.json``) and as an
RT Structure Set of analytic ellipse contours (``rtstruct.dcm``, on the first time point's
frame of reference). Header edge cases (missing tags, midnight, wrong units) are made by the
tests by editing these files.

Usage::

    python tools/make_spect_phantom.py OUT_DIR [--variant nm-rwvm-start] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter

T_HALF_H = 6.647 * 24.0  # ICRP-107 177Lu half-life (lu177.toml)
TIMES_H = (4.0, 24.0, 48.0, 168.0)
VARIANTS = ("nm-rwvm-start", "pt-slices-admin", "nm-cnts-none")
TZ = timezone(timedelta(hours=1))
#: Sphere volumes of the recovery measurement, mL (NEMA IEC body phantom spheres 10–37 mm,
#: plus larger ones for organs)
RECOVERY_SPHERES_ML = (1.15, 2.57, 5.58, 11.49, 26.52, 50.0, 100.0, 200.0, 400.0)
UID_ROOT = "1.2.826.0.1.3680043.10.1453."  # pydicom's example root, for synthetic data only


@dataclass(frozen=True)
class PhantomObject:
    """An ellipsoid (or sphere) with mono-exponential kinetics."""

    name: str
    centre_mm: tuple[float, float, float]
    radii_mm: tuple[float, float, float]
    a0_mbq: float
    t_eff_h: float

    def activity_mbq(self, t_h: float) -> float:
        return self.a0_mbq * 2.0 ** (-t_h / self.t_eff_h)

    def tia_mbq_h(self) -> float:
        return self.a0_mbq * self.t_eff_h / math.log(2.0)


@dataclass(frozen=True)
class Phantom:
    """Grid, objects, camera and injection of one synthetic patient."""

    shape: tuple[int, int, int] = (64, 64, 40)
    spacing_mm: float = 4.8
    fwhm_mm: float = 12.0
    sensitivity_cps_per_mbq: float = 10.0
    frame_duration_s: float = 1200.0
    administered_mbq: float = 7400.0
    injection: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    body_centre_mm: tuple[float, float] = (0.0, 0.0)
    objects: tuple[PhantomObject, ...] = field(default_factory=lambda: (
        PhantomObject("kidney_left", (45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 60.0, 40.0),
        PhantomObject("kidney_right", (-45.0, 0.0, 0.0), (28.0, 24.0, 50.0), 55.0, 45.0),
        PhantomObject("lesion_1", (0.0, -50.0, 20.0), (16.0, 16.0, 16.0), 30.0, 90.0),
        PhantomObject("lesion_2", (0.0, 45.0, -30.0), (11.0, 11.0, 11.0), 12.0, 70.0),
    ))

    def origin_mm(self) -> tuple[float, float, float]:
        n = np.array(self.shape)
        o = -(n - 1) / 2.0 * self.spacing_mm
        return (float(o[0]), float(o[1]), float(o[2]))

    def coordinates(self, shape: tuple[int, int, int], spacing: tuple[float, float, float]
                    ) -> tuple[NDArray[np.float64], ...]:
        axes = [(np.arange(n) - (n - 1) / 2.0) * s for n, s in zip(shape, spacing, strict=True)]
        return tuple(np.meshgrid(*axes, indexing="ij"))

    def masks(self) -> dict[str, NDArray[np.bool_]]:
        s = self.spacing_mm
        x, y, z = self.coordinates(self.shape, (s, s, s))
        return {o.name: ((x - o.centre_mm[0]) / o.radii_mm[0]) ** 2
                + ((y - o.centre_mm[1]) / o.radii_mm[1]) ** 2
                + ((z - o.centre_mm[2]) / o.radii_mm[2]) ** 2 <= 1.0 for o in self.objects}

    def true_activity_map(self, t_h: float) -> NDArray[np.float64]:
        """MBq per voxel at t_h, before blur and noise."""
        out = np.zeros(self.shape)
        for o, m in zip(self.objects, self.masks().values(), strict=True):
            out[m] += o.activity_mbq(t_h) / m.sum()
        return out

    def image(self, t_h: float, rng: np.random.Generator) -> NDArray[np.float64]:
        """Reconstructed activity concentration, Bq/mL, at t_h (blurred, Poisson noise)."""
        sigma = self.fwhm_mm / (2.0 * math.sqrt(2.0 * math.log(2.0))) / self.spacing_mm
        blurred = gaussian_filter(self.true_activity_map(t_h), sigma, mode="constant")
        counts_per_mbq = self.sensitivity_cps_per_mbq * self.frame_duration_s
        counts = rng.poisson(np.maximum(blurred, 0.0) * counts_per_mbq)
        voxel_ml = self.spacing_mm**3 * 1e-3
        return np.asarray(counts / counts_per_mbq * 1e6 / voxel_ml, dtype=np.float64)

    def truth(self, times_h: tuple[float, ...] = TIMES_H) -> dict[str, object]:
        masks = self.masks()
        return {"times_h": list(times_h), "administered_MBq": self.administered_mbq,
                "injection": self.injection.isoformat(), "spacing_mm": self.spacing_mm,
                "fwhm_mm": self.fwhm_mm, "objects": [
                    {**asdict(o), "tia_MBq_h": o.tia_mbq_h(), "voxels": int(masks[o.name].sum()),
                     "volume_mL": float(masks[o.name].sum() * self.spacing_mm**3 * 1e-3),
                     "activity_MBq": [o.activity_mbq(t) for t in times_h]}
                    for o in self.objects]}


def _uid(*parts: object) -> str:
    from pydicom.uid import generate_uid

    return str(generate_uid(prefix=UID_ROOT, entropy_srcs=[str(p) for p in parts]))


def _base(sop_class: str, sop_uid: str, modality: str, series_uid: str, frame_uid: str,
          acq: datetime, study_uid: str) -> object:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.Modality = modality
    ds.PatientName, ds.PatientID = "Phantom^Synthetic", "PHANTOM-001"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = acq.strftime("%Y%m%d")
    ds.SeriesTime = ds.AcquisitionTime = acq.strftime("%H%M%S")
    ds.Manufacturer = "Lutetia synthetic phantom"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    return ds


def _radiopharmaceutical(ph: Phantom, modality: str) -> object:
    from pydicom.dataset import Dataset

    rp = Dataset()
    rp.RadiopharmaceuticalStartDateTime = ph.injection.strftime("%Y%m%d%H%M%S")
    rp.RadionuclideTotalDose = f"{ph.administered_mbq * (1e6 if modality == 'PT' else 1.0):.6g}"
    rp.Radiopharmaceutical = "177Lu-PSMA-617"
    return rp


def _uint16(values: NDArray[np.float64]) -> tuple[NDArray[np.uint16], float]:
    top = float(values.max()) if values.max() > 0 else 1.0
    slope = top / 65000.0
    return np.round(values / slope).astype(np.uint16), slope


def write_spect(ph: Phantom, t_h: float, variant: str, out: Path, rng: np.random.Generator
                ) -> None:
    """Write the SPECT of one time point in ``variant`` header style into ``out``."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    if variant not in VARIANTS:
        raise SystemExit(f"unknown variant {variant!r}; accepted: {', '.join(VARIANTS)}")
    acq = ph.injection + timedelta(hours=t_h)
    bqml = ph.image(t_h, rng)
    lam = math.log(2.0) / T_HALF_H
    modality = "PT" if variant.startswith("pt") else "NM"
    series, frame, study = (_uid("spect", acq, variant), _uid("frame", acq),
                            _uid("study", acq))
    origin = ph.origin_mm()
    out.mkdir(parents=True, exist_ok=True)
    if modality == "PT":
        stored = bqml * math.exp(lam * t_h)  # ADMIN: decay-corrected to the injection
        for k in range(ph.shape[2]):
            sop = _uid("spect", acq, variant, k)
            ds = _base("1.2.840.10008.5.1.4.1.1.128", sop, "PT", series, frame, acq, study)
            plane, slope = _uint16(stored[:, :, k].T)  # rows = y, columns = x
            ds.Rows, ds.Columns = plane.shape
            ds.PixelSpacing = [ph.spacing_mm, ph.spacing_mm]
            ds.SliceThickness = ph.spacing_mm
            ds.ImagePositionPatient = [origin[0], origin[1], origin[2] + k * ph.spacing_mm]
            ds.InstanceNumber = k + 1
            ds.RescaleSlope, ds.RescaleIntercept = f"{slope:.10g}", "0"
            ds.Units, ds.DecayCorrection = "BQML", "ADMIN"
            ds.ActualFrameDuration = int(ph.frame_duration_s * 1000)
            ds.RadiopharmaceuticalInformationSequence = Sequence([_radiopharmaceutical(ph, "PT")])
            ds.PixelData = plane.tobytes()
            ds.save_as(out / f"pt_{k:03d}.dcm", enforce_file_format=True)
        return
    sop = _uid("spect", acq, variant)
    ds = _base("1.2.840.10008.5.1.4.1.1.20", sop, "NM", series, frame, acq, study)
    ds.TimezoneOffsetFromUTC = "+0100"
    if variant == "nm-cnts-none":
        counts = bqml * ph.spacing_mm**3 * 1e-3 * 1e-6 * ph.sensitivity_cps_per_mbq \
            * ph.frame_duration_s
        vol, slope = np.round(counts).astype(np.uint16), 1.0
        ds.Units, ds.DecayCorrection = "CNTS", "NONE"
    else:
        vol, slope = _uint16(bqml)
        ds.DecayCorrection = "START"
        item = Dataset()
        unit = Dataset()
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "Bq/ml", "UCUM", "Bq/ml"
        item.MeasurementUnitsCodeSequence = Sequence([unit])
        item.RealWorldValueSlope, item.RealWorldValueIntercept = slope, 0.0
        item.RealWorldValueFirstValueMapped, item.RealWorldValueLastValueMapped = 0, 65535
        ds.RealWorldValueMappingSequence = Sequence([item])
    det = Dataset()
    det.ImagePositionPatient = list(origin)
    det.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.DetectorInformationSequence = Sequence([det])
    ds.NumberOfFrames = ph.shape[2]
    ds.Rows, ds.Columns = ph.shape[1], ph.shape[0]
    ds.PixelSpacing = [ph.spacing_mm, ph.spacing_mm]
    ds.SliceThickness = ds.SpacingBetweenSlices = ph.spacing_mm
    ds.ActualFrameDuration = int(ph.frame_duration_s * 1000)
    ds.RadiopharmaceuticalInformationSequence = Sequence([_radiopharmaceutical(ph, "NM")])
    ds.PixelData = np.ascontiguousarray(np.transpose(vol, (2, 1, 0))).tobytes()
    ds.save_as(out / "spect.dcm", enforce_file_format=True)


def write_ct(ph: Phantom, t_h: float, out: Path) -> None:
    """CT on the SPECT frame of reference: water body, kidneys 30 HU, lesions 45 HU."""
    acq = ph.injection + timedelta(hours=t_h)
    nxy = ph.shape[0] * 2, ph.shape[1] * 2
    s = ph.spacing_mm / 2.0
    shape = (nxy[0], nxy[1], ph.shape[2])
    x, y, z = ph.coordinates(shape, (s, s, ph.spacing_mm))
    bx, by = ph.body_centre_mm
    hu = np.where((x - bx) ** 2 + ((y - by) / 0.8) ** 2 <= 140.0**2, 0.0, -1000.0)
    for o in ph.objects:
        inside = ((x - o.centre_mm[0]) / o.radii_mm[0]) ** 2 + ((y - o.centre_mm[1])
                  / o.radii_mm[1]) ** 2 + ((z - o.centre_mm[2]) / o.radii_mm[2]) ** 2 <= 1
        hu[inside] = 30.0 if o.name.startswith("kidney") else 45.0
    # vertebrae (700 HU, 24 mm bodies, 6 mm discs) give the CT structure along z
    spine = (x - bx) ** 2 + (y - by - 70.0) ** 2 <= 16.0**2
    dz = ph.objects[0].centre_mm[2] - Phantom().objects[0].centre_mm[2] if ph.objects else 0.0
    hu[spine & (np.mod(z - dz, 30.0) < 24.0)] = 700.0
    series, frame, study = _uid("ct", acq), _uid("frame", acq), _uid("study", acq)
    o0 = [-(n - 1) / 2.0 * d for n, d in zip(shape, (s, s, ph.spacing_mm), strict=True)]
    out.mkdir(parents=True, exist_ok=True)
    for k in range(shape[2]):
        ds = _base("1.2.840.10008.5.1.4.1.1.2", _uid("ct", acq, k), "CT", series, frame, acq,
                   study)
        plane = np.round(hu[:, :, k].T + 1024.0).astype(np.uint16)
        ds.Rows, ds.Columns = plane.shape
        ds.PixelSpacing = [s, s]
        ds.SliceThickness = ph.spacing_mm
        ds.ImagePositionPatient = [o0[0], o0[1], o0[2] + k * ph.spacing_mm]
        ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
        ds.InstanceNumber = k + 1
        ds.PixelData = plane.tobytes()
        ds.save_as(out / f"ct_{k:03d}.dcm", enforce_file_format=True)


def write_masks(ph: Phantom, out: Path) -> None:
    """Label map of the objects on the CT grid (NIfTI, RAS affine) and ``labels.json``."""
    import nibabel as nib

    s = ph.spacing_mm / 2.0
    shape = (ph.shape[0] * 2, ph.shape[1] * 2, ph.shape[2])
    spacing = (s, s, ph.spacing_mm)
    x, y, z = ph.coordinates(shape, spacing)
    labels = np.zeros(shape, dtype=np.int16)
    names = {}
    for value, o in enumerate(ph.objects, start=1):
        inside = ((x - o.centre_mm[0]) / o.radii_mm[0]) ** 2 + ((y - o.centre_mm[1])
                  / o.radii_mm[1]) ** 2 + ((z - o.centre_mm[2]) / o.radii_mm[2]) ** 2 <= 1
        labels[inside] = value
        names[str(value)] = o.name
    origin = [-(n - 1) / 2.0 * d for n, d in zip(shape, spacing, strict=True)]
    affine = np.diag([-spacing[0], -spacing[1], spacing[2], 1.0])  # LPS grid -> RAS
    affine[:3, 3] = [-origin[0], -origin[1], origin[2]]
    nib.save(nib.Nifti1Image(labels, affine), str(out / "masks.nii.gz"))
    (out / "labels.json").write_text(json.dumps(names, indent=1), encoding="utf-8")


def write_rtstruct(ph: Phantom, out: Path, t_h: float, points: int = 72) -> None:
    """The objects as an RT Structure Set on the first time point's CT planes (frame of
    reference of that time point): one CLOSED_PLANAR polygon of ``points`` vertices per
    plane that cuts an ellipsoid, the ellipse of the analytic surface at that plane."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    acq = ph.injection + timedelta(hours=t_h)
    frame, study = _uid("frame", acq), _uid("study", acq)
    ds = _base("1.2.840.10008.5.1.4.1.1.481.3", _uid("rtstruct", acq), "RTSTRUCT",
               _uid("rtstruct-series", acq), frame, acq, study)
    ds.StructureSetLabel = "phantom VOIs"
    ds.StructureSetDate, ds.StructureSetTime = acq.strftime("%Y%m%d"), acq.strftime("%H%M%S")
    ref = Dataset()
    ref.FrameOfReferenceUID = frame
    ds.ReferencedFrameOfReferenceSequence = Sequence([ref])
    z_planes = [-(ph.shape[2] - 1) / 2.0 * ph.spacing_mm + k * ph.spacing_mm
                for k in range(ph.shape[2])]
    angles = np.linspace(0.0, 2.0 * math.pi, points, endpoint=False)
    rois, contours = [], []
    for number, o in enumerate(ph.objects, start=1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName = number, o.name
        roi.ReferencedFrameOfReferenceUID = frame
        roi.ROIGenerationAlgorithm = "MANUAL"
        rois.append(roi)
        item = Dataset()
        item.ReferencedROINumber = number
        item.ROIDisplayColor = [255, 0, 0]
        planes = []
        for z in z_planes:
            u = 1.0 - ((z - o.centre_mm[2]) / o.radii_mm[2]) ** 2
            if u <= 0:
                continue
            x = o.centre_mm[0] + o.radii_mm[0] * math.sqrt(u) * np.cos(angles)
            y = o.centre_mm[1] + o.radii_mm[1] * math.sqrt(u) * np.sin(angles)
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = points
            c.ContourData = [f"{v:.4f}" for xyz in zip(x, y, np.full(points, z), strict=True)
                             for v in xyz]
            planes.append(c)
        item.ContourSequence = Sequence(planes)
        contours.append(item)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(contours)
    for tag in ("ImageOrientationPatient", "SamplesPerPixel", "PhotometricInterpretation",
                "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation"):
        delattr(ds, tag)
    ds.save_as(out / "rtstruct.dcm", enforce_file_format=True)


def shifted(ph: Phantom, offset_mm: tuple[float, float, float]) -> Phantom:
    """The same patient lying ``offset_mm`` away in the scanner (objects and body move)."""
    from dataclasses import replace

    moved = tuple(replace(o, centre_mm=tuple(c + d for c, d in zip(o.centre_mm, offset_mm,
                                                                     strict=True)))
                  for o in ph.objects)
    return replace(ph, objects=moved, body_centre_mm=(ph.body_centre_mm[0] + offset_mm[0],
                                                      ph.body_centre_mm[1] + offset_mm[1]))


def write_phantom(out: Path, variant: str = "nm-rwvm-start", seed: int = 1,
                  phantom: Phantom | None = None, times_h: tuple[float, ...] = TIMES_H,
                  with_ct: bool = True,
                  shifts_mm: dict[float, tuple[float, float, float]] | None = None
                  ) -> dict[str, object]:
    """Write ``out/<t>h/`` (SPECT and CT) for every time point, and ``out/truth.json``.

    ``shifts_mm`` moves the patient at some time points (for the registration tests); the
    masks are drawn on the unshifted first time point.
    """
    ph = phantom or Phantom()
    rng = np.random.default_rng(seed)
    for t in times_h:
        folder = out / f"{int(t)}h"
        at = shifted(ph, (shifts_mm or {}).get(t, (0.0, 0.0, 0.0)))
        write_spect(at, t, variant, folder, rng)
        if with_ct:
            write_ct(at, t, folder)
    write_masks(ph, out)
    write_rtstruct(ph, out, times_h[0])
    truth = {**ph.truth(times_h), "variant": variant, "seed": seed,
             "shifts_mm": {str(k): list(v) for k, v in (shifts_mm or {}).items()}}
    (out / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return truth


def recovery_curve(ph: Phantom, volumes_ml: tuple[float, ...]) -> list[float]:
    """RC of uniform spheres centred in the grid: activity in the voxelised sphere after blur
    over the true activity (no noise), as a sphere-phantom measurement would give it."""
    s = ph.spacing_mm
    x, y, z = ph.coordinates(ph.shape, (s, s, s))
    sigma = ph.fwhm_mm / (2.0 * math.sqrt(2.0 * math.log(2.0))) / s
    out = []
    for v in volumes_ml:
        r = (3.0 * v * 1e3 / (4.0 * math.pi)) ** (1.0 / 3.0)
        inside = x**2 + y**2 + z**2 <= r**2
        blurred = gaussian_filter(inside.astype(np.float64), sigma, mode="constant")
        out.append(float(blurred[inside].sum() / inside.sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--variant", default="nm-rwvm-start", choices=VARIANTS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--recovery", action="store_true",
                    help="print the recovery curve of the phantom camera (for calibrations.toml)")
    args = ap.parse_args()
    if args.recovery:
        vols = RECOVERY_SPHERES_ML
        print(json.dumps({"recovery_volume_ml": list(vols),
                          "recovery_coefficient": [round(r, 4) for r in
                                                   recovery_curve(Phantom(), vols)]}))
        return
    truth = write_phantom(args.out, args.variant, args.seed)
    print(json.dumps({o["name"]: round(o["tia_MBq_h"], 1) for o in truth["objects"]}))


if __name__ == "__main__":
    main()
