"""Counts the trial of issue 11 found wrong: import-labels' summary, status's answers, query --json's pending."""

from __future__ import annotations

import json
import shutil

from .conftest import SAMPLE, fill_batch, run_cli

ANSWERS = SAMPLE / "penguins_answers.csv"


def _ok(result):
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result


def _query(project, n: int):
    return project / _ok(run_cli("-q", "-C", project, "query", "-n", str(n))).stdout.strip()


def test_a_folder_import_counts_the_files_that_gave_answers_and_rows_answered_nowhere(trained_project, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # batch-0001 is answered through another file; its own file stays blank
    first = _query(trained_project, 4)
    elsewhere = tmp_path / "round4.csv"
    shutil.copy(first, elsewhere)
    fill_batch(elsewhere, ANSWERS)
    _ok(run_cli("-q", "-C", trained_project, "import-labels", elsewhere))
    shutil.copy(first, inbox / first.name)
    shutil.copy(elsewhere, inbox / "copy-of-round4.csv")  # imported before, from elsewhere
    (inbox / "notes.csv").write_text("id,species\n")
    second = _query(trained_project, 4)
    fill_batch(second, ANSWERS, only=3)  # one row truly still pending
    shutil.copy(second, inbox / second.name)
    result = _ok(run_cli("-C", trained_project, "import-labels", inbox))
    assert result.stdout == (
        "imported 3 labels from 1 file (import-0003); 1 unanswered (still pending), "
        "1 file already imported, 2 files with no answers\n"
    )
    document = json.loads(
        run_cli("-C", trained_project, "import-labels", inbox, "--force", "--dry-run", "--json").stdout
    )
    assert document["unanswered"] == 1
    assert {f["file"].rsplit("/", 1)[-1]: f["unanswered"] for f in document["files"]} == {
        "batch-0001.csv": 0,
        "batch-0002.csv": 1,
        "copy-of-round4.csv": 0,
        "notes.csv": 0,
    }
    again = _ok(run_cli("-C", trained_project, "import-labels", inbox))
    assert again.stdout == "imported 0 labels; 2 files already imported, 2 files with no answers\n"


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


def test_the_evaluation_count_counts_only_the_new_answers(penguins_project, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("doc,answer\nr000300,Gentoo\n")
    _ok(
        run_cli(
            "-q",
            "-C",
            penguins_project,
            "import-labels",
            first,
            "--eval",
            "--id-column",
            "doc",
            "--label-column",
            "answer",
        )
    )
    other = tmp_path / "other_tool.csv"
    other.write_text("doc,answer\nr000300,Gentoo\nr000301,Adelie\nr000302,Chinstrap\n")
    args = (
        "-C",
        penguins_project,
        "import-labels",
        other,
        "--eval",
        "--id-column",
        "doc",
        "--label-column",
        "answer",
    )
    document = json.loads(_ok(run_cli(*args, "--dry-run", "--json")).stdout)
    assert (document["labels"], document["evaluation"], document["unchanged"]) == (2, 2, 1)
    assert [(f["labels"], f["evaluation"], f["unchanged"]) for f in document["files"]] == [(2, 2, 1)]
    result = _ok(run_cli(*args))
    assert result.stdout == (
        "imported 2 labels from 1 file (import-0003); 2 of them for evaluation (never trained on), 1 unchanged\n"
    )


def test_query_json_names_the_batches_still_waiting_for_answers(trained_project):
    first = json.loads(_ok(run_cli("-C", trained_project, "query", "-n", "3", "--json")).stdout)
    assert (first["batch"], first["pending"]) == ("batch-0001", [])
    second = json.loads(_ok(run_cli("-C", trained_project, "query", "-n", "3", "--json")).stdout)
    assert (second["batch"], second["pending"]) == ("batch-0002", ["batch-0001"])
    evaluation = json.loads(_ok(run_cli("-C", trained_project, "query", "--eval", "3", "--json")).stdout)
    assert (evaluation["batch"], evaluation["pending"]) == (
        "eval-0003",
        ["batch-0001", "batch-0002"],
    )
