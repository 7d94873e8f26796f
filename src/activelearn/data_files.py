"""A data file (the one `init`, `predict` and `simulate` read) as a stream of DataFrame chunks:
CSV/TSV through pyarrow's reader in blocks, Parquet by row group, JSON Lines in runs of lines, a
workbook whole; its header's names checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from .bounds import POOL_LIMITS, check_columns, check_header_line
from .cells import check_headers, clean_header, unguarded
from .errors import InputError
from .messages import first_line, missing
from .rows import arrow_to_frame
from .spreadsheets import read_spreadsheet
from .tabular import (
    detect_format,
    first_line_of,
    lines,
    parquet_parts,
    refuse_non_table,
    sniff_delimiter,
    wrong_field_count,
)
from .text_encoding import CODECS, decode_head, not_text

READ_BLOCK_BYTES = 1 << 24
HEAD_BYTES = 1 << 20  # the start of delimited text read to find its encoding, delimiter and header


def raw_chunks(path: Path, warnings: list[str]) -> tuple[Callable[[], int], Iterator[pd.DataFrame]]:
    """(a function counting the rows, the file's rows as DataFrames, chunk by chunk).

    Delimited text comes as strings exactly as written (ids keep leading zeros, `NA` stays text
    until a column's role says otherwise); typed formats keep their types.
    """
    if not path.exists():
        raise InputError(missing(path))
    fmt = detect_format(path)
    if path.is_file():
        refuse_non_table(path)
    try:
        if fmt == "csv":
            return (lambda: _count_rows(path)), _errors_in_words(_csv_chunks(path, warnings), path, fmt)
        if fmt == "parquet":
            rows, chunks = _parquet_chunks(path)
            return (lambda: rows), _errors_in_words(chunks, path, fmt)
        if fmt == "jsonl":
            return (lambda: _count_lines(path)), _errors_in_words(_jsonl_chunks(path), path, fmt)
        frame = read_spreadsheet(path, limits=POOL_LIMITS).reset_index(drop=True)
        return (lambda: len(frame)), iter([frame])
    except InputError:
        raise
    except Exception as exc:  # parser errors of pyarrow/pandas/openpyxl have no common base class
        raise InputError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from None


def _errors_in_words(chunks: Iterator, path: Path, fmt: str) -> Iterator:
    """The chunks, with a parser error met half-way through turned into a one-line InputError."""
    try:
        yield from chunks
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 (see raw_chunks)
        raise InputError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from None


def _csv_reader(path: Path, warnings: list[str], only_first_column: bool = False):
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    head, encoding, delimiter = _csv_layout(path, warnings)
    if not head.strip():
        raise InputError(f"{path}: no header row (the file starts with blank lines)")
    header_line = first_line_of(head)
    if len(header_line) == len(head) and path.stat().st_size > HEAD_BYTES:  # no line end in the head
        check_header_line(path, HEAD_BYTES + 1, POOL_LIMITS)
    names = [unguarded(clean_header(n)) for n in next(csv.reader(lines(head), delimiter=delimiter), [])]
    check_columns(path, len(names), POOL_LIMITS)
    check_headers(names, path)
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=READ_BLOCK_BYTES, column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            include_columns=names[:1] if only_first_column else None,
        ),
    )


def _csv_layout(path: Path, warnings: list[str]) -> tuple[str, str, str]:
    """(the file's start as text, its encoding, its delimiter)."""
    head, encoding = decode_head(path, warnings)
    return head, encoding, sniff_delimiter(first_line_of(head), path.suffix.lower())


def _csv_batches(path: Path, warnings: list[str], only_first_column: bool = False):
    """pyarrow's record batches, with its parse and decoding errors in words."""
    import pyarrow as pa

    try:
        yield from _csv_reader(path, warnings, only_first_column)
    except pa.ArrowInvalid as exc:
        raise _csv_problem(path, exc) from None
    except UnicodeDecodeError as exc:  # past the start the encoding was judged on
        raise InputError(not_text(path, exc.object[exc.start])) from None


def _csv_chunks(path: Path, warnings: list[str]) -> Iterator[pd.DataFrame]:
    """The rows, each cell with the formula guard of batch files and exports taken back ("'=x" is
    "=x"), as import-labels reads answers: a CSV the tool wrote reads back as it was."""
    import pyarrow.compute as pc

    for batch in _csv_batches(path, warnings):
        if batch.num_rows:
            frame = batch.to_pandas()
            for i, column in enumerate(batch.columns):
                if pc.any(pc.match_substring(column, "'")).as_py():
                    frame.isetitem(i, frame.iloc[:, i].map(unguarded))
            yield frame


def _csv_problem(path: Path, exc: Exception) -> InputError:
    """pyarrow's parse error in words, with the line it is on (which pyarrow does not say)."""
    import csv

    if "invalid UTF8" in str(exc):
        return InputError(
            f"{path}: not valid UTF-8 past its first megabyte (the encoding is judged on the start); "
            "save the whole file as UTF-8"
        )
    _, encoding, delimiter = _csv_layout(path, [])
    with open(path, encoding=CODECS[encoding], errors="replace", newline="") as f:
        problem = wrong_field_count(csv.reader(f, delimiter=delimiter), path)
    return problem or InputError(f"{path}: cannot read as csv: {first_line(exc)}")


def _count_rows(path: Path) -> int:
    """Rows of a delimited file, reading one column (for the width of generated ids)."""
    return sum(batch.num_rows for batch in _csv_batches(path, [], only_first_column=True))


def _jsonl_chunks(path: Path) -> Iterator[pd.DataFrame]:
    with pd.read_json(path, lines=True, dtype=False, chunksize=65_536, encoding="utf-8-sig") as reader:
        yield from reader


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def _parquet_chunks(path: Path) -> tuple[int, Iterator[pd.DataFrame]]:
    import pyarrow.parquet as pq

    parts = parquet_parts(path)
    readers = [pq.ParquetFile(p) for p in parts]
    for part, reader in zip(parts, readers, strict=True):
        check_columns(part, reader.metadata.num_columns, POOL_LIMITS)

    def chunks():
        for reader in readers:
            for group in range(reader.num_row_groups):
                yield arrow_to_frame(reader.read_row_group(group))  # integers with nulls stay exact

    return sum(r.metadata.num_rows for r in readers), chunks()


def column_names(frame: pd.DataFrame, data: Path) -> list[str]:
    names = [clean_header(c) for c in frame.columns]
    for i, name in enumerate(names):
        if not name or name.startswith("Unnamed: "):
            raise InputError(f"{data}: column {i + 1} has no name; give every column a header")
    check_headers(names, data)
    return names
