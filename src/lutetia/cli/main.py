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
from pathlib import Path
from typing import Annotated

import typer

from lutetia.cli.common import Settings, install_log_masking

app = typer.Typer(
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
) -> None:
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
