"""Issue 11: the evaluation plateau judged against its interval, forced retrains not counted,
per-class precision and recall, status on 80 columns, fixed-range sparklines, slow presets."""

from __future__ import annotations

import json

import pytest

from activelearn.config import Config
from activelearn.state import ModelRecord
from activelearn.stopping import decide

from .conftest import SAMPLE, fill_batch, run_cli

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


def test_three_forced_retrains_do_not_flip_status_check(penguins_project):
    project = penguins_project
    batch = project / run_cli("-q", "-C", project, "query", "--eval", "40").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    assert run_cli("-q", "-C", project, "import-labels", batch).exit_code == 0
    assert run_cli("-q", "-C", project, "train").exit_code == 0
    for _ in range(3):
        forced = run_cli("-C", project, "train", "--force")
        assert forced.exit_code == 0, forced.stderr
    check = run_cli("-C", project, "status", "--check")
    assert check.exit_code == 0, check.stdout
    assert "keep labeling" in check.stdout
    status = json.loads(run_cli("-C", project, "status", "--json").stdout)
    assert [m["change"] for m in status["models"]] == ["first", "forced", "forced", "forced"]
    plateau = status["stop"]["signals"]["evaluation_plateau"]
    assert plateau["met"] is None
    assert "min_eval_per_class" in plateau["detail"]  # 40 random penguins hold fewer than 10 Chinstraps


@pytest.mark.parametrize(
    "key, comment",
    [
        ("min_eval_per_class", "evaluation labels every class needs before a plateau is judged"),
        (
            "min_labels_per_class",
            "training labels every class needs before a model-based signal may say stop",
        ),
    ],
)
def test_the_per_class_minimums_are_stop_keys(penguins_project, key, comment):
    config = penguins_project / "activelearn.toml"
    text = config.read_text()
    assert f"{key} = 10" in text
    assert f"# {comment}" in text
    config.write_text(text.replace(f"{key} = 10", f"{key} = 0"))
    result = run_cli("-C", penguins_project, "status")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"error: {config}: [stop] {key} must be at least 1, not 0"


# --- sparklines on a fixed scale ----------------------------------------------------------------


def test_sparklines_are_drawn_on_the_zero_to_one_scale():
    from activelearn.render_status import sparkline

    assert sparkline([0.60, 0.63, 0.57, 0.61]) == "▅▆▅▅"  # noise stays flat
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.41, 0.41]) == "▄▄"
    assert sparkline([0.90, 0.95, 1.0]) == "███"  # a rise near the top is not blown up either


@pytest.fixture(scope="module")
def evaluated_project(tmp_path_factory):
    """Penguins with a 40-row evaluation set and three models (6, 16 and 26 labels); tests only read it."""
    project = tmp_path_factory.mktemp("issue11") / "proj"
    run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    batch = project / run_cli("-q", "-C", project, "query", "--eval", "40").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    run_cli("-q", "-C", project, "import-labels", batch)
    run_cli("-q", "-C", project, "train")
    for _ in range(2):
        batch = project / run_cli("-q", "-C", project, "query", "-n", "10").stdout.strip()
        fill_batch(batch, SAMPLE / "penguins_answers.csv")
        run_cli("-q", "-C", project, "import-labels", batch)
        assert run_cli("-q", "-C", project, "train").exit_code == 0
    return project


def test_status_prints_the_sparkline_on_the_fixed_scale(evaluated_project):
    project = evaluated_project
    status = json.loads(run_cli("-C", project, "status", "--json").stdout)
    curve = [m["eval_metrics"]["f1_macro"] for m in status["models"]]
    text = run_cli("-C", project, "status").stdout
    line = next(line for line in text.splitlines() if line.startswith("eval macro-F1 "))
    bars = "".join("▁▂▃▄▅▆▇█"[min(7, int(v * 8))] for v in curve)
    assert line == f"eval macro-F1 {bars}  {curve[0]:.3f} -> {curve[-1]:.3f} (scale 0-1)"


# --- per-class precision and recall -------------------------------------------------------------


def _per_class_lines(metrics: dict, title: str) -> list[str]:
    lines = [title]
    width = max(len(c) for c in metrics["per_class"])
    for name, m in metrics["per_class"].items():
        support = f"  {m['support']} labels" if "support" in m else ""
        lines.append(f"  {name.ljust(width)}  precision {m['precision']:.3f}  recall {m['recall']:.3f}{support}")
    return lines


def test_train_shows_precision_and_recall_per_class(evaluated_project, tmp_path):
    import shutil

    project = tmp_path / "copy"
    shutil.copytree(evaluated_project, project)
    result = run_cli("-C", project, "train", "--force")
    assert result.exit_code == 0, result.stderr
    trained = json.loads(run_cli("-C", project, "status", "--json").stdout)["models"][-1]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("model 4: logistic on 26 labels")
    cv = trained["cv_metrics"]
    assert set(cv["per_class"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert lines[1:] == (
        _per_class_lines(trained["eval_metrics"], "evaluation per class:")
        + _per_class_lines(cv, f"cross-validated per class ({trained['cv_folds']} folds, pooled):")
    )
    assert result.stderr == ""


def test_status_verbose_shows_precision_and_recall_per_class_of_the_latest_model(evaluated_project):
    status = json.loads(run_cli("-C", evaluated_project, "status", "--json").stdout)
    latest = status["models"][-1]
    verbose = run_cli("-v", "-C", evaluated_project, "status")
    assert verbose.exit_code == 0
    expected = _per_class_lines(
        latest["eval_metrics"], f"model {latest['version']}, evaluation per class:"
    ) + _per_class_lines(
        latest["cv_metrics"],
        f"model {latest['version']}, cross-validated per class ({latest['cv_folds']} folds, pooled):",
    )
    text = verbose.stdout.splitlines()
    start = text.index(expected[0])
    assert text[start : start + len(expected)] == expected
    assert expected[0] not in run_cli("-C", evaluated_project, "status").stdout  # only with -v


# --- status on an 80-column terminal ------------------------------------------------------------


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_status_fits_an_80_column_terminal(evaluated_project, monkeypatch, verbose):
    from rich.console import Console

    from activelearn import render_status

    monkeypatch.setattr(render_status, "stdout", lambda: Console(width=80, highlight=False))  # a terminal of 80 columns
    result = run_cli(*verbose, "-C", evaluated_project, "status")
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, [line for line in lines if len(line) > 80]
    table = lines[lines.index("learning curve (one row per model version)") + 1 :]
    # one heading line and one line per model: no row wrapped onto a second line
    assert len([line for line in table[:12] if line.startswith("┃")]) == 1, "\n".join(table[:12])
    rows = [line for line in table[:12] if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["1", "2", "3"], "\n".join(table[:12])


def test_status_on_a_wide_terminal_keeps_every_column(evaluated_project, monkeypatch):
    from rich.console import Console

    from activelearn import render_status

    monkeypatch.setattr(render_status, "stdout", lambda: Console(width=140, highlight=False))
    text = run_cli("-C", evaluated_project, "status").stdout
    header = next(line for line in text.splitlines() if line.startswith("┃") and "version" in line)
    for column in (
        "cv acc.",
        "cv macro-F1",
        "eval macro-F1 [95%]",
        "kappa vs prev.",
        "trained (UTC)",
    ):
        assert column in header


# --- presets slow on many sparse features -------------------------------------------------------


def test_gradient_boosting_on_text_is_warned_about_at_init_and_train(tmp_path):
    project = tmp_path / "reviews"
    init = run_cli(
        "init",
        project,
        "--data",
        SAMPLE / "movie_reviews.csv",
        "--label-column",
        "sentiment",
        "--text-columns",
        "text",
        "--model",
        "gradient-boosting",
    )
    assert init.exit_code == 0, init.stderr
    assert init.stdout.strip() == str(project)
    assert (
        "warning: gradient-boosting is slow on many sparse features, and the text column text gives "
        "thousands: fitting may take many minutes; logistic or linear-svm fit them in seconds "
        "(init --model logistic)"
    ) in init.stderr
    train = run_cli("-C", project, "train", "--json")
    assert train.exit_code == 0, train.stderr
    model = json.loads(train.stdout)
    from activelearn.models import load_model

    features = (
        load_model(project / "models" / f"model-{model['version']:04d}.skops")[0].named_steps["model"].n_features_in_
    )
    assert train.stderr.strip() == (
        f"warning: gradient-boosting is slow on many sparse features, and this model has {features:,} "
        f"(the text column text): it took {model['fit_seconds']:.1f} s on {model['n_labels']} labels, and "
        f'takes longer as labels grow; logistic or linear-svm fit them in seconds ([model] name = "logistic" '
        f"in activelearn.toml)"
    )


def test_random_forest_on_a_few_numeric_columns_is_not_warned_about(tmp_path):
    project = tmp_path / "penguins"
    init = run_cli(
        "init",
        project,
        "--data",
        SAMPLE / "penguins.csv",
        "--label-column",
        "species",
        "--model",
        "random-forest",
    )
    assert init.exit_code == 0 and "slow" not in init.stderr
    train = run_cli("-C", project, "train")
    assert train.exit_code == 0 and train.stderr == ""


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


# --- cross-validated precision and recall per class: pooled out-of-fold predictions ---------------


def test_cross_validated_precision_and_recall_are_pooled_over_the_folds(tmp_path):
    """3 `other` and 9 `text` labels in 3 folds of 4; one `other` lies among the texts and is missed.
    Pooled over the folds, 11 of 12 are right: `other` is predicted twice, rightly (precision 1),
    and found 2 times of 3 (recall 0.667); a mean over folds would count the fold that never
    predicts `other` as precision 0 and give 0.667."""
    rows = ["id,x,kind"]
    rows += [f"t{i},{0.1 * i:.1f},text" for i in range(9)]
    rows += ["o1,5.0,other", "o2,5.5,other", "o3,0.45,other"]
    rows += [f"u{i},{0.3 * i:.1f}," for i in range(30)]
    data = tmp_path / "kinds.csv"
    data.write_text("\n".join(rows) + "\n")
    project = tmp_path / "proj"
    assert run_cli("-q", "init", project, "--data", data, "--label-column", "kind").exit_code == 0
    result = run_cli("-C", project, "train")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("model 1: logistic on 12 labels (other 3, text 9); cv accuracy 0.917, ")
    assert lines[1:] == [
        "cross-validated per class (3 folds, pooled):",
        "  other  precision 1.000  recall 0.667",
        "  text   precision 0.900  recall 1.000",
    ]


# --- an evaluation macro-F1 interval on few labels of a class is explained --------------------------


def test_an_evaluation_class_with_few_labels_is_named_next_to_its_intervals(tmp_path):
    """40 evaluation rows, 3 of them `other`: the bootstrap resamples hold 0 to 7 `other`, so a
    perfect macro-F1 is known only to [0.5, 1]; train says why."""
    rows = ["id,x,kind"]
    rows += [f"t{i},{0.01 * i:.2f},{'text' if i >= 40 else ''}" for i in range(50)]  # 10 training labels
    rows += [f"o{i},{5 + 0.1 * i:.1f},{'other' if i >= 3 else ''}" for i in range(8)]  # 5 training labels
    data = tmp_path / "kinds.csv"
    data.write_text("\n".join(rows) + "\n")
    project = tmp_path / "proj"
    init = run_cli("-q", "init", project, "--data", data, "--label-column", "kind", "--id-column", "id")
    assert init.exit_code == 0, init.stderr
    log = tmp_path / "evaluation.csv"
    eval_ids = [f"t{i}" for i in range(37)] + ["o0", "o1", "o2"]
    log.write_text("id,kind\n" + "".join(f"{i},{'other' if i.startswith('o') else 'text'}\n" for i in eval_ids))
    imported = run_cli("-q", "-C", project, "import-labels", "--eval", log)
    assert imported.exit_code == 0, imported.stderr
    result = run_cli("-C", project, "train")
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(run_cli("-C", project, "status", "--json").stdout)["models"][-1]["eval_metrics"]
    assert metrics["per_class"]["other"]["support"] == 3
    low, high = metrics["ci95"]["f1_macro"]
    first = result.stdout.splitlines()[0]
    assert first.endswith(
        f"macro-F1 {metrics['f1_macro']:.3f} [{low:.3f}, {high:.3f}] "
        "(3 labels of other: too few to pin down macro-F1; [stop] min_eval_per_class = 10)"
    )
