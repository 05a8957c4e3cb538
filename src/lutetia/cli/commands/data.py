"""Data commands: import, export, patient list/show, audit (and its verification), edit,
delete, rename, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, print_table, randomised_protocol, settings
from lutetia.cli.interop_io import ExportFormat, ImportFormat, export_as, import_as

patient_app = typer.Typer(help="Browse patients in the store.", no_args_is_help=True)


def _open_store(ctx: typer.Context) -> Any:
    from sqlalchemy.exc import OperationalError

    from lutetia.errors import StoreError
    from lutetia.store.repository import Store

    try:
        return Store.open(settings(ctx).db_url, randomised=randomised_protocol)
    except StoreError as exc:
        raise fail(str(exc), 1) from exc
    except OperationalError as exc:
        raise fail(f"cannot open the database {settings(ctx).shown_url}: {exc.orig}", 1) from exc


def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(
        help="interchange: a folder of CSV files or a .json file; redcap: a flat CSV export; fhir: a Bundle .json.")],
    reason: Annotated[str | None, typer.Option(help="Why this data is imported (kept in the audit trail).")] = None,
    records_only: Annotated[bool, typer.Option(
        "--records-only", help="Ignore the export's trail (audit log, decisions, allocations, signatures, "
                               "dosimetry reviews).")] = False,
    fmt: Annotated[ImportFormat, typer.Option("--format", help="What PATH holds (docs/interop.md).")] = (
        ImportFormat.interchange),
    protocol: Annotated[str | None, typer.Option(help="redcap: the project's protocol id.")] = None,
    patient: Annotated[str | None, typer.Option(help="fhir: the patient whose lab Observations these are.")] = None,
    timezone: Annotated[str | None, typer.Option(help="redcap: IANA zone of its date-times (default UTC).")] = None,
) -> None:
    """Validate everything, then import in one transaction (nothing is written on any error).

    An export's trail (audit log, decisions, allocations, signatures, dosimetry reviews) is
    restored when the database is empty, and its chain hashes are checked row by row.  ``--format redcap`` reads a REDCap
    flat CSV export (``--protocol``), ``--format fhir`` a Bundle's lab Observations (``--patient``).
    """
    if fmt is not ImportFormat.interchange:
        import_as(ctx, fmt, path, protocol=protocol, patient=patient, timezone=timezone, reason=reason,
                  records_only=records_only)
        return
    if protocol or patient or timezone:
        raise fail("--protocol, --patient and --timezone go with --format redcap or fhir", 2)
    from lutetia.errors import LutetiaError
    from lutetia.protocols import list_protocols
    from lutetia.store.interchange import read_source
    from lutetia.store.interchange_checks import protocol_arms
    from lutetia.store.trail import read_trail, restore

    parsed = read_source(path, protocols=protocol_arms(list_protocols()))  # ids and arms must be shipped ones
    if parsed.problems:
        typer.echo(f"import refused: {len(parsed.problems)} problem(s); nothing was written", err=True)
        for p in parsed.problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(1)
    for warning in parsed.warnings:  # soft plausibility limits: accepted, shown and recorded
        typer.echo(f"warning: {warning}", err=True)
    if parsed.warnings:
        noted = f"{len(parsed.warnings)} plausibility warning(s): " + " | ".join(parsed.warnings)
        reason = f"{reason}; {noted}" if reason else noted
    user = settings(ctx).user
    try:
        trail = None if records_only else read_trail(path)
        store = _open_store(ctx)
        if trail is None:
            summary = store.add(parsed.records, bulk_labs=parsed.bulk_labs, user=user, source=str(path), reason=reason)
        else:
            summary = restore(store, trail, parsed.records, bulk_labs=parsed.bulk_labs, user=user, source=str(path),
                              reason=reason)
    except LutetiaError as exc:
        lines = str(exc).splitlines()
        typer.echo(f"import refused: {len(lines)} problem(s); nothing was written", err=True)
        for line in lines:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from exc
    rows = [{"kind": k, "inserted": summary.inserted.get(k, 0), "unchanged": summary.unchanged.get(k, 0)}
            for k in sorted(set(summary.inserted) | set(summary.unchanged))]
    print_table(rows, ["kind", "inserted", "unchanged"], title=f"Imported {path}")


def export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(
        help="interchange: a folder (CSV files) or a .json file; adam, sdtm: a folder; redcap: a .csv file; "
        "fhir: a .json file with --patient, else a folder.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="What to write (docs/interop.md).")] = (
        ExportFormat.interchange),
    protocol: Annotated[str | None, typer.Option(
        help="adam, sdtm, redcap: whose patients (required); fhir: only its patients.")] = None,
    patient: Annotated[str | None, typer.Option(help="fhir: one patient's Bundle.")] = None,
    cutoff: Annotated[str | None, typer.Option(help="adam: data cut-off date YYYY-MM-DD.")] = None,
    timezone: Annotated[str | None, typer.Option(help="redcap: IANA zone of its date-times (default UTC).")] = None,
) -> None:
    """Write the whole trial: every record in the interchange format, and its trail (audit
    log, decisions with eligibility assessments, allocations) with their chain hashes.

    Other formats: ``adam`` and ``sdtm`` (XPT v5 and define.xml), ``redcap`` (a flat CSV of the
    protocol's project), ``fhir`` (FHIR R4B Bundles)."""
    if fmt is not ExportFormat.interchange:
        export_as(ctx, fmt, path, protocol=protocol, patient=patient, cutoff=cutoff, timezone=timezone)
        return
    if protocol or patient or cutoff or timezone:
        raise fail("--protocol, --patient, --cutoff and --timezone go with --format adam, sdtm, redcap or fhir", 2)
    from lutetia.records import KINDS
    from lutetia.store.interchange import write_folder, write_json
    from lutetia.store.trail import export_trail, write_trail

    store = _open_store(ctx)
    data = {k: [s.record for s in store.rows(k)] for k in KINDS}
    trail = export_trail(store)
    counts = write_json(path, data) if path.suffix.lower() == ".json" else write_folder(path, data)
    counts.update(write_trail(path, trail))
    print_table([{"kind": k, "rows": n} for k, n in counts.items()], ["kind", "rows"], title=f"Exported to {path}")


@patient_app.command("list")
def patient_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One line per patient: protocol, arm, cycles, last administration, status."""
    from lutetia.cli.timeline import patient_summary

    store = _open_store(ctx)
    rows = [patient_summary(rec) for rec in store.records()]
    if as_json:
        emit_json(rows)
        return
    print_table(rows, ["patient_id", "age", "protocol", "arm", "cycles", "cumulative_gbq",
                       "last_administration", "status"], title="Patients")


@patient_app.command("show")
def patient_show(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A readable timeline: cycles, labs, PSA, imaging, AEs, events."""
    from lutetia.cli.output import render_table
    from lutetia.cli.timeline import render_timeline
    from lutetia.errors import NotFoundError

    store = _open_store(ctx)
    try:
        rec = store.record(patient_id)
    except NotFoundError as exc:
        raise fail(str(exc), 2) from exc
    versions = _versions(store, patient_id)
    if as_json:
        emit_json({**rec.model_dump(mode="json"), "versions": versions})
        return
    render_timeline(rec)
    changed = [v for v in versions if v["version"] != 1]
    typer.echo(f"\nRecord versions (for `lutetia edit KIND KEY… --version N`): {len(versions) - len(changed)} of "
               f"{len(versions)} records at version 1" + (", the others:" if changed else "."))
    if changed:
        render_table([{**v, "key": " ".join(_key_arg(k) for k in v["key"])} for v in changed],
                     ["kind", "key", "version"], str)


def _versions(store: Any, patient_id: str) -> list[dict[str, Any]]:
    """Every stored record of a patient: kind, natural key (as ``edit`` takes it) and version."""
    from lutetia.records import KINDS

    out = []
    for kind, spec in KINDS.items():
        for stored in store.rows(kind, [patient_id]):
            key = [getattr(stored.record, k) for k in spec.key]
            out.append({"kind": kind, "key": [_key_text(k) for k in key],
                        "version": stored.version})
    return out


def _key_text(part: Any) -> str | None:
    if part is None:
        return None
    if hasattr(part, "isoformat"):
        return str(part.isoformat())
    return str(getattr(part, "value", part))


def _key_arg(part: str | None) -> str:
    """A key part as typed on the command line (an absent part is an empty argument)."""
    return '""' if part is None else (repr(part) if " " in part else part)


def audit(
    ctx: typer.Context,
    patient_id: Annotated[str | None, typer.Argument(help="Patient id (all entries when omitted).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Check the hash chains of the audit log, decisions, allocations, signatures and dosimetry "
                  "reviews (exit 1 if broken).")] = False,
    head: Annotated[list[str] | None, typer.Option(
        help="With --verify: a head noted earlier, TABLE=HASH (repeatable); it must still be in the chain.")] = None,
) -> None:
    """The audit trail: who changed what, when and why (under every id of a renamed patient)."""
    from lutetia.errors import NotFoundError

    if verify:
        _verify(ctx, head or [], as_json)
        return
    store = _open_store(ctx)
    entries = store.audit(patient_id)
    if patient_id is not None and not entries and patient_id not in store.patient_ids():
        raise NotFoundError(f"audit: no patient {patient_id!r} in the store and no audit entry about it")
    rows = [
        {"id": e.id, "at": e.at, "user": e.user, "action": e.action, "kind": e.kind,
         "patient": e.patient_id or "", "key": e.natural_key or "", "old": e.old_values, "new": e.new_values,
         "reason": e.reason or "", "source": e.source or "", "rows": e.row_count}
        for e in entries
    ]
    if as_json:
        emit_json(rows)
        return
    print_table(rows, ["id", "at", "user", "action", "kind", "patient", "key", "old", "new", "reason", "rows"],
                title=f"Audit trail{' of ' + patient_id if patient_id else ''}")


def _verify(ctx: typer.Context, heads: list[str], as_json: bool) -> None:
    from lutetia.store.chain import CHAINED, verify

    noted: dict[str, str] = {}
    for item in heads:
        table, sep, value = item.partition("=")
        if not sep or table not in CHAINED:
            raise fail(f"--head {item!r}; accepted: TABLE=HASH with TABLE one of {', '.join(CHAINED)}", 2)
        noted[table] = value.strip()
    result = verify(_open_store(ctx).engine, noted)
    if as_json:
        emit_json({"ok": result.ok, "problems": result.problems,
                   "chains": {t: {"rows": n, "head": h} for t, (n, h) in result.heads.items()}})
    else:
        for table, (n, h) in result.heads.items():
            typer.echo(f"{table}: {n} rows, head {h}")
        for problem in result.problems:
            typer.echo(f"BROKEN: {problem}", err=True)
        typer.echo("audit trail verified: every link holds" if result.ok else
                   f"audit trail NOT verified: {len(result.problems)} problem(s); the first broken link is named first")
    if not result.ok:
        raise typer.Exit(1)


def edit(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Record kind, e.g. labs, administrations.")],
    key: Annotated[list[str], typer.Argument(help="The record's natural key parts, in order.")],
    set_: Annotated[list[str], typer.Option("--set", help="field=value (repeatable).")],
    version: Annotated[int, typer.Option(help="The version you read (optimistic check).")],
    reason: Annotated[str, typer.Option(help="Why the data changes (required).")],
) -> None:
    """Change fields of one record, with a reason; refused if someone changed it meanwhile.

    A record may move to another stored patient (``--set patient_id=…``); a patient's own id
    changes with ``lutetia rename``."""
    from lutetia.errors import LutetiaError
    from lutetia.records import KINDS

    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; accepted: {', '.join(KINDS)}", 2)
    changes: dict[str, Any] = {}
    for item in set_:
        name, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--set {item!r}: expected field=value", 2)
        changes[name.strip()] = value if value != "" else None
    store = _open_store(ctx)
    if kind == "labs" and changes.get("unit") and not {"lln", "uln"} & set(changes):
        changes.update(_normal_range_with_unit(store, key, str(changes["unit"])))
    for warning in (notes := _soft_findings(store, kind, key, changes)):  # accepted, shown and recorded
        typer.echo(f"warning: {kind} {key}: {warning}", err=True)
    if notes:
        reason = f"{reason}; {len(notes)} plausibility warning(s): " + " | ".join(notes)
    try:
        stored = store.update(kind, key, changes, expected_version=version, user=settings(ctx).user, reason=reason)
    except LutetiaError as exc:
        raise fail(str(exc), 1) from exc
    typer.echo(f"{kind} {key}: now version {stored.version}")


def _soft_findings(store: Any, kind: str, key: list[str], changes: dict[str, Any]) -> list[str]:
    """Soft plausibility findings of the record as it would be after the edit (hard ones
    are refused by the store, which names them)."""
    from pydantic import ValidationError

    from lutetia.errors import LutetiaError
    from lutetia.records import KINDS
    from lutetia.records.plausibility import record_findings

    try:
        current = store.get(kind, key).record
        candidate = KINDS[kind].model.model_validate({**current.model_dump(), **changes})
    except (LutetiaError, ValidationError):
        return []  # the update itself reports why
    return [f.text() for f in record_findings(candidate) if f.severity == "soft"]


def _normal_range_with_unit(store: Any, key: list[str], unit: str) -> dict[str, Any]:
    """A lab's LLN/ULN converted to its new unit (a unit edit never leaves the normal range in
    the old one); refused when the range cannot be converted."""
    from lutetia.errors import RecordError, UnitError

    lab = store.get("labs", key).record
    try:
        lln, uln = lab.normal_range_in(unit)
    except UnitError as exc:
        raise RecordError(f"labs {key}: the normal range {lab.lln}–{lab.uln} {lab.unit} cannot follow the unit "
                          f"change: {exc}; give --set lln=… --set uln=… in {unit}") from exc
    if lln is None and uln is None:
        return {}
    typer.echo(f"normal range converted with the unit: {lab.lln}–{lab.uln} {lab.unit} → "
               f"{_g(lln)}–{_g(uln)} {unit}", err=True)
    return {"lln": lln, "uln": uln}


def _g(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def delete(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Record kind.")],
    key: Annotated[list[str], typer.Argument(help="The record's natural key parts, in order.")],
    version: Annotated[int, typer.Option(help="The version you read (optimistic check).")],
    reason: Annotated[str, typer.Option(help="Why the record is deleted (required).")],
) -> None:
    """Delete one record (its old values stay in the audit trail)."""
    from lutetia.errors import LutetiaError
    from lutetia.records import KINDS

    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; accepted: {', '.join(KINDS)}", 2)
    store = _open_store(ctx)
    try:
        store.delete(kind, key, expected_version=version, user=settings(ctx).user, reason=reason)
    except LutetiaError as exc:
        raise fail(str(exc), 1) from exc
    typer.echo(f"{kind} {key}: deleted")


def rename(
    ctx: typer.Context,
    old_id: Annotated[str, typer.Argument(help="The patient's current id.")],
    new_id: Annotated[str, typer.Argument(help="The new id (never used before).")],
    version: Annotated[int, typer.Option(help="The version of the patient record you read (optimistic check).")],
    reason: Annotated[str, typer.Option(help="Why the id changes (required).")],
) -> None:
    """Give a patient a new id, with every record of the patient, in one transaction (audited
    under both ids; decisions and allocations stay as made and are found under either)."""
    from lutetia.errors import LutetiaError

    store = _open_store(ctx)
    try:
        moved = store.rename_patient(old_id, new_id, expected_version=version, user=settings(ctx).user,
                                     reason=reason)
    except LutetiaError as exc:
        raise fail(str(exc), 1) from exc
    typer.echo(f"patient {old_id} is now {new_id}: {moved} record(s) moved")


def migrate_cmd(
    ctx: typer.Context,
    grant_to: Annotated[str | None, typer.Option(
        help="PostgreSQL: grant this (existing, non-superuser) role the application's rights.")] = None,
) -> None:
    """Bring the schema to the newest revision (run as the owning role), optionally granting
    the application role its rights (docs/store.md)."""
    from lutetia.errors import LutetiaError
    from lutetia.store.database import current_revision, make_engine, migrate
    from lutetia.store.roles import grant_application_role

    engine = make_engine(settings(ctx).db_url)
    try:
        migrate(engine)
        if grant_to:
            grant_application_role(engine, grant_to)
    except LutetiaError as exc:
        raise fail(str(exc), 1) from exc
    typer.echo(f"{settings(ctx).shown_url}: schema at revision {current_revision(engine)}"
               + (f"; role {grant_to} granted the application's rights" if grant_to else ""))


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
    app.add_typer(patient_app, name="patient")
    app.command("audit")(audit)
    app.command("edit")(edit)
    app.command("delete")(delete)
    app.command("rename")(rename)
    app.command("migrate")(migrate_cmd)
