"""import-labels, as issue 11 found it: answers lost, honest evaluation and agreement, messages, options."""

from __future__ import annotations

import json

import pytest

from activelearn.labels import current_labels, read_label_log, without_reverted

from .conftest import SAMPLE, fill_batch, run_cli, snapshot
from .test_errors import assert_clean_failure

ANSWERS = SAMPLE / "penguins_answers.csv"


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _status(project):
    return _json(run_cli("-C", project, "status", "--json"))


def _current(project) -> dict[str, str]:
    """id -> current training label, as train resolves it."""
    state = json.loads((project / "state.json").read_text())
    log = without_reverted(read_label_log(project / "data" / "labels.parquet"), state["reverted_imports"])
    current = current_labels(log)
    return dict(zip(current["id"], current["label"], strict=True))


@pytest.fixture
def imported(trained_project, tmp_path):
    """The trained penguins project with one import (import-0002) of two answers."""
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,Gentoo\n")
    assert run_cli("-q", "-C", trained_project, "import-labels", answers).exit_code == 0
    return trained_project


# --- 1. --revert --dry-run, options that do not apply to --revert, --revert 9 ----------------------


def test_revert_dry_run_changes_nothing_and_says_what_it_would_do(imported, tmp_path):
    before = snapshot(imported)
    human = run_cli("-C", imported, "import-labels", "--revert", "import-0002", "--dry-run")
    assert (human.exit_code, human.stderr) == (0, "")
    assert human.stdout == "would revert import-0002: 2 answers would no longer count\n"
    document = _json(run_cli("-C", imported, "import-labels", "--revert", "import-0002", "--dry-run", "--json"))
    assert document == {"import_id": "import-0002", "answers": 2, "files": [str((tmp_path / "a.csv").resolve())],
                        "warnings": [], "dry_run": True}
    assert snapshot(imported) == before
    assert _status(imported)["labeled"] == 8


def test_revert_accepts_the_number_alone(imported):
    result = run_cli("-C", imported, "import-labels", "--revert", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "reverted import-0002: 2 answers no longer count\n"
    assert _status(imported)["labeled"] == 6


@pytest.mark.parametrize("extra, option", [
    (["--eval"], "--eval"), (["--annotator", "dave"], "--annotator"),
])
def test_options_that_do_not_apply_to_revert_are_usage_errors(imported, extra, option):
    before = snapshot(imported)
    assert_clean_failure(
        run_cli("-C", imported, "import-labels", "--revert", "import-0002", *extra), 2,
        f"error: --revert does not take {option}: it takes back an import that already happened",
    )
    assert snapshot(imported) == before
    document = json.loads(run_cli("-C", imported, "import-labels", "--revert", "2", *extra, "--json").stdout)
    assert document["exit_code"] == 2 and option in document["error"]
    assert snapshot(imported) == before


# --- 2. an answer changed, then changed back ------------------------------------------------------


def test_an_answer_changed_and_changed_back_is_changed_back(trained_project, tmp_path):
    answers = tmp_path / "answers.csv"
    first = "id,species\nr000300,Gentoo\nr000301,Adelie\n"
    answers.write_text(first)
    assert run_cli("-C", trained_project, "import-labels", answers).stdout == "imported 2 labels from 1 file (import-0002)\n"
    answers.write_text("id,species\nr000300,Chinstrap\nr000301,Adelie\n")
    second = run_cli("-C", trained_project, "import-labels", answers)
    assert second.stdout == "imported 1 label from 1 file (import-0003); 1 of them correcting an earlier answer, 1 unchanged\n"
    answers.write_text(first)  # the same bytes as the first import
    third = run_cli("-C", trained_project, "import-labels", answers)
    assert (third.exit_code, third.stderr) == (0, "")
    assert third.stdout == "imported 1 label from 1 file (import-0004); 1 of them correcting an earlier answer, 1 unchanged\n"
    assert _current(trained_project)["r000300"] == "Gentoo"
    before = snapshot(trained_project)
    again = run_cli("-C", trained_project, "import-labels", answers)
    assert again.stdout == "imported 0 labels from 1 file; 1 file already imported\n"
    assert snapshot(trained_project) == before


def test_an_inbox_reads_a_file_edited_back_and_skips_files_unchanged_since_imported(trained_project, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = "id,species\nr000300,Gentoo\nr000301,Adelie\n"
    (inbox / "a.csv").write_text(first)
    run_cli("-q", "-C", trained_project, "import-labels", inbox)
    (inbox / "a.csv").write_text("id,species\nr000300,Chinstrap\nr000301,Adelie\n")
    run_cli("-q", "-C", trained_project, "import-labels", inbox)
    (inbox / "a.csv").write_text(first)  # edited back: the bytes of import-0002, not those last imported from it
    back = run_cli("-C", trained_project, "import-labels", inbox)
    assert back.stdout == "imported 1 label from 1 file (import-0004); 1 of them correcting an earlier answer, 1 unchanged\n"
    assert _current(trained_project)["r000300"] == "Gentoo"
    # another file corrects the row: a.csv, unchanged since it was imported, does not undo that
    (inbox / "b.csv").write_text("id,species\nr000300,Chinstrap\n")
    fix = run_cli("-C", trained_project, "import-labels", inbox)
    assert fix.stdout == ("imported 1 label from 2 files (import-0005); 1 of them correcting an earlier answer, "
                          "1 file already imported\n")
    # 8. a re-run of the inbox counts the files it skipped
    before = snapshot(trained_project)
    rerun = run_cli("-C", trained_project, "import-labels", inbox)
    assert (rerun.exit_code, rerun.stderr) == (0, "")
    assert rerun.stdout == "imported 0 labels from 2 files; 2 files already imported\n"
    assert snapshot(trained_project) == before
    assert _current(trained_project)["r000300"] == "Chinstrap"
    # a copy of a file imported from elsewhere, dropped into the inbox, is not read again
    (inbox / "copy.csv").write_text(first)
    assert run_cli("-C", trained_project, "import-labels", inbox).stdout == (
        "imported 0 labels from 3 files; 3 files already imported\n")
    assert _current(trained_project)["r000300"] == "Chinstrap"
