"""What a cell or a header of a table says as text, and the formula guard that keeps a spreadsheet
from running a cell as a formula."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .text_encoding import MANGLED_BOM

# Cells that mean "missing" in a feature column of a delimited file (never in the label column).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "?"})


# --- a cell as text ------------------------------------------------------------------------------


def is_null(value) -> bool:
    """A cell with no value: None, NaN, NaT or pd.NA (a list or vector cell is never null)."""
    return value is None or (not isinstance(value, (list, tuple, np.ndarray)) and bool(pd.isna(value)))


def as_text(value) -> str:
    """A value as text: whole floats without '.0' (ids and codes read as numbers)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(value) -> str:
    """A cell as stripped text: '' for empty or null, whole floats without '.0'."""
    if isinstance(value, str):
        return value.strip()
    return "" if is_null(value) else as_text(value).strip()


def sheet_text(value) -> str:
    """A spreadsheet cell as the sheet shows it: TRUE or FALSE, whole numbers without '.0', dates in
    ISO form, empty as ''."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and abs(value) >= 1e21:
        return repr(value)  # 1e+21, as a spreadsheet shows it, not its 22 digits
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    return as_text(value)


def typed_text(value) -> str:
    """A typed value (Parquet, JSON) as a cell's text: numbers as written, lists and objects as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return sheet_text(value)


# --- headers -------------------------------------------------------------------------------------


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


def check_headers(names: list, path: Path) -> None:
    """Fail on a repeated column name; pandas would silently rename the second to 'name.1'."""
    seen: set[str] = set()
    for name in (str(n).strip() for n in names):
        if name and name in seen:
            raise InputError(f"{path}: the column {name!r} appears more than once; give each column its own name")
        seen.add(name)


# --- the formula guard -------------------------------------------------------------------------


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
