"""Define-XML 2.1 for the ADaM and SDTM datasets, generated from their metadata tables
(:mod:`lutetia.analysis.adam_metadata`, :mod:`lutetia.analysis.sdtm_metadata`).

One ``ItemGroupDef`` per dataset (class, structure, keys, the XPT file as ``def:leaf``), one
``ItemDef`` per variable (shared between datasets when name, label, type and derivation agree,
as Define-XML allows), ``CodeList`` for every codelist a variable uses (with its NCI code as an
``Alias`` when it is CDISC CT) and ``MethodDef`` for every derivation text.

``Length`` of a character variable is the longest value written to the XPT (at least 1), as
FDA's Technical Conformance Guide asks, so the document agrees with the file; numeric variables
are 8 bytes.  The element order within ``MetaDataVersion`` follows the Define-XML 2.1 schema
[1]_: ``def:Standards``, ``ItemGroupDef``, ``ItemDef``, ``CodeList``, ``MethodDef``.

References
----------
.. [1] CDISC. Define-XML Specification Version 2.1 (2019-05-15), sections 5.3.1–5.3.11.
       https://www.cdisc.org/standards/data-exchange/define-xml
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from lutetia.analysis.adam_metadata import CODELISTS, Variable
from lutetia.analysis.datasets import Dataset

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Implementation guide editions the datasets follow, and each one's ItemGroupDef Purpose.
STANDARDS: dict[str, tuple[str, str, str]] = {"ADaMIG": ("1.3", "Analysis", "ADaM"),
                                              "SDTMIG": ("3.4", "Tabulation", "SDTM")}
#: CDISC CT ADaM package the codelist codes were checked against.
CT_VERSION = "2024-03-29"

ET.register_namespace("", ODM_NS)
ET.register_namespace("def", DEF_NS)
ET.register_namespace("xlink", XLINK_NS)


def _o(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    holder = ET.SubElement(parent, tag)
    t = ET.SubElement(holder, _o("TranslatedText"), {XML_LANG: "en"})
    t.text = text


def _char_length(ds: Dataset, v: Variable) -> int:
    return max([len(str(r[v.name]).encode("utf-8")) for r in ds.rows if r[v.name] not in (None, "")] + [1])


def _item_key(v: Variable) -> tuple[object, ...]:
    return (v.name, v.label, v.type, v.is_date, v.integer, v.codelist, v.origin, v.method)


def define_xml(datasets: Sequence[Dataset], *, study_id: str, study_title: str, created: datetime,
               originator: str = "Lutetia", standard: str = "ADaMIG") -> ET.ElementTree:
    """The Define-XML 2.1 document of ``datasets`` (``created`` is an aware timestamp, given by the
    caller; ``standard`` is ``ADaMIG`` or ``SDTMIG``)."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware (Define-XML CreationDateTime)")
    version, purpose, publishing_set = STANDARDS[standard]
    root = ET.Element(_o("ODM"), {
        "FileType": "Snapshot", "FileOID": f"DEF.{study_id}.{publishing_set}", "ODMVersion": "1.3.2",
        "CreationDateTime": created.isoformat(timespec="seconds"), "Originator": originator,
        "SourceSystem": "Lutetia", _d("Context"): "Submission"})
    study = ET.SubElement(root, _o("Study"), {"OID": f"STDY.{study_id}"})
    gv = ET.SubElement(study, _o("GlobalVariables"))
    for tag, text in (("StudyName", study_id), ("StudyDescription", study_title), ("ProtocolName", study_id)):
        ET.SubElement(gv, _o(tag)).text = text
    mdv = ET.SubElement(study, _o("MetaDataVersion"), {
        "OID": f"MDV.{study_id}.{standard}.{version}", "Name": f"{study_id} {publishing_set}",
        _d("DefineVersion"): "2.1.0"})
    standards = ET.SubElement(mdv, _d("Standards"))
    ET.SubElement(standards, _d("Standard"), {"OID": "STD.IG", "Name": standard, "Type": "IG",
                                              "Version": version, "Status": "Final"})
    ET.SubElement(standards, _d("Standard"), {"OID": "STD.CT", "Name": "CDISC/NCI", "Type": "CT",
                                              "PublishingSet": publishing_set, "Version": CT_VERSION,
                                              "Status": "Final"})

    items: dict[str, tuple[Variable, int, tuple[object, ...]]] = {}
    item_oid: dict[tuple[str, str], str] = {}
    for ds in datasets:
        for v in ds.variables:
            length = _char_length(ds, v) if v.type == "Char" else 8
            shared = f"IT.{v.name}"
            if shared in items and items[shared][2] == _item_key(v):
                oid = shared
                items[oid] = (v, max(length, items[oid][1]), _item_key(v))
            else:
                oid = shared if shared not in items else f"IT.{ds.name}.{v.name}"
                items[oid] = (v, length, _item_key(v))
            item_oid[(ds.name, v.name)] = oid

    methods: dict[str, str] = {}
    for ds in datasets:
        attrs = {"OID": f"IG.{ds.name}", "Name": ds.name, "SASDatasetName": ds.name, "Repeating":
                 "No" if ds.metadata().structure == "One record per subject" else "Yes", "IsReferenceData": "No",
                 "Purpose": purpose, _d("Structure"): ds.metadata().structure, _d("StandardOID"): "STD.IG",
                 _d("ArchiveLocationID"): f"LF.{ds.name}"}
        if standard == "SDTMIG":
            attrs["Domain"] = ds.name
        ig = ET.SubElement(mdv, _o("ItemGroupDef"), attrs)
        _text(ig, _o("Description"), ds.label)
        for order, v in enumerate(ds.variables, start=1):
            ref = {"ItemOID": item_oid[(ds.name, v.name)], "OrderNumber": str(order),
                   "Mandatory": "Yes" if v.name in ds.metadata().keys else "No"}
            if v.name in ds.metadata().keys:
                ref["KeySequence"] = str(ds.metadata().keys.index(v.name) + 1)
            if v.method and v.origin == "Derived":
                mid = f"MT.{ds.name}.{v.name}"
                methods[mid] = v.method
                ref["MethodOID"] = mid
            ET.SubElement(ig, _o("ItemRef"), ref)
        ET.SubElement(ig, _d("Class"), {"Name": ds.metadata().dataset_class})
        leaf = ET.SubElement(ig, _d("leaf"), {"ID": f"LF.{ds.name}", f"{{{XLINK_NS}}}href": f"{ds.name.lower()}.xpt"})
        ET.SubElement(leaf, _d("title")).text = f"{ds.name.lower()}.xpt"

    for oid, (v, length, _) in items.items():
        attrs = {"OID": oid, "Name": v.name, "SASFieldName": v.name, "DataType": v.data_type, "Length": str(length)}
        if v.is_date:
            attrs[_d("DisplayFormat")] = "DATE9."
        item = ET.SubElement(mdv, _o("ItemDef"), attrs)
        _text(item, _o("Description"), v.label)
        if v.codelist:
            ET.SubElement(item, _o("CodeListRef"), {"CodeListOID": f"CL.{v.codelist}"})
        origin = ET.SubElement(item, _d("Origin"), {"Type": v.origin, **(
            {"Source": "Investigator"} if v.origin == "Collected" else {})})
        if v.origin == "Predecessor" or (v.origin == "Assigned" and v.method):
            _text(origin, _o("Description"), v.method or "From the patient record.")

    for cl_id in sorted({v.codelist for v, _, _ in items.values() if v.codelist}):
        cl = CODELISTS[cl_id]
        attrs = {"OID": f"CL.{cl.id}", "Name": cl.name, "DataType": cl.data_type}
        if cl.nci_code:
            attrs[_d("StandardOID")] = "STD.CT"
        node = ET.SubElement(mdv, _o("CodeList"), attrs)
        for order, (code, decode) in enumerate(cl.values, start=1):
            it = ET.SubElement(node, _o("CodeListItem"), {"CodedValue": code, "OrderNumber": str(order)})
            _text(it, _o("Decode"), decode)
        if cl.nci_code:
            ET.SubElement(node, _o("Alias"), {"Context": "nci:ExtCodeID", "Name": cl.nci_code})

    for mid, text in methods.items():
        m = ET.SubElement(mdv, _o("MethodDef"), {"OID": mid, "Name": f"Algorithm for {mid[3:]}",
                                                 "Type": "Computation"})
        _text(m, _o("Description"), text)
    ET.indent(root)
    return ET.ElementTree(root)


def write_define_xml(datasets: Sequence[Dataset], path: Path, *, study_id: str, study_title: str,
                     created: datetime, standard: str = "ADaMIG") -> Path:
    """Write ``define.xml`` (UTF-8, with XML declaration)."""
    tree = define_xml(datasets, study_id=study_id, study_title=study_title, created=created, standard=standard)
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    return path
