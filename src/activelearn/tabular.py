"""Reading tables: which kind a file is (by its name or its bytes), and a CSV/TSV, Parquet or JSON
Lines file read whole as text cells, checked against the limits of an answer file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from . import bounds
from .bounds import ANSWER_LIMITS, Limits
from .cells import check_headers, clean_header, header_key, typed_text
from .errors import InputError
from .text_encoding import decode_text

# --- which kind of table a file is ------------------------------------------------------------


TEXT_FORMATS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".xls"}


# What a file that is not a table of rows is, from its first bytes
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive (decompress it first)"),
    (b"\xfd7zXZ\x00", "an xz archive (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (extract it first)"),
    (b"Rar!\x1a\x07", "a RAR archive (extract it first)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
)
ZIP_CONTENTS = (("word/", "a Word document"), ("ppt/", "a PowerPoint presentation"))
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def parquet_parts(path: Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or a folder's parts in name order."""
    return sorted(path.rglob("*.parquet")) if path.is_dir() else [path]


def detect_format(path: Path) -> str:
    """Name the format of a data file: csv, parquet, jsonl or spreadsheet."""
    if path.is_dir():
        if parquet_parts(path):
            return "parquet"
        raise InputError(f"{path}: a folder is read only as Parquet parts, and it has no *.parquet files")
    suffix = path.suffix.lower()
    if suffix in TEXT_FORMATS:
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in EXCEL_SUFFIXES:
        return "spreadsheet"
    raise InputError(
        f"{path}: unknown file type {suffix or '(no extension)'}; use .csv, .tsv, .parquet, .jsonl or .xlsx"
    )


def opened(path: Path, data: bytes | None = None):
    """A binary file to read: `data` (the file's bytes, read before) if given, else the file."""
    return io.BytesIO(data) if data is not None else open(path, "rb")


def refuse_non_table(path: Path, data: bytes | None = None) -> None:
    """Fail with a message saying what the file is when it is empty, or clearly not a table
    (an image, a PDF, an archive...), before a parser says something obscure about it."""
    with opened(path, data) as f:
        head = f.read(16)
    if not head:
        raise InputError(f"{path}: empty file (0 bytes)")
    what = next((name for magic, name in SIGNATURES if head.startswith(magic)), None)
    if what is None and head.startswith(ZIP_MAGIC):
        what = _zip_kind(path, data)
    if what is not None:
        raise InputError(
            f"{path}: looks like {what}, not a table of rows; use a CSV, TSV, XLSX, ODS, Parquet or JSON Lines file"
        )


def _zip_kind(path: Path, data: bytes | None = None) -> str | None:
    """What a ZIP archive that is not a workbook is; None for a workbook (or a damaged archive)."""
    import zipfile

    try:
        with opened(path, data) as f, zipfile.ZipFile(f) as archive:
            names = archive.namelist()
    except Exception:  # noqa: BLE001 - a damaged archive: let the workbook reader say what is wrong
        return None
    if ("[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)) or "mimetype" in names:
        return None  # an XLSX has its content types and an xl/ folder, an ODS its mimetype
    return next(
        (what for prefix, what in ZIP_CONTENTS if any(n.startswith(prefix) for n in names)),
        "a ZIP archive (extract it first)",
    )


def spreadsheet_kind(path: Path, data: bytes | None = None) -> str | None:
    """'xlsx', 'ods' or 'xls' from the file's bytes (not its name), or None for text."""
    import zipfile

    with opened(path, data) as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        return "xls"
    if not head.startswith(ZIP_MAGIC):
        return None
    try:
        with opened(path, data) as f, zipfile.ZipFile(f) as archive:
            if "mimetype" in archive.namelist() and b"opendocument.spreadsheet" in archive.read("mimetype"):
                return "ods"
    except Exception:  # noqa: BLE001 - a damaged archive (bad zip, an unknown zip version, ...)
        return "xlsx"  # let the reader say what is wrong
    return "xlsx"


def answer_file_kind(path: Path, data: bytes | None = None) -> str:
    """'xlsx', 'ods', 'xls', 'parquet', 'jsonl' or 'csv', from the file's bytes (and, for JSON
    Lines, its name or a first line that opens an object)."""
    kind = spreadsheet_kind(path, data)
    if kind:
        return kind
    with opened(path, data) as f:
        head = f.read(64)
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    start = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if path.suffix.lower() in JSONL_SUFFIXES or start.startswith(b"{"):
        return "jsonl"
    return "csv"


# --- delimited text (CSV, TSV) ----------------------------------------------------------------


DELIMITERS = (",", ";", "\t", "|")


def first_line_of(text: str) -> str:
    """The first line of a text, whatever its line ends (\\n, \\r\\n, or \\r as old Mac files)."""
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]


def lines(text: str):
    """A text as a file the csv module reads: split at any line end, line ends kept."""
    return io.StringIO(text, newline="")


def wrong_field_count(rows, path: Path, tolerate_trailing: bool = False) -> InputError | None:
    """The first row of a csv.reader with more or fewer fields than the header, as an error naming
    its line; None if there is none. With `tolerate_trailing`, fewer fields and one empty field
    past the header (a trailing delimiter) are fine, as the answer-file reader takes them."""
    header = next(rows, None)
    if header is None:
        return None
    expected, end = len(header), rows.line_num
    for row in rows:
        start, end = end + 1, rows.line_num
        if not row or len(row) == expected:
            continue
        if tolerate_trailing and (len(row) < expected or (len(row) == expected + 1 and row[-1] == "")):
            continue
        return InputError(
            f"{path} line {start}: expected {expected} fields, got {len(row)}; check the delimiters and quotes "
            "on that line (a cell holding the delimiter needs quotes around it)"
        )
    return None


def unclosed_quote(text: str, delimiter: str, path: Path) -> InputError | None:
    """The line of the first quoted cell whose closing quote never comes (it would take in the
    rest of the file), as an error naming it; None if every quote is closed."""
    import csv

    rows = csv.reader(lines(text), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in rows:
            start = rows.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return None
        return InputError(
            f"{path} line {start}: a quote in this line is never closed, so the rest of the file would be one cell; "
            'close it, or double a quote inside a quoted cell ("")'
        )
    return None


def sniff_delimiter(header_line: str, suffix: str, wanted: tuple[str, ...] = ()) -> str:
    """Pick the delimiter of a header line among , ; tab | (never a letter).

    With `wanted` column names, the delimiter that splits the header into all of them wins;
    otherwise the extension's delimiter, or the one that splits the header into most fields.
    """
    if wanted:
        for delimiter in DELIMITERS:
            fields = {header_key(f.strip().strip('"')) for f in header_line.split(delimiter)}
            if all(header_key(name) in fields for name in wanted):
                return delimiter
    preferred = TEXT_FORMATS.get(suffix)
    if preferred and preferred in header_line:
        return preferred
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else (preferred or ",")


def read_delimited(
    path: Path,
    wanted: tuple[str, ...] = (),
    warnings: list[str] | None = None,
    keep_blank_lines: bool = False,
    data: bytes | None = None,
    limits: Limits = ANSWER_LIMITS,
):
    """Read delimited text with every cell as a string ('' for an empty cell).

    With `keep_blank_lines`, blank lines stay as rows of empty cells, so that row numbers match
    what a spreadsheet shows. The header line, columns and lines are checked against `limits`
    before the rows are parsed.
    """
    import csv
    import warnings as warnings_module

    import pandas as pd

    text = decode_text(path, warnings, data)
    if not text.strip():
        raise InputError(f"{path}: no header row (the file holds only blank lines)")
    header_line = first_line_of(text)
    bounds.check_header_line(path, len(header_line), limits)
    delimiter = sniff_delimiter(header_line, path.suffix.lower(), wanted)
    names = next(csv.reader(lines(text), delimiter=delimiter), [])
    bounds.check_columns(path, len(names), limits)
    bounds.check_lines(path, text, limits)
    check_headers(names, path)
    with warnings_module.catch_warnings():
        # with a trailing delimiter pandas warns of the (empty) field it drops
        warnings_module.simplefilter("ignore", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=not keep_blank_lines,
                index_col=False,  # a trailing delimiter on data lines must not shift the columns
            )
        except pd.errors.ParserError:
            problem = wrong_field_count(
                csv.reader(lines(text), delimiter=delimiter), path, tolerate_trailing=True
            ) or unclosed_quote(text, delimiter, path)
            if problem is None:
                raise
            raise problem from None
    frame.columns = [clean_header(c) for c in frame.columns]
    return frame


# --- Parquet and JSON Lines -------------------------------------------------------------------


def read_parquet_cells(path: Path, data: bytes | None = None, limits: Limits = ANSWER_LIMITS):
    """A Parquet file's cells as text ('' for null), rows numbered from 1; the rows, columns and
    size its footer declares are checked against `limits` first."""
    import pandas as pd
    import pyarrow.parquet as pq

    with opened(path, data) as source:
        parquet = pq.ParquetFile(source)
        bounds.check_parquet(path, parquet.metadata, limits)
        table = parquet.read()
    columns = {name: [typed_text(v) for v in table.column(name).to_pylist()] for name in table.column_names}
    check_headers(list(columns), path)
    return pd.DataFrame(columns, index=range(1, table.num_rows + 1), dtype=object)


def read_jsonl_cells(
    path: Path,
    warnings: list[str] | None = None,
    data: bytes | None = None,
    limits: Limits = ANSWER_LIMITS,
):
    """A JSON Lines file's values as text ('' for null or a missing key), indexed by line number."""
    import pandas as pd

    records, numbers = [], []
    text = decode_text(path, warnings, data)
    bounds.check_lines(path, text, limits)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if isinstance(record, dict):
                bounds.check_columns(f"{path} line {number}", len(record), limits)
                record = {str(k): typed_text(v) for k, v in record.items()}
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise InputError(
                f'{path} line {number}: values nested too deeply to read; an answer is a flat value, as {{"id": ..., "label": ...}}'
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f'{path} line {number}: not a JSON object; each line needs one, as {{"id": ..., "label": ...}}'
            )
        records.append(record)
        numbers.append(number)
    if not records:
        raise InputError(f"{path}: no JSON objects (the file holds only blank lines)")
    names = list(dict.fromkeys(k for r in records for k in r))
    bounds.check_columns(path, len(names), limits)
    return pd.DataFrame([[r.get(n, "") for n in names] for r in records], columns=names, index=numbers, dtype=object)
