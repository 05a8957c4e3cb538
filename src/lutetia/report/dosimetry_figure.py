"""Per-patient image-dosimetry figure for the cycle report: a coronal maximum-intensity
projection of the first SPECT time point with the VOI outlines, and the time-activity points
of every VOI with the fitted curve (as the core fitted it, :meth:`VoiResult.fitted_activity`).

Renders only: every number (activities, fitted coefficients) comes from
:mod:`lutetia.physics.voi`; the projection is a display operation. The figure file name of a
patient's cycle is :func:`figure_path`, where the cycle report looks for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from lutetia.physics.voi import VoiResult
from lutetia.physics.volume import ImageVolume
from lutetia.report.figures import COLOURS, save


def figure_path(folder: Path, patient_id: str, cycle: int) -> Path:
    """``folder/<patient>/cycle-<N>-dosimetry.png``: where ``dose images --figures`` writes
    and the cycle report (``analyze --figures``) reads."""
    return Path(folder) / patient_id / f"cycle-{cycle}-dosimetry.png"


def dosimetry_figure(activity: ImageVolume, masks: Mapping[str, NDArray[np.bool_]],
                     rows: Sequence[VoiResult], *, title: str = "",
                     tumour: NDArray[np.bool_] | None = None, tumour_label: str = "") -> Figure:
    """Coronal MIP (patient's right on the viewer's left, head up) with VOI outlines (and the
    threshold tumour volume dashed), and the TACs (points and fitted curves, log scale)."""
    fig = Figure(figsize=(11.0, 5.2))
    ax_img = fig.add_axes((0.03, 0.1, 0.38, 0.8))
    ax_tac = fig.add_axes((0.52, 0.12, 0.45, 0.76))
    sx, sy, sz = activity.spacing_mm
    nx, _, nz = activity.array.shape
    ox, _, oz = activity.origin_mm
    extent = (ox - sx / 2, ox + (nx - 0.5) * sx, oz - sz / 2, oz + (nz - 0.5) * sz)
    conc = np.asarray(activity.array, dtype=np.float64) / activity.voxel_volume_ml  # MBq/mL
    mip = conc.max(axis=1).T  # rows = z, columns = x
    ax_img.imshow(mip, cmap="gray_r", origin="lower", extent=extent, aspect="equal",
                  interpolation="nearest")
    xs = ox + np.arange(nx) * sx
    zs = oz + np.arange(nz) * sz
    colours = {r.name: COLOURS[i % len(COLOURS)] for i, r in enumerate(rows)}
    for name, mask in masks.items():
        ax_img.contour(xs, zs, mask.any(axis=1).T.astype(float), levels=[0.5],
                       colors=[colours.get(name, "k")], linewidths=1.2)
    if tumour is not None and tumour.any():
        ax_img.contour(xs, zs, tumour.any(axis=1).T.astype(float), levels=[0.5], colors=["k"],
                       linewidths=1.0, linestyles="dashed")
        ax_img.text(0.02, 0.02, f"-- {tumour_label or 'tumour volume'}", color="k", fontsize=8,
                    transform=ax_img.transAxes)
    ax_img.set_title(f"coronal MIP, {rows[0].times_h[0]:.0f} h" if rows else "coronal MIP",
                     fontsize=10)
    ax_img.set_xlabel("x (mm, patient left →)")
    ax_img.set_ylabel("z (mm, superior ↑)")
    t_end = max(max(r.times_h) for r in rows) * 1.15 if rows else 1.0
    grid = np.linspace(0.0, t_end, 200)
    for r in rows:
        c = colours[r.name]
        ax_tac.plot(r.times_h, r.activity_mbq, "o", color=c)
        curve = r.fitted_activity(grid)
        label = f"{r.name}: {r.tia_method}, Ã {r.tia_mbq_h:.0f} MBq·h, {r.dose_gy:.2f} Gy"
        if curve is not None:
            ax_tac.plot(grid, curve, "-", color=c, label=label)
        else:
            ax_tac.plot([], [], "o", color=c, label=label)
    ax_tac.set_yscale("log")
    ax_tac.set_xlabel("time after administration (h)")
    ax_tac.set_ylabel("activity in VOI (MBq, recovery-corrected)")
    ax_tac.legend(fontsize=8, loc="lower left")
    ax_tac.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def write_dosimetry_figure(path: Path, activity: ImageVolume,
                           masks: Mapping[str, NDArray[np.bool_]], rows: Sequence[VoiResult],
                           *, title: str = "", tumour: NDArray[np.bool_] | None = None,
                           tumour_label: str = "") -> Path:
    """Render and write the figure as PNG (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = dosimetry_figure(activity, masks, rows, title=title, tumour=tumour,
                           tumour_label=tumour_label)
    return save(fig, path, dpi=100)
