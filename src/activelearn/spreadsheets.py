"""Reading an XLSX, ODS or XLS workbook: a sheet's cells as the spreadsheet shows them, the header
found among its first rows, its size checked before the cells are built."""

from __future__ import annotations

from pathlib import Path

from . import bounds
from .bounds import ANSWER_LIMITS, Limits
from .cells import check_headers, clean_header, header_key, sheet_text, unguarded
from .errors import InputError
from .tabular import opened, spreadsheet_kind

HEADER_SEARCH_ROWS = 10  # a title or notes row above the header is common in hand-made sheets


def read_spreadsheet(
    path: Path,
    wanted: tuple[str, ...] = (),
    data: bytes | None = None,
    limits: Limits = ANSWER_LIMITS,
    kind: str | None = None,
):
    """A sheet of an XLSX, ODS or XLS workbook, every cell as text ('' for empty), indexed by the
    row numbers a spreadsheet shows.

    With `wanted` column names, the first sheet and row (among the first few) holding all of them
    is the header; otherwise the first row of the first sheet. An XLSX formula saved without its
    value (as some libraries write them) reads as its formula text, never as an empty cell.
    The archive's unpacked size, and each sheet's rows and columns, are checked against `limits`
    before its cells are built. `kind` is spreadsheet_kind's answer, if the caller has it.
    """
    kind = kind or spreadsheet_kind(path, data)
    with opened(path, data) as f:
        if kind in ("xlsx", "ods"):
            bounds.check_archive(path, f, limits)
        if kind == "ods":
            bounds.check_ods(path, f, limits)
    sheets = _xlsx_sheets(path, data, limits) if kind == "xlsx" else _other_sheets(path, data)
    if not sheets:
        raise InputError(f"{path}: the workbook has no sheets")
    for rows in sheets:
        for top, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            names = {header_key(unguarded(sheet_text(v).strip())) for v in row}
            if wanted and all(header_key(w) in names for w in wanted):
                return _cells_frame(rows, top, path)
    return _cells_frame(sheets[0], 0, path)


def _xlsx_sheets(path: Path, data: bytes | None, limits: Limits) -> list[list[tuple]]:
    from openpyxl import load_workbook

    def load(values_only_data: bool) -> list[list[tuple]]:
        with opened(path, data) as handle:  # a handle, so that the name's extension does not matter
            book = load_workbook(handle, read_only=True, data_only=values_only_data)
            try:
                return [_bounded_rows(sheet, path, limits) for sheet in book.worksheets]
            finally:
                book.close()

    values = load(True)
    if any(v is None for sheet in values for row in sheet for v in row):
        formulas = load(False)
        values = [
            [
                tuple(
                    f if v is None and isinstance(f, str) and f.startswith("=") else v
                    for v, f in zip(vr, fr, strict=False)
                )
                for vr, fr in zip(vs, fs, strict=False)
            ]
            for vs, fs in zip(values, formulas, strict=False)
        ]
    return values


def _bounded_rows(sheet, path: Path, limits: Limits) -> list[tuple]:
    """A read-only openpyxl sheet's rows of values, each as long as its last cell. The dimension
    the sheet declares is checked first; then each row's number and last column as it is parsed,
    before its tuple is built (openpyxl's own iter_rows pads every row to the declared dimension)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    where = f" sheet {sheet.title!r}"
    if sheet.max_row and sheet.max_column:
        bounds.check_grid(path, where, sheet.max_row, sheet.max_column, limits, claims="claims")
    book, width = sheet.parent, 0
    rows: list[tuple] = []
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            last = max((cell["column"] for cell in cells), default=0)
            width = max(width, last)
            bounds.check_grid(path, where, number, width, limits)
            rows.extend(() for _ in range(number - 1 - len(rows)))  # rows the sheet leaves out
            values = [None] * last
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            rows.append(tuple(values))
    empty = (None,) * width  # every row as wide as the widest, as the sheet's dimension makes them
    return [row + empty[len(row) :] for row in rows]


def _other_sheets(path: Path, data: bytes | None = None) -> list[list[tuple]]:
    import pandas as pd

    with opened(path, data) as f:
        book = pd.read_excel(f, sheet_name=None, header=None, dtype=object, engine="calamine", keep_default_na=False)
    return [
        [tuple(None if isinstance(v, str) and v == "" else v for v in r) for r in sheet.itertuples(index=False)]
        for sheet in book.values()
    ]


def _cells_frame(rows: list, top: int, path: Path):
    import pandas as pd

    rows = list(rows)
    while rows and all(v is None for v in rows[-1]):  # trailing empty rows some writers keep
        rows.pop()
    if len(rows) <= top:
        raise InputError(f"{path}: the sheet is empty")
    header = [unguarded(clean_header(sheet_text(v))) for v in rows[top]]
    header = [name or f"(column {i + 1})" for i, name in enumerate(header)]  # headerless columns
    check_headers(header, path)
    width = len(header)
    body = [[sheet_text(v) for v in (list(r) + [None] * width)[:width]] for r in rows[top + 1 :]]
    return pd.DataFrame(body, columns=header, index=range(top + 2, top + 2 + len(body)), dtype=object)
