"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

import json

import pytest

from ..conftest import SAMPLE, fill_batch, run_cli, snapshot  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes


def test_query_after_state_json_is_restored_leaves_the_filled_batch_alone(trained_project):
    """Issue 12 item 3: a person fills batch-0001 without importing it; state.json comes back from
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
    assert ("warning: batches/batch-0001.csv is not a batch state.json knows (was state.json restored from a "
            "backup?); left it untouched and named this batch batch-0002\n") in second.stderr
    assert filled.read_bytes() == answers
    imported = run_cli("-C", trained_project, "import-labels", filled, "--json")
    assert json.loads(imported.stdout)["labels"] == 5  # the answers still count


INSIDE = "is inside the project's own files; write the output elsewhere"
EXTENSION = "the extension decides the format; use .csv or .parquet"


@pytest.mark.parametrize("command", ["export", "predict"])
@pytest.mark.parametrize(("target", "refusal"), [
    ("batches/batch-0001.csv", INSIDE), ("batches/new.csv", INSIDE), ("data/pool.parquet", INSIDE),
    ("data/other.csv", INSIDE), ("models/m.parquet", INSIDE), ("state.json", EXTENSION), ("activelearn.toml", EXTENSION),
])
def test_export_and_predict_never_write_into_the_project(trained_project, command, target, refusal):
    assert run_cli("-C", trained_project, "query", "-n", "5").exit_code == 0
    out = trained_project / target
    before = snapshot(trained_project)
    result = run_cli("-C", trained_project, command, "--out", out)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --out {out}{':' if refusal == EXTENSION else ''} {refusal}\n"
    assert snapshot(trained_project) == before




# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
