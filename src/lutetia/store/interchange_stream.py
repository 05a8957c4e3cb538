"""Streaming read of a large ``labs.csv``: Arrow's CSV reader, block by block.

A plain file (no quote character, no NUL, no empty line, UTF-8) is parsed by Arrow in
blocks of :data:`BLOCK_BYTES`; each block is checked column-wise
(:func:`lutetia.store.bulk_labs.fast_chunk`) and kept as a compact Arrow table, so that the
file is never held as Python strings.  A block that does not take the fast path goes through
the row-by-row validator (:func:`lutetia.store.interchange.parse_rows`) with its real row
numbers, so every problem is still listed with its row, field, value and what is accepted.

Anything this reader cannot vouch for — quoting (Python's strict ``csv`` and Arrow disagree
on malformed quotes), an empty line, bytes that are not UTF-8, a row with the wrong number
of cells — returns None, and the caller reads the file whole with the exact file-level
checks of :func:`lutetia.store.interchange_files.read_csv_text`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from pyarrow import csv as pacsv

from lutetia.records import KindSpec
from lutetia.records.cells import restore
from lutetia.store.bulk_labs import LabColumns, fast_chunk, header_fits
from lutetia.store.interchange import Parsed, merge, parse_rows
from lutetia.store.interchange_checks import ProtocolArms

#: Bytes of CSV text parsed at a time (about 250,000 lab rows).
BLOCK_BYTES = 1 << 24
_SCAN_BYTES = 1 << 24


def _plain_header(file: Path) -> list[str] | None:
    """The header of a file this reader can take, or None."""
    with file.open("rb") as fh:
        previous = b"\n"
        first = b""
        while block := fh.read(_SCAN_BYTES):
            if not first:
                first = block.split(b"\n", 1)[0]
            probe = previous + block
            if b'"' in block or b"\x00" in block or b"\n\n" in probe or b"\n\r\n" in probe or b"\r\r" in probe:
                return None
            previous = block[-2:]
    try:
        text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    header = [h.strip() for h in text.split(",")]
    return header if header_fits(header) else None


def read_labs_stream(spec: KindSpec, file: Path, protocols: ProtocolArms | None = None) -> Parsed | None:
    """``labs.csv`` read block by block, or None when the file needs the whole-file reader."""
    header = _plain_header(file)
    if header is None:
        return None
    options = (pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=BLOCK_BYTES),
               pacsv.ParseOptions(ignore_empty_lines=False),
               pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False,
                                    quoted_strings_can_be_null=False, null_values=[]))
    total = Parsed()
    parts: list[LabColumns] = []
    n = 0
    try:
        with pacsv.open_csv(file, read_options=options[0], parse_options=options[1],
                            convert_options=options[2]) as reader:
            for batch in reader:
                raw = pa.Table.from_batches([batch])
                fast = fast_chunk(raw) if raw.num_rows else None
                if fast is not None:
                    parts.append(fast)
                elif raw.num_rows:
                    rows = ({c: restore(v) if v[:1] == "'" else v for c, v in r.items()} for r in raw.to_pylist())
                    merge(total, parse_rows(spec, rows, str(file), first_row=n + 2, header_checked=True,
                                            protocols=protocols))
                n += raw.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None  # not UTF-8, or a row with the wrong number of cells: the whole-file reader names it
    if parts:
        total.bulk_labs.append(LabColumns.concat(parts))
    total.counts = {spec.name: n}
    return total
