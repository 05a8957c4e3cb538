"""Malformed protocol data is rejected with a message naming file, rule, field and accepted values."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lutetia.errors import ProtocolError
from lutetia.protocols import load_protocol, parse_text, validate_raw
from lutetia.protocols.conditions import Condition, describe

FILE = "broken.toml"


def _minimal() -> dict[str, Any]:
    return {
        "id": "test-protocol",
        "title": "Test",
        "version": "1",
        "status": "to verify",
        "source": {"document": "unit test"},
        "criteria": [{
            "id": "t.inc.hb", "kind": "inclusion", "text": "Hemoglobin ≥ 10 g/dL",
            "citation": "test", "rule": {"fact": "haemoglobin_g_l", "op": ">=", "value": 10, "unit": "g/dL"},
        }],
        "arms": [{"id": "a", "title": "A", "treatment": {
            "activity": {"id": "t.act", "text": "x", "citation": "c", "mode": "fixed",
                         "nominal": {"value": 200, "unit": "mCi"}},
            "interval": {"id": "t.int", "text": "x", "citation": "c", "weeks": 6},
            "cycles": {"id": "t.cyc", "text": "x", "citation": "c", "max": 6},
        }}],
    }


def _error(data: dict[str, Any], parents: dict[str, tuple[str, dict[str, Any]]] | None = None) -> str:
    with pytest.raises(ProtocolError) as info:
        validate_raw(data, FILE, parents=parents or {})
    return str(info.value)


def test_minimal_is_valid_and_converted() -> None:
    p = validate_raw(_minimal(), FILE, parents={})
    assert p.criteria[0].rule is not None and p.criteria[0].rule.value == pytest.approx(100)
    # 200 mCi = 200 x 3.7e10 Bq = 7.4 GBq (definition of the curie).
    assert p.arms[0].treatment.activity.nominal is not None
    assert p.arms[0].treatment.activity.nominal.value == pytest.approx(7.4)


def test_unknown_fact_names_file_rule_field_and_accepted_values() -> None:
    data = _minimal()
    data["criteria"][0]["rule"]["fact"] = "haemoglobin"
    msg = _error(data)
    assert FILE in msg and "t.inc.hb" in msg and "criteria.0.rule.fact" in msg
    assert "'haemoglobin'" in msg and "haemoglobin_g_l" in msg and "platelets_giga_per_l" in msg


def test_unknown_comparator_lists_accepted() -> None:
    data = _minimal()
    data["criteria"][0]["rule"]["op"] = "=>"
    msg = _error(data)
    assert "t.inc.hb" in msg and "'>='" in msg and "'is_true'" in msg


@pytest.mark.parametrize(("unit", "fragment"), [("mL/min", "haemoglobin_g_l"), ("bogons", "unknown unit")])
def test_wrong_or_unknown_unit(unit: str, fragment: str) -> None:
    data = _minimal()
    data["criteria"][0]["rule"]["unit"] = unit
    msg = _error(data)
    assert fragment in msg and "t.inc.hb" in msg


@pytest.mark.parametrize(("rule", "fragment"), [
    ({"fact": "gilbert_syndrome", "op": "is_true", "value": 1}, "take no value"),
    ({"fact": "gilbert_syndrome", "op": ">=", "value": 1}, "is_true"),
    ({"fact": "ecog", "op": "is_true"}, "only applies to yes/no"),
    ({"fact": "ecog", "op": "in", "value": 2}, "needs a list"),
    ({"fact": "ecog", "op": "<="}, "needs a value"),
    ({"fact": "sex", "op": "==", "value": "m"}, "accepted: ['male', 'female']"),
    ({"fact": "ctcae_grade", "op": ">=", "value": 3}, "needs 'terms' or 'soc'"),
    ({"fact": "ecog", "op": "<=", "value": 2, "terms": ["Anemia"]}, "only apply to"),
    ({"fact": "ecog", "op": "<=", "value": 2, "interval_days_min": 7}, "interval_days_min"),
    ({"fact": "ecog", "op": "<=", "value": 2, "any_of": [{"fact": "ecog", "op": "<", "value": 1}]},
     "either a leaf"),
    ({"any_of": []}, "at least one"),
    ({"op": "<="}, "needs 'fact' and 'op'"),
    ({"fact": "ecog", "op": "<=", "value": 2, "windw": {"anchor": "screening"}}, "Extra inputs"),
    ({"fact": "ecog", "op": "<=", "value": 2, "window": {"anchor": "lunch"}}, "'treatment_start'"),
    ({"fact": "ecog", "op": "<=", "value": 2, "window": {"anchor": "screening", "before": 2,
                                                          "unit": "GBq"}}, "not a time unit"),
    ({"fact": "anc_giga_per_l", "op": ">=", "value": "high"}, "needs a number"),
])
def test_malformed_conditions(rule: dict[str, Any], fragment: str) -> None:
    data = _minimal()
    data["criteria"][0]["rule"] = rule
    msg = _error(data)
    assert fragment in msg and "t.inc.hb" in msg, msg


def test_judgement_and_rule_are_exclusive() -> None:
    data = _minimal()
    data["criteria"][0]["judgement"] = True
    assert "recorded answer" in _error(data)
    del data["criteria"][0]["rule"]
    data["criteria"][0]["judgement"] = False
    assert "needs a 'rule'" in _error(data)


def test_duplicate_rule_ids() -> None:
    data = _minimal()
    data["criteria"].append(copy.deepcopy(data["criteria"][0]))
    assert "used twice" in _error(data)


def test_status_and_kind_are_closed_vocabularies() -> None:
    data = _minimal()
    data["criteria"][0]["kind"] = "optional"
    assert "'inclusion', 'exclusion' or 'flag'" in _error(data)
    data = _minimal()
    data["criteria"][0]["status"] = "probably"
    assert "'project default'" in _error(data)


def test_activity_rules() -> None:
    data = _minimal()
    data["arms"][0]["treatment"]["activity"] = {"id": "t.act", "text": "x", "citation": "c",
                                                "mode": "personalised", "kidney_quantity": "bed"}
    msg = _error(data)
    assert "t.act" in msg and "kidney_limit" in msg and "a_max" in msg
    data["arms"][0]["treatment"]["activity"].update(
        nominal={"value": 7.4, "unit": "GBq"}, a_min={"value": 7.4, "unit": "GBq"},
        a_max={"value": 10, "unit": "GBq"}, kidney_limit={"value": 23, "unit": "Gy"})
    assert "Gy_BED" in _error(data)  # a BED limit cannot be written in Gy
    data["arms"][0]["treatment"]["activity"]["kidney_limit"] = {"value": 40, "unit": "Gy_BED"}
    p = validate_raw(data, FILE, parents={})
    assert p.arms[0].treatment.activity.kidney_limit is not None
    data["arms"][0]["treatment"]["activity"]["a_min"] = {"value": 11, "unit": "GBq"}
    assert "a_min must not exceed a_max" in _error(data)


def test_inheritance_errors_and_resolution() -> None:
    data = _minimal()
    data["inherits"] = "nowhere"
    msg = _error(data)
    assert "'inherits'" in msg and "nowhere" in msg
    parent = _minimal()
    parent["id"] = "parent"
    parent["modifications"] = [{
        "id": "p.mod", "family": "fatigue", "text": "x", "citation": "c",
        "trigger": {"fact": "ctcae_grade", "terms": ["Fatigue"], "op": ">=", "value": 3},
        "action": {"withhold": True}}]
    child = {k: v for k, v in _minimal().items() if k != "arms"}
    child.update(id="child", inherits="parent", criteria=[], drop=["t.inc.hb"])
    p = validate_raw(child, FILE, parents={"parent": ("parent.toml", parent)})
    assert [m.id for m in p.modifications] == ["p.mod"] and p.modifications[0].defined_in == "parent"
    assert p.criteria == [] and p.arms[0].treatment.cycles.max == 6


def test_action_needs_an_effect() -> None:
    data = _minimal()
    data["modifications"] = [{"id": "m", "family": "f", "text": "x", "citation": "c",
                              "trigger": {"fact": "ecog", "op": ">", "value": 2}, "action": {}}]
    assert "withhold, reduce or discontinue" in _error(data)


def test_toml_syntax_error_names_file() -> None:
    with pytest.raises(ProtocolError, match=r"broken\.toml: not valid TOML"):
        parse_text("id = \n", FILE)


def test_unknown_protocol_lists_known() -> None:
    with pytest.raises(ProtocolError, match="known: ecog3-registry, flex-mrt"):
        load_protocol("vision")


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (1.5, "10^9/L", 1.5), (1500, "/uL", 1.5), (1.5, "G/L", 1.5),
])
def test_cell_count_units_convert(value: float, unit: str, expected: float) -> None:
    # 1500 per µL = 1.5e9 per L (1 L = 1e6 µL).
    c = Condition.model_validate({"fact": "anc_giga_per_l", "op": ">=", "value": value, "unit": unit})
    assert c.value == pytest.approx(expected)


def test_describe_is_readable() -> None:
    c = Condition.model_validate({
        "fact": "bilirubin_x_uln", "op": "<=", "value": 2, "unit": "x_ULN",
        "alternatives": [{"value": 3, "when": {"fact": "gilbert_syndrome", "op": "is_true"}}]})
    assert describe(c) == "bilirubin_x_uln <= 2 x_ULN [threshold 3 when gilbert_syndrome is true]"


def test_integer_facts_take_whole_numbers() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        Condition.model_validate({"fact": "ecog", "op": "<=", "value": 2.5})


def test_loaded_protocols_are_independent_copies() -> None:
    first = load_protocol("realup")
    first.criteria.clear()
    assert load_protocol("realup").criteria


@given(st.floats(min_value=0.1, max_value=25, allow_nan=False))
def test_haemoglobin_threshold_g_dl_to_g_l(g_dl: float) -> None:
    # 1 g/dL = 10 g/L by the definition of the decilitre.
    c = Condition.model_validate({"fact": "haemoglobin_g_l", "op": ">=", "value": g_dl, "unit": "g/dL"})
    assert c.value == pytest.approx(10 * g_dl, rel=1e-9)


@given(st.floats(min_value=1, max_value=1000, allow_nan=False))
def test_window_weeks_to_days(weeks: float) -> None:
    c = Condition.model_validate({"fact": "psma_pet_vision_positive", "op": "is_true",
                                  "window": {"anchor": "treatment_start", "before": weeks, "unit": "week"}})
    assert c.window is not None and c.window.before == pytest.approx(7 * weeks)
