"""Figures: structure (axes, lines, bars, texts), not pixels; each is also rendered to PNG."""

from __future__ import annotations

from pathlib import Path

import pytest
from lifelines.datasets import load_waltons

from lutetia.analysis.survival import kaplan_meier
from lutetia.report.figures import (
    SwimmerLane,
    kidney_bed_figure,
    km_figure,
    psa_waterfall,
    save,
    swimmer_plot,
    toxicity_shift_bars,
)


def test_km_figure_curves_and_at_risk_table(tmp_path: Path) -> None:
    w = load_waltons()
    curves = [kaplan_meier(g["T"], g["E"], label=str(name)) for name, g in w.groupby("group")]
    fig = km_figure(curves, at_risk_times=[0, 20, 40, 60], title="waltons")
    ax, table = fig.axes
    steps = [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert len(steps) == 2
    assert list(steps[0].get_ydata())[0] == 1.0
    texts = [t.get_text() for t in table.texts]
    assert texts[0] == str(curves[0].n) and len(texts) == 8
    assert save(fig, tmp_path / "km.png").stat().st_size > 10_000
    with pytest.raises(ValueError):
        save(fig, tmp_path / "km.jpg")


def test_waterfall_sorted_and_capped(tmp_path: Path) -> None:
    fig = psa_waterfall({"A": -80.0, "B": 250.0, "C": 10.0})
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [100.0, 10.0, -80.0]
    assert any(t.get_text() == "250" for t in ax.texts)
    save(fig, tmp_path / "waterfall.png")


def test_swimmer_lanes(tmp_path: Path) -> None:
    lanes = [SwimmerLane("P1", 30, [0, 6, 12], [(14, 20)], [(25, "PSA progression")], ongoing=True),
             SwimmerLane("P2", 10, [0], (), [(9, "death")])]
    fig = swimmer_plot(lanes)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P2", "P1"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["cycle", "holiday", "death", "PSA progression"]  # lanes drawn shortest first
    save(fig, tmp_path / "swimmer.svg")


def test_shift_bars_categories(tmp_path: Path) -> None:
    fig = toxicity_shift_bars({"Anaemia": {(1, 2): 3, (2, 2): 11, (2, 1): 4}, "Platelets": {(0, 3): 1}})
    ax = fig.axes[0]
    assert len(ax.patches) == 8  # 4 categories × 2 parameters
    assert sorted(t.get_text() for t in ax.texts) == ["1", "11", "3", "4"]
    save(fig, tmp_path / "shift.png")


def test_kidney_bed_limit_line(tmp_path: Path) -> None:
    fig = kidney_bed_figure({"P1": [10.0, 21.0, 42.0], "P2": [8.0, 16.0]}, limit_gy=40.0)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert list(lines[0].get_ydata()) == [10.0, 21.0, 42.0]
    assert list(lines[-1].get_ydata()) == [40.0, 40.0]
    assert "(over limit)" in ax.get_legend().get_texts()[0].get_text()
    save(fig, tmp_path / "bed.png")


def test_nice_times_for_at_risk_table() -> None:
    from lutetia.report.figures import nice_times

    assert nice_times(1022) == [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
    assert nice_times(0) == [0.0]
