"""The analyze command and the reports it writes, on the bundled synthetic sample."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pyreadstat
from typer.testing import CliRunner

from lutetia.cli.main import app

runner = CliRunner()
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def test_analyze_writes_report_datasets_and_patient_pages(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "tester", "import", str(sample_path)]).exit_code == 0
    out = tmp_path / "ecog3"
    figures = tmp_path / "figures"  # as `dose images --figures` lays them out
    (figures / "SYN-006").mkdir(parents=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16  # embedded as bytes, not decoded
    for cycle in (2, 1):
        (figures / "SYN-006" / f"cycle-{cycle}-dosimetry.png").write_bytes(png)
    result = runner.invoke(app, ["--db", str(db), "analyze", "--protocol", "ecog3-registry", "--out", str(out),
                                 "--figures", str(figures)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "ecog3.ep.os" in result.stdout
    page = (out / "patients" / "SYN-006.html").read_text()
    assert "Image dosimetry" in page and page.count("data:image/png;base64,iVBORw0KGgo") == 2
    assert page.index("cycle 1 dosimetry") < page.index("cycle 2 dosimetry")
    html = (out / "index.html").read_text()
    assert "“" in html and "Kaplan–Meier" in html and "ADTTE" in html.upper()
    assert (out / "patients" / "SYN-006.html").exists()
    # ADTTE: the sample's ECOG 3 patient died (event, CNSR = 0); AVAL in days from first administration
    with (out / "datasets" / "adtte.csv").open() as fh:
        rows = {r["PARAMCD"]: r for r in csv.DictReader(fh)}
    assert rows["OS"]["CNSR"] == "0"
    df, meta = pyreadstat.read_xport(str(out / "datasets" / "adtte.xpt"))
    assert list(df["CNSR"]) == [0.0, 0.0] or set(df["CNSR"]) <= {0.0, 1.0}
    assert meta.column_names_to_labels["CNSR"].startswith("Censor")
    for png in ("psa_waterfall.png", "km_ecog3_ep_os.png"):
        assert (out / "figures" / png).stat().st_size > 5000
    # issue 15: the Define-XML 2.1 document sits beside the XPT files and names each of them
    define = ET.parse(out / "datasets" / "define.xml").getroot()
    leaves = {e.get(XLINK_HREF) for e in define.iter(f"{{{DEF_NS}}}leaf")}
    assert leaves == {p.name for p in (out / "datasets").glob("*.xpt")} == {
        f"{d}.xpt" for d in ("adsl", "adtte", "adlb", "adrs", "adae")}


def test_analyze_unknown_protocol_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "analyze", "--protocol", "nope", "--out",
                                 str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nope" in result.stderr


def test_analyze_exports_a_site_name_longer_than_20_bytes(tmp_path: Path, sample_path: Path) -> None:
    """Issue 18: ``analyze`` crashed in the XPT export on a 27-byte site name; SITEID is a code
    and the name is kept in SITE."""
    import shutil

    sample = tmp_path / "sample"
    shutil.copytree(sample_path, sample)
    patients = sample / "patients.csv"
    patients.write_text(patients.read_text(encoding="utf-8").replace(",Synthetic,", ",Universitätsspital Zürich,"),
                        encoding="utf-8")
    db = tmp_path / "d.db"
    assert runner.invoke(app, ["--db", str(db), "--user", "tester", "import", str(sample)]).exit_code == 0
    out = tmp_path / "ecog3"
    result = runner.invoke(app, ["--db", str(db), "analyze", "--protocol", "ecog3-registry", "--out", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    df, _ = pyreadstat.read_xport(str(out / "datasets" / "adsl.xpt"))
    assert list(zip(df["SITEID"], df["SITE"], strict=True)) == [("001", "Universitätsspital Zürich")]
