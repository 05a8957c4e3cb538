"""Streaming lab import (``lutetia.store.interchange_stream``): the import guarantees hold
across block boundaries, on SQLite and PostgreSQL (COPY).

The block size is made tiny so that a few hundred rows span many blocks: an error in the
last row of the last block plays the part of an error on row 999,999 of a million-row file.
Expected values are the hand-written cells of the file, not the code's own computation.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.errors import ConflictError, RecordError
from lutetia.records import KINDS
from lutetia.store import interchange_stream
from lutetia.store.interchange import columns, parse_rows, read_source
from lutetia.store.repository import Store

N = 240
LAB_HEADER = ",".join(columns(KINDS["labs"]))


def _lab(i: int) -> str:
    """Row i: P1/P2 alternately, PSA (no LLN) or creatinine in mg/dL (with both limits)."""
    day = date(2024, 1, 1) + timedelta(days=i // 2)
    if i % 3:
        return f"P{i % 2 + 1},psa,{day},,{i % 7}.25,ng/mL,,4,"
    return f"P{i % 2 + 1},creatinine,{day},,0.{i % 4 + 6},mg/dL,0.6,1.2,central"


def _folder(root: Path, labs: list[str], quoted: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "patients.csv").write_text(
        ",".join(columns(KINDS["patients"])) + "\n"
        "P1,male,1950-03-02,,80,kg,175,cm,,,,false,,\n"
        "P2,male,1960-07-09,,70,kg,170,cm,,,,false,,\n", encoding="utf-8")
    (root / "labs.csv").write_text("\n".join([LAB_HEADER, *labs]) + "\n", encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interchange_stream, "BLOCK_BYTES", 1024)  # ~25 rows a block


def test_blocks_stream_column_wise_and_store_what_the_row_validator_reads(db_url: str, tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[5] = "P2,psa,2024-01-03,,3.3333333333333335,ng/mL,,4,"  # 17 significant digits: COPY keeps every bit
    folder = _folder(tmp_path / "in", labs)
    parsed = read_source(folder)
    assert parsed.problems == [] and parsed.counts["labs"] == N
    assert sum(len(c) for c in parsed.bulk_labs) == N and not any(type(r).__name__ == "LabResult"
                                                                   for r in parsed.records)
    store = Store.open(db_url)
    summary = store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="t")
    assert summary.inserted["labs"] == N
    stored = {(r.record.patient_id, r.record.analyte.value, r.record.sampled_on): r.record  # type: ignore[attr-defined]
              for r in store.rows("labs")}
    assert len(stored) == N
    # rows 0 and 1 written out by hand (see _lab): creatinine 0.6 mg/dL 0.6–1.2 central; PSA 1.25 ng/mL ≤ 4
    first = stored[("P1", "creatinine", date(2024, 1, 1))]
    assert (first.value, first.unit, first.lln, first.uln, first.lab) == (0.6, "mg/dL", 0.6, 1.2, "central")
    second = stored[("P2", "psa", date(2024, 1, 1))]
    assert (second.value, second.unit, second.lln, second.uln, second.lab) == (1.25, "ng/mL", None, 4.0, None)
    assert stored[("P2", "psa", date(2024, 1, 3))].value == 3.3333333333333335
    rows = [dict(zip(LAB_HEADER.split(","), line.split(","), strict=True)) for line in labs]
    slow = parse_rows(KINDS["labs"], rows, "labs.csv", header_checked=True).records
    assert sorted(map(repr, stored.values())) == sorted(map(repr, slow))
    assert store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="t").unchanged["labs"] == N  # re-import


def test_errors_in_late_blocks_are_all_listed_and_nothing_is_written(tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[100] = "P1,psa,2024-02-30,,1.5,ng/mL,,4,"  # row 102 of the file: no 30 February
    labs[N - 1] = "P2,psa,2025-01-01,,abc,ng/mL,,4,"  # the last row of the last block
    folder = _folder(tmp_path / "in", labs)
    parsed = read_source(folder)
    assert len(parsed.problems) == 2, parsed.problems
    assert parsed.problems[0].startswith(f"{folder / 'labs.csv'}: row 102: field sampled_on")
    assert parsed.problems[1].startswith(f"{folder / 'labs.csv'}: row {N + 1}: field value: value 'abc'")
    db = tmp_path / "x.db"
    result = CliRunner().invoke(app, ["--db", str(db), "--user", "t", "import", str(folder)])
    assert result.exit_code == 1
    assert "import refused: 2 problem(s); nothing was written" in result.stderr
    assert f"row {N + 1}: field value" in result.stderr
    store = Store.open(f"sqlite:///{db}")
    assert store.patient_ids() == [] and store.rows("labs") == [] and store.audit() == []


def test_a_store_check_failing_in_the_last_block_writes_nothing(db_url: str, tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[N - 1] = "P2,psa,1959-12-31,,1.5,ng/mL,,4,"  # P2 was born on 1960-07-09
    labs[N - 2] = "P1,psa,1949-12-31,,1.5,ng/mL,,4,"  # P1 was born on 1950-03-02
    parsed = read_source(_folder(tmp_path / "in", labs))
    assert parsed.problems == []
    store = Store.open(db_url)
    with pytest.raises(RecordError) as info:
        store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="t")
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert "patient P2:" in lines[1] and "field sampled_on = 1959-12-31 is before birth (1960-07-09)" in lines[1]
    assert "field sampled_on = 1949-12-31 is before birth (1950-03-02)" in lines[0]
    assert store.patient_ids() == [] and store.rows("labs") == [] and store.audit() == []


def test_duplicates_across_blocks_are_each_named(tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[N - 1] = labs[1]  # row 3 again (P2 PSA on 2024-01-01), in the last block
    labs[N - 2] = labs[4]  # P1 PSA on 2024-01-03
    parsed = read_source(_folder(tmp_path / "in", labs))
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConflictError) as info:
        store.add(parsed.records, bulk_labs=parsed.bulk_labs, user="t")
    assert sorted(str(info.value).splitlines()) == [
        'labs ["P1","psa","2024-01-03",null]: appears twice in the input',
        'labs ["P2","psa","2024-01-01",null]: appears twice in the input']
    assert store.rows("labs") == []


def test_a_block_off_the_fast_path_is_validated_row_by_row(tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[150] = "P1,psa,2024-03-16,,4e2,ug/L,,4,"  # valid, but ug/L with a soft-limit check by row
    labs[151] = "P2,psa,2024-03-16,,1_000,ng/mL,,4,"  # '_' is refused by the row validator
    parsed = read_source(_folder(tmp_path / "in", labs))
    assert parsed.problems == [f"{tmp_path / 'in' / 'labs.csv'}: row 153: field value: value '1_000' is not a "
                               "number; accepted: a finite number written with ASCII digits (no '_', no thousands "
                               "separator) and a decimal point '.'"]
    assert parsed.counts["labs"] == N
    assert 0 < sum(len(c) for c in parsed.bulk_labs) < N - 1  # the other blocks stayed column-wise


def test_files_the_stream_cannot_vouch_for_keep_the_whole_file_checks(tmp_path: Path) -> None:
    labs = [_lab(i) for i in range(N)]
    labs[7] = labs[7] + '"x"y'  # a stray quote: Arrow reads 'xy', the strict csv reader refuses it
    folder = _folder(tmp_path / "q", labs)
    assert interchange_stream.read_labs_stream(KINDS["labs"], folder / "labs.csv") is None
    problems = read_source(folder).problems
    assert any("row 9" in p for p in problems), problems
    labs = [_lab(i) for i in range(N)]
    labs[20] = ""  # an empty line in the middle (Arrow would read a row of empty cells)
    problems = read_source(_folder(tmp_path / "e", labs)).problems
    assert problems == [f"{tmp_path / 'e' / 'labs.csv'}: row 22: an empty line; accepted: one record per line"]
    labs = [_lab(i) for i in range(N)]
    labs[30] = "P1,psa,2024-01-16,,1.5,ng/mL,,4,,extra"  # one cell too many
    problems = read_source(_folder(tmp_path / "w", labs)).problems
    assert problems == [f"{tmp_path / 'w' / 'labs.csv'}: row 32: 10 cells for 9 columns (an unquoted comma or a "
                        "missing cell?); accepted: exactly 9 cells, text with commas in quotes"]
    labs = [_lab(i) for i in range(N)]
    labs[3] = '"P2",psa,2024-01-02,,1.25,ng/mL,,4,"Lab, central"'  # quoted cells are valid CSV
    parsed = read_source(_folder(tmp_path / "ok", labs))
    assert parsed.problems == []
    assert any(r.lab == "Lab, central" for c in parsed.bulk_labs for r in c.records())
