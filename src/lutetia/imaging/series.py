"""Find the DICOM series in a folder by their headers (file names mean nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lutetia.errors import RecordError


@dataclass(frozen=True)
class SeriesFiles:
    """The files of one series and the header fields that identify it."""

    series_uid: str
    modality: str
    frame_of_reference: str
    description: str
    files: tuple[Path, ...]


def find_series(folder: Path | str) -> list[SeriesFiles]:
    """Group every DICOM file under ``folder`` by SeriesInstanceUID (non-DICOM files skipped)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    root = Path(folder)
    if not root.is_dir():
        raise RecordError("not a folder", record=str(root), field="folder", value=str(root),
                          accepted="a folder of DICOM files")
    groups: dict[str, list[tuple[Path, str, str, str]]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError):
            continue
        uid = str(getattr(ds, "SeriesInstanceUID", "") or "")
        if not uid:
            continue
        groups.setdefault(uid, []).append((path, str(getattr(ds, "Modality", "")),
                                           str(getattr(ds, "FrameOfReferenceUID", "") or ""),
                                           str(getattr(ds, "SeriesDescription", "") or "")))
    return [SeriesFiles(uid, rows[0][1], rows[0][2], rows[0][3], tuple(r[0] for r in rows))
            for uid, rows in sorted(groups.items())]


def one_series(folder: Path | str, modalities: tuple[str, ...]) -> SeriesFiles:
    """The single series of one of ``modalities`` in ``folder`` (none or several: an error)."""
    found = [s for s in find_series(folder) if s.modality.upper() in modalities]
    if len(found) != 1:
        raise RecordError(f"expected one {'/'.join(modalities)} series", record=str(folder),
                          field="Modality", value=[(s.modality, s.series_uid) for s in found],
                          accepted="exactly one such series per time-point folder")
    return found[0]
