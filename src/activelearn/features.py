"""Column roles -> a scikit-learn ColumnTransformer that turns pool rows into model features."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from .errors import ConfigError, NotEnoughLabelsError

MISSING_CATEGORY = "(missing)"


class FrameCoercer(TransformerMixin, BaseEstimator):
    """Cast each used column to what its role's transformer expects, so a saved model takes raw
    pool rows: numbers as float, categories and text as str, embeddings as float lists."""

    def __init__(self, columns: dict[str, str]):
        self.columns = columns

    def fit(self, X, y=None):
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for name, role in self.columns.items():
            if role == "ignore":
                continue
            col = X[name]
            if role == "numeric":
                out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
            elif role == "categorical":
                out[name] = col.map(lambda v: MISSING_CATEGORY if _is_missing(v) else str(v)).astype(object)
            elif role == "text":
                out[name] = col.map(lambda v: "" if _is_missing(v) else str(v)).astype(object)
            else:  # embedding
                out[name] = col
        return pd.DataFrame(out, index=X.index)


class VectorStacker(TransformerMixin, BaseEstimator):
    """A column of equal-length number lists -> a dense matrix; a missing vector becomes zeros."""

    def __init__(self, column: str = ""):
        self.column = column

    def fit(self, X, y=None):
        first = next((v for v in _one_column(X) if not _is_missing(v)), None)
        if first is None:
            raise ConfigError(f"[columns] {self.column!r} is 'embedding' but has no vectors in the rows it is fitted on")
        self.width_ = len(self._vector(first))
        return self

    def transform(self, X):
        rows = []
        for value in _one_column(X):
            vector = np.zeros(self.width_) if _is_missing(value) else self._vector(value)
            if vector.shape != (self.width_,):
                raise ConfigError(
                    f"[columns] {self.column!r}: a vector has {vector.size} numbers where {self.width_} were expected"
                )
            rows.append(vector)
        return np.vstack(rows) if rows else np.zeros((0, self.width_))

    def _vector(self, value) -> np.ndarray:
        if not isinstance(value, (list, tuple, np.ndarray)):
            shown = value.item() if isinstance(value, np.generic) else value  # 2007, not np.int64(2007)
            raise ConfigError(
                f"[columns] {self.column!r} is 'embedding' but holds {shown!r}, not a list of numbers; "
                "give it another role in activelearn.toml"
            )
        return np.asarray(value, dtype=float)


def _one_column(X):
    return X.iloc[:, 0] if isinstance(X, pd.DataFrame) else X


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, (list, tuple, np.ndarray)) and bool(pd.isna(value)))


@contextlib.contextmanager
def explained_fit_errors(columns: dict[str, str], rows: int):
    """Turn scikit-learn's fitting errors that bad data causes into messages that say the fix."""
    try:
        yield
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        names = ", ".join(repr(n) for n, r in columns.items() if r == "text")
        raise NotEnoughLabelsError(
            f"the text column {names} has no words in the {rows} rows the model is fitted on; "
            'label rows that have text there, or set its role to "ignore" in activelearn.toml'
        ) from None


def build_features(
    columns: dict[str, str], *, dense: bool = False, scaling: str = "standard"
) -> Pipeline:
    """The feature pipeline for the used columns.

    numeric -> median impute (+ missing indicator) + scale; categorical -> one-hot that ignores
    unseen values; text -> TF-IDF of word uni- and bigrams with sublinear tf; embedding -> dense.
    `dense` caps the text vocabulary so a model that needs a dense matrix can take it.
    """
    scaler = (lambda: MinMaxScaler(clip=True)) if scaling == "minmax" else StandardScaler
    parts = []
    numeric = [n for n, r in columns.items() if r == "numeric"]
    categorical = [n for n, r in columns.items() if r == "categorical"]
    if numeric:
        imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        parts.append(("numeric", make_pipeline(imputer, scaler()), numeric))
    if categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    for name in (n for n, r in columns.items() if r == "text"):
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",  # one-letter words count too
            max_features=2000 if dense else 200_000,
        )
        parts.append((f"text:{name}", vectorizer, name))
    for name in (n for n, r in columns.items() if r == "embedding"):
        steps = [VectorStacker(name)] + ([MinMaxScaler(clip=True)] if scaling == "minmax" else [])
        parts.append((f"embedding:{name}", make_pipeline(*steps), [name]))
    if not parts:
        raise ConfigError(
            "no column is used as a feature: every column in [columns] is 'ignore'; "
            "give at least one a role in activelearn.toml"
        )
    transformer = ColumnTransformer(parts, sparse_threshold=0.0 if dense else 0.3)
    return Pipeline([("coerce", FrameCoercer(dict(columns))), ("columns", transformer)])


def check_columns(columns: dict[str, str], available: list[str], where: str, id_column: str | None = None) -> None:
    """Fail with the fix if the config uses a column the pool does not have."""
    from .messages import did_you_mean

    if id_column is not None and id_column not in available:
        raise ConfigError(
            f"{where}: [data] id_column {id_column!r} is not a column of the pool{did_you_mean(id_column, available)}; "
            "it must name the id column init wrote"
        )
    for name, role in columns.items():
        if role != "ignore" and name not in available:
            raise ConfigError(
                f"{where}: [columns] {name!r} is not a column of the pool{did_you_mean(name, available)}; "
                "fix or remove it in activelearn.toml"
            )


# A column set to numeric by hand whose filled cells are more than this share text is an error
# (the model would see only missing values); fewer, such as a typo or two, are a warning.
MAX_NON_NUMBER_SHARE = 0.5


def pool_column_warnings(columns: dict[str, str], pool: Path, id_column: str, where: str) -> list[str]:
    """Warnings about how activelearn.toml uses the pool's columns, after check_columns: a pool
    column with no role, and a few non-numbers in a text column set to numeric by hand.
    Raises ConfigError when such a column holds mostly text."""
    from .pool import pool_schema

    schema = pool_schema(pool)
    warnings = [
        f"column {name!r} of the pool has no role in activelearn.toml [columns]; "
        f'add `{name} = "ignore"` to leave it out on purpose'
        for name in schema.names
        if name != id_column and name not in columns
    ]
    import pyarrow as pa

    hand_set = [n for n, r in columns.items() if r == "numeric" and n in schema.names
                and pa.types.is_string(schema.field(n).type)]
    for name in hand_set:
        filled, bad, example = _non_numbers(pool, id_column, name)
        if not bad:
            continue
        row, value = example
        if bad > MAX_NON_NUMBER_SHARE * filled:
            raise ConfigError(
                f"{where}: column {name!r} is numeric but row {row} holds {value!r} ({bad} of {filled} cells are not "
                "numbers); make it text or categorical"
            )
        warnings.append(
            f"{where}: column {name!r} is numeric but {bad} of {filled} cells are not numbers "
            f"(row {row} holds {value!r}); they count as missing values"
        )
    return warnings


def _non_numbers(pool: Path, id_column: str, name: str) -> tuple[int, int, tuple | None]:
    """(filled cells, cells that are not numbers, (id, value) of the first) of a text column."""
    from .pool import iter_chunks
    from .roles import missing_mask

    filled = bad = 0
    example = None
    for chunk in iter_chunks(pool, [id_column, name]):
        values = chunk.column(name).to_pandas()
        present = ~missing_mask(values)
        unparsed = present & pd.to_numeric(values.where(present), errors="coerce").isna()
        filled, bad = filled + int(present.sum()), bad + int(unparsed.sum())
        if example is None and unparsed.any():
            at = int(np.flatnonzero(unparsed.to_numpy())[0])
            example = (chunk.column(id_column)[at].as_py(), values.iloc[at])
    return filled, bad, example
