"""The pool (data/pool.parquet): its columns, rows by id, and the rows in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .errors import StateError

CHUNK_ROWS = 65_536


def _dataset(path: Path):
    import pyarrow.dataset as ds

    if not path.exists():
        raise StateError(f"{path}: the pool is missing; the project is incomplete (re-run init)")
    try:
        return ds.dataset(path, format="parquet")
    except Exception as exc:  # pyarrow's errors for a damaged file vary
        raise StateError(f"{path}: the pool cannot be read ({exc})") from None


def pool_columns(path: Path) -> list[str]:
    """The pool's column names, from the Parquet metadata alone."""
    return list(_dataset(path).schema.names)


def read_rows(path: Path, id_column: str, ids, columns: list[str]) -> pd.DataFrame:
    """The pool rows with the given ids, in the order of `ids`, with just `columns` (and the id)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = list(dict.fromkeys([id_column, *columns]))
    ids = pd.Series(list(ids), dtype=object).astype(str)
    table = _dataset(path).to_table(
        columns=wanted, filter=pc.field(id_column).isin(pa.array(ids.tolist(), type=pa.string()))
    )
    frame = table.to_pandas().set_index(id_column, drop=False)
    missing = ids[~ids.isin(frame.index)]
    if len(missing):
        raise StateError(f"{path}: {len(missing)} labeled ids are not in the pool (e.g. {missing.iloc[0]!r})")
    return frame.loc[ids.tolist()].reset_index(drop=True)


def iter_chunks(path: Path, columns: list[str], chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The pool's rows in order, `chunk_rows` at a time, reading only `columns`."""
    for batch in _dataset(path).to_batches(columns=list(dict.fromkeys(columns)), batch_size=chunk_rows):
        if batch.num_rows:
            yield batch.to_pandas()
