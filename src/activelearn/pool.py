"""The pool (data/pool.parquet): its columns, rows by id, and the rows in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import StateError
from .rows import arrow_to_frame
from .tabular import parquet_parts

CHUNK_ROWS = 16_384  # rows per chunk when scoring, and per row group when init writes the pool.
# Reading and scoring cost memory in proportion to it: reading the 1M-row benchmark pool (21
# columns) costs ~35 MiB above the imports at 16,384 rows against ~68 MiB at 65,536, as fast.


def _dataset(path: Path):
    import pyarrow.dataset as ds

    if not path.exists():
        raise StateError(f"{path}: the pool is missing; the project is incomplete (re-run init)")
    try:
        return ds.dataset(path, format="parquet")
    except Exception as exc:  # pyarrow's errors for a damaged file vary
        raise _unreadable(path, exc) from None


def _parts(path: Path) -> list[Path]:
    if not path.exists():
        _dataset(path)  # raises the pool-is-missing error
    return parquet_parts(path)


def pool_rows(path: Path) -> int:
    """The number of rows, from the Parquet metadata alone."""
    import pyarrow.parquet as pq

    parts = _parts(path)
    try:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    except Exception as exc:  # pyarrow's errors for a damaged file vary
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> StateError:
    return StateError(f"{path}: the pool cannot be read ({exc}); restore it from a backup, or init the project again")


def check_pool(paths, state) -> None:
    """Refuse a pool that cannot be read, or whose rows are not those state.json counted when
    init wrote it (a replaced or truncated pool would give other rows the same positions)."""
    rows = pool_rows(paths.pool)
    if rows != state.pool_rows:
        raise StateError(
            f"{paths.pool}: has {rows} rows where state.json says {state.pool_rows}; restore the pool written by init"
        )


def pool_ids(path: Path, id_column: str) -> set[str]:
    """Every id in the pool: the id column only (O(id column), not O(pool))."""
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for part in _parts(path):
        try:
            column = pq.read_table(part, columns=[id_column]).column(0)
        except Exception as exc:  # pyarrow's errors for a damaged file vary
            raise _unreadable(path, exc) from None
        ids.update(column.to_pylist())
    return ids


def pool_schema(path: Path):
    """The pool's Arrow schema, from the Parquet metadata alone."""
    import pyarrow.parquet as pq

    parts = _parts(path)
    if not parts:
        raise StateError(f"{path}: the pool folder has no Parquet parts; the project is incomplete (re-run init)")
    try:
        return pq.read_schema(parts[0])
    except Exception as exc:  # pyarrow's errors for a damaged file vary
        raise _unreadable(path, exc) from None


def pool_columns(path: Path) -> list[str]:
    """The pool's column names, from the Parquet metadata alone."""
    return list(pool_schema(path).names)


def read_rows(path: Path, id_column: str, ids, columns: list[str]) -> pd.DataFrame:
    """The pool rows with the given ids, in the order of `ids`, with just `columns` (and the id).

    Row group by row group: the id column first, skipping groups whose min/max statistics rule
    out every wanted id, and the other columns only where a wanted id is; memory stays a group.
    """
    import bisect

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted_columns = list(dict.fromkeys([id_column, *columns]))
    ids = pd.Series(list(ids), dtype=object).astype(str)
    wanted = sorted(set(ids))
    lookup = pa.array(wanted, type=pa.string())
    found = []
    for part in _parts(path):
        reader = pq.ParquetFile(part)
        position = reader.schema_arrow.get_field_index(id_column)
        for group in range(reader.num_row_groups):
            stats = reader.metadata.row_group(group).column(position).statistics
            if stats is not None and stats.has_min_max:
                low = bisect.bisect_left(wanted, str(stats.min))
                if low == len(wanted) or wanted[low] > str(stats.max):
                    continue
            id_values = reader.read_row_group(group, columns=[id_column]).column(0)
            matches = pc.is_in(id_values, value_set=lookup)
            if pc.any(matches).as_py():
                table = reader.read_row_group(group, columns=wanted_columns)
                found.append(arrow_to_frame(table.filter(matches)))
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=wanted_columns)
    frame = frame.set_index(id_column, drop=False)
    missing = ids[~ids.isin(frame.index)]
    if len(missing):
        raise StateError(f"{path}: {len(missing)} labeled ids are not in the pool (e.g. {missing.iloc[0]!r})")
    return frame.loc[ids.tolist()].reset_index(drop=True)


def rows_at(path: Path, positions, columns: list[str]):
    """The rows at the given positions of the pool (0 = its first row) as one Arrow table, in
    position order; only the row groups holding them are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    positions = np.unique(np.asarray(positions, dtype=np.int64))
    columns = list(dict.fromkeys(columns))
    pieces, start = [], 0
    for part in _parts(path):
        reader = pq.ParquetFile(part)
        for group in range(reader.num_row_groups):
            size = reader.metadata.row_group(group).num_rows
            inside = positions[(positions >= start) & (positions < start + size)] - start
            if len(inside):
                pieces.append(reader.read_row_group(group, columns=columns).take(pa.array(inside)))
            start += size
    return pa.concat_tables(pieces) if pieces else None


def iter_chunks(path: Path, columns: list[str], chunk_rows: int = CHUNK_ROWS):
    """The pool's rows in order as Arrow tables of `chunk_rows` rows, reading only `columns`.

    One row group is read at a time (Arrow's batch readers keep more in memory than they hand
    out), and handed on in slices, so memory stays a row group and a few chunks, whatever the
    pool's size. A folder of parts is read part after part. The rows stay Arrow: scoring takes
    numbers straight from it, and only the few rows kept become Python objects.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _release_memory_promptly(pa)
    columns = list(dict.fromkeys(columns))
    for part in _parts(path):
        reader = pq.ParquetFile(part)
        for group in range(reader.num_row_groups):
            table = reader.read_row_group(group, columns=columns)
            for start, stop in slices(table.num_rows, chunk_rows):
                yield table.slice(start, stop - start)


def chunk_sizes(path: Path, chunk_rows: int = CHUNK_ROWS) -> list[int]:
    """The rows of each chunk `iter_chunks` hands out, from the Parquet metadata alone."""
    import pyarrow.parquet as pq

    sizes: list[int] = []
    for part in _parts(path):
        try:
            metadata = pq.ParquetFile(part).metadata
        except Exception as exc:  # pyarrow's errors for a damaged file vary
            raise _unreadable(path, exc) from None
        for group in range(metadata.num_row_groups):
            sizes.extend(stop - start for start, stop in slices(metadata.row_group(group).num_rows, chunk_rows))
    return sizes


def slices(rows: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of each run of at most `size` of `rows` rows, in order."""
    for start in range(0, rows, size):
        yield start, min(start + size, rows)


def _release_memory_promptly(pa) -> None:
    """Use jemalloc for Arrow when this build has it: it hands freed row groups back sooner than
    the default pool, which keeps a scan's peak memory near one row group (see benchmarks/scale)."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowException):
        pass
