"""Knowing when to stop, through the CLI: the evaluation set, metrics with intervals, the learning
curve (table and PNG), the stopping signals and `status --check`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from activelearn.evaluation import classification_metrics, evaluate, wilson_interval

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli


def _json(*args):
    result = run_cli(*args, "--json")
    assert result.exit_code in (0, 3), (args, result.stderr)
    return json.loads(result.stdout)


def _round(project, n: int, answers) -> dict:
    """One loop round: query, label (the known answers), import, train. Returns train's JSON."""
    batch = project / run_cli("-q", "-C", project, "query", "-n", n).stdout.strip()
    fill_batch(batch, answers)
    assert run_cli("-q", "-C", project, "import-labels", batch).exit_code == 0
    return _json("-C", project, "train")


def _eval_set(project, n: int, answers) -> list[str]:
    result = run_cli("-C", project, "query", "--eval", n)
    assert result.exit_code == 0, result.stderr
    batch = project / result.stdout.strip()
    assert batch.name.startswith("eval-")
    header = batch.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "suggestion" not in header and "confidence" not in header  # nothing to bias the answers
    fill_batch(batch, answers)
    imported = _json("-C", project, "import-labels", batch)
    assert imported["evaluation"] == n
    return read_batch_ids(batch)


@pytest.fixture(scope="module")
def penguins_loop(tmp_path_factory):
    """Penguins with a 40-row evaluation set, trained round after round (batches of 10) until the
    stabilizing-predictions signal is met; every status along the way is kept."""
    project = tmp_path_factory.mktemp("stop") / "proj"
    answers = SAMPLE / "penguins_answers.csv"
    run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species")
    first = _json("-C", project, "train")
    eval_ids = _eval_set(project, 40, answers)
    remeasured = _json("-C", project, "train")
    trains, statuses, checks = [first, remeasured], [], []
    for _ in range(14):
        trains.append(_round(project, 10, answers))
        statuses.append(_json("-C", project, "status"))
        checks.append(run_cli("-C", project, "status", "--check").exit_code)
        if statuses[-1]["stop"]["signals"]["stabilizing_predictions"]["met"]:
            break
    kappas = [t["stop_signals"]["agreement"] for t in trains[2:]]
    print(
        f"\npenguins: {len(statuses)} rounds of 10 until predictions stabilized; kappas {kappas}; "
        f"eval macro-F1 {[t['eval_metrics']['f1_macro'] for t in trains[2:]]}; "
        f"recommended from round {next(i + 1 for i, s in enumerate(statuses) if s['stop']['recommended'])}"
    )
    return project, eval_ids, trains, statuses, checks


def test_evaluation_labels_are_measured_on_and_never_trained_on(penguins_loop):
    project, eval_ids, trains, statuses, _ = penguins_loop
    first, remeasured = trains[0], trains[1]
    assert first["eval_metrics"] is None
    assert remeasured["up_to_date"] and remeasured["reevaluated"]  # same model, measured on the new set
    assert remeasured["eval_metrics"]["n"] == 40 and remeasured["n_labels"] == 6  # not trained on
    last = statuses[-1]
    assert last["evaluation_labels"] == 40
    assert last["labeled"] == trains[-1]["n_labels"]  # training labels only
    offered = {i for b in (project / "batches").glob("batch-*.csv") for i in read_batch_ids(b)}
    assert not offered & set(eval_ids), "evaluation rows are never offered again"


def test_evaluation_metrics_come_with_intervals_and_differ_from_cross_validation(penguins_loop):
    _, _, trains, _, _ = penguins_loop
    measured = [t for t in trains[2:] if t["eval_metrics"] and t["cv_metrics"]]
    assert measured
    for t in measured:
        e = t["eval_metrics"]
        assert set(e) >= {"accuracy", "balanced_accuracy", "f1_macro", "per_class", "ci95", "n"}
        for name in ("accuracy", "balanced_accuracy", "f1_macro"):
            low, high = e["ci95"][name]
            assert 0 <= low <= e[name] <= high <= 1 and high - low > 0
        assert set(e["per_class"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert any(t["eval_metrics"]["f1_macro"] != t["cv_metrics"]["f1_macro"] for t in measured)


def test_stabilizing_predictions_recommend_stopping_once_converged_and_not_before(penguins_loop):
    _, _, trains, statuses, checks = penguins_loop
    window = 3
    signal = statuses[-1]["stop"]["signals"]["stabilizing_predictions"]
    assert signal["met"] and signal["value"] >= 0.99, "penguins converge within 14 rounds of 10"
    assert statuses[-1]["stop"]["recommended"]
    assert any("predictions have stabilized" in r for r in statuses[-1]["stop"]["reasons"])
    # not in the first rounds: the first comparisons need `window` models, and early models disagree
    assert len(statuses) > window
    for status in statuses[:window]:
        assert not status["stop"]["signals"]["stabilizing_predictions"]["met"]
    assert not statuses[0]["stop"]["recommended"]
    kappas = [t["stop_signals"]["agreement"] for t in trains[2:]]
    assert kappas[0] < 0.99  # the model still changed after its first new labels
    # status --check follows the recommendation: 0 while labeling pays off, 3 to stop
    assert checks == [3 if s["stop"]["recommended"] else 0 for s in statuses]
    assert checks[0] == 0 and checks[-1] == 3


def test_status_shows_the_learning_curve_and_draws_it(penguins_loop, tmp_path):
    project, _, trains, _, _ = penguins_loop
    plot = tmp_path / "curve.png"
    result = run_cli("-C", project, "status", "--plot", plot)
    assert result.exit_code == 0, result.stderr
    assert "learning curve" in result.stdout and "eval macro-F1" in result.stdout
    assert "stop labeling: recommended" in result.stdout
    data = plot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    assert imread(plot).shape[0] > 400  # a real image, not an empty file
    status = _json("-C", project, "status", "--plot", plot)
    assert set(status["plot_series"]) >= {
        "cross-validated macro-F1",
        "evaluation macro-F1",
        "evaluation macro-F1, 95% interval",
        "Adelie",
        "Chinstrap",
        "Gentoo",
    }
    assert [m["n_labels"] for m in status["models"]] == [t["n_labels"] for t in trains if not t["up_to_date"]]


def test_a_budget_recommends_stopping(penguins_project):
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text().replace("budget = 0", "budget = 6"))
    status = _json("-C", penguins_project, "status")
    assert status["stop"]["recommended"] and status["stop"]["signals"]["budget"]["met"]
    assert run_cli("-C", penguins_project, "status", "--check").exit_code == 3
    config.write_text(config.read_text().replace("budget = 6", "budget = 7"))
    assert run_cli("-C", penguins_project, "status", "--check").exit_code == 0


def test_import_labels_eval_marks_a_file_as_evaluation(trained_project, tmp_path):
    answers = tmp_path / "held-out.csv"
    answers.write_text("id,species\nr000010,Adelie\nr000200,Gentoo\nr000300,Chinstrap\n")
    imported = _json("-C", trained_project, "import-labels", answers, "--eval")
    assert imported["evaluation"] == 3
    train = _json("-C", trained_project, "train")
    assert train["n_labels"] == 6 and train["eval_metrics"]["n"] == 3
    # a row answered for evaluation is held out even if someone also answers it for training
    again = tmp_path / "again.csv"
    again.write_text("id,species\nr000010,Adelie\n")
    run_cli("-q", "-C", trained_project, "import-labels", again)
    assert _json("-C", trained_project, "train")["n_labels"] == 6


def test_eval_query_refuses_options_that_would_bias_it(trained_project):
    for extra, message in (
        (["--prefill"], "--eval and --prefill do not go together"),
        (["--strategy", "margin"], "--eval draws rows at random"),
    ):
        result = run_cli("-C", trained_project, "query", "--eval", "5", *extra)
        assert result.exit_code == 2 and message in result.stderr


def test_plot_needs_a_png_name_and_a_model(penguins_project, tmp_path):
    result = run_cli("-C", penguins_project, "status", "--plot", tmp_path / "curve.jpg")
    assert result.exit_code == 2 and "name a .png file" in result.stderr
    result = run_cli("-C", penguins_project, "status", "--plot", tmp_path / "curve.png")
    assert result.exit_code == 1 and "no model yet" in result.stderr
    assert not (tmp_path / "curve.png").exists()


def test_movie_reviews_report_evaluation_metrics_and_keep_labeling_early(tmp_path):
    project = tmp_path / "reviews"
    answers = SAMPLE / "movie_reviews_answers.csv"
    run_cli(
        "-q",
        "init",
        project,
        "--data",
        SAMPLE / "movie_reviews.csv",
        "--label-column",
        "sentiment",
        "--text-columns",
        "text",
    )
    run_cli("-q", "-C", project, "train")
    _eval_set(project, 60, answers)
    trains = [_round(project, 20, answers) for _ in range(3)]
    for t in trains:
        assert t["eval_metrics"]["n"] == 60
    assert any(t["eval_metrics"]["f1_macro"] != t["cv_metrics"]["f1_macro"] for t in trains if t["cv_metrics"])
    status = _json("-C", project, "status", "--plot", tmp_path / "reviews.png")
    assert not status["stop"]["recommended"], status["stop"]  # a few rounds of text are far from converged
    assert (tmp_path / "reviews.png").read_bytes()[:4] == b"\x89PNG"
    assert run_cli("-C", project, "status", "--check").exit_code == 0


# --- the metrics themselves -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_metrics_match_scikit_learn():
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        precision_score,
        recall_score,
    )

    rng = np.random.default_rng(0)
    for _ in range(20):
        y_true = rng.choice(["a", "b", "c"], 50)
        y_pred = np.where(rng.random(50) < 0.7, y_true, rng.choice(["a", "b", "c", "d"], 50))
        ours = classification_metrics(y_true, y_pred)
        assert ours["accuracy"] == round(accuracy_score(y_true, y_pred), 4)
        assert ours["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred), abs=1e-4)
        assert ours["f1_macro"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-4)
        labels = sorted(set(y_true) | set(y_pred))
        precision = precision_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        for label, p, r in zip(labels, precision, recall, strict=True):
            assert ours["per_class"][label]["precision"] == pytest.approx(p, abs=1e-4)
            assert ours["per_class"][label]["recall"] == pytest.approx(r, abs=1e-4)


def test_intervals_narrow_as_the_evaluation_set_grows_and_cover_perfect_scores():
    rng = np.random.default_rng(1)
    widths = []
    for n in (20, 80, 320):
        y_true = rng.choice(["a", "b"], n)
        y_pred = np.where(rng.random(n) < 0.8, y_true, np.where(y_true == "a", "b", "a"))
        e = evaluate(y_true, y_pred, seed=0)
        widths.append([e["ci95"][m][1] - e["ci95"][m][0] for m in ("accuracy", "balanced_accuracy", "f1_macro")])
    assert all(np.diff(np.array(widths), axis=0).ravel() < 0)
    perfect = evaluate(["a", "b"] * 10, ["a", "b"] * 10)
    assert perfect["f1_macro"] == 1.0 and perfect["ci95"]["f1_macro"][0] < 1.0  # 20 labels prove less than 100%
    assert wilson_interval(20, 20)[0] == perfect["ci95"]["accuracy"][0]


# --- found in review: what counts as an evaluation answer ------------------------------------------


def test_rows_released_from_an_evaluation_batch_and_offered_again_are_training_labels(
    trained_project,
):
    eval_batch = trained_project / run_cli("-q", "-C", trained_project, "query", "--eval", "40").stdout.strip()
    run_cli("-q", "-C", trained_project, "query", "--release", "all")
    batch = (
        trained_project
        / run_cli("-q", "-C", trained_project, "query", "-n", "60", "--strategy", "random").stdout.strip()
    )
    again = set(read_batch_ids(batch)) & set(read_batch_ids(eval_batch))
    assert again, "released evaluation rows return to the pool"
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    imported = _json("-C", trained_project, "import-labels", batch)
    assert imported["labels"] == 60 and imported["evaluation"] == 0
    assert _json("-C", trained_project, "train")["n_labels"] == 66
    # the evaluation file answered after all still gives evaluation labels, for the rows nobody else answered
    fill_batch(eval_batch, SAMPLE / "penguins_answers.csv")
    assert _json("-C", trained_project, "import-labels", eval_batch)["evaluation"] == 40


def test_a_plain_file_correcting_an_evaluation_label_corrects_it(trained_project, tmp_path):
    first, fix = tmp_path / "ev.csv", tmp_path / "fix.csv"
    first.write_text("id,species\nr000001,Chinstrap\nr000200,Gentoo\n")  # r000001 is an Adelie
    run_cli("-q", "-C", trained_project, "import-labels", first, "--eval")
    before = _json("-C", trained_project, "train")["eval_metrics"]
    fix.write_text("id,species\nr000001,Adelie\n")
    imported = _json("-C", trained_project, "import-labels", fix)
    assert imported["evaluation"] == 1 and imported["corrections"] == 1
    after = _json("-C", trained_project, "train")
    assert after["n_labels"] == 6 and after["reevaluated"]
    assert after["eval_metrics"]["per_class"]["Adelie"]["support"] == 1
    assert before["per_class"].get("Adelie", {"support": 0})["support"] == 0


def test_eval_on_a_file_imported_before_as_training_labels_says_how(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000010,Adelie\n")
    run_cli("-q", "-C", trained_project, "import-labels", answers)
    result = run_cli("-C", trained_project, "import-labels", answers, "--eval")
    assert result.exit_code == 1
    assert "was imported before as training labels (import-0002)" in result.stderr
    assert "import-labels --revert import-0002" in result.stderr


def test_eval_takes_no_n_and_a_usage_error_is_one_json_document(trained_project):
    result = run_cli("-C", trained_project, "query", "--eval", "5", "-n", "12")
    assert result.exit_code == 2 and "it takes no -n" in result.stderr
    for args in (["query", "--eval", "0"], ["status", "--plot", "curve.jpg"]):
        result = run_cli("-C", trained_project, *args, "--json")
        assert result.exit_code == 2
        assert json.loads(result.stdout)["exit_code"] == 2  # exactly one document (json.loads refuses two)


def test_status_counts_the_evaluation_set_and_pending_eval_batches_do_not_hold_back_cron(
    trained_project,
):
    run_cli("-q", "-C", trained_project, "query", "--eval", "10")
    text = run_cli("-C", trained_project, "status").stdout
    assert "pool 344 rows: 6 labeled, 0 skipped, 338 unlabeled" in text  # nothing answered yet
    written = _json("-C", trained_project, "query", "-n", "5", "--if-none-pending")
    assert written["batch"] == "batch-0002", "an open evaluation batch does not hold back a training batch"
    held = _json("-C", trained_project, "query", "-n", "5", "--if-none-pending")
    assert held["batch"] is None and held["pending"] == ["batch-0002"]


def test_status_line_shows_the_evaluation_set(trained_project):
    batch = trained_project / run_cli("-q", "-C", trained_project, "query", "--eval", "10").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    run_cli("-q", "-C", trained_project, "import-labels", batch)
    text = run_cli("-C", trained_project, "status").stdout
    assert "pool 344 rows: 6 labeled, 0 skipped, 10 in the evaluation set (10 labeled), 328 unlabeled" in text
