"""The image seam: a voxel array with its geometry, independent of the file format.

Importers (NIfTI and .npy today in the CLI, DICOM SPECT/CT later in ``lutetia.store``)
build an :class:`ImageVolume`; the physics core only sees this type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from lutetia.errors import RecordError


@dataclass(frozen=True)
class ImageVolume:
    """A 3-D image and its geometry.

    Attributes
    ----------
    array : ndarray, shape (nx, ny, nz)
        Voxel values (activity MBq, TIA MBq·h, dose Gy or a mask), in array index order.
    spacing_mm : (float, float, float)
        Voxel size along each array axis, mm.
    origin_mm : (float, float, float)
        Position of the centre of voxel (0, 0, 0) in the frame, mm.
    frame : str
        Frame of reference identifier (DICOM FrameOfReferenceUID or a file name); volumes
        combined voxel by voxel must share it.
    quantity : str
        What the values are: ``activity_MBq``, ``tia_MBq_h``, ``dose_Gy`` or ``mask``.
    """

    array: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.bool_]
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    frame: str = "unspecified"
    quantity: str = field(default="activity_MBq")

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise RecordError("image must be 3-D", field="array", value=self.array.shape)
        if len(self.spacing_mm) != 3 or any(not (s > 0) for s in self.spacing_mm):
            raise RecordError("spacing must be three positive sizes", field="spacing_mm",
                              value=self.spacing_mm, accepted="mm > 0")

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel, mL (cm³)."""
        return float(np.prod(self.spacing_mm)) * 1e-3

    def same_grid(self, other: ImageVolume, tol_mm: float = 1e-3) -> bool:
        """True when both volumes share shape, spacing, origin and frame."""
        return (self.array.shape == other.array.shape and self.frame == other.frame
                and bool(np.allclose(self.spacing_mm, other.spacing_mm, atol=tol_mm))
                and bool(np.allclose(self.origin_mm, other.origin_mm, atol=tol_mm)))


class VolumeSource(Protocol):
    """Anything that yields an :class:`ImageVolume` (a NIfTI reader, a DICOM series...)."""

    def load(self) -> ImageVolume:
        """Read and return the volume."""
        ...
