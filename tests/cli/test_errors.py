"""Every error class: its exit code, its one-line message, and nothing changed on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filelock import FileLock

from ..conftest import SAMPLE, fill_batch, run_cli, snapshot


def assert_clean_failure(result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert result.exception is None, result.exception
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]


def assert_unchanged(project: Path, result, code: int, message: str) -> None:
    before = snapshot(project)
    assert_clean_failure(result(), code, message)
    assert snapshot(project) == before


# --- init ----------------------------------------------------------------------------------------


def _init_fails(tmp_path: Path, args: list, code: int, message: str) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("init", tmp_path / "proj", *args)
    assert_clean_failure(result, code, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "init left something behind"


def test_init_missing_data_file(tmp_path):
    _init_fails(tmp_path, ["--data", tmp_path / "nope.csv"], 1, "nope.csv: no such file")


def test_init_unknown_label_column(tmp_path):
    _init_fails(
        tmp_path,
        ["--data", SAMPLE / "penguins.csv", "--label-column", "specis"],
        1,
        "penguins.csv: no label column 'specis' (did you mean 'species'?)",
    )


def test_init_unknown_id_column(tmp_path):
    _init_fails(
        tmp_path,
        [
            "--data",
            SAMPLE / "penguins.csv",
            "--label-column",
            "species",
            "--id-column",
            "island_id",
        ],
        1,
        "no column 'island_id' (did you mean 'island'?)",
    )


def test_init_duplicate_ids(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("key,x,label\na,1,yes\nb,2,no\na,3,\n")
    _init_fails(
        tmp_path,
        ["--data", data, "--id-column", "key"],
        1,
        "d.csv row 4: id 'a' is also in row 2; ids must be unique",
    )


def test_init_empty_id(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("key,x,label\na,1,yes\n,2,no\n")
    _init_fails(
        tmp_path,
        ["--data", data, "--id-column", "key"],
        1,
        "d.csv row 3: the id column 'key' is empty",
    )


def test_init_no_rows(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n")
    _init_fails(tmp_path, ["--data", data], 1, "d.csv: has no rows")


def test_init_unreadable_file(tmp_path):
    data = tmp_path / "d.parquet"
    data.write_bytes(b"not parquet at all")
    _init_fails(tmp_path, ["--data", data], 1, "d.parquet: cannot read as parquet")


def test_init_corrupt_spreadsheet(tmp_path):
    data = tmp_path / "d.xls"
    data.write_bytes(b"\xd0\xcf\x11\xe0 and then nothing a workbook has")
    _init_fails(tmp_path, ["--data", data], 1, "d.xls: cannot read as spreadsheet")


def test_init_no_labels_and_no_classes(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1,\n2,\n")
    _init_fails(
        tmp_path,
        ["--data", data],
        1,
        "has no labels yet, so the classes are unknown; name them with --classes a,b,c",
    )


def test_init_label_not_in_classes(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1,cat\n2,dgo\n")
    _init_fails(
        tmp_path,
        ["--data", data, "--classes", "cat,dog"],
        1,
        "d.csv row 3: label 'dgo' is not a class (did you mean 'dog'? classes: cat, dog)",
    )


def test_init_into_non_empty_directory(tmp_path):
    target = tmp_path / "proj"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = run_cli("init", target, "--data", SAMPLE / "penguins.csv")
    assert_clean_failure(result, 1, "proj: directory not empty")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_init_unknown_model_is_a_usage_error(tmp_path):
    _init_fails(
        tmp_path,
        ["--data", SAMPLE / "penguins.csv", "--model", "logistics"],
        2,
        "--model 'logistics' is not a model (did you mean 'logistic'?)",
    )


def test_id_and_label_column_must_differ(tmp_path):
    _init_fails(
        tmp_path,
        ["--data", SAMPLE / "penguins.csv", "--label-column", "species", "--id-column", "species"],
        2,
        "--id-column and --label-column both name 'species'; they must differ",
    )


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run_cli("init", tmp_path / "p", "--data", SAMPLE / "penguins.csv", "--colour", "red")
    assert result.exit_code == 2
    assert "No such option: --colour" in result.stderr
    assert not (tmp_path / "p").exists()


# --- finding the project, config and state --------------------------------------------------------


def test_outside_a_project(tmp_path):
    result = run_cli("-C", tmp_path, "train")
    assert_clean_failure(
        result,
        1,
        f"not an activelearn project: no activelearn.toml in {tmp_path.resolve()} or any parent",
    )


def test_missing_C_directory(tmp_path):
    result = run_cli("-C", tmp_path / "nowhere", "status")
    assert_clean_failure(result, 2, "nowhere: no such file or directory")


def test_unknown_config_key_says_did_you_mean(penguins_project):
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text().replace("batch_size = 20", "batchsize = 20"))
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "query"),
        1,
        "activelearn.toml: unknown key 'batchsize' in [query] (did you mean 'batch_size'?)",
    )


def test_unknown_role(penguins_project):
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text().replace('island            = "categorical"', 'island = "categorial"'))
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "train"),
        1,
        "[columns] island = 'categorial' is not a role (did you mean 'categorical'?)",
    )


def test_config_names_a_column_the_pool_lacks(penguins_project):
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text().replace("island ", "islands"))
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "train"),
        1,
        "[columns] 'islands' is not a column of the pool (did you mean 'island'?)",
    )


def test_invalid_toml(penguins_project):
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text() + "\n[query\n")
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "train"),
        1,
        "activelearn.toml: not valid TOML",
    )


def test_corrupt_state(penguins_project):
    (penguins_project / "state.json").write_text('{"schema_version": 1, "created": ')
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "query"),
        1,
        "state.json: not valid JSON",
    )


def test_state_from_a_newer_activelearn(penguins_project):
    state_file = penguins_project / "state.json"
    state = json.loads(state_file.read_text())
    state["schema_version"] = 99
    state_file.write_text(json.dumps(state))
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "status"),
        1,
        "schema_version 99 is newer than this activelearn understands (2); upgrade activelearn",
    )


def test_tampered_model_is_not_loaded(trained_project):
    model = trained_project / "models" / "model-0001.skops"
    model.write_bytes(model.read_bytes() + b"\0")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "query"),
        1,
        "model-0001.skops: model 1 has changed since activelearn wrote it and will not be loaded",
    )


# --- train, query ---------------------------------------------------------------------------------


def test_train_with_one_class(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1,cat\n2,cat\n3,\n")
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--classes", "cat,dog").exit_code == 0
    assert_unchanged(
        tmp_path / "p",
        lambda: run_cli("-C", tmp_path / "p", "train"),
        1,
        "training needs labels of at least 2 classes; found only 'cat'",
    )


def test_query_when_every_row_is_taken(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,label\n1,cat\n2,dog\n3,cat\n4,dog\n")
    assert run_cli("-q", "init", tmp_path / "p", "--data", data).exit_code == 0
    assert_unchanged(
        tmp_path / "p",
        lambda: run_cli("-C", tmp_path / "p", "query"),
        1,
        "nothing to query: every row of the pool is labeled or waiting in a pending batch",
    )


def test_query_bad_n_and_bad_strategy(penguins_project):
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "query", "-n", "0"),
        2,
        "-n must be at least 1, not 0",
    )
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "query", "--strategy", "margins"),
        2,
        "--strategy 'margins' is not a strategy (did you mean 'margin'?)",
    )


def test_query_out_exists(penguins_project, tmp_path):
    taken = tmp_path / "taken.csv"
    taken.write_text("mine")
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "query", "--out", taken),
        1,
        "taken.csv: already exists; choose another --out",
    )
    assert taken.read_text() == "mine"


# --- import-labels --------------------------------------------------------------------------------


@pytest.fixture
def batch(trained_project) -> Path:
    result = run_cli("-C", trained_project, "query", "-n", "5")
    assert result.exit_code == 0, result.stderr
    return trained_project / result.stdout.strip()


def _edit_batch(batch: Path, row: int, column: int, value: str) -> None:
    lines = batch.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[row - 1].split(",")
    cells[column] = value
    lines[row - 1] = ",".join(cells)
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def test_import_unknown_label(trained_project, batch):
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    _edit_batch(batch, 3, 1, "Chinstrep")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", batch),
        1,
        f"{batch} row 3: label 'Chinstrep' is not a class (did you mean 'Chinstrap'? classes: Adelie, Chinstrap, Gentoo)",
    )


def test_import_unknown_id(trained_project, batch):
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    _edit_batch(batch, 2, 0, "r999999")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", batch),
        1,
        f"{batch} row 2: id 'r999999' is not in the pool",
    )


def test_import_id_mangled_to_scientific_notation(trained_project, tmp_path):
    answers = tmp_path / "old.csv"
    answers.write_text("id,species\n1.23457E+15,Adelie\n")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", answers),
        1,
        "id '1.23457E+15' is not in the pool (a spreadsheet turned a long number into scientific notation",
    )


def test_import_file_without_label_column(trained_project, tmp_path):
    answers = tmp_path / "old.csv"
    answers.write_text("id,kind\nr000001,Adelie\n")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", answers),
        1,
        "old.csv: no 'species' column (found: id, kind)",
    )


def test_import_conflicting_answers_in_one_file(trained_project, tmp_path):
    answers = tmp_path / "two.csv"
    answers.write_text("id,species\nr000010,Adelie\nr000010,Gentoo\n")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", answers),
        1,
        "two.csv row 3: id 'r000010' is answered again with 'Gentoo' (row 2 says 'Adelie')",
    )


def test_import_one_bad_file_among_good_imports_nothing(trained_project, batch, tmp_path):
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,species\nr000010,Penguin\n")
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", batch, bad),
        1,
        "bad.csv row 2: label 'Penguin' is not a class",
    )


def test_import_missing_file(trained_project):
    assert_unchanged(
        trained_project,
        lambda: run_cli("-C", trained_project, "import-labels", "nothere.csv"),
        1,
        "nothere.csv: no such file or folder",
    )


# --- the lock ------------------------------------------------------------------------------------


# import-labels reads its files before taking the lock (a missing one is refused first): a real one
@pytest.mark.parametrize("command", [["train"], ["query"], ["import-labels", SAMPLE / "penguins_answers.csv"]])
def test_lock_held_exits_75(trained_project, command):
    with FileLock(trained_project / ".activelearn.lock"):
        assert_unchanged(
            trained_project,
            lambda: run_cli("-C", trained_project, *command, "--wait", "0.2"),
            75,
            "another activelearn command holds the project lock (waited 0.2s; try again later, or pass --wait SECONDS)",
        )


def test_status_does_not_need_the_lock(trained_project):
    with FileLock(trained_project / ".activelearn.lock"):
        assert run_cli("-C", trained_project, "status").exit_code == 0


def test_json_errors_are_one_json_document(tmp_path):
    result = run_cli("-C", tmp_path, "status", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": f"not an activelearn project: no activelearn.toml in {tmp_path.resolve()} or any parent "
        "(create one with `activelearn init DIR --data FILE`, or point to one with -C DIR)",
        "exit_code": 1,
    }


# --- found by a third review ---------------------------------------------------------------------


def test_negative_seed(tmp_path, penguins_project):
    _init_fails(
        tmp_path,
        ["--data", SAMPLE / "penguins.csv", "--seed", "-5"],
        2,
        "--seed must be 0 or more, not -5",
    )
    config = penguins_project / "activelearn.toml"
    config.write_text(config.read_text().replace("seed = 0", "seed = -1"))
    assert_unchanged(
        penguins_project,
        lambda: run_cli("-C", penguins_project, "train"),
        1,
        "[project] seed must be 0 or more, not -1",
    )


def test_edited_id_column(trained_project):
    config = trained_project / "activelearn.toml"
    config.write_text(config.read_text().replace('id_column = "id"', 'id_column = "key"'))
    for command in ("train", "query"):
        assert_unchanged(
            trained_project,
            lambda: run_cli("-C", trained_project, command),
            1,
            "[data] id_column 'key' is not a column of the pool",
        )


def test_simulate_option_errors(tmp_path):
    data = SAMPLE / "penguins_labeled.csv"
    taken = tmp_path / "taken"
    taken.write_text("a file")
    for args, message in (
        (["--jobs", "0"], "--jobs must not be 0"),
        (["--out", taken], "is a file; simulate writes a folder"),
        (
            ["--test-size", "0.999", "--initial", "2", "--budget", "5"],
            "leaves no rows to train or to test on",
        ),
        (["--seed", "-1"], "--seed must be 0 or more"),
    ):
        result = run_cli("simulate", data, "--label-column", "species", *args)
        assert_clean_failure(result, 2, message)
    assert taken.read_text() == "a file"


def test_dask_scheduler_that_is_not_an_address(trained_project):
    pytest.importorskip("distributed")
    assert_unchanged(
        trained_project,
        lambda: run_cli(
            "-C",
            trained_project,
            "query",
            "--engine",
            "dask",
            "--scheduler",
            "foo",
            "--strategy",
            "margin",
        ),
        1,
        "--scheduler foo: cannot reach the Dask scheduler",
    )


def test_json_on_usage_errors_and_a_missing_directory(tmp_path):
    import subprocess
    import sys

    activelearn = str(Path(sys.executable).parent / "activelearn")
    bad_option = subprocess.run([activelearn, "status", "--json", "--colour"], capture_output=True, text=True)
    assert bad_option.returncode == 2 and json.loads(bad_option.stdout)["exit_code"] == 2
    missing = run_cli("-C", tmp_path / "nowhere", "status", "--json")
    assert missing.exit_code == 2 and json.loads(missing.stdout)["exit_code"] == 2


# --- disk full, read-only ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["train", "--force"], ["query", "-n", "3"], ["import-labels", "IMPORT"]])
def test_a_full_disk_leaves_the_project_as_it_was(trained_project, tmp_path, monkeypatch, command):
    import errno
    import os

    import activelearn.storage

    answers = tmp_path / "a.csv"
    answers.write_text("id,species\nr000300,Gentoo\n")
    command = [str(answers) if c == "IMPORT" else c for c in command]

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(activelearn.storage.os, "replace", full)
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, *command)
    assert_clean_failure(
        result,
        1,
        "cannot write it (no space left on device); nothing was changed, the previous version is intact",
    )
    monkeypatch.undo()
    after = snapshot(trained_project)
    # an orphan file written before state.json (a model, a batch) may stay; nothing the project names changed
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) <= {"models/model-0002.skops", "batches/batch-0001.csv"}


def test_init_where_nothing_can_be_written(tmp_path, monkeypatch):
    import errno
    import os
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    _init_fails(
        tmp_path,
        ["--data", SAMPLE / "penguins.csv"],
        1,
        "cannot create the project there (read-only file system)",
    )


def test_a_relative_C_directory_that_is_not_there_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("-C", "nosuch", "status")
    assert_clean_failure(result, 2, f"error: -C nosuch: no such file or directory (looked in {tmp_path})")
