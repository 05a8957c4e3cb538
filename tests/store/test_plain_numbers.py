"""``plain_numbers`` (a column at once, for ``lutetia km`` on millions of rows) against the one
scalar rule ``plain_number``, value for value; the expected accept/refuse of each hand-picked
text is written out by hand from the rule's documentation (ASCII digits, sign, point, exponent)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lutetia.store.interchange_checks import plain_number, plain_numbers

ACCEPTED = ["0", "-0", "+1.5", ".5", "5.", "1e3", "1E-3", " 7 ", "12.25", "1e999"]
REFUSED = ["", "ten", "1_000", "inf", "nan", "١٢", "1,5", "1e", "--1", "0x10", "1.2.3"]


def test_hand_picked_texts() -> None:
    assert plain_numbers(ACCEPTED) == [plain_number(t) for t in ACCEPTED] == \
        [0.0, -0.0, 1.5, 0.5, 5.0, 1000.0, 0.001, 7.0, 12.25, float("inf")]
    for bad in REFUSED:
        assert plain_number(bad) is None
        assert plain_numbers(["1", bad, "2"]) is None
    assert plain_numbers([]) == []


@given(st.lists(st.one_of(st.floats(allow_nan=False).map(repr), st.integers().map(str), st.text(max_size=6))))
def test_property_column_equals_the_scalar_rule(texts: list[str]) -> None:
    scalar = [plain_number(t) for t in texts]
    column = plain_numbers(texts)
    if any(v is None for v in scalar):
        assert column is None
    else:
        assert column == scalar
