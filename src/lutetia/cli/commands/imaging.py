"""``lutetia dose images``: quantitative SPECT/CT folders in, organ/lesion table out.

Registered on the ``dose`` sub-app of :mod:`lutetia.cli.commands.dose`. pydicom, nibabel and
the physics are imported inside the command so that ``lutetia --help`` stays light.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, print_table, randomised_protocol, settings

COLUMNS = ["voi", "volume_mL", "mass_g", "recovery", "tia_method", "tia_MBq_h", "tia_sd_MBq_h",
           "tiac_h", "t_eff_h", "dose_method", "dose_Gy", "dose_sd_Gy", "dose_Gy_per_GBq",
           "bed_Gy", "bed_sd_Gy", "u_fit_rel", "u_calibration_rel", "u_dose_rel",
           "voxel_mean_Gy", "voxel_d98_Gy", "voxel_d2_Gy"]


def _tz(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    sign = -1 if text.startswith("-") else 1
    try:
        hh, mm = text.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))
    except ValueError as exc:
        raise fail(f"--tz {text!r}: accepted: +HH:MM or -HH:MM (e.g. +01:00)", 2) from exc


def images(
    ctx: typer.Context,
    folders: Annotated[list[Path], typer.Argument(help="One folder per time point (DICOM files; "
                                                       "series found by their headers).")],
    masks: Annotated[Path, typer.Option("--masks", help="VOIs: NIfTI label map, RTSTRUCT or "
                                                        "DICOM SEG (found from the file).")],
    labels: Annotated[Path | None, typer.Option(
        "--labels", help='JSON {"1": "kidney_left", ...} (NIfTI, required) or {"ROI name": '
                         '"kidney_left"} (RTSTRUCT/SEG, optional).')] = None,
    calibration: Annotated[str | None, typer.Option(
        "--calibration", help="Camera calibration id (needed for counts images; gives the "
                              "recovery curve).")] = None,
    calibrations: Annotated[list[Path] | None, typer.Option(
        "--calibrations", help="Site calibration file(s) added to the registry.")] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="UTC offset of header times without TimezoneOffsetFromUTC, e.g. +01:00.")] = None,
    same_position: Annotated[bool, typer.Option(
        "--same-position", help="Time points on different frames of reference are used without "
                                "registration (patient in the same position).")] = False,
    register: Annotated[bool, typer.Option(
        "--register", help="Register later time points to the first (rigid, mutual "
                           "information); transform and quality in the provenance.")] = False,
    no_recovery: Annotated[bool, typer.Option("--no-recovery",
                                              help="No partial-volume correction.")] = False,
    rtdose: Annotated[Path | None, typer.Option("--rtdose", help="Write the voxel dose map as "
                                                               "RT Dose DICOM.")] = None,
    nifti: Annotated[Path | None, typer.Option("--nifti", help="Write the voxel dose map as "
                                                             "NIfTI.")] = None,
    seg: Annotated[Path | None, typer.Option("--seg", help="Write the VOIs used (after the "
                                                           "overlap rule) as DICOM SEG.")] = None,
    stp: Annotated[bool, typer.Option(
        "--stp", help="One time point: Madsen single-time-point kidney dosimetry with the "
                      "kidney T_eff of the patient's latest earlier multi-time-point cycle in "
                      "the record (needs --save and --cycle).")] = False,
    tumour: Annotated[str | None, typer.Option(
        "--tumour", help="Also segment the SPECT tumour burden: suv or percent_of_max "
                         "(threshold from spect_tumour_threshold.toml).")] = None,
    tumour_threshold: Annotated[float | None, typer.Option(
        "--tumour-threshold", help="Override the threshold (SUV, or % of max).")] = None,
    weight: Annotated[float | None, typer.Option(
        "--weight", help="Body weight, kg, for SUV (default: the record's, with --save).")] = None,
    figures: Annotated[Path | None, typer.Option(
        "--figures", help="Write the MIP + TAC figure as DIR/<patient>/cycle-<N>-dosimetry.png "
                          "(the cycle report of `analyze --figures DIR` includes it).")] = None,
    save: Annotated[str | None, typer.Option("--save", help="Store the VOI activities as this "
                                                           "patient's dosimetry measurements.")] = None,
    cycle: Annotated[int | None, typer.Option("--cycle", help="Cycle of the images (with "
                                                              "--save).")] = None,
    course: Annotated[int, typer.Option("--course")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Organ, lesion and voxel dosimetry from quantitative SPECT/CT time points."""
    from lutetia.errors import LutetiaError
    from lutetia.imaging.calibration import get_calibration
    from lutetia.imaging.pipeline import image_dosimetry, table

    if save is not None and cycle is None:
        raise fail("--save needs --cycle N (the cycle the images follow)", 2)
    if stp and (save is None or len(folders) != 1):
        raise fail("--stp needs one time-point folder and --save PATIENT --cycle N (the "
                   "earlier T_eff comes from the record)", 2)
    stp_t_eff: dict[str, float] | None = None
    stp_source: str | None = None
    injection: datetime | None = None
    administered: float | None = None
    store: Any = None
    try:
        if save is not None and cycle is not None:
            from lutetia.imaging.record import administration
            from lutetia.store.repository import Store

            store = Store.open(settings(ctx).db_url, randomised=randomised_protocol)
            record = store.record(save)
            admin = administration(record, cycle, course)
            injection, administered = admin.administered_at, admin.net_activity_gbq * 1000.0
            weight = weight if weight is not None else record.patient.weight_kg
            if stp:
                from lutetia.imaging.record import earlier_kidney_t_eff, kidney_stp_t_eff

                found = earlier_kidney_t_eff(record, cycle, course)
                if found is None:
                    raise fail(f"--stp: no earlier multi-time-point kidney dosimetry of {save} "
                               f"before cycle {cycle} in the record (accepted: a cycle < "
                               f"{cycle} with ≥ 2 kidney time points)", 2)
                stp_t_eff = kidney_stp_t_eff(found[0])
                stp_source = (f"kidney T_eff of cycle {found[1]} ({found[0]:.4g} h), "
                              "lutetia.decide.dosimetry.kidney_history")
        cal = get_calibration(calibration, *(calibrations or [])) if calibration else None
        result = image_dosimetry(folders, masks, labels, calibration=cal, tz=_tz(tz),
                                 injection=injection, administered_mbq=administered,
                                 same_position=same_position, register=register,
                                 recovery_correction=not no_recovery, tumour_method=tumour,
                                 tumour_threshold=tumour_threshold, weight_kg=weight,
                                 stp_t_eff_h=stp_t_eff)
        if stp_source is not None:
            result.provenance["stp_t_eff_source"] = stp_source
        rows = table(result)
        written = _outputs(result, rtdose, nifti, seg, save)
        if figures is not None:
            written["figure"] = str(_figure(result, figures, save, cycle))
        if store is not None and save is not None and cycle is not None:
            from lutetia.imaging.record import measurements, provenance, tumour_study

            study = tumour_study(result, save, cycle)
            summary = store.add([*measurements(result, save, cycle, course),
                                 *([study] if study is not None else [])],
                                user=settings(ctx).user, source=provenance(result))
            written["saved"] = str(summary)
    except LutetiaError as exc:
        raise fail(str(exc), 2) from exc
    if as_json:
        emit_json({"administered_MBq": result.administered_mbq, "vois": rows,
                   "tumour": result.provenance.get("tumour"),
                   "provenance": result.provenance, "written": written})
        return
    names = [str(r["voi"]) for r in rows]  # one column per VOI, as physicists read it
    flipped = [{"field": c, **{n: r.get(c) for n, r in zip(names, rows, strict=True)}}
               for c in COLUMNS[1:]]
    print_table(flipped, ["field", *names], title=f"Image dosimetry ({len(result.time_points)} "
                                                  f"time points, {result.administered_mbq:.0f} MBq)")
    if result.tumour is not None:
        t = result.provenance["tumour"]
        typer.echo(f"molecular tumour volume: {t['mtv_mL']:.1f} mL at {t['hours']:.1f} h "
                   f"({t['method']} {t['threshold']:g}, {t['regions']} regions)")
    for key, value in written.items():
        typer.echo(f"{key}: {value}")


def _outputs(result: Any, rtdose: Path | None, nifti: Path | None, seg: Path | None,
             patient: str | None) -> dict[str, str]:
    from lutetia import __version__

    written: dict[str, str] = {}
    if (rtdose or nifti) and result.dose_map is None:
        raise fail("a voxel dose map needs two or more time points", 2)
    if rtdose is not None:
        from lutetia.imaging.rtdose import write_rt_dose

        uid = write_rt_dose(rtdose, result.dose_map, patient_id=patient or "anonymous",
                            study_uid=None, series_description="177Lu absorbed dose (kernel)",
                            software=f"lutetia {__version__}")
        written["rtdose"] = f"{rtdose} ({uid})"
    if nifti is not None:
        from lutetia.imaging.masks import write_nifti

        write_nifti(nifti, result.dose_map)
        written["nifti"] = str(nifti)
    if seg is not None:
        from lutetia.imaging.seg import write_seg

        first = result.time_points[0]
        uid = write_seg(seg, result.masks, first.activity, first.image.files,
                        software=f"lutetia {__version__}")
        written["seg"] = f"{seg} ({uid})"
    return written


def _figure(result: Any, folder: Path, patient: str | None, cycle: int | None) -> Path:
    from lutetia.report.dosimetry_figure import figure_path, write_dosimetry_figure

    pid = patient or "anonymous"
    path = figure_path(folder, pid, cycle or 0)
    title = (f"{pid} cycle {cycle or '?'}: {len(result.time_points)} time point(s), "
             f"{result.administered_mbq:.0f} MBq")
    tumour, label = None, ""
    if result.tumour is not None:
        t = result.provenance["tumour"]
        tumour = result.tumour.burden.mask
        label = (f"MTV {t['mtv_mL']:.1f} mL ({t['method']} {t['threshold']:g}, "
                 f"{t['hours']:.0f} h)")
    return write_dosimetry_figure(path, result.time_points[0].activity, result.masks,
                                  result.rows, title=title, tumour=tumour, tumour_label=label)


def register(app: typer.Typer) -> None:
    """Add ``images`` to the ``dose`` sub-app (registered before this module: sorted names)."""
    from lutetia.cli.commands.dose import dose_app

    dose_app.command("images")(images)
