"""versions.py: the training key, whether a model is stale and how that is said, and why a new
version is trained."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from activelearn.config import Config
from activelearn.labels import LabelLog
from activelearn.state import ModelRecord
from activelearn.versions import (
    LatestModel,
    TrainingSet,
    change_reason,
    labels_digest,
    latest_model,
    needs_new_model,
    training_key,
    what_changed,
)

from .test_label_log import _log

CONFIG = Config(id_column="id", label_column="y", classes=("cat", "dog"), columns={"x": "numeric"})
LOG = LabelLog.of(
    _log(
        ("r1", "cat", "ann", "import-0001"),
        ("r2", "dog", "ann", "import-0001"),
        ("r3", "-", "ann", "import-0001"),
        ("r4", "cat", "ann", "import-0002", True),
    )
)


def _record(digest: str, key: str) -> ModelRecord:
    return ModelRecord(
        version=3,
        file="models/model-0003.skops",
        sha256="",
        created="",
        model="logistic",
        n_labels=2,
        labels_per_class={},
        label_log_sha256="",
        training_key=key,
        fit_seconds=0.0,
        labels_sha256=digest,
    )


def test_the_labels_digest_is_of_the_sorted_pairs():
    assert labels_digest([], []) == hashlib.sha256(b"").hexdigest()
    assert labels_digest(["b", "a"], ["dog", "cat"]) == hashlib.sha256(b"a\tcat\nb\tdog").hexdigest()
    assert labels_digest([1], ["cat"]) == labels_digest(["1"], ["cat"])


def test_the_training_key_changes_with_the_labels_and_the_settings_that_shape_the_model():
    key = training_key(CONFIG, "d")
    assert training_key(replace(CONFIG), "d") == key
    assert training_key(replace(CONFIG, batch_size=5, strategy="random"), "d") == key  # shape no model
    assert len({key, training_key(CONFIG, "e"), training_key(replace(CONFIG, seed=1), "d")}) == 3


def test_the_training_set_as_the_log_gives_it():
    training = TrainingSet.of(LOG, CONFIG)
    assert (training.ids.tolist(), training.labels.tolist()) == (["r1", "r2"], ["cat", "dog"])
    assert (training.eval_ids.tolist(), training.eval_truth.tolist()) == (["r4"], ["cat"])
    assert training.digest == labels_digest(["r1", "r2"], ["cat", "dog"]) == LOG.training_digest()
    assert training.key == training_key(CONFIG, training.digest)
    assert training.eval_digest == labels_digest(["r4"], ["cat"])
    assert training.log_rows == 4
    assert training.labels_per_class() == {"cat": 1, "dog": 1}
    assert TrainingSet.of(LabelLog.of(LOG.whole, ["import-0002"]), CONFIG).eval_digest == ""


def test_what_a_model_does_not_know():
    digest = LOG.training_digest()
    record = _record(digest, training_key(CONFIG, digest))
    assert what_changed(record, CONFIG, digest) is None
    assert what_changed(record, CONFIG, "other labels") == "labels imported"
    assert what_changed(record, replace(CONFIG, model="naive-bayes"), digest) == "settings in activelearn.toml"


def test_the_stale_warning_says_what_the_model_does_not_know_and_what_training_gives():
    def latest(changed):
        return LatestModel(record=_record("", ""), pipeline=None, columns={}, changed=changed)

    assert latest(None).stale_warning("a better batch") is None
    assert latest("labels imported").stale_warning("a better batch") == (
        "model 3 does not know the labels imported since it was trained; run `activelearn train` first for a "
        "better batch"
    )
    assert latest("settings in activelearn.toml").stale_warning("up-to-date predictions") == (
        "model 3 does not know the settings in activelearn.toml since it was trained; run `activelearn train` "
        "first for up-to-date predictions"
    )


def test_there_is_no_latest_model_before_any_train():
    assert latest_model(SimpleNamespace(state=SimpleNamespace(latest_model=None)), LOG) is None


@pytest.mark.parametrize(
    ("labels", "settings", "force", "features_stale", "unloadable", "needed", "reason"),
    [
        (False, False, False, False, False, False, None),
        (True, False, False, False, False, True, "labels"),
        (False, True, False, False, False, True, "settings"),
        (True, True, True, True, True, True, "labels"),
        (False, False, False, True, False, True, "features"),
        (False, False, False, False, True, False, "unloadable"),
        (False, False, True, False, False, True, "forced"),
        (False, False, True, True, True, True, "features"),
    ],
)
def test_why_a_new_version_is_trained(labels, settings, force, features_stale, unloadable, needed, reason):
    training = TrainingSet.of(LOG, CONFIG)
    digest = "older labels" if labels else training.digest
    key = training_key(replace(CONFIG, seed=7) if settings else CONFIG, digest)
    latest = _record(digest, key)
    assert needs_new_model(latest, training, force=force, features_stale=features_stale) is needed
    if reason is not None:
        assert change_reason(latest, training, features_stale=features_stale, unloadable=unloadable) == reason


def test_the_first_model_is_always_needed():
    training = TrainingSet.of(LOG, CONFIG)
    assert needs_new_model(None, training, force=False, features_stale=False) is True
    assert change_reason(None, training, features_stale=False, unloadable=False) == "first"
    assert isinstance(training.ids, np.ndarray)
