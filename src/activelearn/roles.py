"""Infer each data column's role (numeric, categorical, text, embedding, datetime, ignore) and type its values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .cells import MISSING_TOKENS, as_text
from .errors import InputError, UsageError

MAX_CATEGORIES = 50
TEXT_MIN_WORDS = 4
DATE_SHARE = 0.95  # a column is dates when at least this share of its filled cells are
# a column given the numeric or datetime role (by an option or by hand) is refused when more than
# this share of its filled cells are not numbers (dates); fewer are taken as missing, with a note
MAX_UNREADABLE_SHARE = 0.5
_DAY_MONTH_YEAR = re.compile(r"\s*\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
MIN_ROWS_FOR_IDENTIFIER = 20  # fewer rows than this may be unique by chance
WHOLE_NUMBER = re.compile(r"\s*[+-]?\d+\s*")
ZERO_PADDED = re.compile(r"\s*0\d+\s*")  # a code such as 008645: its zeros are part of it


@dataclass(frozen=True)
class ColumnRole:
    name: str
    role: str
    note: str
    integer: bool = False  # whole numbers, kept as int64 in the pool (not float64, which loses digits)
    month_first: bool = False  # datetime: 03/05/2024 is 5 March


def missing_mask(series: pd.Series) -> pd.Series:
    """True where a cell is missing: null, or a string such as '', 'NA', 'null'."""
    mask = series.isna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        text = series.map(lambda v: str(v).strip().casefold() if isinstance(v, str) else None)
        mask = mask | text.isin(MISSING_TOKENS)
    return mask


def infer_role(series: pd.Series) -> ColumnRole:
    """Guess how the model should use a column, with a note saying why."""
    name = str(series.name)
    present = series[~missing_mask(series)]
    n = len(present)
    if n == 0:
        return ColumnRole(name, "ignore", "every cell is empty")
    dates = datetime_role(name, present, len(series))
    if dates is not None:
        return dates
    if _parse_embedding(present) is not None:
        width = len(_as_vector(present.iloc[0]))
        return ColumnRole(name, "embedding", f"vectors of {width} numbers")
    distinct = present.astype(str).nunique()
    if distinct == 1:
        return ColumnRole(name, "ignore", "the same value in every row")
    if pd.api.types.is_bool_dtype(series):
        return ColumnRole(name, "categorical", "true/false")
    codes = _is_zero_padded(present)
    numbers = pd.to_numeric(present, errors="coerce") if not _is_numeric(present) else present
    if not codes and numbers.notna().all():
        return _numeric_role(name, numbers.astype(float), n, distinct, len(series), _is_integer(present))
    texts = present.astype(str)
    words = texts.str.split().str.len().mean()
    if words >= TEXT_MIN_WORDS and distinct > MAX_CATEGORIES:
        return ColumnRole(name, "text", f"free text, {words:.0f} words on average")
    if distinct <= MAX_CATEGORIES:
        missing = len(series) - n
        return ColumnRole(
            name,
            "categorical",
            f"{distinct} distinct values" + (f", {missing} missing" if missing else ""),
        )
    if distinct == n:
        code = " (zero-padded codes)" if codes else ""
        return ColumnRole(name, "ignore", f"a different value in every row{code} (an identifier? use --id-column)")
    return ColumnRole(
        name,
        "ignore",
        f"{distinct} distinct short values: too many categories (set to categorical or text to use)",
    )


def datetime_role(name: str, present: pd.Series, rows: int) -> ColumnRole | None:
    """The datetime role when nearly every filled cell is a date (or a date and time), else None.

    Numbers are never dates (years, or 20240305, stay numeric), nor is a column with one value.
    """
    from .datetimes import date_share, day_first, parse_datetimes

    typed = pd.api.types.is_datetime64_any_dtype(present) or all(isinstance(v, date) for v in present.head(100))
    if not typed:
        if _is_numeric(present) or pd.api.types.is_bool_dtype(present):
            return None
        if pd.to_numeric(present.head(100), errors="coerce").notna().all():
            return None  # numbers (the numeric rule decides), even those that read as dates
        if date_share(present.head(100)) < 0.5:
            return None  # a quick look before reading every cell
    if present.astype(str).nunique() == 1:
        return None
    dayfirst = day_first(present)
    parsed = parse_datetimes(present, dayfirst)
    if parsed.notna().mean() < DATE_SHARE:
        return None
    read = parsed.notna().to_numpy()
    times = bool((parsed.dropna().dt.normalize() != parsed.dropna()).any())
    shown = read & (parsed != parsed.dt.normalize()).to_numpy() if times else read  # an example with its time
    first = int(np.flatnonzero(shown)[0])
    example = as_text(present.iloc[first]) if not typed or times else str(parsed.iloc[first].date())
    notes = [f"dates and times like {example}" if times else f"dates like {example}"]
    if not typed and present.astype(str).str.match(_DAY_MONTH_YEAR).any():
        notes.append("05/03/2024 read as 5 March" if dayfirst else "03/05/2024 read as 5 March")
    if rows > len(present):
        notes.append(f"{rows - len(present)} missing")
    if not read.all():
        unread = present[~read]
        notes.append(f"{_not_kind(len(unread), 'date')} (e.g. {as_text(unread.iloc[0])!r}), taken as missing")
    return ColumnRole(name, "datetime", ", ".join(notes), month_first=not dayfirst)


def role_option(role: str) -> str:
    """The init option that forces a role: --numeric-columns, ..."""
    return f"--{role}-columns"


def forced_roles(**columns_by_role) -> dict[str, str]:
    """column -> role, from the columns each --<role>-columns option names (role=[names]); a
    column named by two of them is a usage error."""
    forced: dict[str, str] = {}
    for role, names in columns_by_role.items():
        for name in names or ():
            if forced.get(name, role) != role:
                raise UsageError(
                    f"{role_option(forced[name])} and {role_option(role)} both name {name!r}; give each column one role"
                )
            forced[name] = role
    return forced


def forced_role(series: pd.Series, role: str, where: str) -> ColumnRole:
    """The role an option forces on a column, refused when the column's cells cannot have it:
    numeric and datetime need numbers (dates) in most filled cells; the others, read as text, fit any."""
    name, option = str(series.name), role_option(role)
    if role not in ("numeric", "datetime"):
        return ColumnRole(name, role, option)
    present = series[~missing_mask(series)]
    month_first = False
    if role == "numeric":
        read = (present if _is_numeric(present) else pd.to_numeric(present, errors="coerce")).notna().to_numpy()
        kind = "number"
    else:
        from .datetimes import day_first, parse_datetimes

        dayfirst = day_first(present)
        month_first = not dayfirst
        read = parse_datetimes(present, dayfirst).notna().to_numpy()
        kind = "date"
    if read.all():
        return ColumnRole(name, role, option, month_first=month_first)
    unread = present[~read]
    row, value = unread.index[0], as_text(unread.iloc[0])
    if len(unread) > MAX_UNREADABLE_SHARE * len(present):
        raise InputError(
            f"{where} row {row + 2}: column {name!r} holds {value!r}, and {len(unread)} of its {len(present)} filled "
            f"cells are not {kind}s; leave it out of {option}"
        )
    return ColumnRole(
        name,
        role,
        f"{option}; {_not_kind(len(unread), kind)} (e.g. {value!r}), taken as missing",
        month_first=month_first,
    )


def _not_kind(count: int, kind: str) -> str:
    """'1 cell is not a date', '3 cells are not dates'."""
    return f"1 cell is not a {kind}" if count == 1 else f"{count} cells are not {kind}s"


def _numeric_role(name: str, numbers: pd.Series, n: int, distinct: int, rows: int, integer: bool) -> ColumnRole:
    integral = bool(np.all(np.mod(numbers.to_numpy(), 1) == 0))
    if integral and distinct == n == rows and rows >= MIN_ROWS_FOR_IDENTIFIER:
        if bool(np.all(np.diff(numbers.to_numpy()) == 1)):  # 1, 2, 3 ...; increasing ids with gaps are ids
            return ColumnRole(name, "ignore", "consecutive whole numbers, one per row (a row number?)", integer)
        return ColumnRole(
            name,
            "ignore",
            "a different whole number in every row (an identifier? use --id-column)",
            integer,
        )
    missing = rows - n
    note = ("whole numbers" if integral else "numbers") + (f", {missing} missing" if missing else "")
    return ColumnRole(name, "numeric", note, integer)


def _is_integer(present: pd.Series) -> bool:
    """Whole numbers as the file holds them: an integer type, or text such as '42' (not '42.0')."""
    if pd.api.types.is_integer_dtype(present):
        return True
    if present.dtype == object or pd.api.types.is_string_dtype(present):
        return bool(
            present.map(
                lambda v: isinstance(v, int) or (isinstance(v, str) and WHOLE_NUMBER.fullmatch(v) is not None)
            ).all()
        )
    return False


def _is_zero_padded(present: pd.Series) -> bool:
    """Digit strings of which some start with 0, such as postal codes: text, never numbers."""
    if present.dtype != object and not pd.api.types.is_string_dtype(present):
        return False
    text = present.map(lambda v: v if isinstance(v, str) else None)
    return (
        bool(text.notna().all())
        and bool(text.str.fullmatch(r"\s*\d+\s*").all())
        and bool(text.str.fullmatch(ZERO_PADDED.pattern).any())
    )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _as_vector(value):
    if isinstance(value, str):
        value = json.loads(value)
    return value


def _parse_embedding(present: pd.Series) -> list[np.ndarray] | None:
    """The cells as equal-length float vectors, or None if they are not all such lists."""
    first = present.iloc[0]
    if isinstance(first, str):
        if not first.lstrip().startswith("["):
            return None
    elif not isinstance(first, (list, tuple, np.ndarray)):
        return None
    vectors = []
    width = None
    for value in present:
        try:
            vector = np.asarray(_as_vector(value), dtype=float)
        except (ValueError, TypeError, json.JSONDecodeError):
            return None
        if vector.ndim != 1 or vector.size == 0 or (width is not None and vector.size != width):
            return None
        width = vector.size
        vectors.append(vector)
    return vectors


def typed_column(series: pd.Series, role: str, integer: bool = False) -> pd.Series:
    """The column's values as stored in the pool: float for numeric (nullable Int64 for whole
    numbers), float lists for embeddings, text (missing as null) for everything else."""
    missing = missing_mask(series)
    if integer and role in ("numeric", "ignore"):
        return _whole_numbers(series.mask(missing))
    if role == "numeric":
        return pd.to_numeric(series.mask(missing), errors="coerce").astype("float64")
    if role == "embedding":
        out: list[list[float] | None] = [None] * len(series)
        for i, (value, gone) in enumerate(zip(series, missing, strict=True)):
            if not gone:
                out[i] = [float(x) for x in _as_vector(value)]
        return pd.Series(out, index=series.index, name=series.name, dtype=object)
    if role == "text":
        # in free text only a truly empty cell is missing: "None" may be a word of a review
        missing = series.isna() | series.map(lambda v: isinstance(v, str) and not v.strip())
    return series.mask(missing).map(as_text, na_action="ignore").astype(object).where(~missing, None)


def _whole_numbers(series: pd.Series) -> pd.Series:
    """Exact integers (18-digit ids too, which float64 would round); a cell that is no number
    becomes missing, as in a float column, but a fraction past the first rows is an error."""
    if pd.api.types.is_integer_dtype(series):
        return series.astype("Int64")
    fast = _whole_numbers_by_arrow(series)
    if fast is not None:
        return fast

    def whole(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):
            return int(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number, as the first rows are")
        return int(number)

    return pd.Series(pd.array([whole(v) for v in series], dtype="Int64"), index=series.index, name=series.name)


def _whole_numbers_by_arrow(series: pd.Series) -> pd.Series | None:
    """The common case of `_whole_numbers` in one vectorized pass: every filled cell is text of a
    whole number. None when some cell is not (the cell-by-cell path then decides)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(series, type=pa.string(), from_pandas=True)
        numbers = pc.cast(pc.utf8_trim_whitespace(text), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    return pd.Series(
        numbers.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
        index=series.index,
        name=series.name,
    )
