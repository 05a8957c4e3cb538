"""VOIs from any of the accepted mask formats, as fractions on the SPECT grid.

The format is found from the file itself: a DICOM RT Structure Set
(:mod:`lutetia.imaging.rtstruct`), a DICOM Segmentation (:mod:`lutetia.imaging.seg`) or a
NIfTI label map (:mod:`lutetia.imaging.masks`). The labels file maps NIfTI label values to
VOI names (required), or RTSTRUCT ROI names / SEG segment labels to VOI names (optional:
without it every ROI or segment is used under its own name).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics.volume import ImageVolume


def mask_format(path: Path) -> str:
    """``rtstruct``, ``seg`` or ``nifti`` (anything else is refused)."""
    from lutetia.imaging.rtstruct import RTSTRUCT_SOP_CLASS
    from lutetia.imaging.seg import SEG_SOP_CLASS

    p = Path(path)
    if p.name.endswith((".nii", ".nii.gz")):
        return "nifti"
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        sop = str(pydicom.dcmread(str(p), stop_before_pixels=True).SOPClassUID)
    except (InvalidDicomError, OSError, AttributeError) as exc:
        raise RecordError("mask file is neither NIfTI nor DICOM", record=str(p), field="masks",
                          value=p.name, accepted="NIfTI label map, RTSTRUCT or SEG") from exc
    formats = {RTSTRUCT_SOP_CLASS: "rtstruct", SEG_SOP_CLASS: "seg"}
    if sop not in formats:
        raise RecordError("DICOM mask file of an unaccepted class", record=str(p),
                          field="SOPClassUID", value=sop,
                          accepted=f"RT Structure Set {RTSTRUCT_SOP_CLASS}, SEG {SEG_SOP_CLASS}")
    return formats[sop]


def voi_fractions(mask_path: Path, labels_path: Path | None, target: ImageVolume, *,
                  same_position: bool = False) -> tuple[dict[str, NDArray[np.float64]], str]:
    """(fraction of each target voxel in each VOI, mask format)."""
    from lutetia.imaging.masks import read_labels_json, read_nifti_labels, resample_labels

    kind = mask_format(mask_path)
    if kind == "nifti":
        if labels_path is None:
            raise RecordError("a NIfTI label map needs its labels file", record=str(mask_path),
                              field="labels", value=None, accepted='{"1": "kidney_left", ...}')
        labels, affine = read_nifti_labels(mask_path)
        return resample_labels(labels, affine, read_labels_json(labels_path), target), kind
    names = _names(labels_path) if labels_path is not None else None
    if kind == "rtstruct":
        from lutetia.imaging.rtstruct import read_rtstruct, rtstruct_fractions

        return rtstruct_fractions(read_rtstruct(mask_path), names, target,
                                  same_position=same_position), kind
    from lutetia.imaging.seg import read_seg_labels, seg_label_names

    arr, affine, segments, frame = read_seg_labels(mask_path)
    if frame != target.frame and not same_position:
        raise RecordError("SEG on another frame of reference than the SPECT", record=str(mask_path),
                          field="FrameOfReferenceUID", value=frame,
                          accepted=f"{target.frame}, or state same_position")
    return resample_labels(arr, affine, seg_label_names(segments, names), target), kind


def _names(path: Path) -> dict[str, str]:
    import json

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise RecordError("names file must map ROI or segment names to VOI names", record=str(path),
                          field="labels", value=str(raw)[:80], accepted='{"Kidney L": "kidney_left"}')
    return {str(k): v for k, v in raw.items()}
