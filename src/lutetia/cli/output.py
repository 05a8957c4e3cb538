"""Terminal and file output of the CLI: tables people can read *and* pipe, stored text shown
literally, and output folders that appear whole or not at all.

- On a terminal, tables are Rich tables whose cells fold instead of truncating, so ids and
  rule texts are always complete.
- When stdout is not a terminal (``lutetia patient list | grep EC3-00001``), the same rows
  are written as plain tab-separated lines with a header, one record per line.
- Stored text is never read as Rich markup: a reason ``[/]`` is printed as ``[/]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Set ``LUTETIA_PLAIN=1`` to force plain output on a terminal (``0`` forces tables).
PLAIN_ENV = "LUTETIA_PLAIN"


def plain_output() -> bool:
    """True when tables should be written as plain lines (stdout is not a terminal)."""
    forced = os.environ.get(PLAIN_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    isatty = getattr(sys.stdout, "isatty", None)
    return not (callable(isatty) and isatty())


def _plain_cell(text: str) -> str:
    """One cell on one line: tabs and line breaks would split a record."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def render_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    cell: Callable[[Any], str],
    title: str | None = None,
) -> None:
    """Rows as a table on stdout: Rich on a terminal (cells fold, never cut), else plain
    tab-separated lines.  Cell text is always shown literally (no markup)."""
    if plain_output():
        out = sys.stdout
        if title:  # a comment line, then the header and one line per row
            out.write(f"# {_plain_cell(title)}\n")
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(_plain_cell(cell(row.get(c))) for c in columns) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title) if title else None)
    for col in columns:
        table.add_column(Text(col), overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row.get(c))) for c in columns))
    Console(markup=False, highlight=False).print(table)


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success its entries move into ``out``
    (replacing entries of the same name, leaving other files alone), on any error it is
    removed and ``out`` is left as it was: never a half-written output folder."""
    out = out.absolute()
    if out.exists() and not out.is_dir():
        from lutetia.errors import OutputError

        raise OutputError(f"{out}: exists and is not a folder; accepted: a folder path for --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        yield tmp
        out.mkdir(exist_ok=True)
        for entry in sorted(tmp.iterdir()):
            target = out / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            entry.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_writable_file(path: Path, option: str) -> None:
    """Refuse an output file path before any computation: its folder must exist and be
    writable, and the path must not be a folder."""
    from lutetia.errors import OutputError

    parent = path.absolute().parent
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; accepted: a file path")
    if not parent.is_dir():
        raise OutputError(f"{option} {path}: folder {parent} does not exist; accepted: a path in an existing folder")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{option} {path}: not writable; accepted: a writable path")
