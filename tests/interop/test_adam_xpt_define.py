"""Every ADaM XPT read back with pyreadstat against the metadata, and the Define-XML 2.1 built
from the same metadata checked for structure and agreement with the files.

What is checked here: well-formedness, the Define-XML 2.1 namespaces and required attributes,
the element order of ``MetaDataVersion`` (Define-XML 2.1 specification §5.3), unique OIDs and
that every reference (ItemOID, CodeListOID, MethodOID, ArchiveLocationID, the leaf's file) resolves.
Not checked: the CDISC XML schema (XSD) and Pinnacle 21 rules — neither is available offline.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyreadstat
import pytest

from lutetia.analysis.adam_metadata import CODELISTS, SPECS
from lutetia.analysis.datasets import Dataset
from lutetia.report.datasets_io import write_adam

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
XLINK = "{http://www.w3.org/1999/xlink}"
CREATED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def written(prodigy_adam: tuple[Dataset, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adam")
    write_adam(prodigy_adam, out, study_id="prodigy-2", study_title="PRODIGY-2", created=CREATED)
    return out


def test_all_five_datasets_have_rows(prodigy_adam: tuple[Dataset, ...]) -> None:
    counts = {ds.name: len(ds.rows) for ds in prodigy_adam}
    assert set(counts) == set(SPECS)
    assert counts["ADSL"] == 2 and all(n > 0 for n in counts.values()), counts


def test_every_xpt_matches_the_metadata(prodigy_adam: tuple[Dataset, ...], written: Path) -> None:
    for ds in prodigy_adam:
        df, meta = pyreadstat.read_xport(str(written / f"{ds.name.lower()}.xpt"))
        spec = SPECS[ds.name]
        assert meta.table_name == spec.name and meta.file_label == spec.label
        assert list(df.columns) == [v.name for v in spec.variables]
        assert meta.column_names_to_labels == {v.name: v.label for v in spec.variables}
        for v in spec.variables:
            kind = meta.readstat_variable_types[v.name]
            assert kind == ("string" if v.type == "Char" else "double"), (ds.name, v.name)
            assert meta.variable_storage_width[v.name] <= v.length
            # pyreadstat reports the format as "DATE9." or "DATE9" depending on its version
            assert ((meta.original_variable_types[v.name] or "").rstrip(".") == "DATE9") == v.is_date
        # values: the XPT holds what the builder produced (missing numbers NaN, missing text '')
        for i, row in enumerate(ds.rows):
            for v in spec.variables:
                got, want = df[v.name].iloc[i], row[v.name]
                if want is None:
                    assert got == "" if v.type == "Char" else got != got, (ds.name, v.name, got)
                elif isinstance(want, date):
                    assert got == want
                else:
                    assert got == want, (ds.name, v.name, got, want)


def _define(written: Path) -> ET.Element:
    return ET.parse(written / "define.xml").getroot()


def test_define_xml_structure(written: Path) -> None:
    root = _define(written)
    assert root.tag == f"{ODM}ODM" and root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Snapshot"
    assert root.get(f"{DEF}Context") == "Submission" and root.get("CreationDateTime") == "2026-01-05T12:00:00+00:00"
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    assert mdv is not None and mdv.get(f"{DEF}DefineVersion") == "2.1.0"
    order = [child.tag for child in mdv]
    rank = {f"{DEF}Standards": 0, f"{ODM}ItemGroupDef": 1, f"{ODM}ItemDef": 2, f"{ODM}CodeList": 3,
            f"{ODM}MethodDef": 4}
    assert [rank[t] for t in order] == sorted(rank[t] for t in order)
    oids = [e.get("OID") for e in mdv.iter() if e.get("OID")]
    assert not [o for o, n in Counter(oids).items() if n > 1]
    item_defs = {e.get("OID"): e for e in mdv.findall(f"{ODM}ItemDef")}
    codelists = {e.get("OID") for e in mdv.findall(f"{ODM}CodeList")}
    methods = {e.get("OID") for e in mdv.findall(f"{ODM}MethodDef")}
    groups = mdv.findall(f"{ODM}ItemGroupDef")
    assert [g.get("Name") for g in groups] == ["ADSL", "ADTTE", "ADLB", "ADRS", "ADAE"]
    for g in groups:
        refs = g.findall(f"{ODM}ItemRef")
        assert [item_defs[r.get("ItemOID")].get("Name") for r in refs] == [v.name for v in SPECS[g.get("Name")].variables]
        assert all(r.get("MethodOID") in methods for r in refs if r.get("MethodOID"))
        # every derived variable carries its derivation (Define-XML 2.1 §5.3.6: MethodOID)
        derived = [r for r in refs if item_defs[r.get("ItemOID")].find(f"{DEF}Origin").get("Type") == "Derived"]  # type: ignore[union-attr]
        assert all(r.get("MethodOID") for r in derived), [r.get("ItemOID") for r in derived if not r.get("MethodOID")]
        keys = sorted((int(r.get("KeySequence")), item_defs[r.get("ItemOID")].get("Name"))  # type: ignore[arg-type]
                      for r in refs if r.get("KeySequence"))
        assert tuple(k for _, k in keys) == SPECS[g.get("Name")].keys
        leaf = g.find(f"{DEF}leaf")
        assert leaf is not None and leaf.get("ID") == g.get(f"{DEF}ArchiveLocationID")
        assert (written / leaf.get(f"{XLINK}href", "")).exists()
        assert g.find(f"{DEF}Class") is not None
    for item in item_defs.values():
        ref = item.find(f"{ODM}CodeListRef")
        assert ref is None or ref.get("CodeListOID") in codelists
        assert item.find(f"{DEF}Origin") is not None and len(item.get("Name", "")) <= 8
        assert item.get("DataType") in {"text", "integer", "float"}


def test_define_lengths_agree_with_the_xpt(prodigy_adam: tuple[Dataset, ...], written: Path) -> None:
    mdv = _define(written).find(f"{ODM}Study/{ODM}MetaDataVersion")
    assert mdv is not None
    item_defs = {e.get("OID"): e for e in mdv.findall(f"{ODM}ItemDef")}
    for g in mdv.findall(f"{ODM}ItemGroupDef"):
        _, meta = pyreadstat.read_xport(str(written / f"{g.get('Name', '').lower()}.xpt"))
        for r in g.findall(f"{ODM}ItemRef"):
            item = item_defs[r.get("ItemOID")]
            name = item.get("Name", "")
            if item.get("DataType") == "text":
                # a shared ItemDef carries the longest value across the datasets that use it
                assert int(item.get("Length", "0")) >= meta.variable_storage_width[name]
            else:
                assert meta.readstat_variable_types[name] == "double"


def test_codelists_carry_their_nci_codes(written: Path) -> None:
    mdv = _define(written).find(f"{ODM}Study/{ODM}MetaDataVersion")
    assert mdv is not None
    for cl in mdv.findall(f"{ODM}CodeList"):
        spec = CODELISTS[cl.get("OID", "")[3:]]
        alias = cl.find(f"{ODM}Alias")
        assert (alias.get("Name") if alias is not None else None) == spec.nci_code
        assert [i.get("CodedValue") for i in cl.findall(f"{ODM}CodeListItem")] == [c for c, _ in spec.values]
    ny = mdv.find(f"{ODM}CodeList[@OID='CL.NY']")
    assert ny is not None and ny.find(f"{ODM}Alias").get("Name") == "C66742"  # type: ignore[union-attr]


def test_naive_creation_time_is_refused(prodigy_adam: tuple[Dataset, ...], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        write_adam(prodigy_adam, tmp_path, study_id="x", study_title="x", created=datetime(2026, 1, 1))
