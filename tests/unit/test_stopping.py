"""stopping.decide: the evaluation plateau judged against its interval, forced retrains not
counted, no model-based stop while a class has few training labels, each signal's value and text."""

from __future__ import annotations

from activelearn.config import Config
from activelearn.state import ModelRecord
from activelearn.stopping import decide

CLASSES = ("a", "b", "c", "d")


def _config(**stop) -> Config:
    return Config(id_column="id", label_column="y", classes=CLASSES, columns={"x": "numeric"}, **stop)


def _model(
    version: int,
    f1: float | None,
    half_width: float = 0.1,
    per_class: int = 5,
    eval_set: str = "set-1",
    change: str = "labels",
    labels: str | None = None,
) -> ModelRecord:
    metrics = None
    if f1 is not None:
        metrics = {
            "accuracy": f1,
            "balanced_accuracy": f1,
            "f1_macro": f1,
            "n": per_class * len(CLASSES),
            "per_class": {c: {"precision": f1, "recall": f1, "support": per_class} for c in CLASSES},
            "ci95": {
                m: [round(max(0.0, f1 - half_width), 4), round(min(1.0, f1 + half_width), 4)]
                for m in ("accuracy", "balanced_accuracy", "f1_macro")
            },
        }
    return ModelRecord(
        version=version,
        file=f"models/model-{version:04d}.joblib",
        sha256="",
        created="2026-01-01T00:00:00",
        model="logistic",
        n_labels=10 * version,
        labels_per_class={},
        label_log_sha256="",
        training_key=f"key-{labels or version}",
        fit_seconds=0.1,
        labels_sha256=labels or f"labels-{version}",
        eval_metrics=metrics,
        eval_sha256=eval_set if metrics else "",
        change=change,
        stop_signals={
            "rows": 100,
            "agreement": 0.8 if version > 1 else None,
            "uncertain_share": 0.3,
            "mean_margin": 0.4,
        },
    )


def _history(scores, **kwargs) -> list[ModelRecord]:
    return [_model(i + 1, s, change="first" if i == 0 else "labels", **kwargs) for i, s in enumerate(scores)]


NOISY = [0.60, 0.63, 0.57, 0.61, 0.59, 0.62]  # +-0.03 around 0.6


def test_noisy_evaluation_scores_with_few_labels_per_class_are_no_plateau():
    decision = decide(_history(NOISY, half_width=0.1, per_class=5), labeled=60, config=_config())
    plateau = decision.signals["evaluation_plateau"]
    assert plateau.met is None and not decision.recommended
    assert plateau.detail == (
        "too few evaluation labels to judge a plateau: a, b, c, d have 5 each; "
        "needs at least 10 per class ([stop] min_eval_per_class)"
    )


def test_noisy_evaluation_scores_on_a_wide_interval_are_no_plateau():
    decision = decide(_history(NOISY, half_width=0.1, per_class=30), labeled=60, config=_config())
    plateau = decision.signals["evaluation_plateau"]
    assert plateau.met is None and not decision.recommended
    assert plateau.detail == (
        "the evaluation set is too small to judge a plateau: macro-F1 0.620 is known "
        "to +-0.100 (95%); label more evaluation rows (query --eval N) until it is "
        "+-0.050 or less"
    )


def test_a_plateau_needs_every_change_within_half_the_interval():
    flat = [0.80, 0.85, 0.902, 0.905, 0.903, 0.906]
    decision = decide(_history(flat, half_width=0.03, per_class=40), labeled=60, config=_config())
    plateau = decision.signals["evaluation_plateau"]
    assert plateau.met and decision.recommended
    assert plateau.value == 0.003 and plateau.threshold == 0.015
    assert plateau.detail == (
        "evaluation macro-F1 has plateaued at 0.906 [0.876, 0.936]: it changed at most "
        "0.003 from model to model over the last 3 (within +-0.015, half its 95% interval)"
    )
    rising = [0.80, 0.85, 0.87, 0.89, 0.91, 0.93]
    plateau = decide(_history(rising, half_width=0.03, per_class=40), labeled=60, config=_config()).signals[
        "evaluation_plateau"
    ]
    assert plateau.met is False
    assert plateau.detail == (
        "evaluation macro-F1 still rises: it gained 0.060 over the last 3 models, "
        "by up to 0.020 from model to model (a plateau needs every change within +-0.015)"
    )


def test_a_drop_is_worded_as_a_drop():
    dropping = [0.80, 0.85, 0.90, 0.86, 0.85, 0.85]
    plateau = decide(_history(dropping, half_width=0.03, per_class=40), labeled=60, config=_config()).signals[
        "evaluation_plateau"
    ]
    assert plateau.met is False
    assert plateau.detail == (
        "evaluation macro-F1 still changes: it dropped 0.050 over the last 3 models, "
        "by up to 0.040 from model to model (a plateau needs every change within +-0.015)"
    )
    assert "gained -" not in plateau.detail


def test_min_gain_is_the_floor_of_the_tolerance_on_a_very_narrow_interval():
    flat = [0.90, 0.905, 0.909, 0.912, 0.915]  # steps of 0.003-0.005 on +-0.005
    plateau = decide(_history(flat, half_width=0.005, per_class=400), labeled=60, config=_config()).signals[
        "evaluation_plateau"
    ]
    assert (
        plateau.met and plateau.threshold == 0.01
    )  # min_gain: half the interval (0.0025) is finer than worth paying for


def test_only_models_measured_on_the_same_evaluation_set_are_compared():
    flat = [0.905, 0.903, 0.906, 0.904]
    models = _history(flat, half_width=0.03, per_class=40)
    models[0].eval_sha256 = "a smaller set"  # measured before more evaluation labels came
    plateau = decide(models, labeled=60, config=_config()).signals["evaluation_plateau"]
    assert plateau.met is None
    assert plateau.detail == "needs 4 models trained on new labels and measured on the current evaluation set; 3 so far"


def test_forced_retrains_and_settings_changes_count_in_no_signal():
    models = [_model(1, 0.9, half_width=0.03, per_class=40, change="first")]
    for version in (2, 3, 4):  # train --force: the same labels again
        models.append(_model(version, 0.9, half_width=0.03, per_class=40, change="forced", labels="labels-1"))
        models[-1].stop_signals = {
            "rows": 100,
            "agreement": None,
            "uncertain_share": 0.0,
            "mean_margin": 0.9,
        }
    models.append(_model(5, 0.9, half_width=0.03, per_class=40, change="settings", labels="labels-1"))
    models[-1].stop_signals = {
        "rows": 100,
        "agreement": None,
        "uncertain_share": 0.0,
        "mean_margin": 0.9,
    }
    decision = decide(models, labeled=60, config=_config())
    assert not decision.recommended
    assert decision.signals["evaluation_plateau"].met is None
    assert decision.signals["pool_uncertainty"].met is None
    assert decision.signals["pool_uncertainty"].detail.endswith(
        "needs 3 models trained on new labels to judge, 1 so far"
    )


def test_old_records_without_change_are_counted_by_their_labels():
    models = _history([0.9, 0.9, 0.9, 0.9], half_width=0.03, per_class=40)
    for m in models:
        m.change = ""  # written before the field existed
    models[2].labels_sha256 = models[1].labels_sha256  # a forced retrain then
    plateau = decide(models, labeled=60, config=_config()).signals["evaluation_plateau"]
    assert plateau.met is None and plateau.detail.endswith("; 3 so far")


# --- no model-based stop while a class has too few training labels ---------------------------------


def _confident_history(labels_per_class: dict[str, int]) -> list[ModelRecord]:
    """Five labeling rounds whose models agree fully and are sure of the whole stop set."""
    models = _history([0.9, 0.9, 0.9, 0.9, 0.9], half_width=0.03, per_class=40)
    for m in models:
        m.stop_signals = {
            "rows": 100,
            "agreement": 1.0,
            "uncertain_share": 0.005,
            "mean_margin": 0.9,
        }
        m.labels_per_class = dict(labels_per_class)
    return models


def test_no_model_signal_recommends_stopping_while_a_class_has_few_training_labels():
    decision = decide(_confident_history({"a": 60, "b": 30, "c": 4, "d": 12}), labeled=106, config=_config())
    assert not decision.recommended and decision.reasons == []
    held = "not yet judged: class c has 4 training labels, min_labels_per_class = 10"
    for name in ("stabilizing_predictions", "pool_uncertainty", "evaluation_plateau"):
        signal = decision.signals[name]
        assert signal.met is None
        assert signal.detail.startswith(held + " (otherwise: "), signal.detail
    assert decision.signals["pool_uncertainty"].detail == (
        held + " (otherwise: the models are sure of almost every row: at most 0.5% of the stop set "
        "uncertain over the last 3 models (threshold 2.0%))"
    )
    enough = decide(_confident_history({"a": 60, "b": 30, "c": 10, "d": 12}), labeled=112, config=_config())
    assert enough.recommended and all(
        enough.signals[n].met for n in ("stabilizing_predictions", "pool_uncertainty", "evaluation_plateau")
    )


def test_the_budget_is_not_held_back_by_few_labels_of_a_class():
    decision = decide(
        _confident_history({"a": 60, "b": 30, "c": 4, "d": 12}),
        labeled=106,
        config=_config(budget=100),
    )
    assert decision.recommended and decision.reasons == ["the label budget is spent: 106 of 100 labels"]


# --- status --json: each signal's value is the number its text gives ------------------------------


def test_each_signals_value_is_the_number_its_detail_gives():
    models = _history([0.80, 0.85, 0.87, 0.89], half_width=0.03, per_class=40)
    for m, share, kappa in zip(models, (0.30, 0.027, 0.020, 0.018), (None, 0.95, 0.97, 0.96), strict=True):
        m.stop_signals = {
            "rows": 100,
            "agreement": kappa,
            "uncertain_share": share,
            "mean_margin": 0.5,
        }
    signals = decide(models, labeled=60, config=_config()).signals
    uncertainty = signals["pool_uncertainty"]
    assert uncertainty.met is False and uncertainty.value == 0.027
    assert uncertainty.detail == (
        "up to 2.7% of the stop set was uncertain over the last 3 models (1.8% for the "
        "latest; stop at 2.0% or less for 3 models)"
    )
    stabilizing = signals["stabilizing_predictions"]
    assert stabilizing.met is False and stabilizing.value == 0.95
    assert stabilizing.detail == (
        "predictions still change: kappa between consecutive models went 0.950 -> 0.970 "
        "-> 0.960, lowest 0.950 (stop at >= 0.99 for 3 in a row)"
    )
    plateau = signals["evaluation_plateau"]
    assert plateau.met is False and plateau.value == 0.05
    assert "by up to 0.050 from model to model" in plateau.detail
    early = decide(models[:2], labeled=20, config=_config()).signals["stabilizing_predictions"]
    assert early.value == 0.95 and early.detail == (
        "needs 3 consecutive models compared on the stop set; 1 so far (latest kappa 0.950)"
    )
