"""Malformed interchange files: each is a listed problem (file, row, column), nothing is
written, on SQLite and PostgreSQL alike.

Every case is one found by fuzzing ~hundreds of mutated interchange sets (issue 17); the
expected messages are the project's import format (``<file>: row N: field F: value V …``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.store.repository import Store

runner = CliRunner()


def _replace(file: str, old: bytes, new: bytes, count: int = 1) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        path = folder / file
        data = path.read_bytes()
        assert old in data, (file, old)
        path.write_bytes(data.replace(old, new, count))
        return folder

    return mutate


def _rename(old: str, new: str) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        (folder / old).rename(folder / new)
        return folder

    return mutate


def _json(text: str) -> Callable[[Path], Path]:
    def mutate(folder: Path) -> Path:
        path = folder.parent / "doc.json"
        path.write_bytes(text.encode("utf-8"))
        return path

    return mutate


HEAD = '{"format": "lutetia-interchange", "version": 1, '
PATIENT = '{"patient_id": "J-1", "sex": "male", "birth_year": 1950, "diagnosis": "mCRPC"'

CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "unterminated quote": (_replace("administrations.csv", b",7.4,GBq,", b',"7.4,GBq,'),
                           "administrations.csv: row 2 (line 2): unexpected end of data: a quote opened here is never closed"),
    "unquoted comma": (_replace("patients.csv", b"Synthetic,", b"Synthetic,extra,"),
                       "patients.csv: row 2: 15 cells for 14 columns"),
    "short row": (_replace("administrations.csv", b",GBq,personalised,prodigy-2,\n", b",GBq,personalised\n"),
                  "administrations.csv: row 2: 9 cells for 11 columns"),
    "duplicated header": (_replace("administrations.csv", b"activity_unit,residual,", b"activity_unit,activity,"),
                          "administrations.csv: row 1: column(s) ['activity'] appear more than once"),
    "upper-case file name": (_rename("labs.csv", "labs.CSV"),
                             "labs.CSV: file name must be spelled exactly labs.csv"),
    "numeric date": (_replace("ecog.csv", b"2025-01-22", b"1737504000"),
                     "ecog.csv: row 2: field assessed_on: value '1737504000' is not an ISO date"),
    "inf percentage": (_replace("prior_therapies.csv", b"2022-06-01,,,,,,,,2022-05-20",
                                b"2022-06-01,,,,,,inf,,2022-05-20"),
                       "field best_psa_change_pct: value 'inf' is not a number"),
    "underscore in a number": (_replace("labs.csv", b"SYN-001,platelets,2025-01-24,,235.0,", b"SYN-001,platelets,2025-01-24,,2_35.0,"),
                               "labs.csv: row 3: field value: value '2_35.0' is not a number"),
    "Arabic-Indic digits in a quantity": (_replace("administrations.csv", b",7.4,GBq,", ",٧.٤,GBq,".encode()),
                                          "administrations.csv: row 2: field activity: value '٧.٤' is not a number"),
    "Latin-1 text": (_replace("patients.csv", b"adenocarcinoma", "adénocarcinome".encode("latin-1")),
                     "patients.csv: line 2, byte"),
    "lone surrogate bytes": (_replace("patients.csv", b"adenocarcinoma", b"adeno\xed\xa0\x80"),
                             "is not UTF-8 text"),
    "NUL byte": (_replace("patients.csv", b"adenocarcinoma", b"adeno\x00carcinoma"),
                 "patients.csv: line 2: a NUL character"),
    "very long key": (_replace("lesions.csv", b"SYN-001,CT-BL,T1,", b"SYN-001," + b"S" * 199 + b"," + b"T" * 199 + b","),
                      "lesions.csv: row 2: field patient_id/study_id/lesion_id: the record's key is 415 characters"),
    "unknown protocol": (_replace("enrolments.csv", b"SYN-001,prodigy-2,", b"SYN-001,prodigy2,"),
                         "enrolments.csv: row 2: field protocol_id: value 'prodigy2' is not a shipped protocol"),
    "unknown arm": (_replace("enrolments.csv", b"SYN-001,prodigy-2,personalised", b"SYN-001,prodigy-2,bogus"),
                    "field arm: value 'bogus' is not an arm of prodigy-2; accepted: personalised, fixed"),
    "JSON duplicated key": (_json(HEAD + '"patients": [' + PATIENT + ', "sex": "female"}]}'),
                            "doc.json: key(s) ['sex'] appear more than once"),
    "JSON null row": (_json(HEAD + '"patients": [null]}'), "doc.json#patients: row 1: NoneType None"),
    "JSON lone surrogate": (_json(HEAD + '"patients": [' + PATIENT + ', "notes": "\\ud800"}]}'),
                            "doc.json#patients: row 1: field notes: value '\\ud800' holds a NUL"),
    "JSON NUL": (_json(HEAD + '"patients": [' + PATIENT + ', "notes": "a\\u0000b"}]}'),
                 "field notes: value 'a\\x00b' holds a NUL character"),
    "JSON numeric date": (_json(HEAD + '"patients": [' + PATIENT + ', "diagnosis_date": 1700000000}]}'),
                          "field diagnosis_date: value 1700000000 is not an ISO date"),
    "JSON nested value": (_json(HEAD + '"patients": [' + PATIENT + ', "notes": {"a": 1}}]}'),
                          "field notes: a nested dict"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_is_a_listed_problem_and_nothing_is_written(
        case: str, sample_path: Path, tmp_path: Path, db_url: str) -> None:
    mutate, expected = CASES[case]
    source = mutate(shutil.copytree(sample_path, tmp_path / "in"))
    result = runner.invoke(app, ["--db", db_url, "--user", "t", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.stderr
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert Store.open(db_url).patient_ids() == []
