"""import-labels: the import rules of docs/SPEC.md, reverts, evaluation answers, annotators, messages and options."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from activelearn.labels import LabelLog, current_labels, read_label_log
from activelearn.storage import sha256_file

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot
from .conftest import MANGLED_BOM, NOT_A_TABLE, _csv, _json, _ok, _status
from .test_errors import assert_clean_failure, assert_unchanged

ANSWERS = SAMPLE / "penguins_answers.csv"


@pytest.fixture
def batch(trained_project):
    result = run_cli("-C", trained_project, "query", "-n", "6")
    assert result.exit_code == 0, result.stderr
    return trained_project / result.stdout.strip()


def test_answers_are_logged_with_who_when_where_and_batch(trained_project, batch):
    fill_batch(batch, ANSWERS)
    result = run_cli("-C", trained_project, "import-labels", batch, "--annotator", "ana", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["labels"], report["skips"], report["unanswered"], report["import_id"]) == (
        6,
        0,
        0,
        "import-0002",
    )
    log = read_label_log(trained_project / "data" / "labels.parquet")
    new = log[log["import_id"] == "import-0002"]
    assert new["id"].tolist() == read_batch_ids(batch)
    assert set(new["annotator"]) == {"ana"}
    assert set(new["batch"]) == {"batch-0001"}
    assert set(new["source_sha256"]) == {sha256_file(batch)}
    assert new["time"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
    assert _status(trained_project)["pending_batches"] == []


def test_same_file_twice_changes_nothing(trained_project, batch):
    fill_batch(batch, ANSWERS)
    assert run_cli("-C", trained_project, "import-labels", batch).exit_code == 0
    before = snapshot(trained_project)
    again = run_cli("-C", trained_project, "import-labels", batch)
    assert again.exit_code == 0
    assert again.stdout == "imported 0 labels; 1 file already imported\n"
    assert snapshot(trained_project) == before


def test_a_resaved_copy_confirms_the_answers_and_changes_no_label(trained_project, batch, tmp_path):
    fill_batch(batch, ANSWERS)
    assert run_cli("-C", trained_project, "import-labels", batch).exit_code == 0
    assert run_cli("-C", trained_project, "train").stdout.startswith("model 2:")
    copy = tmp_path / "copy.csv"
    copy.write_text(batch.read_text(encoding="utf-8-sig").replace("\r\n", "\n"), encoding="utf-8")
    result = run_cli("-C", trained_project, "import-labels", copy)
    assert result.stdout == "imported 0 labels (import-0003); 6 unchanged, 1 file unchanged\n"
    # logged again, so that reverting import-0002 would not take these answers away
    assert len(read_label_log(trained_project / "data" / "labels.parquet")) == 18
    status = _status(trained_project)
    assert status["labeled"] == 12 and status["model_up_to_date"] is True


def test_partial_file_leaves_the_rest_pending(trained_project, batch):
    fill_batch(batch, ANSWERS, only=4)
    result = run_cli("-C", trained_project, "import-labels", batch)
    assert result.stdout == "imported 4 labels from 1 file (import-0002); 2 unanswered (still pending)\n"
    pending = _status(trained_project)["pending_batches"]
    assert [(b["name"], b["answered"], b["outstanding"]) for b in pending] == [("batch-0001", 4, 2)]
    # the rest, answered later in the same file, completes the batch
    fill_batch(batch, ANSWERS)
    assert run_cli("-C", trained_project, "import-labels", batch).stdout.startswith("imported 2 labels")
    assert _status(trained_project)["pending_batches"] == []


def test_case_and_white_space_match_classes_and_skip_is_recorded(trained_project, batch):
    fill_batch(batch, ANSWERS, transform=lambda label: f"  {label.upper()}\u00a0")
    lines = batch.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(",")
    cells[1] = "Skip"
    lines[1] = ",".join(cells)
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = run_cli("-C", trained_project, "import-labels", batch, "--json")
    report = json.loads(result.stdout)
    assert (report["labels"], report["skips"]) == (5, 1)
    status = _status(trained_project)
    assert status["skipped"] == 1 and status["labeled"] == 6 + 5
    log = read_label_log(trained_project / "data" / "labels.parquet")
    assert set(log["answer"]) <= {"Adelie", "Chinstrap", "Gentoo", "Skip"}


def test_skipped_rows_are_not_trained_on_nor_offered_again(trained_project, batch):
    fill_batch(batch, ANSWERS, transform=lambda label: "skip")
    run_cli("-C", trained_project, "import-labels", batch)
    trained = json.loads(run_cli("-C", trained_project, "train", "--json").stdout)
    assert trained["up_to_date"] is True and trained["n_labels"] == 6  # skips change no training data
    skipped = set(read_batch_ids(batch))
    for _ in range(3):
        result = run_cli("-C", trained_project, "query", "-n", "30")
        assert not skipped & set(read_batch_ids(trained_project / result.stdout.strip()))


def test_any_file_with_id_and_label_columns_imports(trained_project, tmp_path):
    old = tmp_path / "old-spreadsheet.csv"
    old.write_text(
        "notes;species;id\nlooked twice;Gentoo;r000300\n;adelie;r000002\n;;r000003\n",
        encoding="cp1252",
    )
    result = run_cli("-C", trained_project, "import-labels", old, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["labels"], report["unanswered"]) == (2, 1)
    log = read_label_log(trained_project / "data" / "labels.parquet")
    assert log.loc[log["id"] == "r000002", "batch"].isna().all()


def test_annotator_column_wins_over_the_option(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species,annotator\nr000300,Gentoo,bo\nr000002,Adelie,\n")
    run_cli("-C", trained_project, "import-labels", answers, "--annotator", "cy")
    log = read_label_log(trained_project / "data" / "labels.parquet").set_index("id")
    assert log.loc["r000300", "annotator"] == "bo" and log.loc["r000002", "annotator"] == "cy"


def test_a_folder_imports_every_file_not_imported_before(trained_project, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.csv").write_text("id,species\nr000300,Gentoo\n")
    (inbox / "notes.md").write_text("not a label file")
    assert run_cli("-C", trained_project, "import-labels", inbox).stdout.startswith("imported 1 label from 1 file")
    (inbox / "two.csv").write_text("id,species\nr000301,Gentoo\n")
    again = run_cli("-C", trained_project, "import-labels", inbox, "--json")
    files = [(f["file"], f["status"]) for f in json.loads(again.stdout)["files"]]
    assert files == [
        (str(inbox / "one.csv"), "already imported"),
        (str(inbox / "two.csv"), "imported"),
    ]


def test_xlsx_answers_import(trained_project, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "species"])
    book.active.append(["r000300", "gentoo"])
    book.active.append(["r000002", None])
    book.save(tmp_path / "answers.xlsx")
    result = run_cli("-C", trained_project, "import-labels", tmp_path / "answers.xlsx")
    assert result.stdout == "imported 1 label from 1 file (import-0002); 1 unanswered (still pending)\n"


def test_a_later_answer_by_the_same_annotator_corrects_the_earlier(trained_project, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text("id,species\nr000300,Adelie\n")
    second.write_text("id,species\nr000300,Gentoo\n")
    run_cli("-C", trained_project, "import-labels", first)
    run_cli("-C", trained_project, "import-labels", second)
    assert _status(trained_project)["labels_per_class"] == {
        "Adelie": 2,
        "Chinstrap": 2,
        "Gentoo": 3,
    }


def test_the_project_is_found_from_a_subdirectory(trained_project, monkeypatch):
    inside = trained_project / "batches"
    monkeypatch.chdir(inside)
    result = run_cli("status", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["project"] == str(trained_project.resolve())


def test_wait_gets_the_lock_once_it_is_free(trained_project, tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
            "lock.acquire(); print('held', flush=True); time.sleep(1); lock.release()",
            str(trained_project / ".activelearn.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"  # another process holds the lock for a second
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\n")
    result = run_cli("-C", trained_project, "import-labels", answers, "--wait", "30")
    holder.wait(timeout=30)
    assert result.exit_code == 0, result.stderr


def test_custom_skip_values(trained_project, tmp_path):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('skip_values = ["skip"]', 'skip_values = ["skip", "?", "unsure"]'))
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Unsure\nr000301,?\n")
    report = json.loads(run_cli("-C", trained_project, "import-labels", answers, "--json").stdout)
    assert (report["labels"], report["skips"]) == (0, 2)


def test_verbose_names_each_file_and_quiet_says_nothing(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,\n")
    loud = run_cli("-v", "-C", trained_project, "import-labels", answers, "--dry-run")
    assert f"{answers}: would import, 1 label, 0 skips, 0 unchanged, 1 unanswered" in loud.stderr
    quiet = run_cli("-q", "-C", trained_project, "import-labels", answers)
    assert quiet.stderr == "" and quiet.stdout.startswith("imported 1 label")


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


def test_an_unknown_class_at_import_says_how_to_add_one(tmp_path):
    data = _csv(
        tmp_path / "d.csv",
        "x,label",
        [f"{i % 6},{['a', 'b', 'c', ''][i % 4] if i < 12 else ''}" for i in range(40)],
    )
    project = tmp_path / "p"
    assert run_cli("-q", "init", project, "--data", data).exit_code == 0
    assert run_cli("-q", "-C", project, "query", "-n", "2").exit_code == 0
    batch = project / "batches" / "batch-0001.csv"
    rows = list(csv.reader(batch.open(encoding="utf-8-sig")))
    rows[1][1] = "d"
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    before = snapshot(project)
    result = run_cli("-C", project, "import-labels", batch)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {batch} row 2: label 'd' is not a class (classes: a, b, c); to add a class, add it to "
        "[data] classes in activelearn.toml\n"
    )
    assert snapshot(project) == before


def _current(project) -> dict[str, str]:
    """id -> current training label, as train resolves it."""
    state = json.loads((project / "state.json").read_text())
    log = LabelLog.of(read_label_log(project / "data" / "labels.parquet"), state["reverted_imports"]).counted
    current = current_labels(log)
    return dict(zip(current["id"], current["label"], strict=True))


@pytest.fixture
def imported(trained_project, tmp_path):
    """The trained penguins project with one import (import-0002) of two answers."""
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,Gentoo\n")
    assert run_cli("-q", "-C", trained_project, "import-labels", answers).exit_code == 0
    return trained_project


# --- --revert --dry-run, options that do not apply to --revert, --revert 9 -------------------------


def test_revert_dry_run_changes_nothing_and_says_what_it_would_do(imported, tmp_path):
    before = snapshot(imported)
    human = run_cli("-C", imported, "import-labels", "--revert", "import-0002", "--dry-run")
    assert (human.exit_code, human.stderr) == (0, "")
    assert human.stdout == "would revert import-0002: 2 answers would no longer count\n"
    document = _json(run_cli("-C", imported, "import-labels", "--revert", "import-0002", "--dry-run", "--json"))
    assert document == {
        "import_id": "import-0002",
        "answers": 2,
        "files": [str((tmp_path / "a.csv").resolve())],
        "warnings": [],
        "dry_run": True,
    }
    assert snapshot(imported) == before
    assert _status(imported)["labeled"] == 8


def test_revert_accepts_the_number_alone(imported):
    result = run_cli("-C", imported, "import-labels", "--revert", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "reverted import-0002: 2 answers no longer count\n"
    assert _status(imported)["labeled"] == 6


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--eval"], "--eval"),
        (["--annotator", "dave"], "--annotator"),
        (["--force"], "--force"),
        (["--partial"], "--partial"),
        (["--id-column", "key"], "--id-column"),
        (["--label-column", "x"], "--label-column"),
    ],
)
def test_options_that_do_not_apply_to_revert_are_usage_errors(imported, extra, option):
    before = snapshot(imported)
    assert_clean_failure(
        run_cli("-C", imported, "import-labels", "--revert", "import-0002", *extra),
        2,
        f"error: --revert does not take {option}: it takes back an import that already happened",
    )
    document = json.loads(run_cli("-C", imported, "import-labels", "--revert", "2", *extra, "--json").stdout)
    assert document["exit_code"] == 2 and option in document["error"]
    assert snapshot(imported) == before


# --- an answer changed, then changed back ---------------------------------------------------------


def test_an_answer_changed_and_changed_back_is_changed_back(trained_project, tmp_path):
    answers = tmp_path / "answers.csv"
    first = "id,species\nr000300,Gentoo\nr000301,Adelie\n"
    answers.write_text(first)
    assert (
        run_cli("-C", trained_project, "import-labels", answers).stdout
        == "imported 2 labels from 1 file (import-0002)\n"
    )
    answers.write_text("id,species\nr000300,Chinstrap\nr000301,Adelie\n")
    second = run_cli("-C", trained_project, "import-labels", answers)
    assert (
        second.stdout
        == "imported 1 label from 1 file (import-0003); 1 of them correcting an earlier answer, 1 unchanged\n"
    )
    answers.write_text(first)  # the same bytes as the first import
    third = run_cli("-C", trained_project, "import-labels", answers)
    assert (third.exit_code, third.stderr) == (0, "")
    assert (
        third.stdout
        == "imported 1 label from 1 file (import-0004); 1 of them correcting an earlier answer, 1 unchanged\n"
    )
    assert _current(trained_project)["r000300"] == "Gentoo"
    before = snapshot(trained_project)
    again = run_cli("-C", trained_project, "import-labels", answers)
    assert again.stdout == "imported 0 labels; 1 file already imported\n"
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
    assert (
        back.stdout
        == "imported 1 label from 1 file (import-0004); 1 of them correcting an earlier answer, 1 unchanged\n"
    )
    assert _current(trained_project)["r000300"] == "Gentoo"
    # another file corrects the row: a.csv, unchanged since it was imported, does not undo that
    (inbox / "b.csv").write_text("id,species\nr000300,Chinstrap\n")
    fix = run_cli("-C", trained_project, "import-labels", inbox)
    assert fix.stdout == (
        "imported 1 label from 1 file (import-0005); 1 of them correcting an earlier answer, 1 file already imported\n"
    )
    # 8. a re-run of the inbox counts the files it skipped
    before = snapshot(trained_project)
    rerun = run_cli("-C", trained_project, "import-labels", inbox)
    assert (rerun.exit_code, rerun.stderr) == (0, "")
    assert rerun.stdout == "imported 0 labels; 2 files already imported\n"
    assert snapshot(trained_project) == before
    assert _current(trained_project)["r000300"] == "Chinstrap"
    # a copy of a file imported from elsewhere, dropped into the inbox, is not read again
    (inbox / "copy.csv").write_text(first)
    assert run_cli("-C", trained_project, "import-labels", inbox).stdout == (
        "imported 0 labels; 3 files already imported\n"
    )
    assert _current(trained_project)["r000300"] == "Chinstrap"


# --- --eval refuses a batch the model chose -------------------------------------------------------


def test_eval_refuses_a_batch_the_model_chose(trained_project, tmp_path):
    batch = trained_project / run_cli("-C", trained_project, "query", "-n", "5").stdout.strip()
    fill_batch(batch, ANSWERS)
    before = snapshot(trained_project)
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", batch, "--eval"),
        1,
        f"error: {batch}: batch-0001 was chosen by strategy diverse, not at random, so its answers would bias "
        "the evaluation set; draw evaluation rows at random with `activelearn query --eval N`, or import this file without --eval",
    )
    renamed = tmp_path / "my answers.csv"  # the same rows under another name
    renamed.write_bytes(batch.read_bytes())
    assert_clean_failure(
        run_cli("-C", trained_project, "import-labels", renamed, "--eval"),
        1,
        f"error: {renamed}: batch-0001 was chosen by strategy diverse, not at random",
    )
    assert snapshot(trained_project) == before
    # an evaluation batch, and a file of other rows, may be imported with --eval
    eval_batch = trained_project / run_cli("-C", trained_project, "query", "--eval", "4").stdout.strip()
    fill_batch(eval_batch, ANSWERS)
    assert _json(run_cli("-C", trained_project, "import-labels", eval_batch, "--eval", "--json"))["evaluation"] == 4


def test_eval_accepts_a_batch_drawn_at_random(trained_project):
    batch = trained_project / run_cli("-C", trained_project, "query", "-n", "5", "--strategy", "random").stdout.strip()
    fill_batch(batch, ANSWERS)
    result = run_cli("-C", trained_project, "import-labels", batch, "--eval")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "imported 5 labels from 1 file (import-0002); 5 of them for evaluation (never trained on)\n"


# --- one person, imported with and without --annotator ---------------------------------------------


@pytest.fixture
def batch_by_dave(trained_project):
    batch = trained_project / run_cli("-C", trained_project, "query", "-n", "4").stdout.strip()
    fill_batch(batch, ANSWERS)
    assert run_cli("-q", "-C", trained_project, "import-labels", batch, "--annotator", "dave").exit_code == 0
    return batch


def _relabel_first_row(batch):
    lines = batch.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(",")
    cells[1] = {"Adelie": "Gentoo"}.get(cells[1], "Adelie")
    lines[1] = ",".join(cells)
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def test_an_import_without_annotator_keeps_the_annotator_of_the_batch(trained_project, batch_by_dave):
    _relabel_first_row(batch_by_dave)
    result = run_cli("-C", trained_project, "import-labels", batch_by_dave)
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {batch_by_dave}: no --annotator and no annotator column; recorded as 'dave', who answered "
        "batch-0001 before (pass --annotator to say otherwise)\n"
    )
    assert (
        result.stdout
        == "imported 1 label from 1 file (import-0003); 1 of them correcting an earlier answer, 3 unchanged\n"
    )
    status = _status(trained_project)
    assert status["annotators"] == ["dave", "init"]  # init's labels are by "init"
    assert status["agreement"]["rows_answered_by_several"] == 0


def test_an_import_without_annotator_of_a_batch_several_answered_is_refused(trained_project, batch_by_dave):
    run_cli("-q", "-C", trained_project, "import-labels", batch_by_dave, "--annotator", "erin")
    _relabel_first_row(batch_by_dave)
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", batch_by_dave),
        1,
        f"error: {batch_by_dave}: batch-0001 was answered by dave and erin; say who answered this file with --annotator NAME",
    )


def test_naming_an_annotator_for_rows_answered_anonymously_warns(trained_project):
    batch = trained_project / run_cli("-C", trained_project, "query", "-n", "4").stdout.strip()
    fill_batch(batch, ANSWERS)
    run_cli("-q", "-C", trained_project, "import-labels", batch)
    result = run_cli("-C", trained_project, "import-labels", batch, "--annotator", "dave")
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {batch}: 4 of these rows were imported before without an annotator (as 'anonymous', "
        "import-0002); if that was dave too, take it back with `activelearn import-labels --revert import-0002`, "
        "so that one person does not count as two annotators\n"
    )


# --- a dry run says "would import" everywhere -------------------------------------------------------


def test_a_dry_run_says_would_import_per_file_too(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\nr000301,\n")
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, "import-labels", answers, "--dry-run")
    assert (result.exit_code, result.stdout) == (
        0,
        "would import 1 label from 1 file; 1 unanswered (still pending)\n",
    )
    assert result.stderr == f"{answers}: would import, 1 label, 0 skips, 0 unchanged, 1 unanswered\n"
    document = _json(run_cli("-C", trained_project, "import-labels", answers, "--dry-run", "--json"))
    assert [f["status"] for f in document["files"]] == ["would import"]
    assert snapshot(trained_project) == before


# --- every problem listed under -v and --json; long cells shortened ------------------------------


@pytest.fixture
def bad_labels(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,species\n" + "".join(f"r{300 + i:06d},Penguin{i}\n" for i in range(25)))
    return path


def test_the_default_error_names_the_first_problem_in_one_line(trained_project, bad_labels):
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", bad_labels),
        1,
        f"error: {bad_labels} row 2: label 'Penguin0' is not a class (classes: Adelie, Chinstrap, Gentoo); to add a class, add it to [data] classes in activelearn.toml "
        "(and 24 more problems: -v lists them)",
    )


def test_verbose_and_json_list_every_problem_up_to_twenty(trained_project, bad_labels):
    loud = run_cli("-v", "-C", trained_project, "import-labels", bad_labels)
    assert (loud.exit_code, loud.stdout) == (1, "")
    lines = loud.stderr.splitlines()
    assert lines[0].startswith(f"error: {bad_labels} row 2: label 'Penguin0' is not a class")
    assert lines[1:] == [
        f"  {bad_labels} row {i + 2}: label 'Penguin{i}' is not a class (classes: Adelie, Chinstrap, Gentoo); to add a class, add it to [data] classes in activelearn.toml"
        for i in range(20)
    ] + ["  and 5 more"]
    document = json.loads(run_cli("-C", trained_project, "import-labels", bad_labels, "--json").stdout)
    assert document["exit_code"] == 1 and document["error"] == lines[0].removeprefix("error: ")
    assert document["problems"] == [line.strip() for line in lines[1:21]]
    assert document["problems_not_listed"] == 5


def test_a_huge_label_cell_is_shortened_in_the_error(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300," + "x" * 180_000 + "\n")
    result = run_cli("-C", trained_project, "import-labels", answers)
    assert_clean_failure(
        result,
        1,
        f"error: {answers} row 2: label '{'x' * 60}…' (180,000 characters) is not a class (classes: ",
    )
    assert len(result.stderr) < 300


def test_a_huge_id_cell_is_shortened_in_the_error(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\n" + "7" * 5000 + ",Adelie\n")
    result = run_cli("-C", trained_project, "import-labels", answers)
    assert_clean_failure(result, 1, f"error: {answers} row 2: id '{'7' * 60}…' (5,000 characters) is not in the pool")
    assert len(result.stderr) < 400


# --- --id-column, --label-column, --force, --partial -------------------------------------------------


def test_id_and_label_columns_map_another_tools_file(trained_project, tmp_path):
    other = tmp_path / "export.csv"
    other.write_text("item,answer,species\nr000300,Gentoo,Adelie\nr000301,chinstrap,\n")
    result = run_cli(
        "-C",
        trained_project,
        "import-labels",
        other,
        "--id-column",
        "item",
        "--label-column",
        "answer",
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "imported 2 labels from 1 file (import-0002)\n"
    assert {k: _current(trained_project)[k] for k in ("r000300", "r000301")} == {
        "r000300": "Gentoo",
        "r000301": "Chinstrap",
    }
    before = snapshot(trained_project)
    assert_clean_failure(
        run_cli(
            "-C",
            trained_project,
            "import-labels",
            other,
            "--id-column",
            "item",
            "--label-column",
            "verdict",
        ),
        1,
        f"error: {other}: no 'verdict' column (found: item, answer, species)",
    )
    assert_clean_failure(
        run_cli(
            "-C",
            trained_project,
            "import-labels",
            other,
            "--id-column",
            "item",
            "--label-column",
            "item",
        ),
        2,
        "error: --id-column and --label-column name the same column 'item'",
    )
    assert snapshot(trained_project) == before


def test_force_logs_a_file_again_as_a_new_import(imported, tmp_path):
    answers = tmp_path / "a.csv"
    assert run_cli("-C", imported, "import-labels", answers).stdout == "imported 0 labels; 1 file already imported\n"
    forced = run_cli("-C", imported, "import-labels", answers, "--force")
    assert (forced.exit_code, forced.stderr) == (0, "")
    assert forced.stdout == "imported 0 labels (import-0003); 2 unchanged, 1 file unchanged\n"
    # its answers now belong to import-0003 as well: reverting import-0002 keeps them
    run_cli("-q", "-C", imported, "import-labels", "--revert", "import-0002")
    assert _status(imported)["labeled"] == 8


def test_force_reads_every_file_of_a_folder(imported, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "b.csv").write_text("id,species\nr000302,Adelie\n")
    run_cli("-q", "-C", imported, "import-labels", inbox)
    assert run_cli("-C", imported, "import-labels", inbox, "--force").stdout == (
        "imported 0 labels (import-0004); 1 unchanged, 1 file unchanged\n"
    )


def test_partial_imports_the_good_rows_and_names_each_bad_one(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text(
        "id,species\nr000300,Gentoo\nr000301,Penguin\nr999999,Adelie\nr000302,Adelie\nr000303,Adelie\nr000303,Gentoo\n"
    )
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", answers),
        1,
        f"error: {answers} row 3: label 'Penguin' is not a class (classes: Adelie, Chinstrap, Gentoo); to add a class, add it to [data] classes in activelearn.toml "
        "(and 2 more problems: -v lists them)",
    )
    result = run_cli("-C", trained_project, "import-labels", answers, "--partial")
    assert result.exit_code == 0
    assert result.stdout == "imported 2 labels from 1 file (import-0002); 4 bad rows left out (--partial)\n"
    assert result.stderr == (
        f"warning: left out {answers} row 3: label 'Penguin' is not a class (classes: Adelie, Chinstrap, Gentoo); to add a class, add it to [data] classes in activelearn.toml\n"
        f"warning: left out {answers} row 4: id 'r999999' is not in the pool\n"
        f"warning: left out {answers} row 7: id 'r000303' is answered again with 'Gentoo' (row 6 says 'Adelie'); "
        "keep one answer per id and annotator (both rows left out)\n"
    )
    current = _current(trained_project)
    assert (current["r000300"], current["r000302"], "r000303" in current) == (
        "Gentoo",
        "Adelie",
        False,
    )
    again = run_cli("-C", trained_project, "import-labels", answers, "--partial")
    assert (again.exit_code, again.stdout) == (0, "imported 0 labels; 1 file already imported\n")


def test_partial_with_no_good_row_is_an_error(trained_project, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000301,Penguin\n")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", answers, "--partial"),
        1,
        f"error: {answers} row 2: label 'Penguin' is not a class",
    )


def test_a_revert_of_one_answer_says_it_in_the_singular(trained_project, tmp_path):
    answers = tmp_path / "one.csv"
    answers.write_text("id,species\nr000300,Gentoo\n")
    assert run_cli("-q", "-C", trained_project, "import-labels", answers).exit_code == 0
    assert run_cli("-C", trained_project, "import-labels", "--revert", "2", "--dry-run").stdout == (
        "would revert import-0002: 1 answer would no longer count\n"
    )
    assert run_cli("-C", trained_project, "import-labels", "--revert", "2").stdout == (
        "reverted import-0002: 1 answer no longer counts\n"
    )


def test_a_long_id_that_fits_no_batch_id_says_it_lost_precision(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(
        "tweet_id,x,label\n"
        + "\n".join(f"{675125408803774464 + 10**9 * i},{i},{'ab'[i] if i < 2 else ''}" for i in range(12))
        + "\n"
    )
    project = tmp_path / "p"
    run_cli("-q", "init", project, "--data", data, "--id-column", "tweet_id")
    run_cli("-q", "-C", project, "query", "-n", "5")
    answers = tmp_path / "batch-0001.csv"
    answers.write_text("tweet_id,label\n685125408803774976,a\n")  # an XLSX number cell: a float's digits
    assert_unchanged(
        project,
        lambda: run_cli("-C", project, "import-labels", answers),
        1,
        f"{answers} row 2: id '685125408803774976' is not in the pool (a spreadsheet keeps 15 digits of a "
        "number, so a longer id loses its last digits; format the id column as text and copy the ids from the batch file)",
    )


# --- headers ------------------------------------------------------------------------------------------


@pytest.fixture
def deny_project(tmp_path) -> Path:
    """A project whose label column is `deny` and id column `app_id` (as in a mortgage table)."""
    data = tmp_path / "loans.csv"
    rows = [f"{1000 + i},{i % 5},{['yes', 'no'][i % 2] if i < 4 else ''}" for i in range(20)]
    data.write_text("app_id,income,deny\n" + "\n".join(rows) + "\n")
    project = tmp_path / "p"
    assert (
        run_cli("-q", "init", project, "--data", data, "--id-column", "app_id", "--label-column", "deny").exit_code == 0
    )
    return project


def test_headers_match_the_tool_columns_up_to_case_and_space(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("APP_ID , Deny ,Annotator\n1004,Yes,Ann\n1005,no,Ann\n")
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 2 labels from 1 file")
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"], log["annotator"]))[-2:] == [
        ("1004", "yes", "Ann"),
        ("1005", "no", "Ann"),
    ]


def test_a_missing_label_column_names_the_nearest_header(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,denied,income\n1004,yes,3\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers}: no 'deny' column (did you mean 'denied'?) (found: app_id, denied, income); "
        "the file needs the id column 'app_id' and the label column 'deny'",
    )


def test_two_headers_naming_the_same_column_are_an_error(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("app_id,Deny,DENY\n1004,yes,no\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers}: the columns 'Deny', 'DENY' all name the label column 'deny'; keep one of them",
    )


# --- byte-order marks -------------------------------------------------------------------------------


def test_a_mangled_bom_is_stripped_from_an_answer_workbook(deny_project, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([f"{MANGLED_BOM}app_id", "deny"])
    book.active.append(["1004", "yes"])
    book.save(tmp_path / "answers.xlsx")
    result = run_cli("-C", deny_project, "import-labels", tmp_path / "answers.xlsx")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 1 label from 1 file")


def test_a_bom_read_as_windows_1252_is_stripped_from_an_answer_csv(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_bytes(b"\xef\xbb\xbfapp_id,deny,note\n1004,yes,caf\xe9\n")  # not UTF-8: read as Windows-1252
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert result.exit_code == 0 and result.stdout.startswith("imported 1 label from 1 file")
    assert result.stderr == f"warning: {answers}: not valid UTF-8; read as Windows-1252\n"


# --- what a file is, and where it is broken: no library internals ------------------------------------


def _zip(path: Path, member: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, "hello")
    return path.read_bytes()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file (0 bytes)"),
        (b"\n\r\n\n", "no header row (the file holds only blank lines)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), f"looks like a PNG image, {NOT_A_TABLE}"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", f"looks like a JPEG image, {NOT_A_TABLE}"),
        (b"%PDF-1.7\n%\xe2\xe3", f"looks like a PDF document, {NOT_A_TABLE}"),
        (
            b"\x1f\x8b\x08\x00" + bytes(20),
            f"looks like a gzip archive (decompress it first), {NOT_A_TABLE}",
        ),
        ("zip:notes.txt", f"looks like a ZIP archive (extract it first), {NOT_A_TABLE}"),
        ("zip:word/document.xml", f"looks like a Word document, {NOT_A_TABLE}"),
        (
            b"app_id,deny\n1004,yes\n1005,no,x,y\n",
            "line 3: expected 2 fields, got 4; check the delimiters and quotes",
        ),
        (
            b"app_id,deny\n1004,caf\xe9\n1005,\x81\n",
            "line 3: byte 0x81 is neither UTF-8 nor Windows-1252 text; save the file as UTF-8",
        ),
    ],
)
def test_an_unreadable_answer_file_is_named_in_words(deny_project, tmp_path, content, message):
    answers = tmp_path / "answers.csv"
    if isinstance(content, str):
        content = _zip(tmp_path / "a.zip", content.removeprefix("zip:"))
    answers.write_bytes(content)
    before = snapshot(deny_project)
    where = f"{answers} " if message.startswith("line ") else f"{answers}: "
    assert_clean_failure(run_cli("-C", deny_project, "import-labels", answers), 1, where + message)
    assert snapshot(deny_project) == before


def test_old_mac_line_ends_are_read(deny_project, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_bytes(b"app_id,deny\r1004,yes\r1005,no\r")
    result = run_cli("-C", deny_project, "import-labels", answers)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("imported 2 labels from 1 file")


# --- Parquet and JSON Lines answer files --------------------------------------------------------------


def _answers_json(result) -> dict:
    import json

    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_parquet_answer_file_with_integer_ids_imports(deny_project, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    table = pa.table(
        {
            "app_id": pa.array([1004, 1005, 1006, 1007], pa.int64()),
            "deny": pa.array(["Yes", None, "skip", " no "]),
            "income": pa.array([1.5, None, 2.0, 3.0]),
        }
    )
    pq.write_table(table, inbox / "answers.parquet")
    result = _answers_json(run_cli("-C", deny_project, "import-labels", inbox, "--json"))
    assert (result["labels"], result["skips"], result["unanswered"]) == (2, 1, 1)
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"], log["kind"]))[-3:] == [
        ("1004", "yes", "label"),
        ("1006", "skip", "skip"),
        ("1007", "no", "label"),
    ]


def test_a_parquet_answer_file_names_its_rows(deny_project, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"app_id": [1004, 1005], "deny": ["yes", "maybe"]}), tmp_path / "a.parquet")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", tmp_path / "a.parquet"),
        1,
        f"{tmp_path / 'a.parquet'} row 2: label 'maybe' is not a class (classes: no, yes)",
    )


@pytest.mark.parametrize("suffix", ["jsonl", "ndjson"])
def test_a_json_lines_answer_file_imports(deny_project, tmp_path, suffix):
    answers = tmp_path / f"answers.{suffix}"
    answers.write_text(
        '{"app_id": 1004, "deny": "Yes", "note": {"seen": true}}\n'
        '{"app_id": "1005", "deny": ""}\n'
        "\n"
        '{"app_id": 1006, "deny": "skip"}\n'
        '{"app_id": 1007}\n'
    )
    result = _answers_json(run_cli("-C", deny_project, "import-labels", answers, "--json"))
    assert (result["labels"], result["skips"], result["unanswered"]) == (1, 1, 2)
    log = read_label_log(deny_project / "data" / "labels.parquet")
    assert list(zip(log["id"], log["answer"]))[-2:] == [("1004", "yes"), ("1006", "skip")]


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"app_id": 1005, "deny": "no"',
            "line 2: not valid JSON (Expecting ',' delimiter at column 30)",
        ),
        (
            '["1005", "no"]',
            'line 2: not a JSON object; each line needs one, as {"id": ..., "label": ...}',
        ),
        # a problem with a value names the row, as in every format: in JSON Lines, the line number
        (
            '{"app_id": 1005, "deny": "nope"}',
            "row 2: label 'nope' is not a class (did you mean 'no'? classes: no, yes)",
        ),
    ],
)
def test_a_bad_json_lines_answer_file_names_the_line(deny_project, tmp_path, line, message):
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"app_id": 1004, "deny": "yes"}\n' + line + "\n")
    assert_unchanged(
        deny_project,
        lambda: run_cli("-C", deny_project, "import-labels", answers),
        1,
        f"{answers} {message}",
    )


def test_a_data_column_named_row_imports(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("row,x,label\n1,0.1,a\n2,0.9,b\n3,0.2,\n4,0.8,\n")
    run_cli("-q", "init", tmp_path / "p", "--data", data)
    run_cli("-C", tmp_path / "p", "train")
    batch = tmp_path / "p" / run_cli("-C", tmp_path / "p", "query", "-n", "2").stdout.strip()
    text = batch.read_text(encoding="utf-8-sig").splitlines()
    batch.write_text("\n".join([text[0]] + [line.replace(",,", ",a,", 1) for line in text[1:]]) + "\n")
    result = run_cli("-C", tmp_path / "p", "import-labels", batch)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")


def test_two_annotators_answering_the_same_row_in_one_file_is_refused(trained_project, tmp_path):
    # one file is one vote per row (tests/system/test_attacks.py: it must not outvote a person)
    answers = tmp_path / "a.csv"
    answers.write_text("id,species,annotator\nr000015,Adelie,bob\nr000015,Gentoo,alice\nr000016,Adelie,bob\n")
    result = run_cli("-C", trained_project, "import-labels", answers, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == (
        f"{answers} row 3: id 'r000015' is answered again under annotator 'alice' (row 2: 'bob'); one file gives "
        "one answer per row, so that it cannot outvote the people who answered the row: put each person's answers "
        "in a file of their own"
    )


def test_a_workbook_needing_a_newer_zip_version_is_a_clean_error(trained_project, tmp_path):
    """Found by Hypothesis: zipfile raises NotImplementedError for an unknown 'version needed'."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "species"])
    book.active.append(["r000015", "Adelie"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    data = bytearray(good.read_bytes())
    central = data.find(b"PK\x01\x02")
    while central != -1:  # every central directory entry now claims to need zip version 6.4
        data[central + 6] = 64
        central = data.find(b"PK\x01\x02", central + 4)
    bad = tmp_path / "answers.csv"
    bad.write_bytes(bytes(data))
    before = snapshot(trained_project)
    assert_clean_failure(run_cli("-C", trained_project, "import-labels", bad), 1, "answers.csv: cannot read as XLSX")
    assert snapshot(trained_project) == before
