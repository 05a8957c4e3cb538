"""``lutetia`` entry point.

Sub-commands live in :mod:`lutetia.cli.commands`; each module there exposes
``register(app)``.  Modules import only Typer at top level and load heavy libraries
(NumPy, SciPy, SQLAlchemy, lifelines, matplotlib) inside the command bodies, so that
``lutetia --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from lutetia.cli.common import Settings, install_log_masking
from lutetia.errors import LutetiaError

#: ``ctx.meta`` key set by ``--debug``.
DEBUG_KEY = "lutetia.debug"

#: Exit status of every refused command (a :class:`~lutetia.errors.LutetiaError`).
ERROR_EXIT = 2


class _ErrorBoundary(TyperGroup):
    """The one error boundary of the CLI: a :class:`LutetiaError` raised anywhere below a
    command becomes ``error: …`` on stderr and exit status 2; the traceback is shown only
    with ``--debug``.  Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LutetiaError as exc:
            if ctx.meta.get(DEBUG_KEY):
                typer.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
            lines = str(exc).splitlines() or [type(exc).__name__]
            typer.echo(f"error: {lines[0]}", err=True)
            for line in lines[1:]:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(ERROR_EXIT) from exc
        except Exception as exc:
            if not _is_database_unavailable(exc) or ctx.meta.get(DEBUG_KEY):
                raise
            settings = ctx.find_root().obj
            where = getattr(settings, "db_url", "the database")
            typer.echo(f"error: cannot open {where}: {getattr(exc, 'orig', exc)}", err=True)
            raise typer.Exit(ERROR_EXIT) from exc


def _is_database_unavailable(exc: BaseException) -> bool:
    """An SQLAlchemy OperationalError (missing folder, server down, locked file): an
    operating problem to report in one line, not a bug (sqlalchemy is imported lazily)."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.OperationalError)


app = typer.Typer(
    cls=_ErrorBoundary,
    name="lutetia",
    help="Personalised 177Lu-PSMA-617 radioligand therapy: eligibility, dosimetry, "
    "decisions, assessments and trial analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: a SQLite file path or an SQLAlchemy URL "
            "(default: $LUTETIA_DB, else ./lutetia.db).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="Who is acting, for the audit trail (default: $LUTETIA_USER, else $USER)."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of a refused command (for bug reports).")
    ] = False,
) -> None:
    ctx.meta[DEBUG_KEY] = debug
    install_log_masking()
    ctx.obj = Settings.resolve(db=db, user=user, environ=dict(os.environ))


def _register_commands() -> None:
    import lutetia.cli.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        module.register(app)


_register_commands()


def run() -> None:
    """Console-script entry point."""
    app()


__all__ = ["Path", "app", "run"]
