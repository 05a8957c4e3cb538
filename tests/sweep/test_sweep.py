"""``lutetia sweep``: Dask LocalCluster == serial, exactly; outputs; bad grids refused."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.protocols import load_protocol
from lutetia.simulate.sweep_plan import plan_sweep
from lutetia.simulate.sweep_run import merge_chunks, run_chunk, tidy_rows
from lutetia.sweep.execute import dask_client, run_serial, run_sweep

runner = CliRunner()


def _plan():  # type: ignore[no-untyped-def]
    return plan_sweep(load_protocol("prodigy-2"), {"personalised.activity.kidney_limit": [30.0, 50.0]}, n=40,
                      seeds=[1], chunk_size=20)


def test_local_cluster_of_two_workers_equals_the_serial_run() -> None:
    plan = _plan()
    serial = tidy_rows(plan, merge_chunks(run_serial(plan.tasks)))
    with dask_client(workers=2, processes=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        # as `--scheduler ADDRESS` does: another client of the running scheduler
        trials = run_sweep(plan, scheduler=client.scheduler.address)
    distributed = tidy_rows(plan, trials)
    assert len(plan.tasks) == 4
    assert len(serial) == 2 * 1 * 2 * 11  # points × seeds × arms × endpoints
    assert repr(distributed) == repr(serial)  # exactly (repr: NaN == NaN, every bit of every float)


def test_tasks_and_chunk_results_survive_pickling() -> None:
    """What a process worker receives and sends back (Dask pickles both)."""
    task = _plan().tasks[0]
    assert pickle.loads(pickle.dumps(task)) == task
    chunk = run_chunk(task)
    back = pickle.loads(pickle.dumps(chunk))
    assert repr(back) == repr(chunk)


GRID = '[parameters]\n"personalised.activity.kidney_limit" = [30, 50]\n"personalised.activity.a_max" = [12]\n'


def test_cli_writes_table_summary_plan_and_figure(tmp_path: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", "--protocol", "prodigy-2", "--grid", str(grid), "--n", "20", "--seeds", "2",
                              "--chunk-size", "20", "--serial", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out / "sweep.parquet")
    rows = table.to_pylist()
    assert len(rows) == 2 * 2 * 2 * 11  # points × seeds × arms × endpoints
    assert {r["seed"] for r in rows} == {1, 2}
    assert {"personalised.activity.kidney_limit", "personalised.activity.a_max", "arm", "endpoint", "value",
            "unit"} <= set(table.column_names)
    assert pcsv.read_csv(out / "sweep.csv").num_rows == len(rows)
    assert pcsv.read_csv(out / "sweep_over_seeds.csv").num_rows == 2 * 2 * 11
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["chunk_size"] == 20 and meta["units"]["personalised.activity.kidney_limit"] == "Gy_BED"
    assert json.loads(table.schema.metadata[b"lutetia.sweep"])["seeds"] == [1, 2]
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize(("grid", "words"), [
    ('[parameters]\n"personalised.activity.kidney_limit" = [30, -1]\n',
     ["grid.toml", "'personalised.activity.kidney_limit' value -1", "accepted: a number > 0 (Gy_BED)"]),
    ('[parameters]\n"personalised.activity.kidny_limit" = [30]\n',
     ["grid.toml", "kidny_limit", "accepted keys", "personalised.activity.kidney_limit"]),
    ('protocol = "flex-mrt"\n[parameters]\n"fixed.cycles.max" = [4]\n', ["grid.toml", "'flex-mrt'", "prodigy-2"]),
])
def test_cli_refuses_a_bad_grid_naming_file_key_value_accepted(tmp_path: Path, grid: str, words: list[str]) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(grid)
    res = runner.invoke(app, ["sweep", "--protocol", "prodigy-2", "--grid", str(path), "--n", "10", "--serial",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    for w in words:
        assert w in res.output
    assert not (tmp_path / "out").exists()


def test_cli_lists_the_sweepable_parameters() -> None:
    res = runner.invoke(app, ["sweep", "--protocol", "flex-mrt", "--list-parameters"])
    assert res.exit_code == 0, res.output
    assert "flexible.holiday.psa_decline_pct" in res.output and "90" in res.output


def test_cli_refuses_an_output_path_that_is_a_file_before_running(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    out = tmp_path / "taken"
    out.write_text("not a folder")
    res = runner.invoke(app, ["sweep", "--protocol", "prodigy-2", "--grid", str(grid), "--serial", "--out", str(out)])
    assert res.exit_code == 2
    assert "--out" in res.output and "not a folder" in res.output
    assert out.read_text() == "not a folder"
