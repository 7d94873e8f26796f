"""Applying a fitted model to pool rows: class probabilities and features, chunk by chunk.

`Scorer` wraps the saved pipeline. For the common big-pool case, where every feature is numeric,
it skips the pipeline's per-column pandas work and computes the same features with a few
in-place numpy operations on one float matrix (the fitted imputer's statistics and indicator,
the fitted scaler's parameters), then calls the fitted estimator. The arithmetic is the one
scikit-learn does, in the same order, so the probabilities are the same numbers (tested). Any
other pipeline goes through scikit-learn unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rows import as_frame


class Scorer:
    """`predict_proba` and `transform` (the features) of a fitted activelearn pipeline, for rows
    given as an Arrow table or a pandas DataFrame."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.classes_ = pipeline.classes_
        self.numeric = NumericFeatures.of(pipeline)

    def transform(self, rows):
        if self.numeric is not None:
            return self.numeric.transform(rows)
        return self.pipeline.named_steps["features"].transform(as_frame(rows))

    def predict_proba(self, rows) -> np.ndarray:
        if self.numeric is not None:
            return self.pipeline.named_steps["model"].predict_proba(self.numeric.transform(rows))
        return self.pipeline.predict_proba(as_frame(rows))

    def predict(self, rows) -> np.ndarray:
        """The most probable class of each row."""
        return np.asarray(self.classes_)[self.predict_proba(rows).argmax(axis=1)]


class NumericFeatures:
    """The fitted numeric branch of the features (impute with indicator, then scale) as numpy."""

    def __init__(self, columns: list[str], imputer, scaler):
        self.columns = columns
        self.fill = imputer.statistics_.astype(float)
        indicator = getattr(imputer, "indicator_", None)
        self.indicated = None if indicator is None else np.asarray(indicator.features_)
        self.scaler = scaler

    @classmethod
    def of(cls, pipeline) -> NumericFeatures | None:
        """The fast path for `pipeline`, or None when its features are not numeric only."""
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        from .features import column_transformer

        columns = column_transformer(pipeline)
        if columns is None:
            return None
        parts = [(name, step, cols) for name, step, cols in columns.transformers_ if step != "drop"]
        if len(parts) != 1 or parts[0][0] != "numeric":
            return None
        _, branch, names = parts[0]
        steps = [step for _, step in branch.steps]
        if (
            len(steps) != 2
            or type(steps[0]) is not SimpleImputer
            or type(steps[1]) not in (StandardScaler, MinMaxScaler)
        ):
            return None
        imputer, scaler = steps
        if not (isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values)):
            return None
        return cls(list(names), imputer, scaler)

    def transform(self, rows) -> np.ndarray:
        """[imputed values, missing indicators], scaled: one matrix, filled in place."""
        width = len(self.columns)
        indicated = 0 if self.indicated is None else len(self.indicated)
        X = np.empty((len(rows), width + indicated))
        for j, name in enumerate(self.columns):
            X[:, j] = _floats(rows[name])
        values = X[:, :width]
        missing = np.isnan(values)
        if missing.any():
            at, cols = np.nonzero(missing)
            values[at, cols] = self.fill[cols]
        if indicated:
            X[:, width:] = missing[:, self.indicated]
        self._scale(X)
        return X

    def _scale(self, X: np.ndarray) -> None:
        from sklearn.preprocessing import StandardScaler

        s = self.scaler
        if isinstance(s, StandardScaler):
            if s.with_mean:
                X -= s.mean_
            if s.with_std:
                X /= s.scale_
            return
        X *= s.scale_  # MinMaxScaler
        X += s.min_
        if s.clip:
            np.clip(X, s.feature_range[0], s.feature_range[1], out=X)


def _floats(column) -> np.ndarray:
    """A column (Arrow or pandas) as float64 with NaN for missing, as the pipeline's coercion
    (`features.FrameCoercer`) makes it."""
    if not isinstance(column, pd.Series):  # Arrow
        import pyarrow as pa

        kind = column.type
        if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            return column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)  # big ints round, as in pandas
        column = column.to_pandas()
    if column.dtype.kind in "fiub":
        return column.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
