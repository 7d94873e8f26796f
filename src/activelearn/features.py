"""Column roles -> a scikit-learn ColumnTransformer that turns pool rows into model features."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from .cells import is_null
from .config import columns_with_role, embeds
from .errors import ConfigError, NotEnoughLabelsError
from .roles import MAX_UNREADABLE_SHARE

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
                out[name] = col.map(lambda v: MISSING_CATEGORY if is_null(v) else str(v)).astype(object)
            elif role == "text":
                out[name] = col.map(lambda v: "" if is_null(v) else str(v)).astype(object)
            else:  # embedding and datetime: their own transformers read the cells
                out[name] = col
        return pd.DataFrame(out, index=X.index)


class VectorStacker(TransformerMixin, BaseEstimator):
    """A column of equal-length number lists -> a dense matrix; a missing vector becomes zeros."""

    def __init__(self, column: str = ""):
        self.column = column

    def fit(self, X, y=None):
        first = next((v for v in _one_column(X) if not is_null(v)), None)
        if first is None:
            raise ConfigError(
                f"[columns] {self.column!r} is 'embedding' but has no vectors in the rows it is fitted on"
            )
        self.width_ = len(self._vector(first))
        return self

    def transform(self, X):
        rows = []
        for value in _one_column(X):
            vector = np.zeros(self.width_) if is_null(value) else self._vector(value)
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


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """A column of dates and times -> numbers a model can use: the year, the month, weekday and
    time of day as points on a circle (sin, cos: December is next to January, 23:00 to 00:00),
    the day of the month, a weekend flag, and a missing-value indicator.

    `fit` decides the parts (only those that vary in the rows it sees: the time of day only when
    the times do) and, unless `day_first` says, how 05/03/2024 reads; a missing or unreadable cell gets the fitted median
    (0 for the circle parts, its centre), and the indicator when cells were missing at fit.
    """

    def __init__(self, column: str = "", day_first: bool | None = None):
        self.column = column
        self.day_first = day_first  # how 05/03/2024 reads; None: decided by fit from its rows

    def fit(self, X, y=None):
        from .datetimes import day_first, parse_datetimes

        values = _one_column(X)
        self.day_first_ = day_first(values) if self.day_first is None else self.day_first
        stamps = parse_datetimes(values, self.day_first_)
        if stamps.notna().sum() == 0:
            raise ConfigError(
                f"[columns] {self.column!r} is 'datetime' but has no dates in the {len(stamps)} rows it is fitted on; "
                "give it another role in activelearn.toml"
            )
        present = stamps.dropna()
        varies = {
            "year": present.dt.year.nunique() > 1,
            "month": present.dt.month.nunique() > 1,
            "day": present.dt.day.nunique() > 1,
            "weekday": present.dt.day_of_week.nunique() > 1,
            "hour": _time_of_day(present).nunique() > 1,
        }
        parts = [p for name in ("year", "month", "day", "weekday", "hour") if varies[name] for p in _PARTS[name]]
        self.parts_ = parts or ["year"]  # a constant part rather than none: every branch has a column
        if stamps.isna().any():
            self.parts_.append("missing")
        table = self._table(present)
        self.fill_ = np.array(
            [0.0 if p.endswith(("_sin", "_cos")) else float(np.median(table[p])) for p in self.parts_]
        )
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        from .datetimes import parse_datetimes

        stamps = parse_datetimes(_one_column(X), self.day_first_)
        table = self._table(stamps)
        out = np.column_stack([table[p] for p in self.parts_]) if len(stamps) else np.zeros((0, len(self.parts_)))
        missing = np.isnan(out)
        out[missing] = np.broadcast_to(self.fill_, out.shape)[missing]
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        name = self.column or (str(input_features[0]) if input_features is not None else "datetime")
        return np.asarray([f"{name}_{p}" for p in self.parts_], dtype=object)

    def _table(self, stamps: pd.Series) -> dict[str, np.ndarray]:
        """Every part of each stamp (NaN where the stamp is missing)."""
        turn = 2 * np.pi
        month = (stamps.dt.month.to_numpy(dtype=float) - 1) / 12
        weekday = stamps.dt.day_of_week.to_numpy(dtype=float)
        hour = _time_of_day(stamps).to_numpy(dtype=float) / 24
        return {
            "year": stamps.dt.year.to_numpy(dtype=float),
            "month_sin": np.sin(turn * month),
            "month_cos": np.cos(turn * month),
            "day": stamps.dt.day.to_numpy(dtype=float),
            "weekday_sin": np.sin(turn * weekday / 7),
            "weekday_cos": np.cos(turn * weekday / 7),
            "weekend": np.where(np.isnan(weekday), np.nan, (weekday >= 5).astype(float)),
            "hour_sin": np.sin(turn * hour),
            "hour_cos": np.cos(turn * hour),
            "missing": stamps.isna().to_numpy(dtype=float),
        }


_PARTS = {
    "year": ["year"],
    "month": ["month_sin", "month_cos"],
    "day": ["day"],
    "weekday": ["weekday_sin", "weekday_cos", "weekend"],
    "hour": ["hour_sin", "hour_cos"],
}


def _time_of_day(stamps: pd.Series) -> pd.Series:
    """Hours since midnight, with minutes and seconds as fractions."""
    return stamps.dt.hour + stamps.dt.minute / 60 + stamps.dt.second / 3600


def _one_column(X):
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, 0]
    return X[:, 0] if isinstance(X, np.ndarray) and X.ndim == 2 else X


class TextVectorizer(TfidfVectorizer):
    """scikit-learn's TfidfVectorizer whose saved state holds the vocabulary as arrays.

    skops writes a dict node by node, so a fitted `vocabulary_` of 50,000 terms takes seconds to
    save and to load; as arrays it is three .npy files. The features are the same: only the state
    changes, and `__setstate__` rebuilds `vocabulary_`.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # outside sklearn's modules that is self.__dict__ itself
        state.pop("stop_words_", None)  # older scikit-learn's pruned terms, kept only for introspection
        vocabulary = state.pop("vocabulary_", None)
        if vocabulary is not None:
            terms = list(vocabulary)
            # UTF-8 bytes of all terms joined, and where each term ends in characters: no
            # separator to escape, and no fixed-width padding
            state["vocabulary_text_"] = np.frombuffer("".join(terms).encode("utf-8", "surrogatepass"), dtype=np.uint8)
            state["vocabulary_ends_"] = np.cumsum([len(t) for t in terms], dtype=np.int64)
            state["vocabulary_indices_"] = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "vocabulary_text_" in state:
            text = np.asarray(state.pop("vocabulary_text_"), dtype=np.uint8).tobytes().decode("utf-8", "surrogatepass")
            ends = state.pop("vocabulary_ends_").tolist()
            starts = [0, *ends[:-1]]
            terms = [text[start:end] for start, end in zip(starts, ends, strict=True)]
            state["vocabulary_"] = dict(zip(terms, state.pop("vocabulary_indices_").tolist(), strict=True))
        super().__setstate__(state)


@contextlib.contextmanager
def explained_fit_errors(columns: dict[str, str], rows: int, *, pool: bool = False):
    """Turn scikit-learn's fitting errors that bad data causes into messages that say the fix
    (`pool`: the features are fitted on pool rows, not on labeled ones)."""
    try:
        yield
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        names = ", ".join(map(repr, columns_with_role(columns, "text")))
        if pool:
            raise ConfigError(
                f"the text column {names} has no words in the {rows} pool rows the features are fitted on; "
                'set its role to "ignore" in activelearn.toml'
            ) from None
        raise NotEnoughLabelsError(
            f"the text column {names} has no words in the {rows} rows the model is fitted on; "
            'label rows that have text there, or set its role to "ignore" in activelearn.toml'
        ) from None


def build_features(
    columns: dict[str, str],
    *,
    dense: bool = False,
    scaling: str = "standard",
    month_first: Collection[str] | None = None,
    text: str = "tfidf",
) -> Pipeline:
    """The feature pipeline for the used columns.

    numeric -> median impute (+ missing indicator) + scale; categorical -> one-hot that ignores
    unseen values; text -> TF-IDF of word uni- and bigrams with sublinear tf; datetime -> its
    parts (`DatetimeFeatures`) + scale; embedding -> dense.
    `dense` caps the text vocabulary so a model that needs a dense matrix can take it.
    `month_first` names the datetime columns whose dates put the month first, as init read them
    (None: each column's order is decided from the rows it is fitted on).
    `text` ("tfidf", "embedding" or "both": config.TEXT_REPRESENTATIONS) is how a text column
    becomes features: TF-IDF, its sentence vector (`embeddings.TextEmbedder`), or both side by side.
    """
    scaler = (lambda: MinMaxScaler(clip=True)) if scaling == "minmax" else StandardScaler
    # (name, transformer, columns): one column name where the transformer takes a 1-D column (TF-IDF)
    parts: list[tuple[str, Any, str | list[str]]] = []
    numeric = columns_with_role(columns, "numeric")
    categorical = columns_with_role(columns, "categorical")
    if numeric:
        imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        parts.append(("numeric", make_pipeline(imputer, scaler()), numeric))
    if categorical:
        parts.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    texts = columns_with_role(columns, "text")
    for name in texts if text != "embedding" else []:
        vectorizer = TextVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",  # one-letter words count too
            max_features=2000 if dense else 200_000,
        )
        parts.append((f"text:{name}", vectorizer, name))
    if embeds(text):
        from .embeddings import TextEmbedder

        for name in texts:
            steps = [TextEmbedder(name)] + ([MinMaxScaler(clip=True)] if scaling == "minmax" else [])
            parts.append((f"text-embedding:{name}", make_pipeline(*steps), [name]))
    for name in columns_with_role(columns, "datetime"):
        day_first = None if month_first is None else name not in month_first
        parts.append((f"datetime:{name}", make_pipeline(DatetimeFeatures(name, day_first), scaler()), [name]))
    for name in columns_with_role(columns, "embedding"):
        steps = [VectorStacker(name)] + ([MinMaxScaler(clip=True)] if scaling == "minmax" else [])
        parts.append((f"embedding:{name}", make_pipeline(*steps), [name]))
    if not parts:
        raise ConfigError(
            "no column is used as a feature: every column in [columns] is 'ignore'; "
            "give at least one a role in activelearn.toml"
        )
    transformer = ColumnTransformer(parts, sparse_threshold=0.0 if dense else 0.3)
    return Pipeline([("coerce", FrameCoercer(dict(columns))), ("columns", transformer)])


def column_transformer(pipeline) -> ColumnTransformer | None:
    """The ColumnTransformer of a model pipeline's features (the "columns" step of
    `build_features`), fitted with the model or on the pool (pool_features.FrozenFeatures alike);
    None for a pipeline of another shape."""
    try:
        return pipeline.named_steps["features"].named_steps["columns"]
    except (AttributeError, KeyError):
        return None


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

    hand_set = [
        n
        for n, r in columns.items()
        if r == "numeric" and n in schema.names and pa.types.is_string(schema.field(n).type)
    ]
    for name in hand_set:
        filled, bad, example = _non_numbers(pool, id_column, name)
        if not bad:
            continue
        assert example is not None  # kept with the first cell that is no number
        row, value = example
        if bad > MAX_UNREADABLE_SHARE * filled:
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
