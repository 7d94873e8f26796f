"""Model files: skops archives holding only the types activelearn's presets and transformers save."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io

from activelearn.errors import ModelFileError
from activelearn.model_files import TRUSTED_TYPES, load_model, model_bytes, model_path, save_model
from activelearn.models import PRESETS, build_pipeline
from activelearn.pool_features import fit_features

ROLES = {"n": "numeric", "c": "categorical", "t": "text", "d": "datetime", "e": "embedding"}


def _rows(count: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        {
            "n": rng.normal(size=count),
            "c": rng.choice(["a", "b", None], count),
            "t": rng.choice(["a good film", "bad", "so so"], count),
            "d": pd.date_range("2024-01-01", periods=count, freq="29h").astype(str),
            "e": [list(rng.normal(size=3)) for _ in range(count)],
        }
    )
    return rows, np.array(["x", "y", "z"] * (count // 3))


def test_trusted_types_are_exactly_what_every_preset_saves_on_every_role():
    rows, labels = _rows()
    needed = set()
    for name in PRESETS:
        settings = (
            (None, "none", "tfidf"),
            (["d"], "none", "tfidf"),
            (None, "balanced", "tfidf"),
            (None, "none", "embedding"),
            (None, "none", "both"),
        )
        for month_first, class_weight, text in settings:
            pipeline = build_pipeline(
                name,
                ROLES,
                0,
                labels,
                month_first=month_first,
                class_weight=class_weight,
                text=text,
            ).fit(rows, labels)
            needed |= set(skops.io.get_untrusted_types(data=model_bytes(pipeline, {"columns": ROLES})))
        # [features] fit_on = "pool": the features fitted on pool rows, frozen, in the model
        for text in ("tfidf", "embedding"):
            features = fit_features(rows, ROLES, name, text=text)
            pipeline = build_pipeline(name, ROLES, 0, labels, features=features).fit(rows, labels)
            needed |= set(skops.io.get_untrusted_types(data=model_bytes(pipeline, {"columns": ROLES})))
    assert needed == set(TRUSTED_TYPES)


@pytest.mark.parametrize(
    ("class_weight", "text"),
    [("none", "tfidf"), ("balanced", "tfidf"), ("none", "embedding"), ("none", "both")],
)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_a_saved_model_loads_and_predicts_the_same(tmp_path, name, class_weight, text):
    rows, labels = _rows()
    pipeline = build_pipeline(name, ROLES, 0, labels, class_weight=class_weight, text=text).fit(rows, labels)
    digest = save_model(tmp_path / "m.skops", pipeline, {"columns": ROLES, "cv": {"a": 0.5, "b": None}})
    loaded, metadata = load_model(tmp_path / "m.skops", digest)
    assert metadata == {"columns": ROLES, "cv": {"a": 0.5, "b": None}}
    np.testing.assert_array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))


def test_model_paths_stay_in_models(tmp_path):
    (tmp_path / "models").mkdir()
    assert model_path(tmp_path, "models/model-0001.skops") == tmp_path / "models" / "model-0001.skops"
    for recorded in (
        "/etc/passwd",
        "models/../state.json",
        "../x.skops",
        "models",
        "models/\0x",
        7,
    ):
        with pytest.raises(ModelFileError) as refused:
            model_path(tmp_path, recorded, "model 3")
        assert refused.value.reason == f"model 3 is recorded at {recorded!r}, outside models/; it is not loaded"


def _text_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [
                "a good film",
                "bad, bad acting",
                "so so",
                "héllo wörld 日本 😀 film",
                "",
                None,
                "x y z",
            ]
            * 3
        }
    )


def _vectorizer(pipeline):
    return pipeline.named_steps["features"].named_steps["columns"].named_transformers_["text:t"]


def test_a_text_vocabulary_is_saved_as_arrays_and_loads_to_the_same_features(tmp_path):
    from activelearn.features import TextVectorizer

    rows = _text_rows()
    labels = np.array(["x", "y", "z"] * 7)
    pipeline = build_pipeline("logistic", {"t": "text"}, 0, labels).fit(rows, labels)
    vocabulary = dict(_vectorizer(pipeline).vocabulary_)
    digest = save_model(tmp_path / "m.skops", pipeline, {"columns": {"t": "text"}})
    loaded, _ = load_model(tmp_path / "m.skops", digest)
    assert type(_vectorizer(loaded)) is TextVectorizer
    assert _vectorizer(loaded).vocabulary_ == vocabulary == _vectorizer(pipeline).vocabulary_  # saving changes nothing
    before, after = (
        pipeline.named_steps["features"].transform(rows),
        loaded.named_steps["features"].transform(rows),
    )
    assert (before != after).nnz == 0
    np.testing.assert_array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))
    state = _vectorizer(pipeline).__getstate__()
    assert "vocabulary_" not in state and state["vocabulary_text_"].dtype == np.uint8
    assert "vocabulary_" in _vectorizer(pipeline).__dict__


def test_a_model_file_with_scikit_learns_own_vectorizer_still_loads(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer

    rows = _text_rows()
    labels = np.array(["x", "y", "z"] * 7)
    pipeline = build_pipeline("logistic", {"t": "text"}, 0, labels).fit(rows, labels)
    _vectorizer(pipeline).__class__ = TfidfVectorizer  # what activelearn saved before TextVectorizer
    digest = save_model(tmp_path / "m.skops", pipeline, {"columns": {"t": "text"}})
    loaded, _ = load_model(tmp_path / "m.skops", digest)
    assert type(_vectorizer(loaded)) is TfidfVectorizer
    np.testing.assert_array_equal(loaded.predict_proba(rows), pipeline.predict_proba(rows))
