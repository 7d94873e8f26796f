"""Filled-in files read back, however they were saved: the bytes read once within an answer file's
limits, the kind decided by content, the cells as text, and the tool's columns found by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .batch_files import RESERVED_COLUMNS
from .bounds import ANSWER_LIMITS, check_file_size
from .cells import clean_header, header_key, unguarded
from .errors import InputError
from .messages import did_you_mean, first_line, missing
from .spreadsheets import read_spreadsheet
from .tabular import answer_file_kind, read_delimited, read_jsonl_cells, read_parquet_cells, refuse_non_table


def read_answer_bytes(path: Path, follow_links: bool = True) -> bytes:
    """An answer file's bytes, read once (what is parsed is what is hashed), refused unread when
    larger than an answer file may be. Without `follow_links` (a file found in an inbox folder) a
    link is refused by the kernel, even one swapped in since the folder was listed, so the bytes
    read are the regular file's that was listed and never another file's."""
    import os
    import stat

    if not path.is_file():
        raise InputError(missing(path, "no such file"))
    changed = InputError(
        f"{path}: changed since the folder was listed, or is now a link; nothing was imported (import the folder again)"
    )
    flags = os.O_RDONLY | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        fd = os.open(path, flags)
    except OSError:
        raise changed from None
    with os.fdopen(fd, "rb") as f:
        status = os.fstat(f.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise changed
        check_file_size(path, status.st_size, ANSWER_LIMITS)
        limit = ANSWER_LIMITS.file_bytes
        data = f.read(-1 if limit is None else limit + 1)  # it may have grown since
    check_file_size(path, len(data), ANSWER_LIMITS)
    return data


def read_answer_file(
    path: Path, id_column: str, label_column: str, warnings: list[str], data: bytes | None = None
) -> pd.DataFrame:
    """The file's cells as text, indexed by each row's number as a spreadsheet shows it (the
    header is row 1; in Parquet the first row is row 1, in JSON Lines the line number), blank rows
    left out. Decides CSV/TSV, XLSX/ODS/XLS, Parquet or JSON Lines by content, not by extension.
    `data` is the file's bytes, read before by read_answer_bytes; every limit of ANSWER_LIMITS
    is checked before the cells are built."""
    if data is None:
        data = read_answer_bytes(path)
    refuse_non_table(path, data)
    kind = answer_file_kind(path, data)
    try:
        if kind == "parquet":
            frame = read_parquet_cells(path, data)
        elif kind == "jsonl":
            frame = read_jsonl_cells(path, warnings, data)
        elif kind != "csv":
            frame = read_spreadsheet(path, wanted=(id_column, label_column), data=data, kind=kind)
        else:
            frame = read_delimited(
                path,
                wanted=(id_column, label_column),
                warnings=warnings,
                keep_blank_lines=True,
                data=data,
            )
            frame.index = np.arange(2, len(frame) + 2)  # the header is row 1
    except InputError:
        raise
    except Exception as exc:  # csv, zip, openpyxl, odf, xlrd and parquet parsers share no useful base class
        what = {"jsonl": "JSON Lines", "parquet": "Parquet"}.get(kind, kind.upper())
        raise InputError(
            f"{path}: cannot read as {what}: {first_line(exc)}; the file is damaged, or is no {what} "
            "file: save or export it again (CSV will do)"
        ) from None
    frame.columns = [unguarded(clean_header(c)) for c in frame.columns]
    frame = _tool_columns(frame, path, id_column, label_column)
    frame = frame.fillna("")
    # row by row, stopping at a row's first filled cell (its id, as a rule): a pandas operation per
    # column took 10 ms each, so 100 s for a file of 10,000 columns
    filled = [any(str(v).strip() for v in row) for row in frame.to_numpy(dtype=object)]
    return frame[np.array(filled, dtype=bool)] if len(frame) else frame


def _tool_columns(frame: pd.DataFrame, path: Path, id_column: str, label_column: str) -> pd.DataFrame:
    """Give the columns the tool reads their own names when a header names them up to case and
    space (`ID`, `Label `), as labels are matched; fail, with the nearest header, when the id or
    label column is missing."""
    columns = list(frame.columns)
    renames = {}
    for name, role in (
        (id_column, "id"),
        (label_column, "label"),
        *((c, "") for c in RESERVED_COLUMNS),
    ):
        matches = [c for c in columns if header_key(c) == header_key(name)]
        if len(matches) > 1:  # `species` and `Species`: which one holds the answers?
            raise InputError(
                f"{path}: the columns {', '.join(repr(c) for c in matches)} all name the {role or name} column "
                f"{name!r}; keep one of them"
            )
        if name in columns:
            continue
        if matches:
            renames[matches[0]] = name
        elif role:
            raise InputError(
                f"{path}: no {name!r} column{did_you_mean(name, columns)} (found: {', '.join(columns[:8])}"
                f"{', ...' if len(columns) > 8 else ''}); the file needs the id column "
                f"{id_column!r} and the label column {label_column!r}"
            )
    return frame.rename(columns=renames)
