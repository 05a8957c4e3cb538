"""Interchange format: validation that lists every problem, atomic import, exact round trips."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from lutetia.records import KINDS
from lutetia.store.interchange import columns, read_source, write_folder, write_json
from lutetia.store.repository import Store


def _dump(store: Store) -> dict[str, list[object]]:
    return {k: [s.record for s in store.rows(k)] for k in KINDS}


def test_bundled_sample_is_valid(sample_path: Path) -> None:
    parsed = read_source(sample_path)
    assert parsed.problems == []
    assert parsed.counts["patients"] == 6
    assert all(r.patient_id.startswith("SYN-") for r in parsed.all_records())  # type: ignore[attr-defined]


def test_round_trip_csv_and_json_exactly(sample_path: Path, tmp_path: Path, db_url: str) -> None:
    store = Store.open(db_url)
    store.add(read_source(sample_path).all_records(), user="t")
    write_folder(tmp_path / "a", _dump(store))
    # the exported folder re-imports into a new database and exports byte-identically
    other = Store.open(f"sqlite:///{tmp_path / 'b.db'}")
    parsed = read_source(tmp_path / "a")
    assert parsed.problems == []
    other.add(parsed.all_records(), user="t")
    write_folder(tmp_path / "b", _dump(other))
    for kind in KINDS:
        assert (tmp_path / "a" / f"{kind}.csv").read_bytes() == (tmp_path / "b" / f"{kind}.csv").read_bytes(), kind
    # JSON: the same records
    write_json(tmp_path / "c.json", _dump(other))
    from_json = read_source(tmp_path / "c.json")
    assert from_json.problems == []
    assert sorted(map(repr, from_json.all_records())) == sorted(map(repr, parsed.all_records()))
    # and the stored records equal the sample's records exactly
    assert sorted(map(repr, parsed.all_records())) == sorted(map(repr, read_source(sample_path).all_records()))


def _copy(sample: Path, dest: Path) -> Path:
    shutil.copytree(sample, dest)
    return dest


def _edit(path: Path, row_index: int, **changes: str) -> None:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0].keys())
    rows[row_index].update(changes)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def test_every_problem_is_listed_with_file_row_field_value(sample_path: Path, tmp_path: Path) -> None:
    folder = _copy(sample_path, tmp_path / "bad")
    _edit(folder / "administrations.csv", 0, activity="-7.4")
    _edit(folder / "administrations.csv", 2, activity_unit="Gy")
    _edit(folder / "labs.csv", 4, unit="")
    _edit(folder / "labs.csv", 5, sampled_on="2025-02-30")
    _edit(folder / "patients.csv", 1, sex="robot")
    problems = read_source(folder).problems
    text = "\n".join(problems)
    assert len(problems) == 5, text
    assert "administrations.csv: row 2: field activity: value -7.4: Input should be greater than 0" in text
    assert "administrations.csv: row 4: field activity_unit: value 'Gy'" in text
    assert "labs.csv: row 6: field unit" in text
    assert "labs.csv: row 7: field sampled_on: value '2025-02-30'" in text
    assert "patients.csv: row 3: field sex: value 'robot'" in text and "'male'" in text


def test_unknown_columns_and_files_are_named(sample_path: Path, tmp_path: Path) -> None:
    folder = _copy(sample_path, tmp_path / "bad")
    (folder / "vitals.csv").write_text("a,b\n1,2\n")
    text = (folder / "ecog.csv").read_text().replace("ecog\n", "ecog_score\n", 1)
    (folder / "ecog.csv").write_text(text)
    problems = "\n".join(read_source(folder).problems)
    assert "vitals.csv: unknown file" in problems
    assert "ecog.csv: unknown column(s) ['ecog_score']" in problems


def test_cross_record_problem_aborts_whole_import(sample_path: Path, tmp_path: Path, db_url: str) -> None:
    folder = _copy(sample_path, tmp_path / "bad")
    with (folder / "events.csv").open("a") as fh:
        fh.write("SYN-001,EVX,death,2025-02-01,,,,,\n")
    parsed = read_source(folder)
    assert parsed.problems == []
    store = Store.open(db_url)
    from lutetia.errors import RecordError

    with pytest.raises(RecordError) as info:
        store.add(parsed.all_records(), user="t")
    assert "SYN-001" in str(info.value) and "after death (2025-02-01)" in str(info.value)
    assert store.patient_ids() == []
    assert store.audit() == []


def test_units_convert_at_the_boundary(tmp_path: Path) -> None:
    folder = tmp_path / "mci"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        ",".join(columns(KINDS["patients"])) + "\n" + "Q-1,male,,1950,176,lb,70,in,,,,,,\n"
    )
    (folder / "administrations.csv").write_text(
        ",".join(columns(KINDS["administrations"])) + "\n" + "Q-1,1,1,2025-01-01T09:00:00+01:00,200,mCi,,,,,\n"
    )
    parsed = read_source(folder)
    assert parsed.problems == []
    patient = next(r for r in parsed.all_records() if type(r).__name__ == "Patient")
    admin = next(r for r in parsed.all_records() if type(r).__name__ == "Administration")
    assert admin.activity_gbq == pytest.approx(7.4, rel=1e-12)  # 200 mCi = 7.4 GBq (1 Ci = 37 GBq, exact)
    assert patient.weight_kg == pytest.approx(79.832, abs=1e-3)  # 176 lb × 0.45359237 kg/lb
    assert patient.height_cm == pytest.approx(177.8, abs=1e-9)  # 70 in × 2.54 cm/in


def test_json_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "other"}))
    assert "not a lutetia-interchange document" in read_source(bad).problems[0]
    bad.write_text(json.dumps({"format": "lutetia-interchange", "version": 1,
                               "patients": [{"patient_id": "J 1", "sex": "male", "birth_year": 1950},
                                            {"patient_id": "J2", "sex": "male"}]}))
    problems = "\n".join(read_source(bad).problems)
    assert "#patients: row 1: field patient_id: value 'J 1'" in problems
    assert "#patients: row 2: field (row): birth_date or birth_year is required" in problems
