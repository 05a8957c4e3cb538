"""Fuzzing the interchange format: byte- and line-level mutations of the bundled sample.

Origin of the corpus: ``lutetia/data/sample`` (synthetic, project-made), mutated by
hypothesis with the kinds of damage seen in issue 17 (stray quotes and commas, NUL and
non-UTF-8 bytes, lone surrogates, truncated, duplicated or dropped lines, duplicated
headers, renamed files).  Properties:

- reading never raises: a malformed set is a list of problems naming a file;
- a refused set writes nothing; an accepted set imports whole (or is refused by the store
  with a LutetiaError, nothing written) and every stored row is one the reader accepted.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lutetia.errors import LutetiaError
from lutetia.store.interchange import read_source
from lutetia.store.repository import Store

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "lutetia" / "data" / "sample"
FILES = sorted(p.name for p in SAMPLE.glob("*.csv"))
INSERTS = [b'"', b",", b"\n", b"\x00", b"\xe9", b"\xed\xa0\x80", b"'", b"=", b"inf", b"1700000000", b"\r",
           "٣".encode(), b"-", b"  "]


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, str, int, int, bytes]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        file = draw(st.sampled_from(FILES))
        op = draw(st.sampled_from(["insert", "delete", "dup_line", "drop_line", "truncate", "dup_header",
                                   "rename_upper", "blank_lines", "none"]))
        out.append((file, op, draw(st.integers(0, 10**6)), draw(st.integers(1, 40)), draw(st.sampled_from(INSERTS))))
    return out


def _apply(folder: Path, muts: list[tuple[str, str, int, int, bytes]]) -> None:
    for file, op, pos, length, insert in muts:
        path = folder / file
        if not path.exists():
            continue
        data = path.read_bytes()
        at = pos % (len(data) + 1)
        lines = data.split(b"\n")
        line = pos % len(lines)
        if op == "insert":
            data = data[:at] + insert + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + length:]
        elif op == "dup_line":
            data = b"\n".join([*lines[:line + 1], lines[line], *lines[line + 1:]])
        elif op == "drop_line":
            data = b"\n".join([*lines[:line], *lines[line + 1:]])
        elif op == "truncate":
            data = data[:at]
        elif op == "dup_header":
            head = lines[0].split(b",")
            lines[0] = b",".join([*head, head[pos % len(head)]])
            data = b"\n".join(lines)
        elif op == "blank_lines":  # trailing blank lines carry nothing: the set still imports
            data = data + b"\n" * length
        elif op == "none":
            continue
        elif op == "rename_upper":
            path.rename(folder / file.replace(".csv", ".CSV"))
            continue
        path.write_bytes(data)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_interchange_sets_are_refused_or_imported_whole(muts: list[tuple[str, str, int, int, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        shutil.copytree(SAMPLE, folder)
        _apply(folder, muts)
        parsed = read_source(folder)  # must not raise
        store = Store.open(f"sqlite:///{Path(tmp) / 'x.db'}")
        if parsed.problems:
            event("refused by the reader")
            assert all("/in/" in p or str(folder) in p for p in parsed.problems), parsed.problems
            return
        try:
            store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="fuzz")
        except LutetiaError:
            event("refused by the store")
            assert store.patient_ids() == []  # refused by the store: nothing written
            return
        event("imported")
        stored = sum(len(store.rows(k)) for k in ("patients", "labs", "administrations", "dosimetry", "events"))
        expected = sum(1 for r in parsed.all_records()
                       if type(r).__name__ in ("Patient", "LabResult", "Administration", "DosimetryMeasurement",
                                               "ClinicalEvent"))
        assert stored == expected
