"""[model] class_weight: balanced class weights in every fit (train, committee, CV folds, simulate)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_sample_weight

from activelearn.config import Config, config_from_dict
from activelearn.models import (
    PRESETS,
    WeightedCalibratedClassifierCV,
    WeightedMultinomialNB,
    cross_validated_metrics,
    fit_model,
)
from activelearn.selection import Context, build_committee
from activelearn.versions import training_key

from ..conftest import snapshot, trained_as_before_the_new_settings

YEAST = Path(__file__).resolve().parents[1] / "fixtures" / "datasets" / "yeast_me2.csv"
ROLES = {"n": "numeric", "m": "numeric", "c": "categorical", "t": "text"}


def _imbalanced(count: int = 90) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of every role, and labels 60 / 20 / 10: the rare classes shifted on n."""
    rng = np.random.default_rng(3)
    labels = np.array(["common"] * (count * 2 // 3) + ["middle"] * (count * 2 // 9) + ["rare"] * (count // 9))
    shift = {"common": 0.0, "middle": 1.0, "rare": 2.0}
    rows = pd.DataFrame(
        {
            "n": [rng.normal(shift[label]) for label in labels],
            "m": rng.normal(size=len(labels)),
            "c": rng.choice(["a", "b"], len(labels)),
            "t": rng.choice(["a good film", "bad", "so so"], len(labels)),
        }
    )
    return rows, labels


def _balanced_everywhere(estimator) -> None:
    """The preset's estimator weighs classes as class_weight="balanced" does, and, fitted, shows it."""
    assert estimator.get_params()["class_weight"] == "balanced"
    if isinstance(estimator, MultinomialNB):  # every class weighs the same in total: the fit used the weights
        np.testing.assert_allclose(estimator.class_count_, estimator.class_count_.sum() / len(estimator.classes_))


def _legacy(estimator) -> None:
    assert type(estimator) in (MultinomialNB, CalibratedClassifierCV) or estimator.get_params()["class_weight"] is None
    if isinstance(estimator, CalibratedClassifierCV):
        assert type(estimator) is CalibratedClassifierCV and estimator.estimator.class_weight is None


@pytest.fixture
def one_thread():
    """Gradient boosting's OpenMP threads only fight over a busy machine's cores (ten times slower)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_balanced_weights_reach_every_committee_member_and_every_cv_fold(monkeypatch, one_thread, name):
    import sklearn.model_selection

    rows, labels = _imbalanced()
    folds = []
    real = sklearn.model_selection.cross_validate

    def spy(*args, **kwargs):
        scores = real(*args, **kwargs)
        folds.extend(scores["estimator"])
        return scores

    monkeypatch.setattr(sklearn.model_selection, "cross_validate", spy)
    fitted = fit_model(name, ROLES, 0, rows, labels, class_weight="balanced")
    assert fitted.cv_folds == 5 and len(folds) == 5
    _balanced_everywhere(fitted.pipeline[-1])
    for fold in folds:
        _balanced_everywhere(fold[-1])
    context = Context("id", ROLES, 0, 1, fitted.pipeline, list(ROLES), labeled=rows, labels=labels)
    members, warnings = build_committee(context)
    assert (len(members), warnings) == (5, [])
    for member in members:
        _balanced_everywhere(member[-1])
    # and "none" is today's estimator, in train, the folds and the committee alike
    folds.clear()
    legacy = fit_model(name, ROLES, 0, rows, labels)
    assert len(folds) == 5
    for estimator in [legacy.pipeline[-1], *(f[-1] for f in folds)]:
        _legacy(estimator)
    explicit = fit_model(name, ROLES, 0, rows, labels, class_weight="none", cross_validate=False)
    np.testing.assert_array_equal(explicit.pipeline.predict_proba(rows), legacy.pipeline.predict_proba(rows))


def test_cross_validated_metrics_take_the_weights():
    rows, labels = _imbalanced()
    none, _ = cross_validated_metrics("logistic", ROLES, 0, rows, labels)
    assert cross_validated_metrics("logistic", ROLES, 0, rows, labels, class_weight="none")[0] == none
    balanced, folds = cross_validated_metrics("logistic", ROLES, 0, rows, labels, class_weight="balanced")
    assert folds == 5
    assert balanced["per_class"]["rare"]["recall"] > none["per_class"]["rare"]["recall"]


def test_balanced_naive_bayes_is_exactly_balanced_sample_weights_and_survives_clone():
    rng = np.random.default_rng(0)
    X = rng.poisson(1.0, size=(80, 6)).astype(float)
    y = np.array(["a"] * 64 + ["b"] * 16)
    X[y == "b", 0] += 2
    weighted = MultinomialNB(alpha=0.1).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    ours = clone(WeightedMultinomialNB(alpha=0.1, class_weight="balanced")).fit(X, y)  # no fit params, as a fold
    for attribute in ("class_count_", "feature_count_", "class_log_prior_", "feature_log_prob_"):
        np.testing.assert_array_equal(getattr(ours, attribute), getattr(weighted, attribute))
    np.testing.assert_array_equal(ours.predict_proba(X), weighted.predict_proba(X))
    # uniform priors alone are not it: the smoothing counts against unweighted feature counts
    uniform = MultinomialNB(alpha=0.1, fit_prior=False).fit(X, y)
    np.testing.assert_allclose(uniform.class_log_prior_, weighted.class_log_prior_)
    assert not np.allclose(uniform.feature_log_prob_, weighted.feature_log_prob_)
    # without class_weight it is MultinomialNB, and a caller's own weights still count
    np.testing.assert_array_equal(
        WeightedMultinomialNB(alpha=0.1).fit(X, y).predict_proba(X),
        MultinomialNB(alpha=0.1).fit(X, y).predict_proba(X),
    )
    extra = rng.uniform(0.5, 2, len(y))
    np.testing.assert_array_equal(
        WeightedMultinomialNB(alpha=0.1, class_weight="balanced").fit(X, y, sample_weight=extra).feature_count_,
        MultinomialNB(alpha=0.1).fit(X, y, sample_weight=extra * compute_sample_weight("balanced", y)).feature_count_,
    )


def test_balanced_linear_svm_weighs_its_calibration_too_and_survives_clone():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4))
    y = np.where(X[:, 0] + 0.8 * rng.normal(size=120) > 1.3, "rare", "common")
    weights = compute_sample_weight("balanced", y)
    weighted = CalibratedClassifierCV(LinearSVC(random_state=0), cv=3).fit(X, y, sample_weight=weights)
    ours = clone(WeightedCalibratedClassifierCV(LinearSVC(random_state=0), cv=3, class_weight="balanced")).fit(X, y)
    np.testing.assert_array_equal(ours.predict_proba(X), weighted.predict_proba(X))
    # class weights on the inner LinearSVC alone are undone by a calibration fitted without them
    inner = CalibratedClassifierCV(LinearSVC(random_state=0, class_weight="balanced"), cv=3).fit(X, y)
    assert (ours.predict(X) == "rare").sum() > (inner.predict(X) == "rare").sum()
    plain = CalibratedClassifierCV(LinearSVC(random_state=0), cv=3).fit(X, y)
    np.testing.assert_array_equal(
        WeightedCalibratedClassifierCV(LinearSVC(random_state=0), cv=3).fit(X, y).predict_proba(X),
        plain.predict_proba(X),
    )


def test_config_reads_class_weight_and_refuses_other_values():
    raw = {"data": {"id_column": "id", "label_column": "label", "classes": ["a", "b"]}}
    assert config_from_dict(raw).class_weight == "none"  # absent: today's models
    for value in ("balanced", "none"):
        assert config_from_dict({**raw, "model": {"class_weight": value}}).class_weight == value
    with pytest.raises(Exception) as refused:
        config_from_dict({**raw, "model": {"class_weight": "heavy"}}, "p/activelearn.toml")
    assert refused.value.message == (
        "p/activelearn.toml: [model] class_weight = 'heavy' is not known (choose from balanced, none)"
    )


def test_the_training_key_changes_only_for_balanced():
    config = Config(id_column="id", label_column="label", classes=("a", "b"), columns={"size": "numeric"})
    legacy = training_key(config, "d")
    assert training_key(replace(config, class_weight="none"), "d") == legacy
    assert training_key(replace(config, class_weight="balanced"), "d") != legacy


def test_a_bad_class_weight_in_the_file_is_one_line_naming_the_choices(trained_project, cli):
    path = trained_project / "activelearn.toml"
    path.write_text(
        re.sub(
            r"^class_weight = .*$",
            'class_weight = "heavy"',
            path.read_text(encoding="utf-8"),
            flags=re.M,
        ),
        encoding="utf-8",
    )
    before = snapshot(trained_project)
    result = cli("-C", trained_project, "train")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {path.resolve()}: [model] class_weight = 'heavy' is not known (choose from balanced, none)\n"
    )
    assert snapshot(trained_project) == before


def test_config_set_class_weight_retrains_only_for_balanced(trained_project, cli):
    path = trained_project / "activelearn.toml"
    trained_as_before_the_new_settings(trained_project)
    before = snapshot(trained_project)
    refused = cli("-C", trained_project, "config", "set", "model.class_weight", "heavy")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        "error: cannot set model.class_weight: [model] class_weight = 'heavy' is not known "
        "(choose from balanced, none)\n"
    )
    assert snapshot(trained_project) == before
    assert cli("-C", trained_project, "config", "get", "model.class_weight").stdout == "none\n"  # not set: none
    result = cli("-C", trained_project, "config", "set", "model.class_weight", "none")
    assert (result.exit_code, result.stdout) == (0, "model.class_weight=none\n")
    assert result.stderr == f"{path.resolve()}: model.class_weight was none\n"  # absent meant none: still up to date
    assert 'class_weight = "none"\n' in path.read_text(encoding="utf-8")
    train = cli("-C", trained_project, "train", "--json")
    assert train.exit_code == 0 and json.loads(train.stdout)["up_to_date"] is True
    result = cli("-C", trained_project, "config", "set", "model.class_weight", "balanced")
    assert (result.exit_code, result.stdout) == (0, "model.class_weight=balanced\n")
    assert result.stderr == (
        "warning: the latest model was trained with the old setting: run `activelearn train`\n"
        f"{path.resolve()}: model.class_weight was none\n"
    )
    train = cli("-C", trained_project, "train", "--json")
    assert train.exit_code == 0, train.stderr
    assert (json.loads(train.stdout)["up_to_date"], json.loads(train.stdout)["version"]) == (
        False,
        3,
    )
    state = json.loads((trained_project / "state.json").read_text(encoding="utf-8"))
    assert state["models"][-1]["change"] == "settings"


def test_balanced_train_finds_the_rare_class_of_an_imbalanced_table(tmp_path, cli):
    data = tmp_path / "yeast_me2.csv"
    shutil.copy(YEAST, data)
    project = tmp_path / "proj"
    assert cli("-q", "init", project, "--data", data, "--label-column", "site").exit_code == 0
    found = {}
    for setting in ("none", "balanced"):
        assert cli("-C", project, "config", "set", "model.class_weight", setting).exit_code == 0
        train = cli("-q", "-C", project, "train", "--json")
        assert train.exit_code == 0, train.stderr
        out = tmp_path / f"{setting}.csv"
        assert cli("-q", "-C", project, "predict", "--out", out).exit_code == 0
        predicted = pd.read_csv(out)
        found[setting] = (
            json.loads(train.stdout)["cv_metrics"],
            int((predicted["prediction"] == "ME2").sum()),
        )
    (none, none_rare), (balanced, balanced_rare) = found["none"], found["balanced"]
    assert (pd.read_csv(data)["site"] == "ME2").sum() == 51  # of 1,484 rows
    assert balanced["balanced_accuracy"] >= none["balanced_accuracy"] + 0.1
    assert balanced["per_class"]["ME2"]["recall"] > none["per_class"]["ME2"]["recall"]
    assert balanced_rare > none_rare


def test_simulate_fits_every_model_with_the_class_weight(tmp_path, monkeypatch, cli):
    import activelearn.simulation as simulating

    rows, labels = _imbalanced(90)
    data = tmp_path / "imbalanced.csv"
    rows.assign(label=labels).to_csv(data, index=False)
    seen = []
    real = simulating.fit_model

    def spy(*args, **kwargs):
        seen.append(kwargs.get("class_weight", "none"))
        return real(*args, **kwargs)

    monkeypatch.setattr(simulating, "fit_model", spy)
    common = [
        data,
        "--label-column",
        "label",
        "--strategy",
        "committee",
        "--initial",
        "6",
        "--batch-size",
        "5",
        "--budget",
        "16",
        "--repeats",
        "1",
        "--jobs",
        "1",
    ]
    result = cli("simulate", *common, "--class-weight", "balanced", "--out", tmp_path / "sim")
    assert result.exit_code == 0, result.stderr
    assert len(seen) == 1 + 2 * 3 and set(seen) == {"balanced"}  # full pool, then 3 models per strategy
    assert "- class weight: balanced\n" in (tmp_path / "sim" / "summary.md").read_text(encoding="utf-8")
    seen.clear()
    result = cli("simulate", *common, "--out", tmp_path / "legacy")
    assert result.exit_code == 0, result.stderr
    assert set(seen) == {"none"} and "class weight" not in (tmp_path / "legacy" / "summary.md").read_text()
    refused = cli("simulate", *common, "--class-weight", "heavy", "--out", tmp_path / "bad")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == "error: --class-weight 'heavy' is not a class weighting (choose from balanced, none)\n"
    assert not (tmp_path / "bad").exists()
