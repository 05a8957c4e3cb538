"""``lutetia dose``: TIA, organ doses, BED/EQD2 from CSV files and voxel doses from maps.

Also holds the small typed-cell and volume helpers shared with ``prescribe``. NumPy, SciPy
and nibabel are imported inside the command bodies.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, print_table, read_csv, write_csv


def cell_float(row: dict[str, str], column: str, path: Path, line: int, accepted: str,
               *, required: bool = True, positive: bool = False) -> float | None:
    """Parse one numeric cell; a bad value exits with code 2 naming file, row, column."""
    raw = row.get(column, "")
    if raw == "":
        if required:
            raise fail(f"{path}: row {line}, column {column!r}: empty; accepted: {accepted}", 2)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise fail(f"{path}: row {line}, column {column!r}: {raw!r} is not a number; "
                   f"accepted: {accepted}", 2) from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise fail(f"{path}: row {line}, column {column!r}: {raw!r} is out of range; "
                   f"accepted: {accepted}", 2)
    return value


def cell_required(row: dict[str, str], column: str, path: Path, line: int, accepted: str,
                  *, positive: bool = False) -> float:
    """Like :func:`cell_float` for a required cell (never None)."""
    value = cell_float(row, column, path, line, accepted, positive=positive)
    assert value is not None
    return value


def load_volume(path: Path, spacing_mm: tuple[float, float, float] | None, quantity: str) -> Any:
    """Read a NIfTI (.nii, .nii.gz) or NumPy (.npy) volume into an ``ImageVolume``."""
    import numpy as np

    from lutetia.physics.volume import ImageVolume

    if not path.exists():
        raise fail(f"{path}: no such file", 2)
    name = path.name.lower()
    try:
        if name.endswith((".nii", ".nii.gz")):
            import nibabel as nib

            img: Any = nib.load(str(path))
            arr = np.asarray(img.dataobj, dtype=np.float64)
            zooms = tuple(float(z) for z in img.header.get_zooms()[:3])
            origin = tuple(float(x) for x in img.affine[:3, 3])
            sp = spacing_mm or (zooms[0], zooms[1], zooms[2])
            return ImageVolume(arr, sp, (origin[0], origin[1], origin[2]), "nifti", quantity)
        if name.endswith(".npy"):
            arr = np.load(path, allow_pickle=False)
            if spacing_mm is None:
                raise fail(f"{path}: a .npy volume needs --spacing-mm X,Y,Z", 2)
            return ImageVolume(np.asarray(arr), spacing_mm, (0.0, 0.0, 0.0), "npy", quantity)
    except (ValueError, OSError) as exc:
        raise fail(f"{path}: cannot read volume ({exc}); accepted: 3-D .nii, .nii.gz or .npy", 2) from exc
    raise fail(f"{path}: unknown volume format; accepted: .nii, .nii.gz, .npy", 2)


def save_volume(path: Path, volume: Any, like: Path | None) -> None:
    """Write a volume as .npy or NIfTI (affine from ``like`` when it is NIfTI)."""
    import numpy as np

    if path.name.lower().endswith(".npy"):
        np.save(path, np.asarray(volume.array, dtype=np.float32))
        return
    import nibabel

    nib: Any = nibabel
    affine = np.diag([*volume.spacing_mm, 1.0])
    affine[:3, 3] = volume.origin_mm
    if like is not None and like.name.lower().endswith((".nii", ".nii.gz")):
        affine = nib.load(str(like)).affine
    nib.save(nib.Nifti1Image(np.asarray(volume.array, dtype=np.float32), affine), str(path))


dose_app = typer.Typer(help="Dosimetry: time-activity curves, single time point, voxel maps.",
                       no_args_is_help=True)

TAC_COLUMNS = ["region", "model", "n_points", "tia_MBq_h", "tia_sd_MBq_h", "tiac_h", "tiac_sd_h",
               "t_eff_h", "dose_method", "dose_Gy", "dose_sd_Gy", "dose_Gy_per_GBq", "g_factor",
               "bed_Gy", "bed_sd_Gy", "eqd2_Gy", "warnings"]


def _group(rows: list[dict[str, str]], path: Path, extra: tuple[str, ...] = (),
           administered_gbq: float | None = None) -> dict[str, Any]:
    groups = _group_rows(rows, path, extra)
    _check_plausible(rows, path, administered_gbq)
    return groups


def _check_plausible(rows: list[dict[str, str]], path: Path, administered_gbq: float | None) -> None:
    """Organ masses and the activity balance of every row (records.plausibility): hard
    findings refuse the file listing every row, soft ones are warned on stderr."""
    from lutetia.errors import TableProblem
    from lutetia.records.plausibility import region_findings

    problems = []
    for i, row in enumerate(rows, start=2):
        mass = row.get("mass_g") or None
        found = region_findings(row["region"], time_h=float(row["time_h"]), activity_mbq=float(row["activity_MBq"]),
                                mass_g=float(mass) if mass else None,
                                net_administered_mbq=None if administered_gbq is None else administered_gbq * 1000.0)
        for f in found:
            if f.severity == "hard":
                problems.append(f"{path}: row {i}: {f.text()}")
            else:
                typer.echo(f"warning: {path}: row {i}: {f.text()}", err=True)
    if problems:
        raise TableProblem(problems)


def _group_rows(rows: list[dict[str, str]], path: Path, extra: tuple[str, ...]) -> dict[str, Any]:
    groups: dict[str, dict[str, list[float]]] = {}
    for i, row in enumerate(rows, start=2):
        region = row.get("region", "")
        if not region:
            raise fail(f"{path}: row {i}, column 'region': empty; accepted: a region name", 2)
        g = groups.setdefault(region, {"t": [], "a": [], "mass": [], **{e: [] for e in extra}})
        g["t"].append(cell_required(row, "time_h", path, i, "hours after administration >= 0"))
        g["a"].append(cell_required(row, "activity_MBq", path, i, "MBq >= 0"))
        m = cell_float(row, "mass_g", path, i, "g > 0", required=False, positive=True)
        if m is not None:
            g["mass"].append(m)
        for e in extra:
            v = cell_float(row, e, path, i, "h > 0", required=False, positive=True)
            if v is not None:
                g[e].append(v)
    return groups


def _lq(region: str, alpha_beta: float | None, t_rep: float | None) -> tuple[float, float] | None:
    from lutetia.errors import RecordError
    from lutetia.physics.radiobiology import lq_parameters

    if alpha_beta is not None and t_rep is not None:
        return alpha_beta, t_rep
    try:
        p = lq_parameters(region)
    except RecordError:
        return None
    return (alpha_beta or p.alpha_beta_gy, t_rep or p.repair_half_time_h)


def _dose_row(region: str, tia: float, tia_sd: float, mass: float | None, adm_gbq: float | None,
              g: float | None, lq: tuple[float, float] | None,
              method: str = "auto", sigmas: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    from lutetia.errors import RecordError
    from lutetia.physics.mird import SOFT_TISSUE_DENSITY_G_CM3, organ_dose
    from lutetia.physics.radiobiology import bed
    from lutetia.physics.sphere import sphere_dose

    out: dict[str, Any] = {"tia_MBq_h": tia, "tia_sd_MBq_h": tia_sd}
    if adm_gbq:
        out["tiac_h"] = tia / (adm_gbq * 1000.0)
        out["tiac_sd_h"] = tia_sd / (adm_gbq * 1000.0)
    try:
        if method == "sphere":
            if mass is None:
                return out
            od = sphere_dose(tia, mass / SOFT_TISSUE_DENSITY_G_CM3, region, tia_sd, 0.0, *sigmas)
        else:
            od = organ_dose(tia, region, mass, tia_sd, method, 0.0, *sigmas)
    except RecordError:
        if method != "auto":
            raise
        return out
    out.update(dose_method=od.method, dose_Gy=od.dose_gy, dose_sd_Gy=od.dose_sd_gy)
    if adm_gbq:
        out["dose_Gy_per_GBq"] = od.per_gbq(adm_gbq)
    if g is not None and lq is not None:
        b = bed(od.dose_gy, g, lq[0], lq[1])
        slope = 1.0 + 2.0 * g * od.dose_gy / lq[0]
        out.update(g_factor=g, bed_Gy=b.bed_gy, bed_sd_Gy=slope * od.dose_sd_gy,
                   eqd2_Gy=b.eqd2_gy)
    return out


def _trapezoid_g(t: list[float], a: list[float], rate: float, t_rep: float) -> float:
    import numpy as np

    from lutetia.physics.radiobiology import g_factor_numeric

    order = np.argsort(t)
    tt = np.concatenate(([0.0], np.asarray(t)[order]))
    aa = np.concatenate(([0.0], np.asarray(a)[order]))
    dense = np.concatenate([np.linspace(tt[i], tt[i + 1], 200, endpoint=False)
                            for i in range(len(tt) - 1)])
    tail = tt[-1] + np.linspace(0.0, 30.0 / rate, 4000)
    grid = np.concatenate((dense, tail))
    curve = np.concatenate((np.interp(dense, tt, aa), aa[-1] * np.exp(-rate * (tail - tt[-1]))))
    return g_factor_numeric(grid, curve, t_rep)


@dose_app.command("tac")
def tac(
    path: Annotated[Path, typer.Argument(help="CSV: region,time_h,activity_MBq[,mass_g].")],
    administered_gbq: Annotated[float | None, typer.Option(help="Administered activity, GBq.")] = None,
    model: Annotated[str, typer.Option(help="auto|mono|mono_uptake|bi|bi_uptake|tri|trapezoid")] = "auto",
    tail: Annotated[str, typer.Option(help="Trapezoid tail: physical|fitted.")] = "physical",
    relative_sigma: Annotated[float, typer.Option(help="Relative standard uncertainty of each activity (fit weights and TIA uncertainty).")] = 0.1,
    dose_method: Annotated[str, typer.Option(help="auto (kidney S-value, else local deposition)|s_value|led|sphere")] = "auto",
    calibration_sigma: Annotated[float, typer.Option(help="Relative uncertainty of the camera calibration (added to the dose uncertainty).")] = 0.0,
    mass_sigma: Annotated[float, typer.Option(help="Relative uncertainty of the organ mass (added to the dose uncertainty).")] = 0.0,
    blood_region: Annotated[str | None, typer.Option(help="Region whose activity_MBq column is a blood concentration in MBq/mL: adds a red-marrow dose by the EANM 2010 blood method.")] = None,
    marrow_mass_g: Annotated[float | None, typer.Option(help="Patient red-marrow mass for --blood-region, g (default ICRP-89 adult male 1170 g).")] = None,
    alpha_beta: Annotated[float | None, typer.Option("--alpha-beta", help="α/β, Gy.")] = None,
    repair_half_time_h: Annotated[float | None, typer.Option(help="Repair half-time, h.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
) -> None:
    """Fit each region's time-activity curve; TIA, TIAC, dose, BED and EQD2 per region."""
    from lutetia.errors import LutetiaError
    from lutetia.physics.radiobiology import g_factor_sum_exp
    from lutetia.physics.tac import MODELS, fit_tac, select_model, trapezoid_tia

    accepted = ["auto", "trapezoid", *MODELS]
    if model not in accepted:
        raise fail(f"--model {model!r}; accepted: {', '.join(accepted)}", 2)
    _check_dose_method(dose_method)
    if not 0 < relative_sigma < 1:
        raise fail(f"--relative-sigma {relative_sigma}; accepted: 0 < value < 1", 2)
    groups = _group(read_csv(path, ["region", "time_h", "activity_MBq"]), path, administered_gbq=administered_gbq)
    results = []
    for region, g in groups.items():
        lq = _lq(region, alpha_beta, repair_half_time_h)
        mass = g["mass"][0] if g["mass"] else None
        sig = [relative_sigma * max(a, 1e-3 * max(g["a"])) for a in g["a"]]
        try:
            if model == "trapezoid":
                tr = trapezoid_tia(g["t"], g["a"], tail, sig)
                row = {"region": region, "model": f"trapezoid+{tail}", "n_points": len(g["t"]),
                       "t_eff_h": math.log(2) / tr.tail_rate_per_h, "warnings": ""}
                gf = _trapezoid_g(g["t"], g["a"], tr.tail_rate_per_h, lq[1]) if lq else None
                row.update(_dose_row(region, tr.tia, tr.tia_sd, mass, administered_gbq, gf, lq,
                                      dose_method, (calibration_sigma, mass_sigma)))
            else:
                fit = (select_model(g["t"], g["a"], sigma_mbq=sig)[0] if model == "auto"
                       else fit_tac(g["t"], g["a"], model, sig))
                row = {"region": region, "model": fit.model, "n_points": fit.n_points,
                       "t_eff_h": fit.terminal_half_life_h, "warnings": "; ".join(fit.warnings)}
                gf = g_factor_sum_exp(fit.coeffs, fit.rates, lq[1]) if lq else None
                row.update(_dose_row(region, fit.tia, fit.tia_sd, mass, administered_gbq, gf, lq,
                                      dose_method, (calibration_sigma, mass_sigma)))
        except LutetiaError as exc:
            raise fail(f"{path}: region {region!r}: {exc}", 2) from exc
        results.append(row)
    if blood_region is not None:
        results.append(_marrow_row(results, blood_region, marrow_mass_g, administered_gbq, path))
    _render(results, TAC_COLUMNS, as_json, f"TAC dosimetry: {path}", as_csv)


def _marrow_row(results: list[dict[str, Any]], blood_region: str, marrow_mass_g: float | None,
                adm_gbq: float | None, path: Path) -> dict[str, Any]:
    """Red-marrow self-dose from the blood region's TIA concentration (MBq·h/mL)."""
    from lutetia.physics.mird import red_marrow_dose_blood

    blood = next((r for r in results if r["region"] == blood_region), None)
    if blood is None:
        raise fail(f"{path}: --blood-region {blood_region!r} not in the file; accepted: "
                   f"{', '.join(str(r['region']) for r in results)}", 2)
    blood.update(dose_method="", dose_Gy=None, dose_sd_Gy=None, dose_Gy_per_GBq=None,
                 bed_Gy=None, bed_sd_Gy=None, eqd2_Gy=None, g_factor=None)
    od = red_marrow_dose_blood(blood["tia_MBq_h"], marrow_mass_g)
    rel = blood["tia_sd_MBq_h"] / blood["tia_MBq_h"] if blood["tia_MBq_h"] > 0 else 0.0
    row: dict[str, Any] = {"region": "red_marrow", "model": f"blood:{blood['model']}",
                           "n_points": blood["n_points"], "tia_MBq_h": od.dose_gy / od.gy_per_mbq_h,
                           "dose_method": od.method, "dose_Gy": od.dose_gy,
                           "dose_sd_Gy": od.dose_gy * rel, "warnings": "cross-dose neglected"}
    if adm_gbq:
        row["dose_Gy_per_GBq"] = od.dose_gy / adm_gbq
    return row


def _check_dose_method(method: str) -> None:
    if method not in ("auto", "s_value", "led", "sphere"):
        raise fail(f"--dose-method {method!r}; accepted: auto, s_value, led, sphere", 2)


def _render(rows: list[dict[str, Any]], columns: list[str], as_json: bool, title: str,
            as_csv: bool = False, key: str = "region") -> None:
    """JSON, CSV on stdout, or a table (one column per region when there are many fields)."""
    if as_json:
        emit_json(rows)
    elif as_csv:
        write_csv(None, rows, columns)
    elif len(columns) > 10 and rows:
        names = [str(r.get(key, i)) for i, r in enumerate(rows)]
        flipped = [{"field": c, **{n: r.get(c) for n, r in zip(names, rows, strict=True)}}
                   for c in columns if c != key]
        print_table(flipped, ["field", *names], title=title)
    else:
        print_table(rows, columns, title=title)


@dose_app.command("stp")
def stp(
    path: Annotated[Path, typer.Argument(help="CSV: region,time_h,activity_MBq[,mass_g,t_eff_h].")],
    method: Annotated[str, typer.Option(help="haenscheid|madsen")] = "haenscheid",
    t_eff_h: Annotated[float | None, typer.Option(help="Effective half-life for Madsen (population or own earlier cycle), h.")] = None,
    t_eff_from: Annotated[Path | None, typer.Option(help="Earlier cycle's multi-time-point TAC CSV: each region's fitted (AICc) terminal T_eff is used (FLEX-MRT pattern).")] = None,
    administered_gbq: Annotated[float | None, typer.Option(help="Administered activity, GBq.")] = None,
    alpha_beta: Annotated[float | None, typer.Option("--alpha-beta", help="α/β, Gy.")] = None,
    repair_half_time_h: Annotated[float | None, typer.Option(help="Repair half-time, h.")] = None,
    relative_sigma: Annotated[float, typer.Option(help="Relative uncertainty of A(t).")] = 0.1,
    dose_method: Annotated[str, typer.Option(help="auto (kidney S-value, else local deposition)|s_value|led|sphere")] = "auto",
    calibration_sigma: Annotated[float, typer.Option(help="Relative uncertainty of the camera calibration (added to the dose uncertainty).")] = 0.0,
    mass_sigma: Annotated[float, typer.Option(help="Relative uncertainty of the organ mass (added to the dose uncertainty).")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
) -> None:
    """Single-time-point TIA (Hänscheid or Madsen), dose and BED per region."""
    from lutetia.errors import LutetiaError
    from lutetia.physics.radiobiology import g_factor_mono
    from lutetia.physics.stp import haenscheid_tia, madsen_tia

    if method not in ("haenscheid", "madsen"):
        raise fail(f"--method {method!r}; accepted: haenscheid, madsen", 2)
    _check_dose_method(dose_method)
    groups = _group(read_csv(path, ["region", "time_h", "activity_MBq"]), path, ("t_eff_h",), administered_gbq)
    own: dict[str, float] = {}
    if t_eff_from is not None:
        from lutetia.physics.tac import select_model

        earlier = _group(read_csv(t_eff_from, ["region", "time_h", "activity_MBq"]), t_eff_from)
        for region, g in earlier.items():
            try:
                own[region] = select_model(g["t"], g["a"])[0].terminal_half_life_h
            except LutetiaError as exc:
                raise fail(f"{t_eff_from}: region {region!r}: {exc}", 2) from exc
    results = []
    for region, g in groups.items():
        if len(g["t"]) != 1:
            raise fail(f"{path}: region {region!r} has {len(g['t'])} rows; accepted: one time "
                       "point per region (use 'dose tac' for several)", 2)
        teff = g["t_eff_h"][0] if g["t_eff_h"] else own.get(region, t_eff_h)
        try:
            if method == "madsen":
                if teff is None:
                    raise fail(f"{path}: region {region!r}: Madsen needs --t-eff-h or a t_eff_h column", 2)
                s = madsen_tia(g["a"][0], g["t"][0], teff, relative_sigma)
            else:
                s = haenscheid_tia(g["a"][0], g["t"][0], relative_sigma)
            lq = _lq(region, alpha_beta, repair_half_time_h)
            gf = g_factor_mono(teff, lq[1]) if (lq and teff) else None
            row = {"region": region, "method": method, "time_h": g["t"][0], "t_eff_h": teff}
            row.update(_dose_row(region, s.tia, s.tia_sd, g["mass"][0] if g["mass"] else None,
                                 administered_gbq, gf, lq, dose_method,
                                 (calibration_sigma, mass_sigma)))
        except LutetiaError as exc:
            raise fail(f"{path}: region {region!r}: {exc}", 2) from exc
        results.append(row)
    cols = ["region", "method", "time_h", "t_eff_h", *TAC_COLUMNS[3:-1]]
    _render(results, cols, as_json, f"STP dosimetry: {path}", as_csv)


def _spacing(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 3 or any(p <= 0 for p in parts):
        raise fail(f"--spacing-mm {text!r}; accepted: three positive numbers X,Y,Z in mm", 2)
    return (parts[0], parts[1], parts[2])


@dose_app.command("voxel")
def voxel(
    tia: Annotated[Path | None, typer.Option(help="TIA map (MBq·h per voxel): .nii/.nii.gz/.npy.")] = None,
    activity: Annotated[list[Path] | None, typer.Option(help="Activity map (MBq per voxel), one per --time-h.")] = None,
    time_h: Annotated[list[float] | None, typer.Option(help="Scan time of each --activity map, h.")] = None,
    mask: Annotated[list[str] | None, typer.Option(help="NAME=FILE mask (non-zero = inside); repeatable.")] = None,
    scale_mask: Annotated[str | None, typer.Option(help="Region-scaled TIA: NAME of a --mask whose fitted TAC scales the last map (instead of voxel-wise fits).")] = None,
    spacing_mm: Annotated[str | None, typer.Option(help="Voxel size X,Y,Z in mm (needed for .npy).")] = None,
    method: Annotated[str, typer.Option(help="kernel|led")] = "kernel",
    photon_radius_mm: Annotated[float, typer.Option(help="Kernel: include the photon dose out to this radius, mm (0 = electrons only).")] = 0.0,
    out: Annotated[Path | None, typer.Option(help="Write the dose map (Gy) here (.nii.gz or .npy).")] = None,
    dvh: Annotated[Path | None, typer.Option(help="Write the cumulative DVH of every mask here (CSV).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
) -> None:
    """Voxel dose map from a TIA map (or activity maps → TIA map) and per-mask doses and DVHs."""
    import numpy as np

    from lutetia.errors import LutetiaError
    from lutetia.physics.voxel import dose_map, mask_dose, tia_map_region_scaled, tia_map_voxelwise

    sp = _spacing(spacing_mm)
    if method not in ("kernel", "led"):
        raise fail(f"--method {method!r}; accepted: kernel, led", 2)
    if (tia is None) == (not activity):
        raise fail("give either --tia FILE or --activity FILE --time-h H (repeated)", 2)
    _check_outputs(out, dvh)  # before the computation, not after it
    masks: dict[str, Any] = {}
    for item in mask or []:
        name, _, file = item.partition("=")
        if not name or not file:
            raise fail(f"--mask {item!r}; accepted: NAME=FILE", 2)
        masks[name] = np.asarray(load_volume(Path(file), sp, "mask").array) != 0
    if scale_mask is not None and (scale_mask not in masks or tia is not None):
        raise fail(f"--scale-mask {scale_mask!r}; accepted: the NAME of a --mask, with --activity maps", 2)
    try:
        if tia is not None:
            tia_vol = load_volume(tia, sp, "tia_MBq_h")
        else:
            assert activity is not None
            if not time_h or len(time_h) != len(activity):
                raise fail(f"{len(activity)} --activity map(s) but {len(time_h or [])} --time-h; "
                           "accepted: one time per map", 2)
            maps = [load_volume(p, sp, "activity_MBq") for p in activity]
            tia_vol = (tia_map_region_scaled(maps, time_h, masks[scale_mask]) if scale_mask
                       else tia_map_voxelwise(maps, time_h))
        for name, m in masks.items():
            if m.shape != tia_vol.array.shape:
                raise fail(f"mask {name!r}: shape {m.shape} differs from the map "
                           f"{tia_vol.array.shape}", 2)
        dose = dose_map(tia_vol, method, photon_radius_mm)
        rows, curves = [], []
        for name, m in masks.items():
            md = mask_dose(dose, m, name)
            rows.append({"mask": name, "voxels": md.voxels, "volume_mL": md.volume_ml,
                         "tia_MBq_h": float(np.asarray(tia_vol.array)[m].sum()),
                         "mean_Gy": md.mean_gy, "min_Gy": md.min_gy, "max_Gy": md.max_gy,
                         "D98_Gy": md.d98_gy, "D50_Gy": md.d50_gy, "D2_Gy": md.d2_gy})
            curves += [{"mask": name, "dose_Gy": float(d), "volume_fraction": float(v)}
                       for d, v in zip(md.dvh_dose_gy, md.dvh_volume_fraction, strict=True)]
    except LutetiaError as exc:
        raise fail(str(exc), 2) from exc
    if out is not None:
        save_volume(out, dose, tia or (activity[0] if activity else None))
    if dvh is not None:
        write_csv(dvh, curves, ["mask", "dose_Gy", "volume_fraction"])
    cols = ["mask", "voxels", "volume_mL", "tia_MBq_h", "mean_Gy", "min_Gy", "max_Gy",
            "D98_Gy", "D50_Gy", "D2_Gy"]
    _render(rows, cols, as_json, f"Voxel dose ({method}), spacing {tia_vol.spacing_mm} mm",
            as_csv, "mask")


def _check_outputs(out: Path | None, dvh: Path | None) -> None:
    """Refuse an unusable --out/--dvh path (format, folder, permission) up front."""
    from lutetia.cli.output import check_writable_file
    from lutetia.errors import UsageError

    if out is not None:
        if not out.name.lower().endswith((".npy", ".nii", ".nii.gz")):
            raise UsageError(f"--out {out}: unknown format; accepted: a file ending in .nii.gz, .nii or .npy")
        check_writable_file(out, "--out")
    if dvh is not None:
        check_writable_file(dvh, "--dvh")


def register(app: typer.Typer) -> None:
    """Add the ``dose`` sub-app."""
    app.add_typer(dose_app, name="dose")


__all__ = ["cell_float", "cell_required", "load_volume", "register", "save_volume", "write_csv"]
