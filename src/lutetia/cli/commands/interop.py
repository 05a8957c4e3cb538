"""``lutetia cdisc|redcap|fhir``: the interchange formats by command group.

``lutetia export --format adam|sdtm|redcap|fhir`` and ``lutetia import --format redcap|fhir``
(:mod:`lutetia.cli.commands.data`) do the same through :mod:`lutetia.cli.interop_io`; these
groups stay as aliases and hold what only they do (the REDCap data dictionary and the live API).
Thin shell: datasets are derived by :mod:`lutetia.analysis`, formats by :mod:`lutetia.interop`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli import interop_io as io
from lutetia.cli.common import fail, print_table, settings

ProtocolOption = Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")]
TimezoneOption = Annotated[str, typer.Option(
    "--timezone", help="IANA time zone of the project's date-times (REDCap keeps none).")]
ReasonOption = Annotated[str | None, typer.Option(help="Why this data is imported (kept in the audit trail).")]

cdisc_app = typer.Typer(help="CDISC datasets for statisticians and submissions (ADaM, SDTM, Define-XML); "
                        "the same as `lutetia export --format adam|sdtm`.", no_args_is_help=True)


@cdisc_app.command("adam")
def adam(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder for the XPT files and define.xml.")],
    protocol: ProtocolOption,
    cutoff: Annotated[str | None, typer.Option(help="Data cut-off date YYYY-MM-DD (default: all data).")] = None,
) -> None:
    """Write ADSL, ADTTE, ADLB, ADRS and ADAE as SAS transport v5 (.xpt, with CSV and a
    metadata CSV beside each) and the Define-XML 2.1 document describing them."""
    io.export_adam(ctx, out, protocol, cutoff)


@cdisc_app.command("sdtm")
def sdtm(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder for the XPT files and define.xml.")],
    protocol: ProtocolOption,
) -> None:
    """Write DM, DS, EX, AE, LB, TU, TR, RS and the sponsor-defined dosimetry domain XD as SAS
    transport v5 (with CSV and a metadata CSV beside each) and their Define-XML 2.1 document."""
    io.export_sdtm(ctx, out, protocol)


redcap_app = typer.Typer(help="REDCap projects: data dictionary from a protocol, flat CSV in and out, live API.",
                         no_args_is_help=True)


@redcap_app.command("dictionary")
def redcap_dictionary(
    protocol: ProtocolOption,
    out: Annotated[Path | None, typer.Argument(
        help="Folder for data_dictionary.csv, events.csv and the designations "
        "(omitted: the data dictionary CSV on standard output).")] = None,
) -> None:
    """The REDCap project of a protocol: the 18-column data dictionary, the longitudinal
    events (screening, one per cycle, follow-up), the instrument designations and the
    repeating instruments."""
    from lutetia.interop.redcap_dictionary import dictionary_csv, write_project

    proto = io.load(protocol)
    if out is None:
        typer.echo(dictionary_csv(proto), nl=False)
        return
    paths = write_project(proto, out)
    print_table([{"file": str(p)} for p in paths.values()], ["file"], title=f"REDCap project of {protocol}")


@redcap_app.command("export")
def redcap_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The flat CSV file to write.")],
    protocol: ProtocolOption,
    timezone: TimezoneOption = "UTC",
) -> None:
    """Write the store's patients of a protocol as a REDCap flat CSV (records, raw); the same
    as `lutetia export --format redcap`."""
    io.export_redcap(ctx, path, protocol, timezone)


@redcap_app.command("import")
def redcap_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A REDCap flat CSV export (records, raw) of the protocol's project.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id of the REDCap project.")],
    timezone: TimezoneOption = "UTC",
    reason: ReasonOption = None,
) -> None:
    """Validate everything, then import in one transaction (nothing is written on any error);
    problems are listed as `lutetia import` lists them, with the CSV line, record and event.
    The same as `lutetia import --format redcap`."""
    io.import_redcap(ctx, path, protocol, timezone, reason)


UrlOption = Annotated[str, typer.Option("--url", help="The project's API address (ends in /api/).")]
TokenEnvOption = Annotated[str, typer.Option(
    "--token-env", help="Environment variable holding the project's API token (never given on the command line).")]


def _project(url: str, token_env: str) -> Any:
    import os

    from lutetia.interop.redcap_api import open_project

    token = os.environ.get(token_env, "")
    if len(token) != 32 or not url.endswith("/api/"):
        raise fail(f"REDCap API: set ${token_env} to the project's 32-character token and give --url ending in "
                   f"/api/ (got {url!r})", 2)
    return open_project(url, token)


@redcap_app.command("setup")
def redcap_setup(
    url: UrlOption,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id.")],
    token_env: TokenEnvOption = "LUTETIA_REDCAP_TOKEN",
) -> None:
    """Set up a live REDCap project for a protocol through the API: dictionary, arm, events,
    designations, repeating instruments."""
    from lutetia.interop.redcap_api import set_up_project

    answers = set_up_project(_project(url, token_env), io.load(protocol))
    print_table([{"import": k, "REDCap answered": v} for k, v in answers.items()], ["import", "REDCap answered"],
                title=f"REDCap project for {protocol}")


@redcap_app.command("pull")
def redcap_pull(
    ctx: typer.Context,
    url: UrlOption,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id of the REDCap project.")],
    timezone: TimezoneOption = "UTC",
    token_env: TokenEnvOption = "LUTETIA_REDCAP_TOKEN",
    reason: ReasonOption = None,
) -> None:
    """Import a live project's records through the API, validated as `lutetia redcap import`."""
    from lutetia.interop.redcap_api import pull

    parsed = pull(_project(url, token_env), io.load(protocol), tz=io.zone(timezone))
    io.print_summary(io.store_parsed(ctx, parsed, url, reason), f"Imported {url}")


@redcap_app.command("push")
def redcap_push(
    ctx: typer.Context,
    url: UrlOption,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id of the REDCap project.")],
    timezone: TimezoneOption = "UTC",
    token_env: TokenEnvOption = "LUTETIA_REDCAP_TOKEN",
) -> None:
    """Send the store's patients of a protocol to a live project through the API."""
    from lutetia.interop.redcap_api import push
    from lutetia.store.repository import Store

    n = push(_project(url, token_env), io.load(protocol), Store.open(settings(ctx).db_url).records(),
             tz=io.zone(timezone))
    typer.echo(f"REDCap imported {n} record(s)")


fhir_app = typer.Typer(help="FHIR R4B: a patient's record as a Bundle; lab Observations in "
                       "(the same as `lutetia export|import --format fhir`).", no_args_is_help=True)


@fhir_app.command("export")
def fhir_export(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="Patient id.")],
    path: Annotated[Path, typer.Argument(help="The Bundle JSON file to write.")],
) -> None:
    """Write the patient's record as a FHIR R4B collection Bundle (Patient, Condition, ResearchStudy,
    ResearchSubject, MedicationAdministration, Observation, AdverseEvent, ImagingStudy, DiagnosticReport)."""
    io.export_fhir_patient(ctx, patient, path)


@fhir_app.command("import-labs")
def fhir_import_labs(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A FHIR R4B Bundle (JSON) of laboratory Observations.")],
    patient: Annotated[str, typer.Option("--patient", help="The patient the Observations belong to.")],
    reason: ReasonOption = None,
) -> None:
    """Import the Bundle's laboratory Observations (LOINC-coded) into the patient's labs, validated
    as `lutetia import` validates: every problem is listed and nothing is written if there is one."""
    io.import_fhir_labs(ctx, path, patient, reason)


def register(app: typer.Typer) -> None:
    app.add_typer(cdisc_app, name="cdisc")
    app.add_typer(redcap_app, name="redcap")
    app.add_typer(fhir_app, name="fhir")
