"""The trial report and datasets of a small hand-built FLEX-MRT cohort (issue 12, 17, 18).

Cohort (hand-built, reference values worked by hand): the control arm's 8 patients all die
on days 20, 25, …, 55 after their first administration (KM reaches 0); the flexible arm's 8
patients are alive and followed for ``follow_up`` days.  FLEX-MRT's primary endpoint is
S(24 months) = S(24 × 30.4375 = 730.5 days), read on day 730 (times are whole days, so
S(730.5) = S(730)): with 729 days of follow-up it cannot be computed, with 730 days (the
demo's 2-year follow-up, which used to leave it blank) it is 100 % in the flexible arm.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyreadstat
import pytest

from lutetia.analysis.trial import analyse_trial
from lutetia.protocols import list_protocols, load_protocol
from lutetia.records import (
    Administration,
    ClinicalEvent,
    Enrolment,
    LabResult,
    Patient,
    PatientRecord,
    build_record,
)
from lutetia.report.build import build_reports
from lutetia.report.trial_report import format_p_value

PID = "flex-mrt"
ZURICH = "Universitätsspital Zürich"  # 25 characters, 27 bytes in UTF-8: longer than SITEID's 20


def _patient(i: int, arm: str, *, death_day: int | None, follow_up: int, site: str) -> PatientRecord:
    pid = f"F-{i:02d}"
    start = date(2025, 1, 6) + timedelta(days=7 * i)
    admin = Administration(patient_id=pid, cycle=1, protocol_id=PID, arm=arm, activity_gbq=7.4,
                           administered_at=datetime(start.year, start.month, start.day, 9, tzinfo=UTC))
    events = [ClinicalEvent(patient_id=pid, event_id="D", kind="death", event_date=start + timedelta(days=death_day))] \
        if death_day is not None else []
    labs = [LabResult(patient_id=pid, analyte="psa", sampled_on=start - timedelta(days=3), value=20.0, unit="ng/mL")]
    if death_day is None:  # last contact: a PSA on the last follow-up day
        labs.append(LabResult(patient_id=pid, analyte="psa", sampled_on=start + timedelta(days=follow_up), value=5.0,
                              unit="ng/mL"))
    return build_record(Patient(patient_id=pid, sex="male", birth_year=1950, site=site), {
        "administrations": [admin], "events": events, "labs": labs,
        "enrolments": [Enrolment(patient_id=pid, protocol_id=PID, arm=arm, enrolled_on=start - timedelta(days=5))]})


def _cohort(follow_up: int) -> list[PatientRecord]:
    control = [_patient(i, "control", death_day=20 + 5 * i, follow_up=0, site=ZURICH) for i in range(8)]
    flexible = [_patient(8 + i, "flexible", death_day=None, follow_up=follow_up, site="CHU Lyon") for i in range(8)]
    return control + flexible


@pytest.fixture(scope="module")
def short_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flex729")
    build_reports(_cohort(729), load_protocol(PID), out)
    return out


def test_landmark_beyond_follow_up_is_not_computed_never_not_reached(short_report: Path) -> None:
    html = (short_report / "index.html").read_text(encoding="utf-8")
    assert "not computed: follow-up 729 days &lt; landmark 730 days" in html
    assert "not reached" not in html
    # Control: everyone died by day 55, S(24 months) = 0 and its band is NA (R: NA where S = 0).
    assert "0.0% (NA–NA%)" in html


def test_landmark_computed_when_follow_up_covers_it(tmp_path: Path) -> None:
    analysis = analyse_trial(load_protocol(PID), _cohort(730))
    primary = next(s for s in analysis.survival if s.endpoint.primary)
    assert primary.landmarks["flexible"].survival == 1.0
    assert primary.landmarks["control"].survival == 0.0


def test_report_shows_names_not_ids_and_small_p_values(short_report: Path) -> None:
    html = (short_report / "index.html").read_text(encoding="utf-8")
    assert "Two-year survival (primary endpoint)" in html
    assert "flex.ep." not in html
    # 8 early deaths vs 8 censored at 2 years: log-rank p is far below 0.0001.
    assert "p &lt; 0.0001" in html and "0.0000" not in html
    with (short_report / "datasets" / "adtte.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["PARAM"] for r in rows} >= {"Two-year survival", "Overall survival", "Progression-free survival"}
    assert not any(r["PARAM"].startswith("flex.") for r in rows)
    assert {r["EVNTDESC"] for r in rows} <= {"death", "censored at last contact", "PSA progression"}


@pytest.mark.parametrize(("p", "text"), [(0.0, "<0.0001"), (0.00004999, "<0.0001"), (0.0001, "0.0001"),
                                         (0.04216, "0.0422"), (1.0, "1.0000")])
def test_p_value_format(p: float, text: str) -> None:
    assert format_p_value(p) == text


def test_long_non_ascii_site_name_goes_to_site_and_siteid_is_a_code(short_report: Path) -> None:
    # Issue 18: analyze crashed ("SITEID ... longer than 20 bytes") on this site name.
    df, meta = pyreadstat.read_xport(str(short_report / "datasets" / "adsl.xpt"))
    by_site = dict(zip(df["SITE"], df["SITEID"], strict=True))
    assert by_site == {"CHU Lyon": "001", ZURICH: "002"}  # codes in sorted name order
    assert meta.column_names_to_labels["SITE"] == "Study Site Name"
    with (short_report / "datasets" / "adsl.csv").open(encoding="utf-8") as fh:
        assert {r["SITE"] for r in csv.DictReader(fh)} == {"CHU Lyon", ZURICH}


def test_project_defaults_are_listed_in_the_report(short_report: Path) -> None:
    html = (short_report / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="project-defaults"'):]
    # FLEX-MRT: the 39 Gy cap on the control arm, the holiday entry and RECIP reference, the
    # PCWG3 PSA progression definition and the visit windows are all Lutetia's, not the summary's.
    for expected in ("Control kidney bed cap", "39 Gy_BED", "Holiday", "enter", "resume",
                     "rise &gt;= 25 % and &gt;= 2 ng/mL above the nadir", "±7 days"):
        assert expected in section


def test_every_shipped_endpoint_has_a_name() -> None:
    missing = [e.id for p in list_protocols() for e in p.endpoints if not e.name]
    assert missing == []


def test_patient_report_names_decision_rules_in_words() -> None:
    from lutetia.report.build import decision_view

    view = decision_view(date(2025, 3, 1), "withhold", {"rules": [
        {"rule_id": "label.mod.myelo-g3", "text": "Grade 3 myelosuppression", "citation": "label 2.4"}]})
    assert view.rules[0]["label"] == "Mod myelo g3" and view.rules[0]["id"] == "label.mod.myelo-g3"
