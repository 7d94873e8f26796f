"""Writing batch files: XLSX workbooks people fill in, never overwriting one, rewriting a lost one."""

from __future__ import annotations

import json

from .conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_an_eval_batch_says_it_was_drawn_at_random_for_the_evaluation_set(trained_project):
    result = run_cli("-C", trained_project, "query", "--eval", "5")
    assert result.exit_code == 0
    assert result.stdout == "batches/eval-0001.csv\n"
    assert result.stderr == "eval-0001: 5 rows drawn uniformly at random for the evaluation set from 338 unlabeled rows\n"
    report = _json(run_cli("-C", trained_project, "query", "--eval", "5", "--json"))
    assert report == {
        "batch": "eval-0002", "file": "batches/eval-0002.csv", "rows": 5, "strategy": "random",
        "model_version": None, "candidates": 333, "warnings": [], "pending": [], "evaluation": True,
    }


def test_a_batch_by_the_model_still_names_its_strategy_and_model(trained_project):
    result = run_cli("-C", trained_project, "query", "-n", "5")
    assert result.stderr == "batch-0001: 5 rows by diverse (model 1) from 338 unlabeled rows\n"


def test_query_never_overwrites_a_batch_file_that_state_json_does_not_know(trained_project):
    backup = (trained_project / "state.json").read_bytes()
    first = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    filled_path = trained_project / first["file"]
    fill_batch(filled_path, SAMPLE / "penguins_answers.csv")
    filled = filled_path.read_bytes()
    (trained_project / "state.json").write_bytes(backup)  # restored from a backup, as errors suggest

    result = run_cli("-C", trained_project, "query", "-n", "5")
    assert result.exit_code == 0
    assert result.stdout == "batches/batch-0002.csv\n"
    assert result.stderr == (
        "warning: batches/batch-0001.csv is not a batch state.json knows (was state.json restored from a "
        "backup?); left it untouched and named this batch batch-0002\n"
        "batch-0002: 5 rows by diverse (model 1) from 338 unlabeled rows\n"
    )
    assert filled_path.read_bytes() == filled
    # the next batch takes the next number: batch-0002 is recorded now
    assert _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))["batch"] == "batch-0003"
    # and the filled file's answers are not lost
    imported = _json(run_cli("-C", trained_project, "import-labels", filled_path, "--json"))
    assert imported["labels"] == 5


def test_query_skips_a_name_another_extension_of_it_holds(trained_project):
    (trained_project / "batches").mkdir(exist_ok=True)
    (trained_project / "batches" / "batch-0001.xlsx").write_bytes(b"someone's answers")
    report = _json(run_cli("-C", trained_project, "query", "-n", "5", "--json"))
    assert (report["batch"], report["file"]) == ("batch-0002", "batches/batch-0002.csv")
    assert report["warnings"] == [
        "batches/batch-0001.xlsx is not a batch state.json knows (was state.json restored from a backup?); "
        "left it untouched and named this batch batch-0002"
    ]
    assert (trained_project / "batches" / "batch-0001.xlsx").read_bytes() == b"someone's answers"
    assert len(read_batch_ids(trained_project / report["file"])) == 5
