"""The column-wise lab path accepts only what the row validator accepts, with equal values."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.records import KINDS
from lutetia.store.bulk_labs import bulk_duplicates, fast_labs
from lutetia.store.interchange import columns, parse_rows
from lutetia.store.schema import natural_key

HEADER = columns(KINDS["labs"])
numbers = st.one_of(
    st.floats(0, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["12", "+5", ".5", "5.", "1e3", "1E-2", "-0", "-3", " 7", "1_000", "nan", "inf", "0x1A", "٣"]),
)
cells = {
    "patient_id": st.sampled_from(["P1", "p.2", "A-3_x", " P1", "P 1", ""]),
    "analyte": st.sampled_from(["psa", "creatinine", "platelets", "temperature", "PSA", "troponin"]),
    "sampled_on": st.one_of(st.dates(date(1990, 1, 1), date(2030, 1, 1)).map(date.isoformat),
                            st.sampled_from(["2025-02-30", "2025-1-5", "20250105", "2025-01-05T00:00:00"])),
    "sampled_at": st.sampled_from(["", "", "", "2025-01-05T09:00:00+00:00"]),
    "value": numbers,
    "unit": st.sampled_from(["ng/mL", "ug/L", "mg/dL", "umol/L", "10^9/L", "/uL", "degC", "g/L", " ng/mL", "Gy"]),
    "lln": st.one_of(st.just(""), numbers),
    "uln": st.one_of(st.just(""), numbers),
    "lab": st.sampled_from(["", "central", " local"]),
}


@st.composite
def rows(draw: st.DrawFn) -> list[list[str]]:
    n = draw(st.integers(1, 6))
    return [[draw(cells[h]) for h in HEADER] for _ in range(n)]


@settings(max_examples=300, deadline=None)
@given(rows())
def test_fast_path_agrees_with_row_validator(raw: list[list[str]]) -> None:
    fast = fast_labs(HEADER, raw)
    slow = parse_rows(KINDS["labs"], [dict(zip(HEADER, r, strict=True)) for r in raw], "labs.csv",
                      header_checked=True)
    if fast is None:
        return  # the row validator decides (and reports)
    assert slow.problems == [], "fast path accepted rows the validator rejects"
    got = [r.model_dump() for r in fast.records()]
    assert got == [r.model_dump() for r in slow.records]
    assert fast.keys() == [natural_key(KINDS["labs"], r) for r in slow.records]


def test_plain_rows_take_the_fast_path() -> None:
    raw = [["P1", "psa", "2025-01-05", "", "4.2", "ng/mL", "", "4", ""],
           ["P1", "creatinine", "2025-01-05", "", "1.1", "mg/dL", "0.6", "1.2", "central"]]
    fast = fast_labs(HEADER, raw)
    assert fast is not None and len(fast) == 2
    assert fast.record(1).canonical()[0] == parse_rows(
        KINDS["labs"], [dict(zip(HEADER, raw[1], strict=True))], "x", header_checked=True).records[0].canonical()[0]


def test_non_ascii_digits_and_trailing_newline_leave_the_fast_path() -> None:
    """Arabic-Indic digits (U+0660–U+0669) and a trailing newline match ``\\d``/``$`` in Python's
    ``re`` but the row validator refuses them (Python ``re`` docs, "\\d" and "$"): the fast path
    must step aside so the validator reports them."""
    for value in ("٣", "١٢", "12\n"):
        raw = [["P1", "psa", "2025-01-05", "", value, "ng/mL", "", "", ""]]
        assert fast_labs(HEADER, raw) is None, value
    assert fast_labs(HEADER, [["P1", "psa", "٢٠٢٥-01-05", "", "4", "ng/mL", "", "", ""]]) is None


def test_duplicate_keys_are_told_apart_to_the_ends_of_the_calendar() -> None:
    """Keys are compared as integers: rows one field apart (patient, analyte, or a date at
    either end of years 1..9999) are distinct; the one repeated key is named once."""
    row = ["P1", "psa", "0001-01-01", "", "1", "ng/mL", "", "", ""]
    raw = [row, [*row[:2], "9999-12-31", *row[3:]], ["P2", *row[1:]],
           ["P1", "creatinine", "0001-01-01", "", "1", "mg/dL", "", "", ""], row]
    fast = fast_labs(HEADER, raw)
    assert fast is not None and len(fast) == 5
    assert bulk_duplicates([fast], set()) == ['labs ["P1","psa","0001-01-01",null]: appears twice in the input']
    assert bulk_duplicates([fast], {'["P2","psa","0001-01-01",null]'}) == [
        'labs ["P1","psa","0001-01-01",null]: appears twice in the input',
        'labs ["P2","psa","0001-01-01",null]: appears twice in the input']
