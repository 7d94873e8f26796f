"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from activelearn.labels import read_label_log, write_label_log

from ..conftest import SAMPLE, run_cli, snapshot  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================

ACTIVELEARN = [sys.executable, "-m", "activelearn"]


def _answers(path: Path, ids: range, species: str, annotator: str) -> set[tuple[str, str, str]]:
    """An answer file for rows `ids`; returns the (id, label, annotator) triples it holds."""
    rows = {(f"r{i:06d}", species, annotator) for i in ids}
    path.write_text("id,species,annotator\n" + "".join(f"{i},{s},{a}\n" for i, s, a in sorted(rows)))
    return rows


def _logged(project: Path) -> set[tuple[str, str, str]]:
    log = read_label_log(project / "data" / "labels.parquet")
    return set(zip(log["id"], log["answer"], log["annotator"], strict=True))


def _race_during_import(project: Path, tmp_path: Path, monkeypatch, attack) -> tuple:
    """Import file A in-process; just before it commits, `attack` the lock file and run an import
    of file B in a real process. Returns (A's run, B's process, A's labels, B's labels)."""
    from activelearn.ops import importing

    a_rows = _answers(tmp_path / "a.csv", range(300, 305), "Gentoo", "alice")
    b_rows = _answers(tmp_path / "b.csv", range(310, 315), "Adelie", "bob")
    commit = importing.write_label_log
    second = {}

    def racing_commit(path, log):
        attack(project / ".activelearn.lock")
        second["b"] = subprocess.run([*ACTIVELEARN, "-C", project, "import-labels", tmp_path / "b.csv"],
                                     capture_output=True, text=True, timeout=120)
        commit(path, log)

    monkeypatch.setattr(importing, "write_label_log", racing_commit)
    a = run_cli("-C", project, "import-labels", tmp_path / "a.csv")
    return a, second["b"], a_rows, b_rows


def _delete(lock: Path) -> None:
    lock.unlink()


def _replace(lock: Path) -> None:
    """A new file (a new inode) where the lock file was, as `cp` or an editor's save would leave."""
    fresh = lock.with_name("fresh.lock")
    fresh.write_text("")
    os.replace(fresh, lock)


@pytest.mark.parametrize("attack", [_delete, _replace], ids=["deleted", "replaced"])
def test_a_stolen_lock_file_lets_no_second_import_in(trained_project, tmp_path, monkeypatch, attack):
    a, b, a_rows, b_rows = _race_during_import(trained_project, tmp_path, monkeypatch, attack)
    acknowledged = (a_rows if a.exit_code == 0 else set()) | (b_rows if b.returncode == 0 else set())
    assert acknowledged <= _logged(trained_project), "an import said `imported` and its labels are gone"
    assert (a.exit_code, a.stderr) == (0, "")
    assert a.stdout.startswith("imported 5 labels")
    assert (b.returncode, b.stdout) == (75, "")
    assert b.stderr == (f"error: {trained_project}: another activelearn command holds the project lock "
                        "(try again later, or pass --wait SECONDS)\n")
    again = run_cli("-C", trained_project, "import-labels", tmp_path / "b.csv")  # once A is done, B goes in
    assert again.exit_code == 0, again.stderr
    assert a_rows | b_rows <= _logged(trained_project)
    assert run_cli("-C", trained_project, "verify").exit_code == 0





def test_an_import_that_could_not_lock_the_folder_refuses_to_write_over_another(trained_project, tmp_path, monkeypatch):
    """Where the folder cannot be locked (Windows, a network file system), a deleted lock file
    still lets a second import in: then compare-and-swap makes the first one refuse."""
    from activelearn import project as project_module

    monkeypatch.setattr(project_module, "_lock_folder", lambda paths, deadline, wait: None)
    a, b, a_rows, b_rows = _race_during_import(trained_project, tmp_path, monkeypatch, _delete)
    acknowledged = (a_rows if a.exit_code == 0 else set()) | (b_rows if b.returncode == 0 else set())
    assert acknowledged <= _logged(trained_project), "an import said `imported` and its labels are gone"
    assert (b.returncode, b.stderr) == (0, "") and b.stdout.startswith("imported 5 labels")
    assert (a.exit_code, a.stdout) == (75, "")
    assert a.stderr == f"error: {trained_project}: another command changed the project; nothing was written\n"
    assert not a_rows & _logged(trained_project)
    again = run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv")  # run again, it goes in
    assert again.exit_code == 0, again.stderr
    assert a_rows | b_rows <= _logged(trained_project)


def _edit_state(project: Path) -> None:
    """Another writer's change to state.json: a batch released (as `query --release` would)."""
    state = json.loads((project / "state.json").read_text())
    state["batches"][0]["released"] = "2026-01-01T00:00:00+00:00"
    (project / "state.json").write_text(json.dumps(state, indent=2))


@pytest.mark.parametrize("when", ["before the batch file", "before state.json"])
def test_query_refuses_to_write_over_a_state_that_changed_since_it_read_it(trained_project, monkeypatch, when):
    from activelearn.ops import querying

    assert run_cli("-C", trained_project, "query", "-n", "3").exit_code == 0
    patched = "write_batch" if when == "before the batch file" else "save_state"
    original = getattr(querying, patched)

    def changed_meanwhile(*args):
        _edit_state(trained_project)
        before["files"] = snapshot(trained_project)
        before["files"].pop("batches/batch-0002.csv", None)  # written, before state.json: taken back
        return original(*args)

    before = {}
    monkeypatch.setattr(querying, patched, changed_meanwhile)
    result = run_cli("-C", trained_project, "query", "-n", "3")
    assert (result.exit_code, result.stdout) == (75, "")
    assert result.stderr == f"error: {trained_project}: another command changed the project; nothing was written\n"
    assert snapshot(trained_project) == before["files"]  # neither batch-0002.csv nor state.json written
    assert not (trained_project / "batches" / "batch-0002.csv").exists()


def test_revert_refuses_to_write_over_a_state_that_changed_since_it_read_it(trained_project, tmp_path, monkeypatch):
    from activelearn.ops import importing

    _answers(tmp_path / "a.csv", range(300, 303), "Gentoo", "alice")
    assert run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv").exit_code == 0
    assert run_cli("-C", trained_project, "query", "-n", "3").exit_code == 0
    original = importing.save_state

    def changed_meanwhile(path, state):
        _edit_state(trained_project)
        before["files"] = snapshot(trained_project)
        original(path, state)

    before = {}
    monkeypatch.setattr(importing, "save_state", changed_meanwhile)
    result = run_cli("-C", trained_project, "import-labels", "--revert", "import-0002")
    assert (result.exit_code, result.stdout) == (75, "")
    assert result.stderr == f"error: {trained_project}: another command changed the project; nothing was written\n"
    assert snapshot(trained_project) == before["files"]


def test_train_refuses_to_name_a_model_fitted_on_a_label_log_that_changed_meanwhile(trained_project, tmp_path, monkeypatch):
    from activelearn.ops import training

    _answers(tmp_path / "a.csv", range(300, 303), "Gentoo", "alice")
    assert run_cli("-C", trained_project, "import-labels", tmp_path / "a.csv").exit_code == 0
    log = trained_project / "data" / "labels.parquet"
    backup = tmp_path / "labels-before-the-import.parquet"  # the log as a backup from before would hold it
    answers = read_label_log(log)
    write_label_log(backup, answers[answers["annotator"] != "alice"])
    original = training.save_state

    def restored_meanwhile(path, state):
        os.replace(backup, log)
        before["files"] = snapshot(trained_project)
        before["files"].pop("models/model-0002.joblib")  # written, before state.json: taken back
        original(path, state)

    before = {}
    monkeypatch.setattr(training, "save_state", restored_meanwhile)
    result = run_cli("-C", trained_project, "train")
    assert (result.exit_code, result.stdout) == (75, "")
    assert result.stderr == f"error: {trained_project}: another command changed the project; nothing was written\n"
    assert snapshot(trained_project) == before["files"]
    assert sorted(p.name for p in (trained_project / "models").iterdir()) == ["model-0001.joblib"]

@pytest.fixture
def read_only_project(trained_project, tmp_path, monkeypatch):
    """The trained project made read-only (chmod -R a-w). Root may write anyway: then every open
    for writing below the project fails as the system fails it for anyone else."""
    import errno
    import stat

    (tmp_path / "a.csv").write_text("id,species\nr000300,Gentoo\n")
    everything = [trained_project, *trained_project.rglob("*")]
    for path in everything:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if os.geteuid() == 0:
        real_open, inside = os.open, trained_project.resolve()

        def open_as_not_root(path, flags, *args, **kwargs):
            target = Path(os.fsdecode(path)).resolve()
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and (target == inside or inside in target.parents):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_as_not_root)
    yield trained_project
    monkeypatch.undo()
    for path in everything:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


MUTATING = [["import-labels", "../a.csv"], ["query", "-n", "2"], ["train", "--force"], ["verify", "--repair"],
            ["config", "set", "query.batch_size", "7"], ["import-labels", "--revert", "1", "--wait", "5"]]


def test_a_read_only_project_refuses_every_change_in_one_line_and_still_reads(read_only_project, tmp_path):
    before = snapshot(read_only_project)
    refusal = (f"error: {read_only_project}: cannot write the lock file .activelearn.lock (permission denied); "
               f"commands that change the project need its folder writable: chmod -R u+w {read_only_project}, "
               "or work on a copy\n")
    for command in MUTATING:
        result = run_cli("-C", read_only_project, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", refusal), command
    status = run_cli("-C", read_only_project, "status", "--json")
    assert (status.exit_code, status.stderr) == (0, "") and json.loads(status.stdout)["labeled"] == 6
    verified = run_cli("-C", read_only_project, "verify")
    assert (verified.exit_code, verified.stderr) == (0, "") and verified.stdout.startswith("ok: checked")
    predicted = run_cli("-C", read_only_project, "predict", "--out", tmp_path / "predictions.csv")
    assert (predicted.exit_code, predicted.stderr) == (0, "344 rows of the pool predicted by model 1\n")
    assert len((tmp_path / "predictions.csv").read_text(encoding="utf-8-sig").splitlines()) == 345  # header, each row
    assert snapshot(read_only_project) == before


# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes




# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
