"""REDCap: the data dictionary generated from a protocol, and the flat CSV round trip.

Reference for the dictionary layout: REDCap's data dictionary template (18 columns, in this
order) and its field types / validation names (REDCap 13 "Help & FAQ").  Reference for the
round trip: the bundled sample, exported and re-imported, compared record by record.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.interop.redcap_dictionary import DICTIONARY_COLUMNS, dictionary, event_names
from lutetia.protocols import list_protocols, load_protocol
from lutetia.records import PatientRecord
from lutetia.store.repository import Store

runner = CliRunner()
REDCAP_TEMPLATE = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation"]
FIELD_TYPES = {"text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "descriptive", "calc", "file"}
VALIDATIONS = {"", "date_ymd", "datetime_seconds_ymd", "integer", "number"}


def test_dictionary_layout_every_protocol(tmp_path: Path) -> None:
    assert list(DICTIONARY_COLUMNS) == REDCAP_TEMPLATE
    for proto in list_protocols():
        fields = dictionary(proto)
        names = [f.name for f in fields]
        assert names[0] == "record_id" and len(set(names)) == len(names)
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)
        assert {f.type for f in fields} <= FIELD_TYPES and {f.validation for f in fields} <= VALIDATIONS
        forms = [f.form for f in fields]
        assert all(forms.index(x) + forms.count(x) - 1 == len(forms) - 1 - forms[::-1].index(x) for x in set(forms))
        for f in fields:
            if f.type in ("dropdown", "checkbox"):
                assert f.choices and all(re.fullmatch(r"[a-z0-9_]+", c) for c, _ in f.choices)
    result = runner.invoke(app, ["redcap", "dictionary", str(tmp_path), "--protocol", "prodigy-2"])
    assert result.exit_code == 0, result.stdout + result.stderr
    with (tmp_path / "data_dictionary.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == REDCAP_TEMPLATE and all(len(r) == 18 for r in rows)


def test_dictionary_content_prodigy2() -> None:
    proto = load_protocol("prodigy-2")
    fields = {f.name: f for f in dictionary(proto)}
    # PRODIGY-2's mCRPC criterion needs judgement: a required yes/no; the VISION PET one is decided
    # from the record: shown as text only.
    judged = next(f for f in fields.values() if f.annotation == "prodigy2.inc.mcrpc" and f.type == "yesno")
    assert judged.required and judged.form == "eligibility"
    assert any(f.annotation == "label.psma-pet-vision" and f.type == "descriptive" for f in fields.values())
    assert (fields["adm_activity"].validation, fields["adm_activity"].vmax, fields["adm_activity"].note) == (
        "number", "30", "in GBq; > 0")
    assert (fields["ae_grade"].validation, fields["ae_grade"].vmin, fields["ae_grade"].vmax) == ("integer", "1", "5")
    assert [c for c, _ in fields["enr_arm"].choices] == ["personalised", "fixed"]
    assert fields["ae_flags"].type == "checkbox" and [c for c, _ in fields["ae_flags"].choices] == [
        "serious", "led_to_discontinuation"]
    assert ("haemoglobin", "Haemoglobin (g/L)") in fields["lab_analyte"].choices
    # readable on a form: the unit as printed, abbreviations spelled out
    assert {("platelets", "Platelets (10^9/L)"), ("egfr", "eGFR (mL/min/1.73 m2)")} <= set(fields["lab_analyte"].choices)
    assert (fields["lab_lln"].label, fields["lab_uln"].label) == (
        "Lower limit of normal (LLN)", "Upper limit of normal (ULN)")
    assert [e for e, _ in event_names(proto)] == ["screening_arm_1", *[f"cycle_{k}_arm_1" for k in range(1, 7)],
                                                  "follow_up_arm_1"]


def _import_sample(db: Path, sample: Path) -> None:
    assert runner.invoke(app, ["--db", str(db), "--user", "t", "import", str(sample)]).exit_code == 0


def _mine(db: Path, protocol: str) -> list[PatientRecord]:
    return [r for r in Store.open(f"sqlite:///{db}").records() if any(e.protocol_id == protocol for e in r.enrolments)]


@pytest.mark.parametrize("tz", ["UTC", "Europe/Zurich"])
def test_flat_csv_round_trip_is_exact(tmp_path: Path, sample_path: Path, tz: str) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    _import_sample(a, sample_path)
    flat = tmp_path / "export.csv"
    result = runner.invoke(app, ["--db", str(a), "redcap", "export", str(flat), "--protocol", "prodigy-2",
                                 "--timezone", tz])
    assert result.exit_code == 0, result.stdout + result.stderr
    result = runner.invoke(app, ["--db", str(b), "--user", "t", "redcap", "import", str(flat), "--protocol",
                                 "prodigy-2", "--timezone", tz])
    assert result.exit_code == 0, result.stdout + result.stderr
    before, after = _mine(a, "prodigy-2"), _mine(b, "prodigy-2")
    assert [r.patient_id for r in before] == [r.patient_id for r in after] == ["SYN-001", "SYN-002"]
    for x, y in zip(before, after, strict=True):
        mine = [e for e in x.enrolments if e.protocol_id == "prodigy-2"]
        assert y == x.model_copy(update={"enrolments": tuple(mine)})  # same instants, values, flags
    # re-importing the export into the source store changes nothing
    result = runner.invoke(app, ["--db", str(a), "--user", "t", "redcap", "import", str(flat), "--protocol",
                                 "prodigy-2", "--timezone", tz])
    assert result.exit_code == 0 and "administrations" in result.stdout
    assert not re.search(r"│ [a-z_]+ +│ [1-9]", result.stdout)  # nothing inserted: all unchanged


def test_criterion_answers_round_trip(tmp_path: Path, sample_path: Path) -> None:
    from datetime import date

    from lutetia.records import CriterionAnswer

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    _import_sample(a, sample_path)
    answers = [CriterionAnswer(patient_id="SYN-001", protocol_id="prodigy-2", criterion_id=cid, answer=True,
                               answered_on=date(2025, 1, 7), answered_by="Dr A", note=note)
               for cid, note in (("prodigy2.inc.mcrpc", "mCRPC on CT and PSA rise"), ("label.ecog-above-2", None),
                                 # not an eligibility criterion: an answered fact (goes to recorded_answer)
                                 ("spinal_cord_compression_untreated", "no compression on MRI"))]
    Store.open(f"sqlite:///{a}").add(answers, user="t")
    flat = tmp_path / "export.csv"
    assert runner.invoke(app, ["--db", str(a), "redcap", "export", str(flat), "--protocol", "prodigy-2"]).exit_code == 0
    with flat.open(encoding="utf-8") as fh:
        elig = [r for r in csv.DictReader(fh) if r["redcap_repeat_instrument"] == "eligibility"]
    assert len(elig) == 1 and elig[0]["elig_answered_by"] == "Dr A"
    with flat.open(encoding="utf-8") as fh:
        other = [r for r in csv.DictReader(fh) if r["redcap_repeat_instrument"] == "recorded_answer"]
    assert [(r["ans_criterion_id"], r["ans_answer"]) for r in other] == [("spinal_cord_compression_untreated", "1")]
    result = runner.invoke(app, ["--db", str(b), "--user", "t", "redcap", "import", str(flat), "--protocol",
                                 "prodigy-2"])
    assert result.exit_code == 0, result.stderr
    back = next(r for r in _mine(b, "prodigy-2") if r.patient_id == "SYN-001").criterion_answers
    assert sorted(back, key=lambda x: x.criterion_id) == sorted(answers, key=lambda x: x.criterion_id)


def test_flat_csv_columns_and_local_time(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "a.db"
    _import_sample(db, sample_path)
    flat = tmp_path / "export.csv"
    runner.invoke(app, ["--db", str(db), "redcap", "export", str(flat), "--protocol", "prodigy-2",
                        "--timezone", "Europe/Zurich"])
    with flat.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header[:4] == ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert {"ae_flags___serious", "ae_flags___led_to_discontinuation", "adverse_event_complete"} <= set(header)
    adm = next(r for r in rows if r["record_id"] == "SYN-001" and r["redcap_repeat_instrument"] == "administration")
    # the sample's first dose, 2025-01-27 09:00 UTC, is 10:00 in Zurich (CET, UTC+1, in January)
    assert (adm["redcap_event_name"], adm["adm_administered_at"], adm["adm_activity"]) == (
        "cycle_1_arm_1", "2025-01-27 10:00:00", "7.4")


def test_import_lists_every_problem_and_writes_nothing(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "a.db"
    _import_sample(db, sample_path)
    flat = tmp_path / "export.csv"
    runner.invoke(app, ["--db", str(db), "redcap", "export", str(flat), "--protocol", "prodigy-2"])
    with flat.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ae = next(i for i, r in enumerate(rows) if r["redcap_repeat_instrument"] == "adverse_event")
    rows[ae]["ae_grade"] = "7"
    adm = next(i for i, r in enumerate(rows) if r["redcap_repeat_instrument"] == "administration")
    rows[adm]["adm_cycle"] = "3"  # but the row is at cycle_1_arm_1
    lab = next(i for i, r in enumerate(rows) if r["redcap_repeat_instrument"] == "laboratory")
    rows[lab]["lab_sampled_on"] = "31/01/2025"
    rows[lab + 1]["redcap_event_name"] = "week_3_arm_1"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    other = tmp_path / "b.db"
    result = runner.invoke(app, ["--db", str(other), "--user", "t", "redcap", "import", str(bad), "--protocol",
                                 "prodigy-2"])
    assert result.exit_code == 1
    err = result.stderr
    assert "4 problem(s); nothing was written" in err
    assert f"line {ae + 2} " in err and "field grade: value '7'" in err
    assert f"line {adm + 2} " in err and "adm_cycle = 3 is not the event's cycle" in err
    assert f"line {lab + 2} " in err and "field sampled_on" in err and "YYYY-MM-DD" in err
    assert f"line {lab + 3} " in err and "unknown event 'week_3_arm_1'" in err
    assert list(Store.open(f"sqlite:///{other}").records()) == []
    flat.write_text(flat.read_text(encoding="utf-8").replace("record_id,", "record_id,shoe_size,", 1), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(other), "--user", "t", "redcap", "import", str(flat), "--protocol",
                                 "prodigy-2"])
    assert result.exit_code == 1 and "unknown column(s) ['shoe_size']" in result.stderr


def test_unknown_timezone_and_protocol(tmp_path: Path) -> None:
    result = runner.invoke(app, ["redcap", "export", str(tmp_path / "x.csv"), "--protocol", "prodigy-2",
                                 "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2 and "Mars/Olympus" in result.stderr
    result = runner.invoke(app, ["redcap", "dictionary", str(tmp_path), "--protocol", "nope"])
    assert result.exit_code == 2 and "nope" in result.stderr


def test_import_shows_soft_warnings_and_checks_arms(tmp_path: Path, sample_path: Path) -> None:
    """As `lutetia import`: soft plausibility findings are accepted and shown; an arm the
    protocol does not have is refused."""
    db = tmp_path / "a.db"
    _import_sample(db, sample_path)
    flat = tmp_path / "export.csv"
    runner.invoke(app, ["--db", str(db), "redcap", "export", str(flat), "--protocol", "prodigy-2"])
    with flat.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hb = next(i for i, r in enumerate(rows) if r["lab_analyte"] == "haemoglobin")
    rows[hb]["lab_unit"] = "g/L"  # 13.1 g/L: a g/dL value typed as g/L, under the soft limit (50 g/L)
    soft = tmp_path / "soft.csv"
    with soft.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(app, ["--db", str(tmp_path / "b.db"), "--user", "t", "redcap", "import", str(soft),
                                 "--protocol", "prodigy-2"])
    assert result.exit_code == 0, result.stderr
    assert f"warning: soft.csv: line {hb + 2} " in result.stderr and "haemoglobin" in result.stderr
    rows[0]["enr_arm"] = "double-dose"
    with soft.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(app, ["--db", str(tmp_path / "c.db"), "--user", "t", "redcap", "import", str(soft),
                                 "--protocol", "prodigy-2"])
    assert result.exit_code == 1 and "double-dose" in result.stderr
