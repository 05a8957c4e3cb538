"""A live REDCap project through its API, with PyCap [1]_: set up the protocol's project, pull
its records into Lutetia, push Lutetia's records to it.

The data are the same as the flat CSV files of :mod:`lutetia.interop.redcap_flat` (the API's
``content=record, format=csv, type=flat, rawOrLabel=raw`` export is that file), so a pulled
project is validated exactly as ``lutetia redcap import`` validates a file.  The project set-up
sends the data dictionary with the API's metadata column names, arm 1, the events (whose unique
names REDCap derives from the labels), the instrument–event designations and the repeating
instruments.

The token is read by the caller from an environment variable, never from the command line.

References
----------
.. [1] PyCap (redcap-tools), ``redcap.Project``. https://redcap-tools.github.io/PyCap/ ;
       REDCap API documentation (API Playground / "API Help"), REDCap 13–14.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from lutetia.interop.redcap_dictionary import (
    DICTIONARY_COLUMNS,
    designations,
    dictionary,
    event_names,
    repeating_forms,
)
from lutetia.interop.redcap_flat import flat_csv, read_flat_text
from lutetia.protocols.schema import Protocol
from lutetia.records import PatientRecord
from lutetia.store.interchange import Parsed

#: The REDCap API's name of each data dictionary column (``content=metadata``).
API_METADATA_COLUMNS: dict[str, str] = dict(zip(DICTIONARY_COLUMNS, (
    "field_name", "form_name", "section_header", "field_type", "field_label", "select_choices_or_calculations",
    "field_note", "text_validation_type_or_show_slider_number", "text_validation_min", "text_validation_max",
    "identifier", "branching_logic", "required_field", "custom_alignment", "question_number",
    "matrix_group_name", "matrix_ranking", "field_annotation"), strict=True))


def open_project(url: str, token: str) -> Any:
    """A PyCap ``Project`` (no request is sent until a method is called)."""
    from redcap.project import Project

    return Project(url, token)


def set_up_project(project: Any, protocol: Protocol) -> dict[str, Any]:
    """Send the protocol's dictionary, arm, events, designations and repeating instruments;
    returns what REDCap answered to each import (counts)."""
    metadata = [{API_METADATA_COLUMNS[k]: v for k, v in f.row().items()} for f in dictionary(protocol)]
    events = [{"event_name": label, "arm_num": "1"} for _, label in event_names(protocol)]
    mappings = [{"arm_num": "1", "unique_event_name": e, "form": form} for e, form in designations(protocol)]
    repeating = [{"event_name": e, "form_name": form, "custom_form_label": ""}
                 for e, form in designations(protocol) if form in repeating_forms()]
    return {
        "metadata": project.import_metadata(metadata),
        "arms": project.import_arms([{"arm_num": "1", "name": "Arm 1"}]),
        "events": project.import_events(events),
        "designations": project.import_instrument_event_mappings(mappings),
        "repeating": project.import_repeating_instruments_events(repeating),
    }


def pull(project: Any, protocol: Protocol, *, tz: tzinfo) -> Parsed:
    """The project's records as Lutetia records, validated, with every problem listed."""
    text = project.export_records(format_type="csv", raw_or_label="raw", raw_or_label_headers="raw",
                                  event_name="unique", record_type="flat")
    return read_flat_text(protocol, text, tz=tz, name=f"REDCap {project.url}")


def push(project: Any, protocol: Protocol, records: Iterable[PatientRecord], *, tz: tzinfo) -> int:
    """Import the protocol's patients into the project (blank cells do not overwrite); returns
    the number of records REDCap reports as imported."""
    text, _ = flat_csv(protocol, records, tz=tz)
    answer = project.import_records(text, import_format="csv", return_content="count", overwrite="normal")
    return int(answer["count"])
