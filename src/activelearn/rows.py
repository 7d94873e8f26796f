"""Rows as either an Arrow table or a pandas DataFrame (the pool's chunks are Arrow, simulate's and
a model's rows pandas): converting, taking, joining and filtering them by id in their own kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_to_frame(table) -> pd.DataFrame:
    """An Arrow table as pandas, integer columns as nullable Int64: plain to_pandas makes an
    integer column with a null float64, which rounds an 18-digit id."""
    import pyarrow as pa

    def integers(kind):
        return pd.Int64Dtype() if pa.types.is_integer(kind) and kind != pa.uint64() else None

    return table.to_pandas(types_mapper=integers)


def as_frame(rows) -> pd.DataFrame:
    """Rows as a pandas DataFrame, whether they are an Arrow table or already a DataFrame."""
    return rows if isinstance(rows, pd.DataFrame) else arrow_to_frame(rows)


def column_values(rows, name: str) -> np.ndarray:
    """One column of rows (Arrow or pandas) as a numpy array."""
    column = rows[name]
    return column.to_numpy() if isinstance(rows, pd.DataFrame) else column.to_numpy(zero_copy_only=False)


def take_rows(rows, positions: np.ndarray):
    """The rows at `positions`, in that order, in the rows' own kind (Arrow or pandas)."""
    if isinstance(rows, pd.DataFrame):
        return rows.iloc[positions].reset_index(drop=True)
    return rows.take(positions)


def concat_rows(first, second):
    """first's rows then second's (both Arrow or both pandas)."""
    if isinstance(first, pd.DataFrame):
        return pd.concat([first, second], ignore_index=True)
    import pyarrow as pa

    return pa.concat_tables([first, second])


def without_ids(table: pa.Table, id_column: str, ids) -> pa.Table:
    """The Arrow table's rows whose id is not in `ids` (the table itself when none is)."""
    if ids is None or len(ids) == 0:
        return table
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(id_column)
    value_set = ids if isinstance(ids, pa.Array) else id_array(ids)
    taken = pc.is_in(column, value_set=value_set.cast(column.type))
    if not pc.any(taken).as_py():
        return table
    return table.filter(pc.invert(taken))


def id_array(ids):
    """Ids as an Arrow string array, to test many chunks against without converting them again."""
    import pyarrow as pa

    return pa.array(sorted(str(i) for i in ids), type=pa.string())
