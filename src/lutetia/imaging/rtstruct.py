"""RTSTRUCT input: closed planar contours rasterised onto the SPECT grid in physical space.

rt-utils is not used: its wheel (1.2.7) installs a top-level ``tests`` package that shadows
this repository's ``tests``, pulls in opencv-python, and rasterises onto the referenced CT
series only, whereas the VOIs are needed on the SPECT grid. Here the contours are read with
pydicom and each SPECT voxel is sampled at 3³ points (as for NIfTI label maps,
:mod:`lutetia.imaging.masks`): a point belongs to an ROI when it lies within half a contour
spacing of one of the ROI's contour planes and inside the contours of that plane by the
even–odd rule (so a contour inside another is a hole), tested with matplotlib's
``Path.contains_points``. The fractions then go through the same overlap rule
(:func:`lutetia.imaging.masks.assign`).

Accepted: CLOSED_PLANAR contours on axial planes (constant z) in the frame of reference of
the SPECT, or of another frame when the caller states that the patient lay identically
(``same_position``), as for time points.

References
----------
1. DICOM PS3.3 2024 C.8.8.5 (Structure Set), C.8.8.6 (ROI Contour): ContourData are
   x\\y\\z triplets in mm in the patient (LPS) coordinate system.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.imaging.masks import sample_points
from lutetia.physics.volume import ImageVolume

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
#: Largest departure of a contour's z values from its plane, mm (round-off only).
PLANE_TOLERANCE_MM = 1e-3


@dataclass(frozen=True)
class Roi:
    """One ROI: its name and contours as (z mm, polygon (n, 2) of x, y mm)."""

    number: int
    name: str
    contours: tuple[tuple[float, NDArray[np.float64]], ...]


@dataclass(frozen=True)
class StructureSet:
    path: str
    frame_of_reference: str
    rois: tuple[Roi, ...]


def read_rtstruct(path: Path) -> StructureSet:
    """ROIs and their contours of an RTSTRUCT file (errors name the tag)."""
    import pydicom

    ds: Any = pydicom.dcmread(str(path))
    where = str(path)
    if str(getattr(ds, "SOPClassUID", "")) != RTSTRUCT_SOP_CLASS:
        raise RecordError("not an RT Structure Set", record=where, field="SOPClassUID",
                          value=str(getattr(ds, "SOPClassUID", None)),
                          accepted=RTSTRUCT_SOP_CLASS)
    names = {int(r.ROINumber): str(r.ROIName) for r in getattr(ds, "StructureSetROISequence", [])}
    frames = {str(r.ReferencedFrameOfReferenceUID)
              for r in getattr(ds, "StructureSetROISequence", [])
              if getattr(r, "ReferencedFrameOfReferenceUID", None)}
    if len(frames) != 1:
        raise RecordError("structure set must reference one frame of reference", record=where,
                          field="ReferencedFrameOfReferenceUID", value=sorted(frames),
                          accepted="one FrameOfReferenceUID")
    rois = []
    for item in getattr(ds, "ROIContourSequence", []):
        number = int(item.ReferencedROINumber)
        if number not in names:
            raise RecordError("contour of an undeclared ROI", record=where,
                              field="ReferencedROINumber", value=number,
                              accepted=f"ROINumber of StructureSetROISequence: {sorted(names)}")
        contours = []
        for c in getattr(item, "ContourSequence", []):
            kind = str(getattr(c, "ContourGeometricType", ""))
            if kind != "CLOSED_PLANAR":
                raise RecordError("only closed planar contours can be rasterised", record=where,
                                  field=f"ContourGeometricType ({names[number]})", value=kind,
                                  accepted="CLOSED_PLANAR")
            xyz = np.asarray([float(v) for v in c.ContourData], dtype=np.float64).reshape(-1, 3)
            if len(xyz) < 3 or np.ptp(xyz[:, 2]) > PLANE_TOLERANCE_MM:
                raise RecordError("contour is not an axial polygon", record=where,
                                  field=f"ContourData ({names[number]})",
                                  value=f"{len(xyz)} points, z range {np.ptp(xyz[:, 2]):.3g} mm",
                                  accepted="≥ 3 points on one plane of constant z")
            contours.append((float(xyz[0, 2]), xyz[:, :2]))
        rois.append(Roi(number, names[number], tuple(contours)))
    return StructureSet(where, frames.pop(), tuple(rois))


def _plane_spacing(structures: StructureSet) -> float:
    zs = np.unique(np.round([z for r in structures.rois for z, _ in r.contours], 3))
    if len(zs) < 2:
        raise RecordError("contours on fewer than two planes: no slice spacing", record=structures.path,
                          field="ContourData", value=len(zs), accepted="contours on ≥ 2 planes")
    return float(np.median(np.diff(zs)))


def _inside(roi: Roi, points: NDArray[np.float64], half_gap: float) -> NDArray[np.bool_]:
    """Even–odd membership of points (m, 3) in ``roi``, each tested on its nearest plane."""
    from matplotlib.path import Path as MplPath

    inside = np.zeros(len(points), dtype=np.bool_)
    planes = sorted({z for z, _ in roi.contours})
    z = points[:, 2]
    if z.max() < planes[0] - half_gap or z.min() > planes[-1] + half_gap:
        return inside
    xy = np.concatenate([poly for _, poly in roi.contours])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    box = np.nonzero((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0)
                     & (points[:, 1] <= y1) & (z >= planes[0] - half_gap)
                     & (z <= planes[-1] + half_gap))[0]
    if not len(box):
        return inside
    sub = points[box]
    zs = np.asarray(planes)
    nearest = np.abs(sub[:, 2:3] - zs[None, :]).argmin(axis=1)
    near_ok = np.abs(sub[:, 2] - zs[nearest]) <= half_gap
    for i, plane in enumerate(planes):
        sel = near_ok & (nearest == i)
        if not sel.any():
            continue
        parity = np.zeros(int(sel.sum()), dtype=np.bool_)
        for cz, poly in roi.contours:
            if cz == plane:
                parity ^= MplPath(poly).contains_points(sub[sel, :2])
        inside[box[sel]] = parity
    return inside


def rtstruct_fractions(structures: StructureSet, names: Mapping[str, str] | None,
                       target: ImageVolume, *, same_position: bool = False
                       ) -> dict[str, NDArray[np.float64]]:
    """Fraction of each target voxel inside each ROI (ROI name → VOI name by ``names``;
    every ROI under its own name when ``names`` is None)."""
    if structures.frame_of_reference != target.frame and not same_position:
        raise RecordError("structure set on another frame of reference than the SPECT",
                          record=structures.path, field="ReferencedFrameOfReferenceUID",
                          value=structures.frame_of_reference,
                          accepted=f"{target.frame}, or state same_position")
    by_name = {r.name: r for r in structures.rois}
    wanted = dict(names) if names is not None else {n: n for n in by_name}
    missing = [n for n in wanted if n not in by_name or not by_name[n].contours]
    if missing:
        raise RecordError("ROI absent from the structure set or without contours",
                          record=structures.path, field="ROIName", value=missing,
                          accepted=", ".join(sorted(by_name)))
    half_gap = _plane_spacing(structures) / 2.0
    nx, ny, nz = target.array.shape
    out = {voi: np.zeros((nx, ny, nz)) for voi in wanted.values()}
    for k in range(nz):
        pts = sample_points(target, k)
        flat = pts.reshape(-1, 3)
        for roi_name, voi in wanted.items():
            hit = _inside(by_name[roi_name], flat, half_gap).reshape(pts.shape[:-1])
            out[voi][:, :, k] = hit.mean(axis=-1)
    return out
