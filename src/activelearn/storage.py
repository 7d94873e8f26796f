"""Atomic writes and reading/writing the file formats activelearn meets."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import bounds
from .bounds import ANSWER_LIMITS, Limits
from .errors import ConflictError, InputError

TEMP_MARK = ".tmp-"
DELIMITERS = (",", ";", "\t", "|")
written: list[Path] = []  # files atomic_path replaced in this process: what an interrupted command did commit


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    The temp file is fsynced before the rename and the directory after it, so a crash at any
    moment leaves either the old file or the new one. On failure the temp file is removed.
    """
    path = Path(path)
    for guard in _guards:  # before anything is written
        guard.check()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, _mode_for(path))
        yield tmp
        fsync(tmp)
        digest, existed = (sha256_file(tmp) if _guards else ""), path.exists()
        for guard in _guards:  # again, right before the file is replaced
            guard.check()
        os.replace(tmp, path)
        written.append(path)
        for guard in _guards:
            guard.wrote(path, digest, existed)
    except OSError as exc:  # disk full, read-only, quota: the previous file is untouched
        tmp.unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync(path.parent)


@dataclass
class Unchanged:
    """Files as a command found them on taking the project lock: each atomic write while it runs
    first checks that none changed since, so a command that got in anyway (through a lock that
    could not be taken, or by hand) makes this one refuse, rather than write over its change."""

    found: dict[Path, str | None]  # resolved path -> SHA-256 of its bytes (None: no such file)
    still_held: Callable[[], bool]  # whether the lock is still the project's
    message: str
    created: list[tuple[Path, str]] = field(default_factory=list)  # files this command added, as written

    @classmethod
    def of(cls, paths: list[Path], still_held: Callable[[], bool], message: str) -> Unchanged:
        return cls({Path(p).resolve(): _digest(Path(p)) for p in paths}, still_held, message)

    def check(self) -> None:
        """Raise ConflictError, after taking back the files this command added, if a file changed."""
        if self.still_held() and all(_digest(p) == d for p, d in self.found.items()):
            return
        for path, digest in reversed(self.created):  # "nothing was written" holds: remove what we added
            if _digest(path) == digest:
                path.unlink(missing_ok=True)
        raise ConflictError(self.message)

    def wrote(self, path: Path, digest: str, existed: bool) -> None:
        """This command's own write: the new bytes of a watched file are the ones to compare with."""
        resolved = path.resolve()
        if resolved in self.found:
            self.found[resolved] = digest
        elif not existed:
            self.created.append((path, digest))


_guards: list[Unchanged] = []  # of the lock this process holds (project.project_lock)


@contextlib.contextmanager
def unchanged(guard: Unchanged) -> Iterator[Unchanged]:
    """Check `guard` before and during every atomic write inside the block."""
    _guards.append(guard)
    try:
        yield guard
    finally:
        _guards.remove(guard)


def _digest(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable: the same answer each time, unless that changes
        return f"unreadable: {exc.strerror}"


def _write_error(path: Path, exc: OSError) -> InputError:
    cause = exc.strerror or str(exc)
    return InputError(f"{path}: cannot write it ({cause.lower()}); nothing was changed, the previous version is intact")


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or the umask's default for a new file (mkstemp's is 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync(path: Path) -> None:
    """Flush a file's bytes, or a directory's entries (a rename inside it), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_files([path])


def sha256_files(paths: list[Path], prefix: bytes = b"") -> str:
    """The SHA-256 of `prefix` followed by the bytes of each file in turn."""
    digest = hashlib.sha256(prefix)
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# reading tabular input

TEXT_FORMATS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".xls"}


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


# Python codec for each encoding name pyarrow's CSV reader takes
CODECS = {
    "utf8": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "utf-32": "utf-32",
    "cp1252": "cp1252",
}
MANGLED_BOM = "\u00ef\u00bb\u00bf"  # a byte-order mark that went through Windows-1252 and back to UTF-8


def detect_encoding(raw: bytes, path: Path, warnings: list[str] | None, sample: bool = False) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM, or without), UTF-32 with BOM, else Windows-1252
    with a warning. With `sample`, `raw` is the file's start, and a character cut at its end is fine.
    Returns a name pyarrow's CSV reader takes (and CODECS maps to Python's)."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(raw) >= 4:  # ASCII text in UTF-16 without a BOM: a NUL in every other byte (not in all: NUL padding)
        half = len(raw) // 2
        odd, even = raw[1::2].count(0), raw[0::2].count(0)
        if odd > 0.9 * half and even < 0.1 * half:
            return "utf-16-le"
        if even > 0.9 * half and odd < 0.1 * half:
            return "utf-16-be"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not sample or exc.start < len(raw) - 3:
            _check_windows_1252(raw, path)
            if warnings is not None:
                warnings.append(f"{path}: not valid UTF-8; read as Windows-1252")
            return "cp1252"
    return "utf8"


def _check_windows_1252(raw: bytes, path: Path) -> None:
    """Fail on a byte no Windows-1252 text holds (0x81, 0x8d, 0x8f, 0x90, 0x9d): the file is in
    another encoding, or not text, and reading it anyway would garble every accented letter."""
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(not_text(path, raw[exc.start], line)) from None


def not_text(path: Path, byte: int, line: int | None = None) -> str:
    where = f"{path} line {line}" if line else str(path)
    return (
        f"{where}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252 text; "
        "save the file as UTF-8 (in Excel: CSV UTF-8)"
    )


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


def decode_text(path: Path, warnings: list[str] | None = None, data: bytes | None = None) -> str:
    """The whole file (or `data`, its bytes read before) as text, in the encoding detect_encoding finds."""
    raw = path.read_bytes() if data is None else data
    encoding = detect_encoding(raw, path, warnings)
    return raw.decode(CODECS[encoding], errors="replace").removeprefix(MANGLED_BOM)


def decode_head(path: Path, warnings: list[str] | None = None, size: int = 1 << 20) -> tuple[str, str]:
    """(the file's first `size` bytes as text, the encoding to read all of it with)."""
    with open(path, "rb") as f:
        raw = f.read(size)
    encoding = detect_encoding(raw, path, warnings, sample=True)
    return raw.decode(CODECS[encoding], errors="ignore").removeprefix(MANGLED_BOM), encoding


BOMS = ("\ufeff", MANGLED_BOM)


def clean_header(name) -> str:
    """A column name without surrounding space or a byte-order mark (read right, or as Windows-1252)."""
    text = str(name).strip()
    while text.startswith(BOMS):
        text = text.removeprefix("\ufeff").removeprefix(MANGLED_BOM).strip()
    return text


def header_key(name) -> str:
    """How a header is matched to a column the tool looks for: as labels are, up to case and space."""
    return clean_header(name).casefold()


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


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


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
            names = {header_key(unguarded(cell_text(v).strip())) for v in row}
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
    header = [unguarded(clean_header(cell_text(v))) for v in rows[top]]
    header = [name or f"(column {i + 1})" for i, name in enumerate(header)]  # headerless columns
    check_headers(header, path)
    width = len(header)
    body = [[cell_text(v) for v in (list(r) + [None] * width)[:width]] for r in rows[top + 1 :]]
    return pd.DataFrame(body, columns=header, index=range(top + 2, top + 2 + len(body)), dtype=object)


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


def read_parquet_cells(path: Path, data: bytes | None = None, limits: Limits = ANSWER_LIMITS):
    """A Parquet file's cells as text ('' for null), rows numbered from 1; the rows, columns and
    size its footer declares are checked against `limits` first."""
    import pandas as pd
    import pyarrow.parquet as pq

    with opened(path, data) as source:
        parquet = pq.ParquetFile(source)
        bounds.check_parquet(path, parquet.metadata, limits)
        table = parquet.read()
    columns = {name: [_value_text(v) for v in table.column(name).to_pylist()] for name in table.column_names}
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
                record = {str(k): _value_text(v) for k, v in record.items()}
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


def _value_text(value) -> str:
    """A typed value (Parquet, JSON) as a cell's text: numbers as written, lists and objects as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return cell_text(value)


# The formula guard, at the start of a cell and after each line break inside it (a spreadsheet
# starts a new row there if the field were not quoted, and shows each line): one ' before a line
# that starts with a trigger, or with ' then a trigger, so that unguarded() takes back exactly one.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CELL_START = re.compile("'*[=+\\-@\t\r\n]")  # a line break opening a cell counts as a trigger too
_LINE_START = re.compile("'*[=+\\-@\t]")
GUARD_NEEDED_PATTERN = "^['=+\\-@\t\r\n]|[\r\n]"  # a text that guarded() may change (also for pyarrow)
# OWASP CSV injection: a cell (or a line of it) starting with = + - @ tab may run as a formula in a spreadsheet
_GUARD_NEEDED = re.compile(GUARD_NEEDED_PATTERN)


def _line_starts(text: str) -> Iterator[tuple[int, re.Pattern]]:
    yield 0, _CELL_START
    for found in LINE_BREAK.finditer(text):
        yield found.end(), _LINE_START


def guarded(text: str) -> str:
    """A cell as a spreadsheet cannot run it as a formula: "=x" -> "'=x", "ok\\r@x" -> "ok\\r'@x",
    "'=x" -> "''=x"; unguarded() undoes it exactly."""
    if not _GUARD_NEEDED.search(text):
        return text
    pieces, last = [], 0
    for start, pattern in _line_starts(text):
        if pattern.match(text, start):
            pieces += [text[last:start], "'"]
            last = start
    return "".join([*pieces, text[last:]])


def csv_line(fields: list[str], delimiter: str = ",") -> str:
    """One CSV record ending in \\n, a field quoted when it holds the delimiter, a quote, CR or LF
    (Python's csv module leaves a bare CR unquoted, and a spreadsheet starts a new row there)."""

    def quoted(field: str) -> str:
        if delimiter in field or any(c in field for c in '"\r\n'):
            return '"' + field.replace('"', '""') + '"'
        return field

    return ('""' if fields == [""] else delimiter.join(map(quoted, fields))) + "\n"


def unguarded(text: str) -> str:
    """A cell as written before the formula guard: "'=x" -> "=x", "ok\\n'=x" -> "ok\\n=x"
    (one ' taken at each line start where guarded() puts one)."""
    if "'" not in text:
        return text
    cut = {
        start for start, pattern in _line_starts(text) if text.startswith("'", start) and pattern.match(text, start + 1)
    }
    return "".join(c for i, c in enumerate(text) if i not in cut) if cut else text


def cell_text(value) -> str:
    """A spreadsheet cell as text: whole numbers without '.0', dates in ISO form, empty as ''."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def check_headers(names: list, path: Path) -> None:
    """Fail on a repeated column name; pandas would silently rename the second to 'name.1'."""
    seen: set[str] = set()
    for name in (str(n).strip() for n in names):
        if name and name in seen:
            raise InputError(f"{path}: the column {name!r} appears more than once; give each column its own name")
        seen.add(name)


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only, for a one-line error."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
