"""Attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/system/test_crash.py."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import pickle
import re
import resource
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activelearn.errors import StateError
from activelearn.labels import read_label_log, write_label_log
from activelearn.messages import SHOWN_CHARACTERS
from activelearn.state import load_state

from ..conftest import SAMPLE, Run, fill_batch, require_program, run_cli, snapshot

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
    import activelearn.ops.import_labels as importing

    a_rows = _answers(tmp_path / "a.csv", range(300, 305), "Gentoo", "alice")
    b_rows = _answers(tmp_path / "b.csv", range(310, 315), "Adelie", "bob")
    commit = importing.write_label_log
    second = {}

    def racing_commit(path, log):
        attack(project / ".activelearn.lock")
        second["b"] = subprocess.run(
            [*ACTIVELEARN, "-C", project, "import-labels", tmp_path / "b.csv"],
            capture_output=True,
            text=True,
            timeout=120,
        )
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
    assert b.stderr == (
        f"error: {trained_project}: another activelearn command holds the project lock "
        "(try again later, or pass --wait SECONDS)\n"
    )
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
    import activelearn.ops.query as querying

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
    import activelearn.ops.import_labels as importing

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


def test_train_refuses_to_name_a_model_fitted_on_a_label_log_that_changed_meanwhile(
    trained_project, tmp_path, monkeypatch
):
    import activelearn.ops.train as training

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
        before["files"].pop("models/model-0002.skops")  # written, before state.json: taken back
        original(path, state)

    before = {}
    monkeypatch.setattr(training, "save_state", restored_meanwhile)
    result = run_cli("-C", trained_project, "train")
    assert (result.exit_code, result.stdout) == (75, "")
    assert result.stderr == f"error: {trained_project}: another command changed the project; nothing was written\n"
    assert snapshot(trained_project) == before["files"]
    # the features the first train fitted on the pool stay; the model this train wrote is taken back
    assert sorted(p.name for p in (trained_project / "models").iterdir()) == [
        "features-0001.skops",
        "model-0001.skops",
    ]


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


MUTATING = [
    ["import-labels", "../a.csv"],
    ["query", "-n", "2"],
    ["train", "--force"],
    ["verify", "--repair"],
    ["config", "set", "query.batch_size", "7"],
    ["import-labels", "--revert", "1", "--wait", "5"],
]


def test_a_read_only_project_refuses_every_change_in_one_line_and_still_reads(read_only_project, tmp_path):
    before = snapshot(read_only_project)
    refusal = (
        f"error: {read_only_project}: cannot write the lock file .activelearn.lock (permission denied); "
        f"commands that change the project need its folder writable: chmod -R u+w {read_only_project}, "
        "or work on a copy\n"
    )
    for command in MUTATING:
        result = run_cli("-C", read_only_project, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", refusal), command
    status = run_cli("-C", read_only_project, "status", "--json")
    assert (status.exit_code, status.stderr) == (0, "") and json.loads(status.stdout)["labeled"] == 6
    verified = run_cli("-C", read_only_project, "verify")
    assert (verified.exit_code, verified.stderr) == (0, "") and verified.stdout.startswith("ok: checked")
    predicted = run_cli("-C", read_only_project, "predict", "--out", tmp_path / "predictions.csv")
    assert (predicted.exit_code, predicted.stderr) == (
        0,
        "344 rows of the pool predicted by model 1\n",
    )
    assert len((tmp_path / "predictions.csv").read_text(encoding="utf-8-sig").splitlines()) == 345  # header, each row
    assert snapshot(read_only_project) == before


# === 2. model files that would run code ========================================================


def _bounded(*args, cwd: Path, seconds: int = 60) -> subprocess.CompletedProcess:
    """The CLI in a subprocess with at most 2 GiB of address space and `seconds` of wall time."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }  # BLAS threads reserve memory
    return subprocess.run(
        [sys.executable, "-m", "activelearn", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit,
        check=False,
        env=env,
    )


class _Payload:
    """Unpickled, writes `marker` and returns the real model bundle read from `real`: a stealthy
    model that would look normal to every command."""

    def __init__(self, marker: Path, real: Path):
        self.marker, self.real = str(marker), str(real)

    def __reduce__(self):
        code = (
            f"__import__('pathlib').Path({self.marker!r}).write_text('ran') or __import__('joblib').load({self.real!r})"
        )
        return eval, (code,)


def _model_record(project: Path) -> tuple[dict, dict]:
    state = json.loads((project / "state.json").read_text())
    return state, state["models"][-1]


def _point_state_at(project: Path, file: str, sha256: str) -> None:
    state, record = _model_record(project)
    record.update(file=file, sha256=sha256)
    (project / "state.json").write_text(json.dumps(state, indent=2))


def _pickled_payload(tmp_path: Path, marker: Path) -> bytes:
    """A pickle that runs code and hands back a genuine (joblib) model of the penguins."""
    import joblib

    from activelearn.models import build_pipeline

    pool = pd.read_csv(SAMPLE / "penguins.csv").dropna()
    columns = {"bill_length_mm": "numeric", "flipper_length_mm": "numeric"}
    pipeline = build_pipeline("logistic", columns, 0, pool["species"].to_numpy()).fit(pool, pool["species"])
    real = tmp_path / "real.joblib"
    joblib.dump({"pipeline": pipeline, "metadata": {"columns": columns}}, real)
    return pickle.dumps(_Payload(marker, real))


@pytest.mark.parametrize("command", [["query", "-n", "3"], ["predict", "--out", "p.csv"]])
def test_a_pickle_put_in_place_of_a_model_never_runs(trained_project, tmp_path, command):
    marker = tmp_path / "marker"
    payload = _pickled_payload(tmp_path, marker)
    _, record = _model_record(trained_project)
    (trained_project / record["file"]).write_bytes(payload)
    _point_state_at(trained_project, record["file"], hashlib.sha256(payload).hexdigest())
    before = snapshot(trained_project)
    result = _bounded("-C", trained_project, *command, cwd=tmp_path)
    assert not marker.exists()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: {trained_project / record['file']}: model 1 is a pickle (saved by an older activelearn, or not by "
        "activelearn) and is not loaded; run `activelearn train --force`\n"
    )
    assert snapshot(trained_project) == before


def test_a_skops_file_that_names_a_function_is_refused_without_calling_it(trained_project, tmp_path):
    import skops.io
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "marker"
    hostile = Pipeline([("run", FunctionTransformer(os.system, kw_args={"command": f"touch {marker}"}))])
    data = skops.io.dumps({"pipeline": hostile, "metadata": {"columns": {}}})
    _, record = _model_record(trained_project)
    (trained_project / record["file"]).write_bytes(data)
    _point_state_at(trained_project, record["file"], hashlib.sha256(data).hexdigest())
    before = snapshot(trained_project)
    reason = f"model 1 holds types activelearn never saves ({os.system.__module__}.system) and is not loaded"
    for command in (["query", "-n", "3"], ["predict", "--out", "p.csv"], ["verify"]):
        result = _bounded("-C", trained_project, *command, cwd=tmp_path)
        assert not marker.exists()
        assert result.returncode == 1
        if command == ["verify"]:
            assert result.stdout == f"problem: {record['file']}: {reason} (run `activelearn train --force`)\n"
        else:
            assert result.stdout == ""
            assert (
                result.stderr
                == f"error: {trained_project / record['file']}: {reason}; run `activelearn train --force`\n"
            )
    assert snapshot(trained_project) == before
    # train, even on the same labels, replaces a model nothing could load
    trained = _bounded("-C", trained_project, "train", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["version"] == 2 and not marker.exists()
    state, latest = _model_record(trained_project)
    assert latest["change"] == "unloadable" and latest["file"] == "models/model-0002.skops"
    assert _bounded("-C", trained_project, "query", "-n", "3", cwd=tmp_path).returncode == 0


def _outside_paths(project: Path, tmp_path: Path) -> list[tuple[str, Path]]:
    """(what state.json says, the file it reaches): absolute, climbing out with ../, a symlink."""
    _, record = _model_record(project)
    outside = tmp_path / "elsewhere.skops"
    outside.write_bytes((project / record["file"]).read_bytes())
    (project / "models" / "link.skops").symlink_to(outside)
    return [
        (str(outside), outside),
        ("models/../../elsewhere.skops", outside),
        ("models/link.skops", outside),
    ]


def test_a_model_path_outside_models_is_refused_by_every_command_and_verify(trained_project, tmp_path):
    for file, reached in _outside_paths(trained_project, tmp_path):
        _point_state_at(trained_project, file, hashlib.sha256(reached.read_bytes()).hexdigest())
        before = snapshot(trained_project)
        for command in (["query", "-n", "3"], ["predict", "--out", "p.csv"]):
            ran = _bounded("-C", trained_project, *command, cwd=tmp_path) if command[0] == "query" else None
            result = (
                ran and Run(ran.returncode, ran.stdout, ran.stderr, None) or run_cli("-C", trained_project, *command)
            )
            assert result.exit_code == 1 and result.stdout == "", file
            assert result.stderr == (
                f"error: {trained_project / 'state.json'}: model 1 is recorded at {file!r}, outside models/; "
                "it is not loaded; restore state.json from a backup, or run `activelearn train --force`\n"
            )
            assert snapshot(trained_project) == before
        verified = run_cli("-C", trained_project, "verify")
        assert verified.exit_code == 1
        assert verified.stdout == (
            f"problem: state.json: model 1 is recorded at {file!r}, outside models/; it is not loaded "
            "(restore state.json from a backup, or run `activelearn train --force`)\n"
        )


def test_the_model_is_loaded_from_the_very_bytes_whose_hash_was_checked(trained_project, tmp_path, monkeypatch):
    """The file is swapped for a payload right after its hash is computed: what is loaded is
    still what was checked, and the payload never runs."""
    from activelearn import storage

    marker = tmp_path / "marker"
    payload = _pickled_payload(tmp_path, marker)
    _, record = _model_record(trained_project)
    model = trained_project / record["file"]
    swaps = []

    def swapping(original):
        def digest(*args):
            value = original(*args)
            if value == record["sha256"] and not swaps:  # the model's hash was just checked
                model.write_bytes(payload)  # an attacker who wins the race
                swaps.append(value)
            return value

        return digest

    monkeypatch.setattr(
        storage, "sha256_bytes", swapping(storage.sha256_bytes)
    )  # what model_files.read_checked hashes with
    result = run_cli("-C", trained_project, "query", "-n", "3")
    assert swaps and not marker.exists()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "batches/batch-0001.csv\n"


# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes


def test_query_after_state_json_is_restored_leaves_the_filled_batch_alone(trained_project):
    """A person fills batch-0001 without importing it; state.json comes back from
    a backup taken before that query; the next query must not write over the person's answers."""
    backup = (trained_project / "state.json").read_bytes()
    first = run_cli("-C", trained_project, "query", "-n", "5")
    assert (first.exit_code, first.stdout) == (0, "batches/batch-0001.csv\n")
    filled = trained_project / "batches" / "batch-0001.csv"
    assert fill_batch(filled, SAMPLE / "penguins_answers.csv") == 5
    answers = filled.read_bytes()
    (trained_project / "state.json").write_bytes(backup)
    second = run_cli("-C", trained_project, "query", "-n", "5")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == "batches/batch-0002.csv\n"
    assert (
        "warning: batches/batch-0001.csv is not a batch state.json knows (was state.json restored from a "
        "backup?); left it untouched and named this batch batch-0002\n"
    ) in second.stderr
    assert filled.read_bytes() == answers
    imported = run_cli("-C", trained_project, "import-labels", filled, "--json")
    assert json.loads(imported.stdout)["labels"] == 5  # the answers still count


INSIDE = "is inside the project's own files; write the output elsewhere"
EXTENSION = "the extension decides the format; use .csv or .parquet"


@pytest.mark.parametrize("command", ["export", "predict"])
@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        ("batches/batch-0001.csv", INSIDE),
        ("batches/new.csv", INSIDE),
        ("data/pool.parquet", INSIDE),
        ("data/other.csv", INSIDE),
        ("models/m.parquet", INSIDE),
        ("state.json", EXTENSION),
        ("activelearn.toml", EXTENSION),
    ],
)
def test_export_and_predict_never_write_into_the_project(trained_project, command, target, refusal):
    assert run_cli("-C", trained_project, "query", "-n", "5").exit_code == 0
    out = trained_project / target
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, command, "--out", out)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --out {out}{':' if refusal == EXTENSION else ''} {refusal}\n"
    assert snapshot(trained_project) == before


# a cell holding CR, LF or CRLF before a formula: unquoted, a spreadsheet starts a new row there
CR_NOTES = [
    "ok\r=cmd|' /C calc'!A0",
    "x\n=1+1",
    "a\r\n@SUM(1)",
    "=2+2",
    "plain",
    "two\r\rlines",
    "'=quoted",
    "+\r-\n@",
]
CR_ID = "id\r=HYPERLINK(1)"
POOL_NOTES = [n.removeprefix("'") for n in CR_NOTES]  # init reads "'=quoted" as guarded: "=quoted"


def _cr_project(tmp_path: Path, labeled: int = 2) -> Path:
    rows = [["key", "note", "label"]] + [
        [CR_ID if i == 3 else f"k{i}", note, "ab"[i % 2] if i < labeled else ""] for i, note in enumerate(CR_NOTES * 2)
    ]
    data = tmp_path / "d.csv"
    with open(data, "w", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    assert (
        run_cli(
            "-q",
            "init",
            tmp_path / "p",
            "--data",
            data,
            "--id-column",
            "key",
            "--text-columns",
            "note",
        ).exit_code
        == 0
    )
    return tmp_path / "p"


def _unsafe_lines(cells) -> list[str]:
    """The cells with a line a spreadsheet would run as a formula."""
    return [c for c in cells for line in re.split(r"\r\n|\r|\n", c or "") if line.startswith(("=", "+", "-", "@"))]


def test_cr_or_lf_in_a_cell_neither_starts_a_row_nor_gets_past_the_formula_guard(tmp_path):
    project = _cr_project(tmp_path)
    result = run_cli("-C", project, "query", "-n", "14", "--strategy", "random")
    assert result.exit_code == 0, result.stderr
    batch = project / result.stdout.strip()
    with open(batch, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 15 and {len(r) for r in rows} == {3}
    assert _unsafe_lines(c for r in rows for c in r) == []
    assert sorted(r[2] for r in rows[1:] if r[0] == "k8") == ["ok\r'=cmd|' /C calc'!A0"]  # guarded after the CR
    # read back exactly: every id matches its row, the one holding a CR too
    for row in rows[1:]:
        row[1] = "a"
    with open(batch, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    imported = run_cli("-C", project, "import-labels", batch, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["labels"] == 14


def test_libreoffice_opens_a_batch_with_cr_in_cells_row_for_row_with_no_formula(tmp_path):
    from openpyxl import load_workbook

    soffice = require_program("soffice")
    project = _cr_project(tmp_path)
    result = run_cli("-C", project, "query", "-n", "14", "--strategy", "random")
    batch = project / result.stdout.strip()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(batch),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheet = load_workbook(tmp_path / "lo" / "batch-0001.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert sheet.max_row == 15
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert _unsafe_lines(str(c.value) for c in cells if c.value is not None) == []
    assert sorted(str(sheet.cell(row=r, column=1).value) for r in range(2, 16)) == sorted(
        ["id\n'=HYPERLINK(1)", *(f"k{i}" for i in range(2, 16) if i != 3)]  # k0, k1 labeled at init
    )


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("command", ["export", "predict"])
def test_export_and_predict_csv_have_the_formula_guard_and_raw_is_exact(tmp_path, command):
    project = _cr_project(tmp_path, labeled=16)
    assert run_cli("-C", project, "train").exit_code == 0
    guarded, raw = tmp_path / "out.csv", tmp_path / "raw.csv"
    for out, extra in ((guarded, []), (raw, ["--raw"])):
        result = run_cli("-C", project, command, "--out", out, *extra)
        assert (result.exit_code, result.stdout) == (0, f"{out}\n"), result.stderr
    rows, exact = _csv_rows(guarded), _csv_rows(raw)
    assert len(rows) == len(exact) == 17 and {len(r) for r in rows} == {len(rows[0])}
    assert _unsafe_lines(c for r in rows for c in r) == []
    ids = [r[0] for r in rows[1:]]
    assert "id\r'=HYPERLINK(1)" in ids and CR_ID not in ids
    assert sorted(r[0] for r in exact[1:]) == sorted([CR_ID, *(f"k{i}" for i in range(16) if i != 3)])
    if command == "export":
        assert [r[2] for r in exact[1:]] == POOL_NOTES * 2  # the notes, byte for byte
        assert _unsafe_lines(r[2] for r in exact[1:]) != []


def test_init_reads_a_guarded_export_back_as_the_original_values(tmp_path):
    project = _cr_project(tmp_path, labeled=16)
    exported = run_cli("-C", project, "export", "--out", tmp_path / "out.csv", "--json")
    assert exported.exit_code == 0, exported.stderr
    options = json.loads(exported.stdout)["init_options"]
    assert run_cli("-q", "init", tmp_path / "again", *options).exit_code == 0
    for name in ("project", "again"):
        assert (
            run_cli(
                "-C",
                tmp_path / ("p" if name == "project" else name),
                "export",
                "--raw",
                "--out",
                tmp_path / f"{name}.csv",
            ).exit_code
            == 0
        )
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "project.csv").read_bytes()
    assert [r[2] for r in _csv_rows(tmp_path / "again.csv")[1:]] == POOL_NOTES * 2


def test_xlsx_batch_with_vt_or_esc_in_cells_is_written_safely_and_reads_back(tmp_path):
    """\\x0b or \\x1b in a cell once gave a traceback. No .xlsx cell holds them: in a
    context cell they become U+FFFD with a warning naming the column and rows; in the id column the
    batch is refused, nothing written, since an answer would not find its row."""
    from openpyxl import load_workbook

    data = tmp_path / "d.csv"
    data.write_text('key,no\x0bte\x1b,label\nk0,a,a\nk1,c,b\nk2,"e\x1b[31mred",\nk3,"v\x0btab",\nk4,plain,\n')
    assert run_cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "key").exit_code == 0
    out = tmp_path / "batch.xlsx"
    result = run_cli("-C", tmp_path / "p", "query", "-n", "3", "--strategy", "random", "--out", out)
    assert (result.exit_code, result.exception) == (0, None)
    book = load_workbook(out)
    sheet = book["batch"]
    assert [c.value for c in sheet[1]] == ["key", "label", "no\ufffdte\ufffd"]
    notes = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=3).value for r in (2, 3, 4)}
    assert notes == {"k2": "e\ufffd[31mred", "k3": "v\ufffdtab", "k4": "plain"}
    rows = ", ".join(str(r) for r in (2, 3, 4) if sheet.cell(row=r, column=1).value != "k4")
    assert result.stderr == (
        f"warning: {out} column 'no\\x0bte\\x1b', rows {rows}: control characters no .xlsx cell can hold, shown as "
        "\ufffd (query --out batch.csv keeps them)\n"
        "batch-0001: 3 rows by random (no model) from 3 unlabeled rows\n"
    )
    for r in (2, 3, 4):
        sheet.cell(row=r, column=2).value = "a"
    book.save(out)
    imported = run_cli("-C", tmp_path / "p", "import-labels", out, "--json")
    assert (imported.exit_code, json.loads(imported.stdout)["labels"]) == (0, 3)

    data.write_text('key,note,label\nk0,a,a\nk1,c,b\n"k2\x1b",e,\n')
    assert run_cli("-q", "init", tmp_path / "q", "--data", data, "--id-column", "key").exit_code == 0
    before = snapshot(tmp_path / "q")
    refused = run_cli("-C", tmp_path / "q", "query", "-n", "1", "--out", tmp_path / "ids.xlsx")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.endswith(
        f"error: {tmp_path / 'ids.xlsx'} row 2, column 'key': control characters no .xlsx cell can hold; "
        "write the batch as CSV instead (--out batch.csv)\n"
    )
    assert snapshot(tmp_path / "q") == before and not (tmp_path / "ids.xlsx").exists()


TERMINAL_CONTROLS = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e")


def _no_terminal_controls(result) -> None:
    for stream in (result.stdout, result.stderr):
        assert [c for c in TERMINAL_CONTROLS if c in stream] == [], stream


@pytest.mark.parametrize("json_mode", [False, True])
def test_class_annotator_and_column_names_reach_the_terminal_escaped(tmp_path, json_mode):
    """Terminal escapes: names from the data and from answer files are shown with their
    control characters (ESC, CSI, BEL, CR, backspace, bidi overrides) as escapes."""
    red, title, bidi = "\x1b[31mred", "\x1b]0;pwned\x07\x08\r", "evil\u202etxt.exe\x9b2J"
    data = tmp_path / "d.csv"
    data.write_text(f'key,"{bidi}",label\nk0,1,"{red}"\nk1,2,b\nk2,3,\nk3,4,\nk4,5,\n', encoding="utf-8")
    flag = ["--json"] if json_mode else []
    runs = [run_cli("-v", "init", tmp_path / "p", "--data", data, "--id-column", "key", *flag)]
    project = tmp_path / "p"
    runs.append(run_cli("-C", project, "train", *flag))
    answers = tmp_path / "answers.csv"
    answers.write_text(f'key,label,annotator\nk2,"{red}","{red}"\nk3,b,"{title}"\n', encoding="utf-8")
    runs.append(run_cli("-C", project, "import-labels", answers, *flag))
    answers.write_text(f'key,label\nk4,"{title}"\n', encoding="utf-8")
    runs.append(run_cli("-C", project, "import-labels", answers, *flag))  # not a class: an error naming it
    runs += [run_cli("-v", "-C", project, "status", *flag), run_cli("-C", project, "train", *flag)]
    assert [r.exit_code for r in runs] == [0, 0, 0, 1, 0, 0]
    for result in runs:
        _no_terminal_controls(result)
    if json_mode:  # the escapes are JSON's: the values themselves are intact
        status = json.loads(runs[4].stdout)
        assert set(status["annotators"]) == {"init", red, title.strip()} and red in status["labels_per_class"]
    else:
        assert "4 answers from \\x1b[31mred, \\x1b]0;pwned\\x07\\x08, init\n" in runs[4].stdout
        assert "\\x1b[31mred" in runs[1].stdout


# === 5. bounded parsers: bombs and huge files ==================================================

# Each bomb is a small file that, unbounded, took gigabytes or minutes. The
# command runs as a child process with 1 GiB of address space (a normal import needs about 0.5:
# numpy and pyarrow reserve virtual memory; test_a_normal_import_fits_the_memory_limit) and a
# timeout; it must refuse in one line and leave the project byte-identical.

BOUNDED_MEMORY = 1 << 30
BOUNDED_SECONDS = 60  # generous: starting the CLI takes seconds on a loaded machine

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET = "xl/worksheets/sheet1.xml"
_SPACES = b" " * (1 << 24)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


_XLSX_ROWS = (
    '<row r="1">' + _inline("A1", "id") + _inline("B1", "species") + "</row>"
    '<row r="2">' + _inline("A2", "r000001") + _inline("B2", "Adelie") + "</row>"
)


def _xlsx(path: Path, parts, dimension: str | None = None) -> Path:
    """A one-sheet workbook whose sheet XML is `parts` (streamed in, so it may be huge)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open(_SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for part in parts:
                sheet.write(part if isinstance(part, bytes) else part.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def _xlsx_claiming_a_million_rows(path: Path) -> Path:
    return _xlsx(path, [_XLSX_ROWS], dimension="A1:XFD1048576")


def _xlsx_with_a_far_cell(path: Path) -> Path:
    return _xlsx(path, [_XLSX_ROWS, '<row r="1048576">' + _inline("XFD1048576", "x") + "</row>"])


def _xlsx_zip_bomb(path: Path) -> Path:
    """A sheet of 300 MiB of spaces, packed 1,000 to 1."""
    return _xlsx(path, [_XLSX_ROWS] + [_SPACES] * 18)


def _xlsx_lying_about_its_size(path: Path) -> Path:
    """200 MiB of sheet XML whose archive headers claim 1 KiB (zip64 local header and central
    directory both rewritten): only the declared bytes may be inflated."""
    _xlsx(path, [_XLSX_ROWS] + [_SPACES] * 12)
    data = bytearray(path.read_bytes())
    name = _SHEET.encode()
    local = data.find(b"PK\x03\x04")  # the sheet's local header, found by its name
    while local >= 0 and bytes(data[local + 30 : local + 30 + len(name)]) != name:
        local = data.find(b"PK\x03\x04", local + 4)
    extra = local + 30 + len(name)
    assert struct.unpack_from("<HH", data, extra)[0] == 1  # the zip64 field: uncompressed size first
    struct.pack_into("<Q", data, extra + 4, 1024)
    central = data.find(b"PK\x01\x02")
    while bytes(data[central + 46 : central + 46 + len(name)]) != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 1024)
    path.write_bytes(bytes(data))
    return path


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def _ods(path: Path, rows: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        + rows
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)  # calamine needs it
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _ods_cell(text: str, repeated: int = 1) -> str:
    return (
        f'<table:table-cell office:value-type="string" table:number-columns-repeated="{repeated}">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def _ods_repeating_a_cell(path: Path) -> Path:
    """Under 1 KB: one cell repeated over 6,000 rows of 16,384 columns, just under the 100 million
    cells calamine refuses by itself (unbounded, 1,000 such rows took 2 GiB and 14 s)."""
    header = "<table:table-row>" + _ods_cell("id") + _ods_cell("species") + "</table:table-row>"
    bomb = '<table:table-row table:number-rows-repeated="6000">' + _ods_cell("x", 16384) + "</table:table-row>"
    return _ods(path, header + bomb)


def _csv_of_a_million_columns(path: Path) -> Path:
    with open(path, "w") as f:
        f.write(",".join(["id", "species"] + [f"c{i}" for i in range(999_998)]) + "\n")
        f.write(",".join(["r000001", "Adelie"] + ["1"] * 999_998) + "\n")
    return path


def _csv_of_20000_short_columns(path: Path) -> Path:
    names = ["id", "species"] + [f"c{i}" for i in range(19_998)]
    path.write_text(",".join(names) + "\n" + ",".join(["r000001", "Adelie"] + ["1"] * 19_998) + "\n")
    return path


def _jsonl_nested_deeply(path: Path) -> Path:
    path.write_text('{"id": "r000001", "species": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    return path


def _parquet_of_5_million_rows(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["r000001"] * 5_000_000, "species": ["Adelie"] * 5_000_000}), path)
    return path


def run_bounded(*args) -> subprocess.CompletedProcess:
    """The CLI as a child process with BOUNDED_MEMORY of address space, killed past BOUNDED_SECONDS."""

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (BOUNDED_MEMORY, BOUNDED_MEMORY))

    return subprocess.run(
        [*ACTIVELEARN, *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=limit_memory,
        timeout=BOUNDED_SECONDS,
    )


ANSWER_BOMBS = [
    (
        _xlsx_claiming_a_million_rows,
        "bomb.xlsx",
        " sheet 'Sheet1': claims 1,048,576 rows, more than an answer file may have (100,000); split it into smaller files",
    ),
    (
        _xlsx_with_a_far_cell,
        "bomb.xlsx",
        " sheet 'Sheet1': has 1,048,576 rows, more than an answer file may have (100,000); split it into smaller files",
    ),
    (
        _xlsx_zip_bomb,
        "bomb.xlsx",
        ": unpacks to 288 MiB, more than an answer file may (256 MiB); if it is a real workbook, save it as CSV",
    ),
    (
        _xlsx_lying_about_its_size,
        "bomb.xlsx",
        ": cannot read as XLSX: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'; the file is damaged, or is no XLSX "
        "file: save or export it again (CSV will do)",
    ),
    (
        _ods_repeating_a_cell,
        "bomb.ods",
        " sheet 'Sheet1': repeats cells to 16,384 columns, more than an answer file may have (10,000); "
        "keep only the columns needed",
    ),
    (
        _csv_of_a_million_columns,
        "bomb.csv",
        ": the header line is longer than 1 MiB; check that the file has line ends, and keep only the columns needed",
    ),
    (
        _csv_of_20000_short_columns,
        "bomb.csv",
        ": has 20,000 columns, more than an answer file may have (10,000); keep only the columns needed",
    ),
    (
        _jsonl_nested_deeply,
        "bomb.jsonl",
        ' line 1: values nested too deeply to read; an answer is a flat value, as {"id": ..., "label": ...}',
    ),
    (
        _parquet_of_5_million_rows,
        "bomb.parquet",
        ": holds 5,000,000 rows, more than an answer file may have (100,000); split it into smaller files",
    ),
]


@pytest.mark.parametrize(("build", "name", "refusal"), ANSWER_BOMBS, ids=[b[0].__name__[1:] for b in ANSWER_BOMBS])
def test_an_answer_file_bomb_is_refused_in_bounded_time_and_memory(penguins_project, tmp_path, build, name, refusal):
    bomb = build(tmp_path / name)
    before = snapshot(penguins_project)
    result = run_bounded("-C", penguins_project, "import-labels", bomb)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: {bomb}{refusal}\n"
    assert snapshot(penguins_project) == before


POOL_BOMBS = [
    (
        _xlsx_claiming_a_million_rows,
        "bomb.xlsx",
        " sheet 'Sheet1': claims 1,048,576 rows of 16,384 columns, more than the 25,000,000 cells a data file may "
        "have as a spreadsheet; save it as CSV or Parquet",
    ),
    (
        _xlsx_with_a_far_cell,
        "bomb.xlsx",
        " sheet 'Sheet1': has 1,048,576 rows of 16,384 columns, more than the 25,000,000 cells a data file may "
        "have as a spreadsheet; save it as CSV or Parquet",
    ),
    (
        _xlsx_zip_bomb,
        "bomb.xlsx",
        ": xl/worksheets/sheet1.xml unpacks 229 times its packed size, as no real workbook does (a zip bomb?); "
        "if it is a real workbook, save it as CSV",
    ),
    (
        _ods_repeating_a_cell,
        "bomb.ods",
        " sheet 'Sheet1': repeats cells to 6,001 rows of 16,384 columns, more than the 25,000,000 cells a data "
        "file may have as a spreadsheet; save it as CSV or Parquet",
    ),
    (
        _csv_of_a_million_columns,
        "bomb.csv",
        ": the header line is longer than 1 MiB; check that the file has line ends, and keep only the columns needed",
    ),
]


@pytest.mark.parametrize(("build", "name", "refusal"), POOL_BOMBS, ids=[b[0].__name__[1:] for b in POOL_BOMBS])
def test_a_data_file_bomb_is_refused_by_init_in_bounded_time_and_memory(tmp_path, build, name, refusal):
    bomb = build(tmp_path / name)
    result = run_bounded("-q", "init", tmp_path / "proj", "--data", bomb, "--label-column", "species")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: {bomb}{refusal}\n"
    assert not (tmp_path / "proj").exists()


def test_answer_files_are_parsed_before_the_lock_is_taken(penguins_project, tmp_path, cli):
    """While another command holds the lock, a bomb is still refused for what it is (it was read
    without the lock), and a good file waits for the lock (its answers are applied under it)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from activelearn.project import ProjectPaths, project_lock\n"
            f"with project_lock(ProjectPaths(Path({str(penguins_project)!r}))):\n print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        bomb = _xlsx_claiming_a_million_rows(tmp_path / "bomb.xlsx")
        answers = tmp_path / "answers.csv"
        answers.write_text("id,species\nr000001,Adelie\n")
        before = snapshot(penguins_project)
        refused = cli("-C", penguins_project, "import-labels", bomb)
        waiting = cli("-C", penguins_project, "import-labels", answers)
    finally:
        holder.communicate("")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"error: {bomb} sheet 'Sheet1': claims 1,048,576 rows, more than an answer file may "
        "have (100,000); split it into smaller files\n"
    )
    assert (waiting.exit_code, waiting.stdout) == (75, "")
    assert waiting.stderr == (
        f"error: {penguins_project}: another activelearn command holds the project lock "
        "(try again later, or pass --wait SECONDS)\n"
    )
    assert snapshot(penguins_project) == before


def test_the_empty_rows_libreoffice_repeats_are_no_data(penguins_project, tmp_path):
    """LibreOffice ends every ODS sheet with a million empty rows of 1,024 cells, repeated: not
    counted against the limits, as they hold nothing."""
    empty_cells = '<table:table-cell table:number-columns-repeated="1022"/>'
    rows = "".join(
        f"<table:table-row>{_ods_cell(a)}{_ods_cell(b)}{empty_cells}</table:table-row>"
        for a, b in (("id", "species"), ("r000001", "Adelie"), ("r000002", "Gentoo"))
    )
    trailing = (
        '<table:table-row table:number-rows-repeated="1048573">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    answers = _ods(tmp_path / "answers.ods", rows + trailing)
    result = run_bounded("-C", penguins_project, "import-labels", answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")


def test_a_normal_import_fits_the_memory_limit(penguins_project, tmp_path):
    """The limit the bombs run under is not what refuses them: a real answer file imports under it."""
    answers = tmp_path / "answers.csv"
    answers.write_text("id,species\nr000001,Adelie\nr000002,Gentoo\n")
    result = run_bounded("-C", penguins_project, "import-labels", answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 labels")


# === 6. broken project files ===================================================================

# (imports of this section here, not at the top, so that the sections merge without conflict)


# Each damaged file is one verify problem with its fix, and every command refuses it with one
# line: exit 1, `error: <the file>: <what> ...; <the fix>`, no traceback, nothing written.

BROKEN_COMMANDS = {
    "status": ["status"],
    "train": ["train"],
    "query": ["query", "-n", "3"],
    "import-labels": ["import-labels", SAMPLE / "penguins_answers.csv"],
    "predict": ["predict", "--out", "{outside}/predictions.csv"],
    "export": ["export", "--out", "{outside}/labels.csv"],
    "batches": ["query", "--list"],
    "revert": ["import-labels", "--revert", "import-0001"],
}


def _refused_by_every_command(project: Path, error: str, *, but: tuple[str, ...] = ()) -> None:
    """Every command of BROKEN_COMMANDS (those named in `but` aside) run against the broken
    `project`: exit 1, stderr exactly the one line `error`, no traceback, no file written."""
    outside = project.parent / "outside"
    outside.mkdir(exist_ok=True)
    before = snapshot(project)
    for name, command in BROKEN_COMMANDS.items():
        if name in but:
            continue
        result = run_cli("-C", project, *(str(a).format(outside=outside) for a in command))
        assert result.exception is None, (name, result.exception)
        assert (result.exit_code, result.stderr, result.stdout) == (1, error + "\n", ""), name
        assert "Traceback" not in result.stderr
        assert snapshot(project) == before, name
    assert list(outside.iterdir()) == []


def _verify_problems(project: Path) -> str:
    result = run_cli("-C", project, "verify")
    assert result.exit_code == 1 and result.stderr == "", result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def imported_template(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("template") / "proj"
    assert run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species").exit_code == 0
    assert run_cli("-C", project, "train").exit_code == 0
    batch = project / run_cli("-C", project, "query", "-n", "5").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    assert run_cli("-C", project, "import-labels", batch).exit_code == 0
    return project


@pytest.fixture
def imported_project(imported_template, tmp_path) -> Path:
    """A trained project whose second import (5 labels from a batch) is import-0002 (a fresh copy)."""
    project = tmp_path / "proj"
    shutil.copytree(imported_template, project)
    return project.resolve()


def test_a_deleted_label_log_is_refused_not_read_as_no_labels(imported_project):
    (imported_project / "data" / "labels.parquet").unlink()
    assert _verify_problems(imported_project) == (
        "problem: data/labels.parquet: the label log is missing, and state.json shows the project had one "
        "(restore it from a backup)\n"
    )
    _refused_by_every_command(
        imported_project,
        (
            f"error: {imported_project}/data/labels.parquet: the label log is missing, and state.json shows the "
            "project had one; restore it from a backup"
        ),
    )


def test_a_label_log_deleted_before_any_train_is_refused_too(penguins_project):
    """init writes the log even empty, and says so in state.json: its absence is damage."""
    project = penguins_project.resolve()
    assert json.loads((project / "state.json").read_text())["label_log_written"] is True
    (project / "data" / "labels.parquet").unlink()
    result = run_cli("-C", project, "status")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {project}/data/labels.parquet: the label log is missing, and state.json shows "
        "the project had one; restore it from a backup\n"
    )


def test_a_label_of_a_class_missing_from_the_config_is_refused_until_fixed(imported_project):
    config = imported_project / "activelearn.toml"
    config.write_text(config.read_text().replace('"Gentoo", ', "").replace(', "Gentoo"', ""))
    log = read_label_log(imported_project / "data" / "labels.parquet")
    gentoo = log[log["answer"] == "Gentoo"]
    imports = ", ".join(sorted(set(gentoo["import_id"])))
    assert len(gentoo) == 2 and imports == "import-0001"  # init's two Gentoo labels
    assert _verify_problems(imported_project) == (
        "problem: data/labels.parquet: labels 'Gentoo' are not among the classes of activelearn.toml (add them to "
        f"[data] classes, or revert the import that brought them: activelearn import-labels --revert {imports})\n"
    )
    # train must not fit a model with a class the project does not know; revert is the fix
    _refused_by_every_command(
        imported_project,
        (
            f"error: {imported_project}/data/labels.parquet: {len(gentoo)} labels are of classes not in activelearn.toml "
            f"[data] classes ('Gentoo'); add them to [data] classes, or revert the import that brought them "
            f"(activelearn import-labels --revert {imports})"
        ),
        but=("revert",),
    )
    assert run_cli("-C", imported_project, "import-labels", "--revert", "import-0001").exit_code == 0
    assert run_cli("-C", imported_project, "verify").exit_code == 0
    assert run_cli("-C", imported_project, "status").exit_code == 0


def _rewrite_log(project: Path, change) -> None:
    path = project / "data" / "labels.parquet"
    pq.write_table(change(pq.read_table(path)), path)


@pytest.mark.parametrize(
    ("values", "arrow"),
    [
        (lambda n: pa.array(["no"] * n), "string"),
        (lambda n: pa.array([0] * n), "int64"),
        (lambda n: pa.array([None] * (n - 1) + [False], pa.bool_()), "bool with empty values"),
    ],
)
def test_a_non_boolean_evaluation_column_is_refused(imported_project, values, arrow):
    _rewrite_log(
        imported_project,
        lambda t: t.set_column(t.column_names.index("evaluation"), "evaluation", values(len(t))),
    )
    assert _verify_problems(imported_project) == (
        f"problem: data/labels.parquet: label log column 'evaluation' holds {arrow} where it should hold true or false "
        "in every row (restore it from a backup)\n"
    )
    _refused_by_every_command(
        imported_project,
        (
            f"error: {imported_project}/data/labels.parquet: label log column 'evaluation' holds {arrow} where it should "
            "hold true or false in every row; restore it from a backup"
        ),
    )


@pytest.mark.parametrize(
    "pandas",
    [
        b"{bogus",
        json.dumps({"index_columns": ["nope"], "columns": [{"name": "x"}]}).encode(),
        json.dumps(
            {
                "index_columns": [],
                "columns": [
                    {
                        "name": "evaluation",
                        "pandas_type": "unicode",
                        "numpy_type": "object",
                        "field_name": "evaluation",
                    }
                ],
            }
        ).encode(),
    ],
)
def test_bogus_pandas_metadata_in_the_label_log_neither_crashes_nor_misleads(imported_project, pandas):
    before = {
        name: run_cli("-C", imported_project, *command)
        for name, command in (
            ("status", ["status", "--json"]),
            ("batches", ["query", "--list", "--json"]),
        )
    }
    _rewrite_log(
        imported_project,
        lambda t: t.replace_schema_metadata({**t.schema.metadata, b"pandas": pandas}),
    )
    for name, command in (
        ("status", ["status", "--json"]),
        ("batches", ["query", "--list", "--json"]),
    ):
        result = run_cli("-C", imported_project, *command)
        assert (result.exit_code, result.stderr, result.stdout) == (0, "", before[name].stdout), name
    assert run_cli("-C", imported_project, "verify").exit_code == 0


STATE_DAMAGE = {
    "truncated": (
        lambda text: text[:200],
        "not valid JSON (Unterminated string starting at: line 10 column 9 (char 195))",
    ),
    "batches not a list": ({"batches": 5}, "batches should be a list, not 5"),
    "string model version": (
        lambda s: s["models"][0].update(version="1"),
        'models[0].version should be a whole number from 0 to 9223372036854775807, not "1"',
    ),
    "negative pool_rows": (
        {"pool_rows": -3},
        "pool_rows should be a whole number from 0 to 9223372036854775807, not -3",
    ),
    "string pool_rows": (
        {"pool_rows": "344"},
        'pool_rows should be a whole number from 0 to 9223372036854775807, not "344"',
    ),
    "huge pool_rows": (
        {"pool_rows": 10**60},
        "pool_rows should be a whole number from 0 to 9223372036854775807, not 1000000000000000000000000000000000000...",
    ),
    "batch without ids": (lambda s: s["batches"][0].pop("ids"), "batches[0].ids is missing"),
    "reverted_imports a list": (
        {"reverted_imports": ["import-0001"]},
        'reverted_imports should be an object of strings, not ["import-0001"]',
    ),
    "batch time without offset": (
        lambda s: s["batches"][0].update(created="2024-01-01"),
        'batches[0].created should be a time like 2024-01-31T12:00:00+00:00, not "2024-01-01"',
    ),
    "batch name without number": (
        lambda s: s["batches"][0].update(name="batch-x"),
        'batches[0].name should be like batch-0001, not "batch-x"',
    ),
    "metric as a string": (
        lambda s: s["models"][0]["cv_metrics"].update(accuracy="0.9"),
        "models[0].cv_metrics.accuracy should be a number",
    ),
    "signal as a string": (
        lambda s: s["models"][0]["stop_signals"].update(uncertain_share="low"),
        "models[0].stop_signals.uncertain_share should be a number",
    ),
    "per-class metric as text": (
        lambda s: s["models"][0]["cv_metrics"]["per_class"]["Adelie"].update(recall="high"),
        "models[0].cv_metrics.per_class.Adelie.recall should be a number",
    ),
    "number of 5000 digits": (
        lambda text: text.replace('"pool_rows": 344', '"pool_rows": ' + "9" * 5000),
        "not a state file activelearn wrote (a number or nesting too large)",
    ),
    "nested 100000 deep": (
        lambda text: text.replace('"batches": [', '"batches": [' + "[" * 100_000, 1),
        "not a state file activelearn wrote (a number or nesting too large)",
    ),
}


@pytest.mark.parametrize("damage", list(STATE_DAMAGE))
def test_a_malformed_state_json_is_one_line_error(imported_project, damage):
    change, what = STATE_DAMAGE[damage]
    path = imported_project / "state.json"
    if isinstance(change, dict):
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}, indent=2))
    elif damage in ("truncated", "number of 5000 digits", "nested 100000 deep"):
        path.write_text(change(path.read_text()))
    else:
        state = json.loads(path.read_text())
        change(state)
        path.write_text(json.dumps(state, indent=2))
    assert _verify_problems(imported_project) == f"problem: state.json: {what} (restore it from a backup)\n"
    _refused_by_every_command(
        imported_project, f"error: {imported_project}/state.json: {what}; restore it from a backup"
    )


def test_a_deep_or_huge_state_json_is_refused_in_bounded_time_and_memory(imported_project):
    path = imported_project / "state.json"
    path.write_text(path.read_text().replace('"batches": [', '"batches": [' + "[" * 1_000_000 + "9" * 100_000, 1))
    before = snapshot(imported_project)
    result = subprocess.run(
        [sys.executable, "-m", "activelearn", "-C", str(imported_project), "status"],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)),
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {imported_project}/state.json: not a state file activelearn wrote (a number or "
        "nesting too large); restore it from a backup\n"
    )
    assert snapshot(imported_project) == before


def _valid_state(tmp_path_factory) -> dict:
    project = tmp_path_factory.mktemp("fuzz") / "proj"
    assert run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species").exit_code == 0
    assert run_cli("-C", project, "train").exit_code == 0
    assert run_cli("-C", project, "query", "-n", "3", "--prefill").exit_code == 0
    return json.loads((project / "state.json").read_text())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _places(value, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*prefix, index))


@pytest.fixture(scope="module")
def valid_state(tmp_path_factory) -> dict:
    return _valid_state(tmp_path_factory)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_state_json_loads_whole_or_is_one_state_error(valid_state, tmp_path_factory, data):
    """Any one value of a real state.json replaced by any JSON value, or deleted, or the file cut
    anywhere: load_state returns a State whose fields have their types, or raises StateError."""
    state = copy.deepcopy(valid_state)
    places = [p for p in _places(state) if p]
    place = data.draw(st.sampled_from(places))
    parent = state
    for key in place[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[place[-1]] = data.draw(JSON_VALUES)
    else:
        del parent[place[-1]]
    text = json.dumps(state)
    if data.draw(st.booleans()):
        text = text[: data.draw(st.integers(0, len(text)))]
    path = tmp_path_factory.mktemp("state") / "state.json"
    path.write_text(text)
    try:
        loaded = load_state(path)
    except StateError as exc:
        assert "\n" not in exc.message and exc.message.startswith(f"{path}: ")
        return
    assert isinstance(loaded.pool_rows, int) and loaded.pool_rows >= 0
    assert all(isinstance(i, str) for b in loaded.batches for i in b.ids)
    loaded.next_batch_number(), loaded.next_model_version()  # noqa: B018  (what commands compute from it)
    assert all(isinstance(m.version, int) and isinstance(m.labels_per_class, dict) for m in loaded.models)


@pytest.mark.parametrize("given", ["abc", "import-x", "-3", "import--3", "9" * 5000, "²", "import-0001 x", ""])
def test_a_non_numeric_import_id_is_a_usage_error(imported_project, given):
    before = snapshot(imported_project)
    result = run_cli("-C", imported_project, "import-labels", "--revert", given)
    assert result.exception is None
    cut = SHOWN_CHARACTERS
    shown = repr(given) if len(given) <= cut else f"{given[:cut] + '…'!r} ({len(given):,} characters)"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --revert {shown}: not an import id; give one like import-0009, or its number (9)\n"
    assert snapshot(imported_project) == before


POOL_DAMAGE = {
    "deleted": (
        lambda p: p.unlink(),
        "the pool is missing; the project is incomplete (re-run init)",
        "the pool is missing; the project is incomplete (re-run init)",
    ),
    "truncated": (
        lambda p: p.write_bytes(p.read_bytes()[:300]),
        "the pool cannot be read (Parquet magic bytes not found in footer. Either the file is corrupted or "
        "this is not a parquet file.)",
        None,
    ),
    "not parquet": (
        lambda p: p.write_text("id,species\n"),
        "the pool cannot be read (Parquet magic bytes not found in footer. Either the file is corrupted "
        "or this is not a parquet file.)",
        None,
    ),
}


@pytest.mark.parametrize("damage", list(POOL_DAMAGE))
def test_a_damaged_pool_is_refused(imported_project, damage):
    change, what, _ = POOL_DAMAGE[damage]
    change(imported_project / "data" / "pool.parquet")
    fix = "restore it from a backup, or init the project again"
    assert _verify_problems(imported_project) == f"problem: data/pool.parquet: {what} ({fix})\n"
    error = f"error: {imported_project}/data/pool.parquet: {what}" + ("" if damage == "deleted" else f"; {fix}")
    _refused_by_every_command(imported_project, error)


def test_a_pool_with_other_rows_than_state_json_counted_is_refused(imported_project):
    pool = imported_project / "data" / "pool.parquet"
    pq.write_table(pq.read_table(pool).slice(0, 300), pool)
    assert "problem: data/pool.parquet: has 300 rows where state.json says 344" in _verify_problems(imported_project)
    _refused_by_every_command(
        imported_project,
        (
            f"error: {imported_project}/data/pool.parquet: has 300 rows where "
            "state.json says 344; restore the pool written by init"
        ),
    )


@pytest.mark.parametrize(
    ("change", "what", "fix"),
    [
        (
            lambda text: "[data\n" + text,
            "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 6)",
            "; fix that line, or restore the file from a backup",
        ),
        (
            lambda text: text.replace("batch_size = 20", 'batch_size = "20"'),
            "[query] batch_size must be int, not '20'",
            "",
        ),
    ],
)
def test_a_broken_activelearn_toml_is_refused(imported_project, change, what, fix):
    config = imported_project / "activelearn.toml"
    config.write_text(change(config.read_text()))
    assert _verify_problems(imported_project) == (
        f"problem: activelearn.toml: {what} (fix that line, or restore the file from a backup)\n"
    )
    _refused_by_every_command(imported_project, f"error: {imported_project}/activelearn.toml: {what}{fix}")


def test_a_truncated_model_is_refused_where_loaded_and_train_force_replaces_it(imported_project):
    assert run_cli("-C", imported_project, "train").exit_code == 0
    model = imported_project / "models" / "model-0002.skops"
    model.write_bytes(model.read_bytes()[:100])
    assert _verify_problems(imported_project) == (
        "problem: models/model-0002.skops: model 2 has changed since activelearn wrote it (it will not be loaded) "
        "(delete it and run `activelearn train --force`)\n"
    )
    error = (
        f"error: {model}: model 2 has changed since activelearn wrote it and will not be loaded; "
        "run `activelearn train` to make a new one"
    )
    _refused_by_every_command(
        imported_project,
        error,
        but=("status", "train", "import-labels", "export", "batches", "revert"),
    )
    forced = run_cli("-C", imported_project, "train", "--force")
    assert forced.exit_code == 0 and forced.exception is None
    assert run_cli("-C", imported_project, "query", "-n", "3").exit_code == 0


def test_a_waiting_batch_whose_file_is_gone_is_reported_and_can_be_written_again(imported_project):
    """Not damage every command refuses: the batch's rows are in state.json, and `query --rewrite`
    (or `verify --repair`, which releases it) is the fix."""
    batch = imported_project / run_cli("-C", imported_project, "query", "-n", "4").stdout.strip()
    written = batch.read_bytes()
    batch.unlink()
    assert _verify_problems(imported_project) == (
        "problem: batches/batch-0002.csv: batch-0002 waits for 4 answers, but its file is gone (verify --repair "
        "releases the batch (its rows return to the pool))\n"
    )
    for name in ("status", "batches", "export", "predict"):  # reading commands carry on
        command = [str(a).format(outside=imported_project.parent) for a in BROKEN_COMMANDS[name]]
        result = run_cli("-C", imported_project, *command)
        assert (result.exit_code, result.exception) == (0, None), (name, result.stderr)
    assert run_cli("-C", imported_project, "query", "--rewrite", "batch-0002").exit_code == 0
    assert batch.read_bytes() == written


# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler

# --- symbolic links in an inbox folder are not followed ------------------------------------------


def _secret(tmp_path: Path) -> Path:
    """A file the person dropping files into the inbox must not read through the tool: its lines
    look like answers, and its header is what an error about a missing column would quote."""
    secret = tmp_path / "secret" / "keys.csv"
    secret.parent.mkdir()
    secret.write_text("token,species\nSECRET-TOKEN-1,Adelie\nr000300,Gentoo\n")
    return secret


def test_an_inbox_skips_symbolic_links_to_files_and_folders_naming_them(trained_project, tmp_path, cli):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "answers.csv").write_text("id,species\nr000301,Chinstrap\n")
    secret = _secret(tmp_path)
    links = {
        "keys.csv": secret,
        "passwd.csv": Path("/etc/passwd"),
        "toml.csv": trained_project / "activelearn.toml",
        "answers-elsewhere.csv": tmp_path / "secret" / "keys.csv",
        "folder": secret.parent,
    }
    for name, target in links.items():
        (inbox / name).symlink_to(target)
    result = cli("-C", trained_project, "import-labels", inbox)
    assert (result.exit_code, result.stdout) == (0, "imported 1 label from 1 file (import-0002)\n")
    assert result.stderr == "".join(
        f"warning: {inbox / name}: a symbolic link; an inbox folder does not follow links (name the file "
        "itself to import it)\n"
        for name in sorted(links)
    )
    from activelearn.labels import read_label_log

    log = read_label_log(trained_project / "data" / "labels.parquet")
    assert set(log["source"]) == {str(SAMPLE / "penguins.csv"), str(inbox / "answers.csv")}
    assert "r000300" not in set(log["id"])


def test_an_inbox_of_links_only_imports_nothing_and_quotes_nothing(trained_project, tmp_path, cli):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.csv").symlink_to(_secret(tmp_path))
    (inbox / "b.csv").symlink_to("/etc/passwd")
    before = snapshot(trained_project)
    result = cli("-C", trained_project, "import-labels", inbox, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"] == []
    assert "SECRET" not in result.stdout + result.stderr and "root:" not in result.stdout + result.stderr
    assert snapshot(trained_project) == before


def test_a_file_swapped_for_a_link_after_the_folder_was_listed_is_not_read(trained_project, tmp_path, cli, monkeypatch):
    import activelearn.ops.import_labels as importing

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    dropped = inbox / "answers.csv"
    dropped.write_text("id,species\nr000301,Chinstrap\n")
    secret, read = _secret(tmp_path), importing.read_answer_bytes

    def listed_then_swapped(path, *args, **kwargs):  # the race won: a link replaces the file once listed
        dropped.unlink()
        dropped.symlink_to(secret)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(importing, "read_answer_bytes", listed_then_swapped)
    before = snapshot(trained_project)
    result = cli("-C", trained_project, "import-labels", inbox)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {dropped}: changed since the folder was listed, or is now a link; nothing was "
        "imported (import the folder again)\n"
    )
    assert snapshot(trained_project) == before


def test_an_error_about_an_inbox_file_names_the_file_not_a_copy(trained_project, tmp_path, cli):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bad = inbox / "bad.csv"
    bad.write_text("ident,species\nr000301,Chinstrap\n")
    result = cli("-C", trained_project, "import-labels", inbox)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {bad}: no 'id' column (found: ident, species); the file needs the id column "
        "'id' and the label column 'species'\n"
    )


def test_a_link_named_on_the_command_line_is_followed(trained_project, tmp_path, cli):
    answers = tmp_path / "elsewhere" / "answers.csv"
    answers.parent.mkdir()
    answers.write_text("id,species\nr000301,Chinstrap\n")
    link = tmp_path / "link.csv"
    link.symlink_to(answers)
    result = cli("-C", trained_project, "import-labels", link)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "imported 1 label from 1 file (import-0002)\n",
        "",
    )


# --- control characters in names: init writes a valid activelearn.toml that reads them back ---

# DEL, C0 controls, U+2028 (line separator), a non-breaking and a zero-width space, a quote, a
# backslash and a TOML comment sign, each inside a column or class name
HOSTILE_NAMES = [
    "size\x7fcm",
    "bill\x00len",
    "fl\x01ip\x1fper",
    "isl\u2028and",
    "no\u00a0te",
    "zero\u200bwidth",
    'quo"te\\back#not a comment',
]


def _hostile_names_data(path: Path) -> None:
    import csv

    rows = [[*HOSTILE_NAMES, "label"]]
    for i in range(12):
        rows.append(
            [str(i + j) for j in range(len(HOSTILE_NAMES))]
            + [["ca\x7ft", "do\u2028g", "b\x1bird"][i % 3] if i < 9 else ""]
        )
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def test_control_characters_in_names_give_a_config_that_reads_back(tmp_path, cli):
    import tomllib

    from activelearn.config import load_config

    data = tmp_path / "hostile.csv"
    _hostile_names_data(data)
    result = cli(
        "-q",
        "init",
        tmp_path / "p",
        "--data",
        data,
        "--numeric-columns",
        ",".join(HOSTILE_NAMES[:3]),
    )
    assert (result.exit_code, result.stderr) == (0, "")
    text = (tmp_path / "p" / "activelearn.toml").read_text(encoding="utf-8")
    assert "\x7f" not in text and "\x00" not in text and "\u2028" not in text  # written as \u007F ...
    assert "size\\u007Fcm" in text
    parsed = tomllib.loads(text)
    assert list(parsed["columns"]) == HOSTILE_NAMES
    assert parsed["data"]["classes"] == ["b\x1bird", "ca\x7ft", "do\u2028g"]
    config = load_config(tmp_path / "p" / "activelearn.toml")
    assert list(config.columns) == HOSTILE_NAMES and config.classes == (
        "b\x1bird",
        "ca\x7ft",
        "do\u2028g",
    )
    listing = cli("-C", tmp_path / "p", "config", "list", "--json")
    assert listing.exit_code == 0, listing.stderr
    keys = {entry["key"] for entry in json.loads(listing.stdout)["entries"]}
    assert {f"columns.{name}" for name in HOSTILE_NAMES} <= keys
    trained = cli("-q", "-C", tmp_path / "p", "train")
    assert (trained.exit_code, trained.stderr) == (0, "")


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True),
    classes=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique_by=str.casefold),
)
def test_any_names_round_trip_through_activelearn_toml(names, classes):
    import tomllib

    from activelearn.config import Config, config_from_dict, render_config

    config = Config(
        id_column=names[0],
        label_column=classes[0],
        classes=tuple(classes),
        columns={n: "numeric" for n in names},
        source=names[-1],
        column_notes={n: f"note about {n}" for n in names},
    )
    read = config_from_dict(tomllib.loads(render_config(config, created="now")))
    assert (read.id_column, read.label_column, read.classes, read.columns, read.source) == (
        config.id_column,
        config.label_column,
        config.classes,
        config.columns,
        config.source,
    )


def test_a_lone_surrogate_in_a_name_is_refused_in_one_line():
    from activelearn.config import Config, render_config
    from activelearn.errors import ConfigError

    config = Config(id_column="id", label_column="label", classes=("a", "b"), columns={"x\ud800y": "numeric"})
    with pytest.raises(ConfigError) as caught:
        render_config(config, created="now")
    assert caught.value.message == (
        r"'x\ud800y': '\ud800' is half of a UTF-16 surrogate pair, which activelearn.toml cannot hold; rename it"
    )


# --- ids that differ only by the formula guard's apostrophe ---------------------------------------


@pytest.mark.parametrize("first, second", [("=1+1", "'=1+1"), ("-5", "'-5"), ("'@x", "''@x"), ("007", "'007")])
def test_ids_differing_only_by_a_guard_apostrophe_are_refused_at_init(tmp_path, cli, first, second):
    import csv

    data = tmp_path / "ids.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ["key", "size", "label"],
                ["a1", "1", "x"],
                [first, "2", "y"],
                ["a3", "3", ""],
                [second, "4", ""],
                ["a5", "5", "x"],
            ]
        )
    result = cli("init", tmp_path / "p", "--data", data, "--id-column", "key")
    assert (result.exit_code, result.stdout) == (1, "")
    from activelearn.cells import unguarded

    first, second = unguarded(first), unguarded(second)  # init reads a CSV as it reads a batch back
    if second == first:  # the guard's apostrophe was taken off: the same id twice
        assert result.stderr == (
            f"error: {data} row 5: id {first!r} is also in row 3 (read as {first!r}: an apostrophe before it is the "
            "formula guard, taken off on reading); ids must be unique (or leave out --id-column to generate ids)\n"
        )
    else:
        assert result.stderr == (
            f"error: {data} row 5: id {second!r} and the id {first!r} of row 3 differ only by an apostrophe, which a "
            "spreadsheet or the formula guard adds or takes off, so their answers could not be told apart; make the "
            "ids differ otherwise (or leave out --id-column to generate ids)\n"
        )
    assert not (tmp_path / "p").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ids.csv"]


def test_an_id_that_starts_with_an_apostrophe_alone_is_fine(tmp_path, cli):
    data = tmp_path / "ids.csv"
    data.write_text("key,size,label\n'=1+1,1,x\nb,2,y\n'c,3,\n")
    result = cli("-q", "init", tmp_path / "p", "--data", data, "--id-column", "key")
    assert (result.exit_code, result.stderr) == (0, "")
    answers = tmp_path / "answers.csv"
    answers.write_text("key,label\n'=1+1,y\n'c,x\nb,x\n")  # "'c" is the pool's id; "'=1+1" is a guarded "=1+1"
    result = cli("-C", tmp_path / "p", "import-labels", answers, "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    from activelearn.labels import read_label_log

    log = read_label_log(tmp_path / "p" / "data" / "labels.parquet")
    assert sorted(zip(log["id"], log["answer"], log["annotator"])) == [
        ("'c", "x", "anonymous"),
        ("=1+1", "x", "init"),
        ("=1+1", "y", "anonymous"),
        ("b", "x", "anonymous"),
        ("b", "y", "init"),
    ]


# --- a Dask scheduler address from activelearn.toml alone: only on loopback ------------------------

REMOTE = "tcp://203.0.113.5:8786"  # TEST-NET-3: no host answers there


@pytest.fixture
def connections(monkeypatch):
    """Every address a Dask client is made for; none is reached (there is no network in tests)."""
    import distributed

    calls: list[str] = []

    class Unreachable:
        def __init__(self, address, **options):
            calls.append(address)
            raise OSError("no network in tests")

    monkeypatch.setattr(distributed, "Client", Unreachable)
    monkeypatch.delenv("ACTIVELEARN_SCHEDULER", raising=False)
    return calls


def _on_dask(project: Path, scheduler: str) -> None:
    for key, value in (("query.engine", "dask"), ("query.scheduler", scheduler)):
        assert run_cli("-q", "-C", project, "config", "set", key, value).exit_code == 0


def _commands(project: Path, out: Path) -> dict[str, list]:
    return {
        "query": ["-C", project, "query", "-n", "5", "--strategy", "margin"],
        "predict": ["-C", project, "predict", "--out", out],
    }


@pytest.mark.parametrize(
    "command, address",
    [
        ("predict", REMOTE),
        *(
            ("query", a)
            for a in [
                REMOTE,
                "tcp://scheduler:8786",
                "203.0.113.5:8786",
                "tcp://127.0.0.1.example.com:8786",
                "tcp://localhost.example.com:8786",
                "tcp://[::ffff:203.0.113.5]:8786",
                "tls://10.0.0.1:8786",
                "ws://198.51.100.7:8786",
                "tcp://127.0.0.1@203.0.113.5:8786",
                "inproc://203.0.113.5/1/1",
            ]
        ),
    ],
)
def test_a_remote_scheduler_from_the_config_alone_is_refused_before_connecting(
    trained_project, tmp_path, connections, cli, command, address
):
    _on_dask(trained_project, address)
    before = snapshot(trained_project)
    result = cli(*_commands(trained_project, tmp_path / "p.csv")[command])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {trained_project / 'activelearn.toml'}: [query] scheduler = {address!r} is not on this machine, and "
        "a project file alone may not send work to another host and take its pickled results back; confirm it with "
        f"--scheduler {address} or ACTIVELEARN_SCHEDULER={address}, or use --engine local\n"
    )
    assert connections == []
    assert snapshot(trained_project) == before and not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("command", ["query", "predict"])
@pytest.mark.parametrize("confirmed_by", ["option", "environment"])
def test_a_remote_scheduler_confirmed_by_the_command_line_or_the_environment_is_used(
    trained_project, tmp_path, connections, monkeypatch, cli, command, confirmed_by
):
    _on_dask(trained_project, REMOTE)
    args = _commands(trained_project, tmp_path / "p.csv")[command]
    if confirmed_by == "option":
        args += ["--scheduler", REMOTE]
    else:
        monkeypatch.setenv("ACTIVELEARN_SCHEDULER", REMOTE)
    result = cli(*args)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: --scheduler {REMOTE}: cannot reach the Dask scheduler (no network in tests)\n",
    )
    assert connections == [REMOTE]


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:8786",
        "tcp://127.8.9.10:8786",
        "127.0.0.1:8786",
        "tcp://[::1]:8786",
        "tcp://localhost:8786",
        "tls://localhost:8786",
    ],
)
def test_a_loopback_scheduler_from_the_config_needs_no_confirmation(trained_project, connections, cli, address):
    _on_dask(trained_project, address)
    result = cli("-C", trained_project, "query", "-n", "5", "--strategy", "margin")
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: --scheduler {address}: cannot reach the Dask scheduler (no network in tests)\n",
    )
    assert connections == [address]


# --- one file answering a row under several annotator names, to outvote a person -----------------


def _current_label(project: Path, row_id: str) -> str:
    from activelearn.labels import current_labels, read_label_log

    current = current_labels(read_label_log(project / "data" / "labels.parquet"))
    return current.set_index("id").loc[row_id, "label"]


@pytest.fixture
def answered_by_alice(trained_project, tmp_path) -> Path:
    alice = tmp_path / "alice.csv"
    alice.write_text("id,species\nr000300,Adelie\n")
    assert run_cli("-q", "-C", trained_project, "import-labels", alice, "--annotator", "alice").exit_code == 0
    return trained_project


@pytest.mark.parametrize(
    "names",
    [("mallory", "mallory2", "mallory3"), ("Alice ", "alice", "ALICE"), ("", "mallory", "eve")],
)
def test_one_file_cannot_answer_a_row_under_several_names(answered_by_alice, tmp_path, cli, names):
    fake = tmp_path / "votes.csv"
    fake.write_text("id,species,annotator\n" + "".join(f"r000300,Gentoo,{name}\n" for name in names))
    before = snapshot(answered_by_alice)
    result = cli("-C", answered_by_alice, "import-labels", fake, "--annotator", "bob")
    first, second = (name.strip() or "bob" for name in names[:2])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {fake} row 3: id 'r000300' is answered again under annotator {second!r} (row 2: {first!r}); "
        "one file gives one answer per row, so that it cannot outvote the people who answered the row: put each "
        "person's answers in a file of their own (and 1 more problem: -v lists them)\n"
    )
    assert snapshot(answered_by_alice) == before
    assert _current_label(answered_by_alice, "r000300") == "Adelie"


def test_partial_leaves_out_every_answer_of_a_row_answered_under_several_names(answered_by_alice, tmp_path, cli):
    fake = tmp_path / "votes.csv"
    fake.write_text("id,species,annotator\nr000300,Gentoo,m1\nr000301,Chinstrap,m1\nr000300,Gentoo,m2\n")
    result = cli("-C", answered_by_alice, "import-labels", fake, "--partial")
    assert (result.exit_code, result.stdout) == (
        0,
        "imported 1 label from 1 file (import-0003); 2 bad rows left out (--partial)\n",
    )
    assert result.stderr == (
        f"warning: left out {fake} row 4: id 'r000300' is answered again under annotator 'm2' (row 2: 'm1'); "
        "one file gives one answer per row, so that it cannot outvote the people who answered the row: put each "
        "person's answers in a file of their own (every answer to it left out)\n"
    )
    assert _current_label(answered_by_alice, "r000300") == "Adelie"
    assert _current_label(answered_by_alice, "r000301") == "Chinstrap"


def test_answers_of_two_people_in_files_of_their_own_both_count(answered_by_alice, tmp_path, cli):
    for name in ("bob", "carol"):
        own = tmp_path / f"{name}.csv"
        own.write_text(f"id,species,annotator\nr000300,Gentoo,{name}\n")
        assert cli("-q", "-C", answered_by_alice, "import-labels", own).exit_code == 0
    assert _current_label(answered_by_alice, "r000300") == "Gentoo"  # two people against one


def test_a_remote_scheduler_from_the_config_is_refused_by_a_real_process_in_bounded_time(trained_project, tmp_path):
    """The same refusal in a whole process, without any stand-in for the client: no connection is
    tried (one would wait for Dask's 10 s timeout and say "cannot reach")."""
    import resource
    import subprocess
    import sys

    _on_dask(trained_project, REMOTE)
    before = snapshot(trained_project)

    def bounded():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    env = {k: v for k, v in os.environ.items() if k != "ACTIVELEARN_SCHEDULER"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "activelearn",
            "-C",
            str(trained_project),
            "query",
            "-n",
            "5",
            "--strategy",
            "margin",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=bounded,
        env=env,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert (
        done.stderr.startswith(
            f"error: {trained_project / 'activelearn.toml'}: [query] scheduler = '{REMOTE}' is not on this machine"
        )
        and done.stderr.count("\n") == 1
    )
    assert snapshot(trained_project) == before


# === hostile corpus: tests/fixtures/hostile/ ===================================================
