"""DICOM Segmentation (SEG) in and out with highdicom.

In: every segment of a SEG object as a label map in patient (LPS) coordinates
(``Segmentation.get_volume``), resampled onto the SPECT grid in physical space like a NIfTI
label map (:func:`lutetia.imaging.masks.resample_labels`). Segment labels are the VOI names,
or are mapped to them by a ``{"Kidney L": "kidney_left"}`` file. Overlapping segments are
refused (a label map cannot hold them); the overlap rule applies after resampling.

Out: the VOIs actually used (after the overlap rule, on the SPECT grid) as a BINARY SEG that
references the SPECT series it was drawn on (same frame of reference, plane positions of the
SPECT slices), one segment per VOI: organs coded as SCT "Organ" with the SCT code of the
organ, lesions as SCT "Morphologically abnormal structure" / "Neoplasm".

References
----------
1. Herrmann MD et al. Implementing the DICOM standard for digital pathology / highdicom.
   J Digit Imaging 2022;35:1719. doi:10.1007/s10278-022-00683-y
2. DICOM PS3.3 2024 A.51 (Segmentation IOD), C.8.20 (Segmentation modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics.volume import ImageVolume

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
#: SNOMED CT codes of the VOI names the record knows (region names of DosimetryRegion).
ORGAN_CODES: dict[str, tuple[str, str]] = {
    "kidney_left": ("64033007", "Kidney"), "kidney_right": ("64033007", "Kidney"),
    "kidneys": ("64033007", "Kidney"), "liver": ("10200004", "Liver"),
    "spleen": ("78961009", "Spleen"), "parotid_left": ("45289007", "Parotid gland"),
    "parotid_right": ("45289007", "Parotid gland"), "parotids": ("45289007", "Parotid gland"),
    "submandibular_left": ("54019009", "Submandibular gland"),
    "submandibular_right": ("54019009", "Submandibular gland"),
    "lacrimal_left": ("13561001", "Lacrimal gland"),
    "lacrimal_right": ("13561001", "Lacrimal gland"),
    "red_marrow": ("14016003", "Bone marrow"), "whole_body": ("38266002", "Entire body"),
}


#: Patient and study attributes of Type 2 that highdicom copies from the source images.
TYPE2_COPIED = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID",
                "StudyDate", "StudyTime", "ReferringPhysicianName", "AccessionNumber")


def read_seg_labels(path: Path) -> tuple[NDArray[np.int64], NDArray[np.float64], dict[int, str],
                                         str]:
    """(label array, 4×4 voxel → LPS mm affine, {segment number: label}, frame UID)."""
    import highdicom as hd
    import pydicom

    head: Any = pydicom.dcmread(str(path), stop_before_pixels=True)
    if str(getattr(head, "SOPClassUID", "")) != SEG_SOP_CLASS:
        raise RecordError("not a DICOM Segmentation", record=str(path), field="SOPClassUID",
                          value=str(getattr(head, "SOPClassUID", None)), accepted=SEG_SOP_CLASS)
    seg: Any = hd.seg.segread(str(path))
    segments = {int(d.SegmentNumber): str(d.SegmentLabel) for d in seg.SegmentSequence}
    try:
        vol = seg.get_volume(combine_segments=True, relabel=False)
    except (ValueError, RuntimeError) as exc:
        raise RecordError("SEG frames do not form one volume without overlaps", record=str(path),
                          field="PerFrameFunctionalGroupsSequence", value=str(exc)[:120],
                          accepted="parallel, evenly spaced frames; non-overlapping segments"
                          ) from exc
    return (np.asarray(vol.array, dtype=np.int64), np.asarray(vol.affine, dtype=np.float64),
            segments, str(seg.FrameOfReferenceUID))


def _nm_functional_groups(ds: Any, grid: ImageVolume) -> None:
    """Give an in-memory NM multi-frame (geometry in the Detector Information Sequence, PS3.3
    C.8.4.10) the functional groups of an enhanced image, where highdicom reads geometry; the
    file is not changed and the SEG references it as it is."""
    import highdicom as hd
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    sx, sy, sz = grid.spacing_mm
    ox, oy, oz = grid.origin_mm
    shared = Dataset()
    shared.PixelMeasuresSequence = hd.PixelMeasuresSequence(
        pixel_spacing=(sy, sx), slice_thickness=sz, spacing_between_slices=sz)
    shared.PlaneOrientationSequence = hd.PlaneOrientationSequence(
        coordinate_system="PATIENT", image_orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for k in range(int(ds.NumberOfFrames)):
        item = Dataset()
        item.PlanePositionSequence = hd.PlanePositionSequence("PATIENT", (ox, oy, oz + k * sz))
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)


def _description(number: int, name: str) -> Any:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code

    if name.lower().startswith(("lesion", "tumour", "tumor")):
        category = codes.SCT.MorphologicallyAbnormalStructure
        kind = Code("108369006", "SCT", "Neoplasm")
    else:
        category = codes.SCT.Organ
        code, meaning = ORGAN_CODES.get(name, ("91723000", "Anatomical structure"))
        kind = Code(code, "SCT", meaning)
    return hd.seg.SegmentDescription(
        segment_number=number, segment_label=name, segmented_property_category=category,
        segmented_property_type=kind, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)


def write_seg(path: Path, masks: Mapping[str, NDArray[np.bool_]], grid: ImageVolume,
              source_files: tuple[str, ...], *, software: str) -> str:
    """Write the VOIs (boolean masks on the SPECT grid ``grid``) as a BINARY SEG that
    references the SPECT series ``source_files``; returns its SeriesInstanceUID."""
    import highdicom as hd
    import pydicom

    sources = [pydicom.dcmread(f) for f in source_files]
    for ds in sources:  # Type 2 attributes a SEG copies: present, possibly empty (PS3.3 C.7)
        for keyword in TYPE2_COPIED:
            if keyword not in ds:
                setattr(ds, keyword, "")
        if ds.get("Modality") == "NM" and "SharedFunctionalGroupsSequence" not in ds:
            _nm_functional_groups(ds, grid)
    names = list(masks)
    labels = np.zeros(grid.array.shape, dtype=np.uint8)
    for number, name in enumerate(names, start=1):
        labels[masks[name]] = number
    sx, sy, sz = grid.spacing_mm
    ox, oy, oz = grid.origin_mm
    frames = np.ascontiguousarray(np.transpose(labels, (2, 1, 0)))  # slices, rows (y), columns (x)
    geometry: dict[str, Any] = {
        "pixel_measures": hd.PixelMeasuresSequence(pixel_spacing=(sy, sx), slice_thickness=sz,
                                                   spacing_between_slices=sz),
        "plane_orientation": hd.PlaneOrientationSequence(
            coordinate_system="PATIENT", image_orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0)),
        "plane_positions": [hd.PlanePositionSequence("PATIENT", (ox, oy, oz + k * sz))
                            for k in range(frames.shape[0])]}
    series_uid = str(hd.UID())
    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=frames, **geometry,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[_description(i, n) for i, n in enumerate(names, start=1)],
        series_instance_uid=series_uid, series_number=901, sop_instance_uid=str(hd.UID()),
        instance_number=1, manufacturer="Lutetia", manufacturer_model_name="lutetia dose images",
        software_versions=software, device_serial_number="none",
        series_description="VOIs used for 177Lu dosimetry", omit_empty_frames=False)
    tmp = Path(path).with_name(Path(path).name + ".part")
    try:
        seg.save_as(str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return series_uid


def seg_label_names(segments: Mapping[int, str], names: Mapping[str, str] | None) -> dict[int, str]:
    """{segment number: VOI name}: segment labels as they are, or mapped through ``names``
    (then only the mapped segments are used)."""
    if names is None:
        return dict(segments)
    by_label = {label: number for number, label in segments.items()}
    missing = [n for n in names if n not in by_label]
    if missing:
        raise RecordError("segment label absent from the SEG", field="SegmentLabel", value=missing,
                          accepted=", ".join(sorted(by_label)))
    return {by_label[label]: voi for label, voi in names.items()}
