"""The scorer's numpy fast path gives the pipeline's own numbers, from Arrow or pandas rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from activelearn.models import fit_model
from activelearn.pool_features import fit_features
from activelearn.scoring import Scorer

from ..conftest import SAMPLE

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins():
    frame = pd.read_csv(SAMPLE / "penguins_labeled.csv")
    return frame, frame["species"].astype(str).to_numpy()


@pytest.mark.parametrize("fit_on", ["labels", "pool"])
@pytest.mark.parametrize("model", ["logistic", "naive-bayes", "random-forest", "gradient-boosting", "linear-svm"])
def test_the_numeric_fast_path_gives_the_pipelines_probabilities(penguins, model, fit_on):
    frame, labels = penguins
    columns = dict.fromkeys(NUMERIC, "numeric")
    # with fit_on = "pool" the features are fitted on every row (pool_features), the model on half
    features = fit_features(frame, columns, model) if fit_on == "pool" else None
    # fit on rows with missing values, so that the imputer has statistics and indicators to use
    fitted = fit_model(
        model, columns, 0, frame.iloc[::2], labels[::2], cross_validate=False, features=features
    ).pipeline
    scorer = Scorer(fitted)
    assert scorer.numeric is not None, "a numeric-only model takes the fast path"
    rows = frame.iloc[1::2].reset_index(drop=True)
    rows.loc[[0, 5], "bill_depth_mm"] = np.nan  # missing in a column that had none in training
    expected = fitted.predict_proba(rows)
    assert np.array_equal(scorer.predict_proba(rows), expected)
    assert np.array_equal(scorer.predict_proba(pa.Table.from_pandas(rows, preserve_index=False)), expected)
    assert np.array_equal(scorer.transform(rows), fitted.named_steps["features"].transform(rows))


def test_numbers_stored_as_text_are_coerced_as_the_pipeline_does(penguins):
    frame, labels = penguins
    columns = dict.fromkeys(NUMERIC, "numeric")
    fitted = fit_model("logistic", columns, 0, frame, labels, cross_validate=False).pipeline
    rows = frame.head(20).copy()
    rows["body_mass_g"] = rows["body_mass_g"].map(lambda v: "n/a" if pd.isna(v) else str(v)).astype(object)
    rows.loc[3, "body_mass_g"] = "heavy"
    expected = fitted.predict_proba(rows)
    assert np.array_equal(Scorer(fitted).predict_proba(rows), expected)
    assert np.array_equal(Scorer(fitted).predict_proba(pa.Table.from_pandas(rows, preserve_index=False)), expected)


def test_other_features_go_through_the_pipeline(penguins):
    frame, labels = penguins
    columns = {**dict.fromkeys(NUMERIC, "numeric"), "island": "categorical"}
    fitted = fit_model("logistic", columns, 0, frame, labels, cross_validate=False).pipeline
    scorer = Scorer(fitted)
    assert scorer.numeric is None
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert np.array_equal(scorer.predict_proba(table), fitted.predict_proba(frame))
