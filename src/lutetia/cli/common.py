"""Shared helpers of the CLI: settings, CSV reading with clear errors, tables and JSON.

The acting user comes from ``--user``, else ``$LUTETIA_USER``, else ``$USER``; a command that
writes without one is refused (nothing is recorded as ``unknown``).  Database URLs are shown
with their password masked (:func:`mask_url`, :func:`mask_credentials`) in every message.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import typer

DEFAULT_DB = "lutetia.db"


@dataclass(frozen=True)
class Settings:
    """Resolved global options: database URL and acting user (None when none was given)."""

    db_url: str
    acting_user: str | None

    @classmethod
    def resolve(cls, *, db: str | None, user: str | None, environ: Mapping[str, str]) -> Settings:
        raw = db or environ.get("LUTETIA_DB") or DEFAULT_DB
        who = next((u.strip() for u in (user, environ.get("LUTETIA_USER"), environ.get("USER")) if u and u.strip()),
                   None)
        return cls(db_url=db_url_from(raw), acting_user=who)

    @property
    def user(self) -> str:
        """The acting user, for a command that writes; refused (exit 2) when none was given."""
        if self.acting_user is None:
            raise fail("this command writes to the store and every write names who acts: pass --user NAME "
                       "(or set LUTETIA_USER); an automated job uses a named system account, e.g. --user system:cron",
                       2)
        return self.acting_user

    @property
    def shown_url(self) -> str:
        """The database URL with its password masked, for messages."""
        return mask_url(self.db_url)


def randomised_protocol(protocol_id: str) -> bool:
    """Whether ``protocol_id`` is a randomised protocol (its data file; unknown ids are not)."""
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        return load_protocol(protocol_id).randomisation is not None
    except ProtocolError:
        return False


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (SQLAlchemy's own rendering)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.count("@") > 1:  # an unencoded '@' in the password: make_url would split it wrongly
        return mask_credentials(url)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return mask_credentials(url)


_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):(?P<secret>\S*)@")


def mask_credentials(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` with the password masked."""
    return _CREDENTIALS.sub(lambda m: f"{m['head']}:***@", text)


class MaskCredentials(logging.Filter):
    """A logging filter that masks URL passwords in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_credentials(record.getMessage())
        record.args = None
        return True


def install_log_masking() -> None:
    """Mask URL passwords in every log record (root handlers and SQLAlchemy's loggers)."""
    for name in ("", "sqlalchemy", "alembic"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskCredentials) for f in logger.filters):
            logger.addFilter(MaskCredentials())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskCredentials) for f in handler.filters):
            handler.addFilter(MaskCredentials())


def db_url_from(raw: str) -> str:
    """A SQLAlchemy URL from a path or URL (``foo.db`` → ``sqlite:///foo.db``)."""
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser()}"


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if isinstance(obj, Settings):
        return obj
    return Settings.resolve(db=None, user=None, environ={})


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` (URL passwords masked) to stderr and return an Exit to raise."""
    typer.echo(f"error: {mask_credentials(message)}", err=True)
    return typer.Exit(code)


def _read_checked(path: Path, required: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    from lutetia.errors import TableProblem
    from lutetia.store.interchange_files import read_csv_text

    header, rows, problems = read_csv_text(path)
    missing = [c for c in required if c not in header]
    if header and missing:
        problems.append(f"{path}: missing column(s) {', '.join(missing)}; expected at least: "
                        f"{', '.join(required)}; found: {', '.join(header) or '(none)'}")
    if problems:
        raise TableProblem(problems)
    return header, rows


def read_csv(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Read a CSV file into dicts through the one CSV path of Lutetia
    (:func:`lutetia.store.interchange_files.read_csv_text`); a missing file or column, a
    malformed file or row is a :class:`~lutetia.errors.TableProblem` listing every problem."""
    header, rows = _read_checked(path, required)
    return [{k: v.strip() for k, v in zip(header, row, strict=True)} for row in rows]


def read_csv_columns(path: Path, columns: Sequence[str]) -> dict[str, list[str]]:
    """:func:`read_csv` by column (the same checks and stripped cells), for files of millions
    of rows: only ``columns`` are taken, with no dict per row."""
    header, rows = _read_checked(path, columns)
    return {c: list(map(str.strip, map(itemgetter(header.index(c)), rows))) for c in columns}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def emit_json(obj: Any) -> None:
    """Write ``obj`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=_jsonable, ensure_ascii=False) + "\n")


def format_cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.4e}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def print_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    """Render rows on stdout: a Rich table on a terminal, plain lines when piped (see
    :func:`lutetia.cli.output.render_table`); cell text is shown literally, never cut."""
    from lutetia.cli.output import render_table

    render_table(rows, columns, format_cell, title=title)


def write_csv(path_or_stdout: Path | None, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Write rows as CSV to a file, or to stdout when ``path_or_stdout`` is None; text a
    spreadsheet would run as a formula is neutralised (:mod:`lutetia.records.cells`)."""
    from lutetia.records.cells import neutralise

    fh = sys.stdout if path_or_stdout is None else path_or_stdout.open("w", newline="", encoding="utf-8")
    try:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: neutralise(format_cell(row.get(c), 10)) for c in columns})
    finally:
        if path_or_stdout is not None:
            fh.close()
