"""Camera calibration registry: counts become activity only through a registered calibration.

An entry names the camera, collimator, energy windows and reconstruction, and gives the
volume sensitivity (cps/MBq) with its relative uncertainty, a non-paralysable dead time and a
recovery-coefficient curve against VOI volume (from sphere-phantom measurements), with who
measured it, when, and from what. Shipped entries live in ``lutetia/data/imaging/
calibrations.toml``; a site adds its own file (same schema), loaded with :func:`registry`.

Notes
-----
Activity A = C / (t·S) · 1/(1 − R·τ), C counts in the VOI or voxel, t the frame duration (s),
S the sensitivity, R = C_total/t the measured count rate and τ the dead time (non-paralysable
model). Recovery: A_true ≈ A_VOI / RC(V), RC interpolated linearly in log V between the
measured spheres and not extrapolated (the largest sphere's RC above it, an error below the
smallest).

References
----------
1. Dickson JC et al. EANM practice guideline for quantitative SPECT-CT. EJNMMI 2023;50:980.
   doi:10.1007/s00259-022-06028-9
2. Ljungberg M et al. MIRD Pamphlet No. 26: joint EANM/MIRD guidelines for quantitative
   177Lu SPECT applied for dosimetry. J Nucl Med 2016;57:151. doi:10.2967/jnumed.115.159012
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lutetia.errors import RecordError
from lutetia.imaging.spect import SpectImage
from lutetia.physics.volume import ImageVolume

REQUIRED = ("id", "camera", "collimator", "energy_windows_kev", "reconstruction",
            "sensitivity_cps_per_mbq", "sensitivity_relative_sigma", "dead_time_s",
            "measured_on", "measured_by", "source")


@dataclass(frozen=True)
class Calibration:
    """One camera calibration with its provenance."""

    id: str
    camera: str
    collimator: str
    energy_windows_kev: tuple[tuple[float, float], ...]
    reconstruction: str
    sensitivity_cps_per_mbq: float
    sensitivity_relative_sigma: float
    dead_time_s: float
    measured_on: str
    measured_by: str
    source: str
    recovery_volume_ml: tuple[float, ...] = ()
    recovery_coefficient: tuple[float, ...] = ()

    def recovery(self, volume_ml: float) -> float:
        """RC at ``volume_ml`` (1 without a curve; the largest sphere's RC above it)."""
        v, rc = self.recovery_volume_ml, self.recovery_coefficient
        if not v:
            return 1.0
        if volume_ml < v[0]:
            raise RecordError("VOI smaller than the smallest calibrated sphere", record=self.id,
                              field="volume_ml", value=volume_ml,
                              accepted=f">= {v[0]} mL (no extrapolation of the recovery curve)")
        if volume_ml >= v[-1]:
            return float(rc[-1])
        return float(np.interp(math.log(volume_ml), np.log(v), rc))

    def provenance(self) -> str:
        return (f"calibration {self.id}: {self.camera}, {self.collimator}, "
                f"{self.reconstruction}; {self.sensitivity_cps_per_mbq:g} cps/MBq "
                f"(±{100 * self.sensitivity_relative_sigma:.1f} %), measured {self.measured_on} "
                f"by {self.measured_by}")


def _parse(item: dict[str, Any], origin: str) -> Calibration:
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        raise RecordError("calibration entry incomplete", record=f"{origin}:{item.get('id')}",
                          field=missing[0], value=None, accepted="every field of the schema")
    s, u, tau = (float(item[k]) for k in ("sensitivity_cps_per_mbq",
                                          "sensitivity_relative_sigma", "dead_time_s"))
    if not (s > 0 and u >= 0 and tau >= 0):
        raise RecordError("sensitivity must be > 0, its uncertainty and the dead time >= 0",
                          record=str(item["id"]), field="sensitivity_cps_per_mbq",
                          value=(s, u, tau), accepted="S > 0, σ >= 0, τ >= 0")
    vols = tuple(float(x) for x in item.get("recovery_volume_ml", []))
    rcs = tuple(float(x) for x in item.get("recovery_coefficient", []))
    if len(vols) != len(rcs) or any(b <= a for a, b in zip(vols, vols[1:], strict=False)) \
            or any(not 0 < r <= 1.5 for r in rcs):
        raise RecordError("recovery curve must pair increasing volumes with RC in (0, 1.5]",
                          record=str(item["id"]), field="recovery_coefficient", value=rcs,
                          accepted="one RC per volume, volumes increasing")
    return Calibration(str(item["id"]), str(item["camera"]), str(item["collimator"]),
                       tuple((float(a), float(b)) for a, b in item["energy_windows_kev"]),
                       str(item["reconstruction"]), s, u, tau, str(item["measured_on"]),
                       str(item["measured_by"]), str(item["source"]), vols, rcs)


def registry(*site_files: Path) -> dict[str, Calibration]:
    """The shipped calibrations plus those of ``site_files`` (ids must be unique)."""
    shipped = resources.files("lutetia").joinpath("data/imaging/calibrations.toml")
    sources = [("lutetia/data/imaging/calibrations.toml", shipped.read_text(encoding="utf-8"))]
    sources += [(str(p), Path(p).read_text(encoding="utf-8")) for p in site_files]
    out: dict[str, Calibration] = {}
    for origin, text in sources:
        try:
            items = tomllib.loads(text).get("calibration", [])
        except tomllib.TOMLDecodeError as exc:
            raise RecordError("calibration file is not valid TOML", record=origin, field="file",
                              value=str(exc), accepted="TOML with [[calibration]] tables") from exc
        for item in items:
            cal = _parse(item, origin)
            if cal.id in out:
                raise RecordError("calibration id registered twice", record=origin, field="id",
                                  value=cal.id, accepted="unique ids")
            out[cal.id] = cal
    return out


def get_calibration(cal_id: str, *site_files: Path) -> Calibration:
    reg = registry(*site_files)
    if cal_id not in reg:
        raise RecordError("unknown calibration", field="calibration", value=cal_id,
                          accepted=", ".join(sorted(reg)) or "none registered")
    return reg[cal_id]


def counts_to_activity(image: SpectImage, calibration: Calibration) -> SpectImage:
    """A CNTS image as activity concentration (Bq/mL) at the acquisition start."""
    from dataclasses import replace

    if image.units != "CNTS":
        raise RecordError("image is already quantitative", record=image.series_uid,
                          field="Units", value=image.units, accepted="CNTS")
    if image.frame_duration_s is None or not image.frame_duration_s > 0:
        raise RecordError("counts need the acquisition duration", record=image.series_uid,
                          field="ActualFrameDuration", value=image.frame_duration_s,
                          accepted="ms > 0")
    counts = np.asarray(image.volume.array, dtype=np.float64)
    rate = float(counts.sum()) / image.frame_duration_s
    loss = 1.0 - rate * calibration.dead_time_s
    if not loss > 0:
        raise RecordError("count rate beyond the dead-time model", record=calibration.id,
                          field="dead_time_s", value=calibration.dead_time_s,
                          accepted=f"R·τ < 1 (R = {rate:.4g} cps)")
    mbq = counts / (image.frame_duration_s * calibration.sensitivity_cps_per_mbq * loss)
    v = image.volume
    bqml = mbq * 1e6 / v.voxel_volume_ml
    volume = ImageVolume(bqml, v.spacing_mm, v.origin_mm, v.frame, "activity_Bq_per_mL")
    return replace(image, volume=volume, units="BQML")
