"""Volumes of interest: label maps in, resampled in physical space onto the SPECT grid.

Format: NIfTI label maps (nibabel; RAS affine converted to DICOM LPS); DICOM SEG label maps
(:mod:`lutetia.imaging.seg`) use the same resampling, RTSTRUCT contours the same sampling
points (:mod:`lutetia.imaging.rtstruct`). Resampling: each SPECT voxel is sampled at 3³
points and the label found at each point by nearest neighbour in the label map's own
affine, so any mask grid and orientation maps onto any SPECT grid; a voxel belongs to a VOI when at least half its
points do. Overlap rule: a voxel claimed by several VOIs goes to the one first in
``priority`` (default: lesions before organs — a lesion inside a kidney is cut from the
kidney).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError
from lutetia.physics.volume import ImageVolume

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
SUBSAMPLES = 3


def read_nifti_labels(path: Path) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(integer label array, 4×4 voxel → LPS mm affine) of a NIfTI label map."""
    import nibabel as nib

    img: Any = nib.load(str(path))
    data = np.asarray(img.dataobj)
    if data.ndim != 3:
        raise RecordError("label map must be 3-D", record=str(path), field="shape",
                          value=data.shape, accepted="(nx, ny, nz)")
    if not np.allclose(data, np.round(data)):
        raise RecordError("label map holds non-integer values", record=str(path),
                          field="labels", value=float(data.max()), accepted="integer labels")
    return np.round(data).astype(np.int64), RAS_TO_LPS @ np.asarray(img.affine, dtype=np.float64)


def write_nifti(path: Path, volume: ImageVolume) -> None:
    """Write an axis-aligned ImageVolume (LPS) as NIfTI (RAS affine)."""
    import nibabel as nib

    aff = np.diag([*volume.spacing_mm, 1.0])
    aff[:3, 3] = volume.origin_mm
    nifti: Any = nib.Nifti1Image
    nib.save(nifti(np.asarray(volume.array), RAS_TO_LPS @ aff), str(path))


def read_labels_json(path: Path) -> dict[int, str]:
    """``{"1": "kidney_left", ...}`` → {1: "kidney_left"}."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        return {int(k): str(v) for k, v in raw.items()}
    except (AttributeError, ValueError) as exc:
        raise RecordError("labels file must map integer labels to names", record=str(path),
                          field="labels", value=str(raw)[:80],
                          accepted='{"1": "kidney_left", ...}') from exc


def sample_points(target: ImageVolume, k: int) -> NDArray[np.float64]:
    """LPS coordinates of SUBSAMPLES³ points per voxel of slice ``k``, shape (nx, ny, S³, 3)."""
    offs = (np.arange(SUBSAMPLES) + 0.5) / SUBSAMPLES - 0.5
    sub = np.stack(np.meshgrid(offs, offs, offs, indexing="ij"), -1).reshape(-1, 3)
    nx, ny, _ = target.array.shape
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    idx = np.stack([ii, jj, np.full_like(ii, k)], -1).astype(np.float64)
    pts = idx[..., None, :] + sub
    return np.asarray(np.asarray(target.origin_mm) + pts * np.asarray(target.spacing_mm),
                      dtype=np.float64)


def resample_labels(labels: NDArray[np.int64], affine_lps: NDArray[np.float64],
                    names: Mapping[int, str], target: ImageVolume) -> dict[str, NDArray[np.float64]]:
    """Fraction of each target voxel covered by each named label (physical-space sampling,
    one target slice at a time to bound memory)."""
    missing = [k for k in names if not np.any(labels == k)]
    if missing:
        raise RecordError("label absent from the label map", field="labels", value=missing,
                          accepted=f"labels present: {sorted(set(np.unique(labels)) - {0})}")
    inv = np.linalg.inv(affine_lps)
    out = {name: np.zeros(target.array.shape) for name in names.values()}
    for k in range(target.array.shape[2]):
        ijk = np.rint(sample_points(target, k) @ inv[:3, :3].T + inv[:3, 3]).astype(np.int64)
        inside = np.all((ijk >= 0) & (ijk < np.array(labels.shape)), axis=-1)
        safe = np.where(inside[..., None], ijk, 0)
        found = np.where(inside, labels[safe[..., 0], safe[..., 1], safe[..., 2]], 0)
        for value, name in names.items():
            out[name][:, :, k] = (found == value).mean(axis=-1)
    return out


def default_priority(name: str) -> int:
    """Lesions (and tumour) first, then organs."""
    n = name.lower()
    return 0 if n.startswith(("lesion", "tumour", "tumor")) else 1


def assign(fractions: Mapping[str, NDArray[np.float64]],
           priority: Sequence[str] | None = None) -> dict[str, NDArray[np.bool_]]:
    """Binary masks (fraction ≥ 0.5), each voxel in at most one VOI by ``priority``."""
    order = list(priority) if priority else sorted(fractions, key=lambda n: (default_priority(n), n))
    unknown = [n for n in order if n not in fractions]
    if unknown or len(order) != len(fractions):
        raise RecordError("priority must list every VOI once", field="priority", value=order,
                          accepted=", ".join(sorted(fractions)))
    taken: NDArray[np.bool_] | None = None
    out: dict[str, NDArray[np.bool_]] = {}
    for name in order:
        m = fractions[name] >= 0.5
        if taken is not None:
            m &= ~taken
            taken |= m
        else:
            taken = m.copy()
        if not m.any():
            raise RecordError("VOI has no voxel on the SPECT grid", field=name, value=0,
                              accepted="a VOI covering at least half a SPECT voxel")
        out[name] = m
    return out
