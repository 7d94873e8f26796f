"""train: what it fits on, and the roles and columns of activelearn.toml it checks first."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..conftest import SAMPLE, run_cli, snapshot
from .conftest import _per_class_lines
from .test_errors import assert_clean_failure

# --- roles set by hand in activelearn.toml ------------------------------------------------------


def _review_project(tmp_path: Path, comments: list[str]) -> Path:
    """40 rows: a numeric 'size', a 'comment' column of the given cells, 8 labels."""
    data = tmp_path / "d.csv"
    pd.DataFrame(
        {
            "size": [i % 9 * 1.5 for i in range(40)],
            "comment": comments,
            "label": [["good", "bad"][i % 2] if i < 8 else "" for i in range(40)],
        }
    ).to_csv(data, index=False)
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    return project


def _set_role(project: Path, column: str, role: str) -> None:
    config = project / "activelearn.toml"
    lines = [
        f'{column} = "{role}"' if line.split("=")[0].strip() == column else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")


def test_numeric_role_on_a_text_column_is_an_error(tmp_path):
    comments = [f"comment number {i} about the stay" for i in range(40)]
    comments[0] = ""  # empty cells are missing values, not text
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")
    message = (
        "activelearn.toml: column 'comment' is numeric but row r000002 holds 'comment number 1 about the stay' "
        "(39 of 39 cells are not numbers); make it text or categorical"
    )
    for command in (["train"], ["query", "-n", "2"]):
        before = snapshot(project)
        result = run_cli("-C", project, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1,
            "",
            f"error: {project}/{message}\n",
        )
        assert snapshot(project) == before
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stdout) == (
        1,
        f"problem: activelearn.toml: {message} (fix the role in activelearn.toml)\n",
    )


def test_a_few_typos_in_a_numeric_column_are_a_warning(tmp_path):
    comments = ["12,5" if i == 4 else str(i * 3) for i in range(39)] + ["NA"]
    project = _review_project(tmp_path, comments)
    _set_role(project, "comment", "numeric")  # inferred otherwise: '12,5' is not a number
    result = run_cli("-C", project, "train")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: {project}/activelearn.toml: column 'comment' is numeric but 1 of 39 cells are not numbers "
        "(row r000005 holds '12,5'); they count as missing values\n"
    )


def test_a_pool_column_left_out_of_columns_is_named(tmp_path):
    project = _review_project(tmp_path, [f"comment number {i} about the stay" for i in range(40)])
    config = project / "activelearn.toml"
    config.write_text("\n".join(x for x in config.read_text().splitlines() if not x.startswith("comment ")) + "\n")
    warning = (
        "warning: column 'comment' of the pool has no role in activelearn.toml [columns]; "
        'add `comment = "ignore"` to leave it out on purpose\n'
    )
    result = run_cli("-C", project, "train")
    assert (result.exit_code, result.stderr) == (0, warning)
    result = run_cli("-C", project, "verify")
    assert (result.exit_code, result.stderr) == (0, warning)
    assert result.stdout.startswith("ok: checked")


# --- per-class precision and recall -------------------------------------------------------------


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
    from activelearn.model_files import load_model

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


def test_a_text_column_with_no_words_among_the_labels(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("txt,num,label\n,1,a\n,2,b\n,1.5,a\n,2.5,b\nsome words,3,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data, "--text-columns", "txt")
    run_cli("-q", "-C", tmp_path / "p", "config", "set", "features.text", "tfidf")  # embeddings take empty texts
    before = snapshot(tmp_path / "p")
    result = run_cli("-C", tmp_path / "p", "train")
    assert_clean_failure(result, 1, "the text column 'txt' has no words in the 4 rows the model is fitted on")
    assert snapshot(tmp_path / "p") == before


def test_a_number_column_set_to_embedding(trained_project):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('year              = "numeric"', 'year = "embedding"'))
    result = run_cli("-C", trained_project, "train", "--force")
    assert_clean_failure(result, 1, "[columns] 'year' is 'embedding' but holds 2007, not a list of numbers")
