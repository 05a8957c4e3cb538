"""The REDCap API client (PyCap) against canned answers: the requests Lutetia sends, and what
it makes of REDCap's answers.  No REDCap server can run here; the answers are those the REDCap
API documentation describes (see tests/data/interop/README.md), the records fixture is
hand-written and its expected records worked out by hand below."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redcap.request

from lutetia.interop.redcap_api import (
    API_METADATA_COLUMNS,
    open_project,
    pull,
    push,
    set_up_project,
)
from lutetia.interop.redcap_dictionary import dictionary
from lutetia.protocols import load_protocol
from lutetia.records import Administration, AdverseEvent, Enrolment, LabResult, Patient

DATA = Path(__file__).resolve().parents[1] / "data" / "interop"
URL = "https://redcap.example.org/api/"
TOKEN = "0123456789ABCDEF0123456789ABCDEF"  # 32 characters, as PyCap checks


class FakeResponse:
    def __init__(self, text: str) -> None:
        self.text = text
        self.content = text.encode()
        self.headers: dict[str, str] = {}

    def json(self) -> Any:
        return json.loads(self.text)


class FakeRedcap:
    """Answers the API as REDCap does; keeps every request's form data."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []

    def post(self, url: str, data: dict[str, Any], **_: Any) -> FakeResponse:
        assert url == URL
        self.requests.append(data)
        exporting = "data" not in data  # an import sends its data, an export does not
        return FakeResponse(self.answers[f"{data['content']}:export" if exporting else data["content"]])


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRedcap:
    server = FakeRedcap({
        "metadata": "127", "arm": "1", "event": "8", "formEventMapping": "73", "repeatingFormsEvents": "71",
        "record:export": (DATA / "redcap_api_records.csv").read_text(encoding="utf-8"),
        "record": '{"count": 2}',
        # what REDCap answers to content=metadata (export) once the project is set up: the dictionary
        "metadata:export": json.dumps([{API_METADATA_COLUMNS[k]: v for k, v in f.row().items()}
                                       for f in dictionary(load_protocol("prodigy-2"))]),
    })
    monkeypatch.setattr(redcap.request._session, "post", server.post)
    return server


def test_fixture_is_the_documented_one() -> None:
    digest = hashlib.sha256((DATA / "redcap_api_records.csv").read_bytes()).hexdigest()
    assert digest == "8e11f0ce4c414f467e376796959d935ab0e80243b20705e08e1e2b4eb0d75228"


def test_set_up_project_sends_dictionary_events_and_designations(fake: FakeRedcap) -> None:
    answers = set_up_project(open_project(URL, TOKEN), load_protocol("prodigy-2"))
    assert answers == {"metadata": 127, "arms": 1, "events": 8, "designations": 73, "repeating": 71}
    by_content = {r["content"]: r for r in fake.requests}
    assert all(r["token"] == TOKEN for r in fake.requests)
    metadata = json.loads(by_content["metadata"]["data"])
    assert list(metadata[0]) == list(API_METADATA_COLUMNS.values()) and len(metadata[0]) == 18
    assert metadata[0]["field_name"] == "record_id"
    events = json.loads(by_content["event"]["data"])
    # REDCap makes the unique names from these labels: "Cycle 1" → cycle_1_arm_1, "Follow up" → follow_up_arm_1
    assert [e["event_name"] for e in events] == ["Screening", *[f"Cycle {k}" for k in range(1, 7)], "Follow up"]
    mapping = json.loads(by_content["formEventMapping"]["data"])
    assert {"arm_num": "1", "unique_event_name": "cycle_1_arm_1", "form": "administration"} in mapping


def test_pull_reads_and_validates_the_export(fake: FakeRedcap) -> None:
    parsed = pull(open_project(URL, TOKEN), load_protocol("prodigy-2"), tz=ZoneInfo("Europe/Zurich"))
    request = next(r for r in fake.requests if r["content"] == "record")
    assert (request["format"], request["type"], request["rawOrLabel"], request["eventName"]) == (
        "csv", "flat", "raw", "unique")
    assert parsed.problems == []
    by_type = {type(r).__name__: r for r in parsed.records}
    assert by_type["Patient"] == Patient(patient_id="RC-01", sex="male", birth_year=1956)
    assert by_type["Enrolment"] == Enrolment(patient_id="RC-01", protocol_id="prodigy-2", arm="fixed",
                                             consent_date=date(2025, 3, 3), enrolled_on=date(2025, 3, 4))
    assert by_type["LabResult"] == LabResult(patient_id="RC-01", analyte="platelets", sampled_on=date(2025, 3, 5),
                                             value=212.0, unit="10^9/L", lln=150.0, uln=400.0)
    # 09:30 in Zurich on 10 March 2025 (CET, UTC+1) is 08:30 UTC
    assert by_type["Administration"] == Administration(
        patient_id="RC-01", course=1, cycle=1, administered_at=datetime(2025, 3, 10, 8, 30, tzinfo=UTC),
        activity_gbq=7.4, residual_gbq=0.05)
    assert by_type["AdverseEvent"] == AdverseEvent(patient_id="RC-01", ae_id="AE1", term="Dry mouth", grade=1,
                                                   onset_date=date(2025, 3, 20), attribution="possible")


def test_push_sends_the_flat_csv(fake: FakeRedcap, sample_records: list[Any]) -> None:
    n = push(open_project(URL, TOKEN), load_protocol("prodigy-2"), sample_records, tz=UTC)
    request = next(r for r in fake.requests if r["content"] == "record")
    assert n == 2 and request["format"] == "csv" and request["overwriteBehavior"] == "normal"
    assert request["data"].startswith("record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance")
    assert {line.split(",")[0] for line in request["data"].splitlines()[1:]} == {"SYN-001", "SYN-002"}


def test_pull_command_imports_into_the_store(fake: FakeRedcap, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lutetia.cli.main import app
    from lutetia.store.repository import Store

    runner = CliRunner()
    db = tmp_path / "d.db"
    args = ["--db", str(db), "--user", "t", "redcap", "pull", "--url", URL, "--protocol", "prodigy-2",
            "--timezone", "Europe/Zurich"]
    monkeypatch.delenv("LUTETIA_REDCAP_TOKEN", raising=False)
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "LUTETIA_REDCAP_TOKEN" in result.stderr and not fake.requests
    monkeypatch.setenv("LUTETIA_REDCAP_TOKEN", TOKEN)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rec = Store.open(f"sqlite:///{db}").record("RC-01")
    assert [a.administered_at for a in rec.administrations] == [datetime(2025, 3, 10, 8, 30, tzinfo=UTC)]
