"""Column roles -> a scikit-learn ColumnTransformer that turns pool rows into model features."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from .errors import ConfigError

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

    def fit(self, X, y=None):
        first = next((v for v in _one_column(X) if v is not None and len(v)), None)
        if first is None:
            raise ConfigError("an embedding column has no vectors among the labeled rows")
        self.width_ = len(first)
        return self

    def transform(self, X):
        rows = []
        for value in _one_column(X):
            vector = np.zeros(self.width_) if value is None else np.asarray(value, dtype=float)
            if vector.shape != (self.width_,):
                raise ConfigError(f"an embedding has {vector.size} numbers where {self.width_} were expected")
            rows.append(vector)
        return np.vstack(rows) if rows else np.zeros((0, self.width_))


def _one_column(X):
    return X.iloc[:, 0] if isinstance(X, pd.DataFrame) else X


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


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
            ngram_range=(1, 2), sublinear_tf=True, max_features=2000 if dense else 200_000
        )
        parts.append((f"text:{name}", vectorizer, name))
    for name in (n for n, r in columns.items() if r == "embedding"):
        steps = [VectorStacker()] + ([MinMaxScaler(clip=True)] if scaling == "minmax" else [])
        parts.append((f"embedding:{name}", make_pipeline(*steps), [name]))
    if not parts:
        raise ConfigError(
            "no column is used as a feature: every column in [columns] is 'ignore'; "
            "give at least one a role in activelearn.toml"
        )
    transformer = ColumnTransformer(parts, sparse_threshold=0.0 if dense else 0.3)
    return Pipeline([("coerce", FrameCoercer(dict(columns))), ("columns", transformer)])


def check_columns(columns: dict[str, str], available: list[str], where: str) -> None:
    """Fail with the fix if the config uses a column the pool does not have."""
    import difflib

    for name, role in columns.items():
        if role != "ignore" and name not in available:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: [columns] {name!r} is not a column of the pool{hint}; "
                "fix or remove it in activelearn.toml"
            )
