"""Property: random plausible and implausible lab rows — nothing implausible is stored silently.

For every generated row, either the import is refused naming that row (outside the hard
range), or the row is stored with a warning naming it (outside the soft range), or it is
stored silently and lies within the soft range.  The oracle is a hand conversion of the
plausibility.toml ranges into the *reported* units below (1 g/dL = 10 g/L; 1 /µL = 10⁻³ ×10⁹/L;
creatinine 1 mg/dL = 88.40 µmol/L, PubChem CID 588), not the code under test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.store.interchange import read_source
from lutetia.store.repository import Store

#: analyte, reported unit, hard (lo, hi), soft (lo, hi) in that unit
ORACLE = [
    ("haemoglobin", "g/dL", (1.0, 26.0), (5.0, 20.0)),
    ("platelets", "/uL", (0.0, 5.0e6), (1.0e3, 1.5e6)),
    ("creatinine", "mg/dL", (5.0 / 88.40, 5000.0 / 88.40), (20.0 / 88.40, 1500.0 / 88.40)),
    ("alt", "U/L", (0.0, 50000.0), (1.0, 3000.0)),
]
EDGE = 1e-6  # relative margin: values this close to a limit are not generated (float round-off)


@st.composite
def lab_rows(draw: st.DrawFn) -> list[tuple[int, float]]:
    n = draw(st.integers(1, 6))
    out = []
    for _ in range(n):
        i = draw(st.integers(0, len(ORACLE) - 1))
        _a, _u, hard, soft = ORACLE[i]
        value = draw(st.one_of(
            st.floats(soft[0], soft[1]),                                  # plausible
            st.floats(hard[0], hard[1]),                                  # possibly soft-implausible
            st.floats(hard[1], hard[1] * 1000 + 1),                       # impossible
            st.floats(0, max(hard[0], 1e-9)),                             # possibly impossible (low)
        ))
        limits = [*hard, *soft]
        if any(abs(value - x) <= EDGE * max(1.0, abs(x)) for x in limits):
            value = (soft[0] + soft[1]) / 2
        out.append((i, value))
    return out


@settings(max_examples=40)
@given(lab_rows())
def test_nothing_implausible_is_stored_silently(rows: list[tuple[int, float]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / "patients.csv").write_text("patient_id,sex,birth_year\nP1,male,1950\n")
        lines = ["patient_id,analyte,sampled_on,value,unit"]
        for day, (i, value) in enumerate(rows, start=1):
            analyte, unit, _h, _s = ORACLE[i]
            lines.append(f"P1,{analyte},2025-01-{day:02d},{value!r},{unit}")
        (folder / "labs.csv").write_text("\n".join(lines) + "\n")
        parsed = read_source(folder)
        store = Store.open(f"sqlite:///{Path(tmp) / 'x.db'}")
        if not parsed.problems:
            store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="t")
        stored = {lab.sampled_on.day: lab.value for rec in store.records() for lab in rec.labs}
        for day, (i, value) in enumerate(rows, start=1):
            _a, _u, hard, soft = ORACLE[i]
            row = f"labs.csv: row {day + 1}: "
            named_problem = any(row in p for p in parsed.problems)
            named_warning = any(row in w for w in parsed.warnings)
            if not hard[0] <= value <= hard[1]:
                assert named_problem and stored == {}, (value, parsed.problems)
            elif not soft[0] <= value <= soft[1]:
                assert named_warning and not named_problem, (value, parsed.warnings)
                assert parsed.problems or stored[day] == value
            else:
                assert not named_problem and not named_warning
                assert parsed.problems or stored[day] == value
