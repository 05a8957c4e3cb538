"""``lutetia export --format adam|sdtm|redcap|fhir``, ``lutetia import --format redcap|fhir`` and
``lutetia redcap dictionary --protocol``: the issue's command line over the one implementation.

Reference for the round trips: the bundled sample, written out and read back into a fresh store,
compared record by record (the sample is the source, not a value recomputed by the code).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyreadstat
import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from lutetia.cli.main import app
from lutetia.store.repository import Store

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), "--user", "t", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.interop.conftest import SAMPLE

    from lutetia.store.interchange import read_source

    path = tmp_path_factory.mktemp("formats") / "a.db"
    Store.open(f"sqlite:///{path}").add(read_source(SAMPLE).all_records(), user="t")
    return path


def test_export_format_adam_and_sdtm_write_xpt_and_define(db: Path, tmp_path: Path) -> None:
    code, out, err = _run(db, "export", "--format", "adam", str(tmp_path / "adam"), "--protocol", "prodigy-2")
    assert code == 0, err
    assert "define:" in out and (tmp_path / "adam" / "define.xml").exists()
    df, meta = pyreadstat.read_xport(str(tmp_path / "adam" / "adsl.xpt"))
    assert sorted(df["SUBJID"]) == ["SYN-001", "SYN-002"] and meta.table_name == "ADSL"
    code, _, err = _run(db, "export", "--format", "sdtm", str(tmp_path / "sdtm"), "--protocol", "realup")
    assert code == 0, err
    assert {p.name for p in (tmp_path / "sdtm").glob("*.xpt")} == {
        f"{d}.xpt" for d in ("dm", "ds", "ex", "suppex", "ae", "lb", "tu", "tr", "rs", "xd")}


def test_redcap_round_trip_through_export_and_import_format(db: Path, tmp_path: Path) -> None:
    flat = tmp_path / "prodigy2.csv"
    code, out, err = _run(db, "export", "--format", "redcap", str(flat), "--protocol", "prodigy-2",
                          "--timezone", "Europe/Zurich")
    assert code == 0 and "rows written" in out, err
    b = tmp_path / "b.db"
    code, _, err = _run(b, "import", "--format", "redcap", str(flat), "--protocol", "prodigy-2",
                        "--timezone", "Europe/Zurich")
    assert code == 0, err
    before = {r.patient_id: r for r in Store.open(f"sqlite:///{db}").records()}
    after = list(Store.open(f"sqlite:///{b}").records())
    assert [r.patient_id for r in after] == ["SYN-001", "SYN-002"]
    for y in after:
        x = before[y.patient_id]
        mine = tuple(e for e in x.enrolments if e.protocol_id == "prodigy-2")
        assert y == x.model_copy(update={"enrolments": mine})


def test_fhir_labs_round_trip_through_export_and_import_format(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "syn1.json"
    code, out, err = _run(db, "export", "--format", "fhir", str(bundle), "--patient", "SYN-001")
    assert code == 0 and "resources written" in out, err
    Bundle.model_validate_json(bundle.read_text(encoding="utf-8"))
    source = Store.open(f"sqlite:///{db}").record("SYN-001")
    b = tmp_path / "b.db"
    Store.open(f"sqlite:///{b}").add([source.patient], user="t")  # the patient, no labs yet
    code, out, err = _run(b, "import", "--format", "fhir", str(bundle), "--patient", "SYN-001")
    assert code == 0, err
    assert out.strip() == f"labs: {len(source.labs)} inserted, 0 unchanged"

    def key(x: object) -> tuple[str, ...]:
        return tuple(str(getattr(x, f)) for f in ("analyte", "sampled_on", "sampled_at", "value"))

    assert sorted(Store.open(f"sqlite:///{b}").record("SYN-001").labs, key=key) == sorted(source.labs, key=key)


def test_export_format_fhir_one_bundle_per_patient(db: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "fhir"
    code, _, err = _run(db, "export", "--format", "fhir", str(out_dir), "--protocol", "prodigy-2")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["SYN-001.json", "SYN-002.json"]
    for p in out_dir.iterdir():
        Bundle.model_validate_json(p.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("args", "message"), [
    (("export", "--format", "adam", "o"), "--format adam needs --protocol ID"),
    (("export", "--format", "redcap", "o.csv"), "--format redcap needs --protocol ID"),
    (("export", "--format", "fhir", "o.json", "--patient", "SYN-001", "--cutoff", "2025-01-01"),
     "--cutoff: not used with --format fhir"),
    (("export", "o", "--protocol", "prodigy-2"), "go with --format adam, sdtm, redcap or fhir"),
    (("export", "--format", "xpt", "o"), "xpt"),
    (("import", "--format", "fhir", "b.json"), "--format fhir needs --patient ID"),
    (("import", "--format", "redcap", "r.csv", "--patient", "SYN-001", "--protocol", "prodigy-2"),
     "--patient: not used with --format redcap"),
    (("import", "d", "--timezone", "UTC"), "go with --format redcap or fhir"),
])
def test_format_options_are_checked(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = _run(tmp_path / "x.db", *args)
    assert code == 2 and message in err


def test_fhir_import_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "x.db", "import", "--format", "fhir", str(tmp_path / "nope.json"),
                        "--patient", "SYN-001")
    assert code == 1 and "nope.json: cannot be read" in err


def test_redcap_dictionary_to_standard_output() -> None:
    result = runner.invoke(app, ["redcap", "dictionary", "--protocol", "prodigy-2"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "Variable / Field Name" and {len(r) for r in rows} == {18}
    assert rows[1][:2] == ["record_id", "patient"]


def test_fhir_export_carries_engine_proposals_as_draft_medication_requests(tmp_path: Path) -> None:
    """A stored decision to give a cycle is a MedicationRequest with status draft and intent
    proposal (FHIR R4B: not yet actionable, needs sign-off; a suggestion without authorisation);
    a withhold decision gives none.  Expected values are the decisions' own, written by hand."""
    from datetime import date

    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from tests.interop.conftest import SAMPLE

    from lutetia.decide import CycleDecision
    from lutetia.store.decisions import save_decision
    from lutetia.store.interchange import read_source

    db = tmp_path / "p.db"
    store = Store.open(f"sqlite:///{db}")
    store.add(read_source(SAMPLE).all_records(), user="t")
    for on, kind, activity, span in ((date(2025, 4, 21), "reduce", 6.0, None), (date(2025, 6, 2), "withhold", None,
                                                                                  None),
                                     (date(2025, 7, 14), "administer", None, (5.5, 8.9))):
        payload = CycleDecision("SYN-001", "prodigy-2", "personalised", on, kind, 3, activity, span,
                                reasons=(f"{kind} by rule x",)).to_json()
        save_decision(store, patient_id="SYN-001", protocol_id="prodigy-2", kind="next_cycle", decided_on=on,
                      outcome=kind, payload=payload, user="t")
    out = tmp_path / "syn1.json"
    code, _, err = _run(db, "export", "--format", "fhir", str(out), "--patient", "SYN-001")
    assert code == 0, err
    bundle = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    requests = [e.resource for e in bundle.entry or [] if isinstance(e.resource, MedicationRequest)]
    assert [(r.status, r.intent, r.dosageInstruction[0].timing.event[0].isoformat()) for r in requests] == [
        ("draft", "proposal", "2025-04-21"), ("draft", "proposal", "2025-07-14")]
    first, second = (r.dosageInstruction[0].doseAndRate[0] for r in requests)
    assert (float(first.doseQuantity.value), first.doseQuantity.code) == (6.0, "GBq")
    assert (float(second.doseRange.low.value), float(second.doseRange.high.value)) == (5.5, 8.9)
    assert requests[0].dosageInstruction[0].sequence == 3 and "not signed" in requests[0].note[0].text


def test_single_file_exports_appear_whole(tmp_path: Path) -> None:
    from lutetia.cli.interop_io import write_whole

    path = tmp_path / "out.csv"
    write_whole(path, "old\n")
    with pytest.raises(UnicodeEncodeError):
        write_whole(path, "half written \ud800")  # fails while writing
    assert path.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_fhir_export_carries_a_signed_prescription_as_an_order_put_on_hold_when_voided(tmp_path: Path) -> None:
    """A physician's signature that prescribes an activity is a MedicationRequest with intent order,
    the signer as requester and the prescribed GBq; active while the signature holds, on-hold once a
    later lab dated before the decision changes its inputs (the web shows it VOID then)."""
    from datetime import date

    from fhir.resources.R4B.medicationrequest import MedicationRequest
    from tests.interop.conftest import SAMPLE

    from lutetia.decide.rederive import decide_for_enrolment
    from lutetia.records import LabResult
    from lutetia.store.decisions import decision_history
    from lutetia.store.interchange import read_source
    from lutetia.store.signatures import sign_decision

    db = tmp_path / "s.db"
    store = Store.open(f"sqlite:///{db}")
    store.add(read_source(SAMPLE).all_records(), user="t")
    on = date(2025, 8, 4)
    decision = decide_for_enrolment(store.record("SYN-002"), on, decision_history(store, "SYN-002", "pluvicto-label",
                                                                                  on))
    sign_decision(store, patient_id="SYN-002", protocol_id=decision.protocol_id, decided_on=on,
                  payload=decision.to_json(), meaning="prescribed 6 GBq for cycle 5", prescribed_gbq=6.0,
                  override_reason="patient asked to go on", signer="dr.a", signer_name="Dr A")

    def orders() -> list[MedicationRequest]:
        out = tmp_path / "b.json"
        code, _, err = _run(db, "export", "--format", "fhir", str(out), "--patient", "SYN-002")
        assert code == 0, err
        bundle = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
        return [e.resource for e in bundle.entry or []
                if isinstance(e.resource, MedicationRequest) and e.resource.intent == "order"]

    (order,) = orders()
    assert (order.status, order.requester.display) == ("active", "Dr A")
    dose = order.dosageInstruction[0].doseAndRate[0].doseQuantity
    assert (float(dose.value), dose.code) == (6.0, "GBq")
    assert any("override" in n.text and "patient asked to go on" in n.text for n in order.note)
    store.add([LabResult(patient_id="SYN-002", analyte="haemoglobin", sampled_on=date(2025, 8, 3), value=12.9,
                         unit="g/dL", lln=13.5, uln=17.5)], user="t")
    (order,) = orders()
    assert order.status == "on-hold" and "void" in order.statusReason.text
