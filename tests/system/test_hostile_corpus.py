"""The hostile-input corpus (tests/fixtures/hostile/, made by its make_corpus.py): every bad or
hostile answer file is imported exactly as its manifest says, or refused with one `error:` line
holding the expected words, no traceback, and the project byte-identical. Nothing a file holds
reaches the terminal as a raw control character. The bombs run in a subprocess with bounded
memory and time."""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from activelearn.labels import read_label_log

from ..conftest import REPO, SAMPLE, Run, run_cli, snapshot

HOSTILE = REPO / "tests" / "fixtures" / "hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
CASES = MANIFEST["files"]
SPECIAL_IDS = {int(n): i for n, i in MANIFEST["pool_ids"].items()}
UNLABELED = 338  # penguins.csv has 344 rows, 6 of them labeled: one batch holds every other row

BOMB_MEMORY = 1 << 30  # bytes of address space a bomb's import may take (pandas and pyarrow need ~700 MiB)
BOMB_SECONDS = 60  # generous: starting the CLI takes seconds on a loaded machine
SUBPROCESS_EVERY = 25  # besides the bombs, every 25th file also runs as a real `activelearn` process

# What a file may hold and the terminal must never get raw: C0 controls but \n and \t, DEL, C1
# controls (\x9b is a one-byte CSI) and the bidirectional overrides and isolates.
RAW_CONTROLS = (
    [chr(c) for c in range(0x20) if chr(c) not in "\n\t"]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)


def pool_id(n: int) -> str:
    return SPECIAL_IDS.get(n, f"{n:06d}")


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> Path:
    """The project the corpus answers: penguins.csv with an `id` column in front, every unlabeled
    row in batch-0001 (so that every id is one a batch was sent with, whatever rows a query picks)."""
    root = tmp_path_factory.mktemp("hostile")
    with open(SAMPLE / "penguins.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(root / "pool.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", *rows[0]], *([pool_id(n), *row] for n, row in enumerate(rows[1:], start=1))])
    project = root / "proj"
    result = run_cli(
        "-q",
        "init",
        project,
        "--data",
        root / "pool.csv",
        "--id-column",
        "id",
        "--label-column",
        "species",
    )
    assert result.exit_code == 0, result.stderr
    result = run_cli("-q", "-C", project, "query", "-n", str(UNLABELED))
    assert result.exit_code == 0, result.stderr
    return project


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (BOMB_MEMORY, BOMB_MEMORY))


def run_process(*args, cwd: Path) -> Run:
    """`activelearn ARGS` as a real process, with bounded memory and time."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "activelearn", *map(str, args)],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=BOMB_SECONDS,
            preexec_fn=_limits,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"activelearn {' '.join(map(str, args))}: still running after {BOMB_SECONDS} s")
    stdout, stderr = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert done.returncode >= 0, f"killed by signal {-done.returncode}: {stderr[-2000:]}"
    return Run(done.returncode, stdout, stderr, None)


def params():
    for number, entry in enumerate(CASES):
        yield pytest.param(entry, number % SUBPROCESS_EVERY == 0 or entry.get("bomb", False), id=entry["file"])


@pytest.mark.parametrize(("entry", "as_process"), list(params()))
def test_hostile_file(entry, as_process, prepared, tmp_path):
    path = HOSTILE / "files" / entry["file"]
    work = tmp_path / "cwd"
    work.mkdir()
    if entry["command"] == "init":
        project = tmp_path / "new"
        args = ["init", project, "--data", path, "--id-column", "id", "--label-column", "species"]
        before = None
    else:
        project = tmp_path / "proj"
        shutil.copytree(prepared, project)
        args = ["-C", project, "import-labels", path]
        before = snapshot(project)
        logged = len(read_label_log(project / "data" / "labels.parquet"))
    run = run_process(*args, cwd=work) if as_process else run_cli(*args)

    shown = run.stdout + run.stderr
    raw = sorted({repr(c) for c in RAW_CONTROLS if c in shown})
    assert not raw, f"raw control characters {', '.join(raw)} reach the terminal:\n{shown[-3000:]}"
    assert "Traceback" not in shown, shown[-3000:]
    assert run.exception is None, repr(run.exception)
    assert not [p for p in tmp_path.rglob("*") if "evil" in p.name or "pwned" in p.name]  # no archive member escaped

    if entry["expect"] == "imported":
        assert run.exit_code == 0, run.stderr
        log = read_label_log(project / "data" / "labels.parquet")
        new = log if before is None else log.iloc[logged:]
        got = list(zip(new["id"], new["answer"], strict=True))
        assert sorted(got) == sorted(entry["answers"].items()), run.stderr
    else:
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert run.exit_code == 1, (run.exit_code, run.stderr)
        assert len(errors) == 1, run.stderr
        assert entry["error"] in errors[0], errors[0]
        assert entry["file"] in errors[0], errors[0]  # the message names the file
        assert run.stdout == ""
        if before is None:
            assert not project.exists(), sorted(p.name for p in project.rglob("*"))
        else:
            assert snapshot(project) == before
