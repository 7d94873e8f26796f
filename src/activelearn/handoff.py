"""Batch files people edit: writing them safely for spreadsheets, reading them back however saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .messages import did_you_mean
from .storage import (
    FORMULA_TRIGGERS, atomic_path, clean_header, first_line, header_key, read_delimited, read_spreadsheet,
    answer_file_kind, read_jsonl_cells, read_parquet_cells, refuse_non_table, unguarded,
)

EXCEL_MAX_ROWS = 1_048_576
# Columns the tool itself writes or reads in a batch file; a data column of that name is renamed.
DECISION_COLUMN = "decision"
DECISIONS = ("accept", "fix", "skip")
RESERVED_COLUMNS = ("suggestion", "confidence", "annotator", DECISION_COLUMN)


def neutralise(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def batch_frame(
    rows: pd.DataFrame,
    id_column: str,
    label_column: str,
    display_columns: list[str],
    suggestions: list[str] | None = None,
    confidence: np.ndarray | None = None,
    prefill: bool = False,
) -> pd.DataFrame:
    """The table a person fills in: id, an empty label column, the model's guess, then context.

    Pre-filled, the label column holds the guess and a `decision` column follows it, so that a
    row nobody looked at is not mistaken for an answer.
    """
    out = {id_column: rows[id_column].astype(str).tolist(), label_column: [""] * len(rows)}
    if prefill:
        out[label_column] = list(suggestions)
        out[DECISION_COLUMN] = [""] * len(rows)
    if suggestions is not None:
        out["suggestion"] = list(suggestions)
        out["confidence"] = np.round(np.asarray(confidence, dtype=float), 3)
    for name in display_columns:
        shown = f"{name} (data)" if name in RESERVED_COLUMNS else name
        out[shown] = rows[name].tolist()
    frame = pd.DataFrame(out)
    frame.columns = [neutralise(str(c)) for c in frame.columns]
    for name in frame.columns:
        if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].astype(object).map(neutralise)
        elif name != "confidence" and _whole_numbers(frame[name]):
            frame[name] = frame[name].astype("Int64")  # 2007, not 2007.0, in the spreadsheet
    return frame


def _whole_numbers(column: pd.Series) -> bool:
    if not pd.api.types.is_float_dtype(column):
        return False
    values = column.dropna().to_numpy()
    return bool(len(values)) and bool(np.all(np.mod(values, 1) == 0)) and bool(np.all(np.abs(values) < 2**53))


def write_batch(frame: pd.DataFrame, path: Path) -> None:
    """Write a batch as CSV (UTF-8 with BOM, for Excel) or XLSX (ids as text cells), atomically."""
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise InputError(
            f"{path}: {len(frame)} rows do not fit in a spreadsheet ({EXCEL_MAX_ROWS - 1} at most); "
            "ask for fewer with -n"
        )
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(frame, path)
    elif suffix in (".csv", ".tsv", ".txt"):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", sep="\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(f"{path}: batch files are written as .csv, .tsv or .xlsx, not {suffix or 'no extension'}")


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "batch"
    sheet.append([str(c) for c in frame.columns])
    for record in frame.itertuples(index=False):
        sheet.append([_xlsx_value(v) for v in record])
    for cell in sheet["A"][1:]:  # ids: text, so Excel keeps leading zeros and long digits
        cell.data_type = "s"
        cell.number_format = "@"
    sheet.freeze_panes = "C2"
    with atomic_path(path) as tmp:
        book.save(tmp)


def _xlsx_value(value):
    if isinstance(value, (list, np.ndarray)):
        return str(list(value))
    if pd.isna(value):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


# ---------------------------------------------------------------------------------------------
# reading answers back


def read_answer_file(path: Path, id_column: str, label_column: str, warnings: list[str]) -> pd.DataFrame:
    """The file's cells as text, indexed by each row's number as a spreadsheet shows it (the
    header is row 1; in Parquet the first row is row 1, in JSON Lines the line number), blank rows
    left out. Decides CSV/TSV, XLSX/ODS/XLS, Parquet or JSON Lines by content, not by extension."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    refuse_non_table(path)
    kind = answer_file_kind(path)
    try:
        if kind == "parquet":
            frame = read_parquet_cells(path)
        elif kind == "jsonl":
            frame = read_jsonl_cells(path, warnings)
        elif kind != "csv":
            frame = read_spreadsheet(path, wanted=(id_column, label_column))
        else:
            frame = read_delimited(path, wanted=(id_column, label_column), warnings=warnings, keep_blank_lines=True)
            frame.index = np.arange(2, len(frame) + 2)  # the header is row 1
    except InputError:
        raise
    except Exception as exc:  # csv, zip, openpyxl, odf, xlrd and parquet parsers share no useful base class
        what = {"jsonl": "JSON Lines", "parquet": "Parquet"}.get(kind, kind.upper())
        raise InputError(f"{path}: cannot read as {what}: {first_line(exc)}") from None
    frame.columns = [unguarded(clean_header(c)) for c in frame.columns]
    frame = _tool_columns(frame, path, id_column, label_column)
    frame = frame.fillna("")
    blank = frame.apply(lambda col: col.astype(str).str.strip() == "").all(axis=1)
    return frame[~blank]


def _tool_columns(frame: pd.DataFrame, path: Path, id_column: str, label_column: str) -> pd.DataFrame:
    """Give the columns the tool reads their own names when a header names them up to case and
    space (`ID`, `Label `), as labels are matched; fail, with the nearest header, when the id or
    label column is missing."""
    columns = list(frame.columns)
    renames = {}
    for name, role in ((id_column, "id"), (label_column, "label"), *((c, "") for c in RESERVED_COLUMNS)):
        if name in columns:
            continue
        matches = [c for c in columns if header_key(c) == header_key(name)]
        if len(matches) > 1:
            raise InputError(
                f"{path}: the columns {', '.join(repr(c) for c in matches)} all name the {role or name} column "
                f"{name!r}; keep one of them"
            )
        if matches:
            renames[matches[0]] = name
        elif role:
            raise InputError(
                f"{path}: no {name!r} column{did_you_mean(name, columns)} (found: {', '.join(columns[:8])}"
                f"{', ...' if len(columns) > 8 else ''}); the file needs the id column "
                f"{id_column!r} and the label column {label_column!r}"
            )
    return frame.rename(columns=renames)
