"""Write analysis datasets (:mod:`lutetia.analysis.datasets`) as CSV and SAS transport v5.

XPT is written with ``pyreadstat.write_xport(file_format_version=5)`` [1]_ with variable
labels, the dataset label, and dates as SAS date numbers (days since 1960-01-01) with
the ``DATE9.`` format; CSV dates are ISO 8601.

References
----------
.. [1] pyreadstat documentation, ``write_xport``. https://github.com/Roche/pyreadstat
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lutetia.analysis.datasets import Dataset
from lutetia.records.cells import neutralise

SAS_EPOCH = date(1960, 1, 1)


def to_dataframe(ds: Dataset, *, sas_dates: bool = False) -> Any:
    """A pandas DataFrame with one column per variable (Char → str, Num → float).

    Dates stay ``datetime.date`` objects, or with ``sas_dates`` become SAS date numbers
    (days since 1960-01-01, displayed by the ``DATE9.`` format) as written to XPT.
    """
    import pandas as pd

    data: dict[str, list[Any]] = {}
    for v in ds.variables:
        col = [row[v.name] for row in ds.rows]
        if v.type == "Char":
            data[v.name] = ["" if x is None else str(x) for x in col]
        elif v.is_date and sas_dates:
            data[v.name] = [float((x - SAS_EPOCH).days) if isinstance(x, date) else float("nan") for x in col]
        elif v.is_date:
            data[v.name] = [x if isinstance(x, date) else None for x in col]
        else:
            data[v.name] = [float("nan") if x is None else float(x) for x in col]  # type: ignore[arg-type]
    return pd.DataFrame(data, columns=ds.columns)


def write_csv(ds: Dataset, path: Path) -> Path:
    """CSV with a header of variable names; dates ISO 8601; missing values empty."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(ds.columns)
        for row in ds.rows:
            writer.writerow([_csv_cell(row[c]) for c in ds.columns])
    return path


def _csv_cell(value: Any) -> Any:
    """Empty for missing, ISO 8601 for dates, text neutralised for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value) if isinstance(value, str) else value


def write_xpt(ds: Dataset, path: Path) -> Path:
    """SAS transport v5 file with variable labels and the dataset label."""
    import pyreadstat

    df = to_dataframe(ds, sas_dates=True)
    labels: dict[str, str | None] = {v.name: v.label for v in ds.variables}
    formats = {v.name: "DATE9." for v in ds.variables if v.is_date}
    pyreadstat.write_xport(df, str(path), file_label=ds.label, column_labels=labels,
                           table_name=ds.name, file_format_version=5, variable_format=formats or None)
    return path


def write_metadata_csv(ds: Dataset, path: Path) -> Path:
    """Variable-level metadata (the spreadsheet view of define.xml): dataset, name, label, type,
    maximum length, format, codelist, origin and derivation."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["DATASET", "VARIABLE", "LABEL", "TYPE", "LENGTH", "FORMAT", "CODELIST", "ORIGIN", "METHOD"])
        for v in ds.variables:
            writer.writerow([ds.name, v.name, v.label, v.type, v.length, "DATE9." if v.is_date else "",
                             v.codelist or "", v.origin, v.method or ""])
    return path


def write_dataset(ds: Dataset, out_dir: Path) -> dict[str, Path]:
    """Write ``<name>.csv``, ``<name>.xpt`` and ``<name>_metadata.csv`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = ds.name.lower()
    return {
        "csv": write_csv(ds, out_dir / f"{stem}.csv"),
        "xpt": write_xpt(ds, out_dir / f"{stem}.xpt"),
        "metadata": write_metadata_csv(ds, out_dir / f"{stem}_metadata.csv"),
    }


def write_adam(datasets: Sequence[Dataset], out_dir: Path, *, study_id: str, study_title: str,
               created: datetime, standard: str = "ADaMIG") -> dict[str, Path]:
    """Every dataset as ``<name>.xpt`` (and CSV, metadata CSV) plus ``define.xml`` describing them
    (``standard="SDTMIG"`` for SDTM tabulations)."""
    from lutetia.report.define_xml import write_define_xml

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {ds.name: write_dataset(ds, out_dir)["xpt"] for ds in datasets}
    paths["define"] = write_define_xml(datasets, out_dir / "define.xml", study_id=study_id,
                                       study_title=study_title, created=created, standard=standard)
    return paths
