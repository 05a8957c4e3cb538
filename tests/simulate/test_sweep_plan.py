"""The design-sweep planner: grid files, validation against the protocol, chunk seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lutetia.errors import ProtocolError
from lutetia.protocols import load_protocol, protocol_ids
from lutetia.simulate.rules import arm_rules
from lutetia.simulate.sweep_plan import (
    SWEEPABLE,
    apply_overrides,
    chunk_sizes,
    parse_grid,
    plan_sweep,
    sweepable,
)

GRID = """
protocol = "prodigy-2"
[parameters]
"personalised.activity.kidney_limit" = [30, 40, 50]
"personalised.activity.a_max" = [10.4, 12.0]
"""


def test_grid_is_the_full_factorial_in_file_order() -> None:
    pid, grid = parse_grid(GRID, "grid.toml")
    assert pid == "prodigy-2"
    plan = plan_sweep(load_protocol("prodigy-2"), grid, n=10, seeds=[1, 2], chunk_size=4, source="grid.toml")
    assert plan.keys == ("personalised.activity.kidney_limit", "personalised.activity.a_max")
    # 3 × 2 points, written out by hand
    assert [dict(p.overrides) for p in plan.points] == [
        {"personalised.activity.kidney_limit": k, "personalised.activity.a_max": a}
        for k in (30.0, 40.0, 50.0) for a in (10.4, 12.0)]
    # 6 points × 2 seeds × 3 chunks (4 + 4 + 2 patients)
    assert len(plan.tasks) == 36
    assert [t.n for t in plan.tasks[:3]] == [4, 4, 2]
    assert {(t.point, t.seed, t.chunk) for t in plan.tasks} == {
        (p, s, c) for p in range(6) for s in (1, 2) for c in range(3)}


def test_chunk_sizes_by_hand() -> None:
    assert chunk_sizes(10, 4) == [4, 4, 2]
    assert chunk_sizes(8, 4) == [4, 4]
    assert chunk_sizes(3, 5000) == [3]
    with pytest.raises(ValueError, match="at least 1"):
        chunk_sizes(0, 4)


def test_chunk_seed_is_numpys_spawned_child() -> None:
    """Chunk j of seed s is numpy's SeedSequence(s).spawn(k)[j], for any k (numpy's definition)."""
    plan = plan_sweep(load_protocol("prodigy-2"), {"fixed.cycles.max": [6]}, n=30, seeds=[7], chunk_size=10)
    for k in (3, 5):
        children = np.random.SeedSequence(7).spawn(k)
        for task in plan.tasks:
            assert np.array_equal(task.seed_sequence().generate_state(4), children[task.chunk].generate_state(4))


def _new_value(name: str, current: float) -> float:
    if name in ("cycles.max", "reduction.max_reductions"):
        return current + 1
    if name == "holiday.confirm_days":
        return current + 7
    if name == "activity.a_min":
        return round(current * 0.9, 3)
    if name.endswith("_pct") or name == "reduction.pct":
        return current / 2
    return round(current * 1.25, 3)


@pytest.mark.parametrize("protocol_id", protocol_ids())
def test_every_sweepable_parameter_reaches_the_models_rules(protocol_id: str) -> None:
    """A swept value is what the vectorised rules read (no parameter that changes nothing)."""
    proto = load_protocol(protocol_id)
    for key, (current, _unit) in sweepable(proto).items():
        arm, _, name = key.partition(".")
        value = _new_value(name, current)
        rules = arm_rules(apply_overrides(proto, [(key, value)]), arm)
        assert getattr(rules, SWEEPABLE[name].rules_field) == pytest.approx(value), key
        assert getattr(arm_rules(proto, arm), SWEEPABLE[name].rules_field) == pytest.approx(current), key


def test_the_loaded_protocol_is_not_changed() -> None:
    proto = load_protocol("flex-mrt")
    apply_overrides(proto, [("flexible.holiday.psa_decline_pct", 50.0)])
    assert arm_rules(proto, "flexible").holiday_psa_decline_pct == 90.0
    assert arm_rules(load_protocol("flex-mrt"), "flexible").holiday_psa_decline_pct == 90.0


def test_flex_mrt_exposes_holiday_thresholds_only_on_the_flexible_arm() -> None:
    keys = set(sweepable(load_protocol("flex-mrt")))
    assert {"flexible.holiday.psa_decline_pct", "flexible.holiday.spect_decline_pct",
            "flexible.holiday.confirm_days", "flexible.kidney_cap.limit", "control.kidney_cap.limit"} <= keys
    assert not any(k.startswith("control.holiday") for k in keys)
    assert "fixed.activity.kidney_limit" not in sweepable(load_protocol("prodigy-2"))


@pytest.mark.parametrize(("text", "words"), [
    ("[parameters\n", ["grid.toml", "not valid TOML"]),
    ("protokol = 'x'\n[parameters]\n'fixed.cycles.max' = [6]", ["grid.toml", "protokol", "accepted"]),
    ("protocol = 'prodigy-2'\n", ["grid.toml", "[parameters]"]),
    ("[parameters]\n'fixed.cycles.max' = 6", ["grid.toml", "'fixed.cycles.max'", "6", "non-empty list of numbers"]),
    ("[parameters]\n'fixed.cycles.max' = []", ["grid.toml", "non-empty list"]),
    ("[parameters]\n'fixed.cycles.max' = [6, 6]", ["grid.toml", "repeated"]),
    ("[parameters]\nfixed.cycles.max = [6]", ["grid.toml", "'fixed'", "quotes"]),
])
def test_malformed_grid_files_are_refused(text: str, words: list[str]) -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_grid(text, "grid.toml")
    for w in words:
        assert w in str(exc.value)


@pytest.mark.parametrize(("key", "values", "words"), [
    ("personalised.activity.kidney_limt", [30], ["g.toml", "kidney_limt", "unknown parameter",
                                                   "personalised.activity.kidney_limit"]),
    ("placebo.cycles.max", [4], ["g.toml", "no arm 'placebo'", "accepted keys"]),
    ("fixed.activity.kidney_limit", [30], ["g.toml", "arm 'fixed' has no 'activity.kidney_limit'"]),
    ("personalised.activity.kidney_limit", [30, -5], ["g.toml", "value -5", "> 0 (Gy_BED)"]),
    ("fixed.cycles.max", [2.5], ["g.toml", "'fixed.cycles.max' value 2.5", "an integer >= 1"]),
    ("fixed.reduction.pct", [100], ["g.toml", "value 100", "< 100 (%)"]),
    ("personalised.activity.a_min", [7.4, 11.0], ["g.toml", "schema refuses", "a_min = 11",
                                                   "a_min must not exceed a_max"]),
])
def test_bad_grid_values_name_file_key_value_and_what_is_accepted(key: str, values: list[float],
                                                                   words: list[str]) -> None:
    with pytest.raises(ProtocolError) as exc:
        plan_sweep(load_protocol("prodigy-2"), {key: [float(v) for v in values]}, n=10, seeds=[1], source="g.toml")
    for w in words:
        assert w in str(exc.value)


def test_holiday_percentages_up_to_100_inclusive() -> None:
    proto = load_protocol("flex-mrt")
    plan = plan_sweep(proto, {"flexible.holiday.psa_decline_pct": [50.0, 100.0]}, n=4, seeds=[1])
    assert len(plan.points) == 2
    with pytest.raises(ProtocolError, match=r"<= 100 \(%\)"):
        plan_sweep(proto, {"flexible.holiday.psa_decline_pct": [100.5]}, n=4, seeds=[1])


def test_seeds_must_be_distinct_and_non_negative() -> None:
    with pytest.raises(ValueError, match="distinct non-negative"):
        plan_sweep(load_protocol("prodigy-2"), {"fixed.cycles.max": [6]}, n=4, seeds=[1, 1])
    assert not math.isnan(sweepable(load_protocol("prodigy-2"))["fixed.cycles.max"][0])
