"""Limits on what an input file may make the tool read, checked before the cells are built, so
that a small file cannot take gigabytes of memory or minutes of time: a workbook's unpacked size
(as its archive declares it, which also caps what is inflated) and compression ratio, the rows and
columns a sheet declares or repeats, a header line's length, JSON nesting, Parquet row counts.

Answer files are small (a batch is at most thousands of rows), so their limits are tight; the data
file `init` reads can be big, so only its columns, header line and archives are bounded.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

MiB = 1 << 20
RATIO_CHECKED_FROM = 16 * MiB  # members smaller than this may compress as well as they like
MAX_RATIO = 100  # a real sheet's XML compresses 5 to 30 times; a zip bomb's 1,000 times


@dataclass(frozen=True)
class Limits:
    what: str  # who the limits are for, as messages say it: "an answer file"
    file_bytes: int | None  # the file on disk
    unpacked_bytes: int  # XLSX/ODS: every member of the archive, unpacked; Parquet: uncompressed data
    rows: int | None
    columns: int
    cells: int  # rows x columns of a spreadsheet's sheet, held in memory at once
    header_bytes: int = MiB  # the header line of delimited text


ANSWER_LIMITS = Limits("an answer file", 100 * MiB, 256 * MiB, 100_000, 10_000, 5_000_000)
POOL_LIMITS = Limits("a data file", None, 2048 * MiB, None, 100_000, 25_000_000)


def _size(n: int) -> str:
    return f"{n / MiB:,.0f} MiB" if n >= MiB else f"{n:,} bytes"


def check_file_size(path: Path, size: int, limits: Limits) -> None:
    if limits.file_bytes is not None and size > limits.file_bytes:
        raise InputError(
            f"{path}: {_size(size)}, more than {limits.what} may be ({_size(limits.file_bytes)}); "
            "split it into smaller files"
        )


def check_grid(path: Path, where: str, rows: int, columns: int, limits: Limits, claims: str = "has") -> None:
    """Refuse a table of `rows` x `columns` past the limits (`where`: the sheet, or '')."""
    at = f"{path}{where}"
    if limits.rows is not None and rows > limits.rows:
        raise InputError(
            f"{at}: {claims} {rows:,} rows, more than {limits.what} may have ({limits.rows:,}); split it into smaller files"
        )
    check_columns(at, columns, limits, claims)
    if rows * columns > limits.cells:
        raise InputError(
            f"{at}: {claims} {rows:,} rows of {columns:,} columns, more than the {limits.cells:,} cells "
            f"{limits.what} may have as a spreadsheet; save it as CSV or Parquet"
        )


def check_columns(at, columns: int, limits: Limits, claims: str = "has") -> None:
    if columns > limits.columns:
        raise InputError(
            f"{at}: {claims} {columns:,} columns, more than {limits.what} may have ({limits.columns:,}); "
            "keep only the columns needed"
        )


def check_lines(path: Path, text: str, limits: Limits) -> None:
    """Refuse a text file (CSV, JSON Lines) of more lines than its rows may be, before parsing."""
    if limits.rows is not None and text.count("\n") > limits.rows + 1:
        raise InputError(
            f"{path}: has more than {limits.rows:,} lines, more than {limits.what} may have; split it into smaller files"
        )


def check_header_line(path: Path, length: int, limits: Limits) -> None:
    if length > limits.header_bytes:
        raise InputError(
            f"{path}: the header line is longer than {_size(limits.header_bytes)}; "
            "check that the file has line ends, and keep only the columns needed"
        )


def check_archive(path: Path, source, limits: Limits) -> None:
    """Refuse a workbook whose archive declares more unpacked bytes than the limit, or a member
    compressed past MAX_RATIO, before any XML is parsed. A member that inflates past its declared
    size is cut there by zipfile (and fails its CRC), so the declared sizes bound the work."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except Exception:  # noqa: BLE001 - a damaged archive: let the workbook reader say what is wrong
        return
    total = sum(m.file_size for m in members)
    if total > limits.unpacked_bytes:
        raise InputError(
            f"{path}: unpacks to {_size(total)}, more than {limits.what} may ({_size(limits.unpacked_bytes)}); "
            "if it is a real workbook, save it as CSV"
        )
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise InputError(
                f"{path}: {member.filename} unpacks {ratio:,} times its packed size, as no real workbook does "
                "(a zip bomb?); if it is a real workbook, save it as CSV"
            )


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")


def check_ods(path: Path, source, limits: Limits) -> None:
    """Refuse an ODS sheet whose repeated rows and cells (number-rows-repeated,
    number-columns-repeated) reach past the limits, counting up to the last cell with content:
    the trailing empty rows LibreOffice writes repeated a million times are no data."""
    import xml.etree.ElementTree as ET

    try:
        archive = zipfile.ZipFile(source)
        content = archive.open("content.xml")
    except Exception:  # noqa: BLE001 - let the reader say what is wrong
        return
    with archive, content:
        name, row, column, last_column = "", 0, 0, 0
        rows = width = 0
        for event, element in ET.iterparse(content, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == _TABLE + "table":
                    name, row, rows, width = element.get(_TABLE + "name", ""), 0, 0, 0
                elif tag == _TABLE + "table-row":
                    column = last_column = 0
                continue
            if tag in _CELLS:
                column += _repeats(element.get(_TABLE + "number-columns-repeated"))
                if len(element) or element.get(_OFFICE + "value-type"):
                    last_column = column
                element.clear()
            elif tag == _TABLE + "table-row":
                row += _repeats(element.get(_TABLE + "number-rows-repeated"))
                if last_column:
                    rows, width = row, max(width, last_column)
                    check_grid(path, f" sheet {name!r}", rows, width, limits, claims="repeats cells to")
                element.clear()


def _repeats(value: str | None) -> int:
    try:
        return max(int(value), 1) if value else 1
    except ValueError:
        return 1


def check_parquet(path: Path, metadata, limits: Limits) -> None:
    """Refuse a Parquet file whose footer declares more rows, columns or uncompressed bytes
    than the limits, before a row group is read."""
    if limits.rows is not None and metadata.num_rows > limits.rows:
        raise InputError(
            f"{path}: holds {metadata.num_rows:,} rows, more than {limits.what} may have ({limits.rows:,}); "
            "split it into smaller files"
        )
    check_columns(path, metadata.num_columns, limits, "holds")
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > limits.unpacked_bytes:
        raise InputError(
            f"{path}: unpacks to {_size(unpacked)}, more than {limits.what} may ({_size(limits.unpacked_bytes)}); "
            "split it into smaller files"
        )
