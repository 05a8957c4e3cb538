"""The interchange formats' shell, shared by ``lutetia export|import --format …`` and the
older ``lutetia cdisc|redcap|fhir`` command groups.

Each function parses nothing of its own: it loads the protocol, reads or writes the store, calls
the one implementation in :mod:`lutetia.analysis` (ADaM, SDTM) or :mod:`lutetia.interop`
(REDCap, FHIR), reads the clock where a document needs a creation time (Define-XML) and prints
what it did.  Heavy libraries load inside the functions (``lutetia --help`` stays fast).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from lutetia.cli.common import fail, print_table, settings


class ExportFormat(StrEnum):
    """What ``lutetia export --format`` writes."""

    interchange = "interchange"
    adam = "adam"
    sdtm = "sdtm"
    redcap = "redcap"
    fhir = "fhir"


class ImportFormat(StrEnum):
    """What ``lutetia import --format`` reads."""

    interchange = "interchange"
    redcap = "redcap"
    fhir = "fhir"


def load(protocol: str) -> Any:
    """The shipped protocol, or exit 2 naming the known ones."""
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        return load_protocol(protocol)
    except (ProtocolError, KeyError) as exc:
        raise fail(str(exc), 2) from exc


def parse_cutoff(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"--cutoff {text!r}: expected a date YYYY-MM-DD", 2) from exc


def zone(name: str) -> Any:
    """An IANA time zone, or exit 2."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(f"--timezone {name!r}: not an IANA time zone (e.g. UTC, Europe/Zurich)", 2) from exc


def _require(value: str | None, option: str, fmt: str, what: str) -> str:
    if not value:
        raise fail(f"--format {fmt} needs {option} ({what})", 2)
    return value


def _refuse_options(fmt: str, given: dict[str, object]) -> None:
    """Options that mean nothing for ``fmt`` are refused rather than silently ignored."""
    extra = [name for name, value in given.items() if value not in (None, False)]
    if extra:
        raise fail(f"{', '.join(extra)}: not used with --format {fmt}", 2)


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place: the file
    appears whole or not at all (a full disk leaves the old file, if any)."""
    import os
    import tempfile

    path.absolute().parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.absolute().parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _protocol_records(ctx: typer.Context, protocol: str) -> tuple[Any, list[Any]]:
    """The protocol and the store's records, or a clear exit (2: unknown protocol, 1: no patient)."""
    from lutetia.analysis.trial import enrolled
    from lutetia.store.repository import Store

    proto = load(protocol)
    records = list(Store.open(settings(ctx).db_url).records())
    if not enrolled(records, proto.id):
        raise fail(f"no patient of the store is enrolled in {protocol!r}", 1)
    return proto, records


# ----------------------------------------------------------------------------- export
def export_adam(ctx: typer.Context, out: Path, protocol: str, cutoff: str | None) -> None:
    """ADSL, ADTTE, ADLB, ADRS, ADAE as XPT v5 (+ CSV, metadata CSV) and define.xml in ``out``."""
    from lutetia.analysis.trial import analyse_trial
    from lutetia.cli.output import staged_folder
    from lutetia.report.datasets_io import write_adam

    proto, records = _protocol_records(ctx, protocol)
    datasets = analyse_trial(proto, records, cutoff=parse_cutoff(cutoff)).datasets
    with staged_folder(out) as tmp:  # the files appear together, or not at all
        paths = write_adam(datasets, tmp, study_id=proto.id, study_title=proto.title, created=datetime.now(UTC))
    print_table([{"dataset": ds.name, "rows": len(ds.rows), "file": str(out / paths[ds.name].name)}
                 for ds in datasets], ["dataset", "rows", "file"], title=f"ADaM of {proto.id}")
    typer.echo(f"define: {out / paths['define'].name}")


def export_sdtm(ctx: typer.Context, out: Path, protocol: str) -> None:
    """DM, DS, EX, AE, LB, TU, TR, RS, XD as XPT v5 (+ CSV, metadata CSV) and define.xml in ``out``."""
    from lutetia.analysis.sdtm import sdtm_datasets
    from lutetia.cli.output import staged_folder
    from lutetia.report.datasets_io import write_adam

    proto, records = _protocol_records(ctx, protocol)
    datasets = sdtm_datasets(proto, records)
    with staged_folder(out) as tmp:
        paths = write_adam(datasets, tmp, study_id=proto.id, study_title=proto.title, created=datetime.now(UTC),
                           standard="SDTMIG")
    print_table([{"domain": ds.name, "rows": len(ds.rows), "file": str(out / paths[ds.name].name)}
                 for ds in datasets], ["domain", "rows", "file"], title=f"SDTM of {proto.id}")
    typer.echo(f"define: {out / paths['define'].name}")


def export_redcap(ctx: typer.Context, path: Path, protocol: str, timezone: str) -> None:
    """The store's patients of a protocol as a REDCap flat CSV (records, raw)."""
    from lutetia.interop.redcap_flat import flat_csv
    from lutetia.store.repository import Store

    proto = load(protocol)
    text, n = flat_csv(proto, Store.open(settings(ctx).db_url).records(), tz=zone(timezone))
    write_whole(path, text)
    typer.echo(f"{n} rows written to {path}")


def signatures_with_status(store: Any, rec: Any) -> list[tuple[Any, bool]]:
    """The patient's signatures, each with whether it still holds: the decision re-made from the
    record as it is now (:func:`lutetia.decide.rederive.decide_for_enrolment`, as the web's decision
    page makes it) has the signed digest."""
    from lutetia.decide.rederive import decide_for_enrolment
    from lutetia.errors import LutetiaError
    from lutetia.store.decisions import decision_history
    from lutetia.store.signatures import digest, load_signatures

    out = []
    for sig in load_signatures(store, rec.patient_id):
        try:
            again = decide_for_enrolment(rec, sig.decided_on, decision_history(store, rec.patient_id,
                                                                                sig.protocol_id, sig.decided_on))
            holds = digest(again.to_json()) == sig.digest
        except LutetiaError:
            holds = False
        out.append((sig, holds))
    return out


def export_fhir_patient(ctx: typer.Context, patient: str, path: Path) -> None:
    """One patient's record (and its stored decisions' draft proposals) as a FHIR R4B collection
    Bundle in ``path``."""
    from lutetia.errors import NotFoundError
    from lutetia.interop.fhir import patient_bundle
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    store = Store.open(settings(ctx).db_url)
    try:
        rec = store.record(patient)
    except NotFoundError as exc:
        raise fail(str(exc), 1) from exc
    bundle = patient_bundle(rec, load_decisions(store, rec.patient_id), signatures_with_status(store, rec))
    write_whole(path, bundle.model_dump_json(exclude_none=True, indent=1))
    typer.echo(f"{len(bundle.entry or [])} resources written to {path}")


def export_fhir_all(ctx: typer.Context, out: Path, protocol: str | None) -> None:
    """One Bundle per patient (``<patient id>.json``) in the folder ``out``; with a protocol,
    its enrolled patients only."""
    from lutetia.analysis.trial import enrolled
    from lutetia.cli.output import staged_folder
    from lutetia.interop.fhir import patient_bundle
    from lutetia.store.decisions import load_decisions
    from lutetia.store.repository import Store

    store = Store.open(settings(ctx).db_url)
    records = list(store.records())
    if protocol is not None:
        records = enrolled(records, load(protocol).id)
    if not records:
        raise fail("no patient to export" + (f" enrolled in {protocol!r}" if protocol else " in the store"), 1)
    if out.exists() and not out.is_dir():
        raise fail(f"{out}: exists and is not a folder; give --patient ID to write one Bundle file", 2)
    rows = []
    with staged_folder(out) as tmp:  # every Bundle, or none
        for rec in records:
            bundle = patient_bundle(rec, load_decisions(store, rec.patient_id), signatures_with_status(store, rec))
            name = f"{rec.patient_id}.json"  # patient ids are letters, digits, _ . - (records.PatientId)
            (tmp / name).write_text(bundle.model_dump_json(exclude_none=True, indent=1), encoding="utf-8")
            rows.append({"patient": rec.patient_id, "resources": len(bundle.entry or []), "file": str(out / name)})
    print_table(rows, ["patient", "resources", "file"], title=f"FHIR R4B Bundles in {out}")


def export_as(ctx: typer.Context, fmt: ExportFormat, out: Path, *, protocol: str | None, patient: str | None,
              cutoff: str | None, timezone: str | None) -> None:
    """``lutetia export --format FMT OUT`` for every format but the interchange one."""
    given = {"--protocol": protocol, "--patient": patient, "--cutoff": cutoff, "--timezone": timezone}
    name = fmt.value
    if fmt is ExportFormat.adam:
        _refuse_options(name, {k: v for k, v in given.items() if k in ("--patient", "--timezone")})
        export_adam(ctx, out, _require(protocol, "--protocol ID", name, "whose patients"), cutoff)
    elif fmt is ExportFormat.sdtm:
        _refuse_options(name, {k: v for k, v in given.items() if k in ("--patient", "--cutoff", "--timezone")})
        export_sdtm(ctx, out, _require(protocol, "--protocol ID", name, "whose patients"))
    elif fmt is ExportFormat.redcap:
        _refuse_options(name, {k: v for k, v in given.items() if k in ("--patient", "--cutoff")})
        export_redcap(ctx, out, _require(protocol, "--protocol ID", name, "the REDCap project's protocol"),
                      timezone or "UTC")
    elif fmt is ExportFormat.fhir:
        _refuse_options(name, {k: v for k, v in given.items() if k in ("--cutoff", "--timezone")})
        if patient is not None:
            _refuse_options(f"{name} --patient", {"--protocol": protocol})
            export_fhir_patient(ctx, patient, out)
        else:
            export_fhir_all(ctx, out, protocol)
    else:  # pragma: no cover - the interchange format is data.export's own
        raise AssertionError(fmt)


# ----------------------------------------------------------------------------- import
def warn(warnings: list[str], reason: str | None) -> str | None:
    """Show soft plausibility warnings and add them to the audit reason (as `lutetia import` does)."""
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not warnings:
        return reason
    noted = f"{len(warnings)} plausibility warning(s): " + " | ".join(warnings)
    return f"{reason}; {noted}" if reason else noted


def refuse(problems: list[str]) -> None:
    """List every problem and exit 1 (nothing was written)."""
    if problems:
        typer.echo(f"import refused: {len(problems)} problem(s); nothing was written", err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(1)


def store_parsed(ctx: typer.Context, parsed: Any, source: str, reason: str | None) -> Any:
    """Write validated records in one transaction; a refusal by the store lists its problems."""
    from lutetia.errors import LutetiaError
    from lutetia.store.repository import Store

    refuse(parsed.problems)
    try:
        return Store.open(settings(ctx).db_url).add(parsed.records, user=settings(ctx).user, source=source,
                                                    reason=warn(parsed.warnings, reason))
    except LutetiaError as exc:
        refuse(str(exc).splitlines())
        raise  # pragma: no cover - refuse exits


def print_summary(summary: Any, title: str) -> None:
    rows = [{"kind": k, "inserted": summary.inserted.get(k, 0), "unchanged": summary.unchanged.get(k, 0)}
            for k in sorted(set(summary.inserted) | set(summary.unchanged))]
    print_table(rows, ["kind", "inserted", "unchanged"], title=title)


def import_redcap(ctx: typer.Context, path: Path, protocol: str, timezone: str, reason: str | None) -> None:
    """A REDCap flat CSV export of the protocol's project into the store (validated as `import`)."""
    from lutetia.interop.redcap_flat import read_flat

    parsed = read_flat(load(protocol), path, tz=zone(timezone))
    print_summary(store_parsed(ctx, parsed, str(path), reason), f"Imported {path}")


def import_fhir_labs(ctx: typer.Context, path: Path, patient: str, reason: str | None) -> None:
    """The laboratory Observations of a FHIR R4B Bundle into the patient's labs."""
    from lutetia.interop.fhir import read_lab_bundle

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{path}: cannot be read ({exc.strerror}); accepted: a FHIR R4B Bundle as JSON", 1) from exc
    parsed = read_lab_bundle(text, patient, source=path.name)
    summary = store_parsed(ctx, parsed, str(path), reason)
    typer.echo(f"labs: {summary.inserted.get('labs', 0)} inserted, {summary.unchanged.get('labs', 0)} unchanged")


def import_as(ctx: typer.Context, fmt: ImportFormat, path: Path, *, protocol: str | None, patient: str | None,
              timezone: str | None, reason: str | None, records_only: bool) -> None:
    """``lutetia import --format FMT PATH`` for every format but the interchange one."""
    name = fmt.value
    if fmt is ImportFormat.redcap:
        _refuse_options(name, {"--patient": patient, "--records-only": records_only})
        import_redcap(ctx, path, _require(protocol, "--protocol ID", name, "the REDCap project's protocol"),
                      timezone or "UTC", reason)
    elif fmt is ImportFormat.fhir:
        _refuse_options(name, {"--protocol": protocol, "--timezone": timezone, "--records-only": records_only})
        import_fhir_labs(ctx, path, _require(patient, "--patient ID", name, "whose labs the Bundle holds"), reason)
    else:  # pragma: no cover - the interchange format is data.import_'s own
        raise AssertionError(fmt)
