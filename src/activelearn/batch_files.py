"""Batch files people edit, written safely for spreadsheets: CSV with the formula guard, or XLSX with
text cells, drop-downs and a "How to fill in" sheet (answer_files.py reads them back)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .cells import csv_line, guarded
from .errors import InputError
from .storage import atomic_path

EXCEL_MAX_ROWS = 1_048_576
# Columns the tool itself writes or reads in a batch file; a data column of that name is renamed.
DECISION_COLUMN = "decision"
DECISIONS = ("accept", "fix", "skip")
RESERVED_COLUMNS = ("suggestion", "confidence", "annotator", DECISION_COLUMN)


def neutralise(value):
    """A text cell with an apostrophe before each of its lines a spreadsheet would run as a formula."""
    return guarded(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class FillIn:
    """What a person may write in a batch, for the drop-downs and the "How to fill in" sheet."""

    batch: str
    id_column: str
    label_column: str
    classes: tuple[str, ...]
    skip_values: tuple[str, ...]
    prefilled: bool = False

    @classmethod
    def of(cls, batch: str, config, prefilled: bool) -> FillIn:
        """What a person may write in `batch` of the project whose Config is `config`."""
        return cls(
            batch,
            config.id_column,
            config.label_column,
            config.classes,
            config.skip_values,
            prefilled,
        )


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
    row nobody looked at is not mistaken for an answer. Cells are as in the data: the formula
    guard belongs to the CSV file (write_batch), an XLSX file types its text cells instead.
    """
    out = {id_column: rows[id_column].astype(str).tolist(), label_column: [""] * len(rows)}
    if prefill:
        assert suggestions is not None  # a batch is pre-filled with the model's guesses only
        out[label_column] = list(suggestions)
        out[DECISION_COLUMN] = [""] * len(rows)
    if suggestions is not None:
        out["suggestion"] = list(suggestions)
        out["confidence"] = np.round(np.asarray(confidence, dtype=float), 3)
    for name in display_columns:
        shown = f"{name} (data)" if name in RESERVED_COLUMNS else name
        out[shown] = rows[name].tolist()
    frame = pd.DataFrame(out)
    for name in frame.columns:
        if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].astype(object)
        elif name != "confidence" and _whole_numbers(frame[name]):
            frame[name] = frame[name].astype("Int64")  # 2007, not 2007.0, in the spreadsheet
    return frame


def _whole_numbers(column: pd.Series) -> bool:
    if not pd.api.types.is_float_dtype(column):
        return False
    values = column.dropna().to_numpy()
    return bool(len(values)) and bool(np.all(np.mod(values, 1) == 0)) and bool(np.all(np.abs(values) < 2**53))


def write_batch(frame: pd.DataFrame, path: Path, fill_in: FillIn, warnings: list[str]) -> None:
    """Write a batch as CSV (UTF-8 with BOM, for Excel; formula-like text guarded with ') or XLSX
    (text cells typed as text, a drop-down of the classes, a "How to fill in" sheet), atomically."""
    if len(frame) + 1 > EXCEL_MAX_ROWS:
        raise InputError(
            f"{path}: {len(frame)} rows do not fit in a spreadsheet ({EXCEL_MAX_ROWS - 1} at most); "
            "ask for fewer with -n"
        )
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(frame, path, fill_in, warnings)
    elif suffix in (".csv", ".tsv", ".txt"):
        safe = frame.copy()
        safe.columns = [neutralise(str(c)) for c in frame.columns]
        for name in safe.columns:
            if safe[name].dtype == object:
                safe[name] = safe[name].map(neutralise)
        sep = "\t" if suffix == ".tsv" else ","
        # pandas formats the cells; its CRLF records quote every field holding CR or LF, so they
        # read back unambiguously and are written again with \n line ends, those fields quoted
        records = csv.reader(
            io.StringIO(safe.to_csv(index=False, sep=sep, lineterminator="\r\n"), newline=""),
            delimiter=sep,
        )
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            f.writelines(csv_line(record, sep) for record in records)
    else:
        raise InputError(f"{path}: batch files are written as .csv, .tsv or .xlsx, not {suffix or 'no extension'}")


EXCEL_CELL_CHARS = 32_767  # the most characters an Excel cell holds; Excel cuts longer ones on opening
CUT_MARKER = " [... cut: {chars:,} characters, more than a spreadsheet cell holds]"
INLINE_LIST_CHARS = 255  # Excel's limit for a drop-down's values written into the validation itself
LISTS_SHEET = "lists"
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # no XML 1.0 text holds these (openpyxl refuses them)


def _write_xlsx(frame: pd.DataFrame, path: Path, fill_in: FillIn, warnings: list[str]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "batch"
    columns = [str(c) for c in frame.columns]
    sheet.append([_xml_safe(c) for c in columns])
    answer_columns = {fill_in.label_column, DECISION_COLUMN}
    found: dict = {}
    for row, record in enumerate(frame.itertuples(index=False), start=2):
        values = [_xlsx_value(v) for v in record]
        sheet.append(
            [_fitted(v, path, row, values[0], name, fill_in, found) for v, name in zip(values, columns, strict=True)]
        )
    warnings.extend(_fitting_warnings(path, found))
    for cells in sheet.iter_cols(min_row=1):
        answers = cells[0].value in answer_columns
        for cell in cells:
            # typed text: no spreadsheet runs '=x' in a text cell, so it needs no visible ' guard;
            # the id and answer columns stay text when edited (leading zeros, long digits)
            if isinstance(cell.value, str) or (answers and cell.row > 1):
                cell.data_type = "s"
                cell.number_format = "@"
    sheet.freeze_panes = "B2"
    _add_drop_downs(book, sheet, columns, len(frame), fill_in)
    _add_instructions(book, fill_in)
    with atomic_path(path) as tmp:
        book.save(tmp)


def _fitted(value, path: Path, row: int, id_value, column: str, fill_in: FillIn, found: dict):
    """A text cell as a spreadsheet cell can hold it: control characters XML forbids replaced by
    U+FFFD, and cut to 32,767 characters with a visible marker, each noted in `found` for a
    warning. In the id or an answer column either is an error: such a cell would not read back."""
    if not isinstance(value, str):
        return value
    answer = column in (fill_in.id_column, fill_in.label_column, DECISION_COLUMN)
    if XML_ILLEGAL.search(value):
        if answer:
            raise InputError(
                f"{path} row {row}, column {column!r}: control characters no .xlsx cell can hold; "
                "write the batch as CSV instead (--out batch.csv)"
            )
        found.setdefault(("control", column), []).append(row)
        value = XML_ILLEGAL.sub("\ufffd", value)
    if len(value) > EXCEL_CELL_CHARS:
        where = (
            f"{path} row {row} (id {str(id_value)[:40]!r}), column {column!r}: {len(value):,} characters, "
            f"more than an .xlsx cell holds ({EXCEL_CELL_CHARS:,})"
        )
        if answer:
            raise InputError(f"{where}; write the batch as CSV instead (--out batch.csv)")
        found.setdefault(("long", column), []).append(where)
        marker = CUT_MARKER.format(chars=len(value))
        value = value[: EXCEL_CELL_CHARS - len(marker)] + marker
    return value


def _fitting_warnings(path: Path, found: dict) -> list[str]:
    warnings = []
    for (problem, column), where in found.items():
        if problem == "control":
            rows = ", ".join(map(str, where[:10])) + (", ..." if len(where) > 10 else "")
            warnings.append(
                f"{path} column {column!r}, rows {rows}: control characters no .xlsx cell can hold, "
                "shown as \ufffd (query --out batch.csv keeps them)"
            )
        else:
            warnings.extend(f"{w}; cut, with a marker (query --out batch.csv keeps it whole)" for w in where[:5])
            if len(where) > 5:
                warnings.append(f"{path} column {column!r}: {len(where) - 5} more cells cut the same way")
    return warnings


def _add_drop_downs(book, sheet, columns: list[str], rows: int, fill_in: FillIn) -> None:
    """A drop-down of the classes (and skip values) on the label column, and of the decisions on
    the decision column. A person may still type another value: the drop-down only warns."""
    from openpyxl.utils import get_column_letter

    lists = [(fill_in.label_column, [*fill_in.classes, *fill_in.skip_values])]
    if fill_in.prefilled:
        lists.append((DECISION_COLUMN, list(dict.fromkeys([*DECISIONS, *fill_in.skip_values]))))
    for i, (column, values) in enumerate(lists):
        if column not in columns or rows == 0:
            continue
        letter = get_column_letter(columns.index(column) + 1)
        validation = _list_validation(book, values, get_column_letter(i + 1))
        validation.add(f"{letter}2:{letter}{rows + 1}")
        sheet.add_data_validation(validation)


def _list_validation(book, values: list[str], lists_column: str):
    """A list validation of `values`: inline, or from column `lists_column` of the hidden sheet."""
    from openpyxl.worksheet.datavalidation import DataValidation

    inline = ",".join(values)
    if len(inline) <= INLINE_LIST_CHARS and '"' not in inline and all("," not in v for v in values):
        formula = f'"{_xml_safe(inline)}"'
    else:  # too long, or a value with a comma: the values go on a hidden sheet the list refers to
        lists = book[LISTS_SHEET] if LISTS_SHEET in book.sheetnames else book.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
        for row, value in enumerate(values, start=1):
            cell = lists[f"{lists_column}{row}"]
            cell.value, cell.data_type = _xml_safe(value), "s"
        formula = f"'{LISTS_SHEET}'!${lists_column}$1:${lists_column}${len(values)}"
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Not in the list",
        error="This is not one of the values in the list; import-labels will say so if it does not match one.",
    )


def _add_instructions(book, fill_in: FillIn) -> None:
    """The second sheet, "How to fill in": what to write where, and how to hand the file back."""
    sheet = book.create_sheet("How to fill in", 1)
    label, classes = fill_in.label_column, fill_in.classes
    listed = f"one of {', '.join(classes)}" if len(classes) <= 12 else f"one of the {len(classes)} classes"
    skip = " or ".join(fill_in.skip_values)
    if fill_in.prefilled:
        first = (
            f'The column "{label}" holds the model\'s suggestion. In the column "{DECISION_COLUMN}" write accept '
            f"(the suggestion is right), fix (after changing the label to {listed}) or skip (you cannot "
            "decide). A row with neither a decision nor a changed label is not an answer."
        )
    else:
        first = f'In the sheet "batch", write each row\'s answer in the column "{label}": {listed} (the cell\'s drop-down lists them).'
    lines = [
        f"How to fill in {fill_in.batch}",
        first,
        f"If you cannot decide, write {skip}: the row is never trained on, and not offered again.",
        f"Leave the {DECISION_COLUMN if fill_in.prefilled else 'label'} empty to answer a row later: it stays pending. "
        "A partly filled batch imports its answered rows.",
        f'Do not edit the column "{fill_in.id_column}": it is how each answer finds its row. The other columns are '
        "there to help you decide; editing them changes nothing.",
        "Save the file as .xlsx (or as .csv), under any name, and hand it back: activelearn import-labels FILE.",
    ]
    for line in lines:
        sheet.append([_xml_safe(line)])
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"
    sheet.column_dimensions["A"].width = 120


def _xml_safe(text: str) -> str:
    return XML_ILLEGAL.sub("\ufffd", text)


def _xlsx_value(value):
    if isinstance(value, (list, np.ndarray)):
        return str(list(value))
    if pd.isna(value):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value
