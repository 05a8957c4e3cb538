"""RT Dose DICOM out (and back in, for the round-trip test) of an absorbed-dose map.

RT Dose IOD (DICOM PS3.3 A.18): multi-frame, 32-bit unsigned with DoseGridScaling (Gy per
stored unit), DoseUnits GY, DoseType PHYSICAL, DoseSummationType PLAN (dose of one cycle's
administration), GridFrameOffsetVector relative to the first frame, on the SPECT's frame of
reference so that viewers overlay it on the SPECT/CT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lutetia.errors import RecordError
from lutetia.physics.volume import ImageVolume

RT_DOSE_STORAGE = "1.2.840.10008.5.1.4.1.1.481.2"


def write_rt_dose(path: Path, dose: ImageVolume, *, patient_id: str, study_uid: str | None,
                  series_description: str, software: str) -> str:
    """Write ``dose`` (Gy, axis-aligned LPS grid) as RT Dose; returns the SOP Instance UID."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    arr = np.asarray(dose.array, dtype=np.float64)
    # FFT convolution leaves round-off of ~1e-7 of the maximum around zero
    if not np.isfinite(arr).all() or arr.min() < -1e-5 * max(float(arr.max()), 0.0):
        raise RecordError("dose map must be finite and >= 0", field="dose", value=float(arr.min()),
                          accepted="Gy >= 0 (round-off below 1e-5 of the maximum is cleared)")
    arr = np.maximum(arr, 0.0)
    top = float(arr.max()) or 1.0
    scaling = top / 4.0e9
    stored = np.round(arr / scaling).astype(np.uint32)
    sop = str(generate_uid())
    meta: Any = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = RT_DOSE_STORAGE, sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds: Any = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = RT_DOSE_STORAGE, sop, "RTDOSE"
    ds.PatientID = patient_id
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = dose.frame
    ds.SeriesDescription, ds.SoftwareVersions = series_description, software
    ds.Manufacturer = "Lutetia"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = list(dose.origin_mm)
    ds.PixelSpacing = [dose.spacing_mm[1], dose.spacing_mm[0]]  # row (y), column (x)
    ds.SliceThickness = dose.spacing_mm[2]
    nz = arr.shape[2]
    ds.NumberOfFrames = nz
    ds.FrameIncrementPointer = 0x3004000C
    ds.GridFrameOffsetVector = [k * dose.spacing_mm[2] for k in range(nz)]
    ds.Rows, ds.Columns = arr.shape[1], arr.shape[0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 32, 32, 31, 0
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", "PLAN"
    ds.DoseGridScaling = f"{scaling:.10g}"
    ds.PixelData = np.ascontiguousarray(np.transpose(stored, (2, 1, 0))).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return str(sop)


def read_rt_dose(path: Path) -> ImageVolume:
    """Read an axial RT Dose (Gy) back as an ImageVolume."""
    import pydicom

    ds: Any = pydicom.dcmread(path)
    if str(ds.DoseUnits).upper() != "GY":
        raise RecordError("RT Dose not in Gy", record=str(path), field="DoseUnits",
                          value=str(ds.DoseUnits), accepted="GY")
    arr = np.asarray(ds.pixel_array, dtype=np.float64) * float(ds.DoseGridScaling)
    if arr.ndim == 2:
        arr = arr[None]
    offsets = [float(x) for x in ds.GridFrameOffsetVector]
    dz = offsets[1] - offsets[0] if len(offsets) > 1 else float(ds.SliceThickness)
    row, col = (float(x) for x in ds.PixelSpacing)
    ipp = [float(x) for x in ds.ImagePositionPatient]
    return ImageVolume(np.transpose(arr, (2, 1, 0)), (col, row, dz), (ipp[0], ipp[1], ipp[2]),
                       str(ds.FrameOfReferenceUID), "dose_Gy")
