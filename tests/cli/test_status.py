"""status: what it counts and says about the labels, the models and when to stop."""

from __future__ import annotations

import json

import pytest

from ..conftest import SAMPLE, fill_batch, run_cli
from .conftest import _ok, _per_class_lines


def test_status_counts_answers_given_not_rows_logged_again_unchanged(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,Adelie\nr000302,Adelie\n")
    _ok(run_cli("-q", "-C", trained_project, "import-labels", answers))
    answers.write_text("id,species\nr000300,Chinstrap\nr000301,Adelie\nr000302,Adelie\nr000303,Gentoo\n")
    again = _ok(run_cli("-C", trained_project, "import-labels", answers))
    assert again.stdout == (
        "imported 2 labels from 1 file (import-0003); 1 of them correcting an earlier answer, 2 unchanged\n"
    )
    status = json.loads(_ok(run_cli("-C", trained_project, "status", "--json")).stdout)
    # 6 from init, 4 rows answered since by one annotator: 10 answers; since the model 4 new, 1 correction
    assert (status["labeled"], status["answers"], status["answers_since_model"]) == (10, 10, 5)
    human = _ok(run_cli("-C", trained_project, "status")).stdout
    assert "10 answers from anonymous, init\n" in human
    assert "5 answers since the last model: run `activelearn train`\n" in human
    _ok(run_cli("-q", "-C", trained_project, "train"))
    _ok(run_cli("-q", "-C", trained_project, "import-labels", answers, "--force"))  # 4 rows logged again, unchanged
    status = json.loads(_ok(run_cli("-C", trained_project, "status", "--json")).stdout)
    assert (status["answers"], status["answers_since_model"], status["model_up_to_date"]) == (
        10,
        0,
        True,
    )


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


def test_status_prints_the_sparkline_on_the_fixed_scale(evaluated_project):
    project = evaluated_project
    status = json.loads(run_cli("-C", project, "status", "--json").stdout)
    curve = [m["eval_metrics"]["f1_macro"] for m in status["models"]]
    text = run_cli("-C", project, "status").stdout
    line = next(line for line in text.splitlines() if line.startswith("eval macro-F1 "))
    bars = "".join("▁▂▃▄▅▆▇█"[min(7, int(v * 8))] for v in curve)
    assert line == f"eval macro-F1 {bars}  {curve[0]:.3f} -> {curve[-1]:.3f} (scale 0-1)"


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


def test_status_sees_corrections_as_changes(trained_project, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text("id,species\nr000300,Adelie\n")
    second.write_text("id,species\nr000300,Gentoo\n")
    run_cli("-C", trained_project, "import-labels", first)
    run_cli("-C", trained_project, "train")
    run_cli("-C", trained_project, "import-labels", second)  # a correction: the label count stays
    status = json.loads(run_cli("-C", trained_project, "status", "--json").stdout)
    assert (status["labeled"], status["answers_since_model"], status["model_up_to_date"]) == (
        7,
        1,
        False,
    )
    assert "1 answer since the last model: run `activelearn train`" in run_cli("-C", trained_project, "status").stdout
