"""import-labels: the SPEC's import rules in their basic form."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from activelearn.labels import read_label_log
from activelearn.storage import sha256_file

from ..conftest import SAMPLE, fill_batch, read_batch_ids, run_cli, snapshot
from .conftest import _csv, _ok

ANSWERS = SAMPLE / "penguins_answers.csv"


@pytest.fixture
def batch(trained_project):
    result = run_cli("-C", trained_project, "query", "-n", "6")
    assert result.exit_code == 0, result.stderr
    return trained_project / result.stdout.strip()


def _status(project):
    return json.loads(run_cli("-C", project, "status", "--json").stdout)


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
