"""Every shipped criteria file loads and validates; invalid files raise ProtocolError."""

from __future__ import annotations

import pytest

from lutetia.assess.criteria import SHIPPED, load_criteria, parse_criteria
from lutetia.assess.ctcae import ctcae_terms
from lutetia.errors import ProtocolError


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_loads_with_header_and_rules(name: str) -> None:
    crit = load_criteria(name)
    assert crit.meta.id == name
    assert crit.meta.status in ("verified", "secondary", "to verify", "project")
    assert crit.meta.verification
    assert crit.rules
    for rule in crit.rules:
        assert rule.text.strip() and rule.citation.strip()


def test_ctcae_v5_edition_and_terms() -> None:
    assert load_criteria("ctcae_v5").meta.version == "5.0"
    names = {t.term for t in ctcae_terms("5.0")}
    assert names == {
        "Anemia", "Platelet count decreased", "Neutrophil count decreased", "White blood cell decreased",
        "Lymphocyte count decreased", "Creatinine increased", "Chronic kidney disease",
        "Blood bilirubin increased", "Alanine aminotransferase increased",
        "Aspartate aminotransferase increased", "Alkaline phosphatase increased",
        "Hypokalemia", "Hyperkalemia", "Hyponatremia", "Hypernatremia",
        "Hypocalcemia", "Hypercalcemia", "Hypomagnesemia", "Hypermagnesemia",
    }
    for t in ctcae_terms():
        assert all(g.grade in (1, 2, 3, 4) for g in t.grades)  # grade 5 is never computed


def test_unknown_ctcae_version_is_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="5.0"):
        ctcae_terms("4.03")


@pytest.mark.parametrize(
    "text",
    [
        "not toml = = =",
        "[meta]\nid='x'\n",  # missing fields
        "rules = []\n[meta]\nid='x'\ntitle='t'\nversion='1'\nsource='s'\nstatus='maybe'\nverification='v'\n",
        "[meta]\nid='x'\ntitle='t'\nversion='1'\nsource='s'\nstatus='verified'\nverification='v'\n"
        "[[rules]]\nid='a'\ntext='t'\ncitation='c'\nstatus='verified'\n"
        "[[rules]]\nid='a'\ntext='t'\ncitation='c'\nstatus='verified'\n",  # duplicate id
        "[meta]\nid='x'\ntitle='t'\nversion='1'\nsource='s'\nstatus='verified'\nverification='v'\n"
        "[[rules]]\nid='a'\ntext='t'\ncitation='c'\nstatus='verified'\ncode='eval(1)'\n",  # unknown key
    ],
)
def test_invalid_criteria_text_is_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_criteria(text, "bad.toml")


def test_missing_file_and_rule_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="shipped"):
        load_criteria("no_such_file")
    with pytest.raises(ProtocolError, match="no rule"):
        load_criteria("pcwg3").rule("nope")
