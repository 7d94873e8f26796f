"""Dates and times in a column: which cells hold one, and their values, for the datetime role.

Cells are read with one strict pattern rather than a guessing parser, so that what counts as a
date is predictable and fast on big pools: a four-digit year with its month and day
(`2024-03-05`, `2024/03/05`, `05/03/2024`, `05.03.2024`, `5-3-2024`, `20240305`), optionally followed by a
time (`14:22`, `14:22:05.123`, `2:22 PM`) and a time zone (`Z`, `+01:00`). The time is taken as
written (wall-clock time): the hour of day that matters for behaviour is the local one. Typed
values (Parquet timestamps and dates) are read the same way, from their ISO text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import is_null

# RE2 (Arrow's regular expressions, vectorized) has no back-references: a separator may change
# within a date (2024-03/05), which no real column does.
_PATTERN = (
    r"^\s*(?:(?P<y1>\d{4})[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y2>\d{4})"
    r"|(?P<y3>\d{4})(?P<m3>\d{2})(?P<d3>\d{2}))"
    r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<p>[AaPp][Mm])?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?\s*$"
)


def day_first(values: pd.Series) -> bool:
    """Whether dates written as 05/03/2024 put the day first: the order under which more of
    them are real dates; the day first when both are (no day above 12 among them)."""
    parts = _parts(values)
    if parts is None or np.isnan(parts["a"]).all():
        return True
    return int(_assemble(parts, True).notna().sum()) >= int(_assemble(parts, False).notna().sum())


def parse_datetimes(values, dayfirst: bool = True) -> pd.Series:
    """The values as datetime64 (NaT where a cell is missing or not a date), wall-clock time."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        return series.astype("datetime64[ns]").reset_index(drop=True)
    parts = _parts(series)
    if parts is None:
        return pd.Series(pd.NaT, index=range(len(series)), dtype="datetime64[ns]")
    return _assemble(parts, dayfirst)


def date_share(values: pd.Series) -> float:
    """The share of the (non-missing) values that are dates."""
    if len(values) == 0:
        return 0.0
    return float(parse_datetimes(values, day_first(values)).notna().mean())


def _parts(values: pd.Series) -> dict[str, np.ndarray] | None:
    """Each group of the pattern as floats (NaN where absent), the meridiem as 0 (none), 1 (am), 2 (pm)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # typed values (dates, timestamps) among strings
        text = pa.array([None if is_null(v) else str(v) for v in values], type=pa.string())
    if isinstance(text, pa.ChunkedArray):  # an Arrow-backed pandas column
        text = text.combine_chunks()
    if len(text) == 0:
        return None
    found = pc.extract_regex(text, _PATTERN)
    parts = {}
    for name in ("y1", "m1", "d1", "a", "b", "y2", "y3", "m3", "d3", "H", "M", "S"):
        field = found.field(name)
        parts[name] = pc.cast(pc.if_else(pc.equal(field, ""), None, field), pa.float64()).to_numpy(zero_copy_only=False)
    fraction = found.field("f")
    fraction = pc.utf8_slice_codeunits(pc.utf8_rpad(pc.if_else(pc.equal(fraction, ""), "0", fraction), 9, "0"), 0, 9)
    parts["f"] = pc.cast(fraction, pa.float64()).to_numpy(zero_copy_only=False)
    meridiem = pc.utf8_lower(found.field("p"))
    parts["p"] = pc.if_else(pc.equal(meridiem, "am"), 1, pc.if_else(pc.equal(meridiem, "pm"), 2, 0)).to_numpy(
        zero_copy_only=False
    )
    return parts


def _assemble(parts: dict[str, np.ndarray], dayfirst: bool) -> pd.Series:
    ymd, compact = ~np.isnan(parts["y1"]), ~np.isnan(parts["y3"])
    day_, month_ = (parts["a"], parts["b"]) if dayfirst else (parts["b"], parts["a"])
    year = np.where(ymd, parts["y1"], np.where(compact, parts["y3"], parts["y2"]))
    month = np.where(ymd, parts["m1"], np.where(compact, parts["m3"], month_))
    day = np.where(ymd, parts["d1"], np.where(compact, parts["d3"], day_))
    hour, minute, second = (np.nan_to_num(parts[k]) for k in ("H", "M", "S"))
    meridiem = np.nan_to_num(parts["p"]).astype(int)
    twelve = meridiem > 0
    valid = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    valid &= (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1678) & (year <= 2261)  # datetime64[ns]'s range
    valid &= np.where(twelve, (hour >= 1) & (hour <= 12), hour <= 23) & (minute <= 59) & (second <= 59)
    hour = np.where(twelve, hour % 12 + 12 * (meridiem == 2), hour)
    year, month, day = (np.where(valid, v, 1).astype(np.int64) for v in (year, month, day))
    months = (year - 1970) * 12 + (month - 1)
    starts = months.astype("datetime64[M]")
    valid &= day <= ((starts + 1).astype("datetime64[D]") - starts.astype("datetime64[D]")).astype(np.int64)
    stamps = (
        starts.astype("datetime64[ns]")
        + ((day - 1) * 86_400 + hour.astype(np.int64) * 3600 + minute.astype(np.int64) * 60 + second.astype(np.int64))
        * np.timedelta64(1_000_000_000, "ns")
        + np.nan_to_num(parts["f"]).astype(np.int64) * np.timedelta64(1, "ns")
    )
    stamps[~valid] = np.datetime64("NaT")
    return pd.Series(stamps)
