"""Eligibility facts read from imaging lesions: RECIST-measurable extra-pelvic disease and
the VISION PSMA-PET read (PSMA-positive, no PSMA-negative lesion).

Readings (the numbers and word lists are data, ``data/imaging_reads.toml``):

* ``recist_measurable_extrapelvic_disease`` — on the latest staging study, a RECIST 1.1
  measurable lesion that is not a lymph node, or a measurable lymph node at an
  extra-pelvic station.  A measurable node whose station the record does not give is
  "not recorded": not evaluable unless another lesion already qualifies.
* ``psma_pet_vision_positive`` — on the latest PSMA PET in the window.  When the study's
  lesions carry an uptake read (``psma_positive_vs_liver``) the VISION definition is
  applied to them: a lesion at or below liver uptake that reaches the size of its type is
  PSMA-negative; a lesion above liver uptake is PSMA-positive; a lesion whose uptake or
  size is missing where it decides leaves the read not evaluable.  The study-level read
  (``vision_psma_positive`` / ``vision_psma_negative_lesion``) is combined with it: either
  read finding the patient ineligible decides; else either finding him eligible decides;
  else not evaluable.  Without lesion uptake reads the study-level read decides alone.

References
----------
1. Eiber M, Herrmann K, Calais J, et al. Prostate Cancer Molecular Imaging Standardized
   Evaluation (PROMISE). J Nucl Med 2018;59:469-478. doi:10.2967/jnumed.117.198119
2. ReaLuP registry text NCT06866938, Inclusion 6 (the VISION PSMA-PET read).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal

from lutetia.assess import Lesion as RecistLesion
from lutetia.assess import is_measurable
from lutetia.decide.model import Context, FactValue
from lutetia.protocols import Condition
from lutetia.records import ImagingStudy, Lesion, LesionType, Modality

Station = Literal["pelvic", "extra-pelvic", "not recorded"]
_STAGING = (Modality.ct, Modality.mri, Modality.bone_scan, Modality.psma_pet)


def latest_staging(ctx: Context) -> ImagingStudy | None:
    """The latest staging study (CT, MRI, bone scan, PSMA PET) on or before the date."""
    studies = sorted((s for s in ctx.record.imaging if s.modality in _STAGING and s.study_date <= ctx.on),
                     key=lambda s: s.study_date)
    return studies[-1] if studies else None


def measurable(lesion: Lesion) -> bool:
    """RECIST 1.1 measurability (:func:`lutetia.assess.is_measurable`) of a record lesion."""
    if lesion.lesion_type is LesionType.lymph_node:
        return is_measurable(RecistLesion(lesion.lesion_id, lesion.organ, "node", lesion.short_axis_mm))
    if lesion.lesion_type is LesionType.bone_with_soft_tissue:
        return is_measurable(RecistLesion(lesion.lesion_id, lesion.organ, "bone_lytic",
                                          lesion.soft_tissue_component_mm))
    if lesion.lesion_type is LesionType.bone:
        return False
    return is_measurable(RecistLesion(lesion.lesion_id, lesion.organ, "non_nodal", lesion.longest_diameter_mm))


@dataclass(frozen=True)
class ImagingReads:
    """The VISION size limits (mm) and the nodal station word lists of ``imaging_reads.toml``."""

    node_short_axis_min_mm: float
    solid_organ_short_axis_min_mm: float
    bone_soft_tissue_short_axis_min_mm: float
    explicit_extrapelvic: tuple[str, ...]
    pelvic: tuple[str, ...]
    extrapelvic: tuple[str, ...]


@lru_cache(maxsize=1)
def imaging_reads() -> ImagingReads:
    """The shipped ``data/imaging_reads.toml``, read once."""
    raw = tomllib.loads(resources.files("lutetia.decide.data").joinpath("imaging_reads.toml").read_text("utf-8"))
    v, n = raw["vision"], raw["pelvic_nodes"]
    return ImagingReads(float(v["node_short_axis_min_mm"]), float(v["solid_organ_short_axis_min_mm"]),
                        float(v["bone_soft_tissue_short_axis_min_mm"]), tuple(n["explicit_extrapelvic"]),
                        tuple(n["pelvic"]), tuple(n["extrapelvic"]))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words)


def nodal_station(lesion: Lesion) -> Station:
    """Pelvic / extra-pelvic station of a lymph node from its organ and site text."""
    reads = imaging_reads()
    text = f"{lesion.organ} {lesion.site or ''}".lower()
    if _mentions(text, reads.explicit_extrapelvic):
        return "extra-pelvic"
    if _mentions(text, reads.pelvic):
        return "pelvic"
    if _mentions(text, reads.extrapelvic):
        return "extra-pelvic"
    return "not recorded"


def measurable_extrapelvic_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``recist_measurable_extrapelvic_disease`` (see the module readings)."""
    name = "recist_measurable_extrapelvic_disease"
    study = latest_staging(ctx)
    if study is None:
        return FactValue(name, None, "category", missing=f"no staging imaging on or before {ctx.on}")
    where = f"imaging {study.study_id} {study.modality.value} {study.study_date}"
    found = [x for x in ctx.record.lesions if x.study_id == study.study_id and x.present and measurable(x)]
    qualifying, unknown = [], []
    for x in found:
        station = nodal_station(x) if x.lesion_type is LesionType.lymph_node else "extra-pelvic"
        if station == "extra-pelvic":
            qualifying.append(x.lesion_id)
        elif station == "not recorded":
            unknown.append(x.lesion_id)
    if qualifying:
        return FactValue(name, True, "category", study.study_date, f"{where}: {', '.join(qualifying)}")
    if unknown:
        return FactValue(name, None, "category", missing=f"{where}: nodal station (pelvic or extra-pelvic) "
                         f"not recorded for measurable lymph node {', '.join(unknown)}")
    return FactValue(name, False, "category", study.study_date,
                     f"{where}: no measurable soft-tissue lesion or extra-pelvic lymph node")


def _size_limit(lesion: Lesion) -> tuple[float | None, float] | None:
    """(size, limit) deciding whether ``lesion`` counts for PSMA negativity; None if never."""
    reads = imaging_reads()
    if lesion.lesion_type is LesionType.lymph_node:
        return lesion.short_axis_mm, reads.node_short_axis_min_mm
    if lesion.lesion_type is LesionType.bone_with_soft_tissue:
        return lesion.soft_tissue_component_mm, reads.bone_soft_tissue_short_axis_min_mm
    if lesion.lesion_type is LesionType.bone:
        return None
    return lesion.short_axis_mm, reads.solid_organ_short_axis_min_mm


def lesion_vision_read(lesions: list[Lesion]) -> tuple[bool | None, str]:
    """The VISION read from lesions with uptake reads: (eligible, evidence); None = not evaluable."""
    negative, unsure, positive = [], [], []
    for x in lesions:
        size = _size_limit(x)
        big = None if size is None else (None if size[0] is None else size[0] >= size[1])
        if x.psma_positive_vs_liver is True:
            positive.append(x.lesion_id)
        elif size is not None and x.psma_positive_vs_liver is False and big:
            negative.append(f"{x.lesion_id} ({x.lesion_type.value} {size[0]:g} mm >= {size[1]:g} mm, uptake <= liver)")
        elif size is not None and big is not False and (x.psma_positive_vs_liver is None or big is None):
            unsure.append(f"{x.lesion_id} ({'uptake vs liver' if x.psma_positive_vs_liver is None else 'size'} "
                          "not recorded)")
    if negative:
        return False, "PSMA-negative lesion " + ", ".join(negative)
    if unsure:
        return None, "lesion " + ", ".join(unsure)
    if positive:
        return True, "PSMA-positive lesion " + ", ".join(positive) + ", no PSMA-negative lesion"
    if any(x.psma_positive_vs_liver is None for x in lesions):
        return None, "no lesion read above liver uptake; some lesions have no uptake read"
    return False, "no lesion with uptake above liver"


def _study_read(s: ImagingStudy) -> bool | None:
    if s.vision_psma_positive is None or s.vision_psma_negative_lesion is None:
        return None
    return s.vision_psma_positive and not s.vision_psma_negative_lesion


def vision_fact(ctx: Context, leaf: Condition) -> FactValue:
    """``psma_pet_vision_positive`` (see the module readings)."""
    name = "psma_pet_vision_positive"
    bounds = ctx.bounds(leaf.window) if leaf.window else (date.min, ctx.on)
    if isinstance(bounds, str):
        return FactValue(name, None, "category", missing=bounds)
    pets = sorted((s for s in ctx.record.imaging if s.modality is Modality.psma_pet
                   and bounds[0] <= s.study_date <= bounds[1]), key=lambda s: s.study_date)
    if not pets:
        return FactValue(name, None, "category", missing=f"no PSMA PET between {bounds[0]} and {bounds[1]}")
    s = pets[-1]
    where = f"imaging {s.study_id} {s.study_date}"
    study = _study_read(s)
    lesions = [x for x in ctx.record.lesions if x.study_id == s.study_id and x.present]
    if not any(x.psma_positive_vs_liver is not None for x in lesions):
        if study is None:
            return FactValue(name, None, "category", missing=f"PSMA PET {s.study_id}: VISION read not recorded")
        return FactValue(name, study, "category", s.study_date, f"{where} VISION read")
    from_lesions, evidence = lesion_vision_read(lesions)
    reads = (from_lesions, study)
    value = False if False in reads else (True if True in reads else None)
    study_text = "study-level read not recorded" if study is None else f"study-level read {study}"
    if value is None:
        return FactValue(name, None, "category", missing=f"PSMA PET {s.study_id}: {evidence}; {study_text}")
    return FactValue(name, value, "category", s.study_date, f"{where} lesions: {evidence}; {study_text}")


__all__ = ["ImagingReads", "imaging_reads", "latest_staging", "lesion_vision_read", "measurable",
           "measurable_extrapelvic_fact", "nodal_station", "vision_fact"]
