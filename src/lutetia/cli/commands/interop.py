"""``lutetia cdisc``: CDISC datasets of a protocol's patients (ADaM or SDTM, with Define-XML 2.1).

Thin shell: the datasets are derived by :mod:`lutetia.analysis` and written by
:mod:`lutetia.report`; this module parses options, reads the store and the clock (the
Define-XML creation time) and prints what it wrote.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import fail, print_table, settings

cdisc_app = typer.Typer(help="CDISC datasets for statisticians and submissions (ADaM, SDTM, Define-XML).",
                        no_args_is_help=True)


def _cutoff(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--cutoff {text!r}: expected a date YYYY-MM-DD", 2) from exc


@cdisc_app.command("adam")
def adam(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder for the XPT files and define.xml.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
    cutoff: Annotated[str | None, typer.Option(help="Data cut-off date YYYY-MM-DD (default: all data).")] = None,
) -> None:
    """Write ADSL, ADTTE, ADLB, ADRS and ADAE as SAS transport v5 (.xpt, with CSV and a
    metadata CSV beside each) and the Define-XML 2.1 document describing them."""
    from lutetia.analysis.trial import analyse_trial
    from lutetia.report.datasets_io import write_adam

    proto, records = _protocol_records(ctx, protocol)
    datasets = analyse_trial(proto, records, cutoff=_cutoff(cutoff)).datasets
    paths = write_adam(datasets, out, study_id=proto.id, study_title=proto.title, created=datetime.now(UTC))
    print_table([{"dataset": ds.name, "rows": len(ds.rows), "file": str(paths[ds.name])} for ds in datasets],
                ["dataset", "rows", "file"], title=f"ADaM of {proto.id}")
    typer.echo(f"define: {paths['define']}")


@cdisc_app.command("sdtm")
def sdtm(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder for the XPT files and define.xml.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
) -> None:
    """Write DM, DS, EX, AE, LB, TU, TR, RS and the sponsor-defined dosimetry domain XD as SAS
    transport v5 (with CSV and a metadata CSV beside each) and their Define-XML 2.1 document."""
    from lutetia.analysis.sdtm import sdtm_datasets
    from lutetia.report.datasets_io import write_adam

    proto, records = _protocol_records(ctx, protocol)
    datasets = sdtm_datasets(proto, records)
    paths = write_adam(datasets, out, study_id=proto.id, study_title=proto.title, created=datetime.now(UTC),
                       standard="SDTMIG")
    print_table([{"domain": ds.name, "rows": len(ds.rows), "file": str(paths[ds.name])} for ds in datasets],
                ["domain", "rows", "file"], title=f"SDTM of {proto.id}")
    typer.echo(f"define: {paths['define']}")


def _protocol_records(ctx: typer.Context, protocol: str) -> tuple[Any, list[Any]]:
    """The protocol and the store's records, or a clear exit (2: unknown protocol, 1: no patient)."""
    from lutetia.analysis.trial import enrolled
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol
    from lutetia.store.repository import Store

    try:
        proto = load_protocol(protocol)
    except (ProtocolError, KeyError) as exc:
        raise fail(str(exc), 2) from exc
    records = list(Store.open(settings(ctx).db_url).records())
    if not enrolled(records, proto.id):
        raise fail(f"no patient of the store is enrolled in {protocol!r}", 1)
    return proto, records


redcap_app = typer.Typer(help="REDCap projects: data dictionary from a protocol, flat CSV in and out.",
                         no_args_is_help=True)


def _protocol(protocol: str) -> Any:
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        return load_protocol(protocol)
    except (ProtocolError, KeyError) as exc:
        raise fail(str(exc), 2) from exc


def _tz(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(f"--timezone {name!r}: not an IANA time zone (e.g. UTC, Europe/Zurich)", 2) from exc


TimezoneOption = Annotated[str, typer.Option(
    "--timezone", help="IANA time zone of the project's date-times (REDCap keeps none).")]


@redcap_app.command("dictionary")
def redcap_dictionary(
    out: Annotated[Path, typer.Argument(help="Folder for data_dictionary.csv, events.csv and the designations.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
) -> None:
    """Write the REDCap project of a protocol: the 18-column data dictionary, the longitudinal
    events (screening, one per cycle, follow-up), the instrument designations and the
    repeating instruments."""
    from lutetia.interop.redcap_dictionary import write_project

    paths = write_project(_protocol(protocol), out)
    print_table([{"file": str(p)} for p in paths.values()], ["file"], title=f"REDCap project of {protocol}")


@redcap_app.command("export")
def redcap_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The flat CSV file to write.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id (see `lutetia protocols list`).")],
    timezone: TimezoneOption = "UTC",
) -> None:
    """Write the store's patients of a protocol as a REDCap flat CSV (records, raw)."""
    from lutetia.interop.redcap_flat import export_flat
    from lutetia.store.repository import Store

    proto = _protocol(protocol)
    n = export_flat(proto, Store.open(settings(ctx).db_url).records(), path, tz=_tz(timezone))
    typer.echo(f"{n} rows written to {path}")


@redcap_app.command("import")
def redcap_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A REDCap flat CSV export (records, raw) of the protocol's project.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id of the REDCap project.")],
    timezone: TimezoneOption = "UTC",
    reason: Annotated[str | None, typer.Option(help="Why this data is imported (kept in the audit trail).")] = None,
) -> None:
    """Validate everything, then import in one transaction (nothing is written on any error);
    problems are listed as `lutetia import` lists them, with the CSV line, record and event."""
    from lutetia.errors import LutetiaError
    from lutetia.interop.redcap_flat import read_flat
    from lutetia.store.repository import Store

    parsed = read_flat(_protocol(protocol), path, tz=_tz(timezone))
    _refuse(parsed.problems)
    try:
        summary = Store.open(settings(ctx).db_url).add(parsed.records, user=settings(ctx).user, source=str(path),
                                                       reason=_warn(parsed.warnings, reason))
    except LutetiaError as exc:
        _refuse(str(exc).splitlines())
    rows = [{"kind": k, "inserted": summary.inserted.get(k, 0), "unchanged": summary.unchanged.get(k, 0)}
            for k in sorted(set(summary.inserted) | set(summary.unchanged))]
    print_table(rows, ["kind", "inserted", "unchanged"], title=f"Imported {path}")


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

    answers = set_up_project(_project(url, token_env), _protocol(protocol))
    print_table([{"import": k, "REDCap answered": v} for k, v in answers.items()], ["import", "REDCap answered"],
                title=f"REDCap project for {protocol}")


@redcap_app.command("pull")
def redcap_pull(
    ctx: typer.Context,
    url: UrlOption,
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol id of the REDCap project.")],
    timezone: TimezoneOption = "UTC",
    token_env: TokenEnvOption = "LUTETIA_REDCAP_TOKEN",
    reason: Annotated[str | None, typer.Option(help="Why this data is imported (kept in the audit trail).")] = None,
) -> None:
    """Import a live project's records through the API, validated as `lutetia redcap import`."""
    from lutetia.errors import LutetiaError
    from lutetia.interop.redcap_api import pull
    from lutetia.store.repository import Store

    parsed = pull(_project(url, token_env), _protocol(protocol), tz=_tz(timezone))
    _refuse(parsed.problems)
    try:
        summary = Store.open(settings(ctx).db_url).add(parsed.records, user=settings(ctx).user, source=url,
                                                       reason=_warn(parsed.warnings, reason))
    except LutetiaError as exc:
        _refuse(str(exc).splitlines())
    rows = [{"kind": k, "inserted": summary.inserted.get(k, 0), "unchanged": summary.unchanged.get(k, 0)}
            for k in sorted(set(summary.inserted) | set(summary.unchanged))]
    print_table(rows, ["kind", "inserted", "unchanged"], title=f"Imported {url}")


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

    n = push(_project(url, token_env), _protocol(protocol), Store.open(settings(ctx).db_url).records(),
             tz=_tz(timezone))
    typer.echo(f"REDCap imported {n} record(s)")


def _warn(warnings: list[str], reason: str | None) -> str | None:
    """Show soft plausibility warnings and add them to the audit reason (as `lutetia import` does)."""
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not warnings:
        return reason
    noted = f"{len(warnings)} plausibility warning(s): " + " | ".join(warnings)
    return f"{reason}; {noted}" if reason else noted


def _refuse(problems: list[str]) -> None:
    if problems:
        typer.echo(f"import refused: {len(problems)} problem(s); nothing was written", err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(1)


fhir_app = typer.Typer(help="FHIR R4B: a patient's record as a Bundle; lab Observations in.", no_args_is_help=True)


@fhir_app.command("export")
def fhir_export(
    ctx: typer.Context,
    patient: Annotated[str, typer.Argument(help="Patient id.")],
    path: Annotated[Path, typer.Argument(help="The Bundle JSON file to write.")],
) -> None:
    """Write the patient's record as a FHIR R4B collection Bundle (Patient, Condition, ResearchStudy,
    ResearchSubject, MedicationAdministration, Observation, AdverseEvent, ImagingStudy, DiagnosticReport)."""
    from lutetia.errors import NotFoundError
    from lutetia.interop.fhir import patient_bundle
    from lutetia.store.repository import Store

    store = Store.open(settings(ctx).db_url)
    try:
        rec = store.record(patient)
    except NotFoundError as exc:
        raise fail(str(exc), 1) from exc
    bundle = patient_bundle(rec)
    path.write_text(bundle.model_dump_json(exclude_none=True, indent=1), encoding="utf-8")
    typer.echo(f"{len(bundle.entry or [])} resources written to {path}")


@fhir_app.command("import-labs")
def fhir_import_labs(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A FHIR R4B Bundle (JSON) of laboratory Observations.")],
    patient: Annotated[str, typer.Option("--patient", help="The patient the Observations belong to.")],
    reason: Annotated[str | None, typer.Option(help="Why this data is imported (kept in the audit trail).")] = None,
) -> None:
    """Import the Bundle's laboratory Observations (LOINC-coded) into the patient's labs, validated
    as `lutetia import` validates: every problem is listed and nothing is written if there is one."""
    from lutetia.errors import LutetiaError
    from lutetia.interop.fhir import read_lab_bundle
    from lutetia.store.repository import Store

    parsed = read_lab_bundle(path.read_text(encoding="utf-8"), patient, source=path.name)
    _refuse(parsed.problems)
    try:
        summary = Store.open(settings(ctx).db_url).add(parsed.records, user=settings(ctx).user, source=str(path),
                                                       reason=_warn(parsed.warnings, reason))
    except LutetiaError as exc:
        _refuse(str(exc).splitlines())
    typer.echo(f"labs: {summary.inserted.get('labs', 0)} inserted, {summary.unchanged.get('labs', 0)} unchanged")


def register(app: typer.Typer) -> None:
    app.add_typer(cdisc_app, name="cdisc")
    app.add_typer(redcap_app, name="redcap")
    app.add_typer(fhir_app, name="fhir")
