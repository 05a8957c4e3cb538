"""Reading interchange files: a folder of CSV files or one JSON document.

A file is read whole and checked *as a file* before any row is validated, so that a
malformed file is a listed problem (file, row, column) and never a bent or lost row:

- text must be UTF-8 (a Latin-1 export or a lone surrogate names the byte and its line)
  without NUL characters;
- CSV is read with :mod:`csv` in strict mode: an unterminated quote is an error (it would
  otherwise swallow every following row); the header has no empty or duplicated column;
  every row has exactly as many cells as the header (an unquoted comma shifts values, a
  short row drops them);
- a folder holds only the documented file names, spelled exactly (``labs.CSV`` is named,
  not skipped);
- JSON has no duplicated key, and every row is an object of scalar values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lutetia.records import KINDS, KindSpec
from lutetia.records.cells import restore
from lutetia.store.bulk_labs import fast_labs
from lutetia.store.interchange import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Parsed,
    columns,
    merge,
    parse_rows,
)
from lutetia.store.interchange_checks import ProtocolArms
from lutetia.store.interchange_stream import read_labs_stream

_ACCEPTED_FILES = ", ".join(f"{k}.csv" for k in KINDS)


def decode_text(data: bytes, source: str) -> tuple[str | None, list[str]]:
    """UTF-8 text (a BOM allowed) without NUL characters, or the problems found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [f"{source}: line {line}, byte {exc.start}: {data[exc.start:exc.start + 1]!r} is not UTF-8 "
                      "text; accepted: UTF-8 (save the file as 'CSV UTF-8' or JSON in UTF-8)"]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [f"{source}: line {line}: a NUL character; accepted: text without NUL characters"]
    return text, []


def read_folder(path: Path, protocols: ProtocolArms | None = None) -> Parsed:
    """Every ``<kind>.csv`` of a folder; any other ``*.csv`` name is a problem."""
    total = Parsed()
    files: dict[str, Path] = {}
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or entry.suffix.lower() != ".csv":
            continue
        if entry.suffix == ".csv" and entry.stem in KINDS and entry.is_file():
            files[entry.stem] = entry
        elif entry.stem.lower() in KINDS:
            total.problems.append(f"{entry}: file name must be spelled exactly {entry.stem.lower()}.csv "
                                  "(lower case); nothing of it was read")
        else:
            total.problems.append(f"{entry}: unknown file; accepted: {_ACCEPTED_FILES}")
    if not files and not total.problems:
        total.problems.append(f"{path}: no CSV files; accepted: {_ACCEPTED_FILES}")
    for kind, spec in KINDS.items():
        if kind in files:
            merge(total, read_csv(spec, files[kind], protocols))
    return total


def read_csv_text(file: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and file-level problems of any CSV file Lutetia reads (interchange,
    ``grade``, ``response``, ``km``): UTF-8 without NUL, strict quoting, a header naming each
    column once, and exactly one cell per column in every row.  Spreadsheet escapes
    written by export are reversed (:mod:`lutetia.records.cells`)."""
    if not file.is_file():
        return [], [], [f"{file}: no such file"]
    text, problems = decode_text(file.read_bytes(), str(file))
    if text is None:
        return [], [], problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    start = 1
    try:
        header = [h.strip() for h in next(reader, [])]
        start = reader.line_num + 1
        try:
            rows = list(reader)  # in C; on a malformed file walk again below for the line
        except csv.Error:
            reader = csv.reader(io.StringIO(text, newline=""), strict=True)
            rows, _ = [], next(reader)
            start = reader.line_num + 1
            for row in reader:
                rows.append(row)
                start = reader.line_num + 1
    except csv.Error as exc:
        return [], [], [f"{file}: row {len(rows) + 2 if start > 1 else 1} (line {start}): {exc}: a quote opened "
                         "here is never closed, or a stray quote; accepted: RFC 4180 CSV, text with commas or "
                         "quotes in double quotes, quotes doubled inside"]
    if not header or header == [""]:
        return [], [], [f"{file}: no header row; accepted: a first row naming the columns"]
    if "" in header:
        problems.append(f"{file}: row 1, column {header.index('') + 1}: an empty column name; accepted: a name")
    duplicated = sorted({h for h in header if header.count(h) > 1 and h})
    if duplicated:
        problems.append(f"{file}: row 1: column(s) {duplicated} appear more than once; accepted: each column once")
    width = len(header)
    while rows and not rows[-1]:  # blank lines at the end carry nothing
        rows.pop()
    for n, row in enumerate(rows if set(map(len, rows)) - {width} else (), start=2):
        if not row:
            problems.append(f"{file}: row {n}: an empty line; accepted: one record per line")
        elif len(row) != width:
            problems.append(f"{file}: row {n}: {len(row)} cells for {width} columns (an unquoted comma or a "
                            f"missing cell?); accepted: exactly {width} cells, text with commas in quotes")
    if "'" in text:  # spreadsheet escapes written by export (lutetia.records.cells)
        rows = [[restore(c) if c[:1] == "'" else c for c in row] for row in rows]
    return header, rows, problems


def read_csv(spec: KindSpec, file: Path, protocols: ProtocolArms | None = None) -> Parsed:
    """One CSV file of one kind, checked as a file, then row by row (labs: streamed block by
    block when the file is plain, see :mod:`lutetia.store.interchange_stream`, and
    column-wise when every cell is in the plain canonical form)."""
    if spec.name == "labs":
        streamed = read_labs_stream(spec, file, protocols)
        if streamed is not None:
            return streamed
    header, rows, problems = read_csv_text(file)
    if not problems:
        problems = _header_problems(spec, header, str(file))
    if problems:
        return Parsed(problems=problems)
    if spec.name == "labs":
        fast = fast_labs(header, rows)
        if fast is not None:
            return Parsed(counts={"labs": len(rows)}, bulk_labs=[fast])
    dicts: Iterable[dict[str, str]] = (dict(zip(header, row, strict=True)) for row in rows)
    return parse_rows(spec, dicts, str(file), header_checked=True, protocols=protocols)


def _header_problems(spec: KindSpec, header: list[str], source: str) -> list[str]:
    known = columns(spec)
    unknown = [h for h in header if h not in known and h]
    return [f"{source}: unknown column(s) {unknown}; accepted: {known}"] if unknown else []


def read_json(path: Path, protocols: ProtocolArms | None = None) -> Parsed:
    """One interchange JSON document."""
    total = Parsed()
    text, problems = decode_text(path.read_bytes(), str(path))
    if text is None:
        total.problems.extend(problems)
        return total
    duplicates: list[str] = []

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        duplicates.extend(sorted({k for k in keys if keys.count(k) > 1}))
        return dict(pairs)

    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        total.problems.append(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}")
        return total
    except RecursionError:
        total.problems.append(f"{path}: nested too deeply; accepted: rows of scalar values")
        return total
    if duplicates:
        total.problems.append(f"{path}: key(s) {sorted(set(duplicates))} appear more than once in one object; "
                              "accepted: each key once")
        return total
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        total.problems.append(f"{path}: not a {FORMAT_NAME} document (key 'format' must be {FORMAT_NAME!r})")
        return total
    if doc.get("version") != FORMAT_VERSION or isinstance(doc.get("version"), bool):
        total.problems.append(f"{path}: version {doc.get('version')!r}; accepted: {FORMAT_VERSION}")
        return total
    for key in doc:
        if key not in KINDS and key not in ("format", "version", "trail"):  # trail: lutetia.store.trail
            total.problems.append(f"{path}: unknown key {key!r}; accepted: {sorted(KINDS)}")
    for kind, spec in KINDS.items():
        rows = doc.get(kind, [])
        if not isinstance(rows, list):
            total.problems.append(f"{path}#{kind}: must be a list of rows (objects)")
            continue
        shape = _row_shape_problems(rows, f"{path}#{kind}")
        if shape:
            total.problems.extend(shape)
            continue
        merge(total, parse_rows(spec, rows, f"{path}#{kind}", first_row=1, protocols=protocols))
    return total


def _row_shape_problems(rows: list[Any], source: str) -> list[str]:
    out = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            out.append(f"{source}: row {n}: {type(row).__name__} {row!r:.40}; accepted: an object of column values")
            continue
        for col, value in row.items():
            if isinstance(value, dict | list):
                out.append(f"{source}: row {n}: field {col}: a nested {type(value).__name__}; accepted: a single "
                           "value (text, number, true/false or null)")
    return out
